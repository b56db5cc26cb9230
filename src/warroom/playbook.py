"""The operating playbook: severity matrix, roles, stages, checklist, templates.

It is data, validated once at the edge. The built-in default is the team's
Incident Response Playbook (``default_playbook.toml`` beside this module); a
team can load its own TOML file instead.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args

from warroom.errors import WarroomError

if TYPE_CHECKING:
    # The constraints in the annotations below are annotated_types' (which
    # pydantic is built on): pydantic reads them when it validates a team's own
    # playbook file, and only then are they imported (see _constraints_in_scope).
    # The built-in playbook needs neither: the console starts ~50 ms sooner
    # without pydantic, and ~10 ms sooner again without annotated_types.
    from annotated_types import Ge, Le, MaxLen, MinLen

AutoTick = Literal["declare", "freeze", "bridge", "roles", "update"]
RoleKey = Literal["incident_commander", "communications_lead", "scribe", "response_engineers"]
ROLE_KEYS: tuple[str, ...] = get_args(RoleKey)
#: Unknown keys are mistakes (a typo must not be silently ignored).
_STRICT = {"extra": "forbid"}

# Bounds on every number and date, checked at load. Each is far past anything a
# team would write, and each keeps the arithmetic the console does later (dates
# a follow-up or a review lands on) inside what Python's dates and the
# business-day stepper can do: a value that passed here once crashed /fu or
# ctrl+e in the middle of an incident.
#: A day, in minutes: the most a stakeholder update may wait, or a warning lead.
MAX_MINUTES = 24 * 60
#: Ten years: a follow-up due later than that is not a follow-up.
MAX_FOLLOWUP_DUE_DAYS = 3650
#: A working year: a review proposed further out than that is not a review.
MAX_REVIEW_BUSINESS_DAYS = 250
#: Holidays for decades ahead (about fifteen a year) fit; with a working year of
#: review days they still cannot push a review past the stepper's ten years.
MAX_HOLIDAYS = 1000
#: Holidays are real calendar days of a living team: from 1970 to 2199.
FIRST_HOLIDAY, LAST_HOLIDAY = date(1970, 1, 1), date(2199, 12, 31)
#: More checklist items or stages than anyone could read on a bridge call.
MAX_CHECKLIST_ITEMS = 100
MAX_STAGES = 20
#: A link longer than any real status page's address.
MAX_URL = 2000


@dataclass(frozen=True)
class Severity:
    __pydantic_config__ = _STRICT

    level: Annotated[int, Ge(1), Le(9)]
    description: str
    primary_owner: str
    colour: str
    update_every_minutes: Annotated[int, Ge(1), Le(MAX_MINUTES)]
    examples: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"SEV-{self.level}"


@dataclass(frozen=True)
class Role:
    __pydantic_config__ = _STRICT

    key: RoleKey
    title: str
    short: str
    duty: str = ""
    several: bool = False


@dataclass(frozen=True)
class ChecklistItem:
    __pydantic_config__ = _STRICT

    label: Annotated[str, MinLen(1)]
    section: Literal["rulebook", "containment"] = "containment"
    done_by: AutoTick | None = None


@dataclass(frozen=True)
class Templates:
    __pydantic_config__ = _STRICT

    internal: str
    email_subject: str
    email_body: str


@dataclass(frozen=True)
class Playbook:
    __pydantic_config__ = _STRICT

    name: str
    stages: Annotated[list[str], MaxLen(MAX_STAGES)]
    severities: Annotated[list[Severity], MinLen(1)]
    roles: list[Role]
    checklist: Annotated[list[ChecklistItem], MaxLen(MAX_CHECKLIST_ITEMS)]
    templates: Templates
    warning_minutes: Annotated[int, Ge(0), Le(MAX_MINUTES)] = 3
    followup_due_days: Annotated[int, Ge(0), Le(MAX_FOLLOWUP_DUE_DAYS)] = 7
    review_invitees: list[str] = field(default_factory=list)
    review_within_business_days: Annotated[int, Ge(0), Le(MAX_REVIEW_BUSINESS_DAYS)] = 2
    holidays: Annotated[list[str], MaxLen(MAX_HOLIDAYS)] = field(default_factory=list)
    tracker_url: str = ""
    #: The status page (or shared doc) clients follow: the client email links it.
    status_page_url: Annotated[str, MaxLen(MAX_URL)] = ""

    def incident_doc(self, incident_id: int, ref: str) -> str:
        """Where the incident's document lives (``tracker_url`` filled in), or ""."""
        return self.tracker_url.format(id=incident_id, ref=ref) if self.tracker_url else ""

    def __post_init__(self) -> None:
        levels = [s.level for s in self.severities]
        if len(set(levels)) != len(levels):
            raise ValueError("severities: severity levels must be unique")
        keys = [r.key for r in self.roles]
        if sorted(keys) != sorted(ROLE_KEYS):
            raise ValueError(f"roles: need each of {', '.join(ROLE_KEYS)} exactly once")
        if len(set(self.stages)) != len(self.stages) or not self.stages:
            raise ValueError("stages: must be a non-empty list of unique names")
        if self.status_page_url and (problem := url_problem(self.status_page_url)):
            raise ValueError(f"status_page_url: {problem}")
        for day in self.holidays:
            try:
                when = date.fromisoformat(day)
            except (TypeError, ValueError):
                raise ValueError(f'holidays: {day!r} is not a date: use "YYYY-MM-DD"') from None
            if not FIRST_HOLIDAY <= when <= LAST_HOLIDAY:
                raise ValueError(
                    f"holidays: {day!r} is not between {FIRST_HOLIDAY} and {LAST_HOLIDAY}"
                )

    def replace(self, **changes: Any) -> Playbook:
        """A copy with some fields changed (a team's tweak, a test's holiday)."""
        from dataclasses import replace

        return replace(self, **changes)

    def severity(self, level: int) -> Severity:
        """The playbook's severity ``level``; an error names the ones it has."""
        for severity in self.severities:
            if severity.level == level:
                return severity
        raise WarroomError(
            f"no such severity: SEV-{level} (this playbook has {self.levels_text()})"
        )

    def severity_of(self, level: int) -> Severity:
        """The severity an incident already has, even one this playbook lacks.

        An incident declared under another playbook (a team's SEV-4, opened
        with a playbook that stops at SEV-3) must still open, show and change
        severity: it gets a stand-in with this playbook's fastest cadence, so
        updates are never due later than any severity here would have them.
        """
        for severity in self.severities:
            if severity.level == level:
                return severity
        return Severity(
            level=level,
            description="not in this playbook",
            primary_owner=self.role("incident_commander").title,
            colour="grey",
            update_every_minutes=min(s.update_every_minutes for s in self.severities),
        )

    def levels_text(self) -> str:
        return ", ".join(s.name for s in self.severities)

    def role(self, key: str) -> Role:
        return next(r for r in self.roles if r.key == key)


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a whole http(s) link a client can open, or None."""
    from urllib.parse import urlparse

    shown = url if len(url) <= 60 else url[:59] + "…"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return f"{shown!r} is not a link: it holds spaces or control characters"
    try:
        parsed = urlparse(url)
    except ValueError:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
        return f"{shown!r} is not an http(s) link such as https://status.example.com"
    return None


def _dates_as_text(data: dict[str, Any]) -> dict[str, Any]:
    """TOML has real dates; holidays are kept as ISO strings."""
    holidays = data.get("holidays")
    if isinstance(holidays, list):
        data["holidays"] = [
            h.isoformat() if isinstance(h, date) and not isinstance(h, datetime) else h
            for h in holidays
        ]
    return data


def _constraints_in_scope() -> None:
    """Put the constraints the annotations name into this module's namespace,
    where pydantic looks them up (the annotations are strings)."""
    import annotated_types

    globals().update(
        Ge=annotated_types.Ge,
        Le=annotated_types.Le,
        MaxLen=annotated_types.MaxLen,
        MinLen=annotated_types.MinLen,
    )


def load_playbook_text(text: str, source: str) -> Playbook:
    """Parse and validate a TOML playbook; any mistake is one line naming source and field."""
    from pydantic import TypeAdapter, ValidationError

    _constraints_in_scope()

    from warroom.files import FileProblem, parse_toml

    try:
        data = parse_toml(text)
    except FileProblem as exc:
        raise WarroomError(f"{source}: {exc}") from None
    try:
        playbook = TypeAdapter(Playbook).validate_python(_dates_as_text(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        where = f"{where}: " if where else ""
        raise WarroomError(f"{source}: {where}{message}") from None
    if (problem := _unusable(playbook)) is not None:
        raise WarroomError(f"{source}: {problem}")
    return playbook


def _unusable(playbook: Playbook) -> str | None:
    """What the types allow but the console could not use: found now, in one
    line naming the field, rather than as a crash at the first update."""
    from textual.color import Color, ColorParseError

    from warroom.comms.templates import template_problem

    for index, severity in enumerate(playbook.severities):
        try:
            Color.parse(severity.colour)
        except ColorParseError:
            return f"severities.{index}.colour: {severity.colour!r} is not a colour"
    for name in ("internal", "email_subject", "email_body"):
        if problem := template_problem(getattr(playbook.templates, name)):
            return f"templates.{name}: {problem}"
    if problem := placeholder_problem(playbook.tracker_url, ("id", "ref")):
        return f"tracker_url: {problem}"
    return None


def placeholder_problem(template: str, names: tuple[str, ...]) -> str | None:
    """Why ``template`` is not plain text with ``{name}`` placeholders, or None.

    Only a bare known name is allowed: ``{summary:>99999999999}`` asks
    ``str.format`` for a 100 GB string (a MemoryError at the first update),
    ``{tracker.url}`` or ``{0}`` reach for what is not there, and ``{summary!r}``
    would show quotes. ``{{`` and ``}}`` stay literal braces.
    """
    from string import Formatter

    shown = [f"{{{name}}}" for name in names]
    allowed = " and ".join([", ".join(shown[:-1]), shown[-1]] if len(shown) > 1 else shown)
    try:
        parts = list(Formatter().parse(template))
    except ValueError as exc:
        return f"{exc}; write {{{{ and }}}} for a literal brace; placeholders are {allowed}"
    for _text, name, spec, conversion in parts:
        if name is None:
            continue
        written = "{" + name + (f"!{conversion}" if conversion else "")
        written += (f":{spec}" if spec else "") + "}"
        if name not in names:
            return f"unknown placeholder {written}; it may use {allowed}"
        if spec or conversion:
            return f"{written}: format specs and conversions are not allowed; write {{{name}}}"
    return None


def playbook_file_text(path: Path) -> str:
    """A team's playbook file as text: at most 1 MiB is read, so /dev/zero is one line."""
    from warroom.files import MAX_PLAYBOOK_BYTES, FileProblem, read_text

    try:
        return read_text(path, MAX_PLAYBOOK_BYTES)
    except FileProblem as exc:
        raise WarroomError(f"{path}: cannot read playbook: {exc}") from None


def load_playbook(path: Path) -> Playbook:
    return load_playbook_text(playbook_file_text(path), str(path))


def default_playbook_text() -> str:
    # Beside this module, in a wheel as in a checkout (importlib.resources would
    # cost the console's start-up a few ms more to say the same).
    return Path(__file__).with_name("default_playbook.toml").read_text("utf-8")


@cache
def default_playbook() -> Playbook:
    """The built-in playbook, built without pydantic (a test validates it with pydantic)."""
    data = tomllib.loads(default_playbook_text())
    return Playbook(
        **{
            **data,
            "severities": [Severity(**s) for s in data["severities"]],
            "roles": [Role(**r) for r in data["roles"]],
            "checklist": [ChecklistItem(**c) for c in data["checklist"]],
            "templates": Templates(**data["templates"]),
        }
    )
