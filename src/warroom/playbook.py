"""The operating playbook: severity matrix, roles, stages, checklist, templates.

It is data, validated once at the edge. The built-in default is the team's
Incident Response Playbook (``default_playbook.toml`` beside this module); a
team can load its own TOML file instead.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from warroom.errors import WarroomError

AutoTick = Literal["declare", "freeze", "bridge", "roles", "update"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Severity(_Model):
    level: int = Field(ge=1, le=9)
    description: str
    examples: list[str] = []
    primary_owner: str
    colour: str
    update_every_minutes: int = Field(ge=1, le=24 * 60)

    @property
    def name(self) -> str:
        return f"SEV-{self.level}"


class Role(_Model):
    key: Literal["incident_commander", "communications_lead", "scribe", "response_engineers"]
    title: str
    short: str
    duty: str = ""
    several: bool = False


class ChecklistItem(_Model):
    label: str = Field(min_length=1)
    section: Literal["rulebook", "containment"] = "containment"
    done_by: AutoTick | None = None


class Templates(_Model):
    internal: str
    email_subject: str
    email_body: str


class Playbook(_Model):
    name: str
    warning_minutes: int = Field(default=3, ge=0)
    followup_due_days: int = Field(default=7, ge=0)
    review_invitees: list[str] = []
    review_within_business_days: int = Field(default=2, ge=0)
    holidays: list[str] = []
    tracker_url: str = ""
    stages: list[str]
    severities: list[Severity] = Field(min_length=1)
    roles: list[Role]
    checklist: list[ChecklistItem]
    templates: Templates

    @field_validator("holidays", mode="before")
    @classmethod
    def _iso_dates(cls, value: object) -> object:
        """Holidays are ISO dates, as strings or TOML dates; a bad one is named."""
        if not isinstance(value, list):
            return value
        days = []
        for item in value:
            if isinstance(item, date) and not isinstance(item, datetime):
                item = item.isoformat()
            if not isinstance(item, str):
                raise ValueError(f'{item!r} is not a date: use "YYYY-MM-DD"')
            try:
                days.append(date.fromisoformat(item).isoformat())
            except ValueError:
                raise ValueError(f'{item!r} is not a date: use "YYYY-MM-DD"') from None
        return days

    @model_validator(mode="after")
    def _consistent(self) -> Playbook:
        levels = [s.level for s in self.severities]
        if len(set(levels)) != len(levels):
            raise ValueError("severity levels must be unique")
        if len(set(self.stages)) != len(self.stages) or not self.stages:
            raise ValueError("stages must be a non-empty list of unique names")
        return self

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


def load_playbook_text(text: str, source: str) -> Playbook:
    """Parse and validate a TOML playbook; any mistake is one line naming source and field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WarroomError(f"{source}: not valid TOML: {exc}") from None
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        message = first["msg"].removeprefix("Value error, ")
        raise WarroomError(f"{source}: {where}: {message}") from None


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
    return load_playbook_text(default_playbook_text(), "built-in playbook")
