"""The ``warroom`` command line.

Global options (``--db``, ``--as``) work before or after the subcommand. User
mistakes end with one line on standard error and exit status 2; nothing is
written. The console's Textual import happens only when a console opens, so
``warroom log`` in a pipe stays quick.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from warroom import __version__
from warroom.clock import system_clock
from warroom.errors import WarroomError

GLOBAL_KEYS = ("db", "user", "playbook")
#: The longest line ``log -`` takes from standard input. A line of 100 KB is
#: already far past a note; past this the stream is not lines of text.
MAX_STDIN_LINE_BYTES = 1024 * 1024
#: Incident numbers are SQLite row ids; more digits than this is no incident.
MAX_INCIDENT_DIGITS = 18


class TextType(click.ParamType):
    """Text as typed, refused in one line when it cannot be stored.

    The shell hands over bytes; Python turns the ones that are not UTF-8 into
    lone surrogates (``surrogateescape``), which pass every check and then fail
    as UnicodeEncodeError on the way into SQLite. Paths (``--db``, ``-o``) keep
    their bytes: a file name need not be UTF-8.
    """

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, str) and (problem := not_utf8(value)):
            self.fail(problem, param, ctx)
        return value


def not_utf8(value: str) -> str | None:
    """Why ``value`` (from argv or the environment) is not UTF-8 text, or None."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(value[exc.start])
        what = f"the byte 0x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"
        return f"not UTF-8 text ({what} at position {exc.start + 1})"
    return None


TEXT = TextType()


def _short(text: str, limit: int = 40) -> str:
    """User text for an error line: cut, so a 100 KB argument is not echoed back."""
    return text if len(text) <= limit else text[:limit] + "…"


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value is not None:
        ctx.meta[f"warroom.{param.name}"] = value
    return value


def global_options(func):
    """Add --db, --as and --playbook; the value given last (group or subcommand) wins."""
    func = click.option(
        "--playbook",
        "playbook",
        metavar="FILE",
        expose_value=False,
        callback=_remember,
        help="Playbook TOML file [env WARROOM_PLAYBOOK; default: built-in, see 'playbook show'].",
    )(func)
    func = click.option(
        "--as",
        "user",
        metavar="NAME",
        type=TEXT,
        expose_value=False,
        callback=_remember,
        help="Author stamped on what you write [env WARROOM_USER; default: login name].",
    )(func)
    func = click.option(
        "--db",
        "db",
        metavar="PATH",
        expose_value=False,
        callback=_remember,
        help="Database file [env WARROOM_DB; default: user data dir/warroom.db].",
    )(func)
    return func


class Context:
    """What every command needs, opened on first use and closed with the command.

    ``read_only`` (``list``, ``export``, ``followups``): the database is opened
    to read, so it is never created, migrated or changed, and a database in a
    read-only folder or on a read-only mount can still be read.
    """

    def __init__(self, ctx: click.Context, *, read_only: bool = False) -> None:
        from warroom.config import resolve_db, resolve_user

        self.db_path = resolve_db(ctx.meta.get("warroom.db"))
        self.user = resolve_user(ctx.meta.get("warroom.user"))
        self.read_only = read_only
        self._store = None
        self._playbook = None
        # Closed when the command ends, however it ends: the -wal and -shm go
        # with the last connection, and an in-process caller leaks nothing.
        ctx.call_on_close(self.close)
        # A playbook given by option or environment is checked now, before any
        # command opens (or creates) a database: a mistake writes nothing.
        given = ctx.meta.get("warroom.playbook") or os.environ.get("WARROOM_PLAYBOOK") or None
        if given:
            from warroom.playbook import load_playbook

            self._playbook = load_playbook(Path(given))

    @property
    def store(self):
        if self._store is None:
            from warroom.store import Store

            self._store = Store(self.db_path, read_only=self.read_only)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def playbook(self):
        if self._playbook is None:
            from warroom.playbook import default_playbook

            self._playbook = default_playbook()
        return self._playbook

    @property
    def comms(self):
        """Slack / SMTP settings (environment, then config file); one line if refused."""
        if not hasattr(self, "_comms"):
            from warroom.comms.config import load_comms_config

            self._comms = load_comms_config()
        return self._comms

    def operations(self):
        from warroom.operations import Operations

        # Both before .store: a refused config file or WARROOM_NOW writes nothing.
        comms = self.comms
        clock = system_clock()
        self._ops = Operations(self.store, clock, self.playbook, comms=comms)
        return self._ops

    def deliver_before_exit(self, deadline_seconds: float = 10.0) -> None:
        """Send what this command queued (bounded); say so on stderr if some is left."""
        from warroom.comms.delivery import channels_for, deliver_pending

        if not channels_for(self.comms):
            ops = getattr(self, "_ops", None)
            if ops is not None and ops.queued_for_slack:
                # The database has been used with Slack: queued all the same.
                _complain(
                    f"{ops.queued_for_slack} message(s) queued for Slack; Slack is not configured"
                    " here: a console or command that has the settings sends them"
                )
            return
        report = deliver_pending(
            self.store, self.comms, playbook=self.playbook, deadline_seconds=deadline_seconds
        )
        if report.failed:
            _complain(
                f"{report.failed} message(s) could not be delivered; the console shows why"
                " and can retry them"
            )
        if report.unsure:
            _complain(
                f"{report.unsure} message(s) may not have arrived (Slack never answered);"
                " not sent again by itself: f4 in a console sends it again"
            )
        if report.remaining:
            _complain(
                f"{report.remaining} message(s) not delivered yet; they stay in the outbox"
                " and the next console or command sends them"
            )

    def incident_id(self, text: str) -> int:
        """The incident ``text`` names, in the database; checked before the
        database is opened, so a mistake neither creates nor fills a file."""
        from warroom.store import database_state

        token = text.strip().upper().removeprefix("INC-")
        if not token.isdigit() or not token.isascii():
            raise WarroomError(f"{_short(text)!r} is not an incident: use 7 or INC-7")
        if len(token) > MAX_INCIDENT_DIGITS:
            raise WarroomError(f"no such incident: {_short(text)} in {self.db_path}")
        incident_id = int(token)
        state = database_state(self.db_path)
        if state != "file":
            where = "no database at" if state == "missing" else "empty database file"
            raise WarroomError(f"no such incident: INC-{incident_id} ({where} {self.db_path})")
        if self.store.incident(incident_id) is None:
            raise WarroomError(f"no such incident: INC-{incident_id} in {self.db_path}")
        return incident_id


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="warroom")
@global_options
@click.option("--watch", is_flag=True, help="Open the console to look, never to write.")
@click.pass_context
def cli(ctx: click.Context, watch: bool) -> None:
    """A terminal console for the people on an incident bridge call.

    With no command, opens the console on the active incident.
    """
    if ctx.invoked_subcommand is None:
        from warroom.launch import open_console

        code = open_console(
            ctx.meta.get("warroom.db"),
            ctx.meta.get("warroom.user"),
            ctx.meta.get("warroom.playbook"),
            watch=watch,
        )
        if code:
            sys.exit(code)


def _run_console(store, user: str, *, playbook=None, comms=None) -> None:
    from warroom.launch import run_app

    code = run_app(store, user, playbook=playbook, comms=comms)
    if code:
        sys.exit(code)


@cli.command()
@global_options
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Open the console on a throwaway database with a realistic incident."""
    import shutil
    import tempfile

    from warroom.demo import seed_demo
    from warroom.store import Store

    app_ctx = Context(ctx)
    # A team's playbook and WARROOM_NOW are checked before anything is made.
    playbook = app_ctx.playbook
    clock = system_clock()
    given = ctx.meta.get("warroom.db")
    folder = None
    if given:
        path = Path(given)
    else:
        folder = tempfile.mkdtemp(prefix="warroom-demo-")
        path = Path(folder) / "demo.db"
    try:
        store = Store(path)
        if store.active_incident_id() is None:
            seed_demo(store, playbook, clock)
        _run_console(store, app_ctx.user, playbook=playbook)
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def _parse_severity(value: str) -> int:
    token = value.strip().upper().removeprefix("SEV-").removeprefix("SEV")
    # A severity is one digit; a few more still get "no severity N", but never
    # the int() of 5,000 digits (ValueError past Python's 4,300-digit limit).
    if not token.isdigit() or not token.isascii() or len(token) > 9:
        raise WarroomError(f"--sev {_short(value)!r}: use a number such as 1 or SEV-1")
    return int(token)


@cli.command()
@click.option("--sev", "severity", required=True, metavar="N", help="Severity, 1 (worst) to 4.")
@click.option(
    "--title", required=True, metavar="T", type=TEXT, help="What is broken, in a few words."
)
@click.option("--impact", default="", metavar="I", type=TEXT, help="Who or what is affected.")
@click.option(
    "--commander", default=None, metavar="NAME", type=TEXT, help="The Incident Commander."
)
@global_options
@click.pass_context
def declare(ctx: click.Context, severity: str, title: str, impact: str, commander: str | None):
    """Declare an incident without the console; prints its ref (INC-<id>)."""
    from warroom.operations import check_declaration

    app_ctx = Context(ctx)
    level = _parse_severity(severity)
    # Check first: a mistake must not leave a new database file behind.
    check_declaration(
        app_ctx.playbook, severity=level, title=title, impact=impact, commander=commander
    )
    incident = app_ctx.operations().declare(
        severity=level, title=title, impact=impact, commander=commander, author=app_ctx.user
    )
    click.echo(incident.ref)
    sys.stdout.flush()
    app_ctx.deliver_before_exit()


@cli.command()
@click.argument("incident")
@click.argument("text", type=TEXT)
@click.option("--kind", default="note", metavar="K", help="note, decision, action or alert.")
@click.option("--author", default=None, metavar="NAME", type=TEXT, help="Author [default: --as].")
@global_options
@click.pass_context
def log(ctx: click.Context, incident: str, text: str, kind: str, author: str | None) -> None:
    """Append a timeline entry. TEXT of - reads one entry per line from stdin.

    Each entry is durable before its acknowledgement (INC-<id> #<n>) is printed.
    """
    from warroom.models import USER_KINDS
    from warroom.operations import check_name

    app_ctx = Context(ctx)
    if kind not in USER_KINDS:
        raise WarroomError(f"--kind {_short(kind)!r}: choose one of {', '.join(USER_KINDS)}")
    who = check_name(author) if author is not None else app_ctx.user
    incident_id = app_ctx.incident_id(incident)
    ops = app_ctx.operations()
    if text != "-":
        entry = ops.note(incident_id, who, text, kind=kind)
        click.echo(f"INC-{incident_id} #{entry.seq}")
        sys.stdout.flush()
        app_ctx.deliver_before_exit()
        return
    from warroom.linereader import LineTooLong, line_batches

    number = 0
    try:
        for batch in line_batches(click.get_binary_stream("stdin"), MAX_STDIN_LINE_BYTES):
            # What is already waiting commits in one transaction, and each line
            # is acknowledged only after that commit.
            texts: list[str] = []
            bad: int | None = None
            for raw in batch:
                number += 1
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    bad = number
                    break
                if line.strip():
                    texts.append(line)
            if texts:
                seqs = ops.notes(incident_id, who, texts, kind=kind)
                sys.stdout.write("".join(f"INC-{incident_id} #{seq}\n" for seq in seqs))
                sys.stdout.flush()
            if bad is not None:
                raise WarroomError(
                    f"stdin line {bad} is not UTF-8; it and what follows were not logged"
                )
    except LineTooLong:
        raise WarroomError(
            f"stdin line {number + 1} is longer than 1 MiB; it and what follows were not logged"
        ) from None
    app_ctx.deliver_before_exit()


@cli.command("list")
@click.option("--all", "show_all", is_flag=True, help="Resolved and closed incidents too.")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
@global_options
@click.pass_context
def list_(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """List open incidents (every incident with --all)."""
    from warroom.store import database_state

    app_ctx = Context(ctx, read_only=True)
    # A database that does not exist yet (or a 0-byte file) lists nothing, at
    # once, and stays as it was; a directory or a device is one line.
    found = app_ctx.store.incidents() if database_state(app_ctx.db_path) == "file" else []
    incidents = [i for i in found if show_all or i.status == "open"]
    if as_json:
        rows = [
            {
                "id": i.id,
                "ref": i.ref,
                "title": i.title,
                "severity": f"SEV-{i.severity}",
                "status": i.status,
                "stage": i.stage,
                "declared_at": i.declared_at,
                "incident_commander": i.roles.incident_commander,
            }
            for i in incidents
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not incidents:
        click.echo("no open incidents" if not show_all else "no incidents")
        return
    from warroom.textsafe import printable

    for i in incidents:
        click.echo(
            f"{i.ref:<8} SEV-{i.severity}  {i.status:<8} {i.stage:<9} {i.declared_at}  "
            f"{printable(i.title)}"
        )


@cli.command()
@click.argument("incident")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "md", "ics"]), default="json", show_default=True
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@global_options
@click.pass_context
def export(ctx: click.Context, incident: str, fmt: str, output: Path | None) -> None:
    """Export the incident record (json), the review document (md) or its meeting (ics)."""
    from warroom.export import build_export
    from warroom.review import render_review, review_invite

    app_ctx = Context(ctx, read_only=True)
    incident_id = app_ctx.incident_id(incident)
    record = app_ctx.store.incident(incident_id)
    assert record is not None
    now = system_clock().now()
    if fmt == "json":
        text = build_export(app_ctx.store, record, app_ctx.playbook, now=now).to_json()
    elif fmt == "md":
        text = render_review(app_ctx.store, record, app_ctx.playbook, now=now)
    else:
        text = review_invite(app_ctx.store, record, app_ctx.playbook, now)
    _emit(text, output, app_ctx.db_path)


@cli.command()
@click.argument("incident")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@global_options
@click.pass_context
def followups(ctx: click.Context, incident: str, fmt: str, output: Path | None) -> None:
    """Export an incident's follow-up actions (CSV or JSON) for a backlog tracker.

    Columns: incident, ref, text, owner, due, done, done_at.
    """
    from warroom.export import followups_csv, followups_json

    app_ctx = Context(ctx, read_only=True)
    incident_id = app_ctx.incident_id(incident)
    record = app_ctx.store.incident(incident_id)
    assert record is not None
    render = followups_csv if fmt == "csv" else followups_json
    _emit(render(app_ctx.store, record), output, app_ctx.db_path)


@cli.group()
def playbook() -> None:
    """The playbook: severities, cadences, roles, checklist, templates, holidays."""


@playbook.command("show")
@global_options
@click.pass_context
def playbook_show(ctx: click.Context) -> None:
    """Print the built-in playbook as TOML: copy it, change it, load it with --playbook.

    With --playbook (or WARROOM_PLAYBOOK), that file is checked and printed.
    """
    from warroom.playbook import default_playbook_text, load_playbook_text, playbook_file_text

    given = ctx.meta.get("warroom.playbook") or os.environ.get("WARROOM_PLAYBOOK") or None
    if given is None:
        click.echo(default_playbook_text(), nl=False)
        return
    # Read once (a pipe cannot be read twice), checked, then shown as written.
    text = playbook_file_text(Path(given))
    load_playbook_text(text, given)  # one line naming the field if it is wrong
    click.echo(text, nl=False)


def _emit(text: str, output: Path | None, db_path: Path) -> None:
    """``text`` to standard output, or to ``output`` byte for byte (CRLF kept).

    Never over a database: ``-o`` naming the incident's own file (a slip of
    tab completion) would replace the whole record with its export.
    """
    if output is None:
        click.echo(text, nl=False)
        return
    from warroom.store import is_sqlite_file

    database_files = {db_path.resolve()} | {
        db_path.with_name(db_path.name + suffix).resolve()
        for suffix in ("-wal", "-shm", "-journal")
    }
    # Only a regular file has a header to look at: reading /dev/stdout or a
    # pipe to find out would wait for ever.
    if output.resolve() in database_files or (output.is_file() and is_sqlite_file(output)):
        raise WarroomError(f"-o {output}: that is a database; write the export somewhere else")
    try:
        with output.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as exc:
        raise WarroomError(f"cannot write {output}: {exc.strerror}") from None
    click.echo(f"wrote {output}", err=True)


@cli.group()
def slack() -> None:
    """Slack: WARROOM_SLACK_WEBHOOK_URL, or WARROOM_SLACK_BOT_TOKEN + WARROOM_SLACK_CHANNEL."""


@slack.command("check")
@global_options
@click.option("--timeout", default=10.0, show_default=True, metavar="SECONDS", hidden=True)
def slack_check(timeout: float) -> None:
    """Send a test message and report Slack's answer in one line (exit 2 if not ok)."""
    from warroom.comms.config import load_comms_config
    from warroom.comms.slack import check
    from warroom.textsafe import printable

    ok, line = check(load_comms_config(), timeout=timeout)
    if ok:
        click.echo(printable(line))
        return
    click.echo(printable(line), err=True)
    sys.exit(2)


def _complain(message: str) -> None:
    """One line on stderr; user text in it cannot move the cursor or recolour the terminal."""
    from warroom.textsafe import printable

    click.echo(f"warroom: {printable(message)}", err=True)


# warroom serve / warroom users (the browser front door): their own package.
from warroom.serve.commands import register  # noqa: E402

register(cli, global_options=global_options, text=TEXT, context=Context)


def main(argv: list[str] | None = None) -> None:
    """Entry point: turn every user mistake into one line and exit status 2."""
    try:
        code = cli.main(args=argv, prog_name="warroom", standalone_mode=False)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "warroom"
        _complain(f"{exc.format_message()} (see '{where} --help')")
        sys.exit(2)
    except click.ClickException as exc:
        _complain(exc.format_message())
        sys.exit(exc.exit_code)
    except WarroomError as exc:
        _complain(str(exc))
        sys.exit(2)
    except click.Abort:
        click.echo("warroom: aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug in warroom, never the person's mistake
        from warroom.launch import internal_error

        _complain(internal_error(exc, "running a command"))
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
