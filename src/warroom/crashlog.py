"""Where an unexpected failure goes: one line for the person, the traceback to a file.

A mistake a person can fix is a :class:`~warroom.errors.WarroomError` and is
shown as it is. Anything else is a bug in warroom: the person at the keyboard
needs to know the console is still up and whether their line was kept, not a
screenful of Python; whoever fixes the bug needs the traceback. So the
traceback is appended to ``warroom.log`` in the user log directory
(platformdirs' ``user_log_dir("warroom")``, or ``WARROOM_LOG_DIR``), with
every secret of the comms settings scrubbed out (:func:`warroom.comms.config.redact`),
and never shown on the screen. No local variables are written: they are where
tokens and typed text live.
"""

from __future__ import annotations

import os
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warroom.comms.config import CommsConfig

#: Overrides the log directory (tests, or a team that collects logs elsewhere).
LOG_DIR_VARIABLE = "WARROOM_LOG_DIR"
LOG_NAME = "warroom.log"
#: Past this size the log is moved to ``warroom.log.1`` and a new one is begun.
MAX_LOG_BYTES = 1_000_000


def log_path() -> Path:
    """The log file: ``$WARROOM_LOG_DIR/warroom.log``, else in the user log directory."""
    given = os.environ.get(LOG_DIR_VARIABLE)
    if given:
        return Path(given).expanduser() / LOG_NAME
    from platformdirs import user_log_path

    return user_log_path("warroom", appauthor=False) / LOG_NAME


def shown_path(path: Path) -> str:
    """``path`` with the home directory as ``~``: short enough for one line."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def scrub(text: str, comms: CommsConfig | None) -> str:
    """``text`` without any secret of ``comms`` or anything shaped like a Slack secret."""
    from warroom.comms.config import redact

    return redact(text, comms)


def record(
    error: BaseException,
    *,
    doing: str,
    comms: CommsConfig | None = None,
    when: datetime | None = None,
) -> Path | None:
    """Append ``error``'s traceback to the log; the file's path, or None if it
    cannot be written (a full disk must not turn one failure into two)."""
    stamp = (when or datetime.now(UTC)).isoformat(timespec="seconds")
    body = "".join(traceback.format_exception(error))
    text = scrub(f"--- {stamp} while {doing}\n{body}", comms)
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            if path.stat().st_size > MAX_LOG_BYTES:
                path.replace(path.with_name(LOG_NAME + ".1"))
        except FileNotFoundError:
            pass
        # Owner-only: a traceback can quote what was typed.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
    except OSError:
        return None
    return path


def failure_line(error: BaseException, path: Path | None) -> str:
    """What the person reads: that it is warroom's fault, and where the details are."""
    where = f"details in {shown_path(path)}" if path else "the log could not be written"
    return f"internal error ({type(error).__name__}): {where}"
