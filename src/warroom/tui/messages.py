"""What happened in the console, as messages: one type per thing.

A dialog that writes (the update composer, the follow-ups, the review) posts
:class:`IncidentWritten`; the app then has every console showing that incident
read it again and the outbox look for what the change queued. No caller has to
remember to reload after a write, and a new dialog gets it right by posting.

The scribe line asks for a screen with a typed request (:class:`OpenComposer`,
:class:`OpenHelp`, :class:`OpenEntry`), never a string: the app opens each in
its handler, so a misspelt request fails the type check, not the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from warroom.commands import LineResult
    from warroom.domain.models import Entry


@dataclass
class IncidentWritten(Message):
    """This console changed an incident from a dialog (the console's own scribe
    line and checklist show their writes at once, themselves)."""

    incident_id: int
    """The incident written to."""


@dataclass
class OpenComposer(Message):
    """Open the stakeholder update composer (``/update``, as ctrl+u)."""


@dataclass
class OpenHelp(Message):
    """Open the help: every key and command (``/help``, as f1)."""


@dataclass
class OpenEntry(Message):
    """Show one timeline entry whole (``/show N``, or Enter in the timeline)."""

    entry: Entry
    """The entry, as read when it was asked for."""
    ref: str
    """Its incident's reference (``INC-7``), for the heading."""


def screen_request(outcome: LineResult, ref: str) -> OpenComposer | OpenHelp | OpenEntry | None:
    """The screen a scribe line asked for, as a typed request (or None).

    The one place the parser's screen names are read: the scribe-line parser
    sits below the UI and cannot name its messages."""
    if outcome.open_screen == "update":
        return OpenComposer()
    if outcome.open_screen == "help":
        return OpenHelp()
    if outcome.open_screen == "entry" and outcome.entry is not None:
        return OpenEntry(outcome.entry, ref)
    return None
