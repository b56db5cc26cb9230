"""Typed access to the console's services from any screen or widget.

Textual types ``self.app`` as a plain ``App``: reaching ``self.app.store``
through it is a service locator the type checker cannot follow (a renamed
attribute fails only when the line runs). Every screen and widget goes through
:func:`warroom_app` instead, which names the app's class, as Posting's
``cast("Posting", self.app)`` does: what a screen uses (the store for reads,
``service`` for every change, the clock, the playbook, the user) is checked.

The cast costs nothing at run time and imports nothing: the console's first
frame must not wait for this module to load the app's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from textual.app import App

    from warroom.tui.app import WarroomApp


class InApp(Protocol):
    """A screen, a widget or a command palette provider: anything with an ``app``."""

    @property
    def app(self) -> App[Any]: ...


def warroom_app(node: InApp) -> WarroomApp:
    """The :class:`~warroom.tui.app.WarroomApp` that ``node`` runs in."""
    return cast("WarroomApp", node.app)
