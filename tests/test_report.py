"""warroom report (issue 13): the operations health summary of a period.

A week of scripted incidents (frozen clock, the service and scribe lines a
console would use) is reported in Markdown and JSON and compared with
tests/golden/report.md and report.json. Regenerate after a deliberate change
with ``WARROOM_UPDATE_GOLDEN=1 pytest tests/test_report.py`` and read the diff.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fake_slack import TOKEN, FakeSlack, error
from warroom.clock import FrozenClock
from warroom.commands import run_line
from warroom.db.store import Store
from warroom.domain import figures
from warroom.domain.figures import TimingEvent
from warroom.domain.report import percentile
from warroom.playbook import default_playbook
from warroom.service import Service

GOLDEN = Path(__file__).parent / "golden"
#: Monday morning after the week of 2026-11-23 .. 2026-11-29.
MONDAY = "2026-11-30T09:00:00Z"
WEEK = ("--from", "2026-11-23", "--to", "2026-11-29")
HOSTILE_TITLE = "# Payments | <!channel> `rm -rf` *down* [x](http://evil)"


def script(db: Path) -> None:
    """Five incidents around the week of 2026-11-23 (see each block)."""
    clock = FrozenClock("2026-11-20T10:00:00Z")
    store = Store(db)
    try:
        ops = Service(store, clock, default_playbook())

        def say(inc: int, who: str, line: str) -> None:
            run_line(ops, inc, who, line)

        # INC-1: declared the week before, resolved inside the week: not in the
        # report's list, but its open follow-up (overdue) is.
        one = ops.declare(severity=3, title="Old: search slow", author="alice", impact="")
        clock.set("2026-11-20T10:10:00Z")
        ops.record_update(one.id, "alice", "looking")
        say(one.id, "alice", "/fu reindex the search cluster @dan due:2026-11-25")
        clock.set("2026-11-24T08:00:00Z")
        say(one.id, "alice", "/resolve")

        # INC-2: a SEV-1 with every milestone recorded and every update on time;
        # reviewed and closed.
        clock.set("2026-11-24T14:00:00Z")
        two = ops.declare(
            severity=1, title="Checkout down", author="alice", impact="no orders", commander="alice"
        )
        ops.correct_milestone(
            two.id, "alice", "impact_started", datetime(2026, 11, 24, 13, 50, tzinfo=UTC), "alert"
        )
        clock.set("2026-11-24T14:09:00Z")
        ops.record_update(two.id, "bob", "Investigating checkout errors.")
        clock.set("2026-11-24T14:15:00Z")
        say(two.id, "alice", "/stage mitigate")
        clock.set("2026-11-24T14:18:00Z")
        ops.record_update(two.id, "bob", "Rolled back; errors falling.")
        clock.set("2026-11-24T14:20:00Z")
        say(two.id, "alice", "/stage restore")  # mitigated: stamped
        clock.set("2026-11-24T14:27:00Z")
        ops.record_update(two.id, "bob", "Checkout restored.")
        clock.set("2026-11-24T14:30:00Z")
        say(two.id, "alice", "/resolve")
        say(two.id, "alice", "/fu alert on checkout 5xx @erin due:2026-11-27")
        ops.set_followup_done(two.id, "erin", store.followups(two.id)[0].id, True)
        clock.set("2026-11-26T10:00:00Z")
        ops.set_review(
            two.id,
            "alice",
            root_cause="A bad deploy.",
            contributing_factors="",
            resolution_steps="Rolled back.",
            review_at=None,
        )
        ops.close(two.id, "alice")

        # INC-3: a SEV-2 (15 min) with a late update and a missed one, a snooze
        # and a raise to SEV-1; resolved; a review meeting set, nothing written.
        clock.set("2026-11-25T09:00:00Z")
        three = ops.declare(severity=2, title="Invoices delayed", author="carol", impact="")
        ops.correct_milestone(
            three.id, "carol", "impact_started", datetime(2026, 11, 25, 8, 30, tzinfo=UTC), "graph"
        )
        clock.set("2026-11-25T09:20:00Z")  # due 09:15: 5 min late
        ops.record_update(three.id, "carol", "Looking into invoice delays.")
        # due 09:35: nothing until 09:50 (the next fell due): missed
        clock.set("2026-11-25T09:52:00Z")
        say(three.id, "carol", "/snooze 10 waiting for the vendor")  # 09:50 → 10:02
        clock.set("2026-11-25T10:00:00Z")
        ops.record_update(three.id, "carol", "Vendor confirms an outage.")  # on time
        clock.set("2026-11-25T10:05:00Z")
        say(three.id, "carol", "/sev 1")  # 10:15 → min(10:15, 10:15)
        clock.set("2026-11-25T10:14:00Z")
        ops.record_update(three.id, "carol", "Failing over.")  # on time
        clock.set("2026-11-25T10:20:00Z")
        say(three.id, "carol", "/resolve")  # due 10:24, not reached: owes nothing
        say(three.id, "carol", "/fu vendor status alerts @erin due:2026-12-04")
        clock.set("2026-11-26T09:00:00Z")
        ops.set_review(
            three.id,
            "carol",
            root_cause="",
            contributing_factors="",
            resolution_steps="",
            review_at=datetime(2026, 12, 2).date(),
        )

        # INC-4: impact start never recorded; its title is hostile Markdown and
        # Slack; resolved, no review.
        clock.set("2026-11-27T16:00:00Z")
        four = ops.declare(severity=3, title=HOSTILE_TITLE, author="dan", impact="")
        clock.set("2026-11-27T16:12:00Z")
        ops.record_update(four.id, "dan", "Looking.")
        clock.set("2026-11-27T16:40:00Z")
        say(four.id, "dan", "/resolve")
        say(four.id, "dan", "/fu write the <!channel> runbook @dan|ops due:2026-11-26")

        # INC-5: declared on Saturday night, resolved after the week ended:
        # in the week, with its whole time to resolve.
        clock.set("2026-11-28T23:00:00Z")
        five = ops.declare(severity=2, title="Login slow", author="erin", impact="")
        ops.correct_milestone(
            five.id, "erin", "impact_started", datetime(2026, 11, 28, 22, 40, tzinfo=UTC), "page"
        )
        clock.set("2026-11-28T23:14:00Z")
        ops.record_update(five.id, "erin", "Investigating.")
        clock.set("2026-11-29T00:30:00Z")  # due 23:29, 23:44 missed …; resolved 00:30
        say(five.id, "erin", "/resolve")

        # INC-6: after the week: not in it.
        clock.set("2026-11-30T08:00:00Z")
        ops.declare(severity=4, title="This week already", author="erin", impact="")
    finally:
        store.close()


@pytest.fixture
def scripted(tmp_path: Path) -> Path:
    db = tmp_path / "week.db"
    script(db)
    return db


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("WARROOM_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8", newline="")
    assert text == path.read_text(encoding="utf-8")


def test_report_markdown_matches_the_golden_file(run_cli, scripted):
    code, out, err = run_cli("--db", scripted, "report", *WEEK, env={"WARROOM_NOW": MONDAY})
    assert (code, err) == (0, "")
    _golden("report.md", out)
    # The headline comes first.
    headings = [line for line in out.splitlines() if line.startswith("## ")]
    assert headings[0].startswith("## Stakeholder updates: ")


def test_report_json_matches_the_golden_file(run_cli, scripted):
    code, out, err = run_cli(
        "report", *WEEK, "--format", "json", "--db", scripted, env={"WARROOM_NOW": MONDAY}
    )
    assert (code, err) == (0, "")
    _golden("report.json", out)
    data = json.loads(out)
    assert list(data)[:4] == ["schema", "from", "to", "now"]
    assert data["schema"] == "warroom.report/1"
    assert (data["from"], data["to"]) == ("2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z")
    assert data["incidents"] == 4
    assert [row["ref"] for row in data["list"]] == ["INC-2", "INC-3", "INC-4", "INC-5"]
    # Severity as it stands: INC-3 was raised to SEV-1.
    assert data["by_severity"] == {"SEV-1": 2, "SEV-2": 1, "SEV-3": 1}
    updates = {k: data["updates"][k] for k in ("due", "on_time", "late", "missed")}
    # INC-2: 3 on time; INC-3: late, missed, on time, on time; INC-4: on time,
    # then 16:27 missed (resolved at 16:40 without one); INC-5: on time, then
    # 23:29 .. 00:14 missed (4: each time the next fell due), 00:29 missed at resolve.
    assert updates == {"due": 15, "on_time": 7, "late": 1, "missed": 7}
    assert data["missing_milestones"] == ["INC-4"]
    assert data["followups"]["open"] == 3 and data["followups"]["overdue"] == 2
    mttx = data["mttx"]
    # Time to resolve from impact start: INC-2 40m, INC-3 1h50m, INC-4 40m (from
    # the declaration), INC-5 1h50m. Nearest rank: median = 2nd of 4, p90 = 4th.
    assert mttx["time_to_resolve"]["count"] == 4
    assert mttx["time_to_resolve"]["median_seconds"] == 40 * 60
    assert mttx["time_to_resolve"]["p90_seconds"] == 110 * 60
    # Time to detect leaves out INC-4 (no impact start): 10m, 30m, 20m.
    assert mttx["time_to_detect"]["count"] == 3
    assert mttx["time_to_detect"]["median_seconds"] == 20 * 60
    reviews = {row["ref"]: row["review"] for row in data["list"]}
    assert reviews == {
        "INC-2": "closed",
        "INC-3": "meeting 2026-12-02",
        "INC-4": "not started",
        "INC-5": "not started",
    }
    # Text is exact in JSON.
    assert data["list"][2]["title"] == HOSTILE_TITLE


def test_report_json_is_written_as_json_dumps_writes_it(run_cli, tmp_path):
    """pydantic writes the JSON (Rust, fast on a year); the bytes stay those of
    ``json.dumps(indent=2, ensure_ascii=False)``, whatever a title holds."""
    title = 'tab\there "quoted" back\\slash \u2028 ünïcode 😀 中文 </script> \x7f'
    db = tmp_path / "odd.db"
    clock = FrozenClock("2026-11-24T10:00:00Z")
    store = Store(db)
    try:
        ops = Service(store, clock, default_playbook())
        incident = ops.declare(severity=2, title=title, author="alice", impact="")
        clock.set("2026-11-24T10:20:00Z")
        ops.record_update(incident.id, "bob", "late")
    finally:
        store.close()
    code, out, err = run_cli(
        "--db", db, "report", *WEEK, "--format", "json", env={"WARROOM_NOW": MONDAY}
    )
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert data["list"][0]["title"] == title
    assert data["list"][0]["updates"][0] == {
        "due": "2026-11-24T10:15:00Z",
        "outcome": "late",
        "sent_at": "2026-11-24T10:20:00Z",
    }
    assert out == json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def test_titles_are_literal_in_the_markdown_table(run_cli, scripted):
    _, out, _ = run_cli("--db", scripted, "report", *WEEK, env={"WARROOM_NOW": MONDAY})
    row = next(line for line in out.splitlines() if line.startswith("| INC-4 "))
    # Exactly the table's own columns: a pipe in the title does not add one.
    assert row.replace("\\|", "").count("|") == 10
    assert "\\<\\!channel\\>" in row and "\\`rm -rf\\`" in row and "\\*down\\*" in row
    assert "\\[x\\](http://evil)" in row


def test_a_period_with_no_incidents_says_so(run_cli, scripted, tmp_path):
    args = ("report", "--from", "2026-01-01", "--to", "2026-01-31")
    code, out, err = run_cli("--db", scripted, *args, env={"WARROOM_NOW": MONDAY})
    assert (code, err) == (0, "")
    assert "No incidents were declared in this period." in out
    assert "## Stakeholder updates: no incidents, no updates due" in out
    code, out, err = run_cli("--db", scripted, *args, "--format", "json")
    data = json.loads(out)
    assert (data["incidents"], data["list"], data["by_severity"]) == (0, [], {})
    assert data["updates"]["due"] == 0 and data["mttx"]["time_to_resolve"]["count"] == 0
    # No database at all: the same report, and no file is made.
    missing = tmp_path / "none.db"
    code, out, err = run_cli("--db", missing, "report")
    assert (code, err) == (0, "") and "No incidents" in out
    assert not missing.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "7x"), "--since '7x': a number and a unit (h, d or w), such as 7d or 24h"),
        (("--since", "0d"), "--since 0d: between 1h and 3660 days"),
        (("--since", "7d", "--from", "2026-11-01"), "give --since, or --from and --to, not both"),
        (("--from", "2026-11-30", "--to", "2026-11-01"), "--from must be before --to"),
        (("--to", "2026-11-01"), "--to needs --from"),
        (("--from", "yesterday"), "--from 'yesterday': a date such as 2026-11-23"),
        (("--from", "2026-02-30"), "--from '2026-02-30': a date such as 2026-11-23"),
    ],
)
def test_bad_arguments_are_one_line_and_write_nothing(run_cli, tmp_path, args, message):
    db = tmp_path / "fresh.db"
    code, out, err = run_cli("--db", db, "report", *args)
    assert code == 2 and out == ""
    assert err.startswith(f"warroom: {message}") and err.count("\n") == 1
    assert "Traceback" not in err
    assert not db.exists()


def test_report_reads_a_read_only_database(run_cli, scripted, tmp_path):
    folder = scripted.parent
    before = scripted.read_bytes()
    scripted.chmod(0o400)
    folder.chmod(0o500)
    try:
        code, out, err = run_cli("--db", scripted, "report", *WEEK, env={"WARROOM_NOW": MONDAY})
    finally:
        folder.chmod(0o700)
        scripted.chmod(0o600)
    assert (code, err) == (0, "")
    assert "| INC-2 |" in out
    assert scripted.read_bytes() == before


def test_post_without_slack_is_one_line_and_writes_nothing(run_cli, scripted):
    before = _outbox_rows(scripted)
    code, out, err = run_cli("--db", scripted, "report", "--post", env={"WARROOM_NOW": MONDAY})
    assert code == 2 and out == ""
    assert err.startswith("warroom: --post: Slack is not configured") and err.count("\n") == 1
    assert _outbox_rows(scripted) == before


def _outbox_rows(db: Path) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT id, incident_id, kind, status FROM outbox").fetchall()
    finally:
        conn.close()


def test_post_delivers_the_compact_report_once_with_no_mentions(run_cli, scripted):
    with FakeSlack() as slack:
        env = {
            "WARROOM_NOW": MONDAY,
            "WARROOM_SLACK_BOT_TOKEN": TOKEN,
            "WARROOM_SLACK_CHANNEL": "C0INCIDENTS",
            "WARROOM_SLACK_API_URL": slack.api_url,
        }
        code, out, err = run_cli("--db", scripted, "report", *WEEK, "--post", env=env)
        assert code == 0, err
        assert err == "report posted to Slack\n"
        assert out.startswith("# Operations report")  # the full Markdown, as always
        posts = [r for r in slack.posted if r.method == "chat.postMessage"]
        assert len(posts) == 1
        body = posts[0].body
        assert "thread_ts" not in body and "link_names" not in body
        text = body["text"]
        assert len(text) < 4000 and len(body["blocks"]) <= 50
        assert all(b["text"]["verbatim"] is True for b in body["blocks"])
        assert text.startswith("*Operations report* 2026-11-23 00:00 → 2026-11-30 00:00 UTC")
        assert "*Stakeholder updates: 7 of 15 on time (47%)*" in text
        # The title is shown, never obeyed: no <!channel>, no <http…|x> link.
        assert "<!" not in text and "<http" not in text
        assert "&lt;!channel&gt;" in text
        payload = body["metadata"]["event_payload"]
        assert (payload["incident"], payload["kind"]) == ("channel", "report")
    rows = _outbox_rows(scripted)
    assert [(r[1], r[2], r[3]) for r in rows if r[2] == "report"] == [(None, "report", "delivered")]


def test_post_that_slack_refuses_says_so_and_the_report_waits(run_cli, scripted):
    with FakeSlack() as slack:
        slack.script(error("channel_not_found"))
        env = {
            "WARROOM_NOW": MONDAY,
            "WARROOM_SLACK_WEBHOOK_URL": slack.webhook_url,
        }
        code, out, err = run_cli("--db", scripted, "report", "--post", env=env)
    assert code == 1 and out.startswith("# Operations report")
    assert err.startswith("warroom: the report was not posted to Slack:")
    assert "channel_not_found" in err and err.count("\n") == 1
    assert [r[3] for r in _outbox_rows(scripted) if r[2] == "report"] == ["failed"]


# -- the pieces -------------------------------------------------------------------


def test_the_headline_share_never_rounds_a_miss_away():
    from warroom.exports.report import _share

    assert (_share(199, 200), _share(1, 200), _share(7, 15), _share(0, 0)) == (
        "99%",
        "1%",
        "47%",
        "—",
    )


def test_percentile_is_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([7], 90) == 7
    assert percentile([4, 1, 3, 2], 50) == 2
    assert percentile(list(range(1, 11)), 90) == 9
    assert percentile(list(range(1, 11)), 50) == 5
    assert percentile([5, 1, 2, 3, 4], 90) == 5


def _due(events, *, severity=2, status="resolved", now="2026-11-25T12:00:00Z"):
    return [
        (f"{due:%H:%M}", outcome, sent_at and sent_at[11:16])
        for due, outcome, sent_at, _late in figures.update_punctuality(
            severity=severity,
            declared_at="2026-11-25T09:00:00Z",
            status=status,
            events=[TimingEvent(f"2026-11-25T{at}:00Z", kind, data) for at, kind, data in events],
            playbook=default_playbook(),
            now=datetime.fromisoformat(now),
        )
    ]


def test_punctuality_on_time_late_missed_overdue():
    declared = ("09:00", "declared", '{"severity":2}')
    assert _due([declared, ("09:15", "update", None), ("09:40", "resolve", None)]) == [
        ("09:15", "on_time", "09:15"),
        ("09:30", "missed", None),  # resolved after the deadline, none sent
    ]
    # Late: after its deadline, before the next one fell due.
    assert _due([declared, ("09:29", "update", None), ("09:30", "resolve", None)]) == [
        ("09:15", "late", "09:29")
    ]
    # Exactly when the next one falls due: the first is missed, the second on time.
    assert _due([declared, ("09:30", "update", None), ("09:31", "resolve", None)]) == [
        ("09:15", "missed", None),
        ("09:30", "on_time", "09:30"),
    ]
    # Open at the report's time: missed windows, then the current one overdue.
    assert _due([declared], status="open", now="2026-11-25T09:40:00+00:00") == [
        ("09:15", "missed", None),
        ("09:30", "overdue", None),
    ]
    # A snooze moves the deadline: the update is judged against it.
    assert _due(
        [
            declared,
            ("09:10", "snooze", '{"minutes":20}'),
            ("09:33", "update", None),
            ("09:34", "resolve", None),
        ]
    ) == [("09:35", "on_time", "09:33")]
    # A raise to SEV-1 (10 min) brings the deadline closer, and later ones follow it.
    assert _due(
        [
            declared,
            ("09:02", "severity", '{"new":1,"cadence_minutes":10}'),
            ("09:13", "update", None),
            ("09:30", "update", None),
            ("09:31", "resolve", None),
        ]
    ) == [("09:12", "late", "09:13"), ("09:23", "late", "09:30")]
    # Other kinds of entry (a whole timeline may be given) change nothing.
    story = [
        declared,
        ("09:10", "snooze", '{"minutes":20}'),
        ("09:33", "update", None),
        ("09:58", "update", None),
        ("10:40", "resolve", None),
    ]
    noisy = [story[0], ("09:01", "note", None), *story[1:3], ("09:50", "alert", "{}"), *story[3:]]
    assert _due(noisy) == _due(story) != []
    # The numbers db/reports.py has SQLite read out of the data (a snooze's
    # minutes, a declaration's severity) give what the JSON gives.
    assert _due([("09:00", "declared", 2), *story[1:]]) == _due(story)
    assert _due([declared, ("09:10", "snooze", 20), *story[2:]]) == _due(story)
    assert (
        _due([("09:00", "declared", 1), *story[1:]])
        == _due([("09:00", "declared", '{"severity":1}'), *story[1:]])
        != _due(story)
    )
    # Time resolved owes nothing; reopening restarts the count.
    assert _due(
        [
            declared,
            ("09:05", "resolve", None),
            ("10:00", "reopen", None),
            ("10:14", "update", None),
            ("10:20", "resolve", None),
        ]
    ) == [("10:15", "on_time", "10:14")]


def test_the_slack_version_stays_compact_for_a_busy_year():
    from warroom.domain.report import IncidentFacts, build_report
    from warroom.exports.report import render_slack

    start = datetime(2026, 1, 1, tzinfo=UTC)
    facts = [
        IncidentFacts(
            id=n,
            title="<!channel> & " * 20,
            severity=1 + n % 4,
            status="resolved",
            declared_at=f"{(start + timedelta(hours=n)):%Y-%m-%dT%H:%M:%S}Z",
            impact_started_at=None,
            detected_at=None,
            mitigated_at=None,
            resolved_at=f"{(start + timedelta(hours=n, minutes=50)):%Y-%m-%dT%H:%M:%S}Z",
        )
        for n in range(1, 2001)
    ]
    report = build_report(
        start=start,
        end=start + timedelta(days=365),
        now=start + timedelta(days=366),
        incidents=facts,
        followups=(),
        playbook=default_playbook(),
    )
    from warroom.comms.slack import escape, slack_len

    text = render_slack(report)
    assert slack_len(escape(text)) <= 3000
    assert "more lines" in text and text.endswith("`warroom report`")
