"""Follow-ups into the tracker, each created once (``followups --push``, f3's push key).

For each open follow-up without a ticket:

1. **Intent**, committed before any request: a row in ``tracker_pushes`` with
   a random marker (and which tracker), claimed by this process so two
   consoles pressing the key together send it once.
2. If a request may already have created the issue (``uncertain``: a
   timeout, a dropped connection, a 5xx, or a ``kill -9`` after the request
   went out), **look** for the marker in the tracker first, and take the
   issue found.
3. Otherwise mark the row uncertain (committed), **create**, and store the
   ticket the tracker names.

429 and an unreachable tracker wait (``Retry-After``, or 1, 2, 4 s) and try
again; a timeout or 5xx looks, then tries again; at most :data:`ATTEMPTS`
rounds per follow-up. A refusal (401, 403, 404, 422…) stops that follow-up
at once with one line: the next would fail the same way (and a refused token
or an unknown repository stops the whole push: every follow-up would get the
same answer; so does a tracker that stays down). The flow is async
(the console runs it in a worker on its own loop, the command line under
``asyncio.run``); the database is used from the calling thread only.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from warroom.clock import Clock, format_time
from warroom.comms.config import CommsConfig, redact
from warroom.comms.tracker import (
    Later,
    NewIssue,
    Refused,
    Ticket,
    TrackerClient,
    TrackerProblem,
    Unsure,
    new_issue,
    one_line,
    tracker_client,
)
from warroom.db import tickets
from warroom.db.people import process_started
from warroom.db.store import Store
from warroom.domain.models import Incident
from warroom.errors import WarroomError
from warroom.textsafe import printable

#: Rounds (look and/or create) per follow-up before giving up for this push.
ATTEMPTS = 4
#: Waits between rounds, seconds (the last one repeats); Retry-After wins, capped.
BACKOFF = (1.0, 2.0, 4.0)
MAX_WAIT = 30.0
MARKER_PREFIX = "warroom-fu-"

#: Follow-ups this process is pushing right now (by id).
_IN_FLIGHT: set[int] = set()

Outcome = Literal["created", "found", "already", "failed", "busy", "done"]
#: Outcomes after which the follow-up has its ticket.
HAS_TICKET = frozenset({"created", "found", "already"})
#: Outcomes that leave nothing to do ("done": ticked off while the push ran).
SETTLED = HAS_TICKET | {"done"}
#: A follow-up another process is pushing: look again this often, this long at
#: most, for its ticket (or to take it over if that push gave up).
OTHER_POLL = 0.5
OTHER_WAIT = 60.0

NOT_CONFIGURED = (
    "no tracker configured: set [tracker] kind = github (repo, token) or jira"
    " (url, project, user, token) in the config file, or WARROOM_TRACKER_KIND and friends"
)


@dataclass(frozen=True, slots=True)
class PushLine:
    """What happened to one follow-up; :attr:`line` says it in one line."""

    followup_id: int
    number: int
    text: str
    outcome: Outcome
    ticket: str | None = None
    problem: str | None = None
    #: "busy" within this process (f3 reopened mid-push), not another's claim.
    here: bool = False

    @property
    def line(self) -> str:
        what = one_line(printable(self.text), 40)
        head = f"follow-up {self.number} ({what})"
        if self.outcome == "created":
            return f"{head}: created {self.ticket}"
        if self.outcome == "found":
            return f"{head}: found existing {self.ticket} (not created again)"
        if self.outcome == "already":
            return f"{head}: already there: {self.ticket}"
        if self.outcome == "busy":
            return f"{head}: being pushed right now (by another console or push)"
        if self.outcome == "done":
            return f"{head}: ticked done meanwhile, not pushed"
        return f"{head}: failed: {self.problem}"


@dataclass(frozen=True, slots=True)
class PushReport:
    lines: list[PushLine]

    @property
    def complete(self) -> bool:
        """Every open follow-up has its ticket."""
        return all(line.outcome in SETTLED for line in self.lines)

    @property
    def failed(self) -> int:
        return sum(line.outcome not in SETTLED for line in self.lines)


Sleep = Callable[[float], Awaitable[None]]


async def push_followups(
    store: Store,
    config: CommsConfig,
    incident: Incident,
    clock: Clock,
    *,
    client: TrackerClient | None = None,
    sleep: Sleep = asyncio.sleep,
    on_line: Callable[[PushLine], None] | None = None,
    review_url: str = "",
) -> PushReport:
    """Push every open follow-up of ``incident`` that has no ticket (see module doc).

    ``client`` is for tests (a fake tracker); ``on_line`` hears each line as it
    is decided (the console shows progress); ``review_url``: where the
    incident's document lives (the playbook's ``tracker_url``), which each
    issue links back to ("" names the export command instead).
    """
    if not config.tracker_enabled:
        raise TrackerNotConfigured(NOT_CONFIGURED)
    own = client is None
    tracker = client if client is not None else tracker_client(config)
    pusher = _Pusher(store, config, incident, clock, tracker, sleep, review_url)
    lines: list[PushLine] = []
    #: Follow-ups another process was pushing: waited for once the rest are done.
    others: list[PushLine] = []
    try:
        for number, followup in enumerate(store.followups(incident.id), start=1):
            if followup.done:
                continue
            if followup.ticket is not None:
                line = PushLine(followup.id, number, followup.text, "already", followup.ticket)
            elif pusher.stopped is not None:
                problem = f"not tried: {pusher.stopped}"
                line = PushLine(followup.id, number, followup.text, "failed", problem=problem)
            else:
                line = await pusher.push(followup.id, number, followup.text)
                if line.outcome == "busy" and not line.here:
                    others.append(line)
                    continue
            lines.append(line)
            if on_line is not None:
                on_line(line)
        # Two pushes at once (a console's p and a CLI): each follow-up is sent by
        # one of them; the other waits for that ticket instead of calling it a
        # failure, and takes the follow-up over if that push gives up.
        waited = 0.0
        while others and waited < OTHER_WAIT and pusher.stopped is None:
            await sleep(OTHER_POLL)
            waited += OTHER_POLL
            still: list[PushLine] = []
            for busy in others:
                line = await pusher.push(busy.followup_id, busy.number, busy.text)
                if line.outcome == "busy":
                    still.append(busy)
                    continue
                lines.append(line)
                if on_line is not None:
                    on_line(line)
            others = still
        for busy in others:
            lines.append(busy)
            if on_line is not None:
                on_line(busy)
        lines.sort(key=lambda line: line.number)
    finally:
        if own:
            await tracker.aclose()
    return PushReport(lines)


class TrackerNotConfigured(WarroomError):
    """``push_followups`` without ``[tracker]``: nothing is written."""


class _Pusher:
    def __init__(
        self,
        store: Store,
        config: CommsConfig,
        incident: Incident,
        clock: Clock,
        client: TrackerClient,
        sleep: Sleep,
        review_url: str = "",
    ) -> None:
        self.store = store
        self.config = config
        self.incident = incident
        self.clock = clock
        self.client = client
        self.sleep = sleep
        self.review_url = review_url
        #: Why the rest are not tried (the token refused, the tracker down).
        self.stopped: str | None = None
        self.pid = os.getpid()
        self.started = process_started(self.pid) or "?"

    def _now(self) -> str:
        return format_time(self.clock.now())

    def _begin(self, followup_id: int) -> tickets.Pending | Literal["busy", "done"] | str:
        """Record the intent (once) and claim it: the row to push, "busy", "done"
        (ticked off meanwhile), or the ticket another console stored meanwhile."""
        with self.store.write() as tx:
            row = tickets.pending_one(tx, followup_id)
            if row is None:
                found = tickets.ticket_of(tx, followup_id)
                if found:
                    return found
                return "done" if tickets.is_done(tx, followup_id) else "busy"
            if row.marker is None or row.tracker != self.client.where:
                tickets.record_intent(
                    tx,
                    followup_id,
                    marker=MARKER_PREFIX + uuid.uuid4().hex,
                    tracker=self.client.where,
                    at=self._now(),
                )
                row = tickets.pending_one(tx, followup_id)
                assert row is not None and row.marker is not None
            if not tickets.claim(tx, followup_id, self.pid, self.started):
                return "busy"
            return row

    async def push(self, followup_id: int, number: int, text: str) -> PushLine:
        # The database claim is per process; within one (a console whose f3 was
        # closed and opened again mid-push), this set keeps it to one at a time.
        if followup_id in _IN_FLIGHT:
            return PushLine(followup_id, number, text, "busy", here=True)
        _IN_FLIGHT.add(followup_id)
        try:
            begun = self._begin(followup_id)
            if begun == "busy":
                return PushLine(followup_id, number, text, "busy")
            if begun == "done":
                return PushLine(followup_id, number, text, "done")
            if isinstance(begun, str):
                return PushLine(followup_id, number, text, "already", begun)
            try:
                return await self._rounds(begun, number)
            finally:
                with self.store.write() as tx:
                    tickets.release(tx, followup_id)
        finally:
            _IN_FLIGHT.discard(followup_id)

    def _issue(self, row: tickets.Pending) -> NewIssue:
        assert row.marker is not None
        return new_issue(
            text=row.text,
            owner=row.owner,
            due=row.due,
            incident_ref=self.incident.ref,
            incident_title=self.incident.title,
            marker=row.marker,
            review_url=self.review_url,
        )

    def _store(self, row: tickets.Pending, ticket: Ticket) -> None:
        with self.store.write() as tx:
            tickets.store_ticket(
                tx, row.followup_id, ticket=ticket.ticket, url=ticket.url, at=self._now()
            )

    def _failed(self, row: tickets.Pending, problem: str, *, uncertain: bool) -> None:
        with self.store.write() as tx:
            tickets.record_failure(tx, row.followup_id, error=problem, uncertain=uncertain)

    async def _rounds(self, row: tickets.Pending, number: int) -> PushLine:
        assert row.marker is not None and row.intent_at is not None
        look = row.uncertain
        problem = "not tried"
        # A search-index lookup (Jira) trails a new issue: an earlier push that
        # got no answer may have created one seconds ago (killed, then run again).
        wait = self.client.settle if look else 0.0
        for attempt in range(ATTEMPTS):
            if attempt or wait:
                await self.sleep(wait)
            try:
                if look:
                    found = await self.client.find(row.marker, row.intent_at)
                    if found is not None:
                        self._store(row, found)
                        return PushLine(row.followup_id, number, row.text, "found", found.ticket)
                with self.store.write() as tx:
                    tickets.mark_sending(tx, row.followup_id)
                made = await self.client.create(self._issue(row))
                self._store(row, made)
                return PushLine(row.followup_id, number, row.text, "created", made.ticket)
            except Refused as exc:
                problem = self._say(exc)
                self._failed(row, problem, uncertain=look)
                if exc.everything:
                    self.stopped = problem
                return PushLine(row.followup_id, number, row.text, "failed", problem=problem)
            except Later as exc:
                problem = self._say(exc)
                self._failed(row, problem, uncertain=look)
                wait = min(MAX_WAIT, exc.retry_after or BACKOFF[min(attempt, len(BACKOFF) - 1)])
            except Unsure as exc:
                problem = self._say(exc)
                look = True
                self._failed(row, problem, uncertain=True)
                wait = max(BACKOFF[min(attempt, len(BACKOFF) - 1)], self.client.settle)
        # The tracker is down or overloaded: the others would only wait as long.
        self.stopped = f"the tracker is not answering ({problem})"
        if look:
            problem += "; it may exist: the next push looks for it before creating"
        return PushLine(row.followup_id, number, row.text, "failed", problem=problem)

    def _say(self, exc: TrackerProblem) -> str:
        return printable(redact(str(exc), self.config), 200)
