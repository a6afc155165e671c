"""How much memory 100 k Atari transitions take in rltui's replay ring, measured, not computed.

    python benchmarks/bench_replay_memory.py [--transitions 100000] [--game Breakout]

Plays a random policy through the real training pipeline (AtariPreprocessing, 84×84 grey, stack of 4)
and stores every transition. Reports the buffer's array bytes and the process's resident-memory growth,
next to what storing both stacks of every transition (obs and next_obs) would take, then checks a
sample of rebuilt stacks against the observations the env really returned.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._machine import describe, rss_mib  # noqa: E402
from rltui.agents.replay import ReplayBuffer  # noqa: E402
from rltui.envs import make_training_env  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--transitions", type=int, default=100_000)
    p.add_argument("--game", default="Breakout")
    args = p.parse_args()
    print(describe())
    env = make_training_env(args.game)
    shape = env.observation_space.shape
    before = rss_mib()
    buf = ReplayBuffer(args.transitions, shape, np.uint8, n_envs=1, stack=shape[0])
    rng = np.random.default_rng(0)
    obs, _ = env.reset(seed=0)
    kept: list[tuple[int, int, np.ndarray, np.ndarray]] = []  # a few real transitions to check against
    advanced = 0  # slots the ring has moved on (one per step, one more per episode end)
    t0 = time.perf_counter()
    for t in range(args.transitions):
        a = int(rng.integers(env.action_space.n))
        nxt, r, term, trunc, _ = env.step(a)
        if t % 997 == 0:  # the slot this transition goes to
            kept.append((int(buf.cursor[0]), advanced, obs.copy(), nxt.copy()))
        buf.add(obs, a, r, nxt, term, trunc)
        advanced += 1 + int(term or trunc)
        obs = nxt
        if term or trunc:
            obs, _ = env.reset()
    elapsed = time.perf_counter() - t0
    grown = rss_mib() - before
    naive = 2 * args.transitions * int(np.prod(shape))
    print(f"{args.transitions:,} {args.game} transitions of {shape} uint8 in {elapsed:.0f} s "
          f"({args.transitions / elapsed:.0f} env steps/s with storing)")
    print(f"  replay arrays: {buf.nbytes / 2**20:,.0f} MiB ({buf.nbytes / args.transitions:,.0f} bytes a transition)")
    print(f"  process resident memory grew by {grown:,.0f} MiB while filling")
    print(f"  storing obs and next_obs stacks would take {naive / 2**20:,.0f} MiB "
          f"({naive / buf.nbytes:.1f}× more); stacks once (next_obs shared) {naive / 2 / 2**20:,.0f} MiB")
    checked = 0
    for slot, when, o, n in kept:
        if advanced - when < buf.slots - 8:  # not yet overwritten by the ring
            assert np.array_equal(buf.stacks(np.array([slot]), np.array([0]))[0], o)
            assert np.array_equal(buf.stacks(np.array([(slot + 1) % buf.slots]), np.array([0]))[0], n)
            checked += 1
    print(f"  rebuilt stacks identical to the env's observations: {checked}/{checked} checked")


if __name__ == "__main__":
    main()
