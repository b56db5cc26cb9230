"""The bridge view (f2): the incident as a room reads it from a shared screen.

The countdown to the next stakeholder update in block digits that grow with
the terminal (about a third of its height), overdue said in the view itself,
and what a person joining the call asks first: the impact, who is IC and
comms lead, the stage and freeze, the checklist's progress, how long impact
has lasted, the bridge link whole, and the last three key events (starred
entries and decisions). Notifications wait for the console: nothing is drawn
over this view (see ``BridgeScreen ToastRack`` in modals.tcss).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Label

from warroom.clock import format_duration, parse_time
from warroom.domain.cadence import Countdown, countdown
from warroom.domain.models import Entry, Incident
from warroom.errors import WarroomError
from warroom.textsafe import printable
from warroom.tui.access import warroom_app
from warroom.tui.resources import MODALS
from warroom.tui.widgets.bigdigits import BigDigits

if TYPE_CHECKING:
    from warroom.tui.app import WarroomApp

FACTS = ("impact", "roles", "here", "stage", "checklist", "duration", "bridge", "events")
FACT_NAMES = {
    "impact": "Impact",
    "roles": "Roles",
    "here": "Here now",
    "stage": "Stage",
    "checklist": "Checklist",
    "duration": "Impact for",
    "bridge": "Bridge",
    "events": "Key events",
}
EVENT_MARKS = {"decision": "▶"}


def state_line(state: Countdown, every_minutes: int) -> str:
    """Under the digits: how the update stands, in words."""
    if state.phase == "off":
        return "no stakeholder update due"
    if state.phase == "overdue":
        return f"UPDATE OVERDUE by {state.clock_text.lstrip('+')} · ctrl+u composes it"
    word = "due soon" if state.phase == "warning" else "on track"
    return f"{word} · every {every_minutes} min"


def impact_duration(incident: Incident, now_iso: str) -> str:
    """How long impact has lasted: from its start (or the declaration) to its
    resolution, or to now."""
    started = incident.milestones.impact_started_at or incident.declared_at
    end = incident.resolved_at or now_iso
    seconds = (parse_time(end) - parse_time(started)).total_seconds()
    text = format_duration(seconds)
    return f"{text} (resolved)" if incident.resolved_at else f"{text} (since {started[11:16]} UTC)"


def event_line(entry: Entry) -> str:
    mark = "★" if entry.starred else EVENT_MARKS.get(entry.kind, "·")
    when = (entry.occurred_at or entry.at)[11:16]
    return f"{when} {mark} {printable(entry.text, 300).replace('␊', ' ')}"


class BridgeScreen(Screen[None]):
    CSS_PATH = MODALS
    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("f2", "close", "Back"),
    ]

    @property
    def warroom(self) -> WarroomApp:
        """The app, typed: its store, ``service``, clock, playbook and user."""
        return warroom_app(self)

    def __init__(self, incident: Incident) -> None:
        super().__init__()
        self.incident = incident
        #: Key events as read for this many entries (re-read when it changes).
        self._events_for: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="bridge-box"):
            with Center(), Horizontal(id="bridge-badges"):
                yield Label(id="bridge-severity")
                yield Label(Content("FROZEN"), id="bridge-frozen")
            yield Label(id="bridge-title")
            yield Label(Content("next stakeholder update"), id="bridge-caption")
            with Center():
                yield BigDigits(id="bridge-digits")
            with Center():
                yield Label(id="bridge-state")
            with Center(), Vertical(id="bridge-facts"):
                for fact in FACTS:
                    # "Here now" shows once presence is known (show_presence).
                    classes = "bridge-fact -here" if fact == "here" else "bridge-fact"
                    with Horizontal(classes=classes, id=f"bridge-fact-{fact}"):
                        yield Label(Content(FACT_NAMES[fact]), classes="bridge-fact-name")
                        yield Label(id=f"bridge-{fact}", classes="bridge-fact-value")
            with Center():
                yield Label(Content("escape returns to the console"), id="bridge-help")

    def on_mount(self) -> None:
        self.refresh_view(self.incident)
        if self.warroom.here is not None:
            self.show_presence(self.warroom.here)
        self.set_interval(1.0, self.tick)

    def refresh_view(self, incident: Incident) -> None:
        """Show ``incident`` as it is now (the console keeps it fresh as others write)."""
        self.incident = incident
        playbook = self.warroom.playbook
        severity = playbook.severity_of(incident.severity)
        badge = self.query_one("#bridge-severity", Label)
        badge.update(Content(f" {severity.name} · {incident.ref} "))
        badge.styles.background = severity.colour
        self.query_one("#bridge-frozen", Label).display = incident.frozen
        self.query_one("#bridge-title", Label).update(Content(printable(incident.title)))
        roles = incident.roles
        self._fact("impact", printable(incident.impact) or "—")
        self._fact(
            "roles",
            f"IC {printable(roles.incident_commander or '—')}"
            f" · Comms {printable(roles.communications_lead or '—')}",
        )
        stages = playbook.stages
        number = stages.index(incident.stage) + 1 if incident.stage in stages else 0
        stage = f"{incident.stage.upper()} {number}/{len(stages)}"
        if incident.status != "open":
            stage += f" · {incident.status.upper()}"
        freeze = "deployments FROZEN" if incident.frozen else "deployments not frozen"
        self._fact("stage", f"{stage} · {freeze}")
        done = sum(item.done for item in incident.checklist)
        self._fact("checklist", f"{done}/{len(incident.checklist)} done")
        self._fact("bridge", printable(incident.bridge) if incident.bridge else "— (/bridge URL)")
        if self._events_for != incident.entry_count:
            self._events_for = incident.entry_count
            try:
                events = self.warroom.store.key_events(incident.id)
            except WarroomError:
                events = []
            shown = "\n".join(event_line(entry) for entry in reversed(events))
            self._fact("events", shown or "— (/star N marks one; /decision records one)")
        self.tick()

    def show_presence(self, here: list) -> None:
        """Who has a console open on this incident now (any machine, any way in)."""
        from warroom.presence import here_text

        self.query_one("#bridge-fact-here").add_class("-shown")
        self._fact("here", printable(here_text(here)) or "—")

    def _fact(self, name: str, text: str) -> None:
        self.query_one(f"#bridge-{name}", Label).update(Content(text))

    def tick(self) -> None:
        console = self.warroom.console_screen
        if console is not None and console.incident is not self.incident:
            self.refresh_view(console.incident)  # another console (or the poll) changed it
            return
        now = self.warroom.clock.now()
        playbook = self.warroom.playbook
        state = countdown(self.incident.next_update_due, now, playbook.warning_minutes)
        self.query_one("#bridge-digits", BigDigits).update(state.clock_text)
        every = playbook.severity_of(self.incident.severity).update_every_minutes
        self.query_one("#bridge-state", Label).update(Content(state_line(state, every)))
        for phase in ("off", "calm", "warning", "overdue"):
            self.set_class(state.phase == phase, f"-{phase}")
        now_iso = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        self._fact("duration", impact_duration(self.incident, now_iso))

    def action_close(self) -> None:
        self.dismiss(None)
