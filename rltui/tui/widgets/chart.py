"""A reward chart in braille dots: every episode's return (dim) and their moving average (bright).

Braille characters give 2×4 dots per cell, so a 40×8 panel plots 80×32 points: enough to see a curve
rise. Long runs are binned (mean return per dot column), so drawing costs the same at episode 10 and
episode 100 000. An optional dashed line marks the env's solved bar.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row][col] bit of a braille cell
RAW, MEAN, BAR, AXIS = "#5c7080", "#4dabf7", "#69db7c", "#868e96"


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    if len(values) == 0:
        return values
    c = np.cumsum(np.insert(values.astype(np.float64), 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(0, idx - window)
    return (c[idx] - c[lo]) / (idx - lo)


def _bin(values: np.ndarray, n: int) -> np.ndarray:
    if len(values) <= n:
        return values
    edges = np.linspace(0, len(values), n + 1).astype(int)
    return np.add.reduceat(values, edges[:-1]) / np.diff(edges)


def chart_text(returns: list[float] | np.ndarray, width: int, height: int, *, window: int = 50,
               bar: float | None = None, title: str = "") -> Text:
    """The chart as Rich text of ``height`` lines and at most ``width`` cells."""
    values = np.asarray(returns, dtype=np.float64)
    text = Text(no_wrap=True, overflow="crop")
    label_w = 7
    plot_w, plot_h = max(4, width - label_w), max(2, height - 1)
    if len(values) == 0:
        text.append((title + " — no episodes yet").strip(" —"), style="dim")
        return text
    avg = moving_average(values, window)
    cols = plot_w * 2
    raw_b, avg_b = _bin(values, cols), _bin(avg, cols)
    lo, hi = float(min(raw_b.min(), avg_b.min())), float(max(raw_b.max(), avg_b.max()))
    if bar is not None:
        lo, hi = min(lo, bar), max(hi, bar)
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    rows = plot_h * 4

    def to_row(v: np.ndarray) -> np.ndarray:
        return np.clip(((hi - v) / (hi - lo) * (rows - 1)).round().astype(int), 0, rows - 1)

    grid = np.zeros((plot_h, plot_w), dtype=np.int32)
    is_mean = np.zeros((plot_h, plot_w), dtype=bool)
    is_bar = np.zeros((plot_h, plot_w), dtype=bool)
    n = len(raw_b)
    xs = np.arange(n) * (cols - 1) // max(n - 1, 1)  # stretched across the panel
    for series, mark in ((to_row(raw_b), None), (to_row(avg_b), is_mean)):
        prev = None
        for x, y in zip(xs, series):
            ys = [y] if prev is None or mark is None else range(min(prev, y), max(prev, y) + 1)
            for yy in ys:  # the mean is a joined line; raw returns are dots
                grid[yy // 4, x // 2] |= _DOTS[yy % 4][x % 2]
                if mark is not None:
                    mark[yy // 4, x // 2] = True
            prev = y
    if bar is not None:
        yb = int(to_row(np.array([bar]))[0])
        for x in range(0, cols, 3):
            if not grid[yb // 4, x // 2]:
                is_bar[yb // 4, x // 2] = True
            grid[yb // 4, x // 2] |= _DOTS[yb % 4][x % 2]
    for r in range(plot_h):
        label = f"{hi:>6.3g} " if r == 0 else f"{lo:>6.3g} " if r == plot_h - 1 else " " * label_w
        text.append(label[:label_w], style=AXIS)
        for c in range(plot_w):
            ch = chr(0x2800 + int(grid[r, c]))
            colour = MEAN if is_mean[r, c] else BAR if is_bar[r, c] else RAW
            text.append(ch, style=Style(color=colour))
        text.append("\n")
    legend = Text(" " * label_w, no_wrap=True)
    legend.append("· return ", style=RAW)
    legend.append(f"— mean/{window} ", style=MEAN)
    if bar is not None:
        legend.append(f"┄ solved {bar:g} ", style=BAR)
    legend.append(f"· {len(values):,} ep", style=AXIS)
    text.append_text(legend)
    return text


class RewardChart(Widget):
    """Episode returns and their moving average, repainted when :attr:`returns` or :attr:`upto` changes."""

    DEFAULT_CSS = "RewardChart { height: 1fr; width: 1fr; }"

    #: every episode's return so far (the chart's own list: :meth:`set_returns` copies, :meth:`extend` appends)
    returns: reactive[list[float]] = reactive(list, init=False)
    #: how many episodes to draw, None: all (a finished run stepped back in time draws the ones up to then)
    upto: reactive[int | None] = reactive(None, init=False)

    def __init__(self, *, bar: float | None = None, window: int = 50, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.bar = bar
        self.window = window

    def set_returns(self, returns: list[float]) -> None:
        self.returns = list(returns)

    def extend(self, new: list[float]) -> None:
        """Add the returns of episodes that have just ended (no copy of the ones before)."""
        self.returns.extend(new)
        self.mutate_reactive(RewardChart.returns)

    @property
    def shown(self) -> list[float]:
        return self.returns if self.upto is None else self.returns[: self.upto]

    def render(self) -> Text:
        return chart_text(self.shown, self.content_size.width, self.content_size.height,
                          window=self.window, bar=self.bar)
