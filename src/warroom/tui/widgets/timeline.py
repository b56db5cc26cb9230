"""The scribe timeline: a Line-API scroll view whose cost does not grow with the incident.

Only the rows on screen are read, in blocks, straight from SQLite by entry
number (``seq`` runs 1..N per incident, so row ``y`` is entry ``y + 1``), and
only those rows are drawn. Opening an incident of 100,000 entries reads one
block; appending an entry reads nothing it has not already got. This is the
shape of Toolong's ``LogLines``.
"""

from __future__ import annotations

from collections import OrderedDict

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from warroom.clock import parse_time
from warroom.errors import WarroomError
from warroom.models import Entry
from warroom.store import Store
from warroom.textsafe import printable

BLOCK = 64
MAX_BLOCKS = 32
#: Characters of one entry considered for its line: a 100 KB paste draws as fast as a word.
TEXT_LIMIT = 512

KIND_LABELS = {
    "decision": "▶ decision: ",
    "action": "● action: ",
    "alert": "! alert: ",
}
PERSON_KINDS = {"note", "decision", "action", "alert"}


class Timeline(ScrollView, can_focus=True):
    """Every entry of one incident, one line each, newest at the bottom."""

    BORDER_TITLE = "Timeline (scribe)"

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
    }

    BINDINGS = [
        ("up", "scroll_up", "Scroll up"),
        ("down", "scroll_down", "Scroll down"),
        ("pageup", "page_up", "Page up"),
        ("pagedown", "page_down", "Page down"),
        ("home", "scroll_home", "Oldest"),
        ("end", "scroll_end", "Newest"),
    ]

    def __init__(self, store: Store, incident_id: int, count: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.incident_id = incident_id
        self.count = count
        self._blocks: OrderedDict[int, list[Entry]] = OrderedDict()
        self._strips: dict[tuple[int, int], Strip] = {}
        #: With a filter on: the entry numbers shown, row by row. None shows every entry.
        self.rows: list[int] | None = None
        #: Show the date too: on once the incident spans more than one day.
        self.show_dates = False
        #: Show local time instead of UTC (ctrl+t).
        self.local_time = False
        #: Keep the newest entry in view, until the reader scrolls up.
        self._follow = True
        self.virtual_size = Size(0, count)

    def on_mount(self) -> None:
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
            if len(self._blocks) > MAX_BLOCKS:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(block)
        offset = (seq - 1) % BLOCK
        return entries[offset] if offset < len(entries) else None

    def _forget_block_of(self, seq: int) -> None:
        self._blocks.pop((seq - 1) // BLOCK, None)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.size.height:
            self._follow = new_value >= self.max_scroll_y

    @property
    def row_count(self) -> int:
        return self.count if self.rows is None else len(self.rows)

    def show_rows(self, rows: list[int] | None) -> None:
        """Show only these entries (a filter), or every entry again with None."""
        self.rows = rows
        self.virtual_size = Size(self.size.width, self.row_count)
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
        self.count = count
        self.virtual_size = Size(self.size.width, self.row_count)
        if follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def set_time_display(self, *, show_dates: bool, local_time: bool) -> None:
        if (show_dates, local_time) != (self.show_dates, self.local_time):
            self.show_dates, self.local_time = show_dates, local_time
            self._strips.clear()
            self.refresh()

    def format_time(self, stamp: str) -> str:
        """``HH:MM:SS`` in UTC; with ``MM-DD`` once the incident spans days; local on request."""
        if self.local_time:
            stamp = parse_time(stamp).astimezone().strftime("%Y-%m-%dT%H:%M:%S")
        return f"{stamp[5:10]} {stamp[11:19]}" if self.show_dates else stamp[11:19]

    def invalidate(self) -> None:
        """Another console changed something (a strike, a star): re-read what is shown."""
        self._blocks.clear()
        self._strips.clear()
        self.refresh()

    # -- drawing ------------------------------------------------------

    def on_resize(self) -> None:
        follow = self._follow
        self._strips.clear()
        self.virtual_size = Size(self.size.width, self.row_count)
        if follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def render_line(self, y: int) -> Strip:
        row = self.scroll_offset.y + y
        width = self.scrollable_content_region.width  # the scrollbar takes its columns
        if row >= self.row_count or width <= 0:
            return Strip.blank(width, self.rich_style)
        seq = row + 1 if self.rows is None else self.rows[row]
        key = (seq, width)
        strip = self._strips.get(key)
        if strip is None:
            entry = self._entry(seq)
            if entry is None:
                return Strip.blank(width, self.rich_style)
            strip = self._render_entry(entry, width)
            if len(self._strips) > 4096:
                self._strips.clear()
            self._strips[key] = strip
        return strip

    def _render_entry(self, entry: Entry, width: int) -> Strip:
        style = self.get_component_rich_style
        base = self.rich_style
        number_width = max(3, len(str(self.count)))
        when = entry.occurred_at or entry.at
        time_text = self.format_time(when) + ("*" if entry.occurred_at else " ")
        segments = [
            Segment(f"{entry.seq:>{number_width}} ", base + style("timeline--number")),
            Segment(time_text + " ", base + style("timeline--time")),
            Segment(f"{printable(entry.author, 12)[:8]:<8} ", base + style("timeline--author")),
        ]
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
        logged = f"  (logged {self.format_time(entry.at)[-8:-3]})" if entry.occurred_at else ""
        room = max(1, width - sum(segment.cell_length for segment in segments) - len(logged))
        text = printable(entry.text, min(room, TEXT_LIMIT)).replace("␊", "⏎")
        if len(entry.text) > room or cell_len(text) > room:
            text = set_cell_size(text, room - 1) + "…"  # there is more than fits
        segments.append(Segment(text, text_style))
        if logged:
            segments.append(Segment(logged, base + style("timeline--time")))
        return Strip(segments).crop_extend(0, width, base)
