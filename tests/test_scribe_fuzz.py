"""Hostile input through the real scribe line: the console stays up, and the database
holds exactly what was accepted.

Each line is typed as key events (printable text) or pasted (anything a terminal
can deliver: control characters, line breaks, bidi overrides, long pastes), then
Enter, straight into the app's queue as a terminal would deliver it. The same
lines run through :func:`run_line` on a second database seeded the same way, on
the same frozen clock: the model of what should be accepted. After every line
the console must be running with as many entries as the model; a refused line
must say so under the input; at the end both records must be identical and no
internal error may have been logged (a traceback anywhere is a failure).

The suite runs a few hundred lines. For the long run, once, by hand::

    WARROOM_FUZZ_LINES=20000 .venv/bin/pytest tests/test_scribe_fuzz.py -q -s
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from textual import events
from textual.keys import _character_to_key

from console_support import DEMO_NOW
from warroom.clock import FrozenClock
from warroom.commands import COMMANDS, run_line
from warroom.db.store import Store
from warroom.demo import seed_demo
from warroom.errors import WarroomError
from warroom.exports.incident import build_export
from warroom.exports.review import render_review
from warroom.playbook import default_playbook
from warroom.service import Service
from warroom.tui.app import WarroomApp
from warroom.tui.screens.console import ConsoleScreen

LINES_PER_EXAMPLE = 40
TOTAL_LINES = int(os.environ.get("WARROOM_FUZZ_LINES", "320"))
EXAMPLES = max(1, TOTAL_LINES // LINES_PER_EXAMPLE)

#: Characters a terminal can deliver (it decodes strict UTF-8: no lone surrogates).
ANY_CHAR = st.characters(blacklist_categories=("Cs",))

# fmt: off
HOSTILE_TOKENS = [
    "0", "1", "2", "3", "9", "10", "99", "1441", "-1", "+3d", "1e9",
    "999999999999999999999999", "on", "off", "maybe", "ON",
    "detect", "triage", "mitigate", "restore", "review", "Review",
    "impact_started", "detected", "mitigated", "resolved",
    "@dan", "@", "@@", "@" + "x" * 70, "-erin", "-", "dan", "erin", "alice",
    "#1", "#0", "#999999999999", "21:55", "22:41", "25:61", "00:00", "23:59", "7:5",
    "0001-01-01T00:00", "9999-12-31T23:59", "2026-11-23T21:00", "2026-11-23T22:42:17Z",
    "2026-02-30T10:00", "2025-11-23T22:00",
    "due:+9999d", "due:+3d", "due:+0d", "due:2026-12-01", "due:0001-01-01",
    "due:9999-12-31", "due:", "due:+3650d", "due:+3661d",
    "https://meet.example.com/x", "ftp://x", "javascript:alert(1)", "https://",
    "[bold]x[/bold]", "[$accent]", "<!channel>", "@here", "\u202etxet", "\u2066x",
    "%s%n", "{summary:>999999}", "{0.__class__}", "' OR 1=1 --", "😀", "עברית", "ｆｕｌｌ",
]
# fmt: on

TOKENS = st.one_of(
    st.sampled_from(HOSTILE_TOKENS),
    st.integers(-(10**20), 10**20).map(str),
    st.text(ANY_CHAR, max_size=12),
)

COMMAND_LINES = st.builds(
    lambda name, sep, args: "/" + name + (sep + " ".join(args) if args else ""),
    st.sampled_from([*COMMANDS, "nope", "SEV", "Fu", "", " ", "/"]),
    st.sampled_from([" ", "  ", ""]),
    st.lists(TOKENS, max_size=5),
)

LINES = st.one_of(
    COMMAND_LINES,
    COMMAND_LINES,
    st.text(ANY_CHAR, max_size=80),
    st.sampled_from(["", " ", "//", "/", "//x", "/ sev 1", "\n", "\r\n", "\x1b[2J", "\x00"]),
    st.text(ANY_CHAR, min_size=200, max_size=5000),
)

#: (the line, pasted rather than typed)
TYPED_OR_PASTED = st.tuples(LINES, st.booleans())


def _typed_keys(text: str) -> list[events.Key]:
    """Key events as the terminal driver makes them for printable characters."""
    keys = []
    for char in text:
        name = char if char.isalnum() else _character_to_key(char)
        keys.append(events.Key(name, char))
    return keys


def _record(store: Store, clock: FrozenClock):
    incident = store.incident(1)
    return build_export(store, incident, default_playbook(), now=clock.now()).model_dump()


async def _drive(tmp: Path, lines: list[tuple[str, bool]]) -> None:
    clock = FrozenClock(DEMO_NOW)
    playbook = default_playbook()
    model_store = Store(tmp / "model.db")
    seed_demo(model_store, playbook, clock)
    model = Service(model_store, clock, playbook)
    app_store = Store(tmp / "app.db")
    seed_demo(app_store, playbook, clock)
    app = WarroomApp(store=app_store, user="carol", clock=clock, cursor_blink=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        driver = app._driver
        assert driver is not None
        console = app.screen
        assert isinstance(console, ConsoleScreen)
        message = console.query_one("#scribe-error")
        for number, (line, pasted) in enumerate(lines):
            if console.incident.status == "closed":
                break  # (a closed incident is read-only: nothing more to type)
            try:
                run_line(model, 1, "carol", line)
            except WarroomError:
                accepted = False
            else:
                accepted = True
            typed = not pasted and line.isprintable()
            if typed:
                for key in _typed_keys(line):
                    driver.send_message(key)
            elif line:
                driver.send_message(events.Paste(line))
            driver.send_message(events.Key("enter", "\r"))
            await pilot.pause()
            assert app.is_running, f"line {number}: {line!r}"
            # Only a refusal ends with the pointer to the history.
            said = str(message.render()) if message.display else ""
            refused = said.endswith("↑ recalls the line")
            assert refused is not accepted, f"line {number}: {line!r}: {said!r}"
            # A screen the line opened (/update, /help, /show N) is closed again.
            for _ in range(3):
                if isinstance(app.screen, ConsoleScreen):
                    break
                await pilot.press("escape")
                await pilot.pause()
            assert console.query_one("#scribe").value == ""
            shown = app.store.incident(1).entry_count
            assert shown == model_store.incident(1).entry_count, f"line {number}: {line!r}"
            clock.advance(seconds=7)
    assert app.return_code in (None, 0)
    assert _record(app_store, clock) == _record(model_store, clock)
    render_review(app_store, app_store.incident(1), playbook, now=clock.now())
    app_store.close()
    model_store.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=TOTAL_LINES <= 320,  # the suite is reproducible; a long run explores
    # The failing line is named in the assertion; shrinking 40 long lines takes minutes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(lines=st.lists(TYPED_OR_PASTED, min_size=LINES_PER_EXAMPLE, max_size=LINES_PER_EXAMPLE))
def test_hostile_lines_through_the_scribe_line(tmp_path_factory, log_dir, lines):
    tmp = tmp_path_factory.mktemp("fuzz")
    asyncio.run(_drive(tmp, lines))
    log = log_dir / "warroom.log"
    assert not log.exists(), log.read_text()[:4000]


# -- editing keys in bursts ----------------------------------------------------

EDIT_KEYS = ["backspace", "delete", "left", "right", "home", "end", "escape", "up", "down"]
BURSTS = st.lists(
    st.lists(
        st.one_of(st.sampled_from(EDIT_KEYS), st.sampled_from(list("abc xyz"))),
        min_size=1,
        max_size=25,
    ),
    min_size=1,
    max_size=6,
)


class LineModel:
    """What the scribe line should hold after each key: an editor line with the
    scribe line's history (escape keeps the cleared text, ↑/↓ walk the history)."""

    def __init__(self) -> None:
        self.value, self.cursor = "", 0
        self.history: list[str] = []
        self.index: int | None = None
        self.draft = ""

    def _set(self, value: str) -> None:
        self.value, self.cursor = value, len(value)

    def remember(self, line: str) -> None:
        if line.strip() and (not self.history or self.history[-1] != line):
            self.history.append(line)
        self.index = None

    def press(self, key: str) -> None:
        v, c = self.value, self.cursor
        if len(key) == 1:
            self.value, self.cursor = v[:c] + key + v[c:], c + 1
        elif key == "backspace" and c:
            self.value, self.cursor = v[: c - 1] + v[c:], c - 1
        elif key == "delete":
            self.value = v[:c] + v[c + 1 :]
        elif key == "left":
            self.cursor = max(0, c - 1)
        elif key == "right":
            self.cursor = min(len(v), c + 1)
        elif key == "home":
            self.cursor = 0
        elif key == "end":
            self.cursor = len(v)
        elif key == "escape":
            if v:
                self.remember(v)
                self.value, self.cursor = "", 0
        elif key == "up" and self.history:
            if self.index is None:
                self.draft, self.index = v, len(self.history)
            self.index = max(0, self.index - 1)
            self._set(self.history[self.index])
        elif key == "down" and self.index is not None:
            self.index += 1
            if self.index >= len(self.history):
                self.index = None
                self._set(self.draft)
            else:
                self._set(self.history[self.index])

    def enter(self) -> None:
        self.remember(self.value)
        self.value, self.cursor = "", 0


async def _burst(tmp: Path, bursts: list[list[str]]) -> None:
    clock = FrozenClock(DEMO_NOW)
    store = Store(tmp / "app.db")
    seed_demo(store, default_playbook(), clock)
    app = WarroomApp(store=store, user="carol", clock=clock, cursor_blink=False)
    model = LineModel()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        scribe = app.screen.query_one("#scribe")
        driver = app._driver
        assert driver is not None
        for keys in bursts:
            for key in keys:  # all at once, as a terminal delivers them after a stall
                name = "space" if key == " " else key
                driver.send_message(events.Key(name, key if len(key) == 1 else None))
                model.press(key)
            await pilot.pause()
            assert (scribe.value, scribe.cursor_position) == (model.value, model.cursor), keys
            before = store.incident(1).entry_count
            driver.send_message(events.Key("enter", "\r"))
            await pilot.pause()
            written = model.value.strip() != ""
            assert store.incident(1).entry_count == before + written
            if written:
                assert store.entry(1, before + 1).text == model.value
            model.enter()
    store.close()


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(bursts=BURSTS)
def test_editing_keys_in_bursts_leave_the_line_a_model_predicts(tmp_path_factory, bursts):
    asyncio.run(_burst(tmp_path_factory.mktemp("burst"), bursts))
