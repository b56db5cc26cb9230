"""The post-incident review document (Markdown) and its meeting invite (iCalendar).

The playbook's review asks for the timeline, root cause and contributing
factors, resolution steps and follow-up actions with owners and due dates; the
document leads with a summary and ends with the figures (time to mitigate and
resolve, updates sent against due and how late).

User text is shown literally (see :mod:`warroom.markdown`). SQLite writes
the timeline as one string in one pass over the rows, so reviewing a
100,000-entry incident costs about what reading it does.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from warroom.clock import format_duration, format_time, parse_time
from warroom.db.review_lines import Lines, joined_lines, line_parts
from warroom.db.store import Store
from warroom.domain.businessdays import propose_review_date
from warroom.domain.events import load_data
from warroom.domain.figures import (
    Figures,
    LateUpdate,
    LiveClocks,
    compute_figures,
    impact_start,
    live_clocks,
)
from warroom.domain.models import Entry, Incident, Review
from warroom.markdown import (
    md_block,
    md_inline,
    md_row,
    md_rows,
)
from warroom.playbook import Playbook
from warroom.textsafe import printable

__all__ = [
    "Figures",
    "LateUpdate",
    "LiveClocks",
    "compute_figures",
    "figures_for",
    "live_clocks",
    "proposed_review_date",
    "render_ics",
    "render_review",
    "review_date",
    "review_invite",
]

_NEWLINES = re.compile(r"\r\n|\r|\n")

REVIEW_START = dtime(10, 0)
REVIEW_MINUTES = 60


# -- times --------------------------------------------------------------------------


class _Times:
    """Times as the document shows them.

    When the incident itself (impact start, or an earlier backdated note, to
    resolution, or to now while open) falls on one UTC day, that day is named
    once at the top and its times are ``HH:MM:SS``; a time on any other day
    (the review written days later) keeps its full ISO 8601 stamp. When the
    incident spans days, every time is a full stamp: none is ever ambiguous.
    """

    def __init__(self, first: str, last: str) -> None:
        self.one_day = first[:10] == last[:10]
        self.day = first[:10]

    def __call__(self, iso: str | None) -> str:
        if not iso:
            return "—"
        return iso[11:19] if self.one_day and iso[:10] == self.day else iso


def _span(incident: Incident, backdated: str | None, now: datetime) -> tuple[str, str]:
    """When the incident began (as far as the record shows) and when impact ended."""
    m = incident.milestones
    begun = [t for t in (incident.declared_at, m.impact_started_at, m.detected_at, backdated) if t]
    ended = incident.resolved_at or format_time(now)
    return min(begun), max(ended, incident.declared_at)


# -- the review date ----------------------------------------------------------------


def proposed_review_date(incident: Incident, playbook: Playbook, now: datetime) -> date:
    """Resolution date + the playbook's business days (from today if not resolved)."""
    base = incident.resolved_at or format_time(now)
    return propose_review_date(base, playbook.review_within_business_days, playbook.holidays)


def review_date(review: Review, incident: Incident, playbook: Playbook, now: datetime) -> date:
    """The meeting date set on the review screen, else the proposed one."""
    if review.review_at:
        return date.fromisoformat(review.review_at)
    return proposed_review_date(incident, playbook, now)


# -- the document -------------------------------------------------------------------


def _duration(seconds: int | None) -> str:
    return "—" if seconds is None else format_duration(seconds)


def render_review(
    store: Store, incident: Incident, playbook: Playbook, *, now: datetime | None = None
) -> str:
    """The post-incident review of ``incident`` as Markdown.

    ``now`` matters only while the incident is open (duration so far, updates
    due so far, the proposed meeting date); it defaults to the system clock.
    """
    if now is None:
        from warroom.clock import system_clock

        now = system_clock().now()
    review = store.review(incident.id)
    # Through indexes, not the whole timeline: what the figures replay, and
    # the earliest time the document will show.
    special = store.timing_events(incident.id)
    first, last = _span(incident, store.earliest_backdated(incident.id), now)
    at = _Times(first, last)
    figures = compute_figures(incident, special, playbook, now)
    sev = playbook.severity(incident.severity) if _known(playbook, incident) else None
    m = incident.milestones
    lines: list[str] = [
        f"# {incident.ref}: {md_inline(incident.title)}",
        "",
        "Post-incident review. All times are UTC"
        + (f", on {at.day} unless a date is given." if at.one_day else "."),
        "",
        "## Summary",
        "",
        f"- **Severity:** {_severity_text(incident, sev, special, at)}",
        f"- **Status:** {incident.status} (stage: {incident.stage})",
        f"- **Impact:** {md_inline(incident.impact) or '(not recorded)'}",
        f"- **Duration:** {_duration_text(incident, figures, now)}",
        *_earlier_than_impact(store, incident, at),
        f"- **Impact started:** {at(impact_start(incident))}",
        f"- **Detected:** {at(m.detected_at)}",
        f"- **Declared:** {at(incident.declared_at)}",
        f"- **Mitigated:** {at(m.mitigated_at)}",
        f"- **Resolved:** {at(incident.resolved_at)}",
    ]
    if m.closed_at:
        lines.append(f"- **Closed:** {at(m.closed_at)}")
    meeting = review_date(review, incident, playbook, now)
    invitees = ", ".join(playbook.review_invitees) or "(none listed)"
    lines += [
        f"- **Review meeting:** {meeting.isoformat()}"
        + ("" if review.review_at else " (proposed)")
        + f"; invitees: {md_inline(invitees)}",
        "",
    ]
    lines += _roles_section(store, incident, at)
    lines += _timeline_sections(store, incident, at)
    lines += [
        "## Root cause and contributing factors",
        "",
        "### Root cause",
        "",
        md_block(review.root_cause),
        "",
        "### Contributing factors",
        "",
        md_block(review.contributing_factors),
        "",
        "## Resolution steps",
        "",
        md_block(review.resolution_steps),
        "",
    ]
    lines += _followups_section(store, incident)
    lines += _figures_section(figures, at, _deliveries(store, incident, at))
    lines += _checklist_section(incident, at)
    return "\n".join(lines)


def _known(playbook: Playbook, incident: Incident) -> bool:
    return any(s.level == incident.severity for s in playbook.severities)


def _severity_text(incident: Incident, sev, special: list[Entry], at: _Times) -> str:
    text = f"SEV-{incident.severity}"
    if sev is not None:
        text += f" — {md_inline(sev.description)}"
    changes = [e for e in special if e.kind == "severity"]
    declared = next((e for e in special if e.kind == "declared"), None)
    if changes:
        history = [_severity_change(e, at) for e in changes]
        level = load_data(declared.data).get("severity") if declared is not None else None
        if isinstance(level, int):
            history.insert(0, f"declared SEV-{level}")
        text += f" ({'; '.join(history)})"
    return text


def _severity_change(entry: Entry, at: _Times) -> str:
    """``raised to SEV-1 at 22:05:00``, from the change's data."""
    data = load_data(entry.data)
    old, new = data.get("old"), data.get("new")
    if isinstance(old, int) and isinstance(new, int):
        verb = "raised" if new < old else "lowered"
    else:
        verb = "lowered" if data.get("verb") == "lowered" else "raised"
    level = f"SEV-{new}" if isinstance(new, int) else "?"
    return f"{verb} to {level} at {at(entry.at)}"


def _duration_text(incident: Incident, figures: Figures, now: datetime) -> str:
    if figures.time_to_resolve_seconds is not None:
        return f"{format_duration(figures.time_to_resolve_seconds)} (impact start to resolution)"
    so_far = int((now - parse_time(impact_start(incident))).total_seconds())
    return f"{format_duration(so_far)} so far (not resolved)"


def _earlier_than_impact(store: Store, incident: Incident, at: _Times) -> list[str]:
    """A line under the duration when a backdated entry is earlier than impact
    start: the duration and the figures count from impact start, so an
    earlier first sign must not be silently left out of them."""
    earliest = store.earliest_backdated_entry(incident.id)
    start = impact_start(incident)
    if earliest is None or parse_time(earliest[1]) >= parse_time(start):
        return []
    seq, when = earliest
    return [
        f"  - entry #{seq} at {at(when)} is earlier than impact start {at(start)};"
        " correct the milestone if impact began then"
        " (`/milestone impact_started HH:MM REASON`)"
    ]


def _roles_section(store: Store, incident: Incident, at: _Times) -> list[str]:
    roles = incident.roles
    lines = [
        "## Roles",
        "",
        f"- Incident Commander: {md_inline(roles.incident_commander or '(unassigned)')}",
        f"- Communications Lead: {md_inline(roles.communications_lead or '(unassigned)')}",
        f"- Scribe: {md_inline(roles.scribe or '(unassigned)')}",
        "- Response Engineers: " + (md_inline(", ".join(roles.response_engineers)) or "(none)"),
        "",
    ]
    day = at.day if at.one_day else None
    handovers = _md_entries(store, incident.id, day, "handovers")
    if handovers:
        lines += ["### Handovers", "", handovers, ""]
    return lines


def _timeline_sections(store: Store, incident: Incident, at: _Times) -> list[str]:
    """Key events (starred), then every entry, one line each."""
    day = at.day if at.one_day else None
    everything = _md_entries(store, incident.id, day, "timeline")
    key_events = _md_entries(store, incident.id, day, "key_events")
    return [
        "## Key events",
        "",
        key_events or "_None starred: /star N marks an entry as a key event._",
        "",
        "## Timeline",
        "",
        *([everything] if everything else []),
        "",
    ]


def _md_entries(store: Store, incident_id: int, day: str | None, which: Lines) -> str:
    """Entries, one Markdown line each, joined by newlines.

    Why this shape: SQLite builds each line and joins them all into one UTF-8
    string (:func:`warroom.db.review_lines.joined_lines`: no Python object per
    row or column), and :func:`md_rows` escapes that string in a few C-speed
    passes. Should user text hold the characters that mark rows, the rows are
    escaped one by one instead.
    """
    joined, rows, struck = joined_lines(store, incident_id, day, which)
    escaped = md_rows(joined, rows=rows, struck=struck)
    if escaped is not None:
        return escaped
    return "\n".join(
        md_row(head, text, struck=struck)
        for head, text, struck in line_parts(store, incident_id, day, which)
    )


def _ticket_cell(ticket: str | None, url: str | None) -> str:
    """The tracker's issue: GitHub's URL as it is, Jira's key linked to its page."""
    if not ticket:
        return "-"
    if not url or not _LINKABLE.fullmatch(url):
        return md_inline(ticket)
    if url != ticket:
        return f"[{md_inline(ticket)}](<{url}>)"
    return f"<{url}>"


#: A URL that can sit in ``<…>`` as is (the tracker's answer, not trusted blindly).
_LINKABLE = re.compile(r"https?://[^\s<>|\\`]+")


def _followups_section(store: Store, incident: Incident) -> list[str]:
    followups = store.followups(incident.id)
    lines = ["## Follow-up actions", ""]
    if not followups:
        return [*lines, "_None recorded: /fu TEXT @OWNER adds one._", ""]
    # The Ticket column appears once any follow-up is in the tracker.
    tickets = any(f.ticket for f in followups)
    if tickets:
        lines += [
            "| # | Action | Owner | Due | Done | Ticket |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
    else:
        lines += ["| # | Action | Owner | Due | Done |", "| --- | --- | --- | --- | --- |"]
    for number, f in enumerate(followups, start=1):
        done = f"yes, {f.done_at[:10]}" if f.done and f.done_at else "yes" if f.done else "no"
        row = f"| {number} | {md_inline(f.text)} | {md_inline(f.owner)} | {f.due} | {done} |"
        if tickets:
            row += f" {_ticket_cell(f.ticket, f.ticket_url)} |"
        lines.append(row)
    lines.append("")
    return lines


def _deliveries(store: Store, incident: Incident, at: _Times) -> list[str]:
    """When each update queued for Slack or email was delivered (or that it was
    not): recorded is not delivered. Nothing for updates that were only recorded,
    so an incident without Slack or SMTP reads as it always did."""
    lines = []
    for update in store.updates(incident.id):
        if update.channel is None:
            continue
        where = "Slack" if update.channel == "slack" else "email"
        if update.delivery == "delivered" and update.delivered_at:
            state = f"delivered by {where} at {at(format_time(parse_time(update.delivered_at)))}"
        elif update.delivery == "unsure":
            state = f"sent by {where}, no answer: may not have arrived"
        elif update.delivery == "failed":
            state = f"not delivered by {where} (failed)"
        else:
            state = f"queued for {where}, not delivered yet"
        lines.append(f"  - {update.audience} update recorded at {at(update.at)}: {state}")
    return lines


def _figures_section(figures: Figures, at: _Times, deliveries: list[str]) -> list[str]:
    late = figures.updates_late
    lines = [
        "## Figures",
        "",
        f"- **Time to mitigate:** {_duration(figures.time_to_mitigate_seconds)}",
        f"- **Time to resolve:** {_duration(figures.time_to_resolve_seconds)}",
        f"- **Stakeholder updates:** {figures.updates_sent} sent, {figures.updates_due} due",
        *deliveries,
    ]
    if late:
        lines.append(
            f"- **Late updates:** {late}, late by {format_duration(figures.late_by_seconds_total)}"
            f" in all (worst {format_duration(figures.late_by_seconds_max)})"
        )
        lines += [
            f"  - update at {at(item.at)}: due {at(item.deadline)},"
            f" {format_duration(item.seconds)} late"
            for item in figures.late
        ]
    else:
        lines.append("- **Late updates:** none")
    lines.append("")
    return lines


def _checklist_section(incident: Incident, at: _Times) -> list[str]:
    lines = ["## Checklist", ""]
    for item in incident.checklist:
        done = f" ({at(item.done_at)}, {md_inline(item.done_by or '')})" if item.done else ""
        lines.append(f"- [{'x' if item.done else ' '}] {md_inline(item.label)}{done}")
    if not incident.checklist:
        lines.append("_The playbook has no checklist._")
    lines.append("")  # the document ends with one newline
    return lines


# -- the meeting invite (RFC 5545) -------------------------------------------------


def ics_text(text: str) -> str:
    """An RFC 5545 TEXT value: ``\\ ; ,`` and newlines escaped, controls made visible."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = _NEWLINES.sub("\\\\n", text)
    return printable(text)


def fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character.

    Continuation lines start with one space, which counts toward their 75.
    """
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    limit = 75
    current = ""
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _ics_stamp(when: datetime) -> str:
    return format_time(when).replace("-", "").replace(":", "")


def figures_for(store: Store, incident: Incident, playbook: Playbook, now: datetime) -> Figures:
    """:func:`compute_figures` over the timing entries alone (one indexed query)."""
    return compute_figures(incident, store.timing_events(incident.id), playbook, now)


def review_invite(store: Store, incident: Incident, playbook: Playbook, now: datetime) -> str:
    """:func:`render_ics` with the incident's review and figures, as every export writes it."""
    figures = figures_for(store, incident, playbook, now)
    return render_ics(incident, store.review(incident.id), playbook, now=now, figures=figures)


def render_ics(
    incident: Incident,
    review: Review,
    playbook: Playbook,
    *,
    now: datetime,
    figures: Figures | None = None,
) -> str:
    """The review meeting as an iCalendar invite (one VEVENT, UTC times, CRLF).

    The meeting is 10:00-11:00 UTC on the review date (set on the review screen,
    else proposed). Invitees are listed in the description rather than as
    ATTENDEEs: they are groups (engineering, product, …), not addresses.
    """
    day = review_date(review, incident, playbook, now)
    start = datetime.combine(day, REVIEW_START, tzinfo=UTC)
    end = start + timedelta(minutes=REVIEW_MINUTES)
    description = [
        f"Post-incident review of {incident.ref}: {incident.title}",
        f"Severity: SEV-{incident.severity}. Status: {incident.status}.",
        f"Impact: {incident.impact or '(not recorded)'}",
        f"Invitees: {', '.join(playbook.review_invitees) or '(none listed)'}",
    ]
    if figures is not None:
        description.append(
            f"Time to mitigate: {_duration(figures.time_to_mitigate_seconds)};"
            f" time to resolve: {_duration(figures.time_to_resolve_seconds)}."
        )
    description.append(f"The review document: warroom export {incident.ref} --format md")
    uid_stamp = incident.declared_at.replace("-", "").replace(":", "")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//warroom//post-incident review//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{incident.ref}-{uid_stamp}-review@warroom",
        f"DTSTAMP:{_ics_stamp(now)}",
        f"DTSTART:{_ics_stamp(start)}",
        f"DTEND:{_ics_stamp(end)}",
        "SUMMARY:" + ics_text(f"Post-incident review: {incident.ref} {incident.title}"),
        "DESCRIPTION:" + ics_text("\n".join(description)),
        "STATUS:TENTATIVE",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)
