"""warroom users: people and their sign-in links, stored hashed in the incident database."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import timedelta

import pytest

from conftest import START
from warroom.clock import FrozenClock
from warroom.db import people as db_people
from warroom.db.store import Store
from warroom.errors import WarroomError
from warroom.serve.auth import RateLimiter, check_public_url, exposure_warning, origin_of


def token_of(link: str) -> str:
    return link.rsplit("#", 1)[1]


def test_add_prints_a_link_last_and_stores_only_its_hash(run_cli, tmp_path):
    db = tmp_path / "w.db"
    code, out, err = run_cli("users", "add", "alice", "--db", db)
    assert (code, err) == (0, "")
    link = out.splitlines()[-1]
    assert link.startswith("http://127.0.0.1:8040/signin#")
    token = token_of(link)
    assert len(token) == 43
    wal = tmp_path / "w.db-wal"
    raw = db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert token.encode() not in raw  # the secret itself is nowhere in the file
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("SELECT token_hash FROM signin_tokens").fetchone()
    assert stored == db_people.digest(token)


def test_public_url_from_environment_and_config(run_cli, tmp_path):
    db = tmp_path / "w.db"
    code, out, _ = run_cli(
        "users", "add", "a", "--db", db, env={"WARROOM_PUBLIC_URL": "https://war.example/"}
    )
    assert out.splitlines()[-1].startswith("https://war.example/signin#")
    config = tmp_path / "config.toml"
    config.write_text('[serve]\npublic_url = "https://room.example:8443"\n')
    config.chmod(0o600)
    code, out, err = run_cli("users", "link", "a", "--db", db, env={"WARROOM_CONFIG": str(config)})
    assert (code, err) == (0, "")
    assert out.splitlines()[-1].startswith("https://room.example:8443/signin#")
    code, out, err = run_cli(
        "users", "add", "b", "--db", db, env={"WARROOM_PUBLIC_URL": "javascript:alert(1)"}
    )
    assert code == 2 and err.count("\n") == 1 and "public URL" in err
    names = [r["name"] for r in json.loads(run_cli("users", "list", "--json", "--db", db)[1])]
    assert names == ["a"]  # nothing written


def test_users_list_json_link_and_remove(run_cli, tmp_path):
    db = tmp_path / "w.db"
    assert (
        run_cli("users", "list", "--db", db)[1]
        == "nobody may sign in yet: warroom users add NAME\n"
    )
    assert not db.exists()  # list never creates a database
    run_cli("users", "add", "alice", "--db", db)
    run_cli("users", "add", "bob", "--watch", "--db", db)
    code, out, _ = run_cli("users", "list", "--json", "--db", db)
    rows = json.loads(out)
    assert [(r["name"], r["watch"], r["link_waiting"]) for r in rows] == [
        ("alice", False, True),
        ("bob", True, True),
    ]
    assert run_cli("users", "remove", "alice", "--db", db)[0] == 0
    assert [r["name"] for r in json.loads(run_cli("users", "list", "--json", "--db", db)[1])] == [
        "bob"
    ]
    for args in (("remove", "alice"), ("link", "carol"), ("add", "bob")):
        code, out, err = run_cli("users", *args, "--db", db)
        assert code == 2 and out == "" and err.count("\n") == 1, (args, err)


@pytest.mark.parametrize("name", ["", "   ", "a\tb", "x" * 65, "esc\x1b[31m"])
def test_a_bad_name_is_one_line_and_writes_nothing(run_cli, tmp_path, name):
    db = tmp_path / "w.db"
    code, out, err = run_cli("users", "add", name, "--db", db)
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert not db.exists()


@pytest.fixture
def people(store):
    return store


def test_a_token_signs_in_once(people):
    now = FrozenClock(START).now()
    token = db_people.add_person(people, "alice", watch=False, now=now)
    spent = db_people.spend_token(people, token, now=now)
    assert spent is not None
    session, session_hash, person = spent
    assert person == db_people.Person("alice", False)
    assert session_hash == db_people.digest(session)
    assert db_people.spend_token(people, token, now=now) is None  # spent
    assert db_people.session_person(people, session, now=now) == (session_hash, person)
    assert db_people.session_person(people, session[:-1] + "x", now=now) is None  # forged
    assert db_people.session_person(people, "", now=now) is None


def test_links_expire_and_a_new_link_kills_the_old(people):
    now = FrozenClock(START).now()
    first = db_people.add_person(people, "alice", watch=False, now=now)
    second = db_people.new_link(people, "alice", now=now)
    assert db_people.spend_token(people, first, now=now) is None
    late = now + db_people.TOKEN_TTL + timedelta(seconds=1)
    assert db_people.spend_token(people, second, now=late) is None
    third = db_people.new_link(people, "alice", now=late)
    session, _, _ = db_people.spend_token(people, third, now=late)
    after = late + db_people.SESSION_TTL + timedelta(seconds=1)
    assert db_people.session_person(people, session, now=after) is None  # sessions end too


def test_removing_a_person_removes_their_sessions(people):
    now = FrozenClock(START).now()
    token = db_people.add_person(people, "alice", watch=False, now=now)
    session, session_hash, _ = db_people.spend_token(people, token, now=now)
    assert db_people.live_sessions(people, now=now) == {session_hash}
    db_people.remove_person(people, "alice")
    assert db_people.live_sessions(people, now=now) == set()
    assert db_people.session_person(people, session, now=now) is None
    with pytest.raises(WarroomError):
        db_people.remove_person(people, "alice")


def test_two_browsers_racing_on_one_link_cannot_both_win(db_path):
    setup = Store(db_path)
    now = FrozenClock(START).now()
    token = db_people.add_person(setup, "alice", watch=False, now=now)
    setup.close()
    results: list[object] = []

    def spend() -> None:
        # Its own store in its own thread: another process, as far as SQLite cares.
        own = Store(db_path)
        try:
            results.append(db_people.spend_token(own, token, now=now))
        finally:
            own.close()

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r is not None for r in results) == 1


def test_a_watcher_store_refuses_every_write_but_presence(people, ops, incident):
    db_people.make_read_only(people)
    with pytest.raises(WarroomError, match="read-only"):
        ops.note(incident.id, "eve", "sneaky")
    people.conn.execute("PRAGMA query_only = OFF")  # were SQLite's refusal lifted,
    with pytest.raises(WarroomError, match="you are watching"):  # the guard refuses
        ops.note(incident.id, "eve", "sneaky")
    people.conn.execute("PRAGMA query_only = ON")
    # Even a write that skipped the guard: SQLite itself refuses.
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        people.conn.execute("INSERT INTO people (name, added_at) VALUES ('x', 'y')")
    db_people.set_presence(
        people,
        name="eve",
        incident_id=incident.id,
        via="browser",
        watch=True,
        now=FrozenClock(START).now(),
    )
    here, dead = db_people.who_is_here(people, incident.id)
    assert here == [db_people.Here("eve", "browser", True)] and dead == []
    with pytest.raises(WarroomError, match="read-only"):
        ops.note(incident.id, "eve", "still refused after the presence write")


def test_a_removed_persons_console_cannot_write(people, ops, incident):
    now = FrozenClock(START).now()
    token = db_people.add_person(people, "alice", watch=False, now=now)
    _, session_hash, _ = db_people.spend_token(people, token, now=now)
    people.write_guard = db_people.session_guard(session_hash, lambda: now)
    ops.note(incident.id, "alice", "while signed in")
    people.write_guard = None
    db_people.remove_person(people, "alice")
    people.write_guard = db_people.session_guard(session_hash, lambda: now)
    before = people.incident(incident.id).entry_count
    with pytest.raises(WarroomError, match="access was removed"):
        ops.note(incident.id, "alice", "after removal")
    assert people.incident(incident.id).entry_count == before


def test_origin_and_public_url_rules():
    assert origin_of("http://127.0.0.1:8040") == "http://127.0.0.1:8040"
    assert origin_of("https://War.Example:443") == "https://war.example"
    assert origin_of("http://[::1]:80") == "http://[::1]"
    assert check_public_url("https://war.example/") == "https://war.example"
    for bad in ("ftp://x", "https://x/path", "http://", "https://x:99999", "x"):
        with pytest.raises(WarroomError):
            check_public_url(bad)
    assert exposure_warning("127.0.0.1", "http://127.0.0.1:8040") is None
    assert exposure_warning("0.0.0.0", "https://war.example") is None
    line = exposure_warning("0.0.0.0", "http://10.0.0.5:8040")
    assert line is not None and "\n" not in line and "https" in line


def test_rate_limiter_is_a_sliding_window():
    now = [0.0]
    limiter = RateLimiter(3, 60.0, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.wait("a") == 0.0
        limiter.record("a")
    assert limiter.wait("a") == 60.0
    assert limiter.wait("b") == 0.0  # per address
    now[0] = 60.5
    assert limiter.wait("a") == 0.0


def _serve_first_lines(run_env, *args: str) -> tuple[int | None, str, str]:
    """Start ``warroom serve ARGS``, read until it listens (or ends), stop it."""
    import subprocess
    import sys
    import time

    from serve_browser import free_port

    port = str(free_port())
    proc = subprocess.Popen(
        [sys.executable, "-m", "warroom", "serve", "--port", port, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=run_env,
    )
    deadline = time.monotonic() + 30
    out = ""
    while time.monotonic() < deadline and proc.poll() is None:
        line = proc.stdout.readline()
        out += line
        if "warroom serve:" in line:
            break
    code = proc.poll()
    proc.terminate()
    rest_out, err = proc.communicate(timeout=15)
    return code, out + rest_out, err


def test_serve_warns_in_one_line_on_a_network_address_without_https(cli_env, tmp_path):
    db = str(tmp_path / "w.db")
    code, out, err = _serve_first_lines(
        cli_env, "--db", db, "--host", "0.0.0.0", "--public-url", "http://10.9.8.7:8040"
    )
    assert code is None and "warroom serve: http://10.9.8.7:8040/" in out
    (warning,) = [line for line in err.splitlines() if "warning" in line]
    assert "unencrypted" in warning and "https" in warning
    code, out, err = _serve_first_lines(
        cli_env, "--db", db, "--host", "0.0.0.0", "--public-url", "https://war.example"
    )
    assert code is None and "warning" not in err


def test_serve_mistakes_are_one_line(cli_env, tmp_path):
    for args in (
        ["--host", "0.0.0.0"],  # every address, and no public URL to check Origin against
        ["--public-url", "ftp://x"],
        ["--db", str(tmp_path)],  # a directory
    ):
        code, _, err = _serve_first_lines(cli_env, *args)
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, (args, err)


def test_the_static_files_url_names_their_content(tmp_path):
    """The console page's files are cached for a year under a URL holding their
    hash: different bytes (a new textual-serve) get a new URL, and only the
    four files the page uses are served."""
    import shutil

    from warroom.serve.app import ASSET_TYPES, STATIC, load_assets

    prefix, assets = load_assets()
    assert sorted(assets) == sorted(prefix + name for name in ASSET_TYPES)
    copy = tmp_path / "static"
    shutil.copytree(STATIC, copy)
    assert load_assets(copy)[0] == prefix
    (copy / "css" / "xterm.css").write_text("/* changed */")
    assert load_assets(copy)[0] != prefix


async def test_a_console_is_not_told_the_size_it_already_has():
    """The page sends its size twice on connecting; each resize costs the
    console a layout and a repaint, so the one it already has is not passed on."""
    from warroom.serve.process import ConsoleProcess

    class Pipe:
        def __init__(self) -> None:
            self.sent: list[bytes] = []

        def write(self, data: bytes) -> None:
            self.sent.append(data)

        async def drain(self) -> None:
            pass

    async def ignore(*args) -> None:
        pass

    process = ConsoleProcess(
        ["python", "-m", "warroom"],
        {},
        write_bytes=ignore,
        write_str=ignore,
        close=ignore,
        download_manager=None,
    )
    pipe = Pipe()
    process._stdin = pipe  # as _open_app_process leaves it, started at 104x30
    process._size = (104, 30)
    await process.set_terminal_size(100, 30)  # before the first frame: held
    assert pipe.sent == []
    await process.on_data(b"x" * 200)  # the first frame: the held size goes now
    assert len(pipe.sent) == 1 and b'"width": 100' in pipe.sent[0]
    await process.set_terminal_size(100, 30)
    await process.set_terminal_size(100, 30)
    assert len(pipe.sent) == 1
    await process.set_terminal_size(104, 30)
    assert len(pipe.sent) == 2 and b'"width": 104' in pipe.sent[1]


@pytest.mark.parametrize(("session", "blinks"), [(None, True), ("a-session-hash", False)])
def test_a_browser_console_keeps_its_cursor_steady(monkeypatch, tmp_path, session, blinks):
    """A blinking cursor is two screen updates a second: over serve each is
    sent, parsed and painted in the browser, in every tab left open."""
    import gc

    import warroom.tui.app
    from warroom.opening import run_app

    seen = {}

    class FakeApp:
        return_code = 0

        def __init__(self, **kwargs) -> None:
            seen.update(kwargs)

        def run(self) -> None:
            pass

    monkeypatch.setattr(warroom.tui.app, "WarroomApp", FakeApp)
    if session:
        monkeypatch.setenv("WARROOM_SERVE_SESSION", session)
    else:
        monkeypatch.delenv("WARROOM_SERVE_SESSION", raising=False)
    try:
        assert run_app(Store(tmp_path / "w.db"), "alice") == 0
    finally:
        gc.enable()  # run_app leaves it to the real app to turn back on
    assert seen["cursor_blink"] is blinks
