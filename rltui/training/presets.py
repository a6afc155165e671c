"""Hyperparameter presets: one readable TOML file per algorithm, ``rltui/presets/<algo>.toml``.

File format (every part optional)::

    about = "one line shown by the CLI"      # plain keys at the top: the algorithm's defaults
    alpha = 0.1                              # (agent hyperparameters, any env)
    gamma = 0.99

    [train]                                  # trainer settings, any env
    steps = 20000                            # keys: see TRAIN_KEYS below
    eval_every = 2000

    [env.FrozenLake4x4]                      # one env (its catalogue name): hyperparameters...
    q_init = 0.5
    [env.FrozenLake4x4.train]                # ...and trainer settings
    steps = 10000

    [preset.classic]                         # a named preset, picked with --preset classic
    about = "textbook settings"
    alpha = 0.1
    [preset.classic.env.FrozenLake8x8]       # a named preset's values for one env
    [preset.classic.train]

Every table is a *layer* of the same shape: plain keys are hyperparameters, ``train`` holds trainer
settings, ``about`` is prose. For (env, algo, preset) the layers apply in this order, later winning:
file top level, ``env.<ENV>``, ``preset.<NAME>``, ``preset.<NAME>.env.<ENV>``; then ``--set`` flags.

Hyperparameter *values* are checked by the agent's schema: an agent module may define
``HPARAMS = {algo: DataclassType}`` (see :func:`rltui.agents.base.validate_hparams`), and then a bad
key or value is a one-line error naming the field before any env is built. This module loads any
``<algo>.toml`` generically; adding an algorithm's presets means adding its file.
"""

from __future__ import annotations

import functools
import importlib
import sys
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from rltui.envs import get_entry
from rltui.errors import RltuiError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Trainer settings a preset's ``train`` table may hold, with their types.
TRAIN_KEYS: dict[str, type] = {
    "steps": int,
    "episodes": int,
    "eval_every": int,
    "eval_episodes": int,
    "checkpoint_every": int,
}
_LAYER_KEYS = {"train", "env", "preset", "about"}


@dataclass(frozen=True)
class Resolved:
    """What a preset gives for one (algo, env, preset): hyperparameters, trainer settings, and which
    layers they came from (for the CLI's summary)."""

    hparams: dict[str, Any] = field(default_factory=dict)
    train: dict[str, int] = field(default_factory=dict)
    layers: tuple[str, ...] = ()


@functools.cache
def load_file(algo: str) -> dict[str, Any]:
    """The parsed ``<algo>.toml`` ({} when the algorithm has none); a syntax error names the file."""
    ref = resources.files("rltui").joinpath("presets", f"{algo}.toml")
    if not ref.is_file():
        return {}
    try:
        return tomllib.loads(ref.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RltuiError(f"preset file {algo}.toml: {exc}") from exc


def preset_names(algo: str) -> list[str]:
    """Named presets (``--preset NAME``) of ``algo``."""
    return sorted(load_file(algo).get("preset", {}))


def preset_about(algo: str, name: str | None = None) -> str:
    data = load_file(algo)
    if name:
        data = data.get("preset", {}).get(name, {})
    return str(data.get("about", ""))


def _env_table(layer: dict[str, Any], env: str) -> dict[str, Any] | None:
    tables = layer.get("env", {})
    if not isinstance(tables, dict):
        return None
    for key, value in tables.items():
        if key.lower() == env.lower():
            return value
    return None


def _apply(layer: dict[str, Any], where: str, hparams: dict[str, Any], train: dict[str, int]) -> None:
    for key, value in layer.items():
        if key in _LAYER_KEYS:
            continue
        if isinstance(value, dict):
            raise RltuiError(f"{where}: [{key}] is not a known table (train, env, preset)")
        hparams[key] = value
    for key, value in layer.get("train", {}).items():
        kind = TRAIN_KEYS.get(key)
        if kind is None:
            raise RltuiError(f"{where}.train: unknown setting {key}; valid: {', '.join(TRAIN_KEYS)}")
        if not isinstance(value, kind) or isinstance(value, bool) or value < 0:
            raise RltuiError(f"{where}.train: {key} must be a non-negative {kind.__name__}, not {value!r}")
        train[key] = value


def resolve(algo: str, env: str, preset: str | None = None) -> Resolved:
    """Merge the layers of ``<algo>.toml`` for ``env`` and the named ``preset`` (see module docstring)."""
    env = get_entry(env).name
    data = load_file(algo)
    hparams: dict[str, Any] = {}
    train: dict[str, int] = {}
    used: list[str] = []
    layers: list[tuple[str, dict[str, Any] | None]] = [(f"{algo}.toml", data)]
    layers.append((f"{algo}.toml [env.{env}]", _env_table(data, env)))
    if preset:
        named = data.get("preset", {}).get(preset)
        if named is None:
            valid = ", ".join(preset_names(algo)) or "none"
            raise RltuiError(f"unknown preset {preset!r} for {algo}; valid: {valid}")
        layers.append((f"{algo}.toml [preset.{preset}]", named))
        layers.append((f"{algo}.toml [preset.{preset}.env.{env}]", _env_table(named, env)))
    for where, layer in layers:
        if layer:
            _apply(layer, where, hparams, train)
            used.append(where)
    return Resolved(hparams, train, tuple(used))


def hparams_schema(algo: str) -> type | None:
    """The agent module's dataclass for ``algo``'s hyperparameters, when it publishes one."""
    from rltui.agents import ALGORITHMS

    target = ALGORITHMS.get(algo)
    if target is None:
        raise RltuiError(f"unknown algorithm {algo!r}; valid: {', '.join(ALGORITHMS)}")
    try:
        module = importlib.import_module(target.partition(":")[0])
    except ImportError:
        return None
    schemas = getattr(module, "HPARAMS", None)
    return schemas.get(algo) if isinstance(schemas, dict) else None
