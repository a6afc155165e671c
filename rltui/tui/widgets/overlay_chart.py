"""Several runs' moving-average returns in one braille chart, one colour each (side-by-side lessons)."""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from rltui.tui.widgets.chart import _DOTS, AXIS, _bin, moving_average

COLOURS = ("#4dabf7", "#ff922b", "#69db7c", "#f783ac")


def overlay_text(series: list[tuple[str, list[float]]], width: int, height: int, *, window: int = 50) -> Text:
    """Each ``(label, returns)`` as its moving average over episodes, on one shared scale."""
    text = Text(no_wrap=True, overflow="crop")
    label_w = 7
    plot_w, plot_h = max(4, width - label_w), max(2, height - 1)
    curves = [(label, moving_average(np.asarray(r, dtype=np.float64), window)) for label, r in series]
    longest = max((len(c) for _, c in curves), default=0)
    if longest == 0:
        text.append("no episodes yet", style="dim")
        return text
    cols, rows = plot_w * 2, plot_h * 4
    binned = [(label, _bin(c, max(1, round(cols * len(c) / longest)))) for label, c in curves]
    values = np.concatenate([b for _, b in binned if len(b)])
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    grid = np.zeros((plot_h, plot_w), dtype=np.int32)
    owner = np.full((plot_h, plot_w), -1)
    for k, (_, b) in enumerate(binned):
        if not len(b):
            continue
        ys = np.clip(((hi - b) / (hi - lo) * (rows - 1)).round().astype(int), 0, rows - 1)
        xs = np.minimum(np.arange(len(b)), cols - 1)  # one dot column per bin: shorter runs end earlier
        prev = None
        for x, y in zip(xs, ys):
            for yy in ([y] if prev is None else range(min(prev, y), max(prev, y) + 1)):
                grid[yy // 4, x // 2] |= _DOTS[yy % 4][x % 2]
                owner[yy // 4, x // 2] = k
            prev = y
    for r in range(plot_h):
        label = f"{hi:>6.3g} " if r == 0 else f"{lo:>6.3g} " if r == plot_h - 1 else " " * label_w
        text.append(label[:label_w], style=AXIS)
        for c in range(plot_w):
            k = int(owner[r, c])
            colour = COLOURS[k % len(COLOURS)] if k >= 0 else AXIS
            text.append(chr(0x2800 + int(grid[r, c])), style=Style(color=colour))
        text.append("\n")
    legend = Text(" " * label_w, no_wrap=True)
    for k, (label, _) in enumerate(curves):
        legend.append(f"— {label} ", style=COLOURS[k % len(COLOURS)])
    legend.append(f"(mean of {window})", style=AXIS)
    text.append_text(legend)
    return text


class OverlayChart(Widget):
    """Set :attr:`series` to ``[(label, returns), ...]`` and it redraws."""

    DEFAULT_CSS = "OverlayChart { height: 1fr; width: 1fr; }"

    def __init__(self, *, window: int = 50, id: str | None = None) -> None:
        super().__init__(id=id)
        self.window = window
        self._series: list[tuple[str, list[float]]] = []

    @property
    def series(self) -> list[tuple[str, list[float]]]:
        return self._series

    @series.setter
    def series(self, value: list[tuple[str, list[float]]]) -> None:
        self._series = [(label, list(r)) for label, r in value]
        self.refresh()

    def render(self) -> Text:
        return overlay_text(self._series, self.content_size.width, self.content_size.height, window=self.window)
