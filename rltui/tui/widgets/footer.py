"""Textual's Footer, rebuilt only when what it shows changes, and without its memory leak.

Textual's Footer recomposes whenever the screen's bindings are updated, which happens each time a
modal such as the help opens or closes over the screen, even though the keys shown afterwards are the
same ones. A recompose builds a new ``FooterKey`` per key, and each new key restyles itself through its
``compact`` data binding: ~20 ms of a 2-core machine's CPU while a run streams in, on the very key press
that closed the help. This Footer remembers what it last composed and skips a recompose that would
show the same keys.

The leak: each ``FooterKey`` binding leaves an entry pointing at the key in the footer's watcher list,
and Textual only prunes that list when ``compact`` changes, which it never does here (textual#6666,
open in 8.2). So every recompose kept its discarded keys alive with their render caches, and every full
garbage collection walked them: with the help opened and closed a few times a second, collections
grew from 6 to 45 ms within seconds, pauses that landed on key presses. The entries of removed keys
are dropped after each recompose (:func:`rltui.tui.textual_fixes.prune_watchers`, version-gated).
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.widgets import Footer as TextualFooter

from rltui.tui.textual_fixes import prune_watchers


class Footer(TextualFooter):
    """A drop-in Footer that recomposes only for a change and drops the watchers of removed keys."""

    _composed: Hashable | None = None  # what the children show (see _shown)

    def _shown(self) -> Hashable:
        """Everything compose() reads to build the keys."""
        keys = tuple(
            (binding.key, binding.key_display, binding.action, binding.description, enabled, tooltip,
             None if binding.group is None else (binding.group.description, binding.group.compact))
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
        return keys, self.show_command_palette, self.app.ENABLE_COMMAND_PALETTE

    def on_resize(self, event) -> None:
        """Below 80 columns, drop the gaps between keys so they all stay on screen (60×20 included)."""
        compact = event.size.width < 80
        if compact != self.compact:
            self.compact = compact

    def compose(self) -> ComposeResult:
        self._composed = self._shown() if getattr(self, "_bindings_ready", False) else None
        yield from super().compose()

    async def recompose(self) -> None:
        if self._composed is not None and self.is_attached and self._shown() == self._composed:
            return  # the same keys as now: nothing to rebuild
        await super().recompose()
        prune_watchers(self)
