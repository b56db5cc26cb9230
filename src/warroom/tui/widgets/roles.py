"""Who holds which role, with the severity matrix's suggested primary owner."""

from __future__ import annotations

from typing import Any

from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Label

from warroom.domain.models import Incident
from warroom.playbook import Playbook
from warroom.textsafe import printable


def roles_line(incident: Incident, here: list | None = None) -> str:
    """The roles on one line, for narrow terminals; then who is here, if known."""
    roles = incident.roles
    parts = [
        f"IC {roles.incident_commander or '—'}",
        f"Comms {roles.communications_lead or '—'}",
        f"Scribe {roles.scribe or '—'}",
        f"Eng {', '.join(roles.response_engineers) or '—'}",
    ]
    if here is not None:
        from warroom.presence import here_text

        parts.append(f"Here {here_text(here) or '—'}")
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
        #: Who is here, kept until the panel is filled (presence may come first).
        self._here: list | None = None

    async def fill(self, incident: Incident) -> None:
        labels: list[Label] = []
        for role in self.playbook.roles:
            labels.append(Label(Content(role.short), classes="role-name"))
            labels.append(Label(id=f"role-{role.key}", classes="role-holder"))
        # Who has a console open on the incident: shown once known (see show_here).
        labels.append(Label(Content("Here"), id="here-name", classes="role-name -here"))
        labels.append(Label(id="role-here", classes="role-holder -here"))
        labels.append(Label(id="role-owner", classes="role-hint"))
        await self.mount_all(labels)
        self.filled = True
        if self.is_attached:  # not quit (or replaced) meanwhile
            self.show(incident)
            if self._here is not None:
                self.show_here(self._here)

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

    def show_here(self, here: list) -> None:
        """Who has a console open on this incident now (browser or terminal)."""
        from warroom.presence import here_text

        self._here = here
        if not self.filled:
            return
        label = self.query_one("#role-here", Label)
        label.update(Content(printable(here_text(here)) or "—"))
        for widget in (self.query_one("#here-name", Label), label):
            widget.add_class("-shown")
