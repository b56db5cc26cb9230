"""Declare an incident with the severity matrix in view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from warroom.domain.models import Incident
from warroom.errors import WarroomError
from warroom.playbook import Playbook
from warroom.textsafe import printable
from warroom.tui.access import warroom_app
from warroom.tui.failures import guarded
from warroom.tui.resources import MODALS

if TYPE_CHECKING:
    from warroom.tui.app import WarroomApp


class DeclareScreen(ModalScreen[Incident | None]):
    CSS_PATH = MODALS
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "declare", "Declare", priority=True),
    ]

    @property
    def warroom(self) -> WarroomApp:
        """The app, typed: its store, ``service``, clock, playbook and user."""
        return warroom_app(self)

    def __init__(self, playbook: Playbook, user: str) -> None:
        super().__init__()
        self.playbook = playbook
        self.user = user

    def compose(self) -> ComposeResult:
        # One line per severity and one for the highlighted one's examples: the
        # whole dialog, with its keys, fits 80x24.
        with VerticalScroll(id="declare-box"):
            yield Label(Content("Declare an incident"), id="declare-title")
            yield Label(Content("Severity (↑/↓)"), classes="field-label")
            yield OptionList(
                *(
                    Option(
                        Content.assemble(
                            (f"{s.name} ", "bold"),
                            s.description,
                            (f" · updates every {s.update_every_minutes} min", "dim"),
                        ),
                        id=f"sev-{s.level}",
                    )
                    for s in self.playbook.severities
                ),
                id="declare-severity",
            )
            yield Label(id="declare-severity-detail")
            yield Label(Content("Title"), classes="field-label")
            yield Input(
                placeholder="what is broken, in a few words",
                id="declare-title-input",
                classes="declare-field",
            )
            yield Label(Content("Impact"), classes="field-label")
            yield Input(
                placeholder="who or what is affected", id="declare-impact", classes="declare-field"
            )
            yield Label(Content("Incident Commander"), classes="field-label")
            # Empty, so a name typed here is the whole name; left empty, whoever
            # declares is the commander (the placeholder says so).
            yield Input(
                placeholder=f"{printable(self.user, 40)} (you) if left empty",
                id="declare-commander",
                classes="declare-field",
            )
            yield Label(id="declare-error")
            yield Label(
                Content("ctrl+s declare · Enter next field · escape cancel"), id="declare-help"
            )

    @on(OptionList.OptionHighlighted, "#declare-severity")
    def _show_severity(self, event: OptionList.OptionHighlighted) -> None:
        level = int((event.option.id or "sev-2").removeprefix("sev-"))
        severity = self.playbook.severity_of(level)
        detail = f"e.g. {'; '.join(severity.examples)} · owner: {severity.primary_owner}"
        self.query_one("#declare-severity-detail", Label).update(Content(detail))

    def on_mount(self) -> None:
        self.warroom.settle_cursors(self)
        options = self.query_one("#declare-severity", OptionList)
        options.highlighted = min(1, options.option_count - 1)
        options.focus()

    @on(OptionList.OptionSelected, "#declare-severity")
    def _severity_chosen(self) -> None:
        self.query_one("#declare-title-input", Input).focus()

    @on(Input.Submitted)
    @guarded("declaring an incident")
    def _next_field(self, event: Input.Submitted) -> None:
        order = ["declare-title-input", "declare-impact", "declare-commander"]
        index = order.index(event.input.id or "")
        if index + 1 < len(order):
            self.query_one(f"#{order[index + 1]}", Input).focus()
        else:
            self.action_declare()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_declare(self) -> None:
        options = self.query_one("#declare-severity", OptionList)
        option = options.get_option_at_index(options.highlighted or 0)
        level = int((option.id or "sev-2").removeprefix("sev-"))
        try:
            incident = self.warroom.service.declare(
                severity=level,
                title=self.query_one("#declare-title-input", Input).value,
                impact=self.query_one("#declare-impact", Input).value,
                commander=self.query_one("#declare-commander", Input).value.strip() or self.user,
                author=self.user,
            )
        except WarroomError as exc:
            error = self.query_one("#declare-error", Label)
            error.update(Content(str(exc)))
            error.add_class("-shown")
            return
        self.dismiss(incident)
