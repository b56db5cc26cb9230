"""Slack never shows a message twice, however slowly it answers (issue 8, item 2).

Slack has no idempotency key. With a bot token every message carries its
outbox id in Slack message metadata, and after an attempt that may have posted
(no answer in time, a connection dropped after sending, a 5xx, a console that
stopped mid-send) the outbox looks in the channel or the thread before sending
again. A webhook cannot be read back: a request that got no answer at all is
"may not have arrived" until a person sends it again on purpose (f4).

The fake Slack (tests/fake_slack.py) takes a *slow* post at once and answers
after the client has given up, exactly the case that used to post twice.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from fake_slack import (
    CHANNEL_ID,
    FakeSlack,
    bot_config,
    dropped,
    error,
    ok,
    server_error,
    slow,
    stall,
    webhook_config,
)
from schema_support import undo_schemas_6_and_7
from warroom.clock import FrozenClock
from warroom.comms.config import CommsConfig
from warroom.comms.delivery import Deliverer, deliver_pending, prepare
from warroom.comms.outcome import Delivered
from warroom.comms.slack import SlackClient
from warroom.db import outbox
from warroom.db.store import Store
from warroom.playbook import Playbook
from warroom.service import Service

#: The client gives up after this long; a slow Slack answers after 1.5 s.
TIMEOUT = 0.4


def fake_sleep(clock: FrozenClock):
    async def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)
        await asyncio.sleep(0)

    return sleep


def drain(store: Store, config: CommsConfig, clock: FrozenClock) -> Deliverer:
    """The console's worker, on the given (the console's own) store, until idle."""
    deliverer = Deliverer(
        store, config, clock=clock, sleep=fake_sleep(clock), rng=random.Random(7), timeout=TIMEOUT
    )
    asyncio.run(asyncio.wait_for(deliverer.run(until_idle=True), 30))
    return deliverer


@pytest.fixture
def slack(clock: FrozenClock):
    with FakeSlack(now=clock.now) as fake:
        yield fake


def declare(store: Store, clock: FrozenClock, playbook: Playbook, config: CommsConfig):
    ops = Service(store, clock, playbook, comms=config)
    return ops, ops.declare(severity=2, title="QuickBooks sync halted", author="alice")


def post_texts(slack: FakeSlack) -> list[str]:
    return [r.text for r in slack.posted if r.method != "chat.update"]


# -- bot token: look before sending again ---------------------------------------------


@pytest.mark.parametrize("fault", [slow(1.5), dropped()], ids=["slow", "dropped"])
def test_a_declaration_slack_took_but_never_confirmed_is_posted_once(
    store, clock, playbook, slack, fault
):
    config = bot_config(slack)
    _ops, incident = declare(store, clock, playbook, config)
    slack.script(fault)
    drain(store, config, clock)

    assert len(post_texts(slack)) == 1, post_texts(slack)
    assert slack.duplicates() == 0
    (request,) = [r for r in slack.posted if r.method == "chat.postMessage"]
    (message,) = outbox.messages(store, incident.id)
    # Tagged with its outbox id (and this database's id) in Slack message metadata.
    metadata = request.body["metadata"]
    assert metadata["event_type"] == "warroom_outbox"
    assert metadata["event_payload"]["outbox_id"] == message.id
    assert metadata["event_payload"]["database"] == store.setting("database_id")
    # Found by a lookup with metadata, and recorded with Slack's ts.
    (read,) = slack.reads
    assert read.path.endswith("/conversations.history")
    assert read.query["include_all_metadata"] == "true"
    assert read.query["channel"] == CHANNEL_ID
    assert message.status == "delivered" and message.remote_id == request.ts
    assert not message.look_first
    # A root found this way still roots the thread.
    assert store.slack_root(1) == (CHANNEL_ID, request.ts)


def test_an_update_in_the_thread_is_looked_for_in_the_thread(store, clock, playbook, slack):
    config = bot_config(slack)
    ops, incident = declare(store, clock, playbook, config)
    drain(store, config, clock)
    root_ts = slack.posted[0].ts
    ops.record_update(incident.id, "bob", "Failing over now.")
    slack.script(ok(), slow(1.5))  # the root's edit goes first (queued by the entry)
    drain(store, config, clock)

    updates = [t for t in post_texts(slack) if "update*" in t]
    assert updates == [f"*{incident.ref} update*\nFailing over now."]
    (read,) = slack.reads
    assert read.path.endswith("/conversations.replies") and read.query["ts"] == root_ts
    assert store.updates(incident.id)[-1].delivery == "delivered"


@pytest.mark.parametrize("fault", [stall(1.5), server_error(503)], ids=["stall", "5xx"])
def test_a_message_slack_did_not_take_is_sent_again_after_looking(
    store, clock, playbook, slack, fault
):
    """No answer (or a 5xx) and nothing in the channel: it is sent again, once."""
    config = bot_config(slack)
    declare(store, clock, playbook, config)
    slack.script(fault)
    drain(store, config, clock)
    assert len(post_texts(slack)) == 1
    assert [r.answered for r in slack.reads] == ["ok"]
    assert outbox.messages(store)[0].status == "delivered"


def test_a_console_that_died_mid_send_is_looked_for_before_it_is_sent_again(
    store, clock, playbook, slack
):
    config = bot_config(slack)
    declare(store, clock, playbook, config)
    # Another console claimed it, sent it, and died before it could record the answer.
    claimed = outbox.claim_next(store, "dead-console", clock.now())
    assert claimed is not None
    client = SlackClient(config, timeout=TIMEOUT)
    assert isinstance(
        client.send(prepare(store, config, playbook, claimed, clock.now())), Delivered
    )
    client.close()
    clock.advance(seconds=outbox.LEASE.total_seconds() + 1)
    drain(store, config, clock)
    assert len(post_texts(slack)) == 1
    assert len(slack.reads) == 1
    assert outbox.messages(store)[0].status == "delivered"


def test_a_channel_set_by_name_learns_its_id_and_can_then_look(store, clock, playbook, slack):
    config = bot_config(slack, channel="#incidents")
    _ops, incident = declare(store, clock, playbook, config)
    drain(store, config, clock)  # answered: Slack's answer names the channel's id
    assert store.setting("slack_channel_id:#incidents") == CHANNEL_ID
    ops2 = Service(store, clock, playbook, comms=bot_config(slack, channel="#incidents"))
    second = ops2.declare(severity=3, title="second", author="alice")
    slack.script(slow(1.5))
    drain(store, config, clock)
    assert len(post_texts(slack)) == 2 and slack.duplicates() == 0
    assert outbox.messages(store, second.id)[0].status == "delivered"
    assert incident.id != second.id


def test_with_nowhere_to_look_it_may_not_have_arrived_and_f4_sends_it(
    store, clock, playbook, slack
):
    """A channel set by name whose id is not known yet cannot be read back: the
    message is not sent again by itself; a person sends it (f4)."""
    config = bot_config(slack, channel="#incidents")
    _ops, incident = declare(store, clock, playbook, config)
    slack.script(stall(1.5))
    drain(store, config, clock)
    (message,) = outbox.messages(store, incident.id)
    assert message.status == "unsure"
    assert "by its ID" in message.last_error
    assert post_texts(slack) == []
    status = outbox.status_summary(store, clock.now())
    assert status.state == "unsure" and "1 may not have arrived" in status.text

    retried = outbox.retry_now(store)
    assert [(m.id, m.status) for m in retried] == [(message.id, "unsure")]
    drain(store, config, clock)
    assert len(post_texts(slack)) == 1
    assert outbox.messages(store, incident.id)[0].status == "delivered"


def test_slack_refusing_the_lookup_leaves_it_for_a_person(store, clock, playbook, slack):
    config = bot_config(slack)
    declare(store, clock, playbook, config)
    slack.script(slow(1.5))
    slack.script_reads(error("missing_scope"))
    drain(store, config, clock)
    assert len(post_texts(slack)) == 1  # the slow one, never a second
    (message,) = outbox.messages(store)
    assert message.status == "unsure" and "missing_scope" in message.last_error


def test_a_lookup_that_fails_is_tried_again_and_never_sends_blind(store, clock, playbook, slack):
    config = bot_config(slack)
    declare(store, clock, playbook, config)
    slack.script(slow(1.5))
    slack.script_reads(server_error(502), stall(1.0))
    drain(store, config, clock)
    assert len(post_texts(slack)) == 1
    assert [r.answered for r in slack.reads] == ["502", "stalled", "ok"]
    assert outbox.messages(store)[0].status == "delivered"


def test_after_f4_it_still_looks_as_far_back_as_the_message_was_queued(
    store, clock, playbook, slack
):
    """A message that failed after ten minutes of doubt, retried much later (f4),
    is looked for from when it was queued: not posted a second time."""
    config = bot_config(slack)
    declare(store, clock, playbook, config)
    slack.script(slow(1.0))  # posted at once, never confirmed
    slack.script_reads(*[server_error(502)] * 500)  # and no way to look, for a while
    drain(store, config, clock)
    (message,) = outbox.messages(store)
    assert message.status == "failed" and message.look_first
    slack.clear_read_script()
    clock.advance(minutes=45)
    outbox.retry_now(store)
    drain(store, config, clock)
    assert len(post_texts(slack)) == 1
    assert outbox.messages(store)[0].status == "delivered"


def test_the_command_lines_pass_looks_too(store, clock, playbook, slack):
    config = bot_config(slack)
    declare(store, clock, playbook, config)
    slack.script(slow(1.5))
    report = deliver_pending(
        store,
        config,
        clock,
        deadline_seconds=5,
        timeout=TIMEOUT,
        min_interval=0.0,
        sleep=lambda seconds: clock.advance(seconds=seconds),
    )
    assert (report.delivered, report.remaining) == (1, 0)
    assert len(post_texts(slack)) == 1 and len(slack.reads) == 1


def test_many_slow_answers_never_post_twice(store, clock, playbook, slack):
    """Every post of an incident answered too late, or dropped: each shows once."""
    config = bot_config(slack)
    ops, incident = declare(store, clock, playbook, config)
    for n in range(3):
        ops.record_update(incident.id, "bob", f"update {n}")
    ops.set_severity(incident.id, "alice", 1)
    ops.resolve(incident.id, "alice")
    slack.script(*[slow(1.0), dropped()] * 10)
    drain(store, config, clock)
    assert slack.duplicates() == 0
    assert len(post_texts(slack)) == 6
    assert {m.status for m in outbox.messages(store)} == {"delivered"}


# -- webhook: nowhere to look -------------------------------------------------------------


@pytest.mark.parametrize("fault", [slow(1.5), dropped(), stall(1.5)], ids=str)
def test_a_webhook_post_without_an_answer_is_not_sent_again_by_itself(
    store, clock, playbook, slack, fault
):
    config = webhook_config(slack)
    declare(store, clock, playbook, config)
    slack.script(fault)
    drain(store, config, clock)
    assert len(slack.requests) == 1  # one try, then it waits for a person
    (message,) = outbox.messages(store)
    assert message.status == "unsure"
    assert message.last_error.startswith("may not have arrived")
    assert outbox.pending_count(store) == 0

    retried = outbox.retry_now(store)  # f4: sent again, on purpose
    assert retried[0].describe().startswith("INC-1 declare (slack): may not have")
    drain(store, config, clock)
    assert len(slack.requests) == 2
    assert outbox.messages(store)[0].status == "delivered"


def test_a_webhook_5xx_is_still_retried_as_slack_asks(store, clock, playbook, slack):
    config = webhook_config(slack)
    declare(store, clock, playbook, config)
    slack.script(server_error(500), server_error(503))
    drain(store, config, clock)
    assert [r.answered for r in slack.requests] == ["500", "503", "ok"]
    assert outbox.messages(store)[0].status == "delivered"


def test_a_webhook_post_of_a_console_that_died_mid_send_may_not_have_arrived(
    store, clock, playbook, slack
):
    config = webhook_config(slack)
    declare(store, clock, playbook, config)
    assert outbox.claim_next(store, "dead-console", clock.now()) is not None
    clock.advance(seconds=outbox.LEASE.total_seconds() + 1)
    drain(store, config, clock)
    assert slack.requests == []
    assert outbox.messages(store)[0].status == "unsure"


def test_f4_sends_everything_waiting_now(store, clock, playbook, slack):
    """Backing off, failed and may-not-have-arrived all go now; a 429 pause stays."""
    config = webhook_config(slack)
    ops, incident = declare(store, clock, playbook, config)
    ops.record_update(incident.id, "bob", "one")
    ops.record_update(incident.id, "bob", "two")
    slack.script(error("channel_not_found"), dropped(), server_error(500))
    deliverer = Deliverer(
        store, config, playbook=playbook, clock=clock, timeout=TIMEOUT, min_interval=0.0
    )

    async def three_steps() -> None:
        async with deliverer.session():
            for _ in range(3):
                assert await deliverer.step()

    asyncio.run(three_steps())
    states = [m.status for m in outbox.messages(store)]
    assert states == ["failed", "unsure", "pending"]
    assert outbox.messages(store)[2].not_before is not None  # backing off
    waiting = outbox.waiting(store)
    assert [w.describe().split(": ", 1)[1] for w in waiting] == [
        "failed — channel_not_found",
        "may not have arrived — connection dropped, no answer (RemoteProtocolError)",
        "backing off — HTTP 500",
    ]
    retried = outbox.retry_now(store)
    assert len(retried) == 3
    after = outbox.messages(store)
    assert [m.status for m in after] == ["pending"] * 3
    assert all(m.not_before is None for m in after)
    drain(store, config, clock)
    assert {m.status for m in outbox.messages(store)} == {"delivered"}


def test_a_schema_3_database_upgrades_with_a_database_id(tmp_path: Path):
    import sqlite3

    from warroom.db.store import SCHEMA_VERSION

    path = tmp_path / "old.db"
    store = Store(path)
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE settings")
    conn.execute("ALTER TABLE outbox DROP COLUMN look_first")
    # What schema 5 added, too (issue 9's facts that change during a call).
    conn.execute("DROP INDEX idx_entries_happened")
    conn.execute("ALTER TABLE updates DROP COLUMN mitigation")
    conn.execute("ALTER TABLE incidents DROP COLUMN resolved_from_stage")
    undo_schemas_6_and_7(conn)
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    upgraded = Store(path)
    assert len(upgraded.setting("database_id") or "") == 16
    assert upgraded.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 11
    upgraded.close()
