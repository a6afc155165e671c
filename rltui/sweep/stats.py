"""Few-seed statistics the way the rliable paper recommends (Agarwal et al., 2021): the interquartile
mean (IQM) next to the mean, and percentile bootstrap confidence intervals on every aggregate.

A small numpy implementation: with one task, rliable's stratified bootstrap is the plain bootstrap over
runs. The resampling uses a fixed generator, so a sweep's table reads the same every time it is shown.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

REPS = 2000
CONFIDENCE = 0.95


def iqm(x: Sequence[float]) -> float:
    """Mean of the middle 50% of the scores (the lowest and highest quarter dropped, as
    ``scipy.stats.trim_mean(x, 0.25)``); with fewer than 4 scores nothing is dropped."""
    return float(_iqm_rows(np.asarray(x, dtype=float)[None, :])[0])


def _iqm_rows(x: np.ndarray) -> np.ndarray:
    """IQM along the last axis (one value per bootstrap sample)."""
    x = np.sort(x, axis=-1)
    n = x.shape[-1]
    cut = int(0.25 * n)
    return np.mean(x[..., cut:n - cut], axis=-1)


def bootstrap_ci(scores: Sequence[float], stat: Callable[[np.ndarray], np.ndarray], reps: int = REPS,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``stat`` (computed along the last axis of a reps × n array)."""
    x = np.asarray(scores, dtype=float)
    if x.size == 0:
        return (math.nan, math.nan)
    if x.size == 1 or np.all(x == x[0]):
        value = float(stat(x[None, :])[0])
        return (value, value)
    rng = np.random.default_rng(seed)
    samples = x[rng.integers(0, x.size, size=(reps, x.size))]
    values = stat(samples)
    alpha = (1.0 - CONFIDENCE) / 2
    return (float(np.quantile(values, alpha)), float(np.quantile(values, 1.0 - alpha)))


@dataclass(frozen=True)
class Aggregate:
    """One configuration's scores over its seeds."""

    n: int
    mean: float
    std: float
    mean_ci: tuple[float, float]
    iqm: float
    iqm_ci: tuple[float, float]
    solved: float | None  # fraction of seeds at or above the solved bar (None: no bar known)
    solved_ci: tuple[float, float] | None
    median: float
    minimum: float
    maximum: float


def aggregate(scores: Sequence[float], solved_bar: float | None = None) -> Aggregate:
    """Mean, std (ddof=1), IQM and fraction solved, each with a 95% bootstrap interval."""
    x = np.asarray([s for s in scores if s is not None and math.isfinite(s)], dtype=float)
    if x.size == 0:
        nan = (math.nan, math.nan)
        return Aggregate(0, math.nan, math.nan, nan, math.nan, nan, None, None, math.nan, math.nan, math.nan)
    solved = solved_ci = None
    if solved_bar is not None:
        hits = (x >= solved_bar - 1e-9).astype(float)
        solved = float(hits.mean())
        solved_ci = bootstrap_ci(hits, lambda s: s.mean(axis=-1))
    return Aggregate(
        n=int(x.size), mean=float(x.mean()), std=float(x.std(ddof=1)) if x.size > 1 else 0.0,
        mean_ci=bootstrap_ci(x, lambda s: s.mean(axis=-1)), iqm=float(_iqm_rows(x[None, :])[0]),
        iqm_ci=bootstrap_ci(x, _iqm_rows), solved=solved, solved_ci=solved_ci, median=float(np.median(x)),
        minimum=float(x.min()), maximum=float(x.max()))


@dataclass(frozen=True)
class CurvePoint:
    steps: int
    n: int
    mean: float
    low: float
    high: float


def curve(runs: Sequence[Sequence[tuple[int, float]]]) -> list[CurvePoint]:
    """Evaluation curves of several seeds, ``[(steps, mean), ...]`` each, as the mean over seeds at each
    evaluated step with a 95% bootstrap band of that mean. Seeds evaluate at the same steps (the same
    ``eval_every``); a step only some seeds reached (a stopped run) uses those it has."""
    at: dict[int, list[float]] = {}
    for points in runs:
        for steps, value in points:
            if value is not None and math.isfinite(value):
                at.setdefault(int(steps), []).append(float(value))
    out = []
    for steps in sorted(at):
        values = at[steps]
        low, high = bootstrap_ci(values, lambda s: s.mean(axis=-1), reps=500)
        out.append(CurvePoint(steps, len(values), float(np.mean(values)), low, high))
    return out
