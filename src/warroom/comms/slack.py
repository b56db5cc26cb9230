"""Slack messages made safe, and one HTTP client that says what became of each one.

Safety: everything a person typed goes through :func:`escape` (exactly ``&``,
``<`` and ``>``, as Slack asks), so no note can become ``<!channel>``, ``<@U1>``,
``<#C1>`` or a ``<https://…|link>``. Block text is ``verbatim`` (no automatic
linking of names or URLs), ``link_names`` is never sent (the payload models
forbid unknown fields), and unfurling is off. Text is cut to Slack's limits
with a visible mark rather than rejected as ``invalid_payload`` or cut silently.

The client classifies every answer into an :mod:`~warroom.comms.outcome`
(``Delivered``, ``RetryAfter``, ``Transient`` or ``Permanent``), which is all the outbox needs to
decide what happens next. httpx is imported inside the functions that send:
it costs ~190 ms at import, and most commands never post anything.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from warroom.comms.config import CommsConfig, redact
from warroom.comms.outcome import (
    Delivered,
    Outcome,
    Permanent,
    RetryAfter,
    Transient,
    describe,
)
from warroom.comms.templates import _Keep, template_fields
from warroom.textsafe import printable

if TYPE_CHECKING:
    import httpx

    from warroom.models import Incident
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

Method = Literal["webhook", "chat.postMessage", "chat.update"]

__all__ = [
    "Delivered",
    "Outcome",
    "Permanent",
    "RetryAfter",
    "SlackClient",
    "SlackRequest",
    "Transient",
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
    text, escaped. The whole is cut to fit, with a visible mark.
    """
    body = escape(text)
    if kind == "update":
        prefix = f"*{ref} update*\n"
    elif kind in ("severity", "resolve", "reopen"):
        prefix = f"*{ref}* "
    else:  # declare, root, test: the text already names the incident
        prefix = ""
    return truncate(prefix + body)


def render_root(
    incident: Incident, playbook: Playbook, now: datetime, mitigation: str | None
) -> str:
    """The root message as it should read now (plain text: escape before sending).

    The playbook's internal template, filled from the *current* incident, with
    its real next-update deadline, then one status line: severity, stage, status
    and commander. Sent as ``chat.update`` so the channel's top message is always
    the incident's present state.
    """
    fields = template_fields(incident, playbook, now, mitigation)
    if incident.next_update_due:
        fields["next_update"] = incident.next_update_due[11:16] + " UTC"
        fields["next_update_iso"] = incident.next_update_due
    else:
        fields["next_update"] = "none (resolved)"
    text = playbook.templates.internal.format_map(_Keep(fields)).strip("\n")
    status = "RESOLVED" if incident.status == "resolved" else incident.status.upper()
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


class PostMessagePayload(WebhookPayload):
    """``chat.postMessage``: a new message, in a thread when ``thread_ts`` is set."""

    channel: str
    thread_ts: str | None = None


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


def post_request(mrkdwn: str, channel: str, thread_ts: str | None = None) -> SlackRequest:
    text = truncate(mrkdwn)
    payload = PostMessagePayload(
        text=text, blocks=_blocks(text), channel=channel, thread_ts=thread_ts
    )
    return SlackRequest("chat.postMessage", payload.model_dump(exclude_none=True))


def update_request(mrkdwn: str, channel: str, ts: str) -> SlackRequest:
    text = truncate(mrkdwn)
    payload = UpdatePayload(text=text, blocks=_blocks(text), channel=channel, ts=ts)
    return SlackRequest("chat.update", payload.model_dump(exclude_none=True))


def message_request(
    config: CommsConfig, mrkdwn: str, *, thread_ts: str | None = None
) -> SlackRequest:
    """A new message in whichever way Slack is configured."""
    if config.slack_mode == "bot":
        assert config.slack.channel is not None
        return post_request(mrkdwn, config.slack.channel, thread_ts if config.threads else None)
    return webhook_request(mrkdwn)


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
        return Transient(f"HTTP {status}")
    if method == "webhook":
        if status == 200 and body.strip() == "ok":
            return Delivered()
        if 400 <= status < 500 or status == 200:
            # Webhooks answer with a plain-text error word.
            return Permanent(_word(body, config) if body.strip() else f"HTTP {status}")
        return Permanent(f"HTTP {status}")
    if status != 200:
        if status in (408,):
            return Transient(f"HTTP {status}")
        return Permanent(f"HTTP {status}")
    try:
        answer = json.loads(body)
    except ValueError:
        return Transient("unreadable answer from Slack (not JSON)")
    if not isinstance(answer, dict):
        return Transient("unreadable answer from Slack")
    if answer.get("ok") is True:
        ts = answer.get("ts")
        channel = answer.get("channel")
        return Delivered(
            str(ts) if ts is not None else None, str(channel) if channel is not None else None
        )
    error = _word(str(answer.get("error") or "unknown_error"), config)
    if error in TRANSIENT_API_ERRORS:
        return Transient(error)
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

    def _url(self, method: Method) -> str:
        if method == "webhook":
            assert self.config.slack.webhook_url is not None
            return self.config.slack.webhook_url.get_secret_value()
        return f"{self.config.slack.api_url}/{method}"

    def _headers(self, method: Method) -> dict[str, str]:
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
        import httpx

        detail = redact(str(exc), self.config)
        name = type(exc).__name__
        if isinstance(exc, httpx.TimeoutException):
            return Transient(f"timeout ({name})")
        if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
            return Permanent(printable(f"bad Slack URL ({name})", 200))
        if isinstance(exc, httpx.TransportError):
            return Transient(printable(f"connection error ({name}: {detail})", 200))
        return Transient(printable(f"{name}: {detail}", 200))

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
