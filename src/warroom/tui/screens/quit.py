"""ctrl+q with something not yet saved: say what, and let the person choose.

What is acknowledged is already in the database; this is about what is not:
an update being written, text in the scribe line, an unsaved review. Those
live only in this console's memory, on purpose: an update draft that came back
after a crash could go out with facts an hour old. So nothing is kept behind
the person's back; quitting asks once.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label

from warroom.textsafe import printable
from warroom.tui.resources import MODALS


class QuitScreen(ModalScreen[None]):
    CSS_PATH = MODALS
    # No one-letter "yes": a ctrl+q hit by accident mid-sentence must not let
    # the rest of the sentence quit. Typing on goes back (see WarroomApp.on_event).
    BINDINGS = [Binding("escape", "back", "Go back")]

    def __init__(self, unsaved: list[str]) -> None:
        super().__init__()
        self.unsaved = unsaved

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-box"):
            yield Label(Content("Quit warroom? Not saved yet:"), id="quit-title")
            for item in self.unsaved:
                yield Label(Content(f"· {printable(item, 200)}"), classes="quit-item")
            yield Label(
                Content("ctrl+q again quits without them · escape (or typing on) goes back"),
                id="quit-help",
            )

    def action_back(self) -> None:
        self.dismiss(None)
