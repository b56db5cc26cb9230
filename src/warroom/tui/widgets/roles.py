"""Who holds which role, with the severity matrix's suggested primary owner."""

from __future__ import annotations

from typing import Any

from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Label

from warroom.domain.models import Incident
from warroom.playbook import Playbook
from warroom.textsafe import printable


def roles_line(incident: Incident) -> str:
    """The roles on one line, for narrow terminals."""
    roles = incident.roles
    parts = [
        f"IC {roles.incident_commander or '—'}",
        f"Comms {roles.communications_lead or '—'}",
        f"Scribe {roles.scribe or '—'}",
        f"Eng {', '.join(roles.response_engineers) or '—'}",
    ]
    return printable(" · ".join(parts))


class RolesPanel(Vertical, can_focus=False):
    """Composed empty: the console's first frame need not build it (its box
    holds the column), and below 150 columns it is not shown at all. :meth:`fill`
    adds the roles once it is."""

    BORDER_TITLE = "Roles"

    def __init__(self, playbook: Playbook, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.playbook = playbook
        self.filled = False

    async def fill(self, incident: Incident) -> None:
        labels: list[Label] = []
        for role in self.playbook.roles:
            labels.append(Label(Content(role.short), classes="role-name"))
            labels.append(Label(id=f"role-{role.key}", classes="role-holder"))
        labels.append(Label(id="role-owner", classes="role-hint"))
        await self.mount_all(labels)
        self.filled = True
        if self.is_attached:  # not quit (or replaced) meanwhile
            self.show(incident)

    def show(self, incident: Incident) -> None:
        if not self.filled:
            return
        roles = incident.roles
        for key in ("incident_commander", "communications_lead", "scribe"):
            holder = self.query_one(f"#role-{key}", Label)
            name = getattr(roles, key)
            holder.update(Content(printable(name) if name else "—"))
            holder.set_class(not name, "-vacant")
        engineers = self.query_one("#role-response_engineers", Label)
        engineers.update(Content(", ".join(printable(n) for n in roles.response_engineers) or "—"))
        engineers.set_class(not roles.response_engineers, "-vacant")
        owner = self.playbook.severity_of(incident.severity).primary_owner
        self.query_one("#role-owner", Label).update(
            Content(f"SEV-{incident.severity} owner: {owner}")
        )
