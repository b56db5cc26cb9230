"""The durable outbox: messages written with the change that caused them, sent later.

Why a table and not a queue in memory: an update must not be lost because the
network was down, the console was closed, or Slack said 429. The row is
written in the *same* transaction as the timeline entry (:func:`enqueue` takes
the caller's transaction), so either both exist or neither does; any console
(or ``warroom declare``) that opens the database later delivers it.

Who sends what: :func:`claim_next` runs in its own ``BEGIN IMMEDIATE`` and
marks one row ``sending`` with an owner and a lease, so two consoles on one
database never both take the same message. A console that dies mid-send
leaves a lease that expires (30 s) and the message is taken again.

Never twice: Slack has no idempotency key, so after any attempt that may have
posted (no answer, a 5xx, a lease that ran out mid-send) the row is marked
``look_first``. With a bot token the next attempt first looks in Slack for the
message's tag (see :mod:`~warroom.comms.slack`); with a webhook there is
nowhere to look, so a request that got no answer becomes ``unsure`` ("may not
have arrived") and waits for a person to send it again on purpose (f4).

Order: per incident and channel, strictly oldest first; a ``failed`` message
does not hold back later ones (it is shown, and a key retries it). Pace: at
most one message per second per channel, measured from the claim times stored
in the rows themselves, so it holds across consoles too; a 429 pauses the
whole channel until its ``Retry-After``.

Times in this table are written by :func:`stamp` (milliseconds, ``Z``) so that
they compare correctly as text in SQL.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from warroom.clock import parse_time
from warroom.db.store import Params, Row, Store

LEASE = timedelta(seconds=30)
GIVE_UP_AFTER = timedelta(minutes=10)
MIN_INTERVAL = 1.0
MAX_BACKOFF = 60.0
RATE_LIMITED = "rate limited"
#: How an "unsure" message's error starts.
UNSURE = "may not have arrived"
#: Kinds of row: the messages, and ``root`` (an edit of the Slack root message).
KINDS = (
    "declare",
    "update",
    "severity",
    "resolve",
    "reopen",
    "root",
    "test",
    "reminder",
    "report",
)
#: Kinds of row that belong to no incident (``incident_id`` NULL, schema 11): a
#: message to the channel itself, never a thread.
CHANNEL_KINDS = ("report",)


def ref_of(incident_id: int | None, kind: str) -> str:
    """``INC-7``, or ``channel`` for a message of no incident (f4 lists it as
    ``channel report (slack): queued``)."""
    return f"INC-{incident_id}" if incident_id is not None else "channel"


CHANNELS = ("slack", "email")

_COLUMNS = (
    "id, incident_id, entry_id, channel, kind, text, subject, status, attempts, created_at,"
    " first_attempt_at, not_before, claimed_by, claimed_until, last_error, delivered_at,"
    " remote_id, look_first"
)
#: Statuses that still wait for something: the worker (pending, sending) or a person.
WAITING = ("pending", "sending", "failed", "unsure")


def stamp(when: datetime) -> str:
    """``2026-11-23T22:00:00.000Z``: one fixed width, so SQL can compare it as text."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    #: None: a channel message of no incident (``report``).
    incident_id: int | None
    entry_id: int | None
    channel: str
    kind: str
    text: str
    subject: str | None
    status: str
    attempts: int
    created_at: str
    first_attempt_at: str | None
    not_before: str | None
    claimed_by: str | None
    claimed_until: str | None
    last_error: str | None
    delivered_at: str | None
    remote_id: str | None
    #: The last attempt may have posted: look in Slack before sending again.
    look_first: int = 0

    @property
    def ref(self) -> str:
        return ref_of(self.incident_id, self.kind)


def enqueue(
    tx: sqlite3.Connection,
    incident_id: int | None,
    entry_id: int | None,
    channel: str,
    kind: str,
    text: str,
    subject: str | None = None,
    *,
    created_at: datetime,
) -> int:
    """Add a message inside the caller's transaction; returns its id.

    A new ``root`` edit (or the declaration, which *is* the root message)
    replaces a still-pending edit of the same incident: an edit is rendered
    from the incident as it is when sent, so the older one would only repeat
    it and use up a second of the channel's pace.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown outbox channel {channel!r}")
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    if (incident_id is None) != (kind in CHANNEL_KINDS):
        raise ValueError(
            f"an outbox {kind!r} message {'needs' if incident_id is None else 'has'} no incident"
        )
    if kind in ("root", "declare"):
        tx.execute(
            "DELETE FROM outbox WHERE incident_id = ? AND channel = ? AND kind = 'root'"
            " AND status = 'pending' AND attempts = 0",
            (incident_id, channel),
        )
    (message_id,) = tx.execute(
        "INSERT INTO outbox (incident_id, entry_id, channel, kind, text, subject, status,"
        " attempts, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?) RETURNING id",
        (incident_id, entry_id, channel, kind, text, subject, stamp(created_at)),
    ).fetchone()
    return int(message_id)


def _message(row: Row) -> OutboxMessage:
    return OutboxMessage(*row)


def get(store: Store, message_id: int) -> OutboxMessage | None:
    rows = store._read(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (message_id,))
    return _message(rows[0]) if rows else None


def messages(store: Store, incident_id: int | None = None) -> list[OutboxMessage]:
    """Every row (of one incident), oldest first: for tests and the console's list."""
    if incident_id is None:
        rows = store._read(f"SELECT {_COLUMNS} FROM outbox ORDER BY id")
    else:
        rows = store._read(
            f"SELECT {_COLUMNS} FROM outbox WHERE incident_id = ? ORDER BY id", (incident_id,)
        )
    return [_message(row) for row in rows]


def claim_next(
    store: Store,
    owner: str,
    now: datetime,
    *,
    channels: tuple[str, ...] = CHANNELS,
    lease: timedelta = LEASE,
    min_interval: float = MIN_INTERVAL,
) -> OutboxMessage | None:
    """Take the next message that may go now, or None.

    Eligible: ``pending`` (or ``sending`` with an expired lease), its
    ``not_before`` passed, the oldest undelivered message of its incident and
    channel, on a channel not used in the last ``min_interval`` seconds and not
    paused by a 429. The row is marked ``sending`` by ``owner`` until
    ``now + lease``, in one ``BEGIN IMMEDIATE`` transaction. A row taken over
    from an expired lease is marked ``look_first``: its sender stopped with the
    request perhaps sent.
    """
    if not channels:
        return None
    now_s = stamp(now)
    # A claim at time T stores claimed_until = T + lease: "claimed within the
    # last min_interval" is "claimed_until > now - min_interval + lease".
    recent = stamp(now + lease - timedelta(seconds=min_interval))
    marks = ",".join("?" * len(channels))
    with store.write() as tx:
        row = tx.execute(
            f"SELECT {_COLUMNS} FROM outbox AS o"
            f" WHERE o.channel IN ({marks})"
            " AND (o.status = 'pending' OR (o.status = 'sending' AND o.claimed_until <= ?))"
            " AND (o.not_before IS NULL OR o.not_before <= ?)"
            " AND NOT EXISTS (SELECT 1 FROM outbox AS p WHERE p.incident_id IS o.incident_id"
            "   AND p.channel = o.channel AND p.status IN ('pending', 'sending') AND p.id < o.id)"
            " AND NOT EXISTS (SELECT 1 FROM outbox AS r WHERE r.channel = o.channel"
            "   AND r.claimed_until > ?)"
            " AND NOT EXISTS (SELECT 1 FROM outbox AS q WHERE q.channel = o.channel"
            "   AND q.status = 'pending' AND q.paused_until > ?)"
            " ORDER BY o.id LIMIT 1",
            (*channels, now_s, now_s, recent, now_s),
        ).fetchone()
        if row is None:
            return None
        message = _message(row)
        until = stamp(now + lease)
        tx.execute(
            "UPDATE outbox SET status = 'sending', claimed_by = ?, claimed_until = ?,"
            " first_attempt_at = COALESCE(first_attempt_at, ?),"
            " look_first = CASE WHEN status = 'sending' THEN 1 ELSE look_first END"
            " WHERE id = ?",
            (owner, until, now_s, message.id),
        )
    return get(store, message.id)


def mark_delivered(
    store: Store,
    message_id: int,
    now: datetime,
    *,
    remote_id: str | None = None,
    root: tuple[str, str] | None = None,
    skipped: bool = False,
) -> None:
    """It went out (or, ``skipped``, there was nothing to do: a root edit without a root).

    ``root`` is the (Slack channel id, ts) of a delivered declaration: stored on
    the incident, in the same transaction, so later posts thread under it. A
    skipped message gives back its claim time, so it costs no second of pace.
    """
    with store.write() as tx:
        row = tx.execute(
            "UPDATE outbox SET status = 'delivered', delivered_at = ?, remote_id = ?,"
            " attempts = attempts + ?, last_error = ?, look_first = 0,"
            " claimed_until = CASE WHEN ? THEN NULL ELSE claimed_until END"
            " WHERE id = ? RETURNING incident_id",
            (
                stamp(now),
                remote_id,
                0 if skipped else 1,
                "skipped: nothing to edit" if skipped else None,
                int(skipped),
                message_id,
            ),
        ).fetchone()
        if row is not None and root is not None:
            tx.execute(
                "UPDATE incidents SET slack_channel = ?, slack_ts = ?"
                " WHERE id = ? AND slack_ts IS NULL",
                (root[0], root[1], row[0]),
            )


def mark_retry(
    store: Store,
    message_id: int,
    owner: str,
    not_before: datetime,
    error: str,
    *,
    look_first: bool = False,
    pause: bool = False,
) -> bool:
    """Back to ``pending``, not before ``not_before``. False if no longer ours.

    ``look_first``: this attempt may have posted; the next one looks first (a
    flag that stays set until the message is found or delivered).
    ``pause``: Slack said 429, so the whole channel waits until ``not_before``
    (``paused_until``), not only this message.
    """
    with store.write() as tx:
        cursor = tx.execute(
            "UPDATE outbox SET status = 'pending', attempts = attempts + 1, not_before = ?,"
            " last_error = ?, look_first = max(look_first, ?), paused_until = ?"
            " WHERE id = ? AND status = 'sending' AND claimed_by = ?",
            (
                stamp(not_before),
                error,
                int(look_first),
                stamp(not_before) if pause else None,
                message_id,
                owner,
            ),
        )
        return cursor.rowcount == 1


def mark_unsure(store: Store, message_id: int, owner: str | None, reason: str) -> bool:
    """``unsure``: it may have arrived and nobody can tell. Never sent again by
    itself; shown as "may not have arrived" until a person resends it (f4)."""
    with store.write() as tx:
        cursor = tx.execute(
            "UPDATE outbox SET status = 'unsure', attempts = attempts + 1, last_error = ?"
            " WHERE id = ? AND status = 'sending' AND (? IS NULL OR claimed_by = ?)",
            (reason, message_id, owner, owner),
        )
        return cursor.rowcount == 1


def mark_failed(
    store: Store, message_id: int, owner: str | None, error: str, *, look_first: bool = False
) -> bool:
    """``failed``: shown in the console until someone retries it. Never dropped."""
    with store.write() as tx:
        cursor = tx.execute(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?,"
            " look_first = max(look_first, ?)"
            " WHERE id = ? AND status = 'sending' AND (? IS NULL OR claimed_by = ?)",
            (error, int(look_first), message_id, owner, owner),
        )
        return cursor.rowcount == 1


def release(store: Store, message_id: int, owner: str) -> None:
    """Give back a claim that was never sent (the console is closing)."""
    with store.write() as tx:
        tx.execute(
            "UPDATE outbox SET status = 'pending', claimed_until = NULL"
            " WHERE id = ? AND status = 'sending' AND claimed_by = ?",
            (message_id, owner),
        )


def retry_failed(store: Store, message_id: int) -> bool:
    """A person asked to try a failed message again: back to ``pending``, fresh budget."""
    with store.write() as tx:
        cursor = tx.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, first_attempt_at = NULL,"
            " not_before = NULL, claimed_by = NULL, last_error = NULL, paused_until = NULL"
            " WHERE id = ? AND status = 'failed'",
            (message_id,),
        )
        return cursor.rowcount == 1


def retry_all_failed(store: Store, incident_id: int | None = None) -> int:
    """:func:`retry_failed` for every failed message (of one incident); how many."""
    with store.write() as tx:
        cursor = tx.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, first_attempt_at = NULL,"
            " not_before = NULL, claimed_by = NULL, last_error = NULL, paused_until = NULL"
            " WHERE status = 'failed' AND (? IS NULL OR incident_id = ?)",
            (incident_id, incident_id),
        )
        return cursor.rowcount


@dataclass(frozen=True, slots=True)
class Waiting:
    """A message not delivered yet, as a person sees it in f4's list."""

    id: int
    incident_id: int | None
    channel: str
    kind: str
    #: pending, sending, failed or unsure
    status: str
    error: str | None
    not_before: str | None

    @property
    def ref(self) -> str:
        return ref_of(self.incident_id, self.kind)

    @property
    def rate_limited(self) -> bool:
        return bool(self.error and self.error.startswith(RATE_LIMITED))

    def describe(self) -> str:
        """``INC-3 update (slack): may not have arrived — no answer in time``."""
        state = {
            "pending": "backing off" if self.error else "queued",
            "sending": "sending",
            "failed": "failed",
            "unsure": "may not have arrived",
        }.get(self.status, self.status)
        error = self.error
        if self.rate_limited:
            state, error = "rate limited by Slack", None
        elif error and self.status == "unsure":
            error = error.removeprefix(UNSURE).lstrip(":; ") or None
        head = f"{self.ref} {self.kind} ({self.channel}): {state}"
        return f"{head} — {error}" if error else head


def waiting(store: Store, incident_id: int | None = None) -> list[Waiting]:
    """Every message still waiting (queued, backing off, sending, failed, unsure), oldest first."""
    marks = ",".join("?" * len(WAITING))
    rows = store._read(
        "SELECT id, incident_id, channel, kind, status, last_error, not_before FROM outbox"
        f" WHERE status IN ({marks}) AND kind != 'root' AND (? IS NULL OR incident_id = ?)"
        " ORDER BY id",
        (*WAITING, incident_id, incident_id),
    )
    return [Waiting(*row) for row in rows]


def retry_now(store: Store, incident_id: int | None = None) -> list[Waiting]:
    """A person asked (f4): everything waiting goes now, and this is what it was.

    Backing off → due now. Failed → pending with a fresh budget. Unsure ("may
    not have arrived") → pending, sent again on purpose. A 429 pause stays:
    Slack asked for it, and asking sooner only earns another. Messages being
    sent right now are left to their sender.
    """
    with store.write() as tx:
        before = waiting(store, incident_id)
        tx.execute(
            "UPDATE outbox SET not_before = NULL"
            " WHERE status = 'pending' AND paused_until IS NULL"
            " AND (? IS NULL OR incident_id = ?)",
            (incident_id, incident_id),
        )
        tx.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, first_attempt_at = NULL,"
            " not_before = NULL, claimed_by = NULL, last_error = NULL, paused_until = NULL,"
            " look_first = CASE WHEN status = 'unsure' THEN 0 ELSE look_first END"
            " WHERE status IN ('failed', 'unsure') AND (? IS NULL OR incident_id = ?)",
            (incident_id, incident_id),
        )
    return before


def next_due(
    store: Store,
    now: datetime,
    *,
    channels: tuple[str, ...] = CHANNELS,
    lease: timedelta = LEASE,
    min_interval: float = MIN_INTERVAL,
) -> float | None:
    """Seconds until a message might become claimable (0: now); None if nothing waits.

    Mirrors :func:`claim_next`: only the head of each incident's queue counts,
    and a channel is held back by its pace and by a 429 pause. An upper bound
    for a sleep, not a promise: another console may take the message first.
    """
    soonest: datetime | None = None
    for channel in channels:
        heads = store._read(
            "SELECT o.status, o.not_before, o.claimed_until FROM outbox AS o"
            " WHERE o.channel = ? AND o.status IN ('pending', 'sending')"
            " AND NOT EXISTS (SELECT 1 FROM outbox AS p WHERE p.incident_id IS o.incident_id"
            "   AND p.channel = o.channel AND p.status IN ('pending', 'sending')"
            "   AND p.id < o.id)",
            (channel,),
        )
        if not heads:
            continue
        earliest = min(
            parse_time(claimed_until)
            if status == "sending" and claimed_until
            else parse_time(not_before)
            if status == "pending" and not_before
            else now
            for status, not_before, claimed_until in heads
        )
        last_claim, paused = store._read(
            "SELECT max(claimed_until),"
            " (SELECT max(paused_until) FROM outbox WHERE channel = ? AND status = 'pending')"
            " FROM outbox WHERE channel = ?",
            (channel, channel),
        )[0]
        if last_claim:
            earliest = max(
                earliest, parse_time(last_claim) - lease + timedelta(seconds=min_interval)
            )
        if paused:
            earliest = max(earliest, parse_time(paused))
        soonest = earliest if soonest is None else min(soonest, earliest)
    if soonest is None:
        return None
    return max(0.0, (soonest - now).total_seconds())


def pending_count(store: Store, incident_id: int | None = None) -> int:
    """Messages not yet delivered nor failed."""
    (count,) = store._read(
        "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
        " AND (? IS NULL OR incident_id = ?)",
        (incident_id, incident_id),
    )[0]
    return int(count)


# -- what the console shows -------------------------------------------------------

State = Literal["off", "delivered", "sending", "retrying", "failed", "unsure", "waiting"]


@dataclass(frozen=True, slots=True)
class FailedMessage:
    """A message that did not go out (failed, or may not have arrived): shown
    until someone retries it."""

    id: int
    incident_id: int | None
    channel: str
    kind: str
    text: str
    error: str
    attempts: int
    created_at: str

    @property
    def ref(self) -> str:
        return ref_of(self.incident_id, self.kind)


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    """The outbox in one glance.

    ``state``: ``off`` (nothing configured, nothing queued), ``delivered``
    (nothing waiting), ``sending`` (waiting, no trouble), ``retrying`` (the next
    try is in ``retry_in`` seconds, after ``last_error``), ``unsure`` (sent
    without an answer: may not have arrived; see ``unsure``), ``failed`` (see
    ``failed``; takes precedence), ``waiting`` (messages wait and this process
    has no settings to send them). ``text`` is one short line for a status bar.
    """

    state: State
    text: str
    waiting: int = 0
    retry_in: float | None = None
    last_error: str | None = None
    failed: tuple[FailedMessage, ...] = ()
    unsure: tuple[FailedMessage, ...] = ()

    @property
    def short(self) -> str:
        """The state in a few words, for a narrow column: the why is in f4's list."""
        if self.state == "failed":
            return "failed (f4)"
        if self.state == "unsure":
            return "unsure (f4)"
        if self.state == "retrying" and self.retry_in is not None:
            return f"retry in {self.retry_in:.0f}s"
        if self.state == "waiting":
            return f"{self.waiting} waiting"
        return self.text

    @property
    def needs_a_person(self) -> bool:
        """Something only f4 sends again: failed, or may not have arrived."""
        return bool(self.failed or self.unsure)


def _stuck(store: Store, status: str, where: str, params: Params) -> tuple[FailedMessage, ...]:
    return tuple(
        FailedMessage(*row)
        for row in store._read(
            "SELECT id, incident_id, channel, kind, text, coalesce(last_error, ''), attempts,"
            f" created_at FROM outbox WHERE status = ?{where} ORDER BY id",
            (status, *params),
        )
    )


def status_summary(
    store: Store, now: datetime, *, enabled: bool = True, incident_id: int | None = None
) -> OutboxStatus:
    """What the console's indicator shows (for one incident, or all).

    ``enabled=False``: this process cannot deliver. Then anything undelivered
    reads "N waiting (not configured here)": a console with the settings
    sends it, and this one must not pretend all is quiet.
    """
    where = "" if incident_id is None else " AND incident_id = ?"
    params: Params = () if incident_id is None else (incident_id,)
    failed = _stuck(store, "failed", where, params)
    unsure = _stuck(store, "unsure", where, params)
    waiting_rows = store._read(
        "SELECT status, not_before, last_error FROM outbox"
        f" WHERE status IN ('pending', 'sending'){where} ORDER BY id",
        params,
    )
    waiting = len(waiting_rows)
    if not enabled:
        total = waiting + len(failed) + len(unsure)
        if not total:
            return OutboxStatus("off", "off")
        text = f"{total} waiting (not configured here)"
        return OutboxStatus("waiting", text, total, None, None, failed, unsure)
    retry_in: float | None = None
    last_error: str | None = None
    for _status, not_before, error in waiting_rows:
        if error and not_before:
            seconds = max(0.0, (parse_time(not_before) - now).total_seconds())
            if retry_in is None or seconds < retry_in:
                retry_in, last_error = seconds, error
    maybe = f"{len(unsure)} may not have arrived" if unsure else ""
    if failed:
        first = failed[0]
        more = f" (+{len(failed) - 1} more)" if len(failed) > 1 else ""
        text = f"{first.channel} failed: {first.error}{more}"
        if maybe:
            text += f"; {maybe}"
        if waiting:
            text += f"; {waiting} waiting"
        return OutboxStatus("failed", text, waiting, retry_in, last_error, failed, unsure)
    if unsure:
        text = f"{maybe} (sent, no answer): check Slack"
        if waiting:
            text += f"; {waiting} waiting"
        return OutboxStatus("unsure", text, waiting, retry_in, last_error, failed, unsure)
    if retry_in is not None:
        text = f"retrying in {retry_in:.0f} s: {last_error}"
        return OutboxStatus("retrying", text, waiting, retry_in, last_error)
    if waiting:
        return OutboxStatus("sending", f"sending {waiting}", waiting)
    return OutboxStatus("delivered", "delivered")
