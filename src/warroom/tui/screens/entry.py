"""One timeline entry, whole: the line in the timeline shows what fits, this shows the rest."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label

from warroom.domain.models import Entry
from warroom.textsafe import printable
from warroom.tui.resources import MODALS

#: Characters drawn at most: a 100 KB paste opens at once; the export has all of it.
SHOW_LIMIT = 20_000


def entry_text(entry: Entry) -> str:
    """The text as typed, its line breaks kept, control characters made visible."""
    text = entry.text[:SHOW_LIMIT]
    lines = [printable(line) for line in text.replace("\r\n", "\n").split("\n")]
    shown = "\n".join(lines)
    if len(entry.text) > SHOW_LIMIT:
        more = len(entry.text) - SHOW_LIMIT
        shown += f"\n\n… {more:,} more characters: 'warroom export' has them all"
    return shown


class EntryScreen(ModalScreen[None]):
    CSS_PATH = MODALS
    BINDINGS = [Binding("escape", "close", "Close"), Binding("q", "close", "Close", show=False)]

    def __init__(self, entry: Entry, ref: str) -> None:
        super().__init__()
        self.entry = entry
        self.ref = ref

    def compose(self) -> ComposeResult:
        entry = self.entry
        when = entry.at if entry.occurred_at is None else f"{entry.occurred_at} (logged {entry.at})"
        heading = f"{self.ref} #{entry.seq} · {when} · {printable(entry.author)} ({entry.kind})"
        heading += " · struck" if entry.struck else ""
        with VerticalScroll(id="entry-box"):
            yield Label(Content(heading), id="entry-heading")
            yield Label(Content(entry_text(entry)), id="entry-text")
            yield Label(Content("escape closes"), id="entry-footer")

    def action_close(self) -> None:
        self.dismiss(None)
