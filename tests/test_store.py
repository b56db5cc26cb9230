"""The database file: created private, marked as ours, refused (and left untouched)
when it is not ours, damaged or too new, and safe with several writers."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from warroom.clock import SystemClock
from warroom.db.store import APPLICATION_ID, SCHEMA_VERSION, Store
from warroom.errors import DatabaseError
from warroom.playbook import default_playbook
from warroom.service import Service


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder(path: Path) -> set[str]:
    return {p.name for p in path.parent.iterdir()}


def make_warroom_db(path: Path, notes: int = 600) -> None:
    """A real warroom database, big enough to have interior pages, closed cleanly."""
    store = Store(path)
    ops = Service(store, SystemClock(), default_playbook())
    inc = ops.declare(severity=2, title="QuickBooks sync halted", author="alice")
    ops.notes(inc.id, "carol", [f"note {n}: " + "queue depth " * 20 for n in range(notes)])
    store.close()
    assert not Path(f"{path}-wal").exists()


# -- a new database ----------------------------------------------------------------


def test_new_database_is_private(tmp_path, store, ops, incident, db_path):
    ops.note(incident.id, "alice", "something to put in the WAL")
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    for suffix in ("-wal", "-shm"):
        side = Path(f"{db_path}{suffix}")
        if side.exists():
            assert stat.S_IMODE(side.stat().st_mode) == 0o600, suffix


def test_missing_folders_are_created_private(tmp_path):
    path = tmp_path / "a" / "b" / "warroom.db"
    Store(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_new_database_is_marked_ours_in_wal_mode(store, db_path):
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    assert {"incidents", "entries", "engineers", "checklist", "updates", "followups"} <= tables
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_an_empty_existing_file_becomes_a_database(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    Store(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()


def test_reopening_keeps_everything(db_path, clock, playbook):
    store = Store(db_path)
    ops = Service(store, clock, playbook)
    inc = ops.declare(severity=1, title="Uploads failing", author="alice", commander="alice")
    ops.note(inc.id, "carol", "first note")
    ops.add_engineer(inc.id, "carol", "dan")
    before = (store.incident(inc.id), list(store.iter_entries(inc.id)))
    store.close()

    again = Store(db_path)
    try:
        assert (again.incident(inc.id), list(again.iter_entries(inc.id))) == before
        assert again.active_incident_id() == inc.id
        version = again.conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == SCHEMA_VERSION
        Service(again, clock, playbook).note(inc.id, "carol", "second note")
        assert again.incident(inc.id).entry_count == before[0].entry_count + 1
    finally:
        again.close()


def test_a_failed_transaction_writes_nothing(store, ops, incident):
    """A subscriber that fails inside the transaction (after the entry was
    appended) takes the whole change back with it."""
    before = list(store.iter_entries(incident.id))

    def boom(*args):
        raise RuntimeError("boom")

    ops.subscribers.append(boom)
    with pytest.raises(RuntimeError):
        ops.note(incident.id, "alice", "half-done")
    assert list(store.iter_entries(incident.id)) == before
    assert store.incident(incident.id).entry_count == len(before)


def test_entries_range_and_single_entry(store, ops, incident):
    for n in range(10):
        ops.note(incident.id, "carol", f"n{n}")
    got = store.entries(incident.id, 5, 7)
    assert [e.seq for e in got] == [5, 6, 7]
    assert [e.text for e in got] == ["n1", "n2", "n3"]
    assert store.entry(incident.id, 13).text == "n9"
    assert store.entry(incident.id, 14) is None


def test_data_version_changes_when_another_connection_commits(store, ops, incident, db_path):
    seen = store.data_version()
    other = Store(db_path)
    try:
        Service(other, ops.clock, ops.playbook).note(incident.id, "bob", "from elsewhere")
    finally:
        other.close()
    assert store.data_version() != seen
    assert store.entry(incident.id, incident.entry_count + 1).text == "from elsewhere"


# -- files that are refused, untouched ------------------------------------------------


def not_sqlite(path: Path) -> None:
    path.write_text("these are my notes, not a database\n" * 200)


def other_app(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO recipes (name) VALUES ('soup')")
    conn.commit()
    conn.close()


def other_app_by_id(path: Path) -> None:
    """An empty database that another program has claimed with its application_id."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 1179601236")  # "FOO" + something: not ours
    conn.commit()
    conn.close()


def other_app_with_version(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()


def newer_warroom(path: Path) -> None:
    make_warroom_db(path, notes=5)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.commit()
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()


def overwrite_middle(path: Path) -> None:
    make_warroom_db(path)
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size // 2)
        handle.write(b"\xff" * 8192)


def scramble_pages(path: Path) -> None:
    make_warroom_db(path)
    with path.open("r+b") as handle:
        handle.seek(4096 * 3)
        handle.write(bytes(range(256)) * 16 * 5)


def truncate_half(path: Path) -> None:
    make_warroom_db(path)
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def truncate_after_first_page(path: Path) -> None:
    make_warroom_db(path)
    with path.open("r+b") as handle:
        handle.truncate(4096 + 100)


def damage_first_page(path: Path) -> None:
    make_warroom_db(path)
    with path.open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\x00" * 400)


def damage_header(path: Path) -> None:
    make_warroom_db(path)
    with path.open("r+b") as handle:
        handle.seek(0)
        handle.write(b"SQLite format 2\x00")


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (not_sqlite, "not a warroom database"),
        (other_app, "not a warroom database"),
        (other_app_by_id, "not a warroom database"),
        (other_app_with_version, "not a warroom database"),
        (newer_warroom, "newer warroom"),
        (overwrite_middle, "damaged"),
        (scramble_pages, "damaged"),
        (truncate_half, "damaged"),
        (truncate_after_first_page, "damaged"),
        (damage_first_page, "damaged"),
        (damage_header, "not a warroom database"),
    ],
)
def test_refused_file_raises_one_line_and_is_not_changed(tmp_path, make, says):
    path = tmp_path / "target.db"
    make(path)
    before, files = digest(path), folder(path)
    mode = path.stat().st_mode
    with pytest.raises(DatabaseError) as caught:
        Store(path)
    message = str(caught.value)
    assert says in message
    assert message.strip() and "\n" not in message, message
    assert digest(path) == before
    assert path.stat().st_mode == mode
    assert folder(path) == files  # no -wal or -shm left behind


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(DatabaseError, match="directory"):
        Store(tmp_path)


def test_refused_again_on_second_attempt(tmp_path):
    """Refusing must not "repair" anything that lets a second open succeed."""
    path = tmp_path / "target.db"
    overwrite_middle(path)
    before = digest(path)
    for _ in range(2):
        with pytest.raises(DatabaseError):
            Store(path)
    assert digest(path) == before


# -- several writers --------------------------------------------------------------


def test_concurrent_writers_each_with_own_store_do_not_lock(db_path, incident, store):
    writers, per_writer = 6, 40
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            mine = Store(db_path)
            try:
                ops = Service(mine, SystemClock(), default_playbook())
                barrier.wait()
                for i in range(per_writer):
                    ops.note(incident.id, f"w{n}", f"w{n}-{i}")
                    if i % 10 == 0:  # a read-modify-write of the incident too
                        ops.add_engineer(incident.id, f"w{n}", f"eng{n}-{i}")
            finally:
                mine.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    found = list(store.iter_entries(incident.id))
    assert [e.seq for e in found] == list(range(1, len(found) + 1))
    notes = [e.text for e in found if e.kind == "note"]
    assert len(notes) == writers * per_writer
    for n in range(writers):
        assert [t for t in notes if t.startswith(f"w{n}-")] == [
            f"w{n}-{i}" for i in range(per_writer)
        ]
    final = store.incident(incident.id)
    assert final.entry_count == len(found)
    assert len(final.roles.response_engineers) == writers * per_writer // 10


def open_together(path: Path, openers: int) -> list[BaseException]:
    """Open ``path`` from ``openers`` threads at once; return what they raised."""
    barrier = threading.Barrier(openers)
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            barrier.wait()
            Store(path).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(openers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_concurrent_first_open_of_a_new_file(tmp_path):
    """Consoles started together on a database that does not exist yet all open it."""
    for trial in range(12):
        path = tmp_path / f"fresh-{trial}.db"
        assert open_together(path, openers=8) == [], trial
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()


def test_integrity_after_everything(store, ops, incident, db_path):
    ops.note(incident.id, "alice", "x")
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    assert os.access(db_path, os.R_OK)


def test_simultaneous_consoles_cannot_both_tick_the_same_item(db_path, incident, clock, playbook):
    """Checks run inside the write lock: of eight racing /check 6, exactly one wins."""
    from warroom.errors import CommandError
    from warroom.service import Service

    start = threading.Barrier(8)
    outcomes: list[str] = []

    def tick() -> None:
        store = Store(db_path)
        try:
            ops = Service(store, clock, playbook)
            start.wait()
            try:
                ops.set_check(incident.id, "racer", 6, True)
                outcomes.append("ticked")
            except CommandError:
                outcomes.append("refused")
        finally:
            store.close()

    threads = [threading.Thread(target=tick) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 7 + ["ticked"]
    store = Store(db_path)
    entries = store.entries(incident.id, 1, store.incident(incident.id).entry_count)
    assert [e.text for e in entries].count("✓ 6. " + playbook.checklist[5].label) == 1


def test_a_schema_1_database_is_migrated_in_place_keeping_everything(tmp_path):
    from warroom.db.store import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](conn)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO incidents (id, title, severity, status, stage, impact, declared_at,"
        " frozen, last_seq) VALUES (1, 'old one', 2, 'open', 'triage', '',"
        " '2026-01-02T03:04:05Z', 0, 1)"
    )
    conn.execute(
        "INSERT INTO entries (incident_id, seq, at, author, kind, text)"
        " VALUES (1, 1, '2026-01-02T03:04:05Z', 'alice', 'note', 'kept')"
    )
    conn.close()

    store = Store(path)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    incident = store.incident(1)
    assert incident.title == "old one"
    assert incident.milestones.impact_started_at == "2026-01-02T03:04:05Z"
    assert store.entry(1, 1).text == "kept"
    assert store.conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    # Schema 3: the review reads a long timeline's special entries through indexes.
    plan = store.conn.execute(
        "EXPLAIN QUERY PLAN SELECT min(occurred_at) FROM entries"
        " WHERE incident_id = 1 AND occurred_at IS NOT NULL"
    ).fetchall()
    assert "idx_entries_backdated" in str(plan)
    assert store.earliest_backdated(1) is None
