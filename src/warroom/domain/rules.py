"""The rules of an incident: what input is valid, and when the next update is due.

The deadline arithmetic lives here once. The service calls it to set the
live countdown as each change happens; the review's figures
(:mod:`warroom.domain.figures`) call the same functions to replay the
timeline's events afterwards. Before issue 10 the two were written twice and
could drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from warroom.clock import parse_time
from warroom.errors import CommandError, WarroomError

MAX_NAME = 64
MAX_TITLE = 200
#: An impact statement is a sentence or two: it heads Slack's root message and
#: every stakeholder update.
MAX_IMPACT = 500
#: The "Current mitigation" line of Slack's root message, sent with an update.
MAX_MITIGATION = 500
#: Review text fields: long, several lines, stored exactly as typed.
MAX_REVIEW_TEXT = 100_000

#: The milestones a person may correct, and the incidents column that holds each.
MILESTONE_COLUMNS = {
    "impact_started": "impact_started_at",
    "detected": "detected_at",
    "mitigated": "mitigated_at",
    "resolved": "resolved_at",
}


class _Severity(Protocol):
    @property
    def update_every_minutes(self) -> int: ...


class _Levels(Protocol):
    """What the rules need of a playbook."""

    @property
    def stages(self) -> Sequence[str]: ...

    def severity(self, level: int) -> _Severity: ...

    def severity_of(self, level: int) -> _Severity: ...

    def levels_text(self) -> str: ...


# -- validation ---------------------------------------------------------------


def check_name(name: str) -> str:
    """A person's name as given, or a clear error. Names are single-line and short."""
    cleaned = name.strip()
    if not cleaned:
        raise CommandError("a name is needed")
    if len(cleaned) > MAX_NAME:
        raise CommandError(f"a name is at most {MAX_NAME} characters")
    if any((ch.isspace() and ch != " ") or ord(ch) < 32 or ord(ch) == 127 for ch in cleaned):
        raise CommandError("a name cannot contain tabs, newlines or control characters")
    return cleaned


def _one_line(text: str, subject: str, limit: int) -> str:
    """``text`` with its outer spaces trimmed, if it is one line of at most
    ``limit`` characters; otherwise the error names ``subject``."""
    cleaned = text.strip()
    if len(cleaned) > limit:
        raise CommandError(f"{subject} is at most {limit} characters")
    if "\n" in cleaned or "\r" in cleaned:
        raise CommandError(f"{subject} is one line")
    return cleaned


def check_title(title: str) -> str:
    if not title.strip():
        raise CommandError("a title is needed")
    return _one_line(title, "a title", MAX_TITLE)


def check_impact(impact: str) -> str:
    """An impact statement as given (outer spaces trimmed), or a clear error."""
    return _one_line(impact, "impact", MAX_IMPACT)


def check_mitigation(mitigation: str) -> str:
    """The "Current mitigation" line as given (outer spaces trimmed), or a clear error."""
    return _one_line(mitigation, "the current mitigation", MAX_MITIGATION)


def check_severity(playbook: _Levels, severity: int) -> _Severity:
    """The playbook's level ``severity``, or one line naming the levels there are."""
    try:
        return playbook.severity(severity)
    except WarroomError:
        raise CommandError(
            f"no severity {severity}: choose one of {playbook.levels_text()}"
        ) from None


def check_declaration(
    playbook: _Levels, *, severity: int, title: str, impact: str, commander: str | None
) -> tuple[str, str | None]:
    """Check a declaration before anything (even a new database file) is written.

    Returns the cleaned title and commander.
    """
    check_severity(playbook, severity)
    title = check_title(title)
    commander = check_name(commander) if commander else None
    check_impact(impact)
    return title, commander


def check_milestone_order(times: dict[str, str | None]) -> None:
    """Refuse an order that would make a review figure negative."""
    from warroom.domain.events import MILESTONE_LABELS

    for earlier, later in (
        ("impact_started", "detected"),
        ("impact_started", "mitigated"),
        ("impact_started", "resolved"),
        ("mitigated", "resolved"),
    ):
        a, b = times[earlier], times[later]
        if a is not None and b is not None and parse_time(a) > parse_time(b):
            raise CommandError(
                f"{MILESTONE_LABELS[earlier]} ({a}) cannot be after {MILESTONE_LABELS[later]} ({b})"
            )


# -- stages -------------------------------------------------------------------


def mitigated_stage_index(playbook: _Levels) -> int | None:
    """Index of the first stage that means "mitigation is in place".

    That is the stage after ``mitigate`` (``restore`` in the default playbook):
    while in ``mitigate`` the team is still working on it; moving on says it
    holds. A playbook without a ``mitigate`` stage (or ending with it) gets no
    automatic stamp; resolving the incident stamps it instead.
    """
    stages = playbook.stages
    if "mitigate" not in stages:
        return None
    after = stages.index("mitigate") + 1
    return after if after < len(stages) else None


def stage_after_resolve(playbook: _Levels, current: str) -> str:
    """The stage ``/resolve`` moves an incident in ``current`` to.

    Impact is over, so the work left is what follows restoring service: the
    stage after ``restore`` (``review`` in the default playbook). A playbook
    without a stage after ``restore`` moves to its last stage. Never
    backwards: an incident already there or past it stays where it is.
    """
    stages = playbook.stages
    target = stages.index("restore") + 1 if "restore" in stages else len(stages) - 1
    target = min(target, len(stages) - 1)
    if current in stages and stages.index(current) >= target:
        return current
    return stages[target]


# -- the update deadline ------------------------------------------------------
#
# The countdown to the next stakeholder update. Declaring starts it at the
# severity's cadence; each update restarts it; a severity change can only
# bring it closer (never push it back); a snooze pushes it back from the
# deadline, or from now when already overdue; resolving stops it; reopening
# restarts it at the cadence.


def cadence(playbook: _Levels, level: int) -> timedelta:
    """How often a level asks for an update."""
    return timedelta(minutes=playbook.severity_of(level).update_every_minutes)


def deadline_on_declare(declared: datetime, every: timedelta) -> datetime:
    return declared + every


def deadline_on_update(at: datetime, every: timedelta) -> datetime:
    return at + every


def deadline_on_severity(due: datetime | None, at: datetime, every: timedelta) -> datetime | None:
    """A new cadence shortens the current deadline, never lengthens it."""
    if due is None:
        return None
    return min(due, at + every)


def deadline_on_snooze(due: datetime, at: datetime, minutes: int) -> datetime:
    """Pushed back from the deadline, or from ``at`` when the deadline has passed."""
    return max(due, at) + timedelta(minutes=minutes)


def deadline_on_reopen(at: datetime, every: timedelta) -> datetime:
    return at + every


def deadline_on_miss(due: datetime, every: timedelta) -> datetime:
    """The next deadline after ``due`` passed with no update at all: one cadence on.

    The console keeps showing the missed deadline (OVERDUE counting up); the
    report counts that update as missed once this next one has fallen due,
    and judges what follows against it (:func:`warroom.domain.figures.update_punctuality`).
    """
    return due + every
