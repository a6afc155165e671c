"""Seeds as a Ray Tune sweep against the same runs one after another, and the 10-seed preset table.

    python benchmarks/bench_sweep.py ratio [--env CartPole --algo dqn --seeds 8 --steps N]
    python benchmarks/bench_sweep.py table [--seeds 10] [--first-seed 100] [--only dqn]
        # DQN on CartPole, DRQN on MaskedCartPole

``ratio``: ``rltui train ENV --algo A --seed s`` for each seed, one after another, against one
``rltui sweep ENV --algo A --seeds 0-(N-1)`` on the same machine (the very commands a person types, run
as subprocesses with a fresh data dir each: what rltui train builds, Ray's start-up included). Prints
both wall-clock times and their ratio (goal on 2 cores: >= 1.8x), and checks that both produced the
same final evaluations per seed.

``table``: ``rltui sweep`` itself over the seeds of the DQN and DRQN presets, then the summary from the
store: final and best evaluation, IQM with its 95% bootstrap interval, fraction of seeds solved. Each
final agent is then played again on ``--fresh-episodes`` episodes with seeds no evaluation during
training used (``rltui eval CHECKPOINT --seed 2000000``): a run that ended at its preset's
``stop_at_return`` ended on a good evaluation by construction, so its figure is the fresh one.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import describe, load_average  # noqa: E402

PRESETS = (("CartPole", "dqn"), ("MaskedCartPole", "drqn"))
#: Issue 13's bar on each seed's final evaluation: DQN on CartPole >= 475, DRQN on MaskedCartPole >= 400.
BARS = {"dqn": 475.0, "drqn": 400.0}


def rltui(data_dir: str, *args: str) -> float:
    """Run one rltui command to its end; returns its wall-clock seconds."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rltui", "--data-dir", data_dir, *args], check=True,
                   stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    return time.perf_counter() - start


def final_evals(data_dir: str, sweep: bool) -> dict[int, float]:
    from rltui.training.store import RunStore

    with RunStore.open(data_dir) as store:
        runs = store.sweep_runs(1) if sweep else store.list_runs(limit=1000)
        return {r["seed"]: store.evaluations(r["id"])[-1]["mean"] for r in runs if store.evaluations(r["id"])}


FRESH_SEED = 2_000_000  # evaluations during training use seeds from 1,000,000 (TrainConfig.eval_seed)


def seed_figures(store) -> dict[int, tuple[float, float, int, str | None]]:
    """Each trial's seed -> (final, best greedy evaluation mean, steps trained, final checkpoint)."""
    figures = {}
    for run in store.sweep_runs(1):
        means = [e["mean"] for e in store.evaluations(run["id"])]
        if means:
            figures[run["seed"]] = (means[-1], max(means), int(run["steps"] or 0), store.latest_checkpoint(run["id"]))
    return figures


def fresh_return(data_dir: str, checkpoint: str, episodes: int) -> float:
    """The checkpoint's greedy mean return over ``episodes`` episodes no training evaluation played."""
    out = subprocess.run([sys.executable, "-m", "rltui", "--data-dir", data_dir, "eval", checkpoint, "--episodes",
                          str(episodes), "--seed", str(FRESH_SEED)], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), "COLUMNS": "200"}).stdout
    match = re.search(r"return\s*\S\s*(-?[\d.]+) ±", out)
    if match is None:
        raise RuntimeError(f"no return in the output of rltui eval:\n{out}")
    return float(match.group(1))


def ratio(args: argparse.Namespace) -> None:
    steps = ["--steps", str(args.steps)] if args.steps else []
    with tempfile.TemporaryDirectory() as seq_dir, tempfile.TemporaryDirectory() as sweep_dir:
        print(f"load average before: {load_average()}")
        sequential = sum(rltui(seq_dir, "train", args.env, "--algo", args.algo, "--seed", str(s), "--quiet", *steps)
                         for s in range(args.seeds))
        print(f"{args.seeds} sequential rltui train runs: {sequential:.1f} s (load average {load_average()})")
        swept = rltui(sweep_dir, "sweep", args.env, "--algo", args.algo, "--seeds", f"0-{args.seeds - 1}", "--quiet",
                      *steps)
        print(f"one rltui sweep over the same seeds:  {swept:.1f} s (load average {load_average()})")
        print(f"ratio: {sequential / swept:.2f}x (goal >= 1.8x on 2 cores)")
        a, b = final_evals(seq_dir, sweep=False), final_evals(sweep_dir, sweep=True)
        same = [s for s in a if s in b and abs(a[s] - b[s]) < 1e-9]
        print(f"final evaluations equal on {len(same)} of {len(a)} seeds"
              + ("" if len(same) == len(a) else f" (train {a}, sweep {b})"))


def table(args: argparse.Namespace) -> None:
    from rltui.sweep.summary import summarize
    from rltui.training.store import RunStore

    rows = []
    first = args.first_seed
    for env, algo in PRESETS:
        if args.only and algo != args.only:
            continue
        with tempfile.TemporaryDirectory() as data_dir:
            seconds = rltui(data_dir, "sweep", env, "--algo", algo, "--seeds", f"{first}-{first + args.seeds - 1}",
                            "--quiet")
            with RunStore.open(data_dir) as store:
                _, configs = summarize(store, 1)
                per_seed = seed_figures(store)
            c = configs[0]
            bar = BARS[algo]
            fresh: dict[int, float] = {}
            if args.fresh_episodes:
                with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
                    jobs = {seed: pool.submit(fresh_return, data_dir, ckpt, args.fresh_episodes)
                            for seed, (_, _, _, ckpt) in per_seed.items() if ckpt}
                    fresh = {seed: job.result() for seed, job in jobs.items()}
            for seed, (final, best, steps, _) in sorted(per_seed.items()):
                again = (f", final agent on {args.fresh_episodes} fresh episodes {fresh[seed]:.1f}"
                         if seed in fresh else "")
                print(f"  seed {seed}: {steps:,} steps, final {final:.1f}, best {best:.1f}{again}")
            passed = sum(final >= bar for final, _, _, _ in per_seed.values())
            print(f"  final evaluation >= {bar:g} on {passed} of {len(per_seed)} seeds")
            if fresh:
                values = sorted(fresh.values())
                print(f"  final agent on fresh episodes >= {bar:g} on {sum(v >= bar for v in values)} of {len(values)} "
                      f"seeds; mean {sum(values) / len(values):.1f}, worst {values[0]:.1f}")
            rows.append((env, algo, c, seconds))
            print(f"{algo} on {env}: {seconds:.0f} s (load average {load_average()})", flush=True)
    print("| env | algo | seeds | final mean ± std | final IQM [95% CI] | best IQM [95% CI] "
          "| solved (final) [95% CI] |")
    print("|---|---|---|---|---|---|---|")
    for env, algo, c, _ in rows:
        f, b = c.final, c.best
        solved = "" if f.solved is None else f"{f.solved:.0%} [{f.solved_ci[0]:.0%}, {f.solved_ci[1]:.0%}]"
        print(f"| {env} | {algo} | {f.n} | {f.mean:.1f} ± {f.std:.1f} "
              f"| {f.iqm:.1f} [{f.iqm_ci[0]:.1f}, {f.iqm_ci[1]:.1f}] "
              f"| {b.iqm:.1f} [{b.iqm_ci[0]:.1f}, {b.iqm_ci[1]:.1f}] | {solved} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("part", choices=("ratio", "table"))
    p.add_argument("--env", default="CartPole")
    p.add_argument("--algo", default="dqn")
    p.add_argument("--seeds", type=int, help="seeds (default: 8 for ratio, 10 for table)")
    p.add_argument("--steps", type=int, help="ratio: steps per run (default: the preset's)")
    p.add_argument("--first-seed", type=int, default=0,
                   help="table: the first seed (seeds nobody tuned the presets on: 100 and up)")
    p.add_argument("--only", choices=("dqn", "drqn"), help="table: one preset only")
    p.add_argument("--fresh-episodes", type=int, default=100,
                   help="table: play each final agent again on this many fresh episodes (0: skip)")
    args = p.parse_args()
    args.seeds = args.seeds or (8 if args.part == "ratio" else 10)
    print(describe())
    ratio(args) if args.part == "ratio" else table(args)


if __name__ == "__main__":
    main()
