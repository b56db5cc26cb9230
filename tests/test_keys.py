"""One key table (warroom.tui.keys): the bindings, the help, the palette and
README's Keys table all say the same thing, and every key does what it says."""

from __future__ import annotations

import re
from pathlib import Path

from console_support import demo_app, screen_text, until
from warroom.playbook import default_playbook
from warroom.tui.app import WarroomApp
from warroom.tui.keys import KEYS, app_bindings, help_rows, palette_actions, readme_rows
from warroom.tui.screens.help import HelpScreen

README = Path(__file__).resolve().parent.parent / "README.md"


def _readme_keys_table() -> list[tuple[str, str]]:
    """The rows of README's "### Keys" table, as (key, action)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Keys\n", 1)[1]
    rows = []
    for line in section.splitlines():
        if rows and not line.startswith("|"):
            break
        match = re.fullmatch(r"\| (.+?) \| (.+) \|", line)
        if match and match.group(1) not in ("key", "---"):
            rows.append((match.group(1), match.group(2)))
    return rows


def test_readme_keys_table_is_the_key_table():
    """README's table lists every key the help lists, in the same order, with
    the table's words: edit src/warroom/tui/keys.py, then the README."""
    assert _readme_keys_table() == readme_rows()


def test_every_key_in_the_help_is_in_the_readme_and_the_other_way():
    assert [key for key, _ in help_rows()] == [key for key, _ in _readme_keys_table()]


def test_every_bound_and_palette_action_exists_on_the_app():
    """A renamed action would make a key or a palette entry do nothing."""
    actions = {spec.action for spec in app_bindings()}
    actions |= {action for _, action, _ in palette_actions(default_playbook())}
    for action in actions:
        name = action.split("(", 1)[0]
        assert callable(getattr(WarroomApp, f"action_{name}", None)), action


def test_the_app_binds_what_the_table_says():
    bound = {(b.key, b.action, b.description, b.show) for b in WarroomApp.BINDINGS}
    table = {(spec.keys, spec.action, spec.description, spec.show) for spec in app_bindings()}
    assert bound == table
    assert all(b.priority for b in WarroomApp.BINDINGS)  # a focused Input swallows the rest


def test_the_palette_shows_each_keyed_command_with_its_key():
    keyed = {row.palette: row.key for row in KEYS if row.palette and row.action and row.key}
    listed = {title: key for title, _, key in palette_actions(default_playbook())}
    assert keyed and all(listed[title] == key for title, key in keyed.items())


async def test_f1_shows_every_row_of_the_table(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help screen")
        await pilot.pause()
        shown = " ".join(screen_text(app).split())
        for key, text in help_rows():
            assert " ".join(f"{key} {text}".split())[:60] in shown, key


def test_each_screen_the_scribe_line_asks_for_is_a_typed_request(ops, incident):
    """/update, /help and /show N open their screens through typed requests
    (warroom.tui.messages), never a name the app has to match."""
    from warroom.commands import run_line
    from warroom.tui.messages import OpenComposer, OpenEntry, OpenHelp, screen_request

    def request(line: str):
        return screen_request(run_line(ops, incident.id, "carol", line), incident.ref)

    assert isinstance(request("/update"), OpenComposer)
    assert isinstance(request("/help"), OpenHelp)
    shown = request("/show 1")
    assert isinstance(shown, OpenEntry) and shown.entry.seq == 1 and shown.ref == incident.ref
    assert request("a plain note") is None
