"""Switch to another incident (ctrl+o)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from warroom.clock import format_duration, parse_time
from warroom.domain.models import HistoryRow
from warroom.textsafe import printable
from warroom.tui.access import warroom_app
from warroom.tui.resources import MODALS

if TYPE_CHECKING:
    from warroom.tui.app import WarroomApp


def incident_duration(incident: HistoryRow, now: datetime) -> str:
    """From declaration to resolution (or to now, while it runs)."""
    end = parse_time(incident.resolved_at) if incident.resolved_at else now
    return format_duration((end - parse_time(incident.declared_at)).total_seconds())


class SwitcherScreen(ModalScreen[int | None]):
    CSS_PATH = MODALS
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    @property
    def warroom(self) -> WarroomApp:
        """The app, typed: its store, ``service``, clock, playbook and user."""
        return warroom_app(self)

    def __init__(self, history: list[HistoryRow]) -> None:
        super().__init__()
        self.history = history  # newest first

    def compose(self) -> ComposeResult:
        with Vertical(id="switcher-box"):
            yield Label(
                Content(
                    "Incidents, newest first (Enter opens, escape cancels; closed = read-only)"
                ),
                id="switcher-title",
            )
            now = self.warroom.clock.now()
            options = [
                Option(
                    Content(
                        f"{i.ref:<8} SEV-{i.severity}  {i.status:<8} "
                        f"{i.declared_at[:10]} {i.declared_at[11:16]}  "
                        f"{incident_duration(i, now):>9}  "
                        f"{i.open_followups:>2} open fu  "
                        f"{printable(i.title, 80)}"
                    ),
                    id=f"incident-{i.id}",
                )
                for i in self.history
            ]
            if not options:
                options = [Option(Content("no incidents yet: ctrl+n declares one"), disabled=True)]
            yield OptionList(*options, id="switcher-list")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(int(event.option.id.removeprefix("incident-")))

    def action_cancel(self) -> None:
        self.dismiss(None)
