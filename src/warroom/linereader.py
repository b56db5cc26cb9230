"""Lines from a pipe, in the batches they arrive in.

``tail -f alerts.log | warroom log INC-1 -`` must acknowledge each line only
once it is durable, but a commit per line (WAL, ``synchronous=FULL``) costs
about a third of a millisecond: 100,000 lines took 33 s. So the reader hands
over everything already waiting in the pipe as one batch, which the caller
commits in one transaction before acknowledging its lines. A line typed alone
is a batch of one: it is still durable before its acknowledgement, and it is
never held back waiting for more.
"""

from __future__ import annotations

import os
import select
from collections.abc import Iterator
from typing import BinaryIO

#: One batch stops growing at this many lines or bytes (a commit every few
#: thousand lines costs nothing, and memory stays bounded at any feed).
MAX_BATCH_LINES = 5_000
MAX_BATCH_BYTES = 1 << 20
CHUNK = 1 << 16
#: The longest line taken: a stream with no newline (a binary file, /dev/zero)
#: is refused here rather than read into memory for ever.
MAX_LINE_BYTES = 1 << 20


class LineTooLong(Exception):
    """The next line is longer than ``MAX_LINE_BYTES`` (every line before it was handed over)."""


def _waiting(fd: int) -> bool:
    """Whether more input can be read from ``fd`` without blocking."""
    try:
        ready, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return False
    return bool(ready)


def _bounded(lines: list[bytes], pending: bytes, limit: int) -> tuple[list[bytes], bool]:
    """The lines up to the first that is too long, and whether one was."""
    for index, line in enumerate(lines):
        if len(line.rstrip(b"\r")) > limit:
            return lines[:index], True
    return lines, len(pending) > limit + 1  # it may still end in "\r"


def line_batches(stream: BinaryIO, max_line: int = MAX_LINE_BYTES) -> Iterator[list[bytes]]:
    """Complete lines (without their ending), grouped as they arrived.

    Blocks only while nothing at all is waiting. A last line without a newline
    is a line too. A stream without a file descriptor (a test's in-memory
    stream) is read a line at a time, one line a batch. A line longer than
    ``max_line`` bytes raises :class:`LineTooLong` once the lines before it
    have been handed over.
    """
    try:
        fd: int | None = stream.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd is None:
        while raw := stream.readline(max_line + 2):
            line = raw.rstrip(b"\r\n")
            if len(line) > max_line:
                raise LineTooLong
            yield [line]
        return
    pending = b""
    while True:
        chunk = os.read(fd, CHUNK)
        if not chunk:
            if len(pending.rstrip(b"\r")) > max_line:
                raise LineTooLong
            if pending:
                yield [pending.rstrip(b"\r")]
            return
        data = pending + chunk
        lines = data.split(b"\n")
        pending = lines.pop()
        size = len(data)
        while len(lines) < MAX_BATCH_LINES and size < MAX_BATCH_BYTES and _waiting(fd):
            more = os.read(fd, CHUNK)
            if not more:
                break
            size += len(more)
            more = pending + more
            tail = more.split(b"\n")
            pending = tail.pop()
            lines.extend(tail)
        lines, too_long = _bounded(lines, pending, max_line)
        if lines:
            yield [line.rstrip(b"\r") for line in lines]
        if too_long:
            raise LineTooLong
