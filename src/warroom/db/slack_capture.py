"""What Slack capture has taken into an incident (schema 9), in the service's
transaction, and the display-name cache."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warroom.db.store import Store


def seen(tx: sqlite3.Connection, incident_id: int, stamps: list[str]) -> set[str]:
    """Which of the message ``stamps`` (Slack ``ts``) are already captured."""
    if not stamps:
        return set()
    rows = tx.execute("SELECT ts FROM slack_seen WHERE incident_id = ?", (incident_id,)).fetchall()
    return {str(ts) for (ts,) in rows} & set(stamps)


def mark_seen(tx: sqlite3.Connection, incident_id: int, ts: str, seq: int) -> None:
    tx.execute(
        "INSERT INTO slack_seen (incident_id, ts, seq) VALUES (?, ?, ?)", (incident_id, ts, seq)
    )


def set_cursor(tx: sqlite3.Connection, incident_id: int, thread_ts: str) -> None:
    """The newest thread reply seen (only ever moves forward)."""
    tx.execute(
        "INSERT INTO slack_cursor (incident_id, thread_ts) VALUES (?, ?)"
        " ON CONFLICT (incident_id) DO UPDATE SET thread_ts = excluded.thread_ts"
        " WHERE CAST(excluded.thread_ts AS REAL) > CAST(slack_cursor.thread_ts AS REAL)",
        (incident_id, thread_ts),
    )


def cursor(store: Store, incident_id: int) -> str | None:
    rows = store.read_rows(
        "SELECT thread_ts FROM slack_cursor WHERE incident_id = ?", (incident_id,)
    )
    return None if not rows else str(rows[0][0])


def unacked(store: Store, incident_id: int) -> list[str]:
    """Captured messages whose ✅ has not gone out yet."""
    rows = store.read_rows(
        "SELECT ts FROM slack_seen WHERE incident_id = ? AND acked = 0 ORDER BY ts",
        (incident_id,),
    )
    return [str(ts) for (ts,) in rows]


def mark_acked(tx: sqlite3.Connection, incident_id: int, ts: str) -> None:
    tx.execute(
        "UPDATE slack_seen SET acked = 1 WHERE incident_id = ? AND ts = ?", (incident_id, ts)
    )


def names(store: Store, user_ids: list[str]) -> dict[str, str]:
    """The cached display names of ``user_ids``."""
    if not user_ids:
        return {}
    marks = ", ".join("?" for _ in user_ids)
    rows = store.read_rows(
        f"SELECT user_id, name FROM slack_users WHERE user_id IN ({marks})", tuple(user_ids)
    )
    return {str(user_id): str(name) for user_id, name in rows}


def remember_name(tx: sqlite3.Connection, user_id: str, name: str, at: str) -> None:
    tx.execute(
        "INSERT INTO slack_users (user_id, name, fetched_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET name = excluded.name,"
        " fetched_at = excluded.fetched_at",
        (user_id, name, at),
    )
