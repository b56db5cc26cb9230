"""Who holds which role, with the severity matrix's suggested primary owner."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Label

from warroom.models import Incident
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
        from warroom.serve.presence import here_text

        parts.append(f"Here {here_text(here) or '—'}")
    return printable(" · ".join(parts))


class RolesPanel(Vertical, can_focus=False):
    BORDER_TITLE = "Roles"

    def __init__(self, playbook: Playbook, incident: Incident, **kwargs) -> None:
        super().__init__(**kwargs)
        self.playbook = playbook
        self._first = incident

    def on_mount(self) -> None:
        self.show(self._first)

    def compose(self) -> ComposeResult:
        for role in self.playbook.roles:
            yield Label(Content(role.short), classes="role-name")
            yield Label(id=f"role-{role.key}", classes="role-holder")
        # Who has a console open on the incident: shown once known (see show_here).
        yield Label(Content("Here"), id="here-name", classes="role-name -here")
        yield Label(id="role-here", classes="role-holder -here")
        yield Label(id="role-owner", classes="role-hint")

    def show(self, incident: Incident) -> None:
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
        from warroom.serve.presence import here_text

        label = self.query_one("#role-here", Label)
        label.update(Content(printable(here_text(here)) or "—"))
        for widget in (self.query_one("#here-name", Label), label):
            widget.add_class("-shown")
