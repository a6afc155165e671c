"""A sweep's results, read back from the run store: per configuration, the final and best evaluation
over seeds (mean, std, IQM and fraction solved, with bootstrap intervals) and the evaluation curve
aggregated over seeds. Shared by ``rltui sweep``, ``rltui runs sweep ID`` and the app's Sweep screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from rltui.sweep.stats import Aggregate, CurvePoint, aggregate, curve
from rltui.training.store import RunStore


@dataclass
class ConfigResult:
    """One configuration (grid point or searched sample) over its seeds."""

    label: str
    params: dict[str, Any]
    runs: list[dict[str, Any]] = field(default_factory=list)
    final: Aggregate | None = None  # over each seed's last evaluation
    best: Aggregate | None = None  # over each seed's best evaluation
    curve: list[CurvePoint] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for run in self.runs:
            out[run["status"]] = out.get(run["status"], 0) + 1
        return out


def solved_bar(env: str) -> float | None:
    from rltui.envs import get_entry

    try:
        return get_entry(env).solved
    except Exception:
        return None


def summarize_runs(runs: list[dict[str, Any]], evaluations: dict[int, list[dict[str, Any]]],
                   bar: float | None) -> list[ConfigResult]:
    """Group runs by configuration label (a retried trial's lost attempt is left out: only runs that did
    not fail for a lost worker count) and aggregate each group. Failed runs are listed but not scored."""
    groups: dict[str, ConfigResult] = {}
    for run in runs:
        group = groups.setdefault(run["label"], ConfigResult(run["label"], run.get("params") or {}))
        group.runs.append(run)
    for group in groups.values():
        finals, bests, curves = [], [], []
        for run in group.runs:
            evals = evaluations.get(run["id"], [])
            if run["status"] == "failed" or not evals:
                continue
            finals.append(float(evals[-1]["mean"]))
            bests.append(max(float(e["mean"]) for e in evals))
            curves.append([(int(e["steps"]), float(e["mean"])) for e in evals])
        group.final = aggregate(finals, bar)
        group.best = aggregate(bests, bar)
        group.curve = curve(curves)
    return sorted(groups.values(), key=lambda g: (-_finite(g.final.iqm if g.final else math.nan), g.label))


def summarize(store: RunStore, sweep_id: int) -> tuple[dict[str, Any], list[ConfigResult]]:
    """The sweep's row and its configurations, best IQM first."""
    sweep = store.get_sweep(sweep_id)
    if sweep is None:
        from rltui.errors import RltuiError

        raise RltuiError(f"no sweep {sweep_id} in {store.path} (see: rltui runs sweeps)")
    runs = [r for r in store.sweep_runs(sweep_id) if not lost_attempt(r)]
    evaluations = {r["id"]: store.evaluations(r["id"]) for r in runs}
    return sweep, summarize_runs(runs, evaluations, solved_bar(sweep["env"]))


def lost_attempt(run: dict[str, Any]) -> bool:
    """A run whose worker was lost and that was retried as another run of the sweep."""
    error = run.get("error") or ""
    return run["status"] == "failed" and ("retried as run" in error or error.endswith("; retrying"))


def _finite(x: float) -> float:
    return x if math.isfinite(x) else -math.inf


def best_config(configs: list[ConfigResult]) -> ConfigResult | None:
    """The configuration with the highest IQM of final scores (ties: mean)."""
    scored = [c for c in configs if c.final is not None and c.final.n > 0]
    if not scored:
        return None
    return max(scored, key=lambda c: (c.final.iqm, c.final.mean))  # type: ignore[union-attr]


def save_best(store: Any, sweep_id: int, name: str):
    """Save the sweep's best configuration (its full hyperparameters) as a user preset."""
    from rltui.errors import RltuiError
    from rltui.training.presets import save_user_preset

    sweep, configs = summarize(store, sweep_id)
    best = best_config(configs)
    if best is None:
        raise RltuiError(f"sweep {sweep_id} has no evaluated run to save")
    run = next(r for r in best.runs if r["status"] != "failed")
    cfg = run["config"]
    train = {"steps": cfg.get("steps")}
    for key in ("eval_every", "eval_episodes"):
        if cfg.get(key) is not None:
            train[key] = cfg[key]
    about = f"best of sweep {sweep_id} on {sweep['env']} ({best.label}; IQM {best.final.iqm:.3g})"
    return save_user_preset(sweep["algo"], name, sweep["env"], run["hparams"], train, about)
