"""DQN on CartPole-v1: rltui against Stable-Baselines3 with the RL-Zoo hyperparameters, in one run.

    pip install -e ".[bench]"            # stable-baselines3, for the comparison only
    python benchmarks/bench_dqn_cartpole.py [--seeds 0,1,2] [--no-sb3]

For each seed it trains rltui's DQN through the product's Trainer with the shipped preset
(``rltui/presets/dqn.toml`` [env.CartPole]: 35 k steps), then SB3's DQN with RL-Zoo's CartPole-v1
settings (50 k steps). Both *final* agents (no early stop, no best-checkpoint picking) play 20 greedy
episodes on the same seeds (1000000 + i). Reported: training wall-clock, final mean ± std and min, and
whether the final mean reaches 475 (Gymnasium's bar). rltui picks its torch threads itself (one for
an MLP); SB3 gets one too, the faster setting on a small shared CPU (bench_threads.py), or
``--sb3-threads N``.
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
from benchmarks._runs import bench_config  # noqa: E402

EVAL_SEED = 1_000_000
EVAL_EPISODES = 20
SOLVED = 475.0

# RL-Zoo hyperparams/dqn.yml, CartPole-v1 (rl-baselines3-zoo master, 2026): "Almost Tuned".
RL_ZOO = dict(
    learning_rate=2.3e-3, batch_size=64, buffer_size=100_000, learning_starts=1000, gamma=0.99,
    target_update_interval=10, train_freq=256, gradient_steps=128, exploration_fraction=0.16,
    exploration_final_eps=0.04, policy_kwargs=dict(net_arch=[256, 256]),
)
RL_ZOO_STEPS = 50_000


def run_rltui(seed: int, data_dir: str) -> tuple[float, list[float], int]:
    from rltui.training.evaluation import evaluate
    from rltui.training.trainer import Trainer

    config = bench_config("CartPole", "dqn", seed, data_dir=data_dir)
    trainer = Trainer(config)
    t0 = time.perf_counter()
    finished = trainer.run()
    elapsed = time.perf_counter() - t0
    assert finished.status == "finished", finished.error
    result = evaluate(trainer.agent, "CartPole", EVAL_EPISODES, EVAL_SEED)
    return elapsed, result.returns, finished.steps


def run_sb3(seed: int, threads: int) -> tuple[float, list[float]]:
    import gymnasium as gym
    import torch
    from stable_baselines3 import DQN

    torch.set_num_threads(threads)
    env = gym.make("CartPole-v1")
    model = DQN("MlpPolicy", env, seed=seed, device="cpu", verbose=0, **RL_ZOO)
    t0 = time.perf_counter()
    model.learn(total_timesteps=RL_ZOO_STEPS)
    elapsed = time.perf_counter() - t0
    returns = []
    eval_env = gym.make("CartPole-v1")
    for i in range(EVAL_EPISODES):
        obs, _ = eval_env.reset(seed=EVAL_SEED + i)
        total, done = 0.0, False
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, r, term, trunc, _ = eval_env.step(action)
            total, done = total + float(r), term or trunc
        returns.append(total)
    return elapsed, returns


def line(name: str, seed: int, elapsed: float, returns: list[float]) -> str:
    r = np.asarray(returns)
    ok = "solved" if r.mean() >= SOLVED else "NOT solved"
    return (f"{name:6s} seed {seed}: {elapsed:6.1f} s  final {r.mean():6.1f} ± {r.std():5.1f} "
            f"(min {r.min():3.0f})  {ok}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--no-sb3", action="store_true", help="rltui only")
    p.add_argument("--sb3-threads", type=int, default=1)
    args = p.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    print(describe())
    mine: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as data_dir:
        for seed in seeds:  # interleaved, so load on a shared machine hits both alike
            elapsed, returns, steps = run_rltui(seed, data_dir)
            print(line("rltui", seed, elapsed, returns) + f"  ({steps:,} steps)", flush=True)
            mine.append((elapsed, float(np.mean(returns))))
            if not args.no_sb3:
                elapsed, returns = run_sb3(seed, args.sb3_threads)
                print(line("SB3", seed, elapsed, returns) + f"  ({RL_ZOO_STEPS:,} steps)", flush=True)
                theirs.append((elapsed, float(np.mean(returns))))
    print(f"load average at the end: {load_average()}")
    for name, rows in (("rltui", mine), ("SB3", theirs)):
        if rows:
            t = np.array([r[0] for r in rows])
            solved = sum(r[1] >= SOLVED for r in rows)
            print(f"{name:6s}: solved (final ≥ {SOLVED:g}) on {solved}/{len(rows)} seeds; wall-clock "
                  f"{t.mean():.1f} s mean ({t.min():.1f}-{t.max():.1f}); final means "
                  f"{', '.join(f'{r[1]:.0f}' for r in rows)}")
    if mine and theirs:
        ratio = np.mean([r[0] for r in mine]) / np.mean([r[0] for r in theirs])
        print(f"rltui's wall-clock is {ratio:.2f}× SB3's")


if __name__ == "__main__":
    main()
