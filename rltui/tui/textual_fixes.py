"""Work-arounds that reach into Textual's internals, all here, each gated to the Textual releases they
were checked against (:data:`TEXTUAL_CHECKED`, pyproject's bound); on any other release they do nothing.

1. :func:`install`: ``StylesCache.get_inner_outer`` in Textual 8.2 is an ``lru_cache`` on what was meant
   to be a classmethod but is an instance method (textual#6665, open). Its key holds the ``StylesCache``
   and through it every strip that widget last rendered, so each widget ever drawn stayed alive until
   1,024 newer ones pushed it out, and full garbage collections that walked them paused key presses.
   The patch keeps Textual's function and cache, keyed by the two colours only, as intended; it does
   nothing once the method is no longer an ``lru_cache`` on an instance method.
2. :func:`prune_watchers`: each ``FooterKey`` leaves an entry in the footer's private watcher table that
   Textual prunes only when ``compact`` changes (textual#6666, open in 8.2), keeping discarded keys
   alive; :class:`rltui.tui.widgets.footer.Footer` calls it after each recompose.
3. :func:`install` also lets ``Header`` titles outlive their screen: the title watcher Textual 8.2's
   ``Header`` sets up on mount catches ``NoScreen`` but not ``NoMatches``, so a screen removed before
   its header's first title update (opened and left at once, or the app closing right after opening
   one) raised from a background task and ended the app.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib.metadata import version

#: Textual releases (from, before) whose internals these fixes were read against; pyproject's bound.
TEXTUAL_CHECKED = ((8, 2), (8, 3))


@cache
def textual_checked() -> bool:
    """True when the installed Textual is one the fixes were checked against."""
    parts = version("textual").split(".")
    return TEXTUAL_CHECKED[0] <= (int(parts[0]), int(parts[1])) < TEXTUAL_CHECKED[1]


def install() -> bool:
    """Patch ``StylesCache.get_inner_outer`` (and ``Header``'s title watcher) once; True if patched."""
    if not textual_checked():
        return False
    _patch_header_titles()
    from textual._styles_cache import StylesCache

    current = StylesCache.__dict__.get("get_inner_outer")
    original = getattr(current, "__wrapped__", None)
    if getattr(current, "cache_info", None) is None or original is None:
        return False  # already patched, or fixed upstream

    @lru_cache(1024)
    def inner_outer(base_background, background):  # the colours are hashable values
        return original(StylesCache, base_background, background)

    def get_inner_outer(self, base_background, background):
        return inner_outer(base_background, background)

    get_inner_outer.__doc__ = current.__doc__
    StylesCache.get_inner_outer = get_inner_outer
    current.cache_clear()  # drop whatever the buggy cache holds already
    return True


def _patch_header_titles() -> None:
    """``Header._on_mount`` as Textual 8.2 writes it, with ``NoMatches`` caught beside ``NoScreen``."""
    from textual.css.query import NoMatches
    from textual.dom import NoScreen
    from textual.widgets._header import Header, HeaderTitle

    if getattr(Header._on_mount, "_rltui_patched", False):
        return

    def _on_mount(self, _event) -> None:
        async def set_title() -> None:
            try:
                self.query_one(HeaderTitle).update(self.format_title())
            except (NoScreen, NoMatches):  # the screen went away before its title was set
                pass

        self.watch(self.app, "title", set_title)
        self.watch(self.app, "sub_title", set_title)
        self.watch(self.screen, "title", set_title)
        self.watch(self.screen, "sub_title", set_title)

    _on_mount._rltui_patched = True
    Header._on_mount = _on_mount


def prune_watchers(widget) -> None:
    """Keep only the watchers of ``widget`` whose node is still in the DOM (what Textual itself does only
    when the watched value changes next). Reads Textual's private watcher table, hence the gate."""
    if not textual_checked():
        return
    watchers: dict[str, list] = getattr(widget, "__watchers", {})
    for entries in watchers.values():
        entries[:] = [(node, callback) for node, callback in entries
                      if node is widget or (node.is_attached and not getattr(node, "_closing", False))]
