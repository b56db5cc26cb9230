"""The scribe line: always ready, with history (up/down) and tab completion.

Focus never leaves it by itself: Tab only completes (f6 moves between panes),
and every line, done or rejected, is cleared from it on Enter and kept in its
history, so what is typed next starts on an empty line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from textual import events
from textual.binding import Binding
from textual.widgets import Input

from warroom.domain.models import ChecklistItem


class ScribeInput(Input):
    BINDINGS = [
        Binding("up", "history_back", "Earlier line", show=False),
        Binding("down", "history_forward", "Later line", show=False),
        Binding("escape", "clear_line", "Clear the line", show=False),
    ]

    def __init__(
        self,
        names: Callable[[], list[str]],
        commit: Callable[[str], bool],
        items: Callable[[], Sequence[ChecklistItem]] = tuple,
        *,
        escape: Callable[[], bool] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            placeholder="type a note, or /help — Enter commits",
            select_on_focus=False,
            **kwargs,
        )
        self.history: list[str] = []
        self._history_index: int | None = None
        self._draft = ""
        self._names = names
        self._commit = commit
        #: The checklist, for ``/check `` and Tab.
        self._items = items
        self._escape = escape

    def remember(self, line: str) -> None:
        if line.strip() and (not self.history or self.history[-1] != line):
            self.history.append(line)
        self._history_index = None

    def action_history_back(self) -> None:
        if not self.history:
            return
        if self._history_index is None:
            self._draft = self.value
            self._history_index = len(self.history)
        self._history_index = max(0, self._history_index - 1)
        self.value = self.history[self._history_index]
        self.cursor_position = len(self.value)

    def action_history_forward(self) -> None:
        if self._history_index is None:
            return
        self._history_index += 1
        if self._history_index >= len(self.history):
            self._history_index = None
            self.value = self._draft
        else:
            self.value = self.history[self._history_index]
        self.cursor_position = len(self.value)

    def complete(self) -> bool:
        """Complete the line in place; False when there is nothing to complete."""
        if self.cursor_position != len(self.value):
            return False
        from warroom.commands import completions, describe_completion

        items = self._items()
        options = completions(self.value, self._names(), items)
        if not options:
            return False
        if len(options) == 1:
            self.value = options[0]
            described = describe_completion(options[0], items)
            if described != options[0].strip():  # a checklist item: say which
                self.app.notify(described, title="Completions")
        else:
            common = options[0]
            for option in options[1:]:
                while not option.startswith(common):
                    common = common[:-1]
            if len(common) <= len(self.value):
                shown = [describe_completion(option, items, 40) for option in options]
                labelled = shown != [option.strip() for option in options]
                self.app.notify(("\n" if labelled else "  ").join(shown), title="Completions")
                return True
            self.value = common
        self.cursor_position = len(self.value)
        return True

    def commit(self) -> None:
        """Write the line now, before this widget reads its next key.

        Input's own Enter runs through a binding once the key has bubbled up to
        the app, and by then keys typed after Enter have already landed in the
        line: fast typing would merge two entries into one. So Enter is handled
        here, synchronously. The line is cleared whether it was done or
        rejected (the reason shows under the input), and becomes the newest
        history entry: at call speed the next line is already being typed, and
        it must not be joined to the rejected one. ↑ brings that back to fix.
        """
        line = self.value
        self.value = ""
        try:
            self._commit(line)
        finally:
            self.remember(line)

    def action_clear_line(self) -> None:
        """Escape: clear the filter if the console has one on; else clear the
        line, keeping it in the history (↑ brings it back)."""
        if self._escape is not None and self._escape():
            return
        if self.value:
            self.remember(self.value)
            self.value = ""

    async def _on_key(self, event: events.Key) -> None:
        if event.key in ("enter", "tab", "shift+tab"):
            # Tab completes and nothing else: focus never leaves the scribe line
            # mid-sentence (f6 moves between panes).
            event.prevent_default()
            event.stop()
            if event.key == "enter":
                self.commit()
            elif event.key == "tab" and not self.complete():
                self.app.notify("tab: nothing to complete · f6 moves to the next pane")
            return
        if not event.is_printable:
            # The line's own keys (backspace, arrows, ctrl+w, escape, ↑/↓) run
            # here, in turn. Left to Textual they would run once the key had
            # bubbled up to the app, after the letters typed behind them: with
            # keys arriving together (a busy moment, a slow host), "abc⌫d"
            # became "abc" and escape cleared what was typed after it.
            bindings = self._bindings.key_to_bindings.get(event.key)
            if bindings:
                event.prevent_default()
                event.stop()
                for binding in bindings:
                    if await self.app.run_action(binding.action, self):
                        break
                return
        await super()._on_key(event)

    def _on_paste(self, event: events.Paste) -> None:
        # Input keeps only the first line of a paste; a scribe pasting a stack
        # trace must not lose the rest, so keep all of it (shown as ⏎).
        if event.text:
            self.insert_text_at_cursor(event.text)
        event.prevent_default()  # Input's own handler would insert the first line again
        event.stop()
