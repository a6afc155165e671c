"""A work-around for a Textual memory leak that slowed the app's key presses while a run streams in.

``StylesCache.get_inner_outer`` in Textual 8.2 is an ``lru_cache`` on what was meant to be a
classmethod but is an instance method (textual#6665, open). The cache key therefore holds the
``StylesCache`` itself, and through it every strip that widget last rendered. Each widget ever drawn
(each help screen, each footer rebuilt after the bindings change) stays alive until 1,024 newer ones
push it out: ~10^5 objects that every full garbage collection walks, which took 30–70 ms at a time,
pauses that landed on key presses.

:func:`install` keeps Textual's own function and its cache, keyed by the two colours only, as intended.
It does nothing once Textual has fixed the method (when it no longer is an ``lru_cache`` on an
instance method).
"""

from __future__ import annotations

from functools import lru_cache


def install() -> bool:
    """Patch ``StylesCache.get_inner_outer`` once; True if it was patched."""
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
