"""A second baseline: the console's exact widget tree, stylesheet and key bindings, no data.

Plain Textual, nothing of warroom imported: the same widget classes by name
(empty subclasses, so styles/warroom.tcss applies as it does to the console),
the same labels, a 9-item checklist of the playbook's length, and the same
footer keys. Against this, the console's extra cost is what warroom itself
does: its imports, its database and its incident. ``bench_launch.py`` reports
the ratio to both baselines; the issue's target is against the bare one.
"""

from __future__ import annotations

READY = "tree-ready"

if __name__ == "__main__":
    from pathlib import Path

    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.containers import Horizontal, Vertical
    from textual.geometry import Size
    from textual.scroll_view import ScrollView
    from textual.strip import Strip
    from textual.widgets import Digits, Footer, Input, Label, OptionList

    class IncidentHeader(Horizontal):
        pass

    class RolesPanel(Vertical):
        pass

    class UpdateCountdown(Vertical):
        pass

    class Checklist(OptionList):
        pass

    class ScribeInput(Input):
        pass

    class Timeline(ScrollView, can_focus=True):
        COMPONENT_CLASSES = {
            f"timeline--{n}"
            for n in (
                [
                    "number",
                    "time",
                    "author",
                    "decision",
                    "action",
                    "alert",
                    "system",
                    "struck",
                    "star",
                ]
            )
        }

        def on_mount(self) -> None:
            self.virtual_size = Size(0, 0)

        def render_line(self, y: int) -> Strip:
            return Strip.blank(self.size.width, self.rich_style)

    ITEM = "Establish a bridge and capture notes in the incident record"

    class SameTreeApp(App):
        CSS_PATH = Path(__file__).resolve().parents[1] / "styles" / "warroom.tcss"
        HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (150, "-xwide")]
        BINDINGS = [
            Binding("ctrl+u", "bell", "Update", priority=True),
            Binding("ctrl+n", "bell", "Declare", priority=True),
            Binding("ctrl+o", "bell", "Incidents", priority=True),
            Binding("ctrl+e", "bell", "Review", priority=True),
            Binding("f1", "bell", "Help", priority=True),
            Binding("ctrl+q", "quit", "Quit", priority=True),
        ]

        def compose(self) -> ComposeResult:
            with IncidentHeader(id="header"):
                yield Label(f" {READY} ", id="sev-badge")
                for name in [
                    "ref",
                    "title",
                    "stage",
                    "elapsed",
                    "ttm",
                    "ttr",
                    "frozen",
                    "status",
                    "bridge",
                ]:
                    yield Label(name, id=f"incident-{name}")
            yield Label("IC a · Comms b · Scribe c · Eng d", id="roles-line")
            with Horizontal(id="body"):
                with RolesPanel(id="roles"):
                    for role in ("IC", "Comms", "Scribe", "Eng"):
                        yield Label(role, classes="role-name")
                        yield Label("—", classes="role-holder")
                    yield Label("owner", classes="role-hint")
                with Vertical(id="center"):
                    yield Timeline(id="timeline")
                    yield ScribeInput(placeholder="type a note", id="scribe")
                    yield Label(id="scribe-error")
                with Vertical(id="side"):
                    yield Label("Slack: off", id="comms-status")
                    with UpdateCountdown(id="countdown"):
                        yield Digits("--:--", id="countdown-digits")
                        yield Label("detail", id="countdown-detail")
                    yield Checklist(*[f"[ ] {n}. {ITEM}" for n in range(1, 10)], id="checklist")
            yield Footer()

        def on_mount(self) -> None:
            self.query_one(ScribeInput).focus()

    SameTreeApp().run()
