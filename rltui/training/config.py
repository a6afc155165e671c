"""What a training run is asked to do (:class:`TrainConfig`) and how its hyperparameters resolve.

A config names the env and algorithm and carries only the *overrides* a person gave (``--set``);
:func:`resolve_hparams` merges them over the preset files (:mod:`rltui.training.presets`) and checks them
against the agent's schema, so the store and checkpoints record the full, effective values.
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from rltui import validation
from rltui.agents.base import validate_hparams
from rltui.envs import get_entry
from rltui.errors import RltuiError
from rltui.training import presets
from rltui.training.presets import parse_stop_at

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

TABULAR_ALGOS = ("q", "sarsa", "vi")
VECTOR_MODES = ("async", "sync")
CHECKPOINT_EVERY_S = 60.0  # periodic checkpoints by default: a killed run loses at most this much training


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
    checkpoint_every: int | None = None  # steps between periodic checkpoints
    checkpoint_every_s: float | None = None  # seconds of training between them (default 60; 0: not by time)
    data_dir: str | None = None
    vector: str = "async"  # n_envs > 1: AsyncVectorEnv (processes) or SyncVectorEnv (one thread)
    demos: str | None = None  # "all" or human episode ids "3,5": start from a person's kept play
    demo_passes: int = 1  # how often the agent goes over the demos before training
    preset_file: str | None = None  # a user's preset file, layered over the packaged and user presets
    stop_at_return: float | str | None = None  # end the run at the first evaluation this good ("off": never)

    def check(self) -> None:
        """One-line errors for values no run could use."""
        get_entry(self.env)
        # Every count reaches SQLite or numpy: each gets a type and a range here, the one place a run's
        # settings enter (the CLI, the app and sweeps all build a TrainConfig).
        self.steps = validation.integer("steps", self.steps, 1)
        self.seed = validation.seed("seed", self.seed)
        self.n_envs = validation.integer("n_envs", self.n_envs, 1, validation.N_ENVS_MAX,
                                         "each env is a process or a copy of the env")
        self.demo_passes = validation.integer("demo_passes", self.demo_passes, 1, 1_000)
        for name, hi in (("eval_every", validation.INT64_MAX), ("eval_episodes", validation.EPISODES_MAX),
                         ("episodes", validation.INT64_MAX)):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, validation.integer(name, value, 0, hi))
        self.eval_seed = validation.seed("eval_seed", self.eval_seed, count=int(self.eval_episodes or 1))
        if isinstance(self.checkpoint_every, (int, float)) and self.checkpoint_every < 0:
            raise RltuiError(f"checkpoint_every must not be negative, not {self.checkpoint_every}")
        if self.checkpoint_every_s is not None:
            self.checkpoint_every_s = validation.number("checkpoint_every_s", self.checkpoint_every_s, 0, 1e9)
        if self.stop_at_return is not None:
            self.stop_at_return = parse_stop_at(self.stop_at_return)
        check_env_options(self.env_overrides)
        if self.vector not in VECTOR_MODES:
            raise RltuiError(f"vector must be one of {', '.join(VECTOR_MODES)}, not {self.vector!r}")
        if self.demos and self.n_envs > 1:
            raise RltuiError("demos go into a one-env run (the replay is laid out per env); drop n_envs")
        if self.n_envs > 1 and self.algo == "vi":
            raise RltuiError("vi plans on one env; n_envs > 1 is for learners")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def train_settings(config: TrainConfig) -> dict[str, Any]:
    """The trainer settings in effect: the preset's ``train`` table under the config's explicit values."""
    settings: dict[str, Any] = {"eval_every": 0, "eval_episodes": 100, "checkpoint_every": 0,
                                "checkpoint_every_s": CHECKPOINT_EVERY_S, "stop_at_return": "off"}
    settings.update(presets.resolve(config.algo, config.env, config.preset, config.preset_file).train)
    for key in ("eval_every", "eval_episodes", "checkpoint_every", "checkpoint_every_s", "stop_at_return"):
        value = getattr(config, key)
        if value is not None:
            settings[key] = value
    settings["stop_at_return"] = parse_stop_at(settings["stop_at_return"])
    return settings


def default_steps(env: str, algo: str, preset: str | None = None, fallback: int = 50_000,
                  preset_file: str | None = None) -> int:
    """The step budget the preset suggests for (env, algo), for faces where ``--steps`` is optional."""
    return int(presets.resolve(algo, env, preset, preset_file).train.get("steps", fallback))


def resolve_hparams(config: TrainConfig) -> dict[str, Any]:
    """Preset values for (env, algo[, preset]) updated by ``config.hparams``, checked by the agent's
    schema when it has one; an invalid key or value is a one-line :class:`RltuiError` naming the field."""
    merged = dict(presets.resolve(config.algo, config.env, config.preset, config.preset_file).hparams)
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


def check_env_options(options: Any, what: str = "env option") -> dict[str, Any]:
    """Env options (``--env-opt``, a checkpoint header's ``env_kwargs``): a dict of names that are the
    env's, with finite values. The names the training pipeline passes itself (``tabular``,
    ``render_mode``...) are refused: given twice, they would be a TypeError deep in a later call."""
    import inspect

    from rltui.envs import factory

    if not isinstance(options, dict) or not all(isinstance(k, str) for k in options):
        raise RltuiError(f"{what}s must map names to values")
    reserved = {"name", "tabular", "frame_stack", "terminal_on_life_loss", "render_mode"} | {
        p.name for p in inspect.signature(factory.make_training_env).parameters.values()
        if p.kind is not inspect.Parameter.VAR_KEYWORD}
    taken = sorted(set(options) & reserved)
    if taken:
        raise RltuiError(f"{what} {taken[0]} is set by rltui itself, not by an option; "
                         f"not allowed: {', '.join(sorted(reserved))}")
    return validation.finite_options(what, options)


def env_options(algo: str) -> dict[str, Any]:
    """The options :func:`rltui.envs.make_training_env` needs for ``algo``'s observations."""
    if algo in TABULAR_ALGOS:
        return {"tabular": True}
    if algo == "drqn":
        return {"frame_stack": 1}
    return {}
