"""User text made safe to put on a terminal, without changing what is stored.

Control characters would move the cursor or recolour the screen, and bidi
overrides would reorder what follows them, so they are drawn as visible
symbols instead. Everything else (emoji, right-to-left scripts) is left alone.
The same symbols go to Slack (:func:`printable_lines`), where an ESC or a
right-to-left override would otherwise reach every reader's client.
"""

from __future__ import annotations

import re

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{BIDI_CONTROLS}]")
#: The same, less line breaks and tabs: for text that keeps its lines (a Slack message).
UNSAFE_IN_LINES = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{BIDI_CONTROLS}]")


def visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟, e.g. ESC shows as ␛
    if code == 0x7F:
        return "␡"
    return f"<U+{code:04X}>"


def printable(text: str, limit: int | None = None) -> str:
    """``text`` with every control and bidi-control character made visible.

    ``limit`` cuts long text first, so drawing a 100 KB paste costs no more than
    drawing the part of it that fits on a line.
    """
    if limit is not None and len(text) > limit:
        text = text[:limit]
    return UNSAFE.sub(visible, text)


def printable_lines(text: str) -> str:
    """:func:`printable`, keeping line breaks and tabs (a CR LF pair becomes one
    line break): for a message of several lines, such as a stakeholder update."""
    return UNSAFE_IN_LINES.sub(visible, text.replace("\r\n", "\n"))
