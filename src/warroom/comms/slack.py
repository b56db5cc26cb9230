"""Slack messages made safe, and one HTTP client that says what became of each one.

Safety: everything a person typed goes through :func:`escape` (exactly ``&``,
``<`` and ``>``, as Slack asks), so no note can become ``<!channel>``, ``<@U1>``,
``<#C1>`` or a ``<https://…|link>``. Block text is ``verbatim`` (no automatic
linking of names or URLs), ``link_names`` is never sent (the payload models
forbid unknown fields), and unfurling is off. Text is cut to Slack's limits
with a visible mark rather than rejected as ``invalid_payload`` or cut silently.

Control characters and bidi overrides in user text go as the visible
symbols the console draws (``␛``, ``<U+202E>``): an ESC or a right-to-left
override would otherwise act in every reader's client.

The client classifies every answer into an :mod:`~warroom.comms.outcome`
(``Delivered``, ``RetryAfter``, ``Transient``, ``NoAnswer``, ``Unsure`` or
``Permanent``), which is all the outbox needs to decide what happens next.

Never twice (bot token): each ``chat.postMessage`` carries Slack message
``metadata`` naming its outbox id and the database, and after an attempt
that may have posted, :meth:`SlackClient.find` looks in the channel (or the
thread) for that tag before anything is sent again.

httpx is imported inside the functions that send: it costs ~190 ms at
import, and most commands never post anything.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from warroom.comms.config import CommsConfig, redact
from warroom.comms.outcome import (
    Delivered,
    NoAnswer,
    Outcome,
    Permanent,
    RetryAfter,
    Transient,
    Unsure,
    describe,
)
from warroom.comms.templates import _Keep, template_fields
from warroom.textsafe import printable, printable_lines

if TYPE_CHECKING:
    import httpx

    from warroom.domain.models import Incident
    from warroom.playbook import Playbook

#: Slack's limits (characters; counted here in UTF-16 code units, which is the
#: stricter reading when text holds emoji).
TEXT_LIMIT = 4000
SECTION_LIMIT = 3000
MAX_BLOCKS = 50
#: A margin under the limits, for the prefix warroom adds and for counting doubts.
TEXT_BUDGET = 3900
SECTION_BUDGET = 2900
TRUNCATED_MARK = "… [truncated]"
DEFAULT_TIMEOUT = 10.0
CONTENT_TYPE = "application/json; charset=utf-8"

#: Web API error words that mean "try again later" rather than "this will never work".
TRANSIENT_API_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
#: Of those, the ones after which the message may have been posted all the same.
MAYBE_POSTED_API_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
#: The ``event_type`` of warroom's message metadata.
METADATA_EVENT: Final = "warroom_outbox"
#: How far back (seconds) before the first attempt a lookup reads, for clocks that differ.
LOOKUP_MARGIN = 600
LOOKUP_PAGE = 200
LOOKUP_PAGES = 5
#: A lookup that read every page it may without finding the message nor the end.
TOO_MANY = Unsure("may not have arrived; too many messages in Slack to look through")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")

Method = Literal["webhook", "chat.postMessage", "chat.update"]
LookupMethod = Literal["conversations.history", "conversations.replies"]

__all__ = [
    "Delivered",
    "Lookup",
    "NoAnswer",
    "Outcome",
    "Permanent",
    "RetryAfter",
    "SlackClient",
    "SlackRequest",
    "Transient",
    "Unsure",
    "check",
    "describe",
    "escape",
    "truncate",
]

log = logging.getLogger(__name__)


# -- text ---------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape exactly ``&``, ``<`` and ``>``: Slack's control characters in text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_len(text: str) -> int:
    """Length as Slack may count it: UTF-16 code units (an emoji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, units: int) -> str:
    """The longest prefix of ``text`` within ``units`` UTF-16 units that does not
    end inside an escape such as ``&amp;`` (which would show as ``&am``)."""
    if slack_len(text) <= units:
        return text
    count = 0
    end = 0
    for index, char in enumerate(text):
        count += 2 if ord(char) > 0xFFFF else 1
        if count > units:
            break
        end = index + 1
    head = text[:end]
    amp = head.rfind("&", max(0, end - 5))
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    return head


def truncate(text: str, limit: int = TEXT_BUDGET) -> str:
    """``text`` if it fits in ``limit``; else cut, with a visible "… [truncated]" mark."""
    if slack_len(text) <= limit:
        return text
    return _cut(text, limit - slack_len(TRUNCATED_MARK)) + TRUNCATED_MARK


def split_sections(text: str, limit: int = SECTION_BUDGET) -> list[str]:
    """Split (already escaped and truncated) text into pieces that fit a section,
    at a line break where there is one in the second half of the piece."""
    pieces: list[str] = []
    rest = text
    while slack_len(rest) > limit:
        head = _cut(rest, limit)
        newline = head.rfind("\n")
        if newline > len(head) // 2:
            head = head[: newline + 1]
        if not head:  # cannot happen with a sane limit; never loop forever
            head = rest[:1]
        pieces.append(head)
        rest = rest[len(head) :]
    if rest or not pieces:
        pieces.append(rest)
    return pieces[:MAX_BLOCKS]


def render_mrkdwn(kind: str, text: str, ref: str) -> str:
    """The message for an outbox row: warroom's own prefix plus the escaped text.

    Only the prefix is written by warroom (and holds no ``<``); the rest is user
    text, its control characters made visible, then escaped. The whole is cut
    to fit, with a visible mark.
    """
    if kind == "reminder":
        # warroom's own reminder (UpdateChased): its first line is a Slack user
        # ID from [slack.people] (or empty), the only mention warroom makes.
        from warroom.comms.config import SLACK_USER_ID

        user_id, _, text = text.partition("\n")
        mention = f"<@{user_id}> " if SLACK_USER_ID.fullmatch(user_id) else ""
        return truncate(f"{mention}*{ref}* " + escape(printable_lines(text)))
    body = escape(printable_lines(text))
    if kind == "update":
        prefix = f"*{ref} update*\n"
    elif kind in ("severity", "resolve", "reopen"):
        prefix = f"*{ref}* "
    else:  # declare, root, test: the text already names the incident
        prefix = ""
    return truncate(prefix + body)


#: The alarm a template opens with (``:rotating_light:``): dropped from the root
#: message once the incident is resolved or closed, so the channel's top
#: message no longer sounds it.
_LEADING_EMOJI = re.compile(r"\A\s*:[a-z0-9_+'-]+:\s*")


def _settled_head(incident: Incident) -> str:
    """The first line of the root message of a resolved or closed incident."""
    resolved = f" at {incident.resolved_at[11:16]} UTC" if incident.resolved_at else ""
    if incident.status == "closed":
        return f":lock: CLOSED: {incident.ref} is resolved{resolved} and its record is final"
    return f":white_check_mark: RESOLVED{resolved}: impact is over"


def render_root(
    incident: Incident, playbook: Playbook, now: datetime, mitigation: str | None
) -> str:
    """The root message as it should read now (plain text: escape before sending).

    The playbook's internal template, filled from the *current* incident, with
    its real next-update deadline, then one status line: severity, stage, status
    and commander. Sent as ``chat.update`` so the channel's top message is always
    the incident's present state. Once resolved or closed it opens with that
    (``:white_check_mark: RESOLVED …``, ``:lock: CLOSED …``) instead of the
    template's alarm emoji; reopened, it reads as the template again.

    ``mitigation`` is the "Current mitigation" line of the latest update the
    comms lead sent (:meth:`Store.current_mitigation`), never an unreviewed note.
    """
    fields = template_fields(incident, playbook, now, mitigation)
    if incident.next_update_due:
        fields["next_update"] = incident.next_update_due[11:16] + " UTC"
        fields["next_update_iso"] = incident.next_update_due
    else:
        fields["next_update"] = f"none ({incident.status})"
    text = playbook.templates.internal.format_map(_Keep(fields)).strip("\n")
    if incident.status != "open":
        text = _settled_head(incident) + "\n" + _LEADING_EMOJI.sub("", text, count=1)
    status = incident.status.upper()
    commander = incident.roles.incident_commander or "(unassigned)"
    stage = incident.stage.capitalize()
    line = f"{incident.ref} SEV-{incident.severity} · {status} · stage {stage} · IC {commander}"
    # Then the bridge link, whole, where everyone looks for it (escaped as user text).
    bridge = f"\nBridge: {incident.bridge}" if incident.bridge else ""
    return f"{text}\n{line}{bridge}"


# -- payloads -----------------------------------------------------------------


class _Payload(BaseModel):
    # extra="forbid": nobody can add link_names (or parse="full") by accident.
    model_config = ConfigDict(extra="forbid", frozen=True)


class TextObject(_Payload):
    type: Literal["mrkdwn"] = "mrkdwn"
    text: str
    verbatim: Literal[True] = True


class SectionBlock(_Payload):
    type: Literal["section"] = "section"
    text: TextObject


class WebhookPayload(_Payload):
    """An incoming-webhook post. Webhooks cannot thread or edit."""

    text: str
    blocks: list[SectionBlock]
    unfurl_links: Literal[False] = False
    unfurl_media: Literal[False] = False


class MessageMetadata(_Payload):
    """Slack message metadata: which outbox row of which database this message is."""

    event_type: Literal["warroom_outbox"] = METADATA_EVENT
    event_payload: dict[str, str | int]


class PostMessagePayload(WebhookPayload):
    """``chat.postMessage``: a new message, in a thread when ``thread_ts`` is set."""

    channel: str
    thread_ts: str | None = None
    metadata: MessageMetadata | None = None


class UpdatePayload(_Payload):
    """``chat.update``: rewrite the root message in place."""

    channel: str
    ts: str
    text: str
    blocks: list[SectionBlock]


def _blocks(mrkdwn: str) -> list[SectionBlock]:
    return [SectionBlock(text=TextObject(text=piece)) for piece in split_sections(mrkdwn)]


@dataclass(frozen=True, slots=True)
class SlackRequest:
    """One call to make: which endpoint, and the JSON body."""

    method: Method
    payload: dict[str, Any]


def webhook_request(mrkdwn: str) -> SlackRequest:
    payload = WebhookPayload(text=truncate(mrkdwn), blocks=_blocks(truncate(mrkdwn)))
    return SlackRequest("webhook", payload.model_dump(exclude_none=True))


def metadata_for(outbox_id: int, database_id: str, ref: str, kind: str) -> MessageMetadata:
    """The tag that lets a later lookup recognise this message as outbox row ``outbox_id``."""
    return MessageMetadata(
        event_payload={
            "outbox_id": outbox_id,
            "database": database_id,
            "incident": ref,
            "kind": kind,
        }
    )


def post_request(
    mrkdwn: str,
    channel: str,
    thread_ts: str | None = None,
    metadata: MessageMetadata | None = None,
) -> SlackRequest:
    text = truncate(mrkdwn)
    payload = PostMessagePayload(
        text=text, blocks=_blocks(text), channel=channel, thread_ts=thread_ts, metadata=metadata
    )
    return SlackRequest("chat.postMessage", payload.model_dump(exclude_none=True))


def update_request(mrkdwn: str, channel: str, ts: str) -> SlackRequest:
    text = truncate(mrkdwn)
    payload = UpdatePayload(text=text, blocks=_blocks(text), channel=channel, ts=ts)
    return SlackRequest("chat.update", payload.model_dump(exclude_none=True))


def message_request(
    config: CommsConfig,
    mrkdwn: str,
    *,
    thread_ts: str | None = None,
    metadata: MessageMetadata | None = None,
) -> SlackRequest:
    """A new message in whichever way Slack is configured (webhooks carry no metadata)."""
    if config.slack_mode == "bot":
        assert config.slack.channel is not None
        thread = thread_ts if config.threads else None
        return post_request(mrkdwn, config.slack.channel, thread, metadata)
    return webhook_request(mrkdwn)


# -- looking for a message that may have been posted ------------------------------


def is_channel_id(channel: str) -> bool:
    """``C0123ABC``-like: what conversations.history needs (a ``#name`` will not do)."""
    return bool(_CHANNEL_ID.match(channel))


@dataclass(frozen=True, slots=True)
class Lookup:
    """Where to look for outbox row ``outbox_id`` of database ``database_id``.

    ``thread_ts`` set: in that thread (``conversations.replies``); else in the
    channel (``conversations.history``). ``oldest`` (a Slack ts) bounds the read.
    """

    channel_id: str
    thread_ts: str | None
    oldest: str | None
    outbox_id: int
    database_id: str

    @property
    def method(self) -> LookupMethod:
        return "conversations.replies" if self.thread_ts else "conversations.history"

    def params(self, cursor: str | None = None) -> dict[str, str]:
        params = {
            "channel": self.channel_id,
            "include_all_metadata": "true",
            "limit": str(LOOKUP_PAGE),
        }
        if self.thread_ts:
            params["ts"] = self.thread_ts
        if self.oldest:
            params["oldest"] = self.oldest
        if cursor:
            params["cursor"] = cursor
        return params

    def match(self, message: Any) -> bool:
        if not isinstance(message, dict):
            return False
        metadata = message.get("metadata")
        if not isinstance(metadata, dict) or metadata.get("event_type") != METADATA_EVENT:
            return False
        payload = metadata.get("event_payload")
        return (
            isinstance(payload, dict)
            and str(payload.get("outbox_id")) == str(self.outbox_id)
            and payload.get("database") == self.database_id
        )


def read_lookup_page(
    lookup: Lookup, status: int, headers: dict[str, str], body: str, config: CommsConfig
) -> tuple[Outcome | None, str | None]:
    """One page of a lookup: (an outcome, or None for "not on this page"; the next cursor).

    Found → ``Delivered`` with the message's ts (and the channel id, so a root
    found this way still threads what follows). Slack refusing to let us look
    (``missing_scope``, ``channel_not_found`` …) → ``Unsure``: the message may
    be there and nothing may be sent until a person decides.
    """
    if status == 429:
        return RetryAfter(_retry_after(headers.get("retry-after"))), None
    if status >= 500 or status == 408:
        return Transient(f"looking for it: HTTP {status}"), None
    try:
        answer = json.loads(body) if status == 200 else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return Transient(f"looking for it: unreadable answer (HTTP {status})"), None
    if answer.get("ok") is not True:
        error = _word(str(answer.get("error") or "unknown_error"), config)
        if error in TRANSIENT_API_ERRORS:
            return Transient(f"looking for it: {error}"), None
        return Unsure(f"may not have arrived; cannot look in Slack ({error})"), None
    for message in answer.get("messages") or []:
        if lookup.match(message):
            ts = message.get("ts")
            return Delivered(str(ts) if ts else None, lookup.channel_id), None
    meta = answer.get("response_metadata")
    cursor = meta.get("next_cursor") if isinstance(meta, dict) else None
    return None, (str(cursor) if cursor and answer.get("has_more", True) else None)


# -- answers --------------------------------------------------------------------


def _retry_after(value: str | None) -> float:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date); 1 if unreadable."""
    if not value:
        return 1.0
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
            seconds = (when - datetime.now(when.tzinfo)).total_seconds()
        except (TypeError, ValueError):
            seconds = 1.0
    return min(max(seconds, 1.0), 3600.0)


def _word(text: str, config: CommsConfig) -> str:
    """Slack's error word, cleaned for one line: first line, short, no secrets."""
    first = (text.strip().splitlines() or [""])[0]
    return printable(redact(first, config), 120) or "empty answer"


def classify(
    method: Method, status: int, headers: dict[str, str], body: str, config: CommsConfig
) -> Outcome:
    """What an HTTP answer from Slack means for the message that caused it."""
    if status == 429:
        return RetryAfter(_retry_after(headers.get("retry-after")))
    if status >= 500:
        return Transient(f"HTTP {status}", maybe_sent=True)
    if method == "webhook":
        if status == 200 and body.strip() == "ok":
            return Delivered()
        if 400 <= status < 500 or status == 200:
            # Webhooks answer with a plain-text error word.
            return Permanent(_word(body, config) if body.strip() else f"HTTP {status}")
        return Permanent(f"HTTP {status}")
    if status != 200:
        if status in (408,):
            return Transient(f"HTTP {status}", maybe_sent=True)
        return Permanent(f"HTTP {status}")
    try:
        answer = json.loads(body)
    except ValueError:
        return Transient("unreadable answer from Slack (not JSON)", maybe_sent=True)
    if not isinstance(answer, dict):
        return Transient("unreadable answer from Slack", maybe_sent=True)
    if answer.get("ok") is True:
        ts = answer.get("ts")
        channel = answer.get("channel")
        return Delivered(
            str(ts) if ts is not None else None, str(channel) if channel is not None else None
        )
    error = _word(str(answer.get("error") or "unknown_error"), config)
    if error in TRANSIENT_API_ERRORS:
        return Transient(error, maybe_sent=error in MAYBE_POSTED_API_ERRORS)
    return Permanent(error)


# -- the client ---------------------------------------------------------------


def _quiet_httpx() -> None:
    """httpx logs every request URL at INFO: a webhook URL is a secret."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


class SlackClient:
    """Sends :class:`SlackRequest`\\ s (sync for the CLI, async for the console).

    ``timeout`` bounds each request (connect, read, write); tests make it short
    so a stalled server costs a second, not ten. ``transport`` is for tests.
    """

    def __init__(
        self, config: CommsConfig, *, timeout: float = DEFAULT_TIMEOUT, transport: Any = None
    ) -> None:
        if not config.slack_enabled:
            raise ValueError("Slack is not configured")
        self.config = config
        self.timeout = timeout
        self._transport = transport
        self._sync: httpx.Client | None = None
        self._async: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"SlackClient(mode={self.config.slack_mode!r})"

    def _url(self, method: Method | LookupMethod) -> str:
        if method == "webhook":
            assert self.config.slack.webhook_url is not None
            return self.config.slack.webhook_url.get_secret_value()
        return f"{self.config.slack.api_url}/{method}"

    def _headers(self, method: Method | LookupMethod) -> dict[str, str]:
        headers = {"Content-Type": CONTENT_TYPE, "User-Agent": "warroom"}
        if method != "webhook":
            assert self.config.slack.bot_token is not None
            headers["Authorization"] = f"Bearer {self.config.slack.bot_token.get_secret_value()}"
        return headers

    def _post(self, request: SlackRequest) -> dict[str, Any]:
        """The same request for the sync and the async client."""
        return {
            "url": self._url(request.method),
            "content": self._body(request),
            "headers": self._headers(request.method),
        }

    @staticmethod
    def _body(request: SlackRequest) -> bytes:
        return json.dumps(request.payload, ensure_ascii=False).encode("utf-8")

    def _error(self, exc: Exception) -> Outcome:
        """What a failed request means: never sent (connect, pool), or sent and
        unanswered (read/write timeout, dropped connection): :class:`NoAnswer`."""
        import httpx

        detail = redact(str(exc), self.config)
        name = type(exc).__name__
        if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
            return Transient(f"timeout ({name})")
        if isinstance(exc, httpx.TimeoutException):
            return NoAnswer(f"no answer in time ({name})")
        if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
            return Permanent(printable(f"bad Slack URL ({name})", 200))
        if isinstance(exc, httpx.ConnectError):
            return Transient(printable(f"connection error ({name}: {detail})", 200))
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)):
            return NoAnswer(printable(f"connection dropped, no answer ({name})", 200))
        if isinstance(exc, httpx.TransportError):
            return Transient(printable(f"connection error ({name}: {detail})", 200))
        return Transient(printable(f"{name}: {detail}", 200))

    def _lookup_outcome(self, exc: Exception) -> Outcome:
        """A lookup is a read: whatever went wrong, trying it again is safe."""
        outcome = self._error(exc)
        if isinstance(outcome, Permanent):
            return Unsure(f"may not have arrived; cannot look in Slack ({outcome.error})")
        return Transient(f"looking for it: {describe(outcome)}")

    def _lookup_get(self, lookup: Lookup, cursor: str | None) -> dict[str, Any]:
        return {
            "url": self._url(lookup.method),
            "params": lookup.params(cursor),
            "headers": self._headers(lookup.method),
        }

    def _lookup_page(
        self, lookup: Lookup, response: httpx.Response
    ) -> tuple[Outcome | None, str | None]:
        try:
            body = response.text
        except Exception:
            body = ""
        headers = {k.lower(): v for k, v in response.headers.items()}
        return read_lookup_page(lookup, response.status_code, headers, body, self.config)

    def find(self, lookup: Lookup) -> Outcome | None:
        """Look for the message ``lookup`` names: ``Delivered`` if it is there,
        None if it surely is not, or why we cannot tell yet."""
        import httpx

        _quiet_httpx()
        if self._sync is None:
            self._sync = httpx.Client(timeout=self.timeout, transport=self._transport)
        cursor: str | None = None
        for _page in range(LOOKUP_PAGES):
            try:
                response = self._sync.get(**self._lookup_get(lookup, cursor))
            except Exception as exc:
                return self._lookup_outcome(exc)
            outcome, cursor = self._lookup_page(lookup, response)
            if outcome is not None or cursor is None:
                return outcome
        return TOO_MANY

    async def find_async(self, lookup: Lookup) -> Outcome | None:
        """The same as :meth:`find`, without blocking the event loop."""
        self.prepare_async()
        assert self._async is not None
        cursor: str | None = None
        for _page in range(LOOKUP_PAGES):
            try:
                response = await self._async.get(**self._lookup_get(lookup, cursor))
            except Exception as exc:
                return self._lookup_outcome(exc)
            outcome, cursor = self._lookup_page(lookup, response)
            if outcome is not None or cursor is None:
                return outcome
        return TOO_MANY

    def _outcome(self, method: Method, response: httpx.Response) -> Outcome:
        try:
            body = response.text
        except Exception:  # a body that does not decode is still an answer
            body = ""
        headers = {k.lower(): v for k, v in response.headers.items()}
        return classify(method, response.status_code, headers, body, self.config)

    def send(self, request: SlackRequest) -> Outcome:
        """Send one request and wait (at most ``timeout``) for the answer."""
        import httpx

        _quiet_httpx()
        if self._sync is None:
            self._sync = httpx.Client(timeout=self.timeout, transport=self._transport)
        try:
            response = self._sync.post(**self._post(request))
        except Exception as exc:
            return self._error(exc)
        return self._outcome(request.method, response)

    def prepare_async(self) -> None:
        """Build the async client now: it loads an SSL context and CA bundle (tens
        of ms), so the console calls this on a thread, not on its event loop."""
        import httpx

        _quiet_httpx()
        if self._async is None:
            self._async = httpx.AsyncClient(timeout=self.timeout, transport=self._transport)

    async def send_async(self, request: SlackRequest) -> Outcome:
        """The same as :meth:`send`, without blocking the event loop."""
        self.prepare_async()
        try:
            assert self._async is not None  # prepare_async made it
            response = await self._async.post(**self._post(request))
        except Exception as exc:
            return self._error(exc)
        return self._outcome(request.method, response)

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aclose(self) -> None:
        self.close()
        if self._async is not None:
            await self._async.aclose()
            self._async = None


def check(config: CommsConfig, *, timeout: float = DEFAULT_TIMEOUT) -> tuple[bool, str]:
    """Send a test message; (ok, one line) for ``warroom slack check``."""
    if not config.slack_enabled:
        return False, "slack: not configured"
    client = SlackClient(config, timeout=timeout)
    try:
        text = escape("warroom: test message (warroom slack check). Nothing to do.")
        outcome = client.send(message_request(config, text))
    finally:
        client.close()
    mode = "webhook" if config.slack_mode == "webhook" else "bot token"
    if isinstance(outcome, Delivered):
        where = f", channel {outcome.channel}" if outcome.channel else ""
        return True, f"slack: ok ({mode}{where})"
    return False, redact(f"slack: failed: {describe(outcome)}", config)
