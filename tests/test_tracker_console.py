"""Follow-ups into the tracker from the console: f3 then p, and /close's warning.

Keys pressed with Pilot against the loopback fake tracker; the screen and the
database checked.
"""

from __future__ import annotations

import pytest

from console_support import demo_app, message_line, screen_text, type_line, until
from fake_tracker import GITHUB_TOKEN, FakeTracker, hold
from warroom.commands import PUSH_HINT
from warroom.comms.config import load_comms_config
from warroom.tui.keys import PUSH_FOLLOWUPS_KEY, help_rows
from warroom.tui.screens.followups import FollowupsScreen
from warroom.tui.widgets.scribe_input import ScribeInput


@pytest.fixture
def tracker():
    with FakeTracker() as fake:
        yield fake


def _tracked(app, env: dict[str, str]):
    app.comms = load_comms_config({**env, "WARROOM_TRACKER_TIMEOUT": "5"}, path="/nonexistent")
    return app


def status_line(app) -> str:
    return str(app.screen.query_one("#followups-status").render())


async def test_f3_then_p_creates_each_open_followup_and_shows_its_issue(tmp_path, tracker):
    app = _tracked(demo_app(tmp_path / "w.db"), tracker.github_env())
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/fu add a sync-lag alert @dan due:2026-12-01")
        await type_line(pilot, "/fu [bold]runbook[/bold] <!channel> @carol")
        count = len(app.store.followups(1))
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, FollowupsScreen), "the follow-ups")
        assert "(not in the tracker)" in screen_text(app)
        assert f"{PUSH_FOLLOWUPS_KEY} creates the open ones in GitHub acme/backlog" in status_line(
            app
        )
        await pilot.press(PUSH_FOLLOWUPS_KEY)
        await until(
            pilot, lambda: "in the tracker" in status_line(app) and not app.screen.pushing, "done"
        )
        await app.workers.wait_for_complete()
        await pilot.pause()
        open_ones = [f for f in app.store.followups(1) if not f.done]
        assert len(tracker.issues) == len(open_ones) <= count
        assert all(f.ticket for f in open_ones)
        text = screen_text(app)
        assert "→ acme/backlog#1" in text
        # Typed text is shown literally (never markup), and goes literally.
        assert "[bold]runbook[/bold] <!channel>" in text
        assert any("[bold]runbook[/bold] <!channel>" in i["body"] for i in tracker.issues)
        assert GITHUB_TOKEN not in text
        # Again: nothing new.
        await pilot.press(PUSH_FOLLOWUPS_KEY)
        await until(pilot, lambda: not app.screen.pushing, "the second push")
        await app.workers.wait_for_complete()
        assert len(tracker.issues) == len(open_ones)
        assert len(tracker.creates()) == len(open_ones)


async def test_the_console_takes_keys_while_the_tracker_holds_a_request(tmp_path, tracker):
    app = _tracked(demo_app(tmp_path / "w.db"), tracker.github_env())
    tracker.script(hold())
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/fu add a sync-lag alert @dan due:2026-12-01")
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, FollowupsScreen), "the follow-ups")
        await pilot.press(PUSH_FOLLOWUPS_KEY)
        await until(pilot, tracker.holding.is_set, "the request at the tracker")
        await pilot.press(PUSH_FOLLOWUPS_KEY)
        await pilot.pause()
        assert "a push is under way" in status_line(app)
        await pilot.press("escape")  # the console answers while the request waits
        await until(pilot, lambda: isinstance(app.focused, ScribeInput), "the scribe line")
        await type_line(pilot, "typed while the tracker thinks")
        assert "typed while the tracker thinks" in screen_text(app)
        tracker.release()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(tracker.issues) >= 1
        assert len({i["body"] for i in tracker.issues}) == len(tracker.issues)
        assert all(f.ticket for f in app.store.followups(1) if not f.done)


async def test_a_refused_token_is_one_line_on_screen_and_never_the_token(tmp_path, tracker):
    wrong = "ghp_WRONGtokenWRONGtoken0123456789ab"
    app = _tracked(demo_app(tmp_path / "w.db"), tracker.github_env(token=wrong))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/fu add a sync-lag alert @dan")
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, FollowupsScreen), "the follow-ups")
        await pilot.press(PUSH_FOLLOWUPS_KEY)
        await until(pilot, lambda: "not in the tracker:" in status_line(app), "the failure")
        await app.workers.wait_for_complete()
        line = status_line(app)
        assert "HTTP 401: the token was not accepted" in line
        assert "\n" not in line and "Traceback" not in screen_text(app)
        assert wrong not in screen_text(app)
        assert not any(f.ticket for f in app.store.followups(1))


async def test_p_without_a_tracker_says_so_in_one_line(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, FollowupsScreen), "the follow-ups")
        await pilot.press(PUSH_FOLLOWUPS_KEY)
        await pilot.pause()
        assert status_line(app).startswith("no tracker configured")
        assert "(not in the tracker)" not in screen_text(app)


async def test_close_warns_about_followups_not_in_the_tracker(tmp_path, tracker):
    app = _tracked(demo_app(tmp_path / "w.db"), tracker.github_env())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/fu add a sync-lag alert @dan")
        await type_line(pilot, "/fu runbook @carol")
        await type_line(pilot, "/resolve")
        app.service.set_review(
            1, "carol", root_cause="x", contributing_factors="", resolution_steps="", review_at=None
        )
        unpushed = sum(not f.done for f in app.store.followups(1))
        assert unpushed
        await type_line(pilot, "/close")
        some = "1 follow-up is" if unpushed == 1 else f"{unpushed} follow-ups are"
        assert message_line(app).startswith(
            f"{some} not in the tracker: press {PUSH_HINT}, or /close again to close INC-1 anyway"
        )
        assert app.store.incident(1).status == "resolved"
        # Pushed: /close asks as it always did.
        await type_line(pilot, "a note cancels the question")
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, FollowupsScreen), "the follow-ups")
        await pilot.press(PUSH_FOLLOWUPS_KEY)
        await until(pilot, lambda: not app.screen.pushing, "the push")
        await app.workers.wait_for_complete()
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.focused, ScribeInput), "the scribe line")
        await type_line(pilot, "/close")
        assert message_line(app).startswith("/close again to confirm: INC-1 becomes final")
        await type_line(pilot, "/close")
        assert app.store.incident(1).status == "closed"


async def test_close_asks_plainly_without_a_tracker(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/resolve")
        app.service.set_review(
            1, "carol", root_cause="x", contributing_factors="", resolution_steps="", review_at=None
        )
        await type_line(pilot, "/close")
        assert message_line(app).startswith("/close again to confirm: INC-1 becomes final")


def test_the_close_hint_names_the_push_key_of_the_key_table():
    assert f"f3 then {PUSH_FOLLOWUPS_KEY}" == PUSH_HINT
    assert any(key == PUSH_FOLLOWUPS_KEY and "tracker" in what for key, what in help_rows())


async def test_a_bug_during_the_push_is_one_line_and_the_log_has_no_token(
    tmp_path, tracker, log_dir, monkeypatch
):
    import warroom.comms.tracker_push as flow

    async def broken(*args, **kwargs):
        raise RuntimeError(f"boom Authorization: Bearer {GITHUB_TOKEN} and {GITHUB_TOKEN}")

    monkeypatch.setattr(flow, "push_followups", broken)
    app = _tracked(demo_app(tmp_path / "w.db"), tracker.github_env())
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, FollowupsScreen), "the follow-ups")
        await pilot.press(PUSH_FOLLOWUPS_KEY)
        await until(pilot, lambda: not app.screen.pushing, "the push")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, FollowupsScreen)  # the console carries on
        assert GITHUB_TOKEN not in screen_text(app)
        assert "Traceback" not in screen_text(app)
    logged = "".join(p.read_text() for p in log_dir.glob("*"))
    assert "boom" in logged and GITHUB_TOKEN not in logged
