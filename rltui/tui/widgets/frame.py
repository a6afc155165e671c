"""An rgb frame (pixel envs, CartPole) as a half-block truecolour picture that fits the widget."""

from __future__ import annotations

import numpy as np
from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

from rltui.play.render_terminal import ATARI_PIXEL_ASPECT, HalfBlockFrame
from rltui.tui.widgets.fit import fit


class FrameView(Widget):
    """Shows the latest frame; :meth:`show` is cheap (the picture is scaled at paint time)."""

    DEFAULT_CSS = "FrameView { height: 1fr; width: 1fr; }"

    def __init__(self, message: str = "", *shorter: str, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.frame: np.ndarray | str | None = None
        self.message = message
        self.shorter = shorter  # the message in fewer words, shortest last, for where it is wider than the view
        self.pixel_aspect = 1.0  # ATARI_PIXEL_ASPECT for Atari frames (set by the screen)

    def with_aspect(self, entry) -> FrameView:
        """Draw ``entry``'s frames with its pixels' shape (Atari's are wide)."""
        if getattr(entry, "family", "") == "atari":
            self.pixel_aspect = ATARI_PIXEL_ASPECT
        return self

    def show(self, frame: np.ndarray | str | None, message: str | None = None) -> None:
        """Show an rgb frame, or text as it is (an env's ansi render, an observation readout)."""
        self.frame = frame
        if message is not None:
            self.message, self.shorter = message, ()
        self.refresh()

    def render(self) -> RenderableType:
        if self.frame is None:
            return Text(fit(self.content_size.width, self.message, *self.shorter), style="dim")
        if isinstance(self.frame, str):
            return Text.from_ansi(self.frame, no_wrap=True)
        return HalfBlockFrame(self.frame, max_rows=max(1, self.content_size.height), pixel_aspect=self.pixel_aspect)
