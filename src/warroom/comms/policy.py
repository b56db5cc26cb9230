"""The delivery policy: what each answer from Slack or SMTP does to a queued message.

Pure decisions over :mod:`warroom.comms.outcome`; the outbox table
(:mod:`warroom.db.outbox`) stores the result.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from warroom.clock import parse_time
from warroom.comms.outcome import (
    Delivered,
    NoAnswer,
    Outcome,
    Permanent,
    RetryAfter,
    Transient,
    Unsure,
)
from warroom.db.outbox import (
    GIVE_UP_AFTER,
    MAX_BACKOFF,
    RATE_LIMITED,
    OutboxMessage,
    mark_delivered,
    mark_failed,
    mark_retry,
    mark_unsure,
)
from warroom.db.store import Store


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after the ``attempts``-th failure: exponential, capped, jittered.

    Jitter (half to full of the delay) keeps two consoles, or many CLI runs,
    from retrying in lock step.
    """
    delay = min(MAX_BACKOFF, 2.0 ** max(0, attempts - 1))
    return delay * (rng or random).uniform(0.5, 1.0)


def record_outcome(
    store: Store,
    message: OutboxMessage,
    owner: str,
    now: datetime,
    outcome: Outcome,
    *,
    rng: random.Random | None = None,
    give_up_after: timedelta = GIVE_UP_AFTER,
    can_look: bool = False,
) -> str:
    """Apply the delivery policy to one answer; returns the message's new status.

    Delivered → ``delivered``. 429 → ``pending`` until Retry-After (and the
    channel pauses). Transient → ``pending`` after a backoff, until ten minutes
    have passed since the first attempt, then ``failed``. Permanent →
    ``failed`` at once with Slack's error word. Unsure → ``unsure``.

    ``can_look`` says whether the sender can look for this message in Slack
    (bot token, channel id known). If it can, an attempt that may have posted
    (:class:`NoAnswer`, ``Transient(maybe_sent=True)``) is retried with
    ``look_first``; if it cannot, no answer at all makes it ``unsure`` (never
    resent by itself), while a 5xx is retried as Slack asks.
    """
    match outcome:
        case Delivered(ts=ts, channel=channel):
            root = (channel, ts) if message.kind == "declare" and ts and channel else None
            mark_delivered(store, message.id, now, remote_id=ts, root=root)
            return "delivered"
        case RetryAfter(seconds=seconds):
            error = f"{RATE_LIMITED} (429), retry after {seconds:g} s"
            until = now + timedelta(seconds=seconds)
            mark_retry(store, message.id, owner, until, error, pause=True)
            return "pending"
        case Unsure(reason=reason):
            mark_unsure(store, message.id, owner, reason)
            return "unsure"
        case NoAnswer(reason=reason) if not can_look:
            mark_unsure(store, message.id, owner, f"may not have arrived: {reason}")
            return "unsure"
        case Transient(reason=reason) | NoAnswer(reason=reason):
            look = can_look and (isinstance(outcome, NoAnswer) or outcome.maybe_sent)
            first = parse_time(message.first_attempt_at) if message.first_attempt_at else now
            deadline = first + give_up_after
            if now >= deadline:
                minutes = give_up_after.total_seconds() / 60
                error = f"gave up after {minutes:g} min: {reason}"
                mark_failed(store, message.id, owner, error, look_first=look)
                return "failed"
            wait = timedelta(seconds=backoff(message.attempts + 1, rng))
            mark_retry(store, message.id, owner, min(now + wait, deadline), reason, look_first=look)
            return "pending"
        case Permanent(error=error):
            mark_failed(store, message.id, owner, error)
            return "failed"
    raise TypeError(f"not an outcome: {outcome!r}")
