"""DRQN against DQN where one observation is not enough: MaskedCartPole and GridWorldPartial.

    python benchmarks/bench_drqn.py [--envs MaskedCartPole,GridWorldPartial] [--seeds 0] [--steps N]

Both agents train through the Trainer with their shipped presets and the *same* step budget (the DRQN
preset's, or ``--steps``); DQN sees single observations (no frame stack), DRQN carries an LSTM state.
Reported: each final agent's greedy mean return on the same evaluation seeds, and a random policy's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import describe, load_average  # noqa: E402
from benchmarks._runs import random_returns, train_and_evaluate  # noqa: E402

EPISODES = {"MaskedCartPole": 20, "GridWorldPartial": 100}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--envs", default="MaskedCartPole,GridWorldPartial")
    p.add_argument("--seeds", default="0")
    p.add_argument("--steps", type=int, help="the step budget of both agents (default: DRQN's preset)")
    args = p.parse_args()
    from rltui.training.config import default_steps

    print(describe())
    with tempfile.TemporaryDirectory() as data_dir:
        for env in args.envs.split(","):
            episodes = EPISODES.get(env, 20)
            steps = args.steps or default_steps(env, "drqn")
            rand = np.asarray(random_returns(env, episodes))
            print(f"{env}: random policy {rand.mean():.2f} ± {rand.std():.2f}; budget {steps:,} steps each")
            summary = {}
            for algo in ("drqn", "dqn"):
                means = []
                for seed in (int(s) for s in args.seeds.split(",")):
                    run = train_and_evaluate(env, algo, steps, seed, data_dir, episodes)
                    print("  " + run.line(), flush=True)
                    means.append(run.mean)
                summary[algo] = np.mean(means)
            print(f"{env}: DRQN {summary['drqn']:.2f} vs DQN {summary['dqn']:.2f} (random {rand.mean():.2f})",
                  flush=True)
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
