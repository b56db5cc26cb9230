"""Shared fixtures: a frozen clock, a fresh database, operations, one declared incident,
and a way to run the real command line in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from warroom.clock import FrozenClock
from warroom.db.store import Store
from warroom.domain.models import Incident
from warroom.playbook import Playbook, default_playbook
from warroom.service import Service

#: When every test's clock starts (a Monday evening, UTC).
START = "2026-11-23T22:00:00Z"

#: (return code, standard output, standard error)
CliResult = tuple[int, str, str]


@pytest.fixture(autouse=True)
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where a console writes the traceback of an internal error: never the
    real user log directory from a test."""
    folder = tmp_path / "log"
    monkeypatch.setenv("WARROOM_LOG_DIR", str(folder))
    return folder


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "warroom.db"


@pytest.fixture
def store(db_path: Path):
    opened = Store(db_path)
    yield opened
    opened.close()


@pytest.fixture
def playbook() -> Playbook:
    return default_playbook()


@pytest.fixture
def ops(store: Store, clock: FrozenClock, playbook: Playbook) -> Service:
    return Service(store, clock, playbook)


@pytest.fixture
def incident(ops: Service) -> Incident:
    return ops.declare(
        severity=2,
        title="QuickBooks sync halted",
        author="alice",
        impact="sync delayed for 40% of tenants",
        commander="alice",
    )


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """The environment the CLI runs in: no WARROOM_DB, WARROOM_USER=tester, the
    clock frozen at START (what the CLI prints never depends on the wall clock),
    and a private HOME / data dir so a test that forgets --db cannot touch the
    real one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(
        {
            "WARROOM_USER": "tester",
            "WARROOM_NOW": START,
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "NO_COLOR": "1",
        }
    )
    return env


@pytest.fixture
def run_cli(tmp_path: Path, cli_env: dict[str, str]) -> Callable[..., CliResult]:
    """Run ``python -m warroom ARGS`` in ``tmp_path``; return (returncode, stdout, stderr).

    ``input`` (str or bytes) is fed to standard input; ``env`` adds to (or, with a
    value of None, removes from) the environment. Output is decoded as UTF-8 without
    newline translation, so it can be compared byte for byte.
    """

    def run(
        *args: str | os.PathLike,
        input: str | bytes | None = None,
        env: dict[str, str | None] | None = None,
        timeout: float = 30,
    ) -> CliResult:
        full_env = dict(cli_env)
        for key, value in (env or {}).items():
            if value is None:
                full_env.pop(key, None)
            else:
                full_env[key] = value
        data = input.encode("utf-8") if isinstance(input, str) else input
        proc = subprocess.run(
            [sys.executable, "-m", "warroom", *map(str, args)],
            input=data if data is not None else b"",
            capture_output=True,
            cwd=tmp_path,
            env=full_env,
            timeout=timeout,
            check=False,
        )
        return (
            proc.returncode,
            proc.stdout.decode("utf-8"),
            proc.stderr.decode("utf-8"),
        )

    return run
