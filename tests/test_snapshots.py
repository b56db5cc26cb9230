"""The look of the key screens, at the smallest supported size and a roomy one.

Regenerate after an intended change with ``pytest tests/test_snapshots.py --snapshot-update``
and look at the report before committing.
"""

from __future__ import annotations

import pytest

from console_support import DEMO_NOW, demo_app
from warroom.clock import FrozenClock
from warroom.db.store import Store
from warroom.tui.app import WarroomApp

SIZES = [(80, 24), (160, 48)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_main_screen(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path / "w.db"), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_declare_screen(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path / "w.db"), press=["ctrl+n"], terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_help_screen(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path / "w.db"), press=["f1"], terminal_size=size)


#: Two starred entries and a decision, so the bridge view has three key events.
KEY_EVENTS = ["/star 17", "/star 25", "/decision keep batching off until Intuit recovers"]


def typed(*lines: str) -> list[str]:
    """Key presses that type each line into the scribe line and commit it."""
    return [key for line in lines for key in [*line, "enter"]]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_bridge_screen(snap_compare, tmp_path, size):
    app = demo_app(tmp_path / "w.db")
    assert snap_compare(app, press=[*typed(*KEY_EVENTS), "f2"], terminal_size=size)


def test_bridge_screen_overdue(snap_compare, tmp_path):
    clock = FrozenClock(DEMO_NOW)
    app = demo_app(tmp_path / "w.db", clock=clock)

    async def overdue(pilot):
        await pilot.press("f2")
        clock.advance(minutes=8)
        pilot.app.screen.tick()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=overdue)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_reading_the_timeline(snap_compare, tmp_path, size):
    """ctrl+r: the cursor on the newest entry, ready for Enter."""
    assert snap_compare(demo_app(tmp_path / "w.db"), press=["ctrl+r", "up"], terminal_size=size)


def test_start_screen(snap_compare, tmp_path):
    app = WarroomApp(
        store=Store(tmp_path / "w.db"),
        user="alice",
        clock=FrozenClock(DEMO_NOW),
        cursor_blink=False,
    )
    assert snap_compare(app, terminal_size=(80, 24))


def test_overdue_countdown(snap_compare, tmp_path):
    clock = FrozenClock(DEMO_NOW)
    app = demo_app(tmp_path / "w.db", clock=clock)

    async def overdue(pilot):
        await pilot.pause()
        clock.advance(minutes=8)
        pilot.app.screen.tick()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 32), run_before=overdue)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_refused_line_under_the_input(snap_compare, tmp_path, size):
    """A refused line: the input is empty again, the reason is under it."""
    assert snap_compare(
        demo_app(tmp_path / "w.db"), press=[*"/snooze", "enter"], terminal_size=size
    )


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_quit_asks_about_unsaved_text(snap_compare, tmp_path, size):
    assert snap_compare(
        demo_app(tmp_path / "w.db"), press=[*"db back at 22:45", "ctrl+q"], terminal_size=size
    )


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_update_composer(snap_compare, tmp_path, size):
    """ctrl+u: the "Current mitigation" line in view, above the Slack text."""
    app = demo_app(tmp_path / "w.db")
    assert snap_compare(app, press=["ctrl+u"], terminal_size=size)


def test_update_composer_client_without_a_status_page(snap_compare, tmp_path):
    """The client email, and the warning that the playbook names no status page."""

    async def client(pilot):
        await pilot.press("ctrl+u")
        await pilot.pause()
        pilot.app.screen.query_one("#audience-client").value = True
        await pilot.pause()

    assert snap_compare(demo_app(tmp_path / "w.db"), terminal_size=(80, 24), run_before=client)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
def test_close_asks_under_the_input(snap_compare, tmp_path, size):
    """The first /close says what it will do, under the input; nothing covers it."""
    app = demo_app(tmp_path / "w.db")

    async def asked(pilot):
        await pilot.press(*typed("/resolve"))
        pilot.app.service.set_review(
            1, "carol", root_cause="x", contributing_factors="", resolution_steps="", review_at=None
        )
        await pilot.press(*typed("/close"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=asked)
