"""Digits big enough to read across a room: a 3x5 block font, scaled by an integer.

Textual's ``Digits`` is three rows tall at every size; on a shared screen the
countdown should fill about a third of it. Each pixel of the font is drawn as
``2·scale`` columns by ``scale`` rows of full blocks (a terminal cell is about
twice as tall as it is wide, so pixels come out square), and the scale is the
largest that keeps the text within ``1/HEIGHT_SHARE`` of the terminal's height
and within its width. Line API: each row is built from the font, no markup.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual.geometry import Size
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

#: Rows of the font.
FONT_HEIGHT = 5
#: The digits take at most this share of the terminal's height (1/3).
HEIGHT_SHARE = 3

FONT: dict[str, tuple[str, ...]] = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", "###", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", "..#", "..#", "..#"),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    ":": (".", "#", ".", "#", "."),
    "+": ("...", ".#.", "###", ".#.", "..."),
    "-": ("...", "...", "###", "...", "..."),
    " ": ("..", "..", "..", "..", ".."),
}


def glyphs(text: str) -> list[tuple[str, ...]]:
    """The font's glyph for each character (anything unknown as a space)."""
    return [FONT.get(char, FONT[" "]) for char in text]


def pixel_width(text: str) -> int:
    """Width in font pixels, with one pixel between glyphs."""
    shapes = glyphs(text)
    return sum(len(shape[0]) for shape in shapes) + max(0, len(shapes) - 1)


def best_scale(text: str, width: int, height: int) -> int:
    """The largest scale at which ``text`` fits ``width`` columns and a third of
    ``height`` rows (at least 1)."""
    by_height = height // (HEIGHT_SHARE * FONT_HEIGHT)
    by_width = width // max(1, 2 * pixel_width(text))
    return max(1, min(by_height, by_width))


def render_rows(text: str, scale: int) -> list[str]:
    """The text drawn in blocks, one string per terminal row."""
    rows = []
    for line in range(FONT_HEIGHT):
        pixels = ".".join(shape[line] for shape in glyphs(text))
        row = "".join(("█" if pixel == "#" else " ") * (2 * scale) for pixel in pixels)
        rows.extend([row] * scale)
    return rows


class BigDigits(Widget):
    """A clock in block digits that grows with the terminal."""

    DEFAULT_CSS = "BigDigits { width: auto; height: auto; }"

    text: reactive[str] = reactive("--:--", layout=True)

    def __init__(self, text: str = "--:--", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.set_reactive(BigDigits.text, text)
        self._rows: list[str] = []
        self._drawn: tuple[str, int] | None = None

    @property
    def scale(self) -> int:
        size = self.app.size
        return best_scale(self.text, size.width - 4, size.height)

    def update(self, text: str) -> None:
        self.text = text

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return 2 * pixel_width(self.text) * self.scale

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return FONT_HEIGHT * self.scale

    def render_line(self, y: int) -> Strip:
        key = (self.text, self.scale)
        if key != self._drawn:
            self._rows = render_rows(*key)
            self._drawn = key
        width = self.size.width
        if y >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        return Strip([Segment(self._rows[y], self.rich_style)]).crop_extend(
            0, width, self.rich_style
        )
