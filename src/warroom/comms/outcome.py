"""What became of one attempt to deliver a message, whatever the channel.

Slack and SMTP answers are both reduced to these, so the outbox applies one
policy: delivered; wait as told; back off and retry; fail at once; or, when
the message may have arrived and nobody can tell, wait for a person.

Slack has no idempotency key, so what matters after a failure is whether the
request may have reached Slack. A refused connection did not; a 5xx or an
answer that never came may have. :class:`NoAnswer` and ``Transient(...,
maybe_sent=True)`` say so, and the outbox then looks before sending again (bot
token) or waits for a person (webhook: there is nowhere to look).
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
    """Try again later. ``maybe_sent``: the server answered with a failure that
    may still have posted (5xx, Slack's ``fatal_error``); otherwise it surely
    did not (connection refused, DNS, 429-like ``ratelimited``)."""

    reason: str
    maybe_sent: bool = False


@dataclass(frozen=True, slots=True)
class NoAnswer:
    """The request went out and no answer came (a timeout while waiting, the
    connection dropped after sending): it may or may not have arrived."""

    reason: str


@dataclass(frozen=True, slots=True)
class Unsure:
    """It may have arrived and there is no way to tell: it waits, shown as "may
    not have arrived", until a person sends it again on purpose (f4)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Permanent:
    """Refused, and it will keep being refused (``channel_not_found`` …)."""

    error: str


Outcome = Delivered | RetryAfter | Transient | NoAnswer | Unsure | Permanent


def describe(outcome: Outcome) -> str:
    """One short line for a person."""
    match outcome:
        case Delivered():
            return "delivered"
        case RetryAfter(seconds=seconds):
            return f"rate limited, retry after {seconds:g} s"
        case Transient(reason=reason) | NoAnswer(reason=reason) | Unsure(reason=reason):
            return reason
        case Permanent(error=error):
            return error
    return str(outcome)  # pragma: no cover
