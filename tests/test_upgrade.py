"""A schema-3 database made by an older warroom upgrades without changing what it says.

``tests/fixtures/schema3.sql`` was made by main at 16de989 (schema 3, see
``tests/fixtures/make_schema3.py``). The files under ``tests/golden/schema3/``
were recorded from it with the code of main at 5a06f4f, before the events
refactor (issue 10), with the clock frozen: the review (Markdown), the JSON
export, the meeting invitation, the follow-ups and the figures of both
incidents. Every later migration (the event data backfilled from the old
texts included) must leave them byte-identical, whether the file is exported
read-only (migrated in memory) or upgraded on disk first.

Regenerate only on purpose: ``WARROOM_RECORD_GOLDEN=1 pytest tests/test_upgrade.py``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "schema3.sql"
GOLDEN = Path(__file__).parent / "golden" / "schema3"
NOW = "2026-11-25T12:00:00Z"
RECORD = os.environ.get("WARROOM_RECORD_GOLDEN") == "1"

#: (golden file name, command-line arguments after ``warroom --db DB``).
EXPORTS = [
    (f"inc{n}.{suffix}", args)
    for n in (1, 2)
    for suffix, args in (
        ("md", ["export", f"INC-{n}", "--format", "md"]),
        ("json", ["export", f"INC-{n}", "--format", "json"]),
        ("ics", ["export", f"INC-{n}", "--format", "ics"]),
        ("followups.csv", ["followups", f"INC-{n}", "--format", "csv"]),
    )
]

#: Prints the review figures of both incidents, one JSON object per line,
#: through the public API whichever module it lives in.
FIGURES_SCRIPT = """
import dataclasses, json, sys
from warroom.clock import system_clock
from warroom.playbook import default_playbook
try:
    from warroom.domain.figures import compute_figures
    from warroom.db import open_store
    store = open_store(sys.argv[1], read_only=True)
    def figures(incident, now):
        return compute_figures(
            incident, store.timing_events(incident.id), default_playbook(), now
        )
except ImportError:
    from warroom.domain.figures import figures_for
    from warroom.db.store import Store
    store = Store(sys.argv[1], read_only=True)
    def figures(incident, now):
        return figures_for(store, incident, default_playbook(), now)
now = system_clock().now()
for incident in store.incidents():
    print(json.dumps(dataclasses.asdict(figures(incident, now)), sort_keys=True))
"""


def _load(tmp_path: Path) -> Path:
    db = tmp_path / "schema3.db"
    conn = sqlite3.connect(db)
    conn.executescript(FIXTURE.read_text(encoding="utf-8"))
    conn.close()
    return db


def _run(args: list[str], db: Path, env: dict[str, str]) -> str:
    env = {**env, "WARROOM_NOW": NOW}
    done = subprocess.run(
        [sys.executable, *args]
        if args[0] == "-c"
        else [sys.executable, "-m", "warroom", "--db", str(db), *args],
        capture_output=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode("utf-8")


def _outputs(db: Path, env: dict[str, str]) -> dict[str, str]:
    found = {name: _run(args, db, env) for name, args in EXPORTS}
    found["figures.jsonl"] = _run(["-c", FIGURES_SCRIPT, str(db)], db, env)
    return found


def _compare(found: dict[str, str]) -> None:
    if RECORD:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name, text in found.items():
            (GOLDEN / name).write_bytes(text.encode("utf-8"))
        pytest.skip("golden files recorded")
    for name, text in found.items():
        expected = (GOLDEN / name).read_bytes().decode("utf-8")
        assert text == expected, f"{name} differs from the schema-3 golden file"


def test_fixture_is_schema_3(tmp_path: Path) -> None:
    conn = sqlite3.connect(_load(tmp_path))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    conn.close()


def test_read_only_export_of_schema_3_matches_golden(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    """``export`` migrates a copy in memory and leaves the file at schema 3."""
    db = _load(tmp_path)
    _compare(_outputs(db, cli_env))
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    conn.close()


def test_upgraded_schema_3_matches_golden(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """Upgraded on disk (a writing command runs every migration), then exported."""
    db = _load(tmp_path)
    env = {**cli_env, "WARROOM_NOW": NOW}
    upgrade = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\ntry:\n from warroom.db import Store\nexcept ImportError:\n"
            " from warroom.db.store import Store\nStore(sys.argv[1]).close()",
            str(db),
        ],
        capture_output=True,
        env=env,
        check=False,
    )
    assert upgrade.returncode == 0, upgrade.stderr.decode()
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] > 3
    conn.close()
    _compare(_outputs(db, cli_env))
