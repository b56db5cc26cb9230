"""The ``warroom`` entry point, and the console's fast path.

Plain ``warroom [--db PATH] [--as NAME] [--playbook FILE]`` is what a person
types at 3 a.m., and it needs none of the command-line machinery: this module
opens the console (:func:`warroom.opening.open_console`) without importing
click, and hands anything else (a subcommand, --help, a typo) to
:mod:`warroom.cli`, which opens the console through the same function. The
command line never imports this module: no cycle.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

from warroom.errors import WarroomError
from warroom.opening import internal_error, open_console

#: The global options, as the command line spells them, and their meaning.
GLOBAL_OPTIONS = {"--db": "db", "--as": "user", "--playbook": "playbook"}
#: Options of the console alone that take no value.
CONSOLE_FLAGS = {"--watch": "watch"}


def console_options(argv: list[str]) -> dict[str, Any] | None:
    """The global options when ``argv`` holds nothing else; otherwise None."""
    options: dict[str, Any] = {}
    index = 0
    while index < len(argv):
        if argv[index] in CONSOLE_FLAGS:
            options[CONSOLE_FLAGS[argv[index]]] = True
            index += 1
            continue
        name, equals, value = argv[index].partition("=")
        if name not in GLOBAL_OPTIONS:
            return None
        if not equals:
            index += 1
            if index >= len(argv) or argv[index].startswith("--"):
                return None  # let the command line say what is missing
            value = argv[index]
        options[GLOBAL_OPTIONS[name]] = value
        index += 1
    return options


def main(argv: list[str] | None = None) -> None:
    """The ``warroom`` entry point."""
    args = sys.argv[1:] if argv is None else argv
    options = console_options(args)
    if options is None:
        from warroom.cli import main as cli_main

        cli_main(argv)
        return
    # No garbage collection while the console starts (see opening.run_app):
    # from here, so that its own modules, the database and the playbook load
    # without it too. The app turns it back on once it is up; so does the way out.
    gc.disable()
    try:
        code = open_console(**options)
    except WarroomError as exc:
        from warroom.textsafe import printable

        print(f"warroom: {printable(str(exc))}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug in warroom, never the person's mistake
        from warroom.textsafe import printable

        print(f"warroom: {printable(internal_error(exc, 'opening the console'))}", file=sys.stderr)
        sys.exit(1)
    finally:
        gc.enable()
    sys.exit(code)
