"""Catalogue plugins: a package ships curated entries for its own envs through an entry point.

In the package's ``pyproject.toml``::

    [project.entry-points."rltui.catalogue"]
    course = "mycourse.rltui_entries:ENTRIES"

The object may be an :class:`~rltui.envs.catalogue.EnvEntry`, a sequence of them, or a callable
returning either. Loading the entry point imports its module, which is where the package registers its
Gymnasium ids. Plugin entries show up in Pick and ``rltui envs`` after the curated ones, with their own
keys and text; a name that clashes with a curated one, or a plugin that fails to load, is skipped and
reported by :func:`plugin_errors` rather than breaking rltui.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable

from rltui.envs.catalogue import EnvEntry, catalogue_entry

GROUP = "rltui.catalogue"
_ERRORS: list[str] = []


def _as_entries(obj: object) -> list[EnvEntry]:
    if callable(obj) and not isinstance(obj, EnvEntry):
        obj = obj()
    if isinstance(obj, EnvEntry):
        return [obj]
    if isinstance(obj, Iterable) and not isinstance(obj, (str, bytes)):
        items = list(obj)
        if all(isinstance(e, EnvEntry) for e in items):
            return items
    raise TypeError(f"expected EnvEntry objects, got {type(obj).__name__}")


@functools.cache
def plugin_entries() -> tuple[EnvEntry, ...]:
    """Every plugin's entries, loaded once per process (each marked ``source="plugin:<package>"``)."""
    from importlib.metadata import entry_points

    out: list[EnvEntry] = []
    seen: set[str] = set()
    for ep in entry_points(group=GROUP):
        package = ep.dist.name if ep.dist is not None else ep.module
        try:
            entries = _as_entries(ep.load())
        except Exception as exc:  # noqa: BLE001 - someone else's package: report it, carry on
            _ERRORS.append(f"plugin {ep.name} ({package}): {type(exc).__name__}: {exc}")
            continue
        for entry in entries:
            if catalogue_entry(entry.name) is not None or entry.name.lower() in seen:
                _ERRORS.append(f"plugin {ep.name} ({package}): {entry.name} is already taken; skipped")
                continue
            seen.add(entry.name.lower())
            out.append(dataclasses.replace(entry, source=f"plugin:{package}",
                                           module=entry.module or ep.module))
    return tuple(out)


def plugin_errors() -> list[str]:
    """One line per plugin (or plugin entry) that was skipped, after :func:`plugin_entries` ran."""
    plugin_entries()
    return list(_ERRORS)
