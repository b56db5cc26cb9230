"""User text as literal Markdown: what was typed is what the reader sees.

Markdown specials are backslash-escaped (so ``[bold]``, ``<!channel>`` or
``*urgent*`` stay text), control and bidi characters are made visible, and a
line break inside a one-line field is shown as ``⏎``. Multi-line text keeps
its lines and paragraphs.

:func:`md_rows` does the same to a whole timeline at once. The review of a
100,000-entry incident should cost about what reading those rows does, so
SQLite joins the rows into one UTF-8 string and the escaping runs on those
bytes with ``bytes.replace`` (a memchr-speed scan per special character),
not with a Python call per row or per match.
"""

from __future__ import annotations

import re

from warroom.textsafe import UNSAFE, printable, visible

#: Characters that can mean something inline in Markdown (CommonMark + GFM),
#: escaped wherever they appear in user text: emphasis, code, links and images
#: (with ``[`` and ``]`` escaped, parentheses are inert), HTML and autolinks,
#: table cells, strikethrough, and ``&`` (or ``&amp;`` would render as ``&``).
#: Those that only matter at the start of a line are handled there. The
#: backslash comes first: :func:`md_rows` escapes one character at a time.
SPECIALS = "\\`*_[]<>!|~&"
_MD_SPECIAL = re.compile("[" + re.escape(SPECIALS) + "]")
#: At the start of a line, digits then ``.`` or ``)`` would make a numbered list.
_ORDINAL = re.compile(r"\d+(?=[.)])")
_NEWLINES = re.compile(r"\r\n|\r|\n")
LINE_BREAK = " ⏎ "

#: What SQL puts between rows, and around the text of a struck entry, for
#: :func:`md_rows`. The separator is printable, so one ``isprintable`` call
#: can vet the whole timeline, and is none of the symbols that stand for
#: control characters; the struck markers are control characters. User text
#: that holds one is noticed by counting, never mistaken for it.
ROW_SEP = "\u2042"  # ⁂ ASTERISM
STRUCK_OPEN = "\x02"
STRUCK_CLOSE = "\x03"
STRUCK_OPEN_MD = "~~"
STRUCK_CLOSE_MD = "~~ (struck)"

_OPEN_BYTES = STRUCK_OPEN.encode()
_CLOSE_BYTES = STRUCK_CLOSE.encode()
_CONTROL_BYTES = bytes(range(0x20)) + b"\x7f"
_SPECIAL_BYTES = [(c.encode(), b"\\" + c.encode()) for c in SPECIALS]
_BREAK_BYTES = LINE_BREAK.encode()


def md_inline(text: str) -> str:
    """User text on one Markdown line: literal, line breaks shown as ⏎, no escapes."""
    text = _MD_SPECIAL.sub(r"\\\g<0>", text)
    if UNSAFE.search(text) is not None:  # rare: only then pay for the rest
        text = printable(_NEWLINES.sub(LINE_BREAK, text))
    return text


def md_block(text: str, *, empty: str = "_Not written yet._") -> str:
    """Multi-line user text as Markdown paragraphs, every line kept and literal.

    Blank lines separate paragraphs; other line breaks are hard breaks. A line
    that would start a list, a heading or a code block is escaped, so what
    was typed is what is read.
    """
    if not text.strip():
        return empty
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in _NEWLINES.split(text.strip("\r\n")):
        if not raw.strip():
            if current:
                paragraphs.append("\\\n".join(current))
                current = []
            continue
        line = _MD_SPECIAL.sub(r"\\\g<0>", raw.rstrip())
        line = _escape_line_start(line)
        current.append(printable(line))
    if current:
        paragraphs.append("\\\n".join(current))
    return "\n\n".join(paragraphs)


def _escape_line_start(line: str) -> str:
    """Indentation would make a code block: keep it, as no-break spaces."""
    stripped = line.lstrip(" ")
    indent = len(line) - len(stripped)
    if stripped.startswith(("-", "=", "+", "#")):
        stripped = "\\" + stripped
    elif (m := _ORDINAL.match(stripped)) is not None:
        stripped = f"{m.group()}\\{stripped[m.end() :]}"
    return "\u00a0" * indent + stripped


def md_row(head: str, text: str, *, struck: bool = False) -> str:
    """One timeline row, its markup ``head`` then the entry's text (struck through
    if ``struck``): what :func:`md_rows` makes of it, one row at a time."""
    if struck:
        return f"{md_inline(head)}{STRUCK_OPEN_MD}{md_inline(text)}{STRUCK_CLOSE_MD}"
    return md_inline(head + text)


def md_rows(joined: bytes, *, rows: int, struck: int) -> str | None:
    """Rows as escaped Markdown lines, each exactly :func:`md_inline` of the row.

    ``joined`` is ``rows`` rows in UTF-8 separated by :data:`ROW_SEP`, the text of
    ``struck`` of them wrapped in :data:`STRUCK_OPEN` … :data:`STRUCK_CLOSE`
    (:func:`md_row` says what each becomes). Whatever markup the caller put in
    the rows must hold no Markdown special, so escaping everything equals
    escaping the user text.

    Returns ``None`` when user text itself holds one of those three characters:
    the caller then escapes row by row.
    """
    if rows == 0:
        return ""
    if b"\r" in joined:
        joined = joined.replace(b"\r\n", _BREAK_BYTES).replace(b"\r", _BREAK_BYTES)
    if b"\n" in joined:
        joined = joined.replace(b"\n", _BREAK_BYTES)
    # Other control characters in user text are rare: count the markers one
    # by one only when there is anything else to count.
    controls = len(joined) - len(joined.translate(None, _CONTROL_BYTES))
    if controls != 2 * struck and (
        joined.count(_OPEN_BYTES) != struck or joined.count(_CLOSE_BYTES) != struck
    ):
        return None
    for special, escaped in _SPECIAL_BYTES:
        if special in joined:
            joined = joined.replace(special, escaped)
    if struck:
        joined = joined.replace(_OPEN_BYTES, STRUCK_OPEN_MD.encode())
        joined = joined.replace(_CLOSE_BYTES, STRUCK_CLOSE_MD.encode())
    text = joined.decode("utf-8", errors="replace")
    if text.count(ROW_SEP) != rows - 1:  # cheaper on text than on UTF-8
        return None
    # Python's printable is stricter than ours (no-break spaces, format
    # characters), so it only says when the exact pass is needed.
    if not text.isprintable():
        text = UNSAFE.sub(visible, text)
    return text.replace(ROW_SEP, "\n")
