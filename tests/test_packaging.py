"""The wheel carries what the app needs: a non-editable install finds its styles."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_styles_and_playbook_and_the_app_finds_them(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = (tmp_path / "dist").glob("warroom-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for sheet in ("warroom.tcss", "panes.tcss", "modals.tcss"):
        assert f"warroom/styles/{sheet}" in names
    assert "warroom/default_playbook.toml" in names

    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    probe = (
        "import warroom.tui.app as a, warroom.playbook as p, warroom.tui.resources as r; "
        "print(a.stylesheet()); print(r.PANES); p.default_playbook()"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    sheets = result.stdout.split()
    assert len(sheets) == 2
    for line in sheets:
        stylesheet = Path(line)
        assert stylesheet.is_relative_to(target) and stylesheet.is_file()
