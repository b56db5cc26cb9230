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
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

# annotated_types (which pydantic is built on) states the constraints without
# importing pydantic: the console starts ~50 ms sooner, and pydantic is loaded
# only to validate a team's own playbook file.
from annotated_types import Ge, Le, MinLen

from warroom.errors import WarroomError

AutoTick = Literal["declare", "freeze", "bridge", "roles", "update"]
#: Unknown keys are mistakes (a typo must not be silently ignored).
_STRICT = {"extra": "forbid"}


@dataclass(frozen=True)
class Severity:
    __pydantic_config__ = _STRICT

    level: Annotated[int, Ge(1), Le(9)]
    description: str
    primary_owner: str
    colour: str
    update_every_minutes: Annotated[int, Ge(1), Le(24 * 60)]
    examples: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"SEV-{self.level}"


@dataclass(frozen=True)
class Role:
    __pydantic_config__ = _STRICT

    key: Literal["incident_commander", "communications_lead", "scribe", "response_engineers"]
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
    stages: list[str]
    severities: Annotated[list[Severity], MinLen(1)]
    roles: list[Role]
    checklist: list[ChecklistItem]
    templates: Templates
    warning_minutes: Annotated[int, Ge(0)] = 3
    followup_due_days: Annotated[int, Ge(0)] = 7
    review_invitees: list[str] = field(default_factory=list)
    review_within_business_days: Annotated[int, Ge(0)] = 2
    holidays: list[str] = field(default_factory=list)
    tracker_url: str = ""

    def __post_init__(self) -> None:
        levels = [s.level for s in self.severities]
        if len(set(levels)) != len(levels):
            raise ValueError("severities: severity levels must be unique")
        if len(set(self.stages)) != len(self.stages) or not self.stages:
            raise ValueError("stages: must be a non-empty list of unique names")
        for day in self.holidays:
            try:
                date.fromisoformat(day)
            except (TypeError, ValueError):
                raise ValueError(f'holidays: {day!r} is not a date: use "YYYY-MM-DD"') from None

    def replace(self, **changes: Any) -> Playbook:
        """A copy with some fields changed (a team's tweak, a test's holiday)."""
        from dataclasses import replace

        return replace(self, **changes)

    def severity(self, level: int) -> Severity:
        for severity in self.severities:
            if severity.level == level:
                return severity
        raise WarroomError(
            f"no such severity: SEV-{level} (this playbook has {self.levels_text()})"
        )

    def levels_text(self) -> str:
        return ", ".join(s.name for s in self.severities)

    def role(self, key: str) -> Role:
        return next(r for r in self.roles if r.key == key)


def _dates_as_text(data: dict[str, Any]) -> dict[str, Any]:
    """TOML has real dates; holidays are kept as ISO strings."""
    holidays = data.get("holidays")
    if isinstance(holidays, list):
        data["holidays"] = [
            h.isoformat() if isinstance(h, date) and not isinstance(h, datetime) else h
            for h in holidays
        ]
    return data


def load_playbook_text(text: str, source: str) -> Playbook:
    """Parse and validate a TOML playbook; any mistake is one line naming source and field."""
    from pydantic import TypeAdapter, ValidationError

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WarroomError(f"{source}: not valid TOML: {exc}") from None
    try:
        return TypeAdapter(Playbook).validate_python(_dates_as_text(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        where = f"{where}: " if where else ""
        raise WarroomError(f"{source}: {where}{message}") from None


def load_playbook(path: Path) -> Playbook:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WarroomError(f"{path}: cannot read playbook: {exc}") from None
    return load_playbook_text(text, str(path))


def default_playbook_text() -> str:
    return resources.files("warroom").joinpath("default_playbook.toml").read_text("utf-8")


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
