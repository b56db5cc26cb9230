"""``warroom report`` over a year of history, vs the plain SQL that reads what it needs.

Target: the whole year's report (2,000 incidents, 1,000,000 timeline entries)
within **2x** the time plain ``sqlite3`` takes to read the rows and columns
the report needs.

- **report**: what ``warroom report --from … --to …`` does once its options are
  read: :func:`warroom.exports.report.report_bytes` (three queries through the
  read-only :class:`~warroom.db.store.Store`, the update replay and the
  figures, then :func:`~warroom.exports.report.render_markdown`, as the UTF-8
  it prints); and ``--format json`` (the same with
  :func:`~warroom.exports.report.render_json_bytes`). Both are held to the
  target. Opening the store (with its integrity check) is outside it.
- **plain SQL**: three SELECTs that read the rows and columns the report
  needs (:data:`PLAIN_INCIDENTS`, :data:`PLAIN_TIMING`, :data:`PLAIN_FOLLOWUPS`:
  the incidents' milestone columns, each timing entry's time and kind with
  the event data of the three kinds whose data the replay reads, the open
  follow-ups) on a plain ``sqlite3`` connection, ``fetchall``, with the
  collector paused as the report pauses it. Nothing in Python. They are
  written out here, not taken from ``db/reports.py``: the
  report's own queries may hand SQLite more of the work (such as reading a
  number out of the event data), and the baseline must not get that work
  counted on its side.

The history is built once with direct SQL inserts (about 20 s) into
``$TMPDIR/warroom-bench/report-year-*.db`` and cached: the schema is the real
one (a :class:`Store` makes the file), the entries' data is what the events
of :mod:`warroom.domain.events` write, and the mix is a year of a busy
team's incidents (severities 1-4, impact starts recorded for most, severity
changes, snoozes, updates on time, late and missed, alerts, Slack captures,
follow-ups). Runs alternate between the three; medians of ``--runs``.

    python benchmarks/bench_report.py [--runs 7]

It prints figures and a PASS/FAIL line, and exits 0 either way.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warroom.clock import format_time
from warroom.db.store import SCHEMA_VERSION, Store
from warroom.domain import events as ev

TARGET = 2.0
_TIMING_KINDS = "'declared', 'severity', 'update', 'snooze', 'resolve', 'reopen'"
#: The baseline: the columns the report needs, read as they are stored. The
#: timing entries through the (incident_id, kind, seq) index (CROSS JOIN, as
#: db/reports.py does: left to itself SQLite walks all million entries), in
#: logged order; the event data only of the kinds whose data the replay reads.
PLAIN_INCIDENTS = (
    "SELECT id, title, severity, status, declared_at, impact_started_at, detected_at,"
    " mitigated_at, resolved_at, coalesce(trim(root_cause), '') != '', review_at"
    " FROM incidents WHERE declared_at >= ? AND declared_at < ? ORDER BY id"
)
PLAIN_TIMING = (
    "SELECT e.incident_id, e.at, e.kind,"
    " CASE WHEN e.kind IN ('declared', 'severity', 'snooze') THEN e.data END"
    " FROM incidents AS i CROSS JOIN entries AS e"
    f" ON e.incident_id = i.id AND e.kind IN ({_TIMING_KINDS})"
    " WHERE i.declared_at >= ? AND i.declared_at < ?"
    " ORDER BY e.incident_id, e.seq"
)
PLAIN_FOLLOWUPS = (
    "SELECT f.incident_id, f.text, f.owner, f.due FROM followups AS f"
    " JOIN incidents AS i ON i.id = f.incident_id"
    " WHERE f.done = 0 AND i.declared_at < ? ORDER BY f.due, f.incident_id, f.id"
)
INCIDENTS = 2000
ENTRIES = 1_000_000
FIXTURE_VERSION = 1
CACHE_DIR = Path(tempfile.gettempdir()) / "warroom-bench"
YEAR_START = datetime(2025, 12, 1, tzinfo=UTC)
YEAR_END = datetime(2026, 12, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CADENCE = {1: 10, 2: 15, 3: 15, 4: 15}
PEOPLE = ["alice", "bob", "carol", "dan", "erin", "frank", "grace", "heidi"]
NOTES = [
    "restarted worker-{n}",
    "p99 latency on billing-api at {n} ms",
    "error rate {n}% on qb-sync (us-east-1)",
    "queue depth {n}k, draining",
    "rolled back ledger to v4.{n}.1",
    "customer report from Acme Corp: sync stuck since 09:{n:02d} UTC",
    "no errors in the logs since the restart",
    "[bold]literal brackets[/bold] pasted from a runbook, <!channel> stays text",
]
TITLES = [
    "QuickBooks sync halted",
    "Checkout errors | EU",
    "Login slow for SSO tenants",
    "Invoices delayed",
    "Search index stale",
    "Webhooks dropped",
]


def _t(when: datetime) -> str:
    return format_time(when)


def _incident(rng: random.Random, incident_id: int, declared: datetime, n_entries: int):
    """One incident's row, its entries and follow-ups, as a busy team leaves them."""
    severity = rng.choices([1, 2, 3, 4], weights=[1, 3, 4, 2])[0]
    cadence = CADENCE[severity]
    length = timedelta(minutes=rng.randint(20, 6 * 60))
    recorded = rng.random() < 0.75
    impact = declared - timedelta(minutes=rng.randint(3, 45)) if recorded else declared
    resolved = declared + length
    mitigated = declared + length * rng.uniform(0.4, 0.9)
    is_open = declared > NOW - timedelta(hours=8)
    status = "open" if is_open else rng.choices(["resolved", "closed"], weights=[3, 7])[0]
    entries: list[tuple] = []
    seq = 0

    def add(at: datetime, kind: str, text: str, data: str | None, author: str = "alice") -> None:
        nonlocal seq
        seq += 1
        entries.append((incident_id, seq, _t(at), author, kind, text, data))

    def event(at: datetime, e: ev.Event, author: str = "alice") -> None:
        add(at, e.kind, e.text(), e.data_json(), author)

    title = rng.choice(TITLES)
    event(declared, ev.Declared(severity, f"SEV-{severity}", title, "", cadence, _t(declared)))
    # The timing story: updates around the cadence (mostly on time, some late,
    # a few windows missed), a severity change in one of five, a snooze in one of ten.
    at = declared
    end = NOW if is_open else resolved
    while True:
        at += timedelta(minutes=cadence * rng.choice([0.7, 0.8, 0.9, 0.95, 1.1, 1.3, 2.2]))
        if at >= end:
            break
        if rng.random() < 0.1:
            event(at - timedelta(minutes=2), ev.Snoozed(10, _t(at), "waiting on the vendor"))
        if rng.random() < 0.05 and severity > 1:
            cadence = CADENCE[severity - 1]
            event(
                at - timedelta(minutes=1),
                ev.SeverityChanged(
                    severity,
                    severity - 1,
                    f"SEV-{severity}",
                    f"SEV-{severity - 1}",
                    cadence,
                    _t(at),
                ),
            )
            severity -= 1
        message = "Investigating; next update soon. " * rng.randint(1, 8)
        event(at, ev.UpdateRecorded("internal", message, None, None, _t(at)), "bob")
    for position in range(1, 9):
        event(declared + timedelta(minutes=position), ev.CheckToggled(position, "item", True))
    event(declared + timedelta(minutes=2), ev.StageMoved("detect", "triage", False))
    event(mitigated, ev.StageMoved("mitigate", "restore", True))
    # The bulk: notes, alerts, Slack captures, spread over the incident.
    room = max(0, n_entries - len(entries) - 3)
    span = (end - declared).total_seconds()
    for index in range(room):
        when = declared + timedelta(seconds=span * index / max(room, 1))
        kind = rng.choices(["note", "alert", "slack", "action"], weights=[6, 2, 2, 1])[0]
        text = rng.choice(NOTES).format(n=rng.randint(1, 59))
        data = None
        if kind == "alert":
            alert = ev.AlertReceived(
                "alertmanager", f"fp{index}", "firing", "HighErrorRate", text, _t(when), None, "", 0
            )
            text, data = alert.text(), alert.data_json()
        elif kind == "slack":
            data = ev.SlackCaptured(f"{when.timestamp():.6f}", "U024BE7LH", "thread", text)
            text, data = text, data.data_json()
        add(when, kind, text, data, rng.choice(PEOPLE))
    followups = []
    for number in range(rng.randint(1, 3)):
        due = (end + timedelta(days=rng.randint(3, 30))).date().isoformat()
        done = rng.random() < 0.7
        event(end, ev.FollowUpAdded(f"follow-up {number}", rng.choice(PEOPLE), due))
        followups.append((incident_id, f"follow-up {number}", rng.choice(PEOPLE), due, int(done)))
    if not is_open:
        event(resolved, ev.Resolved("restore", "review"))
    if status == "closed":
        event(resolved + timedelta(days=2), ev.Closed())
    entries.sort(key=lambda row: (row[2], row[1]))
    entries = [(i, n, at, a, k, t, d) for n, (i, _, at, a, k, t, d) in enumerate(entries, 1)]
    row = (
        incident_id,
        title,
        severity,
        status,
        "review" if not is_open else "mitigate",
        "",
        _t(declared),
        None if is_open else _t(resolved),
        len(entries),
        _t(impact),
        _t(declared),
        _t(mitigated) if mitigated < end else None,
        "The retry loop had no backoff." if status == "closed" else None,
        None,
    )
    return row, entries, followups


def build(path: Path) -> None:
    """The year, into ``path`` (made by :class:`Store`: the real schema)."""
    Store(path).close()
    rng = random.Random(13)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    span = (YEAR_END - YEAR_START).total_seconds()
    starts = sorted(YEAR_START + timedelta(seconds=rng.uniform(0, span)) for _ in range(INCIDENTS))
    sizes = [rng.randint(50, 950) for _ in range(INCIDENTS)]
    scale = ENTRIES / sum(sizes)
    sizes = [max(40, round(size * scale)) for size in sizes]
    sizes[-1] += ENTRIES - sum(sizes)
    with conn:
        for number, (declared, size) in enumerate(zip(starts, sizes, strict=True), start=1):
            row, entries, followups = _incident(rng, number, declared, size)
            conn.execute(
                "INSERT INTO incidents (id, title, severity, status, stage, impact, declared_at,"
                " resolved_at, last_seq, impact_started_at, detected_at, mitigated_at,"
                " root_cause, review_at, frozen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
                row,
            )
            conn.executemany(
                "INSERT INTO entries (incident_id, seq, at, author, kind, text, data)"
                " VALUES (?,?,?,?,?,?,?)",
                entries,
            )
            conn.executemany(
                "INSERT INTO followups (incident_id, text, owner, due, done) VALUES (?,?,?,?,?)",
                followups,
            )
    conn.execute("ANALYZE")
    conn.close()


def year_db() -> Path:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"report-year-v{FIXTURE_VERSION}-schema{SCHEMA_VERSION}.db"
    if not path.exists():
        partial = CACHE_DIR / f".building-{os.getpid()}-{path.name}"
        started = time.perf_counter()
        build(partial)
        for suffix in ("-wal", "-shm"):
            Path(str(partial) + suffix).unlink(missing_ok=True)
        partial.rename(path)
        print(f"built {path} in {time.perf_counter() - started:.1f} s")
    return path


def main() -> None:
    from warroom.exports.report import report_bytes
    from warroom.playbook import default_playbook

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    path = year_db()
    playbook = default_playbook()
    store = Store(path, read_only=True)
    plain = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    bounds = (format_time(YEAR_START), format_time(YEAR_END))
    (total,) = plain.execute("SELECT count(*) FROM entries").fetchone()
    print(
        f"{path.name}: {INCIDENTS} incidents, {total:,} entries; report {bounds[0]} → {bounds[1]}"
    )

    def run_report() -> bytes:
        return report_bytes(store, playbook, YEAR_START, YEAR_END, NOW, fmt="md")

    def run_json() -> bytes:
        return report_bytes(store, playbook, YEAR_START, YEAR_END, NOW, fmt="json")

    def run_plain() -> int:
        rows = plain.execute(PLAIN_INCIDENTS, bounds).fetchall()
        timing = plain.execute(PLAIN_TIMING, bounds).fetchall()
        open_ = plain.execute(PLAIN_FOLLOWUPS, (bounds[1],)).fetchall()
        return len(rows) + len(timing) + len(open_)

    rows = run_plain()
    # Warm, as the plain read is: the lazy imports are made on the first call,
    # not in a timed one.
    run_report()
    run_json()
    print(f"rows read: {rows:,} (of which timing entries: {rows - INCIDENTS:,} at most)")
    times: dict[str, list[float]] = {"report": [], "json": [], "plain": []}
    cpu: dict[str, list[float]] = {"report": [], "json": [], "plain": []}
    for _ in range(args.runs):
        for label, func in (("plain", run_plain), ("report", run_report), ("json", run_json)):
            gc.collect()
            # The report pauses the collector itself (report_bytes); the plain
            # read runs without it too, so only the Python work differs (the
            # collector cost it ~1-3 ms: within the noise, but not on equal terms).
            if label == "plain":
                gc.disable()
            started, started_cpu = time.perf_counter(), time.process_time()
            func()
            times[label].append(time.perf_counter() - started)
            cpu[label].append(time.process_time() - started_cpu)
            gc.enable()
    medians = {label: statistics.median(values) for label, values in times.items()}
    cpu_medians = {label: statistics.median(values) for label, values in cpu.items()}
    ratio = medians["report"] / medians["plain"]
    for label in ("plain", "report", "json"):
        values = times[label]
        print(
            f"{label:>7}: median {medians[label] * 1000:7.1f} ms, best {min(values) * 1000:7.1f} ms"
            f", cpu median {cpu_medians[label] * 1000:7.1f} ms  ({len(values)} runs)"
        )
    # CPU time leaves out the moments another process had the core: all of
    # this is CPU work on a file in the page cache, and it moves far less.
    print(
        f"cpu: report (md) / plain {cpu_medians['report'] / cpu_medians['plain']:.2f}x,"
        f" json / plain {cpu_medians['json'] / cpu_medians['plain']:.2f}x"
    )
    # On a shared machine the load moves between runs: each report run beside
    # the plain run just before it says more than medians taken apart.
    paired = statistics.median(r / p for r, p in zip(times["report"], times["plain"], strict=True))
    print(
        f"paired: median of report/plain run by run {paired:.2f}x;"
        f" best/best {min(times['report']) / min(times['plain']):.2f}x"
    )
    json_ratio = medians["json"] / medians["plain"]
    print(f"RATIO report (md) / plain SQL: {ratio:.2f}x (json: {json_ratio:.2f}x)")
    verdict = "PASS" if max(ratio, json_ratio) <= TARGET else "FAIL"
    print(
        f"{verdict}: report of a year {ratio:.2f}x the plain SQL, json {json_ratio:.2f}x"
        f" (target <= {TARGET}x, both)"
    )
    store.close()
    plain.close()


if __name__ == "__main__":
    main()
