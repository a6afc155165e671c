"""CLI tables designed for an 80-column terminal: no side borders, one space between columns, short
figures (``rltui.numbers``), and one column (the free text) that wraps or ellipsises instead of every
column being folded mid-word."""

from __future__ import annotations

from rich import box
from rich.table import Table


def narrow_table(title: str | None = None) -> Table:
    """A table with a rule under the header and no vertical lines: every column keeps its text whole."""
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                 padding=(0, 1), collapse_padding=True)
