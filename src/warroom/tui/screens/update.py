"""Compose a stakeholder update from the playbook's internal template."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, TextArea

from warroom.errors import WarroomError


class UpdateScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "send", "Record update", priority=True),
    ]

    def __init__(self, incident_id: int, draft: str) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.draft = draft

    def compose(self) -> ComposeResult:
        with Vertical(id="update-box"):
            yield Label(Content("Stakeholder update (internal)"), id="update-title")
            yield TextArea(self.draft, id="update-text", soft_wrap=True)
            yield Label(id="update-error")
            yield Label(
                Content(
                    "ctrl+s records it and resets the countdown (Slack is not configured:"
                    " nothing is sent) · escape cancels"
                ),
                id="update-help",
            )

    def on_mount(self) -> None:
        self.app.settle_cursors(self)
        self.query_one(TextArea).focus()

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_send(self) -> None:
        text = self.query_one(TextArea).text
        try:
            self.app.ops.record_update(self.incident_id, self.app.user, text)
        except WarroomError as exc:
            error = self.query_one("#update-error", Label)
            error.update(Content(str(exc)))
            error.add_class("-shown")
            return
        self.dismiss(True)
