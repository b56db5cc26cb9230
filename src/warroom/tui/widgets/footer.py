"""The console's footer: Textual's, building its keys once for a burst of changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.screen import Screen


class ConsoleFooter(Footer):
    """Each change of the bindings in force (focus moving, a screen opening)
    makes Textual's footer rebuild every key after the next refresh, once per
    change. Opening the console makes three in a row (the scribe line takes
    focus as the console is composed, the screen stack changes, focus is
    confirmed), so its keys were built three times over (~8 ms each), the
    panes that follow the first frame waiting behind them. Here one rebuild
    that is due covers every change made before it runs: it reads the
    bindings as they are then. (Footer.bindings_changed of Textual 8.2.8,
    which is pinned.)
    """

    _rebuild_due = False

    def bindings_changed(self, screen: Screen) -> None:
        if self._rebuild_due:
            return
        super().bindings_changed(screen)
        # As Footer.bindings_changed decides whether to schedule its rebuild.
        self._rebuild_due = screen.app.app_focus and self.is_attached and screen is self.screen

    async def recompose(self) -> None:
        self._rebuild_due = False
        await super().recompose()
