"""Slack into the timeline: one capture pass (``warroom slack sync INCIDENT``).

With a bot token (``channels:history``, ``reactions:write``, ``users:read``),
a pass reads the incident's thread (replies newer than the cursor) and the
channel's history since the declaration (a 📌 may be added to an old message
at any time), keeps what :func:`warroom.domain.slack_capture.capturable`
keeps, looks up display names it has not cached, and hands everything to
:meth:`warroom.service.Service.capture_slack`: entries, cursor and names in one
transaction. Only after the commit does it add the ✅ acknowledgements; one
that fails is retried by the next pass. A webhook cannot read: capture is off
(``slack check`` says so).
"""

from __future__ import annotations

import json
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from warroom.clock import parse_time
from warroom.db import slack_capture as slack_repo
from warroom.domain.slack_capture import ACK, capturable
from warroom.errors import WarroomError

if TYPE_CHECKING:
    import httpx

    from warroom.comms.config import CommsConfig
    from warroom.db.store import Store
    from warroom.domain.models import Entry
    from warroom.domain.slack_capture import SlackMessage

#: Pages of 200 messages, at most this many a pass (a Tier 3 method: ~50 calls a minute).
MAX_PAGES = 10
PAGE = 200

CAPTURE_OFF_WEBHOOK = (
    "Slack capture is off: an incoming webhook cannot read the channel;"
    " set WARROOM_SLACK_BOT_TOKEN and WARROOM_SLACK_CHANNEL to capture the thread and 📌 messages"
)


class Service(Protocol):
    """What a pass needs of :class:`warroom.service.Service` (a layer above comms)."""

    store: Store

    def capture_slack(
        self,
        incident_id: int,
        messages: Sequence[SlackMessage],
        *,
        names: dict[str, str],
        new_names: dict[str, str],
        thread_cursor: str | None,
    ) -> list[Entry]: ...

    def slack_acked(self, incident_id: int, ts: str) -> None: ...


@dataclass(frozen=True, slots=True)
class PassResult:
    captured: int
    acked: int
    calls: int


@dataclass(frozen=True, slots=True)
class Call:
    """One Slack Web API call the flow needs: GET a read, or POST a write."""

    verb: str  # GET | POST
    method: str
    params: dict[str, str]


#: The capture flow: yields calls, receives each call's JSON answer (a dict),
#: returns what the pass did.
Flow = Generator[Call, dict[str, Any], PassResult]


def check_answer(status: int, headers: Any, body: bytes, method: str) -> dict[str, Any]:
    """Slack's answer as a dict, or one line saying what went wrong."""
    if status == 429:
        wait = str(headers.get("Retry-After", "a few"))[:10]
        raise WarroomError(f"Slack is rate limiting {method}: try again in {wait} s")
    if status >= 400:
        raise WarroomError(f"Slack answered HTTP {status} to {method}")
    try:
        answer = json.loads(body)
    except ValueError:
        raise WarroomError(f"Slack's answer to {method} is not JSON") from None
    if not isinstance(answer, dict):
        raise WarroomError(f"Slack's answer to {method} is not an object")
    return answer


def _refused(answer: dict[str, Any], method: str) -> None:
    if not answer.get("ok"):
        error = str(answer.get("error") or "unknown_error")[:60]
        raise WarroomError(f"Slack refused {method}: {error}")


def _pages(method: str, params: dict[str, str]) -> Generator[Call, dict[str, Any], list[Any]]:
    messages: list[Any] = []
    cursor = ""
    for _ in range(MAX_PAGES):
        page = yield Call("GET", method, {**params, "limit": str(PAGE), "cursor": cursor})
        _refused(page, method)
        found = page.get("messages")
        if isinstance(found, list):
            messages += found
        meta = page.get("response_metadata")
        cursor = str(meta.get("next_cursor") or "") if isinstance(meta, dict) else ""
        if not page.get("has_more") or not cursor:
            break
    return messages


def _display_name(answer: dict[str, Any], user_id: str) -> str:
    user = answer.get("user")
    if not answer.get("ok") or not isinstance(user, dict):
        return user_id
    profile = user.get("profile")
    if not isinstance(profile, dict):
        profile = {}
    for value in (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())[:64]
    return user_id


def capture_flow(service: Service, config: CommsConfig, incident_id: int) -> Flow:
    """One capture pass, written once for both drivers (see the module docstring).

    Database work runs between the yields, in the driver's thread: short
    transactions, never one held across a network wait.
    """
    if config.slack_mode != "bot":
        raise WarroomError(CAPTURE_OFF_WEBHOOK if config.slack_mode else "Slack is not configured")
    store = service.store
    incident = store.incident(incident_id)
    if incident is None:
        raise WarroomError(f"no such incident: INC-{incident_id}")
    channel, root_ts = store.slack_root(incident_id)
    if not channel or not root_ts:
        raise WarroomError(
            f"{incident.ref} has no Slack thread yet: its declaration has not been posted"
        )
    since = parse_time(incident.declared_at).timestamp()
    calls = 0
    cursor = slack_repo.cursor(store, incident_id)
    replies = yield from _pages(
        "conversations.replies", {"channel": channel, "ts": root_ts, "oldest": cursor or "0"}
    )
    history = yield from _pages(
        "conversations.history", {"channel": channel, "oldest": f"{since:.6f}"}
    )
    calls += 2
    messages = capturable(replies, history, root_ts=root_ts, since_ts=since)
    user_ids = sorted({m.user_id for m in messages})
    names = slack_repo.names(store, user_ids)
    new_names = {}
    for user_id in user_ids:
        if user_id not in names:
            answer = yield Call("GET", "users.info", {"user": user_id})
            calls += 1
            new_names[user_id] = _display_name(answer, user_id)
    newest = max(
        (m["ts"] for m in replies if isinstance(m, dict) and isinstance(m.get("ts"), str)),
        key=float,
        default=None,
    )
    entries = service.capture_slack(
        incident_id,
        messages,
        names={**names, **new_names},
        new_names=new_names,
        thread_cursor=newest,
    )
    acked = 0
    for ts in slack_repo.unacked(store, incident_id):
        answer = yield Call(
            "POST", "reactions.add", {"channel": channel, "timestamp": ts, "name": ACK}
        )
        calls += 1
        if answer.get("ok") or answer.get("error") == "already_reacted":
            service.slack_acked(incident_id, ts)
            acked += 1
    return PassResult(len(entries), acked, calls)


def _request(config: CommsConfig, call: Call) -> dict[str, Any]:
    """The httpx request arguments of ``call`` (the same for both drivers)."""
    assert config.slack.bot_token is not None
    headers = {
        "Authorization": f"Bearer {config.slack.bot_token.get_secret_value()}",
        "User-Agent": "warroom",
    }
    url = f"{config.slack.api_url}/{call.method}"
    if call.verb == "GET":
        return {"method": "GET", "url": url, "params": call.params, "headers": headers}
    headers["Content-Type"] = "application/json; charset=utf-8"
    return {"method": "POST", "url": url, "content": json.dumps(call.params), "headers": headers}


def _drive(flow: Flow, answer_of: Any) -> PassResult:
    """Run ``flow`` with ``answer_of(call) -> dict`` (raises WarroomError)."""
    try:
        call = next(flow)
        while True:
            call = flow.send(answer_of(call))
    except StopIteration as done:
        result: PassResult = done.value
        return result


def sync_once(
    service: Service, config: CommsConfig, incident_id: int, *, timeout: float = 10.0
) -> PassResult:
    """The command line's driver: one pass, blocking calls."""
    import httpx

    flow = capture_flow(service, config, incident_id)
    with httpx.Client(timeout=timeout) as client:

        def answer_of(call: Call) -> dict[str, Any]:
            try:
                response = client.request(**_request(config, call))
            except httpx.HTTPError as exc:
                raise WarroomError(f"cannot reach Slack ({type(exc).__name__})") from None
            return check_answer(
                response.status_code, response.headers, response.content, call.method
            )

        return _drive(flow, answer_of)


async def capture_async(
    service: Service, config: CommsConfig, incident_id: int, client: httpx.AsyncClient
) -> PassResult:
    """The console's driver (the delivery worker): the same flow, its network
    waits awaited, so the event loop never waits on Slack."""
    import httpx

    flow = capture_flow(service, config, incident_id)
    try:
        call = next(flow)
        while True:
            try:
                response = await client.request(**_request(config, call))
            except httpx.HTTPError as exc:
                raise WarroomError(f"cannot reach Slack ({type(exc).__name__})") from None
            answer = check_answer(
                response.status_code, response.headers, response.content, call.method
            )
            call = flow.send(answer)
    except StopIteration as done:
        result: PassResult = done.value
        return result
