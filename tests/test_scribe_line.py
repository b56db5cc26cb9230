"""The scribe line never loses or merges a line, and nothing typed ends the console.

Driven with real keys through Pilot; the screen and the database are checked.
"""

from __future__ import annotations

import pytest
from textual import events

from console_support import demo_app, message_line, screen_text, type_line, until
from warroom.db.store import Store
from warroom.tui.screens.console import ConsoleScreen
from warroom.tui.screens.help import HelpScreen
from warroom.tui.widgets.checklist import Checklist
from warroom.tui.widgets.scribe_input import ScribeInput
from warroom.tui.widgets.timeline import Timeline


def _texts_after(app, seq: int) -> list[tuple[str, str]]:
    """(kind, text) of every entry after entry ``seq``, read from the file."""
    reader = Store(app.store.path)
    try:
        count = reader.incident(1).entry_count
        return [(e.kind, e.text) for e in reader.entries(1, seq + 1, count)]
    finally:
        reader.close()


def _checklist_state(app) -> list[bool]:
    return [item.done for item in app.store.incident(1).checklist]


# -- item 6: a rejected line is cleared and kept in the history ---------------


async def test_a_rejected_line_is_cleared_so_the_next_lines_are_recorded(tmp_path):
    """The issue's sequence at call speed: /snooze (no arguments) was rejected,
    then a note and five commands were typed onto it and nothing was recorded.
    Every key is pressed without waiting for the screen."""
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = app.store.incident(1).entry_count
        lines = [
            "/snooze",
            "uploads succeeding again on all pods",
            "/milestone impact_started 21:55 alerts began before the page",
            "/resolve",
            "/fu add a lag alert @dan",
            "/freeze off",
            "/close",
        ]
        keys = [key for line in lines for key in [*line, "enter"]]
        await pilot.press(*keys)
        await pilot.pause()
        written = _texts_after(app, before)
        kinds = [kind for kind, _ in written]
        assert kinds == ["note", "milestone", "resolve", "followup", "freeze"]
        assert written[0][1] == "uploads succeeding again on all pods"
        scribe = app.screen.query_one(ScribeInput)
        assert scribe.value == ""
        # The last line (/close before a review) was refused: it says why, on one line.
        assert "review" in message_line(app) and "↑ recalls the line" in message_line(app)
        await pilot.press("up")
        assert scribe.value == "/close"
        await pilot.press("up", "up", "up", "up", "up", "up")
        assert scribe.value == "/snooze"  # the rejected line is in the history too


async def test_a_rejected_line_says_why_under_the_input_and_up_brings_it_back(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = app.store.incident(1)
        await type_line(pilot, "/snooze")
        text = screen_text(app).splitlines()
        row = next(i for i, line in enumerate(text) if "usage: /snooze MINUTES REASON" in line)
        scribe = app.screen.query_one(ScribeInput)
        assert scribe.region.y + scribe.region.height == row  # right under the input
        assert scribe.value == "" and app.store.incident(1) == before
        await pilot.press("up")
        assert scribe.value == "/snooze"
        await pilot.press(*" 10 waiting for the vendor", "enter")
        await pilot.pause()
        assert app.store.incident(1).entry_count == before.entry_count + 1
        assert message_line(app) == ""  # a line that worked clears the message


async def test_fu_without_an_owner_says_the_owner_is_missing(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/fu fix it")
        assert "@OWNER is missing" in message_line(app)
        await type_line(pilot, "/fu fix it @")
        assert "@ needs a name" in message_line(app)
        await type_line(pilot, "/fu @dan")
        assert "needs text before @dan" in message_line(app)


# -- item 6: Tab completes and nothing else; f6 moves between panes -----------


async def test_tab_only_completes_and_the_note_is_recorded(tmp_path):
    """`rollback done`, Tab, ` on all pods`, Enter: one note, no checklist change."""
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = app.store.incident(1).entry_count
        ticks = _checklist_state(app)
        await pilot.press(*"rollback done", "tab", *" on all pods", "enter")
        await pilot.pause()
        assert isinstance(app.focused, ScribeInput)
        assert _texts_after(app, before) == [("note", "rollback done on all pods")]
        assert _checklist_state(app) == ticks
        await pilot.press("shift+tab")
        assert isinstance(app.focused, ScribeInput)


async def test_f6_moves_between_panes_and_is_in_the_footer_and_help(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        # What a person waits for before pressing f6: the checklist is on screen
        # (the side panes follow the first frame) and the footer names the key.
        await until(pilot, lambda: bool(app.screen.query(Checklist)), "the checklist")
        await until(
            pilot, lambda: "f6 Panes" in screen_text(app).splitlines()[-1], "f6 in the footer"
        )
        await pilot.press("f6")
        assert isinstance(app.focused, Checklist)
        await pilot.press("f6")
        assert isinstance(app.focused, Timeline)
        await pilot.press("f6")
        assert isinstance(app.focused, ScribeInput)
        await pilot.press("shift+f6")
        assert isinstance(app.focused, Timeline)
        await pilot.press("f18")  # what some terminals send for shift+f6
        assert isinstance(app.focused, Checklist)  # round the back
        await pilot.press("escape")  # back to the scribe line
        assert isinstance(app.focused, ScribeInput)
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        await until(pilot, lambda: "next pane" in screen_text(app), "the help's f6 line")
        assert "f6" in screen_text(app)


@pytest.mark.parametrize("pane", [Checklist, Timeline])
async def test_typing_in_another_pane_goes_to_the_scribe_line(tmp_path, pane):
    """Keys typed while the checklist or the timeline has focus land in the scribe
    line, in order, focus following; the checklist's space ticks nothing."""
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = app.store.incident(1).entry_count
        ticks = _checklist_state(app)
        app.screen.query_one(pane).focus()
        await pilot.pause()
        await pilot.press(*" db failover ok", "enter")
        await pilot.pause()
        assert isinstance(app.focused, ScribeInput)
        assert _texts_after(app, before) == [("note", " db failover ok")]
        assert _checklist_state(app) == ticks


async def test_keys_typed_faster_than_the_screen_keep_their_order(tmp_path):
    """A burst of keys queued while the timeline has focus: the first moves focus
    to the scribe line, and none of the others overtakes another."""
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one(Timeline).focus()
        await pilot.pause()
        text = "the quick brown fox jumps over the lazy dog 0123456789"
        for char in text:  # posted at once, as a terminal delivers a fast typist
            app.post_message(events.Key(char if char.isalnum() else "space", char))
        await pilot.pause()
        assert app.screen.query_one(ScribeInput).value == text


async def test_a_paste_into_another_pane_goes_to_the_scribe_line(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one(Checklist).focus()
        await pilot.pause()
        app.post_message(events.Paste("pasted line"))
        await pilot.pause()
        assert app.screen.query_one(ScribeInput).value == "pasted line"
        assert isinstance(app.focused, ScribeInput)


async def test_escape_clears_the_line_into_the_history(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = app.store.incident(1).entry_count
        await pilot.press(*"half a thought", "escape")
        scribe = app.screen.query_one(ScribeInput)
        assert scribe.value == ""
        await pilot.press("up")
        assert scribe.value == "half a thought"
        assert app.store.incident(1).entry_count == before
        await pilot.press("f1")
        await pilot.pause()
        assert "clear the line" in screen_text(app)


# -- item 6: a filter that hides the new entry says so ------------------------


async def test_a_filter_hiding_the_new_entry_says_so_and_escape_clears_it(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f", *"kind:decision", "enter")
        await pilot.pause()
        assert isinstance(app.focused, ScribeInput)
        await type_line(pilot, "vendor: fix deployed")
        count = app.store.incident(1).entry_count
        assert app.store.entry(1, count).text == "vendor: fix deployed"
        assert f"#{count} saved; the filter hides it" in message_line(app)
        assert "vendor: fix" not in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one(Timeline).rows is None
        assert "vendor: fix deployed" in screen_text(app)
        assert isinstance(app.focused, ScribeInput)


async def test_a_filter_showing_the_new_entry_says_nothing(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+f", *"vendor", "enter")
        await type_line(pilot, "vendor confirms")
        assert message_line(app) == ""


# -- item 6: ctrl+q with an unsent update asks --------------------------------


async def test_ctrl_q_with_an_edited_update_asks_and_escape_goes_back_to_it(tmp_path):
    from textual.widgets import TextArea

    from warroom.tui.screens.quit import QuitScreen
    from warroom.tui.screens.update import UpdateScreen

    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        updates = len(app.store.updates(1))
        await pilot.press("ctrl+u")
        await pilot.pause()
        await pilot.press("end", *" ETA 10 minutes")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen) and app.is_running
        assert "update you are writing (not sent)" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, UpdateScreen)
        assert "ETA 10 minutes" in app.screen.query_one("#update-text", TextArea).text
        await pilot.press("ctrl+q", "ctrl+q")  # twice: quit without it
        await pilot.pause()
    assert not app.is_running and app.return_code == 0
    assert len(app.store.updates(1)) == updates


async def test_ctrl_q_with_text_in_the_scribe_line_asks_and_typing_on_goes_back(tmp_path):
    """A ctrl+q hit mid-sentence: the prompt names the line, and the rest of the
    sentence (no key of which may quit) goes on in the scribe line."""
    from warroom.tui.screens.quit import QuitScreen

    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"db back at 22:4", "ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, QuitScreen)
        assert "db back at 22:4" in screen_text(app)
        await pilot.press("5", "y", "enter")
        await pilot.pause()
        count = app.store.incident(1).entry_count
        assert app.store.entry(1, count).text == "db back at 22:45y"
        await pilot.press(*"x", "ctrl+q")
        await pilot.pause()
        await pilot.press("escape")  # escape goes back too
        await pilot.pause()
        assert isinstance(app.screen, ConsoleScreen) and app.is_running
        await pilot.press("escape")  # clears the line (into the history)
        await pilot.press("ctrl+q")  # nothing unsaved: quits at once
        await pilot.pause()
    assert app.return_code == 0


async def test_ctrl_q_with_an_untouched_update_quits_at_once(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+u")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


# -- issue 9: toasts never cover the scribe line -------------------------------


async def test_console_messages_go_under_the_input_never_in_a_toast(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("f4")
        await pilot.pause()
        assert "Nothing is waiting" in message_line(app)
        await pilot.press("ctrl+u")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "countdown reset" in message_line(app)
        assert not app.screen.query("Toast")
        scribe = app.screen.query_one(ScribeInput)
        assert scribe.region.y + scribe.region.height < 24
        assert "countdown reset" not in "".join(screen_text(app).splitlines()[: scribe.region.y])


async def test_a_toast_over_a_dialog_sits_at_the_top(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        scribe = app.screen.query_one(ScribeInput).region
        await pilot.press("f3")
        await pilot.pause()
        app.notify("something happened")
        await pilot.pause()
        toast = app.screen.query_one("Toast").region
        assert toast.y < 5 and not toast.overlaps(scribe)


# -- item 3: nothing typed ends the console ------------------------------------


async def test_the_milestone_of_year_one_is_one_line_and_writes_nothing(tmp_path, log_dir):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = app.store.incident(1)
        await type_line(pilot, "/milestone impact_started 0001-01-01T00:00 typo")
        assert app.is_running
        assert "more than a year ago" in message_line(app)
        assert app.store.incident(1) == before
        await type_line(pilot, "/fu renew the cert @dan due:9999-12-31")
        assert "more than ten years away" in message_line(app)
        assert app.store.incident(1) == before
    assert not (log_dir / "warroom.log").exists()


SECRET_TOKEN = "xoxb-1234567890-abcdefghijkl"
SECRET_PATH = "/T000/B000/verysecretwebhookpath"


def _comms_app(path):
    from warroom.comms.config import CommsConfig, SlackSettings

    app = demo_app(path)
    # Nothing listens on port 9: nothing leaves the machine.
    comms = CommsConfig(slack=SlackSettings(webhook_url=f"http://127.0.0.1:9{SECRET_PATH}"))
    app.comms = comms
    return app


async def test_an_internal_error_on_enter_is_one_line_and_the_console_stays_up(
    tmp_path, log_dir, monkeypatch
):
    app = _comms_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = app.store.incident(1).entry_count

        def broken(*args, **kwargs):
            raise RuntimeError(f"boom {SECRET_TOKEN} http://127.0.0.1:9{SECRET_PATH}")

        monkeypatch.setattr(app.service, "note", broken)
        await type_line(pilot, "this line meets a bug")
        assert app.is_running
        line = message_line(app)
        assert "internal error (RuntimeError)" in line and "warroom.log" in line
        assert "nothing was written" in line and "↑ recalls the line" in line
        text = screen_text(app)
        assert "Traceback" not in text and SECRET_TOKEN not in text
        monkeypatch.undo()
        await pilot.press("up", "enter")  # the same line, once the bug is gone
        await pilot.pause()
        assert app.store.incident(1).entry_count == before + 1
        assert app.store.entry(1, before + 1).text == "this line meets a bug"
    log = (log_dir / "warroom.log").read_text()
    assert "Traceback" in log and "RuntimeError" in log and "running a scribe line" in log
    assert SECRET_TOKEN not in log and SECRET_PATH not in log and "[redacted]" in log
    assert (log_dir / "warroom.log").stat().st_mode & 0o077 == 0


async def test_an_internal_error_in_a_key_or_the_palette_is_one_line(tmp_path, log_dir):
    from warroom.tui.screens.review import ReviewScreen

    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()

        def broken(*args, **kwargs):
            raise OverflowError("date value out of range")

        app.store.review = broken  # type: ignore[method-assign]
        await pilot.press("ctrl+e")  # the review screen reads the saved review
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, ConsoleScreen)
        assert not isinstance(app.screen, ReviewScreen)
        assert "internal error (OverflowError)" in message_line(app)
        await app.run_action("scribe('/freeze off')")  # as the palette runs it
        await pilot.pause()
        app.service.set_frozen = broken  # type: ignore[method-assign]
        await app.run_action("scribe('/freeze on')")
        await pilot.pause()
        assert app.is_running and "internal error (OverflowError)" in message_line(app)
        await type_line(pilot, "still taking notes")
        count = app.store.incident(1).entry_count
        assert app.store.entry(1, count).text == "still taking notes"
    assert (log_dir / "warroom.log").read_text().count("OverflowError: date value") == 2


async def test_an_internal_error_when_a_dialog_closes_is_one_line(tmp_path, log_dir):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()

        def broken(*args, **kwargs):
            raise KeyError("missing")

        app.delivery_summary = broken  # type: ignore[method-assign]
        await pilot.press("ctrl+u")
        await pilot.pause()
        await pilot.press("ctrl+s")  # recorded; the summary after it fails
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, ConsoleScreen)
        assert "internal error (KeyError)" in message_line(app)


async def test_a_failure_nothing_caught_stops_with_one_line_and_the_log(tmp_path, log_dir, capsys):
    """The last resort: the traceback goes to the log, not to the terminal."""
    app = demo_app(tmp_path / "w.db")
    with pytest.raises(ZeroDivisionError):
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            app.call_later(lambda: 1 / 0)
            await pilot.pause()
    assert app.return_code == 1
    said = " ".join(capsys.readouterr().err.split())
    assert "warroom stopped: internal error (ZeroDivisionError)" in said
    assert "Traceback" not in said and "Everything it acknowledged is saved" in said
    assert "ZeroDivisionError" in (log_dir / "warroom.log").read_text()


async def test_playbook_values_out_of_range_cost_one_line_not_the_console(tmp_path):
    """Issue 8 item 3: review_within_business_days = 5000 (then /resolve,
    ctrl+e) and followup_due_days = 100000000000 (then /fu) ended the console.
    The playbook loader bounds them now; the console survives them regardless."""
    import dataclasses

    from warroom.playbook import default_playbook

    app = demo_app(tmp_path / "w.db")
    playbook = dataclasses.replace(
        default_playbook(), review_within_business_days=5000, followup_due_days=100_000_000_000
    )
    app.playbook = app.service.playbook = playbook
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/fu add a lag alert @dan")
        assert app.store.followups(1)[-1].due == "2036-11-30"  # ten years at most
        await type_line(pilot, "/resolve")
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, ConsoleScreen)
        assert message_line(app)
        await type_line(pilot, "still here")
        count = app.store.incident(1).entry_count
        assert app.store.entry(1, count).text == "still here"


async def test_the_clock_and_poller_firing_while_the_console_is_taken_down(tmp_path, log_dir):
    """On quit Textual removes the panes' labels before the panes, while the
    clock and the poller (their own tasks) may still fire: that printed a
    traceback on the way out. Textual marks every node being removed first
    (``_pruning``): here that moment is reproduced by hand."""
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        console = app.screen
        nodes = [console, *console.walk_children()]
        for node in nodes:
            node._pruning = True
        for label in console.query("#incident-elapsed"):
            await label.remove()
        app.service.note(1, "dan", "written by another console")
        app._tick()
        app._poll()
        for node in nodes:
            node._pruning = False
    assert not (log_dir / "warroom.log").exists()


@pytest.mark.parametrize(
    ("keys", "value"),
    [
        (["a", "b", "c", "backspace", "d", "left", "x"], "abxd"),
        (["a", "b", "c", "escape", "space", "d"], " d"),
        (["o", "l", "d", "escape", "up", "space", "n", "e", "w"], "old new"),
        (["a", "b", "home", "x", "end", "y"], "xaby"),
        (["o", "n", "e", " ", "t", "w", "o", "ctrl+w", "t", "h", "r", "e", "e"], "one three"),
    ],
)
async def test_editing_keys_arriving_together_apply_in_order(tmp_path, keys, value):
    """Keys delivered in one burst (a busy moment, a slow host): the line's own
    keys (backspace, arrows, escape, ↑, ctrl+w) act where they were typed, not
    after the letters behind them."""
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for key in keys:
            char = " " if key in (" ", "space") else (key if len(key) == 1 else None)
            app._driver.send_message(events.Key("space" if char == " " else key, char))
        await pilot.pause()
        assert app.screen.query_one(ScribeInput).value == value
