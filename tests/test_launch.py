"""``warroom [--db] [--as] [--playbook]`` opens the console without the CLI machinery."""

from __future__ import annotations

import subprocess
import sys

import pytest

from warroom.launch import console_options


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], {}),
        (["--db", "x.db"], {"db": "x.db"}),
        (["--db=x.db", "--as", "carol"], {"db": "x.db", "user": "carol"}),
        (["--playbook", "team.toml"], {"playbook": "team.toml"}),
        (["list"], None),  # a subcommand: the command line handles it
        (["--db", "x.db", "list"], None),
        (["--help"], None),
        (["--version"], None),
        (["--db"], None),  # missing value: the command line says so
        (["--db", "--as", "me"], None),
        (["--dbx", "y"], None),
        # serve starts each console as: --db DB --as=NAME [--watch]
        (["--db", "x.db", "--as=-eve", "--watch"], {"db": "x.db", "user": "-eve", "watch": True}),
        (["--watch", "list"], None),
    ],
)
def test_console_options(argv, expected):
    assert console_options(argv) == expected


def test_the_console_path_reports_a_bad_database_in_one_line_without_click(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a database")
    probe = (
        "import sys, warroom.launch as launch\n"
        "try:\n"
        f"    launch.main(['--db', {str(bad)!r}])\n"
        "except SystemExit as exit:\n"
        "    print(exit.code, 'click' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["2", "False"]
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("warroom: ") and "not a warroom database" in line
    assert bad.read_text() == "not a database"


def test_a_bad_playbook_on_the_console_path_names_the_file(tmp_path):
    book = tmp_path / "team.toml"
    book.write_text('name = "x"\nstages = []\n')
    result = subprocess.run(
        [sys.executable, "-m", "warroom", "--db", str(tmp_path / "w.db"), "--playbook", str(book)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert str(book) in line
    assert not (tmp_path / "w.db").exists()  # nothing written


def test_subcommands_still_go_through_the_command_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "warroom", "--db", str(tmp_path / "w.db"), "list"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stdout.strip() == "no open incidents"
