"""Updates that chase their owner: an update overdue by ``[slack]
escalate_after_minutes`` sends one reminder to the comms lead in the incident's
Slack thread, mentioning them by Slack user ID only from ``[slack.people]``.

Slack is a fake server on 127.0.0.1 (tests/fake_slack.py).
"""

from __future__ import annotations

import time

import pytest

from console_support import DEMO_NOW, screen_text
from fake_slack import TOKEN, FakeSlack
from warroom.clock import FrozenClock
from warroom.comms.config import CommsConfig, SlackSettings, load_comms_config
from warroom.comms.slack import render_mrkdwn
from warroom.db.store import Store
from warroom.demo import seed_demo
from warroom.errors import WarroomError
from warroom.playbook import default_playbook
from warroom.service import Service
from warroom.tui.app import WarroomApp

BOB = "U024BE7LH"


def chasing_app(path, slack: FakeSlack, clock: FrozenClock, people: dict[str, str]) -> WarroomApp:
    store = Store(path)
    seed_demo(store, default_playbook(), clock)  # bob is comms lead; an update is due 22:47
    config = CommsConfig(
        slack=SlackSettings(
            bot_token=TOKEN, channel="C0123456789", api_url=slack.api_url, people=people
        )
    )
    return WarroomApp(store=store, user="carol", clock=clock, comms=config, cursor_blink=False)


async def wait_until(pilot, predicate, timeout: float = 8.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await pilot.pause(0.05)
    return predicate()


def reminders(slack: FakeSlack) -> list:
    return [r for r in slack.posted if "reminder to Communications Lead" in r.text]


async def test_an_overdue_update_chases_the_comms_lead_once_with_a_mention(tmp_path):
    clock = FrozenClock(DEMO_NOW)  # 22:42:17; the update is due at 22:47:00
    with FakeSlack() as slack:
        app = chasing_app(tmp_path / "w.db", slack, clock, {"bob": BOB})
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            assert app.screen.incident.next_update_due == "2026-11-23T22:47:00Z"
            clock.set("2026-11-23T22:51:59Z")  # overdue, not yet by 5 minutes
            await pilot.pause(1.3)
            assert reminders(slack) == []
            clock.set("2026-11-23T22:52:00Z")
            assert await wait_until(pilot, lambda: reminders(slack))
            (reminder,) = reminders(slack)
            assert reminder.text == (
                f"<@{BOB}> *INC-1* reminder to Communications Lead bob (mentioned in Slack):"
                " the stakeholder update due at 22:47Z is 5 min overdue"
            )
            clock.set("2026-11-23T22:59:00Z")
            await pilot.pause(2.5)  # more ticks, later: still once for this deadline
            assert len(reminders(slack)) == 1
            entries = app.store.entries_of_kinds(1, ["reminder"])
            assert len(entries) == 1 and entries[0].author == "warroom"
            assert "reminder to Communications Lead bob" in screen_text(app)


async def test_without_a_mapping_it_names_the_role_in_plain_text(tmp_path):
    clock = FrozenClock(DEMO_NOW)
    with FakeSlack() as slack:
        app = chasing_app(tmp_path / "w.db", slack, clock, {"alice": "U0ALICE01"})
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            clock.set("2026-11-23T22:52:30Z")
            assert await wait_until(pilot, lambda: reminders(slack))
            (reminder,) = reminders(slack)
            assert "<@" not in reminder.text
            assert reminder.text.startswith("*INC-1* reminder to Communications Lead bob:")


def test_once_per_missed_deadline_however_many_consoles_ask(store, clock, playbook):
    ops = Service(store, clock, playbook)
    incident = ops.declare(severity=2, title="t", author="alice")
    ops.set_role(incident.id, "alice", "communications_lead", "bob")
    assert ops.chase_update(incident.id, after_minutes=5, people={}) is None  # not overdue
    assert incident.next_update_due == "2026-11-23T22:15:00Z"
    clock.set("2026-11-23T22:19:59Z")
    assert ops.chase_update(incident.id, after_minutes=5, people={}) is None
    clock.advance(seconds=1)
    other = Service(store, clock, playbook)  # a second console
    first = ops.chase_update(incident.id, after_minutes=5, people={})
    assert first is not None and first.kind == "reminder"
    assert other.chase_update(incident.id, after_minutes=5, people={}) is None
    # A new update, missed again: a new reminder.
    ops.record_update(incident.id, "bob", "still failing over")
    clock.advance(minutes=35)
    assert ops.chase_update(incident.id, after_minutes=5, people={}) is not None
    assert len(store.entries_of_kinds(incident.id, ["reminder"])) == 2


def test_the_mention_is_only_ever_a_slack_user_id():
    assert render_mrkdwn("reminder", f"{BOB}\nreminder <!channel>", "INC-1") == (
        f"<@{BOB}> *INC-1* reminder &lt;!channel&gt;"
    )
    assert render_mrkdwn("reminder", "<!channel>\nx", "INC-1") == "*INC-1* x"
    assert render_mrkdwn("reminder", "\nx", "INC-1") == "*INC-1* x"


def test_people_and_escalation_in_the_config_file(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(
        '[slack]\nwebhook_url = "https://hooks.slack.com/services/T/B/X"\n'
        'escalate_after_minutes = 3\n[slack.people]\nbob = "U024BE7LH"\n'
    )
    config.chmod(0o600)
    slack = load_comms_config(environ={}, path=config).slack
    assert slack.escalate_after_minutes == 3 and slack.people == {"bob": "U024BE7LH"}
    config.write_text('[slack.people]\nbob = "<!channel>"\n')
    with pytest.raises(WarroomError) as caught:
        load_comms_config(environ={}, path=config)
    assert "Slack user ID" in str(caught.value)
    assert (
        load_comms_config(environ={}, path=tmp_path / "none.toml").slack.escalate_after_minutes == 5
    )


def test_the_reminder_goes_into_the_incidents_thread(store, clock, playbook):
    from fake_slack import bot_config
    from warroom.comms.delivery import deliver_pending

    with FakeSlack() as slack:
        config = bot_config(slack)
        config.slack.people["bob"] = BOB
        ops = Service(store, clock, playbook, comms=config)
        incident = ops.declare(severity=2, title="t", author="alice")
        ops.set_role(incident.id, "alice", "communications_lead", "bob")
        deliver_pending(store, config, clock, playbook=playbook, min_interval=0)
        (root,) = [r for r in slack.posted if r.method == "chat.postMessage"]
        clock.advance(minutes=35)
        assert ops.chase_update(incident.id, after_minutes=5, people=config.slack.people)
        deliver_pending(store, config, clock, playbook=playbook, min_interval=0)
        (reminder,) = reminders(slack)
        assert reminder.body["thread_ts"] == root.ts
        assert reminder.text.startswith(f"<@{BOB}> *INC-1* reminder to Communications Lead bob")
