"""The console: one incident, every pane, and the scribe line that writes to it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import MountError, Widget
from textual.widgets import Input, Label

from warroom.clock import format_time, parse_time
from warroom.domain.models import Entry, Incident, Update
from warroom.errors import WarroomError
from warroom.textsafe import printable
from warroom.tui.access import warroom_app
from warroom.tui.failures import guarded
from warroom.tui.messages import OpenEntry, screen_request
from warroom.tui.resources import PANES, add_stylesheet
from warroom.tui.widgets.footer import ConsoleFooter
from warroom.tui.widgets.header import IncidentHeader
from warroom.tui.widgets.milestones import MilestoneClocks
from warroom.tui.widgets.roles import RolesPanel, roles_line
from warroom.tui.widgets.scribe_input import ScribeInput
from warroom.tui.widgets.timeline import Timeline

# What the first frame does not show is imported when it is needed: the side
# panes just after that frame, the scribe-line commands and the filter once
# the console is up (see WarroomApp._after_start_up). Each module is a
# millisecond or so of start-up, and the side panes' handlers below go by
# name (on_checklist_toggle) so this module need not import their classes.
if TYPE_CHECKING:
    from warroom.commands import LineResult
    from warroom.db.outbox import OutboxStatus
    from warroom.domain.cadence import Countdown
    from warroom.domain.search import Filter
    from warroom.service import Service
    from warroom.tui.app import WarroomApp
    from warroom.tui.widgets.checklist import Checklist
    from warroom.tui.widgets.countdown import UpdateCountdown


#: The states the delivery indicator has a style for (a class each).
OUTBOX_STATES = ("off", "delivered", "sending", "retrying", "failed", "unsure", "waiting")


def outbox_line(status: OutboxStatus | None, *, narrow: bool = False) -> tuple[str, str]:
    """The delivery indicator's text and state class (a few words when ``narrow``)."""
    if status is None:
        return "Slack: off", "off"
    if narrow:
        return printable(f"Slack: {status.short}", 60), status.state
    hint = ""
    if status.state != "waiting":
        hint = " · f4 retries" if status.failed else " · f4 resends" if status.unsure else ""
    return printable(f"Slack: {status.text}{hint}", 200), status.state


def delivery_line(undelivered: list[Update]) -> str:
    """What the countdown pane says about updates recorded but not delivered yet
    (empty when every update has gone out, or none was queued): two short lines."""
    if not undelivered:
        return ""
    last = undelivered[-1]
    state = {
        "pending": "not delivered yet",
        "failed": "NOT delivered: failed",
        "unsure": "may not have arrived",
    }.get(last.delivery, f"not delivered ({last.delivery})")
    more = f" (+{len(undelivered) - 1} more)" if len(undelivered) > 1 else ""
    return f"update of {last.at[11:16]}Z{more}\n{state}"


class ConsoleScreen(Screen):
    AUTO_FOCUS = "#scribe"
    # Escape in the timeline or checklist: back to the scribe line. (The scribe
    # line and the filter bar bind escape themselves, and come first.)
    BINDINGS = [Binding("escape", "focus_scribe", "Scribe line", show=False)]

    @property
    def warroom(self) -> WarroomApp:
        """The app, typed: its store, ``service``, clock, playbook and user."""
        return warroom_app(self)

    def __init__(self, incident: Incident) -> None:
        super().__init__(classes=self.warroom.breakpoint_class())
        self.incident = incident
        self._first_day = incident.declared_at[:10]
        #: Who has written in the incident, up to entry ``_authors_seen`` (for Tab).
        self._authors: set[str] = set()
        self._authors_seen = 0
        self._ready = False  # the clock and the poller may fire before compose is done
        #: The roles panel is filled in (see _fill_wide_panes).
        self._wide_filled = False
        #: A reload was asked for before the console was up (and another console wrote).
        self._reload_due = False
        self._others_changed_due = False
        #: Keys may go to the console: a pane has focus, or the first frame is out.
        self._keys_go_here = False
        self._filter: Filter | None = None
        #: Updates recorded but not delivered yet (read on reload, not every tick;
        #: first with the side panes, after the first frame).
        self._undelivered: list[Update] = []
        #: A command that asked before acting (``/close``): the same command as
        #: the next line confirms it; any other line, or escape, drops it.
        self._asking: str | None = None
        #: The first alert's start this console has offered as impact start (once each).
        self._offered_impact_start: str | None = None
        #: The update deadline this console has already chased (or found chased).
        self._chased_due: str | None = None

    @property
    def _live(self) -> bool:
        """Composed, and not being taken down. On quitting, Textual removes the
        panes' children before the panes while the clock and the poller still
        fire (timers run in their own tasks): found by the 20,000-line fuzz run
        as a traceback on the way out."""
        return self._ready and self.is_attached and self.display

    @property
    def service(self) -> Service:
        """Every change goes through it (one transaction: state and its entry)."""
        return self.warroom.service

    def compose(self) -> ComposeResult:
        incident = self.incident
        yield IncidentHeader(incident, self.warroom.playbook, self.warroom.clock.now(), id="header")
        yield Label(Content(roles_line(incident)), id="roles-line")
        with Horizontal(id="body"):
            yield RolesPanel(self.warroom.playbook, id="roles")
            with Vertical(id="center"):
                yield Timeline(
                    self.warroom.store, self.incident.id, self.incident.entry_count, id="timeline"
                )
                yield ScribeInput(
                    self._names,
                    self.commit_line,
                    lambda: self.incident.checklist,
                    escape=self.escape_in_scribe_line,
                    id="scribe",
                )
                yield Label(id="scribe-error")
            # The side column's panes arrive a frame later (see _fill_side_panes):
            # the column keeps its width from the first frame, so nothing moves.
            yield Vertical(id="side")
        yield ConsoleFooter(compact=True)

    def on_mount(self) -> None:
        # The header, the timeline and the scribe line fill themselves in as
        # they mount, so the first frame shows the incident. As the app's first
        # screen this may run before its children exist, so what touches them
        # (and the panes that follow) waits for that frame. (Built at once on
        # Textual's Ready instead, the panes held up the first frame on its way
        # to the terminal, as the event loop kept the thread that writes it and
        # the terminal waiting: a few per cent, measured in tmux.)
        self.call_after_refresh(self._after_first_frame)

    def _side_panes(self) -> list[Widget]:
        from warroom.tui.widgets.checklist import Checklist
        from warroom.tui.widgets.countdown import UpdateCountdown

        incident = self.incident
        now = self.warroom.clock.now()
        return [
            Label(
                Content(
                    outbox_line(self.warroom.outbox_status, narrow=self.has_class("-narrow"))[0]
                ),
                id="comms-status",
            ),
            UpdateCountdown(*self._countdown(), id="countdown"),
            MilestoneClocks(incident, now, id="milestones"),
            Checklist(incident, id="checklist"),
        ]

    async def _fill_side_panes(self) -> None:
        """The Slack status, the countdown, the milestones and the checklist
        (and, 150 columns and wider, the roles), mounted just after the first
        frame.

        The first frame is what a person waits for when the console opens: the
        incident's header, its newest entries and the scribe line. The panes are
        half the console's widgets, to build, style and draw, with stylesheets of
        their own; paid for before the first frame, they made it ~40 ms later.
        Mounted once it is on screen, they follow in the next frames, and keys
        typed meanwhile wait in order for the scribe line.
        """
        add_stylesheet(self.app, PANES)
        self._undelivered = self._read_undelivered(self.incident)
        await self.query_one("#side").mount_all(self._side_panes())
        await self._fill_wide_panes()

    async def _fill_wide_panes(self) -> None:
        """The names in the roles panel, which only a screen 150 columns wide or
        more shows (narrower, the roles are one line under the header): filled
        in the first time the screen is that wide. (The header's TTM/TTR clocks
        are there from the first frame: added later, they pushed the stage and
        the elapsed time along the header.)"""
        if self._wide_filled or not self.has_class("-xwide") or not self.is_attached:
            return
        self._wide_filled = True
        await self.query_one(RolesPanel).fill(self.incident)

    async def on_resize(self) -> None:
        # Across the 150-column breakpoint the indicator changes form.
        self.call_after_refresh(self.show_outbox, self.warroom.outbox_status)
        if self._ready:
            try:
                await self._fill_wide_panes()
            except (NoMatches, MountError):
                return  # closing

    def _checklist(self) -> Checklist:
        from warroom.tui.widgets.checklist import Checklist

        return self.query_one("#checklist", Checklist)

    def _countdown_pane(self) -> UpdateCountdown:
        from warroom.tui.widgets.countdown import UpdateCountdown

        return self.query_one("#countdown", UpdateCountdown)

    def _first_day_of(self, incident: Incident) -> str:
        """The UTC day of the earliest time in the timeline (an /at entry may
        be earlier than the declaration)."""
        try:
            backdated = self.warroom.store.earliest_backdated(incident.id)
        except WarroomError:
            backdated = None
        return min(incident.declared_at, backdated or incident.declared_at)[:10]

    @property
    def takes_keys(self) -> bool:
        """A key now reaches the scribe line (or the pane with focus): until
        then the app holds what is typed (WarroomApp.on_event)."""
        return self._keys_go_here or self.focused is not None

    def on_descendant_focus(self) -> None:
        # The scribe line has focus as the console is composed: keys typed
        # meanwhile can go there now, before the frame is even painted.
        if not self._keys_go_here:
            self._keys_go_here = True
            self.app.call_later(self.warroom.play_held_keys)

    async def _after_first_frame(self) -> None:
        scribe = self.query_one(ScribeInput)
        if not scribe.disabled and self.focused is not scribe:
            # Not already there (AUTO_FOCUS puts it there as the console is
            # composed): focusing again would rebuild the footer's keys for nothing.
            scribe.focus()
        if not self._keys_go_here:  # read-only: no focus, the keys go to the screen
            self._keys_go_here = True
            await self.warroom.play_held_keys()
        try:
            await self._fill_side_panes()
        except (NoMatches, MountError):
            # Quit (or replaced) before the panes arrived: they are being taken down.
            return
        if not self.is_attached:
            return
        self._first_day = self._first_day_of(self.incident)
        self.warroom.settle_cursors(self)
        self.show_outbox(self.warroom.outbox_status)
        self._show_status(self.incident)
        if self.warroom.here is not None:
            self.show_presence(self.warroom.here)
        # From now on the clock and the poller may update the panes.
        self._ready = True
        if self._reload_due:  # something was written while the panes were on their way
            self.reload(others_changed=self._others_changed_due)

    def _names(self) -> list[str]:
        """Names Tab completes: the role holders first, then everyone else who
        has written in the incident, and follow-up owners."""
        count = self.incident.entry_count
        if count > self._authors_seen:
            try:
                self._authors |= self.warroom.store.authors(
                    self.incident.id, after=self._authors_seen
                )
                self._authors |= {f.owner for f in self.warroom.store.followups(self.incident.id)}
            except WarroomError:
                pass  # completion is a convenience: never an error under the input
            else:
                self._authors_seen = count
        roles = self.incident.roles.names()
        return [*roles, *sorted(self._authors - set(roles), key=str.lower)]

    # -- showing ------------------------------------------------------

    def show_incident(self, incident: Incident) -> None:
        self.incident = incident
        self._undelivered = self._read_undelivered(incident)
        self._first_day = self._first_day_of(incident)
        self.query_one(IncidentHeader).show(
            incident, self.warroom.playbook, self.warroom.clock.now()
        )
        self.query_one(RolesPanel).show(incident)
        self.query_one("#roles-line", Label).update(
            Content(roles_line(incident, self.warroom.here))
        )
        self._checklist().show(incident)
        self.query_one(Timeline).set_count(incident.entry_count)
        if self._filter is not None:
            self._apply_filter()
        self._show_status(incident)
        if self.warroom.here is not None:
            self.show_presence(self.warroom.here)
        self._offer_alert_start(incident)
        self.tick()

    def _offer_alert_start(self, incident: Incident) -> None:
        """The first alert started before impact started, which nobody has
        corrected (still the declaration): offer the move, once, never make it."""
        from warroom.domain.alerts import earlier_than, milestone_token

        started = incident.milestones.impact_started_at
        if incident.status == "closed" or started != incident.declared_at:
            return
        try:
            first = self.warroom.store.earliest_alert_start(incident.id)
        except WarroomError:
            return
        if first is None or first == self._offered_impact_start:
            return
        if not earlier_than(first, started):
            return
        self._offered_impact_start = first
        token = milestone_token(first, self.warroom.clock.now())
        self.notify(
            f"The first alert started at {token}Z, before impact started ({started[11:16]}Z)."
            f" If impact began then: /milestone impact_started {token} REASON",
            title="Impact start",
            severity="warning",
            timeout=30,
        )

    def show_presence(self, here: list) -> None:
        """Who has a console open on this incident now (any machine, any way in)."""
        if not self.query("#roles"):
            return  # not composed yet: the first frame shows it
        self.query_one(RolesPanel).show_here(here)
        self.query_one("#roles-line", Label).update(Content(roles_line(self.incident, here)))

    def _show_status(self, incident: Incident) -> None:
        self.set_class(incident.status != "open", "-not-open")
        closed = incident.status == "closed"
        damaged = self.warroom.damaged
        watch = self.warroom.watching
        self.set_class(closed or bool(damaged) or watch, "-read-only")
        scribe = self.query_one(ScribeInput)
        scribe.disabled = closed or bool(damaged) or watch
        if watch:
            scribe.placeholder = "you are watching: this console shows the incident, never writes"
        elif damaged:
            scribe.placeholder = "the database is damaged: nothing more is written (read-only)"
            self._error(damaged)
        elif closed:
            scribe.placeholder = f"{incident.ref} is closed: read-only (ctrl+o for another)"

    def reload(self, *, others_changed: bool = False) -> None:
        """Read the incident again (after our write, or when another console wrote).

        Before the console is up (a line typed as it opens is committed at once)
        the reading waits until it is: see _after_first_frame."""
        if not self._live:
            if not self._ready:
                self._reload_due = True
                self._others_changed_due |= others_changed
            return
        try:
            incident = self.warroom.store.incident(self.incident.id)
        except WarroomError as exc:
            self.notify(str(exc), title="Cannot read the database", severity="error")
            return
        if incident is None:
            return
        if others_changed:
            self.query_one(Timeline).invalidate()
        self.show_incident(incident)

    def tick(self) -> None:
        """Once a second: elapsed time and the countdown, computed from stored times."""
        if not self._live:
            return
        try:
            self._tick_panes()
        except NoMatches:  # the console is closing: its panes are being taken down
            return

    def _tick_panes(self) -> None:
        now = self.warroom.clock.now()
        self.query_one(IncidentHeader).tick(self.incident, now)
        # The header's and the side column's (the header imports the class).
        for clocks in self.query(MilestoneClocks):
            clocks.show(self.incident, now)
        # The date joins the time once the incident spans a UTC midnight:
        # running past one, or with an /at entry from before one.
        last = self.incident.resolved_at or format_time(now)
        self.query_one(Timeline).set_time_display(
            show_dates=self._first_day != last[:10],
            local_time=self.warroom.local_time,
        )
        self._countdown_pane().show(*self._countdown())
        self._chase_overdue_update(now)

    def _chase_overdue_update(self, now: datetime) -> None:
        """An update overdue by ``[slack] escalate_after_minutes``: one reminder to
        the comms lead in the Slack thread, logged. The service makes it once per
        missed deadline however many consoles notice; this console asks once."""
        comms = self.warroom.comms
        due = self.incident.next_update_due
        if comms is None or not comms.slack_enabled or self.warroom.watching or due is None:
            return
        if due == self._chased_due or self.incident.status != "open":
            return
        slack = comms.slack
        if now < parse_time(due) + timedelta(minutes=slack.escalate_after_minutes):
            return
        self._chased_due = due
        try:
            entry = self.service.chase_update(
                self.incident.id, after_minutes=slack.escalate_after_minutes, people=slack.people
            )
        except WarroomError as exc:
            self._chased_due = None  # try again on a later tick
            self.notify(str(exc), severity="error")
            return
        if entry is not None:
            self.reload()
            self.warroom.outbox_wake()

    def _countdown(self) -> tuple[Countdown, str, str]:
        from warroom.domain.cadence import countdown

        playbook = self.warroom.playbook
        state = countdown(
            self.incident.next_update_due, self.warroom.clock.now(), playbook.warning_minutes
        )
        severity = playbook.severity_of(self.incident.severity)
        if state.phase == "off":
            detail = "none due" if self.incident.status != "open" else ""
        else:
            detail = f"every {severity.update_every_minutes}m"
        return state, detail, delivery_line(self._undelivered)

    def show_outbox(self, status: OutboxStatus | None) -> None:
        """Slack/email delivery, always in view: off, delivered, sending, retrying, failed."""
        found = self.query("#comms-status")
        if not found:  # not composed yet: the first frame shows the app's status
            return
        label = found.first(Label)
        text, state = outbox_line(status, narrow=self.has_class("-narrow"))
        label.update(Content(text))
        for name in OUTBOX_STATES:
            label.set_class(state == name, f"-{name}")
        # A delivery (ours or another console's) changes what the countdown says.
        self._undelivered = self._read_undelivered(self.incident)
        if self._ready:
            self._countdown_pane().show(*self._countdown())

    def _read_undelivered(self, incident: Incident) -> list[Update]:
        try:
            return self.warroom.store.undelivered_updates(incident.id)
        except WarroomError:
            return self._undelivered if hasattr(self, "_undelivered") else []

    @guarded("saying the update is overdue")
    def on_update_countdown_became_overdue(self) -> None:
        self.app.bell()
        self.notify(
            f"{self.incident.ref}: the stakeholder update is overdue (ctrl+u to compose)",
            title="Update overdue",
            severity="error",
            timeout=30,
        )

    # -- filtering ----------------------------------------------------

    def open_filter(self) -> None:
        """Show the filter bar (mounted on first use: the first frame need not pay for it)."""
        from warroom.tui.widgets.filter_input import FilterInput

        add_stylesheet(self.app, PANES)  # already there, unless ctrl+f beat the panes
        found = self.query("#filter")
        if found:
            bar = found.first(FilterInput)
        else:
            bar = FilterInput(
                placeholder="filter: words  kind:decision  @author  starred — escape clears",
                id="filter",
            )
            self.query_one("#center").mount(bar, before=0)
        bar.add_class("-shown")
        bar.focus()

    @on(Input.Changed, "#filter")
    @guarded("filtering the timeline")
    def _filter_changed(self, event: Input.Changed) -> None:
        from warroom.domain.search import parse_filter

        try:
            query = parse_filter(event.value)
        except WarroomError as exc:
            self._error(str(exc))
            return
        self._error("")
        self._filter = None if query.empty else query
        self._apply_filter()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one(ScribeInput).focus()

    def on_filter_input_cleared(self) -> None:
        self.clear_filter()

    @guarded("clearing the filter")
    def clear_filter(self) -> None:
        for bar in self.query("#filter").results(Input):
            bar.value = ""
            bar.remove_class("-shown")
        self._filter = None
        self._apply_filter()
        self.query_one(ScribeInput).focus()

    @property
    def filtering(self) -> bool:
        """The filter bar is open, or a filter hides entries."""
        return self._filter is not None or any(
            bar.has_class("-shown") for bar in self.query("#filter")
        )

    def _apply_filter(self) -> None:
        timeline = self.query_one(Timeline)
        query = self._filter
        if query is None:
            timeline.show_rows(None)
            return
        rows = self.warroom.store.search(
            self.incident.id,
            text=query.text,
            kind=query.kind,
            author=query.author,
            starred=query.starred,
        )
        heading = f"Timeline — {query.describe()}: {len(rows)} of {self.incident.entry_count}"
        timeline.show_rows(rows, heading)

    # -- reading ------------------------------------------------------

    def read_timeline(self) -> None:
        """ctrl+r: a cursor on the newest entry; Enter opens it whole."""
        self.query_one(Timeline).read_newest()

    @on(Timeline.Open)
    def _open_entry(self, event: Timeline.Open) -> None:
        try:
            entry = self.warroom.store.entry(self.incident.id, event.seq)
        except WarroomError as exc:
            self._error(str(exc))
            return
        if entry is not None:
            self.post_message(OpenEntry(entry, self.incident.ref))

    @on(Timeline.Leave)
    def _leave_timeline(self) -> None:
        scribe = self.query_one(ScribeInput)
        if not scribe.disabled:
            scribe.focus()

    # -- the line under the scribe line ---------------------------------

    def say(self, message: str, *, severity: SeverityLevel = "information") -> bool:
        """Show ``message`` in the line under the scribe line (errors in red);
        an empty message hides it. False before the screen is composed.

        Every message of the console lands here, not in a toast: nothing may
        cover the scribe line or the newest entries, and the person's eyes are
        on the input anyway. It stays until the next line is committed."""
        found = self.query("#scribe-error")
        if not found:
            return False
        line = found.first(Label)
        text = " · ".join(part for part in message.splitlines() if part.strip())
        line.update(Content(printable(text, 1000)))
        line.set_class(bool(text), "-shown")
        for name in ("information", "warning", "error"):
            line.set_class(severity == name, f"-{name}")
        return True

    def _error(self, message: str) -> None:
        self.say(message, severity="error")

    # -- keys meant for the scribe line ---------------------------------

    def take_for_scribe_line(self, event: events.Key | events.Paste) -> bool:
        """A printable key or a paste while another pane has focus: hand it to
        the scribe line (focus moves there) and say so by returning True.

        The checklist's space is a printable key too: it types a space, so a
        sentence typed into the wrong pane can never tick an item (Enter ticks
        the highlighted item)."""
        if isinstance(event, events.Key) and not event.is_printable:
            return False
        if isinstance(self.focused, Input):
            return False  # the scribe line or the filter bar: they take it themselves
        scribe = self.query("#scribe").results(ScribeInput)
        target = next(scribe, None)
        if target is None or target.disabled:
            return False
        self.set_focus(target)
        # Queued behind whatever the scribe line has still to read: keys keep their order.
        target._forward_event(event)
        return True

    def action_focus_scribe(self) -> None:
        scribe = self.query_one(ScribeInput)
        if not scribe.disabled:
            self.set_focus(scribe)

    def escape_in_scribe_line(self) -> bool:
        """Escape in the scribe line: clear the filter first, if one is on
        (True: done). Otherwise the line itself is cleared (the caller does
        that; it goes to the history) and the message under it too."""
        if self._asking is not None:
            self.say(f"/{self._asking} cancelled: {self.incident.ref} was not closed")
            self._asking = None
            return False
        if self.filtering:
            self.clear_filter()
            self.say("filter cleared: every entry is shown")
            return True
        self.say("")
        return False

    def unsaved_work(self) -> list[str]:
        """What quitting now would lose (asked about by ctrl+q)."""
        found = self.query("#scribe").results(ScribeInput)
        scribe = next(found, None)
        if scribe is None or not scribe.value.strip():
            return []
        return [f"the scribe line of {self.incident.ref}: {printable(scribe.value, 60)}"]

    # -- writing ------------------------------------------------------

    def commit_line(self, line: str, *, typed: bool = True) -> bool:
        """Run one scribe line; True when it was done.

        Either way the scribe line is then cleared (the line goes to its
        history: ↑ brings it back), so what is typed next is never joined to a
        rejected line. A rejection says why in the line under the input; an
        unexpected failure says so too, and the console carries on.

        A command that asks first (``/close``) is done only when the line
        before asked the same; any other line drops the question, saying so.
        ``typed=False``: the line came from the palette, not the history."""
        from warroom.commands import command_name, run_line

        before = self.incident.entry_count
        asking, self._asking = self._asking, None
        # A question (/close) is answered only by the same command again.
        cancelled = f" · /{asking} cancelled" if asking and command_name(line) != asking else ""
        recall = " · ↑ recalls the line" if typed else ""
        try:
            outcome = run_line(
                self.service, self.incident.id, self.warroom.user, line, confirming=asking
            )
        except WarroomError as exc:
            # Nothing was written.
            self._error(f"{exc}{recall}{cancelled}")
            return False
        except Exception as exc:
            self.warroom.report_failure(
                exc, "running a scribe line", suffix=self._written_note(before)
            )
            return False
        self._asking = outcome.asks
        self._error("")
        try:
            self._after_commit(outcome)
        except Exception as exc:
            # The line was written; only showing it failed.
            self.warroom.report_failure(
                exc, "showing a written line", suffix="; the line was saved"
            )
            return True
        if cancelled:
            said = f"{outcome.message} · " if outcome.message else ""
            self.say(f"{said}/{asking} cancelled: {self.incident.ref} was not closed")
        return True

    def _written_note(self, before: int) -> str:
        """After a failure: was anything written? (Each operation is one transaction.)"""
        try:
            incident = self.warroom.store.incident(self.incident.id)
        except Exception:
            return " · ↑ recalls the line"
        if incident is not None and incident.entry_count != before:
            return "; the line was saved"
        return "; nothing was written · ↑ recalls the line"

    def _after_commit(self, outcome: LineResult) -> None:
        self.warroom.outbox_wake()
        if outcome.entries:
            self.query_one(Timeline).scroll_end(animate=False, immediate=True)
        self.reload()
        if outcome.message:  # an answer, not an error (/bridge alone)
            self.say(outcome.message, severity=outcome.severity)  # type: ignore[arg-type]
        if outcome.clipboard:
            self.app.copy_to_clipboard(outcome.clipboard)
        self._say_if_filtered_out(outcome.entries)
        request = screen_request(outcome, self.incident.ref)
        if request is not None:
            self.post_message(request)

    def _say_if_filtered_out(self, entries: list[Entry]) -> None:
        """A filter hiding what was just written would look like a lost line."""
        rows = self.query_one(Timeline).rows
        if self._filter is None or rows is None or not entries:
            return
        shown = set(rows)
        hidden = [entry.seq for entry in entries if entry.seq not in shown]
        if hidden:
            self.say(
                f"#{hidden[-1]} saved; the filter hides it (escape clears the filter)",
                severity="warning",
            )

    @guarded("ticking a checklist item")
    def on_checklist_toggle(self, event: Checklist.Toggle) -> None:
        if self.warroom.watching:
            self._error("you are watching: nothing is written from this console")
            return
        try:
            self.service.set_check(self.incident.id, self.warroom.user, event.position, event.done)
        except WarroomError as exc:
            self._error(str(exc))
            return
        self.reload()
