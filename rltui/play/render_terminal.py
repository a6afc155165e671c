"""rgb frames in a terminal: each character cell shows two pixels with ``▀`` (top = foreground colour,
bottom = background colour), in 24-bit colour.

A terminal cell is about twice as tall as wide, so a half-block is close to a square pixel and the
picture keeps its aspect ratio. Frames are box-filtered down to the space the widget has (Atari's
one-pixel ball survives as a dimmer dot instead of vanishing, as it would with nearest-neighbour).
This is a Rich renderable: it sizes itself to whatever the console offers and needs no Textual.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style

UPPER_HALF = "▀"


def _bounds(n_in: int, n_out: int) -> np.ndarray:
    return np.linspace(0, n_in, n_out + 1).astype(np.int64)


def downscale(rgb: np.ndarray, height: int, width: int) -> np.ndarray:
    """Area-average ``rgb`` (H, W, 3) to (height, width, 3); upscales by repeating pixels."""
    h, w = rgb.shape[:2]
    height, width = max(1, height), max(1, width)
    if height >= h and width >= w:
        rows = np.arange(height) * h // height
        cols = np.arange(width) * w // width
        return rgb[rows][:, cols]
    img = rgb.astype(np.float32)
    rb = _bounds(h, min(height, h))
    cb = _bounds(w, min(width, w))
    rb, cb = np.unique(rb), np.unique(cb)
    summed = np.add.reduceat(np.add.reduceat(img, rb[:-1], axis=0), cb[:-1], axis=1)
    counts = np.diff(rb)[:, None, None] * np.diff(cb)[None, :, None]
    return (summed / counts).astype(np.uint8)


#: Atari frames are 160×210 pixels shown on a 4:3 screen: each pixel is ~1.75 times as wide as tall.
#: Drawn square, Ms. Pac-Man's maze used ~65% of the preview's width and its sprites were specks.
ATARI_PIXEL_ASPECT = (4 / 3) / (160 / 210)


def fit(h: int, w: int, max_cols: int, max_rows: int) -> tuple[int, int]:
    """Columns and terminal rows that show an h×w image as large as fits, keeping its aspect ratio."""
    max_cols, max_rows = max(1, max_cols), max(1, max_rows)
    scale = min(max_cols / w, (2 * max_rows) / h)
    cols = max(1, min(max_cols, round(w * scale)))
    rows = max(1, min(max_rows, round(h * scale / 2)))
    return cols, rows


@lru_cache(maxsize=8192)
def _style(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Style:
    return Style(color=Color.from_rgb(*top), bgcolor=Color.from_rgb(*bottom))


def halfblock_lines(rgb: np.ndarray, cols: int, rows: int) -> list[list[Segment]]:
    """Segments for ``rows`` lines of ``cols`` cells showing ``rgb``; runs of one colour pair merged."""
    img = downscale(np.asarray(rgb)[..., :3], 2 * rows, cols)
    if img.shape[0] % 2:
        img = np.concatenate([img, img[-1:]], axis=0)
    lines: list[list[Segment]] = []
    for r in range(0, img.shape[0], 2):
        top, bottom = img[r].tolist(), img[r + 1].tolist()
        line: list[Segment] = []
        run_start = 0
        for c in range(1, len(top) + 1):
            if c == len(top) or top[c] != top[run_start] or bottom[c] != bottom[run_start]:
                line.append(Segment(UPPER_HALF * (c - run_start), _style(tuple(top[run_start]),
                                                                        tuple(bottom[run_start]))))
                run_start = c
        lines.append(line)
    return lines


class HalfBlockFrame:
    """A Rich renderable for one rgb frame, scaled to the width (and height, when known) it is given."""

    def __init__(self, rgb: np.ndarray, max_rows: int | None = None, centre: bool = True,
                 pixel_aspect: float = 1.0) -> None:
        self.rgb = rgb
        self.max_rows = max_rows
        self.centre = centre
        self.pixel_aspect = pixel_aspect  # a pixel's width over its height, as the game was shown

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        max_rows = self.max_rows or options.height or options.max_height
        h, w = self.rgb.shape[:2]
        cols, rows = fit(h, max(1, round(w * self.pixel_aspect)), options.max_width, max_rows)
        pad = (options.max_width - cols) // 2 if self.centre else 0
        for line in halfblock_lines(self.rgb, cols, rows):
            if pad:
                yield Segment(" " * pad)
            yield from line
            yield Segment.line()
