"""Tabular Q-learning figures for issue 3: training speed vs the raw env, and FrozenLake sample efficiency.

Run from the repository root:

    python benchmarks/bench_tabular.py                 # everything (~3-5 minutes on 2 cores)
    python benchmarks/bench_tabular.py --only speed    # or fl4, fl8

* speed: the Trainer (run store on, evaluation off) against a random policy on the same raw env
  (``env.action_space.sample()`` then ``env.step``), interleaved repetitions, medians.
* fl4: FrozenLake 4x4 slippery, the preset (optimistic init + visit-count alpha) against the textbook
  ``--preset classic`` (alpha 0.1, gamma 0.99, epsilon 1 -> 0.05 over 10k, Q = 0). The greedy policy's
  success rate is computed *exactly* from the env's model every 250 steps (no evaluation noise), and
  the final policy is also played for 1,000 evaluation episodes.
* fl8: FrozenLake 8x8 slippery with its preset; exact success of the final policy, 1,000 evaluation
  episodes, and the reference policies (value iteration at gamma 0.99 and 0.995, the best
  time-dependent policy within the 200-step limit).
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import os
import platform
import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks._runs import bench_config  # noqa: E402
from rltui.agents.value_iteration import (  # noqa: E402
    build_model,
    finite_horizon_values,
    greedy_policy,
    reach_probability,
    value_iteration,
)
from rltui.envs import make_training_env  # noqa: E402
from rltui.training.evaluation import evaluate  # noqa: E402
from rltui.training.events import Evaluation  # noqa: E402
from rltui.training.store import RunStore  # noqa: E402
from rltui.training.trainer import Trainer  # noqa: E402


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = " ".join(f"{p} {md.version(p)}" for p in ("numpy", "gymnasium", "torch"))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"machine: {cpu} | {os.cpu_count()} cores | python {platform.python_version()} | {versions} | "
            f"load average {load}")


# -- speed ---------------------------------------------------------------------------------------------


def random_policy_rate(steps: int) -> float:
    env = make_training_env("FrozenLake4x4", tabular=True)
    env.reset(seed=0)
    env.action_space.seed(0)
    sample, step, reset = env.action_space.sample, env.step, env.reset
    start = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = step(sample())
        if terminated or truncated:
            reset()
    return steps / (time.perf_counter() - start)


def trainer_rate(steps: int, store: RunStore) -> float:
    returns = []

    def callback(event):  # what a face does: keep the latest figures, nothing slow
        if isinstance(event, Evaluation):
            returns.append(event.mean)

    trainer = Trainer(bench_config("FrozenLake4x4", "q", 0, steps, device="auto"), callback=callback, store=store)
    start = time.perf_counter()
    finished = trainer.run()
    elapsed = time.perf_counter() - start
    assert finished.status == "finished", finished
    return steps / elapsed


def bench_speed(reps: int, steps: int) -> None:
    print(f"\n## speed: FrozenLake 4x4, {reps} interleaved repetitions of {steps:,} steps")
    with tempfile.TemporaryDirectory() as tmp, RunStore(os.path.join(tmp, "bench.sqlite3")) as store:
        random_policy_rate(20_000)  # warm up imports and caches
        trainer_rate(20_000, store)
        rnd, trn = [], []
        for _ in range(reps):
            rnd.append(random_policy_rate(steps))
            trn.append(trainer_rate(steps, store))
        runs = store.list_runs(limit=1000)
        episodes = sum(len(store.episodes(r["id"])) for r in runs)
    print(f"random policy (sample + step):  median {statistics.median(rnd):>9,.0f} steps/s "
          f"(min {min(rnd):,.0f}, max {max(rnd):,.0f})")
    print(f"Trainer, q, run store on:       median {statistics.median(trn):>9,.0f} steps/s "
          f"(min {min(trn):,.0f}, max {max(trn):,.0f})")
    ratios = [t / r for t, r in zip(trn, rnd)]
    print(f"ratio trainer / random: median of medians {statistics.median(trn) / statistics.median(rnd):.3f}, "
          f"per pair {', '.join(f'{x:.2f}' for x in ratios)}")
    print(f"(the store recorded {len(runs)} runs and {episodes:,} episodes during this)")


# -- FrozenLake sample efficiency -----------------------------------------------------------------------


def exact_trace(env: str, seed: int, steps: int, preset: str | None, every: int, horizon: int):
    """Train with the real Trainer; at every ``every`` steps compute the greedy policy's exact success."""
    probe = make_training_env(env, tabular=True)
    model = build_model(probe.unwrapped.P, probe.observation_space.n, probe.action_space.n)
    trace: list[float] = []
    holder: dict[str, Trainer] = {}

    def callback(event):
        if isinstance(event, Evaluation):
            trace.append(reach_probability(model, holder["t"].agent.greedy_actions(), horizon))

    # eval_episodes=1: the Evaluation event is our hook at exact step counts; its one episode is cheap.
    config = bench_config(env, "q", seed, steps, preset=preset, eval_every=every, eval_episodes=1, device="auto")
    trainer = Trainer(config, callback=callback)
    holder["t"] = trainer
    trainer.run()
    return np.array(trace), trainer


def summarise(name: str, traces: np.ndarray, every: int, bar: float, final_evals: list[float]) -> None:
    steps = (np.arange(traces.shape[1]) + 1) * every
    first = [int(steps[np.argmax(t >= bar)]) if (t >= bar).any() else None for t in traces]
    held = []
    for t in traces:
        below = np.flatnonzero(t < bar)
        held.append(int(steps[below[-1] + 1]) if below.size and below[-1] + 1 < len(t) else
                    (int(steps[0]) if not below.size else None))
    reached = [f for f in first if f is not None]
    print(f"\n{name}")
    print(f"  first step with exact success >= {bar}: {first}")
    if reached:
        print(f"    median {statistics.median(reached):,.0f} ({len(reached)}/{len(first)} seeds reached it)")
    print(f"  step from which it stays >= {bar} to the end: {held}")
    for at in (2_000, 5_000, 10_000, 20_000, 100_000, 200_000, 400_000):
        if every <= at <= steps[-1] and at % every == 0:
            col = traces[:, at // every - 1]
            print(f"  at {at:>7,} steps: exact success mean {col.mean():.3f}, seeds >= {bar}: "
                  f"{int((col >= bar).sum())}/{len(col)}")
    print(f"  final policy, 1,000 evaluation episodes each: {', '.join(f'{x:.3f}' for x in final_evals)} "
          f"(mean {np.mean(final_evals):.3f})")


def bench_fl(env: str, seeds: int, steps: int, every: int, horizon: int, bar: float, presets) -> None:
    probe = make_training_env(env, tabular=True)
    P, n_s, n_a = probe.unwrapped.P, probe.observation_space.n, probe.action_space.n
    model = build_model(P, n_s, n_a)
    print(f"\n## {env} slippery: {seeds} seeds x {steps:,} steps, exact success every {every} steps")
    for gamma in (0.99, 0.995):
        _, q_star = value_iteration(P, n_s, n_a, gamma)
        print(f"value iteration, gamma {gamma}: its greedy policy succeeds "
              f"{reach_probability(model, greedy_policy(q_star), horizon):.3f} within {horizon} steps")
    print(f"best time-dependent policy within {horizon} steps: {finite_horizon_values(model, horizon)[0]:.3f}")
    for preset in presets:
        traces, finals = [], []
        start = time.perf_counter()
        for seed in range(seeds):
            trace, trainer = exact_trace(env, seed, steps, preset, every, horizon)
            traces.append(trace)
            finals.append(evaluate(trainer.agent, env, 1000, seed=10_000).success_rate)
        values = ", ".join(f"{k}={v}" for k, v in sorted(trainer.hparams.items()))
        label = f"preset {preset} ({values})" if preset else f"rltui's preset ({values})"
        summarise(label, np.array(traces), every, bar, finals)
        print(f"  ({time.perf_counter() - start:.0f} s for {seeds} seeds)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=("speed", "fl4", "fl8"), action="append")
    parser.add_argument("--seeds", type=int, default=10, help="seeds for fl4 (fl8 uses half)")
    parser.add_argument("--reps", type=int, default=7, help="speed repetitions")
    args = parser.parse_args()
    only = set(args.only or ("speed", "fl4", "fl8"))
    print(machine())
    print(f"command: python {' '.join(sys.argv)}")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RLTUI_DATA"] = tmp  # keep benchmark runs out of the user's history
        if "speed" in only:
            bench_speed(args.reps, 200_000)
        if "fl4" in only:
            bench_fl("FrozenLake4x4", args.seeds, 20_000, 250, 100, 0.70, (None, "classic"))
        if "fl8" in only:
            bench_fl("FrozenLake8x8", max(1, args.seeds // 2), 400_000, 10_000, 200, 0.85, (None,))
    return 0


if __name__ == "__main__":
    sys.exit(main())
