"""The launch baseline: a bare Textual app with the console's widgets, showing no data.

Widget for widget what the console composes: a header row of Labels, a roles
panel of Labels, a ScrollView-based timeline (Line API, nothing in it), an
Input, Digits, an OptionList and a Footer, laid out roughly as the console is,
with placeholder text. It opens no database and imports nothing of warroom.
``bench_launch.py`` runs it in a pseudo-terminal and waits for :data:`READY`
to be painted; ctrl+q quits (Textual's own binding).
"""

from __future__ import annotations

READY = "bare-ready"

if __name__ == "__main__":
    from textual.app import App, ComposeResult
    from textual.containers import Horizontal, Vertical
    from textual.geometry import Size
    from textual.scroll_view import ScrollView
    from textual.strip import Strip
    from textual.widgets import Digits, Footer, Input, Label, OptionList

    class EmptyTimeline(ScrollView, can_focus=True):
        def on_mount(self) -> None:
            self.virtual_size = Size(0, 0)

        def render_line(self, y: int) -> Strip:
            return Strip.blank(self.size.width, self.rich_style)

    class BareApp(App):
        CSS = """
        #header { dock: top; height: 1; background: $panel; }
        #header Label { padding: 0 1 0 0; }
        #roles-line { display: none; }
        #error { display: none; }
        #body { height: 1fr; }
        #roles { width: 22; border: round $primary; padding: 0 1; }
        #center { width: 1fr; }
        EmptyTimeline { height: 1fr; overflow-y: scroll; overflow-x: hidden;
                        border: round $primary; }
        #side { width: 30; }
        Digits { width: auto; margin: 0 1; }
        OptionList { height: 1fr; }
        """

        def compose(self) -> ComposeResult:
            with Horizontal(id="header"):
                yield Label(f" {READY} ")
                for text in ("INC-0", "title", "DETECT 1/5", "00:00:00", "", "", ""):
                    yield Label(text)
            yield Label(id="roles-line")
            with Horizontal(id="body"):
                with Vertical(id="roles"):
                    for role in ("IC", "Comms", "Scribe", "Eng"):
                        yield Label(role)
                        yield Label("—")
                    yield Label("owner")
                with Vertical(id="center"):
                    yield EmptyTimeline()
                    yield Input(placeholder="type a note")
                    yield Label(id="error")
                with Vertical(id="side"):
                    yield Digits("--:--")
                    yield Label("detail")
                    yield OptionList(*[f"- {n}. checklist item" for n in range(1, 15)])
            yield Footer()

        def on_mount(self) -> None:
            self.query_one(Input).focus()

    BareApp().run()
