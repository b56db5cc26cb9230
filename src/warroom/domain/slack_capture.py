"""Which Slack messages become timeline entries (pure: the answers are given).

A person's message in the incident's thread, and a channel message since the
declaration that carries a 📌 (``pushpin``) reaction. Never warroom's own
posts (a ``bot_id``), never joins, edits' notices or other ``subtype``\\ s,
never the thread's root (warroom's declaration). Each message is known by its
``ts``: the first capture stands; an edit later adds nothing (its ``ts`` is
the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

PIN = "pushpin"
ACK = "white_check_mark"
#: Subtypes a person's message may carry and still be theirs.
_PERSON_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})
#: The longest text kept from one message.
MAX_TEXT = 40_000


@dataclass(frozen=True, slots=True)
class SlackMessage:
    ts: str
    user_id: str
    text: str
    #: "thread" or "pin".
    via: str

    @property
    def at(self) -> str:
        """The message's own time, as warroom stores times."""
        when = datetime.fromtimestamp(float(self.ts), UTC)
        return f"{when.year:04d}-{when:%m-%dT%H:%M:%S}Z"


def _is_ts(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 32:
        return False
    whole, dot, fraction = value.partition(".")
    return whole.isdigit() and (not dot or fraction.isdigit())


def _person(message: Any) -> bool:
    if not isinstance(message, dict) or message.get("bot_id") or message.get("app_id"):
        return False
    if message.get("subtype") not in _PERSON_SUBTYPES:
        return False
    return (
        _is_ts(message.get("ts"))
        and isinstance(message.get("user"), str)
        and isinstance(message.get("text"), str)
        and bool(message["text"].strip())
    )


def pinned(message: dict[str, Any]) -> bool:
    reactions = message.get("reactions")
    if not isinstance(reactions, list):
        return False
    return any(isinstance(r, dict) and r.get("name") == PIN for r in reactions)


def capturable(
    thread: list[Any], history: list[Any], *, root_ts: str | None, since_ts: float
) -> list[SlackMessage]:
    """What to capture from a thread's replies and the channel's history, in
    time order, each ``ts`` once (a 📌 reply in the thread is one message)."""
    found: dict[str, SlackMessage] = {}
    for message in thread:
        if _person(message) and message["ts"] != root_ts:
            found[message["ts"]] = SlackMessage(
                message["ts"], message["user"], message["text"][:MAX_TEXT], "thread"
            )
    for message in history:
        if (
            _person(message)
            and message["ts"] != root_ts
            and message["ts"] not in found
            and float(message["ts"]) >= since_ts
            and pinned(message)
        ):
            found[message["ts"]] = SlackMessage(
                message["ts"], message["user"], message["text"][:MAX_TEXT], "pin"
            )
    return sorted(found.values(), key=lambda m: float(m.ts))
