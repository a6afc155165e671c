"""Does "start from my play" help? Steps to the solved bar with and without 10 human-quality demos.

Run from the repository root:

    python benchmarks/bench_demos.py                  # CartPole DQN and FrozenLake 8x8 Q, 3 seeds each
    python benchmarks/bench_demos.py --only cartpole  # or frozenlake, frozenlake-classic; --seeds; --demos
    python benchmarks/bench_demos.py --only cartpole --seeds 0 --curve   # does the demo start last?

The demos are scripted, not typed: a controller that pushes toward where the pole is falling
(``3θ + θ̇ > 0``, 500 on every CartPole seed tried) and, for FrozenLake 8x8, the value-iteration
policy's episodes that reach the goal. They are kept in a throwaway run store exactly as the app keeps
a person's play (seed + actions + rewards) and reach the agent through the product path:
``TrainConfig(demos="all")`` → replay in the agent's env → ``agent.learn_from_demos``.

"Steps to solved" is the first evaluation (every ``--eval-every`` env steps, greedy, fixed seeds) whose
mean return reaches the env's bar: 475 over 10 episodes on CartPole, success 0.85 over 200 episodes on
FrozenLake 8x8. Medians over the seeds; a run that never gets there counts as its budget (and is shown
with ">").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))

from _machine import describe  # noqa: E402
from _runs import bench_config  # noqa: E402

from rltui.envs import make_env  # noqa: E402
from rltui.training.events import Evaluation  # noqa: E402
from rltui.training.store import RunStore  # noqa: E402
from rltui.training.trainer import Trainer  # noqa: E402

CASES = {
    # name: (env, algo, preset, budget steps, eval every, eval episodes, bar, demo passes)
    "cartpole": ("CartPole", "dqn", None, 50_000, 1_000, 10, 475.0, 10),
    "frozenlake": ("FrozenLake8x8", "q", None, 200_000, 5_000, 200, 0.85, 5),
    "frozenlake-classic": ("FrozenLake8x8", "q", "classic", 200_000, 5_000, 200, 0.85, 5),
}


def cartpole_controller(obs) -> int:
    _, _, theta, theta_dot = obs
    return int(3.0 * theta + theta_dot > 0)


def scripted_episodes(env_name: str, count: int, first_seed: int = 10_000) -> list[tuple[int, list[int], list[float]]]:
    """``count`` good episodes as (seed, actions, rewards), from seeds no evaluation uses."""
    env = make_env(env_name)
    policy = _frozenlake_policy(env) if env_name.startswith("FrozenLake") else None
    episodes, seed = [], first_seed
    while len(episodes) < count:
        obs, _ = env.reset(seed=seed)
        actions, rewards, done = [], [], False
        while not done:
            action = cartpole_controller(obs) if policy is None else int(policy[obs])
            obs, reward, terminated, truncated, _ = env.step(action)
            actions.append(action)
            rewards.append(float(reward))
            done = terminated or truncated
        if sum(rewards) > 0:  # FrozenLake: keep the episodes that reach the goal, as a person would
            episodes.append((seed, actions, rewards))
        seed += 1
    env.close()
    return episodes


def _frozenlake_policy(env):
    from rltui.agents.value_iteration import greedy_policy, value_iteration

    u = env.unwrapped
    _, q = value_iteration(u.P, u.observation_space.n, u.action_space.n, 0.995)
    return greedy_policy(q)


def steps_to_solved(case: str, seed: int, demos: list | None, data_dir: str) -> tuple[int | None, float]:
    env, algo, preset, budget, every, episodes, bar, passes = CASES[case]
    store = RunStore(os.path.join(data_dir, f"{case}-{seed}-{'demos' if demos else 'plain'}.sqlite3"))
    for demo_seed, actions, rewards in demos or []:
        store.add_human_episode(env, demo_seed, actions, rewards)
    config = bench_config(env, algo, seed, budget, preset=preset, eval_every=every, eval_episodes=episodes,
                          demos="all" if demos else None, demo_passes=passes,
                          out=os.path.join(data_dir, f"{case}-{seed}.ckpt"), data_dir=data_dir)
    solved: list[int] = []

    def callback(event):
        if isinstance(event, Evaluation):
            score = event.success_rate if event.success_rate is not None else event.mean
            if score >= bar:
                solved.append(event.steps)
                return "stop"
        return None

    start = time.perf_counter()
    finished = Trainer(config, callback=callback, store=store).run()
    if finished.status == "failed":
        raise SystemExit(f"{case} seed {seed}: {finished.error}")
    return (solved[0] if solved else None), time.perf_counter() - start


def curve(case: str, seed: int, demos: list, every: int = 5_000, episodes: int = 20) -> list[tuple[int, float]]:
    """Greedy mean every ``every`` steps over the whole budget: does the demo start last?"""
    env, algo, preset, budget, *_ , passes = CASES[case]
    with tempfile.TemporaryDirectory() as data_dir:
        store = RunStore(os.path.join(data_dir, "curve.sqlite3"))
        for demo_seed, actions, rewards in demos:
            store.add_human_episode(env, demo_seed, actions, rewards)
        config = bench_config(env, algo, seed, budget, preset=preset, eval_every=every, eval_episodes=episodes,
                              demos="all", demo_passes=passes, data_dir=data_dir)
        points: list[tuple[int, float]] = []
        Trainer(config, store=store,
                callback=lambda e: points.append((e.steps, e.mean)) if isinstance(e, Evaluation) else None).run()
    return points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=sorted(CASES))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--demos", type=int, default=10, help="number of demo episodes (default 10)")
    parser.add_argument("--curve", action="store_true",
                        help="instead: one full run with demos per seed, greedy mean every 5k steps")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    print(describe())
    for case in [args.only] if args.only else list(CASES):
        env, algo, preset, budget, *_ = CASES[case]
        demos = scripted_episodes(env, args.demos)
        if args.curve:
            for seed in seeds:
                points = curve(case, seed, demos)
                print(f"{case} seed {seed} with demos: " + "  ".join(f"{s // 1000}k {m:g}" for s, m in points))
            continue
        demo_return = statistics.mean(sum(r) for _, _, r in demos)
        print(f"\n{case}: {algo} ({preset or 'env preset'}) on {env}, budget {budget} steps; "
              f"{len(demos)} scripted demos ({sum(len(a) for _, a, _ in demos)} transitions, "
              f"mean return {demo_return:g})")
        results = {}
        with tempfile.TemporaryDirectory() as data_dir:
            for label, d in (("without demos", None), ("with demos", demos)):
                steps, times = [], []
                for seed in seeds:
                    s, wall = steps_to_solved(case, seed, d, data_dir)
                    steps.append(s)
                    times.append(wall)
                    print(f"  {label:14} seed {seed}: {'>' + str(budget) if s is None else s} steps "
                          f"({wall:.1f} s)", flush=True)
                median = statistics.median(budget + 1 if s is None else s for s in steps)
                results[label] = median
                shown = f">{budget}" if median > budget else f"{median:g}"
                print(f"  {label:14} median steps to solved: {shown} (median wall {statistics.median(times):.1f} s)")
        a, b = results["without demos"], results["with demos"]
        print(f"  => demos {'help' if b < a else 'do not help'}: {a:g} -> {b:g} steps "
              f"({(a - b) / a * 100:+.0f}% fewer)" if a else "")


if __name__ == "__main__":
    main()
