"""Every number, date and template in a playbook is checked at load (issue 8, items 3 and 4).

Values that passed validation used to crash the console later, in the middle of
an incident: ``followup_due_days = 100000000000`` at the first ``/fu``,
``review_within_business_days = 5000`` at ctrl+e, ``{summary:>99999999999}`` at
the first update. Now each is one line at load naming the file and the field,
and each value at its bound still works.
"""

from __future__ import annotations

import os
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest

from warroom.commands import run_line
from warroom.comms.config import load_comms_config
from warroom.comms.templates import render_email, render_internal
from warroom.db.store import Store
from warroom.domain.businessdays import propose_review_date
from warroom.errors import WarroomError
from warroom.playbook import default_playbook_text, load_playbook
from warroom.service import Service

DEFAULT = default_playbook_text()
#: The bounds (playbook.py says why each is past anything a team would write).
MAX_FOLLOWUP_DUE_DAYS = 3650
MAX_REVIEW_BUSINESS_DAYS = 250
MAX_HOLIDAYS = 1000
MAX_CHECKLIST_ITEMS = 100


def changed(old: str, new: str) -> str:
    assert old in DEFAULT, old
    return DEFAULT.replace(old, new)


def refused(tmp_path: Path, text: str | bytes) -> str:
    """The one-line error loading ``text`` as a playbook file gives."""
    path = tmp_path / "team.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(WarroomError) as caught:
        load_playbook(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    return message


# -- numbers and dates -----------------------------------------------------------------

OUT_OF_BOUNDS = [
    (
        changed("followup_due_days = 7", "followup_due_days = 100000000000"),
        "followup_due_days: Input should be less than or equal to 3650",
    ),
    (
        changed("followup_due_days = 7", "followup_due_days = 3651"),
        "followup_due_days: Input should be less than or equal to 3650",
    ),
    (
        changed("review_within_business_days = 2", "review_within_business_days = 5000"),
        "review_within_business_days: Input should be less than or equal to 250",
    ),
    (
        changed("warning_minutes = 3", "warning_minutes = 100000000000"),
        "warning_minutes: Input should be less than or equal to 1440",
    ),
    (
        changed("update_every_minutes = 10", "update_every_minutes = 1441"),
        "severities.0.update_every_minutes: Input should be less than or equal to 1440",
    ),
    (
        changed("holidays = []", 'holidays = ["0001-01-01"]'),
        "holidays: '0001-01-01' is not between 1970-01-01 and 2199-12-31",
    ),
    (
        changed("holidays = []", "holidays = [9999-12-31]"),
        "holidays: '9999-12-31' is not between 1970-01-01 and 2199-12-31",
    ),
    (
        changed(
            "holidays = []",
            "holidays = ["
            + ", ".join(
                f'"{date(2030, 1, 1) + timedelta(days=n)}"' for n in range(MAX_HOLIDAYS + 1)
            )
            + "]",
        ),
        "holidays: List should have at most 1000 items",
    ),
    (
        DEFAULT + '\n[[checklist]]\nlabel = "one more"\n' * (MAX_CHECKLIST_ITEMS - 8),
        "checklist: List should have at most 100 items",
    ),
    (
        changed("followup_due_days = 7", "followup_due_days = " + "9" * 5000),
        "not valid TOML: a number of more than 4,300 digits",
    ),
]


@pytest.mark.parametrize(("text", "expected"), OUT_OF_BOUNDS, ids=lambda v: str(v)[-40:])
def test_a_number_or_date_out_of_bounds_is_one_line_naming_the_field(tmp_path, text, expected):
    assert expected in refused(tmp_path, text)


def test_the_bounds_themselves_are_usable(tmp_path, clock):
    """At every bound, the console's own arithmetic works: /fu, the review date."""
    holidays = [str(date(2026, 11, 24) + timedelta(days=n)) for n in range(MAX_HOLIDAYS)]
    text = changed("followup_due_days = 7", f"followup_due_days = {MAX_FOLLOWUP_DUE_DAYS}")
    text = text.replace(
        "review_within_business_days = 2",
        f"review_within_business_days = {MAX_REVIEW_BUSINESS_DAYS}",
    )
    text = text.replace("warning_minutes = 3", "warning_minutes = 1440")
    text = text.replace("holidays = []", f"holidays = {holidays!r}".replace("'", '"'))
    path = tmp_path / "edge.toml"
    path.write_text(text, encoding="utf-8")
    playbook = load_playbook(path)
    # The review date, with a thousand holidays in a row right after resolution.
    proposed = propose_review_date("2026-11-23T22:00:00Z", MAX_REVIEW_BUSINESS_DAYS, holidays)
    assert proposed > date(2026, 11, 23) + timedelta(days=MAX_HOLIDAYS)
    # /fu with the longest default due date, on the last day the clock can show it.
    store = Store(tmp_path / "edge.db")
    try:
        ops = Service(store, clock, playbook)
        incident = ops.declare(severity=2, title="t", author="alice")
        run_line(ops, incident.id, "alice", "/fu write the runbook @dan")
        (followup,) = store.followups(incident.id)
        assert followup.due == str(clock.now().date() + timedelta(days=MAX_FOLLOWUP_DUE_DAYS))
    finally:
        store.close()


# -- templates ---------------------------------------------------------------------

TEMPLATES = [
    ("| {summary}", "| {summary:>99999999999}", "{summary:>99999999999}: format specs"),
    ("| {summary}", "| {summary!r}", "{summary!r}: format specs and conversions"),
    ("| {summary}", "| {summary!s:>5}", "{summary!s:>5}: format specs and conversions"),
    ("| {summary}", "| {summary:{impact}}", "format specs and conversions are not allowed"),
    ("| {summary}", "| {sumary}", "unknown placeholder {sumary}"),
    ("| {summary}", "| {0}", "unknown placeholder {0}"),
    ("| {summary}", "| {}", "unknown placeholder {}"),
    ("| {summary}", "| {summary[0]}", "unknown placeholder {summary[0]}"),
    ("| {summary}", "| {summary.__class__}", "unknown placeholder {summary.__class__}"),
    ("| {summary}", "| {summary", "unmatched '{' in format spec; write {{ and }}"),
    ("| {summary}", "| summary}", "Single '}' encountered"),
]


@pytest.mark.parametrize(("old", "new", "expected"), TEMPLATES, ids=[t[1] for t in TEMPLATES])
def test_a_template_takes_only_plain_known_placeholders(tmp_path, old, new, expected):
    message = refused(tmp_path, changed(old, new))
    assert "templates.internal: " in message and expected in message, message


@pytest.mark.parametrize("field", ["email_subject", "email_body"])
def test_the_email_templates_are_checked_too(tmp_path, field):
    old = {"email_subject": "Update - {summary}", "email_body": "by {next_update}."}[field]
    message = refused(tmp_path, changed(old, old.replace("}", ":>99999999}", 1)))
    assert f"templates.{field}: " in message and "format specs" in message


def test_a_tracker_url_takes_only_id_and_ref(tmp_path):
    message = refused(
        tmp_path, changed('tracker_url = ""', 'tracker_url = "https://t/{id:>9999999999}"')
    )
    assert "tracker_url: {id:>9999999999}: format specs and conversions are not allowed" in message


def test_literal_braces_and_every_known_placeholder_still_work(tmp_path, incident, clock):
    text = changed("| {summary}", "| {{literal}} {summary} {next_update_iso} {mitigation_time}")
    text = text.replace('tracker_url = ""', 'tracker_url = "https://t/{ref}?id={id}&x={{y}}"')
    path = tmp_path / "ok.toml"
    path.write_text(text, encoding="utf-8")
    playbook = load_playbook(path)
    rendered = render_internal(incident, playbook, clock.now(), None)
    assert "| {literal} QuickBooks sync halted 2026-11-23T22:" in rendered
    assert "Tracker: https://t/INC-1?id=1&x={y}" in rendered
    subject, body = render_email(incident, playbook, clock.now(), None)
    assert subject.startswith("AdvisorOS Incident Update - QuickBooks")
    assert "{" not in body.replace("x={y}", "")


# -- the file itself ---------------------------------------------------------------


def test_a_playbook_nested_100000_deep_is_one_line(tmp_path):
    message = refused(tmp_path, "x = " + "[" * 100_000 + "]" * 100_000)
    assert "not valid TOML: arrays or tables nested too deeply" in message


def test_a_playbook_larger_than_1_mib_is_refused_without_reading_it_all(tmp_path):
    message = refused(tmp_path, DEFAULT + "#" * (1024 * 1024))
    assert "cannot read playbook: larger than 1 MiB" in message


def test_dev_zero_as_a_playbook_is_one_line():
    with pytest.raises(WarroomError) as caught:
        load_playbook(Path("/dev/zero"))
    assert str(caught.value) == (
        "/dev/zero: cannot read playbook: larger than 1 MiB; a file of this kind is a few KB"
    )


def test_a_playbook_that_is_not_utf8_says_where(tmp_path):
    assert "cannot read playbook: not UTF-8 text (byte 12)" in refused(
        tmp_path, b'name = "caf\xe9"\n'
    )


def test_a_playbook_from_a_pipe_is_read(tmp_path):
    """Process substitution (``--playbook <(…)``) is a pipe: read once, bounded."""
    read, write = os.pipe()
    os.write(write, DEFAULT.encode())
    os.close(write)
    try:
        playbook = load_playbook(Path(f"/dev/fd/{read}"))
    finally:
        os.close(read)
    assert playbook.followup_due_days == 7


# -- the config file ----------------------------------------------------------------


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x = " + "[" * 5_000, "not valid TOML: arrays or tables nested too deeply"),
        ("[smtp]\nport = " + "1" * 5000, "not valid TOML: a number of more than 4,300 digits"),
        ("slack = 3\n", "slack must be a table ([slack])"),
        ('smtp = "host"\n', "smtp must be a table ([smtp])"),
        ("# " + "x" * 70_000 + "\n", "larger than 64 KiB"),
    ],
    ids=["deep", "digits", "slack-not-table", "smtp-not-table", "large"],
)
def test_a_hostile_config_file_is_one_line(tmp_path, text, expected):
    path = _config(tmp_path, text)
    with pytest.raises(WarroomError) as caught:
        load_comms_config(environ={}, path=path)
    message = str(caught.value)
    assert str(path) in message and expected in message and "\n" not in message, message
