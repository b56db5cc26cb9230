"""Whatever is typed or pasted is stored byte for byte and shown literally."""

from __future__ import annotations

import json

import pytest
from textual import events

from console_support import demo_app, screen_text
from warroom.exports.incident import build_export
from warroom.tui.widgets.scribe_input import ScribeInput

TYPED = ["[bold red]x[/]", "[/]", "<!channel> and <@U123>", "[$accent]hi[B]"]
PASTED = [
    "\x1b[31mred\x1b[0m \x1b]0;pwned\x07 done",
    "deploy 🚀🔥 rolled back 👩🏽‍💻",
    "שלום עולם — مرحبا بالعالم",
    "bidi \u202etxt.exe\u202c end",
    "stack trace:\n  File x.py, line 3\n    boom",
    "A" * 100_000,
]


@pytest.mark.parametrize("text", TYPED)
async def test_typed_markup_is_stored_and_shown_literally(tmp_path, text):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*list(text))
        await pilot.press("enter")
        await pilot.pause()
        incident = app.store.incident(1)
        entry = app.store.entry(1, incident.entry_count)
        assert entry.text == text
        assert text in screen_text(app)
        exported = json.loads(build_export(app.store, incident).to_json())
        assert exported["timeline"][-1]["text"] == text


@pytest.mark.parametrize("text", PASTED, ids=["ansi", "emoji", "rtl", "bidi", "multiline", "100KB"])
async def test_pasted_text_is_stored_byte_for_byte_and_drawn_safely(tmp_path, text):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        scribe = app.screen.query_one(ScribeInput)
        scribe.post_message(events.Paste(text))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        incident = app.store.incident(1)
        entry = app.store.entry(1, incident.entry_count)
        assert entry.text == text
        shown = screen_text(app)
        assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
        if "\x1b" in text:
            assert "␛[31mred␛[0m" in shown
        if "\u202e" in text:
            assert "<U+202E>txt.exe" in shown
        if text.startswith(("deploy", "שלום")):
            assert text in shown  # emoji and right-to-left text drawn as typed
        if text.startswith("stack"):
            assert "stack trace:⏎  File x.py" in shown  # line breaks made visible
        if text.startswith("AAAA"):
            assert "A" * 60 + "…" in shown  # as much as fits, and a sign of more
        exported = json.loads(build_export(app.store, incident).to_json())
        assert exported["timeline"][-1]["text"] == text
        # The console is still alive and takes the next line.
        await pilot.press(*"still here", "enter")
        await pilot.pause()
        assert app.store.entry(1, incident.entry_count + 1).text == "still here"
