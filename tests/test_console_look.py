"""Issue 9: readable at 80x24, and a bridge view for a shared screen.

Each test presses real keys through Pilot and reads what the terminal shows.
"""

from __future__ import annotations

import pytest
from textual.widgets import Digits

from console_support import DEMO_NOW, demo_app, screen_text, type_line
from warroom.clock import FrozenClock
from warroom.commands import completions, describe_completion, run_line
from warroom.db.store import Store
from warroom.service import Service
from warroom.tui.app import WarroomApp
from warroom.tui.screens.bridge import BridgeScreen
from warroom.tui.screens.console import ConsoleScreen
from warroom.tui.screens.declare import DeclareScreen
from warroom.tui.screens.entry import EntryScreen
from warroom.tui.widgets.bigdigits import BigDigits, best_scale, render_rows
from warroom.tui.widgets.countdown import UpdateCountdown
from warroom.tui.widgets.scribe_input import ScribeInput
from warroom.tui.widgets.timeline import Timeline

#: A long note of distinct words, so any cut of it is found once on screen.
LONG = " ".join(f"w{n:02d}" for n in range(60))


def shown_chars(app, text: str) -> int:
    """How many characters of ``text`` (from its start) one row of the screen shows."""
    best = 0
    for row in screen_text(app).splitlines():
        if text[:8] not in row:
            continue
        count = 8
        while count < len(text) and text[: count + 1] in row:
            count += 1
        best = max(best, count)
    return best


def other(app) -> Service:
    """A second writer on the same file (another console, or `warroom log`)."""
    return Service(Store(app.store.path), app.clock, app.playbook)


# -- the timeline ---------------------------------------------------------------


@pytest.mark.parametrize(("size", "goal"), [((80, 24), 50), ((120, 30), 90)])
async def test_a_line_shows_at_least_50_characters_at_80_and_90_at_120(tmp_path, size, goal):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await type_line(pilot, "first " + LONG)  # carol wrote the entry above too
        await type_line(pilot, LONG)
        assert shown_chars(app, LONG) >= goal
        await type_line(pilot, "/decision " + LONG)
        assert shown_chars(app, LONG) >= goal - len("▶ decision: ")


async def test_the_author_is_named_where_it_changes_and_on_the_top_row(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_line(pilot, "carol one")
        await type_line(pilot, "carol two")
        other(app).note(1, "dan", "dan from his console")
        await pilot.pause(1.2)  # the poll picks it up
        await type_line(pilot, "carol three")
        rows = {
            text: row
            for row in screen_text(app).splitlines()
            for text in ("carol one", "carol two", "dan from", "carol three")
            if text in row
        }
        assert "@carol" not in rows["carol one"]  # carol wrote the entry above it
        assert "@carol" not in rows["carol two"]
        assert "@dan dan from his console" in rows["dan from"]
        assert "@carol carol three" in rows["carol three"]
        timeline = app.screen.query_one(Timeline)
        top = timeline.render_line(0).text
        assert "@" in top  # whoever wrote the top row is named, whatever came before


async def test_the_timeline_title_names_the_time_zone(tmp_path, monkeypatch):
    import time as _time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    _time.tzset()
    try:
        app = demo_app(tmp_path / "w.db")
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "Timeline · UTC" in screen_text(app)
            assert "33 22:40 " in screen_text(app)
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert "Timeline · local (CET)" in screen_text(app)
            assert "33 23:40 " in screen_text(app)  # Berlin is UTC+1 in November
    finally:
        monkeypatch.delenv("TZ")
        _time.tzset()


async def test_ctrl_r_then_enter_reads_the_newest_entry_whole(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_line(pilot, "older " + LONG)
        await type_line(pilot, "newest " + LONG)
        assert "w59" not in screen_text(app)  # cut on its line
        await pilot.press("ctrl+r")
        await pilot.pause()
        timeline = app.screen.query_one(Timeline)
        assert app.focused is timeline and timeline.cursor == timeline.row_count - 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EntryScreen)
        assert app.screen.entry.text == "newest " + LONG
        assert "w59" in screen_text(app)
        await pilot.press("escape", "up", "enter")  # the one before
        await pilot.pause()
        assert app.screen.entry.text == "older " + LONG
        await pilot.press("escape", "escape")  # the entry, then the timeline
        await pilot.pause()
        assert isinstance(app.focused, ScribeInput)
        assert app.store.incident(1).entry_count == 35  # reading wrote nothing


async def test_reading_keeps_up_with_new_entries_on_the_newest_row(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+r")
        other(app).note(1, "dan", "arrived while reading")
        await pilot.pause(1.2)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.entry.text == "arrived while reading"


# -- the checklist ----------------------------------------------------------------


async def test_every_checklist_item_is_on_screen_at_80x24(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Checklist 8/9" in text
        for item in app.store.incident(1).checklist:
            mark = "✓" if item.done else "☐"
            assert f"{mark} {item.position} {item.label[:9]}" in text, item.label


async def test_tab_completes_check_with_the_items_label(tmp_path):
    app = demo_app(tmp_path / "w.db")
    shown: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.notify = lambda message, **kw: shown.append(message)  # type: ignore[method-assign]
        scribe = app.screen.query_one(ScribeInput)
        await pilot.press(*"/check ", "tab")  # item 9 is the only one not ticked
        assert scribe.value == "/check 9"
        assert (
            shown[-1]
            == "/check 9  If data integrity is at risk, follow the Database Recovery Checklist"
        )
        scribe.value = ""
        await pilot.press(*"/uncheck query", "tab")  # by words of the label
        assert scribe.value == "/uncheck 7"
        scribe.value = ""
        await pilot.press(*"/uncheck ", "tab")  # eight candidates: listed with labels
        assert scribe.value == "/uncheck "
        assert "/uncheck 7  Capture query plans, logs a…" in shown[-1].splitlines()
        assert len(shown[-1].splitlines()) == 8
        scribe.value = "/check 9"
        await pilot.press("enter")
        await pilot.pause()
        assert app.store.incident(1).checklist[8].done


def test_check_completion_is_pure(incident):
    items = incident.checklist  # item 1 is ticked by declaring
    assert completions("/check ", [], items)[:2] == ["/check 2", "/check 3"]
    assert completions("/check FREEZE", [], items) == ["/check 2"]
    assert completions("/uncheck capture", [], ()) == []
    assert completions("/uncheck ", [], items) == ["/uncheck 1"]
    assert completions("/check 1", [], items) == []  # ticked: nothing to tick
    assert completions("/check ", [], ()) == []  # no checklist, no guesses
    assert describe_completion("/check 2", items).endswith("Freeze risky changes: halt deployments")
    assert describe_completion("/ic ", items) == "/ic"
    assert describe_completion("/check 2", items, 20) == "/check 2  Freeze ri…"


# -- the header and the bridge link --------------------------------------------------


async def test_the_header_keeps_the_title_and_leaves_the_link_out(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert "QuickBooks sync halted" in header and "FROZEN" in header
        assert "meet.example" not in header


async def test_slash_bridge_alone_shows_the_link_whole_and_copies_it(tmp_path):
    app = demo_app(tmp_path / "w.db")
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        long_link = "https://meet.example.com/j/" + "9" * 70 + "?pwd=abc"
        await type_line(pilot, f"/bridge {long_link}")
        before = app.store.incident(1).entry_count
        await type_line(pilot, "/bridge")
        assert app.store.incident(1).entry_count == before  # an answer writes nothing
        under = app.screen.query_one("#scribe-error")
        assert under.display and long_link in str(under.render()).replace("\n", "")
        area = under.region  # on screen, whole (wrapped to fit)
        rows = screen_text(app).splitlines()[area.y : area.bottom]
        assert long_link in "".join(row[area.x : area.right].strip() for row in rows)
        assert copied == [long_link]
        assert app.screen.query_one(ScribeInput).value == ""


def test_slash_bridge_without_a_link_says_how_to_set_one(ops, incident):
    outcome = run_line(ops, incident.id, "carol", "/bridge")
    assert outcome.message == "no bridge link yet: /bridge URL sets it"
    assert outcome.clipboard is None and not outcome.entries


def test_the_slack_root_message_carries_the_bridge_link(store, db_path, clock, playbook):
    import asyncio

    from fake_slack import FakeSlack, bot_config
    from warroom.comms.delivery import Deliverer
    from warroom.db import outbox

    with FakeSlack(now=clock.now) as slack:
        config = bot_config(slack)
        ops = Service(store, clock, playbook, comms=config)
        incident = ops.declare(severity=2, title="Sync halted", author="alice", commander="alice")

        def drain() -> None:
            async def sleep(seconds: float) -> None:
                clock.advance(seconds=seconds)
                await asyncio.sleep(0)

            deliverer = Deliverer(db_path, config, clock=clock, sleep=sleep, timeout=2.0)
            asyncio.run(asyncio.wait_for(deliverer.run(until_idle=True), 30))

        drain()
        ops.set_bridge(incident.id, "carol", "https://meet.example.com/a?b=1&c=2")
        assert [m.kind for m in outbox.messages(store)] == ["declare", "root"]
        drain()
        edit = slack.posted[-1]
        assert edit.method == "chat.update"
        assert edit.text.splitlines()[-1] == "Bridge: https://meet.example.com/a?b=1&amp;c=2"


# -- the declare dialog --------------------------------------------------------------


async def test_the_declare_dialog_fits_80x24_with_its_keys_in_view(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        text = screen_text(app)
        assert "ctrl+s declare" in text
        assert "SEV-1 Platform unavailable" in text and "SEV-4" in text
        assert "Incident Commander" in text and "carol (you) if left empty" in text


async def test_ctrl_u_in_the_declare_dialog_clears_the_field_not_a_new_dialog(tmp_path):
    store = Store(tmp_path / "w.db")
    app = WarroomApp(store=store, user="alice", clock=FrozenClock(DEMO_NOW), cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("enter", *"Checkuot down")
        await pilot.press("ctrl+u")  # as in any terminal: clear to the start of the line
        await pilot.pause()
        assert isinstance(app.screen, DeclareScreen)
        assert "No incident" not in screen_text(app)
        assert app.screen.query_one("#declare-title-input").value == ""
        await pilot.press(*"Checkout down", "enter", "enter")
        await pilot.press(*"dora", "ctrl+s")  # typed into an empty field: the whole name
        await pilot.pause()
        assert store.incident(1).roles.incident_commander == "dora"


async def test_the_commander_left_empty_is_whoever_declares(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        commander = app.screen.query_one("#declare-commander")
        assert commander.value == ""
        await pilot.press("enter", *"Uploads failing", "enter", "enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConsoleScreen)
        assert app.store.incident(2).roles.incident_commander == "carol"


async def test_console_keys_stand_aside_over_a_dialog_but_work_from_the_palette(tmp_path):
    from warroom.tui.screens.update import UpdateScreen

    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1", "ctrl+e")  # help open: ctrl+e does not stack the review
        await pilot.pause()
        assert len(app.screen_stack) == 2
        await pilot.press("escape", "ctrl+p")
        await pilot.pause()
        await pilot.press(*"compose stakeholder")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, UpdateScreen)


async def test_an_overdue_clock_fits_the_narrow_side_column(tmp_path):
    """19 columns hold "04:43" in Digits but not "+03:17" (18 cells): the red
    OVERDUE box drops the "+"; an hour late, the clock is written in plain text."""
    clock = FrozenClock(DEMO_NOW)
    app = demo_app(tmp_path / "w.db", clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        countdown = app.screen.query_one(UpdateCountdown)
        clock.advance(minutes=8)
        app.screen.tick()
        await pilot.pause()
        digits = countdown.query_one(Digits)
        assert digits.value == "03:17" and digits.display
        assert digits.region.right <= countdown.content_region.right  # not cut
        assert "OVERDUE" in screen_text(app)
        clock.advance(minutes=62)
        app.screen.tick()
        await pilot.pause()
        assert not digits.display
        assert "+1:05:17" in screen_text(app)


# -- the bridge view -----------------------------------------------------------------


def test_big_digits_scale_with_the_terminal():
    assert best_scale("04:43", 160, 48) == 3  # 15 rows: a third of 48
    assert best_scale("04:43", 80, 24) == 1
    assert best_scale("+1:04:43", 120, 90) < best_scale("04:43", 120, 90)  # held by the width
    rows = render_rows("1:0", 2)
    assert len(rows) == 10 and len({len(row) for row in rows}) == 1
    assert rows[0].startswith("    ████    ")  # the 1's top: 2x2 columns a pixel at scale 2


async def test_the_bridge_view_fills_a_third_of_a_big_screen(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        for line in ("/star 17", "/star 25", "/decision keep batching off until Intuit recovers"):
            await type_line(pilot, line)
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, BridgeScreen)
        digits = app.screen.query_one(BigDigits)
        assert digits.region.height >= 48 // 3 - 1
        rows = [row for row in screen_text(app).splitlines() if "██" in row]
        assert len(rows) == digits.region.height
        text = screen_text(app)
        for expected in (
            "invoice sync delayed for ~40% of tenants",  # impact
            "IC alice · Comms bob",
            "MITIGATE 3/5 · deployments FROZEN",
            "Checklist   8/9 done",
            "Impact for  00:42:17 (since 22:00 UTC)",
            "https://meet.example.com/inc-quickbooks",
            "22:42 ▶ keep batching off until Intuit recovers",
            "22:16 ★ dan: queue depth falling, 31k",
            "22:07 ▶ fail over sync to the secondary OAuth app",
        ):
            assert expected in text, expected
        assert (
            "Intuit API returning 429" not in text
        )  # a fourth key event: not among the last three


async def test_the_bridge_view_says_overdue_itself_and_no_toast_lands_on_it(tmp_path):
    clock = FrozenClock(DEMO_NOW)
    app = demo_app(tmp_path / "w.db", clock=clock)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        clock.advance(minutes=5)  # the update was due in 04:43
        await pilot.pause(1.3)  # a tick of the clock
        text = screen_text(app)
        assert "UPDATE OVERDUE by 00:17" in text
        assert app.screen.query_one(BigDigits).text == "+00:17"
        assert rings == [1]  # the console kept time underneath and rang once
        app.notify("a notice for the console", title="Update overdue")
        await pilot.pause()
        assert "a notice for the console" not in screen_text(app)
        assert "Update overdue" not in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConsoleScreen)
        assert "a notice for the console" in screen_text(app)  # it waited


async def test_hostile_text_in_the_bridge_view_and_timeline_is_shown_literally(tmp_path):
    store = Store(tmp_path / "w.db")
    clock = FrozenClock(DEMO_NOW)
    ops = Service(store, clock, WarroomApp(store=store, user="x").playbook)
    title = "[bold red]pwn[/] \x1b[2J " + "long title " * 16
    incident = ops.declare(severity=2, title=title, author="mallory", impact="[$accent]x" * 40)
    ops.note(incident.id, "a-very-long-slack-display-name (SRE, EU)", "[b]not bold[/b] \u202eevil")
    ops.note(incident.id, "carol", "/decision [link=x]y[/link]")
    app = WarroomApp(store=store, user="carol", clock=clock, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "@a-very-long-sla… [b]not bold[/b] <U+202E>evil" in text
        await pilot.press("f2")
        await pilot.pause()
        text = screen_text(app)
        assert "[bold red]pwn[/] ␛[2J" in text
        assert "escape returns to the console" in text  # a long title and impact still fit


async def test_a_long_slack_status_keeps_one_line_and_every_checklist_item_in_view(tmp_path):
    """A retrying Slack says why at length; in the narrow side column that text
    wrapped to five lines and pushed checklist items 6-9 off an 80x24 screen."""
    from warroom.db.outbox import OutboxStatus
    from warroom.tui.app import OutboxStatusChanged

    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        status = OutboxStatus(
            "retrying",
            "retrying in 3 s: connection error (ConnectError: All connection attempts failed)",
            waiting=2,
            retry_in=3.0,
        )
        app.post_message(OutboxStatusChanged(status))
        await pilot.pause()
        text = screen_text(app)
        assert "Slack: retry in 3s" in text
        assert "attempts failed" not in text  # the rest is in f4's list
        for item in app.store.incident(1).checklist:
            mark = "✓" if item.done else "☐"
            assert f"{mark} {item.position} {item.label[:9]}" in text, item.label


def test_the_narrow_slack_indicator_says_the_state_and_where_to_act():
    from warroom.db.outbox import OutboxStatus

    assert OutboxStatus("failed", "slack failed: channel_not_found").short == "failed (f4)"
    assert OutboxStatus("unsure", "1 may not have arrived").short == "unsure (f4)"
    assert OutboxStatus("waiting", "3 waiting (not configured here)", 3).short == "3 waiting"
    assert OutboxStatus("delivered", "delivered").short == "delivered"
