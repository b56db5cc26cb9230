"""The countdown to the next stakeholder update, from the stored deadline."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Digits

from warroom.cadence import Countdown


class UpdateCountdown(Vertical):
    """Big digits, OVERDUE (when it is) on the box's top edge and the cadence on
    its lower edge: five rows, so the checklist under it keeps its room at 80x24."""

    BORDER_TITLE = "Next update"

    class BecameOverdue(Message):
        """The deadline passed while we watched: ring once, notify once."""

    def __init__(self, state: Countdown, detail: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self._phase: str | None = None
        self._first = (state, detail)

    def on_mount(self) -> None:
        self.show(*self._first)

    def compose(self) -> ComposeResult:
        yield Digits("--:--", id="countdown-digits")

    def show(self, state: Countdown, detail: str) -> None:
        self.query_one(Digits).update(state.clock_text)
        self.border_title = "OVERDUE" if state.phase == "overdue" else "Next update"
        self.border_subtitle = detail
        if state.phase != self._phase:
            for phase in ("off", "calm", "warning", "overdue"):
                self.set_class(state.phase == phase, f"-{phase}")
            if state.phase == "overdue" and self._phase is not None:
                self.post_message(self.BecameOverdue())
            self._phase = state.phase
