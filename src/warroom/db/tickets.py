"""Follow-ups sent to the team's tracker (schema 10): the durable intent, the ticket.

The push flow (:mod:`warroom.comms.tracker_push`) commits an intent (a row
with a random marker) before each request, and the ticket once the tracker
names it; these say how. Writers take the ``BEGIN IMMEDIATE`` connection of
:meth:`warroom.db.store.Store.write`; readers take the store.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warroom.db.store import Store


@dataclass(frozen=True, slots=True)
class Pending:
    """An open follow-up with no ticket yet, and its intent if one was recorded."""

    followup_id: int
    text: str
    owner: str
    due: str
    marker: str | None
    tracker: str | None
    intent_at: str | None
    #: A request may have created an issue: look for the marker before creating.
    uncertain: bool
    attempts: int


_PENDING = (
    "SELECT f.id, f.text, f.owner, f.due, p.marker, p.tracker, p.intent_at,"
    " coalesce(p.uncertain, 0), coalesce(p.attempts, 0)"
    " FROM followups f LEFT JOIN tracker_pushes p ON p.followup_id = f.id"
    " WHERE f.incident_id = ? AND f.done = 0 AND p.ticket IS NULL"
)


def pending(store: Store, incident_id: int) -> list[Pending]:
    """The incident's open follow-ups without a ticket, oldest first."""
    rows = store.read_rows(_PENDING + " ORDER BY f.id", (incident_id,))
    return [_pending(row) for row in rows]


def pending_one(tx: sqlite3.Connection, followup_id: int) -> Pending | None:
    """Follow-up ``followup_id`` as it is now, if it still wants a ticket."""
    row = tx.execute(_PENDING.replace("f.incident_id = ?", "f.id = ?"), (followup_id,)).fetchone()
    return None if row is None else _pending(row)


def _pending(row: tuple[object, ...]) -> Pending:
    fid, text, owner, due, marker, tracker, intent_at, uncertain, attempts = row
    return Pending(
        int(str(fid)),
        str(text),
        str(owner),
        str(due),
        None if marker is None else str(marker),
        None if tracker is None else str(tracker),
        None if intent_at is None else str(intent_at),
        bool(uncertain),
        int(str(attempts)),
    )


def is_done(tx: sqlite3.Connection, followup_id: int) -> bool:
    """Follow-up ``followup_id`` is ticked done (or gone): nothing to push."""
    row = tx.execute("SELECT done FROM followups WHERE id = ?", (followup_id,)).fetchone()
    return row is None or bool(row[0])


def ticket_of(tx: sqlite3.Connection, followup_id: int) -> str | None:
    row = tx.execute(
        "SELECT ticket FROM tracker_pushes WHERE followup_id = ?", (followup_id,)
    ).fetchone()
    return None if row is None or row[0] is None else str(row[0])


def count_pending(store: Store, incident_id: int) -> int:
    """How many open follow-ups have no ticket (``/close`` warns about them)."""
    rows = store.read_rows(
        "SELECT count(*) FROM followups f LEFT JOIN tracker_pushes p ON p.followup_id = f.id"
        " WHERE f.incident_id = ? AND f.done = 0 AND p.ticket IS NULL",
        (incident_id,),
    )
    return int(rows[0][0])


def record_intent(
    tx: sqlite3.Connection, followup_id: int, *, marker: str, tracker: str, at: str
) -> None:
    """The intent to create follow-up ``followup_id`` in ``tracker`` under ``marker``.

    An intent for another tracker (the config changed) with no ticket is
    replaced: its marker cannot be looked for where it was sent any more.
    """
    tx.execute(
        "INSERT INTO tracker_pushes (followup_id, marker, tracker, intent_at, uncertain)"
        " VALUES (?, ?, ?, ?, 0)"
        " ON CONFLICT (followup_id) DO UPDATE SET marker = excluded.marker,"
        " tracker = excluded.tracker, intent_at = excluded.intent_at, uncertain = 0,"
        " attempts = 0, last_error = NULL"
        " WHERE tracker_pushes.ticket IS NULL AND tracker_pushes.tracker != excluded.tracker",
        (followup_id, marker, tracker, at),
    )


def claim(tx: sqlite3.Connection, followup_id: int, pid: int, started: str) -> bool:
    """Make this process (``pid``, ``started``) the one pushing ``followup_id``;
    False while another live process holds it. A claim whose process is gone
    (killed mid-request) is taken over."""
    from warroom.db.people import alive

    row = tx.execute(
        "SELECT claim_pid, claim_started FROM tracker_pushes WHERE followup_id = ?",
        (followup_id,),
    ).fetchone()
    if row is None:
        return False
    holder, holder_started = row
    ours = (holder, holder_started) == (pid, started)
    if holder is not None and not ours and alive(int(holder), str(holder_started)):
        return False
    tx.execute(
        "UPDATE tracker_pushes SET claim_pid = ?, claim_started = ? WHERE followup_id = ?",
        (pid, started, followup_id),
    )
    return True


def release(tx: sqlite3.Connection, followup_id: int) -> None:
    tx.execute(
        "UPDATE tracker_pushes SET claim_pid = NULL, claim_started = NULL WHERE followup_id = ?",
        (followup_id,),
    )


def mark_sending(tx: sqlite3.Connection, followup_id: int) -> None:
    """A create request is about to go out: from now on an issue may exist."""
    tx.execute(
        "UPDATE tracker_pushes SET uncertain = 1, attempts = attempts + 1 WHERE followup_id = ?",
        (followup_id,),
    )


def store_ticket(
    tx: sqlite3.Connection, followup_id: int, *, ticket: str, url: str, at: str
) -> None:
    tx.execute(
        "UPDATE tracker_pushes SET ticket = ?, ticket_url = ?, pushed_at = ?, uncertain = 0,"
        " last_error = NULL, claim_pid = NULL, claim_started = NULL WHERE followup_id = ?",
        (ticket, url, at, followup_id),
    )


def record_failure(
    tx: sqlite3.Connection, followup_id: int, *, error: str, uncertain: bool
) -> None:
    """Why the last attempt failed; ``uncertain`` False when the tracker refused
    outright (nothing was created, so the next push need not look first)."""
    tx.execute(
        "UPDATE tracker_pushes SET last_error = ?, uncertain = ? WHERE followup_id = ?",
        (error, int(uncertain), followup_id),
    )
