"""A run's curves outside rltui: TensorBoard event files and SB3 ``monitor.csv`` under SB3's names, and plots.

Tags follow Stable-Baselines3's logger (``rollout/ep_rew_mean`` over the last 100 episodes,
``rollout/exploration_rate``, ``train/loss``, ``eval/mean_reward``, ...) with env steps as the x axis,
so an rltui run and an SB3 run overlay in one TensorBoard. Event files are written by
``torch.utils.tensorboard.SummaryWriter`` (what SB3 itself uses; it needs the tensorboard package).

Two sources: live events while training (:class:`TensorBoardLogger`, ``rltui train --tensorboard``),
and a run kept in the store (:func:`export_tensorboard`), which has the episodes and evaluations but
not the per-step figures (ε, loss), which only the live logger writes.

The CSV is SB3's ``monitor.csv``: a ``#{"t_start": ..., "env_id": ...}`` line, then ``r,l,t`` (return,
length, seconds since the start) per episode, so SB3's ``load_results``/``plot_results`` and
``rl_zoo3 plot_train`` read it. Its name ends in ``monitor.csv``, as their readers look for.
"""

from __future__ import annotations

import collections
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rltui.errors import RltuiError
from rltui.share import require

WINDOW = 100  # SB3's ep_info_buffer: the means are over the last 100 episodes

#: rltui's metric name -> SB3's tag.
METRIC_TAGS = {
    "epsilon": "rollout/exploration_rate",
    "loss": "train/loss",
    "lr": "train/learning_rate",
    "updates": "train/n_updates",
}


def _writer(log_dir: Path):
    require("tensorboard", "TensorBoard event files")
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir=str(log_dir))


def run_log_dir(root: str | os.PathLike[str], run_id: int | None, algo: str, env: str) -> Path:
    """``ROOT/<algo>_<env>_<run id>``, as SB3 names its runs ``<name>_<N>`` under ``tensorboard_log``."""
    return Path(root) / f"rltui-{algo}_{env}_{run_id if run_id is not None else 0}"


class TensorBoardLogger:
    """A Trainer event consumer (``rltui train --tensorboard DIR``): call it with every event.

    ``log_dir`` may be a callable, asked on the first event (the run's id is known only once it starts)."""

    def __init__(self, log_dir: str | os.PathLike[str] | Callable[[], Path]) -> None:
        require("tensorboard", "TensorBoard event files")  # before training starts, not at its first event
        self._log_dir = log_dir
        self.log_dir: Path | None = None
        self._writer: Any = None
        self._closed = False
        self._returns: collections.deque[float] = collections.deque(maxlen=WINDOW)
        self._lengths: collections.deque[int] = collections.deque(maxlen=WINDOW)
        self._episodes = 0

    def __call__(self, event: Any) -> None:
        from rltui.training.events import EpisodeEnd, Evaluation, Finished, Progress

        if self._writer is None:
            if self._closed:
                return
            self.log_dir = Path(self._log_dir() if callable(self._log_dir) else self._log_dir)
            self._writer = _writer(self.log_dir)
        w = self._writer
        if isinstance(event, EpisodeEnd):
            self._returns.append(float(event.ret))
            self._lengths.append(int(event.length))
            self._episodes = event.episode
        elif isinstance(event, Progress):
            if self._returns:
                w.add_scalar("rollout/ep_rew_mean", sum(self._returns) / len(self._returns), event.steps)
                w.add_scalar("rollout/ep_len_mean", sum(self._lengths) / len(self._lengths), event.steps)
            for name, tag in METRIC_TAGS.items():
                value = event.metrics.get(name)
                if value is not None:
                    w.add_scalar(tag, float(value), event.steps)
            w.add_scalar("time/fps", float(event.steps_per_s), event.steps)
            w.add_scalar("time/episodes", float(event.episodes), event.steps)
        elif isinstance(event, Evaluation):
            w.add_scalar("eval/mean_reward", float(event.mean), event.steps)
            w.add_scalar("eval/std_reward", float(event.std), event.steps)
            if event.success_rate is not None:
                w.add_scalar("eval/success_rate", float(event.success_rate), event.steps)
        elif isinstance(event, Finished):
            self.close()

    def close(self) -> None:
        self._closed = True
        if self._writer is not None:
            self._writer.flush()
            self._writer.close()
            self._writer = None


def _run(store: Any, run_id: int) -> dict[str, Any]:
    run = store.get_run(run_id)
    if run is None:
        raise RltuiError(f"no run {run_id} in {store.path} (see: rltui runs)")
    return run


def export_tensorboard(store: Any, run_id: int, root: str | os.PathLike[str]) -> Path:
    """Write a kept run's episodes and evaluations as event files under ``root``; returns the run's folder."""
    run = _run(store, run_id)
    episodes = store.episode_times(run_id)
    if not episodes and not store.evaluations(run_id):
        raise RltuiError(f"run {run_id} has no episodes or evaluations to export yet")
    log_dir = run_log_dir(root, run_id, run["algo"], run["env"])
    if log_dir.exists() and any(log_dir.iterdir()):
        raise RltuiError(f"{log_dir} already holds event files (TensorBoard would show the run twice); "
                         "remove it or choose another folder")
    writer = _writer(log_dir)
    try:
        returns: collections.deque[float] = collections.deque(maxlen=WINDOW)
        lengths: collections.deque[int] = collections.deque(maxlen=WINDOW)
        for e in episodes:
            returns.append(float(e["ret"]))
            lengths.append(int(e["length"]))
            wall = e["wall"]
            writer.add_scalar("rollout/ep_rew_mean", sum(returns) / len(returns), e["steps"], walltime=wall)
            writer.add_scalar("rollout/ep_len_mean", sum(lengths) / len(lengths), e["steps"], walltime=wall)
            writer.add_scalar("time/episodes", float(e["idx"] + 1), e["steps"], walltime=wall)
        for ev in store.evaluations(run_id):
            writer.add_scalar("eval/mean_reward", float(ev["mean"]), ev["steps"], walltime=ev["created"])
            writer.add_scalar("eval/std_reward", float(ev["std"]), ev["steps"], walltime=ev["created"])
            if ev["success_rate"] is not None:
                writer.add_scalar("eval/success_rate", float(ev["success_rate"]), ev["steps"], walltime=ev["created"])
    finally:
        writer.flush()
        writer.close()
    return log_dir


def _wall_times(run: dict[str, Any], episodes: list[dict[str, Any]]) -> tuple[list[float], int]:
    """Each episode's end time; rows kept before the store had wall times are placed between the run's
    start and its first known time (or end) in proportion to steps. Returns (times, estimated count)."""
    known = [(e["steps"], e["wall"]) for e in episodes if e["wall"] is not None]
    start = float(run["started"])
    anchor_steps, anchor_time = known[0] if known else (
        max((e["steps"] for e in episodes), default=1), float(run.get("ended") or start))
    times, estimated = [], 0
    for e in episodes:
        if e["wall"] is not None:
            times.append(float(e["wall"]))
        else:
            estimated += 1
            times.append(start + (anchor_time - start) * e["steps"] / max(anchor_steps, 1))
    return times, estimated


def export_monitor_csv(store: Any, run_id: int, out: str | os.PathLike[str]) -> tuple[Path, int]:
    """The run's episodes as SB3's ``monitor.csv`` (atomic write); ``out`` is a file ending in monitor.csv
    or a folder (then ``run<ID>.monitor.csv`` in it). Returns the path and how many times were estimated."""
    run = _run(store, run_id)
    episodes = store.episode_times(run_id)
    if not episodes:
        raise RltuiError(f"run {run_id} has no episodes to export yet")
    path = Path(out)
    if path.is_dir():
        path = path / f"run{run_id}.monitor.csv"
    if not path.name.endswith("monitor.csv"):
        raise RltuiError(f"{path}: SB3's readers look for files named *monitor.csv (e.g. run{run_id}.monitor.csv)")
    if not path.parent.exists():
        raise RltuiError(f"{path}: folder {path.parent} does not exist")
    from rltui.envs import get_entry

    times, estimated = _wall_times(run, episodes)
    t_start = float(run["started"])
    header = {"t_start": t_start, "env_id": get_entry(run["env"]).gym_id, "rltui_run": run_id, "rltui_env": run["env"]}
    lines = ["#" + json.dumps(header), "r,l,t"]
    lines += [f"{float(e['ret']):.6g},{int(e['length'])},{max(0.0, t - t_start):.6f}" for e, t in zip(episodes, times)]
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path, estimated


def plot_run(store: Any, run_id: int, out: str | os.PathLike[str]) -> Path:
    """The run's curve as a PNG or SVG: episode returns, their moving mean over 100, greedy evaluations,
    the env's solved bar; x is env steps."""
    run = _run(store, run_id)
    path = Path(out)
    if path.suffix.lower() not in (".png", ".svg"):
        raise RltuiError(f"{path}: a plot must end in .png or .svg")
    if not path.parent.exists():
        raise RltuiError(f"{path}: folder {path.parent} does not exist")
    episodes = store.episode_times(run_id)
    evals = store.evaluations(run_id)
    if not episodes and not evals:
        raise RltuiError(f"run {run_id} has no episodes or evaluations to plot yet")
    matplotlib = require("matplotlib", "a plot")
    matplotlib.use("Agg")  # files only: no display needed, none opened
    import matplotlib.pyplot as plt

    from rltui.envs import get_entry

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        if episodes:
            steps = [e["steps"] for e in episodes]
            rets = [e["ret"] for e in episodes]
            window: collections.deque[float] = collections.deque(maxlen=WINDOW)
            mean = []
            for r in rets:
                window.append(r)
                mean.append(sum(window) / len(window))
            ax.plot(steps, rets, color="#9ec9e8", linewidth=0.6, alpha=0.6, label="episode return")
            ax.plot(steps, mean, color="#1c6ea4", linewidth=1.8, label=f"mean of last {WINDOW}")
        if evals:
            ax.plot([e["steps"] for e in evals], [e["mean"] for e in evals], "o-", color="#2f9e44", markersize=4,
                    label="greedy evaluation")
        entry = get_entry(run["env"])
        if entry.solved is not None:
            ax.axhline(entry.solved, color="#d9480f", linestyle="--", linewidth=1, label=f"solved ({entry.solved:g})")
        ax.set_xlabel("env steps")
        ax.set_ylabel("return")
        ax.set_title(f"run {run_id}: {run['algo']} on {run['env']} ({run['status']})")
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
        fig.tight_layout()
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.part{path.suffix}")
        fig.savefig(tmp, format=path.suffix[1:].lower())
        os.replace(tmp, path)
    finally:
        plt.close(fig)
    return path
