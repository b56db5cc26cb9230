"""``warroom serve`` and ``warroom users`` on the command line.

Registered on the ``warroom`` group by :mod:`warroom.cli`. Mistakes are one
line and exit status 2, like every other command; a sign-in link is the last
line ``users add`` and ``users link`` print, so a script can take it with
``tail -1``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from warroom.errors import WarroomError

PUBLIC_URL_VARIABLE = "WARROOM_PUBLIC_URL"


def configured_public_url() -> str | None:
    """``WARROOM_PUBLIC_URL``, else ``[serve] public_url`` in the config file."""
    from warroom.serve.auth import check_public_url

    value = os.environ.get(PUBLIC_URL_VARIABLE)
    if value:
        return check_public_url(value)
    from warroom.comms.config import _read_file, default_config_path

    explicit = bool(os.environ.get("WARROOM_CONFIG"))
    path = Path(os.environ.get("WARROOM_CONFIG") or default_config_path()).expanduser()
    section = _read_file(path, explicit=explicit).get("serve", {})
    if not isinstance(section, dict):
        raise WarroomError(f"config file {path}: serve must be a table ([serve])")
    unknown = set(section) - {"public_url"}
    if unknown:
        raise WarroomError(f"config file {path}: [serve] has no {', '.join(sorted(unknown))}")
    value = section.get("public_url")
    if value is None:
        return None
    if not isinstance(value, str):
        raise WarroomError(f"config file {path}: [serve] public_url must be a string")
    return check_public_url(value)


def _person_name(name: str) -> str:
    from warroom.domain.rules import check_name

    try:
        return check_name(name)
    except WarroomError as exc:
        raise WarroomError(f"NAME: {exc}") from None


def _link(token: str) -> str:
    from warroom.serve.auth import DEFAULT_PUBLIC_URL

    return f"{configured_public_url() or DEFAULT_PUBLIC_URL}/signin#{token}"


def register(group: click.Group, *, global_options, text: click.ParamType, context) -> None:
    """Add ``serve`` and ``users`` to ``group`` (the ``warroom`` command line).

    The command line's shared pieces are passed in, not imported: this module
    never imports :mod:`warroom.cli`, so neither can be half-imported by the other.
    """
    TEXT, Context = text, context

    @click.group()
    def users() -> None:
        """Who may open the console through 'warroom serve', with a sign-in link each."""

    @users.command("add")
    @click.argument("name", type=TEXT)
    @click.option("--watch", is_flag=True, help="May look, never write.")
    @global_options
    @click.pass_context
    def users_add(ctx: click.Context, name: str, watch: bool) -> None:
        """Let NAME sign in; prints their sign-in link as the last line.

        The link works once, within a day, and signs in the browser that opens it.
        Send it privately: whoever opens it first is NAME.
        """
        from warroom.clock import system_clock
        from warroom.db import people as db_people

        name = _person_name(name)
        _link("")  # a bad public URL is one line before anything is written
        app_ctx = Context(ctx)
        token = db_people.add_person(app_ctx.store, name, watch=watch, now=system_clock().now())
        role = "may watch (never write)" if watch else "may sign in"
        click.echo(f"{name} {role}; this link signs in one browser, once, within 24 hours:")
        click.echo(_link(token))

    @users.command("link")
    @click.argument("name", type=TEXT)
    @global_options
    @click.pass_context
    def users_link(ctx: click.Context, name: str) -> None:
        """A fresh sign-in link for NAME (earlier unused links stop working)."""
        from warroom.clock import system_clock
        from warroom.db import people as db_people

        name = _person_name(name)
        _link("")
        app_ctx = Context(ctx)
        _must_exist(app_ctx)
        token = db_people.new_link(app_ctx.store, name, now=system_clock().now())
        click.echo(f"a new link for {name}; earlier unused links no longer work:")
        click.echo(_link(token))

    @users.command("remove")
    @click.argument("name", type=TEXT)
    @global_options
    @click.pass_context
    def users_remove(ctx: click.Context, name: str) -> None:
        """NAME can no longer sign in; their open consoles end within a second."""
        from warroom.db import people as db_people

        name = _person_name(name)
        app_ctx = Context(ctx)
        _must_exist(app_ctx)
        db_people.remove_person(app_ctx.store, name)
        click.echo(f"removed {name}: their links and sessions no longer work")

    @users.command("list")
    @click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
    @global_options
    @click.pass_context
    def users_list(ctx: click.Context, as_json: bool) -> None:
        """Who may sign in, and how many browsers each has signed in."""
        from warroom.clock import system_clock
        from warroom.db import people as db_people
        from warroom.db.store import database_state
        from warroom.textsafe import printable

        app_ctx = Context(ctx, read_only=True)
        rows = []
        if database_state(app_ctx.db_path) == "file":
            rows = db_people.people(app_ctx.store, now=system_clock().now())
        if as_json:
            click.echo(json.dumps([row.as_json() for row in rows], ensure_ascii=False, indent=2))
            return
        if not rows:
            click.echo("nobody may sign in yet: warroom users add NAME")
            return
        for row in rows:
            access = "watch" if row.watch else "write"
            link = " · link not used yet" if row.link_waiting else ""
            click.echo(
                f"{printable(row.name):<20} {access:<5}  {row.sessions} browser(s) signed in{link}"
            )

    def _must_exist(app_ctx) -> None:
        from warroom.db.store import database_state

        if database_state(app_ctx.db_path) != "file":
            raise WarroomError(f"nobody may sign in: no database at {app_ctx.db_path}")

    @click.command()
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", default=8040, show_default=True, type=click.IntRange(1, 65535))
    @click.option(
        "--public-url",
        metavar="URL",
        default=None,
        help="The address browsers use, e.g. https://warroom.example behind a TLS proxy"
        f" [env {PUBLIC_URL_VARIABLE}, config [serve] public_url; default http://HOST:PORT].",
    )
    @global_options
    @click.pass_context
    def serve(ctx: click.Context, host: str, port: int, public_url: str | None) -> None:
        """The console in a browser for everyone on the call.

        Each person signs in with their own link ('warroom users add NAME') and
        gets their own console on this database, stamped with their name.
        """
        from warroom.serve.auth import check_public_url, exposure_warning

        url = check_public_url(public_url) if public_url else configured_public_url()
        if url is None:
            if host in ("0.0.0.0", "::", ""):
                raise WarroomError(
                    f"--host {host} listens on every address: give --public-url, the address"
                    " people's browsers use (the server refuses any other origin)"
                )
            shown = f"[{host}]" if ":" in host else host
            url = f"http://{shown}:{port}"
        from warroom.comms.config import hook_token

        app_ctx = Context(ctx)
        token = hook_token()  # a bad token or config file: one line, before listening
        playbook, comms = app_ctx.playbook, app_ctx.comms
        app_ctx.store  # noqa: B018 - a bad --db is one line before anything listens
        app_ctx.close()  # the server opens its own, for as long as it runs
        warning = exposure_warning(host, url)
        if warning:
            click.echo(warning, err=True)
        from warroom.serve.app import ServeConfig, run

        config = ServeConfig(
            db=app_ctx.db_path.resolve(),
            public_url=url,
            playbook=ctx.meta.get("warroom.playbook") or os.environ.get("WARROOM_PLAYBOOK") or None,
            hook_token=token,
            playbook_data=playbook,
            comms=comms,
        )
        if token is None:
            click.echo("alert hooks are off: set WARROOM_HOOK_TOKEN or [hooks] token", err=True)
        try:
            run(config, host, port)
        except OSError as exc:
            raise WarroomError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        sys.exit(0)

    group.add_command(serve)
    group.add_command(users)
