"""The built-in demo: a realistic SEV-1 bridge call, forty minutes in.

It is written through the scribe line itself (:func:`run_line`), so the demo
exercises exactly what a person would type.
"""

from __future__ import annotations

from datetime import timedelta

from warroom.clock import Clock, FrozenClock
from warroom.commands import run_line
from warroom.db.store import Store
from warroom.domain.models import Incident
from warroom.errors import CommandError
from warroom.playbook import Playbook
from warroom.service import Service

#: (minutes after declaration, author, scribe line)
SCRIPT: list[tuple[float, str, str]] = [
    (0.5, "alice", "/comms bob"),
    (0.6, "alice", "/scribe carol"),
    (1.0, "carol", "/bridge https://meet.example.com/inc-quickbooks"),
    (1.5, "carol", "PagerDuty: qb-sync-lag > 15 min for 40% of tenants"),
    (2.0, "carol", "/eng dan"),
    (2.1, "carol", "/eng erin"),
    (3.0, "carol", "/freeze on"),
    (3.5, "carol", "/stage triage"),
    (4.0, "carol", "dan: sync workers healthy, queue depth 48k and climbing"),
    (5.0, "carol", "/check 6"),
    (6.0, "carol", "erin: Intuit API returning 429 on token refresh since 21:52"),
    (7.5, "carol", "/decision fail over sync to the secondary OAuth app"),
    (9.0, "carol", "/check 7"),
    (10.0, "carol", "/sev 1"),
    (10.5, "bob", "/update"),
    (12.0, "carol", "/stage mitigate"),
    (14.0, "carol", "/action restarted worker-3 with SECONDARY_OAUTH=1"),
    (16.0, "carol", "dan: queue depth falling, 31k"),
    (18.0, "carol", "customer success: 3 firms asked about missing invoices"),
    (21.0, "carol", "/action feature flag qb_sync_batching OFF to reduce API calls"),
    (21.5, "carol", "/check 8"),
    (24.0, "carol", "dan: queue depth 9k, p95 sync lag 6 min"),
    (28.0, "carol", "erin: Intuit status page confirms partial outage on their side"),
    (36.0, "carol", "dan: [bold]not markup[/bold] <!channel> — stored literally"),
    (37.0, "bob", "/update"),
    (40.0, "carol", "queue drained; watching lag before calling restore"),
]

MITIGATION = "failing over to the secondary OAuth app"
UPDATE_TEXT = (
    ":rotating_light: SEV-1 | QuickBooks sync halted\n"
    "Impact: invoice sync delayed for ~40% of tenants\n"
    f"Current mitigation: {MITIGATION}"
)

DEMO_AGE = timedelta(minutes=42, seconds=17)


def seed_demo(store: Store, playbook: Playbook, clock: Clock) -> Incident:
    """Declare the demo incident so that it was declared ``DEMO_AGE`` ago."""
    now = clock.now()
    scripted = FrozenClock(now - DEMO_AGE)
    ops = Service(store, scripted, playbook)
    incident = ops.declare(
        severity=2,
        title="QuickBooks sync halted",
        author="alice",
        impact="invoice sync delayed for ~40% of tenants",
        commander="alice",
    )
    start = scripted.now()
    for minutes, author, line in SCRIPT:
        scripted.set(start + timedelta(minutes=minutes))
        try:
            outcome = run_line(ops, incident.id, author, line)
        except CommandError:
            # A team's own playbook (warroom demo --playbook) may have fewer
            # checklist items or severities than the script ticks: skip those.
            continue
        if outcome.open_screen == "update":
            ops.record_update(incident.id, author, UPDATE_TEXT, mitigation=MITIGATION)
    return store.incident(incident.id) or incident
