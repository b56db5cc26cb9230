"""warroom serve end to end: a real server process, real Chromium, real consoles.

Plain ``def`` tests: Playwright's sync API keeps an event loop on this thread,
so the raw websocket client runs in a thread of its own (:func:`run_async`).
No timed assertions: every wait is for a final state, with a generous limit.
"""

from __future__ import annotations

import asyncio
import fcntl
import http.server
import json
import os
import pty
import sqlite3
import struct
import subprocess
import sys
import termios
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import START
from serve_browser import (
    CHROMIUM,
    children,
    launch,
    new_page,
    screen_text,
    serve_env,
    sign_in,
    start_server,
    type_line,
    wait_for_screen,
    wait_frames,
)

TITLE = "QuickBooks sync halted"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    env = serve_env(folder / "home", now=START)
    server = start_server(folder, env)
    declared = server.warroom("declare", "--sev", "2", "--title", TITLE, "--as", "ic")
    assert declared.returncode == 0, declared.stderr
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run installs it (apt-get install chromium)")
        pytest.skip("no /usr/bin/chromium here (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser):
    contexts = []

    def make():
        context, page = new_page(browser)
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        context.close()


def status_of(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def sign_in_raw(url: str, token: str, headers: dict[str, str]) -> tuple[int, str]:
    """POST /signin as the page does: (status, Set-Cookie)."""
    request = urllib.request.Request(
        url + "/signin", data=f"token={token}".encode(), headers=headers
    )
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=10) as answer:
            return answer.status, answer.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Set-Cookie", "")


def run_async(coro):
    box: list[object] = []
    thread = threading.Thread(target=lambda: box.append(asyncio.run(coro)))
    thread.start()
    thread.join(60)
    return box[0]


def timeline(served, author: str | None = None) -> list[dict]:
    done = served.warroom("export", "1", "--format", "json")
    assert done.returncode == 0, done.stderr
    entries = json.loads(done.stdout)["timeline"]
    return [e for e in entries if author is None or e["author"] == author]


def console_of(served, page, name: str, *flags: str) -> str:
    link = served.add(*flags, "--", name)
    sign_in(page, link)
    wait_for_screen(page, TITLE)
    return link


def consoles_of(served, name: str) -> list[int]:
    """The pids of ``name``'s open consoles, from the presence table."""
    conn = sqlite3.connect(f"file:{served.db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT pid FROM presence WHERE name = ?", (name,)).fetchall()
    finally:
        conn.close()
    return [pid for (pid,) in rows]


def session_cookie(page) -> str:
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "warroom_session"]
    return cookie["value"]


# -- the happy path ---------------------------------------------------------------


def test_sign_in_type_a_note_and_it_is_exported_with_the_name(served, open_page):
    page = open_page()
    link = console_of(served, page, "alice")
    assert page.url == served.url + "/"  # the token left the address bar
    type_line(page, "restarted worker-3 [bold]x[/]")
    wait_for_screen(page, "restarted worker-3 [bold]x[/]")
    deadline = time.monotonic() + 10
    while not timeline(served, "alice") and time.monotonic() < deadline:
        time.sleep(0.1)
    (entry,) = timeline(served, "alice")
    assert entry["text"] == "restarted worker-3 [bold]x[/]"
    (cookie,) = page.context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # no script can read the session
    log = served.log_text()
    assert "alice signed in from 127.0.0.1" in log
    assert link.split("#")[1] not in log and cookie["value"] not in log  # no secret logged


def test_the_sign_in_page_is_the_console_page_and_connects_once(served, open_page):
    """The link's page signs in (one POST) and connects as soon as it is
    parsed, signed in and its font is ready (not on window.onload); the load
    event must not open a second console. No redirect, no second page: one
    document, its three files fetched once."""
    page = open_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    console_of(served, page, "ines")
    page.wait_for_load_state("load")
    wait_frames(page, 3)
    assert page.evaluate("window.__terms.length") == 1
    assert served.log_text().count("console opened for ines") == 1
    assert len(consoles_of(served, "ines")) == 1
    assert posts == [served.url + "/signin"]
    documents = page.evaluate(
        "performance.getEntriesByType('navigation')"
        ".map(n => n.name.split('#')[0] + ' ' + n.redirectCount)"
    )
    assert documents == [served.url + "/signin 0"]  # the link's own page; never redirected
    fetched = page.evaluate(
        "performance.getEntriesByType('resource')"
        ".filter(r => r.name.includes('/static/')).map(r => r.name)"
    )
    assert len(fetched) == 3 == len(set(fetched))


def test_after_signing_in_the_address_is_the_console_and_a_reload_opens_it(served, open_page):
    """The spent token is not left in the address bar or the history: the
    address is the console's own (/), which a reload opens with the cookie."""
    page = open_page()
    console_of(served, page, "jack")
    assert page.url == served.url + "/"
    assert page.evaluate("location.hash") == ""
    assert page.evaluate("history.length") == 2  # about:blank, then this page: nothing else
    page.reload()
    wait_for_screen(page, TITLE)
    assert served.log_text().count("jack signed in") == 1


def test_a_link_preview_bot_spends_nothing(served, open_page):
    link = served.add("frank")
    for _ in range(3):  # Slack/mail scanners fetch the link; a GET never sends the #token
        assert status_of(link) == 200
    page = open_page()
    sign_in(page, link)
    wait_for_screen(page, TITLE)


# -- attacks ------------------------------------------------------------------------


def test_a_spent_link_fails(served, open_page):
    first = open_page()
    link = console_of(served, first, "bea")
    second = open_page()  # another browser, the same link
    sockets: list[str] = []
    second.on("websocket", lambda ws: sockets.append(ws.url))
    sign_in(second, link)
    assert second.evaluate("document.documentElement.className") == "-refused"
    shown = second.inner_text(".intro-dialog")
    assert "This link does not work" in shown
    assert "used already" in shown and "expired" in shown
    assert second.url == served.url + "/signin"  # the spent token left the address bar too
    second.wait_for_load_state("load")
    wait_frames(second, 3)
    assert sockets == []  # no websocket was even tried
    assert second.evaluate("window.__terms.length") == 0  # nor a terminal made
    assert second.context.cookies() == []


def test_a_link_without_its_token_says_so_and_posts_nothing(served, open_page):
    page = open_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    sign_in(page, served.url + "/signin")
    assert "This sign-in link is incomplete" in page.inner_text(".intro-dialog")
    assert posts == []


@pytest.mark.parametrize("path", ["/", "/ws", "/static/js/textual.js", "/static/", "/download/x"])
def test_no_session_or_a_forged_one_gets_401_everywhere(served, path):
    assert status_of(served.url + path) == 401
    forged = {"Cookie": "warroom_session=" + "A" * 43}
    assert status_of(served.url + path, forged) == 401


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body as sent) of a GET."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_console_pages_files_are_public_cached_and_exactly_textual_serves(served):
    """The script, style sheet and font hold no data (the public package's
    bytes): anyone may fetch them, a browser keeps them a year (their URL names
    their content), and the sign-in page (the console page) loads them. Nothing
    else under /static, and no page, is open without a session."""
    import gzip
    import re

    import textual_serve

    status, _, page = fetch(served.url + "/signin")
    assert status == 200
    assets = sorted(set(re.findall(r"/static/[0-9a-f]{16}/[^\"')]+", page.decode())))
    names = sorted(path.split("/", 3)[3] for path in assets)
    assert names == [
        "css/xterm.css",
        "fonts/RobotoMono-VariableFont_wght.ttf",
        "js/textual.js",
    ]
    package = Path(textual_serve.__file__).parent / "static"
    for path in assets:
        name = path.split("/", 3)[3]
        status, headers, body = fetch(served.url + path)  # no cookie at all
        assert status == 200, path
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert body == (package / name).read_bytes()
        status, headers, body = fetch(served.url + path, {"Accept-Encoding": "gzip"})
        if name.endswith((".js", ".css")):
            assert headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(body) == (package / name).read_bytes()
    prefix = assets[0].rsplit("/", 2)[0].rsplit("/", 1)[0] + "/"
    for other in [
        prefix + "fonts/RobotoMono-Italic-VariableFont_wght.ttf",  # in the package, unused
        prefix + "images/background.png",  # the page no longer shows it
        prefix + "js/../../../signin",
        "/static/0000000000000000/js/textual.js",  # another version
        "/static/js/textual.js",
    ]:
        status, headers, _ = fetch(served.url + other)
        assert status == 401, other
        assert headers["Cache-Control"] == "no-store"
    status, headers, _ = fetch(served.url + "/")
    assert status == 401 and headers["Cache-Control"] == "no-store"


def test_sign_in_from_another_site_is_refused(served):
    token = served.add("mallory").split("#")[1]
    body = f"token={token}".encode()
    assert status_of(served.url + "/signin", {"Origin": "http://evil.example"}, body) == 403
    assert status_of(served.url + "/signin", {}, body) == 403  # no Origin at all


def test_sign_in_guesses_are_rate_limited(served):
    # Behind a proxy on this host, each client is its X-Forwarded-For address.
    guesser = {"Origin": served.url, "X-Forwarded-For": "203.0.113.9"}
    statuses = [
        status_of(served.url + "/signin", guesser, b"token=" + b"x" * 43) for _ in range(12)
    ]
    assert statuses == [403] * 10 + [429, 429]
    # The guesser's limit is theirs alone: a colleague's real link still works.
    token = served.add("gus").split("#")[1]
    other = {"Origin": served.url, "X-Forwarded-For": "203.0.113.10"}
    status, cookie = sign_in_raw(served.url, token, other)
    assert status == 204 and cookie.startswith("warroom_session=")
    assert "sign-in refused from 203.0.113.9: too many attempts" in served.log_text()


def test_a_websocket_with_a_foreign_origin_is_refused(served, open_page):
    import aiohttp

    page = open_page()
    console_of(served, page, "hana")
    cookie = session_cookie(page)

    async def try_origin(origin: str) -> int | str:
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(
                    served.url.replace("http", "ws") + "/ws",
                    headers={"Origin": origin, "Cookie": f"warroom_session={cookie}"},
                ) as ws:
                    await ws.close()
                    return "open"
            except aiohttp.WSServerHandshakeError as error:
                return error.status

    assert run_async(try_origin("http://evil.example")) == 403
    assert run_async(try_origin("http://127.0.0.1:1")) == 403  # same site, another port
    assert run_async(try_origin(served.url)) == "open"


class EvilSite:
    """A page on another port of 127.0.0.1: the same *site* (so the SameSite=Strict
    cookie goes along) but another *origin*: only the Origin check stops it."""

    def __init__(self, target: str = "", *, script: str | None = None) -> None:
        if script is None:
            script = (
                f"const ws = new WebSocket({target!r});"
                "ws.onmessage = () => { document.title = 'DATA'; };"
                "ws.onerror = () => { document.title = 'ERROR'; };"
            )
        html = f"<html><body><script>{script}</script></body></html>".encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(html)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


def test_a_page_of_another_origin_cannot_open_a_signed_in_console(served, open_page):
    page = open_page()
    console_of(served, page, "ivan")
    evil = EvilSite(served.url.replace("http", "ws") + "/ws")
    try:
        tab = page.context.new_page()  # the same browser: it has ivan's cookie
        tab.goto(evil.url)
        tab.wait_for_function("['DATA', 'ERROR'].includes(document.title)", timeout=15_000)
        assert tab.title() == "ERROR"
    finally:
        evil.close()
    assert "websocket of ivan refused: foreign Origin 'http://127.0.0.1:" in served.log_text()


def test_a_page_of_another_origin_cannot_spend_a_link(served, open_page):
    """A page elsewhere that got hold of a link posts its token (the page's own
    way: a fetch POST): the server refuses it by its Origin, and the link still
    signs its person in afterwards."""
    link = served.add("kim")
    token = link.split("#")[1]
    script = (
        f"fetch({served.url + '/signin'!r}, {{method: 'POST', mode: 'no-cors',"
        f" credentials: 'include', body: new URLSearchParams({{token: {token!r}}})}})"
        ".then(() => { document.title = 'SENT'; }, () => { document.title = 'FAILED'; });"
    )
    evil = EvilSite(script=script)
    try:
        tab = open_page()
        tab.goto(evil.url)
        tab.wait_for_function("['SENT', 'FAILED'].includes(document.title)", timeout=15_000)
        assert tab.context.cookies() == []
    finally:
        evil.close()
    assert "sign-in refused from 127.0.0.1: foreign Origin" in served.log_text()
    page = open_page()
    sign_in(page, link)  # not spent
    wait_for_screen(page, TITLE)


def test_a_watcher_sees_the_console_and_cannot_write(served, open_page):
    page = open_page()
    console_of(served, page, "viewer", "--watch")
    wait_for_screen(page, "you are watching")
    before = len(timeline(served))
    type_line(page, "sneaky note")
    page.keyboard.press("Control+u")  # the update composer: refused for a watcher
    page.keyboard.press("Control+n")
    page.wait_for_timeout(1500)
    assert "sneaky" not in screen_text(page)
    assert len(timeline(served)) == before
    assert timeline(served, "viewer") == []


def test_a_removed_persons_open_console_stops_at_once(served, open_page):
    page = open_page()
    console_of(served, page, "carl")
    type_line(page, "before removal")
    wait_for_screen(page, "before removal")
    (pid,) = consoles_of(served, "carl")
    assert pid in children(served.proc.pid)
    removed = served.warroom("users", "remove", "carl")
    assert removed.returncode == 0, removed.stderr
    page.wait_for_selector("body.-closed", timeout=15_000)  # "Session ended."
    deadline = time.monotonic() + 10
    while pid in children(served.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pid not in children(served.proc.pid)  # the process is gone
    assert consoles_of(served, "carl") == []  # and so is its presence
    page.keyboard.type("after removal\n")
    page.wait_for_timeout(500)
    assert [e["text"] for e in timeline(served, "carl")] == ["before removal"]
    page.reload()
    assert "Not signed in" in page.content()


def test_presence_shows_browser_and_terminal_consoles_and_drops_a_killed_one(served, open_page):
    page = open_page()
    console_of(served, page, "dora")
    wait_for_screen(page, "dora")
    terminal = TerminalConsole(served, "tom")
    try:
        wait_for_screen(page, "dora, tom")  # a terminal console on the same database
        os.kill(terminal.proc.pid, 9)  # kill -9: it never says goodbye
        terminal.proc.wait()
        wait_for_screen(page, "dora, tom", gone=True)
        assert "Here dora" in screen_text(page)
    finally:
        terminal.close()


class TerminalConsole:
    """``warroom --as NAME`` in a pseudo-terminal of its own (a person on the host)."""

    def __init__(self, served, name: str) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        env = dict(served.env, TERM="xterm-256color")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "warroom", "--db", str(served.db), f"--as={name}"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        # Drain its output, or it blocks once the terminal's buffer is full.
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self) -> None:
        try:
            while os.read(self.master, 65536):
                pass
        except OSError:
            pass

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


def test_an_https_public_url_gives_a_secure_host_only_cookie(tmp_path):
    """Behind a TLS proxy the server speaks http; the browser sees https."""
    server = start_server(tmp_path, serve_env(tmp_path / "home"), public_url="https://war.example")
    try:
        token = server.add("dana").split("#")[1]
        assert server.add("erin").startswith("https://war.example/signin#")
        status, cookie = sign_in_raw(server.url, token, {"Origin": "https://war.example"})
        assert status == 204
        assert cookie.startswith("__Host-warroom=")
        for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
            assert flag in cookie
        assert "Domain" not in cookie
    finally:
        server.stop()


def test_a_name_reaches_the_console_as_one_argument_never_shell(served, open_page):
    name = "-eve $(id) ;x"  # starts with a dash, holds shell syntax
    page = open_page()
    console_of(served, page, name)
    type_line(page, "from eve")
    wait_for_screen(page, "from eve")
    deadline = time.monotonic() + 10
    while not timeline(served, name) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [e["text"] for e in timeline(served, name)] == ["from eve"]


def test_signing_out_ends_the_console_and_the_session(served, open_page):
    page = open_page()
    console_of(served, page, "olga")
    status = page.evaluate("fetch('/signout', {method: 'POST'}).then(r => r.status)")
    assert status == 200  # 303 to /signin, followed
    page.wait_for_selector("body.-closed", timeout=15_000)
    page.reload()
    assert "Not signed in" in page.content()
