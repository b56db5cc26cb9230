"""The ingest rate of one 1,000-alert Alertmanager payload, and of the same
payload re-sent (every alert already seen). Prints alerts per second.

    .venv/bin/python benchmarks/ingest_alerts.py
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from warroom.clock import FrozenClock
from warroom.db.store import Store
from warroom.domain.alerts import parse_payload
from warroom.playbook import default_playbook
from warroom.service import Service

N = 1000


def payload(n: int) -> bytes:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": "ProbeFailure", "instance": f"host-{i}.example.org"},
            "annotations": {"summary": f"probe failure on host-{i}.example.org"},
            "startsAt": f"2026-11-23T21:{i % 60:02d}:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=probe_success",
            "fingerprint": f"{i:016x}",
        }
        for i in range(n)
    ]
    group = {
        "receiver": "warroom",
        "status": "firing",
        "alerts": alerts,
        "version": "4",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
        "commonAnnotations": {},
        "commonLabels": {"alertname": "ProbeFailure"},
        "groupLabels": {},
        "externalURL": "http://am:9093",
    }
    return json.dumps(group).encode()


def main() -> None:
    body = payload(N)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.db")
        ops = Service(store, FrozenClock("2026-11-23T22:00:00Z"), default_playbook())
        incident = ops.declare(severity=2, title="bench", author="bench")
        start = time.perf_counter()
        group = parse_payload("alertmanager", body)
        parsed = time.perf_counter()
        added = ops.ingest_alerts(incident.id, group)
        first = time.perf_counter()
        again = ops.ingest_alerts(incident.id, parse_payload("alertmanager", body))
        second = time.perf_counter()
    assert len(added) == N and again == []
    print(f"payload {len(body) / 1024:.0f} KiB, {N} alerts")
    print(
        f"parse {1000 * (parsed - start):.0f} ms; first ingest {1000 * (first - start):.0f} ms"
        f" ({N / (first - start):,.0f} alerts/s, one transaction)"
    )
    print(f"re-sent (all seen): {1000 * (second - first):.0f} ms")


if __name__ == "__main__":
    main()
