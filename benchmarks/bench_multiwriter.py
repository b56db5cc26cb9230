"""Entries lost with many writers and two consoles with Slack configured (issue 8, item 1).

    python benchmarks/bench_multiwriter.py [--src DIR]

Six `warroom log 1 -` writers send 150 lines each (a line every 50-200 ms,
each acknowledged before the next), while two consoles run in tmux (120x40)
with Slack configured to a webhook where nothing listens, and a "scribe" types
40 lines into each at typing speed (20 ms a key). Then the consoles quit
(ctrl+q) and the file is read. Counted: acknowledged writer entries and typed
console lines missing from the file, and deleted database files (-wal, -shm)
the consoles held before quitting. Target: **0** lost, 0 deleted files held.
Needs tmux; takes about a minute. ``--src DIR`` measures another checkout's
``src`` (e.g. an older commit unpacked with ``git archive``) instead of the
installed warroom. Prints the counts and a PASS/FAIL line; exits 0 either way.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

WRITERS, LINES, TYPED = 6, 150, 40


def deleted_db_files(session: str) -> int:
    pane = subprocess.run(
        ["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"], capture_output=True, text=True
    ).stdout.strip()
    pids = [
        pane,
        *subprocess.run(["pgrep", "-P", pane], capture_output=True, text=True).stdout.split(),
    ]
    found = 0
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            found += "(deleted)" in target and ".db-" in target
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", help="run warroom from this src folder (PYTHONPATH)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="warroom-multi-"))
    db = work / "w.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update(WARROOM_USER="writer", HOME=str(work), TERM="xterm-256color")
    if args.src:
        env["PYTHONPATH"] = str(Path(args.src).resolve())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    warroom = [sys.executable, "-m", "warroom", "--db", str(db)]
    declare = [*warroom, "declare", "--sev", "2", "--title", "t"]
    subprocess.run(declare, env=env, check=True, capture_output=True)

    sessions = []
    for n in range(2):
        name = f"warroom-multi-{os.getpid()}-{n}"
        settings = {
            "WARROOM_SLACK_WEBHOOK_URL": f"http://127.0.0.1:{dead}/x",
            "WARROOM_USER": f"console{n}",
            "HOME": str(work),
            "TERM": "xterm-256color",
            **({"PYTHONPATH": env["PYTHONPATH"]} if "PYTHONPATH" in env else {}),
        }
        command = " ".join(["env", *(f"{k}={v}" for k, v in settings.items()), *warroom])
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40", command], check=True
        )
        sessions.append(name)
    time.sleep(3)

    acked: dict[int, str] = {}
    lock = threading.Lock()

    def writer(w: int) -> None:
        proc = subprocess.Popen(
            [*warroom, "log", "1", "-"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
        )
        assert proc.stdin is not None and proc.stdout is not None
        for i in range(LINES):
            text = f"w{w} line {i:03d}"
            proc.stdin.write((text + "\n").encode())
            ack = proc.stdout.readline().decode().strip()
            if ack.startswith("INC-1 #"):
                with lock:
                    acked[int(ack.removeprefix("INC-1 #"))] = text
            time.sleep(random.uniform(0.05, 0.2))
        proc.stdin.close()
        proc.wait()

    typed: dict[str, list[str]] = {s: [] for s in sessions}

    def scribe(session: str, n: int) -> None:
        for i in range(TYPED):
            text = f"console{n} typed line {i:02d}"
            for char in text:
                subprocess.run(["tmux", "send-keys", "-t", session, "-l", char])
                time.sleep(0.02)
            subprocess.run(["tmux", "send-keys", "-t", session, "Enter"])
            typed[session].append(text)
            time.sleep(0.3)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    threads += [threading.Thread(target=scribe, args=(s, n)) for n, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(2)
    deleted = {s: deleted_db_files(s) for s in sessions}
    for session in sessions:
        subprocess.run(["tmux", "send-keys", "-t", session, "C-q"])
    time.sleep(3)
    for session in sessions:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)

    conn = sqlite3.connect(db)
    try:
        rows = dict(conn.execute("SELECT seq, text FROM entries WHERE incident_id = 1"))
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    texts = set(rows.values())
    lost_writers = sum(rows.get(seq) != text for seq, text in acked.items())
    print(f"writers: {len(acked)} entries acknowledged, {lost_writers} lost")
    lost_consoles = 0
    for session in sessions:
        lost = sum(text not in texts for text in typed[session])
        lost_consoles += lost
        print(f"{session}: {TYPED} lines typed, {lost} lost, {deleted[session]} deleted files held")
    total = lost_writers + lost_consoles
    ok = total == 0 and not any(deleted.values()) and integrity == "ok"
    print(
        f"{'PASS' if ok else 'FAIL'}: {total} of {len(acked) + 2 * TYPED} entries lost;"
        f" integrity {integrity}; database in {work}"
    )


if __name__ == "__main__":
    main()
