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

import click

from warroom import __version__
from warroom.cli.options import (
    MAX_STDIN_LINE_BYTES,
    TEXT,
    Context,
    _complain,
    _short,
    global_options,
)
from warroom.clock import system_clock
from warroom.errors import WarroomError


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
        from warroom.opening import open_console

        code = open_console(
            ctx.meta.get("warroom.db"),
            ctx.meta.get("warroom.user"),
            ctx.meta.get("warroom.playbook"),
            watch=watch,
        )
        if code:
            sys.exit(code)


def _run_console(store, user: str, *, playbook=None, comms=None) -> None:
    from warroom.opening import run_app

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

    from warroom.db.store import Store
    from warroom.demo import seed_demo

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
    from warroom.domain.rules import check_declaration

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
    from warroom.domain.models import USER_KINDS
    from warroom.domain.rules import check_name

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
        stdin = click.get_binary_stream("stdin")  # type: ignore[operator]  # click's stub
        for batch in line_batches(stdin, MAX_STDIN_LINE_BYTES):
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


def _read_payload(source: str | None) -> bytes:
    """The payload from FILE, or standard input for ``-`` (or nothing), bounded."""
    from warroom.domain.alerts import MAX_PAYLOAD_BYTES, PayloadError

    limit = MAX_PAYLOAD_BYTES
    try:
        if source is None or source == "-":
            stdin = click.get_binary_stream("stdin")  # type: ignore[operator]  # click's stub
            body = stdin.read(limit + 1)
        else:
            with open(source, "rb") as handle:
                body = handle.read(limit + 1)
    except OSError as exc:
        raise WarroomError(f"cannot read {_short(source or '-')}: {exc.strerror}") from None
    if len(body) > limit:
        raise PayloadError(f"the payload is larger than {limit // 1024 // 1024} MiB")
    return body


@cli.command()
@click.argument("sender", metavar="alertmanager|grafana")
@click.argument("args", nargs=-1, metavar="INCIDENT [FILE|-]")
@click.option("--declare", is_flag=True, help="Declare a new incident from the group's summary.")
@click.option("--sev", "severity", default=None, metavar="N", help="Severity, with --declare.")
@global_options
@click.pass_context
def ingest(
    ctx: click.Context, sender: str, args: tuple[str, ...], declare: bool, severity: str | None
) -> None:
    """One alert webhook payload into the timeline (Alertmanager v4 or Grafana).

    Each alert is an entry of kind alert at its own start time (a resolution at
    its end); a re-sent group adds nothing new. With --declare --sev N, instead
    of INCIDENT, declares a new incident titled from the group's summary.
    """
    from warroom.domain.alerts import (
        SOURCES,
        earlier_than,
        first_start,
        milestone_token,
        parse_payload,
    )

    if sender not in SOURCES:
        raise WarroomError(f"{_short(sender)!r}: alertmanager or grafana")
    if declare:
        if severity is None:
            raise WarroomError("--declare needs --sev N")
        if len(args) > 1:
            raise WarroomError("with --declare, give only FILE (or - for standard input)")
        level = _parse_severity(severity)
        source = args[0] if args else None
    else:
        if severity is not None:
            raise WarroomError("--sev goes with --declare")
        if not args or len(args) > 2:
            raise WarroomError("usage: warroom ingest alertmanager|grafana INCIDENT [FILE|-]")
        source = args[1] if len(args) == 2 else None
    app_ctx = Context(ctx)
    if not declare:
        incident_id = app_ctx.incident_id(args[0])
    group = parse_payload(sender, _read_payload(source))  # all checked before any write
    ops = app_ctx.operations()
    if declare:
        from warroom.domain.rules import check_declaration

        check_declaration(
            app_ctx.playbook, severity=level, title=group.summary, impact="", commander=None
        )
        done = ops.declare_from_alerts(group, severity=level, author=app_ctx.user)
        incident_id = done.incident.id
        click.echo(done.incident.ref)
        if not done.declared:
            added = len(done.entries)
            click.echo(
                f"these alerts are already in {done.incident.ref}, which is not closed:"
                f" nothing declared, {added} new alert entr{'y' if added == 1 else 'ies'} there",
                err=True,
            )
    else:
        entries = ops.ingest_alerts(incident_id, group)
        added = len(entries)
        seen = len(group.alerts) - added
        click.echo(
            f"INC-{incident_id}: {added} new alert entr{'y' if added == 1 else 'ies'}"
            + (f", {seen} already in the timeline" if seen else "")
        )
    if group.truncated:
        click.echo(f"the sender left out {group.truncated} alert(s) of this group", err=True)
    record = app_ctx.store.incident(incident_id)
    first = first_start(group.alerts)
    if record is not None and earlier_than(first, record.milestones.impact_started_at):
        assert first is not None
        click.echo(
            f"the first alert started at {first}, before impact started"
            f" ({record.milestones.impact_started_at}): if impact began then,"
            f" /milestone impact_started {milestone_token(first, system_clock().now())} REASON"
            " in the console moves it",
            err=True,
        )
    sys.stdout.flush()
    app_ctx.deliver_before_exit()


@cli.command("list")
@click.option("--all", "show_all", is_flag=True, help="Resolved and closed incidents too.")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
@global_options
@click.pass_context
def list_(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """List open incidents (every incident with --all)."""
    from warroom.db.store import database_state

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
    from warroom.exports.incident import build_export
    from warroom.exports.review import render_review, review_invite

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
@click.option(
    "--push",
    is_flag=True,
    help="Create each open follow-up in the tracker ([tracker] / WARROOM_TRACKER_*), once.",
)
@global_options
@click.pass_context
def followups(ctx: click.Context, incident: str, fmt: str, output: Path | None, push: bool) -> None:
    """Export an incident's follow-up actions (CSV or JSON) for a backlog tracker,
    or, with --push, create them in the tracker (GitHub or Jira).

    Columns: incident, ref, text, owner, due, done, done_at, ticket.

    --push prints one line per open follow-up (created, found existing, already
    there, failed) and exits 0 when every open follow-up has its ticket, 1 when
    some do not (run it again: nothing is created twice), 2 when the tracker is
    not configured or its settings are wrong (nothing is written).
    """
    if push:
        from click.core import ParameterSource

        given = [
            f"--{name}"
            for name, option in (("format", "fmt"), ("output", "output"))
            if ctx.get_parameter_source(option) is ParameterSource.COMMANDLINE
        ]
        if given:
            raise WarroomError(f"--push writes no file: drop {' and '.join(given)}")
        _push_followups(ctx, incident)
        return
    from warroom.exports.incident import followups_csv, followups_json

    app_ctx = Context(ctx, read_only=True)
    incident_id = app_ctx.incident_id(incident)
    record = app_ctx.store.incident(incident_id)
    assert record is not None
    render = followups_csv if fmt == "csv" else followups_json
    _emit(render(app_ctx.store, record), output, app_ctx.db_path)


def _push_followups(ctx: click.Context, incident: str) -> None:
    import asyncio

    from warroom.comms.tracker_push import NOT_CONFIGURED, push_followups
    from warroom.textsafe import printable

    app_ctx = Context(ctx)
    # Settings and clock first: a refused config or no tracker opens no database.
    config = app_ctx.comms
    if not config.tracker_enabled:
        raise WarroomError(NOT_CONFIGURED)
    clock = system_clock()
    incident_id = app_ctx.incident_id(incident)
    record = app_ctx.store.incident(incident_id)
    assert record is not None

    def say(line) -> None:
        click.echo(printable(f"{record.ref} {line.line}", 400))

    review_url = app_ctx.playbook.incident_doc(record.id, record.ref)
    report = asyncio.run(
        push_followups(app_ctx.store, config, record, clock, on_line=say, review_url=review_url)
    )
    if not report.lines:
        click.echo(f"{record.ref}: no open follow-ups to push")
    if not report.complete:
        _complain(
            f"{report.failed} follow-up(s) of {record.ref} not in the tracker yet;"
            " run it again (nothing is created twice)"
        )
        sys.exit(1)


@cli.command()
@click.option("--since", default=None, metavar="SPAN", help="The last 7d, 24h, 2w … [default: 7d].")
@click.option("--from", "start", default=None, metavar="DATE", help="From this day (UTC).")
@click.option("--to", "end", default=None, metavar="DATE", help="To this day, included.")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("--post", is_flag=True, help="Also send a compact version to Slack.")
@global_options
@click.pass_context
def report(
    ctx: click.Context,
    since: str | None,
    start: str | None,
    end: str | None,
    fmt: str,
    post: bool,
) -> None:
    """The operations health summary for a period: incidents declared in it.

    Stakeholder updates on time, late and missed; time to detect, mitigate
    and resolve (median, p90); follow-ups open and overdue; missing
    milestones; every incident with its review status. Definitions are
    printed beside the figures. Only reads, unless --post.
    """
    from warroom.db.store import database_state
    from warroom.domain.report import Report, build_report, period
    from warroom.exports.report import make_report, render_json, render_markdown, report_bytes

    now = system_clock().now()
    begin, finish = period(now, since=since, start=start, end=end)
    app_ctx = Context(ctx, read_only=not post)
    playbook = app_ctx.playbook
    if post:
        from warroom.comms.delivery import channels_for

        if "slack" not in channels_for(app_ctx.comms):
            raise WarroomError(
                "--post: Slack is not configured (WARROOM_SLACK_WEBHOOK_URL, or"
                " WARROOM_SLACK_BOT_TOKEN and WARROOM_SLACK_CHANNEL); nothing was sent"
            )
    exists = database_state(app_ctx.db_path) == "file"
    if post and not exists:
        raise WarroomError(f"--post: no database at {app_ctx.db_path}; nothing was sent")
    if exists and not post:  # the common case, in one go, as UTF-8 (see report_bytes)
        click.echo(report_bytes(app_ctx.store, playbook, begin, finish, now, fmt=fmt), nl=False)
        sys.stdout.flush()
        return
    result: Report
    if exists:
        result = make_report(app_ctx.store, playbook, begin, finish, now)
    else:  # nothing to read, and nothing is created
        result = build_report(
            start=begin, end=finish, now=now, incidents=(), followups=(), playbook=playbook
        )
    click.echo(render_json(result) if fmt == "json" else render_markdown(result), nl=False)
    sys.stdout.flush()
    if post:
        _post_report(app_ctx, result, now)


def _post_report(app_ctx: Context, result, now) -> None:
    """Queue the compact report in the outbox, then deliver it now (one line says how)."""
    from warroom.comms.delivery import deliver_pending
    from warroom.comms.queueing import queue_channel_message
    from warroom.db import outbox
    from warroom.exports.report import render_slack

    again = f"warroom report --from {result.start} --to {result.end}"
    message_id = queue_channel_message(
        app_ctx.store, "report", render_slack(result, full_command=again), now
    )
    deliver_pending(app_ctx.store, app_ctx.comms, playbook=app_ctx.playbook)
    sent = outbox.get(app_ctx.store, message_id)
    status = sent.status if sent is not None else "pending"
    if status == "delivered":
        click.echo("report posted to Slack", err=True)
    elif status == "failed":
        _complain(f"the report was not posted to Slack: {sent.last_error if sent else ''}")
        sys.exit(1)
    elif status == "unsure":
        _complain(
            "the report may not have arrived in Slack (no answer); f4 in a console resends it"
        )
        sys.exit(1)
    else:
        why = f" ({sent.last_error})" if sent is not None and sent.last_error else ""
        _complain(
            f"the report is queued for Slack but not delivered yet{why}; it stays in the"
            " outbox and the next console or command sends it"
        )


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
    from warroom.db.store import is_sqlite_file

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

    config = load_comms_config()
    ok, line = check(config, timeout=timeout)
    if ok:
        if config.slack_mode == "webhook":
            from warroom.comms.capture import CAPTURE_OFF_WEBHOOK

            line += f" · {CAPTURE_OFF_WEBHOOK}"  # still one line
        click.echo(printable(line))
        return
    click.echo(printable(line), err=True)
    sys.exit(2)


@slack.command("sync")
@click.argument("incident")
@global_options
@click.option("--timeout", default=10.0, show_default=True, metavar="SECONDS", hidden=True)
@click.pass_context
def slack_sync(ctx: click.Context, incident: str, timeout: float) -> None:
    """Pull the incident's Slack thread and 📌 channel messages into the timeline now.

    Each message once, however often it is seen; each captured one gets a ✅.
    Needs a bot token (channels:history, reactions:write, users:read).
    """
    from warroom.comms.capture import sync_once

    app_ctx = Context(ctx)
    config = app_ctx.comms
    incident_id = app_ctx.incident_id(incident)
    result = sync_once(app_ctx.operations(), config, incident_id, timeout=timeout)
    click.echo(
        f"INC-{incident_id}: {result.captured} new Slack message(s) captured,"
        f" {result.acked} acknowledged ({result.calls} Slack calls)"
    )


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
        from warroom.opening import internal_error

        _complain(internal_error(exc, "running a command"))
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
