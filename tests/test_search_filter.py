"""The timeline filter's little language."""

from __future__ import annotations

import pytest

from warroom.domain.search import Filter, parse_filter
from warroom.errors import CommandError


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", Filter()),
        ("deploy", Filter(text="deploy")),
        ("roll back", Filter(text="roll back")),
        ("kind:decision", Filter(kind="decision")),
        ("author:carol", Filter(author="carol")),
        ("@carol", Filter(author="carol")),
        ("starred", Filter(starred=True)),
        ("*", Filter(starred=True)),
        ("queue @dan kind:note *", Filter(text="queue", kind="note", author="dan", starred=True)),
        ("100% [bold]", Filter(text="100% [bold]")),
    ],
)
def test_parse_filter(query, expected):
    assert parse_filter(query) == expected


@pytest.mark.parametrize("query", ["kind:", "author:"])
def test_a_key_without_a_value_is_one_clear_error(query):
    with pytest.raises(CommandError, match="needs a value"):
        parse_filter(query)


def test_describe_says_what_is_shown():
    assert parse_filter("queue @dan *").describe() == '"queue", by dan, starred'
    assert Filter().describe() == "everything"
