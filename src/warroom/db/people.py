"""Every SQL statement of ``warroom serve``: people, sign-in tokens, sessions, presence.

People and their secrets live in the incident database itself (schema 7, see
:func:`warroom.db.migrations._migrate_to_7`), so the one file stays the whole record and
``users remove`` in any shell is seen by a running server within a second.

Only the sha256 of a sign-in token or a session id is stored. Each is 32 bytes
from :mod:`secrets` (256 bits): a slow password hash exists to make guessing a
*low-entropy* password expensive, and nobody enumerates 2**256 candidates, so
a stolen database gives nothing to sign in with. A fast hash also lets the
server find the row by it; the found hash is then compared with
:func:`hmac.compare_digest` so the comparison itself never depends on where
two values differ.

Presence is written by each console about itself and read by every console.
A row counts only while its process is alive: the same pid with the same start
time (a pid reused by another process has another start time). The database
lives on one host (WAL needs shared memory), so every console is a process
here and ``/proc`` can answer.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from warroom.clock import format_time
from warroom.db.store import Store
from warroom.errors import WarroomError

#: An unused sign-in link stops working after a day.
TOKEN_TTL = timedelta(hours=24)
#: A browser stays signed in two weeks at most (then a new link).
SESSION_TTL = timedelta(days=14)
#: The longest secret worth hashing: anything longer is not ours.
MAX_SECRET = 100


def digest(secret: str) -> str:
    """The stored form of a token or a session id: sha256, hex."""
    # Imported here, as hmac and secrets below: every console imports this
    # module for presence, and these cost its start-up a few ms.
    import hashlib

    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def new_secret() -> str:
    """32 random bytes, URL-safe (43 characters)."""
    import secrets

    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Person:
    name: str
    watch: bool


@dataclass(frozen=True)
class PersonRow:
    """One line of ``users list``."""

    name: str
    watch: bool
    added_at: str
    sessions: int
    link_waiting: bool

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "watch": self.watch,
            "added_at": self.added_at,
            "signed_in_browsers": self.sessions,
            "link_waiting": self.link_waiting,
        }


# -- people (the users command) ------------------------------------------------------


def add_person(store: Store, name: str, *, watch: bool, now: datetime) -> str:
    """Add ``name``; their first sign-in token (returned once, stored hashed)."""
    with store.write() as conn:
        if conn.execute("SELECT 1 FROM people WHERE name = ?", (name,)).fetchone():
            raise WarroomError(
                f"{name} may already sign in: 'warroom users link {name}' gives a new link"
            )
        conn.execute(
            "INSERT INTO people (name, watch, added_at) VALUES (?, ?, ?)",
            (name, int(watch), format_time(now)),
        )
        return _new_token(conn, name, now)


def new_link(store: Store, name: str, *, now: datetime) -> str:
    """A fresh sign-in token for ``name``; every earlier unspent one stops working."""
    with store.write() as conn:
        if not conn.execute("SELECT 1 FROM people WHERE name = ?", (name,)).fetchone():
            raise WarroomError(f"no such person: {name} ('warroom users add {name}' adds them)")
        conn.execute("DELETE FROM signin_tokens WHERE name = ? AND spent_at IS NULL", (name,))
        return _new_token(conn, name, now)


def remove_person(store: Store, name: str) -> None:
    """Revoke at once: the person, their links and their sessions. A running
    server sees the change within a second and ends their open consoles."""
    with store.write() as conn:
        if conn.execute("DELETE FROM people WHERE name = ?", (name,)).rowcount != 1:
            raise WarroomError(f"no such person: {name}")


def people(store: Store, *, now: datetime) -> list[PersonRow]:
    stamp = format_time(now)
    rows = store.read_rows(
        "SELECT p.name, p.watch, p.added_at,"
        " (SELECT count(*) FROM serve_sessions s WHERE s.name = p.name AND s.expires_at > ?),"
        " EXISTS (SELECT 1 FROM signin_tokens t WHERE t.name = p.name"
        "  AND t.spent_at IS NULL AND t.expires_at > ?)"
        " FROM people p ORDER BY p.name",
        (stamp, stamp),
    )
    return [PersonRow(n, bool(w), a, s, bool(t)) for n, w, a, s, t in rows]


def _new_token(conn: sqlite3.Connection, name: str, now: datetime) -> str:
    token = new_secret()
    conn.execute(
        "INSERT INTO signin_tokens (token_hash, name, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (digest(token), name, format_time(now), format_time(now + TOKEN_TTL)),
    )
    return token


# -- sign-in and sessions (the server) -------------------------------------------


def spend_token(store: Store, token: str, *, now: datetime) -> tuple[str, str, Person] | None:
    """Spend a sign-in token: (session id, its hash, person), or None.

    One ``BEGIN IMMEDIATE`` transaction: two browsers racing on one link
    cannot both win.
    """
    if not 20 <= len(token) <= MAX_SECRET:
        return None
    import hmac

    wanted = digest(token)
    stamp = format_time(now)
    with store.write() as conn:
        row = conn.execute(
            "SELECT t.token_hash, p.name, p.watch FROM signin_tokens t"
            " JOIN people p ON p.name = t.name"
            " WHERE t.token_hash = ? AND t.spent_at IS NULL AND t.expires_at > ?",
            (wanted, stamp),
        ).fetchone()
        if row is None or not hmac.compare_digest(row[0], wanted):
            return None
        conn.execute("UPDATE signin_tokens SET spent_at = ? WHERE token_hash = ?", (stamp, wanted))
        session = new_secret()
        session_hash = digest(session)
        conn.execute(
            "INSERT INTO serve_sessions (session_hash, name, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (session_hash, row[1], stamp, format_time(now + SESSION_TTL)),
        )
        # Expired links and sessions go while we hold the lock anyway.
        conn.execute("DELETE FROM signin_tokens WHERE expires_at <= ?", (stamp,))
        conn.execute("DELETE FROM serve_sessions WHERE expires_at <= ?", (stamp,))
    return session, session_hash, Person(row[1], bool(row[2]))


def session_person(store: Store, session: str, *, now: datetime) -> tuple[str, Person] | None:
    """(session hash, person) for a live session id from a cookie, else None."""
    if not 20 <= len(session) <= MAX_SECRET:
        return None
    wanted = digest(session)
    rows = store.read_rows(
        "SELECT s.session_hash, p.name, p.watch FROM serve_sessions s"
        " JOIN people p ON p.name = s.name WHERE s.session_hash = ? AND s.expires_at > ?",
        (wanted, format_time(now)),
    )
    import hmac

    if not rows or not hmac.compare_digest(rows[0][0], wanted):
        return None
    return rows[0][0], Person(rows[0][1], bool(rows[0][2]))


def live_sessions(store: Store, *, now: datetime) -> set[str]:
    """The hashes of every session that may still have a console open."""
    rows = store.read_rows(
        "SELECT s.session_hash FROM serve_sessions s JOIN people p ON p.name = s.name"
        " WHERE s.expires_at > ?",
        (format_time(now),),
    )
    return {row[0] for row in rows}


def end_session(store: Store, session_hash: str) -> None:
    with store.write() as conn:
        conn.execute("DELETE FROM serve_sessions WHERE session_hash = ?", (session_hash,))


# -- what a console started by serve may write -----------------------------------


def refuse_watcher(conn: sqlite3.Connection) -> None:
    """The write guard of a ``--watch`` console."""
    raise WarroomError("you are watching: nothing is written from this console")


def session_guard(session_hash: str, clock: Callable[[], datetime]) -> Callable[..., None]:
    """The write guard of a console ``serve`` started: checked inside each write
    transaction, so a person removed while their console is open cannot write
    even in the second before the server ends it."""

    def guard(conn: sqlite3.Connection) -> None:
        row = conn.execute(
            "SELECT 1 FROM serve_sessions s JOIN people p ON p.name = s.name"
            " WHERE s.session_hash = ? AND s.expires_at > ?",
            (session_hash, format_time(clock())),
        ).fetchone()
        if row is None:
            raise WarroomError("your access was removed or has expired: nothing was written")

    return guard


def make_read_only(store: Store) -> None:
    """A watcher's console: SQLite itself refuses every write (``query_only``),
    and the write guard says why in one line. Only :func:`set_presence` and
    :func:`clear_presence` lift it, for their own row."""
    store.conn.execute("PRAGMA query_only = ON")
    store.write_guard = refuse_watcher


@contextmanager
def _presence_write(store: Store) -> Iterator[sqlite3.Connection]:
    """A write of presence only: no guard (a watcher is present too), and
    ``query_only`` lifted for this one transaction (the event loop runs nothing
    else meanwhile)."""
    guard, store.write_guard = store.write_guard, None
    (read_only,) = store.conn.execute("PRAGMA query_only").fetchone()
    if read_only:
        store.conn.execute("PRAGMA query_only = OFF")
    try:
        with store.write() as conn:
            yield conn
    finally:
        store.write_guard = guard
        if read_only:
            store.conn.execute("PRAGMA query_only = ON")


# -- presence ----------------------------------------------------------------------


@dataclass(frozen=True)
class Here:
    """Someone with a console open on an incident."""

    name: str
    via: str  # "browser" or "terminal"
    watch: bool


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        import socket

        return socket.gethostname()[:32]


def process_started(pid: int) -> str | None:
    """When process ``pid`` started (boot id + clock ticks since boot, from
    ``/proc``), or None when there is no such process. Without ``/proc`` (not
    Linux), only whether the pid exists."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        stat = ""
    if stat:
        # The command name may hold spaces and ')': the fields follow the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] in ("Z", "X"):
            # Killed, not yet reaped by its parent: it will never write again
            # (a kill -9'd console whose claim or presence must not outlive it).
            return None
        return f"{_boot_id()}:{fields[19]}"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return f"{_boot_id()}:?"


def alive(pid: int, started: str) -> bool:
    return process_started(pid) == started


def set_presence(
    store: Store,
    *,
    name: str,
    incident_id: int | None,
    via: str,
    watch: bool,
    now: datetime,
    pid: int | None = None,
) -> tuple[int, str]:
    """Say this console is open on ``incident_id`` (replacing its earlier row)."""
    pid = os.getpid() if pid is None else pid
    started = process_started(pid) or "?"
    with _presence_write(store) as conn:
        conn.execute(
            "INSERT INTO presence (pid, started, name, incident_id, via, watch, since)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pid, started) DO UPDATE SET"
            " name = excluded.name, incident_id = excluded.incident_id, via = excluded.via,"
            " watch = excluded.watch, since = excluded.since",
            (pid, started, name, incident_id, via, int(watch), format_time(now)),
        )
    return pid, started


def clear_presence(store: Store, keys: list[tuple[int, str]]) -> None:
    """Remove presence rows (this console's on exit, or dead consoles' rows)."""
    if not keys:
        return
    with _presence_write(store) as conn:
        conn.executemany("DELETE FROM presence WHERE pid = ? AND started = ?", keys)


def presence_rows(store: Store, incident_id: int) -> list[tuple[int, str, Here]]:
    rows = store.read_rows(
        "SELECT pid, started, name, via, watch FROM presence WHERE incident_id = ?"
        " ORDER BY since, name",
        (incident_id,),
    )
    return [(pid, started, Here(name, via, bool(watch))) for pid, started, name, via, watch in rows]


def who_is_here(store: Store, incident_id: int) -> tuple[list[Here], list[tuple[int, str]]]:
    """Who has a console open on the incident now (one entry per name and way
    in), and the keys of rows whose process has died (to clear)."""
    here: list[Here] = []
    dead: list[tuple[int, str]] = []
    for pid, started, who in presence_rows(store, incident_id):
        if not alive(pid, started):
            dead.append((pid, started))
        elif who not in here:
            here.append(who)
    return here, dead
