"""The command line under arbitrary arguments (issue 8, item 4).

Hypothesis draws command lines from a grammar of warroom's commands and
options, with hostile values in every slot: argument *bytes* (not UTF-8 too,
as a shell passes them), numbers past SQLite's 64 bits and Python's 4,300
digits, paths to devices, directories, 0-byte and foreign files, playbooks
nested 100,000 deep or reading /dev/zero. Every run must exit 0 or 2 and
never print a traceback; on 2 (one line on stderr) the database must be byte
for byte as it was and no file may have appeared. A read-only command (list,
export, followups) changes nothing even when it succeeds.

Most examples run in-process (the real entry point, ``warroom.launch.main``,
inside click's ``CliRunner`` isolation, argv decoded exactly as Python decodes
a real one); a smaller sample runs ``python -m warroom`` with the raw bytes.

The suite runs a few hundred examples. For a long run by hand::

    WARROOM_FUZZ_EXAMPLES=20000 .venv/bin/pytest tests/test_cli_fuzz.py -k in_process -q
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from warroom import launch, opening
from warroom.clock import FrozenClock
from warroom.db.store import Store
from warroom.playbook import default_playbook, default_playbook_text
from warroom.service import Service

EXAMPLES = int(os.environ.get("WARROOM_FUZZ_EXAMPLES", "300"))
SUBPROCESS_EXAMPLES = int(os.environ.get("WARROOM_FUZZ_SUBPROCESS_EXAMPLES", "12"))
NOW = "2026-11-23T22:00:00Z"

# -- the files the grammar points at ---------------------------------------------------


def _seeded_database(path: Path) -> None:
    """INC-1 with entries and follow-ups, INC-2 resolved, INC-3 closed-ready."""
    store = Store(path)
    try:
        clock = FrozenClock(NOW)
        ops = Service(store, clock, default_playbook())
        one = ops.declare(severity=2, title="QuickBooks sync halted", author="alice")
        ops.note(one.id, "carol", '=HYPERLINK("http://x")')
        ops.add_followup(one.id, "carol", "-1 retries", "@dan", "2026-11-30")
        two = ops.declare(severity=1, title="uploads", author="bob")
        clock.advance(minutes=30)
        ops.resolve(two.id, "bob")
    finally:
        store.close()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """Files that examples read but never write: playbooks, and the seed database."""
    root = tmp_path_factory.mktemp("fuzz-inputs")
    _seeded_database(root / "seed.db")
    good = default_playbook_text()
    playbooks = {
        "good.toml": good,
        "deep.toml": "x = " + "[" * 100_000 + "]" * 100_000 + "\n",
        "digits.toml": good.replace("followup_due_days = 7", "followup_due_days = " + "9" * 5000),
        "far.toml": good.replace("followup_due_days = 7", "followup_due_days = 100000000000"),
        "review.toml": good.replace(
            "review_within_business_days = 2", "review_within_business_days = 5000"
        ),
        "spec.toml": good.replace("| {summary}", "| {summary:>99999999999}"),
        "holiday.toml": good.replace("holidays = []", 'holidays = ["0001-01-01"]'),
        "empty.toml": "",
        "big.toml": good + "#" * (1024 * 1024) + "\n",
    }
    for name, text in playbooks.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "latin1.toml").write_bytes(b'name = "caf\xe9"\n')
    configs = {
        "cfg-ok.toml": "[slack]\nthreads = true\n",
        "cfg-deep.toml": "x = " + "[" * 5000,
        "cfg-table.toml": "slack = 3\n",
        "cfg-digits.toml": "[smtp]\nport = " + "1" * 5000 + "\n",
        "cfg-big.toml": "#" * (65 * 1024),
        "cfg-open.toml": "[slack]\n",
    }
    for name, text in configs.items():
        (root / name).write_text(text, encoding="utf-8")
        (root / name).chmod(0o644 if name == "cfg-open.toml" else 0o600)
    return root


def _example_dir(inputs: Path, parent: Path) -> Path:
    """A fresh folder for one example: its own databases and output targets."""
    work = Path(tempfile.mkdtemp(dir=parent))
    shutil.copyfile(inputs / "seed.db", work / "w.db")
    (work / "empty.db").write_bytes(b"")
    (work / "notes.db").write_text("my shopping list\n")
    (work / "folder").mkdir()
    (work / "home").mkdir()
    return work


def _snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file under ``root`` with its bytes (folders as None)."""
    found: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        found[rel] = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    return found


# -- the grammar ---------------------------------------------------------------------

#: Values that broke something once, or sit on an edge.
HOSTILE = [
    b"",
    b" ",
    b"-",
    b"--",
    b"--db",
    b"-o",
    b"0",
    b"1",
    b"2",
    b"3",
    b"INC-1",
    b"inc-2",
    b"SEV-1",
    b"-1",
    b"9" * 19,
    b"9223372036854775807",
    b"9223372036854775808",
    b"99999999999999999999999999",
    b"1" * 5000,
    b"\xd9\xa2",  # Arabic-Indic digit two
    b"\xff",
    b"a\xffb",
    b"\xed\xa0\x80",  # an encoded surrogate: not UTF-8
    b"\xc3\x28",
    b"two\nlines",
    b"tab\there",
    b"\r",
    b"\x1b[31mred\x1b[0m",
    b"\xe2\x80\xaeevil",
    b"=SUM(A1)",
    b"+1",
    b"@here",
    b"<!channel>",
    b"[bold]x[/]",
    b"{summary:>99999999999}",
    b"%s%n",
    "🔥 مرحبا שלום".encode(),
    b"x" * 201,
    b"y" * 100_000,
]
PATHS = [
    b"w.db",
    b"new.db",
    b"sub/dir/new.db",
    b"empty.db",
    b"notes.db",
    b"folder",
    b"w.db-wal",
    b"/dev/null",
    b"/dev/zero",
    b"a" * 300,
    b"\xff.db",
    b"",
]
OUTPUTS = [
    b"out.txt",
    b"w.db",
    b"w.db-wal",
    b"notes.db",
    b"folder",
    b"no/such/out",
    b"/dev/null",
    b"/dev/full",
    b"",
    b"\xff.out",
]
KINDS = [b"note", b"decision", b"action", b"alert", b"declared", b"NOTE"]
FORMATS = [b"json", b"md", b"ics", b"csv", b"xml", b""]


#: Ordinary values, so that commands also get far enough to work.
PLAIN = [b"sync down", b"alice", b"restarted worker-3", b"QuickBooks \xf0\x9f\x94\xa5", b"dan"]


def _value() -> st.SearchStrategy[bytes]:
    """Mostly an ordinary value, often a hostile one."""
    plain = st.sampled_from(PLAIN)
    return st.one_of(plain, plain, plain, plain, _text())


def _text() -> st.SearchStrategy[bytes]:
    arbitrary = st.binary(max_size=40).map(lambda b: b.replace(b"\x00", b""))
    unicode = st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
    ).map(lambda t: t.encode("utf-8"))
    return st.one_of(st.sampled_from(HOSTILE), arbitrary, unicode)


#: Where the shared input files are, in a drawn argument: filled in when it runs.
INPUTS = b"{inputs}"


@st.composite
def _playbook_path(draw) -> bytes:
    name = draw(
        st.sampled_from(
            [
                "good.toml",
                "deep.toml",
                "digits.toml",
                "far.toml",
                "review.toml",
                "spec.toml",
                "holiday.toml",
                "empty.toml",
                "big.toml",
                "latin1.toml",
                "missing.toml",
            ]
        )
    )
    good = INPUTS + b"/good.toml"
    return draw(st.sampled_from([good, good, INPUTS + b"/" + name.encode(), b"/dev/zero"]))


@st.composite
def command_lines(draw, *, console: bool) -> list[bytes]:
    """One command line: a command, its arguments, and global options anywhere."""
    text = _text()
    value = _value()
    incident = st.one_of(st.sampled_from([b"1", b"INC-1", b"2", b"3", b"99"]), text)
    command = draw(
        st.sampled_from(
            ["declare", "log", "log-", "list", "export", "followups", "playbook", "slack"]
            + ["help", "version", "junk"]
            + (["console", "demo"] if console else [])
        )
    )
    args: list[bytes] = []
    options: list[list[bytes]] = []
    if command == "declare":
        args = [b"declare"]
        if draw(st.integers(0, 9)):
            sev = st.sampled_from([b"1", b"2", b"4", b"SEV-3"])
            options.append([b"--sev", draw(st.one_of(sev, sev, sev, text))])
        if draw(st.integers(0, 9)):
            options.append([b"--title", draw(value)])
        if draw(st.booleans()):
            options.append([b"--impact", draw(value)])
        if draw(st.booleans()):
            options.append([b"--commander", draw(value)])
    elif command in ("log", "log-"):
        args = [b"log", draw(incident), b"-" if command == "log-" else draw(value)]
        if draw(st.booleans()):
            kinds = st.sampled_from(KINDS)
            options.append([b"--kind", draw(st.one_of(kinds, kinds, kinds, text))])
        if draw(st.booleans()):
            options.append([b"--author", draw(value)])
    elif command == "list":
        args = [b"list", *draw(st.lists(st.sampled_from([b"--all", b"--json"]), max_size=2))]
    elif command in ("export", "followups"):
        args = [command.encode(), draw(incident)]
        if draw(st.booleans()):
            options.append([b"--format", draw(st.one_of(st.sampled_from(FORMATS), text))])
        if draw(st.booleans()):
            target = draw(st.sampled_from(OUTPUTS))
            options.append([draw(st.sampled_from([b"-o", b"--output"])), target])
    elif command == "playbook":
        args = [b"playbook", draw(st.sampled_from([b"show", b"frob", b""]))]
    elif command == "slack":
        args = [b"slack", draw(st.sampled_from([b"check", b"frob"]))]
    elif command == "help":
        args = draw(st.sampled_from([[b"--help"], [b"log", b"-h"], [b"export", b"--help"]]))
    elif command == "version":
        args = [b"--version"]
    elif command == "junk":
        args = draw(st.lists(text, min_size=1, max_size=4))
    elif command == "demo":
        args = [b"demo"]
    # Global options, before or after the command (or alone: the console).
    if draw(st.integers(0, 3)):
        db = st.one_of(st.just(b"w.db"), st.just(b"w.db"), st.sampled_from(PATHS))
        options.append([b"--db", draw(db)])
    if draw(st.integers(0, 3)) == 0:
        options.append([b"--as", draw(value)])
    if draw(st.integers(0, 3)) == 0:
        options.append([b"--playbook", draw(_playbook_path())])
    if command == "console":
        return [part for option in options for part in option] or [b"--db", b"w.db"]
    before: list[bytes] = []
    after: list[bytes] = []
    for option in options:
        joined = [option[0] + b"=" + option[1]] if draw(st.integers(0, 4)) == 0 else option
        if option[0] in (b"--db", b"--as", b"--playbook") and draw(st.booleans()):
            before += joined
        else:
            after += joined
    return before + args + after


#: Standard input too long to show in a failure report: made when the example runs.
LONG_LINE = b"<a line of 1 MiB + 10 bytes, no newline>"


#: The environment a person may have set, hostile too (Slack settings aside: no network).
ENVIRONMENT = {
    "WARROOM_NOW": [b"9999-12-31T23:59:59Z", b"0001-01-01T00:00:00+01:00", b"soon", b"\xff"],
    "WARROOM_USER": [b"", b" ", b"tab\there", b"\xfe", b"x" * 65, "🔥".encode()],
    "WARROOM_DB": [b"w.db", b"empty.db", b"notes.db", b"folder", b"/dev/null", b"\xff.db"],
    "WARROOM_PLAYBOOK": [INPUTS + b"/deep.toml", INPUTS + b"/far.toml", b"/dev/zero", b""],
    "WARROOM_CONFIG": [INPUTS + b"/cfg-" + n + b".toml" for n in (b"ok", b"deep", b"table")]
    + [INPUTS + b"/cfg-" + n + b".toml" for n in (b"digits", b"big", b"open", b"missing")],
}


def _environment_changes() -> st.SearchStrategy[dict[str, bytes]]:
    """Mostly nothing; sometimes one or two hostile variables."""
    one = st.sampled_from(sorted(ENVIRONMENT)).flatmap(
        lambda name: st.sampled_from(ENVIRONMENT[name]).map(lambda value: {name: value})
    )
    return st.one_of(
        st.just({}), st.just({}), one, st.tuples(one, one).map(lambda p: {**p[0], **p[1]})
    )


def _stdin() -> st.SearchStrategy[bytes]:
    lines = st.lists(st.one_of(st.sampled_from(HOSTILE), st.binary(max_size=30)), max_size=4)
    return st.one_of(
        lines.map(lambda parts: b"\n".join(parts) + b"\n"),
        st.just(LONG_LINE),
        st.just(b"ok line\n" + b"\xff\xfe\n" + b"never logged\n"),
    )


# -- running it ----------------------------------------------------------------------


def _environment(work: Path) -> dict[str, str | None]:
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("WARROOM_")}
    home = work / "home"
    env.update(
        {
            "WARROOM_USER": "tester",
            "WARROOM_NOW": NOW,
            "WARROOM_LOG_DIR": str(home / "log"),
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_STATE_HOME": str(home / "state"),
            "NO_COLOR": "1",
        }
    )
    return env


@contextmanager
def _in(folder: Path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def run_in_process(
    argv: list[bytes], work: Path, stdin: bytes, changes: dict[str, str]
) -> tuple[int, str, str]:
    """``warroom ARGV`` through the real entry point, without a new interpreter.

    argv is decoded as Python decodes a real one (``os.fsdecode``: bytes that
    are not UTF-8 become lone surrogates). The console is never started: its
    ``run_app`` is replaced, so what the console path checks first still runs.
    """
    runner = CliRunner()
    with (
        runner.isolation(input=stdin, env={**_environment(work), **changes}) as (out, err, _),
        _in(work),
        mock.patch.object(opening, "run_app", lambda *a, **k: 0),
    ):
        try:
            launch.main([os.fsdecode(part) for part in argv])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        sys.stdout.flush()  # print() (the console path) buffers; click.echo flushes
        sys.stderr.flush()
        return (
            code,
            out.getvalue().decode("utf-8", "replace"),
            err.getvalue().decode("utf-8", "replace"),
        )


def run_subprocess(
    argv: list[bytes], work: Path, stdin: bytes, changes: dict[str, str]
) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARROOM_")}
    env.update({k: v for k, v in _environment(work).items() if v is not None})
    env.update(changes)
    proc = subprocess.run(
        [sys.executable, "-m", "warroom", *argv],
        input=stdin,
        capture_output=True,
        cwd=work,
        env=env,
        timeout=60,
        check=False,
    )
    return (
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


COMMANDS = {None, "declare", "log", "list", "export", "followups", "playbook", "slack", "demo"}
#: Commands that read: they never create or change a database, even when they work.
READ_ONLY = {"list", "export", "followups", "playbook", "--help", "-h", "--version"}
GLOBAL_WITH_VALUE = {b"--db", b"--as", b"--playbook"}


def command_of(argv: list[bytes]) -> str | None:
    """The subcommand (or ``--help``/``--version``) ``argv`` runs; None for the console."""
    index = 0
    while index < len(argv):
        part = argv[index]
        if part in GLOBAL_WITH_VALUE:
            index += 2
            continue
        if part.split(b"=", 1)[0] in GLOBAL_WITH_VALUE and b"=" in part:
            index += 1
            continue
        return os.fsdecode(part)
    return None


def output_of(argv: list[bytes]) -> bytes | None:
    """The file ``-o`` names, as click reads it (``-o=x`` is the file ``=x``)."""
    for index, part in enumerate(argv):
        if part in (b"-o", b"--output") and index + 1 < len(argv):
            return argv[index + 1]
        if part.startswith(b"--output="):
            return part[len(b"--output=") :]
        if part.startswith(b"-o") and not part.startswith(b"--"):
            return part[2:]
    return None


def check_one(
    run, argv: list[bytes], stdin: bytes, inputs: Path, parent: Path, env: dict[str, bytes]
) -> None:
    argv = [part.replace(INPUTS, os.fsencode(inputs)) for part in argv]
    changes = {k: os.fsdecode(v.replace(INPUTS, os.fsencode(inputs))) for k, v in env.items()}
    work = _example_dir(inputs, parent)
    try:
        before = _snapshot(work)
        shared = _snapshot(inputs)
        data = b"x" * (1024 * 1024 + 10) if stdin == LONG_LINE else stdin
        code, out, err = run(argv, work, data, changes)
        shown = (
            f"argv={argv!r}\nenv={env!r}\ncode={code}\nstdout={out[:500]!r}\nstderr={err[:2000]!r}"
        )
        assert code in (0, 2), shown
        assert "Traceback" not in err and "Traceback" not in out, shown
        assert "internal error" not in err, shown
        assert _snapshot(inputs) == shared, shown
        after = _snapshot(work)
        command = command_of(argv)
        event(f"{command if command in COMMANDS else 'other'}: exit {code}")
        logged_from_stdin = command == "log" and b"-" in argv and out
        if code == 2:
            lines = err.splitlines()
            # ``slack check`` reports Slack's answer as "slack: …" (test_slack.py).
            prefix = ("warroom: ", "slack: ") if command == "slack" else ("warroom: ",)
            assert len(lines) == 1 and lines[0].startswith(prefix), shown
            if not logged_from_stdin:
                assert out == "", shown
                assert after == before, shown
        elif command in READ_ONLY:
            # A read-only command that worked still changed nothing: only its -o file appeared.
            output = output_of(argv)
            changed = {k for k in after.keys() | before.keys() if after.get(k) != before.get(k)}
            assert changed <= {os.fsdecode(output)} if output else not changed, (shown, changed)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- the tests -----------------------------------------------------------------------

SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz-examples")


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(argv=command_lines(console=True), stdin=_stdin(), env=_environment_changes())
def test_the_command_line_survives_arbitrary_arguments_in_process(
    inputs, scratch, argv, stdin, env
):
    check_one(run_in_process, argv, stdin, inputs, scratch, env)


@settings(max_examples=SUBPROCESS_EXAMPLES, **SETTINGS)
@given(argv=command_lines(console=False), stdin=_stdin(), env=_environment_changes())
def test_the_command_line_survives_arbitrary_argument_bytes_in_a_real_process(
    inputs, scratch, argv, stdin, env
):
    # Never the console itself in a real process: it would wait for a terminal.
    assume(launch.console_options([os.fsdecode(a) for a in argv]) is None)
    assume(command_of(argv) != "demo")
    check_one(run_subprocess, argv, stdin, inputs, scratch, env)
