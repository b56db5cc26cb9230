"""Slack duplicates when Slack answers slowly: 10 runs, a bot token, real time.

    python benchmarks/bench_duplicates.py [RUNS]

Each run: a fresh database; a fake Slack on 127.0.0.1 (tests/fake_slack.py)
that takes every new message at once and answers it only after 2 s, while
warroom's client gives up after 0.5 s (the case that used to post twice: issue 8, item
2); the console's delivery worker delivers a declaration, two updates, a
severity change and a resolution. Counted: messages the channel shows more
than once, and messages not delivered at the end. Target: **0** duplicates
and nothing left undelivered. Prints one line per run and a PASS/FAIL line;
exits 0 either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_slack import CHANNEL_ID, FakeSlack, bot_config
from warroom.clock import SystemClock
from warroom.comms.delivery import Deliverer
from warroom.db import outbox
from warroom.db.store import Store
from warroom.playbook import default_playbook
from warroom.service import Service

ANSWER_AFTER = 2.0
CLIENT_TIMEOUT = 0.5
MESSAGES = 5  # declare, 2 updates, severity, resolve
#: Seconds a run may take (a run here takes ~12 s; a warroom that resends
#: blindly never finishes, since every post is answered too late).
RUN_LIMIT = 45.0


def one_run(folder: Path) -> tuple[int, int, int]:
    """(duplicates, messages posted, messages not delivered)."""
    with FakeSlack(slow_posts=ANSWER_AFTER) as slack:
        config = bot_config(slack)
        assert config.slack.channel == CHANNEL_ID
        store = Store(folder / "w.db")
        ops = Service(store, SystemClock(), default_playbook(), comms=config)
        incident = ops.declare(severity=2, title="QuickBooks sync halted", author="alice")
        ops.record_update(incident.id, "bob", "Investigating.")
        ops.set_severity(incident.id, "alice", 1)
        ops.record_update(incident.id, "bob", "Failing over.")
        ops.resolve(incident.id, "alice")
        store.close()
        # By path (it opens its own store): the same call works on older warrooms,
        # to measure them for comparison (PYTHONPATH=<old checkout>/src).
        deliverer = Deliverer(folder / "w.db", config, timeout=CLIENT_TIMEOUT, poll_interval=0.2)
        # Still trying after RUN_LIMIT: what is left is counted as not delivered.
        with contextlib.suppress(TimeoutError):
            asyncio.run(asyncio.wait_for(deliverer.run(until_idle=True), RUN_LIMIT))
        store = Store(folder / "w.db")
        left = sum(m.status != "delivered" for m in outbox.messages(store) if m.kind != "root")
        store.close()
        posts = [r.text for r in slack.posted if r.method != "chat.update"]
        return slack.duplicates(), len(posts), left


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    total = 0
    undelivered = 0
    for run in range(1, runs + 1):
        with tempfile.TemporaryDirectory(prefix="warroom-dup-") as folder:
            started = time.monotonic()
            duplicates, posted, left = one_run(Path(folder))
        total += duplicates
        undelivered += left
        print(
            f"run {run:2d}: {posted} posts shown for {MESSAGES} messages,"
            f" {duplicates} duplicate(s), {left} not delivered"
            f" ({time.monotonic() - started:.1f} s)"
        )
    verdict = "PASS" if total == 0 and undelivered == 0 else "FAIL"
    print(
        f"{verdict}: {total} duplicate(s) and {undelivered} undelivered in {runs} runs"
        f" (Slack answers after {ANSWER_AFTER:g} s, the client waits {CLIENT_TIMEOUT:g} s)"
    )


if __name__ == "__main__":
    main()
