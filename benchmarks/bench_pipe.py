"""100,000 lines piped into ``warroom log INC-1 -``, vs one plain sqlite3 transaction.

Target: at most **3x** the time of a plain ``sqlite3`` program that reads the
same lines from standard input and inserts the same rows (incident, entry
number, time, author, kind, text) in ONE transaction, with the same pragmas
(WAL, ``synchronous=FULL``). Both are whole processes fed from the same file,
so both pay for starting Python; warroom also acknowledges every line on
standard output (to ``/dev/null`` here) after the commit that holds it.

Before lines were grouped, each line was its own commit: 100,000 lines took
about 33 s here.

    python benchmarks/bench_pipe.py [--runs 5] [--lines 100000]

Each run starts from a fresh copy of a database holding one declared incident.
Runs alternate; medians are compared. Prints a PASS/FAIL line and exits 0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 3.0

BASELINE = r"""
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA synchronous = FULL")
lines = [raw.decode("utf-8").rstrip("\r\n") for raw in sys.stdin.buffer]
conn.execute("BEGIN IMMEDIATE")
(first,) = conn.execute("SELECT last_seq FROM incidents WHERE id = 1").fetchone()
conn.executemany(
    "INSERT INTO entries (incident_id, seq, at, author, kind, text)"
    " VALUES (1, ?, '2026-11-23T22:00:00Z', 'pager', 'alert', ?)",
    ((first + n, line) for n, line in enumerate(lines, start=1) if line.strip()),
)
conn.execute("UPDATE incidents SET last_seq = ? WHERE id = 1", (first + len(lines),))
conn.execute("COMMIT")
"""


def seed(path: Path) -> None:
    from warroom.clock import FrozenClock
    from warroom.db.store import Store
    from warroom.playbook import default_playbook
    from warroom.service import Service

    store = Store(path)
    Service(store, FrozenClock("2026-11-23T22:00:00Z"), default_playbook()).declare(
        severity=2, title="pipe bench", author="bench"
    )
    store.close()


def run(command: list[str], feed: Path) -> float:
    with feed.open("rb") as stdin:
        began = time.perf_counter()
        subprocess.run(command, stdin=stdin, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - began


def count(db: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM entries").fetchone()[0]
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="warroom-bench-pipe-"))
    template = work / "template.db"
    seed(template)
    seeded = count(template)
    feed = work / "lines.txt"
    with feed.open("w", encoding="utf-8") as out:
        for n in range(args.lines):
            out.write(f"alertmanager: qb-sync-lag firing on worker-{n % 17} ({n}) 🔥\n")
    env = {**os.environ, "WARROOM_USER": "pager"}

    def fresh(name: str) -> Path:
        target = work / name
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, target)
        return target

    def ours() -> float:
        db = fresh("ours.db")
        warroom = [sys.executable, "-m", "warroom", "--db", str(db), "log", "1", "-"]
        seconds = run([*warroom, "--kind", "alert"], feed)
        assert count(db) == seeded + args.lines, "warroom lost lines"
        return seconds

    def base() -> float:
        db = fresh("base.db")
        seconds = run([sys.executable, "-c", BASELINE, str(db)], feed)
        assert count(db) == seeded + args.lines, "baseline lost lines"
        return seconds

    os.environ.update(env)
    ours(), base()  # warm-up: bytecode, page cache
    mine, theirs = [], []
    for n in range(args.runs):
        pair = [(mine, ours), (theirs, base)]
        if n % 2:
            pair.reverse()
        for into, fn in pair:
            into.append(fn())
    ours_s, base_s = statistics.median(mine), statistics.median(theirs)
    ratio = ours_s / base_s
    print(f"lines                      {args.lines:,}")
    print(
        f"warroom log INC-1 -        {ours_s:7.3f} s median  ({args.lines / ours_s:,.0f} lines/s)"
    )
    print(f"plain sqlite3, one txn     {base_s:7.3f} s median")
    print(f"RATIO                      {ratio:.2f}x (target ≤ {TARGET}x)")
    print(("PASS" if ratio <= TARGET else "FAIL") + f": {ratio:.2f}x against {TARGET}x")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
