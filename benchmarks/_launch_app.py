"""The console opened in-process, as ``python -m warroom --db DB`` opens it, minus click.

``python benchmarks/_launch_app.py DB``: ``WarroomApp(store=Store(DB), user="bench").run()``.
``bench_launch.py`` runs it in a pseudo-terminal beside the real entry point.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    from warroom.db.store import Store
    from warroom.tui.app import WarroomApp

    # As the command line opens it: the integrity check runs after the first frame.
    WarroomApp(store=Store(sys.argv[1], verify=False), user="bench").run()
