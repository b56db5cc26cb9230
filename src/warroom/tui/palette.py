"""The console's actions in Textual's command palette (ctrl+p)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from warroom.playbook import Playbook
from warroom.tui.access import warroom_app
from warroom.tui.keys import palette_actions

if TYPE_CHECKING:
    from warroom.tui.app import WarroomApp


def actions(playbook: Playbook) -> list[tuple[str, str, str]]:
    """(title, action, key): the key table's commands (warroom.tui.keys), then
    the stages and severities of the playbook in use."""
    return palette_actions(playbook)


class WarroomCommands(Provider):
    @property
    def warroom(self) -> WarroomApp:
        """The app, typed: its store, ``service``, clock, playbook and user."""
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
