"""Run-time guards for what each way in loads (as harlequin's test_import_hygiene does).

The import-linter contracts in pyproject.toml read the static graph, so they
cannot tell a module-scope import from one deferred into the function that
needs it. These run the real entry point in a fresh interpreter and look at
``sys.modules``: the console's first frame loads no click (and no httpx
while Slack is not configured), ``warroom log`` loads no Textual and no
httpx, and the domain loads none of SQLite, Textual, httpx, click or pydantic.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

#: Printed last by each probe: which of the named modules got imported.
REPORT = (
    "import sys\nprint('loaded:' + ','.join(sorted(m for m in {names!r} if m in sys.modules)))\n"
)


def _loaded(code: str, names: tuple[str, ...], env: dict[str, str], cwd: Path) -> list[str]:
    probe = code + REPORT.format(names=names)
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("loaded:"), done.stdout
    return [name for name in last.removeprefix("loaded:").split(",") if name]


DOMAIN = (
    "warroom.domain.events",
    "warroom.domain.rules",
    "warroom.domain.figures",
    "warroom.domain.models",
    "warroom.domain.cadence",
    "warroom.domain.search",
    "warroom.domain.businessdays",
)


@pytest.mark.parametrize("module", DOMAIN)
def test_the_domain_loads_no_database_ui_network_or_validation(
    module: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    leaked = _loaded(
        f"import {module}\n",
        ("sqlite3", "sqlite_utils", "textual", "rich", "httpx", "click", "pydantic"),
        cli_env,
        tmp_path,
    )
    assert leaked == [], f"import {module} loaded {leaked}"


def test_the_consoles_first_frame_loads_no_click_and_no_httpx(
    run_cli, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """``warroom --db X`` on a database with an incident: the fast path, up to the
    first frame, headless. (Creating a new database runs migration 1, whose
    sqlite-utils brings click along: that happens once per file.)"""
    code, _out, err = run_cli(
        "declare", "--db", tmp_path / "w.db", "--sev", "3", "--title", "Slow dashboard"
    )
    assert code == 0, err
    code = f"""
import asyncio
import warroom.opening

def run_app(store, user, **console):
    from warroom.tui.app import WarroomApp

    app = WarroomApp(store=store, user=user, **console)

    async def first_frame():
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()

    asyncio.run(first_frame())
    return 0

warroom.opening.run_app = run_app
from warroom.launch import main
try:
    main(["--db", {str(tmp_path / "w.db")!r}])
except SystemExit as exit:
    assert not exit.code, exit.code
"""
    leaked = _loaded(code, ("click", "httpx"), cli_env, tmp_path)
    assert leaked == []


def test_warroom_log_loads_no_textual_and_no_httpx(
    run_cli, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = str(tmp_path / "w.db")
    code, _out, err = run_cli("declare", "--db", db, "--sev", "3", "--title", "Slow dashboard")
    assert code == 0, err
    probe = f"""
from warroom.launch import main
try:
    main(["--db", {db!r}, "log", "INC-1", "looking at it"])
except SystemExit as exit:
    assert not exit.code, exit.code
"""
    leaked = _loaded(probe, ("textual", "httpx", "rich"), cli_env, tmp_path)
    assert leaked == []
