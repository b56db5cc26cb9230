"""Launch: process start to the incident on screen, 100,000 entries vs a bare Textual app.

Target: at most 1.3x the bare app (``_bare_app.py``: the same kinds of widgets,
no data, no warroom imports).

Each launch is a whole process in a pseudo-terminal (120x40, TERM=xterm-256color),
so the real driver writes real escape codes and every import counts (from
compiled bytecode, cached under ``$TMPDIR/warroom-bench/pycache`` by the
warm-up launches, as an installed package would have it). The clock
starts just before the process is spawned; "painted" is the moment the
terminal has received the frame that shows the incident: its title and stage
in the header *and* its newest entry (``bench-last-entry #N``) in the timeline. For
the bare app it is its marker label. Then ctrl+q is sent and the time to exit
is recorded too (spawn -> painted -> exit).

Variants, interleaved round by round (the order rotates each round):

- ``bare``: ``python benchmarks/_bare_app.py``
- ``cli``: ``python -m warroom --db DB --as bench`` (what a user types)
- ``app``: ``python benchmarks/_launch_app.py DB`` (``WarroomApp(store=Store(DB),
  user="bench").run()``, the same without click)
- ``cli10``: ``cli`` on a 10-entry incident, for reference (size cost vs app cost)

The verdict compares the median spawn->painted of ``cli`` to ``bare``.

    python benchmarks/bench_launch.py [--rounds 10] [--entries 100000]

It prints figures and a PASS/FAIL line, and exits 0 either way.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _bare_app import READY  # noqa: E402
from _fixture import CACHE_DIR, LAST_MARKER, TITLE, fresh_copy  # noqa: E402
from _same_tree_app import READY as TREE_READY  # noqa: E402

TARGET = 1.3
COLUMNS, LINES = 120, 40
TIMEOUT = 60.0
CTRL_Q = b"\x11"
#: What only the console's header shows: the title alone is not enough, since
#: the declaration entry in the timeline quotes it too.
HEADER = [TITLE, "DETECT 1/5"]


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
    env.update(TERM="xterm-256color", COLORTERM="truecolor", COLUMNS=str(COLUMNS), LINES=str(LINES))
    env.pop("NO_COLOR", None)
    env.pop("WARROOM_DB", None)
    # Compiled bytecode, as an installed package has it: with PYTHONDONTWRITEBYTECODE
    # set (as on some CI and sandbox machines) an editable warroom would be compiled
    # from source at every launch while Textual's wheel came with its .pyc files.
    # The prefix keeps the cache out of the source tree; the warm-up fills it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(CACHE_DIR / "pycache")
    return env


def launch(argv: list[str], markers: list[str]) -> tuple[float, float]:
    """Run ``argv`` in a pty: (seconds spawn->all markers painted, seconds spawn->exit)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    wanted = [m.encode() for m in markers]
    longest = max(len(m) for m in wanted)
    output = bytearray()
    seen: set[bytes] = set()
    painted = None
    quit_sent = False
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=child_env(),
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    try:
        while True:
            now = time.perf_counter()
            if now - start > TIMEOUT:
                raise RuntimeError(
                    f"{argv[1:]} did not paint {markers} in {TIMEOUT:.0f} s; last output:\n"
                    + output[-2000:].decode("utf-8", "replace")
                )
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 1 << 16)
                except OSError:  # EIO: the child has gone and closed the terminal
                    chunk = b""
                if chunk:
                    scan_from = max(0, len(output) - longest)
                    output += chunk
                    if painted is None:
                        window = bytes(output[scan_from:])
                        seen.update(m for m in wanted if m in window)
                        if len(seen) == len(wanted):
                            painted = time.perf_counter() - start
                            os.write(master, CTRL_Q)
                            quit_sent = True
                    continue
            if proc.poll() is not None:
                if painted is None:
                    raise RuntimeError(
                        f"{argv[1:]} exited ({proc.returncode}) before painting {markers}:\n"
                        + output[-2000:].decode("utf-8", "replace")
                    )
                return painted, time.perf_counter() - start
            if quit_sent and time.perf_counter() - start - painted > 20:
                raise RuntimeError(f"{argv[1:]} did not quit on ctrl+q")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="warroom-bench-launch-") as folder:
        run(args, Path(folder))


def run(args: argparse.Namespace, folder: Path) -> None:
    db = fresh_copy(args.entries, folder)
    python = sys.executable
    last = f"{LAST_MARKER} #{args.entries}"
    variants = {
        "bare": ([python, str(HERE / "_bare_app.py")], [READY]),
        "tree": ([python, str(HERE / "_same_tree_app.py")], [TREE_READY]),
        "cli": ([python, "-m", "warroom", "--db", str(db), "--as", "bench"], [*HEADER, last]),
        "app": ([python, str(HERE / "_launch_app.py"), str(db)], [*HEADER, last]),
        # For reference: the same command on a 10-entry incident. What the
        # incident's size costs is cli - cli10; the rest is the app itself.
        "cli10": (
            [python, "-m", "warroom", "--db", str(fresh_copy(10, folder)), "--as", "bench"],
            [*HEADER, f"{LAST_MARKER} #10"],
        ),
    }
    names = list(variants)
    print(
        f"launch benchmark: {args.entries:,} entries, {args.rounds} rounds, "
        f"{COLUMNS}x{LINES} pty, python {sys.version.split()[0]}, {os.cpu_count()} cpus"
    )
    print("warm-up (discarded):", end="", flush=True)
    for name in names:
        argv, markers = variants[name]
        launch(argv, markers)
        print(f" {name}", end="", flush=True)
    print()

    painted: dict[str, list[float]] = {n: [] for n in names}
    exited: dict[str, list[float]] = {n: [] for n in names}
    for round_ in range(args.rounds):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        line = []
        for name in order:
            argv, markers = variants[name]
            to_paint, to_exit = launch(argv, markers)
            painted[name].append(to_paint)
            exited[name].append(to_exit)
            line.append(f"{name} {to_paint * 1000:6.0f}/{to_exit * 1000:5.0f}")
        print(f"  round {round_ + 1:2d}  (painted/exit ms)  " + "   ".join(line), flush=True)

    med = {n: statistics.median(painted[n]) for n in names}
    med_exit = {n: statistics.median(exited[n]) for n in names}
    print()
    print(f"{'variant':<8}{'painted median':>16}{'min':>9}{'max':>9}{'exit median':>14}")
    for name in names:
        print(
            f"{name:<8}{med[name] * 1000:>13.0f} ms{min(painted[name]) * 1000:>6.0f} ms"
            f"{max(painted[name]) * 1000:>6.0f} ms{med_exit[name] * 1000:>11.0f} ms"
        )
    per_round = [c / b for c, b in zip(painted["cli"], painted["bare"], strict=True)]
    ratio = med["cli"] / med["bare"]
    print()
    print(
        f"RATIO cli/bare (spawn->painted, medians)      {ratio:.2f}x  "
        f"(median of per-round ratios {statistics.median(per_round):.2f}x)"
    )
    print(f"RATIO app/bare (spawn->painted, medians)      {med['app'] / med['bare']:.2f}x")
    print(
        f"RATIO cli/tree (spawn->painted, medians)      {med['cli'] / med['tree']:.2f}x"
        "  (vs the console's own widget tree and stylesheet, no warroom code: what warroom adds)"
    )
    print(
        f"RATIO cli/cli10 (spawn->painted, medians)     {med['cli'] / med['cli10']:.2f}x"
        "  (100,000 entries vs 10: what the incident's size costs)"
    )
    print(
        f"RATIO cli/bare (spawn->painted->exit, medians) {med_exit['cli'] / med_exit['bare']:.2f}x"
    )
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    print(
        f"{verdict}: launch to incident on screen at {args.entries:,} entries is "
        f"{ratio:.2f}x a bare Textual app (target <= {TARGET}x)"
    )


if __name__ == "__main__":
    main()
