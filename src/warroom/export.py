"""The incident record for other tools: JSON (``warroom.incident/1``) and Markdown.

The JSON shape is a contract (DESIGN.md), so it is written through pydantic
models: a field cannot go missing or change type without a test noticing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel

from warroom.models import Entry, Incident
from warroom.playbook import Playbook
from warroom.store import Store
from warroom.textsafe import printable

SCHEMA = "warroom.incident/1"


class RolesOut(BaseModel):
    incident_commander: str | None
    communications_lead: str | None
    scribe: str | None
    response_engineers: list[str]


class ChecklistOut(BaseModel):
    label: str
    done: bool
    done_at: str | None
    done_by: str | None


class EntryOut(BaseModel):
    id: int
    at: str
    occurred_at: str | None
    author: str
    kind: str
    text: str
    struck: bool
    starred: bool


class UpdateOut(BaseModel):
    at: str
    audience: str
    text: str
    delivery: str


class FollowUpOut(BaseModel):
    text: str
    owner: str
    due: str
    done: bool


class IncidentExport(BaseModel):
    schema_: Literal["warroom.incident/1"] = SCHEMA
    id: int
    ref: str
    title: str
    severity: str
    status: Literal["open", "resolved", "closed"]
    stage: str
    impact: str
    declared_at: str
    resolved_at: str | None
    frozen: bool
    bridge: str | None
    roles: RolesOut
    checklist: list[ChecklistOut]
    timeline: list[EntryOut]
    updates: list[UpdateOut]
    next_update_due: str | None
    followups: list[FollowUpOut]

    def to_json(self) -> str:
        data = self.model_dump()
        data = {"schema": data.pop("schema_"), **data}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _timeline(entries: Iterator[Entry]) -> list[EntryOut]:
    # The entry's number within its incident is its id in the record: it is what
    # the console shows and what /star N refers to.
    return [
        EntryOut.model_construct(
            id=e.seq,
            at=e.at,
            occurred_at=e.occurred_at,
            author=e.author,
            kind=e.kind,
            text=e.text,
            struck=e.struck,
            starred=e.starred,
        )
        for e in entries
    ]


def build_export(store: Store, incident: Incident) -> IncidentExport:
    roles = incident.roles
    return IncidentExport(
        id=incident.id,
        ref=incident.ref,
        title=incident.title,
        severity=f"SEV-{incident.severity}",
        status=incident.status,
        stage=incident.stage,
        impact=incident.impact,
        declared_at=incident.declared_at,
        resolved_at=incident.resolved_at,
        frozen=incident.frozen,
        bridge=incident.bridge,
        roles=RolesOut(
            incident_commander=roles.incident_commander,
            communications_lead=roles.communications_lead,
            scribe=roles.scribe,
            response_engineers=list(roles.response_engineers),
        ),
        checklist=[
            ChecklistOut(label=c.label, done=c.done, done_at=c.done_at, done_by=c.done_by)
            for c in incident.checklist
        ],
        timeline=_timeline(store.iter_entries(incident.id)),
        updates=[
            UpdateOut(at=u.at, audience=u.audience, text=u.text, delivery=u.delivery)
            for u in store.updates(incident.id)
        ],
        next_update_due=incident.next_update_due,
        followups=[
            FollowUpOut(text=f.text, owner=f.owner, due=f.due, done=f.done)
            for f in store.followups(incident.id)
        ],
    )


def _md_text(text: str) -> str:
    """User text inside Markdown: shown literally, on one line, with no terminal escapes."""
    escaped = "".join("\\" + ch if ch in "\\`*_{}[]<>()#+!|~" else ch for ch in text)
    one_line = escaped.replace("\r\n", " ⏎ ").replace("\n", " ⏎ ").replace("\r", " ⏎ ")
    return printable(one_line)


def render_markdown(store: Store, incident: Incident, playbook: Playbook) -> str:
    """A plain Markdown record of the incident (the review document comes later)."""
    sev = playbook.severity(incident.severity)
    roles = incident.roles
    lines = [
        f"# {incident.ref}: {_md_text(incident.title)}",
        "",
        f"- **Severity:** {sev.name} ({sev.description})",
        f"- **Status:** {incident.status}, stage {incident.stage}",
        f"- **Impact:** {_md_text(incident.impact) or '(not recorded)'}",
        f"- **Declared:** {incident.declared_at}",
        f"- **Resolved:** {incident.resolved_at or '(not yet)'}",
        f"- **Change freeze:** {'on' if incident.frozen else 'off'}",
        f"- **Bridge:** {_md_text(incident.bridge or '(none)')}",
        "",
        "## Roles",
        "",
        f"- Incident Commander: {_md_text(roles.incident_commander or '(unassigned)')}",
        f"- Communications Lead: {_md_text(roles.communications_lead or '(unassigned)')}",
        f"- Scribe: {_md_text(roles.scribe or '(unassigned)')}",
        "- Response Engineers: " + (_md_text(", ".join(roles.response_engineers)) or "(none)"),
        "",
        "## Checklist",
        "",
    ]
    for item in incident.checklist:
        done = f" ({item.done_at}, {_md_text(item.done_by or '')})" if item.done else ""
        lines.append(f"- [{'x' if item.done else ' '}] {_md_text(item.label)}{done}")
    lines += ["", "## Timeline", ""]
    for e in store.iter_entries(incident.id):
        when = e.at if not e.occurred_at else f"{e.occurred_at} (logged {e.at})"
        text = _md_text(e.text)
        if e.struck:
            text = f"~~{text}~~"
        star = "★ " if e.starred else ""
        lines.append(f"- {star}#{e.seq} {when} **{_md_text(e.author)}** [{e.kind}] {text}")
    followups = store.followups(incident.id)
    if followups:
        lines += ["", "## Follow-up actions", ""]
        for f in followups:
            mark = "x" if f.done else " "
            lines.append(f"- [{mark}] {_md_text(f.text)} (@{_md_text(f.owner)}, due {f.due})")
    return "\n".join(lines) + "\n"
