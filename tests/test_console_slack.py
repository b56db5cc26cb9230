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
from warroom.demo import seed_demo
from warroom.playbook import default_playbook
from warroom.store import Store
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


# -- may not have arrived (issue 8, item 2) -------------------------------------------


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
