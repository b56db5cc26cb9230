"""The review's entry lines, shaped in SQL: the one place a Markdown line is built by SQLite.

The review of 100,000 entries must stay within 1.5x of reading the rows
(benchmarks/bench_review.py): SQLite builds each line's markup and joins
them into one UTF-8 string, so Python never makes an object per row. The
Markdown escaping of that string stays in :mod:`warroom.markdown`.
"""

from __future__ import annotations

from typing import Literal

from warroom.db.store import Store
from warroom.markdown import ROW_SEP, STRUCK_CLOSE, STRUCK_OPEN

#: Which lines: the role changes, every entry, or the starred ones.
Lines = Literal["handovers", "timeline", "key_events"]

#: The order things happened in: a backdated (``/at``) entry by its occurred-at
#: time, every other by when it was logged; ties by entry number. The same
#: expression as the index ``idx_entries_happened`` (schema 5), so SQLite
#: reads the rows in this order instead of sorting them.
HAPPENED = "coalesce(occurred_at, at), seq"


def _when_sql(column: str, day: str | None) -> str:
    """A stored time as :class:`_Times` shows it: ``HH:MM:SS`` on ``day``, else ISO."""
    if day is None:
        return column
    return (
        f"CASE WHEN substr({column}, 1, 10) = :day THEN substr({column}, 12, 8) ELSE {column} END"
    )


def _entry_head_sql(day: str | None) -> str:
    """``- ★ #12 22:03:40 — carol (decision): ``, the markup before an entry's text."""
    return (
        "CASE WHEN starred THEN '- ★ #' ELSE '- #' END || seq || ' ' ||"
        f" CASE WHEN occurred_at IS NULL THEN {_when_sql('at', day)}"
        f" ELSE {_when_sql('occurred_at', day)} || ' (logged ' || {_when_sql('at', day)} || ')'"
        " END || ' — ' || author"
        " || CASE WHEN kind = 'note' THEN ': ' ELSE ' (' || kind || '): ' END"
    )


def _shape(which: Lines, day: str | None) -> tuple[str, str, str, str, str]:
    """(head, text, where, order, source) SQL for ``which`` lines."""
    if which == "handovers":
        head = f"'- ' || {_when_sql('at', day)} || ' '"
        return head, "text || ' (by ' || author || ')'", "kind = 'role'", "seq", "entries"
    if which == "timeline":
        return _entry_head_sql(day), "text", "", HAPPENED, "entries"
    # The few starred entries through their own index, then sorted: the
    # happened-order index would walk every entry to find them.
    source = "entries INDEXED BY idx_entries_starred"
    return _entry_head_sql(day), "text", "starred", HAPPENED, source


def joined_lines(
    store: Store, incident_id: int, day: str | None, which: Lines
) -> tuple[bytes, int, int]:
    """(the lines joined by ``ROW_SEP`` as UTF-8, how many, how many struck).

    A struck entry's text is wrapped in ``STRUCK_OPEN``/``STRUCK_CLOSE``; times
    on ``day`` are ``HH:MM:SS``, others ISO.
    """
    head, text, where, order, source = _shape(which, day)
    where = "incident_id = :incident_id" + (f" AND {where}" if where else "")
    line = f"{head} || CASE WHEN struck THEN char({ord(STRUCK_OPEN)}) || {text}"
    line += f" || char({ord(STRUCK_CLOSE)}) ELSE {text} END"
    [(joined, rows, struck)] = store.read_rows(
        f"SELECT CAST(group_concat(line, '{ROW_SEP}') AS BLOB), count(*), total(struck)"
        f" FROM (SELECT {line} AS line, struck FROM {source} WHERE {where} ORDER BY {order})",
        {"incident_id": incident_id, "day": day},
    )
    return joined or b"", rows, int(struck)


def line_parts(
    store: Store, incident_id: int, day: str | None, which: Lines
) -> list[tuple[str, str, bool]]:
    """(head, text, struck) of each line: the slow path, escaped row by row."""
    head, text, where, order, source = _shape(which, day)
    where = "incident_id = :incident_id" + (f" AND {where}" if where else "")
    rows = store.read_rows(
        f"SELECT {head}, {text}, struck FROM {source} WHERE {where} ORDER BY {order}",
        {"incident_id": incident_id, "day": day},
    )
    return [(h, t, bool(struck)) for h, t, struck in rows]
