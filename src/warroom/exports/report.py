"""The operations report written out: Markdown (the CLI's output), JSON
(``warroom.report/1``, the contract in DESIGN.md, written by pydantic-core), and
the compact Slack version ``report --post`` queues.

Stakeholder updates come first everywhere: no other tool reports whether the
people waiting on an incident heard from us when they were told they would.
Every figure is printed with its definition. Titles and owners are user
text: literal in Markdown (:func:`warroom.markdown.md_inline`), and in Slack
escaped when the message is sent (:func:`warroom.comms.slack.render_mrkdwn`),
so a title never becomes a mention, a link or a table column.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Final, Literal, TypedDict

from pydantic_core import to_json

from warroom.db.store import Store
from warroom.domain import figures
from warroom.domain.figures import UpdateDue
from warroom.domain.report import (
    FOLLOWUPS_DEFINITION,
    MISSING_DEFINITION,
    PERCENTILE_METHOD,
    REVIEW_DEFINITION,
    IncidentLine,
    Metric,
    Report,
    build_report,
)
from warroom.markdown import md_inline
from warroom.playbook import Playbook
from warroom.textsafe import printable

SCHEMA: Final = "warroom.report/1"
NO_INCIDENTS = "No incidents"
LABELS = {
    "time_to_detect": "Time to detect",
    "time_to_mitigate": "Time to mitigate",
    "time_to_resolve": "Time to resolve",
}


# -- small pieces ---------------------------------------------------------------


def duration(seconds: int | None) -> str:
    """``35s``, ``42m 10s``, ``3h 05m``, ``2d 04h``; ``—`` for none."""
    if seconds is None:
        return "—"
    seconds = max(0, seconds)
    if seconds < 60:
        return "%ds" % seconds  # noqa: UP031
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return "%dm %02ds" % (minutes, secs)  # noqa: UP031
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return "%dh %02dm" % (hours, minutes)  # noqa: UP031
    days, hours = divmod(hours, 24)
    return "%dd %02dh" % (days, hours)  # noqa: UP031


def _when(iso: str) -> str:
    """``2026-11-24 10:30`` (UTC), as a person reads a deadline."""
    return f"{iso[:10]} {iso[11:16]}"


def _share(part: int, whole: int) -> str:
    """A percentage that never reads 100% while one is missing (nor 0% with one there)."""
    if not whole:
        return "—"
    percent = round(100 * part / whole)
    if part < whole:
        percent = min(percent, 99)
    if part:
        percent = max(percent, 1)
    return f"{percent}%"


def _severities(report: Report) -> str:
    return " · ".join(f"{name}: {count}" for name, count in report.by_severity.items())


def _headline(report: Report) -> str:
    u = report.updates
    if not report.incidents:
        return "no incidents, no updates due"
    if not u.due:
        return "none fell due"
    return f"{u.on_time} of {u.due} on time ({_share(u.on_time, u.due)})"


#: "HH:MM" of each minute of a day, by ``hour * 60 + minute``.
_CLOCK = ["%02d:%02d" % divmod(minute, 60) for minute in range(24 * 60)]  # noqa: UP031


def _behind(line: IncidentLine, lateness: dict[int | None, str]) -> str:
    """The incident's updates that were not on time, on one line, in order:
    ``due 2026-11-25 09:15 sent 5m 00s late · 09:35 missed`` (the date is
    given again only when it changes). ``lateness``: durations written so far
    in this report (a few hundred values between them)."""
    parts: list[str] = []
    append = parts.append
    day = 0
    on_time, late, overdue = figures.ON_TIME, figures.LATE, figures.OVERDUE
    clock = _CLOCK
    # A year's report writes ~12,500 of these: the clock from a table, the
    # date only when it changes, each lateness written once (isoformat() or
    # %-formatting each cost a few times as much).
    for when, outcome, _sent, late_seconds in line.updates:
        if outcome == on_time:
            continue
        stamp = clock[when.hour * 60 + when.minute]
        if (ordinal := when.toordinal()) != day:
            day = ordinal
            stamp = f"{when.date().isoformat()} {stamp}"
        if outcome == late:
            took = lateness.get(late_seconds)
            if took is None:
                took = lateness[late_seconds] = duration(late_seconds)
            append(f"{stamp} sent {took} late")
        elif outcome == overdue:
            append(f"{stamp} overdue now")
        else:
            append(f"{stamp} missed")
    return "due " + " · ".join(parts)


def _behind_lines(report: Report) -> list[IncidentLine]:
    """The incidents with an update late, missed or overdue."""
    return [line for line in report.incidents if line.on_time != len(line.updates)]


# -- Markdown -------------------------------------------------------------------


def render_markdown(report: Report) -> str:
    """The full report, for people: headline first, definitions beside the figures."""
    with gc_paused():
        return _markdown(report)


def _markdown(report: Report) -> str:
    start, end = report.start, report.end
    out = [
        f"# Operations report: {_when(start)} → {_when(end)} UTC",
        "",
        f"Incidents declared from {_when(start)} up to {_when(end)} UTC, each counted whole"
        f" as of {_when(report.now)} UTC.",
        "",
    ]
    u = report.updates
    out += [f"## Stakeholder updates: {_headline(report)}", ""]
    if report.incidents:
        out += [
            "| due | on time | late | missed | overdue now |",
            "| ---: | ---: | ---: | ---: | ---: |",
            f"| {u.due} | {u.on_time} | {u.late} | {u.missed} | {u.overdue} |",
            "",
        ]
    out += [f"_How counted:_ {figures.PUNCTUALITY_DEFINITION}", ""]
    behind = _behind_lines(report)
    if behind:
        out += ["Not on time, by incident:", ""]
        lateness: dict[int | None, str] = {}
        out += [
            f"- {line.ref} (SEV-{line.severity}, {line.on_time} of {len(line.updates)}"
            f" on time): {_behind(line, lateness)}"
            for line in behind
        ]
        out.append("")

    out += [f"## Incidents: {len(report.incidents)}", ""]
    if not report.incidents:
        out += [f"{NO_INCIDENTS} were declared in this period.", ""]
    else:
        out += [_severities(report), ""]
        out += ["| figure | median | p90 | incidents |", "| --- | ---: | ---: | ---: |"]
        out += [_metric_row(metric) for metric in report.mttx]
        out.append("")
        out += [f"- _{LABELS[m.key]}:_ {m.definition}." for m in report.mttx]
        out += [f"- _Median and p90:_ {PERCENTILE_METHOD}.", ""]

    out += _followups_md(report)
    out += _missing_md(report)
    if report.incidents:
        out += [
            "## Every incident",
            "",
            "| ref | severity | title | status | detect | mitigate | resolve"
            " | updates on time / due | review |",
            "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
        ]
        out += [_incident_row(line) for line in report.incidents]
        out += ["", f"_Review:_ {REVIEW_DEFINITION}.", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _metric_row(metric: Metric) -> str:
    return (
        f"| {LABELS[metric.key]} | {duration(metric.median_seconds)}"
        f" | {duration(metric.p90_seconds)} | {metric.count} |"
    )


def _followups_md(report: Report) -> list[str]:
    count, overdue = len(report.followups), len(report.overdue_followups)
    out = [f"## Follow-ups: {count} open, {overdue} overdue", ""]
    if report.followups:
        today = report.now[:10]
        out += ["By owner (overdue first): " + _by_owner(report), ""]
        out += ["| owner | follow-up | incident | due |", "| --- | --- | --- | --- |"]
        for item in sorted(report.followups, key=lambda f: (f.due >= today, f.owner, f.due)):
            due = f"**{item.due} (overdue)**" if item.due < today else item.due
            out.append(f"| {md_inline(item.owner)} | {md_inline(item.text)} | {item.ref} | {due} |")
        out.append("")
    out += [f"_Counted:_ {FOLLOWUPS_DEFINITION}.", ""]
    return out


def _owners(report: Report) -> list[tuple[str, int, int]]:
    """(owner, open, overdue), most overdue first, then most open, then by name."""
    counts: dict[str, list[int]] = {}
    for item in report.followups:
        counts.setdefault(item.owner, [0, 0])[0] += 1
    for item in report.overdue_followups:
        counts[item.owner][1] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0]))
    return [(owner, total, late) for owner, (total, late) in ranked]


def _by_owner(report: Report) -> str:
    return ", ".join(
        f"{md_inline(owner)} {total} ({late} overdue)" if late else f"{md_inline(owner)} {total}"
        for owner, total, late in _owners(report)
    )


def _missing_md(report: Report) -> list[str]:
    missing = report.missing
    out = [f"## Missing milestones: {len(missing)} incident{'s' if len(missing) != 1 else ''}", ""]
    out += [f"- {line.ref}: {', '.join(line.missing)}" for line in missing]
    if missing:
        out.append("")
    out += [f"_Missing:_ {MISSING_DEFINITION}.", ""]
    return out


def _incident_row(line: IncidentLine) -> str:
    due = len(line.updates)
    return (
        f"| {line.ref} | SEV-{line.severity} | {md_inline(line.title)} | {line.status}"
        f" | {duration(line.time_to_detect)} | {duration(line.time_to_mitigate)}"
        f" | {duration(line.time_to_resolve)} | {line.on_time} / {due}"
        f" | {line.review} |"
    )


# -- JSON -----------------------------------------------------------------------


# The JSON's shape, as typed dicts (mypy checks what build_json makes), written
# by pydantic-core's to_json. The report is built here from data this module
# made: nothing to validate. A year's report holds ~28,000 deadlines: validated
# into pydantic models and written with json.dumps(indent=2) (the pure-Python
# encoder) they took 4x the SQL (benchmarks/bench_report.py); to_json writes
# them in Rust. No TypeAdapter: building its schema cost a `--format json`
# run ~50 ms, for no check the types here do not already make.


class MetricOut(TypedDict):
    median_seconds: int | None
    p90_seconds: int | None
    count: int
    definition: str


class MttxOut(TypedDict):
    time_to_detect: MetricOut
    time_to_mitigate: MetricOut
    time_to_resolve: MetricOut
    percentile_method: str


class UpdatesOut(TypedDict):
    due: int
    on_time: int
    late: int
    missed: int
    overdue: int
    definition: str


class FollowUpOut(TypedDict):
    incident: str
    text: str
    owner: str
    due: str
    overdue: bool


class FollowUpsOut(TypedDict):
    open: int
    overdue: int
    definition: str
    items: list[FollowUpOut]


class UpdateDueOut(TypedDict):
    #: The deadline, ``2026-11-24T10:30:00Z`` (:func:`_deadline_stamps`).
    due: str
    outcome: Literal["on_time", "late", "missed", "overdue"]
    sent_at: str | None


class RowOut(TypedDict):
    ref: str
    severity: str
    title: str
    status: str
    declared_at: str
    time_to_detect_seconds: int | None
    time_to_mitigate_seconds: int | None
    time_to_resolve_seconds: int | None
    updates_due: int
    updates_on_time: int
    updates: list[UpdateDueOut]
    review: str
    missing_milestones: list[str]


#: ``schema`` and ``from`` are not names a class body may use.
ReportOut = TypedDict(
    "ReportOut",
    {
        "schema": Literal["warroom.report/1"],
        "from": str,
        "to": str,
        "now": str,
        "incidents": int,
        "by_severity": dict[str, int],
        "mttx": MttxOut,
        "updates": UpdatesOut,
        "followups": FollowUpsOut,
        "missing_milestones": list[str],
        "list": list[RowOut],
    },
)


def _metric_out(metric: Metric) -> MetricOut:
    return {
        "median_seconds": metric.median_seconds,
        "p90_seconds": metric.p90_seconds,
        "count": metric.count,
        "definition": metric.definition,
    }


def build_json(report: Report) -> ReportOut:
    u = report.updates
    metrics = {metric.key: _metric_out(metric) for metric in report.mttx}
    today = report.now[:10]
    days: dict[int, str] = {}
    return {
        "schema": SCHEMA,
        "from": report.start,
        "to": report.end,
        "now": report.now,
        "incidents": len(report.incidents),
        "by_severity": report.by_severity,
        "mttx": {
            "time_to_detect": metrics["time_to_detect"],
            "time_to_mitigate": metrics["time_to_mitigate"],
            "time_to_resolve": metrics["time_to_resolve"],
            "percentile_method": PERCENTILE_METHOD,
        },
        "updates": {
            "due": u.due,
            "on_time": u.on_time,
            "late": u.late,
            "missed": u.missed,
            "overdue": u.overdue,
            "definition": figures.PUNCTUALITY_DEFINITION,
        },
        "followups": {
            "open": len(report.followups),
            "overdue": len(report.overdue_followups),
            "definition": FOLLOWUPS_DEFINITION,
            "items": [
                {
                    "incident": f.ref,
                    "text": f.text,
                    "owner": f.owner,
                    "due": f.due,
                    "overdue": f.due < today,
                }
                for f in report.followups
            ],
        },
        "missing_milestones": [line.ref for line in report.missing],
        "list": [_row_out(line, days) for line in report.incidents],
    }


_SECONDS = [":%02dZ" % second for second in range(60)]  # noqa: UP031


def _updates_out(updates: Sequence[UpdateDue], days: dict[int, str]) -> list[UpdateDueOut]:
    """Each deadline that fell due, its time as stored times read (ISO 8601, ``Z``).

    A year's JSON writes ~28,000: each day's date once per report (``days``),
    the clock from tables (``isoformat()`` costs a few times as much, and
    pydantic writing the datetimes itself twice as much as writing strings)."""
    out: list[UpdateDueOut] = []
    append = out.append
    clock, seconds = _CLOCK, _SECONDS
    current, day = 0, ""  # an incident's deadlines mostly fall on one day
    for due, outcome, sent_at, _late in updates:
        if due.microsecond:
            stamp = due.isoformat().replace("+00:00", "Z")
        else:
            if (ordinal := due.toordinal()) != current:
                current = ordinal
                day = days.get(ordinal) or days.setdefault(ordinal, f"{due.date().isoformat()}T")
            stamp = day + clock[due.hour * 60 + due.minute] + seconds[due.second]
        append({"due": stamp, "outcome": outcome, "sent_at": sent_at})  # type: ignore[typeddict-item]
    return out


def _row_out(line: IncidentLine, days: dict[int, str]) -> RowOut:
    return {
        "ref": line.ref,
        "severity": f"SEV-{line.severity}",
        "title": line.title,
        "status": line.status,
        "declared_at": line.declared_at,
        "time_to_detect_seconds": line.time_to_detect,
        "time_to_mitigate_seconds": line.time_to_mitigate,
        "time_to_resolve_seconds": line.time_to_resolve,
        "updates_due": len(line.updates),
        "updates_on_time": line.on_time,
        "updates": _updates_out(line.updates, days),
        "review": line.review,
        "missing_milestones": list(line.missing),
    }


def render_json(report: Report) -> str:
    """``warroom.report/1``, indented by two, non-ASCII as it is (as ``json.dumps``
    with ``indent=2, ensure_ascii=False`` writes it, byte for byte)."""
    return render_json_bytes(report).decode()


def render_json_bytes(report: Report) -> bytes:
    """:func:`render_json` as UTF-8, as pydantic writes it: what the CLI prints
    (a year's JSON is ~5 MB; decoding it only to encode it again costs ~5 ms)."""
    with gc_paused():
        data = build_json(report)
        return to_json(data, indent=2) + b"\n"


# -- Slack ----------------------------------------------------------------------

#: The compact version stays well inside one message (Slack: 4,000 characters of
#: text, 3,000 a section; comms.slack cuts at 3,900 with a visible mark): lists
#: stop early and say how many more there are.
SLACK_BUDGET = 3000
TITLE_WIDTH = 60


def render_slack(report: Report, *, full_command: str = "warroom report") -> str:
    """The compact report for Slack: plain text with warroom's own *bold*.

    Not escaped here: the outbox keeps what a person would see, and
    :func:`warroom.comms.slack.render_mrkdwn` escapes ``&``, ``<`` and ``>`` and
    makes control characters visible when it is sent, so a title such as
    ``<!channel>`` is shown, never obeyed.
    """
    u = report.updates
    head = [
        f"*Operations report* {_when(report.start)} → {_when(report.end)} UTC",
        f"*Stakeholder updates: {_headline(report)}*"
        + (
            f" · due {u.due}, on time {u.on_time}, late {u.late}, missed {u.missed}"
            + (f", overdue now {u.overdue}" if u.overdue else "")
            if u.due
            else ""
        ),
    ]
    if not report.incidents:
        head.append(f"{NO_INCIDENTS} declared in this period.")
    else:
        head.append(f"Incidents: {len(report.incidents)} ({_severities(report)})")
        for metric in report.mttx:
            head.append(
                f"{LABELS[metric.key]}: median {duration(metric.median_seconds)},"
                f" p90 {duration(metric.p90_seconds)} ({metric.count} incidents)"
            )
    chase = f"Follow-ups: {len(report.followups)} open, {len(report.overdue_followups)} overdue"
    overdue_by = [(owner, late) for owner, _total, late in _owners(report) if late]
    if overdue_by:
        shown = ", ".join(f"{_one_line(owner)} {late}" for owner, late in overdue_by[:10])
        more = f" and {len(overdue_by) - 10} more" if len(overdue_by) > 10 else ""
        chase += f" (overdue: {shown}{more})"
    head.append(chase)
    missing = report.missing
    if missing:
        head.append(
            "Missing milestones: "
            + ", ".join(f"{m.ref} ({', '.join(m.missing)})" for m in missing[:10])
            + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        )
    lists: list[str] = []
    behind = _behind_lines(report)
    if behind:
        lists.append("*Not on time*")
        lists += [_slack_behind(line) for line in behind]
    if report.incidents:
        lists.append("*Incidents*")
        lists += [_slack_row(line) for line in report.incidents]
    text = "\n".join(head)
    tail = f"Definitions and every row: `{full_command}`"
    size = _sent_len(text) + _sent_len(tail) + 40
    for index, item in enumerate(lists):
        left = len(lists) - index
        size += _sent_len(item) + 1
        if size > SLACK_BUDGET:
            text += f"\n… {left} more line{'s' if left != 1 else ''}"
            break
        text += "\n" + item
    return text + "\n" + tail


def _sent_len(text: str) -> int:
    """Length as Slack counts it once escaped (``<`` goes as ``&lt;``)."""
    from warroom.comms.slack import escape, slack_len

    return slack_len(escape(text))


def _one_line(text: str) -> str:
    flat = printable(" ".join(text.split()))
    return flat if len(flat) <= TITLE_WIDTH else flat[: TITLE_WIDTH - 1] + "…"


def _slack_behind(line: IncidentLine) -> str:
    """``• INC-7 SEV-2: 2 of 5 on time (2 late, 1 missed)``: the Markdown has each deadline."""
    counts = [
        f"{n} {word}"
        for n, word in ((line.late, "late"), (line.missed, "missed"), (line.overdue, "overdue now"))
        if n
    ]
    return (
        f"• {line.ref} SEV-{line.severity}: {line.on_time} of {len(line.updates)} on time"
        f" ({', '.join(counts)})"
    )


def _slack_row(line: IncidentLine) -> str:
    due = len(line.updates)
    return (
        f"• {line.ref} SEV-{line.severity} {line.status}: {_one_line(line.title)}"
        f" · resolve {duration(line.time_to_resolve)}"
        f" · updates {line.on_time}/{due} on time · review {line.review}"
    )


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a moment, then as it was.

    A year's report makes ~100,000 small tuples (rows, deadlines) that all live
    until it is written and hold no cycles; the collector would walk them again
    and again as they are made, a third of the report's time (measured with
    benchmarks/bench_report.py)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def make_report(
    store: Store, playbook: Playbook, start: datetime, end: datetime, now: datetime
) -> Report:
    """The report for incidents declared in [start, end), read in three queries."""
    from warroom.db import reports

    with gc_paused():
        return build_report(
            start=start,
            end=end,
            now=now,
            incidents=reports.incidents_in(store, start, end),
            followups=reports.open_followups(store, end),
            playbook=playbook,
        )


def report_bytes(
    store: Store,
    playbook: Playbook,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    fmt: str = "md",
) -> bytes:
    """The report as ``warroom report`` prints it (``fmt``: ``md`` or ``json``),
    in one go, as the UTF-8 bytes it writes.

    The collector stays off from the first query to the last line, and the
    report's objects (~60,000 in a year: rows, deadlines, lines) are freed
    before it is back on. Turned back on with them alive, its next pass walks
    every one of them once (~14 ms a year, measured with
    benchmarks/bench_report.py); freed first, there is nothing left to walk."""
    with gc_paused():
        report = make_report(store, playbook, start, end, now)
        out = render_json_bytes(report) if fmt == "json" else render_markdown(report).encode()
        del report
    return out
