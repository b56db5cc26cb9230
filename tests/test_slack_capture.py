"""Slack into the timeline: ``warroom slack sync`` and the capture pass.

Slack is a fake server on 127.0.0.1 (tests/fake_slack.py): people's messages
are put in it with ``slack.say``; nothing leaves the machine.
"""

from __future__ import annotations

import sqlite3

import pytest

from fake_slack import FakeSlack, bot_config, webhook_config
from warroom.comms.capture import CAPTURE_OFF_WEBHOOK, sync_once
from warroom.comms.delivery import deliver_pending
from warroom.db import slack_capture as slack_repo
from warroom.errors import WarroomError
from warroom.service import Service

CAROL = {"id": "U0CAROL01", "name": "carol.s", "profile": {"display_name": "carol"}}
DAN = {"id": "U0DAN0001", "name": "dan", "profile": {"display_name": "", "real_name": "Dan D"}}


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        fake.users = {"U0CAROL01": CAROL, "U0DAN0001": DAN}
        yield fake


@pytest.fixture
def posted_incident(store, clock, playbook, slack):
    """An incident whose declaration is in Slack (the thread's root)."""
    config = bot_config(slack)
    ops = Service(store, clock, playbook, comms=config)
    slack.now = clock.now
    incident = ops.declare(severity=2, title="API down", author="alice")
    deliver_pending(store, config, clock, playbook=playbook, min_interval=0)
    channel, root = store.slack_root(incident.id)
    assert channel and root
    return ops, config, incident, root


def slack_entries(store, incident_id=1):
    return [e for e in store.entries_of_kinds(incident_id, ["slack"])]


def test_thread_replies_and_pinned_channel_messages_become_entries_once(
    posted_incident, slack, clock, store
):
    ops, config, incident, root = posted_incident
    clock.advance(minutes=1)
    first = slack.say("U0CAROL01", "restarting worker-3 <!channel> [bold]x[/bold]", thread_ts=root)
    clock.advance(minutes=1)
    pinned = slack.say("U0DAN0001", "root cause: expired cert", pin=True)
    slack.say("U0DAN0001", "lunch?")  # not pinned, not in the thread: not captured
    result = sync_once(ops, config, incident.id)
    assert result.captured == 2 and result.acked == 2
    entries = slack_entries(store)
    assert [(e.author, e.text) for e in entries] == [
        ("carol", "restarting worker-3 <!channel> [bold]x[/bold]"),  # literal
        ("Dan D", "root cause: expired cert"),
    ]
    assert entries[0].occurred_at == "2026-11-23T22:01:00Z"  # the message's own time
    assert slack.reactions(first)[-1] == "white_check_mark"
    assert "white_check_mark" in slack.reactions(pinned)
    # Seen again (and again): nothing new; warroom's own posts never.
    again = sync_once(ops, config, incident.id)
    assert again.captured == 0 and again.acked == 0
    assert len(slack_entries(store)) == 2
    assert all(e.author != "warroom" for e in slack_entries(store))
    # A pin added later to an old message is still found.
    later = slack.say("U0CAROL01", "mitigation: failover done")
    assert sync_once(ops, config, incident.id).captured == 0
    slack.pin(later)
    assert sync_once(ops, config, incident.id).captured == 1
    # Names come from the cache after the first lookup.
    looked_up = [r for r in slack.reads if r.path.endswith("users.info")]
    assert len(looked_up) == 2


def test_a_crash_mid_sync_neither_loses_nor_doubles(posted_incident, slack, store, monkeypatch):
    ops, config, incident, root = posted_incident
    for n in range(3):
        slack.say("U0CAROL01", f"line {n}", thread_ts=root)
    real = slack_repo.mark_seen
    calls = []

    def crash_on_third(tx, incident_id, ts, seq):
        calls.append(ts)
        if len(calls) == 3:
            raise RuntimeError("power cut")
        real(tx, incident_id, ts, seq)

    monkeypatch.setattr(slack_repo, "mark_seen", crash_on_third)
    with pytest.raises(RuntimeError):
        sync_once(ops, config, incident.id)
    assert slack_entries(store) == []  # all or nothing
    assert slack_repo.cursor(store, incident.id) is None  # nor the cursor
    monkeypatch.setattr(slack_repo, "mark_seen", real)
    assert sync_once(ops, config, incident.id).captured == 3
    assert [e.text for e in slack_entries(store)] == ["line 0", "line 1", "line 2"]


def test_an_edit_adds_nothing(posted_incident, slack, store):
    ops, config, incident, root = posted_incident
    ts = slack.say("U0CAROL01", "first words", thread_ts=root)
    sync_once(ops, config, incident.id)
    for message in slack.messages:
        if message["ts"] == ts:
            message["text"] = "edited words"
            message["edited"] = {"user": "U0CAROL01", "ts": "1"}
    sync_once(ops, config, incident.id)
    assert [e.text for e in slack_entries(store)] == ["first words"]


def test_a_failed_ack_is_retried_by_the_next_pass(posted_incident, slack, store):
    from fake_slack import error

    ops, config, incident, root = posted_incident
    ts = slack.say("U0CAROL01", "noted", thread_ts=root)
    slack.script(error("ratelimited"))
    result = sync_once(ops, config, incident.id)
    assert (result.captured, result.acked) == (1, 0)
    assert "white_check_mark" not in slack.reactions(ts)
    result = sync_once(ops, config, incident.id)
    assert (result.captured, result.acked) == (0, 1)
    assert "white_check_mark" in slack.reactions(ts)


def test_capture_is_off_with_a_webhook_and_says_why(store, clock, playbook, slack):
    config = webhook_config(slack)
    ops = Service(store, clock, playbook, comms=config)
    incident = ops.declare(severity=2, title="t", author="alice")
    with pytest.raises(WarroomError) as caught:
        sync_once(ops, config, incident.id)
    assert str(caught.value) == CAPTURE_OFF_WEBHOOK


def test_slack_sync_and_check_on_the_command_line(run_cli, tmp_path, slack):
    db = tmp_path / "w.db"
    env = {
        "WARROOM_SLACK_BOT_TOKEN": slack.token,
        "WARROOM_SLACK_CHANNEL": "C0123456789",
        "WARROOM_SLACK_API_URL": slack.api_url,
    }
    from fake_slack import CHANNEL_ID

    env["WARROOM_SLACK_CHANNEL"] = CHANNEL_ID
    code, out, err = run_cli("declare", "--sev", "2", "--title", "API down", "--db", db, env=env)
    assert code == 0, err
    root = next(m["ts"] for m in slack.messages if m.get("bot_id"))
    slack.say("U0CAROL01", "from the thread", thread_ts=root)
    code, out, err = run_cli("slack", "sync", "INC-1", "--db", db, env=env)
    assert (code, err) == (0, "")
    assert out.startswith("INC-1: 1 new Slack message(s) captured, 1 acknowledged")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT author, text FROM entries WHERE kind = 'slack'").fetchall() == [
            ("carol", "from the thread")
        ]
    code, _, err = run_cli("slack", "sync", "1", "--db", db)  # no settings
    assert code == 2 and err.count("\n") == 1
    hook = {"WARROOM_SLACK_WEBHOOK_URL": slack.webhook_url}
    code, out, _ = run_cli("slack", "check", env=hook)
    assert code == 0 and "Slack capture is off: an incoming webhook cannot read" in out
    code, _, err = run_cli("slack", "sync", "1", "--db", db, env=hook)
    assert code == 2 and "Slack capture is off" in err


# -- the console polls ---------------------------------------------------------


async def test_the_console_captures_every_poll_seconds_and_shows_it(tmp_path, slack):
    import time

    from console_support import screen_text
    from warroom.clock import FrozenClock
    from warroom.db.store import Store
    from warroom.playbook import default_playbook
    from warroom.tui.app import WarroomApp

    clock = FrozenClock("2026-11-23T22:00:00Z")
    slack.now = clock.now
    store = Store(tmp_path / "w.db")
    from fake_slack import CHANNEL_ID
    from warroom.comms.config import CommsConfig, SlackSettings

    config = CommsConfig(
        slack=SlackSettings(
            bot_token=slack.token, channel=CHANNEL_ID, api_url=slack.api_url, poll_seconds=0.3
        )
    )
    ops = Service(store, clock, default_playbook(), comms=config)
    incident = ops.declare(severity=2, title="API down", author="alice")
    deliver_pending(store, config, clock, playbook=default_playbook(), min_interval=0)
    root = store.slack_root(incident.id)[1]
    app = WarroomApp(store=store, user="bob", clock=clock, comms=config, cursor_blink=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        clock.advance(minutes=2)
        slack.say("U0CAROL01", "worker-3 restarted, queue draining", thread_ts=root)
        pinned = slack.say("U0DAN0001", "customer: Acme reports invoices missing", pin=True)
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline and "Acme reports" not in screen_text(app):
            await pilot.pause(0.05)
        text = screen_text(app)
        assert "worker-3 restarted, queue draining" in text and "carol" in text
        assert "Acme reports invoices missing" in text
        assert "white_check_mark" in slack.reactions(pinned)
        reads_before = len(slack.reads)
        await pilot.pause(1.0)  # idle: ~3 passes of 2 reads, nothing captured twice
        idle_reads = len(slack.reads) - reads_before
        assert 2 <= idle_reads <= 10
        assert len(slack_entries(store)) == 2
