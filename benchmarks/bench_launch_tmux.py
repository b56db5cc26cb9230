"""Launch as a terminal sees it: ``warroom --db X`` vs the minimal Textual app, in tmux.

Target: the incident's first paint at most 1.15x the minimal Textual app's
(``_minimal_app.py``: Header, Static, Log, Input, Footer), medians.

Each launch is a new tmux session on a private server (``tmux -L warroom-bench``,
never the default one) running the program itself (no shell). The clock
starts just before ``new-session`` is sent, and the screen is read with
``capture-pane -p`` every 5 ms (through one control-mode client, so polling
starts no process) until it shows

- for warroom: the incident's title and stage in the header and the newest
  entry in the timeline (*first paint*), and then also the side column: the
  checklist and the Slack status (*whole*);
- for the minimal app: its title string (first paint and whole at once).

At first paint the program's own CPU time and the time it spent waiting for
a CPU are read from ``/proc/PID/schedstat``; then ctrl+q is sent and the
session awaited. Both run on this Python, with compiled bytecode cached under
``$TMPDIR/warroom-bench/pycache`` (filled by the warm-up launches;
``PYTHONDONTWRITEBYTECODE`` is dropped), as an installed package has it.

Databases (``--db``): ``demo``, the demo's SEV-1 (33 entries, every role, the
bridge link, a freeze, two updates, eight items ticked; declared in the past,
so its countdown is steadily overdue), and ``fixture``, the 100,000-entry
incident of ``_fixture.py``. Variants alternate, the order rotating each
round, after one discarded warm-up launch of each.

The machine may be shared. A round is thrown away and run again (at most
``--retries`` times) when any of its launches waited for a CPU for more than
``--max-wait`` of its time to first paint (another process had the cores),
or when the 1-minute load average is above ``--max-load`` (the round waits
for it to fall first). Every round prints its load and waits; the figures
come with the load they were taken at. CPU time to first paint is reported
too: it moves much less with the machine's load than the time on the clock.

    python benchmarks/bench_launch_tmux.py [--runs 15] [--db demo,fixture] [--size 80x24]
        [--compare main=/tmp/mainbench/.venv/bin/warroom]

``--compare NAME=PATH`` adds another build's ``warroom`` command (main's, in a
worktree with its own venv) to the same rounds, on its own copy of each
database: a before and after measured in the same minutes.

It prints figures and a PASS/FAIL line, and exits 0 either way.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _fixture import CACHE_DIR, DECLARED_AT, LAST_MARKER, TITLE, fresh_copy  # noqa: E402
from _minimal_app import READY  # noqa: E402

TARGET = 1.15
SOCKET = "warroom-bench"
POLL_SECONDS = 0.005
TIMEOUT = 60.0
#: The side column, on screen at every size once the console is whole.
SIDE = ["Checklist", "Slack: "]


@dataclass
class Variant:
    name: str
    argv: list[str]
    first: list[str]
    whole: list[str]


@dataclass
class Launch:
    """One launch, in seconds: to first paint, to whole; CPU and run-queue wait
    of the program up to first paint."""

    first: float
    whole: float
    cpu: float
    wait: float


@dataclass
class Figures:
    launches: list[Launch] = field(default_factory=list)

    def median(self, what: str) -> float:
        return statistics.median(getattr(launch, what) for launch in self.launches)


def tmux(*args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, check=check)


def child_env() -> dict[str, str]:
    """The tmux server's environment, which every launch inherits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "TMUX"))}
    for name in ("NO_COLOR", "WARROOM_DB", "WARROOM_NOW", "WARROOM_CONFIG", "COLUMNS", "LINES"):
        env.pop(name, None)
    for name in [k for k in env if k.startswith(("WARROOM_SLACK", "WARROOM_SMTP"))]:
        env.pop(name)
    env.pop("WARROOM_PLAYBOOK", None)
    env["COLORTERM"] = "truecolor"
    # Compiled bytecode, as an installed package has it (see bench_launch.py).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(CACHE_DIR / "pycache")
    # Nothing of the person's own configuration (no Slack settings file).
    env["XDG_CONFIG_HOME"] = str(CACHE_DIR / "no-config")
    return env


class Control:
    """A tmux control-mode client (``tmux -C``) on the private server.

    Every poll is ``capture-pane -p`` sent down this one pipe, so reading the
    screen every 5 ms does not start a tmux process every 5 ms (which would
    itself take a good part of a core from the program being measured).
    """

    def __init__(self) -> None:
        tmux("kill-server", check=False)
        subprocess.run(
            ["tmux", "-L", SOCKET, "-f", "/dev/null", "new-session", "-d", "-s", "idle"],
            env=child_env(),
            check=True,
        )
        self.proc = subprocess.Popen(
            ["tmux", "-L", SOCKET, "-C", "attach-session", "-t", "idle"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=child_env(),
        )
        self.command("set-option -g default-terminal tmux-256color")
        self.command("set-option -g escape-time 0")

    def command(self, line: str) -> str:
        """Run one tmux command; its output (an error raises)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        lines: list[bytes] = []
        inside = False
        while True:
            raw = self.proc.stdout.readline()
            if not raw:
                raise RuntimeError(f"tmux control client ended during {line!r}")
            if not inside:
                # "%begin TIME NUMBER FLAGS": FLAGS is 1 for a command this client
                # sent (0 for the block that opens the connection). Notifications
                # (%output, %sessions-changed, ...) come between blocks.
                inside = raw.startswith(b"%begin ") and raw.split()[-1] == b"1"
                continue
            if raw.startswith((b"%end ", b"%error ")):
                text = b"".join(lines).decode("utf-8", "replace")
                if raw.startswith(b"%error "):
                    raise RuntimeError(f"tmux {line!r}: {text.strip()}")
                return text
            lines.append(raw)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)
        tmux("kill-server", check=False)


def schedstat(pid: int) -> tuple[float, float]:
    """Seconds the process has run on a CPU, and has waited for one."""
    with open(f"/proc/{pid}/schedstat") as handle:
        ran, waited, _ = handle.read().split()
    return int(ran) / 1e9, int(waited) / 1e9


def launch(control: Control, variant: Variant, size: tuple[int, int], counter: list[int]) -> Launch:
    counter[0] += 1
    session = f"run{counter[0]}"
    width, height = size
    argv = " ".join(shlex.quote(a) for a in variant.argv)
    start = time.perf_counter()
    pid = int(
        control.command(
            f"new-session -d -P -F '#{{pane_pid}}' -s {session} -x {width} -y {height} {argv}"
        )
    )
    first = whole = None
    cpu = wait = 0.0
    text = ""
    try:
        tick = start
        while whole is None:
            try:
                text = control.command(f"capture-pane -p -t {session}")
            except RuntimeError:  # the session has gone: the program ended
                raise RuntimeError(f"{variant.name} exited before painting:\n{text}") from None
            now = time.perf_counter()
            if first is None and all(m in text for m in variant.first):
                first = now - start
                cpu, wait = schedstat(pid)
            if first is not None and all(m in text for m in variant.whole):
                whole = now - start
                break
            if now - start > TIMEOUT:
                raise RuntimeError(
                    f"{variant.name} did not show {variant.whole} in {TIMEOUT:.0f} s:\n{text}"
                )
            tick += POLL_SECONDS
            time.sleep(max(0.0, tick - time.perf_counter()))
        control.command(f"send-keys -t {session} C-q")
        deadline = time.perf_counter() + 20
        while session in control.command("list-sessions -F '#{session_name}'").split():
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{variant.name} did not quit on ctrl+q")
            time.sleep(0.01)
    finally:
        tmux("kill-session", "-t", session, check=False)
    return Launch(first, whole, cpu, wait)


def make_demo(folder: Path) -> Path:
    """The demo incident, declared in the past (its countdown is steadily overdue)."""
    from warroom.clock import FrozenClock, parse_time
    from warroom.db.store import Store
    from warroom.demo import DEMO_AGE, seed_demo
    from warroom.playbook import default_playbook

    path = folder / "demo.db"
    store = Store(path)
    seed_demo(store, default_playbook(), FrozenClock(parse_time(DECLARED_AT) + DEMO_AGE))
    store.close()
    return path


def load() -> float:
    return os.getloadavg()[0]


def wait_for_quiet(max_load: float, limit: float = 120.0) -> None:
    waited = 0.0
    while load() > max_load and waited < limit:
        if waited == 0:
            print(f"    (load {load():.2f} > {max_load}: waiting)", flush=True)
        time.sleep(5)
        waited += 5


def warroom_argv(db: Path, script: Path | None = None) -> list[str]:
    """``warroom --db DB``: the installed command, as a person types it."""
    script = script or Path(sys.executable).parent / "warroom"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "warroom"]
    return [*command, "--db", str(db), "--as", "bench"]


def other_builds(specs: list[str]) -> list[tuple[str, Path]]:
    """``--compare NAME=PATH``: another build's ``warroom`` command (e.g. main's,
    from its own worktree and venv), measured in the same rounds on its own
    copy of each database."""
    builds = []
    for spec in specs:
        name, _, path = spec.partition("=")
        if not name or not path or not Path(path).is_file():
            sys.exit(f"--compare {spec!r}: NAME=PATH of another build's warroom command")
        builds.append((name, Path(path)))
    return builds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--db", default="demo,fixture", help="demo, fixture or both (comma)")
    parser.add_argument("--entries", type=int, default=100_000, help="the fixture's size")
    parser.add_argument("--size", default="80x24", help="COLUMNSxLINES")
    parser.add_argument("--max-load", type=float, default=2.0 * (os.cpu_count() or 1))
    parser.add_argument(
        "--max-wait",
        type=float,
        default=0.25,
        help="the most of its time to first paint a launch may wait for a CPU",
    )
    parser.add_argument("--retries", type=int, default=15)
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="also launch another build's warroom command (e.g. main=/tmp/main/.venv/bin/warroom)",
    )
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("bench_launch_tmux.py needs tmux")
    with tempfile.TemporaryDirectory(prefix="warroom-bench-tmux-") as folder:
        run(args, Path(folder))


def run(args: argparse.Namespace, folder: Path) -> None:
    width, _, height = args.size.partition("x")
    size = (int(width), int(height))
    variants = [Variant("minimal", [sys.executable, str(HERE / "_minimal_app.py")], [READY], [])]
    wanted = [name.strip() for name in args.db.split(",") if name.strip()]
    builds = [("", None), *other_builds(args.compare)]
    for build, script in builds:
        suffix = f"@{build}" if build else ""
        place = folder / (build or "this")
        place.mkdir()
        if "demo" in wanted:
            first = [TITLE, "MITIGATE 3/5", "queue drained"]
            argv = warroom_argv(make_demo(place), script)
            variants.append(Variant(f"demo{suffix}", argv, first, first + SIDE))
        if "fixture" in wanted:
            first = [TITLE, "DETECT 1/5", f"{LAST_MARKER} #{args.entries}"]
            argv = warroom_argv(fresh_copy(args.entries, place), script)
            variants.append(Variant(f"fixture{suffix}", argv, first, first + SIDE))
    for variant in variants:
        variant.whole = variant.whole or variant.first
    control = Control()
    try:
        measure(args, variants, size, control)
    finally:
        control.close()


def measure(
    args: argparse.Namespace, variants: list[Variant], size: tuple[int, int], control: Control
) -> None:
    counter = [0]
    print(
        f"tmux launch benchmark: {size[0]}x{size[1]}, {args.runs} runs, poll every "
        f"{POLL_SECONDS * 1000:.0f} ms, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cpus, load {load():.2f}"
    )
    print("warm-up (discarded):", end="", flush=True)
    for variant in variants:
        launch(control, variant, size, counter)
        print(f" {variant.name}", end="", flush=True)
    print()
    print("each launch: first paint[/whole] ms (cpu ms, waited for a cpu ms)")

    figures = {v.name: Figures() for v in variants}
    loads: list[float] = []
    retries = 0
    round_ = 0
    while round_ < args.runs:
        wait_for_quiet(args.max_load)
        before = load()
        shift = round_ % len(variants)
        order = variants[shift:] + variants[:shift]
        results = {v.name: launch(control, v, size, counter) for v in order}
        after = load()
        line = "  ".join(
            f"{name} {r.first * 1000:4.0f}"
            + (f"/{r.whole * 1000:4.0f}" if r.whole != r.first else "")
            + f" ({r.cpu * 1000:3.0f}, {r.wait * 1000:3.0f})"
            for name, r in results.items()
        )
        busy = max(r.wait / r.first for r in results.values()) > args.max_wait
        if (busy or max(before, after) > args.max_load) and retries < args.retries:
            retries += 1
            print(f"  again     load {before:.2f}->{after:.2f}  {line}", flush=True)
            continue
        for name, result in results.items():
            figures[name].launches.append(result)
        loads.append(max(before, after))
        round_ += 1
        print(f"  round {round_:2d}  load {before:.2f}->{after:.2f}  {line}", flush=True)
    report(args, size, figures, loads, retries)


def report(
    args: argparse.Namespace,
    size: tuple[int, int],
    figures: dict[str, Figures],
    loads: list[float],
    retries: int,
) -> None:
    print()
    print(
        f"{'variant':<9}{'first paint':>13}{'min':>8}{'max':>8}{'whole':>10}"
        f"{'cpu to first':>14}{'waited':>9}"
    )
    for name, fig in figures.items():
        firsts = [launch.first for launch in fig.launches]
        print(
            f"{name:<9}{fig.median('first') * 1000:>10.0f} ms{min(firsts) * 1000:>5.0f} ms"
            f"{max(firsts) * 1000:>5.0f} ms{fig.median('whole') * 1000:>7.0f} ms"
            f"{fig.median('cpu') * 1000:>11.0f} ms{fig.median('wait') * 1000:>6.0f} ms"
        )
    print(
        f"load average (1 min) over the kept rounds: median {statistics.median(loads):.2f}, "
        f"max {max(loads):.2f}; {retries} round(s) run again (a launch waited for a CPU "
        f"more than {args.max_wait:.0%} of its time, or load above {args.max_load})"
    )
    print()
    minimal = figures["minimal"]
    verdicts = []
    for name, fig in figures.items():
        if name == "minimal":
            continue
        ratio = fig.median("first") / minimal.median("first")
        per_round = [a.first / b.first for a, b in zip(fig.launches, minimal.launches, strict=True)]
        print(
            f"RATIO {name}/minimal first paint {ratio:.2f}x "
            f"(median of per-round ratios {statistics.median(per_round):.2f}x; "
            f"cpu to first paint {fig.median('cpu') / minimal.median('cpu'):.2f}x); "
            f"whole {fig.median('whole') / minimal.median('whole'):.2f}x"
        )
        verdicts.append((name, ratio))
    failed = [name for name, ratio in verdicts if ratio > TARGET]
    summary = ", ".join(f"{name} {ratio:.2f}x" for name, ratio in verdicts)
    verdict = "FAIL" if failed else "PASS"
    print(
        f"{verdict}: the incident's first paint in tmux at {size[0]}x{size[1]} is {summary} "
        f"the minimal Textual app's (target <= {TARGET}x)"
    )


if __name__ == "__main__":
    main()
