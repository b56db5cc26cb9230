"""The console with Slack configured: updates go out, trouble shows, f4 retries.

Slack is a fake server on 127.0.0.1 (tests/fake_slack.py); nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import time

from console_support import DEMO_NOW, screen_text
from fake_slack import TOKEN, FakeSlack, error
from warroom.clock import FrozenClock
from warroom.comms.config import CommsConfig, SlackSettings
from warroom.db.store import Store
from warroom.demo import seed_demo
from warroom.playbook import default_playbook
from warroom.tui.app import WarroomApp


def slack_app(path, slack: FakeSlack) -> WarroomApp:
    clock = FrozenClock(DEMO_NOW)
    store = Store(path)
    seed_demo(store, default_playbook(), clock)  # seeded before Slack was set up
    config = CommsConfig(
        slack=SlackSettings(bot_token=TOKEN, channel="#incidents", api_url=slack.api_url)
    )
    return WarroomApp(store=store, user="bob", clock=clock, comms=config, cursor_blink=False)


def status_text(app: WarroomApp) -> str:
    """The delivery indicator's whole text (on screen it may wrap)."""
    return str(app.screen.query_one("#comms-status").render())


def countdown_text(app: WarroomApp) -> str:
    """What the countdown pane says under its digits about undelivered updates."""
    return str(app.screen.query_one("#countdown-delivery").render())


async def wait_until(pilot, predicate, timeout: float = 8.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await pilot.pause(0.05)
    return predicate()


async def test_an_update_goes_to_slack_escaped_and_the_status_says_delivered(tmp_path):
    with FakeSlack() as slack:
        app = slack_app(tmp_path / "w.db", slack)
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            assert "Slack: " in screen_text(app)
            await pilot.press("ctrl+u")
            await pilot.pause()
            app.screen.query_one("#update-text").text = "Mitigation: <!channel> & <@U1> ok"
            await pilot.press("ctrl+s")
            assert await wait_until(pilot, lambda: slack.posted)
            (request,) = [r for r in slack.posted if r.method == "chat.postMessage"]
            assert request.text.endswith("Mitigation: &lt;!channel&gt; &amp; &lt;@U1&gt; ok")
            assert "<!channel>" not in request.raw.decode()
            assert "link_names" not in request.body
            assert await wait_until(pilot, lambda: "Slack: delivered" in screen_text(app))
            assert TOKEN not in screen_text(app)
            assert app.store.updates(1)[-1].delivery == "delivered"


async def test_a_permanent_error_shows_slacks_word_and_f4_retries_it(tmp_path):
    with FakeSlack() as slack:
        slack.script(error("channel_not_found"))
        app = slack_app(tmp_path / "w.db", slack)
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            await pilot.press(*"/sev 2", "enter")
            assert await wait_until(pilot, lambda: "channel_not_found" in screen_text(app))
            status = str(app.screen.query_one("#comms-status").render())
            assert "f4 retries" in status, status
            assert not slack.posted
            await pilot.press("f4")
            assert await wait_until(pilot, lambda: slack.posted)
            assert "severity lowered: SEV-1 → SEV-2" in slack.posted[0].text
            assert await wait_until(pilot, lambda: "Slack: delivered" in screen_text(app))


async def test_a_stalled_slack_never_stalls_the_screen(tmp_path):
    """While Slack hangs, typing still commits at once."""
    from fake_slack import stall

    with FakeSlack() as slack:
        slack.script(stall(3.0))
        app = slack_app(tmp_path / "w.db", slack)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await pilot.press(*"/sev 2", "enter")
            await asyncio.sleep(0.3)  # the post is now hanging
            await pilot.press(*"still typing")
            await pilot.press("enter")
            # Committed while Slack still holds the request: Enter did not wait for it.
            count = app.store.incident(1).entry_count
            assert app.store.entry(1, count).text == "still typing"
            assert [r.answered for r in slack.requests] == ["pending"]


# -- queued is not delivered (issue 8, items 2 and 7) ----------------------------------


async def test_an_update_not_delivered_yet_is_shown_so_until_it_is_and_f4_sends_it_now(tmp_path):
    """Slack is down: the countdown pane says the recorded update has not gone out,
    f4 sends what is waiting now (not "no failed messages"), and once Slack takes
    it the pane says nothing more."""
    from fake_slack import server_error

    with FakeSlack() as slack:
        slack.script(*[server_error(500)] * 50)
        app = slack_app(tmp_path / "w.db", slack)
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+u")
            await pilot.pause()
            app.screen.query_one("#update-text").text = "Failing over to the replica."
            await pilot.press("ctrl+s")
            assert await wait_until(pilot, lambda: len(slack.requests) >= 1)
            assert await wait_until(pilot, lambda: "not delivered yet" in countdown_text(app))
            assert countdown_text(app) == "update of 22:42Z\nnot delivered yet"
            assert "not delivered yet" in screen_text(app)
            assert app.store.updates(1)[-1].delivery == "pending"
            slack.clear_script()
            notes: list[str] = []
            app.notify = lambda message, **kw: notes.append(f"{kw.get('title')}: {message}")  # type: ignore[method-assign]
            await pilot.press("f4")
            assert notes and notes[0].startswith("Sending 1 message(s) now"), notes
            assert "INC-1 update (slack): backing off — HTTP 500" in notes[0]
            assert await wait_until(pilot, lambda: app.store.updates(1)[-1].delivery == "delivered")
            assert await wait_until(pilot, lambda: countdown_text(app) == "")
            assert "not delivered" not in screen_text(app)
            assert await wait_until(pilot, lambda: "Slack: delivered" in screen_text(app))
            assert [r.text for r in slack.posted].count(
                "*INC-1 update*\nFailing over to the replica."
            ) == 1


async def test_a_webhook_post_without_an_answer_may_not_have_arrived_until_f4(tmp_path):
    from fake_slack import dropped, webhook_config

    with FakeSlack() as slack:
        clock = FrozenClock(DEMO_NOW)
        store = Store(tmp_path / "w.db")
        seed_demo(store, default_playbook(), clock)
        app = WarroomApp(
            store=store, user="bob", clock=clock, comms=webhook_config(slack), cursor_blink=False
        )
        slack.script(dropped())
        async with app.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            await pilot.press(*"/sev 2", "enter")
            assert await wait_until(pilot, lambda: "may not have arrived" in status_text(app))
            status = status_text(app)
            assert "1 may not have arrived" in status and "f4 resends" in status, status
            await asyncio.sleep(1.5)  # not sent again by itself
            assert len(slack.requests) == 1
            notes: list[str] = []
            app.notify = lambda message, **kw: notes.append(message)  # type: ignore[method-assign]
            await pilot.press("f4")
            assert "may not have arrived" in notes[0] and "on purpose" in notes[0], notes
            assert await wait_until(pilot, lambda: len(slack.requests) == 2)
            assert await wait_until(pilot, lambda: "Slack: delivered" in screen_text(app))


async def test_a_console_without_slack_settings_queues_and_says_messages_wait(tmp_path):
    """Once a database has been used with Slack, a console without the settings
    still queues what announces, and says messages are waiting (not "off");
    a console or command with the settings delivers them."""
    from fake_slack import bot_config
    from warroom.comms.delivery import deliver_pending
    from warroom.db import outbox
    from warroom.service import Service

    path = tmp_path / "w.db"
    clock = FrozenClock(DEMO_NOW)
    with FakeSlack() as slack:
        configured = Store(path)
        seed_demo(configured, default_playbook(), clock)
        Service(configured, clock, default_playbook(), comms=bot_config(slack)).note(1, "bob", "x")
        assert configured.setting("slack_mode") is None  # a note announces nothing
        Service(configured, clock, default_playbook(), comms=bot_config(slack)).set_severity(
            1, "bob", 2
        )
        assert configured.setting("slack_mode") == "bot"
        deliver_pending(configured, bot_config(slack), deadline_seconds=5, min_interval=0.0)
        assert outbox.pending_count(configured) == 0

        bare = WarroomApp(store=Store(path), user="dan", clock=clock, cursor_blink=False)
        async with bare.run_test(size=(160, 48)) as pilot:
            await pilot.pause()
            assert "Slack: off" in screen_text(bare)  # nothing waits yet
            await pilot.press(*"/sev 1", "enter")
            assert await wait_until(
                pilot, lambda: status_text(bare) == "Slack: 2 waiting (not configured here)"
            )
        kinds = [m.kind for m in outbox.messages(configured) if m.status == "pending"]
        assert kinds == ["root", "severity"]

        report = deliver_pending(
            configured, bot_config(slack), deadline_seconds=5, min_interval=0.0
        )
        assert report.remaining == 0
        assert any("severity raised: SEV-2 → SEV-1" in t for t in slack.texts())
        configured.close()
