"""The warroom Textual app: screens over the shared operations, nothing more.

Writes happen on the event loop, synchronously: a commit costs ~0.5 ms, and
doing it before the next key is read is what makes an acknowledged entry
durable. Other consoles on the same file are noticed through
``PRAGMA data_version`` twice a second.

The console has one connection to its database and everything uses it on the
event loop's thread: the screens, the delivery worker (a coroutine) and the
integrity check. A second handle to the file closed in this process would drop
its POSIX locks (see :mod:`warroom.db.store`).
"""

from __future__ import annotations

import gc
import inspect
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen

from warroom.clock import Clock, system_clock
from warroom.db.store import Store
from warroom.domain.models import Incident
from warroom.domain.rules import MAX_MITIGATION
from warroom.errors import WarroomError
from warroom.playbook import Playbook, default_playbook
from warroom.textsafe import printable
from warroom.tui import resources
from warroom.tui.failures import guarded
from warroom.tui.keys import app_bindings
from warroom.tui.messages import IncidentWritten, OpenEntry
from warroom.tui.palette import WarroomCommands
from warroom.tui.screens.console import ConsoleScreen
from warroom.tui.screens.quit import QuitScreen

if TYPE_CHECKING:
    from warroom.comms.config import CommsConfig
    from warroom.comms.delivery import Deliverer
    from warroom.db.outbox import OutboxStatus
    from warroom.presence import Presence
    from warroom.service import Service

POLL_SECONDS = 0.5
VERIFY_AFTER_SECONDS = 0.5


class DatabaseDamaged(Message):
    """The integrity check failed: nothing more is written to this file."""

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


class OutboxStatusChanged(Message):
    """The delivery worker's summary changed (posted from its loop; thread-safe)."""

    def __init__(self, status: OutboxStatus | None) -> None:
        super().__init__()
        self.status = status


#: How long a keystroke may wait for another console's write before we say so.
UI_BUSY_TIMEOUT_MS = 1500


def stylesheet() -> Path:
    """``styles/warroom.tcss``: inside the wheel, or at the top of a source checkout."""
    return resources.stylesheet("warroom.tcss")


class WarroomApp(App):
    CSS_PATH = stylesheet()
    TITLE = "warroom"
    COMMANDS = App.COMMANDS | {WarroomCommands}
    # Below 150 columns the role panel folds into one line under the header and
    # the side column narrows, so the timeline's lines have room for their text;
    # from 150 the roles have a panel and the header has the TTM/TTR clocks too.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (150, "-xwide")]
    #: From the one key table (warroom.tui.keys), which the help and the palette
    #: read too. All priority: a focused Input would swallow them.
    BINDINGS = [
        Binding(spec.keys, spec.action, spec.description, priority=True, id=spec.id, show=spec.show)
        for spec in app_bindings()
    ]

    def __init__(
        self,
        store: Store,
        user: str,
        *,
        clock: Clock | None = None,
        playbook: Playbook | None = None,
        incident_id: int | None = None,
        cursor_blink: bool = True,
        comms: CommsConfig | None = None,
        watch: bool = False,
        presence: Presence | None = None,
    ) -> None:
        """``watch``: look, never write (the store is made read-only by the
        caller too). ``presence``: this console's row in who-is-here, shown in
        the role panel and the bridge view (the command line passes one)."""
        super().__init__()
        self.cursor_blink = cursor_blink
        self.store = store
        store.set_busy_timeout(UI_BUSY_TIMEOUT_MS)
        self.user = user
        self.clock = clock or system_clock()
        self.playbook = playbook or default_playbook()
        self.comms = comms
        self._service: Service | None = None
        self.deliverer: Deliverer | None = None
        self._incident_id = incident_id
        self._data_version = 0
        self.outbox_status: OutboxStatus | None = None
        #: Timeline times in local time instead of UTC (ctrl+t).
        self.local_time = False
        #: Set when the integrity check fails: the console turns read-only.
        self.damaged: str | None = None
        #: Keys typed before the first screen could take them (see on_event).
        self._held_keys: list[events.Key | events.Paste] = []
        self.watching = watch
        self.presence = presence
        #: Who is on the console's incident now (None: not known / not shown).
        self.here: list | None = None

    @property
    def service(self) -> Service:
        """Every change goes through it. Made at the first use, not before the
        first frame: importing it (the typed events, the outbox's queueing)
        cost the console's first paint ~20 ms; _after_start_up makes it early."""
        if self._service is None:
            from warroom.service import Service

            self._service = Service(self.store, self.clock, self.playbook, comms=self.comms)
        return self._service

    # -- lifecycle ----------------------------------------------------

    def get_default_screen(self) -> Screen:
        """The console (or the start screen) is the first screen itself: pushed
        over a blank default one, it would cost a frame of its own."""
        self._data_version = self.store.data_version()
        incident_id = self._incident_id or self.store.active_incident_id()
        incident = self.store.incident(incident_id) if incident_id else None
        if incident is not None:
            return ConsoleScreen(incident)
        from warroom.tui.screens.start import StartScreen

        return StartScreen()

    def on_mount(self) -> None:
        self.title = f"warroom · {self.user}" + (" (watching)" if self.watching else "")
        # Once the first frame is out: saying "here" is a write (an fsync).
        self.call_after_refresh(self._presence_tick)
        self.set_interval(1.0, self._tick, name="clock")
        self.set_interval(POLL_SECONDS, self._poll, name="poll")
        self._start_outbox()
        # Well after the first frame: the check reads the whole file.
        self.set_timer(VERIFY_AFTER_SECONDS, self._verify_database)
        self.set_timer(VERIFY_AFTER_SECONDS, self._after_start_up)

    def _after_start_up(self) -> None:
        """Import what the first frame did not need, then freeze start-up's objects.

        The modules the scribe line's commands, Tab, the filter and the update
        composer use are imported when first used (the console paints sooner
        without them); here, once the console is up, they are loaded, so the
        first Enter does not wait for them, and frozen with the rest.
        """
        import warroom.commands
        import warroom.comms.templates
        import warroom.domain.search
        import warroom.tui.widgets.filter_input  # noqa: F401

        self.service  # noqa: B018 - made now, so the first Enter does not wait for it
        self._freeze_startup_objects()

    def on_unmount(self) -> None:
        if self.presence is not None:
            self.presence.leave()  # the others see this console go at their next read

    def _freeze_startup_objects(self) -> None:
        """Move everything built at start-up out of the garbage collector's way.

        A full collection walks every object the app holds (widgets, styles,
        caches): measured here as a 50 ms pause of the event loop, which a
        scribe feels as a stuck key. Objects alive after start-up live as long
        as the app, so the collector need not look at them again. (No collect
        first: that would itself be the pause this avoids.) The command line
        pauses the collector for start-up; it is back on from here.
        """
        gc.freeze()
        gc.enable()

    def _verify_database(self) -> None:
        """The integrity check, once, after the first frame: its cost grows with
        the file (~40 ms for 100,000 entries). On the console's own connection,
        on purpose: a second connection, closed on a thread, is a second handle
        to the file, and the one connection per process is what keeps the
        process's locks (and so its WAL) safe."""
        try:
            self.store.verify()
        except WarroomError as exc:
            self.post_message(DatabaseDamaged(str(exc)))

    def on_database_damaged(self, message: DatabaseDamaged) -> None:
        self.damaged = message.problem
        self.notify(message.problem, title="Database damaged", severity="error", timeout=3600)
        for screen in self.screen_stack:
            if isinstance(screen, ConsoleScreen):
                screen.reload()

    # -- failures and messages ----------------------------------------

    def report_failure(self, error: BaseException, doing: str, *, suffix: str = "") -> str:
        """An unexpected failure: the traceback to the log file (secrets scrubbed),
        one error line to the person; the console carries on. The line, returned."""
        from warroom.crashlog import failure_line, record

        path = record(error, doing=doing, comms=self.comms)
        line = failure_line(error, path) + suffix
        self.notify(line, severity="error")
        return line

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """On the console, a message is the line under the scribe line, never a
        toast: at 80x24 a toast covers the input and the newest entries.
        Elsewhere (a dialog on top) it is a toast, docked at the top (see
        warroom.tcss). Messages are plain text: they quote what was typed."""
        if threading.get_ident() == self._thread_id:
            console = self.screen if self._screen_stack else None
            if isinstance(console, ConsoleScreen):
                text = f"{title}: {message}" if title else message
                if console.say(text, severity=severity):
                    return
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    async def run_action(
        self,
        action: Any,
        default_namespace: Any = None,
        namespaces: Any = None,
    ) -> bool:
        """Every key binding and palette command comes through here: none of
        them may end the console."""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except WarroomError as exc:
            self.notify(str(exc), severity="error")
        except Exception as exc:
            self.report_failure(exc, f"the action {action!s}")
        return True

    def push_screen(  # type: ignore[override]
        self,
        screen: Any,
        callback: Callable[..., Any] | None = None,
        wait_for_dismiss: bool = False,
        *,
        mode: str | None = None,
    ) -> Any:
        """What runs when a screen closes (record the update, open the incident)
        is guarded like a key: a failure there is one line, not the end."""
        if callback is not None:
            callback = self._shielded(callback)
        return super().push_screen(screen, callback, wait_for_dismiss, mode=mode)  # type: ignore[call-overload]

    def _shielded(self, callback: Callable[..., Any]) -> Callable[[Any], Any]:
        takes_result = bool(inspect.signature(callback).parameters)

        async def run(result: Any) -> None:
            try:
                outcome = callback(result) if takes_result else callback()
                if inspect.isawaitable(outcome):
                    await outcome
            except WarroomError as exc:
                self.notify(str(exc), severity="error")
            except Exception as exc:
                self.report_failure(exc, "closing a screen")

        return run

    def _handle_exception(self, error: Exception) -> None:
        """The last resort, for a failure no guard caught: Textual must stop the
        app (the loop that raised is dead), but the traceback goes to the log,
        not the terminal: Textual's would print local variables, tokens among
        them. (Private hooks of Textual 8.2.8, which is pinned.)"""
        from warroom.crashlog import failure_line, record

        try:
            path = record(error, doing="the console, which had to stop", comms=self.comms)
        except Exception:
            path = None
        super()._handle_exception(error)
        self._exit_renderables[:] = [
            Text(
                f"warroom stopped: {failure_line(error, path)}. "
                "Everything it acknowledged is saved."
            )
        ]

    async def on_event(self, event: events.Event) -> None:
        """A printable key (or a paste) while the timeline or the checklist has
        focus is meant for the scribe line: it goes there, in order, and focus
        follows. Done here, before Textual hands the key to the focused pane,
        so a fast typist's keys cannot overtake one another.

        Keys typed as the console opens, before its scribe line is there to
        take them (the terminal hands them over as soon as Textual starts,
        while the console is still being composed), are held and then played
        in order, once it is: Textual would drop them."""
        if isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded:
            if self._held_keys or not self._takes_keys():
                self._held_keys.append(event)
                await self.play_held_keys()
                return
            screen = self.screen
            typing = isinstance(event, events.Paste) or event.is_printable
            if isinstance(screen, QuitScreen) and typing:
                # ctrl+q was pressed mid-sentence: the sentence goes on where it was.
                screen.dismiss(None)
                screen = self.screen
            if isinstance(screen, ConsoleScreen) and screen.take_for_scribe_line(event):
                return
        await super().on_event(event)

    def _takes_keys(self) -> bool:
        """False while the first screen is still being built: nothing could
        take a key yet (the console's until its scribe line, or whatever pane
        it opens on, has focus; see ConsoleScreen.takes_keys)."""
        if not self._screen_stack:
            return False
        screen = self.screen
        return not isinstance(screen, ConsoleScreen) or screen.takes_keys

    async def play_held_keys(self) -> None:
        """Hand on the keys held while the console opened, in order, once it
        takes keys (called again by the console when it does)."""
        if not self._held_keys or not self._takes_keys():
            return
        held, self._held_keys = self._held_keys, []
        for event in held:
            if isinstance(event, events.Key) and event.key == "ctrl+j":
                # Enter typed before Textual had the terminal: the terminal,
                # still in line mode, turned its \r into \n (ICRNL).
                event = events.Key("enter", "\r")
            await self.on_event(event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """f6 / shift+f6 belong to the console's panes: not shown or bound elsewhere.
        The console's keys do nothing while a dialog is open (see CONSOLE_ACTIONS)."""
        if action in ("next_pane", "previous_pane"):
            return isinstance(self.screen, ConsoleScreen)
        if self.watching and action in self.WRITING_ACTIONS:
            return False
        if action in self.CONSOLE_ACTIONS and isinstance(self.screen, ModalScreen):
            return False
        return super().check_action(action, parameters)

    def action_next_pane(self) -> None:
        self.screen.focus_next()

    def action_previous_pane(self) -> None:
        self.screen.focus_previous()

    async def action_quit(self) -> None:
        """ctrl+q. Everything acknowledged is saved; what is not yet (an update
        being written, text in the scribe line, an unsaved review) is named and
        the person chooses: ctrl+q again quits; escape, or simply typing on,
        goes back."""
        if isinstance(self.screen, QuitScreen):
            self.exit()
            return
        unsaved = [
            item
            for screen in self.screen_stack
            for item in getattr(screen, "unsaved_work", lambda: [])()
        ]
        if unsaved:
            self.push_screen(QuitScreen(unsaved))
        else:
            self.exit()

    # -- the outbox ---------------------------------------------------

    def _start_outbox(self) -> None:
        """Deliver queued Slack/email messages in the background, if configured.

        An async worker on the app's loop: its HTTP is async and its database
        calls take a millisecond, so a stalled Slack never stalls the screen,
        and quitting never waits for a request in flight.
        """
        if self.comms is None or self.watching:  # usual; a watcher's console writes nothing
            self._show_waiting_elsewhere()
            return
        from warroom.comms.delivery import Deliverer, channels_for

        if not channels_for(self.comms):
            self._show_waiting_elsewhere()
            return
        # The console's own store: the worker runs on this loop, on its thread.
        from warroom.comms.delivery import CaptureTarget

        def shown_incident() -> int | None:
            console = self.console_screen
            return console.incident.id if console is not None else None

        self.deliverer = Deliverer(
            self.store,
            self.comms,
            playbook=self.playbook,
            on_status=self._outbox_status_changed,
            capture=CaptureTarget(
                self.service,
                shown_incident,
                poll_seconds=self.comms.slack.poll_seconds,
                on_captured=lambda _count: self._captured_from_slack(),
            ),
        )
        self.run_worker(self.deliverer.run(), name="outbox", exit_on_error=False)

    def _captured_from_slack(self) -> None:
        """Slack messages came in through this console's own connection (which
        ``PRAGMA data_version`` does not report): show them."""
        for screen in self.screen_stack:
            if isinstance(screen, ConsoleScreen):
                screen.reload(others_changed=True)

    def _outbox_status_changed(self, status: OutboxStatus) -> None:
        """The delivery worker's summary, handed to the screens as a message."""
        self.post_message(OutboxStatusChanged(status))

    def _show_waiting_elsewhere(self) -> None:
        """Without Slack settings: "off", unless this database has been used with
        Slack and messages wait for a console that has them (then say so)."""
        status = None
        try:
            if self.store.setting("slack_mode") is not None:
                from warroom.db.outbox import status_summary

                summary = status_summary(self.store, self.clock.now(), enabled=False)
                status = summary if summary.state != "off" else None
        except WarroomError:
            return
        if status != self.outbox_status:
            self.post_message(OutboxStatusChanged(status))

    def outbox_wake(self) -> None:
        """Something may have been queued: deliver it now, not at the next poll
        (or, with no Slack settings here, say that it waits)."""
        if self.deliverer is not None:
            self.deliverer.wake()
        else:
            self._show_waiting_elsewhere()

    def on_outbox_status_changed(self, message: OutboxStatusChanged) -> None:
        self.outbox_status = message.status
        for screen in self.screen_stack:
            if isinstance(screen, ConsoleScreen):
                screen.show_outbox(message.status)

    def action_retry_now(self) -> None:
        """f4: every message still waiting goes now (queued, backing off, failed,
        may not have arrived), and a list says what each one was."""
        from warroom.db.outbox import retry_now

        try:
            retried = retry_now(self.store)
        except WarroomError as exc:
            self.notify(str(exc), severity="error")
            return
        self.outbox_wake()
        if not retried:
            self.notify("Nothing is waiting: every message has been delivered")
            return
        lines = [printable(m.describe(), 120) for m in retried[:8]]
        if len(retried) > 8:
            lines.append(f"… and {len(retried) - 8} more")
        unsure = sum(m.status == "unsure" for m in retried)
        if unsure:
            lines.append(f"{unsure} that may not have arrived: sent again, on purpose")
        if self.deliverer is None:
            lines.append("Slack is not configured here: a console that has it sends them")
        self.notify("\n".join(lines), title=f"Sending {len(retried)} message(s) now", timeout=10)

    # -- the palette's system commands ---------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's system commands, with a Screenshot that says where it went.

        Textual's own saves to a Downloads folder that may not exist and says
        only "Failed to save screenshot"; this one writes beside the database
        (where the review and the .eml files go) and names the file."""
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":
                yield command
        if self.watching:  # it writes a file beside the database
            return
        yield SystemCommand(
            "Screenshot",
            "Save an SVG of the screen beside the database (the line under the input names it)",
            lambda: self.set_timer(0.1, self.save_console_screenshot),
        )

    def screenshot_path(self) -> Path:
        """``<db stem>-INC-1-screen-<UTC time>.svg`` beside the database."""
        console = self.console_screen
        ref = f"-{console.incident.ref}" if console is not None else ""
        stamp = self.clock.now().strftime("%Y%m%dT%H%M%SZ")
        stem = f"{self.store.path.stem}{ref}-screen-{stamp}"
        target = self.store.path.with_name(f"{stem}.svg")
        count = 1
        while target.exists():  # two in the same second: never overwrite
            count += 1
            target = self.store.path.with_name(f"{stem}-{count}.svg")
        return target

    def save_console_screenshot(self) -> Path | None:
        """Write the screen as an SVG (private to its owner, like the database)
        and say where, in the line under the input; or say why not."""
        import os

        target = self.screenshot_path()
        svg = self.export_screenshot()
        try:
            fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(svg)
        except OSError as exc:
            self._say_everywhere(
                f"Screenshot not saved: cannot write {target}: {exc.strerror}", "error"
            )
            return None
        self._say_everywhere(f"Screenshot saved: {target}", "information")
        return target

    def _say_everywhere(self, message: str, severity: SeverityLevel) -> None:
        """Under the console's input, even with the bridge view (which shows no
        notices) or a dialog on top, so it is there on the way back; and, over
        a dialog, as a notice too."""
        console = self.console_screen
        if console is not None:
            console.say(message, severity=severity)
        if console is None or self.screen is not console:
            self.notify(message, severity=severity)

    def breakpoint_class(self) -> str:
        """The width class the first Resize would give a screen, given up front.

        Textual adds it on the first Resize, after the first frame, and every
        widget is styled again then: a whole extra frame of work at start-up.
        """
        width = self.size.width
        return next(name for edge, name in reversed(self.HORIZONTAL_BREAKPOINTS) if width >= edge)

    def settle_cursors(self, screen: Screen) -> None:
        """Snapshot tests and screenshots want a steady cursor."""
        if not self.cursor_blink:
            for widget in screen.query("Input, TextArea"):
                widget.cursor_blink = False  # type: ignore[attr-defined]

    @guarded("the clock tick")
    def _tick(self) -> None:
        # Under a dialog or the bridge view the console keeps time too (a
        # dialog shows it dimmed behind): an update that falls overdue rings
        # the bell then; its notice shows where notices may (not on f2).
        console = self.console_screen
        if console is not None and self.is_running:  # not while quitting: panes go first
            console.tick()
        self._presence_tick()

    #: What a watcher cannot do: each would write to the database or beside it.
    WRITING_ACTIONS = frozenset(
        {"compose_update", "declare", "export", "close_incident", "scribe", "retry_now"}
    )

    def _presence_tick(self) -> None:
        """Say which incident this console is on, and read who else is (once a
        second: arrivals, departures and killed consoles show within two)."""
        if self.presence is None or not self._screen_stack:
            return
        console = self.console_screen
        self.presence.show(console.incident.id if console is not None else None)
        if console is None:
            return
        here = self.presence.here(console.incident.id)
        if here is None or here == self.here:
            return
        self.here = here
        for screen in self.screen_stack:
            show = getattr(screen, "show_presence", None)
            if show is not None:
                show(here)

    @guarded("looking for other consoles' changes")
    def _poll(self) -> None:
        """Another console wrote to the database: show it."""
        try:
            version = self.store.data_version()
        except WarroomError as exc:
            self.notify(str(exc), severity="error")
            return
        if version == self._data_version:
            return
        self._data_version = version
        if self.deliverer is None:
            self._show_waiting_elsewhere()
        for screen in self.screen_stack:
            if isinstance(screen, ConsoleScreen):
                screen.reload(others_changed=True)

    @property
    def console_screen(self) -> ConsoleScreen | None:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, ConsoleScreen):
                return screen
        return None

    def open_incident(self, incident: Incident) -> None:
        """Show ``incident``'s console over the first screen, which stays beneath
        (Textual cannot switch out the first screen of the stack)."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        base = self.screen_stack[0]
        if isinstance(base, ConsoleScreen) and base.incident.id == incident.id:
            base.reload()
        else:
            self.push_screen(ConsoleScreen(incident))

    # -- actions ------------------------------------------------------

    #: The console's own keys: over a dialog they stand aside, so the dialog's
    #: field gets them (ctrl+u clears to the start of the line, as in any
    #: terminal) instead of a second dialog, or "No incident", opening on top.
    CONSOLE_ACTIONS = frozenset(
        {
            "compose_update",
            "declare",
            "switch_incident",
            "export",
            "followups",
            "filter",
            "bridge_view",
            "read_timeline",
        }
    )

    def action_declare(self) -> None:
        from warroom.tui.screens.declare import DeclareScreen

        def declared(incident: Incident | None) -> None:
            if incident is not None:
                self.open_incident(incident)
                self.notify(f"{incident.ref} declared", title="Declared")

        self.push_screen(DeclareScreen(self.playbook, self.user), declared)

    def action_switch_incident(self) -> None:
        from warroom.tui.screens.switcher import SwitcherScreen

        def chosen(incident_id: int | None) -> None:
            if incident_id is not None:
                incident = self.store.incident(incident_id)
                if incident is not None:
                    self.open_incident(incident)

        self.push_screen(SwitcherScreen(self.store.history()), chosen)

    # -- what screens ask for (warroom.tui.messages) --------------------

    def on_incident_written(self, message: IncidentWritten) -> None:
        """A dialog wrote: the consoles showing the incident read it again, and
        whatever the change queued for Slack or email goes now."""
        self.outbox_wake()
        for screen in self.screen_stack:
            if isinstance(screen, ConsoleScreen) and screen.incident.id == message.incident_id:
                screen.reload()

    def on_open_composer(self) -> None:
        self.action_compose_update()

    def on_open_help(self) -> None:
        self.action_help()

    def on_open_entry(self, message: OpenEntry) -> None:
        from warroom.tui.screens.entry import EntryScreen

        self.push_screen(EntryScreen(message.entry, message.ref))

    def action_help(self) -> None:
        from warroom.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_compose_update(self) -> None:
        from warroom.tui.screens.update import Drafts, Sent, UpdateScreen

        console = self.console_screen
        if console is None:
            self.notify("No incident: ctrl+n declares one", severity="warning")
            return
        if isinstance(self.screen, UpdateScreen):
            return
        from warroom.comms.templates import NO_STATUS_PAGE, render_email, render_internal

        incident = console.incident
        now = self.clock.now()

        def redraft(mitigation: str) -> Drafts:
            """The drafts with this "Current mitigation" line (the composer's field)."""
            subject, body = render_email(incident, self.playbook, now, mitigation or None)
            return Drafts(
                internal=render_internal(incident, self.playbook, now, mitigation or None),
                email_subject=subject,
                email_body=body,
                mitigation=mitigation,
            )

        # Offered for the comms lead to edit: the line the last update sent, or
        # a /decision or /action logged since. Slack's root message shows it
        # only once an update carrying it is sent.
        drafts = redraft(self.store.mitigation_draft(incident.id)[:MAX_MITIGATION])
        warning = None
        if not self.playbook.status_page_url:
            warning = (
                f"No status page in the playbook (status_page_url): the email says"
                f" “{NO_STATUS_PAGE}” instead of a link"
            )

        def done(sent: Sent | None) -> None:
            if sent is None:
                return
            if sent.audience == "client":
                self.copy_to_clipboard(f"Subject: {sent.subject}\n\n{sent.text}")
            self.notify(self.delivery_summary(sent.audience), title="Update")

        self.push_screen(
            UpdateScreen(
                incident.id, drafts, self.delivery_note(), redraft=redraft, client_warning=warning
            ),
            done,
        )

    def _slack_elsewhere(self) -> bool:
        """No Slack settings here, but the database has been used with Slack."""
        if self.comms is not None and self.comms.slack_enabled:
            return False
        try:
            return self.store.setting("slack_mode") is not None
        except WarroomError:
            return False

    def delivery_note(self) -> str:
        comms = self.comms
        slack = (
            "internal: queued for Slack"
            if comms and comms.slack_enabled
            else "internal: queued for Slack (a console with Slack settings sends it)"
            if self._slack_elsewhere()
            else "internal: recorded only (Slack is not configured)"
        )
        email = (
            "client: .eml written and sent by SMTP"
            if comms and comms.email_enabled
            else "client: .eml written beside the database and copied to the clipboard"
        )
        return f"ctrl+s sends ({slack}; {email}) and resets the countdown · escape cancels"

    def delivery_summary(self, audience: str) -> str:
        comms = self.comms
        if audience == "client":
            from warroom.comms.email import outbox_folder

            where = outbox_folder(self.store.path)
            sent = " and queued for SMTP" if comms and comms.email_enabled else ""
            return f"Email written to {where}{sent}, copied to the clipboard; countdown reset"
        if comms and comms.slack_enabled:
            return (
                "Update queued for Slack (the countdown pane shows it until it is delivered);"
                " countdown reset"
            )
        if self._slack_elsewhere():
            return (
                "Update queued for Slack: Slack is not configured here, a console that has it"
                " sends it; countdown reset"
            )
        return "Update recorded (not sent anywhere: Slack is not configured); countdown reset"

    def action_toggle_local_time(self) -> None:
        # The timeline's title names the zone: no notification needed.
        self.local_time = not self.local_time
        if self.console_screen is not None:
            self.console_screen.tick()

    def action_read_timeline(self) -> None:
        console = self.console_screen
        if console is not None and self.screen is console:
            console.read_timeline()

    def action_followups(self) -> None:
        from warroom.tui.screens.followups import FollowupsScreen

        console = self.console_screen
        if console is None or isinstance(self.screen, FollowupsScreen):
            return
        self.push_screen(FollowupsScreen(console.incident.id))

    def action_filter(self) -> None:
        console = self.console_screen
        if console is not None and self.screen is console:
            console.open_filter()

    def action_bridge_view(self) -> None:
        from warroom.tui.screens.bridge import BridgeScreen

        console = self.console_screen
        if console is None or isinstance(self.screen, BridgeScreen):
            return
        self.push_screen(BridgeScreen(console.incident))

    def action_export(self) -> None:
        """ctrl+e: the review screen, which saves and exports the review document."""
        from warroom.tui.screens.review import ReviewScreen

        console = self.console_screen
        if console is None:
            self.notify("No incident to review", severity="warning")
            return
        if isinstance(self.screen, ReviewScreen):
            return
        incident = console.incident
        if incident.status == "closed":
            self._notify_written(incident, self.export_review(incident.id))
            return

        def done(written: list[Path] | None) -> None:
            if written:
                self._notify_written(incident, written)

        self.push_screen(ReviewScreen(incident), done)

    def _notify_written(self, incident: Incident, written: list[Path]) -> None:
        self.notify("\n".join(str(p) for p in written), title=f"{incident.ref} review exported")

    def export_review(self, incident_id: int) -> list[Path]:
        """Write the review document (.md) and meeting invite (.ics) beside the database."""
        from warroom.exports.review import render_review, review_invite

        incident = self.store.incident(incident_id)
        assert incident is not None
        now = self.clock.now()
        stem = self.store.path.with_name(f"{self.store.path.stem}-{incident.ref}-review")
        targets = {
            stem.with_suffix(".md"): render_review(self.store, incident, self.playbook, now=now),
            stem.with_suffix(".ics"): review_invite(self.store, incident, self.playbook, now),
        }
        for target, text in targets.items():
            try:
                target.write_text(text, encoding="utf-8", newline="")
            except OSError as exc:
                raise WarroomError(f"cannot write {target}: {exc.strerror}") from None
        return list(targets)

    def action_close_incident(self) -> None:
        """The palette's "Close the incident": asks first, as ``/close`` does
        (the line under the input says what it will do); chosen again, or
        ``/close`` typed, confirms."""
        console = self.console_screen
        if console is not None:
            console.commit_line("/close", typed=False)

    def action_scribe(self, line: str) -> None:
        """Run a scribe line from the palette as if typed (it answers under the input)."""
        console = self.console_screen
        if console is not None:
            console.commit_line(line, typed=False)
