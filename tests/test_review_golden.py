"""The review document of a scripted incident, compared with tests/golden/review.md;
the meeting invite checked against RFC 5545; follow-ups and playbook on the CLI.

Regenerate the golden file after a deliberate change with
``WARROOM_UPDATE_GOLDEN=1 pytest tests/test_review_golden.py`` and read the diff.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from warroom.clock import FrozenClock
from warroom.commands import run_line
from warroom.db.store import Store
from warroom.exports.review import fold, ics_text, render_ics
from warroom.playbook import default_playbook, default_playbook_text
from warroom.service import Service

GOLDEN = Path(__file__).parent / "golden" / "review.md"


def script(db: Path) -> None:
    """A SEV-2 raised to SEV-1, mitigated, resolved, reviewed and closed (frozen clock)."""
    clock = FrozenClock("2026-11-27T14:02:00Z")  # a Friday afternoon
    store = Store(db)
    try:
        ops = Service(store, clock, default_playbook())
        inc = ops.declare(
            severity=2,
            title="QuickBooks sync halted",
            author="alice",
            impact="invoices not syncing for ~40% of tenants",
            commander="alice",
        )

        def say(who: str, line: str, *, after: float = 0) -> None:
            clock.advance(seconds=after)
            run_line(ops, inc.id, who, line)

        say("alice", "/comms bob", after=40)
        say("alice", "/scribe carol", after=5)
        say("carol", "/eng dan", after=20)
        say("carol", "/bridge https://meet.example.com/inc-1", after=15)
        say("carol", "/at 13:48 first PagerDuty page: qb-sync lag > 15 min", after=30)
        ops.correct_milestone(
            inc.id,
            "carol",
            "impact_started",
            clock.now().replace(hour=13, minute=48, second=0),
            "the first PagerDuty page",
        )
        say("dan", "worker-3 stuck on HTTP 429 from Intuit; retries every 100 ms", after=95)
        say("carol", "/freeze on", after=20)
        say("carol", "/stage triage", after=10)
        say("bob", "/update", after=60)
        ops.record_update(inc.id, "bob", "Investigating QuickBooks sync delays; next update 14:25.")
        say("dan", "retry loop has no backoff: we hammer the [rate limit] <!channel>", after=240)
        say("alice", "/sev 1", after=60)
        say("alice", "/decision fail over qb-sync to us-west-2 and pause retries", after=45)
        say("carol", "/star 18")
        say("carol", "/star 20")
        say("carol", "/stage mitigate", after=30)
        say("dan", "/action fail-over started", after=60)
        say("carol", "typo: fial-over", after=20)
        say("carol", "/undo", after=5)
        clock.set("2026-11-27T14:26:40Z")
        ops.record_update(inc.id, "bob", "Failing over the sync service; backlog draining.")
        say("dan", "backlog draining at ~900/s, error rate 0.4%", after=300)
        say("carol", "/stage restore", after=120)
        say("alice", "/ic erin", after=60)
        say("carol", "/star 29")
        say("carol", "/fu add backoff + jitter to the qb-sync retry loop @dan due:2026-12-04")
        say("carol", "/fu alert on Intuit 429 rate @erin due:+3d")
        say("carol", "/fu runbook: qb-sync regional fail-over @carol")
        clock.set("2026-11-27T14:47:30Z")
        ops.record_update(inc.id, "bob", "Sync restored for all tenants; monitoring.")
        say("alice", "/resolve", after=90)

        clock.set("2026-11-30T16:00:00Z")  # Monday: the review is written
        ops.set_review(
            inc.id,
            "alice",
            root_cause=(
                "Intuit rate-limited our sync account after a traffic spike.\n\n"
                "The retry loop had no backoff, so every 429 caused more 429s."
            ),
            contributing_factors=(
                "- no alert on the 429 rate\n"
                "- the fail-over runbook was out of date\n"
                "# of workers was doubled last week (more pressure)"
            ),
            resolution_steps="1. Failed over qb-sync to us-west-2.\n2. Paused retries.\n"
            "3. Drained the backlog (~900/s).",
            review_at=None,
        )
        ops.set_followup_done(inc.id, "erin", store.followups(inc.id)[1].id, True)
        clock.set("2026-12-01T11:30:00Z")  # after the review meeting
        ops.close(inc.id, "alice")
    finally:
        store.close()


@pytest.fixture
def scripted(tmp_path: Path) -> Path:
    db = tmp_path / "golden.db"
    script(db)
    return db


def test_review_document_matches_the_golden_file(run_cli, scripted):
    code, out, err = run_cli("--db", scripted, "export", "INC-1", "--format", "md")
    assert (code, err) == (0, "")
    if os.environ.get("WARROOM_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(out, encoding="utf-8", newline="")
    assert out == GOLDEN.read_text(encoding="utf-8")


def test_review_document_sections_in_the_issue_order(scripted, run_cli):
    _, out, _ = run_cli("--db", scripted, "export", "1", "--format", "md")
    headings = re.findall(r"^##+ .*$", out, re.MULTILINE)
    assert headings == [
        "## Summary",
        "## Roles",
        "### Handovers",
        "## Key events",
        "## Timeline",
        "## Root cause and contributing factors",
        "### Root cause",
        "### Contributing factors",
        "## Resolution steps",
        "## Follow-up actions",
        "## Figures",
        "## Checklist",
    ]


def test_json_export_gains_milestones_review_and_figures(scripted, run_cli):
    code, out, _ = run_cli("--db", scripted, "export", "1")
    assert code == 0
    record = json.loads(out)
    assert record["status"] == "closed"
    assert record["milestones"] == {
        "impact_started_at": "2026-11-27T13:48:00Z",
        "detected_at": "2026-11-27T14:02:00Z",
        "mitigated_at": "2026-11-27T14:33:40Z",
        "resolved_at": "2026-11-27T14:49:00Z",
        "closed_at": "2026-12-01T11:30:00Z",
    }
    review = record["review"]
    assert review["root_cause"].startswith("Intuit rate-limited our sync account")
    assert review["resolution_steps"].count("\n") == 2
    assert (review["review_at"], review["review_at_proposed"]) == ("2026-12-01", True)
    assert review["invitees"] == ["engineering", "product", "support", "customer success"]
    assert record["figures"] == {
        "time_to_mitigate_seconds": 45 * 60 + 40,  # 13:48:00 → 14:33:40
        "time_to_resolve_seconds": 61 * 60,  # 13:48:00 → 14:49:00
        "updates_sent": 3,
        "updates_due": 4,  # windows end 14:17, 14:27, 14:37, 14:47 (SEV-1 from 14:11:55)
        "updates_late": 2,
        "late_by_seconds_total": (4 * 60 + 45) + (10 * 60 + 50),
        "late_by_seconds_max": 10 * 60 + 50,
    }
    assert [f["done_at"] for f in record["followups"]] == [None, "2026-11-30T16:00:00Z", None]


# -- RFC 5545 -----------------------------------------------------------------------

REQUIRED_VEVENT = ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION")
UTC_STAMP = re.compile(r"^\d{8}T\d{6}Z$")


def check_rfc5545(data: bytes) -> dict[str, str]:
    """A small RFC 5545 checker: returns the VEVENT's properties (unfolded, unescaped
    only for ``\\n``) and fails on any structural problem."""
    assert data.endswith(b"\r\n"), "must end with CRLF"
    assert b"\n" not in data.replace(b"\r\n", b""), "bare LF"
    assert b"\r" not in data.replace(b"\r\n", b""), "bare CR"
    physical = data[:-2].split(b"\r\n")
    for line in physical:
        assert len(line) <= 75, f"line longer than 75 octets: {line!r}"
        line.decode("utf-8")  # every physical line is whole UTF-8: no split character
    logical: list[str] = []
    for line in physical:
        if line.startswith((b" ", b"\t")):
            assert logical, "continuation before any line"
            logical[-1] += line[1:].decode("utf-8")
        else:
            logical.append(line.decode("utf-8"))
    stack: list[str] = []
    props: dict[str, str] = {}
    for line in logical:
        assert ":" in line, f"no name:value in {line!r}"
        name, _, value = line.partition(":")
        assert re.fullmatch(r"[A-Z][A-Z0-9-]*(;[^:]*)?", name), name
        assert not re.search(r"[\x00-\x08\x0a-\x1f\x7f]", value), f"control in {name}"
        if name == "BEGIN":
            stack.append(value)
        elif name == "END":
            assert stack and stack.pop() == value, f"END:{value} does not match"
        elif stack == ["VCALENDAR", "VEVENT"]:
            assert name not in props, f"{name} twice"
            props[name] = value
        elif stack == ["VCALENDAR"]:
            props[f"VCALENDAR.{name}"] = value
    assert stack == [], f"unclosed {stack}"
    assert logical[0] == "BEGIN:VCALENDAR" and logical[-1] == "END:VCALENDAR"
    assert props.get("VCALENDAR.VERSION") == "2.0" and props.get("VCALENDAR.PRODID")
    for name in REQUIRED_VEVENT:
        assert props.get(name), f"missing {name}"
    for name in ("DTSTAMP", "DTSTART", "DTEND"):
        assert UTC_STAMP.match(props[name]), f"{name} not UTC: {props[name]}"
    for name in ("SUMMARY", "DESCRIPTION"):
        # TEXT: every ; , and \ escaped (a backslash starts \\ \; \, \n or \N).
        value = props[name]
        assert not re.search(r"(?<!\\)[;,]", value.replace("\\\\", "")), f"{name}: {value}"
        assert not re.search(r"\\[^\\;,nN]", value.replace("\\\\", "")), f"{name}: {value}"
    return props


def test_ics_export_is_valid_rfc5545(scripted, run_cli, tmp_path):
    target = tmp_path / "review.ics"
    code, _, err = run_cli("--db", scripted, "export", "1", "--format", "ics", "-o", target)
    assert (code, err) == (0, f"wrote {target}\n")
    props = check_rfc5545(target.read_bytes())
    # Resolved Friday 2026-11-27; + 2 business days = Tuesday 2026-12-01, 10:00-11:00 UTC.
    assert (props["DTSTART"], props["DTEND"]) == ("20261201T100000Z", "20261201T110000Z")
    assert props["SUMMARY"] == "Post-incident review: INC-1 QuickBooks sync halted"
    assert "Invitees: engineering\\, product\\, support\\, customer success" in props["DESCRIPTION"]
    assert props["UID"] == "INC-1-20261127T140200Z-review@warroom"


def test_ics_of_hostile_text_folds_and_escapes(tmp_path):
    db = tmp_path / "ics.db"
    clock = FrozenClock("2026-12-31T09:00:00Z")
    store = Store(db)
    try:
        ops = Service(store, clock, default_playbook())
        title = "a;b,c\\d " + "é" * 40 + " 🔥" * 20 + " \x1b[31m"
        inc = ops.declare(severity=3, title=title[:200], author="zoe")
        ops.set_review(
            inc.id,
            "zoe",
            root_cause="",
            contributing_factors="",
            resolution_steps="",
            review_at=date(2027, 1, 4),
        )
        ops.resolve(inc.id, "zoe")
        found = store.incident(inc.id)
        text = render_ics(found, store.review(inc.id), default_playbook(), now=clock.now())
    finally:
        store.close()
    props = check_rfc5545(text.encode("utf-8"))
    assert props["DTSTART"] == "20270104T100000Z"  # the date set on the review screen
    assert props["SUMMARY"].startswith("Post-incident review: INC-1 a\\;b\\,c\\\\d éé")
    assert "␛" in props["SUMMARY"] and "\x1b" not in text


def test_fold_and_text_escaping_units():
    assert ics_text("a\\b;c,d\r\ne\nf") == "a\\\\b\\;c\\,d\\ne\\nf"
    line = "DESCRIPTION:" + "€" * 60
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line
    assert fold("SHORT:x") == "SHORT:x"


# -- follow-ups on the CLI -----------------------------------------------------------


def test_followups_csv(scripted, run_cli):
    code, out, err = run_cli("--db", scripted, "followups", "INC-1")
    assert (code, err) == (0, "")
    assert out.startswith("incident,ref,text,owner,due,done,done_at,ticket\r\n")
    assert "\n" not in out.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(out, newline="")))
    assert rows[1:] == [
        ["INC-1", "INC-1-FU-1", "add backoff + jitter to the qb-sync retry loop", "dan",
         "2026-12-04", "false", "", ""],
        ["INC-1", "INC-1-FU-2", "alert on Intuit 429 rate", "erin", "2026-11-30", "true",
         "2026-11-30T16:00:00Z", ""],
        ["INC-1", "INC-1-FU-3", "runbook: qb-sync regional fail-over", "carol", "2026-12-04",
         "false", "", ""],
    ]  # fmt: skip


def test_followups_csv_quotes_and_keeps_text_literal(run_cli, tmp_path):
    db = tmp_path / "fu.db"
    store = Store(db)
    try:
        ops = Service(store, FrozenClock("2026-11-23T22:00:00Z"), default_playbook())
        inc = ops.declare(severity=3, title="t", author="zoe")
        text = 'say "hi", then =SUM(A1) ; [b] 🔥'
        ops.add_followup(inc.id, "zoe", text, "dan", "2026-12-01")
    finally:
        store.close()
    out_file = tmp_path / "fu.csv"
    code, out, err = run_cli("--db", db, "followups", "1", "--format", "csv", "-o", out_file)
    assert (code, out, err) == (0, "", f"wrote {out_file}\n")
    raw = out_file.read_bytes()
    assert b'"say ""hi"", then =SUM(A1) ; [b] \xf0\x9f\x94\xa5"' in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert rows[1][2] == text
    code, out, _ = run_cli("--db", db, "followups", "1", "--format", "json")
    assert json.loads(out) == [
        {
            "incident": "INC-1",
            "ref": "INC-1-FU-1",
            "text": text,
            "owner": "dan",
            "due": "2026-12-01",
            "done": False,
            "done_at": None,
        }
    ]


# -- playbook on the CLI ------------------------------------------------------------


def dump(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def one_line_error(result) -> str:
    code, out, err = result
    assert code == 2, (code, out, err)
    assert out == "" and "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err


def test_playbook_show_prints_the_builtin_toml(run_cli, tmp_path):
    code, out, err = run_cli("playbook", "show")
    assert (code, err) == (0, "")
    assert out == default_playbook_text()
    mine = tmp_path / "mine.toml"
    mine.write_text(out.replace("update_every_minutes = 10", "update_every_minutes = 5"))
    db = tmp_path / "pb.db"
    code, out, _ = run_cli("--db", db, "declare", "--sev", "1", "--title", "t", "--playbook", mine)
    assert (code, out) == (0, "INC-1\n")
    record = json.loads(run_cli("--db", db, "export", "1", "--playbook", mine)[1])
    assert record["next_update_due"] == _plus_minutes(record["declared_at"], 5)
    # Global options work after it too; with --playbook it checks and prints that file.
    assert run_cli("playbook", "show", "--db", db) == (0, default_playbook_text(), "")
    assert run_cli("playbook", "show", "--playbook", mine) == (0, mine.read_text(), "")
    bad = tmp_path / "bad.toml"
    bad.write_text(mine.read_text().replace('colour = "#d7263d"', 'colour = "nope"'))
    err = one_line_error(run_cli("playbook", "show", "--playbook", bad))
    assert "severities.0.colour" in err


def _plus_minutes(stamp: str, minutes: int) -> str:
    from datetime import timedelta

    from warroom.clock import format_time, parse_time

    return format_time(parse_time(stamp) + timedelta(minutes=minutes))


def test_playbook_from_the_environment_and_option_order(run_cli, tmp_path):
    mine = tmp_path / "mine.toml"
    mine.write_text(
        default_playbook_text().replace("update_every_minutes = 15", "update_every_minutes = 7")
    )
    db = tmp_path / "env.db"
    env = {"WARROOM_PLAYBOOK": str(mine)}
    assert run_cli("--db", db, "declare", "--sev", "2", "--title", "t", env=env)[0] == 0
    record = json.loads(run_cli("--db", db, "export", "1", env=env)[1])
    assert record["next_update_due"] == _plus_minutes(record["declared_at"], 7)
    assert run_cli("--playbook", mine, "--db", db, "list")[0] == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name = [", "not valid TOML"),
        ("", "name: Field required"),
        (
            default_playbook_text().replace(
                "update_every_minutes = 10", 'update_every_minutes = "x"'
            ),
            "severities.0.update_every_minutes: Input should be a valid integer",
        ),
        (
            default_playbook_text().replace("holidays = []", 'holidays = ["2026-13-01"]'),
            "holidays: '2026-13-01' is not a date",
        ),
        (
            default_playbook_text().replace("followup_due_days = 7", "followup_due_days = -1"),
            "followup_due_days: Input should be greater than or equal to 0",
        ),
        (
            default_playbook_text().replace('name = "AdvisorOS', 'nmae = "AdvisorOS'),
            "name: Field required",
        ),
        # What the types allow but would crash the console at the first update:
        (
            default_playbook_text().replace(
                'tracker_url = ""', 'tracker_url = "https://t/{incident}"'
            ),
            "tracker_url: unknown placeholder {incident}; it may use {id} and {ref}",
        ),
        (
            default_playbook_text().replace("| {summary}", "| {summary"),
            "templates.internal: ",
        ),
        (
            default_playbook_text().replace("Update - {summary}", "Update - {tracker.url}"),
            "templates.email_subject: ",
        ),
        (
            default_playbook_text().replace('colour = "#d7263d"', 'colour = "orangey"'),
            "severities.0.colour: 'orangey' is not a colour",
        ),
        (
            default_playbook_text().replace('key = "scribe"', 'key = "communications_lead"'),
            "roles: need each of incident_commander, communications_lead, scribe,"
            " response_engineers exactly once",
        ),
    ],
)
def test_a_bad_playbook_is_one_line_naming_file_and_field(run_cli, tmp_path, content, expected):
    bad = tmp_path / "bad.toml"
    bad.write_text(content, encoding="utf-8")
    db = tmp_path / "x.db"
    for args in (
        ("--playbook", bad, "--db", db, "declare", "--sev", "2", "--title", "t"),
        ("--db", db, "list", "--playbook", bad),
    ):
        err = one_line_error(run_cli(*args))
        assert str(bad) in err and expected in err, err
    assert not db.exists()


def test_a_bad_playbook_writes_nothing_to_an_existing_database(run_cli, scripted, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 3\n")
    before = dump(scripted)
    one_line_error(run_cli("--db", scripted, "log", "1", "x", "--playbook", bad))
    one_line_error(run_cli("--db", scripted, "log", "1", "x", env={"WARROOM_PLAYBOOK": str(bad)}))
    one_line_error(run_cli("--db", scripted, "log", "1", "x", "--playbook", tmp_path / "none"))
    assert dump(scripted) == before


def test_closed_incident_refuses_log_on_the_cli(run_cli, scripted):
    before = dump(scripted)
    err = one_line_error(run_cli("--db", scripted, "log", "1", "too late"))
    assert "closed and read-only" in err
    assert dump(scripted) == before
