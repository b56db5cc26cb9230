"""A local HTTP server that plays Slack (incoming webhooks and the Web API), for tests.

It listens on 127.0.0.1 on a free port, answers each request from a script
(ok, 429 with Retry-After, 5xx, a stall past the client's timeout, an error
word), and records every request in order. ``posted`` is what Slack would
show: the requests it answered with success.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "xoxb-1111-2222-SECRETTOKENvalue"
CHANNEL_ID = "C0INCIDENTS"


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``error`` answers as Slack would for that endpoint."""

    status: int = 200
    error: str | None = None
    retry_after: str | None = None
    stall: float = 0.0
    body: str | None = None


def ok() -> Reply:
    return Reply()


def rate_limited(retry_after: float | str = 1) -> Reply:
    return Reply(status=429, retry_after=str(retry_after))


def server_error(status: int = 500) -> Reply:
    return Reply(status=status, body="upstream trouble")


def stall(seconds: float = 1.5) -> Reply:
    """Say nothing for ``seconds``, then hang up: the message was not posted."""
    return Reply(stall=seconds)


def error(word: str) -> Reply:
    return Reply(error=word)


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes
    at: Any
    answered: str

    @property
    def method(self) -> str:
        return "webhook" if self.path.startswith("/services/") else self.path.rsplit("/", 1)[-1]

    @property
    def text(self) -> str:
        return self.body.get("text", "")


@dataclass
class FakeSlack:
    """``with FakeSlack() as slack: …`` — see the module docstring."""

    token: str = TOKEN
    now: Callable[[], Any] | None = None
    requests: list[Request] = field(default_factory=list)
    _script: deque[Reply] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closing: threading.Event = field(default_factory=threading.Event)
    _ts: int = 0

    def __enter__(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                fake._handle(self, raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()

    # -- addresses ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api"

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/services/T000/B000/WEBHOOKSECRETpart123"

    # -- scripting ---------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these, in order (then: ok)."""
        with self._lock:
            self._script.extend(replies)

    @property
    def posted(self) -> list[Request]:
        """Requests answered with success: what a channel would show."""
        with self._lock:
            return [r for r in self.requests if r.answered == "ok"]

    def texts(self, method: str | None = None) -> list[str]:
        return [r.text for r in self.posted if method is None or r.method == method]

    # -- the server side ---------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        with self._lock:
            reply = self._script.popleft() if self._script else Reply()
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = {}
            record = Request(
                path=handler.path,
                headers={k.lower(): v for k, v in handler.headers.items()},
                body=body,
                raw=raw,
                at=self.now() if self.now else None,
                answered="pending",
            )
            self.requests.append(record)
        if reply.stall:
            self._closing.wait(reply.stall)
            record.answered = "stalled"
            handler.close_connection = True
            return
        webhook = handler.path.startswith("/services/")
        auth = handler.headers.get("Authorization", "")
        if not webhook and auth != f"Bearer {self.token}":
            reply = Reply(error="invalid_auth")
        if reply.status == 429:
            record.answered = "429"
            self._send(
                handler, 429, "rate_limited", "text/plain", {"Retry-After": reply.retry_after}
            )
            return
        if reply.status >= 500:
            record.answered = str(reply.status)
            self._send(handler, reply.status, reply.body or "", "text/plain")
            return
        if reply.error:
            record.answered = reply.error
            if webhook:
                status = 404 if reply.error in ("channel_not_found", "no_service") else 400
                self._send(handler, status, reply.error, "text/plain")
            else:
                self._send(handler, 200, json.dumps({"ok": False, "error": reply.error}))
            return
        if reply.body is not None:
            record.answered = "custom"
            self._send(handler, reply.status, reply.body, "text/plain")
            return
        record.answered = "ok"
        if webhook:
            self._send(handler, 200, "ok", "text/plain")
            return
        with self._lock:
            self._ts += 1
            ts = f"1700000000.{self._ts:06d}"
        if handler.path.endswith("/chat.update"):
            ts = body.get("ts", ts)
        answer = {
            "ok": True,
            "channel": CHANNEL_ID,
            "ts": ts,
            "message": {"text": body.get("text")},
        }
        self._send(handler, 200, json.dumps(answer))

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        status: int,
        text: str,
        content_type: str = "application/json; charset=utf-8",
        headers: dict[str, str | None] | None = None,
    ) -> None:
        data = text.encode("utf-8")
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                if value is not None:
                    handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass


def bot_config(slack: FakeSlack, *, threads: bool = True, **smtp: Any):
    """Settings for the Web API (bot token) pointing at ``slack``."""
    from warroom.comms.config import CommsConfig, SlackSettings, SmtpSettings

    return CommsConfig(
        slack=SlackSettings(
            bot_token=slack.token, channel="#incidents", api_url=slack.api_url, threads=threads
        ),
        smtp=SmtpSettings.model_validate(smtp),
    )


def webhook_config(slack: FakeSlack):
    """Settings for an incoming webhook pointing at ``slack``."""
    from warroom.comms.config import CommsConfig, SlackSettings

    return CommsConfig(slack=SlackSettings(webhook_url=slack.webhook_url))
