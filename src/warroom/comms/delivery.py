"""Draining the outbox: one delivery flow, driven by the command line or by the console.

Per message the steps are always the same: claim it (one short
transaction); :func:`plan` what to do (send, or first look in Slack for an
earlier attempt that may have posted, or wait for a person); do it (no
transaction open: the network may take seconds); :func:`finish` by recording
what happened (another short transaction). :func:`delivery_flow` writes the
plan → look → send → record part ONCE, as a generator in the shape of
httpx's ``Auth.auth_flow``: it yields what to send over the network and
receives the outcome, and returns the write that records it. Two drivers
run it: :func:`deliver_pending` (the command line's bounded pass, blocking
calls) and :class:`Deliverer` (the console's async worker). Nothing holds a
database lock across a network wait, so a scribe's Enter is never stuck
behind Slack.

The console's :class:`Deliverer` uses the console's own :class:`Store` (one
connection per process: see :mod:`warroom.db.store`), which is safe because it
runs as a coroutine on the console's event loop, on the same thread; its calls
use a short busy timeout. It never raises out of :meth:`Deliverer.run` (a
failure is written into the outbox row and shown), and reports through
``on_status`` whenever what the indicator would show changes. Sleep and clock
are injectable so tests run in milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from warroom.clock import Clock, parse_time
from warroom.comms import policy
from warroom.comms.config import CommsConfig, redact
from warroom.comms.email import build_email, send_smtp, send_smtp_async
from warroom.comms.outcome import Delivered, NoAnswer, Outcome, Transient, Unsure
from warroom.comms.slack import (
    DEFAULT_TIMEOUT,
    LOOKUP_MARGIN,
    Lookup,
    SlackClient,
    SlackRequest,
    is_channel_id,
    message_request,
    metadata_for,
    render_mrkdwn,
    render_root,
    update_request,
)
from warroom.db import outbox
from warroom.db.store import Store
from warroom.errors import DatabaseError, WarroomError
from warroom.playbook import Playbook

if TYPE_CHECKING:
    from warroom.comms.capture import Service as CaptureService

log = logging.getLogger(__name__)

#: The console's connection waits this long for a lock, then tries again later.
DELIVERER_BUSY_MS = 200


class PreciseClock:
    """Now, to the microsecond: the outbox paces sends to one a second."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def new_owner() -> str:
    """Who holds a claim: host, process, and a random part per deliverer."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def channels_for(config: CommsConfig) -> tuple[str, ...]:
    """The outbox channels this configuration can deliver (others wait in the table)."""
    found = []
    if config.slack_enabled:
        found.append("slack")
    if config.email_enabled:
        found.append("email")
    return tuple(found)


def prepare(
    store: Store,
    config: CommsConfig,
    playbook: Playbook,
    message: outbox.OutboxMessage,
    now: datetime,
) -> SlackRequest | EmailMessage | None:
    """What to send for one outbox row, read from the database as it is now.

    None means there is nothing to send: a root edit with no root message (a
    webhook cannot edit; or the declaration has not been delivered by a bot).
    """
    if message.incident_id is None:
        # A channel message of no incident (``report --post``): to the channel
        # itself, never a thread, tagged like every other post.
        metadata = None
        if config.slack_mode == "bot":
            metadata = metadata_for(message.id, database_id(store), message.ref, message.kind)
        mrkdwn = render_mrkdwn(message.kind, message.text, message.ref)
        return message_request(config, mrkdwn, thread_ts=None, metadata=metadata)
    if message.channel == "email":
        return build_email(
            subject=message.subject or "Incident update",
            body=message.text,
            date=parse_time(message.created_at),
            incident_id=message.incident_id,
            entry_id=message.entry_id,
            sender=config.smtp.from_,
            recipients=config.smtp.to,
        )
    root_channel, root_ts = store.slack_root(message.incident_id)
    if message.kind == "root":
        incident = store.incident(message.incident_id)
        if config.slack_mode != "bot" or not root_ts or not root_channel or incident is None:
            return None
        # The line the comms lead sent with the latest update (ctrl+u), never
        # whatever was last typed as a decision or an action.
        text = render_root(incident, playbook, now, store.current_mitigation(incident.id))
        return update_request(render_mrkdwn("root", text, message.ref), root_channel, root_ts)
    mrkdwn = render_mrkdwn(message.kind, message.text, message.ref)
    thread = root_ts if message.kind != "declare" else None
    metadata = None
    if config.slack_mode == "bot":
        metadata = metadata_for(message.id, database_id(store), message.ref, message.kind)
    return message_request(config, mrkdwn, thread_ts=thread, metadata=metadata)


def database_id(store: Store) -> str:
    """This database's id (made by the schema-4 migration): tags its Slack messages."""
    return store.setting("database_id") or "unknown"


#: The ``settings`` key under which a channel name's id, learned from Slack, is kept.
CHANNEL_ID_KEY = "slack_channel_id:"


def channel_id(store: Store, config: CommsConfig) -> str | None:
    """The configured channel's id: as configured, or learned from an earlier answer."""
    name = config.slack.channel
    if not name:
        return None
    if is_channel_id(name):
        return name
    return store.setting(CHANNEL_ID_KEY + name)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What to do with one claimed message (see :func:`plan`).

    ``outcome`` set: decided without the network (nothing is sent). Otherwise
    ``lookup`` first, if set (a ``Delivered`` from it ends the attempt), then
    ``request``; neither set: nothing to send. ``can_look``: an attempt that
    may have posted can be checked next time (or resending is harmless), so it
    is retried rather than left for a person.
    """

    request: SlackRequest | EmailMessage | None = None
    lookup: Lookup | None = None
    outcome: Outcome | None = None
    can_look: bool = False
    #: Why a message that may have posted could not be looked for (said with it).
    why_not: str | None = None

    @property
    def skip(self) -> bool:
        return self.request is None and self.outcome is None


def _slack_epoch(stamp: str | None) -> str | None:
    if not stamp:
        return None
    return f"{parse_time(stamp).timestamp() - LOOKUP_MARGIN:.6f}"


def plan(
    store: Store,
    config: CommsConfig,
    playbook: Playbook,
    message: outbox.OutboxMessage,
    now: datetime,
) -> Attempt:
    """What to do with ``message`` now: the one policy both drivers follow.

    A new Slack message whose last attempt may have posted (``look_first``) is
    looked for before it is sent again, in its thread or the channel. Where
    there is nowhere to look (a webhook; a channel configured by name whose id
    is not known yet) it becomes "may not have arrived" instead. An edit of the
    root (``chat.update``) and an email are simply sent again: an edit is
    idempotent, and an email's Message-ID folds a duplicate.
    """
    try:
        request = prepare(store, config, playbook, message, now)
    except Exception as exc:  # a bug must not lose the message: retry later
        log.warning("outbox %s: %s", message.id, redact(str(exc), config))
        return Attempt(outcome=Transient(redact(f"internal error: {exc}", config)))
    if request is None:
        return Attempt()
    if isinstance(request, EmailMessage) or request.method == "chat.update":
        return Attempt(request, can_look=True)
    if request.method == "webhook":
        if message.look_first:
            reason = "may not have arrived: a console stopped while sending it"
            return Attempt(outcome=Unsure(reason))
        return Attempt(request)
    thread_ts = request.payload.get("thread_ts")
    where = (
        store.slack_root(message.incident_id)[0]
        if thread_ts and message.incident_id is not None
        else channel_id(store, config)
    )
    if not where:
        why = "cannot look in Slack for it: set the channel by its ID (C…), not its name"
        if message.look_first:
            return Attempt(outcome=Unsure(f"may not have arrived; {why}"))
        return Attempt(request, why_not=why)
    if not message.look_first:
        return Attempt(request, can_look=True)
    lookup = Lookup(
        channel_id=where,
        thread_ts=thread_ts,
        # From when it was queued (it cannot have been posted before), not from
        # the first attempt, which f4 resets.
        oldest=_slack_epoch(message.created_at),
        outbox_id=message.id,
        database_id=database_id(store),
    )
    return Attempt(request, lookup=lookup, can_look=True)


def finish(
    store: Store,
    config: CommsConfig,
    message: outbox.OutboxMessage,
    attempt: Attempt,
    owner: str,
    now: datetime,
    outcome: Outcome,
    *,
    rng: random.Random | None = None,
) -> str:
    """Record what became of ``attempt``; the message's new status.

    A channel configured by name learns its id from Slack's first answer, so
    a later lookup knows where to look.
    """
    if isinstance(outcome, NoAnswer) and attempt.why_not:
        outcome = Unsure(f"may not have arrived: {outcome.reason}; {attempt.why_not}")
    status = policy.record_outcome(
        store, message, owner, now, outcome, rng=rng, can_look=attempt.can_look
    )
    name = config.slack.channel
    if (
        isinstance(outcome, Delivered)
        and message.channel == "slack"
        and outcome.channel
        and name
        and not is_channel_id(name)
        and channel_id(store, config) != outcome.channel
    ):
        store.set_setting(CHANNEL_ID_KEY + name, outcome.channel)
    return status


#: What the flow asks its driver to do over the network: look in Slack for an
#: earlier attempt (answered with an Outcome, or None when not found), post to
#: Slack, or hand an email to SMTP (answered with an Outcome).
Network = Lookup | SlackRequest | EmailMessage
#: The write that records the attempt, run by the driver once the network is done
#: (the console's retries it while another console holds the lock); its status.
Record = Callable[[], str]
#: The flow of one claimed message.
Flow = Generator[Network, Outcome | None, Record]


def delivery_flow(
    store: Store,
    config: CommsConfig,
    playbook: Playbook,
    message: outbox.OutboxMessage,
    owner: str,
    clock: Clock,
    *,
    rng: random.Random | None = None,
) -> Flow:
    """plan → (look) → send → record for one claimed ``message``, whichever driver runs it.

    Yields each network step (:data:`Network`) and is sent its outcome; its
    return value (``StopIteration.value``) is the :data:`Record` to run. A
    message with nothing to send is recorded as delivered ("skipped").
    """
    attempt = plan(store, config, playbook, message, clock.now())
    if attempt.skip:

        def skipped() -> str:
            outbox.mark_delivered(store, message.id, clock.now(), skipped=True)
            return "skipped"

        return skipped
    outcome = attempt.outcome
    if outcome is None and attempt.lookup is not None:
        outcome = yield attempt.lookup
    if outcome is None:
        assert attempt.request is not None
        outcome = yield attempt.request
    assert outcome is not None, "a send always has an outcome"
    final = outcome

    def record() -> str:
        return finish(store, config, message, attempt, owner, clock.now(), final, rng=rng)

    return record


def advance(flow: Flow, answer: Outcome | None = None, *, first: bool = False) -> Network | Record:
    """The flow's next network step, or (when it has finished) its record."""
    try:
        return next(flow) if first else flow.send(answer)
    except StopIteration as done:
        record: Record = done.value
        return record


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What a bounded pass did, and how many messages it left in the outbox."""

    delivered: int
    failed: int
    remaining: int
    #: Sent without an answer, with nowhere to look: "may not have arrived".
    unsure: int = 0


def deliver_pending(
    store: Store,
    config: CommsConfig,
    clock: Clock | None = None,
    *,
    playbook: Playbook | None = None,
    deadline_seconds: float = 10.0,
    timeout: float = DEFAULT_TIMEOUT,
    min_interval: float = outbox.MIN_INTERVAL,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    owner: str | None = None,
    rng: random.Random | None = None,
) -> DeliveryReport:
    """Send what can go within ``deadline_seconds`` (for ``declare`` and ``log``).

    Whatever is still waiting at the deadline (a 429, a backoff, a slow Slack)
    stays in the outbox for the next console or command. Never raises for a
    delivery problem; a database problem is a :class:`DatabaseError` as usual.
    """
    channels = channels_for(config)
    if not channels:
        return DeliveryReport(0, 0, outbox.pending_count(store))
    from warroom.playbook import default_playbook

    clock = clock or PreciseClock()
    playbook = playbook or default_playbook()
    owner = owner or new_owner()
    end = monotonic() + deadline_seconds
    counts = {"delivered": 0, "failed": 0, "unsure": 0}
    client: SlackClient | None = None
    try:
        while (remaining := end - monotonic()) > 0:
            now = clock.now()
            message = outbox.claim_next(
                store, owner, now, channels=channels, min_interval=min_interval
            )
            if message is None:
                wait = outbox.next_due(store, now, channels=channels, min_interval=min_interval)
                if wait is None or wait > remaining:
                    break
                sleep(max(wait, 0.01))
                continue
            flow = delivery_flow(store, config, playbook, message, owner, clock, rng=rng)
            step = advance(flow, first=True)
            while isinstance(step, Lookup | SlackRequest | EmailMessage):
                if isinstance(step, EmailMessage):
                    step = advance(flow, send_smtp(config, step))
                    continue
                if client is None:
                    client = SlackClient(config, timeout=min(timeout, max(remaining, 0.5)))
                answer = client.find(step) if isinstance(step, Lookup) else client.send(step)
                step = advance(flow, answer)
            status = step()
            if status in counts:
                counts[status] += 1
    finally:
        if client is not None:
            client.close()
    return DeliveryReport(
        counts["delivered"], counts["failed"], outbox.pending_count(store), counts["unsure"]
    )


StatusCallback = Callable[[outbox.OutboxStatus], None]
Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


@dataclass
class CaptureTarget:
    """What the console's worker captures Slack into (see :mod:`warroom.comms.capture`)."""

    #: The operations (the console's service: its store, this loop's thread).
    service: CaptureService
    #: The incident the console shows now (None: nothing to capture).
    incident_id: Callable[[], int | None]
    poll_seconds: float = 20.0
    #: Told how many messages a pass captured (the console reloads: its own
    #: connection's commits do not change ``PRAGMA data_version``).
    on_captured: Callable[[int], object] | None = None


class Deliverer:
    """The console's outbox worker: ``await deliverer.run()`` in a Textual worker.

    Given a :class:`Store`, it uses that connection (the console's: it runs on
    the console's event loop, so on the connection's own thread), each call
    under a short busy timeout. Given a path (tests, a process with no store of
    its own), it opens a store when ``run`` starts and closes it at the end.
    ``on_status`` is called (on the loop's thread) whenever the summary
    changes. ``wake()`` after an operation that queued a message makes it look
    at once instead of at the next poll; ``stop()`` ends ``run`` at the next
    pause.
    """

    def __init__(
        self,
        db: Store | Path | str,
        config: CommsConfig,
        *,
        playbook: Playbook | None = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        on_status: StatusCallback | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        min_interval: float = outbox.MIN_INTERVAL,
        poll_interval: float = 1.0,
        owner: str | None = None,
        rng: random.Random | None = None,
        capture: CaptureTarget | None = None,
    ) -> None:
        self._given_store = db if isinstance(db, Store) else None
        #: Slack capture (bot token): every ``poll_seconds`` a pass for the
        #: incident the console shows, on this same worker (issue 12).
        self.capture = capture if config.slack_mode == "bot" else None
        self._next_capture = 0.0
        self._capture_client: Any = None
        self.db_path = db.path if isinstance(db, Store) else Path(db)
        self.config = config
        self.playbook = playbook
        self.clock: Clock = clock or PreciseClock()
        self._sleep: Sleep = sleep or asyncio.sleep
        self.on_status = on_status
        self.timeout = timeout
        self.min_interval = min_interval
        self.poll_interval = poll_interval
        self.owner = owner or new_owner()
        self.rng = rng
        self.channels = channels_for(config)
        self.status: outbox.OutboxStatus | None = None
        self._store: Store | None = None
        self._client: SlackClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False

    def __repr__(self) -> str:
        return f"Deliverer({str(self.db_path)!r}, channels={self.channels!r})"

    # -- control (safe from any thread) -----------------------------------------

    def wake(self) -> None:
        """Look at the outbox now (something was queued or retried)."""
        self._call_in_loop(lambda: self._wake.set() if self._wake else None)

    def stop(self) -> None:
        """End :meth:`run` at its next pause."""
        self._stopping = True
        self.wake()

    def _call_in_loop(self, func: Callable[[], object]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            func()
        else:
            loop.call_soon_threadsafe(func)

    # -- the loop -------------------------------------------------------------------

    async def run(self, *, until_idle: bool = False) -> None:
        """Deliver until stopped (or, ``until_idle``, until nothing is waiting).

        Never raises (except cancellation): every error is logged, redacted,
        and the loop carries on after a pause.
        """
        opened = False
        try:
            async with self.session():
                opened = True
                await self._loop_until_stopped(until_idle)
        except DatabaseError as exc:
            if opened:
                raise
            log.error("outbox: cannot open %s: %s", self.db_path, redact(str(exc), self.config))

    @asynccontextmanager
    async def session(self) -> AsyncIterator[None]:
        """What :meth:`run` holds open: the loop, the store, the Slack client.

        Inside it :meth:`step` delivers one message at a time (tests drive it
        so, step by step); leaving it closes what it opened.
        """
        from warroom.playbook import default_playbook

        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self.playbook = self.playbook or default_playbook()
        if self._given_store is not None:
            self._store = self._given_store
        else:
            try:
                self._store = Store(self.db_path)
            except Exception as exc:
                raise DatabaseError(str(exc)) from None
            self._store.set_busy_timeout(DELIVERER_BUSY_MS)
        try:
            if "slack" in self.channels:
                # httpx takes ~190 ms to import and its client tens of ms to build
                # (SSL context, CA bundle): both on a thread, so the console's event
                # loop, which this coroutine shares, never waits for them.
                self._client = SlackClient(self.config, timeout=self.timeout)
                await asyncio.to_thread(self._client.prepare_async)
            yield
        finally:
            if self._client is not None:
                await self._client.aclose()
                self._client = None
            if self._capture_client is not None:
                await self._capture_client.aclose()
                self._capture_client = None
            if self._given_store is None and self._store is not None:
                self._store.close()
            self._store = None

    async def _capture_if_due(self) -> None:
        """A capture pass when ``poll_seconds`` have passed since the last one."""
        capture = self.capture
        if capture is None or time.monotonic() < self._next_capture:
            return
        self._next_capture = time.monotonic() + capture.poll_seconds
        incident_id = capture.incident_id()
        if incident_id is None:
            return
        from warroom.comms.capture import capture_async

        if self._capture_client is None:
            import httpx

            # Built on a thread: an SSL context takes tens of milliseconds.
            self._capture_client = await asyncio.to_thread(httpx.AsyncClient, timeout=self.timeout)
        try:
            result = await capture_async(
                capture.service, self.config, incident_id, self._capture_client
            )
        except WarroomError as exc:
            log.info("capture: %s", redact(str(exc), self.config))
            return
        if result.captured and capture.on_captured is not None:
            capture.on_captured(result.captured)

    def _until_capture(self) -> float | None:
        if self.capture is None:
            return None
        return max(self._next_capture - time.monotonic(), 0.0)

    async def _loop_until_stopped(self, until_idle: bool) -> None:
        while not self._stopping:
            try:
                await self._capture_if_due()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never stops delivery
                log.error("capture: %s", redact(repr(exc), self.config))
            try:
                progressed = await self.step()
            except DatabaseError as exc:  # locked by another writer: later
                log.info("outbox: %s", exc)
                progressed = False
            except Exception as exc:
                log.error("outbox: %s", redact(repr(exc), self.config))
                progressed = False
            self._emit()
            if progressed or self._stopping:
                continue
            wait = self._wait_seconds()
            if wait is None and until_idle:
                return
            pause = self.poll_interval if wait is None else min(wait, self.poll_interval)
            until_capture = self._until_capture()
            if until_capture is not None:
                pause = min(pause, until_capture)
            await self._pause(max(pause, 0.01))

    def _db(self, call: Callable[[], T]) -> T:
        """Run one database call with the worker's short lock wait (the store may
        be the console's, whose scribe waits longer)."""
        assert self._store is not None
        if self._given_store is None:
            return call()
        with self._store.busy_timeout(DELIVERER_BUSY_MS):
            return call()

    def _wait_seconds(self) -> float | None:
        store = self._store
        assert store is not None
        try:
            return self._db(
                lambda: outbox.next_due(
                    store, self.clock.now(), channels=self.channels, min_interval=self.min_interval
                )
            )
        except DatabaseError:
            return self.poll_interval

    async def _pause(self, seconds: float) -> None:
        assert self._wake is not None
        if self._wake.is_set():
            self._wake.clear()
            return
        sleeper = asyncio.ensure_future(self._sleep(max(seconds, 0.0)))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                task.cancel()
            self._wake.clear()

    async def step(self) -> bool:
        """Claim, send and record one message; False if none could go now."""
        store = self._store
        playbook = self.playbook
        assert store is not None and playbook is not None
        message = self._db(
            lambda: outbox.claim_next(
                store,
                self.owner,
                self.clock.now(),
                channels=self.channels,
                min_interval=self.min_interval,
            )
        )
        if message is None:
            return False
        flow = delivery_flow(
            store, self.config, playbook, message, self.owner, self.clock, rng=self.rng
        )
        step = self._db(lambda: advance(flow, first=True))
        while isinstance(step, Lookup | SlackRequest | EmailMessage):
            answer: Outcome | None
            try:
                answer = await self._network(step)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = f"internal error: {type(exc).__name__}: {exc}"
                answer = Transient(redact(error, self.config))
            step = advance(flow, answer)
        await self._record(step)
        return True

    async def _network(self, step: Network) -> Outcome | None:
        """One network step of the flow, without blocking the event loop."""
        if isinstance(step, EmailMessage):
            return await send_smtp_async(self.config, step)
        assert self._client is not None
        if isinstance(step, Lookup):
            return await self._client.find_async(step)
        return await self._client.send_async(step)

    async def _record(self, write: Callable[[], object]) -> None:
        """Write an outcome, retrying while another console holds the lock: an
        unrecorded delivery would be sent again when its lease ran out."""
        for attempt in range(50):
            try:
                self._db(write)
                return
            except DatabaseError:
                if attempt == 49:
                    raise
                await asyncio.sleep(0.05)

    def _emit(self) -> None:
        store = self._store
        if store is None:
            return
        try:
            status = self._db(
                lambda: outbox.status_summary(store, self.clock.now(), enabled=bool(self.channels))
            )
        except DatabaseError:
            return
        if status == self.status:
            return
        self.status = status
        if self.on_status is not None:
            try:
                self.on_status(status)
            except Exception as exc:  # the UI's problem must not stop delivery
                log.error("outbox: on_status failed: %r", exc)
