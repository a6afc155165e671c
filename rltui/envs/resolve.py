"""Names to entries: what every command and screen accepts as ENV.

In order: a catalogue name (``CartPole``), a plugin's entry name, a Gymnasium id (``CartPole-v1``,
``ALE/Pong-v5``, ``LunarLander-v3``) or Gymnasium's ``module:EnvId`` form, which imports ``module`` first
so it can register its envs. An id a curated entry is built from opens that entry (with a note when
the curated kwargs differ from the id's defaults); a plugin's id opens the plugin's entry; any other
registered id gets a generic entry from :mod:`rltui.envs.generic`. Results are cached per name, so the
probe runs once per process.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
from dataclasses import dataclass
from typing import Any

from rltui.envs.catalogue import CATALOGUE, EnvEntry, catalogue_entry, env_names
from rltui.errors import RltuiError


@dataclass(frozen=True)
class Resolution:
    """The entry a name opens, and a note for the person when it is not exactly what they named."""

    entry: EnvEntry
    note: str = ""


def split_module(name: str) -> tuple[str, str]:
    """``"pkg.mod:Env-v0"`` -> ``("pkg.mod", "Env-v0")``; a plain id -> ``("", id)``."""
    module, sep, env_id = name.partition(":")
    if not sep:
        return "", name
    if not module or not env_id:
        raise RltuiError(f"{name!r}: the module form is module:EnvId, e.g. mypackage.envs:MyEnv-v0")
    return module.strip(), env_id.strip()


def import_env_module(module: str, name: str) -> None:
    """Import the module of a ``module:EnvId`` name (it registers its envs); failures are one line."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise RltuiError(f"{name}: cannot import module {module!r} ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - a user's module: whatever it raises is one line here
        raise RltuiError(f"{name}: importing {module!r} failed: {type(exc).__name__}: {exc}") from None


def _spec(env_id: str, name: str) -> Any:
    import gymnasium as gym

    from rltui.envs.registration import register_envs

    register_envs(atari=env_id.startswith("ALE/"))
    for atari in (False, True):  # ALE's legacy ids (Pong-v4, PongNoFrameskip-v4) need its registration too
        if atari:
            register_envs(atari=True)
        try:
            return gym.spec(env_id)
        except gym.error.Error:
            pass
    ids = [*env_names(), *gym.registry]
    close = difflib.get_close_matches(env_id, ids, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise RltuiError(
        f"unknown environment {name!r}: not a catalogue name (rltui envs) nor a registered Gymnasium id "
        f"(rltui envs --all){hint} Your own env: module:EnvId, with a module that registers it") from None


def env_creator(spec: Any) -> Any:
    """The class or function a spec's ``entry_point`` names (``"module:Attr"`` imported by Gymnasium's
    own loader), or the callable itself."""
    point = spec.entry_point
    if isinstance(point, str):
        from gymnasium.envs.registration import load_env_creator

        return load_env_creator(point)
    return point


def entry_module(spec: Any) -> str:
    """The module a spec's ``entry_point`` lives in (``ale_py.env`` for Atari)."""
    point = spec.entry_point
    return (point if isinstance(point, str) else getattr(point, "__module__", "")).partition(":")[0]


def _defaults(spec: Any) -> dict[str, Any]:
    """What ``gym.make(spec.id)`` builds with: the constructor's defaults under the spec's kwargs."""
    out: dict[str, Any] = {}
    try:
        creator = env_creator(spec)
        for p in inspect.signature(creator).parameters.values():
            if p.default is not inspect.Parameter.empty:
                out[p.name] = p.default
    except (ImportError, AttributeError, TypeError, ValueError):
        pass
    out.update(spec.kwargs or {})
    out["max_episode_steps"] = spec.max_episode_steps
    return out


def _curated_for(spec: Any, name: str) -> Resolution | None:
    """The curated entry built from ``spec.id``: the one whose kwargs are the id's own, else the first
    with a note naming the differences."""
    entries = [e for e in CATALOGUE if e.gym_id == spec.id]
    if not entries:
        return None
    defaults = _defaults(spec)

    def diffs(entry: EnvEntry) -> list[str]:
        return [f"{k}={v!r} (the id's default: {defaults.get(k, 'unset')!r})"
                for k, v in entry.kwargs.items() if defaults.get(k, object()) != v]

    for entry in entries:
        if not diffs(entry):
            return Resolution(entry)
    entry = entries[0]
    return Resolution(entry, f"{name} opens the curated {entry.name}, built with {', '.join(diffs(entry))}")


@functools.cache
def _resolve(name: str) -> Resolution:
    entry = catalogue_entry(name)
    if entry is not None:
        return Resolution(entry)
    from rltui.envs.plugins import plugin_entries

    plugins = plugin_entries()
    for entry in plugins:
        if entry.name.lower() == name.lower():
            return Resolution(entry)
    module, env_id = split_module(name)
    if module:
        import_env_module(module, name)
    spec = _spec(env_id, name)
    if not module:
        curated = _curated_for(spec, name)
        if curated is not None:
            return curated
    for entry in plugins:
        if entry.gym_id == spec.id:
            return Resolution(entry)
    from rltui.envs.generic import probe

    return Resolution(probe(f"{module}:{spec.id}" if module else spec.id, spec, module))


def resolve(name: str) -> Resolution:
    """The :class:`Resolution` for ``name`` (see the module docstring); a one-line error otherwise."""
    name = name.strip()
    if not name:
        raise RltuiError("an environment name is empty; see rltui envs")
    return _resolve(name)


def resolve_note(name: str) -> str:
    """The note a person should see when ``name`` opens a curated entry with other kwargs ('' if none)."""
    return resolve(name).note
