"""DQN with the generic vector preset on envs nobody curated: LunarLander-v3 and Acrobot-v1.

    python benchmarks/bench_generic.py [--envs LunarLander-v3,Acrobot-v1] [--seeds 0,1,2] [--steps N]

Each run is what ``rltui train ENV --algo dqn --seed S`` builds: the env resolved from its Gymnasium id
to a generic entry, the ``[generic.vector]`` layer of ``rltui/presets/dqn.toml`` (its step budget and
evaluation schedule included), the product's Trainer. Reported per run: wall-clock, the best of the
periodic greedy evaluations, and the *final* agent's greedy mean over 20 episodes on seeds 1000000+i;
then per env the mean over seeds against a uniform random policy (same seeds, same pipeline) and
against Gymnasium's ``reward_threshold``. ``--steps`` shortens the runs (for picking a preset only).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import describe, load_average  # noqa: E402
from benchmarks._runs import EVAL_SEED, random_returns  # noqa: E402

EPISODES = 20


def run_one(env: str, seed: int, steps: int | None, data_dir: str) -> dict:
    from benchmarks._runs import bench_config
    from rltui.envs import get_entry
    from rltui.training.evaluation import evaluate
    from rltui.training.events import Evaluation
    from rltui.training.trainer import Trainer

    entry = get_entry(env)
    config = bench_config(entry.name, "dqn", seed, steps, data_dir=data_dir, eval_every=None, device="auto")
    evals: list[float] = []
    trainer = Trainer(config, callback=lambda e: evals.append(e.mean) if isinstance(e, Evaluation) else None)
    t0 = time.perf_counter()
    finished = trainer.run()
    seconds = time.perf_counter() - t0
    if finished.status != "finished":
        raise SystemExit(f"{env} seed {seed}: {finished.status}: {finished.error}")
    final = evaluate(trainer.agent, entry.name, EPISODES, EVAL_SEED).returns
    return {"env": env, "seed": seed, "steps": finished.steps, "seconds": seconds, "final": float(np.mean(final)),
            "final_std": float(np.std(final)), "best": max([*evals, float(np.mean(final))]), "evals": evals}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", default="LunarLander-v3,Acrobot-v1")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--steps", type=int, help="shorter runs than the preset's budget (preset picking only)")
    args = parser.parse_args()
    from rltui.envs import get_entry

    envs = [e.strip() for e in args.envs.split(",") if e.strip()]
    seeds = [int(s) for s in args.seeds.split(",")]
    print(describe(), flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="rltui-bench-generic-") as data_dir:
        for env in envs:
            for seed in seeds:
                r = run_one(env, seed, args.steps, data_dir)
                rows.append(r)
                print(f"{env} seed {seed}: {r['steps']:,} steps in {r['seconds']:.0f} s; evals "
                      f"{', '.join(f'{m:.0f}' for m in r['evals'])}; best {r['best']:.1f}; final "
                      f"{r['final']:.1f} ± {r['final_std']:.1f} ({load_average()})", flush=True)
    print()
    print("| env | seed | steps | wall-clock | best greedy | final greedy (20 ep.) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['env']} | {r['seed']} | {r['steps']:,} | {r['seconds']:.0f} s | {r['best']:.1f} | "
              f"{r['final']:.1f} ± {r['final_std']:.1f} |")
    print()
    print("| env | random policy (20 ep.) | Gymnasium's bar | mean best | mean final | final ≥ bar |")
    print("|---|---|---|---|---|---|")
    for env in envs:
        mine = [r for r in rows if r["env"] == env]
        rand = random_returns(get_entry(env).name, EPISODES)
        bar = get_entry(env).solved
        solved = sum(r["final"] >= bar for r in mine) if bar is not None else 0
        print(f"| {env} | {np.mean(rand):.1f} | {bar if bar is not None else '—'} | "
              f"{np.mean([r['best'] for r in mine]):.1f} | {np.mean([r['final'] for r in mine]):.1f} | "
              f"{solved}/{len(mine)} |")


if __name__ == "__main__":
    main()
