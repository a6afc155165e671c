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


def clock(seconds: float) -> str:
    """``75`` → ``1:15``, ``4000`` → ``1:06:40``."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def span(seconds: float) -> str:
    """A duration in few characters, for panels: ``8:41`` under an hour, ``19h19m`` under 100 hours,
    ``41d07h`` beyond (a clock's seconds say nothing over hours)."""
    seconds = max(0, int(round(seconds)))
    if seconds < 3600:
        return clock(seconds)
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    if hours < 100:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def time_left(done: float, total: float, per_second: float) -> str | None:
    """What is left of a run at its current rate, as ``8:41 left`` or ``19h19m left``; None when it
    cannot be said yet (no rate, nothing to do, or an open-ended run)."""
    if total <= 0 or per_second <= 0 or done >= total or not math.isfinite(per_second):
        return None
    return f"{span((total - done) / per_second)} left"
