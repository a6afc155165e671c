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
    stop_at_return = 0.7                     # end at the first evaluation this good ("off": never)

    [preset.classic]                         # a named preset, picked with --preset classic
    about = "textbook settings"
    alpha = 0.1
    [preset.classic.env.FrozenLake8x8]       # a named preset's values for one env
    [preset.classic.train]

    [generic.vector]                         # envs nobody curated (any Gymnasium id), by kind:
    lr = 0.0006                              # tabular, vector or pixels (see rltui.envs.generic)

Every table is a *layer* of the same shape: plain keys are hyperparameters, ``train`` holds trainer
settings, ``about`` is prose. For (env, algo, preset) the layers apply in this order, later winning:
file top level, ``generic.<KIND>`` (only for envs outside the catalogue), ``env.<ENV>`` (the env's
name: a catalogue name or a Gymnasium id such as ``LunarLander-v3``), ``preset.<NAME>``,
``preset.<NAME>.env.<ENV>``; then ``--set`` flags.

Where the files come from, each layer applying in this order: the packaged ``rltui/presets/<algo>.toml``,
then the user's ``<algo>.toml`` in the user config folder (``$RLTUI_CONFIG/presets`` or the platform's
config dir, e.g. ``~/.config/rltui/presets``), then a ``--preset-file`` (same format, for one algorithm).
A named preset is looked up in all three; the user's own files win.

Hyperparameter *values* are checked by the agent's schema: an agent module may define
``HPARAMS = {algo: DataclassType}`` (see :func:`rltui.agents.base.validate_hparams`), and then a bad
key or value is a one-line error naming the field before any env is built. This module loads any
``<algo>.toml`` generically; adding an algorithm's presets means adding its file.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from rltui import validation
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
    "stop_at_return": float,  # a return (any sign; ints too) or "off"
}
_LAYER_KEYS = {"train", "env", "preset", "about", "generic"}
#: ``generic.<kind>`` table for each entry kind (plugin entries of kind "grid" count as tabular).
_GENERIC_KIND = {"grid": "tabular", "tabular": "tabular", "vector": "vector", "pixels": "pixels"}


@dataclass(frozen=True)
class Resolved:
    """What a preset gives for one (algo, env, preset): hyperparameters, trainer settings, and which
    layers they came from (for the CLI's summary)."""

    hparams: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
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


def user_presets_dir() -> Path:
    """The user's preset folder: ``$RLTUI_CONFIG/presets``, else the platform's config dir's ``presets``."""
    root = os.environ.get("RLTUI_CONFIG")
    if not root:
        from platformdirs import user_config_dir

        root = user_config_dir("rltui", appauthor=False)
    return Path(root) / "presets"


def _read_toml(path: Path, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RltuiError(f"preset file {label}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RltuiError(f"preset file {label}: cannot read it ({exc})") from None


def sources(algo: str, preset_file: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """``(label, parsed file)`` for ``algo``: packaged, the user's, then ``preset_file`` (see the docstring)."""
    out = [(f"{algo}.toml", load_file(algo))]
    user = user_presets_dir() / f"{algo}.toml"
    if user.is_file():
        out.append((str(user), _read_toml(user, str(user))))
    if preset_file:
        path = Path(preset_file).expanduser()
        if not path.is_file():
            raise RltuiError(f"--preset-file {preset_file}: no such file")
        out.append((str(path), _read_toml(path, str(path))))
    return out


def preset_names(algo: str, preset_file: str | None = None) -> list[str]:
    """Named presets (``--preset NAME``) of ``algo``, from every source."""
    names: set[str] = set()
    for _, data in sources(algo, preset_file):
        table = data.get("preset", {})
        if isinstance(table, dict):
            names.update(table)
    return sorted(names)


def preset_about(algo: str, name: str | None = None, preset_file: str | None = None) -> str:
    about = ""
    for _, data in sources(algo, preset_file):
        if name:
            data = data.get("preset", {}).get(name) or {}
        about = str(data.get("about", "")) or about
    return about


def _env_table(layer: dict[str, Any], env: str) -> dict[str, Any] | None:
    tables = layer.get("env", {})
    if not isinstance(tables, dict):
        return None
    for key, value in tables.items():
        if key.lower() == env.lower():
            return value
    return None


def _apply(layer: dict[str, Any], where: str, hparams: dict[str, Any], train: dict[str, Any]) -> None:
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
        if key == "stop_at_return":
            try:
                value = parse_stop_at(value)
            except RltuiError as exc:
                raise RltuiError(f"{where}.train: {exc}") from None
        elif not isinstance(value, kind) or isinstance(value, bool) or value < 0:
            raise RltuiError(f"{where}.train: {key} must be a non-negative {kind.__name__}, not {value!r}")
        train[key] = value


def parse_stop_at(raw: Any) -> float | str:
    """A return to stop at (any finite number: returns can be negative), or ``"off"``."""
    if isinstance(raw, str) and raw.strip().lower() in ("off", "none", ""):
        return "off"
    return validation.number("stop_at_return", raw, why="a return, or off")


def _generic_table(layer: dict[str, Any], kind: str) -> dict[str, Any] | None:
    table = layer.get("generic", {})
    return table.get(kind) if isinstance(table, dict) else None


def resolve(algo: str, env: str, preset: str | None = None, preset_file: str | None = None) -> Resolved:
    """Merge the layers of ``<algo>.toml`` for ``env`` and the named ``preset`` (see module docstring)."""
    entry = get_entry(env)
    env = entry.name
    files = sources(algo, preset_file)
    hparams: dict[str, Any] = {}
    train: dict[str, Any] = {}
    used: list[str] = []
    layers: list[tuple[str, dict[str, Any] | None]] = list(files)
    if not entry.curated:
        kind = _GENERIC_KIND.get(entry.kind, entry.kind)
        layers += [(f"{label} [generic.{kind}]", _generic_table(data, kind)) for label, data in files]
    layers += [(f"{label} [env.{env}]", _env_table(data, env)) for label, data in files]
    if preset:
        found = False
        for label, data in files:
            named = data.get("preset", {}).get(preset)
            if named is None:
                continue
            found = True
            layers.append((f"{label} [preset.{preset}]", named))
            layers.append((f"{label} [preset.{preset}.env.{env}]", _env_table(named, env)))
        if not found:
            valid = ", ".join(preset_names(algo, preset_file)) or "none"
            raise RltuiError(f"unknown preset {preset!r} for {algo}; valid: {valid}")
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


def save_user_preset(algo: str, name: str, env: str, hparams: dict[str, Any], train: dict[str, int],
                     about: str = "") -> Path:
    """Keep ``hparams`` and trainer settings for ``env`` as ``[preset.NAME.env.ENV]`` in the user's
    ``<algo>.toml`` (e.g. a sweep's best configuration). Only that named table is written, so runs
    without ``--preset NAME`` are unchanged; the file is rewritten atomically, other presets kept."""
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise RltuiError(f"a preset name takes letters, digits, - and _, not {name!r}")
    if name in load_file(algo).get("preset", {}):
        raise RltuiError(f"{algo}.toml already has a preset {name!r}; pick another name")
    env = get_entry(env).name
    path = user_presets_dir() / f"{algo}.toml"
    data = _read_toml(path, str(path)) if path.is_file() else {}
    preset = data.setdefault("preset", {}).setdefault(name, {})
    if about:
        preset["about"] = about
    table = {k: v for k, v in hparams.items() if v is not None}
    table["train"] = {k: int(v) for k, v in train.items() if k in TRAIN_KEYS and v is not None}
    preset.setdefault("env", {})[env] = table
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(_to_toml(data), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise RltuiError(f"cannot write the preset file {path}: {exc.strerror or exc}") from None
    return path


def _to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """A small TOML writer for preset files: scalars and lists of scalars in nested tables."""
    import json

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(x) for x in v) + "]"
        raise RltuiError(f"cannot write {v!r} into a preset file")

    out = "\n".join(f"{_key(k)} = {value(v)}" for k, v in data.items() if not isinstance(v, dict))
    for k, v in data.items():
        if isinstance(v, dict):
            name = f"{prefix}.{_key(k)}" if prefix else _key(k)
            header = f"[{name}]\n" if any(not isinstance(x, dict) for x in v.values()) or not v else ""
            out += ("\n\n" if out else "") + header + _to_toml(v, name)
    return out.strip("\n") + "\n" if not prefix else out


def _key(k: str) -> str:
    import json

    return k if k and all(c.isalnum() or c in "-_" for c in k) else json.dumps(k)
