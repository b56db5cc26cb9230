"""A console process started before anyone asks for one (``serve``'s spare).

Most of a console's start is importing Python (Textual, its widgets, warroom's
screens): about a third of a second here, before a byte reaches the browser.
``serve`` keeps one spare process that has done all of that and then waits on
its standard input for one line, the JSON ``{"args": [...], "env": {...}}`` of
the person who signs in next: the same arguments ``warroom`` takes (``--db``,
``--as=NAME``, ``--watch``) and the variables of their console (their session,
the browser's size). Only then does it open the database and start, exactly as
``python -m warroom ARGS`` would. Nothing else is read from that line: no
shell, no code.
"""

from __future__ import annotations

import json
import os
import sys

#: The longest first line taken (a path and a name are far shorter).
MAX_LINE = 64 * 1024


def read_line(fd: int = 0) -> bytes:
    """One line from ``fd``, a byte at a time: what follows it is the console's
    protocol (textual-serve packets), which must stay unread for the driver."""
    line = bytearray()
    while len(line) < MAX_LINE:
        byte = os.read(fd, 1)
        if not byte:
            raise SystemExit(0)  # the server went away before anyone came
        if byte == b"\n":
            return bytes(line)
        line += byte
    raise SystemExit("spare console: first line too long")


def main() -> None:
    # The imports a console's start pays for, paid before anyone waits.
    import textual.drivers.web_driver  # noqa: F401

    import warroom.launch
    import warroom.tui.app

    request = json.loads(read_line())
    args = [str(arg) for arg in request["args"]]
    os.environ.update({str(k): str(v) for k, v in request.get("env", {}).items()})
    sys.argv = ["warroom", *args]
    warroom.launch.main(args)


if __name__ == "__main__":
    main()
