"""The team's tracker: GitHub issues or Jira Cloud, for follow-ups (``followups --push``).

Two calls per tracker: **create** an issue, and **find** the issue that carries
a marker (after an answer that never came: a timeout, a dropped connection, a
5xx, a ``kill -9``). The push flow (:mod:`warroom.comms.tracker_push`) decides
when each is made; this module only speaks the APIs, and sorts every failure
into one of three outcomes:

- :class:`Refused`: the tracker said no (400/401/403/404/410/422): nothing was
  created; trying again would fail the same way.
- :class:`Later`: 429 (or GitHub's 403 with ``x-ratelimit-remaining: 0``),
  or the tracker could not be reached: nothing was created; try again later.
- :class:`Unsure`: no answer, or a 5xx: an issue may exist now.

How each is found again (checked against the real APIs):

- GitHub: ``POST /repos/{owner}/{repo}/issues`` (title, body) answers 201 with
  ``html_url``. To find, ``GET /repos/{owner}/{repo}/issues?state=all`` (newest
  first) is read and the bodies compared, not ``/search/issues``: GitHub's search
  index lags behind a fresh issue (it is eventually consistent), and a lookup
  that misses creates the duplicate it was there to prevent.
- Jira Cloud: ``POST /rest/api/3/issue`` (project key, summary, an Atlassian
  Document Format description, issue type, and the marker as a label) answers
  201 with ``key``. To find, ``GET /rest/api/3/search/jql`` with ``labels =
  "<marker>" OR text ~ "<its hex word>"`` (the older ``/rest/api/3/search`` is
  removed: 410). A label is matched exactly; the text search covers a project
  whose create screen has no Labels field (the create is then sent without).
  Jira's search index, like GitHub's, may lag a new issue by a moment.

Text goes to the tracker literally. GitHub renders Markdown, so the follow-up's
text sits in a fenced code block (a fence longer than any run of backticks in
it) and the owner, title and marker in code spans: ``@someone`` pings nobody,
``<img>`` or ``**`` render as typed. Jira's description is ADF, whose text
nodes are never parsed. Titles and summaries are plain one-line text.

The token travels only in the Authorization header; every message leaving
here goes through :func:`warroom.comms.config.redact`.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from warroom.clock import format_time, parse_time
from warroom.comms.config import CommsConfig, redact
from warroom.textsafe import printable, printable_lines

if TYPE_CHECKING:
    import httpx

#: GitHub: an issue title may be up to 256 characters; Jira's summary 255.
MAX_TITLE = 250
#: The follow-up's text in the issue at most (GitHub's body takes 65,536
#: characters, Jira's description 32,767); past it, cut with a visible mark.
MAX_ISSUE_TEXT = 30_000
TRUNCATED = "\n… [cut here: the whole text is in warroom's record]"
#: How many pages of recent issues GitHub's lookup reads (100 a page).
MAX_LOOKUP_PAGES = 10
#: GitHub's lookup reads back to the intent, minus this (clock skew).
LOOKUP_SLACK = timedelta(days=1)
#: Seconds a Jira lookup waits after an unanswered create (see JiraTracker.settle).
JIRA_SETTLE = 15.0
#: A whole request (connect, send, every read) may take this many ``timeout``s.
REQUEST_DEADLINE = 3
#: An answer is read up to this size (a page of 100 issues with long bodies fits).
MAX_ANSWER_BYTES = 32 * 1024 * 1024


class _TooLarge(Exception):
    """An answer past :data:`MAX_ANSWER_BYTES`."""


class TrackerProblem(Exception):
    """A request that did not give an issue; ``str()`` is one line, no secret."""


class Refused(TrackerProblem):
    """The tracker said no: nothing was created. ``everything``: the refusal is
    about the token or the repository/project (401, 403, 404), so every other
    follow-up would be refused the same way."""

    def __init__(self, message: str, *, everything: bool = False, status: int = 0) -> None:
        super().__init__(message)
        self.everything = everything
        self.status = status


class Later(TrackerProblem):
    """Not now (429, rate limit, tracker unreachable): nothing was created;
    ``retry_after`` seconds, if the tracker said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unsure(TrackerProblem):
    """No answer, or a server error: an issue may have been created."""


@dataclass(frozen=True, slots=True)
class Ticket:
    """The issue as warroom stores it: GitHub's URL, or Jira's key, and its web page."""

    ticket: str
    url: str


@dataclass(frozen=True, slots=True)
class NewIssue:
    """What a follow-up becomes in the tracker (built by :func:`new_issue`)."""

    title: str
    text: str
    owner: str
    due: str
    incident_ref: str
    incident_title: str
    review: str
    marker: str


class TrackerClient(Protocol):
    """What the push flow needs from a tracker (a fake in the flow's tests)."""

    where: str
    #: Seconds a new issue may take to show in :meth:`find` (a search index).
    settle: float

    async def create(self, issue: NewIssue) -> Ticket: ...

    async def find(self, marker: str, since: str) -> Ticket | None: ...

    async def aclose(self) -> None: ...


def one_line(text: str, limit: int = MAX_TITLE) -> str:
    """A title: the text on one line (controls and newlines become spaces), cut."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def new_issue(
    *,
    text: str,
    owner: str,
    due: str,
    incident_ref: str,
    incident_title: str,
    marker: str,
    review_url: str = "",
) -> NewIssue:
    """The issue for a follow-up. Control characters and bidi overrides travel as
    the visible marks the console shows (``␛``, ``<U+202E>``), as they do to
    Slack; line breaks and everything else as typed."""
    return NewIssue(
        title=one_line(printable(f"[{incident_ref}] {text}")),
        text=_capped(printable_lines(text)),
        owner=printable(owner),
        due=due,
        incident_ref=incident_ref,
        incident_title=printable(incident_title),
        review=review_url or f"warroom export {incident_ref} --format md",
        marker=marker,
    )


def _capped(text: str) -> str:
    if len(text) <= MAX_ISSUE_TEXT:
        return text
    return text[: MAX_ISSUE_TEXT - len(TRUNCATED)] + TRUNCATED


# -- GitHub Markdown, kept literal ---------------------------------------------

_BACKTICKS = re.compile(r"`+")


def md_code_span(text: str) -> str:
    """``text`` as an inline code span GitHub shows as typed (one line)."""
    flat = one_line(text, 1000) or " "
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or longest else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def md_block(text: str) -> str:
    """``text`` as a fenced code block: nothing in it is Markdown, HTML or a mention."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


_PLAIN_URL = re.compile(r"https?://[^\s<>`]+")


def _md_link_or_code(text: str) -> str:
    """A plain http(s) URL as an autolink (the way back to the review is
    clicked); anything else, such as the export command, as code."""
    return f"<{text}>" if _PLAIN_URL.fullmatch(text) else md_code_span(text)


def github_body(issue: NewIssue) -> str:
    return "\n".join(
        [
            f"Follow-up action from incident {md_code_span(issue.incident_ref)}"
            f" {md_code_span(issue.incident_title)}, recorded in warroom.",
            "",
            md_block(issue.text),
            "",
            f"- **Owner:** {md_code_span(issue.owner)}",
            f"- **Due:** {md_code_span(issue.due)}",
            f"- **Incident:** {md_code_span(issue.incident_ref)}",
            f"- **Review:** {_md_link_or_code(issue.review)}",
            "",
            f"<sub>warroom marker: {md_code_span(issue.marker)}</sub>",
        ]
    )


def jira_description(issue: NewIssue) -> dict[str, Any]:
    """Atlassian Document Format: text nodes are never parsed (no wiki markup)."""

    def para(*parts: tuple[str, bool]) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        for text, strong in parts:
            if not text:
                continue
            node: dict[str, Any] = {"type": "text", "text": text}
            if strong:
                node["marks"] = [{"type": "strong"}]
            content.append(node)
        return {"type": "paragraph", "content": content}

    return {
        "type": "doc",
        "version": 1,
        "content": [
            para(
                ("Follow-up action from incident ", False),
                (f"{issue.incident_ref} {one_line(issue.incident_title, 500)}", False),
                (", recorded in warroom.", False),
            ),
            {"type": "codeBlock", "content": [{"type": "text", "text": issue.text or " "}]},
            para(("Owner: ", True), (one_line(issue.owner, 200) or "-", False)),
            para(("Due: ", True), (issue.due, False)),
            _review_para(issue.review),
            para(("warroom marker: ", False), (issue.marker, False)),
        ],
    }


def _review_para(review: str) -> dict[str, Any]:
    """The review line; a plain http(s) URL becomes a link (ADF's link mark)."""
    node: dict[str, Any] = {"type": "text", "text": review}
    if _PLAIN_URL.fullmatch(review):
        node["marks"] = [{"type": "link", "attrs": {"href": review}}]
    strong = {"type": "text", "text": "Review: ", "marks": [{"type": "strong"}]}
    return {"type": "paragraph", "content": [strong, node]}


# -- payloads ------------------------------------------------------------------


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GithubIssueIn(_Payload):
    title: str
    body: str


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


#: What a tracker may name as the ticket: it is stored, exported and shown, so
#: a web address (GitHub) or an issue key (Jira), nothing else.
_TICKET_URL = re.compile(r"https?://[\x21-\x7e]{1,2000}")
_JIRA_ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,254}-[0-9]{1,18}")


class GithubIssueOut(_Answer):
    number: int
    html_url: str
    body: str | None = None
    created_at: str | None = None
    pull_request: dict[str, Any] | None = None

    @field_validator("html_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        if not _TICKET_URL.fullmatch(value):
            raise ValueError("not an http(s) address")
        return value


_AnswerT = TypeVar("_AnswerT", bound=_Answer)


class JiraKey(_Payload):
    key: str


class JiraIssueType(_Payload):
    name: str


class JiraFields(_Payload):
    project: JiraKey
    summary: str
    description: dict[str, Any]
    issuetype: JiraIssueType
    labels: list[str]


class JiraIssueIn(_Payload):
    fields: JiraFields


class JiraCreated(_Answer):
    key: str

    @field_validator("key")
    @classmethod
    def _issue_key(cls, value: str) -> str:
        if not _JIRA_ISSUE_KEY.fullmatch(value):
            raise ValueError("not a Jira issue key")
        return value


class JiraSearch(_Answer):
    issues: list[JiraCreated] = []


# -- the HTTP part -------------------------------------------------------------


def _quiet_httpx() -> None:
    """httpx logs every request at INFO; keep our requests out of any log."""
    import logging

    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


_PLAIN = re.compile(r"[^\x20-\x7e]")


class _Http:
    """One httpx.AsyncClient, and what its failures mean."""

    name = "tracker"
    #: GitHub's issue list is read from its database: a new issue is there at once.
    settle = 0.0

    def __init__(self, config: CommsConfig, *, transport: Any = None) -> None:
        import httpx

        _quiet_httpx()
        self.config = config
        self.settings = config.tracker
        self.where = self.settings.where
        self._client = httpx.AsyncClient(
            base_url=self.settings.base_url,
            timeout=self.settings.timeout,
            transport=transport,
            headers=self._headers(),
            follow_redirects=False,
        )

    def _headers(self) -> dict[str, str]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(where={self.where!r})"

    async def aclose(self) -> None:
        await self._client.aclose()

    def _say(self, text: str) -> str:
        return printable(redact(text, self.config), 200)

    async def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """The response of a 2xx; anything else raised as Refused/Later/Unsure."""
        import httpx

        try:
            # httpx's timeout bounds each read, not the whole answer: a server
            # that drips a byte a second would hold the push (and its claim)
            # for ever. The whole request gets a deadline, and the answer a size.
            response = await asyncio.wait_for(
                self._fetch(method, url, **kwargs), self.settings.timeout * REQUEST_DEADLINE
            )
        except TimeoutError:
            raise Unsure(self._say(f"{self.name} did not finish answering in time")) from None
        except _TooLarge:
            raise Unsure(self._say(f"{self.name} answered more than we read")) from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Never reached the tracker: nothing was created, but try again later.
            raise Later(self._say(f"{self.name} unreachable ({type(exc).__name__})")) from None
        except httpx.TimeoutException as exc:
            raise Unsure(
                self._say(f"{self.name} did not answer in time ({type(exc).__name__})")
            ) from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise Refused(self._say(f"bad {self.name} URL ({type(exc).__name__})")) from None
        except httpx.HTTPError as exc:
            raise Unsure(
                self._say(f"{self.name} connection dropped, no answer ({type(exc).__name__})")
            ) from None
        status = response.status_code
        if 200 <= status < 300:
            return response
        detail = self._detail(response)
        if status == 429 or (
            # GitHub's primary limit (remaining 0) and its secondary one (a 403
            # with Retry-After): not now, rather than "the token may not do this".
            status == 403
            and (
                response.headers.get("x-ratelimit-remaining") == "0"
                or "retry-after" in response.headers
            )
        ):
            raise Later(
                self._say(f"{self.name} rate limit (HTTP {status})"),
                _retry_after(response.headers.get("retry-after")),
            )
        if status >= 500 or status == 408:
            raise Unsure(self._say(f"{self.name} answered HTTP {status}{detail}"))
        hint = {
            401: ": the token was not accepted",
            403: ": the token may not do this",
            404: ": no such repository or project (or the token cannot see it)",
        }.get(status, "")
        raise Refused(
            self._say(f"{self.name} refused it: HTTP {status}{hint}{detail}"),
            everything=status in (401, 403, 404, 410),
            status=status,
        )

    async def _fetch(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """The response, its body read whole, at most :data:`MAX_ANSWER_BYTES`."""
        import httpx

        request = self._client.build_request(method, url, **kwargs)
        response = await self._client.send(request, stream=True)
        try:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise _TooLarge
                chunks.append(chunk)
        finally:
            await response.aclose()
        # The body is decoded already: it no longer has the encoding or length it came with.
        gone = ("content-encoding", "content-length")
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in gone]
        return httpx.Response(
            response.status_code, headers=headers, content=b"".join(chunks), request=request
        )

    @staticmethod
    def _detail(response: httpx.Response) -> str:
        """The tracker's own words, short (GitHub ``message``, Jira ``errors``)."""
        try:
            data = response.json()
        except ValueError:
            return ""
        if not isinstance(data, dict):
            return ""
        words: list[str] = []
        if isinstance(data.get("message"), str):
            words.append(data["message"])
        for message in data.get("errorMessages") or []:
            words.append(str(message))
        errors = data.get("errors")
        if isinstance(errors, dict):
            words += [f"{k}: {v}" for k, v in errors.items()]
        elif isinstance(errors, list):
            words += [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]
        said = "; ".join(words)
        return f" ({said[:160]})" if said else ""

    def _parse(self, model: type[_AnswerT], data: Any) -> _AnswerT:
        try:
            return model.model_validate(data)
        except ValidationError:
            raise Unsure(f"{self.name} answered something unexpected") from None


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class GithubTracker(_Http):
    name = "GitHub"

    def _headers(self) -> dict[str, str]:
        assert self.settings.token is not None
        return {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "warroom",
            "Authorization": f"Bearer {self.settings.token.get_secret_value()}",
        }

    @property
    def _repo(self) -> str:
        return f"/repos/{self.settings.repo}/issues"

    async def create(self, issue: NewIssue) -> Ticket:
        payload = GithubIssueIn(title=issue.title, body=github_body(issue))
        response = await self._request("POST", self._repo, json=payload.model_dump())
        made = self._parse(GithubIssueOut, _json(response))
        return Ticket(made.html_url, made.html_url)

    async def find(self, marker: str, since: str) -> Ticket | None:
        """The oldest issue whose body holds ``marker``: the repository's issues,
        newest first, back to a day before ``since`` (the intent; a day covers any
        clock skew between here and GitHub), at most :data:`MAX_LOOKUP_PAGES` pages."""
        oldest = format_time(parse_time(since) - LOOKUP_SLACK)
        found: list[GithubIssueOut] = []
        for page in range(1, MAX_LOOKUP_PAGES + 1):
            response = await self._request(
                "GET",
                self._repo,
                params={
                    "state": "all",
                    "sort": "created",
                    "direction": "desc",
                    "per_page": "100",
                    "page": str(page),
                },
            )
            data = _json(response)
            if not isinstance(data, list):
                raise Unsure(f"{self.name} answered something unexpected")
            issues = [self._parse(GithubIssueOut, item) for item in data]
            found += [i for i in issues if i.pull_request is None and marker in (i.body or "")]
            if len(issues) < 100 or 'rel="next"' not in response.headers.get("link", ""):
                break
            if min((i.created_at or oldest) for i in issues) < oldest:
                break
        if not found:
            return None
        first = min(found, key=lambda i: i.number)
        return Ticket(first.html_url, first.html_url)


class JiraTracker(_Http):
    name = "Jira"
    #: Jira's search is an index that trails a new issue ("near real-time"): a
    #: lookup sooner than this after an unanswered create may miss the issue
    #: it made, and a second one would be created.
    settle = JIRA_SETTLE

    def _headers(self) -> dict[str, str]:
        import base64

        assert self.settings.token is not None and self.settings.user is not None
        pair = f"{self.settings.user}:{self.settings.token.get_secret_value()}".encode()
        return {
            "Accept": "application/json",
            "User-Agent": "warroom",
            "Authorization": f"Basic {base64.b64encode(pair).decode('ascii')}",
        }

    def _browse(self, key: str) -> str:
        return f"{self.settings.url}/browse/{key}"

    async def create(self, issue: NewIssue) -> Ticket:
        """The issue, with the marker as a label; a project whose create screen
        has no Labels field answers 400 naming ``labels``: then without it (the
        marker is in the description too, and :meth:`find` looks there as well)."""
        try:
            return await self._create(issue, labels=[issue.marker])
        except Refused as exc:
            if exc.status != 400 or "labels" not in str(exc):
                raise
        return await self._create(issue, labels=[])

    async def _create(self, issue: NewIssue, *, labels: list[str]) -> Ticket:
        assert self.settings.project is not None
        payload = JiraIssueIn(
            fields=JiraFields(
                project=JiraKey(key=self.settings.project),
                summary=issue.title,
                description=jira_description(issue),
                issuetype=JiraIssueType(name=self.settings.issue_type),
                labels=labels,
            )
        )
        body = payload.model_dump(exclude={"fields": {"labels"}} if not labels else None)
        response = await self._request("POST", "/rest/api/3/issue", json=body)
        made = self._parse(JiraCreated, _json(response))
        return Ticket(made.key, self._browse(made.key))

    async def find(self, marker: str, since: str) -> Ticket | None:
        del since  # the marker is unique: no need to narrow by time
        # The label matches exactly; the text search finds it in the description
        # where the label could not be set (its 32 hex digits are one word).
        word = marker.removeprefix("warroom-fu-")
        jql = (
            f'project = "{self.settings.project}"'
            f' AND (labels = "{marker}" OR text ~ "{word}") ORDER BY created ASC'
        )
        response = await self._request(
            "GET",
            "/rest/api/3/search/jql",
            params={"jql": jql, "fields": "key,created", "maxResults": "10"},
        )
        found = self._parse(JiraSearch, _json(response))
        if not found.issues:
            return None
        key = found.issues[0].key
        return Ticket(key, self._browse(key))


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise Unsure("the tracker answered something that is not JSON") from None


def tracker_client(config: CommsConfig, *, transport: Any = None) -> TrackerClient:
    """The client for the configured tracker (``config.tracker_enabled`` must hold)."""
    if not config.tracker_enabled:
        raise ValueError("no tracker is configured")
    if config.tracker.kind == "github":
        return GithubTracker(config, transport=transport)
    return JiraTracker(config, transport=transport)
