"""An acknowledged entry is on disk: it survives SIGKILL, and several writer
processes on one database neither lose entries nor trip over "database is locked"."""

from __future__ import annotations

import queue
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from warroom.clock import SystemClock
from warroom.db.store import Store
from warroom.playbook import default_playbook
from warroom.service import Service

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def seed(db: Path) -> int:
    """INC-1 in a closed database; returns how many entries it starts with."""
    store = Store(db)
    try:
        ops = Service(store, SystemClock(), default_playbook())
        inc = ops.declare(severity=1, title="Platform unavailable", author="alice")
        return store.incident(inc.id).entry_count
    finally:
        store.close()


def texts_after(db: Path, first: int) -> list[tuple[int, str]]:
    store = Store(db)
    try:
        return [(e.seq, e.text) for e in store.iter_entries(1) if e.seq > first]
    finally:
        store.close()


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def start_logger(db: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "warroom", "--db", str(db), "log", "1", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
        bufsize=0,
    )


def line_reader(stream) -> tuple[queue.Queue, threading.Thread]:
    """Lines from ``stream`` on a queue (None at the end), so reads can time out."""
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for raw in iter(stream.readline, b""):
            lines.put(raw.decode("utf-8"))
        lines.put(None)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return lines, thread


def test_every_acknowledged_entry_survives_sigkill(tmp_path, cli_env):
    db = tmp_path / "crash.db"
    first = seed(db)
    sent: list[str] = []
    acked: dict[int, str] = {}  # seq -> text
    proc = start_logger(db, cli_env, tmp_path)
    acks, reader = line_reader(proc.stdout)
    try:
        for n in range(50):
            text = f"{n:03d} restarted worker-{n % 7} 🔥 مرحبا [b]x[/b] " + "·" * (n * 37 % 400)
            sent.append(text)
            proc.stdin.write((text + "\n").encode("utf-8"))
            ack = acks.get(timeout=15)
            assert ack is not None, proc.stderr.read().decode()
            assert ack.startswith("INC-1 #") and ack.endswith("\n"), ack
            acked[int(ack.strip().removeprefix("INC-1 #"))] = text
        # Then a burst nobody waits for, killed mid-flight.
        for n in range(50, 58):
            text = f"{n:03d} unacknowledged " + "z" * 5000
            sent.append(text)
            proc.stdin.write((text + "\n").encode("utf-8"))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join(timeout=15)  # it sees end-of-file once the process is gone
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()
    assert proc.returncode == -signal.SIGKILL

    assert integrity(db) == "ok"
    present = texts_after(db, first)
    seqs = [seq for seq, _ in present]
    assert seqs == list(range(first + 1, first + 1 + len(present)))  # no gaps
    assert [text for _, text in present] == sent[: len(present)]  # a prefix, exact
    assert len(present) >= len(acked) == 50
    assert {seq: text for seq, text in present if seq in acked} == acked
    assert sorted(acked) == list(range(first + 1, first + 51))


def test_four_writer_processes_lose_nothing(tmp_path, cli_env):
    db = tmp_path / "busy.db"
    first = seed(db)
    writers, per_writer = 4, 150
    procs = [start_logger(db, cli_env, tmp_path) for _ in range(writers)]
    results: list[tuple[int, bytes, bytes] | None] = [None] * writers

    def drive(n: int, proc: subprocess.Popen) -> None:
        lines = [f"w{n} line {i:03d}" for i in range(per_writer)]
        out, err = proc.communicate(("\n".join(lines) + "\n").encode(), timeout=60)
        results[n] = (proc.returncode, out, err)

    threads = [threading.Thread(target=drive, args=(n, p)) for n, p in enumerate(procs)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=90)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    acked: list[int] = []
    for n, result in enumerate(results):
        assert result is not None, f"writer {n} did not finish"
        code, out, err = result
        assert "locked" not in err.decode().lower(), err
        assert (code, err) == (0, b""), err
        acks = out.decode().splitlines()
        assert len(acks) == per_writer
        acked += [int(a.removeprefix("INC-1 #")) for a in acks]

    total = writers * per_writer
    assert sorted(acked) == list(range(first + 1, first + 1 + total))  # unique, contiguous
    present = texts_after(db, first)
    assert [seq for seq, _ in present] == list(range(first + 1, first + 1 + total))
    for n in range(writers):
        mine = [text for _, text in present if text.startswith(f"w{n} ")]
        assert mine == [f"w{n} line {i:03d}" for i in range(per_writer)]  # in order
    assert integrity(db) == "ok"
    store = Store(db)
    try:
        assert store.incident(1).entry_count == first + total
    finally:
        store.close()
