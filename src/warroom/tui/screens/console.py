"""The console: one incident, every pane, and the scribe line that writes to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Label

from warroom.cadence import countdown
from warroom.commands import run_line
from warroom.errors import WarroomError
from warroom.models import Incident
from warroom.search import Filter, parse_filter
from warroom.textsafe import printable
from warroom.tui.widgets.checklist import Checklist
from warroom.tui.widgets.countdown import UpdateCountdown
from warroom.tui.widgets.filter_input import FilterInput
from warroom.tui.widgets.header import IncidentHeader
from warroom.tui.widgets.roles import RolesPanel, roles_line
from warroom.tui.widgets.scribe_input import ScribeInput
from warroom.tui.widgets.timeline import Timeline

if TYPE_CHECKING:
    from warroom.comms.outbox import OutboxStatus


class ConsoleScreen(Screen):
    AUTO_FOCUS = "#scribe"

    def __init__(self, incident: Incident) -> None:
        super().__init__()
        self.incident = incident
        self._ready = False  # the clock and the poller may fire before compose is done
        self._filter: Filter | None = None

    @property
    def ops(self):
        return self.app.ops

    def compose(self) -> ComposeResult:
        yield IncidentHeader(id="header")
        yield Label(id="roles-line")
        with Horizontal(id="body"):
            yield RolesPanel(self.app.playbook, id="roles")
            with Vertical(id="center"):
                yield FilterInput(
                    placeholder="filter: words  kind:decision  @author  starred — escape clears",
                    id="filter",
                )
                yield Timeline(
                    self.app.store, self.incident.id, self.incident.entry_count, id="timeline"
                )
                yield ScribeInput(self._names, self.commit_line, id="scribe")
                yield Label(id="scribe-error")
            with Vertical(id="side"):
                yield Label(id="comms-status")
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
        self.show_outbox(self.app.outbox_status)
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
        if self._filter is not None:
            self._apply_filter()
        self.set_class(incident.status != "open", "-not-open")
        closed = incident.status == "closed"
        self.set_class(closed, "-read-only")
        scribe = self.query_one(ScribeInput)
        scribe.disabled = closed
        if closed:
            scribe.placeholder = f"{incident.ref} is closed: read-only (ctrl+o for another)"
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

    def show_outbox(self, status: OutboxStatus | None) -> None:
        """Slack/email delivery, always in view: off, delivered, sending, retrying, failed."""
        label = self.query_one("#comms-status", Label)
        if status is None:
            text, state = "Slack: off (not configured)", "off"
        else:
            text, state = f"Slack: {status.text}", status.state
            if status.failed:
                text += " · f4 retries"
        label.update(Content(printable(text, 200)))
        for name in ("off", "delivered", "sending", "retrying", "failed"):
            label.set_class(state == name, f"-{name}")

    @on(UpdateCountdown.BecameOverdue)
    def _overdue(self) -> None:
        self.app.bell()
        self.notify(
            f"{self.incident.ref}: the stakeholder update is overdue (ctrl+u to compose)",
            title="Update overdue",
            severity="error",
            timeout=30,
        )

    # -- filtering ----------------------------------------------------

    def open_filter(self) -> None:
        bar = self.query_one("#filter", FilterInput)
        bar.add_class("-shown")
        bar.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        try:
            query = parse_filter(event.value)
        except WarroomError as exc:
            self._error(str(exc))
            return
        self._error("")
        self._filter = None if query.empty else query
        self._apply_filter()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one(ScribeInput).focus()

    @on(FilterInput.Cleared)
    def clear_filter(self) -> None:
        bar = self.query_one("#filter", FilterInput)
        bar.value = ""
        bar.remove_class("-shown")
        self._filter = None
        self._apply_filter()
        self.query_one(ScribeInput).focus()

    def _apply_filter(self) -> None:
        timeline = self.query_one(Timeline)
        query = self._filter
        if query is None:
            timeline.show_rows(None)
            timeline.border_title = "Timeline (scribe)"
            return
        rows = self.app.store.search(
            self.incident.id,
            text=query.text,
            kind=query.kind,
            author=query.author,
            starred=query.starred,
        )
        timeline.show_rows(rows)
        timeline.border_title = (
            f"Timeline — {query.describe()}: {len(rows)} of {self.incident.entry_count}"
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
        self.app.outbox_wake()
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
