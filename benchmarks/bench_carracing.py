"""CarRacing (discrete, pixels): env throughput with parallel envs, and a short DQN run end to end.

    python benchmarks/bench_carracing.py [--steps 1500] [--train-steps 3000] [--envs 1,2,4]

1. Throughput of the training pipeline (grey 84×84, frame skip 4, stack 4) under a random policy:
   one env in this process, then ``gymnasium.vector.AsyncVectorEnv`` with N worker processes. Box2D
   physics and the pygame rendering of every frame make CarRacing CPU-bound, so N processes on N
   cores should approach N× the steps per second.
2. Short DQN and DRQN (CNN + LSTM, one frame a step) runs through the Trainer on the CPU (2 envs,
   small replay), each saving a checkpoint, then ``rltui eval`` loading it in a fresh process and
   playing one greedy episode.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._machine import describe, load_average  # noqa: E402


def throughput(n_envs: int, steps: int, renderer: str = "fast") -> float:
    """Agent steps per second (all envs together) under a random policy."""
    import gymnasium as gym

    from rltui.envs import make_training_env
    from rltui.training.trainer import _EnvFactory

    rng = np.random.default_rng(0)
    if n_envs == 1:
        env = make_training_env("CarRacing", renderer=renderer)
        env.reset(seed=0)
        t0 = time.perf_counter()
        for _ in range(steps):
            _, _, term, trunc, _ = env.step(int(rng.integers(5)))
            if term or trunc:
                env.reset()
        rate = steps / (time.perf_counter() - t0)
    else:
        env = gym.vector.AsyncVectorEnv([_EnvFactory("CarRacing", {"renderer": renderer}) for _ in range(n_envs)],
                                        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
        env.reset(seed=0)
        rounds = max(1, steps // n_envs)
        t0 = time.perf_counter()
        for _ in range(rounds):
            env.step(rng.integers(5, size=n_envs))
        rate = rounds * n_envs / (time.perf_counter() - t0)
    env.close()
    return rate


def short_run(algo: str, train_steps: int, out_dir: str) -> None:
    from benchmarks._runs import bench_config
    from rltui.training.trainer import Trainer

    hp = {"learning_starts": min(1000, train_steps // 2), "buffer_size": 10_000,
          "batch_size": 32 if algo == "dqn" else 8, "train_freq": 4, "eps_decay_steps": train_steps}
    out = str(Path(out_dir) / f"carracing-{algo}.pt")
    config = bench_config("CarRacing", algo, 0, train_steps, hparams=hp, n_envs=2, out=out, data_dir=out_dir)
    trainer = Trainer(config)
    t0 = time.perf_counter()
    finished = trainer.run()
    elapsed = time.perf_counter() - t0
    print(f"{algo.upper()} on CarRacing, CPU, 2 envs: {finished.status} after {finished.steps:,} steps "
          f"in {elapsed:.0f} s "
          f"({finished.steps / elapsed:.0f} steps/s incl. {trainer.agent.updates:,} updates); "
          f"{finished.episodes} episodes, mean return {np.mean(trainer.recent_returns or [float('nan')]):.1f}; "
          f"checkpoint {finished.checkpoint}")
    if finished.status != "finished":
        raise SystemExit(f"training failed: {finished.error}")
    cmd = [sys.executable, "-m", "rltui", "eval", finished.checkpoint, "--episodes", "1"]
    print("$ rltui eval", finished.checkpoint, "--episodes 1")
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=_env(out_dir))
    print(proc.stdout.strip() or proc.stderr.strip())
    if proc.returncode != 0:
        raise SystemExit(f"rltui eval failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")


def _env(data_dir: str) -> dict[str, str]:
    import os

    return {**os.environ, "RLTUI_DATA": data_dir, "SDL_VIDEODRIVER": "dummy"}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1500,
                   help="agent steps per throughput measurement (several episodes: a reset builds a new track)")
    p.add_argument("--envs", default="1,2", help="env counts to measure")
    p.add_argument("--renderer", choices=("fast", "gymnasium"), default="fast",
                   help="CarRacing's observation renderer (bench_carracing_render.py compares the two)")
    p.add_argument("--train-steps", type=int, default=3000, help="steps of each short run (0: skip)")
    p.add_argument("--algos", default="dqn,drqn", help="agents for the short runs")
    args = p.parse_args()
    print(describe())
    rates = {}
    for n in (int(x) for x in args.envs.split(",")):
        rates[n] = throughput(n, args.steps, args.renderer)
        base = rates.get(1)
        gain = f"  ({rates[n] / base:.2f}× one env)" if base and n > 1 else ""
        print(f"CarRacing training pipeline ({args.renderer} renderer), {n} env(s): {rates[n]:6.1f} agent steps/s "
              f"({rates[n] * 4:6.0f} physics frames/s){gain}", flush=True)
    if args.train_steps:
        for algo in args.algos.split(","):
            with tempfile.TemporaryDirectory() as out_dir:
                short_run(algo, args.train_steps, out_dir)
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    main()
