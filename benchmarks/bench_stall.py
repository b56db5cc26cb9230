"""The console's longest event-loop stall while Slack hangs for 10 seconds.

    python benchmarks/bench_stall.py

A fake Slack on 127.0.0.1 holds every request for 10 s before answering. The
console (bot token pointed at it) queues a message, so its delivery worker
sits in that request, while a probe on the app's event loop asks to wake every
5 ms and records how late it wakes, and a scribe types a note every 100 ms.
The same run with Slack not configured is the baseline. Target: the longest
stall under 50 ms. Prints figures and a PASS/FAIL line; exits 0 either way.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from warroom.clock import SystemClock
from warroom.comms.config import CommsConfig, SlackSettings
from warroom.db.store import Store
from warroom.demo import seed_demo
from warroom.playbook import default_playbook
from warroom.tui.app import WarroomApp

STALL_SECONDS = 10.0
TARGET_MS = 50.0
TICK = 0.005


class StallingSlack(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(STALL_SECONDS)
        body = b'{"ok": true, "ts": "1.0", "channel": "C1"}'
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass


async def probe(stop: asyncio.Event, lateness: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        asked = loop.time()
        await asyncio.sleep(TICK)
        lateness.append((loop.time() - asked - TICK) * 1000)


async def one_run(folder: Path, comms: CommsConfig | None, seconds: float) -> list[float]:
    path = folder / f"stall-{time.monotonic_ns()}.db"
    store = Store(path)
    seed_demo(store, default_playbook(), SystemClock())
    app = WarroomApp(store=store, user="bench", comms=comms)
    lateness: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"/sev 2", "enter")  # queues a Slack message: the worker posts it
        await pilot.pause(0.2)
        stop = asyncio.Event()
        task = asyncio.create_task(probe(stop, lateness))
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < seconds:
            n += 1
            await pilot.press(*f"note {n}", "enter")
            await asyncio.sleep(0.1)
        stop.set()
        await task
    store.close()
    return lateness


def summary(name: str, lateness: list[float]) -> float:
    ordered = sorted(lateness)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    worst = ordered[-1]
    print(
        f"{name:<22} wakes {len(ordered):5d}  median {statistics.median(ordered):6.2f} ms"
        f"  p99 {p99:6.2f} ms  longest stall {worst:6.2f} ms"
    )
    return worst


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StallingSlack)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    comms = CommsConfig(
        slack=SlackSettings(
            bot_token="xoxb-bench-not-a-secret",
            channel="#bench",
            api_url=f"http://{host}:{port}/api",
        )
    )
    seconds = STALL_SECONDS + 1
    print(
        f"stall benchmark: Slack holds each request {STALL_SECONDS:.0f} s; probe every "
        f"{TICK * 1000:.0f} ms for {seconds:.0f} s while typing a note every 100 ms "
        f"(python {sys.version.split()[0]})"
    )
    with tempfile.TemporaryDirectory() as folder:
        base = asyncio.run(one_run(Path(folder), None, seconds))
        stalled = asyncio.run(one_run(Path(folder), comms, seconds))
    server.shutdown()
    summary("Slack not configured", base)
    worst = summary("Slack stalled 10 s", stalled)
    verdict = "PASS" if worst < TARGET_MS else "FAIL"
    print(
        f"{verdict}: longest event-loop stall while Slack stalls is {worst:.1f} ms (target < 50 ms)"
    )


if __name__ == "__main__":
    main()
