"""Helpers for driving the real console with Pilot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.app import App

from warroom.clock import FrozenClock
from warroom.db.store import Store
from warroom.demo import seed_demo
from warroom.playbook import default_playbook
from warroom.tui.app import WarroomApp

DEMO_NOW = "2026-11-23T22:42:17Z"


def demo_app(path: Path, *, user: str = "carol", clock: FrozenClock | None = None) -> WarroomApp:
    """The console on a freshly seeded demo incident, with a frozen clock."""
    clock = clock or FrozenClock(DEMO_NOW)
    store = Store(path)
    seed_demo(store, default_playbook(), clock)
    return WarroomApp(store=store, user=user, clock=clock, cursor_blink=False)


def screen_text(app: App) -> str:
    """What the terminal shows, as plain text, one line per row."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def type_line(pilot, text: str) -> None:
    """Type ``text`` into the focused widget as key presses, then Enter."""
    await pilot.press(*list(text))
    await pilot.press("enter")
    await pilot.pause()


def message_line(app: App) -> str:
    """The line under the scribe line (errors and notices), or "" when hidden."""
    line = app.screen.query_one("#scribe-error")
    return str(line.render()) if line.display else ""


async def until(pilot, condition: Callable[[], bool], what: str, *, pauses: int = 200) -> None:
    """Pause until ``condition()`` holds, as a person waits for the screen to show
    something; fail naming ``what`` if it never does. A loaded machine may need
    several frames for what a quiet one shows after one pause (the side panes
    follow the first frame; the footer rebuilds its keys after a refresh)."""
    for _ in range(pauses):
        if condition():
            return
        await pilot.pause()
    assert condition(), f"never shown: {what}"
