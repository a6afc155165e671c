"""Grid envs as boards of cells: what the terminal draws, and where each cell's Q-values live.

A :class:`Board` is plain data (glyph and colours per cell, the agent's cell, a caption), built from the
env's own state; the Textual widget only paints it. :func:`q_overlay` maps a Q-table (states × actions)
onto the same cells: the greedy action and its value per cell, for the Train screen's heatmap. Both
read the unwrapped env, so they work on the env a person plays and on the one an agent trains on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Cell colours (hex, so any face can use them).
ICE, HOLE, GOAL, START = "#9ec9e8", "#1b3a5c", "#2f9e44", "#586e75"
FLOOR, CLIFF, WALL = "#3c3c3c", "#7a2020", "#6b6b6b"
FIRE = "#d9480f"
FOG = "#202225"
TAXI_COLOURS = ("#e03131", "#2f9e44", "#e8c547", "#3b5bdb")  # R, G, Y, B as Gymnasium draws them
MDP_COLOURS = ("#3b5bdb", "#e8890c", "#12b886")


@dataclass(frozen=True)
class Cell:
    glyph: str = ""
    bg: str = FLOOR
    fg: str = "#ffffff"
    wall_right: bool = False


@dataclass(frozen=True)
class Board:
    """A grid to draw: ``cells[row][col]``, the agent's cell (row, col) and a line under it, with
    shorter wordings of that line for where the board has little room (``short``: shortest last)."""

    cells: tuple[tuple[Cell, ...], ...]
    agent: tuple[int, int] | None
    caption: str = ""
    short: tuple[str, ...] = ()

    @property
    def captions(self) -> tuple[str, ...]:
        """The caption's wordings, most detailed first (none without a caption)."""
        return (self.caption, *self.short) if self.caption else ()

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.cells), len(self.cells[0])


def _kind(env) -> str:
    return type(env.unwrapped).__name__


def has_board(env) -> bool:
    return _kind(env) in ("FrozenLakeEnv", "CliffWalkingEnv", "TaxiEnv", "GridWorldEnv", "ThreeStateMDPEnv")


def board_of(env, reveal: bool = False) -> Board | None:
    """The board of a grid env in its current state, or None for envs that are not grids.

    ``reveal`` draws a partial view's whole board (what the agent does *not* see, for the explain mode)."""
    u = env.unwrapped
    kind = _kind(env)
    if kind == "FrozenLakeEnv":
        colours = {b"F": ("", ICE, "#102030"), b"H": ("○", HOLE, ICE), b"G": ("★", GOAL, "#ffffff"),
                   b"S": ("S", ICE, "#102030")}
        cells = tuple(tuple(Cell(*colours[ch]) for ch in row) for row in u.desc)
        return Board(cells, divmod(int(u.s), u.ncol))
    if kind == "CliffWalkingEnv":
        rows, cols = u.shape
        grid = []
        for r in range(rows):
            row = []
            for c in range(cols):
                if u._cliff[r, c]:
                    row.append(Cell("▼", CLIFF, "#ffb4b4"))  # a glyph too: the cliff must read without colour
                elif (r, c) == (rows - 1, cols - 1):
                    row.append(Cell("★", GOAL))
                elif (r, c) == (rows - 1, 0):
                    row.append(Cell("S", START))
                else:
                    row.append(Cell("", FLOOR))
            grid.append(tuple(row))
        return Board(tuple(grid), divmod(int(u.s), cols))
    if kind == "TaxiEnv":
        taxi_r, taxi_c, pass_idx, dest_idx = u.decode(int(u.s))
        names = "RGYB"
        grid = []
        for r in range(5):
            row = []
            for c in range(5):
                wall = u.desc[r + 1][2 * c + 2] == b"|" and c < 4
                glyph, bg = "", FLOOR
                if (r, c) in u.locs:
                    i = u.locs.index((r, c))
                    glyph, bg = names[i].lower(), TAXI_COLOURS[i]
                    if i == dest_idx:
                        glyph = names[i]
                    if i == pass_idx:
                        glyph = "☺"
                row.append(Cell(glyph, bg, "#000000" if bg != FLOOR else "#ffffff", wall))
            grid.append(tuple(row))
        where = "in the taxi" if pass_idx == 4 else f"at {names[pass_idx]}"
        return Board(tuple(grid), (taxi_r, taxi_c), f"passenger {where} → {names[dest_idx]}")
    if kind == "GridWorldEnv":
        board = u.board()
        n = u.size
        ar, ac = int(u.agent[0]), int(u.agent[1])
        partial = u.view == "partial" and not reveal
        grid = []
        for r in range(n):
            row = []
            for c in range(n):
                if partial and (abs(r - ar) > 1 or abs(c - ac) > 1):
                    row.append(Cell("░", FOG, "#5c5f66"))  # outside the window: what the agent cannot see
                elif board[1, r, c]:
                    row.append(Cell("+", GOAL))
                elif board[2, r, c]:
                    row.append(Cell("✶", FIRE))
                else:
                    row.append(Cell("", FLOOR))
            grid.append(tuple(row))
        caption, short = "", ()
        if partial:
            caption = "you see what the agent sees, the 3×3 around you (░ fog; nothing is remembered)"
            short = ("the agent sees the 3×3 around it; the rest is fog", "3×3 view; dark: fog")
        if reveal and u.view == "partial":
            caption, short = "the whole board (the agent sees only the 3×3 around it)", ("the whole board",)
        return Board(tuple(grid), (ar, ac), caption, short)
    if kind == "ThreeStateMDPEnv":
        state = int(u.state)
        from rltui.play.narrate import mdp_legend

        cells = tuple(Cell(f"s{s}", MDP_COLOURS[s], "#000000") for s in range(3))
        return Board((cells,), (0, state), f"from s{state}: {mdp_legend(u)}")
    return None


@dataclass(frozen=True)
class QOverlay:
    """Per cell: the greedy action (−1: no state there) and its value; the value range for colours."""

    greedy: np.ndarray  # (rows, cols) int
    value: np.ndarray  # (rows, cols) float, NaN where there is no state
    lo: float
    hi: float


def q_overlay(env, q: np.ndarray) -> QOverlay | None:
    """Greedy action and max-Q per cell, where the env's state is a cell (FrozenLake, CliffWalking,
    Taxi for the current passenger and destination, the MDP); None where it is not (GridWorld's
    tabular state is a local view, not a position)."""
    u = env.unwrapped
    kind = _kind(env)
    if kind == "FrozenLakeEnv":
        rows, cols = u.nrow, u.ncol
        states = np.arange(rows * cols).reshape(rows, cols)
    elif kind == "CliffWalkingEnv":
        rows, cols = u.shape
        states = np.arange(rows * cols).reshape(rows, cols)
    elif kind == "TaxiEnv":
        _, _, pass_idx, dest_idx = u.decode(int(u.s))
        states = np.array([[u.encode(r, c, pass_idx, dest_idx) for c in range(5)] for r in range(5)])
    elif kind == "ThreeStateMDPEnv":
        states = np.arange(3).reshape(1, 3)
    else:
        return None
    if q.shape[0] <= int(states.max()):
        return None
    qs = np.asarray(q, dtype=np.float64)[states]  # (rows, cols, actions)
    if kind == "ThreeStateMDPEnv":
        qs = np.where(u.action_masks[states] > 0, qs, -np.inf)
    greedy = np.argmax(qs, axis=-1)
    value = np.take_along_axis(qs, greedy[..., None], axis=-1)[..., 0]
    finite = value[np.isfinite(value)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    return QOverlay(greedy, value, lo, hi)


def value_overlay(env, q_batch) -> QOverlay | None:
    """Greedy action and value per cell for an agent whose observation is the board itself (GridWorld
    with DQN): the current board is observed with the agent placed on each free cell, all cells in
    one batch through ``q_batch`` (observations → (N, actions) Q-values). Cells holding a goal or a
    fire have no state of their own (stepping there scores and moves the object): −1, drawn as they are.
    None for envs whose observation is not a board."""
    u = env.unwrapped
    if _kind(env) != "GridWorldEnv":
        return None
    board = u.board()
    n = u.size
    cells = [(r, c) for r in range(n) for c in range(n) if not (board[1, r, c] or board[2, r, c])]
    if not cells:
        return None
    observations = []
    saved = u.agent.copy()
    try:
        for r, c in cells:
            u.agent = np.array((r, c), dtype=np.int64)
            observations.append(u._obs())
    finally:
        u.agent = saved
    qs = np.asarray(q_batch(np.stack(observations)), dtype=np.float64)
    greedy = np.full((n, n), -1, dtype=np.int64)
    value = np.full((n, n), np.nan)
    for (r, c), q in zip(cells, qs):
        greedy[r, c] = int(np.argmax(q))
        value[r, c] = float(np.max(q))
    finite = value[np.isfinite(value)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    return QOverlay(greedy, value, lo, hi)
