"""How a database is brought up to date: migration N takes schema N-1 to N.

Append, never edit: a file made by any earlier warroom runs the missing
steps in order, inside one ``BEGIN IMMEDIATE`` transaction (see
:func:`warroom.db.store._check_and_migrate`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable


def _migrate_to_1(conn: sqlite3.Connection) -> None:
    # Imported here: sqlite-utils is only needed the once a database is created.
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    table = db.table
    table("incidents").create(
        {
            "id": int,
            "title": str,
            "severity": int,
            "status": str,
            "stage": str,
            "impact": str,
            "declared_at": str,
            "resolved_at": str,
            "frozen": int,
            "bridge": str,
            "incident_commander": str,
            "communications_lead": str,
            "scribe": str,
            "next_update_due": str,
            # The highest entry number so far: numbers entries 1, 2, 3 … per
            # incident, so the timeline can address row N without counting.
            "last_seq": int,
        },
        pk="id",
        not_null={"title", "severity", "status", "stage", "declared_at"},
        defaults={"status": "open", "impact": "", "frozen": 0, "last_seq": 0},
    )
    table("engineers").create(
        {"id": int, "incident_id": int, "name": str},
        pk="id",
        not_null={"incident_id", "name"},
        foreign_keys=[("incident_id", "incidents", "id")],
    )
    table("engineers").create_index(["incident_id", "name"], unique=True)
    table("checklist").create(
        {
            "incident_id": int,
            "position": int,
            "label": str,
            "section": str,
            "done_by_action": str,
            "done": int,
            "done_at": str,
            "done_by": str,
        },
        pk=("incident_id", "position"),
        not_null={"label"},
        defaults={"done": 0},
        foreign_keys=[("incident_id", "incidents", "id")],
    )
    table("entries").create(
        {
            "id": int,
            "incident_id": int,
            "seq": int,
            "at": str,
            "occurred_at": str,
            "author": str,
            "kind": str,
            "text": str,
            "struck": int,
            "starred": int,
            "ref": int,
        },
        pk="id",
        not_null={"incident_id", "seq", "at", "author", "kind", "text"},
        defaults={"struck": 0, "starred": 0},
        foreign_keys=[("incident_id", "incidents", "id")],
    )
    table("entries").create_index(["incident_id", "seq"], unique=True)
    table("updates").create(
        {
            "id": int,
            "incident_id": int,
            "at": str,
            "audience": str,
            "text": str,
            "delivery": str,
            "entry_id": int,
        },
        pk="id",
        not_null={"incident_id", "at", "audience", "text", "delivery"},
        foreign_keys=[
            ("incident_id", "incidents", "id"),
            ("entry_id", "entries", "id"),
        ],
    )
    table("updates").create_index(["incident_id"])
    table("followups").create(
        {
            "id": int,
            "incident_id": int,
            "text": str,
            "owner": str,
            "due": str,
            "done": int,
            "entry_id": int,
        },
        pk="id",
        not_null={"incident_id", "text", "owner", "due"},
        defaults={"done": 0},
        foreign_keys=[
            ("incident_id", "incidents", "id"),
            ("entry_id", "entries", "id"),
        ],
    )
    table("followups").create_index(["incident_id"])


def _migrate_to_2(conn: sqlite3.Connection) -> None:
    """Milestones, the review, Slack threading, and the durable outbox."""
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    table = db.table
    incidents = table("incidents")
    for column in (
        # Milestones (UTC, ISO 8601 Z). impact_started_at defaults to declared_at.
        "impact_started_at",
        "detected_at",
        "mitigated_at",
        "closed_at",
        # The post-incident review, written on the review screen.
        "root_cause",
        "contributing_factors",
        "resolution_steps",
        "review_at",
        # The Slack root message (bot token only), so later posts thread under it.
        "slack_channel",
        "slack_ts",
    ):
        incidents.add_column(column, str)
    conn.execute("UPDATE incidents SET impact_started_at = declared_at, detected_at = declared_at")
    table("followups").add_column("done_at", str)
    table("followups").add_column("done_by", str)
    table("updates").add_column("subject", str)
    table("updates").add_column("outbox_id", int)
    table("outbox").create(
        {
            "id": int,
            "incident_id": int,
            "entry_id": int,
            # "slack" or "email"
            "channel": str,
            # declare, update, severity, resolve, reopen, root (edit of the root message), test
            "kind": str,
            # Exactly what the person saw; rendered for the channel when sent.
            "text": str,
            "subject": str,
            # pending → sending → delivered | failed (failed can be retried → pending)
            "status": str,
            "attempts": int,
            "created_at": str,
            "first_attempt_at": str,
            "not_before": str,
            "claimed_by": str,
            "claimed_until": str,
            "last_error": str,
            "delivered_at": str,
            "remote_id": str,
        },
        pk="id",
        not_null={"incident_id", "channel", "kind", "text", "status", "created_at"},
        defaults={"status": "pending", "attempts": 0},
        foreign_keys=[("incident_id", "incidents", "id"), ("entry_id", "entries", "id")],
    )
    table("outbox").create_index(["status", "incident_id", "id"])


def _migrate_to_3(conn: sqlite3.Connection) -> None:
    """Indexes for what the review and the filter read out of a long timeline:
    the entries of a few kinds (role changes, updates, severity), the starred
    ones and the earliest backdated one, without a scan of every entry."""
    conn.execute("CREATE INDEX idx_entries_incident_id_kind ON entries (incident_id, kind, seq)")
    conn.execute("CREATE INDEX idx_entries_starred ON entries (incident_id, seq) WHERE starred")
    conn.execute(
        "CREATE INDEX idx_entries_backdated ON entries (incident_id, occurred_at)"
        " WHERE occurred_at IS NOT NULL"
    )


def _migrate_to_4(conn: sqlite3.Connection) -> None:
    """Settings kept in the database, and the outbox's "look before sending again".

    ``settings`` holds facts about the database that every process must agree
    on: ``database_id`` (random, made here: it tags each Slack message with
    the outbox id *of this database*), ``slack_mode`` (set the first time a
    process with Slack settings queues a message: from then on every process
    queues what announces, whether it can deliver or not), and channel ids
    learned from Slack's answers. Never a token or a webhook URL.

    ``outbox.look_first``: the last attempt may have posted (no answer in time,
    a 5xx, a console that stopped mid-send), so a bot token looks in the
    channel for the message's outbox id before it sends again.
    """
    import secrets  # here only: hashlib and hmac cost every start-up ~3 ms

    conn.execute(
        "CREATE TABLE settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID"
    )
    conn.execute(
        "INSERT INTO settings (key, value) VALUES ('database_id', ?)", (secrets.token_hex(8),)
    )
    conn.execute("ALTER TABLE outbox ADD COLUMN look_first INTEGER NOT NULL DEFAULT 0")


def _migrate_to_5(conn: sqlite3.Connection) -> None:
    """Facts that change during a call, and the review in the order things happened.

    ``idx_entries_happened``: the review's timeline is in the order things
    happened (a backdated ``/at`` entry by its occurred-at time, ties by entry
    number). With this index SQLite reads 100,000 entries in that order
    instead of sorting them (the sort made the export 1.7x a plain read).

    ``updates.mitigation``: the "Current mitigation" line the comms lead sent
    with an internal update (ctrl+u): Slack's root message shows the latest
    one, never whatever was last typed as a decision or an action.

    ``incidents.resolved_from_stage``: the stage an incident was in when
    ``/resolve`` moved it on, so ``/reopen`` can take it back there.
    """
    conn.execute(
        "CREATE INDEX idx_entries_happened ON entries (incident_id, coalesce(occurred_at, at), seq)"
    )
    conn.execute("ALTER TABLE updates ADD COLUMN mitigation TEXT")
    conn.execute("ALTER TABLE incidents ADD COLUMN resolved_from_stage TEXT")


# -- schema 6: event data, and the outbox's pause as a column (issue 10) ---------------
#
# The only place left that reads the timeline's English: what older warroom
# wrote as prose only is read once, here, into the data the figures replay.

_SEV = re.compile(r"SEV-(\d+)$")
_BACKFILL: list[tuple[str, re.Pattern[str], Callable[[re.Match[str]], dict[str, object]]]] = [
    (
        "declared",
        re.compile(r"declared (SEV-(\d+))"),
        lambda m: {"event": "declared", "severity": int(m[2]), "severity_name": m[1]},
    ),
    (
        "severity",
        re.compile(r"severity (raised|lowered): (.*) → (.*?)(?: \(updates every (\d+) min\))?$"),
        lambda m: {
            "event": "severity_changed",
            "verb": m[1],
            "old_name": m[2],
            "new_name": m[3],
            **({"cadence_minutes": int(m[4])} if m[4] else {}),
            **({"old": int(found[1])} if (found := _SEV.search(m[2])) else {}),
            **({"new": int(found[1])} if (found := _SEV.search(m[3])) else {}),
        },
    ),
    (
        "update",
        re.compile(r"update \((internal|client)\): (.*)", re.DOTALL),
        lambda m: {"event": "update_recorded", "audience": m[1], "message": m[2]},
    ),
    (
        "snooze",
        re.compile(r"update deadline pushed (\d+) min to \d\d:\d\dZ: (.*)", re.DOTALL),
        lambda m: {"event": "snoozed", "minutes": int(m[1]), "reason": m[2]},
    ),
    (
        "resolve",
        re.compile(r"resolved: impact is over(?: · stage (.*) → (.*))?$"),
        lambda m: {"event": "resolved", "old_stage": m[1], "new_stage": m[2]},
    ),
    (
        "reopen",
        re.compile(r"reopened: impact is back(?: · stage (.*) → (.*))?$"),
        lambda m: {"event": "reopened", "old_stage": m[1], "new_stage": m[2]},
    ),
    (
        "stage",
        re.compile(r"stage: (.*) → (.*?)( \(mitigated: milestone stamped\))?$"),
        lambda m: {"event": "stage_moved", "old": m[1], "new": m[2], "mitigated": bool(m[3])},
    ),
    (
        "freeze",
        re.compile(r"change freeze (ON|OFF)"),
        lambda m: {"event": "freeze", "on": m[1] == "ON"},
    ),
    ("bridge", re.compile(r"bridge: (.*)", re.DOTALL), lambda m: {"event": "bridge", "url": m[1]}),
    ("star", re.compile(r"★ key event #(\d+)$"), lambda m: {"event": "starred", "seq": int(m[1])}),
    ("undo", re.compile(r"struck #(\d+)$"), lambda m: {"event": "struck", "seq": int(m[1])}),
    ("close", re.compile(r"closed"), lambda m: {"event": "closed"}),
]


def backfill_data(kind: str, text: str) -> str | None:
    """``entries.data`` for an entry written before there was one, read from its text.

    Only what the text says reliably; the rest stays out (the replay treats a
    missing fact as the old code treated a text it could not parse).
    """
    for wanted, pattern, facts in _BACKFILL:
        if kind == wanted and (found := pattern.match(text)):
            data = {**facts(found), "backfilled": True}
            return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return None


def _migrate_to_6(conn: sqlite3.Connection) -> None:
    """Each entry's event data beside its text, and the outbox's 429 pause as a column.

    ``entries.data``: the facts of the change an entry records (JSON, see
    :mod:`warroom.domain.events`), written with the entry; NULL for a
    person's note. The review's figures replay it instead of parsing the
    text. Entries of older databases are backfilled here, once.

    ``outbox.paused_until``: when Slack answered 429, the channel waits until
    then. It used to live only in ``last_error`` ("rate limited …") and be
    found with ``LIKE``.
    """
    conn.execute("ALTER TABLE entries ADD COLUMN data TEXT")
    kinds = [kind for kind, _pattern, _facts in _BACKFILL]
    rows = conn.execute(
        f"SELECT id, kind, text FROM entries WHERE kind IN ({','.join('?' * len(kinds))})",
        kinds,
    ).fetchall()
    conn.executemany(
        "UPDATE entries SET data = ? WHERE id = ?",
        [
            (data, entry_id)
            for entry_id, kind, text in rows
            if (data := backfill_data(kind, text)) is not None
        ],
    )
    conn.execute("ALTER TABLE outbox ADD COLUMN paused_until TEXT")
    conn.execute(
        "UPDATE outbox SET paused_until = not_before"
        " WHERE status = 'pending' AND last_error LIKE 'rate limited%'"
    )


def _migrate_to_7(conn: sqlite3.Connection) -> None:
    """``warroom serve``: the people who may sign in, and who is here right now.

    ``people``: a name that may sign in to ``serve`` (``watch`` 1: may look,
    never write). ``signin_tokens`` and ``serve_sessions`` keep only the
    sha256 of each secret (256 random bits: a fast hash is enough, and lets the
    server find a row by it); removing a person removes both (``ON DELETE
    CASCADE``), which is how a running server learns to end their consoles.

    ``presence``: one row per open console (browser or terminal), written by
    the console itself and removed when it ends. A console killed with
    ``kill -9`` cannot remove its row, so readers keep a row only while its
    process is alive: the same ``pid`` with the same start time (``started``,
    from ``/proc``; a pid reused by another process has another), on this host,
    the only one that may open the file.
    """
    conn.execute(
        "CREATE TABLE people (name TEXT PRIMARY KEY NOT NULL,"
        " watch INTEGER NOT NULL DEFAULT 0, added_at TEXT NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE signin_tokens (token_hash TEXT PRIMARY KEY NOT NULL,"
        " name TEXT NOT NULL REFERENCES people (name) ON DELETE CASCADE,"
        " created_at TEXT NOT NULL, expires_at TEXT NOT NULL, spent_at TEXT)"
    )
    conn.execute("CREATE INDEX idx_signin_tokens_name ON signin_tokens (name)")
    conn.execute(
        "CREATE TABLE serve_sessions (session_hash TEXT PRIMARY KEY NOT NULL,"
        " name TEXT NOT NULL REFERENCES people (name) ON DELETE CASCADE,"
        " created_at TEXT NOT NULL, expires_at TEXT NOT NULL)"
    )
    conn.execute("CREATE INDEX idx_serve_sessions_name ON serve_sessions (name)")
    conn.execute(
        "CREATE TABLE presence (pid INTEGER NOT NULL, started TEXT NOT NULL,"
        " name TEXT NOT NULL, incident_id INTEGER, via TEXT NOT NULL,"
        " watch INTEGER NOT NULL DEFAULT 0, since TEXT NOT NULL,"
        " PRIMARY KEY (pid, started)) WITHOUT ROWID"
    )
    conn.execute("CREATE INDEX idx_presence_incident ON presence (incident_id)")


def _migrate_to_8(conn: sqlite3.Connection) -> None:
    """Alerts into the timeline (``warroom ingest``, ``/hooks/...``): each alert seen.

    An alert group is re-sent as it changes; one row per (incident, fingerprint,
    status, start) says this one is already in the timeline (``seq``: its
    entry), so a re-sent group adds nothing and a resolution adds one entry.
    Written in the transaction of the entries.
    """
    conn.execute(
        "CREATE TABLE alerts_seen (incident_id INTEGER NOT NULL REFERENCES incidents (id),"
        " fingerprint TEXT NOT NULL, status TEXT NOT NULL, starts_at TEXT NOT NULL,"
        " seq INTEGER NOT NULL,"
        " PRIMARY KEY (incident_id, fingerprint, status, starts_at)) WITHOUT ROWID"
    )


def _migrate_to_9(conn: sqlite3.Connection) -> None:
    """Slack into the timeline (``warroom slack sync``, a console's poll).

    ``slack_seen``: each Slack message (by its ``ts``) captured into an
    incident, with its entry, and whether the ✅ acknowledgement went out
    (after the commit; a later pass retries it). ``slack_cursor``: the newest
    thread reply seen, so a pass reads only what is new. Both are written in
    the transaction of the entries: a crash mid-sync neither loses nor doubles
    a message. ``slack_users``: display names by user ID (a cache).
    """
    conn.execute(
        "CREATE TABLE slack_seen (incident_id INTEGER NOT NULL REFERENCES incidents (id),"
        " ts TEXT NOT NULL, seq INTEGER NOT NULL, acked INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (incident_id, ts)) WITHOUT ROWID"
    )
    conn.execute(
        "CREATE TABLE slack_cursor (incident_id INTEGER PRIMARY KEY REFERENCES incidents (id),"
        " thread_ts TEXT NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE slack_users (user_id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL,"
        " fetched_at TEXT NOT NULL)"
    )


def _migrate_to_10(conn: sqlite3.Connection) -> None:
    """Follow-ups into the team's tracker (``warroom followups N --push``, f3).

    ``tracker_pushes``: one row per follow-up sent (or being sent) to a
    tracker. The row and its random ``marker`` are committed BEFORE the
    request goes out (the durable intent); the marker travels in the issue's
    body (and as a Jira label), so when the answer never came (timeout, 5xx,
    a ``kill -9``) the tracker is searched for it before creating again.
    ``tracker`` says which tracker (``github:owner/name``, ``jira:URL#KEY``):
    a marker is looked for only where it was sent. ``ticket`` (the issue's
    URL on GitHub, its key on Jira) and ``ticket_url`` are set once the issue
    is known; ``uncertain`` 1 means a request may have created an issue.
    ``claim_pid``/``claim_started``: the process sending it now (two consoles
    pressing the key together send it once); a claim whose process is gone
    (``kill -9``) is taken over.
    """
    conn.execute(
        "CREATE TABLE tracker_pushes (followup_id INTEGER PRIMARY KEY"
        " REFERENCES followups (id), marker TEXT NOT NULL UNIQUE,"
        " tracker TEXT NOT NULL, intent_at TEXT NOT NULL,"
        " uncertain INTEGER NOT NULL DEFAULT 1, attempts INTEGER NOT NULL DEFAULT 0,"
        " ticket TEXT, ticket_url TEXT, pushed_at TEXT, last_error TEXT,"
        " claim_pid INTEGER, claim_started TEXT)"
    )


def _migrate_to_11(conn: sqlite3.Connection) -> None:
    """Channel messages that belong to no incident (``warroom report --post``).

    ``outbox.incident_id`` becomes nullable: NULL is a message to the configured
    channel itself (never a thread), delivered by the same flow as every other
    row. SQLite cannot drop a NOT NULL in place, so the table is rebuilt as
    sqlite.org's "12 steps" describe (nothing references ``outbox``), with
    every column, row and id kept, and its index made again.
    """
    conn.execute(
        "CREATE TABLE outbox_new ("
        " id INTEGER PRIMARY KEY,"
        " incident_id INTEGER REFERENCES incidents (id),"
        " entry_id INTEGER REFERENCES entries (id),"
        " channel TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, subject TEXT,"
        " status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER DEFAULT 0,"
        " created_at TEXT NOT NULL, first_attempt_at TEXT, not_before TEXT,"
        " claimed_by TEXT, claimed_until TEXT, last_error TEXT, delivered_at TEXT,"
        " remote_id TEXT, look_first INTEGER NOT NULL DEFAULT 0, paused_until TEXT)"
    )
    columns = (
        "id, incident_id, entry_id, channel, kind, text, subject, status, attempts,"
        " created_at, first_attempt_at, not_before, claimed_by, claimed_until, last_error,"
        " delivered_at, remote_id, look_first, paused_until"
    )
    conn.execute(f"INSERT INTO outbox_new ({columns}) SELECT {columns} FROM outbox")
    conn.execute("DROP TABLE outbox")
    conn.execute("ALTER TABLE outbox_new RENAME TO outbox")
    conn.execute(
        'CREATE INDEX "idx_outbox_status_incident_id_id" ON outbox (status, incident_id, id)'
    )


#: Migration N brings a database from schema N-1 to N. Append, never edit.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migrate_to_1,
    _migrate_to_2,
    _migrate_to_3,
    _migrate_to_4,
    _migrate_to_5,
    _migrate_to_6,
    _migrate_to_7,
    _migrate_to_8,
    _migrate_to_9,
    _migrate_to_10,
    _migrate_to_11,
]
SCHEMA_VERSION = len(MIGRATIONS)
