"""A :class:`rltui.play.board.Board` as Rich text: coloured cells, the agent, an optional Q overlay
(heatmap + greedy arrows) and the caption wrapped under it.

Pure Rich, no Textual: the app's BoardView paints it in the space it has, and ``rltui eval --render
terminal`` prints the same picture. Cells grow with the space, from 2×1 characters up to 13×6; where even
one line per row does not fit (GridWorldPartial's 9×9 in the Train screen's corner of an 80×24
terminal), two rows share a line as half-blocks, colour alone: the agent's cell in its own colour.
"""

from __future__ import annotations

import math
import textwrap

from rich.style import Style
from rich.text import Text

from rltui.play.board import CLIFF, Board, QOverlay

AGENT = "●"
AGENT_COLOUR = "#ffd43b"  # the agent on a board too small for its dot (half-blocks)
FOG_GLYPH = "░"  # a cell the player cannot see (GridWorldPartial), drawn as fog over the whole cell
#: cell sizes (columns, lines), largest first; a height of 0 is the half-block layout (two rows a line)
_SIZES = ((13, 6), (11, 5), (9, 4), (7, 3), (5, 2), (4, 2), (3, 1), (2, 1), (2, 0), (1, 0))
HALF = 0
_LOW, _MID, _HIGH = (185, 28, 28), (64, 64, 64), (21, 128, 61)


def agent_colour(bg: str) -> str:
    """The agent's dot in a colour that stands out on ``bg``: yellow on dark cells, near-black with a
    red tint on light ones (FrozenLake's ice made the yellow dot hard to see)."""
    try:
        r, g, b = (int(bg[i : i + 2], 16) for i in (1, 3, 5))
    except (ValueError, IndexError):
        return "#ffd43b"
    return "#7a0019" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffd43b"


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


def caption_lines(board: Board | None, width: int, height: int) -> list[str]:
    """The caption wrapped to ``width``, in the wording chosen with the cell size for ``height`` lines
    (:func:`layout`): a caption says what the board shows, so it is reworded shorter, never cut."""
    return layout(board, width, height)[1]


def _wrap(caption: str, width: int) -> list[str]:
    return textwrap.wrap(caption, max(8, width)) if caption else []


def lines_needed(rows: int, ch: int) -> int:
    """Lines ``rows`` rows of cells take at ``ch`` lines a row (:data:`HALF`: two rows a line)."""
    return rows * ch if ch != HALF else (rows + 1) // 2


def layout(board: Board | None, width: int, height: int) -> tuple[tuple[int, int], list[str]]:
    """The largest cell (columns, lines) at which the whole board and a wording of its caption fit
    ``width`` × ``height``, with the most detailed wording that fits at that size (the board's
    ``captions``, longest first). Where no wording fits beside the smallest board, the board alone
    (a caption would push its last rows out of sight); where nothing fits, the smallest cell, alone."""
    if board is None:
        return _SIZES[-1], []
    rows, cols = board.shape
    wordings = [_wrap(c, width) for c in board.captions] or [[]]
    for options in (wordings, [[]]):
        for w, h in _SIZES:
            if cols * w > width:
                continue
            for caption in options:
                if lines_needed(rows, h) + len(caption) <= height:
                    return (w, h), caption
    return _SIZES[-1], []


def cell_size(board: Board | None, width: int, height: int) -> tuple[int, int]:
    """The largest cell (columns, lines; 0 lines: half-blocks) at which the whole board and its caption fit."""
    return layout(board, width, height)[0]


def board_text(board: Board, width: int, height: int, overlay: QOverlay | None = None,
               glyphs: tuple[str, ...] = ()) -> Text:
    """The board drawn to fit ``width`` × ``height`` characters, centred across the width."""
    (cw, ch), caption = layout(board, width, height)
    rows, cols = board.shape
    pad = " " * max(0, (width - cols * cw) // 2)
    text = Text(no_wrap=True, overflow="crop")
    if ch == HALF:
        _half_blocks(text, board, overlay, cw, pad)
    else:
        for r in range(rows):
            for line in range(ch):
                text.append(pad)
                for c in range(cols):
                    text.append_text(_cell_text(board, overlay, glyphs, r, c, line, cw, ch))
                text.append("\n")
    for i, line in enumerate(caption):
        text.append(line.center(width).rstrip() + ("\n" if i < len(caption) - 1 else ""), style="italic")
    return text


def _colour(board: Board, overlay: QOverlay | None, r: int, c: int) -> str:
    """A cell's colour where there is no room for its glyph: the agent's own, the Q heat, or the cell's."""
    if board.agent == (r, c):
        return AGENT_COLOUR
    if _shows_q(board, overlay, r, c):
        return heat(float(overlay.value[r, c]), overlay.lo, overlay.hi)
    return board.cells[r][c].bg


def _shows_q(board: Board, overlay: QOverlay | None, r: int, c: int) -> bool:
    """Whether a cell is drawn with its Q (heat and arrow): a state, not a hole, goal or cliff."""
    cell = board.cells[r][c]
    terminal = cell.glyph in ("○", "★") or cell.bg == CLIFF
    return overlay is not None and overlay.greedy[r, c] >= 0 and not terminal


def _half_blocks(text: Text, board: Board, overlay: QOverlay | None, cw: int, pad: str) -> None:
    """Two rows a line: ▀ in the upper row's colour over the lower row's (the last row of an odd board
    alone)."""
    rows, cols = board.shape
    for r in range(0, rows, 2):
        text.append(pad)
        for c in range(cols):
            below = _colour(board, overlay, r + 1, c) if r + 1 < rows else None
            text.append("▀" * cw, style=Style(color=_colour(board, overlay, r, c), bgcolor=below))
        text.append("\n")


def _cell_text(board: Board, overlay: QOverlay | None, glyphs: tuple[str, ...], r: int, c: int, line: int,
               cw: int, ch: int) -> Text:
    cell = board.cells[r][c]
    bg, fg, glyph = cell.bg, cell.fg, cell.glyph
    value_line = ""
    if _shows_q(board, overlay, r, c):
        value = float(overlay.value[r, c])
        bg, fg = heat(value, overlay.lo, overlay.hi), "#ffffff"
        a = int(overlay.greedy[r, c])
        glyph = glyphs[a] if a < len(glyphs) else str(a)
        value_line = _fmt(value, cw - 1) if math.isfinite(value) else ""
    is_agent = board.agent == (r, c)
    mid = (ch - 1) // 2
    style = Style(bgcolor=bg, color=fg, bold=True)
    inner = cw - (1 if cell.wall_right else 0)
    if glyph == FOG_GLYPH and not is_agent:
        out = Text(FOG_GLYPH * inner, style=Style(bgcolor=bg, color=fg))
    elif line == mid:
        if is_agent:
            # the cell's label stays readable beside the agent (S, s1, ★) where the cell is wide enough
            label = glyph if overlay is None and glyph != FOG_GLYPH else ""
            content = f"{AGENT} {label}" if label and len(label) + 2 <= inner else AGENT
            if content == AGENT and label and ch > 1:
                content = AGENT  # the label goes on the line under the agent (below)
            centred = content.center(inner)
            out = Text(centred, style=style)
            at = centred.index(AGENT)
            out.stylize(Style(color=agent_colour(bg), bold=True), at, at + 1)
        else:
            out = Text(glyph[:inner].center(inner), style=style)
    elif line == mid + 1 and is_agent and overlay is None and glyph and glyph != FOG_GLYPH \
            and len(glyph) + 2 > inner and ch > 1:
        out = Text(glyph[:inner].center(inner), style=style)
    elif line == mid + 1 and value_line:
        out = Text(value_line.center(inner), style=Style(bgcolor=bg, color="#e0e0e0"))
    else:
        out = Text(" " * inner, style=style)
    if cell.wall_right:
        out.append("┃", style=Style(bgcolor=bg, color="#f0f0f0", bold=True))
    return out
