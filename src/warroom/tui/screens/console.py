"""The console: one incident, every pane, and the scribe line that writes to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Input, Label

from warroom.cadence import Countdown, countdown
from warroom.clock import format_time
from warroom.commands import command_name, run_line
from warroom.errors import WarroomError
from warroom.models import Incident, Update
from warroom.search import Filter, parse_filter
from warroom.textsafe import printable
from warroom.tui.failures import guarded
from warroom.tui.widgets.checklist import Checklist
from warroom.tui.widgets.countdown import UpdateCountdown
from warroom.tui.widgets.filter_input import FilterInput
from warroom.tui.widgets.header import IncidentHeader
from warroom.tui.widgets.milestones import MilestoneClocks
from warroom.tui.widgets.roles import RolesPanel, roles_line
from warroom.tui.widgets.scribe_input import ScribeInput
from warroom.tui.widgets.timeline import Timeline

if TYPE_CHECKING:
    from warroom.comms.outbox import OutboxStatus


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

    def __init__(self, incident: Incident) -> None:
        super().__init__(classes=self.app.breakpoint_class())
        self.incident = incident
        self._first_day = incident.declared_at[:10]
        #: Who has written in the incident, up to entry ``_authors_seen`` (for Tab).
        self._authors: set[str] = set()
        self._authors_seen = 0
        self._ready = False  # the clock and the poller may fire before compose is done
        self._filter: Filter | None = None
        #: Updates recorded but not delivered yet (read on reload, not every tick).
        self._undelivered = self._read_undelivered(incident)
        #: A command that asked before acting (``/close``): the same command as
        #: the next line confirms it; any other line, or escape, drops it.
        self._asking: str | None = None

    @property
    def _live(self) -> bool:
        """Composed, and not being taken down. On quitting, Textual removes the
        panes' children before the panes while the clock and the poller still
        fire (timers run in their own tasks): found by the 20,000-line fuzz run
        as a traceback on the way out."""
        return self._ready and self.is_attached and self.display

    @property
    def ops(self):
        return self.app.ops

    def compose(self) -> ComposeResult:
        incident = self.incident
        yield IncidentHeader(incident, self.app.playbook, self.app.clock.now(), id="header")
        yield Label(Content(roles_line(incident)), id="roles-line")
        with Horizontal(id="body"):
            yield RolesPanel(self.app.playbook, incident, id="roles")
            with Vertical(id="center"):
                yield Timeline(
                    self.app.store, self.incident.id, self.incident.entry_count, id="timeline"
                )
                yield ScribeInput(
                    self._names,
                    self.commit_line,
                    lambda: self.incident.checklist,
                    escape=self.escape_in_scribe_line,
                    id="scribe",
                )
                yield Label(id="scribe-error")
            with Vertical(id="side"):
                yield Label(
                    Content(
                        outbox_line(self.app.outbox_status, narrow=self.has_class("-narrow"))[0]
                    ),
                    id="comms-status",
                )
                yield UpdateCountdown(*self._countdown(), id="countdown")
                yield MilestoneClocks(incident, self.app.clock.now(), id="milestones")
                yield Checklist(incident, id="checklist")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        # Each pane fills itself in as it mounts, so the first frame shows the
        # incident. As the app's first screen this may run before its children
        # exist, so what touches them waits for that frame.
        self.call_after_refresh(self._after_first_frame)

    def _first_day_of(self, incident: Incident) -> str:
        """The UTC day of the earliest time in the timeline (an /at entry may
        be earlier than the declaration)."""
        try:
            backdated = self.app.store.earliest_backdated(incident.id)
        except WarroomError:
            backdated = None
        return min(incident.declared_at, backdated or incident.declared_at)[:10]

    def _after_first_frame(self) -> None:
        self._first_day = self._first_day_of(self.incident)
        self.app.settle_cursors(self)
        self.show_outbox(self.app.outbox_status)
        self._show_status(self.incident)
        if self.app.here is not None:
            self.show_presence(self.app.here)
        scribe = self.query_one(ScribeInput)
        if not scribe.disabled:
            # AUTO_FOCUS does not apply to an app's default screen.
            scribe.focus()
        # From now on the clock and the poller may update the panes.
        self._ready = True

    def _names(self) -> list[str]:
        """Names Tab completes: the role holders first, then everyone else who
        has written in the incident, and follow-up owners."""
        count = self.incident.entry_count
        if count > self._authors_seen:
            try:
                self._authors |= self.app.store.authors(self.incident.id, after=self._authors_seen)
                self._authors |= {f.owner for f in self.app.store.followups(self.incident.id)}
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
        self.query_one(IncidentHeader).show(incident, self.app.playbook, self.app.clock.now())
        self.query_one(RolesPanel).show(incident)
        self.query_one("#roles-line", Label).update(Content(roles_line(incident, self.app.here)))
        self.query_one(Checklist).show(incident)
        self.query_one(Timeline).set_count(incident.entry_count)
        if self._filter is not None:
            self._apply_filter()
        self._show_status(incident)
        if self.app.here is not None:
            self.show_presence(self.app.here)
        self.tick()

    def show_presence(self, here: list) -> None:
        """Who has a console open on this incident now (any machine, any way in)."""
        if not self.query("#roles"):
            return  # not composed yet: the first frame shows it
        self.query_one(RolesPanel).show_here(here)
        self.query_one("#roles-line", Label).update(Content(roles_line(self.incident, here)))

    def _show_status(self, incident: Incident) -> None:
        self.set_class(incident.status != "open", "-not-open")
        closed = incident.status == "closed"
        damaged = self.app.damaged
        watch = self.app.watch
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
        """Read the incident again (after our write, or when another console wrote)."""
        if not self._live:
            return
        try:
            incident = self.app.store.incident(self.incident.id)
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
        now = self.app.clock.now()
        self.query_one(IncidentHeader).tick(self.incident, now)
        for clocks in self.query(MilestoneClocks):  # the header's and the side column's
            clocks.show(self.incident, now)
        # The date joins the time once the incident spans a UTC midnight:
        # running past one, or with an /at entry from before one.
        last = self.incident.resolved_at or format_time(now)
        self.query_one(Timeline).set_time_display(
            show_dates=self._first_day != last[:10],
            local_time=self.app.local_time,
        )
        self.query_one(UpdateCountdown).show(*self._countdown())

    def _countdown(self) -> tuple[Countdown, str, str]:
        playbook = self.app.playbook
        state = countdown(
            self.incident.next_update_due, self.app.clock.now(), playbook.warning_minutes
        )
        severity = playbook.severity_of(self.incident.severity)
        if state.phase == "off":
            detail = "none due" if self.incident.status != "open" else ""
        else:
            detail = f"every {severity.update_every_minutes}m"
        return state, detail, delivery_line(self._undelivered)

    def on_resize(self) -> None:
        # Across the 150-column breakpoint the indicator changes form.
        self.call_after_refresh(self.show_outbox, self.app.outbox_status)

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
            self.query_one(UpdateCountdown).show(*self._countdown())

    def _read_undelivered(self, incident: Incident) -> list[Update]:
        try:
            return self.app.store.undelivered_updates(incident.id)
        except WarroomError:
            return self._undelivered if hasattr(self, "_undelivered") else []

    @on(UpdateCountdown.BecameOverdue)
    @guarded("saying the update is overdue")
    def _overdue(self) -> None:
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

    @on(FilterInput.Cleared)
    @guarded("clearing the filter")
    def clear_filter(self) -> None:
        for bar in self.query("#filter").results(FilterInput):
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
        rows = self.app.store.search(
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
        from warroom.tui.screens.entry import EntryScreen

        try:
            entry = self.app.store.entry(self.incident.id, event.seq)
        except WarroomError as exc:
            self._error(str(exc))
            return
        if entry is not None:
            self.app.push_screen(EntryScreen(entry, self.incident.ref))

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
        before = self.incident.entry_count
        asking, self._asking = self._asking, None
        # A question (/close) is answered only by the same command again.
        cancelled = f" · /{asking} cancelled" if asking and command_name(line) != asking else ""
        recall = " · ↑ recalls the line" if typed else ""
        try:
            outcome = run_line(self.ops, self.incident.id, self.app.user, line, confirming=asking)
        except WarroomError as exc:
            # Nothing was written.
            self._error(f"{exc}{recall}{cancelled}")
            return False
        except Exception as exc:
            self.app.report_failure(exc, "running a scribe line", suffix=self._written_note(before))
            return False
        self._asking = outcome.asks
        self._error("")
        try:
            self._after_commit(outcome)
        except Exception as exc:
            # The line was written; only showing it failed.
            self.app.report_failure(exc, "showing a written line", suffix="; the line was saved")
            return True
        if cancelled:
            said = f"{outcome.message} · " if outcome.message else ""
            self.say(f"{said}/{asking} cancelled: {self.incident.ref} was not closed")
        return True

    def _written_note(self, before: int) -> str:
        """After a failure: was anything written? (Each operation is one transaction.)"""
        try:
            incident = self.app.store.incident(self.incident.id)
        except Exception:
            return " · ↑ recalls the line"
        if incident is not None and incident.entry_count != before:
            return "; the line was saved"
        return "; nothing was written · ↑ recalls the line"

    def _after_commit(self, outcome) -> None:
        self.app.outbox_wake()
        if outcome.entries:
            self.query_one(Timeline).scroll_end(animate=False, immediate=True)
        self.reload()
        if outcome.message:  # an answer, not an error (/bridge alone)
            self.say(outcome.message, severity=outcome.severity)  # type: ignore[arg-type]
        if outcome.clipboard:
            self.app.copy_to_clipboard(outcome.clipboard)
        self._say_if_filtered_out(outcome.entries)
        if outcome.open_screen == "update":
            self.app.action_compose_update()
        elif outcome.open_screen == "help":
            self.app.action_help()
        elif outcome.open_screen == "entry" and outcome.entry is not None:
            from warroom.tui.screens.entry import EntryScreen

            self.app.push_screen(EntryScreen(outcome.entry, self.incident.ref))

    def _say_if_filtered_out(self, entries) -> None:
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

    @on(Checklist.Toggle)
    @guarded("ticking a checklist item")
    def toggle_item(self, event: Checklist.Toggle) -> None:
        if self.app.watch:
            self._error("you are watching: nothing is written from this console")
            return
        try:
            self.ops.set_check(self.incident.id, self.app.user, event.position, event.done)
        except WarroomError as exc:
            self._error(str(exc))
            return
        self.reload()
