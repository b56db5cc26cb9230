"""The durable outbox against a local fake Slack: exactly what arrived, in what order.

Time is a frozen clock that the deliverer's sleep moves forward, so a
ten-minute give-up or a 429 pause costs milliseconds. The stall test and the
two-console test use real time (about a second between them).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
import time
from pathlib import Path

import pytest

from fake_slack import (
    CHANNEL_ID,
    TOKEN,
    FakeSlack,
    bot_config,
    error,
    rate_limited,
    server_error,
    stall,
    webhook_config,
)
from schema_support import undo_schemas_6_and_7
from warroom.clock import FrozenClock, parse_time
from warroom.comms import policy
from warroom.comms.config import CommsConfig
from warroom.comms.delivery import Deliverer, deliver_pending
from warroom.comms.outcome import Transient
from warroom.db import outbox
from warroom.db.store import Store
from warroom.errors import CommandError
from warroom.playbook import Playbook
from warroom.service import Service


def fake_sleep(clock: FrozenClock):
    async def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)
        await asyncio.sleep(0)

    return sleep


def drain(db_path: Path, config: CommsConfig, clock: FrozenClock, **options) -> Deliverer:
    """Run a console's deliverer until nothing is waiting (fake time)."""
    options.setdefault("timeout", 2.0)
    deliverer = Deliverer(
        db_path, config, clock=clock, sleep=fake_sleep(clock), rng=random.Random(7), **options
    )
    asyncio.run(asyncio.wait_for(deliverer.run(until_idle=True), 30))
    return deliverer


@pytest.fixture
def slack(clock: FrozenClock):
    with FakeSlack(now=clock.now) as fake:
        yield fake


def comms_ops(store: Store, clock: FrozenClock, playbook: Playbook, config: CommsConfig):
    return Service(store, clock, playbook, comms=config)


def declare(ops: Service, title: str = "QuickBooks sync halted"):
    return ops.declare(severity=2, title=title, author="alice", commander="alice")


def kinds(store: Store, incident_id: int | None = None) -> list[str]:
    return [m.kind for m in outbox.messages(store, incident_id)]


# -- queued with the change ------------------------------------------------------------


def test_nothing_is_queued_without_slack(ops, incident, store):
    ops.record_update(incident.id, "bob", "all good")
    assert outbox.messages(store) == []
    assert [u.delivery for u in store.updates(incident.id)] == ["recorded"]


def test_messages_are_queued_in_the_same_transaction(store, clock, playbook, slack):
    ops = comms_ops(store, clock, playbook, bot_config(slack))
    incident = declare(ops)
    # The commander's role entry queued a root edit; the declaration (the root) replaced it.
    assert kinds(store) == ["declare"]
    ops.record_update(incident.id, "bob", "workers restarted")
    ops.set_severity(incident.id, "alice", 1)
    with pytest.raises(CommandError):
        ops.set_severity(incident.id, "alice", 1)  # refused: writes nothing, queues nothing
    ops.note(incident.id, "carol", "just a note")  # notes are not posted
    ops.resolve(incident.id, "alice")
    assert kinds(store) == ["declare", "update", "severity", "root", "resolve"]
    declaration = outbox.messages(store)[0]
    assert declaration.text.startswith(":rotating_light: SEV-2 | QuickBooks sync halted")
    kind_of = {e.id: e.kind for e in store.iter_entries(incident.id)}
    entry_kinds = {m.kind: kind_of[m.entry_id] for m in outbox.messages(store) if m.entry_id}
    assert entry_kinds == {
        "declare": "declared",
        "update": "update",
        "severity": "severity",
        "resolve": "resolve",
    }


def test_a_rolled_back_change_leaves_no_message(store, clock, playbook, slack, incident):
    ops = comms_ops(store, clock, playbook, bot_config(slack))
    with pytest.raises(RuntimeError), store.write() as tx:
        outbox.enqueue(tx, incident.id, None, "slack", "update", "x", created_at=clock.now())
        raise RuntimeError("crash before commit")
    assert outbox.messages(store) == []
    ops.record_update(incident.id, "bob", "ok")
    assert kinds(store) == ["root", "update"]


# -- delivery ------------------------------------------------------------------------


def test_bot_token_threads_and_edits_the_root(store, db_path, clock, playbook, slack):
    ops = comms_ops(store, clock, playbook, bot_config(slack))
    incident = declare(ops)
    ops.record_update(incident.id, "bob", "Workers restarted <!channel> & <@U123>")
    ops.set_severity(incident.id, "alice", 1)
    ops.resolve(incident.id, "alice")

    drain(db_path, bot_config(slack), clock)

    sent = slack.posted
    assert [r.method for r in sent] == [
        "chat.postMessage",
        "chat.postMessage",
        "chat.postMessage",
        "chat.update",
        "chat.postMessage",
    ]
    assert len(slack.requests) == 5  # no retries, no duplicates
    assert not slack.reads  # nothing was in doubt: no lookups
    root_ts = sent[0].ts
    assert root_ts
    assert "thread_ts" not in sent[0].body
    assert sent[0].text.startswith(":rotating_light: SEV-2 | QuickBooks sync halted")
    assert sent[1].body["thread_ts"] == root_ts
    assert sent[1].text == (
        f"*{incident.ref} update*\nWorkers restarted &lt;!channel&gt; &amp; &lt;@U123&gt;"
    )
    assert sent[2].text.startswith(f"*{incident.ref}* severity raised: SEV-2 → SEV-1")
    assert sent[3].body["channel"] == CHANNEL_ID and sent[3].body["ts"] == root_ts
    assert "SEV-1 · RESOLVED" in sent[3].text and "IC alice" in sent[3].text
    assert "none (resolved)" in sent[3].text
    assert sent[4].text == f"*{incident.ref}* resolved: impact is over · stage detect → review"
    # At most one message a second on the channel.
    times = [r.at for r in slack.requests]
    assert all((b - a).total_seconds() >= 1 for a, b in itertools.pairwise(times))
    # The root is remembered on the incident.
    assert store.slack_root(incident.id) == (CHANNEL_ID, root_ts)
    assert {m.status for m in outbox.messages(store)} == {"delivered"}
    for request in slack.requests:
        assert request.headers["content-type"] == "application/json; charset=utf-8"
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert "link_names" not in request.body


def test_webhook_posts_without_threads_or_edits(store, db_path, clock, playbook, slack):
    config = webhook_config(slack)
    ops = comms_ops(store, clock, playbook, config)
    incident = declare(ops)
    ops.record_update(incident.id, "bob", "first")
    ops.set_stage(incident.id, "alice", "mitigate")
    ops.resolve(incident.id, "alice")
    assert "root" not in kinds(store)
    drain(db_path, config, clock)
    assert [r.method for r in slack.requests] == ["webhook"] * 3
    assert slack.texts()[1:] == [
        f"*{incident.ref} update*\nfirst",
        f"*{incident.ref}* resolved: impact is over · stage mitigate → review",
    ]
    assert all("thread_ts" not in r.body for r in slack.requests)
    assert [u.delivery for u in store.updates(incident.id)] == ["delivered"]


def test_threads_off_posts_in_the_channel_but_still_edits(store, db_path, clock, playbook, slack):
    config = bot_config(slack, threads=False)
    ops = comms_ops(store, clock, playbook, config)
    incident = declare(ops)
    ops.record_update(incident.id, "bob", "first")
    drain(db_path, config, clock)
    assert [r.method for r in slack.posted] == [
        "chat.postMessage",
        "chat.update",
        "chat.postMessage",
    ]
    assert all("thread_ts" not in r.body for r in slack.posted)


def test_stage_and_commander_changes_edit_the_root(store, db_path, clock, playbook, slack):
    config = bot_config(slack)
    ops = comms_ops(store, clock, playbook, config)
    incident = declare(ops)
    drain(db_path, config, clock)
    ops.set_stage(incident.id, "alice", "mitigate")
    ops.set_role(incident.id, "alice", "incident_commander", "dora")
    # Two changes, one edit: the edit shows the incident as it is when sent.
    assert kinds(store) == ["declare", "root"]
    drain(db_path, config, clock)
    edit = slack.posted[-1]
    assert edit.method == "chat.update"
    assert "stage Mitigate" in edit.text and "IC dora" in edit.text


def test_429_waits_retry_after_and_pauses_the_channel(store, db_path, clock, playbook, slack):
    config = bot_config(slack)
    ops = comms_ops(store, clock, playbook, config)
    first = declare(ops, "first")
    second = declare(ops, "second")
    slack.script(rate_limited(5))
    drain(db_path, config, clock)
    answered = [(r.answered, r.text.split("|")[1].split("\n")[0].strip()) for r in slack.requests]
    assert answered == [("429", "first"), ("ok", "first"), ("ok", "second")]
    t429, t_first, t_second = (r.at for r in slack.requests)
    assert (t_first - t429).total_seconds() >= 5
    assert (t_second - t429).total_seconds() >= 5  # the whole channel waited
    assert {m.status for m in outbox.messages(store)} == {"delivered"}
    assert first.id != second.id


def test_5xx_is_retried_with_backoff_until_delivered(store, db_path, clock, playbook, slack):
    config = bot_config(slack)
    ops = comms_ops(store, clock, playbook, config)
    declare(ops)
    slack.script(server_error(500), server_error(503))
    drain(db_path, config, clock)
    assert [r.answered for r in slack.requests] == ["500", "503", "ok"]
    assert len(slack.texts()) == 1
    (message,) = outbox.messages(store)
    assert message.status == "delivered" and message.attempts == 3
    gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(slack.requests)]
    assert all(gap >= 0.5 for gap in gaps)


def test_a_stalled_connection_times_out_and_is_retried(store, db_path, clock, playbook, slack):
    config = bot_config(slack)
    ops = comms_ops(store, clock, playbook, config)
    declare(ops)
    slack.script(stall(1.5))
    started = time.monotonic()
    drain(db_path, config, clock, timeout=0.4)
    assert time.monotonic() - started < 1.5
    assert [r.answered for r in slack.requests][-1] == "ok"
    assert len(slack.texts()) == 1


def test_permanent_error_fails_at_once_and_does_not_block(store, db_path, clock, playbook, slack):
    config = bot_config(slack)
    ops = comms_ops(store, clock, playbook, config)
    incident = declare(ops)
    slack.script(error("channel_not_found"))
    ops.record_update(incident.id, "bob", "second message")
    drain(db_path, config, clock)
    declaration = outbox.messages(store)[0]
    assert declaration.status == "failed" and declaration.last_error == "channel_not_found"
    assert declaration.attempts == 1
    # The later update still went (unthreaded: there is no root yet).
    assert slack.texts() == [f"*{incident.ref} update*\nsecond message"]
    assert [u.delivery for u in store.updates(incident.id)] == ["delivered"]
    status = outbox.status_summary(store, clock.now())
    assert status.state == "failed"
    assert "channel_not_found" in status.text
    assert [f.id for f in status.failed] == [declaration.id]

    assert outbox.retry_failed(store, declaration.id)
    assert not outbox.retry_failed(store, declaration.id)  # only a failed one
    drain(db_path, config, clock)
    assert outbox.messages(store)[0].status == "delivered"
    assert len(slack.texts()) == 2  # + the declaration, once
    assert outbox.status_summary(store, clock.now()).state == "delivered"


@pytest.mark.parametrize(
    "word", ["invalid_payload", "invalid_auth", "not_in_channel", "channel_is_archived"]
)
def test_permanent_error_words(store, db_path, clock, playbook, slack, word):
    config = bot_config(slack)
    declare(comms_ops(store, clock, playbook, config))
    slack.script(error(word))
    drain(db_path, config, clock)
    assert outbox.messages(store)[0].last_error == word
    assert len(slack.requests) == 1


def test_transient_errors_give_up_after_ten_minutes(store, db_path, clock, playbook, slack):
    config = bot_config(slack)
    ops = comms_ops(store, clock, playbook, config)
    declare(ops)
    slack.script(*[server_error(502)] * 200)
    drain(db_path, config, clock)
    (message,) = outbox.messages(store)
    assert message.status == "failed"
    assert message.last_error == "gave up after 10 min: HTTP 502"
    span = (slack.requests[-1].at - slack.requests[0].at).total_seconds()
    assert 600 <= span <= 601
    assert 8 <= len(slack.requests) <= 40
    assert slack.posted == []


def test_undelivered_messages_survive_a_restart(db_path, clock, playbook, slack):
    config = bot_config(slack)
    first = Store(db_path)
    ops = comms_ops(first, clock, playbook, config)
    incident = declare(ops)
    ops.record_update(incident.id, "bob", "one")
    ops.record_update(incident.id, "bob", "two")
    # A console claimed the declaration and died before it could say what happened.
    claimed = outbox.claim_next(first, "dead-console", clock.now())
    assert claimed is not None and claimed.kind == "declare"
    first.close()

    clock.advance(seconds=5)  # lease still held: nobody may take it (or what follows it)
    second = Store(db_path)
    assert outbox.claim_next(second, "console-2", clock.now()) is None
    second.close()

    clock.advance(seconds=31)
    drain(db_path, config, clock)
    assert [r.method for r in slack.posted] == [
        "chat.postMessage",
        "chat.postMessage",
        "chat.update",
        "chat.postMessage",
    ]
    assert slack.texts()[-1] == f"*{incident.ref} update*\ntwo"
    assert slack.texts()[1] == f"*{incident.ref} update*\none"
    third = Store(db_path)
    assert {m.status for m in outbox.messages(third)} == {"delivered"}
    third.close()


def test_two_consoles_never_send_the_same_message(db_path, playbook):
    with FakeSlack() as slack:
        config = bot_config(slack)
        writer = Store(db_path)
        ops = Service(writer, FrozenClock("2026-11-23T22:00:00Z"), playbook, comms=config)
        expected: dict[int, list[str]] = {}
        for n in range(4):
            incident = declare(ops, f"incident {n}")
            for k in range(6):
                ops.record_update(incident.id, "bob", f"inc {incident.id} update {k}")
            expected[incident.id] = [
                f"*{incident.ref} update*\ninc {incident.id} update {k}" for k in range(6)
            ]
        writer.close()

        def console() -> None:
            deliverer = Deliverer(
                db_path, config, timeout=2.0, min_interval=0.0, poll_interval=0.02
            )
            asyncio.run(asyncio.wait_for(deliverer.run(until_idle=True), 30))

        threads = [threading.Thread(target=console) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=40)

        posted = [r for r in slack.posted if r.method == "chat.postMessage"]
        texts = [r.text for r in posted]
        assert len(texts) == len(set(texts)) == 4 * 7  # nothing twice, nothing missing
        for updates in expected.values():
            mine = [t for t in texts if t in updates]
            assert mine == updates  # in order per incident
        owners = {m.claimed_by for m in outbox.messages(Store(db_path))}
        assert len(owners) == 2  # both consoles did some of the work


def test_pace_is_one_message_a_second_across_incidents(store, db_path, clock, playbook, slack):
    config = webhook_config(slack)
    ops = comms_ops(store, clock, playbook, config)
    for n in range(4):
        declare(ops, f"incident {n}")
    drain(db_path, config, clock)
    times = [r.at for r in slack.requests]
    assert len(times) == 4
    assert all((b - a).total_seconds() >= 1 for a, b in itertools.pairwise(times))


def test_secrets_stay_out_of_errors_status_and_the_database(
    store, db_path, clock, playbook, slack, caplog
):
    config = bot_config(slack)
    ops = comms_ops(store, clock, playbook, config)
    incident = declare(ops)
    slack.script(error(f"invalid_auth {TOKEN}"))
    ops.record_update(incident.id, "bob", "x")
    drain(db_path, config, clock)
    status = outbox.status_summary(store, clock.now())
    failed = outbox.messages(store)[0]
    assert failed.status == "failed"
    assert failed.last_error == "invalid_auth [redacted]"
    for text in (status.text, repr(status), repr(outbox.messages(store)), caplog.text):
        assert TOKEN not in text
    for path in db_path.parent.glob(db_path.name + "*"):
        assert TOKEN.encode() not in path.read_bytes()


def test_status_summary_states(store, clock, playbook, slack, incident):
    assert outbox.status_summary(store, clock.now(), enabled=False).state == "off"
    assert outbox.status_summary(store, clock.now()).state == "delivered"
    ops = comms_ops(store, clock, playbook, webhook_config(slack))
    ops.record_update(incident.id, "bob", "x")
    assert outbox.status_summary(store, clock.now()).text == "sending 1"
    message = outbox.claim_next(store, "me", clock.now())
    assert message is not None
    policy.record_outcome(
        store, message, "me", clock.now(), Transient("HTTP 500"), rng=random.Random(1)
    )
    status = outbox.status_summary(store, clock.now())
    assert status.state == "retrying" and status.last_error == "HTTP 500"
    assert status.text.startswith("retrying in ") and status.text.endswith(" s: HTTP 500")
    assert status.retry_in is not None and 0 < status.retry_in <= 1


def test_delivery_column_follows_the_outbox(store, db_path, clock, playbook, slack, incident):
    ops = comms_ops(store, clock, playbook, webhook_config(slack))
    ops.record_update(incident.id, "bob", "x")
    assert [u.delivery for u in store.updates(incident.id)] == ["pending"]
    drain(db_path, webhook_config(slack), clock)
    assert [u.delivery for u in store.updates(incident.id)] == ["delivered"]


# -- the command line's bounded pass ---------------------------------------------------


def test_deliver_pending_sends_and_returns(store, clock, playbook, slack):
    config = bot_config(slack)
    ops = comms_ops(store, clock, playbook, config)
    incident = declare(ops)
    ops.record_update(incident.id, "bob", "x")
    report = deliver_pending(store, config, deadline_seconds=5, min_interval=0.0)
    assert (report.delivered, report.failed, report.remaining) == (3, 0, 0)
    assert len(slack.posted) == 3


def test_deliver_pending_is_bounded_and_leaves_the_rest(store, clock, playbook, slack):
    config = bot_config(slack)
    declare(comms_ops(store, clock, playbook, config))
    slack.script(rate_limited(60))
    started = time.monotonic()
    report = deliver_pending(store, config, deadline_seconds=1)
    assert time.monotonic() - started < 1.5
    assert (report.delivered, report.remaining) == (0, 1)
    (message,) = outbox.messages(store)
    assert message.status == "pending" and message.last_error.startswith("rate limited")
    assert parse_time(message.not_before) > parse_time(message.first_attempt_at)


def test_cli_declare_delivers_before_exit(run_cli, tmp_path):
    db = tmp_path / "cli.db"
    with FakeSlack() as slack:
        env = {
            "WARROOM_SLACK_BOT_TOKEN": TOKEN,
            "WARROOM_SLACK_CHANNEL": "#incidents",
            "WARROOM_SLACK_API_URL": slack.api_url,
        }
        code, out, err = run_cli(
            "declare", "--sev", "2", "--title", "Uploads <!here> failing", "--db", db, env=env
        )
        assert (code, out, err) == (0, "INC-1\n", "")
        assert len(slack.posted) == 1
        assert "Uploads &lt;!here&gt; failing" in slack.texts()[0]

        code, out, err = run_cli("log", "1", "restarted", "--db", db, env=env)
        assert (code, out, err) == (0, "INC-1 #3\n", "")  # a note is not posted

        # Slack says "later": declare still succeeds at once, says so in one line,
        # and leaves the message queued for the next console or command.
        slack.script(rate_limited(120))
        started = time.monotonic()
        code, out, err = run_cli("declare", "--sev", "3", "--title", "second", "--db", db, env=env)
        assert code == 0 and out == "INC-2\n"
        assert time.monotonic() - started < 10
        assert err.count("\n") == 1 and "not delivered yet" in err
        assert TOKEN not in err
        check = Store(db)
        assert [m.status for m in outbox.messages(check, 2)] == ["pending"]
        check.close()


def test_deliver_pending_with_slack_unreachable(store, clock, playbook):
    from warroom.comms.config import SlackSettings

    config = CommsConfig(
        slack=SlackSettings(bot_token=TOKEN, channel="#x", api_url="http://127.0.0.1:9/api")
    )
    declare(comms_ops(store, clock, playbook, config))
    started = time.monotonic()
    report = deliver_pending(store, config, deadline_seconds=1.5, timeout=0.5)
    assert time.monotonic() - started < 2.5
    assert report.remaining == 1
    (message,) = outbox.messages(store)
    assert message.status == "pending" and message.last_error.startswith("connection error")
    assert TOKEN not in message.last_error


def test_a_command_without_slack_settings_queues_on_a_database_used_with_slack(run_cli, tmp_path):
    """Whether a change is announced never depends on which command made it: once
    the database has been used with Slack, a command without the settings queues
    (and says so), and the next one that has them sends it."""
    db = tmp_path / "cli.db"
    with FakeSlack() as slack:
        env = {
            "WARROOM_SLACK_BOT_TOKEN": TOKEN,
            "WARROOM_SLACK_CHANNEL": CHANNEL_ID,
            "WARROOM_SLACK_API_URL": slack.api_url,
        }
        assert run_cli("declare", "--sev", "2", "--title", "first", "--db", db, env=env)[0] == 0
        assert len(slack.posted) == 1

        code, out, err = run_cli("declare", "--sev", "3", "--title", "second", "--db", db)
        assert (code, out) == (0, "INC-2\n")
        assert err == (
            "warroom: 1 message(s) queued for Slack; Slack is not configured here:"
            " a console or command that has the settings sends them\n"
        )
        check = Store(db)
        assert [(m.kind, m.status) for m in outbox.messages(check, 2)] == [("declare", "pending")]
        assert check.setting("slack_mode") == "bot"
        for path in db.parent.glob(db.name + "*"):  # the settings never hold a secret
            assert TOKEN.encode() not in path.read_bytes()
        check.close()
        # A note announces nothing, with or without settings: no line about Slack.
        assert run_cli("log", "2", "looking", "--db", db) == (0, "INC-2 #3\n", "")

        assert run_cli("log", "2", "still looking", "--db", db, env=env)[0] == 0
        assert [t.split("\n")[0] for t in slack.texts()[1:]] == [":rotating_light: SEV-3 | second"]
        check = Store(db)
        assert {m.status for m in outbox.messages(check, 2)} == {"delivered"}
        check.close()


def test_a_429_pause_of_an_older_database_is_kept_as_paused_until(
    store, db_path, clock, playbook, slack
):
    """Schema 6 moved the pause out of the error text: a database upgraded while
    Slack had asked it to wait keeps waiting, and only on that channel."""
    import sqlite3

    config = bot_config(slack)
    declare(comms_ops(store, clock, playbook, config))
    slack.script(rate_limited(60))
    deliver_pending(store, config, clock, deadline_seconds=0.5)
    (message,) = outbox.messages(store)
    assert message.last_error.startswith("rate limited")
    store.close()
    conn = sqlite3.connect(db_path)
    undo_schemas_6_and_7(conn)
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    upgraded = Store(db_path)
    try:
        ops = comms_ops(upgraded, clock, playbook, config)
        ops.declare(severity=3, title="second", author="alice")  # same channel, other incident
        clock.advance(seconds=30)
        assert outbox.claim_next(upgraded, "me", clock.now(), min_interval=0.0) is None
        clock.advance(seconds=31)
        claimed = outbox.claim_next(upgraded, "me", clock.now(), min_interval=0.0)
        assert claimed is not None and claimed.id == message.id
    finally:
        upgraded.close()


# -- a channel message of no incident (warroom report --post, schema 11) -----------------


def test_a_channel_message_goes_to_the_channel_never_a_thread(
    store, db_path, clock, playbook, slack
):
    """A console's worker delivers a queued report like any message: to the channel
    itself (no thread even with threads on), escaped, tagged for a later lookup,
    after and beside the incident's own queue, once."""
    from warroom.comms.queueing import queue_channel_message

    ops = comms_ops(store, clock, playbook, bot_config(slack))
    incident = declare(ops)
    ops.record_update(incident.id, "bob", "Investigating.")
    report_id = queue_channel_message(store, "report", "*Weekly* <!channel> & co", clock.now())
    assert outbox.get(store, report_id).incident_id is None
    assert [w.describe() for w in outbox.waiting(store)][-1] == "channel report (slack): queued"
    # One incident's view of the outbox does not count the channel's message.
    assert outbox.pending_count(store, incident.id) == outbox.pending_count(store) - 1

    drain(db_path, bot_config(slack), clock)

    posts = [r for r in slack.posted if r.method == "chat.postMessage"]
    report = [r for r in posts if "Weekly" in r.text]
    assert len(report) == 1 and len(posts) == 3
    assert "thread_ts" not in report[0].body
    assert report[0].text == "*Weekly* &lt;!channel&gt; &amp; co"
    assert report[0].body["metadata"]["event_payload"]["outbox_id"] == report_id
    assert outbox.get(store, report_id).status == "delivered"
    # The incident's thread still threads under its root.
    assert posts[1].body.get("thread_ts") == posts[0].ts


def test_an_outbox_row_names_an_incident_unless_it_is_a_channel_message(store, clock):
    with pytest.raises(ValueError), store.write() as tx:
        outbox.enqueue(tx, None, None, "slack", "update", "x", created_at=clock.now())
    with pytest.raises(ValueError), store.write() as tx:
        outbox.enqueue(tx, 1, None, "slack", "report", "x", created_at=clock.now())


def test_a_schema_10_outbox_upgrades_with_every_row_kept(db_path, clock, playbook, slack):
    """Migration 10 rebuilds the outbox (incident_id nullable): ids, texts, statuses,
    look_first and paused_until all kept; the index is back."""
    import sqlite3

    store = Store(db_path)
    ops = comms_ops(store, clock, playbook, bot_config(slack))
    incident = declare(ops)
    ops.record_update(incident.id, "bob", "Investigating.")
    before = [(m.id, m.incident_id, m.kind, m.text, m.status) for m in outbox.messages(store)]
    store.close()
    conn = sqlite3.connect(db_path)
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'outbox'").fetchone()
    conn.execute("UPDATE outbox SET look_first = 1, paused_until = 'x' WHERE id = 1")
    # Back to schema 10's table (before 11): incident_id NOT NULL.
    conn.execute("ALTER TABLE outbox RENAME TO outbox_11")
    conn.execute(
        sql.replace("incident_id INTEGER REFERENCES", "incident_id INTEGER NOT NULL REFERENCES")
    )
    conn.execute("INSERT INTO outbox SELECT * FROM outbox_11")
    conn.execute("DROP TABLE outbox_11")
    conn.execute("PRAGMA user_version = 10")
    conn.commit()
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO outbox (channel, kind, text, created_at)"
            " VALUES ('slack', 'report', 'x', 'y')"
        )
    conn.close()

    upgraded = Store(db_path)
    try:
        after = [(m.id, m.incident_id, m.kind, m.text, m.status) for m in outbox.messages(upgraded)]
        assert after == before
        assert outbox.get(upgraded, 1).look_first == 1
        indexes = {row[1] for row in upgraded.conn.execute("PRAGMA index_list(outbox)")}
        assert "idx_outbox_status_incident_id_id" in indexes
        from warroom.comms.queueing import queue_channel_message

        assert outbox.get(upgraded, queue_channel_message(upgraded, "report", "x", clock.now()))
    finally:
        upgraded.close()
