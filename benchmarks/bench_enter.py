"""Enter: a typed note is durable and painted, at 100,000 entries vs at 10.

Target: at 100,000 entries, at most 1.2x the time it takes at 10 entries.

The real console runs under Textual's Pilot (``app.run_test(size=(120, 40))``,
headless) on a private copy of a fixture database. Each iteration types a
short, unique note into the focused scribe line as key events (not timed),
then times Enter -> painted:

- the clock starts just before the Enter key event is posted (as the terminal
  driver posts it; Pilot's own ``press`` idles 40 ms+ after each key);
- "painted" is the end of the first screen update whose terminal output
  (``CompositorUpdate.render_segments``: the escape codes a real terminal would
  get, which headless mode otherwise skips) contains the note. At that moment
  the Timeline's count must already include the entry;
- afterwards a second SQLite connection must find the entry (durable: it was
  committed before it was painted).

The two sizes are interleaved: each round opens a console on each (the order
alternates), with a few warm-up entries and then ``--iterations`` timed ones.
Medians of all samples per size, and their RATIO, are printed.

    python benchmarks/bench_enter.py [--rounds 5] [--iterations 20]

It prints figures and a PASS/FAIL line, and exits 0 either way.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _fixture import fresh_copy  # noqa: E402

TARGET = 1.2
BIG, SMALL = 100_000, 10
WARMUP = 3
TIMEOUT = 10.0


def send_keys(app, text: str) -> None:
    """Key events into the app as the terminal driver sends them (no Pilot idle waits).

    ``pilot.press`` waits for the process to go idle after every key (40 ms and
    more each), which would make typing the notes take minutes.
    """
    from textual import events
    from textual.keys import _character_to_key

    for char in text:
        key = char if char.isalnum() else _character_to_key(char)
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)


def press_enter(app) -> None:
    from textual import events

    event = events.Key("enter", "\r")
    event.set_sender(app)
    app._driver.send_message(event)


async def session(entries: int, iterations: int, folder: Path, tag: str) -> list[float]:
    """Open a console on a copy of the ``entries`` fixture; seconds Enter->painted per note."""
    from warroom.db.store import Store
    from warroom.tui.app import WarroomApp
    from warroom.tui.screens.console import ConsoleScreen
    from warroom.tui.widgets.timeline import Timeline

    path = fresh_copy(entries, folder)
    store = Store(path)
    app = WarroomApp(store=store, user="bench", cursor_blink=False)
    watch: dict = {"text": None, "at": None, "count": None}

    real_display = app._display

    def display(screen, renderable) -> None:
        real_display(screen, renderable)
        if watch["text"] is None or watch["at"] is not None or renderable is None:
            return
        if not hasattr(renderable, "render_segments"):
            return
        output = renderable.render_segments(app.console)
        now = time.perf_counter()
        if watch["text"] in output:
            watch["at"] = now
            watch["count"] = timeline.count

    app._display = display  # type: ignore[method-assign]
    samples: list[float] = []
    checker = sqlite3.connect(path)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, ConsoleScreen), app.screen
            timeline = app.screen.query_one(Timeline)
            incident_id = app.screen.incident.id
            for i in range(WARMUP + iterations):
                seq = timeline.count + 1
                text = f"bench-{tag}-{i:03d} ok"
                send_keys(app, text)
                await pilot.pause()
                if app.screen.query_one("#scribe").value != text:
                    raise RuntimeError(f"the scribe line does not hold {text!r}")
                watch.update(text=text, at=None, count=None)
                started = time.perf_counter()
                press_enter(app)
                while watch["at"] is None:
                    if time.perf_counter() - started > TIMEOUT:
                        raise RuntimeError(f"note {text!r} was not painted in {TIMEOUT:.0f} s")
                    await asyncio.sleep(0.001)
                took = watch["at"] - started
                watch["text"] = None
                if watch["count"] != seq:
                    raise RuntimeError(f"painted with timeline count {watch['count']}, want {seq}")
                row = checker.execute(
                    "SELECT text FROM entries WHERE incident_id = ? AND seq = ?",
                    (incident_id, seq),
                ).fetchone()
                if row is None or row[0] != text:
                    raise RuntimeError(f"entry #{seq} is not in the database: {row}")
                if i >= WARMUP:
                    samples.append(took)
    finally:
        checker.close()
        store.close()
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink(missing_ok=True)
    return samples


async def main_async(args: argparse.Namespace) -> None:
    sizes = [SMALL, BIG]
    results: dict[int, list[float]] = {n: [] for n in sizes}
    round_medians: dict[int, list[float]] = {n: [] for n in sizes}
    with tempfile.TemporaryDirectory(prefix="warroom-bench-enter-") as folder:
        for round_ in range(args.rounds):
            order = sizes if round_ % 2 == 0 else sizes[::-1]
            line = []
            for n in order:
                samples = await session(n, args.iterations, Path(folder), f"{n}r{round_}")
                results[n].extend(samples)
                round_medians[n].append(statistics.median(samples))
                line.append(f"{n:>7,}: median {statistics.median(samples) * 1000:6.2f} ms")
            print(f"  round {round_ + 1}  " + "   ".join(line), flush=True)

    med = {n: statistics.median(results[n]) for n in sizes}
    print()
    print(f"{'entries':>9}{'median':>11}{'p10':>10}{'p90':>10}{'samples':>9}")
    for n in sizes:
        deciles = statistics.quantiles(results[n], n=10)
        print(
            f"{n:>9,}{med[n] * 1000:>8.2f} ms{deciles[0] * 1000:>7.2f} ms"
            f"{deciles[-1] * 1000:>7.2f} ms{len(results[n]):>9}"
        )
    ratio = med[BIG] / med[SMALL]
    per_round = [b / s for b, s in zip(round_medians[BIG], round_medians[SMALL], strict=True)]
    print()
    print(
        f"RATIO {BIG:,}/{SMALL} (Enter -> durable and painted, medians) {ratio:.2f}x  "
        f"(median of per-round ratios {statistics.median(per_round):.2f}x)"
    )
    verdict = "PASS" if ratio <= TARGET else "FAIL"
    print(
        f"{verdict}: Enter to durable-and-painted at {BIG:,} entries is {ratio:.2f}x "
        f"that at {SMALL} entries (target <= {TARGET}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=20)
    args = parser.parse_args()
    print(
        f"enter benchmark: {args.rounds} rounds x {args.iterations} timed notes per size "
        f"(+{WARMUP} warm-up), 120x40 headless, python {sys.version.split()[0]}"
    )
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
