"""The playbook's communication templates, filled from the live incident."""

from __future__ import annotations

from datetime import datetime, timedelta

from warroom.clock import format_time, parse_time
from warroom.domain.models import Incident
from warroom.playbook import Playbook


def _hhmm(when: datetime) -> str:
    return when.strftime("%H:%M UTC")


#: The placeholders a template may use.
TEMPLATE_FIELDS = (
    "severity",
    "summary",
    "start",
    "impact",
    "mitigation",
    "mitigation_time",
    "mitigation_status",
    "next_update",
    "next_update_iso",
    "tracker",
    "status_page",
    "track_progress",
)

#: What a client reads before there is a mitigation milestone: no time is
#: claimed for a mitigation that has not happened.
INVESTIGATING = "Our team is investigating and working on mitigation."
#: Where a client email points when the playbook names no status page: never
#: an internal reference the client cannot open.
NO_STATUS_PAGE = "We will keep you updated by email."


def template_fields(
    incident: Incident,
    playbook: Playbook,
    now: datetime,
    mitigation: str | None,
) -> dict[str, str]:
    """Every placeholder's value, true at ``now``.

    ``mitigation_time`` and ``mitigation_status`` come from the mitigated
    milestone (stamped when the stage moves past mitigate, or corrected with
    ``/milestone mitigated``), never from the clock: before it, no time is
    claimed. ``status_page`` and ``track_progress`` come from the playbook's
    ``status_page_url``; ``tracker`` is the internal tracker (or the ref).
    """
    severity = playbook.severity_of(incident.severity)
    next_update = now + timedelta(minutes=severity.update_every_minutes)
    tracker = playbook.incident_doc(incident.id, incident.ref) or incident.ref
    mitigated = incident.milestones.mitigated_at
    mitigated_at = _hhmm(parse_time(mitigated)) if mitigated else None
    status_page = playbook.status_page_url
    return {
        "severity": str(incident.severity),
        "summary": incident.title,
        "start": incident.declared_at.replace("T", " ").replace("Z", " UTC"),
        "impact": incident.impact or "(impact being assessed)",
        "mitigation": mitigation or "(investigating)",
        "mitigation_time": mitigated_at or "(not yet: investigating)",
        "mitigation_status": (
            f"Our team put a mitigation in place at {mitigated_at}."
            if mitigated_at
            else INVESTIGATING
        ),
        "next_update": _hhmm(next_update),
        "next_update_iso": format_time(next_update),
        "tracker": tracker,
        "status_page": status_page,
        "track_progress": (
            f"Track progress here: {status_page}" if status_page else NO_STATUS_PAGE
        ),
    }


def template_problem(template: str) -> str | None:
    """Why ``template`` cannot be filled, or None: only plain ``{name}``
    placeholders from :data:`TEMPLATE_FIELDS` are allowed (a format spec such
    as ``{summary:>99999999999}`` would be a MemoryError at the first update)."""
    from warroom.playbook import placeholder_problem

    return placeholder_problem(template, TEMPLATE_FIELDS)


def render_internal(
    incident: Incident, playbook: Playbook, now: datetime, mitigation: str | None
) -> str:
    """The internal (Slack) template; unknown placeholders are left as written."""
    fields = template_fields(incident, playbook, now, mitigation)
    return playbook.templates.internal.format_map(_Keep(fields))


def render_email(
    incident: Incident, playbook: Playbook, now: datetime, mitigation: str | None
) -> tuple[str, str]:
    """The client email's subject and body, from the playbook's email template."""
    fields = _Keep(template_fields(incident, playbook, now, mitigation))
    subject = playbook.templates.email_subject.format_map(fields)
    # A subject is one line, whatever the title held.
    subject = " ".join(subject.split())
    return subject, playbook.templates.email_body.format_map(fields)


class _Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
