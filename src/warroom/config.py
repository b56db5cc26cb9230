"""Where things are and who is typing: resolved once from options and environment."""

from __future__ import annotations

import os
from pathlib import Path

from warroom.domain.rules import check_name
from warroom.errors import WarroomError


def default_db_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("warroom", appauthor=False) / "warroom.db"


def resolve_db(option: str | None) -> Path:
    """``--db``, else ``WARROOM_DB``, else the user data folder. An empty
    ``--db ""`` is a mistake (a variable that expanded to nothing), not a
    request for the default; an empty variable counts as unset."""
    if option is not None and not option.strip():
        raise WarroomError("--db: the path is empty")
    value = option or os.environ.get("WARROOM_DB")
    return Path(value).expanduser() if value else default_db_path()


def resolve_user(option: str | None) -> str:
    if option is not None and not option.strip():
        raise WarroomError("--as: the name is empty")
    value = option or os.environ.get("WARROOM_USER")
    if not value:
        import getpass  # only here: half a millisecond of the console's start-up

        try:
            value = getpass.getuser()
        except Exception:  # no login name in some containers
            value = "scribe"
    try:
        value.encode("utf-8")
        return check_name(value)
    except UnicodeEncodeError:
        # Bytes that are not UTF-8 (kept by Python as lone surrogates) cannot be stored.
        raise WarroomError("--as / WARROOM_USER: the name is not UTF-8 text") from None
    except WarroomError as exc:
        raise WarroomError(f"--as / WARROOM_USER: {exc}") from None
