"""Slack capture: the time from a 📌 in Slack to its timeline entry, and the
Slack calls a console makes while idle. Runs the console's delivery worker
(the Deliverer and its capture pass) against the loopback fake of Slack.

    .venv/bin/python benchmarks/capture_latency.py [--poll SECONDS] [--pins N]

With the default poll of 20 s, 20 pins take about 7 minutes; the latency is the
wait for the next pass (uniform over the poll) plus one pass, so a shorter poll
measures the pass and scales: p95 ~= 0.95 * poll + pass.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fake_slack import CHANNEL_ID, FakeSlack
from warroom.clock import system_clock
from warroom.comms.config import CommsConfig, SlackSettings
from warroom.comms.delivery import CaptureTarget, Deliverer, deliver_pending
from warroom.db.store import Store
from warroom.playbook import default_playbook
from warroom.service import Service


async def run(poll: float, pins: int) -> None:
    with FakeSlack() as slack, tempfile.TemporaryDirectory() as folder:
        slack.users = {"U0CAROL01": {"id": "U0CAROL01", "profile": {"display_name": "carol"}}}
        config = CommsConfig(
            slack=SlackSettings(
                bot_token=slack.token, channel=CHANNEL_ID, api_url=slack.api_url, poll_seconds=poll
            )
        )
        store = Store(Path(folder) / "bench.db")
        clock = system_clock()
        ops = Service(store, clock, default_playbook(), comms=config)
        incident = ops.declare(severity=2, title="bench", author="bench")
        deliver_pending(store, config, clock, playbook=default_playbook(), min_interval=0)
        seen: dict[int, float] = {}

        def captured(_count: int) -> None:
            seen[len(store.entries_of_kinds(incident.id, ["slack"]))] = time.monotonic()

        deliverer = Deliverer(
            store,
            config,
            playbook=default_playbook(),
            capture=CaptureTarget(
                ops, lambda: incident.id, poll_seconds=poll, on_captured=captured
            ),
        )
        worker = asyncio.ensure_future(deliverer.run())
        latencies = []
        for n in range(1, pins + 1):
            await asyncio.sleep(poll * 0.37 * (n % 3))  # pins land anywhere in the cycle
            posted = time.monotonic()
            slack.say("U0CAROL01", f"pin {n}", pin=True)
            while n not in seen:
                await asyncio.sleep(0.01)
            latencies.append(seen[n] - posted)
        reads = len(slack.reads)
        await asyncio.sleep(poll * 3)
        idle = len(slack.reads) - reads
        deliverer.stop()
        await worker
    latencies.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(
        f"poll {poll:g} s, {pins} pins: median {statistics.median(latencies):.2f} s,"
        f" p95 {p95:.2f} s, max {latencies[-1]:.2f} s"
    )
    print(f"idle: {idle} Slack calls in {poll * 3:g} s = {idle / (poll * 3) * 60:.1f} a minute")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--poll", type=float, default=20.0)
    parser.add_argument("--pins", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.poll, args.pins))


if __name__ == "__main__":
    main()
