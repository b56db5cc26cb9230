"""The console's actions in Textual's command palette (ctrl+p)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from warroom.playbook import Playbook
from warroom.tui.access import warroom_app

if TYPE_CHECKING:
    from warroom.tui.app import WarroomApp


ACTIONS = [
    ("Compose stakeholder update", "compose_update", "ctrl+u"),
    ("Declare a new incident", "declare", "ctrl+n"),
    ("Switch incident", "switch_incident", "ctrl+o"),
    ("Post-incident review: write and export", "export", "ctrl+e"),
    ("Close the incident (after the review; asks first, read-only after)", "close_incident", ""),
    ("Help: keys and commands", "help", "f1"),
    ("Filter the timeline", "filter", "ctrl+f"),
    ("Timeline times: local / UTC", "toggle_local_time", "ctrl+t"),
    ("Follow-up actions", "followups", "f3"),
    ("Bridge view (big countdown for screen-sharing)", "bridge_view", "f2"),
    ("Freeze deployments", "scribe('/freeze on')", ""),
    ("Unfreeze deployments", "scribe('/freeze off')", ""),
]


def actions(playbook: Playbook) -> list[tuple[str, str, str]]:
    """The fixed actions, then the stages and severities of the playbook in use."""
    return [
        *ACTIONS,
        *((f"Move to stage: {s}", f"scribe('/stage {s}')", "") for s in playbook.stages),
        *(
            (f"Change severity to {s.name}", f"scribe('/sev {s.level}')", "")
            for s in playbook.severities
        ),
    ]


class WarroomCommands(Provider):
    @property
    def warroom(self) -> WarroomApp:
        """The app, typed: its store, ``ops``, clock, playbook and user."""
        return warroom_app(self)

    async def discover(self) -> Hits:
        for title, action, key in actions(self.warroom.playbook):
            yield DiscoveryHit(title, partial(self.app.run_action, action), help=key or None)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action, key in actions(self.warroom.playbook):
            score = matcher.match(title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.app.run_action, action),
                    help=key or None,
                )
