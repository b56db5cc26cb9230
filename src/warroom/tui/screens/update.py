"""Compose a stakeholder update from the playbook's templates, then record or send it.

What is in the editor is exactly what goes out; nothing leaves without ctrl+s.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, RadioButton, RadioSet, TextArea

from warroom.errors import WarroomError
from warroom.tui.resources import MODALS


@dataclass(frozen=True)
class Drafts:
    internal: str
    email_subject: str
    email_body: str


@dataclass(frozen=True)
class Sent:
    audience: str
    text: str
    subject: str | None


class UpdateScreen(ModalScreen[Sent | None]):
    CSS_PATH = MODALS
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "send", "Send / record", priority=True),
    ]

    def __init__(self, incident_id: int, drafts: Drafts, delivery_note: str) -> None:
        super().__init__()
        self.incident_id = incident_id
        self.drafts = drafts
        self.delivery_note = delivery_note

    def compose(self) -> ComposeResult:
        with Vertical(id="update-box"):
            yield Label(Content("Stakeholder update"), id="update-title")
            with RadioSet(id="update-audience"):
                yield RadioButton("Internal (Slack template)", value=True, id="audience-internal")
                yield RadioButton("Client (email template)", id="audience-client")
            yield Input(self.drafts.email_subject, id="update-subject", classes="declare-field")
            yield TextArea(self.drafts.internal, id="update-text", soft_wrap=True)
            yield TextArea(self.drafts.email_body, id="update-email", soft_wrap=True)
            yield Label(id="update-error")
            yield Label(Content(self.delivery_note), id="update-help")

    def on_mount(self) -> None:
        self.app.settle_cursors(self)
        self._show("internal")
        self.query_one("#update-text", TextArea).focus()

    @property
    def audience(self) -> str:
        pressed = self.query_one(RadioSet).pressed_button
        return "client" if pressed is not None and pressed.id == "audience-client" else "internal"

    def _show(self, audience: str) -> None:
        client = audience == "client"
        self.query_one("#update-subject").display = client
        self.query_one("#update-email").display = client
        self.query_one("#update-text").display = not client

    @on(RadioSet.Changed)
    def _audience_changed(self) -> None:
        self._show(self.audience)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def unsaved_work(self) -> list[str]:
        """Asked about by ctrl+q: an edited update that has not been sent. (It is
        kept in memory only: one brought back after a crash could go out stale.)"""
        edited = (
            self.query_one("#update-text", TextArea).text != self.drafts.internal
            or self.query_one("#update-email", TextArea).text != self.drafts.email_body
            or self.query_one("#update-subject", Input).value != self.drafts.email_subject
        )
        return ["the stakeholder update you are writing (not sent)"] if edited else []

    def action_send(self) -> None:
        audience = self.audience
        if audience == "client":
            subject: str | None = self.query_one("#update-subject", Input).value
            text = self.query_one("#update-email", TextArea).text
        else:
            subject = None
            text = self.query_one("#update-text", TextArea).text
        try:
            self.app.record_update(self.incident_id, text, audience=audience, subject=subject)
        except WarroomError as exc:
            error = self.query_one("#update-error", Label)
            error.update(Content(str(exc)))
            error.add_class("-shown")
            return
        self.dismiss(Sent(audience, text, subject))
