"""What became of one attempt to deliver a message, whatever the channel.

Slack and SMTP answers are both reduced to these four, so the outbox applies
one policy: delivered; wait as told; back off and retry; or fail at once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Delivered:
    """It was taken. ``ts`` and ``channel`` come from Slack's Web API (not webhooks)."""

    ts: str | None = None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """Rate limited (HTTP 429): the server says how long to wait."""

    seconds: float
    reason: str = "rate limited"


@dataclass(frozen=True, slots=True)
class Transient:
    """Timeout, connection error, 5xx: it may or may not have gone out; retry."""

    reason: str


@dataclass(frozen=True, slots=True)
class Permanent:
    """Refused, and it will keep being refused (``channel_not_found`` …)."""

    error: str


Outcome = Delivered | RetryAfter | Transient | Permanent


def describe(outcome: Outcome) -> str:
    """One short line for a person."""
    match outcome:
        case Delivered():
            return "delivered"
        case RetryAfter(seconds=seconds):
            return f"rate limited, retry after {seconds:g} s"
        case Transient(reason=reason):
            return reason
        case Permanent(error=error):
            return error
    return str(outcome)  # pragma: no cover
