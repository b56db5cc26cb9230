"""Benchmark fixture: a warroom database with one incident of N timeline entries, fast.

The incident is declared through :class:`warroom.service.Service`, so the
schema, the checklist and the first entries are the real ones. The rest of the
timeline is bulk-inserted with one ``executemany`` in one transaction (seconds
for 100,000 entries), with varied, realistic text, authors and kinds, and
``incidents.last_seq`` is set to N.

Generated files are cached in ``$TMPDIR/warroom-bench/`` keyed by N (and the
fixture and schema versions), so only the first run of a benchmark pays for
them. Benchmarks open :func:`fresh_copy`, a private copy, so that nothing
they do (a write, a migration) changes the cache.

Run it directly to (re)build and inspect fixtures::

    python benchmarks/_fixture.py 10 100000
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

#: Bump when the generated content changes, so stale caches are not reused.
FIXTURE_VERSION = 2
CACHE_DIR = Path(tempfile.gettempdir()) / "warroom-bench"
#: In the past, so the update countdown is steadily OVERDUE: no phase change (bell,
#: notification toast) can happen in the middle of a measurement.
DECLARED_AT = "2026-01-05T09:00:00Z"
TITLE = "QuickBooks sync halted"
#: The text of the newest entry: a benchmark can look for it on screen.
LAST_MARKER = "bench-last-entry"

AUTHORS = ["alice", "bob", "carol", "dan", "erin", "frank", "grace", "heidi", "ivan", "judy"]
HOSTS = [f"{kind}-{n}" for kind in ("worker", "db", "api", "sync", "cache") for n in range(1, 9)]
SERVICES = [
    "qb-sync",
    "billing-api",
    "ledger",
    "auth",
    "webhooks",
    "postgres-main",
    "redis-sessions",
]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"]
CUSTOMERS = ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli", "Soylent", "Stark Industries"]
TEAMS = ["payments", "platform", "sre", "data", "integrations", "support"]

NOTES = [
    "restarted {host}",
    "p99 latency on {svc} at {ms} ms, was {ms2} ms an hour ago",
    "customer report from {cust}: sync stuck since {hh}:{mm} UTC",
    "rolled back {svc} to v{major}.{minor}.{patch}",
    "error rate {pct}% on {svc} ({region})",
    "queue depth on {svc}: {n} messages, draining at ~{rate}/s",
    "{name} joined the bridge",
    "looking at the dashboards for {svc} now",
    "no errors in {svc} logs since the restart of {host}",
    "connection pool on {host} exhausted (max {n}); bumping to {n2}",
    "support has {n} tickets tagged #qb-sync",
    "⚠️ disk on {host} at {pct}% — cleaning up old WAL segments",
    "replica lag on postgres-main: {ms} ms",
    'status page updated: "Investigating — QuickBooks sync delayed"',
    "[bold]literal brackets[/bold] pasted from a runbook, <!channel> stays text",
    "GC pauses on {host} up to {ms} ms; heap {n} MB",
    'Traceback (most recent call last):\n  File "sync/worker.py", line {n}, in run\n'
    "    batch = client.fetch(cursor)\nTimeoutError: read timed out after 30s",
    "{cust} confirms invoices are flowing again for {pct}% of their tenants",
    "deploy {svc}@{sha} is on hold (change freeze)",
    "mitigation holding for {n} minutes now, error rate {pct}%",
    "התקלה עדיין פעילה — מעקב",
    "ok",
]
DECISIONS = [
    "fail over {svc} to {region}",
    "pause the nightly export until sync is healthy",
    "keep the freeze until {hh}:{mm} UTC",
    "raise to SEV-1 if the backlog is not draining by {hh}:{mm}",
    "scale {svc} to {n} replicas",
]
ACTIONS = [
    "{name} to page {team} on-call",
    "{name} to draft the customer email for {cust}",
    "{name} to open a vendor ticket with Intuit",
    "{name} to add an alert on {svc} queue depth",
]
ALERTS = [
    "PagerDuty: {svc} 5xx > {pct}% for 5m",
    "Datadog: {host} CPU {pct}%",
    "PagerDuty: {svc} queue depth > {n}",
    "resolved: {svc} latency back under threshold",
]
SYSTEM = [
    ("role", "Response Engineer: +{name}"),
    ("role", "Scribe: {name} → {name2} (handover)"),
    ("stage", "stage: triage → mitigate"),
    ("check", "✓ {pos}. Freeze deploys on affected services"),
    ("severity", "severity raised: SEV-2 → SEV-1 (updates every 15 min)"),
    ("update", "update (internal): sync still degraded; next update in 30 min"),
    ("freeze", "change freeze ON: deployments halted"),
]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        host=rng.choice(HOSTS),
        svc=rng.choice(SERVICES),
        region=rng.choice(REGIONS),
        cust=rng.choice(CUSTOMERS),
        team=rng.choice(TEAMS),
        name=rng.choice(AUTHORS),
        name2=rng.choice(AUTHORS),
        ms=rng.randint(40, 9000),
        ms2=rng.randint(40, 400),
        pct=rng.randint(1, 99),
        n=rng.randint(2, 50_000),
        n2=rng.randint(50, 500),
        rate=rng.randint(5, 900),
        hh=f"{rng.randint(0, 23):02d}",
        mm=f"{rng.randint(0, 59):02d}",
        major=rng.randint(1, 9),
        minor=rng.randint(0, 40),
        patch=rng.randint(0, 20),
        sha=f"{rng.getrandbits(28):07x}",
        pos=rng.randint(1, 12),
    )


def _entry_rows(incident_id: int, first_seq: int, last_seq: int, start: datetime):
    """(incident_id, seq, at, occurred_at, author, kind, text, struck, starred, ref) rows."""
    rng = random.Random(20261123)
    when = start
    for seq in range(first_seq, last_seq + 1):
        when += timedelta(seconds=rng.randint(1, 6))
        at = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        author = rng.choice(AUTHORS)
        roll = rng.random()
        if seq == last_seq:
            kind, text = "note", f"{LAST_MARKER} #{seq}"
        elif roll < 0.70:
            kind, text = "note", _fill(rng.choice(NOTES), rng)
            if rng.random() < 0.03:  # an occasional long paste
                text += " | " + " ".join(_fill(rng.choice(NOTES), rng) for _ in range(8))
        elif roll < 0.75:
            kind, text = "decision", _fill(rng.choice(DECISIONS), rng)
        elif roll < 0.83:
            kind, text = "action", _fill(rng.choice(ACTIONS), rng)
        elif roll < 0.90:
            kind, text = "alert", _fill(rng.choice(ALERTS), rng)
            author = "pagerduty-bot"
        else:
            kind, template = rng.choice(SYSTEM)
            text = _fill(template, rng)
        occurred_at = None
        if kind == "note" and rng.random() < 0.02:
            occurred_at = (when - timedelta(minutes=rng.randint(1, 30))).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
        struck = int(kind in ("note", "decision", "action") and rng.random() < 0.01)
        starred = int(rng.random() < 0.005)
        yield (incident_id, seq, at, occurred_at, author, kind, text, struck, starred, None)


def build(path: Path, entries: int) -> None:
    """Write a new database at ``path``: one open incident with ``entries`` entries."""
    from warroom.clock import FrozenClock, parse_time
    from warroom.db.store import Store
    from warroom.playbook import default_playbook
    from warroom.service import Service

    clock = FrozenClock(DECLARED_AT)
    store = Store(path)
    try:
        ops = Service(store, clock, default_playbook())
        incident = ops.declare(
            severity=2,
            title=TITLE,
            author="alice",
            impact="sync delayed for 40% of tenants",
            commander="alice",
        )
        first = incident.entry_count + 1
        if entries < incident.entry_count:
            raise ValueError(f"declaring already writes {incident.entry_count} entries")
        start = parse_time(DECLARED_AT)
        with store.write() as tx:
            tx.executemany(
                "INSERT INTO entries (incident_id, seq, at, occurred_at, author, kind,"
                " text, struck, starred, ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _entry_rows(incident.id, first, entries, start),
            )
            tx.execute("UPDATE incidents SET last_seq = ? WHERE id = ?", (entries, incident.id))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()


def make_db(entries: int) -> Path:
    """The cached database with one incident of ``entries`` entries (built on first use)."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = _cached_path(entries)
    if path.exists():
        return path
    # Build beside it and rename, so a run killed half-way leaves no half-built cache.
    partial = CACHE_DIR / f".building-{os.getpid()}-{path.name}"
    for leftover in _with_sidecars(partial):
        leftover.unlink(missing_ok=True)
    build(partial, entries)
    for sidecar in _with_sidecars(partial)[1:]:
        sidecar.unlink(missing_ok=True)  # empty after the checkpoint and close
    partial.replace(path)
    return path


def _cached_path(entries: int) -> Path:
    from warroom.db.store import SCHEMA_VERSION

    return CACHE_DIR / f"incident-{entries}-v{FIXTURE_VERSION}-schema{SCHEMA_VERSION}.db"


def fresh_copy(entries: int, directory: Path) -> Path:
    """A private copy of the cached database, for a benchmark that writes to it."""
    source = make_db(entries)
    target = directory / f"copy-{entries}-{time.monotonic_ns()}.db"
    shutil.copyfile(source, target)
    return target


def _with_sidecars(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def check(path: Path, entries: int) -> None:
    """The fixture is what it says: N entries numbered 1..N and last_seq = N."""
    conn = sqlite3.connect(path)
    try:
        count, low, high = conn.execute(
            "SELECT count(*), min(seq), max(seq) FROM entries"
        ).fetchone()
        (last_seq,) = conn.execute("SELECT last_seq FROM incidents").fetchone()
    finally:
        conn.close()
    assert (count, low, high, last_seq) == (entries, 1, entries, entries), (
        count,
        low,
        high,
        last_seq,
    )


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["10", "100000"]:
        n = int(arg)
        target = _cached_path(n)
        for stale in _with_sidecars(target):
            stale.unlink(missing_ok=True)
        began = time.perf_counter()
        built = make_db(n)
        took = time.perf_counter() - began
        check(built, n)
        size = built.stat().st_size / 2**20
        print(f"{n:>8} entries: {built} ({size:.1f} MiB) built in {took:.2f} s")
