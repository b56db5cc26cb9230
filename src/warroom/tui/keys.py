"""Every key of the console, once: the app's bindings, the footer, the help
screen (f1), the command palette (ctrl+p) and README's Keys table come from
:data:`KEYS`.

Keys were listed four times (the bindings, the help, the palette, the README)
and drifted: a key added to one was missing from the next. Here a row says
what the key is, what it does, and where it shows; :func:`app_bindings`,
:func:`help_rows` and :func:`palette_actions` read the rows, and a test checks
README's table against :func:`readme_rows`. (harlequin's ``keymap.py`` and
``actions.py`` do the same for its app.)

Plain data, no Textual: the bindings are built by the app from these rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warroom.playbook import Playbook


#: In the follow-ups screen (f3): push the open follow-ups to the tracker. The
#: scribe line's ``/close`` names it too (warroom.commands.PUSH_HINT).
PUSH_FOLLOWUPS_KEY = "p"


@dataclass(frozen=True)
class Key:
    """One key (or one command without a key) of the console."""

    key: str | None
    """As the help and README write it (``ctrl+u``, ``↑ / ↓``); None: a
    command only the palette offers."""
    help: str | None = None
    """The help screen's line (kept to what fits beside the key at 80 columns);
    None: not listed there."""
    readme: str | None = None
    """README's Keys table, where it says more than the help; None: the help's line."""
    action: str | None = None
    """The app's action the key runs; None: a key a widget handles itself (the
    scribe line's Enter, the checklist's Enter), listed for people only."""
    bind: str | None = None
    """The key(s) bound, as Textual names them, where not ``key`` itself."""
    footer: str | None = None
    """The binding's description: the footer's label, where it is in :data:`FOOTER`."""
    binding_id: str | None = None
    """The binding's id (for keymaps, and :data:`FOOTER`)."""
    palette: str | None = None
    """The command palette's title for ``action``; None: not in the palette."""


KEYS: tuple[Key, ...] = (
    Key("Enter", "commit the scribe line (durable before the next key)"),
    Key(
        "↑ / ↓",
        "earlier / later lines in the scribe line (a rejected line is there too)",
        "earlier / later lines in the scribe line (a rejected line is there too:"
        " ↑ brings it back to fix)",
    ),
    Key(
        "tab",
        "complete a /command or a name; it never leaves the scribe line",
        "in the scribe line: complete a command or a name (never moves focus)",
    ),
    Key(
        "escape",
        "in the scribe line: clear the filter if one is on, else clear the line (↑ brings it back)",
    ),
    Key(
        "f6",
        "next pane: timeline, scribe line, checklist (shift+f6: previous; escape: back)",
        "next pane: timeline, scribe line, checklist (shift+f6: previous); escape in a pane"
        " goes back to the scribe line",
    ),
    Key(
        "any letter",
        "in the timeline or checklist: goes to the scribe line, typed there",
        "in the timeline or checklist: goes to the scribe line (focus follows), never dropped",
    ),
    Key(
        "Enter",
        "in the checklist: tick / untick the highlighted item",
        "in the checklist: tick / untick the highlighted item; space types a space in the"
        " scribe line like any other key",
    ),
    Key(
        "ctrl+u",
        "compose a stakeholder update",
        "compose a stakeholder update, internal (Slack) or client (email); ctrl+s sends,"
        " escape cancels",
        action="compose_update",
        footer="Update",
        binding_id="update",
        palette="Compose stakeholder update",
    ),
    Key(
        "ctrl+n",
        "declare a new incident",
        "declare a new incident, with the severity matrix in view",
        action="declare",
        footer="Declare",
        binding_id="declare",
        palette="Declare a new incident",
    ),
    Key(
        "ctrl+o",
        "switch incident",
        "switch incident (every incident, with duration and open follow-ups)",
        action="switch_incident",
        footer="Incidents",
        binding_id="switch",
        palette="Switch incident",
    ),
    Key(
        "ctrl+e",
        "post-incident review: write it, then ctrl+s exports .md and .ics",
        "the post-incident review; ctrl+s there exports the review (.md) and invite (.ics)",
        action="export",
        footer="Review",
        binding_id="export",
        palette="Post-incident review: write and export",
    ),
    Key(
        "f4",
        "send every waiting Slack/email message now",
        "send every waiting Slack/email message now (failed, backing off, may not have"
        " arrived) and list them",
        action="retry_now",
        footer="Send waiting now",
        binding_id="retry",
    ),
    Key(
        "ctrl+r",
        "read the timeline: ↑/↓ pick an entry, Enter opens it whole, escape returns",
        "read the timeline: a cursor on the newest entry, ↑/↓ to move, Enter opens the entry"
        " whole, escape returns to the scribe line",
        action="read_timeline",
        footer="Read",
        binding_id="read",
    ),
    Key(
        "ctrl+f",
        "filter the timeline: words, kind:decision, @author, starred (escape clears)",
        "filter the timeline: words, `kind:decision`, `@author`, `starred` (escape clears)",
        action="filter",
        footer="Filter",
        binding_id="filter",
        palette="Filter the timeline",
    ),
    Key(
        "f3",
        "follow-up actions: tick them off",
        action="followups",
        footer="Follow-ups",
        binding_id="followups",
        palette="Follow-up actions",
    ),
    Key(
        PUSH_FOLLOWUPS_KEY,
        "in f3: create the open follow-ups in the tracker, once",
        "in the follow-ups (f3): create each open follow-up in the team's tracker (GitHub or"
        " Jira, `[tracker]`), once; its issue shows beside it",
    ),
    Key(
        "ctrl+t",
        "timeline times in local time / UTC (its title names the zone)",
        "timeline times in local time or UTC, as the timeline's title says (dates appear"
        " once an incident spans days)",
        action="toggle_local_time",
        footer="UTC/local",
        binding_id="time",
        palette="Timeline times: local / UTC",
    ),
    Key(
        "f1",
        "this help",
        "help: every key and command",
        action="help",
        footer="Help",
        binding_id="help",
        palette="Help: keys and commands",
    ),
    Key(
        "f2",
        "bridge view: countdown and severity in big digits, for screen-sharing",
        "bridge view, for screen-sharing: the countdown in digits a third of the screen"
        " tall, overdue said in the view, impact, IC and comms lead, stage and freeze,"
        " checklist progress, how long impact has lasted, the bridge link and the last three"
        " key events; no notification covers it",
        action="bridge_view",
        footer="Bridge view",
        binding_id="bridge",
        palette="Bridge view (big countdown for screen-sharing)",
    ),
    Key(
        "ctrl+p",
        "command palette (Screenshot: an SVG beside the database)",
        "command palette (its Screenshot saves an SVG of the screen beside the database and"
        " names the file)",
    ),
    Key(
        "ctrl+q",
        "quit (acknowledged is saved; asks first if an update or a line is unsent)",
        "quit: what is acknowledged is already saved; if an update you are writing is"
        " unsent, the scribe line holds text, or a review is unsaved, it names them and"
        ' asks: ctrl+q again quits; escape, or simply typing on, goes back (no one-letter "yes":'
        " a ctrl+q hit mid-sentence must not let the sentence quit)",
        action="quit",
        footer="Quit",
        binding_id="quit",
    ),
    # Bound, but not in the help's list: the f6 row above says them. Moving
    # between panes takes keys nobody types mid-sentence: Tab belongs to
    # completion in the scribe line.
    Key(None, action="next_pane", bind="f6", footer="Panes", binding_id="next-pane"),
    # Terminals send shift+f6 as ``CSI 17;2~``, which Textual reads as shift+f6
    # (or f18 on some).
    Key(
        None,
        action="previous_pane",
        bind="shift+f6,f18",
        footer="Previous pane",
        binding_id="prev-pane",
    ),
    # Commands without a key, for the palette.
    Key(
        None,
        action="close_incident",
        palette="Close the incident (after the review; asks first, read-only after)",
    ),
    Key(None, action="scribe('/freeze on')", palette="Freeze deployments"),
    Key(None, action="scribe('/freeze off')", palette="Unfreeze deployments"),
)

#: The footer's keys, in its order (left to right); the rest are bound hidden.
FOOTER = ("update", "declare", "switch", "export", "help", "next-pane", "quit")

#: The palette's keyed commands, in its order (by action), before the playbook's.
PALETTE = (
    "compose_update",
    "declare",
    "switch_incident",
    "export",
    "close_incident",
    "help",
    "filter",
    "toggle_local_time",
    "followups",
    "bridge_view",
    "scribe('/freeze on')",
    "scribe('/freeze off')",
)


@dataclass(frozen=True)
class BindingSpec:
    """What :class:`textual.binding.Binding` is built from (see WarroomApp)."""

    keys: str
    action: str
    description: str
    id: str | None
    show: bool


def app_bindings() -> list[BindingSpec]:
    """The app's bindings (all priority: a focused Input would swallow them),
    the footer's first in its order."""
    bound = [row for row in KEYS if row.action is not None and (row.bind or row.key)]
    order = {binding_id: place for place, binding_id in enumerate(FOOTER)}
    bound.sort(key=lambda row: order.get(row.binding_id or "", len(order)))
    return [
        BindingSpec(
            keys=row.bind or row.key or "",
            action=row.action or "",
            description=row.footer or "",
            id=row.binding_id,
            show=row.binding_id in FOOTER,
        )
        for row in bound
    ]


def help_rows() -> list[tuple[str, str]]:
    """(key, what it does) for the help screen, in the table's order."""
    return [(row.key, row.help) for row in KEYS if row.key is not None and row.help is not None]


def readme_rows() -> list[tuple[str, str]]:
    """(key, what it does) as README's Keys table has them."""
    return [
        (row.key, row.readme or row.help)
        for row in KEYS
        if row.key is not None and row.help is not None
    ]


def _keyed() -> Iterator[tuple[str, str, str]]:
    by_action = {row.action: row for row in KEYS if row.palette is not None}
    for action in PALETTE:
        row = by_action[action]
        key = row.key if row.key is not None and row.action is not None else ""
        yield row.palette or "", action, key


def palette_actions(playbook: Playbook) -> list[tuple[str, str, str]]:
    """(title, action, key) for the palette: the console's commands, then the
    stages and severities of the playbook in use."""
    return [
        *_keyed(),
        *((f"Move to stage: {s}", f"scribe('/stage {s}')", "") for s in playbook.stages),
        *(
            (f"Change severity to {s.name}", f"scribe('/sev {s.level}')", "")
            for s in playbook.severities
        ),
    ]
