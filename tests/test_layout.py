"""The shape issue 10 asked for, checked where import-linter cannot look: SQL text.

Only ``db/`` builds queries. Everything else asks a method of
:mod:`warroom.db`, so a change of schema touches one package.
"""

from __future__ import annotations

import re
from pathlib import Path

import warroom

SRC = Path(warroom.__file__).parent

#: SQL statements as they start in a string literal (not "UPDATE OVERDUE", a
#: line the bridge view shows).
SQL = re.compile(
    r"""["'](?:SELECT\s.+?\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b""",
    re.IGNORECASE,
)


def test_sql_lives_only_under_db() -> None:
    found = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        if path.relative_to(SRC).parts[0] != "db"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SQL.search(line)
    ]
    assert found == []


def test_the_pattern_finds_sql() -> None:
    assert SQL.search('"SELECT seq FROM entries"')
    assert SQL.search('" UPDATE incidents SET x = 1"') is None  # only at a literal's start
    assert SQL.search('"UPDATE incidents SET x = 1"')
    assert SQL.search("'DELETE FROM outbox'")
    assert SQL.search('f"UPDATE OVERDUE by 2m"') is None
