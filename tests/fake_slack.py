"""A local HTTP server that plays Slack (incoming webhooks and the Web API), for tests.

It listens on 127.0.0.1 on a free port, answers each post from a script
(ok, 429 with Retry-After, 5xx, a stall past the client's timeout, an error
word; or *slow*: posted at once, answered too late; or *dropped*: posted,
then the connection closed without an answer), and records every request in
order. ``posted`` is what Slack would show: the posts it took (those answered
with success, and the slow and dropped ones).

Like Slack, it keeps what was posted: ``conversations.history`` (newest first)
and ``conversations.replies`` (a thread, oldest first) read it back, by
channel *id* only (a ``#name`` is ``channel_not_found``), with each message's
``metadata`` when ``include_all_metadata`` is true, honouring ``oldest``,
``limit`` and ``cursor``. Reads are recorded in ``reads`` and scripted
separately (:meth:`FakeSlack.script_reads`). Message ts come from ``now`` (or
the wall clock), so ``oldest`` compares as it would on Slack.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
    #: Post it, then answer only after this many seconds (the client gave up first).
    slow: float = 0.0
    #: Post it, then close the connection without any answer.
    drop: bool = False


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


def slow(seconds: float = 1.5) -> Reply:
    """Slack took the message at once and answers after ``seconds``: too late."""
    return Reply(slow=seconds)


def dropped() -> Reply:
    """Slack took the message, then the connection closed with no answer."""
    return Reply(drop=True)


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes
    at: Any
    answered: str
    #: The ts Slack gave the message (Web API posts it took).
    ts: str | None = None
    #: The query of a read (GET).
    query: dict[str, str] = field(default_factory=dict)

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
    #: Answer every unscripted chat.postMessage this many seconds late (it is
    #: posted at once): a Slack that is slow all the time.
    slow_posts: float = 0.0
    requests: list[Request] = field(default_factory=list)
    #: conversations.history / conversations.replies calls, in order.
    reads: list[Request] = field(default_factory=list)
    #: What the channel holds: {ts, channel, text, thread_ts, metadata, bot_id}.
    messages: list[dict[str, Any]] = field(default_factory=list)
    _script: deque[Reply] = field(default_factory=deque)
    _read_script: deque[Reply] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closing: threading.Event = field(default_factory=threading.Event)
    _ts: int = 0
    #: users.info answers, by user ID.
    users: dict[str, dict[str, Any]] = field(default_factory=dict)

    def say(self, user: str, text: str, *, thread_ts: str | None = None, pin: bool = False) -> str:
        """A person posts ``text`` (in a thread, or 📌-marked in the channel): its ts."""
        with self._lock:
            ts = self._next_ts()
            message: dict[str, Any] = {
                "ts": ts,
                "channel": CHANNEL_ID,
                "text": text,
                "user": user,
                "type": "message",
            }
            if thread_ts:
                message["thread_ts"] = thread_ts
            if pin:
                message["reactions"] = [{"name": "pushpin", "users": [user], "count": 1}]
            self.messages.append(message)
        return ts

    def pin(self, ts: str) -> None:
        """Someone adds a 📌 to message ``ts``."""
        with self._lock:
            for message in self.messages:
                if message["ts"] == ts:
                    message.setdefault("reactions", []).append(
                        {"name": "pushpin", "users": ["U0PINNER"], "count": 1}
                    )

    def reactions(self, ts: str) -> list[str]:
        with self._lock:
            for message in self.messages:
                if message["ts"] == ts:
                    return [r["name"] for r in message.get("reactions", [])]
        return []

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

            def do_GET(self) -> None:
                fake._handle_read(self)

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
        """Answer the next posts with these, in order (then: ok)."""
        with self._lock:
            self._script.extend(replies)

    def clear_script(self) -> None:
        """Forget the replies not used yet: from now on, posts go through."""
        with self._lock:
            self._script.clear()

    def clear_read_script(self) -> None:
        with self._lock:
            self._read_script.clear()

    def script_reads(self, *replies: Reply) -> None:
        """Answer the next history/replies reads with these, in order (then: ok)."""
        with self._lock:
            self._read_script.extend(replies)

    @property
    def posted(self) -> list[Request]:
        """Posts Slack took: what a channel would show."""
        with self._lock:
            return [r for r in self.requests if r.answered in ("ok", "slow", "dropped")]

    def duplicates(self) -> int:
        """How many posts repeat an earlier one's text: what a reader would see twice."""
        texts = [r.text for r in self.posted if r.method != "chat.update"]
        return len(texts) - len(set(texts))

    def _next_ts(self) -> str:
        # Under the lock. Seconds from the (test's) clock, a counter for order.
        when = self.now() if self.now else None
        seconds = int(when.timestamp()) if when is not None else int(time.time())
        self._ts += 1
        return f"{seconds}.{self._ts:06d}"

    def texts(self, method: str | None = None) -> list[str]:
        return [r.text for r in self.posted if method is None or r.method == method]

    # -- the server side ---------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, raw: bytes) -> None:
        with self._lock:
            if self._script:
                reply = self._script.popleft()
            elif self.slow_posts and handler.path.endswith("/chat.postMessage"):
                reply = Reply(slow=self.slow_posts)
            else:
                reply = Reply()
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
        if reply.slow or reply.drop:
            self._take(handler, record, body)
            record.answered = "slow" if reply.slow else "dropped"
            if reply.drop:
                handler.close_connection = True
                return
            self._closing.wait(reply.slow)
            self._answer_ok(handler, record, body)
            return
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
        self._take(handler, record, body)
        record.answered = "ok"
        self._answer_ok(handler, record, body)

    def _take(self, handler: BaseHTTPRequestHandler, record: Request, body: dict) -> None:
        """The message is in the channel now (or the root edited), whatever the answer."""
        with self._lock:
            if handler.path.endswith("/reactions.add"):
                for message in self.messages:
                    if message["ts"] == body.get("timestamp"):
                        names = [r["name"] for r in message.setdefault("reactions", [])]
                        if body.get("name") not in names:
                            message["reactions"].append(
                                {"name": body.get("name"), "users": ["B0WARROOM"], "count": 1}
                            )
                return
            if handler.path.startswith("/services/"):
                self.messages.append(
                    {"ts": self._next_ts(), "channel": CHANNEL_ID, "text": body.get("text")}
                )
                return
            if handler.path.endswith("/chat.update"):
                record.ts = body.get("ts")
                for message in self.messages:
                    if message["ts"] == record.ts:
                        message["text"] = body.get("text")
                return
            record.ts = self._next_ts()
            message = {
                "ts": record.ts,
                "channel": CHANNEL_ID,
                "text": body.get("text"),
                "bot_id": "B0WARROOM",
            }
            if body.get("thread_ts"):
                message["thread_ts"] = body["thread_ts"]
            if body.get("metadata"):
                message["metadata"] = body["metadata"]
            self.messages.append(message)

    def _answer_ok(self, handler: BaseHTTPRequestHandler, record: Request, body: dict) -> None:
        if handler.path.startswith("/services/"):
            self._send(handler, 200, "ok", "text/plain")
            return
        answer = {
            "ok": True,
            "channel": CHANNEL_ID,
            "ts": record.ts,
            "message": {"text": body.get("text")},
        }
        self._send(handler, 200, json.dumps(answer))

    def _handle_read(self, handler: BaseHTTPRequestHandler) -> None:
        """conversations.history and conversations.replies, as Slack answers them."""
        parts = urlsplit(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            reply = self._read_script.popleft() if self._read_script else Reply()
            record = Request(
                path=parts.path,
                headers={k.lower(): v for k, v in handler.headers.items()},
                body={},
                raw=b"",
                at=self.now() if self.now else None,
                answered="pending",
                query=query,
            )
            self.reads.append(record)
        if reply.stall:
            record.answered = "stalled"
            self._closing.wait(reply.stall)
            handler.close_connection = True
            return
        if reply.status == 429:
            record.answered = "429"
            self._send(handler, 429, "", "text/plain", {"Retry-After": reply.retry_after})
            return
        if reply.status >= 500:
            record.answered = str(reply.status)
            self._send(handler, reply.status, reply.body or "", "text/plain")
            return
        method = parts.path.rsplit("/", 1)[-1]
        if method == "users.info" and not reply.error:
            user = self.users.get(query.get("user", ""))
            record.answered = "ok" if user else "user_not_found"
            answer = (
                {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
            )
            self._send(handler, 200, json.dumps(answer))
            return
        if handler.headers.get("Authorization", "") != f"Bearer {self.token}":
            reply = Reply(error="invalid_auth")
        elif query.get("channel") != CHANNEL_ID:
            reply = Reply(error=reply.error or "channel_not_found")
        if reply.error:
            record.answered = reply.error
            self._send(handler, 200, json.dumps({"ok": False, "error": reply.error}))
            return
        with_metadata = query.get("include_all_metadata") in ("true", "1")
        oldest = float(query.get("oldest") or 0)
        with self._lock:
            everything = [dict(m) for m in self.messages if m["channel"] == CHANNEL_ID]
        if method == "conversations.replies":
            root = query.get("ts")
            found = [m for m in everything if m["ts"] == root or m.get("thread_ts") == root]
            if not any(m["ts"] == root for m in found):
                record.answered = "thread_not_found"
                self._send(handler, 200, json.dumps({"ok": False, "error": "thread_not_found"}))
                return
        elif method == "conversations.history":
            # The channel's own messages (thread replies stay in their threads).
            found = [m for m in everything if not m.get("thread_ts")]
            found.reverse()
        else:
            self._send(handler, 404, "unknown_method", "text/plain")
            return
        found = [m for m in found if float(m["ts"]) > oldest]
        start = int(query.get("cursor") or 0)
        limit = int(query.get("limit") or 100)
        page = found[start : start + limit]
        for message in page:
            message.pop("channel", None)
            if not with_metadata:
                message.pop("metadata", None)
        more = start + limit < len(found)
        answer: dict[str, Any] = {"ok": True, "messages": page, "has_more": more}
        answer["response_metadata"] = {"next_cursor": str(start + limit) if more else ""}
        record.answered = "ok"
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


def bot_config(slack: FakeSlack, *, threads: bool = True, channel: str = CHANNEL_ID, **smtp: Any):
    """Settings for the Web API (bot token) pointing at ``slack``: the channel by
    its id, as Slack recommends (a ``#name`` posts, but cannot be read back)."""
    from warroom.comms.config import CommsConfig, SlackSettings, SmtpSettings

    return CommsConfig(
        slack=SlackSettings(
            bot_token=slack.token, channel=channel, api_url=slack.api_url, threads=threads
        ),
        smtp=SmtpSettings.model_validate(smtp),
    )


def webhook_config(slack: FakeSlack):
    """Settings for an incoming webhook pointing at ``slack``."""
    from warroom.comms.config import CommsConfig, SlackSettings

    return CommsConfig(slack=SlackSettings(webhook_url=slack.webhook_url))
