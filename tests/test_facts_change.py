"""Issue 9, "Facts change during a call" and "What clients read must be true".

The operations and what reads them: ``/title`` and ``/impact``, the review in
the order things happened, ``/at`` before impact started, ``/close`` asking
once, Slack's root message after resolving and closing and its "Current
mitigation" line, and the client email's mitigation sentence and link.
(The console side is in test_console_facts.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fake_slack import CHANNEL_ID, FakeSlack, bot_config
from schema_support import undo_schemas_6_and_7
from test_outbox import drain
from warroom.clock import FrozenClock
from warroom.commands import completions, run_line
from warroom.comms.delivery import prepare
from warroom.comms.slack import render_root
from warroom.comms.templates import INVESTIGATING, NO_STATUS_PAGE, render_email, render_internal
from warroom.db import outbox
from warroom.db.store import SCHEMA_VERSION, Store
from warroom.domain.models import Incident
from warroom.errors import CommandError
from warroom.exports.review import render_review
from warroom.playbook import (
    Playbook,
    default_playbook,
    default_playbook_text,
    load_playbook_text,
)
from warroom.service import Service


def current(store: Store, incident: Incident) -> Incident:
    found = store.incident(incident.id)
    assert found is not None
    return found


def review_written(ops: Service, incident: Incident) -> None:
    ops.set_review(
        incident.id,
        "alice",
        root_cause="a cause",
        contributing_factors="",
        resolution_steps="",
        review_at=None,
    )


# -- /title and /impact -------------------------------------------------------------


def test_title_is_corrected_and_logged_old_to_new(ops, store, incident):
    outcome = run_line(ops, incident.id, "carol", "/title QuickBooks sync halted for EU tenants")
    inc = current(store, incident)
    assert inc.title == "QuickBooks sync halted for EU tenants"
    (entry,) = outcome.entries
    assert (entry.kind, entry.author, entry.text) == (
        "title",
        "carol",
        "title: QuickBooks sync halted → QuickBooks sync halted for EU tenants",
    )
    # What reads the title reads the new one: updates composed now, the review.
    assert "QuickBooks sync halted for EU tenants" in render_internal(
        inc, ops.playbook, ops.clock.now(), None
    )
    assert render_review(store, inc, ops.playbook, now=ops.clock.now()).startswith(
        "# INC-1: QuickBooks sync halted for EU tenants\n"
    )


def test_impact_is_corrected_and_logged_old_to_new(ops, store, incident):
    outcome = run_line(ops, incident.id, "carol", "/impact  invoices delayed for 60% of tenants ")
    inc = current(store, incident)
    assert inc.impact == "invoices delayed for 60% of tenants"
    (entry,) = outcome.entries
    assert (entry.kind, entry.text) == (
        "impact",
        "impact: sync delayed for 40% of tenants → invoices delayed for 60% of tenants",
    )
    _, body = render_email(inc, ops.playbook, ops.clock.now(), None)
    assert "impacting invoices delayed for 60% of tenants." in body
    review = render_review(store, inc, ops.playbook, now=ops.clock.now())
    assert "- **Impact:** invoices delayed for 60% of tenants" in review


def test_impact_first_set_reads_not_recorded_before(ops, store):
    incident = ops.declare(severity=3, title="t", author="zoe")
    run_line(ops, incident.id, "zoe", "/impact one tenant")
    assert current(store, incident).impact == "one tenant"
    assert store.entry(incident.id, current(store, incident).entry_count).text == (
        "impact: (not recorded) → one tenant"
    )


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("/title", "usage: /title TEXT"),
        ("/title " + "x" * 201, "at most 200 characters"),
        ("/title a\nb", "one line"),
        ("/title QuickBooks sync halted", "already that"),
        ("/impact", "usage: /impact TEXT"),
        ("/impact " + "y" * 501, "at most 500 characters"),
        ("/impact a\nb", "one line"),
        ("/impact sync delayed for 40% of tenants", "already that"),
    ],
)
def test_bad_title_or_impact_is_one_line_naming_the_problem(ops, store, incident, line, says):
    before = current(store, incident)
    with pytest.raises(CommandError, match=says):
        run_line(ops, incident.id, "alice", line)
    assert current(store, incident) == before


def test_a_declaration_with_an_overlong_impact_is_refused(ops):
    with pytest.raises(CommandError, match="at most 500 characters"):
        ops.declare(severity=2, title="t", author="a", impact="x" * 501)


def test_tab_completes_title_and_impact():
    assert completions("/ti", []) == ["/title "]
    assert "/impact " in completions("/i", [])


# -- the review in the order things happened ----------------------------------------


def test_review_timeline_is_in_the_order_things_happened(ops, store, incident, clock):
    """A backdated entry sits where it happened, with its logged time kept;
    entries at the same moment keep their numbers' order; key events too."""
    clock.advance(minutes=16)  # 22:16
    run_line(ops, incident.id, "carol", "retry storm on worker-3")  # #4
    run_line(ops, incident.id, "carol", "/at 22:07 first customer report")  # #5
    run_line(ops, incident.id, "carol", "/at 22:16 same minute as #4, logged later")  # #6
    run_line(ops, incident.id, "carol", "/star 5")
    run_line(ops, incident.id, "carol", "/star 4")
    review = render_review(store, current(store, incident), ops.playbook, now=clock.now())
    timeline = review.split("## Timeline\n\n")[1].split("\n\n")[0].splitlines()
    numbers = [int(re.match(r"- (?:★ )?#(\d+)", line).group(1)) for line in timeline]
    assert numbers == [1, 2, 3, 5, 4, 6, 7, 8]
    assert timeline[3] == "- ★ #5 22:07:00 (logged 22:16:00) — carol: first customer report"
    key_events = review.split("## Key events\n\n")[1].split("\n\n")[0].splitlines()
    assert [line.split(" ")[2] for line in key_events] == ["#5", "#4"]


def test_the_review_reads_the_timeline_through_the_happened_index(store, incident):
    """Sorting 100,000 rows made the export 1.7x a plain read: the index
    (schema 5) gives them in order, so SQLite does not sort."""
    plan = store.conn.execute(
        "EXPLAIN QUERY PLAN SELECT seq FROM entries WHERE incident_id = 1"
        " ORDER BY coalesce(occurred_at, at), seq"
    )
    details = " ".join(row[-1] for row in plan)
    assert "idx_entries_happened" in details and "TEMP B-TREE" not in details


def test_at_before_impact_started_is_kept_and_points_to_the_milestone(ops, store, incident, clock):
    clock.advance(minutes=10)  # 22:10; declared (impact started) 22:00
    outcome = run_line(ops, incident.id, "carol", "/at 21:50 first alert fired")
    (entry,) = outcome.entries
    assert entry.occurred_at == "2026-11-23T21:50:00Z"
    assert outcome.severity == "warning"
    assert outcome.message == (
        f"#{entry.seq} at 21:50 is before impact started (22:00): if impact began then,"
        " /milestone impact_started 21:50 REASON moves the start"
    )
    # After impact started: a plain entry, nothing to say.
    assert run_line(ops, incident.id, "carol", "/at 22:05 paged").message is None


def test_the_review_does_not_silently_ignore_an_earlier_start(ops, store, incident, clock):
    clock.advance(minutes=10)
    run_line(ops, incident.id, "carol", "/at 21:50 first alert fired")
    review = render_review(store, current(store, incident), ops.playbook, now=clock.now())
    assert (
        "- **Duration:** 00:10:00 so far (not resolved)\n"
        "  - entry #4 at 21:50:00 is earlier than impact start 22:00:00;"
        " correct the milestone if impact began then"
        " (`/milestone impact_started HH:MM REASON`)\n"
    ) in review
    # Corrected, the note goes and the duration counts from the earlier start.
    run_line(ops, incident.id, "carol", "/milestone impact_started 21:50 the first alert")
    review = render_review(store, current(store, incident), ops.playbook, now=clock.now())
    assert "earlier than impact start" not in review
    assert "- **Duration:** 00:20:00 so far (not resolved)\n" in review
    # A struck backdated entry does not count.
    run_line(ops, incident.id, "carol", "/at 21:40 wrong day")
    run_line(ops, incident.id, "carol", "/undo")
    review = render_review(store, current(store, incident), ops.playbook, now=clock.now())
    assert "earlier than impact start" not in review


def test_the_review_says_resolved_in_the_stage_after_restore(ops, store, incident):
    run_line(ops, incident.id, "alice", "/stage mitigate")
    run_line(ops, incident.id, "alice", "/resolve")
    review = render_review(store, current(store, incident), ops.playbook, now=ops.clock.now())
    assert "- **Status:** resolved (stage: review)" in review


# -- /close asks once ----------------------------------------------------------------


def test_close_asks_first_and_only_the_same_command_confirms(ops, store, incident):
    run_line(ops, incident.id, "alice", "/resolve")
    review_written(ops, incident)
    before = current(store, incident)
    asked = run_line(ops, incident.id, "alice", "/close")
    assert (asked.asks, asked.entries) == ("close", [])
    assert asked.message.startswith("/close again to confirm: INC-1 becomes final")
    assert current(store, incident) == before  # nothing written by asking
    # A one-letter answer is never a confirmation: it is not even a command.
    assert run_line(ops, incident.id, "alice", "y", confirming="close").entries[0].kind == "note"
    assert current(store, incident).status == "resolved"
    done = run_line(ops, incident.id, "alice", "/close", confirming="close")
    assert [e.kind for e in done.entries] == ["close"]
    assert current(store, incident).status == "closed"


def test_close_refuses_before_asking_when_it_could_not_close(ops, incident):
    with pytest.raises(CommandError, match="not resolved"):
        run_line(ops, incident.id, "alice", "/close")
    run_line(ops, incident.id, "alice", "/resolve")
    with pytest.raises(CommandError, match="no review yet"):
        run_line(ops, incident.id, "alice", "/close")


# -- Slack's root message -----------------------------------------------------------


def test_root_message_says_resolved_then_closed_and_reopened_goes_back(ops, store, incident):
    playbook, now = ops.playbook, ops.clock.now()
    assert render_root(current(store, incident), playbook, now, None).startswith(
        ":rotating_light: SEV-2 | QuickBooks sync halted"
    )
    run_line(ops, incident.id, "alice", "/resolve")
    text = render_root(current(store, incident), playbook, now, None)
    assert text.startswith(
        ":white_check_mark: RESOLVED at 22:00 UTC: impact is over\nSEV-2 | QuickBooks"
    )
    assert ":rotating_light:" not in text and "Next update: none (resolved)" in text
    run_line(ops, incident.id, "alice", "/reopen")
    assert render_root(current(store, incident), playbook, now, None).startswith(
        ":rotating_light: SEV-2 | QuickBooks sync halted"
    )
    run_line(ops, incident.id, "alice", "/resolve")
    review_written(ops, incident)
    run_line(ops, incident.id, "alice", "/close", confirming="close")
    text = render_root(current(store, incident), playbook, now, None)
    assert text.startswith(
        ":lock: CLOSED: INC-1 is resolved at 22:00 UTC and its record is final\nSEV-2 |"
    )
    assert ":rotating_light:" not in text and "· CLOSED ·" in text


@pytest.fixture
def slack(clock: FrozenClock):
    with FakeSlack(now=clock.now) as fake:
        yield fake


def root_edits(slack: FakeSlack) -> list[str]:
    return [r.text for r in slack.posted if r.method == "chat.update"]


def test_slacks_root_message_follows_title_impact_and_close(store, db_path, clock, playbook, slack):
    config = bot_config(slack)
    ops = Service(store, clock, playbook, comms=config)
    incident = ops.declare(severity=2, title="QuickBoks sync halted", author="alice")
    drain(db_path, config, clock)
    run_line(ops, incident.id, "alice", "/title QuickBooks sync halted")
    run_line(ops, incident.id, "alice", "/impact invoices delayed for 40% of tenants")
    drain(db_path, config, clock)
    edit = root_edits(slack)[-1]
    assert edit.startswith(":rotating_light: SEV-2 | QuickBooks sync halted\n")
    assert "Impact: invoices delayed for 40% of tenants" in edit
    run_line(ops, incident.id, "alice", "/resolve")
    review_written(ops, incident)
    run_line(ops, incident.id, "alice", "/close", confirming="close")
    drain(db_path, config, clock)
    edit = root_edits(slack)[-1]
    assert edit.startswith(":lock: CLOSED: INC-1 is resolved at")
    assert slack.posted[-1].body["channel"] == CHANNEL_ID


def test_root_mitigation_changes_only_with_a_sent_update(store, db_path, clock, playbook, slack):
    """A /decision or /action is not what the channel's top message says is
    being done: only the line the comms lead sent with an update is."""
    config = bot_config(slack)
    ops = Service(store, clock, playbook, comms=config)
    incident = ops.declare(severity=2, title="QuickBooks sync halted", author="alice")
    drain(db_path, config, clock)
    run_line(ops, incident.id, "dan", "/decision maybe roll back? asking in #eng")
    run_line(ops, incident.id, "dan", "/sev 1")  # a root edit, rendered when sent
    drain(db_path, config, clock)
    assert "Current mitigation: (investigating)" in root_edits(slack)[-1]
    assert store.mitigation_draft(incident.id) == "maybe roll back? asking in #eng"
    ops.record_update(
        incident.id, "bob", "Rolling back qb-sync.", mitigation="rolling back qb-sync to v2.3"
    )
    drain(db_path, config, clock)
    assert "Current mitigation: rolling back qb-sync to v2.3" in root_edits(slack)[-1]
    # The next /action is offered to the comms lead; the root keeps what was sent.
    run_line(ops, incident.id, "dan", "/action rollback done on worker-3")
    run_line(ops, incident.id, "dan", "/sev 2")
    drain(db_path, config, clock)
    assert "Current mitigation: rolling back qb-sync to v2.3" in root_edits(slack)[-1]
    assert store.mitigation_draft(incident.id) == "rollback done on worker-3"
    # A client email carries no mitigation line: the root keeps the last one.
    ops.record_update(incident.id, "bob", "Dear client", audience="client")
    assert store.current_mitigation(incident.id) == "rolling back qb-sync to v2.3"


def test_prepare_never_reads_decisions_for_the_root(store, clock, playbook):
    """delivery.prepare renders the root from the latest update's mitigation."""
    from fake_slack import TOKEN
    from warroom.comms.config import CommsConfig, SlackSettings

    config = CommsConfig(slack=SlackSettings(bot_token=TOKEN, channel=CHANNEL_ID))
    ops = Service(store, clock, playbook, comms=config)
    incident = ops.declare(severity=2, title="t", author="alice")
    store.conn.execute(
        "UPDATE incidents SET slack_channel = ?, slack_ts = '1.0' WHERE id = ?",
        (CHANNEL_ID, incident.id),
    )
    run_line(ops, incident.id, "dan", "/decision unreviewed idea")
    run_line(ops, incident.id, "dan", "/stage triage")  # queues a root edit
    (root,) = [m for m in outbox.messages(store) if m.kind == "root"]
    request = prepare(store, config, playbook, root, clock.now())
    assert request is not None and request.method == "chat.update"
    assert "Current mitigation: (investigating)" in request.payload["text"]
    assert "unreviewed idea" not in request.payload["text"]


def test_mitigation_with_an_update_is_checked(ops, incident):
    with pytest.raises(CommandError, match="one line"):
        ops.record_update(incident.id, "bob", "x", mitigation="two\nlines")
    with pytest.raises(CommandError, match="at most 500"):
        ops.record_update(incident.id, "bob", "x", mitigation="m" * 501)
    with pytest.raises(CommandError, match="internal update"):
        ops.record_update(incident.id, "bob", "x", audience="client", mitigation="m")


# -- the client email ---------------------------------------------------------------


def with_status_page(url: str) -> Playbook:
    text = default_playbook_text().replace('status_page_url = ""', f'status_page_url = "{url}"')
    return load_playbook_text(text, "team.toml")


def test_email_claims_no_mitigation_before_the_milestone(ops, store, incident, clock):
    clock.advance(minutes=19)
    _, body = render_email(current(store, incident), ops.playbook, clock.now(), None)
    assert INVESTIGATING in body and "initiated mitigation" not in body
    assert "22:19" not in body.split("Expect")[0]
    # The stage after mitigate stamps the milestone: its time, not the clock's.
    run_line(ops, incident.id, "alice", "/stage restore")
    clock.advance(minutes=30)
    _, body = render_email(current(store, incident), ops.playbook, clock.now(), None)
    assert "Our team put a mitigation in place at 22:19 UTC." in body
    assert INVESTIGATING not in body


def test_email_links_the_status_page_never_an_internal_ref(store, clock, incident):
    inc = current(store, incident)
    _, body = render_email(inc, default_playbook(), clock.now(), None)
    assert "INC-1" not in body and NO_STATUS_PAGE in body and "Track progress" not in body
    playbook = with_status_page("https://status.example.com/incidents")
    _, body = render_email(inc, playbook, clock.now(), None)
    assert "Track progress here: https://status.example.com/incidents" in body
    assert "INC-1" not in body


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("status.example.com", "not an http(s) link"),
        ("ftp://status.example.com", "not an http(s) link"),
        ("https://", "not an http(s) link"),
        ("https://status.example.com/a b", "spaces or control characters"),
        ("https://x/" + "a" * 2000, "at most 2000 characters"),
    ],
)
def test_status_page_url_is_an_http_link_of_bounded_length(url, says):
    with pytest.raises(Exception, match=re.escape(says)) as caught:
        with_status_page(url)
    assert "status_page_url" in str(caught.value) and "team.toml" in str(caught.value)


def test_playbook_show_has_the_status_page_field(run_cli):
    code, out, _ = run_cli("playbook", "show")
    assert code == 0 and '\nstatus_page_url = ""\n' in out
    assert "{mitigation_status}" in out and "{track_progress}" in out
    assert "initiated mitigation at" not in out


def test_a_schema_4_database_gains_the_new_columns_and_index(tmp_path: Path):
    """Migration 5 on a database written by the previous warroom: its updates
    and incidents keep everything, the root shows "(investigating)" until an
    update sets the mitigation line, and /reopen of an incident resolved
    before stays in its stage."""
    import sqlite3

    path = tmp_path / "old.db"
    clock = FrozenClock("2026-11-23T22:00:00Z")
    store = Store(path)
    ops = Service(store, clock, default_playbook())
    incident = ops.declare(severity=2, title="t", author="a")
    ops.record_update(incident.id, "b", "u")
    ops.resolve(incident.id, "a")
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP INDEX idx_entries_happened")
    conn.execute("ALTER TABLE updates DROP COLUMN mitigation")
    conn.execute("ALTER TABLE incidents DROP COLUMN resolved_from_stage")
    undo_schemas_6_and_7(conn)
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    store = Store(path)
    try:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.current_mitigation(incident.id) is None
        ops = Service(store, clock, default_playbook())
        stage = current(store, incident).stage
        ops.reopen(incident.id, "a")
        assert current(store, incident).stage == stage
    finally:
        store.close()
