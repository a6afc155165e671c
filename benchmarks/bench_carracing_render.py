"""CarRacing observations: Gymnasium's renderer against rltui's fast one, side by side in one run.

    python benchmarks/bench_carracing_render.py [--steps 400] [--fast-steps 3000] [--envs 1,2] [--frames 400]
    python benchmarks/bench_carracing_render.py --transfer CHECKPOINT [--episodes 10]

1. Throughput of the training pipeline (grey 84×84, frame skip 4, stack 4: what ``rltui train`` builds,
   through ``make_training_env`` and the Trainer's own env factory) under a random policy, with
   ``renderer=gymnasium`` and ``renderer=fast``, resets included: one env in this process pinned to one
   core (wall clock, and CPU time, which a shared machine disturbs less), then N AsyncVectorEnv worker
   processes. Rounds alternate the two renderers so both see the same load.
2. Pixel difference on the same states: Gymnasium's CarRacing and two FastCarRacing (96×96 RGB, and
   the agent's 84×84 grey) stepped in lockstep with the same seed and actions. Mean absolute difference
   (0-255 levels) of each, and benchmarks/carracing_render_pair.png: one row per frame (one of the first
   second's zoom-in, one while driving) of Gymnasium RGB, fast RGB, Gymnasium grey 84, fast grey 84 at
   4× (nearest).
3. ``--transfer CKPT``: the checkpoint's agent, greedy, on the same seeds with each renderer (and a
   random policy on those seeds), so an agent trained on fast frames can be seen to score the same on
   Gymnasium's.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

from benchmarks._machine import describe, load_average  # noqa: E402

RENDERERS = ("gymnasium", "fast")
GREY = np.array([0.2125, 0.7154, 0.0721])


def one_env_rate(renderer: str, steps: int, seed: int) -> tuple[float, float]:
    """(agent steps per wall-clock second, per CPU second) of one env in this process."""
    from rltui.envs import make_training_env

    env = make_training_env("CarRacing", renderer=renderer)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(steps):
        _, _, term, trunc, _ = env.step(int(rng.integers(5)))
        if term or trunc:
            env.reset()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    env.close()
    return steps / wall, steps / cpu


def vector_rate(renderer: str, n_envs: int, steps: int, seed: int) -> float:
    """Agent steps per second of all ``n_envs`` AsyncVectorEnv workers together (the Trainer's set-up)."""
    import gymnasium as gym

    from rltui.training.trainer import _EnvFactory

    env = gym.vector.AsyncVectorEnv([_EnvFactory("CarRacing", {"renderer": renderer}) for _ in range(n_envs)],
                                    autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    rounds = max(1, steps // n_envs)
    t0 = time.perf_counter()
    for _ in range(rounds):
        env.step(rng.integers(5, size=n_envs))
    rate = rounds * n_envs / (time.perf_counter() - t0)
    env.close()
    return rate


def throughput(args: argparse.Namespace) -> None:
    import cv2

    cv2.setNumThreads(1)
    steps = {"gymnasium": args.steps, "fast": args.fast_steps}
    allowed = os.sched_getaffinity(0)
    print(f"one env, pinned to core {min(allowed)}; {args.rounds} alternating rounds; gymnasium {args.steps} "
          f"agent steps a round, fast {args.fast_steps}", flush=True)
    table: dict[tuple[str, int], list[float]] = {}
    cpu_rates: dict[str, list[float]] = {}
    os.sched_setaffinity(0, {min(allowed)})
    try:
        for r in range(args.rounds):
            for renderer in RENDERERS:
                wall, cpu = one_env_rate(renderer, steps[renderer], seed=r)
                table.setdefault((renderer, 1), []).append(wall)
                cpu_rates.setdefault(renderer, []).append(cpu)
                print(f"  round {r}: {renderer:9s} {wall:7.1f} steps/s wall, {cpu:7.1f} per CPU second", flush=True)
    finally:
        os.sched_setaffinity(0, allowed)
    for n in (int(x) for x in args.envs.split(",") if int(x) > 1):
        for renderer in RENDERERS:
            table[(renderer, n)] = [vector_rate(renderer, n, steps[renderer], seed=0)]
    print("\nCarRacing training pipeline, agent steps/s (4 physics frames each), random policy:")
    print(f"{'envs':>5} {'gymnasium':>11} {'fast':>9} {'fast/gym':>9}")
    for n in sorted({n for _, n in table}):
        g, f = np.mean(table[("gymnasium", n)]), np.mean(table[("fast", n)])
        print(f"{n:>5} {g:>11.1f} {f:>9.1f} {f / g:>8.1f}×")
    g, f = np.mean(cpu_rates["gymnasium"]), np.mean(cpu_rates["fast"])
    print(f"{'1 cpu':>5} {g:>11.1f} {f:>9.1f} {f / g:>8.1f}×   (per CPU second of this process)", flush=True)


def pixels(args: argparse.Namespace) -> None:
    import cv2

    from rltui.envs import make_env

    # Three envs in lockstep, same seed and actions, so the same states (physics and rewards are
    # Gymnasium's in all three): each draws its observation inside its own step, as training sees it.
    theirs_env = make_env("CarRacing", renderer="gymnasium").unwrapped
    rgb_env = make_env("CarRacing", renderer="fast").unwrapped
    grey_env = make_env("CarRacing", renderer="fast", pixels=84, grey=True).unwrapped
    envs = (theirs_env, rgb_env, grey_env)
    rng = np.random.default_rng(0)
    d_rgb, d_grey, shots = [], [], []
    per_episode = max(1, args.frames // 2)
    for episode in range(2):
        for env in envs:
            env.reset(seed=episode)
        for frame in range(1, per_episode + 1):
            action = int(rng.choice(5, p=[0.1, 0.15, 0.15, 0.5, 0.1]))
            obs, ours, ours_grey = (env.step(action)[0] for env in envs)
            theirs_grey = cv2.resize(np.sum(obs * GREY, axis=-1).astype(np.uint8), (84, 84),
                                     interpolation=cv2.INTER_AREA)
            d_rgb.append(np.abs(ours.astype(int) - obs).mean())
            d_grey.append(np.abs(ours_grey.astype(int) - theirs_grey).mean())
            if episode == 0 and frame in (20, min(per_episode, 150)):
                shots.append((obs, ours, theirs_grey, ours_grey))
    for env in envs:
        env.close()
    print(f"\npixel difference on the same states ({len(d_rgb)} frames, 2 episodes, the zoom-in included), "
          f"mean absolute, 0-255 levels:")
    print(f"  96×96 RGB frame:   mean {np.mean(d_rgb):.3f}, worst frame {np.max(d_rgb):.3f}")
    print(f"  84×84 agent grey:  mean {np.mean(d_grey):.3f}, worst frame {np.max(d_grey):.3f}")
    big = 384
    rows = []
    for theirs, ours, theirs_grey, ours_grey in shots:
        def up(img):
            img = cv2.resize(img, (big, big), interpolation=cv2.INTER_NEAREST)
            return img if img.ndim == 3 else cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
        gap = np.full((big, 8, 3), 255, np.uint8)
        rows.append(np.hstack([up(theirs), gap, up(ours), gap, up(theirs_grey), gap, up(ours_grey)]))
    sheet = np.vstack([np.vstack([row, np.full((8, row.shape[1], 3), 255, np.uint8)]) for row in rows])
    out = Path(args.png_dir) / "carracing_render_pair.png"
    cv2.imwrite(str(out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(f"  side by side: {out} (each row: Gymnasium RGB, fast RGB, Gymnasium grey 84, fast grey 84; "
          f"frames 20 and {min(per_episode, 150)})")


def transfer(args: argparse.Namespace) -> None:
    from benchmarks._runs import EVAL_SEED, random_returns
    from rltui.training.checkpoints import load_checkpoint
    from rltui.training.evaluation import evaluate

    agent, header = load_checkpoint(args.transfer)
    kwargs = dict(header.get("env_kwargs") or {})
    print(f"{args.transfer}: {header['algo']} trained {int(header.get('steps', 0)):,} steps with renderer "
          f"{kwargs.get('renderer', '(not recorded)')}; greedy, seeds {EVAL_SEED}..{EVAL_SEED + args.episodes - 1}")
    for renderer in ("fast", "gymnasium"):
        t0 = time.perf_counter()
        result = evaluate(agent, header["env"], args.episodes, EVAL_SEED,
                          env_overrides={**kwargs, "renderer": renderer})
        r = np.asarray(result.returns)
        print(f"  on {renderer:9s}: {r.mean():7.1f} ± {r.std():5.1f} (min {r.min():.1f}, max {r.max():.1f}) "
              f"in {time.perf_counter() - t0:.0f} s", flush=True)
    r = np.asarray(random_returns(header["env"], args.episodes))
    print(f"  random policy: {r.mean():7.1f} ± {r.std():5.1f} on the same seeds (fast renderer)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=400, help="agent steps per Gymnasium measurement")
    p.add_argument("--fast-steps", type=int, default=3000, help="agent steps per fast measurement")
    p.add_argument("--rounds", type=int, default=2, help="alternating one-env rounds")
    p.add_argument("--envs", default="1,2", help="env counts (above 1: AsyncVectorEnv workers)")
    p.add_argument("--frames", type=int, default=400, help="frames compared pixel by pixel (0: skip)")
    p.add_argument("--png-dir", default=str(Path(__file__).resolve().parent), help="where the PNG goes")
    p.add_argument("--transfer", metavar="CHECKPOINT", help="only evaluate this checkpoint on both renderers")
    p.add_argument("--episodes", type=int, default=10, help="with --transfer: greedy episodes per renderer")
    args = p.parse_args()
    print(describe())
    if args.transfer:
        transfer(args)
    else:
        throughput(args)
        if args.frames:
            pixels(args)
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
