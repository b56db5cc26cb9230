"""The real console in a process of its own, driven line by line (for tests/test_one_connection.py).

    python tests/console_process.py DB

Opens the console as ``warroom`` does (``open_console``: Slack/SMTP settings
from the environment, so its delivery worker runs), headless. It prints
``ready`` once the console is up, its delivery worker has started and the
integrity check after the first frame has run. Then each line read from
standard input is typed into the scribe line and committed; ``ack N`` is
printed once entry N is committed (what a scribe sees as saved). ``quit``
leaves the way ctrl+q does.
"""

from __future__ import annotations

import sys
import threading

from warroom.comms.config import load_comms_config
from warroom.db.store import Store
from warroom.tui.app import VERIFY_AFTER_SECONDS, WarroomApp


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class ConsoleProcess(WarroomApp):
    def on_mount(self) -> None:
        super().on_mount()
        # After the first frame, the delivery worker's start and the integrity check.
        self.set_timer(VERIFY_AFTER_SECONDS + 0.5, self._say_ready)

    def _say_ready(self) -> None:
        say("ready")
        threading.Thread(target=self._read_lines, daemon=True).start()

    def _read_lines(self) -> None:
        for raw in sys.stdin:
            line = raw.rstrip("\n")
            if line == "quit":
                break
            say(self.call_from_thread(self._commit, line))
        self.call_from_thread(self.exit)

    def _commit(self, line: str) -> str:
        console = self.console_screen
        assert console is not None
        if not console.commit_line(line):
            return "error"
        return f"ack {self.store.incident(console.incident.id).entry_count}"


def main() -> None:
    store = Store(sys.argv[1], verify=False)
    app = ConsoleProcess(store=store, user="carol", comms=load_comms_config())
    app.run(headless=True, size=(120, 40))


if __name__ == "__main__":
    main()
