"""The `?` help: the current screen's keys and what they do, over the screen, closed with esc or ?."""

from __future__ import annotations

from rich.markdown import Markdown
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close", key_display="esc"),
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            # Rich's Markdown in one Static: a fraction of the cost of Textual's Markdown widget tree, so
            # the help opens at once even while training keeps the CPU busy.
            yield Static(Markdown(self.text + "\n\n*esc or ? closes this help*"))

    def action_close(self) -> None:
        self.dismiss(None)
