"""A real ``warroom serve`` and a real Chromium, for the end-to-end tests and the benchmark.

Chromium is Debian's (``apt-get install chromium``) driven by Playwright's
Python package through ``executable_path``: Playwright's own browser download
is never used.

Reading the screen: textual-serve's page draws xterm.js on a canvas, so the
DOM holds no text and the ``Terminal`` object is a local of its bundle. An
init script catches each terminal holder as the bundle builds it (the holder
sets ``this.terminal`` and then ``this.fitAddon``: a one-shot setter for
``fitAddon`` on ``Object.prototype`` records it). After that
``window.__terms[0].terminal.buffer.active`` is exactly what xterm parsed.
This depends on textual-serve's JS, pinned at 1.1.3; if it changes,
``__terms`` stays empty and the tests fail loudly.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root in a container: Chromium's sandbox refuses root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

HOOK_TERMINALS = """
(() => {
  window.__terms = [];
  Object.defineProperty(Object.prototype, "fitAddon", {
    configurable: true,
    set(value) {
      Object.defineProperty(this, "fitAddon", {
        value, writable: true, configurable: true, enumerable: true });
      if (this.terminal && this.terminal.buffer) window.__terms.push(this);
    },
  });
})();
"""

SCREEN_JS = """
() => {
  const h = window.__terms && window.__terms[0];
  if (!h) return null;
  const buf = h.terminal.buffer.active;
  const lines = [];
  for (let y = 0; y < h.terminal.rows; y++) {
    const line = buf.getLine(buf.viewportY + y);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
}
"""

FRAMES_JS = (
    "n => new Promise(r => { const f = k => k ? requestAnimationFrame(() => f(k - 1)) : r();"
    " f(n); })"
)


def launch(playwright, extra_args: list[str] | None = None):
    """Debian's Chromium, headless. ``--disable-webgl`` makes xterm.js paint
    with its 2D canvas: headless WebGL is software-rendered (slow first frame)."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS + (extra_args or []), headless=True
    )


def new_page(browser, width: int = 1000, height: int = 640):
    """A new context (its own cookie jar: another person's browser) and a page."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_init_script(HOOK_TERMINALS)
    return context, context.new_page()


def screen_text(page) -> str:
    """xterm's screen as text; "" while the page is (re)loading."""
    from playwright.sync_api import Error

    try:
        return page.evaluate(SCREEN_JS) or ""
    except Error as exc:
        if "context was destroyed" in str(exc) or "navigat" in str(exc):
            return ""
        raise


def wait_for_screen(page, needle: str, timeout: float = 20.0, *, gone: bool = False) -> str:
    """Poll xterm's buffer until ``needle`` is on screen (or, ``gone``, is not)."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = screen_text(page)
        if (needle in text) != gone:
            return text
        page.wait_for_timeout(50)
    state = "still" if gone else "not"
    raise AssertionError(f"{needle!r} {state} on screen after {timeout}s; screen:\n{text}")


def wait_frames(page, n: int = 2) -> None:
    """Let the page paint what xterm parsed (the next animation frames)."""
    page.evaluate(FRAMES_JS, n)


#: True once the sign-in page has its answer: signed in (and connecting), or refused.
SIGNED_IN_OR_REFUSED = "() => document.documentElement.matches('.-signed-in, .-refused')"


def sign_in(page, link: str) -> None:
    """Open a sign-in link (the token in its #fragment): the page, which is the
    console page itself, signs in by itself and connects; wait for its answer."""
    page.goto(link, wait_until="commit")
    page.wait_for_function(SIGNED_IN_OR_REFUSED, timeout=20_000)


def type_line(page, text: str) -> None:
    """Keys into the terminal (its hidden textarea: a click would be a mouse
    event in the console and could move its focus), then Enter."""
    page.focus(".xterm-helper-textarea")
    page.keyboard.type(text, delay=5)
    page.keyboard.press("Enter")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (from /proc: no ps needed)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


@dataclass
class Served:
    url: str
    db: Path
    proc: subprocess.Popen
    log: Path
    env: dict[str, str]

    def warroom(self, *args: str) -> subprocess.CompletedProcess:
        """The command line on the same database, as another process."""
        return subprocess.run(
            [sys.executable, "-m", "warroom", "--db", str(self.db), *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
            check=False,
        )

    def add(self, name: str, *flags: str) -> str:
        done = self.warroom("users", "add", name, *flags)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()[-1]

    def log_text(self) -> str:
        return self.log.read_text()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_server(folder: Path, env: dict[str, str], *, public_url: str | None = None) -> Served:
    """``warroom serve`` on a free port; returns once it answers."""
    db = folder / "serve.db"
    log = folder / "serve.log"
    for _ in range(3):  # the free port may be taken between the probe and the bind
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        served_env = dict(env, WARROOM_PUBLIC_URL=public_url or url)
        proc = subprocess.Popen(
            [sys.executable, "-m", "warroom", "serve", "--db", str(db), "--port", str(port)],
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            env=served_env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url + "/signin", timeout=1) as answer:
                    if answer.status == 200:
                        return Served(url, db, proc, log, served_env)
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        proc.kill()
        proc.wait()
    raise RuntimeError("warroom serve did not start:\n" + log.read_text())


def serve_env(home: Path, now: str | None = None) -> dict[str, str]:
    """The environment for the server and its consoles: no WARROOM_* from outside,
    a private HOME (no config file of the person running the tests)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "WARROOM_LOG_DIR": str(home / "log"),
        }
    )
    if now:
        env["WARROOM_NOW"] = now
    return env
