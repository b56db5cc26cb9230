"""The front door: an aiohttp application around textual-serve's pieces.

Not ``textual_serve.server.Server``: every one of its routes needs a change
(per-person command, sessions, Origin, sizes, logging), so this is our own
application reusing textual-serve's process protocol (:mod:`.process`) and its
static files (xterm.js), behind the session.

Routes: ``GET /signin`` (the console page itself, whose script reads the
token from the link's ``#fragment``: it never reaches a server log, a proxy or
a Referer, and a link-preview bot that fetches the link spends nothing; the
script POSTs it while textual.js loads, then connects, with no redirect and no
second page), ``POST /signin`` (Origin checked, rate limited, spends the
token, sets the cookie, answers 204), ``POST /signout``, ``GET /`` (the
console page, signed in: a reload), ``GET /ws`` (one console process per
websocket, Origin checked) and ``/static/<hash>/`` (textual-serve's script,
style sheet and font). Everything but the two sign-in routes and those
three files answers 401 without a valid session: the three are the public
package's own bytes and reveal nothing, so anyone may fetch them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import textual_serve
from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.download_manager import DownloadManager

from warroom.clock import Clock, system_clock
from warroom.comms.config import CommsConfig
from warroom.db import people as db_people
from warroom.db.people import Person
from warroom.db.store import Store
from warroom.errors import WarroomError
from warroom.playbook import Playbook
from warroom.serve.auth import RateLimiter, clamp, origin_of
from warroom.serve.hooks import PATHS as HOOK_PATHS
from warroom.serve.hooks import hook_handler
from warroom.serve.process import ConsoleProcess, start_spare
from warroom.service import Service

log = logging.getLogger("warroom.serve")

STATIC = Path(textual_serve.__file__).parent / "static"
#: The static files the console page uses, and their types. Nothing else of
#: textual-serve's folder is served.
ASSET_TYPES = {
    "js/textual.js": "text/javascript",
    "css/xterm.css": "text/css",
    "fonts/RobotoMono-VariableFont_wght.ttf": "font/ttf",
}
#: Their URL names their content: a browser keeps them for a year without
#: asking again, and a new textual-serve gets a new URL.
ASSET_CACHE = "public, max-age=31536000, immutable"
TEMPLATES = Path(__file__).parent / "templates"
MAX_CONSOLES_PER_SESSION = 4
MAX_CONSOLES = 40
#: How often the server looks for ``users remove`` (or an expiry) made elsewhere.
REVOKE_POLL_SECONDS = 0.5
#: The websocket close code the page shows as "Session ended.".
CLOSE_SIGNED_OUT = 4001
MIN_W, MAX_W, MIN_H, MAX_H = 20, 400, 8, 200
#: A sign-in waits this long at most for another writer: the server's one
#: connection is used on its event loop, and every console's I/O waits with it.
SERVER_BUSY_TIMEOUT_MS = 2000


@dataclass
class ServeConfig:
    db: Path
    public_url: str
    playbook: str | None = None
    signin_per_minute: int = 10
    #: Peers whose ``X-Forwarded-For`` is believed (a reverse proxy on this host).
    trusted_proxies: frozenset[str] = frozenset({"127.0.0.1", "::1"})
    clock: Clock = field(default_factory=system_clock)
    #: Keep one console process started ahead (see :mod:`warroom.serve.spare`).
    spare: bool = True
    #: ``/hooks/...``'s Bearer token (None: the hooks answer 401 to everyone).
    hook_token: str | None = None
    #: The playbook and Slack settings the hooks' operations use (loaded by ``serve``).
    playbook_data: Playbook | None = None
    comms: CommsConfig | None = None

    @property
    def origin(self) -> str:
        return origin_of(self.public_url)

    @property
    def secure(self) -> bool:
        return self.public_url.lower().startswith("https://")

    @property
    def cookie_name(self) -> str:
        # __Host-: the browser takes it only Secure, Path=/ and without Domain.
        return "__Host-warroom" if self.secure else "warroom_session"

    def console_argv(self, person: Person) -> list[str]:
        """The person's own console on this database. ``--as=NAME`` in one
        argument: a name that starts with ``-`` is never read as an option."""
        argv = [sys.executable, "-m", "warroom", "--db", str(self.db), f"--as={person.name}"]
        if self.playbook:
            argv.append(f"--playbook={self.playbook}")
        if person.watch:
            argv.append("--watch")
        return argv


class Outbox:
    """Where a console's output goes: its websocket, or, for a console started
    at sign-in, a queue until the page has loaded and connected."""

    def __init__(self) -> None:
        self.ws: web.WebSocketResponse | None = None
        self.pending: list[bytes | str] = []
        self.closing: tuple[int, bytes] | None = None

    async def write_bytes(self, data: bytes) -> None:
        if self.ws is None:
            self.pending.append(data)
        else:
            await self.ws.send_bytes(data)

    async def write_str(self, data: str) -> None:
        if self.ws is None:
            self.pending.append(data)
        else:
            await self.ws.send_str(data)

    async def close(self, code: int = WSCloseCode.OK, message: bytes = b"") -> None:
        if self.ws is None:
            self.closing = (code, message)
        else:
            await self.ws.close(code=code, message=message)

    async def attach(self, ws: web.WebSocketResponse) -> None:
        while self.pending:  # what arrives meanwhile queues behind: order kept
            item = self.pending.pop(0)
            await (ws.send_bytes(item) if isinstance(item, bytes) else ws.send_str(item))
        self.ws = ws
        if self.closing is not None:
            await ws.close(code=self.closing[0], message=self.closing[1])


@dataclass(eq=False)
class LiveConsole:
    session_hash: str
    person: Person
    process: ConsoleProcess
    outbox: Outbox


CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; font-src 'self'; connect-src 'self' {ws};"
    " frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>warroom</title>
<meta name="referrer" content="same-origin"><link rel="icon" href="data:,"></head>
<body style="background:#0c181f;color:#eee;font-family:monospace;padding:2em">{body}</body>
</html>"""

#: xterm.js cells at the page's 16px font, in CSS pixels (measured in Chromium):
#: the sign-in page starts the console at about the size it will have.
CELL_W, CELL_H = 9.6, 21.3
#: The next spare starts this long after the console that took the last one
#: has sent its first frame, or after SPARE_REFILL_WAIT if it never does.
SPARE_REFILL_DELAY = 0.3
SPARE_REFILL_WAIT = 5.0
#: A console started at sign-in whose page never connects is stopped after this.
EARLY_CONSOLE_SECONDS = 20.0

UNAUTH_BODY = """<h1>Not signed in</h1><p>Open your sign-in link, or ask for one:
<code>warroom users link NAME</code>.</p>
<script>
  // SameSite=Strict: arriving by a link from another site sends no cookie.
  // One navigation started here is same-site and carries it (once per 10 s).
  const last = Number(sessionStorage.getItem("warroom-retry") || 0);
  if (Date.now() - last > 10000) {
    sessionStorage.setItem("warroom-retry", String(Date.now()));
    location.replace(location.href);
  }
</script>"""

REFUSED_LINK = (
    "<h1>This link does not work</h1><p>It was used already, replaced by a newer one,"
    " or has expired. Ask for a new one: <code>warroom users link NAME</code>.</p>"
)


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    content_type: str


def load_assets(folder: Path = STATIC) -> tuple[str, dict[str, Asset]]:
    """The console page's static files, read once: their URL prefix
    (``/static/<hash of their content>/``) and each file by its full path.

    In memory and gzipped ahead (the script is 0.5 MiB, 0.12 MiB gzipped): a
    page load costs no disk read and no compression."""
    digest = hashlib.sha256()
    files: dict[str, bytes] = {}
    for name in sorted(ASSET_TYPES):
        files[name] = (folder / name).read_bytes()
        digest.update(name.encode() + b"\0" + files[name])
    prefix = f"/static/{digest.hexdigest()[:16]}/"
    assets = {}
    for name, body in files.items():
        packed = gzip.compress(body, 9, mtime=0)
        assets[prefix + name] = Asset(
            body, packed if len(packed) < len(body) * 0.9 else None, ASSET_TYPES[name]
        )
    return prefix, assets


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=PAGE.format(body=body), status=status, content_type="text/html")


def make_app(config: ServeConfig, store: Store | None = None) -> web.Application:
    """The application. ``store``: the server's one connection to the database."""
    store = store or Store(config.db)
    store.set_busy_timeout(SERVER_BUSY_TIMEOUT_MS)
    downloads = DownloadManager()
    live: set[LiveConsole] = set()
    #: Consoles started at sign-in, by session, until their page connects.
    waiting: dict[str, LiveConsole] = {}
    limiter = RateLimiter(config.signin_per_minute, 60.0)
    templates = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    origin = config.origin
    ws_url = origin.replace("http", "ws", 1) + "/ws"
    csp = CSP.format(ws=origin.replace("http", "ws", 1))
    now = config.clock.now
    asset_prefix, assets = load_assets()
    #: One console process that has imported everything, waiting for a person.
    spares: list[asyncio.subprocess.Process] = []

    async def keep_a_spare() -> None:
        try:
            spares.append(await start_spare())
        except OSError as exc:
            log.error("cannot start a spare console: %s", exc)

    #: Replacements waiting for the console that took a spare to paint.
    refills: set[asyncio.Task] = set()

    def take_spare() -> asyncio.subprocess.Process | None:
        spare = spares.pop() if spares else None
        if spare is not None and spare.returncode is not None:
            return None
        return spare

    def refill_after(process: ConsoleProcess) -> None:
        """Start the next spare once ``process`` has sent its first frame (or
        failed to within SPARE_REFILL_WAIT): a spare's imports take a core for
        a third of a second, and started at once they would race the very
        console the person is waiting for (measured: its first frame came
        0.3-0.5 s later on this 2-core machine)."""

        async def refill() -> None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.first_frame.wait(), SPARE_REFILL_WAIT)
            await asyncio.sleep(SPARE_REFILL_DELAY)  # the browser paints that frame
            await keep_a_spare()

        task = asyncio.get_running_loop().create_task(refill())
        refills.add(task)
        task.add_done_callback(refills.discard)

    def client(request: web.Request) -> str:
        peer = request.remote or "?"
        forwarded = request.headers.get("X-Forwarded-For")
        if forwarded and peer in config.trusted_proxies:
            return forwarded.split(",")[-1].strip()[:64]  # the address the proxy saw
        return peer

    @web.middleware
    async def security_headers(request: web.Request, handler):
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = exc
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Frame-Options", "DENY")  # a framed console takes keystrokes
        # Not no-referrer: with it Chromium sends "Origin: null" on our own form POST.
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Cache-Control", "no-store")  # the assets say otherwise
        if isinstance(response, web.HTTPException):
            raise response
        return response

    public = {("GET", "/signin"), ("POST", "/signin")} | {("POST", p) for p in HOOK_PATHS}
    services: list[Service] = []

    def operations() -> Service:
        """The alert hooks' operations, on the server's one connection."""
        if not services:
            from warroom.playbook import default_playbook

            playbook = config.playbook_data or default_playbook()
            services.append(Service(store, config.clock, playbook, comms=config.comms))
        return services[0]

    hooks = hook_handler(operations, config.hook_token)

    @web.middleware
    async def require_session(request: web.Request, handler):
        if (request.method, request.path) in public or (
            request.method in ("GET", "HEAD") and request.path in assets
        ):
            return await handler(request)
        cookie = request.cookies.get(config.cookie_name, "")
        try:
            found = db_people.session_person(store, cookie, now=now()) if cookie else None
        except WarroomError as exc:
            log.error("cannot check a session: %s", exc)
            return _html("<h1>The database is busy</h1><p>Reload in a moment.</p>", status=503)
        if found is None:
            if request.path == "/ws":
                raise web.HTTPUnauthorized(text="not signed in")
            return _html(UNAUTH_BODY, status=401)
        request["session_hash"], request["person"] = found
        return await handler(request)

    def console_page(request: web.Request, *, signin: bool) -> web.Response:
        """The console page. At ``/signin`` (the link) it is the same page,
        which signs in with a POST while textual.js loads and then connects:
        no redirect, no second page. It holds no data; the websocket needs
        the session."""
        text = templates.get_template("console.html").render(
            font_size=clamp(request.query.get("fontsize"), 8, 40, 16),
            app_websocket_url=ws_url,
            config={"static": {"url": asset_prefix}},
            application={"name": "warroom"},
            signin=signin,
            cell={"w": CELL_W, "h": CELL_H},
        )
        return web.Response(text=text, content_type="text/html")

    async def signin_page(request: web.Request) -> web.Response:
        return console_page(request, signin=True)

    async def asset(request: web.Request) -> web.Response:
        """One of the console page's files: the same bytes to anyone (the
        public package's), gzipped when the browser takes it, kept a year."""
        found = assets.get(request.path)
        if found is None:
            raise web.HTTPNotFound()
        headers = {"Cache-Control": ASSET_CACHE, "Vary": "Accept-Encoding"}
        body = found.body
        if found.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
            body = found.gzipped
            headers["Content-Encoding"] = "gzip"
        text = found.content_type.startswith("text/")
        return web.Response(
            body=body,
            content_type=found.content_type,
            charset="utf-8" if text else None,
            headers=headers,
        )

    async def signin(request: web.Request) -> web.StreamResponse:
        who = client(request)
        if request.headers.get("Origin") != origin:
            log.warning("sign-in refused from %s: foreign Origin", who)
            return _html("<h1>Refused</h1><p>A sign-in from another site.</p>", status=403)
        wait = limiter.wait(who)
        if wait:
            log.warning("sign-in refused from %s: too many attempts", who)
            response = _html("<h1>Too many attempts</h1><p>Try again in a minute.</p>", 429)
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        try:
            form = await request.post()
        except (ValueError, LookupError, UnicodeDecodeError) as exc:
            # A body the page never sends (a broken multipart, an unknown charset):
            # one line in the log and a 400, not a 500 with a traceback.
            log.warning("sign-in refused from %s: unreadable form (%s)", who, type(exc).__name__)
            limiter.record(who)
            return _html("<h1>Refused</h1><p>That is not a sign-in form.</p>", status=400)
        token = str(form.get("token", ""))
        try:
            spent = db_people.spend_token(store, token, now=now())
        except WarroomError as exc:
            log.error("sign-in from %s failed: %s", who, exc)
            return _html("<h1>The database is busy</h1><p>Try the link again.</p>", status=503)
        if spent is None:
            limiter.record(who)
            log.warning("sign-in refused from %s: unknown, used or expired link", who)
            return _html(REFUSED_LINK, status=403)
        session, session_hash, person = spent
        log.info("%s signed in from %s", person.name, who)
        if config.spare and len(live) < MAX_CONSOLES:
            # Start the console now: it gets ready while the page loads (~0.5 s).
            await start_early(
                session_hash,
                person,
                clamp(form.get("cols"), MIN_W, MAX_W, 100),
                clamp(form.get("rows"), MIN_H, MAX_H, 30),
            )
        # No redirect: the page that posted is the console page, and connects now.
        response = web.Response(status=204)
        response.set_cookie(
            config.cookie_name,
            session,
            max_age=int(db_people.SESSION_TTL.total_seconds()),
            path="/",
            httponly=True,
            secure=config.secure,
            samesite="Strict",
        )
        return response

    async def signout(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Origin") != origin:
            raise web.HTTPForbidden(text="foreign origin")
        session_hash = request["session_hash"]
        db_people.end_session(store, session_hash)
        await end_consoles(lambda c: c.session_hash == session_hash)
        response = web.HTTPSeeOther("/signin")
        response.del_cookie(config.cookie_name, path="/")
        raise response

    async def index(request: web.Request) -> web.Response:
        return console_page(request, signin=False)

    def new_console(session_hash: str, person: Person) -> LiveConsole:
        outbox = Outbox()
        process = ConsoleProcess(
            config.console_argv(person),
            {"WARROOM_SERVE_SESSION": session_hash},
            spare=take_spare() if config.spare else None,
            write_bytes=outbox.write_bytes,
            write_str=outbox.write_str,
            close=outbox.close,
            download_manager=downloads,
        )
        if config.spare:
            refill_after(process)  # the next person's spare
        return LiveConsole(session_hash, person, process, outbox)

    async def start_early(session_hash: str, person: Person, width: int, height: int) -> None:
        console = new_console(session_hash, person)
        live.add(console)
        waiting[session_hash] = console
        await console.process.start(width, height)

        async def expire() -> None:
            await asyncio.sleep(EARLY_CONSOLE_SECONDS)
            if waiting.get(session_hash) is console:  # its page never came
                del waiting[session_hash]
                live.discard(console)
                await console.process.stop()

        asyncio.get_running_loop().create_task(expire())

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        person: Person = request["person"]
        if request.headers.get("Origin") != origin:
            log.warning(
                "websocket of %s refused: foreign Origin %r",
                person.name,
                request.headers.get("Origin", "")[:100],
            )
            raise web.HTTPForbidden(text="foreign origin")
        session_hash: str = request["session_hash"]
        early = waiting.pop(session_hash, None)
        mine = sum(c.session_hash == session_hash for c in live)
        if early is None and (mine >= MAX_CONSOLES_PER_SESSION or len(live) >= MAX_CONSOLES):
            raise web.HTTPTooManyRequests(text="too many consoles open")
        ws = web.WebSocketResponse(heartbeat=15, max_msg_size=1 << 20)
        await ws.prepare(request)
        width = clamp(request.query.get("width"), MIN_W, MAX_W, 80)
        height = clamp(request.query.get("height"), MIN_H, MAX_H, 24)
        console = early or new_console(session_hash, person)
        process = console.process
        live.add(console)
        log.info("console opened for %s", person.name)
        try:
            if early is not None:
                await console.outbox.attach(ws)
                await process.set_terminal_size(width, height)
            else:
                await console.outbox.attach(ws)
                await process.start(width, height)
            await pump(ws, process)
        except asyncio.CancelledError:
            await ws.close()
        except Exception:
            log.exception("the console of %s failed", person.name)
        finally:
            live.discard(console)
            await process.stop()
            log.info("console closed for %s", person.name)
        return ws

    async def pump(ws: web.WebSocketResponse, process: ConsoleProcess) -> None:
        """Browser -> console: textual-serve's loop, with every field checked."""
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
                kind = envelope[0]
            except (ValueError, TypeError, KeyError, IndexError):
                continue
            if kind == "stdin" and len(envelope) > 1 and isinstance(envelope[1], str):
                await process.send_bytes(envelope[1].encode("utf-8", "replace"))
            elif kind == "resize" and len(envelope) > 1 and isinstance(envelope[1], dict):
                await process.set_terminal_size(
                    clamp(envelope[1].get("width"), MIN_W, MAX_W, 80),
                    clamp(envelope[1].get("height"), MIN_H, MAX_H, 24),
                )
            elif kind == "ping" and len(envelope) > 1:
                await ws.send_json(["pong", str(envelope[1])[:32]])
            elif kind == "blur":
                await process.blur()
            elif kind == "focus":
                await process.focus()

    async def end_consoles(which: Callable[[LiveConsole], bool]) -> int:
        doomed = [c for c in live if which(c)]
        gone: list[tuple[int, str]] = []
        for console in doomed:
            live.discard(console)
            pid = console.process.pid
            started = db_people.process_started(pid) if pid else None
            console.process.kill()
            if pid and started:
                gone.append((pid, started))
            waiting.pop(console.session_hash, None)
            await console.outbox.close(code=CLOSE_SIGNED_OUT, message=b"signed out")
            log.info("console of %s ended: signed out or removed", console.person.name)
        try:
            db_people.clear_presence(store, gone)  # at once, not at the next liveness check
        except WarroomError as exc:
            log.error("cannot clear presence: %s", exc)
        return len(doomed)

    async def watch_revocations(app: web.Application):
        """``users remove`` in another process: end that person's consoles now."""

        async def loop() -> None:
            last = store.data_version()
            last_full = time.monotonic()
            while True:
                await asyncio.sleep(REVOKE_POLL_SECONDS)
                try:
                    version = store.data_version()
                    if version == last and time.monotonic() - last_full < 30:
                        continue  # nothing new; expiry is looked at every 30 s anyway
                    last, last_full = version, time.monotonic()
                    valid = db_people.live_sessions(store, now=now())

                    def revoked(console: LiveConsole, valid: set[str] = valid) -> bool:
                        return console.session_hash not in valid

                    await end_consoles(revoked)
                except WarroomError as exc:
                    log.error("cannot look for removed people: %s", exc)
                except Exception:
                    log.exception("looking for removed people failed")

        task = asyncio.create_task(loop())
        if config.spare:
            await keep_a_spare()
        yield
        task.cancel()
        for refill in list(refills):
            refill.cancel()
        for spare in spares:
            with contextlib.suppress(ProcessLookupError):
                spare.kill()
            await spare.wait()

    async def close_consoles(app: web.Application) -> None:
        """On shutdown, not cleanup: aiohttp waits for open handlers (the
        websockets) between the two, so SIGTERM would hang with a tab open."""
        consoles = list(live)
        await asyncio.gather(*(c.process.stop() for c in consoles), return_exceptions=True)
        for console in consoles:
            await console.outbox.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    app = web.Application(middlewares=[security_headers, require_session])
    app["live"] = live
    app["store"] = store
    app.cleanup_ctx.append(watch_revocations)
    app.on_shutdown.append(close_consoles)
    app.add_routes(
        [
            web.get("/signin", signin_page),
            web.post("/signin", signin),
            web.post("/signout", signout),
            web.get("/", index),
            web.get("/ws", websocket),
            web.get("/static/{version}/{name:.+}", asset),
            *(web.post(path, hooks) for path in sorted(HOOK_PATHS)),
        ]
    )
    return app


def run(config: ServeConfig, host: str, port: int) -> None:
    """Serve until interrupted. Logs one line per sign-in and console, never a
    token, a cookie or a query string (no access log)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%Y-%m-%dT%H:%M:%S"
    )
    store = Store(config.db)
    app = make_app(config, store)
    print(f"warroom serve: {config.public_url}/ on {host}:{port} (ctrl+c stops)", flush=True)
    web.run_app(app, host=host, port=port, print=None, access_log=None)
