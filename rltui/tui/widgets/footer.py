"""Textual's Footer without its memory leak, for every screen of the app.

Textual's Footer recomposes whenever the screen's bindings change (a modal opens or closes, an action
becomes available), building new ``FooterKey`` widgets that ``data_bind`` to the footer's ``compact``
reactive. Each binding leaves an entry pointing at its key in the footer's watcher list, and Textual only
prunes that list when ``compact`` changes, which it never does here (textual#6666, open in 8.2). So every
recompose kept its discarded keys alive, with their render caches: ~3,000 objects each time the help
opened and closed. While a run streams in, that grew the heap by ~7,000 live objects a second, and every
full garbage collection, which walks all of them, took longer and longer (6 → 45 ms within seconds):
pauses that landed on key presses.
"""

from __future__ import annotations

from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """A drop-in Footer that drops the watcher entries of the keys a recompose removed."""

    async def recompose(self) -> None:
        await super().recompose()
        self.prune_watchers()

    def prune_watchers(self) -> None:
        """Keep only watchers whose widget is still in the DOM (what Textual does on the next change)."""
        watchers: dict[str, list] = getattr(self, "__watchers", {})
        for entries in watchers.values():
            entries[:] = [(node, callback) for node, callback in entries
                          if node is self or (node.is_attached and not node._closing)]
