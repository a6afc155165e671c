"""A grid env drawn as coloured cells, optionally with a Q-table overlay (heatmap + greedy arrows).

The widget only paints a :class:`rltui.play.board.Board`; cell size adapts to the space it has, from
3×1 characters (FrozenLake 8×8 in a corner of an 80×24 terminal) up to 9×4.
"""

from __future__ import annotations

import math
import textwrap

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from rltui.play.board import CLIFF, Board, QOverlay

AGENT = "●"
FOG_GLYPH = "░"  # a cell the player cannot see (GridWorldPartial), drawn as fog over the whole cell
_SIZES = ((9, 4), (7, 3), (5, 2), (3, 1))
_LOW, _MID, _HIGH = (185, 28, 28), (64, 64, 64), (21, 128, 61)


def heat(value: float, lo: float, hi: float) -> str:
    """Red (low) through grey to green (high), as a hex colour."""
    if not math.isfinite(value) or hi <= lo:
        t = 0.5 if math.isfinite(value) else 0.0
    else:
        t = (value - lo) / (hi - lo)
    a, b, u = (_LOW, _MID, t * 2) if t < 0.5 else (_MID, _HIGH, t * 2 - 1)
    r, g, bl = (round(x + (y - x) * u) for x, y in zip(a, b))
    return f"#{r:02x}{g:02x}{bl:02x}"


def _fmt(value: float, width: int) -> str:
    for text in (f"{value:.2f}", f"{value:.1f}", f"{value:.0f}"):
        text = text.replace("0.", ".", 1) if text.startswith("0.") else text.replace("-0.", "-.", 1)
        if len(text) <= width:
            return text
    return ""


class BoardView(Widget):
    """Paints a board; set :attr:`board` (and :attr:`overlay`, :attr:`glyphs` for Q) to update."""

    DEFAULT_CSS = "BoardView { height: 1fr; width: 1fr; }"

    def __init__(self, *, glyphs: tuple[str, ...] = (), id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.glyphs = glyphs
        self.message = ""
        self._board: Board | None = None
        self._overlay: QOverlay | None = None

    # Plain properties, not reactives: an overlay holds numpy arrays, which do not compare with ==.
    @property
    def board(self) -> Board | None:
        return self._board

    @board.setter
    def board(self, value: Board | None) -> None:
        self._board = value
        self.refresh()

    @property
    def overlay(self) -> QOverlay | None:
        return self._overlay

    @overlay.setter
    def overlay(self, value: QOverlay | None) -> None:
        self._overlay = value
        self.refresh()

    def caption_lines(self) -> list[str]:
        """The caption wrapped to the widget's width: a caption says what the board shows, never cut."""
        if self.board is None or not self.board.caption:
            return []
        return textwrap.wrap(self.board.caption, max(8, self.content_size.width)) or [""]

    def cell_size(self) -> tuple[int, int]:
        if self.board is None:
            return _SIZES[-1]
        rows, cols = self.board.shape
        width, height = self.content_size.width, self.content_size.height - len(self.caption_lines())
        for w, h in _SIZES:
            if cols * w <= width and rows * h <= height:
                return w, h
        return _SIZES[-1]

    def render(self) -> Text:
        board = self.board
        if board is None:
            return Text(self.message, style="dim")
        cw, ch = self.cell_size()
        rows, cols = board.shape
        pad = " " * max(0, (self.content_size.width - cols * cw) // 2)
        overlay = self.overlay
        text = Text(no_wrap=True, overflow="crop")
        for r in range(rows):
            for line in range(ch):
                text.append(pad)
                for c in range(cols):
                    text.append_text(self._cell_text(board, overlay, r, c, line, cw, ch))
                text.append("\n")
        caption = self.caption_lines()
        for i, line in enumerate(caption):
            text.append(line.center(self.content_size.width).rstrip() + ("\n" if i < len(caption) - 1 else ""),
                        style="italic")
        return text

    def _cell_text(self, board: Board, overlay: QOverlay | None, r: int, c: int, line: int,
                   cw: int, ch: int) -> Text:
        cell = board.cells[r][c]
        bg, fg, glyph = cell.bg, cell.fg, cell.glyph
        terminal = glyph in ("○", "★") or cell.bg == CLIFF
        value_line = ""
        if overlay is not None and overlay.greedy[r, c] >= 0 and not terminal:
            value = float(overlay.value[r, c])
            bg, fg = heat(value, overlay.lo, overlay.hi), "#ffffff"
            a = int(overlay.greedy[r, c])
            glyph = self.glyphs[a] if a < len(self.glyphs) else str(a)
            value_line = _fmt(value, cw - 1) if math.isfinite(value) else ""
        is_agent = board.agent == (r, c)
        mid = (ch - 1) // 2
        style = Style(bgcolor=bg, color=fg, bold=True)
        inner = cw - (1 if cell.wall_right else 0)
        if glyph == FOG_GLYPH and not is_agent:
            out = Text(FOG_GLYPH * inner, style=Style(bgcolor=bg, color=fg))
        elif line == mid:
            if is_agent:
                content = (AGENT + glyph[:1]) if (glyph and inner >= 5 and overlay is None) else AGENT
                centred = content.center(inner)
                out = Text(centred, style=style)
                at = centred.index(AGENT)
                out.stylize(Style(color="#ffd43b", bold=True), at, at + 1)
            else:
                out = Text(glyph[:inner].center(inner), style=style)
        elif line == mid + 1 and value_line:
            out = Text(value_line.center(inner), style=Style(bgcolor=bg, color="#e0e0e0"))
        else:
            out = Text(" " * inner, style=style)
        if cell.wall_right:
            out.append("┃", style=Style(bgcolor=bg, color="#f0f0f0", bold=True))
        return out
