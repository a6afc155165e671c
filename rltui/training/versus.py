"""Two tabular learners side by side on one env and seed: Q-learning against SARSA, or two settings.

Each side is an ordinary run (:class:`~rltui.training.trainer.Trainer`, so both land in the run store),
trained one after the other on the same env, seed and step budget. What comes back is what the lesson
compares: each side's episode returns (to overlay) and the path its greedy policy takes from the start
(on CliffWalking, SARSA's safe path away from the edge against Q-learning's optimal one along it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rltui.errors import RltuiError
from rltui.training.config import parse_assignments

VERSUS_ALGOS = ("q", "sarsa", "expected", "dqn", "drqn")
_NAMES = {"q": "Q-learning", "sarsa": "SARSA", "dqn": "DQN", "drqn": "DRQN"}


@dataclass(frozen=True)
class Contender:
    """One side: an algorithm, optionally a named preset, overrides and another env (``q``,
    ``sarsa@expected``, ``q:epsilon_start=0.3,alpha=0.1``, ``q:env=FrozenLake4x4-NoSlip``)."""

    algo: str
    preset: str | None = None
    hparams: dict[str, Any] = field(default_factory=dict)
    env: str | None = None  # None: the env both sides share
    name: str | None = None  # what the screen calls it; derived when None

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        name = "expected SARSA" if self.hparams.get("expected") else _NAMES[self.algo]
        extra = [f"{k}={v}" for k, v in self.hparams.items() if k != "expected"]
        if self.preset:
            extra.insert(0, f"preset {self.preset}")
        if self.env:
            extra.insert(0, self.env)
        return name + (f" ({', '.join(extra)})" if extra else "")


def parse_contender(text: str) -> Contender:
    """``ALGO[@PRESET][:key=value,...]``; a one-line error for anything else."""
    head, _, sets = text.partition(":")
    algo, _, preset = head.partition("@")
    algo = algo.strip()
    if algo not in VERSUS_ALGOS:
        raise RltuiError(f"a side is q, sarsa, expected, dqn or drqn (with @preset or :key=value,...), not {text!r}")
    hparams = parse_assignments([s for s in sets.split(",") if s.strip()], what="a side's key=value")
    env = hparams.pop("env", None)
    if env is not None:
        from rltui.envs import get_entry

        env = get_entry(str(env)).name
    if algo == "expected":
        algo, hparams = "sarsa", {"expected": True, **hparams}
    return Contender(algo, preset.strip() or None, hparams, env)


@dataclass
class SideResult:
    """What one side learned: its run, its returns, and where its greedy policy walks."""

    contender: Contender
    run_id: int | None
    status: str
    returns: list[float]
    path: list[int]  # tabular: states the greedy policy visits from the start, the start included
    greedy_return: float
    env: str = ""
    error: str | None = None


def greedy_rollout(agent: Any, env_name: str, algo: str, seed: int, max_steps: int = 1000) -> tuple[list[int], float]:
    """One greedy episode from the seeded start: the states it visits (tabular agents) and its return."""
    from rltui.envs import make_training_env
    from rltui.training.config import TABULAR_ALGOS, env_options

    env = make_training_env(env_name, **env_options(algo))
    tabular = algo in TABULAR_ALGOS
    try:
        obs, info = env.reset(seed=seed)
        agent.reset_episode(0)
        path, total = ([int(obs)] if tabular else []), 0.0
        for _ in range(max_steps):
            mask = info.get("action_mask") if isinstance(info, dict) else None
            obs, reward, terminated, truncated, info = env.step(agent.act(obs, False, mask))
            if tabular:
                path.append(int(obs))
            total += float(reward)
            if terminated or truncated:
                break
        return path, total
    finally:
        env.close()


def run_versus(env: str, sides: list[Contender], *, steps: int | None = None, seed: int = 0, store: Any = None,
               data_dir: str | None = None, callback: Callable[[int, Any], Any] | None = None) -> list[SideResult]:
    """Train each side for ``steps`` (the first side's preset budget when None) on ``env`` with ``seed``.

    ``callback(side_index, event)`` sees every Trainer event, e.g. for a screen's live chart.
    """
    from rltui.training.config import TrainConfig, default_steps
    from rltui.training.events import EpisodeEnd
    from rltui.training.trainer import Trainer

    if len(sides) != 2:
        raise RltuiError("side by side takes exactly two sides")
    budget = steps or default_steps(env, sides[0].algo, sides[0].preset)
    results = []
    for index, side in enumerate(sides):
        returns: list[float] = []

        def relay(event: Any, index: int = index, returns: list[float] = returns) -> Any:
            if isinstance(event, EpisodeEnd):
                returns.append(event.ret)
            return callback(index, event) if callback is not None else None

        side_env = side.env or env
        config = TrainConfig(side_env, side.algo, steps=budget, seed=seed, preset=side.preset,
                             hparams=dict(side.hparams), eval_every=0, data_dir=data_dir)
        trainer = Trainer(config, callback=relay, store=store)
        done = trainer.run()
        path, greedy = ([], 0.0)
        if done.status != "failed":
            path, greedy = greedy_rollout(trainer.agent, trainer.entry.name, side.algo, seed)
        results.append(SideResult(side, trainer.run_id, done.status, returns, path, greedy, trainer.entry.name,
                                  done.error))
        if done.status == "stopped":
            break
    return results
