"""Issue 9 in the console: facts corrected from the scribe line, /close asking
once (typed or from the palette), the update composer's mitigation line and
status-page warning, and the palette's Screenshot. Keys pressed, screen read."""

from __future__ import annotations

from console_support import demo_app, message_line, screen_text, type_line
from warroom.tui.screens.bridge import BridgeScreen
from warroom.tui.screens.update import UpdateScreen
from warroom.tui.widgets.scribe_input import ScribeInput


def write_review(app) -> None:
    app.service.set_review(
        1, "carol", root_cause="x", contributing_factors="", resolution_steps="", review_at=None
    )


async def palette(pilot, words: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*words)
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause()


async def test_title_and_impact_are_corrected_from_the_scribe_line(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/title QuickBooks sync halted (EU)")
        assert "QuickBooks sync halted (EU)" in screen_text(app).splitlines()[0]  # the header
        assert "title: QuickBooks sync halted → QuickBooks" in screen_text(app)  # its entry
        await type_line(pilot, "/impact invoices delayed for 60% of EU tenants")
        assert app.store.incident(1).impact == "invoices delayed for 60% of EU tenants"
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, BridgeScreen)
        shown = screen_text(app)
        assert "QuickBooks sync halted (EU)" in shown
        assert "invoices delayed for 60% of EU tenants" in shown
        await pilot.press("escape")
        await pilot.pause()
        # Bad input: one line under the input, nothing written.
        before = app.store.incident(1)
        await type_line(pilot, "/title QuickBooks sync halted (EU)")
        assert message_line(app).startswith("the title is already that")
        await type_line(pilot, "/impact")
        assert message_line(app).startswith("usage: /impact TEXT")
        assert app.store.incident(1) == before


async def test_tab_completes_title_and_help_lists_both(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"/tit", "tab")
        await pilot.pause()
        assert app.screen.query_one(ScribeInput).value == "/title "
        await pilot.press("escape", "f1")
        await pilot.pause()
        help_text = " ".join(str(label.render()) for label in app.screen.query(".help-row"))
        assert "/title TEXT" in help_text and "/impact TEXT" in help_text


async def test_an_at_before_impact_started_points_to_the_milestone(tmp_path):
    app = demo_app(tmp_path / "w.db")  # declared 22:00:00, now 22:42:17
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/at 21:52 Intuit 429s began")
        entry = app.store.entry(1, app.store.incident(1).entry_count)
        assert (entry.text, entry.occurred_at) == ("Intuit 429s began", "2026-11-23T21:52:00Z")
        said = message_line(app)
        assert "before impact started (22:00)" in said
        assert "/milestone impact_started 21:52 REASON" in said
        assert app.screen.query_one("#scribe-error").has_class("-warning")


async def test_close_asks_once_and_anything_else_cancels(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/resolve")
        assert app.store.incident(1).stage == "review"
        write_review(app)
        await type_line(pilot, "/close")
        assert message_line(app).startswith("/close again to confirm: INC-1 becomes final")
        assert app.store.incident(1).status == "resolved"
        # Typing on: the note is written, the question dropped, and it says so.
        await type_line(pilot, "y")
        assert app.store.incident(1).status == "resolved"
        assert "/close cancelled" in message_line(app)
        assert app.store.entry(1, app.store.incident(1).entry_count).text == "y"
        await type_line(pilot, "/close")
        await type_line(pilot, "/close")
        assert app.store.incident(1).status == "closed"
        assert app.screen.query_one(ScribeInput).disabled


async def test_escape_cancels_a_pending_close(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/resolve")
        write_review(app)
        await type_line(pilot, "/close")
        await pilot.press("escape")
        await pilot.pause()
        assert "/close cancelled" in message_line(app)
        await type_line(pilot, "/close")  # asks again: the first question is gone
        assert app.store.incident(1).status == "resolved"
        assert message_line(app).startswith("/close again to confirm")


async def test_close_from_the_palette_asks_once_too(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/resolve")
        write_review(app)
        await palette(pilot, "close the incident")
        assert app.store.incident(1).status == "resolved"
        assert message_line(app).startswith("/close again to confirm")
        await palette(pilot, "close the incident")
        assert app.store.incident(1).status == "closed"


async def test_the_composer_shows_the_mitigation_line_and_sends_it(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await type_line(pilot, "/decision roll back qb-sync to v2.3")
        await pilot.press("ctrl+u")
        await pilot.pause()
        assert isinstance(app.screen, UpdateScreen)
        field = app.screen.query_one("#update-mitigation")
        text = app.screen.query_one("#update-text")
        # Offered from the newest /decision, shown before anything is sent.
        assert field.value == "roll back qb-sync to v2.3"
        assert "Current mitigation: roll back qb-sync to v2.3" in text.text
        assert "roll back qb-sync to v2.3" in screen_text(app)
        # The comms lead edits it; the draft follows while it is as drafted.
        field.focus()
        await pilot.press("ctrl+a", "ctrl+k", *"rolling back qb-sync (50% done)")
        await pilot.pause()
        assert "Current mitigation: rolling back qb-sync (50% done)" in text.text
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.store.current_mitigation(1) == "rolling back qb-sync (50% done)"
        # The next /action is offered next time, not put on the root by itself.
        await type_line(pilot, "/action rollback finished")
        assert app.store.current_mitigation(1) == "rolling back qb-sync (50% done)"
        assert app.store.mitigation_draft(1) == "rollback finished"


async def test_the_composer_warns_before_sending_an_email_without_a_status_page(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+u")
        await pilot.pause()
        warning = app.screen.query_one("#update-warning")
        assert not warning.display  # internal: nothing to warn about
        app.screen.query_one("#audience-client").value = True
        await pilot.pause()
        assert warning.display
        shown = screen_text(app)
        assert "No status page in the playbook" in shown
        body = app.screen.query_one("#update-email").text
        assert "INC-1" not in body and "We will keep you updated by email." in body
        # The demo incident is mitigating, not mitigated: no time is claimed.
        assert "Our team is investigating and working on mitigation." in body


async def test_no_warning_with_a_status_page(tmp_path):
    app = demo_app(tmp_path / "w.db")
    app.playbook = app.playbook.replace(status_page_url="https://status.example.com")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+u")
        await pilot.pause()
        app.screen.query_one("#audience-client").value = True
        await pilot.pause()
        assert not app.screen.query_one("#update-warning").display
        body = app.screen.query_one("#update-email").text
        assert "Track progress here: https://status.example.com" in body


async def test_the_palette_screenshot_saves_an_svg_it_names(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await palette(pilot, "screenshot")
        await pilot.pause(0.3)
        (saved,) = tmp_path.glob("*.svg")
        assert saved.name == "w-INC-1-screen-20261123T224217Z.svg"
        assert saved.read_text(encoding="utf-8").startswith("<svg")
        assert "QuickBooks" in saved.read_text(encoding="utf-8")
        assert saved.stat().st_mode & 0o077 == 0
        said = message_line(app)
        assert said == f"Screenshot saved: {saved}"
        assert "Failed" not in screen_text(app)
        await palette(pilot, "screenshot")  # the same second: a second file, not overwritten
        await pilot.pause(0.3)
        assert len(list(tmp_path.glob("*.svg"))) == 2


async def test_a_screenshot_of_the_bridge_view_is_named_on_the_way_back(tmp_path):
    """The bridge view shows no notices (it is on a shared screen): the file is
    named under the scribe line, there when escape goes back to it."""
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        await palette(pilot, "screenshot")
        await pilot.pause(0.3)
        assert isinstance(app.screen, BridgeScreen)
        (saved,) = tmp_path.glob("*.svg")
        assert "SEV-1 · INC-1" in saved.read_text(encoding="utf-8").replace("&#160;", " ")
        await pilot.press("escape")
        await pilot.pause()
        assert message_line(app) == f"Screenshot saved: {saved}"
