"""Filtering, follow-ups, the bridge view, closing: driven with keys, checked on screen."""

from __future__ import annotations

from console_support import demo_app, screen_text, type_line, until
from warroom.tui.screens.bridge import BridgeScreen
from warroom.tui.screens.followups import FollowupsScreen
from warroom.tui.widgets.scribe_input import ScribeInput
from warroom.tui.widgets.timeline import Timeline


async def test_ctrl_f_filters_the_timeline_and_escape_restores_it(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        timeline = app.screen.query_one(Timeline)
        await pilot.press("ctrl+f")
        await pilot.press(*"kind:action")
        await pilot.pause()
        shown = [timeline.render_line(y).text for y in range(timeline.row_count)]
        assert timeline.row_count == 2
        assert all("action:" in line for line in shown)
        assert "2 of 33" in screen_text(app)
        await pilot.press("enter")  # keep the filter, back to the scribe line
        assert isinstance(app.focused, ScribeInput)
        await type_line(pilot, "/action paged the DBA")  # new matches join the view
        assert timeline.row_count == 3
        await pilot.press("ctrl+f", "escape")
        await pilot.pause()
        assert timeline.rows is None and timeline.row_count == app.store.incident(1).entry_count


async def test_filter_by_text_author_and_star(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/star 18")
        timeline = app.screen.query_one(Timeline)
        await pilot.press("ctrl+f", *"starred")
        await pilot.pause()
        assert timeline.rows == [18]
        await pilot.press(*["backspace"] * 7, *"queue @carol")
        await pilot.pause()
        assert timeline.rows == [15, 25, 29, 33]


async def test_followups_are_listed_and_ticked_off_with_space(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/fu add a sync-lag alert @dan due:2026-12-01")
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, FollowupsScreen)
        assert "[ ] add a sync-lag alert  @dan  due 2026-12-01" in screen_text(app)
        await pilot.press("space")
        await pilot.pause()
        (followup,) = app.store.followups(1)
        assert followup.done
        assert "[x] add a sync-lag alert" in screen_text(app)


async def test_a_followup_ticked_in_f3_is_in_the_console_behind_at_once(tmp_path):
    """The follow-ups dialog posts what it wrote: the console behind it (seen
    dimmed) reads the incident again then, not only when the dialog closes."""
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/fu add a sync-lag alert @dan due:2026-12-01")
        console = app.console_screen
        assert console is not None
        timeline = console.query_one(Timeline)
        before = timeline.count
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, FollowupsScreen), "the follow-ups")
        await pilot.press("space")
        await until(pilot, lambda: timeline.count == before + 1, "the tick in the timeline")
        assert isinstance(app.screen, FollowupsScreen)  # still open
        newest = timeline.render_line(timeline.scrollable_content_region.height - 1).text
        assert "follow-up done: add a sync-lag alert" in newest


async def test_bridge_view_shows_the_countdown_big_and_escape_returns(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, BridgeScreen)
        text = screen_text(app)
        assert "SEV-1 · INC-1" in text and "MITIGATE 3/5" in text
        assert "QuickBooks sync halted" in text
        assert app.screen.query_one("#bridge-digits").text == "04:43"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.focused, ScribeInput)


async def test_a_closed_incident_opens_read_only(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/resolve")
        assert "TTR 00:42:17 ✓" in screen_text(app)
        await type_line(pilot, "/close")
        assert "no review yet" in screen_text(app)  # under the input; nothing written
        assert app.store.incident(1).status == "resolved"
        app.service.set_review(
            1, "carol", root_cause="x", contributing_factors="", resolution_steps="", review_at=None
        )
        scribe = app.screen.query_one(ScribeInput)
        assert scribe.value == ""  # a refused line is cleared, and kept in the history
        await pilot.press("up", "enter")
        await pilot.pause()
        assert "/close again to confirm" in screen_text(app)  # closing asks once
        assert app.store.incident(1).status == "resolved"
        await pilot.press("up", "enter")
        await pilot.pause()
        assert scribe.disabled
        assert "read-only" in screen_text(app)
        before = app.store.incident(1).entry_count
        await pilot.press(*"should not land", "enter")
        assert app.store.incident(1).entry_count == before


async def test_client_email_is_written_as_eml_and_copied(tmp_path):
    app = demo_app(tmp_path / "w.db")
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+u")
        await pilot.pause()
        app.screen.query_one("#audience-client").value = True
        await pilot.pause()
        assert "AdvisorOS Incident Update - QuickBooks sync halted" in screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        update = app.store.updates(1)[-1]
        assert update.audience == "client"
    (eml,) = (tmp_path / "w-outbox").glob("*.eml")
    assert b"Subject: AdvisorOS Incident Update - QuickBooks sync halted" in eml.read_bytes()
    assert copied and copied[0].startswith("Subject: AdvisorOS Incident Update")


async def test_dates_appear_past_midnight_and_ctrl_t_shows_local_time(tmp_path, monkeypatch):
    import time as _time

    from warroom.clock import FrozenClock
    from warroom.db.store import Store
    from warroom.tui.app import WarroomApp

    monkeypatch.setenv("TZ", "America/New_York")
    _time.tzset()
    try:
        clock = FrozenClock("2026-11-23T23:50:00Z")
        store = Store(tmp_path / "w.db")
        app = WarroomApp(store=store, user="carol", clock=clock, cursor_blink=False)
        app.service.declare(severity=3, title="Late-night drift", author="carol")
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            timeline = app.screen.query_one(Timeline)
            assert timeline.render_line(0).text.split()[1] == "23:50"  # one day: time only
            clock.advance(minutes=20)  # 00:10 UTC the next day
            await type_line(pilot, "still going")
            app.screen.tick()
            await pilot.pause()
            assert "11-23 23:50" in timeline.render_line(0).text
            assert "11-24 00:10" in timeline.render_line(timeline.row_count - 1).text
            assert timeline.border_title.strip() == "Timeline · UTC"
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert "11-23 18:50" in timeline.render_line(0).text  # New York, UTC-5
            assert timeline.border_title.strip() == "Timeline · local (EST)"
    finally:
        monkeypatch.delenv("TZ")
        _time.tzset()


async def test_a_backdated_note_shows_both_times_and_dates_the_timeline(tmp_path):
    """/at 23:55 just after midnight: the entry shows when it happened and when it
    was logged, even when its text is too long for the line, and since the timeline
    now spans two UTC days, every time carries its date. A wide timeline (160
    columns) marks the backdated time with * and shows seconds."""
    from warroom.clock import FrozenClock
    from warroom.db.store import Store
    from warroom.tui.app import WarroomApp

    clock = FrozenClock("2026-11-24T00:05:00Z")
    app = WarroomApp(store=Store(tmp_path / "w.db"), user="carol", clock=clock, cursor_blink=False)
    app.service.declare(severity=3, title="Just after midnight", author="carol")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        timeline = app.screen.query_one(Timeline)
        assert timeline.render_line(0).text.split()[1] == "00:05"  # one day so far
        app.screen.query_one(ScribeInput).value = "/at 23:55 first alert, " + "still firing " * 9
        await pilot.press("enter")
        await pilot.pause()
        app.screen.tick()
        await pilot.pause()
        line = timeline.render_line(timeline.row_count - 1).text.rstrip()
        assert "11-23 23:55 first alert" in line
        assert line.endswith("…  (logged 00:05)")
        assert "11-24 00:05" in timeline.render_line(0).text
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        line = timeline.render_line(timeline.row_count - 1).text.rstrip()
        assert "11-23 23:55:00*" in line and line.endswith("…  (logged 00:05)")


async def test_the_incident_list_shows_each_incident_and_a_closed_one_opens_read_only(tmp_path):
    app = demo_app(tmp_path / "w.db")
    old = app.service.declare(severity=3, title="Old PDF outage", author="erin")
    app.service.add_followup(old.id, "erin", "add a PDF smoke test", owner="erin", due="2026-12-01")
    app.service.resolve(old.id, "erin")
    app.service.set_review(
        old.id, "erin", root_cause="x", contributing_factors="", resolution_steps="", review_at=None
    )
    app.service.close(old.id, "erin")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        assert app.screen.incident.id == 1  # the open one
        await pilot.press("ctrl+o")
        await pilot.pause()
        text = screen_text(app)
        row = next(line for line in text.splitlines() if "Old PDF outage" in line)
        assert "INC-2" in row and "SEV-3" in row and "closed" in row and "1 open fu" in row
        demo_row = next(line for line in text.splitlines() if "QuickBooks" in line)
        assert "00:42:17" in demo_row and "open" in demo_row
        await pilot.press("enter")  # newest first: INC-2
        await pilot.pause()
        assert app.screen.incident.id == old.id
        scribe = app.screen.query_one(ScribeInput)
        assert scribe.disabled and "read-only" in screen_text(app)


async def test_ctrl_q_quits_with_everything_saved(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await type_line(pilot, "last words")
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0
    count = app.store.incident(1).entry_count
    assert app.store.entry(1, count).text == "last words"


async def test_the_review_screen_keeps_every_field_and_guards_unsaved_text(tmp_path):
    """ctrl+e: the three texts multi-line and exact, the proposed meeting date (two
    business days after resolution: Monday 23 Nov resolved -> Wednesday 25) and
    the invitees in view; a bad date is one line and saves nothing; escape with
    unsaved text warns once, then discards."""
    from textual.widgets import Input, TextArea

    from warroom.tui.screens.review import ReviewScreen

    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/resolve")
        await pilot.press("ctrl+e")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        text = screen_text(app)
        assert "engineering, product, support, customer success" in text
        assert screen.query_one("#review-date", Input).value == "2026-11-25"
        await pilot.press(*"first line", "enter", *"[b]second[/b]")
        assert app.store.review(1).root_cause == ""
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and "unsaved changes" in screen_text(app)
        screen.query_one("#review-factors", TextArea).text = "tired on-call\n\nno runbook"
        screen.query_one("#review-steps", TextArea).text = "1. fail over\n2. drain"
        screen.query_one("#review-date", Input).value = "2026-02-30"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "'2026-02-30' is not a date" in screen_text(app)
        assert app.store.review(1).root_cause == ""
        screen.query_one("#review-date", Input).value = "2026-11-26"
        await pilot.press("ctrl+s")
        await pilot.pause()
    review = app.store.review(1)
    assert review.root_cause == "first line\n[b]second[/b]"
    assert review.contributing_factors == "tired on-call\n\nno runbook"
    assert review.resolution_steps == "1. fail over\n2. drain"
    assert review.review_at == "2026-11-26"


async def test_escape_twice_discards_an_unsaved_review(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
        await pilot.press(*"half a thought", "escape", "escape")
        await pilot.pause()
        assert isinstance(app.focused, ScribeInput)
    assert app.store.review(1).root_cause == ""


async def test_show_opens_an_entry_whole_with_its_lines(tmp_path):
    """The timeline draws one line per entry; /show N draws all of it, literally."""
    from textual import events

    from warroom.tui.screens.entry import EntryScreen

    app = demo_app(tmp_path / "w.db")
    trace = (
        'Traceback (most recent call last):\n  File "sync.py", line 9\n[bold]KeyError[/]: \x1b[31m'
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one(ScribeInput).post_message(events.Paste(trace))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        seq = app.store.incident(1).entry_count
        await type_line(pilot, f"/show {seq}")
        assert isinstance(app.screen, EntryScreen)
        lines = screen_text(app).splitlines()
        # Its own line, indentation kept: not joined to the line before.
        assert any('  File "sync.py", line 9' in ln and "Traceback" not in ln for ln in lines)
        assert any("[bold]KeyError[/]: ␛[31m" in line for line in lines)
        assert f"INC-1 #{seq}" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.focused, ScribeInput)
        await type_line(pilot, "/show 999")
        assert "no entry #999" in screen_text(app)
