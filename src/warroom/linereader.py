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


def _waiting(fd: int) -> bool:
    """Whether more input can be read from ``fd`` without blocking."""
    try:
        ready, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return False
    return bool(ready)


def line_batches(stream: BinaryIO) -> Iterator[list[bytes]]:
    """Complete lines (without their ending), grouped as they arrived.

    Blocks only while nothing at all is waiting. A last line without a newline
    is a line too. A stream without a file descriptor (a test's in-memory
    stream) is read a line at a time, one line a batch.
    """
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        for raw in stream:
            yield [raw.rstrip(b"\r\n")]
        return
    pending = b""
    while True:
        chunk = os.read(fd, CHUNK)
        if not chunk:
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
        if lines:
            yield [line.rstrip(b"\r") for line in lines]
