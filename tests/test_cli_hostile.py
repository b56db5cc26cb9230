"""The command line never prints a traceback, and what only reads changes nothing
(issue 8, item 4): each case the issue found, run as a user runs it, with the
argument bytes a shell passes.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from warroom.clock import FrozenClock
from warroom.db.store import APPLICATION_ID, MIGRATIONS, Store
from warroom.playbook import default_playbook
from warroom.service import Service


def seed(path: Path) -> None:
    store = Store(path)
    try:
        ops = Service(store, FrozenClock("2026-11-23T22:00:00Z"), default_playbook())
        inc = ops.declare(severity=2, title="QuickBooks sync halted", author="alice")
        ops.note(inc.id, "carol", "restarted worker-3")
        ops.add_followup(inc.id, "carol", "alert on 429s", "dan", "2026-11-30")
    finally:
        store.close()


def listing(folder: Path) -> dict[str, bytes | None]:
    """Every file under ``folder`` and its bytes: equal means nothing was created or changed."""
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
        if p.name != "home" and "home" not in p.relative_to(folder).parts
    }


@pytest.fixture
def run(cli_env, tmp_path):
    """``python -m warroom ARGS`` with raw argument bytes; (code, stdout, stderr)."""

    def go(*args: str | bytes | os.PathLike, input: bytes = b"", env=None, cwd=None):
        proc = subprocess.run(
            [sys.executable, "-m", "warroom", *args],
            input=input,
            capture_output=True,
            cwd=cwd or tmp_path,
            env={**cli_env, **(env or {})},
            timeout=60,
            check=False,
        )
        return proc.returncode, proc.stdout.decode(), proc.stderr.decode("utf-8", "replace")

    return go


def one_line(result) -> str:
    code, out, err = result
    assert code == 2, result
    assert out == "" and "Traceback" not in err, result
    assert len(err.splitlines()) == 1 and err.startswith("warroom: "), result
    return err


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "w.db"
    seed(path)
    return path


# -- numbers past what SQLite or Python's int() take ---------------------------------

HUGE = [
    ("log", "9223372036854775808", "x"),
    ("log", "INC-99999999999999999999999999", "x"),
    ("export", "99999999999999999999999999", "--format", "json"),
    ("followups", "9223372036854775808"),
    ("declare", "--sev", "1" * 5000, "--title", "t"),
    ("declare", "--sev", "SEV-" + "9" * 20, "--title", "t"),
    ("log", "1" * 5000, "x"),
]


@pytest.mark.parametrize("args", HUGE, ids=lambda a: " ".join(a)[:40])
def test_numbers_past_sqlite_or_python_limits_are_one_line(run, db, tmp_path, args):
    before = listing(tmp_path)
    err = one_line(run("--db", db, *args))
    assert len(err) < 300  # the 5,000 digits are not echoed back
    assert listing(tmp_path) == before


# -- argument bytes that are not UTF-8 ------------------------------------------------


@pytest.mark.parametrize(
    ("args", "where"),
    [
        ((b"declare", b"--sev", b"2", b"--title", b"\xff"), "--title"),
        ((b"declare", b"--sev", b"2", b"--title", b"ok", b"--impact", b"caf\xe9"), "--impact"),
        ((b"declare", b"--sev", b"2", b"--title", b"ok", b"--commander", b"\xc3\x28"), "--comm"),
        ((b"log", b"1", b"a\xffb"), "TEXT"),
        ((b"log", b"1", b"ok", b"--author", b"\xed\xa0\x80"), "--author"),
        ((b"log", b"1", b"ok", b"--as", b"\xfe"), "--as"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_argument_bytes_that_are_not_utf8_are_one_line(run, db, tmp_path, args, where):
    before = listing(tmp_path)
    err = one_line(run("--db", db, *args))
    assert where in err and "not UTF-8 text" in err
    assert listing(tmp_path) == before


def test_a_name_from_the_environment_that_is_not_utf8(run, db, tmp_path):
    before = listing(tmp_path)
    env = {"WARROOM_USER": os.fsdecode(b"z\xffe")}
    err = one_line(run("--db", db, "log", "1", "x", env=env))
    assert "WARROOM_USER: the name is not UTF-8 text" in err
    assert listing(tmp_path) == before


def test_a_path_that_is_not_utf8_still_works(run, tmp_path):
    """A file name need not be UTF-8: --db and -o keep their bytes."""
    name = os.fsencode(tmp_path) + b"/caf\xe9.db"
    assert run(b"--db", name, b"declare", b"--sev", b"2", b"--title", b"t")[:2] == (0, "INC-1\n")
    code, _, err = run(b"--db", name, b"export", b"1", b"-o", os.fsencode(tmp_path) + b"/\xff")
    assert code == 0 and "wrote" in err
    assert (tmp_path / os.fsdecode(b"\xff")).read_text().startswith("{")


# -- files that are not what they seem -----------------------------------------------


def test_playbook_files_that_would_exhaust_memory_or_the_stack(run, db, tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 100_000 + "]" * 100_000)
    before = listing(tmp_path)
    assert "nested too deeply" in one_line(run("--db", db, "--playbook", deep, "list"))
    assert "larger than 1 MiB" in one_line(run("--db", db, "--playbook", "/dev/zero", "list"))
    assert "larger than 1 MiB" in one_line(
        run("--db", db, "playbook", "show", "--playbook=/dev/zero")
    )
    assert listing(tmp_path) == before


def test_playbook_show_reads_a_pipe_once(run, tmp_path):
    source = tmp_path / "team.toml"
    source.write_text(default_playbook_text_for_test(), encoding="utf-8")
    proc = subprocess.run(
        ["bash", "-c", f'"{sys.executable}" -m warroom playbook show --playbook <(cat "{source}")'],
        capture_output=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == source.read_text()


def default_playbook_text_for_test() -> str:
    from warroom.playbook import default_playbook_text

    return default_playbook_text()


@pytest.mark.parametrize("device", ["/dev/null", "/dev/zero"])
@pytest.mark.parametrize(
    "args", [("list",), ("export", "1"), ("declare", "--sev", "2", "--title", "t")]
)
def test_a_device_is_not_a_database(run, device, args):
    beside = [Path(device + suffix) for suffix in ("-wal", "-shm", "-journal")]
    before = [p.exists() and p.stat().st_mtime_ns for p in beside]
    err = one_line(run("--db", device, *args))
    assert "is not a regular file" in err
    # Nothing made (or touched) beside the device: SQLite once wrote /dev/null-journal.
    assert [p.exists() and p.stat().st_mtime_ns for p in beside] == before


def test_export_to_dev_stdout_does_not_wait_for_ever(run, db):
    code, out, _ = run("--db", db, "export", "1", "-o", "/dev/stdout")
    assert code == 0 and out.startswith("{")


def test_a_stdin_line_longer_than_1_mib_is_refused_after_the_lines_before_it(run, db):
    data = b"first\n" + b"x" * (1024 * 1024 + 1) + b"\nnever\n"
    code, out, err = run("--db", db, "log", "1", "-", input=data)
    assert (code, out) == (2, "INC-1 #5\n")
    assert (
        err == "warroom: stdin line 2 is longer than 1 MiB; it and what follows were not logged\n"
    )
    store = Store(db)
    try:
        assert [e.text for e in store.iter_entries(1)][-1] == "first"
    finally:
        store.close()


def test_a_stdin_line_of_exactly_1_mib_is_logged(run, db):
    line = "y" * (1024 * 1024)
    code, out, err = run("--db", db, "log", "1", "-", input=line.encode() + b"\n")
    assert (code, out, err) == (0, "INC-1 #5\n", "")


# -- a failed command leaves no file behind --------------------------------------------

FAILING_DECLARES = [
    (b"declare", b"--sev", b"2", b"--title", b"\xff"),
    (b"declare", b"--sev", b"9", b"--title", b"t"),
    (b"declare", b"--sev", b"1" * 5000, b"--title", b"t"),
    (b"declare", b"--sev", b"2", b"--title", b"t", b"--commander", b"a\tb"),
    (b"declare", b"--sev", b"2", b"--title", b"t", b"--as", b"\xfe"),
    (b"declare", b"--sev", b"2", b"--title", b"t", b"--playbook", b"/dev/zero"),
]


@pytest.mark.parametrize("args", FAILING_DECLARES, ids=lambda a: repr(b" ".join(a))[:50])
@pytest.mark.parametrize("target", ["new.db", "sub/dir/new.db"])
def test_a_failed_declare_on_a_new_path_leaves_nothing_behind(run, tmp_path, args, target):
    before = listing(tmp_path)
    one_line(run("--db", tmp_path / target, *args))
    assert listing(tmp_path) == before  # no file, no -wal or -shm, no folder


@pytest.mark.parametrize(
    "args",
    [
        ("list",),
        ("list", "--all", "--json"),
        ("export", "1"),
        ("followups", "1"),
        ("log", "1", "x"),
    ],
    ids=lambda a: " ".join(a),
)
def test_a_0_byte_file_is_left_as_it_is(run, tmp_path, args):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    code, out, err = run("--db", empty, *args)
    if args[0] == "list":
        assert (code, err) == (0, "") and out in ("no open incidents\n", "no incidents\n", "[]\n")
    else:
        assert "empty database file" in one_line((code, out, err))
    assert empty.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db", "home"]


# -- reading changes nothing -----------------------------------------------------------

READERS = [
    ("list", "--all"),
    ("list", "--json"),
    ("export", "1", "--format", "json"),
    ("export", "1", "--format", "md"),
    ("export", "1", "--format", "ics"),
    ("followups", "1"),
]


@pytest.mark.parametrize("args", READERS, ids=lambda a: " ".join(a))
def test_reading_leaves_the_folder_byte_for_byte(run, db, tmp_path, args):
    before = listing(tmp_path)
    code, out, err = run("--db", db, *args)
    assert code == 0 and out and err == "", err
    assert listing(tmp_path) == before  # no -wal or -shm left, the file unchanged


def test_a_read_only_store_sees_other_writers_and_refuses_to_write(db, tmp_path):
    from warroom.errors import DatabaseError

    reader = Store(db, read_only=True)
    writer = Store(db)
    try:
        ops = Service(writer, FrozenClock("2026-11-23T23:00:00Z"), default_playbook())
        ops.note(1, "carol", "written while a reader is open")
        assert [e.text for e in reader.iter_entries(1)][-1] == "written while a reader is open"
        readonly_ops = Service(reader, FrozenClock("2026-11-23T23:00:00Z"), default_playbook())
        with pytest.raises(DatabaseError, match="read-only; nothing was written"):
            readonly_ops.note(1, "carol", "never")
    finally:
        reader.close()
        writer.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.db"]  # no -wal or -shm left


def _schema_1(path: Path) -> None:
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


def test_an_older_database_is_read_without_being_upgraded(run, tmp_path):
    old = tmp_path / "old.db"
    _schema_1(old)
    before = listing(tmp_path)
    code, out, err = run("--db", old, "export", "1")
    assert (code, err) == (0, "")
    assert '"text": "kept"' in out
    assert run("--db", old, "list")[1].startswith("INC-1 ")
    assert listing(tmp_path) == before  # still schema 1: a command that writes upgrades it


# -- a read-only folder or mount ------------------------------------------------------


def _read_only_runner(tmp_path: Path, cli_env: dict[str, str]):
    """Run the CLI on a database in a truly read-only place; None if this machine can't.

    As root, permissions do not stop writes, so the database goes on a tmpfs
    mounted read-only in a private mount namespace (``unshare -m``): a real
    read-only mount, gone when the command ends. Otherwise a folder without
    write permission does it.
    """
    if os.geteuid() != 0:
        folder = tmp_path / "ro"
        folder.mkdir()

        def run_plain(source: Path, *args: str) -> tuple[int, str, str]:
            shutil.copy(source, folder / source.name)
            for extra in ("-wal", "-shm"):
                if Path(f"{source}{extra}").exists():
                    shutil.copy(f"{source}{extra}", folder / f"{source.name}{extra}")
            folder.chmod(0o555)
            try:
                proc = subprocess.run(
                    [sys.executable, "-m", "warroom", "--db", folder / source.name, *args],
                    capture_output=True,
                    env=cli_env,
                    timeout=60,
                    check=False,
                )
            finally:
                folder.chmod(0o755)
            return proc.returncode, proc.stdout.decode(), proc.stderr.decode()

        return run_plain
    unshare = shutil.which("unshare")
    mount = tmp_path / "mnt"
    mount.mkdir()
    probe = subprocess.run(
        [unshare or "unshare", "-m", "sh", "-c", f"mount -t tmpfs none '{mount}'"],
        capture_output=True,
        check=False,
    )
    if unshare is None or probe.returncode != 0:
        return None

    def run_mounted(source: Path, *args: str) -> tuple[int, str, str]:
        copy = " ".join(
            f"cp '{p}' '{mount}/'" + " &&"
            for p in (source, Path(f"{source}-wal"), Path(f"{source}-shm"))
            if p.exists()
        )
        script = (
            f"mount -t tmpfs none '{mount}' && {copy} mount -o remount,ro '{mount}' &&"
            ' python="$0"; db="$1"; shift; exec "$python" -m warroom --db "$db" "$@"'
        )
        proc = subprocess.run(
            [unshare, "-m", "sh", "-c", script, sys.executable, str(mount / source.name), *args],
            capture_output=True,
            env=cli_env,
            timeout=60,
            check=False,
        )
        return proc.returncode, proc.stdout.decode(), proc.stderr.decode()

    return run_mounted


@pytest.fixture
def read_only(tmp_path, cli_env):
    runner = _read_only_runner(tmp_path, cli_env)
    if runner is None:
        pytest.skip("no way to make a read-only folder here (root without unshare -m)")
    return runner


def test_list_and_export_work_in_a_read_only_place(read_only, db):
    code, out, err = read_only(db, "list")
    assert (code, err) == (0, "") and out.startswith("INC-1    SEV-2  open"), err
    code, out, err = read_only(db, "export", "1", "--format", "json")
    assert (code, err) == (0, "") and '"text": "restarted worker-3"' in out
    code, out, err = read_only(db, "export", "1", "--format", "md")
    assert (code, err) == (0, "") and out.startswith("# INC-1: QuickBooks sync halted")
    code, out, err = read_only(db, "followups", "1")
    assert (code, err) == (0, "") and "alert on 429s" in out


def test_writing_in_a_read_only_place_is_one_line(read_only, db):
    err = one_line(read_only(db, "log", "1", "x"))
    assert "nothing was written" in err


def test_changes_only_in_the_wal_are_not_silently_skipped_in_a_read_only_place(read_only, tmp_path):
    """A -wal holding commits, with no -shm beside it: read it all, or say why not."""
    path = tmp_path / "crashed.db"
    seed(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("UPDATE incidents SET title = 'only in the wal'")
    conn.commit()
    # Copy the file and its -wal while the writer is still open (as a crash leaves them).
    snapshot = tmp_path / "snap"
    snapshot.mkdir()
    shutil.copy(path, snapshot / "crashed.db")
    shutil.copy(f"{path}-wal", snapshot / "crashed.db-wal")
    conn.close()
    code, out, err = read_only(snapshot / "crashed.db", "list")
    if code == 0:
        assert "only in the wal" in out
    else:
        assert "holds changes not yet in the file" in one_line((code, out, err))


@pytest.mark.parametrize(
    "now", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00", "1969-12-31T23:59:59Z"]
)
@pytest.mark.parametrize(
    "args",
    [("declare", "--sev", "2", "--title", "t"), ("demo",), ()],
    ids=["declare", "demo", "console"],
)
def test_a_frozen_clock_past_what_dates_can_hold_is_one_line(run, tmp_path, now, args):
    """WARROOM_NOW is checked before a database is made (year 9999 once overflowed)."""
    before = listing(tmp_path)
    err = one_line(run("--db", tmp_path / "n.db", *args, env={"WARROOM_NOW": now}))
    assert err.startswith("warroom: WARROOM_NOW: ")
    assert listing(tmp_path) == before


# -- a bug in warroom: one line, the traceback in the log --------------------------------


def test_a_bug_is_one_line_and_the_traceback_goes_to_the_log(db, tmp_path, monkeypatch):
    """Whatever was missed still never prints a traceback: one line says where it went."""
    from click.testing import CliRunner

    import warroom.exports.incident
    from warroom import launch

    def broken(*args, **kwargs):
        raise RuntimeError("xoxb-123-secret went wrong")

    monkeypatch.setattr(warroom.exports.incident, "build_export", broken)
    logs = tmp_path / "logs"
    runner = CliRunner()
    env = {"WARROOM_LOG_DIR": str(logs), "WARROOM_NOW": "2026-11-23T22:00:00Z"}
    with runner.isolation(env=env) as (_out, err, _):
        with pytest.raises(SystemExit) as exited:
            launch.main(["--db", str(db), "export", "1"])
        sys.stderr.flush()
        shown = err.getvalue().decode()
    assert exited.value.code == 1
    assert shown == f"warroom: internal error (RuntimeError): details in {logs}/warroom.log\n"
    written = (logs / "warroom.log").read_text()
    assert "Traceback" in written and "went wrong" in written
    assert "xoxb-123-secret" not in written  # anything token-shaped is scrubbed
    assert (logs / "warroom.log").stat().st_mode & 0o077 == 0
