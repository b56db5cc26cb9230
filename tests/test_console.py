"""The console, driven with real keys through Pilot: screen and database checked."""

from __future__ import annotations

from console_support import DEMO_NOW, demo_app, screen_text, type_line
from warroom.clock import FrozenClock
from warroom.db.store import Store
from warroom.service import Service
from warroom.tui.app import WarroomApp
from warroom.tui.screens.console import ConsoleScreen
from warroom.tui.screens.start import StartScreen
from warroom.tui.widgets.countdown import UpdateCountdown
from warroom.tui.widgets.scribe_input import ScribeInput
from warroom.tui.widgets.timeline import Timeline


async def test_opens_on_the_active_incident_with_the_scribe_line_focused(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConsoleScreen)
        assert isinstance(app.focused, ScribeInput)
        text = screen_text(app)
        assert "SEV-1" in text and "INC-1" in text and "QuickBooks sync halted" in text
        assert "FROZEN" in text
        assert "00:42:17" in text  # elapsed since declaration
        assert "queue drained; watching lag" in text  # newest entry in view


async def test_enter_commits_a_note_before_the_next_key(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        before = app.store.incident(1).entry_count
        await pilot.press(*"rolled back deploy 4411")
        await pilot.press("enter")
        # No pause: the write happened while Enter was handled.
        reader = Store(app.store.path)
        entry = reader.entry(1, before + 1)
        assert entry is not None and entry.text == "rolled back deploy 4411"
        assert entry.author == "carol" and entry.kind == "note"
        await pilot.pause()
        assert app.screen.query_one(ScribeInput).value == ""
        assert app.screen.query_one(Timeline).count == before + 1
        assert "rolled back deploy 4411" in screen_text(app)


async def test_bad_command_shows_one_line_error_and_writes_nothing(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        before = app.store.incident(1)
        scribe = app.screen.query_one(ScribeInput)
        for line in ["/sev 9", "/nope", "/check 42", "/freeze maybe", "/stage lunch", "/eng -zed"]:
            await type_line(pilot, line)
            error = str(app.screen.query_one("#scribe-error").render())
            assert error and "\n" not in error.strip()
            assert scribe.value == ""  # cleared: the next line starts afresh
            assert scribe.history[-1] == line  # ↑ brings it back to correct
        assert app.store.incident(1) == before


async def test_slash_commands_change_state_and_panes(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/ic dave")
        await type_line(pilot, "/stage restore")
        await type_line(pilot, "/sev 2")
        incident = app.store.incident(1)
        assert incident.roles.incident_commander == "dave"
        assert incident.stage == "restore" and incident.severity == 2
        text = screen_text(app)
        assert "SEV-2" in text and "RESTORE 4/5" in text
        assert "Incident Commander: alice → dave (handover)" in text


async def test_history_recalls_earlier_lines(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await type_line(pilot, "first")
        await type_line(pilot, "second")
        scribe = app.screen.query_one(ScribeInput)
        await pilot.press("up")
        assert scribe.value == "second"
        await pilot.press("up")
        assert scribe.value == "first"
        await pilot.press("down", "down")
        assert scribe.value == ""


async def test_tab_completes_commands_and_names(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        scribe = app.screen.query_one(ScribeInput)
        await pilot.press("/", "f", "r", "tab")
        assert scribe.value == "/freeze "
        scribe.value = ""
        await pilot.press(*"/eng -er", "tab")
        assert scribe.value == "/eng -erin"
        assert isinstance(app.focused, ScribeInput)
        # Anyone who has written in the incident, not only role holders; and a
        # name that appears after the console opened (another console's writer).
        other = Service(Store(app.store.path), app.clock, app.playbook)
        other.note(1, "zoltan", "joined the bridge")
        await pilot.pause(1.2)
        scribe.value = ""
        await pilot.press(*"/ic zol", "tab")
        assert scribe.value == "/ic zoltan"
        scribe.value = ""
        await pilot.press("tab")  # nothing to complete: focus stays (f6 moves between panes)
        assert isinstance(app.focused, ScribeInput)


async def test_checklist_enter_ticks_and_records_who(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        checklist = app.screen.query_one("#checklist")
        checklist.focus()
        await pilot.pause()
        # Move to item 9 (the only one not done in the demo) and tick it.
        checklist.highlighted = checklist.get_option_index("item-9")
        await pilot.press("enter")
        await pilot.pause()
        item = app.store.incident(1).checklist[8]
        assert item.done and item.done_by == "carol"
        assert "✓ 9 If data integrity" in screen_text(app)
        assert "Checklist 9/9" in screen_text(app)
        last = app.store.entry(1, app.store.incident(1).entry_count)
        assert last.kind == "check" and last.text.startswith("✓ 9.")


async def test_countdown_moves_from_calm_to_warning_to_overdue(tmp_path):
    clock = FrozenClock(DEMO_NOW)
    app = demo_app(tmp_path / "w.db", clock=clock)
    rings = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        countdown = app.screen.query_one(UpdateCountdown)
        assert countdown.has_class("-calm")
        clock.advance(minutes=3)
        app.screen.tick()
        await pilot.pause()
        assert countdown.has_class("-warning")
        clock.advance(minutes=2)
        app.screen.tick()
        await pilot.pause()
        assert countdown.has_class("-overdue")
        assert "OVERDUE" in screen_text(app)
        assert rings == [1]
        clock.advance(seconds=30)
        app.screen.tick()
        await pilot.pause()
        assert rings == [1]  # once, not every tick
        # In the 19 columns of the side column at 120, the red OVERDUE box drops the "+".
        assert countdown.query_one("Digits").value == "00:47"
        assert countdown.border_title == "OVERDUE"


async def test_update_composer_records_and_resets_the_countdown(tmp_path):
    clock = FrozenClock(DEMO_NOW)
    app = demo_app(tmp_path / "w.db", clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        clock.advance(minutes=10)
        await pilot.pause()
        await pilot.press("ctrl+u")
        await pilot.pause()
        assert "SEV-1 | QuickBooks sync halted" in screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        incident = app.store.incident(1)
        assert incident.next_update_due == "2026-11-23T23:02:17Z"  # now + 10 min
        assert app.store.updates(1)[-1].delivery == "recorded"
        assert app.screen.query_one(UpdateCountdown).has_class("-calm")


async def test_escape_cancels_the_update_and_sends_nothing(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        before = len(app.store.updates(1))
        await pilot.press("ctrl+u")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.store.updates(1)) == before
        assert isinstance(app.screen, ConsoleScreen)


async def test_start_screen_then_declare_with_the_matrix_in_view(tmp_path):
    store = Store(tmp_path / "w.db")
    app = WarroomApp(store=store, user="alice", clock=FrozenClock(DEMO_NOW), cursor_blink=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, StartScreen)
        await pilot.press("ctrl+n")
        await pilot.pause()
        text = screen_text(app)
        assert "Platform unavailable or data loss" in text
        assert "Critical functionality degraded" in text
        await pilot.press("up", "enter")  # SEV-1
        await pilot.press(*"Checkout down", "enter")
        await pilot.press(*"all card payments", "enter")
        await pilot.press("enter")  # commander: alice (prefilled)
        await pilot.pause()
        assert isinstance(app.screen, ConsoleScreen)
        incident = store.incident(1)
        assert incident.severity == 1 and incident.title == "Checkout down"
        assert incident.impact == "all card payments"
        assert incident.roles.incident_commander == "alice"
        assert incident.checklist[0].done  # declaring ticks "Declare the incident"
        assert "Checkout down" in screen_text(app)


async def test_declare_with_no_title_says_so_and_writes_nothing(tmp_path):
    store = Store(tmp_path / "w.db")
    app = WarroomApp(store=store, user="alice", clock=FrozenClock(DEMO_NOW))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "a title is needed" in screen_text(app)
        assert store.incident_ids() == []


async def test_switcher_opens_another_incident(tmp_path):
    app = demo_app(tmp_path / "w.db")
    app.service.declare(severity=3, title="Slow PDF export", author="erin")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "Slow PDF export" in screen_text(app)  # newest open incident is active
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("down", "enter")  # the list is newest first: INC-1 second
        await pilot.pause()
        assert app.screen.incident.id == 1
        assert "QuickBooks sync halted" in screen_text(app)
        # And back: the first console is shown again, not stacked a third time.
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.incident.id == 2
        assert "Slow PDF export" in screen_text(app)
        assert len(app.screen_stack) == 1
        await type_line(pilot, "still here")
        assert app.store.entries(2, 1, 99)[-1].text == "still here"


async def test_the_console_is_the_first_screen_and_opens_at_the_newest_entry(tmp_path):
    """No blank screen under the console (it would cost the first frame), and the
    timeline starts at its end however long the incident."""
    app = demo_app(tmp_path / "w.db")
    for n in range(300):
        app.service.note(1, "carol", f"filler {n}")
    app.service.note(1, "carol", "the newest one")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen_stack == [app.screen] and isinstance(app.screen, ConsoleScreen)
        assert "the newest one" in screen_text(app)
        timeline = app.screen.query_one(Timeline)
        assert timeline.scroll_y == timeline.max_scroll_y > 0
        await pilot.press("shift+f6")  # to the timeline
        await pilot.press("pageup")
        await pilot.pause()
        assert "the newest one" not in screen_text(app)
        other = Service(Store(app.store.path), app.clock, app.playbook)  # another console
        other.note(1, "dan", "while scrolled up")
        await pilot.pause(1.2)  # the poll sees it; the reader keeps their place
        assert app.screen.incident.entry_count == other.store.incident(1).entry_count
        assert "while scrolled up" not in screen_text(app)
        await pilot.press("end")
        await pilot.pause()
        assert "while scrolled up" in screen_text(app)


async def test_help_lists_every_key_and_command(tmp_path):
    from warroom.commands import COMMANDS

    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 200)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        text = screen_text(app)
        for key in ("ctrl+u", "ctrl+n", "ctrl+o", "ctrl+e", "ctrl+p", "ctrl+q", "f1"):
            assert key in text
        for command in COMMANDS.values():
            assert command.usage in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConsoleScreen)


async def test_slash_help_and_slash_update_open_their_screens(tmp_path):
    from warroom.tui.screens.help import HelpScreen
    from warroom.tui.screens.update import UpdateScreen

    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/help")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await type_line(pilot, "/update")
        assert isinstance(app.screen, UpdateScreen)


async def test_export_key_opens_the_review_and_ctrl_s_exports_it(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
        await pilot.press(*"Token refresh storm at Intuit")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.store.review(1).root_cause == "Token refresh storm at Intuit"
    exported = (tmp_path / "w-INC-1-review.md").read_text()
    assert "QuickBooks sync halted" in exported
    assert "Token refresh storm at Intuit" in exported
    invite = (tmp_path / "w-INC-1-review.ics").read_bytes()
    assert invite.startswith(b"BEGIN:VCALENDAR\r\n")
    unfolded = invite.replace(b"\r\n ", b"").decode()
    assert "Time to mitigate: " in unfolded  # the same invite as 'export --format ics'


async def test_palette_offers_the_console_commands(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"unfreeze")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.store.incident(1).frozen is False


def test_palette_stages_and_severities_come_from_the_playbook():
    from warroom.playbook import default_playbook
    from warroom.tui.palette import actions

    team = default_playbook().replace(
        stages=["detect", "contain", "recover"], severities=default_playbook().severities[:2]
    )
    titles = [title for title, _, _ in actions(team)]
    assert "Move to stage: contain" in titles and "Move to stage: mitigate" not in titles
    assert "Change severity to SEV-2" in titles and "Change severity to SEV-3" not in titles


async def test_two_consoles_see_each_others_entries_within_a_second(tmp_path):
    path = tmp_path / "w.db"
    first = demo_app(path)
    second = WarroomApp(store=Store(path), user="dan", clock=FrozenClock(DEMO_NOW))
    async with first.run_test(size=(120, 40)) as p1, second.run_test(size=(120, 40)) as p2:
        await p1.pause()
        await p2.pause()
        await type_line(p1, "from the first console")
        await p2.pause(1.0)
        assert "from the first console" in screen_text(second)
        await type_line(p2, "/undo")  # dan has nothing of his own to strike
        assert "dan has no entry to strike" in screen_text(second)
        second.screen.query_one(ScribeInput).value = ""
        await type_line(p2, "/freeze off")
        await p1.pause(1.0)
        assert "FROZEN" not in screen_text(first)


async def test_a_locked_database_says_so_and_up_enter_retries(tmp_path):
    import sqlite3

    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        before = app.store.incident(1).entry_count
        blocker = sqlite3.connect(app.store.path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        await pilot.press(*"while locked", "enter")
        await pilot.pause()
        error = app.screen.query_one("#scribe-error")
        assert "database is locked" in str(error.render()) and error.display
        assert app.screen.query_one(ScribeInput).value == ""
        blocker.execute("ROLLBACK")
        blocker.close()
        await pilot.press("up", "enter")  # try again: nothing lost, nothing doubled
        await pilot.pause()
        assert app.store.incident(1).entry_count == before + 1
        assert app.store.entry(1, before + 1).text == "while locked"
        assert not error.display


async def test_a_damaged_database_is_reported_and_the_console_turns_read_only(tmp_path):
    """The integrity check runs after the first frame; the console must not crash."""
    path = tmp_path / "w.db"
    app = demo_app(path)
    store = app.store
    # Fill the file well past a few pages, then scramble its middle.
    for n in range(400):
        app.service.note(1, "carol", f"padding entry {n} " + "x" * 200)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size // 2)
        handle.write(b"\xff" * 8192)
    damaged = WarroomApp(store=Store(path, verify=False), user="carol", clock=FrozenClock(DEMO_NOW))
    async with damaged.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.8)  # the check starts half a second after the first frame
        await damaged.workers.wait_for_complete()
        await pilot.pause()
        assert damaged.damaged and "damaged" in damaged.damaged
        assert damaged.screen.query_one(ScribeInput).disabled
        assert "is damaged" in screen_text(damaged)


async def test_countdown_follows_severity_change_snooze_and_update(tmp_path):
    """Deadline arithmetic through the console, with the clock moved by hand."""
    clock = FrozenClock("2026-11-23T10:00:00Z")
    store = Store(tmp_path / "w.db")
    app = WarroomApp(store=store, user="carol", clock=clock, cursor_blink=False)
    app.service.declare(severity=2, title="Checkout slow", author="carol")  # due 10:15
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        countdown = app.screen.query_one(UpdateCountdown)
        digits = countdown.query_one("Digits")

        async def at(minutes: float) -> None:
            clock.set("2026-11-23T10:00:00Z")
            clock.advance(minutes=minutes)
            app.screen.tick()
            await pilot.pause()

        await at(2)
        assert digits.value == "13:00" and countdown.has_class("-calm")
        await type_line(pilot, "/sev 1")  # every 10 min now: due min(10:15, 10:12)
        assert store.incident(1).next_update_due == "2026-11-23T10:12:00Z"
        await at(8)
        await type_line(pilot, "/sev 2")  # a longer cadence never pushes the deadline back
        await type_line(pilot, "/sev 1")
        assert store.incident(1).next_update_due == "2026-11-23T10:12:00Z"
        await at(10.5)
        assert countdown.has_class("-warning") and digits.value == "01:30"
        await type_line(pilot, "/snooze 5 waiting for the vendor's status page")
        assert store.incident(1).next_update_due == "2026-11-23T10:17:00Z"
        await at(18)
        assert countdown.has_class("-overdue") and digits.value == "01:00"
        await pilot.press("ctrl+u")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert store.incident(1).next_update_due == "2026-11-23T10:28:00Z"  # now + 10 min
        app.screen.tick()
        await pilot.pause()
        assert countdown.has_class("-calm") and digits.value == "10:00"
        await type_line(pilot, "/resolve")
        assert countdown.has_class("-off") and digits.value == "--:--"


async def test_demo_runs_on_a_teams_own_playbook(tmp_path, monkeypatch):
    """``warroom demo --playbook FILE`` seeds and shows the demo with that playbook,
    skipping script lines it cannot take (here: checklist items it does not have)."""
    from click.testing import CliRunner

    import warroom.opening
    from warroom.cli import cli
    from warroom.playbook import default_playbook_text

    text = default_playbook_text().replace("update_every_minutes = 10", "update_every_minutes = 5")
    first, *items = text.split("[[checklist]]")
    after_last = items[-1][items[-1].index("\n[") + 1 :]  # the sections after the checklist
    book = tmp_path / "team.toml"
    book.write_text(f"{first}[[checklist]]{items[0]}{after_last}")  # one checklist item
    opened = {}
    monkeypatch.setattr(
        warroom.opening,
        "run_app",
        lambda store, user, *, playbook=None, **_: (
            opened.update(store=store, user=user, playbook=playbook) or 0
        ),
    )
    db = tmp_path / "demo.db"
    result = CliRunner().invoke(cli, ["demo", "--db", str(db), "--playbook", str(book)])
    assert result.exit_code == 0, result.output
    playbook = opened["playbook"]
    assert playbook.severity(1).update_every_minutes == 5
    incident = opened["store"].incident(1)
    assert incident.severity == 1 and len(incident.checklist) == 1
    app = WarroomApp(store=opened["store"], user="carol", playbook=playbook)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "every 5m" in screen_text(app)


async def test_an_incident_of_a_severity_the_playbook_lacks_still_opens(tmp_path):
    """Declared as SEV-4, opened with a team playbook that stops at SEV-3: the
    console shows it, counts down at the playbook's fastest cadence, and the
    severity can be changed."""
    from warroom.playbook import default_playbook

    store = Store(tmp_path / "w.db")
    clock = FrozenClock(DEMO_NOW)
    Service(store, clock, default_playbook()).declare(severity=4, title="Minor", author="ann")
    team = default_playbook().replace(severities=default_playbook().severities[:3])
    app = WarroomApp(store=store, user="ann", clock=clock, playbook=team)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "SEV-4" in text and "every 10m" in text
        await type_line(pilot, "/sev 3")
        assert store.incident(1).severity == 3
        assert "every 15m" in screen_text(app)


def test_template_placeholders_are_the_fields_filled_in(store, incident, playbook, clock):
    from warroom.comms.templates import TEMPLATE_FIELDS, template_fields

    fields = template_fields(incident, playbook, clock.now(), None)
    assert tuple(fields) == TEMPLATE_FIELDS


async def test_time_to_mitigate_and_resolve_sit_in_the_header_when_there_is_room(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        header, *rest = screen_text(app).splitlines()
        assert "TTM 00:42:17" in header and "TTR 00:42:17" in header
        assert not any("TTM" in line for line in rest)
    app = demo_app(tmp_path / "w2.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        header, *rest = screen_text(app).splitlines()
        assert "TTM" not in header and "QuickBooks sync halted" in header
        assert any("TTM 00:42:17" in line for line in rest)  # under the countdown
