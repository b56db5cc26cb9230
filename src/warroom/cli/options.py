"""What every ``warroom`` subcommand shares: the global options, text checks, the context.

Global options (``--db``, ``--as``, ``--playbook``) work before or after the
subcommand; the value given last wins.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

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
            from warroom.db.store import Store

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
        from warroom.service import Service

        # Both before .store: a refused config file or WARROOM_NOW writes nothing.
        comms = self.comms
        clock = system_clock()
        self._ops = Service(self.store, clock, self.playbook, comms=comms)
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
        from warroom.db.store import database_state

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


def _complain(message: str) -> None:
    """One line on stderr; user text in it cannot move the cursor or recolour the terminal."""
    from warroom.textsafe import printable

    click.echo(f"warroom: {printable(message)}", err=True)
