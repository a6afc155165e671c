"""Which torch CPU thread count trains rltui's networks fastest here (what ``threads = 0`` picks).

    python benchmarks/bench_threads.py [--updates 300]

Times DQN gradient steps (sampling included) and single-observation greedy actions of the real agents,
for a CartPole MLP and the Nature CNN on 84×84×4 frames, with 1, 2, ... threads up to the core count.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import describe  # noqa: E402
from rltui.agents import make_agent  # noqa: E402

CASES = {
    "CartPole MLP 64,64 (batch 128)": (gym.spaces.Box(-5, 5, (4,), np.float32), 2, {"hidden": "64,64",
                                                                                  "batch_size": 128}),
    "CartPole MLP 256,256 (batch 64)": (gym.spaces.Box(-5, 5, (4,), np.float32), 2, {"hidden": "256,256",
                                                                                   "batch_size": 64}),
    "Nature CNN 4x84x84 (batch 32)": (gym.spaces.Box(0, 255, (4, 84, 84), np.uint8), 5, {"hidden": "512",
                                                                                       "batch_size": 32}),
}


def time_case(space, n_actions, hp, threads, updates):
    agent = make_agent("dqn", space, gym.spaces.Discrete(n_actions),
                       {**hp, "threads": threads, "learning_starts": 10**9, "buffer_size": 2000}, device="cpu")
    rng = np.random.default_rng(0)
    frames = space.dtype == np.uint8

    def first():  # an episode's first observation: a frame stack repeats its reset frame
        obs = space.sample()
        if frames:
            obs[:] = obs[-1]
        return obs

    obs = first()
    for t in range(1500):  # fill with valid (stack-shifting) transitions
        nxt = space.sample()
        if frames:
            nxt[:-1] = obs[1:]
        end = t % 200 == 199
        agent.observe(obs, int(rng.integers(n_actions)), 0.0, nxt, False, end)
        obs = first() if end else nxt
    for _ in range(10):
        agent._update()
    t0 = time.perf_counter()
    for _ in range(updates):
        agent._update()
    update_ms = (time.perf_counter() - t0) / updates * 1e3
    one = space.sample()
    t0 = time.perf_counter()
    for _ in range(updates * 3):
        agent.act(one, explore=False)
    act_us = (time.perf_counter() - t0) / (updates * 3) * 1e6
    return update_ms, act_us


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--updates", type=int, default=300)
    args = p.parse_args()
    print(describe())
    for name, (space, n, hp) in CASES.items():
        for threads in range(1, (os.cpu_count() or 1) + 1):
            update_ms, act_us = time_case(space, n, hp, threads, args.updates)
            print(f"{name:34s} threads {threads}: {update_ms:7.2f} ms/update  {act_us:7.0f} µs/greedy act")


if __name__ == "__main__":
    main()
