"""Numbers as a person reads them on a screen or in a table: a few significant figures, never
scientific notation (``318 ± 110``, not ``318 ± 1.1e+02``), thousands as ``12.3k`` where space is short.

Every face (the app's panels, the CLI's tables) formats through here so the same value reads the same.
"""

from __future__ import annotations

import math

import numpy as np


def num(value: float | None, sig: int = 3) -> str:
    """``value`` with about ``sig`` significant figures, in positional notation; ``—`` for none/NaN."""
    if value is None:
        return "—"
    v = float(value)
    if math.isnan(v):
        return "—"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if v.is_integer() and abs(v) < 1e6:
        return f"{v:.0f}"
    magnitude = abs(v)
    if magnitude >= 1e6:
        return short(v, sig)
    if magnitude >= 10 ** (sig - 1):
        return f"{v:.0f}"
    text = np.format_float_positional(v, precision=sig, unique=True, fractional=False, trim="-")
    return text


def short(value: float | None, sig: int = 3) -> str:
    """Counts in few characters: 12,345 → ``12.3k``, 1.5e6 → ``1.5M``; smaller values as :func:`num`."""
    if value is None:
        return "—"
    v = float(value)
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= size:
            scaled = v / size
            text = np.format_float_positional(scaled, precision=sig, unique=True, fractional=False, trim="-")
            return f"{text}{unit}"
    return num(v, sig)
