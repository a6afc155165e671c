"""Lines that fit their panel: each given as variants, most detailed first, and the first that fits
the panel's width is shown. A panel such as the Train screen's stats is ~39 columns at 80×24 and
Textual's ``Static`` wraps what is longer (it ignores ``no_wrap``), pushing its last lines out of
sight; a shorter wording chosen here loses nothing, where a wrap or a cut loses a line or its end.
"""

from __future__ import annotations

from rich.cells import cell_len

#: The width to fit before a panel is laid out (its content width at 80×24); a resize repaints it.
NARROW = 39


def widest(text: str) -> int:
    """The widest line of ``text``, in terminal cells."""
    return max((cell_len(line) for line in text.split("\n")), default=0)


def fit(width: int, *variants: str) -> str:
    """The first of ``variants`` whose every line fits in ``width`` cells, else the last (the shortest)."""
    for text in variants:
        if widest(text) <= width:
            return text
    return variants[-1]


def width_of(widget) -> int:
    """The width a widget's content has, or :data:`NARROW` before it is laid out."""
    return widget.content_size.width or NARROW
