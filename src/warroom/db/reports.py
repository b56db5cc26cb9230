"""What the operations report reads (``warroom report``): three queries, any period.

Only the columns the report uses, and only the entries the update replay
needs (the kinds of :data:`warroom.domain.figures.TIMING_KINDS`, found through
the ``(incident_id, kind, seq)`` index of schema 3), so a year of history
(2,000 incidents, a million entries) reads tens of thousands of rows, not a
million. An update's data (its whole message) is never read: the replay
needs only when it was logged; of a snooze or a declaration, SQLite hands
over the one number the replay reads. benchmarks/bench_report.py measures it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import groupby
from operator import itemgetter

from warroom.clock import format_time
from warroom.db.store import Row, Store
from warroom.domain.figures import TIMING_KINDS, TimingRow
from warroom.domain.report import IncidentFacts, OpenFollowUp

_KINDS = ", ".join(f"'{kind}'" for kind in TIMING_KINDS)

INCIDENTS_SQL = (
    "SELECT id, title, severity, status, declared_at, impact_started_at, detected_at,"
    " mitigated_at, resolved_at, coalesce(trim(root_cause), '') != '', review_at"
    " FROM incidents WHERE declared_at >= ? AND declared_at < ? ORDER BY id"
)
TIMING_SQL = (
    "SELECT e.at, e.kind,"
    # What the replay reads of the event data, taken out by SQLite (a json.loads
    # per row cost a year's report ~18 ms): a snooze's minutes; the declaration's
    # severity only where it is not the incident's now (the replay then starts
    # from it); a severity change's data as it is (its cadence, or the new level's).
    # (An update's data is never looked at: CASE stops at its kind.)
    " CASE e.kind"
    " WHEN 'snooze' THEN CASE WHEN json_valid(e.data)"
    " THEN json_extract(e.data, '$.minutes') END"
    " WHEN 'declared' THEN CASE WHEN json_valid(e.data)"
    " THEN nullif(json_extract(e.data, '$.severity'), i.severity) END"
    " WHEN 'severity' THEN e.data END, e.incident_id"
    # CROSS JOIN: incidents outside, so each one's timing entries are found
    # through the (incident_id, kind, seq) index. Left to itself SQLite walks
    # every entry of the file in (incident_id, seq) order to skip the sort.
    " FROM incidents AS i CROSS JOIN entries AS e"
    f" ON e.incident_id = i.id AND e.kind IN ({_KINDS})"
    " WHERE i.declared_at >= ? AND i.declared_at < ?"
    " ORDER BY e.incident_id, e.seq"
)
FOLLOWUPS_SQL = (
    "SELECT f.incident_id, f.text, f.owner, f.due FROM followups AS f"
    " JOIN incidents AS i ON i.id = f.incident_id"
    " WHERE f.done = 0 AND i.declared_at < ? ORDER BY f.due, f.incident_id, f.id"
)


def _bounds(start: datetime, end: datetime) -> tuple[str, str]:
    """The period as stored times compare (``format_time``: fixed width, ``Z``)."""
    return format_time(start), format_time(end)


def incidents_in(store: Store, start: datetime, end: datetime) -> list[IncidentFacts]:
    """The incidents declared in [start, end), each with its timing entries."""
    bounds = _bounds(start, end)
    # Rows come ordered by incident: one list per incident of the rows as they
    # are ((at, kind, data, incident_id): no object made per row).
    timing: dict[int, Sequence[TimingRow]] = {
        incident_id: list(rows)
        for incident_id, rows in groupby(store.read_rows(TIMING_SQL, bounds), itemgetter(3))
    }
    return [_facts(row, timing) for row in store.read_rows(INCIDENTS_SQL, bounds)]


def _facts(row: Row, timing: dict[int, Sequence[TimingRow]]) -> IncidentFacts:
    (
        incident_id,
        title,
        severity,
        status,
        declared_at,
        impact_started_at,
        detected_at,
        mitigated_at,
        resolved_at,
        written,
        review_at,
    ) = row
    return IncidentFacts(
        id=incident_id,
        title=title,
        severity=severity,
        status=status,
        declared_at=declared_at,
        impact_started_at=impact_started_at,
        detected_at=detected_at,
        mitigated_at=mitigated_at,
        resolved_at=resolved_at,
        review_written=bool(written),
        review_at=review_at,
        timing=timing.get(incident_id, ()),
    )


def open_followups(store: Store, end: datetime) -> list[OpenFollowUp]:
    """Every follow-up not done, of incidents declared before ``end``, soonest due first."""
    return [OpenFollowUp(*row) for row in store.read_rows(FOLLOWUPS_SQL, (format_time(end),))]
