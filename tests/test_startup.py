"""Opening the console (issue 9, "Start-up as a terminal sees it").

The first frame shows the incident: its header (title, stage), its newest
entries and the scribe line. The side panes (Slack status, countdown,
milestones, checklist) follow it, and the roles panel is filled in once the
screen is wide enough to show it. These tests hold that
whatever is deferred still arrives, correct, and that nothing typed or done
meanwhile is lost. How fast is measured in ``benchmarks/bench_launch_tmux.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from textual import events
from textual.widgets import Label

from console_support import demo_app, screen_text
from warroom.db.store import Store
from warroom.tui.app import WarroomApp
from warroom.tui.widgets.scribe_input import ScribeInput


class FirstFrameApp(WarroomApp):
    """The console, keeping the text of the first frame it paints (and
    optionally quitting right after it)."""

    def __init__(self, *args, quit_after_first_frame: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.first_frame: str | None = None
        self._quit_after_first_frame = quit_after_first_frame

    def _display(self, screen, renderable) -> None:  # Textual 8.2.8's hook for every frame
        if renderable is not None and self.first_frame is None:
            self.first_frame = screen_text(self)
            if self._quit_after_first_frame:
                self.call_later(self.exit)
        super()._display(screen, renderable)


def first_frame_app(path: Path, **kwargs) -> FirstFrameApp:
    demo = demo_app(path)
    return FirstFrameApp(
        store=demo.store, user=demo.user, clock=demo.clock, cursor_blink=False, **kwargs
    )


async def test_the_first_frame_shows_the_header_the_newest_entries_and_the_scribe_line(tmp_path):
    for size in ((80, 24), (160, 48)):
        app = first_frame_app(tmp_path / f"w{size[0]}.db")
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await pilot.pause(0.1)
            settled = screen_text(app).splitlines()
            center = app.screen.query_one("#center").region
        first = app.first_frame
        assert first is not None
        lines = first.splitlines()
        header = lines[0]
        assert "SEV-1" in header and "INC-1" in header
        assert "QuickBooks sync halted" in header and "MITIGATE 3/5" in header
        assert "FROZEN" in header
        # The newest entry, at the foot of the timeline, above the scribe line.
        assert "queue drained; watching lag" in first
        assert "type a note, or /help" in first
        # The header, the timeline and the scribe line are already what they
        # stay: nothing moves when the panes arrive (at 160 columns the header's
        # clocks, added late, once pushed the stage and the elapsed time along).
        assert header == settled[0]
        for row in range(center.y, center.bottom):
            assert lines[row][center.x : center.right] == settled[row][center.x : center.right]


async def test_every_pane_arrives_after_the_first_frame_and_is_right(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "Slack: off" in text
        assert "Checklist 8/9" in text  # eight of nine ticked by the demo
        assert "☐ 9" in text
        assert "every 10m" in text  # the countdown box, with the SEV-1 cadence
        assert "TTM 00:42:17" in text and "TTR 00:42:17" in text  # under the countdown
        assert "IC alice · Comms bob · Scribe carol · Eng dan, erin" in text
        assert isinstance(app.focused, ScribeInput)


async def test_the_roles_panel_and_the_header_clocks_come_when_the_screen_is_wide(tmp_path):
    """Below 150 columns neither is shown, and the roles panel is not filled
    in; widening the terminal fills it, once (a second time would be a
    duplicate id), and shows the header's clocks."""
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for width, height in ((160, 48), (80, 24), (160, 48)):
            await pilot.resize_terminal(width, height)
            await pilot.pause()
        text = screen_text(app)
        header = text.splitlines()[0]
        assert "TTM 00:42:17" in header and "TTR 00:42:17" in header
        roles = app.screen.query_one("#roles")
        # The Here list is shown only with presence (serve, or a terminal console).
        shown = [label for label in roles.query(Label) if not label.has_class("-here")]
        assert "\n".join(str(label.render()) for label in shown) == (
            "IC\nalice\nComms\nbob\nScribe\ncarol\nEng\ndan, erin\n"
            "SEV-1 owner: Incident Commander (on-call lead)"
        )
        assert len(app.screen.query("#header-clocks")) == 1


async def test_the_wide_console_opens_with_its_roles_and_clocks(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "TTM 00:42:17" in text.splitlines()[0]
        assert "alice" in str(app.screen.query_one("#role-incident_commander").render())
        assert "dan, erin" in str(app.screen.query_one("#role-response_engineers").render())


async def test_a_note_typed_as_the_console_opens_is_saved_in_order(tmp_path):
    """Keys sent the moment the console is up (the panes may still be on their
    way) reach the scribe line in order, and Enter commits them."""
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        before = app.store.incident(1).entry_count
        for char in "early bird":
            key = "space" if char == " " else char
            app.post_message(events.Key(key, char))
        app.post_message(events.Key("enter", "\r"))
        await pilot.pause()
        await pilot.pause()
        entry = Store(app.store.path).entry(1, before + 1)
        assert entry is not None and entry.text == "early bird"
        assert "early bird" in screen_text(app)


async def test_quitting_as_the_first_frame_paints_is_clean(tmp_path, log_dir):
    """ctrl+q the moment the console appears: the panes on their way are
    dropped quietly, not reported as a failure."""
    for size in ((80, 24), (160, 48)):
        app = first_frame_app(tmp_path / f"w{size[0]}.db", quit_after_first_frame=True)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
        assert app.return_code == 0
        assert not (log_dir / "warroom.log").exists()


async def test_the_footer_follows_focus_after_start_up(tmp_path):
    """The console's footer builds its keys once for several changes in a row;
    it must still end on the keys of whatever has focus."""
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "Update" in footer and "Panes" in footer
        await pilot.press("f6")  # the checklist
        await pilot.pause()
        assert "Tick/untick" in screen_text(app).splitlines()[-1]
        await pilot.press("f6")  # the timeline
        await pilot.pause()
        assert "Read whole" in screen_text(app).splitlines()[-1]
        await pilot.press("f6", "shift+f6")  # the scribe line and straight back
        await pilot.pause()
        assert "Read whole" in screen_text(app).splitlines()[-1]
        await pilot.press("escape")  # back to the scribe line
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "Read whole" not in footer and "Tick/untick" not in footer
        assert "Update" in footer


def test_opening_the_console_imports_no_command_line_network_or_validation_stack(tmp_path):
    """``warroom --db X`` opens the console without click (the command line),
    httpx (Slack), sqlite_utils, pydantic or annotated_types (a team's own
    playbook): each costs start-up time and none is needed to show an incident.
    Measured at the console's first frame, in a fresh interpreter."""
    demo_app(tmp_path / "w.db")  # seeds the database
    probe = f"""
import sys
from textual.app import App
import warroom.launch as launch

def first_frame(app):
    found = sorted(
        name
        for name in ("click", "httpx", "sqlite_utils", "pydantic", "annotated_types")
        if name in sys.modules
    )
    print("loaded:", *found)
    app.exit()

original = App._display
def display(self, screen, renderable):
    original(self, screen, renderable)
    if renderable is not None and not getattr(self, "_probed", False):
        self._probed = True
        first_frame(self)
App._display = display
launch.main(["--db", {str(tmp_path / "w.db")!r}, "--as", "probe"])
"""
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "WARROOM_NOW": "2026-11-23T22:42:17Z",
            "TEXTUAL_DRIVER": "textual.drivers.headless_driver:HeadlessDriver",
        },
    )
    assert "loaded:" in result.stdout, result.stderr
    assert result.stdout.split("loaded:")[1].split() == []


class TypedAtOnceApp(WarroomApp):
    """Keys typed the moment the program starts: in a terminal they reach
    Textual while the console is still being composed (Enter typed before
    Textual has the terminal comes as ctrl+j: the terminal, still in line
    mode, turned \\r into \\n)."""

    def get_default_screen(self):
        screen = super().get_default_screen()
        keys = [*"early", "space", *"bird"]
        for key in keys:
            self.post_message(events.Key(key, " " if key == "space" else key))
        self.post_message(events.Key("ctrl+j", "\n"))
        for key in "next":
            self.post_message(events.Key(key, key))
        return screen


async def test_keys_typed_before_the_scribe_line_exists_land_in_it(tmp_path):
    """Typed into the terminal as warroom starts: nothing is lost, the order
    holds, and the Enter among them commits the line before it."""
    demo = demo_app(tmp_path / "w.db")
    app = TypedAtOnceApp(store=demo.store, user=demo.user, clock=demo.clock, cursor_blink=False)
    before = demo.store.incident(1).entry_count
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        entry = Store(app.store.path).entry(1, before + 1)
        assert entry is not None and entry.text == "early bird"
        assert app.screen.query_one(ScribeInput).value == "next"
        assert "early bird" in screen_text(app)
