"""The timeline filter bar: an Input whose escape clears the filter."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class FilterInput(Input):
    BINDINGS = [Binding("escape", "clear", "Clear filter")]

    class Cleared(Message):
        """The person dismissed the filter: show every entry again."""

    def action_clear(self) -> None:
        self.post_message(self.Cleared())
