"""The GPU check: what rltui's deep agents do on a CUDA machine, in under 8 minutes.

    python benchmarks/gpu_check.py            # needs CUDA; elsewhere it exits with one line
    python benchmarks/gpu_check.py --device cpu --quick   # a smoke run of the same code on any machine

Everything goes through the product's Trainer (presets and code path of ``rltui train``), each stage
under a wall-clock cap (a timer stops the run cleanly, as the app's stop key does): 100 + 2×40 + 180 s
of training and about a minute of evaluations and start-ups. It prints:

1. CartPole DQN on the GPU with its preset (35 k steps): wall-clock, final greedy mean over 20
   episodes, solved or not (475).
2. CarRacing training steps/s with 8 parallel envs (AsyncVectorEnv, fast renderer), DQN and DRQN
   with their CarRacing presets, updates included.
3. A short CarRacing DQN run (``--preset gpu``, 8 envs, learning starts and exploration scaled down to
   the cap): steps reached and the greedy mean over 10 episodes, against a random policy.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

EVAL_SEED = 1_000_000


def _train(env: str, algo: str, steps: int, cap_s: float, device: str, data_dir: str, *, n_envs: int = 1,
           preset: str | None = None, hparams: dict | None = None):
    """Train through the Trainer, stopped after ``cap_s`` seconds if not done; (trainer, finished, seconds)."""
    from rltui.training.config import TrainConfig
    from rltui.training.events import TrainerControl
    from rltui.training.trainer import Trainer

    config = TrainConfig(env, algo, steps=steps, seed=0, device=device, n_envs=n_envs, eval_every=0,
                         preset=preset, hparams=dict(hparams or {}), data_dir=data_dir,
                         out=str(Path(data_dir) / f"{env}-{algo}-{preset or 'default'}.pt"))
    control = TrainerControl()
    trainer = Trainer(config, control=control)
    timer = threading.Timer(cap_s, control.stop)
    timer.start()
    t0 = time.perf_counter()
    try:
        finished = trainer.run()
    finally:
        timer.cancel()
    seconds = time.perf_counter() - t0
    if finished.status not in ("finished", "stopped"):
        raise SystemExit(f"gpu_check: {algo} on {env} {finished.status}: {finished.error}")
    return trainer, finished, seconds


def _greedy(trainer, env: str, episodes: int) -> np.ndarray:
    from rltui.training.evaluation import evaluate

    return np.asarray(evaluate(trainer.agent, env, episodes, EVAL_SEED,
                               env_overrides=trainer.config.env_overrides).returns)


def cartpole(args, data_dir: str) -> None:
    trainer, done, s = _train("CartPole", "dqn", 35_000 // args.scale, args.cap * 100, args.device, data_dir)
    r = _greedy(trainer, "CartPole", 20)
    solved = "solved" if r.mean() >= 475 else "not solved"
    print(f"1. CartPole DQN on {args.device}: {done.steps:,} steps ({done.status}) in {s:.0f} s, "
          f"{trainer.agent.updates:,} updates; greedy {r.mean():.1f} ± {r.std():.1f} over 20 episodes: {solved} "
          f"(bar 475)", flush=True)


def carracing_speed(args, data_dir: str) -> None:
    for algo in ("dqn", "drqn"):
        steps = 24_000 // args.scale
        hp = {"learning_starts": 2_000 // args.scale}  # measure training, not the replay's warm-up
        trainer, done, s = _train("CarRacing", algo, steps, args.cap * 40, args.device, data_dir, n_envs=8,
                                  hparams=hp)
        print(f"2. CarRacing {algo.upper()}, 8 envs on {args.device}: {done.steps / s:,.0f} steps/s "
              f"({done.steps:,} steps in {s:.0f} s, {trainer.agent.updates / s:,.1f} updates/s, "
              f"{done.status})", flush=True)


def carracing_short(args, data_dir: str) -> None:
    from benchmarks._runs import random_returns

    steps = 200_000 // args.scale
    hp = {"learning_starts": 5_000 // args.scale, "eps_decay_steps": 60_000 // args.scale,
          "lr_decay_start": steps, "lr_decay_steps": steps}
    trainer, done, s = _train("CarRacing", "dqn", steps, args.cap * 180, args.device, data_dir, n_envs=8,
                              preset="gpu", hparams=hp)
    r = _greedy(trainer, "CarRacing", 10)
    rnd = np.asarray(random_returns("CarRacing", 10))
    print(f"3. CarRacing DQN --preset gpu, 8 envs on {args.device}: {done.steps:,} steps ({done.status}) in "
          f"{s:.0f} s; greedy {r.mean():.1f} ± {r.std():.1f} over 10 episodes (random {rnd.mean():.1f}; "
          f"published discrete DQN 343 ± 18)", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda", help="cuda (default), or cpu for a smoke run")
    p.add_argument("--quick", action="store_true", help="budgets and caps cut 100×/20× (a smoke run)")
    args = p.parse_args()
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"gpu_check: no CUDA device here (torch {torch.__version__}); run it on a GPU machine")
    args.scale, args.cap = (100, 0.05) if args.quick else (1, 1.0)
    from benchmarks._machine import describe

    print(describe(), flush=True)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as data_dir:
        cartpole(args, data_dir)
        carracing_speed(args, data_dir)
        carracing_short(args, data_dir)
    print(f"total {time.perf_counter() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
