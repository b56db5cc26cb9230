"""The operations health report (``warroom report``), as pure functions of plain rows.

Which incidents: those **declared** in the period (``from`` ≤ declared < ``to``),
each counted whole as of the report's "now" (an incident declared on Sunday
and resolved on Tuesday is in Sunday's week, with its full time to resolve).
So every incident is in exactly one weekly report, and the weeks add up.

The figures are the milestones' (impact started, detected, mitigated,
resolved: the columns the console's ``/milestone`` corrects) and the timing
entries' event data, replayed by :func:`warroom.domain.figures.update_punctuality`
with the console's own deadline arithmetic. Nothing here reads a timeline
entry's wording. ``db/reports.py`` reads the rows; ``exports/report.py``
writes them as Markdown, JSON and a compact Slack message.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any

from warroom.domain import figures
from warroom.domain.figures import UpdateDue
from warroom.errors import CommandError

TIME_TO_DETECT = "time_to_detect"
TIME_TO_MITIGATE = "time_to_mitigate"
TIME_TO_RESOLVE = "time_to_resolve"

#: Printed beside each figure (and in the JSON's ``definition``).
DEFINITIONS = {
    TIME_TO_DETECT: (
        "impact started → detected (the declaration, unless /milestone detected moved it)."
        " Incidents whose impact start was never recorded are left out: it would be 0 by"
        " construction"
    ),
    TIME_TO_MITIGATE: (
        "impact started → mitigated (stamped when the stage moves past mitigate, or on"
        " resolving). Where impact start was never recorded, from the declaration."
        " Incidents not mitigated yet are left out"
    ),
    TIME_TO_RESOLVE: (
        "impact started → resolved (/resolve). Where impact start was never recorded,"
        " from the declaration. Incidents not resolved yet are left out"
    ),
}
PERCENTILE_METHOD = "nearest rank (the value at rank ⌈p·n⌉ of n, sorted)"

#: Milestones the report asks for, as the missing-milestones list names them.
IMPACT_START = "impact start"
MITIGATED = "mitigated"
RESOLVED = "resolved"
MISSING_DEFINITION = (
    "impact start: never recorded (/milestone impact_started), so the declaration stands"
    " in for it; mitigated / resolved: a resolved or closed incident without that time"
)
FOLLOWUPS_DEFINITION = (
    "every follow-up not done yet, on any incident declared before the period's end,"
    " as of the report's time; overdue: its due date is before today (UTC)"
)
REVIEW_DEFINITION = (
    "open: impact not over yet; not started: resolved, no review written, no meeting set;"
    " meeting YYYY-MM-DD: a review meeting is set, no root cause yet; written: a root"
    " cause is recorded; closed: the record is final (/close)"
)


@dataclass(slots=True)
class IncidentFacts:
    """What the report needs of one incident (one row of ``db.reports``).

    Not frozen, like :class:`IncidentLine`: a year's report makes thousands,
    and a frozen dataclass's ``__init__`` costs several times as much."""

    id: int
    title: str
    severity: int
    status: str
    declared_at: str
    impact_started_at: str | None
    detected_at: str | None
    mitigated_at: str | None
    resolved_at: str | None
    #: A root cause is written on the review screen.
    review_written: bool = False
    #: The review meeting's date, once set.
    review_at: str | None = None
    #: ``(at, kind, data, incident_id)`` of the entries of :data:`figures.TIMING_KINDS`, in
    #: logged order (:class:`~warroom.domain.figures.TimingEvent` or plain tuples).
    timing: Sequence[figures.TimingRow] = ()

    @property
    def ref(self) -> str:
        return f"INC-{self.id}"

    @property
    def impact_recorded(self) -> bool:
        """Someone recorded when impact started: it is not the declaration's default."""
        return bool(self.impact_started_at) and self.impact_started_at != self.declared_at


@dataclass(frozen=True, slots=True)
class OpenFollowUp:
    incident_id: int
    text: str
    owner: str
    due: str

    @property
    def ref(self) -> str:
        return f"INC-{self.incident_id}"


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    median_seconds: int | None
    p90_seconds: int | None
    count: int
    definition: str


@dataclass(slots=True)
class IncidentLine:
    """One row of the report's incident table."""

    id: int
    title: str
    severity: int
    status: str
    declared_at: str
    time_to_detect: int | None
    time_to_mitigate: int | None
    time_to_resolve: int | None
    updates: Sequence[UpdateDue]
    review: str
    missing: tuple[str, ...]
    on_time: int = 0
    late: int = 0
    missed: int = 0
    overdue: int = 0

    @property
    def ref(self) -> str:
        return f"INC-{self.id}"


@dataclass(frozen=True, slots=True)
class UpdateCounts:
    due: int = 0
    on_time: int = 0
    late: int = 0
    missed: int = 0
    overdue: int = 0


@dataclass(frozen=True, slots=True)
class Report:
    start: str
    end: str
    now: str
    incidents: tuple[IncidentLine, ...]
    by_severity: dict[str, int]
    mttx: tuple[Metric, ...]
    updates: UpdateCounts
    followups: tuple[OpenFollowUp, ...] = ()
    overdue_followups: tuple[OpenFollowUp, ...] = field(default=())

    @property
    def missing(self) -> list[IncidentLine]:
        return [line for line in self.incidents if line.missing]


def percentile(values: Sequence[int], p: float) -> int | None:
    """The ``p``-th percentile (0 < p ≤ 100) of ``values`` by the nearest-rank method.

    Sorted ascending, the value at rank ⌈p/100 · n⌉ (1-based): always one of
    the values (no interpolation), so a median of two incidents is the
    shorter one and a p90 of five is the longest. None for no values.
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def review_status(facts: IncidentFacts) -> str:
    """What is true of the incident's review (see :data:`REVIEW_DEFINITION`)."""
    if facts.status == "closed":
        return "closed"
    if facts.status == "open":
        return "open"
    if facts.review_written:
        return "written"
    if facts.review_at:
        return f"meeting {facts.review_at}"
    return "not started"


def missing_milestones(facts: IncidentFacts) -> tuple[str, ...]:
    missing = []
    if not facts.impact_recorded:
        missing.append(IMPACT_START)
    if facts.status != "open":
        if not facts.mitigated_at:
            missing.append(MITIGATED)
        if not facts.resolved_at:
            missing.append(RESOLVED)
    return tuple(missing)


def _since(start: datetime, end: str | None) -> int | None:
    """Whole seconds from ``start`` to a stored time (None: not yet)."""
    if not end:
        return None
    return int((datetime.fromisoformat(end) - start).total_seconds())


_OUTCOME = itemgetter(1)


def incident_line(facts: IncidentFacts, playbook: Any, now: datetime) -> IncidentLine:
    updates = figures.update_punctuality(
        severity=facts.severity,
        declared_at=facts.declared_at,
        status=facts.status,
        events=facts.timing,
        playbook=playbook,
        now=now,
    )
    # Counted in C, and impact start read once: a year's report makes 2,000
    # of these lines (a Counter costs a third more here).
    outcomes = list(map(_OUTCOME, updates))
    start = datetime.fromisoformat(facts.impact_started_at or facts.declared_at)
    return IncidentLine(
        id=facts.id,
        title=facts.title,
        severity=facts.severity,
        status=facts.status,
        declared_at=facts.declared_at,
        time_to_detect=_since(start, facts.detected_at) if facts.impact_recorded else None,
        time_to_mitigate=_since(start, facts.mitigated_at),
        time_to_resolve=_since(start, facts.resolved_at),
        updates=updates,
        review=review_status(facts),
        missing=missing_milestones(facts),
        on_time=outcomes.count(figures.ON_TIME),
        late=outcomes.count(figures.LATE),
        missed=outcomes.count(figures.MISSED),
        overdue=outcomes.count(figures.OVERDUE),
    )


def _metric(key: str, values: list[int]) -> Metric:
    return Metric(
        key, percentile(values, 50), percentile(values, 90), len(values), DEFINITIONS[key]
    )


def build_report(
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    incidents: Iterable[IncidentFacts],
    followups: Iterable[OpenFollowUp],
    playbook: Any,
) -> Report:
    """The report for incidents declared in [start, end), as of ``now``."""
    lines = tuple(incident_line(facts, playbook, now) for facts in incidents)
    severities = Counter(line.severity for line in lines)
    by_severity = {f"SEV-{level}": severities[level] for level in sorted(severities)}
    mttx = tuple(
        _metric(key, [v for line in lines if (v := getattr(line, key)) is not None])
        for key in (TIME_TO_DETECT, TIME_TO_MITIGATE, TIME_TO_RESOLVE)
    )
    counts = UpdateCounts(
        due=sum(len(line.updates) for line in lines),
        on_time=sum(line.on_time for line in lines),
        late=sum(line.late for line in lines),
        missed=sum(line.missed for line in lines),
        overdue=sum(line.overdue for line in lines),
    )
    today = f"{now:%Y-%m-%d}"
    open_followups = tuple(followups)
    return Report(
        start=_iso(start),
        end=_iso(end),
        now=_iso(now),
        incidents=lines,
        by_severity=by_severity,
        mttx=mttx,
        updates=counts,
        followups=open_followups,
        overdue_followups=tuple(f for f in open_followups if f.due < today),
    )


def _iso(when: datetime) -> str:
    return f"{when:%Y-%m-%dT%H:%M:%S}Z"


# -- the period ------------------------------------------------------------------

#: The longest period a report covers (``--since``, or ``--from`` to ``--to``).
MAX_PERIOD = timedelta(days=3660)
DEFAULT_SINCE = "7d"
_SINCE = re.compile(r"(\d{1,5})([hdw])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str) -> timedelta:
    """``7d``, ``24h``, ``2w``: a number and a unit (hours, days, weeks)."""
    found = _SINCE.fullmatch(text.strip())
    if found is None:
        raise CommandError(
            f"--since {_short(text)!r}: a number and a unit (h, d or w), such as 7d or 24h"
        )
    span = timedelta(**{_UNITS[found[2]]: int(found[1])})
    if not span or span > MAX_PERIOD:
        raise CommandError(f"--since {text.strip()}: between 1h and {MAX_PERIOD.days} days")
    return span


def parse_day(text: str, option: str, *, end: bool) -> datetime:
    """``YYYY-MM-DD`` (a whole day: ``--to`` includes it) or an ISO time (UTC if naive)."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            when = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return when + timedelta(days=1) if end else when
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise CommandError(
            f"{option} {_short(text)!r}: a date such as 2026-11-23 (or 2026-11-23T09:00Z)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def period(
    now: datetime, *, since: str | None, start: str | None, end: str | None
) -> tuple[datetime, datetime]:
    """[from, to) for ``--since`` or ``--from``/``--to`` (default: the last 7 days).

    ``--to`` alone is refused; ``--from`` alone runs to now. A date given to
    ``--to`` includes that whole day.
    """
    if since is not None and (start is not None or end is not None):
        raise CommandError("give --since, or --from and --to, not both")
    if since is not None or start is None:
        if end is not None:
            raise CommandError("--to needs --from")
        return now - parse_since(since or DEFAULT_SINCE), now
    begin = parse_day(start, "--from", end=False)
    finish = parse_day(end, "--to", end=True) if end is not None else now
    if finish <= begin:
        raise CommandError("--from must be before --to")
    if finish - begin > MAX_PERIOD:
        raise CommandError(f"a report covers at most {MAX_PERIOD.days} days")
    if not (begin.year >= 1970 and finish.year <= 2199):
        raise CommandError("dates between 1970 and 2199")
    return begin, finish


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
