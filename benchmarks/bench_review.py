"""The review export and timeline search on a 100,000-entry incident, vs plain sqlite3.

Target: each at most 1.5x the time plain ``sqlite3`` takes to read the same rows.

- **export md**: ``warroom.exports.review.render_review`` (the whole review document, in
  memory) vs reading the rows it renders, with the columns it needs
  (``SELECT seq, at, occurred_at, author, kind, text, struck, starred … ORDER
  BY seq``, ``fetchall``).
- **search**: ``Store.search`` with several filters vs reading the rows it
  searches (``SELECT seq, author, kind, text, starred …``, ``fetchall``), and,
  for information, vs plain sqlite3 running the same ``LIKE`` query.

The fixture (``_fixture.make_db``) is cached in ``$TMPDIR/warroom-bench``. Runs
alternate between warroom and the baseline; medians of ``--runs`` are compared.

    python benchmarks/bench_review.py [--runs 7] [--entries 100000]

It prints figures and a PASS/FAIL line, and exits 0 either way.
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _fixture import make_db  # noqa: E402

TARGET = 1.5

EXPORT_BASELINE = (
    "SELECT seq, at, occurred_at, author, kind, text, struck, starred"
    " FROM entries WHERE incident_id = ? ORDER BY seq"
)
SEARCH_BASELINE = (
    "SELECT seq, author, kind, text, starred FROM entries WHERE incident_id = ? ORDER BY seq"
)

#: What Store.search runs for a text-only ASCII search, run with plain sqlite3.
SAME_LIKE = "SELECT seq FROM entries WHERE incident_id = ? AND text LIKE ? ESCAPE '\\' ORDER BY seq"

#: (label, Store.search keyword arguments)
SEARCHES: list[tuple[str, dict]] = [
    ("text 'restarted'", {"text": "restarted"}),
    ("text 'QB-SYNC' (case)", {"text": "QB-SYNC"}),
    ("text '50%' (literal %)", {"text": "50%"}),
    ("text 'עדיין' (non-ASCII)", {"text": "עדיין"}),
    ("kind decision", {"kind": "decision"}),
    ("author carol", {"author": "carol"}),
    ("starred", {"starred": True}),
    ("text+kind+author", {"text": "worker", "kind": "note", "author": "dan"}),
]


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def compare(
    ours: Callable[[], object], base: Callable[[], object], runs: int
) -> tuple[float, float]:
    """Medians (seconds) of ``runs`` alternating runs, after one warm-up of each."""
    ours()
    base()
    mine, theirs = [], []
    for n in range(runs):
        pair = [(mine, ours), (theirs, base)]
        if n % 2:
            pair.reverse()
        for sink, fn in pair:
            sink.append(timed(fn))
    return statistics.median(mine), statistics.median(theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()

    from warroom.clock import parse_time
    from warroom.db.store import Store
    from warroom.exports.review import render_review
    from warroom.playbook import default_playbook

    path = make_db(args.entries)
    store = Store(path)
    plain = sqlite3.connect(path)
    incident_id = store.active_incident_id() or 1
    playbook = default_playbook()
    # After the fixture's last entry, so the document and figures are stable.
    now = parse_time("2026-01-12T09:00:00Z")
    results: list[tuple[str, float, float]] = []

    def export_md() -> str:
        incident = store.incident(incident_id)
        assert incident is not None
        return render_review(store, incident, playbook, now=now)

    def read_rows() -> list:
        return plain.execute(EXPORT_BASELINE, (incident_id,)).fetchall()

    size = len(export_md().encode("utf-8")) / 2**20
    ours, base = compare(export_md, read_rows, args.runs)
    results.append((f"export md ({size:.1f} MiB)", ours, base))

    def read_searched() -> list:
        return plain.execute(SEARCH_BASELINE, (incident_id,)).fetchall()

    info: list[tuple[str, float, float, int]] = []
    for label, kwargs in SEARCHES:
        found = store.search(incident_id, **kwargs)
        ours, base = compare(
            lambda kw=kwargs: store.search(incident_id, **kw), read_searched, args.runs
        )
        results.append((f"search {label} ({len(found):,} hits)", ours, base))
        if set(kwargs) == {"text"} and kwargs["text"].isascii():
            needle = kwargs["text"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            ours_again, raw_like = compare(
                lambda kw=kwargs: store.search(incident_id, **kw),
                lambda n=needle: plain.execute(SAME_LIKE, (incident_id, f"%{n}%")).fetchall(),
                args.runs,
            )
            info.append((label, ours_again, raw_like, len(found)))

    print(f"{args.entries:,} entries, medians of {args.runs} runs; target ≤ {TARGET}x")
    print(f"{'':44} {'warroom':>10} {'sqlite3':>10} {'ratio':>7}")
    worst = 0.0
    for label, ours, base in results:
        ratio = ours / base
        worst = max(worst, ratio)
        flag = "" if ratio <= TARGET else "  over"
        print(f"{label:44} {ours * 1000:8.1f}ms {base * 1000:8.1f}ms {ratio:6.2f}x{flag}")
    print("for information, search vs plain sqlite3 running the same LIKE query:")
    for label, ours, raw, _hits in info:
        print(f"  {label:42} {ours * 1000:8.1f}ms {raw * 1000:8.1f}ms {ours / raw:6.2f}x")
    verdict = "PASS" if worst <= TARGET else "FAIL"
    print(f"{verdict}: worst ratio {worst:.2f}x (target ≤ {TARGET}x)")
    store.close()
    plain.close()


if __name__ == "__main__":
    main()
