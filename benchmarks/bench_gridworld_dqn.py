"""DQN on GridWorld (full 5×5 view, small CNN) against a random policy.

    python benchmarks/bench_gridworld_dqn.py [--seeds 0,1,2] [--steps N]

Trains with the shipped preset (rltui/presets/dqn.toml [env.GridWorld]) through the Trainer and reports
the final agent's mean return per 50-step episode over 100 greedy episodes, next to a uniform random
policy on the same seeds. (Goals +1, fires −1; objects respawn, so a good agent keeps scoring.)
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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--steps", type=int, help="training steps (default: the preset's)")
    p.add_argument("--episodes", type=int, default=100)
    args = p.parse_args()
    from rltui.training.config import default_steps

    steps = args.steps or default_steps("GridWorld", "dqn")
    print(describe())
    rand = np.asarray(random_returns("GridWorld", args.episodes))
    print(f"random policy: {rand.mean():.2f} ± {rand.std():.2f} per 50-step episode over {args.episodes} episodes")
    means = []
    with tempfile.TemporaryDirectory() as data_dir:
        for seed in (int(s) for s in args.seeds.split(",")):
            run = train_and_evaluate("GridWorld", "dqn", steps, seed, data_dir, args.episodes)
            print(run.line(), flush=True)
            means.append(run.mean)
    print(f"DQN final mean over seeds: {np.mean(means):.2f} (random {rand.mean():.2f}); "
          f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
