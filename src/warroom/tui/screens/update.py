"""Compose a stakeholder update from the playbook's templates, then record or send it.

What is in the editor is exactly what goes out; nothing leaves without ctrl+s.
An internal update also carries the "Current mitigation" line, in a field of
its own: Slack's root message shows the line of the latest update sent, so it
changes only when the comms lead has seen it here and sent it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, RadioButton, RadioSet, TextArea

from warroom.domain.rules import MAX_MITIGATION
from warroom.errors import WarroomError
from warroom.tui.access import warroom_app
from warroom.tui.messages import IncidentWritten
from warroom.tui.resources import MODALS

if TYPE_CHECKING:
    from warroom.tui.app import WarroomApp


@dataclass(frozen=True)
class Drafts:
    internal: str
    email_subject: str
    email_body: str
    #: The "Current mitigation" line offered (the last one sent, or a newer
    #: /decision or /action), for the comms lead to edit.
    mitigation: str = ""


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

    @property
    def warroom(self) -> WarroomApp:
        """The app, typed: its store, ``service``, clock, playbook and user."""
        return warroom_app(self)

    def __init__(
        self,
        incident_id: int,
        drafts: Drafts,
        delivery_note: str,
        *,
        redraft: Callable[[str], Drafts] | None = None,
        client_warning: str | None = None,
    ) -> None:
        """``redraft`` renders the drafts again for another mitigation line (the
        texts follow the field until someone edits them); ``client_warning`` is
        shown above the email (the playbook has no status page, say)."""
        super().__init__()
        self.incident_id = incident_id
        self.drafts = drafts
        self.delivery_note = delivery_note
        self.redraft = redraft
        self.client_warning = client_warning
        #: The texts as last drafted: an editor still holding them follows the field.
        self._drafted = drafts

    def compose(self) -> ComposeResult:
        with Vertical(id="update-box"):
            yield Label(Content("Stakeholder update"), id="update-title")
            with RadioSet(id="update-audience"):
                yield RadioButton("Internal (Slack template)", value=True, id="audience-internal")
                yield RadioButton("Client (email template)", id="audience-client")
            yield Label(
                Content("Current mitigation (Slack's root message shows it once sent):"),
                id="update-mitigation-label",
                classes="field-label",
            )
            yield Input(
                self.drafts.mitigation,
                placeholder="what we are doing about it (empty: investigating)",
                max_length=MAX_MITIGATION,
                id="update-mitigation",
                classes="declare-field",
            )
            yield Label(Content(self.client_warning or ""), id="update-warning")
            yield Input(self.drafts.email_subject, id="update-subject", classes="declare-field")
            yield TextArea(self.drafts.internal, id="update-text", soft_wrap=True)
            yield TextArea(self.drafts.email_body, id="update-email", soft_wrap=True)
            yield Label(id="update-error")
            yield Label(Content(self.delivery_note), id="update-help")

    def on_mount(self) -> None:
        self.warroom.settle_cursors(self)
        self._show("internal")
        self.query_one("#update-text", TextArea).focus()

    @on(Input.Changed, "#update-mitigation")
    def _mitigation_changed(self, event: Input.Changed) -> None:
        """The texts follow the mitigation field while they are as drafted."""
        if self.redraft is None:
            return
        drafts = self.redraft(event.value.strip())
        for selector, old, new in (
            ("#update-text", self._drafted.internal, drafts.internal),
            ("#update-email", self._drafted.email_body, drafts.email_body),
        ):
            editor = self.query_one(selector, TextArea)
            if editor.text == old and old != new:
                editor.text = new
        self._drafted = drafts

    @property
    def audience(self) -> str:
        pressed = self.query_one(RadioSet).pressed_button
        return "client" if pressed is not None and pressed.id == "audience-client" else "internal"

    def _show(self, audience: str) -> None:
        client = audience == "client"
        self.query_one("#update-subject").display = client
        self.query_one("#update-email").display = client
        self.query_one("#update-warning").display = client and bool(self.client_warning)
        self.query_one("#update-text").display = not client
        self.query_one("#update-mitigation").display = not client
        self.query_one("#update-mitigation-label").display = not client

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
            or self.query_one("#update-mitigation", Input).value != self.drafts.mitigation
        )
        return ["the stakeholder update you are writing (not sent)"] if edited else []

    def action_send(self) -> None:
        audience = self.audience
        mitigation: str | None = None
        if audience == "client":
            subject: str | None = self.query_one("#update-subject", Input).value
            text = self.query_one("#update-email", TextArea).text
        else:
            subject = None
            text = self.query_one("#update-text", TextArea).text
            mitigation = self.query_one("#update-mitigation", Input).value
        try:
            self.warroom.service.record_update(
                self.incident_id,
                self.warroom.user,
                text,
                audience=audience,
                subject=subject,
                mitigation=mitigation,
            )
        except WarroomError as exc:
            error = self.query_one("#update-error", Label)
            error.update(Content(str(exc)))
            error.add_class("-shown")
            return
        # To the app, not this screen: it is closing, and the app outlives it.
        self.app.post_message(IncidentWritten(self.incident_id))
        self.dismiss(Sent(audience, text, subject))
