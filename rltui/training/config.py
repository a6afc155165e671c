"""What a training run is asked to do (:class:`TrainConfig`) and how its hyperparameters resolve.

A config names the env and algorithm and carries only the *overrides* a person gave (``--set``);
:func:`resolve_hparams` merges them over the preset files (:mod:`rltui.training.presets`) and checks them
against the agent's schema, so the store and checkpoints record the full, effective values.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from rltui.agents.base import validate_hparams
from rltui.envs import get_entry
from rltui.errors import RltuiError
from rltui.training import presets

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TABULAR_ALGOS = ("q", "sarsa", "vi")
VECTOR_MODES = ("async", "sync")


@dataclass
class TrainConfig:
    """One training run. ``None`` for ``eval_every`` / ``eval_episodes`` / ``checkpoint_every`` means
    "the preset's value"; 0 turns the feature off. ``episodes`` (optional) is a second budget: the run
    ends at whichever of ``steps`` and ``episodes`` comes first."""

    env: str
    algo: str
    steps: int
    seed: int = 0
    preset: str | None = None
    hparams: dict[str, Any] = field(default_factory=dict)
    device: str = "auto"
    n_envs: int = 1
    eval_every: int | None = None
    eval_episodes: int | None = None
    out: str | None = None
    env_overrides: dict[str, Any] = field(default_factory=dict)
    episodes: int | None = None
    eval_seed: int = 1_000_000  # evaluation episode i uses seed eval_seed + i, the same at every evaluation
    checkpoint_every: int | None = None
    data_dir: str | None = None
    vector: str = "async"  # n_envs > 1: AsyncVectorEnv (processes) or SyncVectorEnv (one thread)
    demos: str | None = None  # "all" or human episode ids "3,5": start from a person's kept play
    demo_passes: int = 1  # how often the agent goes over the demos before training

    def check(self) -> None:
        """One-line errors for values no run could use."""
        get_entry(self.env)
        if self.steps < 1:
            raise RltuiError(f"steps must be at least 1, not {self.steps}")
        for name in ("n_envs", "demo_passes"):
            if getattr(self, name) < 1:
                raise RltuiError(f"{name} must be at least 1, not {getattr(self, name)}")
        for name in ("eval_every", "eval_episodes", "checkpoint_every", "episodes"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise RltuiError(f"{name} must not be negative, not {value}")
        if self.vector not in VECTOR_MODES:
            raise RltuiError(f"vector must be one of {', '.join(VECTOR_MODES)}, not {self.vector!r}")
        if self.demos and self.n_envs > 1:
            raise RltuiError("demos go into a one-env run (the replay is laid out per env); drop n_envs")
        if self.n_envs > 1 and self.algo == "vi":
            raise RltuiError("vi plans on one env; n_envs > 1 is for learners")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def train_settings(config: TrainConfig) -> dict[str, int]:
    """The trainer settings in effect: the preset's ``train`` table under the config's explicit values."""
    settings = {"eval_every": 0, "eval_episodes": 100, "checkpoint_every": 0}
    settings.update(presets.resolve(config.algo, config.env, config.preset).train)
    for key in ("eval_every", "eval_episodes", "checkpoint_every"):
        value = getattr(config, key)
        if value is not None:
            settings[key] = value
    return settings


def default_steps(env: str, algo: str, preset: str | None = None, fallback: int = 50_000) -> int:
    """The step budget the preset suggests for (env, algo), for faces where ``--steps`` is optional."""
    return int(presets.resolve(algo, env, preset).train.get("steps", fallback))


def resolve_hparams(config: TrainConfig) -> dict[str, Any]:
    """Preset values for (env, algo[, preset]) updated by ``config.hparams``, checked by the agent's
    schema when it has one; an invalid key or value is a one-line :class:`RltuiError` naming the field."""
    merged = dict(presets.resolve(config.algo, config.env, config.preset).hparams)
    merged.update(config.hparams)
    schema = presets.hparams_schema(config.algo)
    if schema is None:
        return merged
    return dict(vars(validate_hparams(schema, merged, where=config.algo)))


def parse_assignments(items: list[str] | None, what: str = "--set") -> dict[str, Any]:
    """``["lr=0.01", "double=true"]`` -> ``{"lr": 0.01, "double": True}``; values are read as TOML
    literals when they parse (numbers, booleans, quoted strings, lists) and as plain strings otherwise."""
    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise RltuiError(f"{what} takes key=value, not {item!r}")
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        out[key] = value
    return out


def env_options(algo: str) -> dict[str, Any]:
    """The options :func:`rltui.envs.make_training_env` needs for ``algo``'s observations."""
    if algo in TABULAR_ALGOS:
        return {"tabular": True}
    if algo == "drqn":
        return {"frame_stack": 1}
    return {}
