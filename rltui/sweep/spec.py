"""What a sweep is asked to do: env, algorithm, seeds, and either a grid or a search space.

Parsing lives here (not in the CLI) so the app's Sweep screen builds the same :class:`SweepSpec` from its
form and gets the same one-line errors.
"""

from __future__ import annotations

import itertools
import math
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from rltui.errors import RltuiError
from rltui.training.config import TrainConfig, resolve_hparams, train_settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MAX_TRIALS = 10_000
SEED_MAX = 2**32 - 1  # numpy's legacy seeding and most Gymnasium envs take seeds below 2**32
SEARCHERS = ("optuna",)


@dataclass(frozen=True)
class Param:
    """One searched hyperparameter: ``kind`` is uniform, log, int or choice."""

    key: str
    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()


@dataclass
class SweepSpec:
    """A sweep: ``grid`` values are crossed with each other and with ``seeds``; with ``search`` set,
    ``trials`` configurations are drawn from ``params`` by the searcher, each trained on ``seeds``."""

    env: str
    algo: str
    seeds: list[int]
    steps: int
    preset: str | None = None
    hparams: dict[str, Any] = field(default_factory=dict)  # fixed overrides (--set)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    search: str | None = None
    trials: int = 0
    params: list[Param] = field(default_factory=list)
    eval_every: int | None = None
    eval_episodes: int | None = None
    checkpoint_every: int | None = None
    stop_at_return: float | str | None = None
    env_overrides: dict[str, Any] = field(default_factory=dict)
    max_concurrent: int | None = None
    retries: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepSpec:
        data = dict(data)
        data["params"] = [Param(**{**p, "choices": tuple(p.get("choices", ()))}) for p in data.get("params", [])]
        return cls(**data)

    def base_config(self, seed: int, hparams: dict[str, Any] | None = None) -> TrainConfig:
        """The TrainConfig of one trial: exactly what ``rltui train`` builds for these settings."""
        return TrainConfig(self.env, self.algo, self.steps, seed=seed, preset=self.preset,
                           hparams={**self.hparams, **(hparams or {})}, eval_every=self.eval_every,
                           eval_episodes=self.eval_episodes, checkpoint_every=self.checkpoint_every,
                           env_overrides=dict(self.env_overrides), stop_at_return=self.stop_at_return)

    def grid_points(self) -> list[dict[str, Any]]:
        """Every combination of the grid's values ([{}] without a grid)."""
        keys = list(self.grid)
        return [dict(zip(keys, values)) for values in itertools.product(*(self.grid[k] for k in keys))]

    def n_trials(self) -> int:
        return (self.trials if self.search else len(self.grid_points())) * len(self.seeds)

    def check(self) -> None:
        """One-line errors before Ray starts: every grid point (and the search's bounds) must give a
        valid run, and evaluations must be on (they are what a trial is scored by)."""
        if not self.seeds:
            raise RltuiError("a sweep needs at least one seed")
        if self.search and self.grid:
            raise RltuiError("use --grid or --search, not both")
        if self.search:
            if self.search not in SEARCHERS:
                raise RltuiError(f"unknown searcher {self.search!r}; valid: {', '.join(SEARCHERS)}")
            if self.trials < 1:
                raise RltuiError("--search needs --trials N (at least 1)")
            if not self.params:
                raise RltuiError("--search needs at least one --param KEY=RANGE")
        elif self.params:
            raise RltuiError("--param is for --search; a fixed list of values is --grid KEY=V1,V2")
        if self.n_trials() > MAX_TRIALS:
            raise RltuiError(f"{self.n_trials()} trials is more than {MAX_TRIALS}; fewer seeds or grid values")
        if self.retries < 0:
            raise RltuiError(f"retries must not be negative, not {self.retries}")
        if self.max_concurrent is not None and self.max_concurrent < 1:
            raise RltuiError(f"--max-concurrent must be at least 1, not {self.max_concurrent}")
        samples = self.grid_points() if not self.search else [_corner(self.params, i) for i in (0, 1)]
        for point in samples:
            config = self.base_config(self.seeds[0], point)
            config.check()
            resolve_hparams(config)
        if not train_settings(self.base_config(self.seeds[0]))["eval_every"]:
            raise RltuiError("a sweep scores trials by their greedy evaluations: set --eval-every N")


def _corner(params: list[Param], which: int) -> dict[str, Any]:
    """The low (0) or high (1) corner of a search space: both must be valid hyperparameters."""
    out: dict[str, Any] = {}
    for p in params:
        if p.kind == "choice":
            out[p.key] = p.choices[-which]
        else:
            value = p.low if which == 0 else p.high
            out[p.key] = int(value) if p.kind == "int" else value  # type: ignore[arg-type]
    return out


def parse_seeds(text: str) -> list[int]:
    """``"0-9"``, ``"0,3,7"`` or ``"0-4,10"`` -> the seeds, in order, without repeats."""
    seeds: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        a, sep, b = part.partition("-")
        try:
            lo = int(a)
            hi = int(b) if sep else lo
        except ValueError:
            raise RltuiError(f"--seeds takes numbers and ranges like 0-9 or 0,3,7, not {text!r}") from None
        if lo < 0 or hi < lo or hi > SEED_MAX:
            raise RltuiError(f"--seeds: {part!r} is not a range of seeds from 0 to {SEED_MAX}")
        if hi - lo >= MAX_TRIALS:
            raise RltuiError(f"--seeds: {part!r} has more than {MAX_TRIALS} seeds")
        seeds.extend(s for s in range(lo, hi + 1) if s not in seeds)
    if not seeds:
        raise RltuiError(f"--seeds: no seeds in {text!r}")
    return seeds


def _literal(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return raw.strip()


def parse_grid(items: list[str] | None) -> dict[str, list[Any]]:
    """``["alpha=0.1,0.5", "double=true,false"]`` -> ``{"alpha": [0.1, 0.5], "double": [True, False]}``."""
    grid: dict[str, list[Any]] = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        key = key.strip()
        values = [_literal(v) for v in raw.split(",") if v.strip()]
        if not sep or not key or not values:
            raise RltuiError(f"--grid takes key=v1,v2, not {item!r}")
        if key in grid:
            raise RltuiError(f"--grid {key} is given twice")
        grid[key] = values
    return grid


def parse_param(item: str) -> Param:
    """``lr=log:1e-4..1e-2``, ``gamma=0.9..0.999``, ``batch_size=int:32..256``, ``double=choice:true,false``."""
    key, sep, raw = item.partition("=")
    key, raw = key.strip(), raw.strip()
    usage = f"--param takes key=[log:|int:]LOW..HIGH or key=choice:A,B, not {item!r}"
    if not sep or not key or not raw:
        raise RltuiError(usage)
    kind, colon, rest = raw.partition(":")
    if not colon:
        kind, rest = "uniform", raw
    if kind == "choice":
        choices = tuple(_literal(v) for v in rest.split(",") if v.strip())
        if len(choices) < 2:
            raise RltuiError(f"--param {key}: a choice needs at least two values")
        return Param(key, "choice", choices=choices)
    if kind not in ("uniform", "log", "int"):
        raise RltuiError(usage)
    lo_s, dots, hi_s = rest.partition("..")
    try:
        lo, hi = float(lo_s), float(hi_s)
    except ValueError:
        raise RltuiError(usage) from None
    if not dots or not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        raise RltuiError(f"--param {key}: the range needs LOW < HIGH, not {rest!r}")
    if kind == "log" and lo <= 0:
        raise RltuiError(f"--param {key}: a log range must be above 0, not {rest!r}")
    if kind == "int" and (lo != int(lo) or hi != int(hi)):
        raise RltuiError(f"--param {key}: an int range takes whole numbers, not {rest!r}")
    return Param(key, kind, lo, hi)


def label(params: dict[str, Any]) -> str:
    """A configuration's short name: ``alpha=0.1 gamma=0.9`` (``preset`` when nothing varies)."""
    if not params:
        return "preset"
    return " ".join(f"{k}={_short(v)}" for k, v in params.items())


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).lower() if isinstance(value, bool) else str(value)
