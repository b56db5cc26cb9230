"""The warroom Textual app: screens over the shared operations, nothing more.

Writes happen on the event loop, synchronously: a commit costs ~0.5 ms, and
doing it before the next key is read is what makes an acknowledged entry
durable. Other consoles on the same file are noticed through
``PRAGMA data_version`` twice a second.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from warroom.clock import Clock, SystemClock
from warroom.comms.templates import render_internal
from warroom.errors import WarroomError
from warroom.models import Incident
from warroom.operations import Operations
from warroom.playbook import Playbook, default_playbook
from warroom.store import Store, latest_text_of_kinds
from warroom.tui.palette import WarroomCommands
from warroom.tui.screens.console import ConsoleScreen
from warroom.tui.screens.start import StartScreen

POLL_SECONDS = 0.5
#: How long a keystroke may wait for another console's write before we say so.
UI_BUSY_TIMEOUT_MS = 1500


def stylesheet() -> Path:
    """``styles/warroom.tcss``: inside the wheel, or at the top of a source checkout."""
    here = Path(__file__).resolve()
    packaged = here.parents[1] / "styles" / "warroom.tcss"
    if packaged.exists():
        return packaged
    return here.parents[3] / "styles" / "warroom.tcss"


class WarroomApp(App):
    CSS_PATH = stylesheet()
    TITLE = "warroom"
    COMMANDS = App.COMMANDS | {WarroomCommands}
    # Below 110 columns the role panel folds into one line under the header.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("ctrl+u", "compose_update", "Update", priority=True, id="update"),
        Binding("ctrl+n", "declare", "Declare", priority=True, id="declare"),
        Binding("ctrl+o", "switch_incident", "Incidents", priority=True, id="switch"),
        Binding("ctrl+e", "export", "Export", priority=True, id="export"),
        Binding("f1", "help", "Help", priority=True, id="help"),
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit"),
    ]

    def __init__(
        self,
        store: Store,
        user: str,
        *,
        clock: Clock | None = None,
        playbook: Playbook | None = None,
        incident_id: int | None = None,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self.cursor_blink = cursor_blink
        self.store = store
        store.set_busy_timeout(UI_BUSY_TIMEOUT_MS)
        self.user = user
        self.clock = clock or SystemClock()
        self.playbook = playbook or default_playbook()
        self.ops = Operations(store, self.clock, self.playbook)
        self._incident_id = incident_id
        self._data_version = 0

    # -- lifecycle ----------------------------------------------------

    def on_mount(self) -> None:
        self.title = f"warroom · {self.user}"
        self._data_version = self.store.data_version()
        incident_id = self._incident_id or self.store.active_incident_id()
        incident = self.store.incident(incident_id) if incident_id else None
        self.push_screen(ConsoleScreen(incident) if incident else StartScreen())
        self.set_interval(1.0, self._tick, name="clock")
        self.set_interval(POLL_SECONDS, self._poll, name="poll")

    def settle_cursors(self, screen: Screen) -> None:
        """Snapshot tests and screenshots want a steady cursor."""
        if not self.cursor_blink:
            for widget in screen.query("Input, TextArea"):
                widget.cursor_blink = False  # type: ignore[attr-defined]

    def _tick(self) -> None:
        if isinstance(self.screen, ConsoleScreen):
            self.screen.tick()

    def _poll(self) -> None:
        """Another console wrote to the database: show it."""
        try:
            version = self.store.data_version()
        except WarroomError as exc:
            self.notify(str(exc), severity="error")
            return
        if version == self._data_version:
            return
        self._data_version = version
        for screen in self.screen_stack:
            if isinstance(screen, ConsoleScreen):
                screen.reload(others_changed=True)

    @property
    def console_screen(self) -> ConsoleScreen | None:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, ConsoleScreen):
                return screen
        return None

    def open_incident(self, incident: Incident) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(ConsoleScreen(incident))

    # -- actions ------------------------------------------------------

    def action_declare(self) -> None:
        from warroom.tui.screens.declare import DeclareScreen

        def declared(incident: Incident | None) -> None:
            if incident is not None:
                self.open_incident(incident)
                self.notify(f"{incident.ref} declared", title="Declared")

        self.push_screen(DeclareScreen(self.playbook, self.user), declared)

    def action_switch_incident(self) -> None:
        from warroom.tui.screens.switcher import SwitcherScreen

        def chosen(incident_id: int | None) -> None:
            if incident_id is not None:
                incident = self.store.incident(incident_id)
                if incident is not None:
                    self.open_incident(incident)

        current = self.console_screen.incident.id if self.console_screen else None
        self.push_screen(SwitcherScreen(self.store.incidents(), current), chosen)

    def action_help(self) -> None:
        from warroom.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_compose_update(self) -> None:
        from warroom.tui.screens.update import UpdateScreen

        console = self.console_screen
        if console is None:
            self.notify("No incident: ctrl+n declares one", severity="warning")
            return
        if isinstance(self.screen, UpdateScreen):
            return
        incident = console.incident
        mitigation = latest_text_of_kinds(self.store, incident.id, ("decision", "action"))
        draft = render_internal(incident, self.playbook, self.clock.now(), mitigation)

        def done(sent: bool | None) -> None:
            if sent:
                console.reload()
                self.notify("Update recorded; countdown reset", title="Update")

        self.push_screen(UpdateScreen(incident.id, draft), done)

    def action_export(self) -> None:
        from warroom.export import render_markdown

        console = self.console_screen
        if console is None:
            self.notify("No incident to export", severity="warning")
            return
        incident = console.incident
        target = self.store.path.with_name(f"{self.store.path.stem}-{incident.ref}.md")
        try:
            target.write_text(render_markdown(self.store, incident, self.playbook), "utf-8")
        except OSError as exc:
            self.notify(f"cannot write {target}: {exc.strerror}", severity="error")
            return
        self.notify(str(target), title=f"{incident.ref} exported")

    def action_scribe(self, line: str) -> None:
        """Run a scribe line from the palette as if typed."""
        console = self.console_screen
        if console is None:
            return
        from warroom.commands import run_line

        try:
            run_line(self.ops, console.incident.id, self.user, line)
        except WarroomError as exc:
            self.notify(str(exc), severity="error")
            return
        console.reload()
