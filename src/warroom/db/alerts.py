"""Which alerts an incident's timeline already holds (``alerts_seen``, schema 8).

Written in the service's transaction, with the entries: a group re-sent a
hundred times adds its entries once, and a crash between the two is impossible.
"""

from __future__ import annotations

import json
import sqlite3


def seen(
    tx: sqlite3.Connection, incident_id: int, keys: list[tuple[str, str, str]]
) -> set[tuple[str, str, str]]:
    """Which of ``keys`` (fingerprint, status, starts_at) are already recorded."""
    if not keys:
        return set()
    rows = tx.execute(
        "SELECT fingerprint, status, starts_at FROM alerts_seen WHERE incident_id = ?",
        (incident_id,),
    ).fetchall()
    return {(str(f), str(s), str(t)) for f, s, t in rows} & set(keys)


def mark_seen(
    tx: sqlite3.Connection, incident_id: int, key: tuple[str, str, str], seq: int
) -> None:
    tx.execute(
        "INSERT INTO alerts_seen (incident_id, fingerprint, status, starts_at, seq)"
        " VALUES (?, ?, ?, ?, ?)",
        (incident_id, *key, seq),
    )


def incident_holding(tx: sqlite3.Connection, fingerprints: list[str]) -> int | None:
    """The newest incident, not closed, that already holds one of these alerts.

    The fingerprints go in as one JSON array, so a group of thousands is one
    parameter, not thousands.
    """
    if not fingerprints:
        return None
    row = tx.execute(
        "SELECT max(s.incident_id) FROM alerts_seen AS s"
        " JOIN incidents AS i ON i.id = s.incident_id"
        " WHERE i.status != 'closed'"
        " AND s.fingerprint IN (SELECT value FROM json_each(?))",
        (json.dumps(fingerprints),),
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])
