"""Reading the small files a person names (a playbook, the config file): bounded.

``--playbook /dev/zero`` once read 3 GB in six seconds, and a TOML array nested
100,000 deep ended in a RecursionError. Every such file is read here, at most
``limit`` bytes, and parsed here, so each way it can be wrong is one sentence
(:class:`FileProblem`) that the caller puts after the file's name.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

#: A playbook: the built-in one is 4 KB; a team's own with long templates and a
#: hundred checklist items is well under 100 KB. 1 MiB is ten times any real one.
MAX_PLAYBOOK_BYTES = 1024 * 1024
#: The Slack/SMTP config file: a dozen keys, under 2 KB. 64 KiB is plenty.
MAX_CONFIG_BYTES = 64 * 1024


class FileProblem(ValueError):
    """Why a file cannot be used, in words that follow its name."""


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"


def read_text(path: Path, limit: int) -> str:
    """The UTF-8 text of ``path``, refused past ``limit`` bytes (read no further).

    Pipes and process substitution (``--playbook <(…)``) work: the file is read
    in one bounded call, never measured first.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise FileProblem(exc.strerror or str(exc)) from None
    except ValueError as exc:  # a path with a NUL in it
        raise FileProblem(str(exc)) from None
    if len(data) > limit:
        raise FileProblem(f"larger than {_size(limit)}; a file of this kind is a few KB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileProblem(f"not UTF-8 text (byte {exc.start + 1})") from None


def parse_toml(text: str) -> dict[str, Any]:
    """``tomllib.loads``, with every way hostile text makes it fail as :class:`FileProblem`.

    Besides ``TOMLDecodeError``, tomllib raises ``RecursionError`` for arrays
    nested a few hundred deep and ``ValueError`` for an integer of more than
    4,300 digits (Python's limit on converting text to int).
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FileProblem(f"not valid TOML: {exc}") from None
    except RecursionError:
        raise FileProblem("not valid TOML: arrays or tables nested too deeply") from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            raise FileProblem("not valid TOML: a number of more than 4,300 digits") from None
        raise FileProblem(f"not valid TOML: {exc}") from None
