"""The incident header: severity badge, ref and title, stage, elapsed, TTM/TTR, freeze.

The title has the room that is left, and nothing else is allowed to squeeze
it: the bridge link is not here (a link cut to fit cannot be read or copied);
it is shown whole in the bridge view (f2) and by ``/bridge``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Label

from warroom.clock import format_duration, parse_time
from warroom.domain.models import Incident
from warroom.playbook import Playbook
from warroom.textsafe import printable
from warroom.tui.widgets.milestones import MilestoneClocks


class IncidentHeader(Horizontal):
    def __init__(
        self, incident: Incident, playbook: Playbook, now: datetime, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._first = (incident, playbook, now)

    def on_mount(self) -> None:
        # Filled in before the first frame, so the incident is on screen at once.
        self.show(*self._first)

    def compose(self) -> ComposeResult:
        yield Label(id="sev-badge")
        yield Label(id="incident-ref")
        yield Label(id="incident-title")
        yield Label(id="incident-stage")
        yield Label(id="incident-elapsed")
        # Time to mitigate / resolve: here on wide screens, else under the countdown.
        incident, _, now = self._first
        yield MilestoneClocks(incident, now, id="header-clocks")
        yield Label("FROZEN", id="incident-frozen")
        yield Label(id="incident-status")

    def show(self, incident: Incident, playbook: Playbook, now: datetime) -> None:
        severity = playbook.severity_of(incident.severity)
        badge = self.query_one("#sev-badge", Label)
        badge.update(Content(f" {severity.name} "))
        # The colour is playbook data: a team's own playbook may recolour it.
        badge.styles.background = severity.colour
        self.query_one("#incident-ref", Label).update(Content(incident.ref))
        self.query_one("#incident-title", Label).update(Content(printable(incident.title)))
        stages = playbook.stages
        number = stages.index(incident.stage) + 1 if incident.stage in stages else 0
        stage = f"{incident.stage.upper()} {number}/{len(stages)}"
        self.query_one("#incident-stage", Label).update(Content(stage))
        self.query_one("#incident-frozen", Label).display = incident.frozen
        status = self.query_one("#incident-status", Label)
        status.display = incident.status != "open"
        status.update(Content(incident.status.upper()))
        self.tick(incident, now)

    def tick(self, incident: Incident, now: datetime) -> None:
        end = parse_time(incident.resolved_at) if incident.resolved_at else now
        elapsed = (end - parse_time(incident.declared_at)).total_seconds()
        self.query_one("#incident-elapsed", Label).update(Content(format_duration(elapsed)))
