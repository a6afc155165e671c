"""The Train screen's board of a grid env with what the agent has learned drawn on it.

One picture at a time, chosen from the panel's state whenever a piece of it changes: the watch when
one is on (the board as the watched agent sees it); else a Q snapshot of a finished run stepped back
in time with [ and ]; else the latest Q-table (colour: best Q of the cell, arrow: greedy action),
with its gap to the optimal Q* where the env has a model; else a deep agent's value map.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from textual.app import ComposeResult
from textual.reactive import var

from rltui.envs import make_env
from rltui.numbers import num, short
from rltui.play.board import QOverlay, board_of, q_overlay
from rltui.play.board_text import HALF, lines_needed
from rltui.play.keymaps import KeyMap
from rltui.play.realtime import view_of
from rltui.training.config import TABULAR_ALGOS
from rltui.tui.widgets.board import BoardView
from rltui.tui.widgets.fit import fit, widest
from rltui.tui.widgets.watch_pane import WatchPane

if TYPE_CHECKING:
    from rltui.agents.value_iteration import Gap


#: Lines the caption under the board has (app.tcss: #qcaption's max-height)
CAPTION_LINES = 3


@dataclass(frozen=True, eq=False)
class QTable:
    """A Q-table (states × actions) and the training step it is from."""

    q: np.ndarray
    steps: int


@dataclass(frozen=True, eq=False)
class ValueMap:
    """A deep agent's greedy action and value on each free cell, and the training step it is from."""

    overlay: QOverlay
    steps: int


class QPanel(WatchPane):
    """The board with Q-values, Q*'s gap, the run's snapshots in time, a value map, or the watch."""

    algo: var[str] = var("", init=False)  # the captions depend on it
    table: var[QTable | None] = var(None, init=False, always_update=True)  # arrays do not compare with ==
    q_star: var[np.ndarray | None] = var(None, init=False, always_update=True)  # from value iteration
    values: var[ValueMap | None] = var(None, init=False, always_update=True)
    #: the snapshot shown after a run ([ and ]), an index in :attr:`history`; None: the final table
    scrub: var[int | None] = var(None, init=False)

    def __init__(self, entry: Any, *, algo: str, id: str | None = None) -> None:
        super().__init__(entry, id=id)
        self.set_reactive(QPanel.algo, algo)
        self.env = make_env(entry.name)  # the board the Q-table is drawn on (the env's start)
        self.env.reset(seed=0)
        self.start_board = board_of(self.env)
        self.board = BoardView(glyphs=KeyMap.for_env(entry).glyphs(), id="qboard")
        self.board.board = self.start_board
        #: (steps, Q, episodes so far) kept during the run, for stepping through it afterwards
        self.history: list[tuple[int, np.ndarray, int]] = []
        self.gap: Gap | None = None  # the latest table's gap to Q*

    def compose(self) -> ComposeResult:
        yield self.board
        yield self.caption

    def new_run(self, algo: str) -> None:
        """Forget the last run's tables (a new one starts)."""
        self.history, self.gap = [], None
        self.scrub = None
        self.table = self.values = self.q_star = None
        self.algo = algo

    def rows_wanted(self) -> tuple[int, int]:
        """The panel's height (border included) for its board at one line a row (room for its glyphs
        and Q arrows), then at two rows a line: under the board's shortest caption, over the panel's
        own caption at its tallest."""
        board = self.start_board
        rows, caption = board.shape[0], (1 if board.captions else 0) + CAPTION_LINES + 1
        return lines_needed(rows, 1) + caption, lines_needed(rows, HALF) + caption

    @property
    def q(self) -> np.ndarray | None:
        return None if self.table is None else self.table.q

    @property
    def wants_values(self) -> bool:
        """GridWorld with DQN: the observation is the board, so the agent can be asked about every cell."""
        return self.entry.family == "gridworld" and self.algo == "dqn"

    # ---- the run in time ---------------------------------------------------------------------------
    def step_in_time(self, delta: int) -> None:
        """Move through :attr:`history` by ``delta`` snapshots; past the end is the final table again."""
        last = len(self.history) - 1
        at = (last if self.scrub is None else self.scrub) + delta
        self.scrub = None if at > last else max(0, at)

    @property
    def episodes_then(self) -> int | None:
        """Episodes played up to the snapshot shown; None: all (the final table)."""
        return None if self.scrub is None else self.history[self.scrub][2]

    # ---- painting ----------------------------------------------------------------------------------
    def watch_table(self) -> None:
        self._measure_gap()
        self.paint()

    def watch_q_star(self) -> None:
        self._measure_gap()
        self.paint()

    def watch_algo(self) -> None:
        self.paint()

    def watch_values(self) -> None:
        self.paint()

    def watch_scrub(self) -> None:
        self.paint()

    def _measure_gap(self) -> None:
        q, q_star = self.q, self.q_star
        if q is None or q_star is None or q_star.shape != q.shape:
            return
        from rltui.agents.value_iteration import gap_to_optimal

        self.gap = gap_to_optimal(q, q_star, mask=getattr(self.env.unwrapped, "action_masks", None))

    def gap_line(self, width: int) -> str:
        """``gap to Q*: max|Q−Q*| 0.123, greedy optimal 87%`` ('' without Q*), shorter where narrow."""
        if self.gap is None:
            return ""
        most, agree = self.gap.max_abs, f"{self.gap.agreement:.0%}"
        size = f"{most:.3f}" if abs(most) < 10 else num(most)
        return fit(width, f"gap to Q*: max|Q−Q*| {size}, greedy optimal {agree}",
                   f"Q* gap: max|Q−Q*| {size} · greedy {agree} optimal", f"Q* gap: max|Q−Q*| {size} · {agree} optimal")

    def paint(self) -> None:
        loop, frame = self.loop, self.frame
        width = self.caption_width
        if loop is not None and frame is not None:  # the watch, on the board of the watched game
            env = loop.session.env
            self.board.board = view_of(env) if frame.view is None else frame.view
            self.board.overlay = None if self.q is None else q_overlay(env, self.q)
            self.show_caption(self.watch_caption())
            return
        self.board.board = self.start_board
        if self.scrub is not None:
            steps, q, _ = self.history[self.scrub]
            self.board.overlay = q_overlay(self.env, q)
            at = f"Q @{short(steps)} ({self.scrub + 1}/{len(self.history)})"
            self.show_caption(fit(width, f"{at}, the chart up to then · [ earlier, ] later (past the end: final)",
                                  f"{at}, the chart up to then\n[ earlier, ] later (past the end: final)",
                                  f"{at}, the chart up to then\n[ earlier, ] later, past the end: final",
                                  f"{at}, chart up to then\n[ earlier, ] later, past end: final"))
            return
        if self.q is not None:
            self.board.overlay = q_overlay(self.env, self.q)
        else:
            self.board.overlay = None if self.values is None else self.values.overlay
        lines = self._what(width).split("\n")
        gap = self.gap_line(width)
        hint = "w: stop watching" if self.watching else "w: watch"
        if widest(f"{lines[-1]} · {hint}") <= width:
            lines[-1] += f" · {hint}"
            hint = ""
        lines += [gap] if gap else []
        if hint and len(lines) < CAPTION_LINES:  # else the footer's w says it
            lines.append(hint)
        self.show_caption("\n".join(lines))

    def _what(self, width: int) -> str:
        """What the board shows, for the caption: one line, or two where narrow."""
        if self.table is not None:
            return f"Q @{short(self.table.steps)}: colour max Q, arrow greedy"
        if self.wants_values:
            if self.values is None:
                return fit(width, "values appear here a few seconds into the run",
                           "values appear here after a few seconds")
            at = f"values @{short(self.values.steps)}"
            return fit(width, f"{at}: the agent put on each free cell; colour its best Q, arrow its action",
                       f"{at}: the agent put on each free cell\ncolour its best Q, arrow its action",
                       f"{at}: agent on each free cell\ncolour its best Q, arrow its action")
        if self.entry.family == "gridworld" and self.algo in TABULAR_ALGOS:
            return fit(width, "tabular GridWorld learns on 3×3 views: no per-cell Q to draw",
                       "tabular GridWorld learns on 3×3 views:\nno per-cell Q to draw")
        if self.algo in TABULAR_ALGOS or self.algo == "dqn":
            return "Q-values appear here as training runs"
        return "this agent has no Q-table to draw"
