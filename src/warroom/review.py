"""The post-incident review document (Markdown) and its meeting invite (iCalendar).

The playbook's review asks for the timeline, root cause and contributing
factors, resolution steps and follow-up actions with owners and due dates; the
document leads with a summary and ends with the figures (time to mitigate and
resolve, updates sent against due and how late).

User text is shown literally: Markdown specials are backslash-escaped (so
``[bold]``, ``<!channel>`` or ``# not a heading`` stay text), control and bidi
characters are made visible, and multi-line review text keeps its lines and
paragraphs. The timeline is written in one pass over the rows, so reviewing a
100,000-entry incident costs about what reading it does.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from warroom.businessdays import propose_review_date
from warroom.clock import format_duration, format_time, parse_time
from warroom.figures import (
    TIMING_KINDS,
    Figures,
    LateUpdate,
    LiveClocks,
    compute_figures,
    figures_for,
    impact_start,
    live_clocks,
)
from warroom.models import Entry, Incident, Review
from warroom.playbook import Playbook
from warroom.store import Store
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
]

#: Characters that can mean something inline in Markdown (CommonMark + GFM),
#: escaped wherever they appear in user text: emphasis, code, links and images
#: (with ``[`` and ``]`` escaped, parentheses are inert), HTML and autolinks,
#: table cells, strikethrough, and ``&`` (or ``&amp;`` would render as ``&``).
#: Those that only matter at the start of a line are handled there.
_MD_SPECIAL = re.compile(r"[\\`*_\[\]<>!|~&]")
#: At the start of a line, digits then ``.`` or ``)`` would make a numbered list.
_ORDINAL = re.compile(r"\d+(?=[.)])")
_NEEDS_CARE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_DECLARED_SEV = re.compile(r"SEV-\d+")

REVIEW_START = dtime(10, 0)
REVIEW_MINUTES = 60


# -- Markdown text ----------------------------------------------------------------


def md_inline(text: str) -> str:
    """User text on one Markdown line: literal, line breaks shown as ⏎, no escapes."""
    text = _MD_SPECIAL.sub(r"\\\g<0>", text)
    if _NEEDS_CARE.search(text) is not None:  # rare: only then pay for the rest
        text = printable(_NEWLINES.sub(" ⏎ ", text))
    return text


def md_block(text: str, *, empty: str = "_Not written yet._") -> str:
    """Multi-line user text as Markdown paragraphs, every line kept and literal.

    Blank lines separate paragraphs; other line breaks are hard breaks. A line
    that would start a list, a heading or a code block is escaped, so what
    was typed is what is read.
    """
    if not text.strip():
        return empty
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in _NEWLINES.split(text.strip("\r\n")):
        if not raw.strip():
            if current:
                paragraphs.append("\\\n".join(current))
                current = []
            continue
        line = _MD_SPECIAL.sub(r"\\\g<0>", raw.rstrip())
        line = _escape_line_start(line)
        current.append(printable(line))
    if current:
        paragraphs.append("\\\n".join(current))
    return "\n\n".join(paragraphs)


def _escape_line_start(line: str) -> str:
    """Indentation would make a code block: keep it, as no-break spaces."""
    stripped = line.lstrip(" ")
    indent = len(line) - len(stripped)
    if stripped.startswith(("-", "=", "+", "#")):
        stripped = "\\" + stripped
    elif (m := _ORDINAL.match(stripped)) is not None:
        stripped = f"{m.group()}\\{stripped[m.end() :]}"
    return "\u00a0" * indent + stripped


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


def _span(incident: Incident, special: list[Entry], now: datetime) -> tuple[str, str]:
    """When the incident began (as far as the record shows) and when impact ended."""
    m = incident.milestones
    backdated = [e.occurred_at for e in special if e.occurred_at]
    begun = [t for t in (incident.declared_at, m.impact_started_at, m.detected_at, *backdated) if t]
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
        from warroom.clock import SystemClock

        now = SystemClock().now()
    review = store.review(incident.id)
    # One pass for everything but the timeline itself: the figures' replay,
    # the handovers, and backdated notes (the earliest time shown).
    special = store.entries_of_kinds(incident.id, (*TIMING_KINDS, "role"), or_backdated=True)
    first, last = _span(incident, special, now)
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
    lines += _roles_section(incident, [e for e in special if e.kind == "role"], at)
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
    lines += _figures_section(figures, at)
    lines += _checklist_section(incident, at)
    return "\n".join(lines).rstrip("\n") + "\n"


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
        if declared is not None and (found := _DECLARED_SEV.search(declared.text)):
            history.insert(0, f"declared {found.group()}")
        text += f" ({'; '.join(history)})"
    return text


def _severity_change(entry: Entry, at: _Times) -> str:
    """``raised to SEV-1 at 22:05:00`` from ``severity raised: SEV-2 → SEV-1 (…)``."""
    verb = "lowered" if entry.text.startswith("severity lowered") else "raised"
    found = re.search(r"→ (SEV-\d+)", entry.text)
    level = found.group(1) if found else "?"
    return f"{verb} to {level} at {at(entry.at)}"


def _duration_text(incident: Incident, figures: Figures, now: datetime) -> str:
    if figures.time_to_resolve_seconds is not None:
        return f"{format_duration(figures.time_to_resolve_seconds)} (impact start to resolution)"
    so_far = int((now - parse_time(impact_start(incident))).total_seconds())
    return f"{format_duration(so_far)} so far (not resolved)"


def _roles_section(incident: Incident, changes: list[Entry], at: _Times) -> list[str]:
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
    if changes:
        lines += ["### Handovers", ""]
        lines += [f"- {at(e.at)} {md_inline(e.text)} (by {md_inline(e.author)})" for e in changes]
        lines.append("")
    return lines


def _timeline_sections(store: Store, incident: Incident, at: _Times) -> list[str]:
    """Key events (starred), then every entry, one line each."""
    lines = _entry_lines(store, incident.id, at.day if at.one_day else None)
    # Every line starts with the markup SQLite wrote, so this cannot be faked.
    key_events = [line for line in lines if line.startswith("- ★ ")]
    return [
        "## Key events",
        "",
        *(key_events or ["_None starred: /star N marks an entry as a key event._"]),
        "",
        "## Timeline",
        "",
        *lines,
        "",
    ]


#: Separates rows while the whole timeline is escaped as one string.
_ROW_SEP = "\x1f"
#: What :func:`md_inline` makes visible, bar the row separator (newlines are
#: already replaced when this is used).
_CARE_NOT_SEP = re.compile("[\x00-\x1e\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def _line_sql(day: str | None) -> str:
    """One Markdown line per entry, built by SQLite.

    ``- ★ #12 22:03:40 — carol (decision): text``: times on ``day`` (a one-day
    incident's day) as ``HH:MM:SS``, others as the stored ISO stamp (see
    :class:`_Times`). Nothing is escaped yet: the caller escapes all of it. A struck
    entry comes back as NULL, then its head and text apart, to wrap the text
    in ``~~``; for the others those two columns are NULL.
    """

    def when(column: str) -> str:
        if day is None:
            return column
        return (
            f"CASE WHEN substr({column}, 1, 10) = :day"
            f" THEN substr({column}, 12, 8) ELSE {column} END"
        )

    head = (
        "CASE WHEN starred THEN '- ★ #' ELSE '- #' END || seq || ' ' ||"
        f" CASE WHEN occurred_at IS NULL THEN {when('at')}"
        f" ELSE {when('occurred_at')} || ' (logged ' || {when('at')} || ')' END"
        " || ' — ' || author"
        " || CASE WHEN kind = 'note' THEN ': ' ELSE ' (' || kind || '): ' END"
    )
    return (
        f"SELECT CASE WHEN struck THEN NULL ELSE {head} || text END,"
        f" CASE WHEN struck THEN {head} END, CASE WHEN struck THEN text END"
        " FROM entries WHERE incident_id = :incident_id ORDER BY seq"
    )


def _entry_lines(store: Store, incident_id: int, day: str | None) -> list[str]:
    """The timeline as Markdown lines, every character of them escaped.

    Why this shape: the review of 100,000 entries should cost about what
    reading them does. SQLite builds each line (no Python object per column)
    and the escaping runs once over all the lines joined, not 100,000 times.
    The markup added here (``- ★ #12``, ``—``, ``(kind):``) holds no character
    that gets escaped, so escaping everything equals escaping the user text.
    """
    rows = store.query(_line_sql(day), {"incident_id": incident_id, "day": day})
    if not rows:
        return []
    raw = [row[0] for row in rows]
    struck = [i for i, line in enumerate(raw) if line is None] if None in raw else []
    big = _ROW_SEP.join([line or "" for line in raw] if struck else raw)
    if big.count(_ROW_SEP) != len(raw) - 1:
        # Someone typed the row separator into an entry: escape row by row.
        lines = [md_inline(line) if line is not None else "" for line in raw]
    else:
        big = _escape_all(big)
        lines = big.split(_ROW_SEP)
    for index in struck:
        _, head, text = rows[index]
        lines[index] = f"{md_inline(head)}~~{md_inline(text)}~~ (struck)"
    return lines


def _escape_all(big: str) -> str:
    """:func:`md_inline` over many lines joined by :data:`_ROW_SEP`, in a few passes."""
    big = _MD_SPECIAL.sub(_backslashed, big)
    if "\n" in big or "\r" in big:
        big = big.replace("\r\n", " ⏎ ").replace("\r", " ⏎ ").replace("\n", " ⏎ ")
    if not big.replace(_ROW_SEP, " ").isprintable():
        # Rare (controls, bidi marks; also no-break spaces): make them visible.
        big = _CARE_NOT_SEP.sub(lambda m: printable(m.group()), big)
    return big


def _backslashed(match: re.Match[str]) -> str:
    return "\\" + match.group()


def _followups_section(store: Store, incident: Incident) -> list[str]:
    followups = store.followups(incident.id)
    lines = ["## Follow-up actions", ""]
    if not followups:
        return [*lines, "_None recorded: /fu TEXT @OWNER adds one._", ""]
    lines += ["| # | Action | Owner | Due | Done |", "| --- | --- | --- | --- | --- |"]
    for number, f in enumerate(followups, start=1):
        done = f"yes, {f.done_at[:10]}" if f.done and f.done_at else "yes" if f.done else "no"
        lines.append(
            f"| {number} | {md_inline(f.text)} | {md_inline(f.owner)} | {f.due} | {done} |"
        )
    lines.append("")
    return lines


def _figures_section(figures: Figures, at: _Times) -> list[str]:
    late = figures.updates_late
    lines = [
        "## Figures",
        "",
        f"- **Time to mitigate:** {_duration(figures.time_to_mitigate_seconds)}",
        f"- **Time to resolve:** {_duration(figures.time_to_resolve_seconds)}",
        f"- **Stakeholder updates:** {figures.updates_sent} sent, {figures.updates_due} due",
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
    lines.append("")
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
