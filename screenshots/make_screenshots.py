"""Make the README's screenshots from the real app on the demo incident.

    python screenshots/make_screenshots.py

Each SVG is what the console draws, with a frozen clock, so re-running it
changes the files only when the look changed.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from warroom.clock import FrozenClock
from warroom.db.store import Store
from warroom.demo import seed_demo
from warroom.playbook import default_playbook
from warroom.tui.app import WarroomApp

HERE = Path(__file__).resolve().parent
NOW = "2026-11-23T22:42:17Z"


def typed(*lines: str) -> list[str]:
    """Key presses that type each line into the scribe line and commit it."""
    return [key for line in lines for key in [*line, "enter"]]


#: Two starred entries and a decision: the bridge view's key events.
KEY_EVENTS = typed("/star 17", "/star 25", "/decision keep batching off until Intuit recovers")

SHOTS = [
    # (file, size, keys pressed first)
    ("console.svg", (160, 48), []),
    ("console-80x24.svg", (80, 24), []),
    ("declare.svg", (120, 36), ["ctrl+n"]),
    ("update.svg", (120, 36), ["ctrl+u"]),
    ("help.svg", (120, 48), ["f1"]),
    ("review.svg", (120, 40), ["ctrl+e"]),
    ("bridge.svg", (160, 48), [*KEY_EVENTS, "f2"]),
    ("bridge-80x24.svg", (80, 24), [*KEY_EVENTS, "f2"]),
]


async def shoot(name: str, size: tuple[int, int], keys: list[str], folder: Path) -> None:
    clock = FrozenClock(NOW)
    store = Store(folder / f"{name}.db")
    seed_demo(store, default_playbook(), clock)
    app = WarroomApp(store=store, user="carol", clock=clock, cursor_blink=False)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        svg = app.export_screenshot(title="warroom")
    (HERE / name).write_text(svg, encoding="utf-8")
    print(f"wrote screenshots/{name}")


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, size, keys in SHOTS:
            await shoot(name, size, keys, Path(folder))


if __name__ == "__main__":
    asyncio.run(main())
