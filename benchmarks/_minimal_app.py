"""The baseline a person compares any Textual tool with: the minimal Textual app.

Header, Static, Log, Input, Footer, and nothing else: no database, nothing of
warroom imported. The Static shows a title string, :data:`READY`, from its
first frame (the Header shows it too, as the app's title); the Input has focus.
``bench_launch_tmux.py`` runs it in tmux and waits for :data:`READY` on screen;
ctrl+q quits (Textual's own binding).
"""

from __future__ import annotations

READY = "minimal-ready"

if __name__ == "__main__":
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Input, Log, Static

    class MinimalApp(App):
        TITLE = READY

        def compose(self) -> ComposeResult:
            yield Header()
            yield Static(f"{READY}: a title string")
            yield Log()
            yield Input(placeholder="type here")
            yield Footer()

    MinimalApp().run()
