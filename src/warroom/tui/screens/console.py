"""The console: one incident, every pane, and the scribe line that writes to it."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Label

from warroom.cadence import countdown
from warroom.commands import run_line
from warroom.errors import WarroomError
from warroom.models import Incident
from warroom.tui.widgets.checklist import Checklist
from warroom.tui.widgets.countdown import UpdateCountdown
from warroom.tui.widgets.header import IncidentHeader
from warroom.tui.widgets.roles import RolesPanel, roles_line
from warroom.tui.widgets.scribe_input import ScribeInput
from warroom.tui.widgets.timeline import Timeline


class ConsoleScreen(Screen):
    AUTO_FOCUS = "#scribe"

    def __init__(self, incident: Incident) -> None:
        super().__init__()
        self.incident = incident
        self._ready = False  # the clock and the poller may fire before compose is done

    @property
    def ops(self):
        return self.app.ops

    def compose(self) -> ComposeResult:
        yield IncidentHeader(id="header")
        yield Label(id="roles-line")
        with Horizontal(id="body"):
            yield RolesPanel(self.app.playbook, id="roles")
            with Vertical(id="center"):
                yield Timeline(
                    self.app.store, self.incident.id, self.incident.entry_count, id="timeline"
                )
                yield ScribeInput(self._names, self.commit_line, id="scribe")
                yield Label(id="scribe-error")
            with Vertical(id="side"):
                yield UpdateCountdown(id="countdown")
                yield Checklist(id="checklist")
        yield Footer()

    def on_mount(self) -> None:
        self.app.settle_cursors(self)
        self.query_one("#timeline", Timeline).border_title = "Timeline (scribe)"
        # After the first refresh every pane has composed its parts.
        self.call_after_refresh(self._first_show)

    def _first_show(self) -> None:
        self._ready = True
        self.show_incident(self.incident)
        self.query_one(Timeline).scroll_end(animate=False, immediate=True)

    def _names(self) -> list[str]:
        return self.incident.roles.names()

    # -- showing ------------------------------------------------------

    def show_incident(self, incident: Incident) -> None:
        self.incident = incident
        self.query_one(IncidentHeader).show(incident, self.app.playbook, self.app.clock.now())
        self.query_one(RolesPanel).show(incident)
        self.query_one("#roles-line", Label).update(Content(roles_line(incident)))
        self.query_one(Checklist).show(incident)
        self.query_one(Timeline).set_count(incident.entry_count)
        self.set_class(incident.status != "open", "-not-open")
        self.tick()

    def reload(self, *, others_changed: bool = False) -> None:
        """Read the incident again (after our write, or when another console wrote)."""
        if not self._ready:
            return
        incident = self.app.store.incident(self.incident.id)
        if incident is None:
            return
        if others_changed:
            self.query_one(Timeline).invalidate()
        self.show_incident(incident)

    def tick(self) -> None:
        """Once a second: elapsed time and the countdown, computed from stored times."""
        if not self._ready:
            return
        now = self.app.clock.now()
        self.query_one(IncidentHeader).tick(self.incident, now)
        playbook = self.app.playbook
        state = countdown(self.incident.next_update_due, now, playbook.warning_minutes)
        severity = playbook.severity(self.incident.severity)
        if state.phase == "off":
            detail = "resolved: no updates due" if self.incident.status != "open" else ""
        else:
            detail = f"({severity.name}, every {severity.update_every_minutes}m)"
        self.query_one(UpdateCountdown).show(state, detail)

    @on(UpdateCountdown.BecameOverdue)
    def _overdue(self) -> None:
        self.app.bell()
        self.notify(
            f"{self.incident.ref}: the stakeholder update is overdue (ctrl+u to compose)",
            title="Update overdue",
            severity="error",
            timeout=30,
        )

    # -- writing ------------------------------------------------------

    def _error(self, message: str) -> None:
        error = self.query_one("#scribe-error", Label)
        error.update(Content(message))
        error.set_class(bool(message), "-shown")

    def commit_line(self, line: str) -> bool:
        """Run one scribe line; True when it was done (and so may be cleared)."""
        try:
            outcome = run_line(self.ops, self.incident.id, self.app.user, line)
        except WarroomError as exc:
            # Nothing was written; the line stays so it can be corrected.
            self._error(str(exc))
            return False
        self._error("")
        if outcome.entries:
            self.query_one(Timeline).scroll_end(animate=False, immediate=True)
        self.reload()
        if outcome.open_screen == "update":
            self.app.action_compose_update()
        elif outcome.open_screen == "help":
            self.app.action_help()
        return True

    @on(Checklist.Toggle)
    def toggle_item(self, event: Checklist.Toggle) -> None:
        try:
            self.ops.set_check(self.incident.id, self.app.user, event.position, event.done)
        except WarroomError as exc:
            self.notify(str(exc), severity="error")
            return
        self.reload()
