"""The console as serve runs it: a watcher writes nothing; presence shows who is here."""

from __future__ import annotations

import subprocess
import sys

from console_support import DEMO_NOW, screen_text, type_line
from warroom.clock import FrozenClock
from warroom.db import people as db_people
from warroom.db.store import Store
from warroom.demo import seed_demo
from warroom.playbook import default_playbook
from warroom.presence import Presence, console_guards
from warroom.tui.app import WarroomApp
from warroom.tui.screens.console import ConsoleScreen


def console(path, user: str, *, watch: bool = False, seed: bool = True, comms=None) -> WarroomApp:
    clock = FrozenClock(DEMO_NOW)
    store = Store(path)
    if seed:
        seed_demo(store, default_playbook(), clock)
    via = console_guards(store, watch=watch, now=clock.now)
    presence = Presence(store, user, via=via, watch=watch, now=clock.now)
    return WarroomApp(
        store=store,
        user=user,
        clock=clock,
        cursor_blink=False,
        watch=watch,
        presence=presence,
        comms=comms,
    )


def count(path) -> int:
    reader = Store(path, read_only=True)
    try:
        return sum(i.entry_count for i in reader.incidents())
    finally:
        reader.close()


async def test_a_watcher_sees_everything_and_writes_nothing(tmp_path):
    path = tmp_path / "w.db"
    seeded = Store(path)
    seed_demo(seeded, default_playbook(), FrozenClock(DEMO_NOW))
    seeded.close()
    before = count(path)
    app = console(path, "boss", watch=True, seed=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "QuickBooks" in text and "you are watching" in text
        await type_line(pilot, "/sev 1")  # the scribe line is off: nothing takes it
        if not isinstance(app.screen, ConsoleScreen):
            await pilot.press("escape")  # Enter read the timeline's entry: reading only
            await pilot.pause()
        for key in ("ctrl+u", "ctrl+n", "ctrl+e"):  # update, declare, review: all write
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, ConsoleScreen), key
        # The checklist: Enter on an item would tick it.
        await pilot.press("f6", "f6", "f6", "enter")
        await pilot.pause()
        await app.run_action("scribe('/stage restore')")  # the palette's way in
        await pilot.pause()
        assert "MITIGATE" in screen_text(app)
    assert count(path) == before


async def test_presence_shows_who_is_here_and_drops_a_killed_console(tmp_path):
    path = tmp_path / "w.db"
    app = console(path, "carol")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            incident_id = app.console_screen.incident.id
            db_people.set_presence(
                app.store,
                name="zoe",
                incident_id=incident_id,
                via="browser",
                watch=False,
                now=FrozenClock(DEMO_NOW).now(),
                pid=other.pid,
            )
            db_people.set_presence(  # on another incident: not shown here
                app.store,
                name="erin",
                incident_id=incident_id + 1,
                via="terminal",
                watch=False,
                now=FrozenClock(DEMO_NOW).now(),
                pid=1,
            )
            app._presence_tick()
            await pilot.pause()
            assert "carol, zoe" in screen_text(app)
            await pilot.press("f2")  # the bridge view says it too
            await pilot.pause()
            assert "Here now" in screen_text(app) and "carol, zoe" in screen_text(app)
            await pilot.press("escape")
            other.kill()  # kill -9: it never removes its own row
            other.wait()
            app._presence_tick()
            await pilot.pause()
            here = str(app.screen.query_one("#role-here").render())
            assert here == "carol"
            rows = [
                tuple(row)
                for row in app.store.conn.execute(
                    "SELECT name FROM presence WHERE incident_id = ?", (incident_id,)
                )
            ]
            assert rows == [("carol",)]  # the dead console's row is cleared
        # This console left: its row went with it.
        gone = app.store.conn.execute("SELECT name FROM presence WHERE name = 'carol'")
        assert gone.fetchall() == []
    finally:
        other.kill()
        other.wait()


async def test_presence_in_the_narrow_roles_line(tmp_path):
    app = console(tmp_path / "w.db", "carol")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        line = app.screen.query_one("#roles-line")
        assert "Here carol" in str(line.render())


async def test_a_watchers_console_never_delivers_slack_messages(tmp_path):
    """Delivering claims outbox rows (a write): a watcher's console leaves it to others."""
    from warroom.comms.config import load_comms_config

    comms = load_comms_config(
        environ={"WARROOM_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x"},
        path=tmp_path / "no-config.toml",
    )
    app = console(tmp_path / "w.db", "boss", watch=True, comms=comms)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.deliverer is None
