"""Memory: peak RSS of a console that opens 100,000 entries and scrolls through all of them.

Target: under 150 MiB at 100,000 entries. The 10-entry figure is printed beside it.

Each measurement is a fresh child process (``bench_memory.py --child N DB``)
that opens the real console on a copy of the N-entry fixture under Textual's Pilot
(``run_test(size=(120, 40))``, headless), focuses the timeline and presses
home, then page down until the newest entry is on screen (scroll animation
off; every page is painted before the next key: about 3,000 frames at 100,000
entries), then home and end again. It reports its own peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``), and the peak already reached
once the incident was open.

The sizes are interleaved (10, 100,000, 10, 100,000, ...) ``--repeats`` times;
medians are printed.

    python benchmarks/bench_memory.py [--repeats 2] [--entries 100000]

It prints figures and a PASS/FAIL line, and exits 0 either way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _fixture import fresh_copy  # noqa: E402

TARGET_MIB = 150
SMALL = 10


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def current_mib() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


async def child(entries: int, path: Path) -> dict:
    from textual import events

    from warroom.db.store import Store
    from warroom.tui.app import WarroomApp
    from warroom.tui.screens.console import ConsoleScreen
    from warroom.tui.widgets.timeline import Timeline

    started = time.perf_counter()
    app = WarroomApp(store=Store(path), user="bench", cursor_blink=False)
    # Scrolls jump instead of gliding (as TEXTUAL_ANIMATIONS=none): every page is
    # one position, painted before the next key.
    app.animation_level = "none"
    frames = [0]
    painted_y = [-1]  # the timeline's scroll position in the last frame painted
    real_display = app._display

    def display(screen, renderable) -> None:
        real_display(screen, renderable)
        if renderable is not None:
            frames[0] += 1
            if timeline is not None:
                painted_y[0] = timeline.scroll_offset.y

    app._display = display  # type: ignore[method-assign]

    timeline = None
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConsoleScreen), app.screen
        opened = peak_mib()
        timeline = app.screen.query_one(Timeline)
        timeline.focus()
        await pilot.pause()

        async def press(key: str) -> None:
            """One key; once the view has moved, wait for a frame painted at the new place."""
            before = timeline.scroll_offset.y
            event = events.Key(key, None)
            event.set_sender(app)
            app._driver.send_message(event)
            deadline = time.perf_counter() + 0.2  # home at the top does not move
            while timeline.scroll_offset.y == before and time.perf_counter() < deadline:
                await asyncio.sleep(0.001)
            deadline = time.perf_counter() + 2.0
            while painted_y[0] != timeline.scroll_offset.y and time.perf_counter() < deadline:
                await asyncio.sleep(0.001)

        await press("home")
        pages = 0
        every = max(1, timeline.max_scroll_y // max(1, timeline.size.height) // 10)
        trail = []  # RSS now, at each tenth of the way: does it level off?
        # Page down until the newest entry is in view; a safety cap for a stuck view.
        while timeline.scroll_offset.y < timeline.max_scroll_y and pages < entries:
            await press("pagedown")
            pages += 1
            if pages % every == 0:
                trail.append(round(current_mib(), 1))
        at_end = timeline.scroll_offset.y >= timeline.max_scroll_y
        await press("home")
        await press("end")
        await pilot.pause()
        result = {
            "entries": entries,
            "opened_peak_mib": opened,
            "peak_mib": peak_mib(),
            "current_mib": current_mib(),
            "pages": pages,
            "reached_end": at_end,
            "frames": frames[0],
            "trail_mib": trail,
            "seconds": time.perf_counter() - started,
        }
    return result


def run_child(entries: int, folder: Path) -> dict:
    path = fresh_copy(entries, folder)  # built (if need be) outside the child
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(entries), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child for {entries} entries failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        entries, path = args.child
        print(json.dumps(asyncio.run(child(int(entries), Path(path)))))
        return
    with tempfile.TemporaryDirectory(prefix="warroom-bench-memory-") as folder:
        run(args, Path(folder))


def run(args: argparse.Namespace, folder: Path) -> None:
    sizes = [SMALL, args.entries]
    print(
        f"memory benchmark: {args.repeats} repeats, sizes {sizes}, 120x40 headless, "
        f"python {sys.version.split()[0]}"
    )
    runs: dict[int, list[dict]] = {n: [] for n in sizes}
    for repeat in range(args.repeats):
        for n in sizes if repeat % 2 == 0 else sizes[::-1]:
            result = run_child(n, folder)
            runs[n].append(result)
            print(
                f"  {n:>7,} entries: peak {result['peak_mib']:6.1f} MiB"
                f" (after open {result['opened_peak_mib']:5.1f},"
                f" at exit {result['current_mib']:5.1f})"
                f"  {result['pages']:>5} page downs, reached end: {result['reached_end']},"
                f" {result['frames']} frames, {result['seconds']:.1f} s",
                flush=True,
            )
            if result["trail_mib"]:
                print(f"           RSS every ~10% of the way down: {result['trail_mib']}")

    med = {n: statistics.median(r["peak_mib"] for r in runs[n]) for n in sizes}
    med_open = {n: statistics.median(r["opened_peak_mib"] for r in runs[n]) for n in sizes}
    print()
    print(f"{'entries':>9}{'peak RSS median':>18}{'after open':>14}")
    for n in sizes:
        print(f"{n:>9,}{med[n]:>14.1f} MiB{med_open[n]:>10.1f} MiB")
    big = args.entries
    print()
    print(
        f"RATIO peak {big:,}/{SMALL}: {med[big] / med[SMALL]:.2f}x "
        f"(+{med[big] - med[SMALL]:.1f} MiB for the incident's size)"
    )
    ok = med[big] < TARGET_MIB and all(r["reached_end"] for r in runs[big])
    verdict = "PASS" if ok else "FAIL"
    print(
        f"{verdict}: peak RSS opening and scrolling {big:,} entries is {med[big]:.1f} MiB "
        f"(target < {TARGET_MIB} MiB; {SMALL} entries: {med[SMALL]:.1f} MiB)"
    )


if __name__ == "__main__":
    main()
