"""RGB frames for videos: boards drawn as the app draws them, env frames, captions, side by side.

Grid envs are drawn from :func:`rltui.play.board.board_of` (the same cells, colours and agent marker
the terminal shows) or taken from the env's ``rgb_array``; pixel envs keep their native resolution.
Every frame gets a caption strip (who, step, return): it says what is happening, and it makes each
frame differ from the last, so a GIF writer that merges identical frames never drops a step.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

import numpy as np

from rltui.play.board import Board, board_of, has_board

FrameStyle = Literal["board", "rgb"]

CELL = 48  # pixels per board cell
CAPTION_H = 36  # two lines: who, then step and return
_BOARD_CAPTION_H = 22
_BG = (24, 24, 24)
_TEXT = (235, 235, 235)
_AGENT = (245, 197, 24)
# Glyphs the bundled font lacks, drawn as letters instead.
_ASCII = {"★": "G", "○": "", "✶": "*", "☺": "P"}
_TEXT_SUBS = {"→": "->", "←": "<-", "×": "x"}


def _plain(text: str) -> str:
    for a, b in _TEXT_SUBS.items():
        text = text.replace(a, b)
    return text


@lru_cache(maxsize=4)
def _font(size: int):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size)
    except TypeError:  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def draw_board(board: Board, cell: int = CELL) -> np.ndarray:
    """The board as an (H, W, 3) uint8 image: coloured cells, walls, glyphs, the agent as a disc."""
    from PIL import Image, ImageDraw

    rows, cols = board.shape
    caption_h = _BOARD_CAPTION_H if board.caption else 0
    img = Image.new("RGB", (cols * cell, rows * cell + caption_h), _BG)
    draw = ImageDraw.Draw(img)
    font = _font(cell // 2)
    for r, row in enumerate(board.cells):
        for c, cl in enumerate(row):
            x0, y0 = c * cell, r * cell
            draw.rectangle((x0, y0, x0 + cell - 1, y0 + cell - 1), fill=_rgb(cl.bg), outline=_BG)
            if cl.wall_right:
                draw.rectangle((x0 + cell - 4, y0, x0 + cell - 1, y0 + cell - 1), fill=(230, 230, 230))
            glyph = _ASCII.get(cl.glyph, cl.glyph)
            if glyph:
                draw.text((x0 + cell / 2, y0 + cell / 2), glyph, fill=_rgb(cl.fg), font=font, anchor="mm")
    if board.agent is not None:
        r, c = board.agent
        m = cell // 5
        draw.ellipse((c * cell + m, r * cell + m, (c + 1) * cell - m - 1, (r + 1) * cell - m - 1),
                     fill=_AGENT, outline=(0, 0, 0), width=2)
    if board.caption:
        text, font = _fit_text(draw, board.caption, cols * cell - 6)
        draw.text((3, rows * cell + caption_h / 2), text, fill=_TEXT, font=font, anchor="lm")
    return np.asarray(img, dtype=np.uint8)


def wants_rgb(env_kind: str, style: FrameStyle, env: Any) -> bool:
    """Whether frames come from ``env.render()`` (pixels, vectors, or asked for) rather than the board."""
    return env_kind != "grid" or style == "rgb" or not has_board(env)


def env_frame(env: Any, rgb: bool) -> np.ndarray:
    """The env's current picture: its rgb_array render, or its board drawn as the app draws it."""
    if rgb:
        frame = env.render()
        if frame is None:
            raise ValueError("the env gave no rgb_array frame")
        return np.ascontiguousarray(np.asarray(frame, dtype=np.uint8)[..., :3])
    board = board_of(env)
    assert board is not None
    return draw_board(board)


def _fit_text(draw: Any, text: str, width: int, sizes: tuple[int, ...] = (13, 12, 11, 10, 9, 8)) -> tuple[str, Any]:
    """``text`` in the largest font that fits ``width`` pixels; at the smallest, cut with an ellipsis."""
    text = _plain(text)
    for size in sizes:
        if draw.textlength(text, font=_font(size)) <= width:
            return text, _font(size)
    font = _font(sizes[-1])
    while len(text) > 1 and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…", font


def with_caption(frame: np.ndarray, who: str, status: str) -> np.ndarray:
    """``frame`` under a dark strip of two lines, who plays and the status (step, return); the frame is not
    scaled. The status line always fits (smaller type where the frame is narrow): it is what makes
    consecutive frames differ."""
    from PIL import Image, ImageDraw

    h, w = frame.shape[:2]
    strip = Image.new("RGB", (w, CAPTION_H), _BG)
    draw = ImageDraw.Draw(strip)
    for y, text in ((CAPTION_H / 4 + 1, who), (3 * CAPTION_H / 4, status)):
        fitted, font = _fit_text(draw, text, w - 6)
        draw.text((3, y), fitted, fill=_TEXT, font=font, anchor="lm")
    return np.concatenate([np.asarray(strip, dtype=np.uint8), frame], axis=0)


def side_by_side(frames: Sequence[np.ndarray], gap: int = 8) -> np.ndarray:
    """Frames next to each other, top-aligned on a dark background (heights may differ)."""
    h = max(f.shape[0] for f in frames)
    w = sum(f.shape[1] for f in frames) + gap * (len(frames) - 1)
    out = np.empty((h, w, 3), dtype=np.uint8)
    out[...] = _BG
    x = 0
    for f in frames:
        out[: f.shape[0], x: x + f.shape[1]] = f
        x += f.shape[1] + gap
    return out


def step_status(step: int, ret: float, done: bool = False) -> str:
    return f"step {step} · return {ret:g}" + (" · done" if done else "")
