"""The incident's follow-up actions, to tick off as they are done (f3), and to
create in the team's tracker (``p``, :data:`warroom.tui.keys.PUSH_FOLLOWUPS_KEY`).

The push runs in an async worker on the app's loop (the database stays on the
loop's thread; httpx waits without blocking it), so the console keeps taking
keys; each follow-up's outcome appears on the status line as it is decided, and
an error is that one line, never a traceback.
"""

from __future__ import annotations

import re
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
from warroom.tui.keys import PUSH_FOLLOWUPS_KEY
from warroom.tui.messages import IncidentWritten
from warroom.tui.resources import MODALS

if TYPE_CHECKING:
    from warroom.tui.app import WarroomApp


_GITHUB_ISSUE = re.compile(r"https?://[^/]+/([^/]+/[^/]+)/issues/(\d+)")


def short_ticket(ticket: str) -> str:
    """GitHub's issue URL as GitHub writes a reference (``acme/backlog#12``), so
    it fits beside the follow-up at 80 columns; a Jira key as it is."""
    match = _GITHUB_ISSUE.fullmatch(ticket)
    return f"{match.group(1)}#{match.group(2)}" if match else ticket


def followup_line(followup: FollowUp, *, tracker: bool = False) -> str:
    """One follow-up; with its ticket once pushed (``tracker``: say when it is not)."""
    mark = "[x]" if followup.done else "[ ]"
    line = (
        f"{mark} {printable(followup.text, 200)}  @{printable(followup.owner)}  due {followup.due}"
    )
    if followup.ticket:
        line += f"  → {printable(short_ticket(followup.ticket), 120)}"
    elif tracker and not followup.done:
        line += "  (not in the tracker)"
    return line


class FollowupsScreen(ModalScreen[None]):
    CSS_PATH = MODALS
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("f3", "close", "Close", show=False),
        Binding("space", "toggle_item", "Done / not done"),
        Binding(PUSH_FOLLOWUPS_KEY, "push", "Push to the tracker"),
    ]

    @property
    def warroom(self) -> WarroomApp:
        """The app, typed: its store, ``service``, clock, playbook and user."""
        return warroom_app(self)

    def __init__(self, incident_id: int) -> None:
        super().__init__()
        self.incident_id = incident_id
        #: A push under way (one at a time).
        self.pushing = False

    def compose(self) -> ComposeResult:
        with Vertical(id="followups-box"):
            yield Label(
                Content("Follow-up actions: space ticks one off · escape closes"),
                id="followups-title",
            )
            yield OptionList(id="followups-list")
            yield Label(Content(""), id="followups-status", markup=False)
            yield Label(
                Content("Add one from the scribe line: /fu TEXT @OWNER [due:YYYY-MM-DD|due:+Nd]"),
                id="followups-help",
            )

    def on_mount(self) -> None:
        self._load()
        comms = self.warroom.comms
        if comms is not None and comms.tracker_enabled:
            where = comms.tracker.repo if comms.tracker.kind == "github" else comms.tracker.project
            kind = "GitHub" if comms.tracker.kind == "github" else "Jira"
            self._status(f"{PUSH_FOLLOWUPS_KEY} creates the open ones in {kind} {where}, once")
        else:
            self._status(f"{PUSH_FOLLOWUPS_KEY}: no tracker configured ([tracker] in the config)")
        self.query_one(OptionList).focus()

    def _load(self) -> None:
        listing = self.query_one(OptionList)
        highlighted = listing.highlighted
        listing.clear_options()
        followups = self.warroom.store.followups(self.incident_id)
        if not followups:
            listing.add_option(Option(Content("no follow-ups yet"), disabled=True))
            return
        tracker = self._tracker_enabled()
        listing.add_options(
            Option(Content(followup_line(f, tracker=tracker)), id=f"fu-{f.id}") for f in followups
        )
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

    # -- into the tracker ---------------------------------------------------

    def _tracker_enabled(self) -> bool:
        comms = self.warroom.comms
        return comms is not None and comms.tracker_enabled

    def _status(self, text: str) -> None:
        """One line under the list: user text in it is never markup."""
        if self.is_attached:
            self.query_one("#followups-status", Label).update(Content(printable(text, 300)))

    @guarded("pushing follow-ups to the tracker")
    def action_push(self) -> None:
        from warroom.comms.tracker_push import NOT_CONFIGURED

        if self.pushing:
            self._status("a push is under way: its lines appear here")
            return
        if self.warroom.watching:
            self._status("watching: this console writes nothing, so it cannot push")
            return
        if not self._tracker_enabled():
            self._status(NOT_CONFIGURED)
            return
        self.pushing = True
        self._status("pushing to the tracker…")
        # On the app's loop, so closing this screen does not cut a request in half.
        self.app.run_worker(
            self._push(), group="tracker-push", exit_on_error=False, exclusive=False
        )

    async def _push(self) -> None:
        from warroom.comms.tracker_push import SETTLED, PushLine, push_followups

        app = self.warroom
        incident = app.store.incident(self.incident_id)
        assert app.comms is not None and incident is not None

        def heard(line: PushLine) -> None:
            text = line.line
            if line.ticket:  # the URL in full is in the exports; here, what fits
                text = text.replace(line.ticket, short_ticket(line.ticket))
            self._status(text)
            if self.is_attached:
                self._load()

        try:
            report = await push_followups(
                app.store,
                app.comms,
                incident,
                app.clock,
                on_line=heard,
                review_url=app.playbook.incident_doc(incident.id, incident.ref),
            )
        except WarroomError as exc:
            self._status(str(exc))
            return
        except Exception as exc:  # a bug: one line here, the traceback in the log
            self._status(app.report_failure(exc, "pushing follow-ups to the tracker"))
            return
        finally:
            self.pushing = False
        if not report.lines:
            summary = "no open follow-ups to push"
        elif report.complete:
            summary = f"{len(report.lines)} follow-up(s) in the tracker"
        else:
            first = next(line for line in report.lines if line.outcome not in SETTLED)
            summary = f"{report.failed} not in the tracker: {first.line}"
        self._status(summary)
        if self.is_attached:
            self._load()
        else:
            app.notify(summary, severity="information" if report.complete else "error")
