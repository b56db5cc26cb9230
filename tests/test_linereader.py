"""``warroom log INC-1 -`` reads a pipe in the batches the lines arrive in: what is
already waiting commits together, and a line written alone is never held back."""

from __future__ import annotations

import io
import os
import threading

import pytest

from warroom.errors import CommandError
from warroom.linereader import MAX_BATCH_LINES, line_batches


def pipe_with(data: bytes) -> io.BufferedReader:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, data)
    os.close(write_fd)
    return os.fdopen(read_fd, "rb")


def test_lines_already_waiting_are_one_batch():
    with pipe_with(b"one\ntwo\r\nthree\n") as stream:
        assert list(line_batches(stream)) == [[b"one", b"two", b"three"]]


def test_a_last_line_without_a_newline_is_a_line():
    with pipe_with(b"one\ntwo") as stream:
        assert [line for batch in line_batches(stream) for line in batch] == [b"one", b"two"]


def test_a_line_written_alone_is_handed_over_before_the_next_arrives():
    read_fd, write_fd = os.pipe()
    handed = threading.Event()
    with os.fdopen(read_fd, "rb") as stream:
        batches = line_batches(stream)
        os.write(write_fd, b"first\n")
        # The writer waits for the reader to hand over "first" before it writes
        # again: a reader that waited for more would never hand it over.
        writer = threading.Thread(
            target=lambda: (handed.wait(10), os.write(write_fd, b"second\n"), os.close(write_fd))
        )
        writer.start()
        assert next(batches) == [b"first"]
        handed.set()
        assert list(batches) == [[b"second"]]
        writer.join()


def test_a_flood_is_cut_into_bounded_batches():
    lines = [f"alert {n}".encode() for n in range(30_000)]
    read_fd, write_fd = os.pipe()

    def feed() -> None:  # a pipe holds 64 KiB: the rest waits for the reader
        os.write(write_fd, b"\n".join(lines) + b"\n")
        os.close(write_fd)

    writer = threading.Thread(target=feed)
    writer.start()
    with os.fdopen(read_fd, "rb") as stream:
        batches = list(line_batches(stream))
    writer.join()
    assert [line for batch in batches for line in batch] == lines
    # Bounded: a batch stops growing at MAX_BATCH_LINES (plus one read's worth).
    assert all(len(batch) < MAX_BATCH_LINES + 65_536 // len(b"alert 1\n") for batch in batches)


def test_a_stream_without_a_descriptor_is_read_a_line_at_a_time():
    assert list(line_batches(io.BytesIO(b"a\nb\n"))) == [[b"a"], [b"b"]]


def test_a_batch_of_notes_is_numbered_in_order_and_all_or_nothing(ops, store, incident):
    before = store.incident(incident.id).entry_count
    seqs = ops.notes(incident.id, "pager", ["disk 91%", "disk 95%", "[b]disk 99%[/b]"])
    assert list(seqs) == [before + 1, before + 2, before + 3]
    written = store.entries(incident.id, before + 1, before + 3)
    assert [(e.author, e.kind, e.text) for e in written] == [
        ("pager", "note", "disk 91%"),
        ("pager", "note", "disk 95%"),
        ("pager", "note", "[b]disk 99%[/b]"),
    ]
    with pytest.raises(CommandError, match="needs some text"):
        ops.notes(incident.id, "pager", ["fine", "   "])
    assert store.incident(incident.id).entry_count == before + 3


def test_a_line_too_long_stops_the_reader_after_the_lines_before_it():
    from warroom.linereader import LineTooLong

    with pipe_with(b"first\n" + b"x" * 101 + b"\nnever\n") as stream:
        batches = line_batches(stream, max_line=100)
        assert next(batches) == [b"first"]
        with pytest.raises(LineTooLong):
            next(batches)
    with pipe_with(b"x" * 100 + b"\r\n") as stream:  # exactly the bound, CRLF ended
        assert list(line_batches(stream, max_line=100)) == [[b"x" * 100]]
