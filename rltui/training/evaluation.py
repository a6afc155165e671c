"""Greedy evaluation on fixed seeds: the one yardstick the Trainer, ``rltui eval`` and compare share.

Episode ``i`` resets the env with seed ``seed + i``, so two agents (or an agent and a person) evaluated
with the same ``seed`` face the same start states and the same env randomness as far as their own
actions allow; results are reproducible run to run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rltui.agents.base import Agent
from rltui.envs import get_entry, make_training_env
from rltui.errors import RltuiError
from rltui.training.config import env_options


@dataclass(frozen=True)
class EvalResult:
    mean: float
    std: float
    returns: list[float]
    lengths: list[int]
    success_rate: float | None  # share of episodes with return >= the env's success_reward, where it has one

    @property
    def episodes(self) -> int:
        return len(self.returns)


def build_eval_env(agent: Agent, env_name: str, render: str | None = None,
                   env_overrides: dict[str, Any] | None = None):
    """The env ``agent`` sees (its algorithm's observation pipeline), with ``render`` as render mode."""
    return make_training_env(env_name, **env_options(agent.algo), render_mode=render, **(env_overrides or {}))


def evaluate(
    agent: Agent,
    env_name: str,
    episodes: int,
    seed: int,
    render: str | None = None,
    env_overrides: dict[str, Any] | None = None,
    *,
    env: Any = None,
    on_frame: Callable[[Any], None] | None = None,
    max_steps: int | None = None,
) -> EvalResult:
    """Play ``episodes`` greedy episodes and summarise them.

    ``render`` is a render mode ("ansi", "rgb_array"); each frame ``env.render()`` returns goes to
    ``on_frame`` (the faces draw it). ``env`` reuses an env built by :func:`build_eval_env` (the Trainer
    evaluates often). ``max_steps`` guards envs without a time limit.
    """
    if episodes < 1:
        raise RltuiError(f"episodes must be at least 1, not {episodes}")
    entry = get_entry(env_name)
    own = env is None
    if own:
        env = build_eval_env(agent, env_name, render, env_overrides)
    act = agent.act
    returns: list[float] = []
    lengths: list[int] = []
    try:
        for i in range(episodes):
            obs, info = env.reset(seed=seed + i)
            agent.reset_episode(0)
            mask = info.get("action_mask") if isinstance(info, dict) else None
            if on_frame is not None:
                on_frame(env.render())
            total, length, done = 0.0, 0, False
            while not done:
                action = act(obs, False, mask) if mask is not None else act(obs, False)
                obs, reward, terminated, truncated, info = env.step(action)
                mask = info.get("action_mask") if mask is not None else None
                total += float(reward)
                length += 1
                done = terminated or truncated or (max_steps is not None and length >= max_steps)
                if on_frame is not None:
                    on_frame(env.render())
            returns.append(total)
            lengths.append(length)
    finally:
        if own:
            env.close()
    arr = np.asarray(returns)
    success = None
    if entry.success_reward is not None:
        success = float(np.mean(arr >= entry.success_reward))
    return EvalResult(float(arr.mean()), float(arr.std()), returns, lengths, success)
