"""The countdown to the next stakeholder update, from the stored deadline."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Digits, Label

from warroom.cadence import Countdown


class UpdateCountdown(Vertical):
    BORDER_TITLE = "Next update"

    class BecameOverdue(Message):
        """The deadline passed while we watched: ring once, notify once."""

    def __init__(self, state: Countdown, detail: str, delivery: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self._phase: str | None = None
        self._first = (state, detail, delivery)

    def on_mount(self) -> None:
        self.show(*self._first)

    def compose(self) -> ComposeResult:
        yield Digits("--:--", id="countdown-digits")
        yield Label(id="countdown-detail")
        yield Label(id="countdown-delivery")

    def show(self, state: Countdown, detail: str, delivery: str = "") -> None:
        """``delivery``: an update recorded but not delivered yet, said as such
        (the deadline was reset when it was recorded; Slack may not have it)."""
        self.query_one(Digits).update(state.clock_text)
        label = "OVERDUE " + detail if state.phase == "overdue" else detail
        self.query_one("#countdown-detail", Label).update(Content(label))
        pending = self.query_one("#countdown-delivery", Label)
        pending.update(Content(delivery))
        pending.set_class(bool(delivery), "-shown")
        if state.phase != self._phase:
            for phase in ("off", "calm", "warning", "overdue"):
                self.set_class(state.phase == phase, f"-{phase}")
            if state.phase == "overdue" and self._phase is not None:
                self.post_message(self.BecameOverdue())
            self._phase = state.phase
