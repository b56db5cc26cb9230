"""The incident's follow-up actions, to tick off as they are done (f3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from warroom.domain.models import FollowUp
from warroom.errors import WarroomError
from warroom.textsafe import printable
from warroom.tui.access import warroom_app
from warroom.tui.failures import guarded
from warroom.tui.messages import IncidentWritten
from warroom.tui.resources import MODALS

if TYPE_CHECKING:
    from warroom.tui.app import WarroomApp


def followup_line(followup: FollowUp) -> str:
    mark = "[x]" if followup.done else "[ ]"
    return (
        f"{mark} {printable(followup.text, 200)}  @{printable(followup.owner)}  due {followup.due}"
    )


class FollowupsScreen(ModalScreen[None]):
    CSS_PATH = MODALS
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("f3", "close", "Close", show=False),
        Binding("space", "toggle_item", "Done / not done"),
    ]

    @property
    def warroom(self) -> WarroomApp:
        """The app, typed: its store, ``service``, clock, playbook and user."""
        return warroom_app(self)

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id

    def compose(self) -> ComposeResult:
        with Vertical(id="followups-box"):
            yield Label(
                Content("Follow-up actions: space ticks one off · escape closes"),
                id="followups-title",
            )
            yield OptionList(id="followups-list")
            yield Label(
                Content("Add one from the scribe line: /fu TEXT @OWNER [due:YYYY-MM-DD|due:+Nd]"),
                id="followups-help",
            )

    def on_mount(self) -> None:
        self._load()
        self.query_one(OptionList).focus()

    def _load(self) -> None:
        listing = self.query_one(OptionList)
        highlighted = listing.highlighted
        listing.clear_options()
        followups = self.warroom.store.followups(self.incident_id)
        if not followups:
            listing.add_option(Option(Content("no follow-ups yet"), disabled=True))
            return
        listing.add_options(Option(Content(followup_line(f)), id=f"fu-{f.id}") for f in followups)
        listing.highlighted = min(highlighted or 0, listing.option_count - 1)

    def action_toggle_item(self) -> None:
        listing = self.query_one(OptionList)
        if listing.highlighted is None:
            return
        option = listing.get_option_at_index(listing.highlighted)
        if not option.id:
            return
        followup_id = int(option.id.removeprefix("fu-"))
        done = next(
            f.done for f in self.warroom.store.followups(self.incident_id) if f.id == followup_id
        )
        try:
            self.warroom.service.set_followup_done(
                self.incident_id, self.warroom.user, followup_id, not done
            )
        except WarroomError as exc:
            self.notify(str(exc), severity="error")
            return
        # The console behind shows the tick now (the checklist's item, the count).
        self.app.post_message(IncidentWritten(self.incident_id))
        self._load()

    @guarded("ticking a follow-up")
    def on_option_list_option_selected(self) -> None:
        self.action_toggle_item()

    def action_close(self) -> None:
        self.dismiss(None)
