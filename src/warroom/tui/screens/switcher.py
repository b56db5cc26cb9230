"""Switch to another incident (ctrl+o)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from warroom.models import Incident
from warroom.textsafe import printable


class SwitcherScreen(ModalScreen[int | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, incidents: list[Incident], current: int | None) -> None:
        super().__init__()
        self.incidents = incidents
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="switcher-box"):
            yield Label(Content("Incidents (Enter opens, escape cancels)"), id="switcher-title")
            options = [
                Option(
                    Content(
                        f"{i.ref:<8} SEV-{i.severity}  {i.status:<8} {i.declared_at[:16]}  "
                        f"{printable(i.title, 80)}"
                    ),
                    id=f"incident-{i.id}",
                )
                for i in reversed(self.incidents)
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
