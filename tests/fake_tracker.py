"""A local HTTP server that plays GitHub's and Jira Cloud's issue APIs, for tests.

It listens on 127.0.0.1 on a free port and serves both at once:

- GitHub: ``POST /repos/{owner}/{repo}/issues`` (201, ``number``, ``html_url``)
  and ``GET /repos/{owner}/{repo}/issues?state=all&since=…&per_page&page``
  (newest first, filtered by ``since`` on ``updated_at``), ``Bearer`` auth.
- Jira: ``POST /rest/api/3/issue`` (201, ``id``, ``key``, ``self``) and
  ``GET /rest/api/3/search/jql?jql=project = "K" AND labels = "…"``, Basic auth.

Each create is answered from a script (then: created, 201): ``status(502)``
(not created, that status), ``slow(s)`` (created at once, answered ``s``
seconds later: after the client gave up), ``hold()`` (created, then no answer
until :meth:`FakeTracker.release` or the server closes: a client killed while
it waits), ``drop()`` (created, connection closed unanswered), ``rate(n)``
(429 with Retry-After). Lookups can be scripted too (``script_finds``). Every
request is recorded with its headers; ``issues`` is what the tracker holds.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

GITHUB_TOKEN = "ghp_FAKEgithubTOKEN0123456789abcdefXYZ"
JIRA_USER = "ops@example.com"
JIRA_TOKEN = "ATATTfakeJIRAtoken0123456789abcdefXYZ"
REPO = "acme/backlog"
PROJECT = "OPS"


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Reply:
    status: int = 201
    #: Create it, answer this many seconds later.
    slow: float = 0.0
    #: Create it, then answer only when released (or never).
    hold: bool = False
    #: Create it, then close the connection unanswered.
    drop: bool = False
    retry_after: str | None = None
    body: str | None = None


def status(code: int, body: str | None = None) -> Reply:
    return Reply(status=code, body=body)


def slow(seconds: float) -> Reply:
    return Reply(slow=seconds)


def hold() -> Reply:
    return Reply(hold=True)


def drop() -> Reply:
    return Reply(drop=True)


def rate(retry_after: str = "0") -> Reply:
    return Reply(status=429, retry_after=retry_after)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    answered: str = "pending"


@dataclass
class FakeTracker:
    """``with FakeTracker() as tracker: …`` — see the module docstring."""

    requests: list[Request] = field(default_factory=list)
    #: Every issue created, GitHub's and Jira's: {number|key, title|summary, body, labels…}.
    issues: list[dict[str, Any]] = field(default_factory=list)
    #: A careless server: its 401 quotes the Authorization header it got.
    echo_auth: bool = False
    #: A Jira project whose create screen has no Labels field.
    no_labels: bool = False
    #: Jira's search index lags: a new issue is not found until :meth:`index`
    #: (the test calls it when the flow has waited long enough).
    index_lag: bool = False
    _indexed: int = 0
    _script: deque[Reply] = field(default_factory=deque)
    _find_script: deque[Reply] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closing: threading.Event = field(default_factory=threading.Event)
    _released: threading.Event = field(default_factory=threading.Event)
    #: Set when a held create has been taken (the test may kill the client now).
    holding: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> FakeTracker:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_GET(self) -> None:
                fake._handle(self, "GET")

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
        self._released.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def github_env(self, token: str = GITHUB_TOKEN) -> dict[str, str]:
        return {
            "WARROOM_TRACKER_KIND": "github",
            "WARROOM_TRACKER_REPO": REPO,
            "WARROOM_TRACKER_TOKEN": token,
            "WARROOM_TRACKER_API_URL": self.url,
        }

    def jira_env(self, token: str = JIRA_TOKEN) -> dict[str, str]:
        return {
            "WARROOM_TRACKER_KIND": "jira",
            "WARROOM_TRACKER_URL": "https://acme.atlassian.net",
            "WARROOM_TRACKER_PROJECT": PROJECT,
            "WARROOM_TRACKER_USER": JIRA_USER,
            "WARROOM_TRACKER_TOKEN": token,
            "WARROOM_TRACKER_API_URL": self.url,
        }

    def script(self, *replies: Reply) -> None:
        """Answer the next creates with these, in order (then: created)."""
        with self._lock:
            self._script.extend(replies)

    def script_finds(self, *replies: Reply) -> None:
        """Answer the next lookups with these (a status only), in order (then: ok)."""
        with self._lock:
            self._find_script.extend(replies)

    def clear_scripts(self) -> None:
        """Forget the replies not used yet: from now on, everything goes through."""
        with self._lock:
            self._script.clear()
            self._find_script.clear()

    def index(self) -> None:
        """Jira's search index catches up with every issue created so far."""
        with self._lock:
            self._indexed = len(self.issues)

    def release(self) -> None:
        self._released.set()

    def creates(self) -> list[Request]:
        return [r for r in self.requests if r.method == "POST"]

    def finds(self) -> list[Request]:
        return [r for r in self.requests if r.method == "GET"]

    # -- the server side ---------------------------------------------------------

    def _authorized(self, headers: dict[str, str], jira: bool) -> bool:
        auth = headers.get("authorization", "")
        if jira:
            pair = base64.b64encode(f"{JIRA_USER}:{JIRA_TOKEN}".encode()).decode()
            return auth == f"Basic {pair}"
        return auth == f"Bearer {GITHUB_TOKEN}"

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in handler.headers.items()}
        record = Request(method, parts.path, query, headers, body)
        jira = parts.path.startswith("/rest/api/3/")
        github = re.fullmatch(r"/repos/([^/]+)/([^/]+)/issues", parts.path)
        with self._lock:
            self.requests.append(record)
            script = self._script if method == "POST" else self._find_script
            reply = script.popleft() if script else Reply()
        if not jira and not github:
            record.answered = "404"
            return self._send(handler, 404, {"message": "Not Found"})
        if not self._authorized(headers, jira):
            record.answered = "401"
            said = f" ({headers.get('authorization')})" if self.echo_auth else ""
            if jira:
                return self._send(handler, 401, {"errorMessages": [f"Unauthorized{said}"]})
            return self._send(handler, 401, {"message": f"Bad credentials{said}"})
        if reply.status == 429:
            record.answered = "429"
            return self._send(handler, 429, {"message": "slow down"}, reply.retry_after)
        if reply.status >= 400:
            record.answered = str(reply.status)
            return self._send(handler, reply.status, {"message": reply.body or "trouble"})
        if method == "GET":
            record.answered = "ok"
            if jira:
                return self._send(handler, 200, self._jira_search(query))
            listed, more = self._github_list(query)
            link = f'<{self.url}{parts.path}?page={int(query.get("page", "1")) + 1}>; rel="next"'
            return self._send(handler, 200, listed, link=link if more else None)
        if jira and self.no_labels and "labels" in (body or {}).get("fields", {}):
            record.answered = "400"
            return self._send(
                handler,
                400,
                {
                    "errorMessages": [],
                    "errors": {
                        "labels": "Field 'labels' cannot be set. It is not on the"
                        " appropriate screen, or unknown."
                    },
                },
            )
        issue = self._create(body or {}, jira)
        answer = (
            {"id": str(issue["id"]), "key": issue["key"], "self": f"{self.url}/x"}
            if jira
            else {"number": issue["number"], "html_url": issue["html_url"], "body": issue["body"]}
        )
        if reply.drop:
            record.answered = "dropped"
            handler.close_connection = True
            return None
        if reply.hold:
            record.answered = "held"
            self.holding.set()
            self._released.wait(30)
            if self._closing.is_set():
                handler.close_connection = True
                return None
        if reply.slow:
            record.answered = "slow"
            self._closing.wait(reply.slow)
        else:
            record.answered = record.answered if reply.hold else "ok"
        with contextlib.suppress(OSError):
            self._send(handler, 201, answer)
        return None

    def _create(self, body: dict[str, Any], jira: bool) -> dict[str, Any]:
        with self._lock:
            number = len(self.issues) + 1
            if jira:
                fields = body.get("fields", {})
                issue = {
                    "id": 10000 + number,
                    "key": f"{PROJECT}-{number}",
                    "summary": fields.get("summary"),
                    "description": fields.get("description"),
                    "labels": fields.get("labels", []),
                    "issuetype": fields.get("issuetype", {}).get("name"),
                    "project": fields.get("project", {}).get("key"),
                }
            else:
                issue = {
                    "number": number,
                    "html_url": f"https://github.com/{REPO}/issues/{number}",
                    "title": body.get("title"),
                    "body": body.get("body"),
                    # GitHub's own clock, not the test's frozen one.
                    "created_at": _utc_now(),
                    "updated_at": _utc_now(),
                }
            self.issues.append(issue)
            return issue

    def _github_list(self, query: dict[str, str]) -> tuple[list[dict[str, Any]], bool]:
        """Newest first (sort=created, direction=desc, as the client asks)."""
        with self._lock:
            found = [
                i
                for i in reversed(self.issues)
                if "number" in i and i["updated_at"] >= query.get("since", "")
            ]
        per_page = int(query.get("per_page", "30"))
        page = int(query.get("page", "1"))
        return found[(page - 1) * per_page : page * per_page], len(found) > page * per_page

    def add_github_issues(self, count: int, body: str = "someone else's issue") -> None:
        """Issues other people filed (a busy repository)."""
        with self._lock:
            for _ in range(count):
                number = len(self.issues) + 1
                self.issues.append(
                    {
                        "number": number,
                        "html_url": f"https://github.com/{REPO}/issues/{number}",
                        "title": "other",
                        "body": body,
                        "created_at": _utc_now(),
                        "updated_at": _utc_now(),
                    }
                )

    def _jira_search(self, query: dict[str, str]) -> dict[str, Any]:
        jql = query.get("jql", "")
        match = re.search(r'labels = "([^"]+)"', jql)
        label = match.group(1) if match else None
        match = re.search(r'text ~ "([^"]+)"', jql)
        word = match.group(1) if match else None
        with self._lock:
            searchable = self.issues[: self._indexed] if self.index_lag else self.issues
            found = [
                i
                for i in searchable
                if "key" in i
                and (label in i["labels"] or (word and word in json.dumps(i["description"])))
            ]
        return {"issues": [{"id": str(i["id"]), "key": i["key"]} for i in found]}

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        code: int,
        data: Any,
        retry_after: str | None = None,
        link: str | None = None,
    ) -> None:
        raw = json.dumps(data).encode()
        handler.send_response(code)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        if retry_after is not None:
            handler.send_header("Retry-After", retry_after)
        if link is not None:
            handler.send_header("Link", link)
        handler.end_headers()
        handler.wfile.write(raw)
