"""Train through the product's Trainer and evaluate the final agent: what every learning benchmark does."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

EVAL_SEED = 1_000_000


@dataclass
class RunResult:
    algo: str
    seed: int
    steps: int
    seconds: float
    returns: list[float]

    @property
    def mean(self) -> float:
        return float(np.mean(self.returns))

    def line(self) -> str:
        r = np.asarray(self.returns)
        return (f"{self.algo:5s} seed {self.seed}: {self.steps:,} steps in {self.seconds:5.0f} s -> final greedy "
                f"{r.mean():7.2f} ± {r.std():6.2f} over {len(r)} episodes")


def bench_config(env: str, algo: str, seed: int = 0, steps: int | None = None, *, hparams: dict | None = None,
                 preset: str | None = None, **settings):
    """The TrainConfig a benchmark trains: what ``rltui train ENV --algo ALGO --seed SEED`` builds (the
    preset's step budget unless ``steps``; ``--set`` as ``hparams``), on the CPU and without periodic
    evaluations unless ``settings`` say otherwise (evaluations do not change what is learned).
    tests/test_same_config.py checks it against the CLI and the app; every benchmark builds its runs here."""
    from rltui.training.config import TrainConfig, default_steps

    settings = {"device": "cpu", "eval_every": 0, **settings}
    steps = steps if steps is not None else default_steps(env, algo, preset)
    return TrainConfig(env, algo, steps, seed=seed, preset=preset, hparams=dict(hparams or {}), **settings)


def train_and_evaluate(env: str, algo: str, steps: int, seed: int, data_dir: str, episodes: int,
                       hparams: dict | None = None, n_envs: int = 1) -> RunResult:
    """Train ``algo`` on ``env`` with its preset (plus ``hparams``), then play ``episodes`` greedy episodes."""
    from rltui.training.evaluation import evaluate
    from rltui.training.trainer import Trainer

    config = bench_config(env, algo, seed, steps, hparams=hparams, data_dir=data_dir, n_envs=n_envs)
    trainer = Trainer(config)
    t0 = time.perf_counter()
    finished = trainer.run()
    seconds = time.perf_counter() - t0
    if finished.status != "finished":
        raise SystemExit(f"{algo} on {env} seed {seed}: {finished.status}: {finished.error}")
    result = evaluate(trainer.agent, env, episodes, EVAL_SEED)
    return RunResult(algo, seed, finished.steps, seconds, result.returns)


def random_returns(env_name: str, episodes: int, algo: str = "dqn") -> list[float]:
    """A uniform random policy on the same env pipeline and evaluation seeds."""
    from rltui.envs import make_training_env
    from rltui.training.config import env_options

    env = make_training_env(env_name, **env_options(algo))
    rng = np.random.default_rng(0)
    out = []
    for i in range(episodes):
        env.reset(seed=EVAL_SEED + i)
        total, done = 0.0, False
        while not done:
            _, r, term, trunc, _ = env.step(int(rng.integers(env.action_space.n)))
            total, done = total + float(r), term or trunc
        out.append(total)
    env.close()
    return out
