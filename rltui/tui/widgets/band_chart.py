"""An evaluation curve over seeds in braille dots: the 95% band (dim) and the mean (bright).

The Sweep screen's aggregate curve: one column per evaluated step, the band filled from its low to its
high edge, the mean drawn over it, an optional dashed solved bar.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from rltui.tui.widgets.chart import _DOTS, AXIS, BAR, MEAN

BAND = "#3b5b7a"


def band_text(points: Sequence[tuple[int, float, float, float]], width: int, height: int, *,
              bar: float | None = None, title: str = "") -> Text:
    """``points`` are ``(steps, mean, low, high)``; the chart is ``height`` lines, ``width`` cells."""
    text = Text(no_wrap=True, overflow="crop")
    label_w = 7
    plot_w, plot_h = max(4, width - label_w), max(2, height - 1)
    if not points:
        text.append((title + " — no evaluations yet").strip(" —"), style="dim")
        return text
    steps = np.array([p[0] for p in points], dtype=float)
    mean, low, high = (np.array([p[i] for p in points], dtype=float) for i in (1, 2, 3))
    lo, hi = float(low.min()), float(high.max())
    if bar is not None:
        lo, hi = min(lo, bar), max(hi, bar)
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    cols, rows = plot_w * 2, plot_h * 4
    span = steps.max() - steps.min()
    xs = (np.zeros(len(steps), dtype=int) if span <= 0
          else ((steps - steps.min()) / span * (cols - 1)).round().astype(int))

    def to_row(v: np.ndarray | float) -> np.ndarray:
        return np.clip(((hi - np.asarray(v)) / (hi - lo) * (rows - 1)).round().astype(int), 0, rows - 1)

    band = np.zeros((plot_h, plot_w), dtype=np.int32)
    line = np.zeros((plot_h, plot_w), dtype=np.int32)
    # Fill every dot column between evaluated steps by linear interpolation, so the band reads as an area.
    grid_x = np.arange(cols)
    interp = (lambda v: np.interp(grid_x, xs, v)) if len(xs) > 1 else (lambda v: np.full(cols, v[0]))
    m_rows, l_rows, h_rows = to_row(interp(mean)), to_row(interp(low)), to_row(interp(high))
    last = xs.max() if len(xs) > 1 else 0
    for x in range(last + 1):
        for y in range(h_rows[x], l_rows[x] + 1):
            band[y // 4, x // 2] |= _DOTS[y % 4][x % 2]
        y = m_rows[x]
        line[y // 4, x // 2] |= _DOTS[y % 4][x % 2]
    bar_row = int(to_row(bar)) // 4 if bar is not None else -1
    for r in range(plot_h):
        label = f"{hi:>6.3g} " if r == 0 else f"{lo:>6.3g} " if r == plot_h - 1 else " " * label_w
        text.append(label[:label_w], style=AXIS)
        for c in range(plot_w):
            if line[r, c]:
                text.append(chr(0x2800 + int(line[r, c] | band[r, c])), style=Style(color=MEAN, bold=True))
            elif band[r, c]:
                text.append(chr(0x2800 + int(band[r, c])), style=Style(color=BAND))
            elif r == bar_row and c % 2 == 0:
                text.append("╌", style=Style(color=BAR))
            else:
                text.append(" ")
        text.append("\n")
    text.append(" " * label_w + (f"{title} · " if title else "") + f"to step {int(steps.max()):,}", style=AXIS)
    text.append("  — mean ", style=MEAN)
    text.append("▒ 95% band", style=BAND)
    return text


class BandChart(Widget):
    """Set :attr:`points` (``(steps, mean, low, high)`` each) and it redraws."""

    DEFAULT_CSS = "BandChart { height: 1fr; width: 1fr; }"

    def __init__(self, *, bar: float | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.bar = bar
        self.title = ""
        self._points: list[tuple[int, float, float, float]] = []

    def set_points(self, points: Sequence[tuple[int, float, float, float]], title: str = "") -> None:
        self._points, self.title = list(points), title
        self.refresh()

    def render(self) -> Text:
        return band_text(self._points, self.content_size.width, self.content_size.height, bar=self.bar,
                         title=self.title)
