"""Watching an agent play: its env (the algorithm's observation pipeline), its greedy policy, and copies.

The watch env is built the way evaluation builds it, so the agent sees what it was trained on while
the face draws the underlying game. Watching during training uses a *copy* of the agent, refreshed at
the start of every episode: the training thread keeps its own agent (and a recurrent agent's hidden
state) untouched, and the copy shows what was learned up to that episode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rltui.agents import make_agent
from rltui.agents.base import Agent
from rltui.envs import get_entry
from rltui.play.realtime import Policy
from rltui.play.session import HumanSession
from rltui.training.evaluation import build_eval_env


def greedy(agent: Agent) -> Policy:
    def policy(obs: Any, mask) -> int:
        return int(agent.act(obs, False, mask) if mask is not None else agent.act(obs, False))

    return policy


def copy_agent(agent: Agent, observation_space: Any, action_space: Any) -> Agent:
    """A fresh agent with ``agent``'s learned state (a snapshot; the original keeps training)."""
    twin = make_agent(agent.algo, observation_space, action_space, dict(agent.hparams), device="cpu")
    refresh(twin, agent)
    return twin


def refresh(twin: Agent, source: Agent) -> None:
    """Copy ``source``'s learned state into ``twin`` (neural states are moved to the twin's device)."""
    state = source.state_dict()
    try:
        import torch

        state = {k: (v.detach().to("cpu").clone() if isinstance(v, torch.Tensor) else v) for k, v in state.items()}
    except ImportError:  # tabular-only installs
        pass
    twin.load_state_dict(state)


def watch_session(agent: Agent, env_name: str, seed: int | None = None, *,
                  source: Agent | None = None,
                  env_overrides: dict[str, Any] | None = None) -> tuple[HumanSession, Policy, Callable[[], None]]:
    """(session, greedy policy, on-episode-start hook) for watching ``agent`` play ``env_name``.

    With ``source`` (the agent being trained), ``agent`` is a copy refreshed from it at every episode
    start; otherwise it is used as it is (a loaded checkpoint).
    """
    entry = get_entry(env_name)
    # Generic entries draw their own rgb_array/ansi picture where they have one (entry.play_render).
    env = build_eval_env(agent, entry.name, "rgb_array" if entry.kind == "pixels" else entry.play_render,
                         env_overrides)
    session = HumanSession(entry.name, seed, env=env)

    def on_episode_start() -> None:
        if source is not None:
            refresh(agent, source)
        agent.reset_episode(0)

    return session, greedy(agent), on_episode_start
