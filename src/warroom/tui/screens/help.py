"""Every key and every scribe-line command, from the same tables the app uses
(the keys from warroom.tui.keys, the commands from the scribe line's parser)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label

from warroom.commands import COMMANDS
from warroom.tui.keys import help_rows
from warroom.tui.resources import MODALS


class HelpScreen(ModalScreen[None]):
    CSS_PATH = MODALS
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("f1", "close", "Close"),
        Binding("q", "close", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Label(Content("Keys"), classes="help-heading")
            for key, text in help_rows():
                yield Label(Content.assemble((f"{key:<11}", "bold"), text), classes="help-row")
            yield Label(Content("Scribe line"), classes="help-heading")
            yield Label(
                Content("plain text + Enter: a note · // at the start: a note starting with /"),
                classes="help-row",
            )
            for command in COMMANDS.values():
                yield Label(
                    Content.assemble((f"{command.usage}", "bold"), "\n    ", command.summary),
                    classes="help-row",
                )
            yield Label(Content("escape closes"), id="help-footer")

    def action_close(self) -> None:
        self.dismiss(None)
