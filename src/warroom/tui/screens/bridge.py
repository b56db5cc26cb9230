"""The bridge view: severity, title and the update countdown, big, for screen-sharing."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Digits, Label

from warroom.cadence import countdown
from warroom.models import Incident
from warroom.textsafe import printable
from warroom.tui.resources import MODALS


class BridgeScreen(Screen[None]):
    CSS_PATH = MODALS
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("f2", "close", "Back"),
    ]

    def __init__(self, incident: Incident) -> None:
        super().__init__()
        self.incident = incident

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="bridge-box"):
            yield Label(id="bridge-severity")
            yield Label(id="bridge-title")
            yield Label(Content("next stakeholder update"), id="bridge-caption")
            yield Digits(id="bridge-digits")
            yield Label(id="bridge-detail")
            yield Label(Content("escape returns to the console"), id="bridge-help")

    def on_mount(self) -> None:
        self.refresh_view(self.incident)
        self.set_interval(1.0, self.tick)

    def refresh_view(self, incident: Incident) -> None:
        self.incident = incident
        severity = self.app.playbook.severity_of(incident.severity)
        badge = self.query_one("#bridge-severity", Label)
        badge.update(Content(f" {severity.name} · {incident.ref} · {incident.stage.upper()} "))
        badge.styles.background = severity.colour
        self.query_one("#bridge-title", Label).update(Content(printable(incident.title)))
        self.tick()

    def tick(self) -> None:
        state = countdown(
            self.incident.next_update_due, self.app.clock.now(), self.app.playbook.warning_minutes
        )
        self.query_one("#bridge-digits", Digits).update(state.clock_text)
        detail = {
            "off": "no update due",
            "calm": "on track",
            "warning": "due soon",
            "overdue": "OVERDUE",
        }[state.phase]
        self.query_one("#bridge-detail", Label).update(Content(detail))
        for phase in ("off", "calm", "warning", "overdue"):
            self.set_class(state.phase == phase, f"-{phase}")

    def action_close(self) -> None:
        self.dismiss(None)
