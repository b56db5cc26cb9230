"""Incident state and timeline entries, written inside the service's transaction.

Every function takes the open ``BEGIN IMMEDIATE`` connection that
:meth:`warroom.db.store.Store.write` yields: the service decides what
changes and in what order; these say how it is stored. The reads used
outside a transaction live on :class:`~warroom.db.store.Store`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from warroom.db.store import ENTRY_COLUMNS, entry_from_row
from warroom.domain.models import Entry

#: The incidents columns the service may set by name (never built from input).
SETTABLE = frozenset(
    {
        "title",
        "severity",
        "status",
        "stage",
        "impact",
        "resolved_at",
        "frozen",
        "bridge",
        "incident_commander",
        "communications_lead",
        "scribe",
        "next_update_due",
        "impact_started_at",
        "detected_at",
        "mitigated_at",
        "closed_at",
        "root_cause",
        "contributing_factors",
        "resolution_steps",
        "review_at",
        "resolved_from_stage",
    }
)


def insert_incident(
    tx: sqlite3.Connection,
    *,
    title: str,
    severity: int,
    stage: str,
    impact: str,
    declared_at: str,
    commander: str | None,
    next_update_due: str,
    checklist: Iterable[tuple[str, str | None, str | None]],
) -> int:
    """A new open incident and its checklist (label, section, done-by action); its id."""
    (incident_id,) = tx.execute(
        "INSERT INTO incidents (title, severity, status, stage, impact,"
        " declared_at, frozen, incident_commander, next_update_due, last_seq,"
        " impact_started_at, detected_at)"
        " VALUES (?, ?, 'open', ?, ?, ?, 0, ?, ?, 0, ?, ?) RETURNING id",
        (
            title,
            severity,
            stage,
            impact,
            declared_at,
            commander,
            next_update_due,
            declared_at,  # impact started: the declaration, until corrected
            declared_at,  # detected
        ),
    ).fetchone()
    tx.executemany(
        "INSERT INTO checklist (incident_id, position, label, section,"
        " done_by_action) VALUES (?, ?, ?, ?, ?)",
        [
            (incident_id, n, label, section, action)
            for n, (label, section, action) in enumerate(checklist, start=1)
        ],
    )
    return int(incident_id)


def set_columns(tx: sqlite3.Connection, incident_id: int, **values: object) -> None:
    """``UPDATE incidents SET column = value, ...`` for columns in :data:`SETTABLE`."""
    unknown = set(values) - SETTABLE
    if unknown:
        raise ValueError(f"not an incidents column the service sets: {sorted(unknown)}")
    assignments = ", ".join(f"{column} = ?" for column in values)
    tx.execute(f"UPDATE incidents SET {assignments} WHERE id = ?", (*values.values(), incident_id))


def stamp_mitigated(tx: sqlite3.Connection, incident_id: int, when: str) -> None:
    """Set ``mitigated_at`` unless it is set already."""
    tx.execute(
        "UPDATE incidents SET mitigated_at = COALESCE(mitigated_at, ?) WHERE id = ?",
        (when, incident_id),
    )


def resolved_from_stage(tx: sqlite3.Connection, incident_id: int) -> str | None:
    (stage,) = tx.execute(
        "SELECT resolved_from_stage FROM incidents WHERE id = ?", (incident_id,)
    ).fetchone()
    return stage if stage is None else str(stage)


def append_entry(
    tx: sqlite3.Connection,
    incident_id: int,
    *,
    at: str,
    author: str,
    kind: str,
    text: str,
    data: str | None,
    ref: int | None = None,
    occurred_at: str | None = None,
) -> Entry:
    """The next timeline entry (numbered per incident), with its event data."""
    (seq,) = tx.execute(
        "UPDATE incidents SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq",
        (incident_id,),
    ).fetchone()
    row = tx.execute(
        "INSERT INTO entries (incident_id, seq, at, occurred_at, author, kind, text, ref, data)"
        f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {ENTRY_COLUMNS}",
        (incident_id, seq, at, occurred_at, author, kind, text, ref, data),
    ).fetchone()
    return entry_from_row(row)


def append_notes(
    tx: sqlite3.Connection,
    incident_id: int,
    *,
    at: str,
    author: str,
    kind: str,
    texts: Sequence[str],
) -> range:
    """Several plain entries at once (no event data): their numbers."""
    (last,) = tx.execute(
        "UPDATE incidents SET last_seq = last_seq + ? WHERE id = ? RETURNING last_seq",
        (len(texts), incident_id),
    ).fetchone()
    first = last - len(texts) + 1
    tx.executemany(
        "INSERT INTO entries (incident_id, seq, at, author, kind, text) VALUES (?, ?, ?, ?, ?, ?)",
        ((incident_id, seq, at, author, kind, text) for seq, text in enumerate(texts, start=first)),
    )
    return range(first, last + 1)


def unticked_items(tx: sqlite3.Connection, incident_id: int, action: str) -> list[tuple[int, str]]:
    """(position, label) of the unticked checklist items that ``action`` completes."""
    rows = tx.execute(
        "SELECT position, label FROM checklist WHERE incident_id = ?"
        " AND done_by_action = ? AND done = 0 ORDER BY position",
        (incident_id, action),
    ).fetchall()
    return [(int(position), str(label)) for position, label in rows]


def set_check(
    tx: sqlite3.Connection,
    incident_id: int,
    position: int,
    *,
    done: bool,
    at: str | None,
    by: str | None,
) -> None:
    tx.execute(
        "UPDATE checklist SET done = ?, done_at = ?, done_by = ?"
        " WHERE incident_id = ? AND position = ?",
        (int(done), at, by, incident_id, position),
    )


def roles_filled(tx: sqlite3.Connection, incident_id: int) -> bool:
    """Every named role and at least one response engineer."""
    row = tx.execute(
        "SELECT incident_commander IS NOT NULL AND communications_lead IS NOT NULL"
        " AND scribe IS NOT NULL AND EXISTS"
        " (SELECT 1 FROM engineers WHERE incident_id = incidents.id)"
        " FROM incidents WHERE id = ?",
        (incident_id,),
    ).fetchone()
    return bool(row and row[0])


def add_engineer(tx: sqlite3.Connection, incident_id: int, name: str) -> None:
    tx.execute("INSERT INTO engineers (incident_id, name) VALUES (?, ?)", (incident_id, name))


def remove_engineer(tx: sqlite3.Connection, incident_id: int, name: str) -> None:
    tx.execute("DELETE FROM engineers WHERE incident_id = ? AND name = ?", (incident_id, name))


def last_own_entry(
    tx: sqlite3.Connection, incident_id: int, author: str, kinds: Sequence[str]
) -> int | None:
    """The number of ``author``'s newest entry of ``kinds`` that is not struck."""
    row = tx.execute(
        "SELECT seq FROM entries WHERE incident_id = ? AND author = ?"
        f" AND struck = 0 AND kind IN ({','.join('?' * len(kinds))})"
        " ORDER BY seq DESC LIMIT 1",
        (incident_id, author, *kinds),
    ).fetchone()
    return None if row is None else int(row[0])


def strike(tx: sqlite3.Connection, incident_id: int, seq: int) -> None:
    tx.execute(
        "UPDATE entries SET struck = 1 WHERE incident_id = ? AND seq = ?", (incident_id, seq)
    )


def star(tx: sqlite3.Connection, incident_id: int, seq: int) -> None:
    tx.execute(
        "UPDATE entries SET starred = 1 WHERE incident_id = ? AND seq = ?", (incident_id, seq)
    )


def insert_update(
    tx: sqlite3.Connection,
    incident_id: int,
    *,
    at: str,
    audience: str,
    text: str,
    entry_id: int,
    subject: str | None,
    mitigation: str | None,
) -> None:
    """A stakeholder update; its outbox row (if any) is linked by :func:`link_update`."""
    tx.execute(
        "INSERT INTO updates (incident_id, at, audience, text, delivery, entry_id,"
        " subject, outbox_id, mitigation) VALUES (?, ?, ?, ?, 'recorded', ?, ?, NULL, ?)",
        (incident_id, at, audience, text, entry_id, subject, mitigation),
    )


def link_update(tx: sqlite3.Connection, entry_id: int, outbox_id: int) -> None:
    """The outbox message that delivers the update recorded by entry ``entry_id``."""
    tx.execute("UPDATE updates SET outbox_id = ? WHERE entry_id = ?", (outbox_id, entry_id))


def insert_followup(
    tx: sqlite3.Connection, incident_id: int, *, text: str, owner: str, due: str, entry_id: int
) -> None:
    tx.execute(
        "INSERT INTO followups (incident_id, text, owner, due, entry_id) VALUES (?, ?, ?, ?, ?)",
        (incident_id, text, owner, due, entry_id),
    )


def followup(
    tx: sqlite3.Connection, incident_id: int, followup_id: int
) -> tuple[str, str, bool, int | None] | None:
    """(text, owner, done, entry number that added it) of one follow-up."""
    row = tx.execute(
        "SELECT f.text, f.owner, f.done, e.seq FROM followups f"
        " LEFT JOIN entries e ON e.id = f.entry_id"
        " WHERE f.id = ? AND f.incident_id = ?",
        (followup_id, incident_id),
    ).fetchone()
    if row is None:
        return None
    text, owner, done, seq = row
    return str(text), str(owner), bool(done), seq


def set_followup_done(
    tx: sqlite3.Connection, followup_id: int, *, done: bool, at: str | None, by: str | None
) -> None:
    tx.execute(
        "UPDATE followups SET done = ?, done_at = ?, done_by = ? WHERE id = ?",
        (int(done), at, by, followup_id),
    )


def slack_mode(tx: sqlite3.Connection, mode: str | None) -> str | None:
    """Remember ``mode`` as the database's Slack mode (if given); the mode it has."""
    if mode is not None:
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ('slack_mode', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            " WHERE value != excluded.value",
            (mode,),
        )
        return mode
    row = tx.execute("SELECT value FROM settings WHERE key = 'slack_mode'").fetchone()
    return None if row is None else str(row[0])


def chased(tx: sqlite3.Connection, incident_id: int, due: str) -> bool:
    """Whether the update deadline ``due`` already had its reminder."""
    row = tx.execute(
        "SELECT 1 FROM entries WHERE incident_id = ? AND kind = 'reminder'"
        " AND json_extract(data, '$.due') = ? LIMIT 1",
        (incident_id, due),
    ).fetchone()
    return row is not None
