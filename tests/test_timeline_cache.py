"""The timeline's drawn lines follow the styles: a theme change redraws them."""

from __future__ import annotations

from console_support import demo_app, until
from warroom.tui.widgets.timeline import Timeline


def _number_colours(timeline: Timeline) -> set[str]:
    """The colours the entry numbers are drawn in, on the lines in view."""
    colours = set()
    for y in range(timeline.scrollable_content_region.height):
        segments = list(timeline.render_line(y))
        if segments and segments[0].style is not None and segments[0].text.strip():
            colours.add(str(segments[0].style.color))
    return colours


async def test_a_theme_change_redraws_the_timeline_in_its_colours(tmp_path):
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(80, 24)) as pilot:
        timeline = app.screen.query_one(Timeline)
        await until(pilot, lambda: bool(_number_colours(timeline)), "the timeline's lines")
        before = _number_colours(timeline)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        expected = str(timeline.get_component_rich_style("timeline--number").color)
        assert _number_colours(timeline) == {expected} != before
