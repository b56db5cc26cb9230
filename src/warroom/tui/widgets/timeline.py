"""The scribe timeline: a Line-API scroll view whose cost does not grow with the incident.

Only the rows on screen are read, in blocks, straight from SQLite by entry
number (``seq`` runs 1..N per incident, so row ``y`` is entry ``y + 1``), and
only those rows are drawn. Opening an incident of 100,000 entries reads one
block; appending an entry reads nothing it has not already got. This is the
shape of Toolong's ``LogLines``.

Each entry gets one line, and the line is for its text. On a wide timeline
(:data:`FULL_FROM` cells) a line is ``number time-with-seconds author text``;
narrower, it is ``number HH:MM text``, with ``@author`` leading the text only
where the author changes from the row above (and on the top row, so whoever
wrote what is in view is always on screen). At 80 columns that leaves 50
characters of text, at 120 columns 90.

With focus (ctrl+r from the scribe line) a cursor marks one row: ↑/↓ move it,
Enter opens that entry whole, escape goes back to the scribe line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from warroom.clock import parse_time
from warroom.db.store import Store
from warroom.domain.models import Entry
from warroom.errors import WarroomError
from warroom.textsafe import printable

BLOCK = 64
#: Blocks of entries kept, least recently drawn dropped first (2,048 entries).
MAX_BLOCKS = 32
#: Drawn lines kept (by entry, width and whether the author is named), least
#: recently drawn dropped first: a few screens' worth, both formats.
MAX_STRIPS = 4096
#: Characters of one entry considered for its line: a 100 KB paste draws as fast as a word.
TEXT_LIMIT = 512
#: Cells of text area from which a line shows seconds and an author column: at
#: 160 columns the timeline has 105; at 120 (100 cells) every cell goes to the text.
FULL_FROM = 104
#: The author column of the full format.
AUTHOR_WIDTH = 8
#: At most this much of a name where the narrow format names the author.
AUTHOR_INLINE = 16

KIND_LABELS = {
    "decision": "▶ decision: ",
    "action": "● action: ",
    "alert": "! alert: ",
}
PERSON_KINDS = {"note", "decision", "action", "alert"}


def zone_label(local_time: bool) -> str:
    """The zone the timeline's times are in, as its title says it: ``UTC`` or
    ``local (CET)`` (the system's own abbreviation, or its offset)."""
    if not local_time:
        return "UTC"
    here = datetime.now().astimezone()
    name = here.tzname() or here.strftime("%z")
    return f"local ({name})"


class Timeline(ScrollView, can_focus=True):
    """Every entry of one incident, one line each, newest at the bottom."""

    COMPONENT_CLASSES = {
        "timeline--number",
        "timeline--time",
        "timeline--author",
        "timeline--decision",
        "timeline--action",
        "timeline--alert",
        "timeline--system",
        "timeline--struck",
        "timeline--star",
        "timeline--cursor",
    }

    BINDINGS = [
        Binding("up", "cursor(-1)", "Earlier", show=False),
        Binding("down", "cursor(1)", "Later", show=False),
        Binding("pageup", "cursor_page(-1)", "Page up", show=False),
        Binding("pagedown", "cursor_page(1)", "Page down", show=False),
        Binding("home", "cursor_to(0)", "Oldest", show=False),
        Binding("end", "cursor_to(-1)", "Newest", show=False),
        Binding("enter", "open", "Read whole", show=True),
        Binding("escape", "leave", "Back to the scribe line", show=True),
    ]

    class Open(Message):
        """Enter on a row: show entry ``seq`` whole."""

        def __init__(self, seq: int) -> None:
            super().__init__()
            #: The entry's number in its incident.
            self.seq = seq

    class Leave(Message):
        """Escape: the reader is done; the scribe line takes focus again."""

    def __init__(self, store: Store, incident_id: int, count: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.incident_id = incident_id
        self.count = count
        # Textual's LRU caches, as its Log and Toolong's LogLines keep theirs: a
        # long scroll drops the lines least recently drawn, not all of them.
        self._blocks: LRUCache[int, list[Entry]] = LRUCache(MAX_BLOCKS)
        self._strips: LRUCache[tuple[int, int, bool], Strip] = LRUCache(MAX_STRIPS)
        #: With a filter on: the entry numbers shown, row by row. None shows every entry.
        self.rows: list[int] | None = None
        #: Show the date too: on once the incident spans more than one day.
        self.show_dates = False
        #: Show local time instead of UTC (ctrl+t).
        self.local_time = False
        #: The row the reader is on while the timeline has focus (None: the newest).
        self.cursor: int | None = None
        #: What the title says besides the zone (a filter's description).
        self._heading = "Timeline"
        #: Keep the newest entry in view, until the reader scrolls up.
        self._follow = True
        # Only its height counts (overflow-x is hidden): kept at width 0, so a
        # resize that leaves the number of rows alone changes nothing to lay out.
        self.virtual_size = Size(0, count)
        #: The border title as last set (setting it, even unchanged, repaints).
        self._title: str | None = None
        #: (size, virtual size, container size) when last laid out: see _size_updated.
        self._laid_out: tuple[Size, Size, Size] | None = None
        self._show_title()

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        """Laid out again with nothing changed: nothing to do.

        Textual's ScrollView (8.2.8) compares the compositor's virtual size
        with its own, which for a Line-API view never match (ours is the
        timeline's length), so every layout of the screen refreshed the
        scrollbar unchanged: once a second, when the header's clock and the
        countdown update, the whole scrollbar column (a row per line of the
        timeline) went out again, to the terminal and to every browser tab."""
        laid_out = (size, self.virtual_size, container_size)
        if laid_out == self._laid_out:
            return False
        self._laid_out = laid_out
        return super()._size_updated(size, virtual_size, container_size, layout)

    def on_mount(self) -> None:
        # Titled again now that its border is known (in __init__ it is not yet),
        # so the first frame has the title as it stays, not with its own spaces.
        self._show_title()
        # Anchored, the compositor scrolls to the newest entry as it lays the
        # timeline out, so the very first frame shows the end of the incident,
        # not its first page and then the end one frame later. Scrolling up
        # releases the anchor (as it stops ``_follow``); the bottom restores it.
        self.anchor()

    # -- data ---------------------------------------------------------

    def _entry(self, seq: int) -> Entry | None:
        block = (seq - 1) // BLOCK
        entries = self._blocks.get(block)
        if entries is None:
            first = block * BLOCK + 1
            try:
                entries = self.store.entries(self.incident_id, first, first + BLOCK - 1)
            except WarroomError:
                # A damaged page: draw what can be read; the console says what happened.
                return None
            self._blocks[block] = entries
        offset = (seq - 1) % BLOCK
        return entries[offset] if offset < len(entries) else None

    def _forget_block_of(self, seq: int) -> None:
        self._blocks.discard((seq - 1) // BLOCK)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.size.height:
            self._follow = new_value >= self.max_scroll_y

    @property
    def row_count(self) -> int:
        return self.count if self.rows is None else len(self.rows)

    def seq_at(self, row: int) -> int:
        """The entry number shown on ``row``."""
        return row + 1 if self.rows is None else self.rows[row]

    def show_rows(self, rows: list[int] | None, heading: str = "Timeline") -> None:
        """Show only these entries (a filter), or every entry again with None."""
        self.rows = rows
        self._heading = heading
        self._show_title()
        self.cursor = None
        self.virtual_size = Size(0, self.row_count)
        self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def set_count(self, count: int) -> None:
        """Entries up to ``count`` exist now: grow, and follow if we were at the bottom."""
        if count == self.count:
            return
        follow = self._follow
        if self.count:
            # The last block may have been read while it was partly empty.
            self._forget_block_of(self.count)
        if follow and self.rows is None and self.cursor == self.count - 1:
            self.cursor = count - 1  # a reader on the newest entry stays on the newest
        self.count = count
        self.virtual_size = Size(0, self.row_count)
        if follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def set_time_display(self, *, show_dates: bool, local_time: bool) -> None:
        if (show_dates, local_time) != (self.show_dates, self.local_time):
            self.show_dates, self.local_time = show_dates, local_time
            self._strips.clear()
            self._show_title()
            self.refresh()

    def _show_title(self) -> None:
        title = f"{self._heading} · {zone_label(self.local_time)}"
        # Textual spaces a title off its corners; with the top edge alone
        # (narrow screens) there are none, so the title brings its own.
        cornered = self.styles.border_left[0] not in ("", "none", "hidden")
        title = title if cornered else f" {title} "
        if title != self._title:
            self._title = title
            self.border_title = title

    def format_time(self, stamp: str, *, seconds: bool = True) -> str:
        """``HH:MM:SS`` (or ``HH:MM``) in UTC; with ``MM-DD`` once the incident
        spans days; local on request."""
        if self.local_time:
            stamp = parse_time(stamp).astimezone().strftime("%Y-%m-%dT%H:%M:%S")
        clock = stamp[11:19] if seconds else stamp[11:16]
        return f"{stamp[5:10]} {clock}" if self.show_dates else clock

    def invalidate(self) -> None:
        """Another console changed something (a strike, a star): re-read what is shown."""
        self._blocks.clear()
        self._strips.clear()
        self.refresh()

    # -- the reading cursor -------------------------------------------

    def read_newest(self) -> None:
        """ctrl+r: focus, with the cursor on the newest entry in view."""
        self.focus()
        self.action_cursor_to(-1)

    def on_focus(self) -> None:
        if self.cursor is None or self.cursor >= self.row_count:
            self.cursor = self.row_count - 1 if self.row_count else None
        self._cursor_into_view()
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def _cursor_into_view(self) -> None:
        if self.cursor is None:
            return
        height = self.scrollable_content_region.height
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif height and self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def _move_cursor(self, row: int) -> None:
        if not self.row_count:
            return
        self.cursor = max(0, min(self.row_count - 1, row))
        self._cursor_into_view()
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        start = self.row_count - 1 if self.cursor is None else self.cursor
        self._move_cursor(start + delta)

    def action_cursor_page(self, direction: int) -> None:
        """A page at a time: the view moves by a page and the cursor with it."""
        page = max(1, self.scrollable_content_region.height - 1)
        self.scroll_to(y=self.scroll_y + direction * page, animate=False, immediate=True)
        self.action_cursor(direction * page)

    def action_cursor_to(self, row: int) -> None:
        self._move_cursor(row if row >= 0 else self.row_count - 1)
        if row < 0:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def action_open(self) -> None:
        if self.cursor is not None and self.cursor < self.row_count:
            self.post_message(self.Open(self.seq_at(self.cursor)))

    def action_leave(self) -> None:
        self.post_message(self.Leave())

    # -- drawing ------------------------------------------------------

    def notify_style_update(self) -> None:
        """The styles changed (a theme, a class): the drawn lines carry the old
        colours, so they are drawn again (as Textual's Log does)."""
        super().notify_style_update()
        self._strips.clear()

    def on_resize(self) -> None:
        follow = self._follow
        self._strips.clear()
        self._show_title()
        self.virtual_size = Size(0, self.row_count)
        if follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.scrollable_content_region.width  # the scrollbar takes its columns
        if row >= self.row_count or width <= 0:
            return Strip.blank(width, self.rich_style)
        seq = self.seq_at(row)
        full = width >= FULL_FROM
        # The narrow format names the author where it changes, and on the top row.
        show_author = full or y == 0 or row == 0 or self._author_changes(row)
        key = (seq, width, show_author)
        strip = self._strips.get(key)
        if strip is None:
            entry = self._entry(seq)
            if entry is None:
                return Strip.blank(width, self.rich_style)
            strip = self._render_entry(entry, width, show_author=show_author)
            self._strips[key] = strip
        if row == self.cursor and self.has_focus:
            cursor = self.get_component_rich_style("timeline--cursor")
            strip = Strip(
                Segment.apply_style(list(strip), post_style=Style(bgcolor=cursor.bgcolor))
            )
        return strip

    def _author_changes(self, row: int) -> bool:
        """Whether ``row`` was written by someone else than the row above it."""
        above = self._entry(self.seq_at(row - 1))
        here = self._entry(self.seq_at(row))
        return above is None or here is None or above.author != here.author

    def _render_entry(self, entry: Entry, width: int, *, show_author: bool) -> Strip:
        style = self.get_component_rich_style
        base = self.rich_style
        full = width >= FULL_FROM
        number_width = max(2, len(str(self.count)))
        when = entry.occurred_at or entry.at
        segments = [Segment(f"{entry.seq:>{number_width}} ", base + style("timeline--number"))]
        if full:
            # ``*``: it happened earlier than it was logged (/at).
            time_text = self.format_time(when) + ("*" if entry.occurred_at else " ")
            author = f"{printable(entry.author, 12)[:AUTHOR_WIDTH]:<{AUTHOR_WIDTH}} "
            segments.append(Segment(time_text + " ", base + style("timeline--time")))
            segments.append(Segment(author, base + style("timeline--author")))
        else:
            time_text = self.format_time(when, seconds=False)
            segments.append(Segment(time_text + " ", base + style("timeline--time")))
            if show_author:
                name = printable(entry.author, AUTHOR_INLINE + 1)
                if len(name) > AUTHOR_INLINE:  # a long Slack display name
                    name = name[: AUTHOR_INLINE - 1] + "…"
                segments.append(Segment(f"@{name} ", base + style("timeline--author")))
        if entry.starred:
            segments.append(Segment("★ ", base + style("timeline--star")))
        if entry.kind in PERSON_KINDS:
            text_style = base
            label = KIND_LABELS.get(entry.kind)
            if label:
                segments.append(Segment(label, base + style(f"timeline--{entry.kind}")))
        else:
            text_style = base + style("timeline--system")
        if entry.struck:
            text_style = text_style + style("timeline--struck") + Style(strike=True)
        # Never more characters than cells left on the line: measuring and
        # splitting a long paste (or caching its pieces) costs time and memory.
        # A backdated (/at) entry says when it was logged; that stays in view
        # however long the text, in the same time zone as the time column.
        logged = ""
        if entry.occurred_at:
            logged = f"  (logged {self.format_time(entry.at, seconds=False)[-5:]})"
        room = max(1, width - sum(segment.cell_length for segment in segments) - len(logged))
        text = printable(entry.text, min(room, TEXT_LIMIT)).replace("␊", "⏎")
        if len(entry.text) > room or cell_len(text) > room:
            text = set_cell_size(text, room - 1) + "…"  # there is more than fits
        segments.append(Segment(text, text_style))
        if logged:
            segments.append(Segment(logged, base + style("timeline--time")))
        return Strip(segments).crop_extend(0, width, base)
