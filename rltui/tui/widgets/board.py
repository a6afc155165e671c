"""A grid env drawn as coloured cells, optionally with a Q-table overlay (heatmap + greedy arrows).

The widget only paints a :class:`rltui.play.board.Board` through :func:`rltui.play.board_text.board_text`
(the same picture ``rltui eval --render terminal`` prints), sized to the space it has: smaller cells,
then two rows a line, and a shorter caption, rather than a board cut at the bottom.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from rltui.play.board import Board, QOverlay
from rltui.play.board_text import AGENT, FOG_GLYPH, board_text, caption_lines, cell_size, heat  # noqa: F401


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
        """The caption as drawn: in the wording that fits beside the board at its size."""
        return caption_lines(self.board, self.content_size.width, self.content_size.height)

    def cell_size(self) -> tuple[int, int]:
        return cell_size(self.board, self.content_size.width, self.content_size.height)

    def render(self) -> Text:
        if self.board is None:
            return Text(self.message, style="dim")
        return board_text(self.board, self.content_size.width, self.content_size.height, self.overlay, self.glyphs)
