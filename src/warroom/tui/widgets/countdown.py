"""The countdown to the next stakeholder update, from the stored deadline."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.renderables.digits import Digits as DigitsRenderable
from textual.widgets import Digits, Label

from warroom.domain.cadence import Countdown


def digits_width(text: str) -> int:
    """Cells Textual's ``Digits`` takes for ``text``."""
    return DigitsRenderable.get_width(text)


class UpdateCountdown(Vertical):
    """Big digits, OVERDUE (when it is) on the box's top edge and the cadence on
    its lower edge: five rows, so the checklist under it keeps its room at 80x24.
    Where the column is narrow (19 columns under 150), an overdue clock drops
    its "+" (the red box says OVERDUE); one still too wide (an hour overdue) is
    written in plain characters rather than cut. An update recorded but not
    yet delivered is said under the digits until it is: the deadline was reset
    when it was recorded, but Slack may not have it."""

    BORDER_TITLE = "Next update"

    class BecameOverdue(Message):
        """The deadline passed while we watched: ring once, notify once."""

    def __init__(self, state: Countdown, detail: str, delivery: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._phase: str | None = None
        self._first = (state, detail, delivery)
        #: The clock as it reads, before it is fitted to the column.
        self._clock = state.clock_text

    def on_mount(self) -> None:
        self.show(*self._first)

    def compose(self) -> ComposeResult:
        yield Digits("--:--", id="countdown-digits")
        yield Label(id="countdown-text")
        yield Label(id="countdown-delivery")

    def on_resize(self) -> None:
        self._fit()

    def show(self, state: Countdown, detail: str, delivery: str = "") -> None:
        self._clock = state.clock_text
        pending = self.query_one("#countdown-delivery", Label)
        pending.update(Content(delivery))
        pending.set_class(bool(delivery), "-shown")
        self.query_one("#countdown-text", Label).update(Content(state.clock_text))
        self._fit()
        self.border_title = "OVERDUE" if state.phase == "overdue" else "Next update"
        self.border_subtitle = detail
        if state.phase != self._phase:
            for phase in ("off", "calm", "warning", "overdue"):
                self.set_class(state.phase == phase, f"-{phase}")
            if state.phase == "overdue" and self._phase is not None:
                self.post_message(self.BecameOverdue())
            self._phase = state.phase

    def _fit(self) -> None:
        room = self.content_region.width
        text = self._clock
        if room and digits_width(text) > room:
            text = text.removeprefix("+")
        self.query_one(Digits).update(text)
        self.set_class(bool(room) and digits_width(text) > room, "-too-wide")
