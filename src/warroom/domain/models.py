"""The incident record as plain, immutable values.

These are read from the store on every refresh and on every line drawn, so they
are slotted dataclasses rather than pydantic models: validation happens at the
edges (playbook, export), not a hundred thousand times per screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Entry kinds a person writes (the rest are written by operations).
USER_KINDS = ("note", "decision", "action", "alert")

ROLE_KEYS = ("incident_commander", "communications_lead", "scribe")


@dataclass(frozen=True, slots=True)
class Roles:
    incident_commander: str | None = None
    communications_lead: str | None = None
    scribe: str | None = None
    response_engineers: tuple[str, ...] = ()

    @property
    def filled(self) -> bool:
        return bool(
            self.incident_commander
            and self.communications_lead
            and self.scribe
            and self.response_engineers
        )

    def names(self) -> list[str]:
        found = [self.incident_commander, self.communications_lead, self.scribe]
        return [n for n in (*found, *self.response_engineers) if n]


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    position: int
    label: str
    section: str
    done_by_action: str | None
    done: bool
    done_at: str | None
    done_by: str | None


@dataclass(frozen=True, slots=True)
class Milestones:
    """When impact started, was detected, was mitigated; when the incident closed.

    Resolution is ``Incident.resolved_at``. All are ISO 8601 UTC strings or None.
    """

    impact_started_at: str | None = None
    detected_at: str | None = None
    mitigated_at: str | None = None
    closed_at: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    id: int
    title: str
    severity: int
    status: str
    stage: str
    impact: str
    declared_at: str
    resolved_at: str | None
    frozen: bool
    bridge: str | None
    next_update_due: str | None
    entry_count: int
    roles: Roles = field(default_factory=Roles)
    checklist: tuple[ChecklistItem, ...] = ()
    milestones: Milestones = field(default_factory=Milestones)

    @property
    def ref(self) -> str:
        return f"INC-{self.id}"


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    seq: int
    at: str
    occurred_at: str | None
    author: str
    kind: str
    text: str
    struck: bool
    starred: bool
    ref: int | None
    #: The event's facts as stored (JSON text; None for a person's note, and for
    #: the reads that do not ask for it): see :mod:`warroom.domain.events`.
    data: str | None = None


@dataclass(frozen=True, slots=True)
class Update:
    at: str
    audience: str
    text: str
    #: recorded (nothing queued), pending, delivered, failed, or unsure (may not have arrived)
    delivery: str
    #: When the outbox delivered it (Slack or SMTP), if it has.
    delivered_at: str | None = None
    #: The outbox channel it was queued for (slack, email), if any.
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class FollowUp:
    id: int
    text: str
    owner: str
    due: str
    done: bool
    done_at: str | None = None
    done_by: str | None = None
    #: Once pushed to the tracker: the issue's URL (GitHub) or key (Jira).
    ticket: str | None = None
    #: The issue's web page (GitHub: the same URL; Jira: its browse URL).
    ticket_url: str | None = None


@dataclass(frozen=True, slots=True)
class Review:
    """The post-incident review as written on the review screen.

    Text is stored exactly as typed (several lines allowed); ``review_at`` is the
    review meeting's date (ISO ``YYYY-MM-DD``) once someone has set it.
    """

    root_cause: str = ""
    contributing_factors: str = ""
    resolution_steps: str = ""
    review_at: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One incident in the history list: enough to draw a row, in one query."""

    id: int
    title: str
    severity: int
    status: str
    stage: str
    declared_at: str
    impact_started_at: str | None
    resolved_at: str | None
    closed_at: str | None
    open_followups: int

    @property
    def ref(self) -> str:
        return f"INC-{self.id}"
