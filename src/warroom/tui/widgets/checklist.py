"""The playbook's five-minute rulebook and containment checklist, tickable."""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from warroom.models import Incident

SECTION_TITLES = {"rulebook": "Five-minute rulebook", "containment": "Containment"}


class Checklist(OptionList):
    """Enter (or a click) ticks the highlighted item. Space does not: a
    printable key typed here goes to the scribe line (see the console), so a
    sentence typed into the wrong pane never ticks anything."""

    BORDER_TITLE = "Checklist"
    BINDINGS = [
        Binding("enter", "toggle", "Tick/untick", show=True),
    ]

    class Toggle(Message):
        def __init__(self, position: int, done: bool) -> None:
            super().__init__()
            self.position = position
            self.done = done

    def __init__(self, incident: Incident, **kwargs) -> None:
        super().__init__(**kwargs)
        self._done: dict[int, bool] = {}
        self._shown: tuple | None = None
        self._first = incident

    def on_mount(self) -> None:
        self.show(self._first)

    def show(self, incident: Incident) -> None:
        shown = tuple((i.position, i.done) for i in incident.checklist)
        if shown == self._shown:
            return
        self._shown = shown
        highlighted = self.highlighted
        self.clear_options()
        section = None
        options: list[Option | None] = []
        for item in incident.checklist:
            if item.section != section:
                section = item.section
                title = SECTION_TITLES.get(section, section)
                options.append(Option(Content(title), disabled=True, id=f"section-{section}"))
            mark = "[x]" if item.done else "[ ]"
            options.append(
                Option(Content(f"{mark} {item.position}. {item.label}"), id=f"item-{item.position}")
            )
            self._done[item.position] = item.done
        self.add_options(options)
        if highlighted is not None and highlighted < self.option_count:
            self.highlighted = highlighted

    def action_toggle(self) -> None:
        if self.highlighted is None:
            return
        option = self.get_option_at_index(self.highlighted)
        if option.id and option.id.startswith("item-"):
            position = int(option.id.removeprefix("item-"))
            self.post_message(self.Toggle(position, not self._done.get(position, False)))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle()
