"""Compare's results panel: the newest rounds, a row over all of them, the round and what to do next.

The panel's room is its max-height in app.tcss (7 lines at any terminal size, so the boards keep
theirs): after a few rounds the table, the summary and the hint no longer fit, so the oldest rounds
give way to a line that counts them, and every line is worded or cut to the panel's width (Textual's
``Static`` wraps a long line onto the next, pushing the last line out of sight). The kept comparison
has every round.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.css.scalar import Unit
from textual.widgets import Static

from rltui.numbers import num
from rltui.play.compare import Round, Summary
from rltui.tui.widgets.fit import fit, width_of

#: what the winner column says for each winner, and in which colour
WHO = {"human": ("you", "#69db7c"), "agent": ("agent", "#ff6b6b"), "tie": ("tie", "#ffd43b")}
PLAYING = ("playing…", "#868e96")
NOTE = "#adb5bd"
#: lines shown where the panel's max-height is not a number of cells (it is in app.tcss)
ROOM = 7
GAP = "  "


def room_of(widget: Static) -> int:
    """How many lines the panel may show: its max-height less its border and padding."""
    cap = widget.styles.max_height
    if cap is None or cap.unit != Unit.CELLS:
        return ROOM
    return max(1, int(cap.value) - widget.styles.gutter.height)


def results_text(rounds: Sequence[Round], summary: Summary, notes: Sequence[Sequence[str]], width: int,
                 height: int) -> Text:
    """The table of ``rounds`` (the newest that fit in ``height`` with the rest), a row over all complete
    rounds, then ``notes``, each given as wordings, most detailed first; no line wider than ``width``."""
    header = ("seed", "you", "agent")
    total = None
    if summary.rounds:
        total = ("all", f"{num(summary.human_mean)} ± {num(summary.human_std)}",
                 f"{num(summary.agent_mean)} ± {num(summary.agent_std)}")
    room = max(1, height - 1 - (total is not None) - len(notes))  # lines for the rounds' rows
    shown = list(rounds[-room:]) if len(rounds) <= room or room == 1 else list(rounds[-(room - 1):])
    hidden = len(rounds) - len(shown)
    rows = [(str(r.seed), num(r.human_return), num(r.agent_return)) for r in shown]
    widths = [max(cell_len(row[i]) for row in [header, *rows, *([total] if total else [])]) for i in range(3)]

    def cells(row: tuple[str, str, str], style: str = "") -> Text:
        """The three numeric columns, right-aligned, and the gap before the winner column."""
        return Text(GAP.join(cell.rjust(w) for cell, w in zip(row, widths)) + GAP, style=style)

    lines = [cells(header, "bold").append("winner", style="bold")]
    if hidden:
        lines.append(Text(f"{'…'.rjust(widths[0])}{GAP}{hidden} earlier round{'s' * (hidden != 1)}", style="dim"))
    for r, row in zip(shown, rows):
        name, colour = WHO[r.winner] if r.winner else PLAYING
        lines.append(cells(row).append(name, style=colour))
    if total is not None:
        line = cells(total, "bold")
        wins = fit(width - cell_len(line.plain), f"you {summary.human_wins} · agent {summary.agent_wins} · "
                   f"ties {summary.ties}", f"{summary.human_wins}–{summary.agent_wins}–{summary.ties}")
        lines.append(line.append(wins, style="bold"))
    lines += [Text(fit(width, *wordings), style=NOTE) for wordings in notes]
    for line in lines:
        line.truncate(max(1, width), overflow="ellipsis")
    return Text("\n").join(lines)


class ResultsPanel(Static):
    """The results table under Compare's boards, repainted to fit whenever its width changes."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._rounds: list[Round] = []
        self._summary: Summary | None = None
        self._notes: list[Sequence[str]] = []
        self._width = 0  # the width the text was worded for

    def show(self, rounds: Sequence[Round], summary: Summary, notes: Sequence[Sequence[str]]) -> None:
        """Show ``rounds`` (those played so far, the newest last), ``summary`` and ``notes``."""
        self._rounds, self._summary, self._notes = list(rounds), summary, list(notes)
        self._repaint()

    def _repaint(self) -> None:
        if self._summary is not None:
            self._width = width_of(self)
            self.update(results_text(self._rounds, self._summary, self._notes, self._width, room_of(self)))

    def on_resize(self) -> None:
        if width_of(self) != self._width:  # the wording depends on the width (the height follows the text)
            self._repaint()
