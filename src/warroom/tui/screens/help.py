"""Every key and every scribe-line command, from the same tables the app uses."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label

from warroom.commands import COMMANDS
from warroom.tui.resources import MODALS

KEYS = [
    ("Enter", "commit the scribe line (durable before the next key)"),
    ("↑ / ↓", "earlier / later lines in the scribe line (a rejected line is there too)"),
    ("tab", "complete a /command or a name; it never leaves the scribe line"),
    (
        "escape",
        "in the scribe line: clear the filter if one is on, else clear the line (↑ brings it back)",
    ),
    ("f6", "next pane: timeline, scribe line, checklist (shift+f6: previous; escape: back)"),
    ("any letter", "in the timeline or checklist: goes to the scribe line, typed there"),
    ("Enter", "in the checklist: tick / untick the highlighted item"),
    ("ctrl+u", "compose a stakeholder update"),
    ("ctrl+n", "declare a new incident"),
    ("ctrl+o", "switch incident"),
    ("ctrl+e", "post-incident review: write it, then ctrl+s exports .md and .ics"),
    ("f4", "send every waiting Slack/email message now"),
    ("ctrl+r", "read the timeline: ↑/↓ pick an entry, Enter opens it whole, escape returns"),
    ("ctrl+f", "filter the timeline: words, kind:decision, @author, starred (escape clears)"),
    ("f3", "follow-up actions: tick them off"),
    ("ctrl+t", "timeline times in local time / UTC (its title names the zone)"),
    ("f1", "this help"),
    ("f2", "bridge view: countdown and severity in big digits, for screen-sharing"),
    ("ctrl+p", "command palette (Screenshot: an SVG beside the database)"),
    ("ctrl+q", "quit (acknowledged is saved; asks first if an update or a line is unsent)"),
]


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
            for key, text in KEYS:
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
