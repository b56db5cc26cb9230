"""The incident record on disk: one SQLite file, opened safely, changed atomically.

Every change is one ``BEGIN IMMEDIATE`` transaction, so a read-modify-write
never races another console (a DEFERRED transaction fails at once with
``SQLITE_BUSY_SNAPSHOT`` when another writer got in first). WAL with
``synchronous=FULL`` makes an acknowledged entry survive a crash or power loss
at ~0.5 ms a commit, which is nothing at typing speed.

A file that is not ours, is damaged, or was written by a newer warroom is
refused with one line and never modified.

One connection per process. On Linux, closing *any* descriptor of the file
drops every POSIX lock the process holds on it; another process then thinks
it is the last user, checkpoints and deletes the ``-wal``, and this one goes on
committing into a deleted file (sqlite.org, "How To Corrupt An SQLite Database
File", 2.2). So the header is read with a plain ``open()`` only while this
process has no connection to the file (a registry of open files, keyed by
device and inode, says so), the integrity check runs on the connection itself
(:meth:`Store.verify`), and the console's delivery worker uses the console's
own :class:`Store`.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from warroom.db.migrations import MIGRATIONS, SCHEMA_VERSION
from warroom.domain.models import (
    ChecklistItem,
    Entry,
    FollowUp,
    HistoryRow,
    Incident,
    Milestones,
    Review,
    Roles,
    Update,
)
from warroom.errors import DatabaseError

#: ``PRAGMA application_id``: marks a file as a warroom database ("WARM").
APPLICATION_ID = 0x5741524D
BUSY_TIMEOUT_MS = 10_000
SQLITE_HEADER = b"SQLite format 3\x00"

#: The connection :meth:`Store.write` yields: what the functions of
#: :mod:`warroom.db.incidents` and :mod:`warroom.db.outbox` write through.
#: Named here so no module outside ``db/`` needs to import sqlite3.
Transaction = sqlite3.Connection
#: A row as sqlite3 returns it, and the parameters of a query.
Row = tuple[Any, ...]
Params = tuple[Any, ...] | dict[str, Any]

ENTRY_COLUMNS = "id, seq, at, occurred_at, author, kind, text, struck, starred, ref"


def _describe(exc: sqlite3.Error) -> str:
    message = str(exc)
    lowered = message.lower()
    if "locked" in lowered or "busy" in lowered:
        return "the database is locked by another program; nothing was written, try again"
    if "disk is full" in lowered or "disk i/o" in lowered:
        return f"cannot write the database ({message}); nothing was written"
    if "readonly" in lowered or "read-only" in lowered:
        return "the database is read-only; nothing was written"
    if "unable to open" in lowered:
        # A writer also needs the -wal and -shm files beside the database.
        return "cannot open the database to write (is its folder read-only?); nothing was written"
    if "malformed" in lowered or "not a database" in lowered:
        return f"the database is damaged ({message})"
    return f"database error: {message}"


class Store:
    """One connection to one warroom database. Not shared across threads."""

    def __init__(self, path: Path | str, *, verify: bool = True, read_only: bool = False) -> None:
        """Open ``path``. ``verify=False`` skips the integrity check, whose cost
        grows with the file: the console runs :meth:`verify` after its first
        frame instead. A file about to be migrated is always checked first.

        ``read_only=True`` (``list``, ``export``) never creates, migrates or
        changes anything, and works in a read-only folder or mount: see
        :func:`_open_read_only`."""
        self.path = Path(path)
        opener = _open_read_only if read_only else _open
        self.conn, key = opener(self.path, verify=verify)
        #: Called inside every :meth:`write` transaction before anything is
        #: written; raising refuses the write (``serve``: a watcher, or a person
        #: removed while their console was open).
        self.write_guard: Callable[[sqlite3.Connection], None] | None = None
        # Forget the file when this store is closed or collected, whichever comes first.
        self._registered = weakref.finalize(self, _forget, key)

    def close(self) -> None:
        self.conn.close()
        self._registered()

    def verify(self) -> None:
        """The integrity check (``PRAGMA quick_check``) on this connection.

        On this connection, not a second one: a second handle closed in this
        process is the very thing that must never happen to a database in use.
        ~40 ms for 100,000 entries here; the console runs it once, after its
        first frame.
        """
        _quick_check(self.conn, self.path)

    @contextmanager
    def busy_timeout(self, milliseconds: int) -> Iterator[None]:
        """A different lock wait for the calls inside (the delivery worker's short one)."""
        (before,) = self.conn.execute("PRAGMA busy_timeout").fetchone()
        self.set_busy_timeout(milliseconds)
        try:
            yield
        finally:
            self.set_busy_timeout(before)

    def set_busy_timeout(self, milliseconds: int) -> None:
        """How long a write waits for another writer before saying "locked".

        The console keeps this short: writers hold the lock for milliseconds, so
        a longer wait means something is stuck, and the person at the keyboard
        should hear so rather than watch a frozen screen.
        """
        self.conn.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")

    # -- transactions ---------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: all of it is written, or none."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise DatabaseError(_describe(exc)) from None
        try:
            if self.write_guard is not None:
                self.write_guard(self.conn)
            yield self.conn
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise DatabaseError(_describe(exc)) from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            with suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")

    def _read(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise DatabaseError(_describe(exc)) from None

    def data_version(self) -> int:
        """Changes whenever another connection commits: the cheap "anything new?"."""
        return int(self._read("PRAGMA data_version")[0][0])

    # -- settings -------------------------------------------------------

    def setting(self, key: str) -> str | None:
        """A value from the ``settings`` table (never a secret), or None."""
        rows = self._read("SELECT value FROM settings WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_setting(self, key: str, value: str) -> None:
        """Remember a fact about the database (never a secret), in its own transaction."""
        with self.write() as tx:
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- incidents ------------------------------------------------------

    def slack_root(self, incident_id: int) -> tuple[str | None, str | None]:
        """(channel id, ts) of the incident's Slack root message, once it was posted."""
        rows = self._read(
            "SELECT slack_channel, slack_ts FROM incidents WHERE id = ?", (incident_id,)
        )
        return (rows[0][0], rows[0][1]) if rows else (None, None)

    def incident_ids(self, *, include_closed: bool = True) -> list[int]:
        where = "" if include_closed else "WHERE status != 'closed'"
        return [r[0] for r in self._read(f"SELECT id FROM incidents {where} ORDER BY id")]

    def active_incident_id(self) -> int | None:
        """The most recently declared incident that is still open."""
        rows = self._read("SELECT id FROM incidents WHERE status = 'open' ORDER BY id DESC LIMIT 1")
        return rows[0][0] if rows else None

    def incident(self, incident_id: int) -> Incident | None:
        rows = self._read(
            "SELECT id, title, severity, status, stage, impact, declared_at,"
            " resolved_at, frozen, bridge, next_update_due, last_seq,"
            " incident_commander, communications_lead, scribe,"
            " impact_started_at, detected_at, mitigated_at, closed_at"
            " FROM incidents WHERE id = ?",
            (incident_id,),
        )
        if not rows:
            return None
        (*head, commander, comms, scribe) = rows[0][:15]
        milestones = Milestones(*rows[0][15:])
        engineers = tuple(
            r[0]
            for r in self._read(
                "SELECT name FROM engineers WHERE incident_id = ? ORDER BY id",
                (incident_id,),
            )
        )
        checklist = tuple(
            ChecklistItem(p, label, section, action, bool(done), done_at, done_by)
            for p, label, section, action, done, done_at, done_by in self._read(
                "SELECT position, label, section, done_by_action, done, done_at,"
                " done_by FROM checklist WHERE incident_id = ? ORDER BY position",
                (incident_id,),
            )
        )
        head[8] = bool(head[8])
        return Incident(  # type: ignore[misc]  # the first 12 columns, in field order
            *head,
            roles=Roles(commander, comms, scribe, engineers),
            checklist=checklist,
            milestones=milestones,
        )

    def incidents(self, *, include_closed: bool = True) -> list[Incident]:
        found = (self.incident(i) for i in self.incident_ids(include_closed=include_closed))
        return [i for i in found if i is not None]

    # -- timeline -------------------------------------------------------

    def entries(self, incident_id: int, first_seq: int, last_seq: int) -> list[Entry]:
        """Entries numbered first..last inclusive: one index range scan, at any size."""
        rows = self._read(
            f"SELECT {ENTRY_COLUMNS} FROM entries"
            " WHERE incident_id = ? AND seq BETWEEN ? AND ? ORDER BY seq",
            (incident_id, first_seq, last_seq),
        )
        return [entry_from_row(row) for row in rows]

    def entry(self, incident_id: int, seq: int) -> Entry | None:
        found = self.entries(incident_id, seq, seq)
        return found[0] if found else None

    def iter_entries(self, incident_id: int) -> Iterator[Entry]:
        try:
            cursor = self.conn.execute(
                f"SELECT {ENTRY_COLUMNS} FROM entries WHERE incident_id = ? ORDER BY seq",
                (incident_id,),
            )
            for row in cursor:
                yield entry_from_row(row)
        except sqlite3.Error as exc:
            raise DatabaseError(_describe(exc)) from None

    def updates(self, incident_id: int) -> list[Update]:
        """The stakeholder updates, oldest first.

        ``delivery`` is "recorded" when nothing was queued (no channel
        configured); otherwise it follows the outbox row as it is now:
        "pending" (also while sending), "delivered", "failed" or "unsure" (sent,
        no answer: it may not have arrived). ``delivered_at`` is when it went out.
        """
        rows = self._read(
            "SELECT u.at, u.audience, u.text,"
            " CASE WHEN o.id IS NULL THEN u.delivery"
            "  WHEN o.status = 'sending' THEN 'pending' ELSE o.status END,"
            " o.delivered_at, o.channel"
            " FROM updates AS u LEFT JOIN outbox AS o ON o.id = u.outbox_id"
            " WHERE u.incident_id = ? ORDER BY u.id",
            (incident_id,),
        )
        return [Update(*row) for row in rows]

    def undelivered_updates(self, incident_id: int) -> list[Update]:
        """The updates queued for Slack or email that have not gone out yet, oldest
        first: the countdown pane shows them until they have."""
        rows = self._read(
            "SELECT u.at, u.audience, u.text,"
            " CASE WHEN o.status = 'sending' THEN 'pending' ELSE o.status END,"
            " o.delivered_at, o.channel"
            " FROM updates AS u JOIN outbox AS o ON o.id = u.outbox_id"
            " WHERE u.incident_id = ? AND o.status != 'delivered' ORDER BY u.id",
            (incident_id,),
        )
        return [Update(*row) for row in rows]

    def followups(self, incident_id: int) -> list[FollowUp]:
        rows = self._read(
            "SELECT f.id, f.text, f.owner, f.due, f.done, f.done_at, f.done_by,"
            " p.ticket, p.ticket_url FROM followups f"
            " LEFT JOIN tracker_pushes p ON p.followup_id = f.id"
            " WHERE f.incident_id = ? ORDER BY f.id",
            (incident_id,),
        )
        return [
            FollowUp(i, t, o, d, bool(done), at, by, ticket, url)
            for i, t, o, d, done, at, by, ticket, url in rows
        ]

    def review(self, incident_id: int) -> Review:
        """The review text and meeting date (empty until someone writes them)."""
        rows = self._read(
            "SELECT root_cause, contributing_factors, resolution_steps, review_at"
            " FROM incidents WHERE id = ?",
            (incident_id,),
        )
        if not rows:
            return Review()
        cause, factors, steps, review_at = rows[0]
        return Review(cause or "", factors or "", steps or "", review_at)

    def history(self) -> list[HistoryRow]:
        """Every incident, newest first, with its open follow-ups counted: one query."""
        rows = self._read(
            "SELECT i.id, i.title, i.severity, i.status, i.stage, i.declared_at,"
            " i.impact_started_at, i.resolved_at, i.closed_at,"
            " (SELECT count(*) FROM followups f WHERE f.incident_id = i.id AND f.done = 0)"
            " FROM incidents i ORDER BY i.id DESC"
        )
        return [HistoryRow(*row) for row in rows]

    def search(
        self,
        incident_id: int,
        *,
        text: str | None = None,
        kind: str | Sequence[str] | None = None,
        author: str | None = None,
        starred: bool | None = None,
    ) -> list[int]:
        """The numbers (seq) of the entries that match every filter given, in order.

        One SQL query over the incident's rows (the ``(incident_id, seq)`` index
        gives them in order). ``text`` is a case-insensitive substring: ``%``,
        ``_`` and ``\\`` in it are literal. SQLite's LIKE folds ASCII case only,
        so a needle with other letters is matched by a casefolding SQL function
        instead (slower, still one pass in SQLite). An ASCII needle stays on the
        fast LIKE: it will not find ``Straße`` for ``STRASSE``. ``author`` matches the whole
        name, ignoring ASCII case; ``kind`` is one kind or several.
        """
        where = ["incident_id = ?"]
        params: list[object] = [incident_id]
        if text:
            if text.isascii():
                escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                where.append("text LIKE ? ESCAPE '\\'")
                params.append(f"%{escaped}%")
            else:
                self.conn.create_function("warroom_contains", 2, _contains, deterministic=True)
                where.append("warroom_contains(text, ?)")
                params.append(text.casefold())
        if kind:
            kinds = [kind] if isinstance(kind, str) else list(kind)
            where.append(f"kind IN ({','.join('?' * len(kinds))})")
            params.extend(kinds)
        if author:
            where.append("author = ? COLLATE NOCASE")
            params.append(author)
        if starred is not None:
            where.append("starred = ?")
            params.append(int(starred))
        rows = self._read(
            f"SELECT seq FROM entries WHERE {' AND '.join(where)} ORDER BY seq", tuple(params)
        )
        return [row[0] for row in rows]

    def read_rows(self, sql: str, params: Params = ()) -> list[Row]:
        """Rows of a query written in :mod:`warroom.db` (the review's lines);
        errors become one-line :class:`DatabaseError` messages. Not for SQL
        from outside the package: ask for a method instead."""
        return self._read(sql, params)

    def current_mitigation(self, incident_id: int) -> str | None:
        """The "Current mitigation" line of the latest update that set one (ctrl+u):
        what Slack's root message shows. None until an update has set it; an
        empty line sent on purpose reads as None too."""
        rows = self._read(
            "SELECT mitigation FROM updates WHERE incident_id = ? AND mitigation IS NOT NULL"
            " ORDER BY id DESC LIMIT 1",
            (incident_id,),
        )
        return (rows[0][0] or None) if rows else None

    def mitigation_draft(self, incident_id: int) -> str:
        """What the update composer offers as the "Current mitigation" line, for
        the comms lead to edit: the newer of the line the last update sent and
        the last ``/decision`` or ``/action`` (not struck) logged after it."""
        sent = self._read(
            "SELECT e.seq, u.mitigation FROM updates u JOIN entries e ON e.id = u.entry_id"
            " WHERE u.incident_id = ? AND u.mitigation IS NOT NULL ORDER BY u.id DESC LIMIT 1",
            (incident_id,),
        )
        typed = self._read(
            "SELECT seq, text FROM entries WHERE incident_id = ? AND kind IN ('decision', 'action')"
            " AND struck = 0 ORDER BY seq DESC LIMIT 1",
            (incident_id,),
        )
        newest = max([*sent, *typed], default=None)
        return " ".join(newest[1].split()) if newest else ""

    def entries_of_kinds(self, incident_id: int, kinds: Sequence[str]) -> list[Entry]:
        """The entries of some kinds, in order: e.g. what the review figures replay."""
        marks = ",".join("?" * len(kinds))
        # Without INDEXED BY, SQLite walks every entry in seq order to skip a sort.
        rows = self._read(
            f"SELECT {ENTRY_COLUMNS}, data FROM entries INDEXED BY idx_entries_incident_id_kind"
            f" WHERE incident_id = ? AND kind IN ({marks}) ORDER BY seq",
            (incident_id, *kinds),
        )
        return [entry_from_row(row) for row in rows]

    def timing_events(self, incident_id: int) -> list[Entry]:
        """The entries the review's figures replay (with their data), in logged order."""
        from warroom.domain.figures import TIMING_KINDS

        return self.entries_of_kinds(incident_id, TIMING_KINDS)

    def key_events(self, incident_id: int, limit: int = 3) -> list[Entry]:
        """The newest starred entries and decisions (not struck), newest last.

        Two reads, each the newest few through its own index (the starred
        entries' and the kinds'), merged: as fast at 100,000 entries as at ten.
        """
        starred = self._read(
            f"SELECT {ENTRY_COLUMNS} FROM entries INDEXED BY idx_entries_starred"
            " WHERE incident_id = ? AND starred AND struck = 0 ORDER BY seq DESC LIMIT ?",
            (incident_id, limit),
        )
        decisions = self._read(
            f"SELECT {ENTRY_COLUMNS} FROM entries INDEXED BY idx_entries_incident_id_kind"
            " WHERE incident_id = ? AND kind = 'decision' AND struck = 0"
            " ORDER BY seq DESC LIMIT ?",
            (incident_id, limit),
        )
        newest = {row[1]: row for row in [*starred, *decisions]}
        return [entry_from_row(newest[seq]) for seq in sorted(newest)[-limit:]]

    def authors(self, incident_id: int, *, after: int = 0) -> set[str]:
        """Who wrote entries after entry ``after``: read a few at a time as the
        timeline grows (by entry number, through its index), never all again."""
        rows = self._read(
            "SELECT DISTINCT author FROM entries WHERE incident_id = ? AND seq > ?",
            (incident_id, after),
        )
        return {author for (author,) in rows}

    def earliest_backdated(self, incident_id: int) -> str | None:
        """The earliest occurred-at of an ``/at`` entry: the review's earliest time."""
        [(earliest,)] = self._read(
            "SELECT min(occurred_at) FROM entries"
            " WHERE incident_id = ? AND occurred_at IS NOT NULL",
            (incident_id,),
        )
        return None if earliest is None else str(earliest)

    def earliest_alert_start(self, incident_id: int) -> str | None:
        """The earliest ``startsAt`` of the incident's alerts (``warroom ingest``, hooks)."""
        [(earliest,)] = self._read(
            "SELECT min(starts_at) FROM alerts_seen WHERE incident_id = ?", (incident_id,)
        )
        return None if earliest is None else str(earliest)

    def earliest_backdated_entry(self, incident_id: int) -> tuple[int, str] | None:
        """(entry number, occurred-at) of the earliest backdated entry that is not
        struck: the review says when one is earlier than impact start."""
        rows = self._read(
            "SELECT seq, occurred_at FROM entries INDEXED BY idx_entries_backdated"
            " WHERE incident_id = ? AND occurred_at IS NOT NULL AND struck = 0"
            " ORDER BY occurred_at, seq LIMIT 1",
            (incident_id,),
        )
        return (rows[0][0], rows[0][1]) if rows else None


def _contains(text: str | None, needle: str) -> bool:
    return text is not None and needle in text.casefold()


def entry_from_row(row: Row) -> Entry:
    """An :class:`Entry` from :data:`ENTRY_COLUMNS` (and, if selected, ``data``)."""
    id_, seq, at, occurred_at, author, kind, text, struck, starred, ref, *data = row
    return Entry(
        id_,
        seq,
        at,
        occurred_at,
        author,
        kind,
        text,
        bool(struck),
        bool(starred),
        ref,
        data[0] if data else None,
    )


# -- the files this process has open ------------------------------------------------

#: (device, inode) -> how many Stores of this process have that file open.
_OPEN_FILES: dict[tuple[int, int], int] = {}
_OPEN_FILES_LOCK = threading.Lock()

FileKey = tuple[int, int]


def _key(info: os.stat_result) -> FileKey:
    return (info.st_dev, info.st_ino)


def _forget(key: FileKey | None) -> None:
    if key is None:
        return
    with _OPEN_FILES_LOCK:
        left = _OPEN_FILES.get(key, 0) - 1
        if left > 0:
            _OPEN_FILES[key] = left
        else:
            _OPEN_FILES.pop(key, None)


def open_in_this_process(path: Path) -> bool:
    """Whether a :class:`Store` of this process has ``path`` (any name for it) open."""
    try:
        info = path.stat()
    except OSError:
        return False
    with _OPEN_FILES_LOCK:
        return _key(info) in _OPEN_FILES


def _read_header(path: Path) -> bytes:
    """The first bytes of the file, by a plain open() and close(): only ever
    called with the registry lock held and no connection of ours to the file."""
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_HEADER))


def is_sqlite_file(path: Path) -> bool:
    """Whether ``path`` is an existing SQLite database (by its header).

    A file this process has open is one, and is never opened a second time to
    find out (closing that handle would drop our locks on it).
    """
    try:
        info = path.stat()
    except OSError:
        return False
    with _OPEN_FILES_LOCK:
        if _key(info) in _OPEN_FILES:
            return True
        try:
            return _read_header(path) == SQLITE_HEADER
        except OSError:
            return False


def _claim(path: Path) -> FileKey:
    """Register a connection about to be made to ``path``; check its header first
    if it is the process's first (before any lock of ours exists to be lost)."""
    with _OPEN_FILES_LOCK:
        try:
            info = path.stat()
        except OSError as exc:
            raise DatabaseError(f"cannot open {path}: {exc.strerror}") from None
        key = _key(info)
        if key not in _OPEN_FILES and info.st_size > 0:
            try:
                header = _read_header(path)
            except OSError as exc:
                raise DatabaseError(f"cannot read {path}: {exc.strerror}") from None
            if header != SQLITE_HEADER:
                raise DatabaseError(f"{path} is not a warroom database (not an SQLite file)")
        _OPEN_FILES[key] = _OPEN_FILES.get(key, 0) + 1
        return key


def database_state(path: Path) -> Literal["missing", "empty", "file"]:
    """What is at ``path``: nothing yet, a 0-byte file, or a file to open.

    Anything else is refused in one line: a directory, and a device or a pipe
    (SQLite on ``/dev/null`` would put ``/dev/null-wal`` beside it; reading a
    pipe's header would wait for ever).
    """
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    except OSError as exc:
        raise DatabaseError(f"cannot open {path}: {exc.strerror}") from None
    except ValueError as exc:  # a NUL in the path
        raise DatabaseError(f"cannot open {path}: {exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise DatabaseError(f"{path} is a directory, not a warroom database")
    if not stat.S_ISREG(info.st_mode):
        raise DatabaseError(f"{path} is not a regular file, so not a warroom database")
    return "file" if info.st_size else "empty"


def _open(path: Path, *, verify: bool = True) -> tuple[sqlite3.Connection, FileKey]:
    """Open (creating if need be) and check a database before anything writes to it."""
    if database_state(path) == "missing":
        _create_private_file(path)
    key = _claim(path)
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        _forget(key)
        raise DatabaseError(f"cannot open {path}: {exc}") from None
    try:
        _check_and_migrate(conn, path, verify=verify)
        _use_wal(conn)
        conn.execute("PRAGMA synchronous = FULL")
    except DatabaseError:
        conn.close()
        _forget(key)
        raise
    except sqlite3.Error as exc:
        conn.close()
        _forget(key)
        raise DatabaseError(f"{path}: {_describe(exc)}") from None
    except BaseException:
        conn.close()
        _forget(key)
        raise
    return conn, key


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. SQLite does not wait on a busy handler for this, so retry."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _create_private_file(path: Path) -> None:
    """Create the file 0600 first: SQLite gives its -wal and -shm files the same mode."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise DatabaseError(f"cannot create {path}: {exc.strerror}") from None


def _quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a damaged file. A damaged page would otherwise surface only when
    read, and a write could land in a damaged file first. ~15 ms for 100,000
    entries: it grows with the file, which is why the console defers it."""
    try:
        (verdict,) = conn.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.OperationalError as exc:
        raise DatabaseError(f"{path}: {_describe(exc)}") from None
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is damaged ({exc}); it was not changed") from None
    if verdict != "ok":
        raise DatabaseError(f"{path} is damaged (integrity check failed); it was not changed")


#: SQLite's primary result codes for "cannot open" and "read-only": a read-only
#: folder or mount, where the ``-shm`` file a WAL reader needs cannot be made.
_CANTOPEN, _READONLY = 14, 8


def _open_read_only(
    path: Path, *, verify: bool = True
) -> tuple[sqlite3.Connection, FileKey | None]:
    """Open ``path`` to read, changing nothing and creating nothing.

    A missing or 0-byte file is an empty database held in memory (``list``
    shows nothing and the file stays as it was). Otherwise, in order:

    1. ``mode=rw``, never creating the file, with ``query_only``: a normal WAL
       reader that sees other consoles' commits and, like any last connection,
       removes the ``-wal``/``-shm`` it made when it closes. (``mode=ro`` here
       would leave both files behind: a read-only connection cannot delete them.)
    2. ``mode=ro``: a file we may not write, whose ``-shm`` is already there.
    3. ``immutable=1``: a read-only folder or mount where no ``-shm`` can be made.
       No writer can be using the file then (a WAL writer needs the ``-shm``),
       so the file alone is the whole record, unless a ``-wal`` with content was
       left there: that is refused rather than read without its last changes.

    An older schema is migrated in a copy in memory, never in the file. The
    file is registered as this process's (:func:`_claim`) like any other.
    """
    if database_state(path) != "file":
        return _empty_in_memory(), None
    key = _claim(path)
    try:
        return _connect_read_only(path, verify=verify), key
    except BaseException:
        _forget(key)
        raise


def _connect_read_only(path: Path, *, verify: bool) -> sqlite3.Connection:
    uri = "file:" + quote(os.fsencode(path.absolute()))
    problem: sqlite3.Error | None = None
    for options in ("mode=rw", "mode=ro"):
        try:
            conn = sqlite3.connect(
                f"{uri}?{options}", uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
            )
        except sqlite3.Error as exc:
            problem = exc
            continue
        try:
            return _check_read_only(conn, path, verify=verify)
        except _CannotRead as exc:
            conn.close()
            problem = exc.error
    wal = path.with_name(path.name + "-wal")
    with suppress(OSError):
        if wal.stat().st_size > 0:
            raise DatabaseError(
                f"cannot read {path} here ({problem}): {wal.name} beside it holds changes"
                " not yet in the file, and this folder is read-only; copy both elsewhere"
            )
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open {path}: {exc}") from None
    try:
        return _check_read_only(conn, path, verify=verify)
    except _CannotRead as exc:
        conn.close()
        raise DatabaseError(f"cannot open {path}: {exc.error}") from None


class _CannotRead(Exception):
    """This way of opening cannot read here (read-only folder): try the next."""

    def __init__(self, error: sqlite3.Error) -> None:
        super().__init__(str(error))
        self.error = error


def _check_read_only(conn: sqlite3.Connection, path: Path, *, verify: bool) -> sqlite3.Connection:
    """``conn`` checked as :func:`_check_and_migrate` would, without writing:
    the connection to use (an in-memory copy for an older schema)."""
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only = ON")
        app_id, version, tables = _inspect(conn, path)
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF in (_CANTOPEN, _READONLY):
            raise _CannotRead(exc) from None
        conn.close()
        raise DatabaseError(f"{path}: {_describe(exc)}") from None
    except DatabaseError:
        conn.close()
        raise
    try:
        _refuse_foreign(path, app_id, version, tables)
        if tables and verify:
            _quick_check(conn, path)
    except DatabaseError:
        conn.close()
        raise
    if version == SCHEMA_VERSION:
        return conn
    try:
        if not tables:
            return _empty_in_memory()
        copy = sqlite3.connect(":memory:", isolation_level=None)
        try:
            conn.backup(copy)
        except sqlite3.Error as exc:
            copy.close()
            raise DatabaseError(f"{path}: {_describe(exc)}") from None
        _check_and_migrate(copy, path, verify=False)
        return copy
    finally:
        conn.close()


def _empty_in_memory() -> sqlite3.Connection:
    """A database with the current schema and nothing in it, in memory."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    _check_and_migrate(conn, Path(":memory:"), verify=False)
    return conn


def _inspect(conn: sqlite3.Connection, path: Path) -> tuple[int, int, int]:
    """(application_id, user_version, number of schema objects), in one read."""
    try:
        # One read transaction, so a database another process is creating right
        # now is seen either before or after its migration, never half-way.
        conn.execute("BEGIN")
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            conn.execute("COMMIT")
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is damaged or not a warroom database ({exc})") from None
    return app_id, version, tables


def _refuse_foreign(path: Path, app_id: int, version: int, tables: int) -> None:
    # Another program's file: it says so (application_id), or it has content.
    if app_id != APPLICATION_ID and (app_id or tables or version):
        raise DatabaseError(f"{path} is not a warroom database")
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"{path} was written by a newer warroom (schema {version}; "
            f"this warroom reads up to {SCHEMA_VERSION}): upgrade warroom"
        )


def _check_and_migrate(conn: sqlite3.Connection, path: Path, *, verify: bool = True) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    try:
        app_id, version, tables = _inspect(conn, path)
    except sqlite3.OperationalError as exc:
        raise DatabaseError(f"{path}: {_describe(exc)}") from None
    _refuse_foreign(path, app_id, version, tables)
    if tables and (verify or version < SCHEMA_VERSION):
        _quick_check(conn, path)
    if version < SCHEMA_VERSION:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for step in range(version, SCHEMA_VERSION):
                MIGRATIONS[step](conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
