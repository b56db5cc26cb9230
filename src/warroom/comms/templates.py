"""The playbook's communication templates, filled from the live incident."""

from __future__ import annotations

from datetime import datetime, timedelta

from warroom.clock import format_time
from warroom.models import Incident
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
    "next_update",
    "next_update_iso",
    "tracker",
)


def template_fields(
    incident: Incident,
    playbook: Playbook,
    now: datetime,
    mitigation: str | None,
    mitigation_started: datetime | None = None,
) -> dict[str, str]:
    severity = playbook.severity_of(incident.severity)
    next_update = now + timedelta(minutes=severity.update_every_minutes)
    tracker = (
        playbook.tracker_url.format(id=incident.id, ref=incident.ref)
        if playbook.tracker_url
        else incident.ref
    )
    return {
        "severity": str(incident.severity),
        "summary": incident.title,
        "start": incident.declared_at.replace("T", " ").replace("Z", " UTC"),
        "impact": incident.impact or "(impact being assessed)",
        "mitigation": mitigation or "(investigating)",
        "mitigation_time": _hhmm(mitigation_started or now),
        "next_update": _hhmm(next_update),
        "next_update_iso": format_time(next_update),
        "tracker": tracker,
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
    incident: Incident,
    playbook: Playbook,
    now: datetime,
    mitigation: str | None,
    mitigation_started: datetime | None = None,
) -> tuple[str, str]:
    """The client email's subject and body, from the playbook's email template."""
    fields = _Keep(template_fields(incident, playbook, now, mitigation, mitigation_started))
    subject = playbook.templates.email_subject.format_map(fields)
    # A subject is one line, whatever the title held.
    subject = " ".join(subject.split())
    return subject, playbook.templates.email_body.format_map(fields)


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
