"""Shown when there is no active incident: declare one, or pick one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Label


class StartScreen(Screen):
    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="start-box"):
            yield Label(Content("warroom"), id="start-title")
            yield Label(Content("No active incident."), id="start-status")
            yield Label(Content("ctrl+n  declare an incident"), classes="start-key")
            yield Label(Content("ctrl+o  open an earlier incident"), classes="start-key")
            yield Label(Content("f1      help      ctrl+q  quit"), classes="start-key")
        yield Footer()
