"""The timeline's drawn lines follow the styles: a theme change redraws them."""

from __future__ import annotations

from console_support import demo_app, type_line, until
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


async def test_the_clock_ticking_leaves_the_timelines_scrollbar_alone(tmp_path):
    """Each second the header's clock and the countdown are updated, and the
    screen is laid out again. The timeline's scrollbar has not changed and must
    not be redrawn: it was, every second, a whole column of the screen sent to
    the terminal and to every browser tab (half of what an idle console sent).
    A new entry still moves it."""
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(111, 36)) as pilot:
        await until(pilot, lambda: bool(app.screen.query("#countdown")), "the side panes")
        await pilot.pause()
        timeline = app.screen.query_one(Timeline)
        assert timeline.show_vertical_scrollbar  # the demo incident is longer than the view
        bar = timeline.vertical_scrollbar
        redraws: list[int] = []
        layouts: list[int] = []
        refresh_bar, refresh_layout = bar.refresh, app.screen._refresh_layout

        def counted_refresh(*args, **kwargs):
            redraws.append(1)
            return refresh_bar(*args, **kwargs)

        def counted_layout(*args, **kwargs):
            layouts.append(1)
            return refresh_layout(*args, **kwargs)

        bar.refresh = counted_refresh  # type: ignore[method-assign]
        app.screen._refresh_layout = counted_layout  # type: ignore[method-assign]
        for _ in range(3):
            app._tick()  # what the one-second timer runs
            await pilot.pause()
        assert layouts  # the ticks did lay the screen out again
        assert redraws == []
        size = bar.window_virtual_size
        await type_line(pilot, "one more entry")
        await until(pilot, lambda: bar.window_virtual_size == size + 1, "the scrollbar grown")
        assert redraws


async def test_a_resize_to_the_same_size_redraws_nothing(tmp_path):
    """Textual sends each widget a Resize just after the first frame, though
    its size is what that frame was drawn at. The timeline drew itself again
    then (title set again, virtual size changed): two more whole frames at
    start-up, sent to the terminal and to the browser that waits for the
    console. Nothing changed, nothing is redrawn; a real resize still is."""
    app = demo_app(tmp_path / "w.db")
    async with app.run_test(size=(111, 36)) as pilot:
        await until(pilot, lambda: bool(app.screen.query("#countdown")), "the side panes")
        await pilot.pause()
        timeline = app.screen.query_one(Timeline)
        redraws: list[int] = []
        refresh = timeline.refresh

        def counted(*args, **kwargs):
            redraws.append(1)
            return refresh(*args, **kwargs)

        timeline.refresh = counted  # type: ignore[method-assign]
        timeline.on_resize()  # what a Resize of the same size runs
        await pilot.pause()
        assert redraws == []
        newest = timeline.count
        await pilot.resize_terminal(90, 30)
        await pilot.pause()
        assert redraws
        assert timeline.virtual_size.height == timeline.count == newest
        assert timeline.scroll_y == timeline.max_scroll_y  # still on the newest entry
