"""The playbook's five-minute rulebook and containment checklist, tickable.

Every item's number and the start of its label stay in view: where the items
would not all fit wrapped (80x24 has eleven rows for them), each takes one
line, cut with an ellipsis (``/check `` and Tab shows the labels whole).
The border title counts what is done.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from warroom.domain.models import ChecklistItem, Incident
from warroom.textsafe import printable

SECTION_TITLES = {"rulebook": "Five-minute rulebook", "containment": "Containment"}
DONE_MARK = "✓"
OPEN_MARK = "☐"


def item_prompt(item: ChecklistItem, number_width: int = 1) -> Content:
    """``✓ 3 Establish a bridge…``: the mark, the number to type, the label."""
    mark = (DONE_MARK, "$text-success") if item.done else (OPEN_MARK, "bold $text-warning")
    return Content.assemble(mark, f" {item.position:>{number_width}} ", printable(item.label))


class Checklist(OptionList):
    """Enter (or a click) ticks the highlighted item. Space does not: a
    printable key typed here goes to the scribe line (see the console), so a
    sentence typed into the wrong pane never ticks anything."""

    BORDER_TITLE = "Checklist"
    BINDINGS = [
        Binding("enter", "toggle_item", "Tick/untick", show=True),
    ]

    class Toggle(Message):
        def __init__(self, position: int, done: bool) -> None:
            super().__init__()
            self.position = position
            self.done = done

    def __init__(self, incident: Incident, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._done: dict[int, bool] = {}
        self._shown: tuple | None = None
        self._first = incident
        #: The text of each option, to judge whether they fit wrapped.
        self._texts: list[str] = []

    def on_mount(self) -> None:
        self.show(self._first)

    def show(self, incident: Incident) -> None:
        shown = tuple((i.position, i.done) for i in incident.checklist)
        if shown == self._shown:
            return
        self._shown = shown
        done = sum(item.done for item in incident.checklist)
        self.border_title = f"Checklist {done}/{len(incident.checklist)}"
        highlighted = self.highlighted
        self.clear_options()
        section = None
        options: list[Option | None] = []
        self._texts = []
        width = len(str(max((i.position for i in incident.checklist), default=1)))
        for item in incident.checklist:
            if item.section != section:
                section = item.section
                title = SECTION_TITLES.get(section, section)
                options.append(Option(Content(title), disabled=True, id=f"section-{section}"))
                self._texts.append(title)
            prompt = item_prompt(item, width)
            options.append(Option(prompt, id=f"item-{item.position}"))
            self._texts.append(prompt.plain)
            self._done[item.position] = item.done
        self.add_options(options)
        if highlighted is not None and highlighted < self.option_count:
            self.highlighted = highlighted
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Wrap the labels where all of them fit so; otherwise one line each."""
        width = self.scrollable_content_region.width
        height = self.scrollable_content_region.height
        if width <= 0 or height <= 0:
            return
        wrapped = sum(max(1, -(-cell_len(text) // width)) for text in self._texts)
        clip = wrapped > height
        if clip != self.has_class("-clip"):
            self.set_class(clip, "-clip")
            self._clear_caches()
            self.refresh(layout=True)

    def action_toggle_item(self) -> None:
        if self.highlighted is None:
            return
        option = self.get_option_at_index(self.highlighted)
        if option.id and option.id.startswith("item-"):
            position = int(option.id.removeprefix("item-"))
            self.post_message(self.Toggle(position, not self._done.get(position, False)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle_item()
