"""Agents: tabular Q-learning / SARSA, value iteration, DQN, DRQN, behind one interface (:mod:`.base`).

:func:`make_agent` builds any of them by name; modules load lazily so tabular work never imports torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rltui.errors import RltuiError

if TYPE_CHECKING:
    import gymnasium as gym

    from rltui.agents.base import Agent

#: algorithm name -> "module:factory". A factory takes
#: (observation_space, action_space, hparams: dict, *, device: str, seed: int) and returns an Agent.
ALGORITHMS: dict[str, str] = {
    "q": "rltui.agents.tabular:make_q_learning",
    "sarsa": "rltui.agents.tabular:make_sarsa",
    "vi": "rltui.agents.value_iteration:make_value_iteration",
    "dqn": "rltui.agents.dqn:make_dqn",
    "drqn": "rltui.agents.drqn:make_drqn",
}

ALGO_TITLES: dict[str, str] = {
    "q": "Q-learning (tabular)",
    "sarsa": "SARSA (tabular)",
    "vi": "Value iteration (model)",
    "dqn": "DQN (double, dueling)",
    "drqn": "DRQN (LSTM)",
}


def make_agent(
    algo: str,
    observation_space: gym.Space,
    action_space: gym.Space,
    hparams: dict[str, Any],
    *,
    device: str = "cpu",
    seed: int = 0,
) -> Agent:
    """Build the agent ``algo``; an unknown name is a one-line error listing the valid ones."""
    target = ALGORITHMS.get(algo)
    if target is None:
        raise RltuiError(f"unknown algorithm {algo!r}; valid: {', '.join(ALGORITHMS)}")
    module, _, name = target.partition(":")
    factory = getattr(importlib.import_module(module), name)
    return factory(observation_space, action_space, hparams, device=device, seed=seed)
