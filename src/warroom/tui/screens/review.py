"""The post-incident review (ctrl+e): write it while the call is fresh, export it.

ctrl+s (or ctrl+e again) saves the text exactly as typed and writes the review
document and the meeting invite beside the database.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, TextArea

from warroom.clock import format_duration
from warroom.domain.models import Incident
from warroom.errors import WarroomError
from warroom.tui.access import warroom_app
from warroom.tui.messages import IncidentWritten
from warroom.tui.resources import MODALS

if TYPE_CHECKING:
    from warroom.domain.figures import Figures
    from warroom.tui.app import WarroomApp


class ReviewScreen(ModalScreen[list[Path] | None]):
    CSS_PATH = MODALS
    BINDINGS = [
        Binding("escape", "cancel", "Close"),
        Binding("ctrl+s", "save", "Save & export", priority=True),
        Binding("ctrl+e", "save", "Save & export", priority=True, show=False),
    ]

    @property
    def warroom(self) -> WarroomApp:
        """The app, typed: its store, ``service``, clock, playbook and user."""
        return warroom_app(self)

    def __init__(self, incident: Incident) -> None:
        super().__init__()
        self.incident = incident
        self._warned = False
        # Computed here, inside the key's action, not in compose: a failure
        # (a playbook value out of range) is then one line and the console
        # stays up, where a failing compose would end the app.
        from warroom.exports.review import figures_for, review_date

        app = self.warroom
        now = app.clock.now()
        self._review = app.store.review(incident.id)
        self._figures = figures_for(app.store, incident, app.playbook, now)
        self._meeting = review_date(self._review, incident, app.playbook, now)

    def compose(self) -> ComposeResult:
        app = self.warroom
        review, figures, meeting = self._review, self._figures, self._meeting
        with VerticalScroll(id="review-box"):
            yield Label(Content(f"Post-incident review · {self.incident.ref}"), id="review-title")
            yield Label(Content(_figures_line(figures)), id="review-figures")
            yield Label(Content("Root cause"), classes="field-label")
            yield TextArea(review.root_cause, id="review-root-cause", classes="review-text")
            yield Label(Content("Contributing factors"), classes="field-label")
            yield TextArea(review.contributing_factors, id="review-factors", classes="review-text")
            yield Label(Content("Resolution steps"), classes="field-label")
            yield TextArea(review.resolution_steps, id="review-steps", classes="review-text")
            yield Label(
                Content(
                    "Review meeting (YYYY-MM-DD; proposed: "
                    f"{app.playbook.review_within_business_days} business days after resolution)"
                ),
                classes="field-label",
            )
            yield Input(meeting.isoformat(), id="review-date", classes="declare-field")
            yield Label(
                Content("Invite: " + ", ".join(app.playbook.review_invitees)),
                id="review-invitees",
            )
            yield Label(id="review-error")
            yield Label(
                Content("ctrl+s saves and exports the review (.md) and invite (.ics) · escape"),
                id="review-help",
            )

    def on_mount(self) -> None:
        self.warroom.settle_cursors(self)
        self.query_one("#review-root-cause", TextArea).focus()

    def _fail(self, message: str) -> None:
        error = self.query_one("#review-error", Label)
        error.update(Content(message))
        error.add_class("-shown")

    def action_save(self) -> None:
        raw_date = self.query_one("#review-date", Input).value.strip()
        try:
            meeting = date.fromisoformat(raw_date) if raw_date else None
        except ValueError:
            self._fail(f"{raw_date!r} is not a date: use YYYY-MM-DD")
            return
        try:
            self.warroom.service.set_review(
                self.incident.id,
                self.warroom.user,
                root_cause=self.query_one("#review-root-cause", TextArea).text,
                contributing_factors=self.query_one("#review-factors", TextArea).text,
                resolution_steps=self.query_one("#review-steps", TextArea).text,
                review_at=meeting,
            )
            self.app.post_message(IncidentWritten(self.incident.id))
            written = self.warroom.export_review(self.incident.id)
        except WarroomError as exc:
            self._fail(str(exc))
            return
        self.dismiss(written)

    def action_cancel(self) -> None:
        if self._changed() and not self._warned:
            self._warned = True
            self._fail("unsaved changes: ctrl+s saves, escape again discards them")
            return
        self.dismiss(None)

    def unsaved_work(self) -> list[str]:
        """Asked about by ctrl+q."""
        return ["the review you are writing (not saved)"] if self._changed() else []

    def _changed(self) -> bool:
        review = self.warroom.store.review(self.incident.id)
        return (
            self.query_one("#review-root-cause", TextArea).text != review.root_cause
            or self.query_one("#review-factors", TextArea).text != review.contributing_factors
            or self.query_one("#review-steps", TextArea).text != review.resolution_steps
        )


def _figures_line(figures: Figures) -> str:
    def clock(seconds: int | None) -> str:
        return "—" if seconds is None else format_duration(seconds)

    late = (
        f", {figures.updates_late} late (worst by {format_duration(figures.late_by_seconds_max)})"
        if figures.updates_late
        else ""
    )
    return (
        f"time to mitigate {clock(figures.time_to_mitigate_seconds)} · "
        f"time to resolve {clock(figures.time_to_resolve_seconds)} · "
        f"updates {figures.updates_sent} sent of {figures.updates_due} due{late}"
    )
