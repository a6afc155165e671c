"""Live knobs: change α, γ and ε of a tabular run while it trains; the run records each change."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from rltui.agents.tabular import knob_problem

KNOBS = (("alpha", "α  learning rate"), ("gamma", "γ  discount"), ("epsilon", "ε  exploration (empty: schedule)"))


class KnobsScreen(ModalScreen[dict]):
    """Dismissed with ``{name: value}`` for the knobs whose text changed (``{}`` on esc)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: dict[str, float | None]) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="knobs"):
            yield Static("[b]Live knobs[/b]: enter applies from the next steps; the run records each change")
            for name, label in KNOBS:
                yield Label(label)
                value = self.current.get(name)
                yield Input("" if value is None else f"{value:g}", id=f"knob-{name}")
            yield Static(id="knob-error")

    def on_mount(self) -> None:
        self.query_one("#knob-alpha", Input).focus()

    @on(Input.Submitted)
    def _apply(self) -> None:
        changes: dict[str, float | None] = {}
        for name, _ in KNOBS:
            text = self.query_one(f"#knob-{name}", Input).value.strip()
            try:
                value = float(text) if text else None
            except ValueError:
                self.query_one("#knob-error", Static).update(f"[red]{name}: {text!r} is not a number[/red]")
                return
            problem = knob_problem(name, value)
            if problem:
                self.query_one("#knob-error", Static).update(f"[red]{problem}[/red]")
                return
            if value != self.current.get(name):
                changes[name] = value
        self.dismiss(changes)

    def action_cancel(self) -> None:
        self.dismiss({})
