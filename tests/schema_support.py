"""Taking a database file back to an older schema, to test the upgrade from it."""

from __future__ import annotations

import sqlite3


def undo_schemas_6_and_7(conn: sqlite3.Connection) -> None:
    """Drop what schemas 6 and 7 added (the caller sets ``user_version``), and what
    later ones added (8: alerts_seen; 9: Slack capture; 10: tracker pushes), so the
    upgrade runs them again. (11, the outbox rebuilt with a nullable incident_id,
    runs again as it is: it copies whatever columns the earlier steps have put
    back.)"""
    conn.execute("DROP TABLE IF EXISTS tracker_pushes")  # 10: follow-ups into the tracker
    conn.execute("DROP TABLE IF EXISTS alerts_seen")  # 8: alerts into the timeline
    # 9: Slack into the timeline
    for table in ("slack_seen", "slack_cursor", "slack_users"):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    for table in ("presence", "serve_sessions", "signin_tokens", "people"):  # 7: serve
        conn.execute(f"DROP TABLE {table}")
    conn.execute("ALTER TABLE entries DROP COLUMN data")  # 6: event data, the 429 pause
    conn.execute("ALTER TABLE outbox DROP COLUMN paused_until")
