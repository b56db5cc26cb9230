"""Opening the console, shared by both ways in (``warroom`` alone and ``warroom demo``/the CLI).

Everything a mistake could be in is checked (database path, name, playbook,
Slack settings, ``WARROOM_NOW``) before the database is opened; then the
Textual app runs. Imports nothing of click, so the fast path in
:mod:`warroom.launch` stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def open_console(
    db: str | None = None,
    user: str | None = None,
    playbook: str | None = None,
    watch: bool = False,
) -> int:
    """Check everything a mistake could be in, then open the console; its exit status.

    ``watch``: look, never write (``warroom --watch``; ``serve`` passes it
    for people added with ``users add --watch``)."""
    from warroom.comms.presence import comms_may_be_configured
    from warroom.config import resolve_db, resolve_user
    from warroom.db.store import Store

    db_path = resolve_db(db)
    who = resolve_user(user)
    given = playbook or os.environ.get("WARROOM_PLAYBOOK") or None
    book = None
    if given:
        from warroom.playbook import load_playbook

        book = load_playbook(Path(given))
    comms = None
    if comms_may_be_configured():  # a refused config file stops here, before the database
        from warroom.comms.config import load_comms_config

        comms = load_comms_config()
    from warroom.clock import system_clock

    clock = system_clock()  # a bad WARROOM_NOW is one line before the database is made
    # The console checks the file's integrity after its first frame.
    store = Store(db_path, verify=False)
    from warroom.presence import Presence, console_guards

    via = console_guards(store, watch=watch, now=clock.now)
    presence = Presence(store, who, via=via, watch=watch, now=clock.now)
    return run_app(store, who, playbook=book, comms=comms, watch=watch, presence=presence)


def run_app(
    store: Any,
    user: str,
    *,
    playbook: Any = None,
    comms: Any = None,
    watch: bool = False,
    presence: Any = None,
) -> int:
    import gc

    # Start-up builds many long-lived objects (modules, widgets, styles); a full
    # collection among them costs tens of ms before the first frame. The app
    # freezes them and turns the collector back on once it is up.
    gc.disable()
    from warroom.tui.app import WarroomApp

    app = WarroomApp(
        store=store,
        user=user,
        playbook=playbook,
        comms=comms,
        watch=watch,
        presence=presence,
        # In a browser (serve) the cursor stays steady: a blink is two screen
        # updates a second sent, parsed and painted in every open tab.
        cursor_blink=not os.environ.get("WARROOM_SERVE_SESSION"),
    )
    try:
        app.run()
    finally:
        if presence is not None:
            presence.leave()
        # Closed, not left to the interpreter's exit (which, with the start-up's
        # objects frozen, never closes it): the last connection to leave folds
        # the -wal into the file and deletes it, so the .db alone — the file
        # people copy, attach or back up — holds everything typed.
        store.close()
    return app.return_code or 0


def internal_error(error: BaseException, doing: str) -> str:
    """The one line for a bug in warroom (never the person's mistake).

    The traceback goes to ``warroom.log`` in the user log directory (or
    ``WARROOM_LOG_DIR``), owner-only and with anything token-shaped scrubbed;
    the screen gets one line saying where. Writing the log may fail too (a full
    disk): the line says so rather than turning one failure into two.
    """
    import traceback
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    text = f"--- {stamp} while {doing}\n" + "".join(traceback.format_exception(error))
    given = os.environ.get("WARROOM_LOG_DIR")
    try:
        from warroom.comms.config import redact

        text = redact(text, None)
        if given:
            path = Path(given).expanduser() / "warroom.log"
        else:
            from platformdirs import user_log_path

            path = user_log_path("warroom", appauthor=False) / "warroom.log"
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(text)
    except Exception:
        return f"internal error ({type(error).__name__}); the log could not be written"
    return f"internal error ({type(error).__name__}): details in {path}"
