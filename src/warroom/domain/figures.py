"""The review's figures, as pure functions of the incident and its timeline.

Time to mitigate and time to resolve come from the milestones (impact started,
mitigated, resolved), so a correction of a milestone corrects the figures.

Stakeholder updates are judged by replaying the timeline entries that changed
the update obligation (``declared``, ``severity``, ``update``, ``snooze``,
``resolve``, ``reopen``), in the order they were logged:

- **Due** is the minimum the cadence asked for: the number of whole cadence
  windows that elapsed from the declaration to the resolution (or to now, if
  still open). Windows run back to back from the declaration, whatever was
  sent; a severity change shortens the current window as the console's
  deadline does (``min(window end, change + new cadence)``) and later windows
  take the new cadence. Time spent resolved (between ``/resolve`` and
  ``/reopen``) owes nothing.
- **Sent** counts every update entry, including any after resolution.
- **Late** compares each update with the deadline the console showed at that
  moment: declaration + cadence, then each update + cadence, shortened by a
  severity change, pushed back by a snooze, stopped by resolving and restarted
  by reopening. An update after its deadline is late by the difference.

The replay reads each entry's event data (``entries.data``, see
:mod:`warroom.domain.events`), never its text, and moves the deadline with the
same functions the service uses live (:mod:`warroom.domain.rules`). It is
approximate only where a milestone was corrected after the fact (the replay
follows the entries, not the corrected milestone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from warroom.clock import parse_time
from warroom.domain import rules
from warroom.domain.events import load_data
from warroom.domain.models import Entry, Incident

#: The entry kinds the update replay reads.
TIMING_KINDS = ("declared", "severity", "update", "snooze", "resolve", "reopen")


@dataclass(frozen=True, slots=True)
class LateUpdate:
    """One update that went out after its deadline."""

    at: str
    deadline: str
    seconds: int


@dataclass(frozen=True, slots=True)
class Figures:
    """The numbers the review reports. Durations are whole seconds; None = not yet."""

    time_to_mitigate_seconds: int | None
    time_to_resolve_seconds: int | None
    updates_sent: int
    updates_due: int
    updates_late: int
    late_by_seconds_total: int
    late_by_seconds_max: int
    late: tuple[LateUpdate, ...] = ()


@dataclass(frozen=True, slots=True)
class LiveClocks:
    """The header's time-to-mitigate and time-to-resolve clocks at ``now``.

    A clock counts up from impact start until its milestone is reached, then
    shows the figure and stops; ``/reopen`` clears resolved_at, so the resolve
    clock runs again.
    """

    to_mitigate_seconds: int
    mitigated: bool
    to_resolve_seconds: int
    resolved: bool


def impact_start(incident: Incident) -> str:
    """When impact started: the milestone, or the declaration for old records."""
    return incident.milestones.impact_started_at or incident.declared_at


def _seconds(start: str, end: str | None) -> int | None:
    if end is None:
        return None
    return int((parse_time(end) - parse_time(start)).total_seconds())


def live_clocks(incident: Incident, now: datetime) -> LiveClocks:
    """Cheap enough for every tick: two subtractions, no database."""
    start = impact_start(incident)
    running = max(0, int((now - parse_time(start)).total_seconds()))
    mitigated = _seconds(start, incident.milestones.mitigated_at)
    resolved = _seconds(start, incident.resolved_at)
    return LiveClocks(
        to_mitigate_seconds=running if mitigated is None else mitigated,
        mitigated=mitigated is not None,
        to_resolve_seconds=running if resolved is None else resolved,
        resolved=resolved is not None,
    )


def _severity_cadence(data: dict[str, Any], playbook: Any) -> timedelta | None:
    """The cadence a severity change set: as logged, else the new level's."""
    minutes = data.get("cadence_minutes")
    if isinstance(minutes, int):
        return timedelta(minutes=minutes)
    level = data.get("new")
    if isinstance(level, int):
        return rules.cadence(playbook, level)
    return None


def compute_figures(
    incident: Incident, events: Iterable[Entry], playbook: Any, now: datetime
) -> Figures:
    """The review figures from the incident's milestones and its timing entries.

    ``events`` are the incident's entries of :data:`TIMING_KINDS` in logged
    order, with their data (other kinds are ignored, so the whole timeline may
    be passed). ``now`` ends the replay of an incident that is still open.
    """
    start = impact_start(incident)
    declared = parse_time(incident.declared_at)
    cadence = rules.cadence(playbook, incident.severity)
    deadline: datetime | None = rules.deadline_on_declare(declared, cadence)
    window_end: datetime | None = deadline
    sent = due = 0
    late: list[LateUpdate] = []
    first = True

    def close_windows(until: datetime) -> None:
        nonlocal due, window_end
        while window_end is not None and window_end <= until:
            due += 1
            window_end += cadence

    for entry in events:
        kind = entry.kind
        if kind not in TIMING_KINDS:
            continue
        at = parse_time(entry.at)
        data = load_data(entry.data)
        if kind == "declared":
            level = data.get("severity")
            if first and isinstance(level, int):
                cadence = rules.cadence(playbook, level)
                deadline = window_end = rules.deadline_on_declare(declared, cadence)
            first = False
            continue
        first = False
        close_windows(at)
        if kind == "update":
            sent += 1
            if deadline is not None:
                if at > deadline:
                    late.append(
                        LateUpdate(
                            entry.at,
                            deadline.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            int((at - deadline).total_seconds()),
                        )
                    )
                deadline = rules.deadline_on_update(at, cadence)
        elif kind == "severity":
            new = _severity_cadence(data, playbook)
            if new is not None:
                cadence = new
                window_end = rules.deadline_on_severity(window_end, at, new)
                deadline = rules.deadline_on_severity(deadline, at, new)
        elif kind == "snooze":
            minutes = data.get("minutes")
            if deadline is not None and isinstance(minutes, int):
                deadline = rules.deadline_on_snooze(deadline, at, minutes)
        elif kind == "resolve":
            window_end = deadline = None
        elif kind == "reopen":
            window_end = deadline = rules.deadline_on_reopen(at, cadence)
    if incident.status == "open":
        close_windows(now)

    seconds = [item.seconds for item in late]
    return Figures(
        time_to_mitigate_seconds=_seconds(start, incident.milestones.mitigated_at),
        time_to_resolve_seconds=_seconds(start, incident.resolved_at),
        updates_sent=sent,
        updates_due=due,
        updates_late=len(late),
        late_by_seconds_total=sum(seconds),
        late_by_seconds_max=max(seconds, default=0),
        late=tuple(late),
    )


# -- update punctuality (the operations report, issue 13) ---------------------

#: What became of an update that fell due (see :func:`update_punctuality`).
ON_TIME = "on_time"
LATE = "late"
MISSED = "missed"
OVERDUE = "overdue"

#: The definitions the report prints beside the counts.
PUNCTUALITY_DEFINITION = (
    "An update falls due at each deadline the console counted down to: the declaration"
    " plus the severity's cadence, then each update plus the cadence; a severity change"
    " can bring it closer, a /snooze pushes it back, resolving stops it, reopening"
    " restarts it. On time: an update was recorded by the deadline. Late: after the"
    " deadline, but before the next one fell due (one cadence later) and before the"
    " incident was resolved. Missed: none before the next one fell due or the incident"
    " was resolved; the next one is then due one cadence after the missed deadline."
    " Overdue: past its deadline at the report's time, on an open incident, not yet missed."
)


#: One update that fell due, and what became of it: ``(due, outcome, sent_at,
#: late_seconds)``: the deadline (UTC); :data:`ON_TIME`, :data:`LATE`,
#: :data:`MISSED` or :data:`OVERDUE`; when the update that answered it was
#: recorded (None: missed or overdue); how late it was sent (late only).
#:
#: A plain tuple: a year's report makes ~28,000 and reads each back unpacked.
#: A named tuple costs twice the allocations to build, and unpacking a tuple
#: subclass misses the interpreter's fast path (~10 ms a year's JSON).
UpdateDue = tuple[datetime, str, str | None, int | None]


class TimingEvent(NamedTuple):
    """An entry of :data:`TIMING_KINDS`: when it was logged (as stored), its
    kind, its data, its incident. Any ``(at, kind, data, incident_id)`` tuple
    will do: the rows as ``db/reports.py`` reads them, used as they are (a
    year has ~30,000; copying each into a shorter tuple cost ~4 ms).

    ``data`` is the entry's event data (JSON), or for a declaration or a
    snooze, the one number the replay reads of it (its ``severity``, its
    ``minutes``) as ``db/reports.py`` has SQLite take it out. The incident
    is not read by the replay."""

    at: str
    kind: str
    data: str | int | None
    incident_id: int = 0


#: ``(at, kind, data, incident_id)``, as :class:`TimingEvent`.
TimingRow = tuple[str, str, str | int | None, int]


def _number(data: str | int | None, key: str) -> object:
    """The number the replay reads of a declaration or a snooze: as given, or
    read out of the event data."""
    return load_data(data).get(key) if isinstance(data, str) else data


def update_punctuality(
    *,
    severity: int,
    declared_at: str,
    status: str,
    events: Iterable[TimingRow],
    playbook: Any,
    now: datetime,
) -> list[UpdateDue]:
    """Each stakeholder update that fell due, replayed from the timing entries.

    The deadline moves with the same functions the console uses live
    (:mod:`warroom.domain.rules`), in the same order as :func:`compute_figures`
    replays it; see :data:`PUNCTUALITY_DEFINITION` for what on time, late,
    missed and overdue mean. ``events`` are :class:`TimingEvent` rows of the
    incident's entries in logged order (times as stored: ISO 8601 with ``Z``,
    which Python 3.11 reads as it is). ``severity`` is the incident's (the
    declaration's own, when its data has it, comes first); ``now`` ends an
    open incident. An update recorded while resolved answers no deadline.

    Written for speed (a year's report replays tens of thousands of entries):
    no per-event function calls beyond the rules' own.
    """
    cadence = rules.cadence(playbook, severity)
    declared = datetime.fromisoformat(declared_at)
    deadline: datetime | None = rules.deadline_on_declare(declared, cadence)
    out: list[UpdateDue] = []
    append = out.append
    parse = datetime.fromisoformat
    miss, on_update = rules.deadline_on_miss, rules.deadline_on_update
    first = True
    for at_text, kind, data, _incident in events:
        # Any other kind only closes missed windows up to its time, as the next
        # timing entry would: the same result, and no lookup per entry.
        at = parse(at_text)
        if first:
            first = False
            if kind == "declared":
                level = _number(data, "severity")
                if isinstance(level, int) and level != severity:
                    cadence = rules.cadence(playbook, level)
                    deadline = rules.deadline_on_declare(declared, cadence)
                continue
        # Deadlines whose next one fell due by this entry, none sent: missed.
        # (Most entries come before their deadline: one comparison.)
        while deadline is not None and at > deadline:
            after = miss(deadline, cadence)
            if after > at:
                break
            append((deadline, MISSED, None, None))
            deadline = after
        if kind == "update":
            if deadline is not None:
                if at <= deadline:
                    append((deadline, ON_TIME, at_text, None))
                else:
                    late = int((at - deadline).total_seconds())
                    append((deadline, LATE, at_text, late))
                deadline = on_update(at, cadence)
        elif kind == "severity":
            new = _severity_cadence(load_data(data) if isinstance(data, str) else {}, playbook)
            if new is not None:
                cadence = new
                deadline = rules.deadline_on_severity(deadline, at, new)
        elif kind == "snooze":
            minutes = _number(data, "minutes")
            if deadline is not None and isinstance(minutes, int):
                deadline = rules.deadline_on_snooze(deadline, at, minutes)
        elif kind == "resolve":
            if deadline is not None and at > deadline:
                append((deadline, MISSED, None, None))
            deadline = None
        elif kind == "reopen":
            deadline = rules.deadline_on_reopen(at, cadence)
    if status == "open" and deadline is not None:
        while (after := miss(deadline, cadence)) <= now:
            append((deadline, MISSED, None, None))
            deadline = after
        if deadline < now:
            append((deadline, OVERDUE, None, None))
    return out
