"""Live time-to-mitigate and time-to-resolve.

In the header on wide screens (150 columns and more); under the countdown
below that, so the header keeps its room for the incident's title at 80 and
120 columns. The console holds one of each and the stylesheet shows one.
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


class MilestoneClocks(Horizontal):
    def __init__(self, incident: Incident, now: datetime, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._first = (incident, now)

    def compose(self) -> ComposeResult:
        yield Label(id="incident-ttm", classes="milestone-clock")
        yield Label(id="incident-ttr", classes="milestone-clock")

    def on_mount(self) -> None:
        self.show(*self._first)

    def show(self, incident: Incident, now: datetime) -> None:
        started = parse_time(incident.milestones.impact_started_at or incident.declared_at)
        for key, label, reached in (
            ("ttm", "TTM", incident.milestones.mitigated_at),
            ("ttr", "TTR", incident.resolved_at),
        ):
            # Live while counting, fixed (with a tick) once the milestone is reached.
            stop = parse_time(reached) if reached else now
            text = f"{label} {format_duration((stop - started).total_seconds())}"
            clock = self.query_one(f"#incident-{key}", Label)
            clock.update(Content(text + (" ✓" if reached else "")))
            clock.set_class(bool(reached), "-reached")
