"""Agents from elsewhere: a Stable-Baselines3 DQN model (``sb3:PATH.zip``) played by rltui.

An SB3 ``.zip`` holds pickled Python objects (its spaces, schedules, policy class), and unpickling runs
whatever code the file names: loading one is only safe for a file you trust. So rltui loads one only
with an explicit ``--trust`` flag, and says why when it is missing. (rltui's own checkpoints are read
with ``torch.load(weights_only=True)`` or ``np.load(allow_pickle=False)``, which cannot run code.)

The model plays in the raw catalogue env (no rltui observation pipeline): its spaces must equal the
env's, which holds for vector envs (CartPole) and toy text (FrozenLake, CliffWalking, Taxi), where SB3
one-hots Discrete states itself. For Discrete states the Q-table of every state is available, so the
boards show Q-values as they do for rltui's own agents.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from rltui.agents.base import Agent
from rltui.envs import get_entry, make_training_env
from rltui.errors import RltuiError
from rltui.share import require

PREFIX = "sb3:"
ALGO = "sb3"
#: Discrete state spaces up to this size get a full Q table (boards with Q-values).
MAX_Q_STATES = 4096

TRUST_HELP = ("an SB3 .zip holds Python pickles, and loading one runs code named in the file: only load "
              "files you trust (--trust)")


def is_sb3(spec: str | None) -> bool:
    return bool(spec) and str(spec).startswith(PREFIX)


class SB3Agent(Agent):
    """A loaded SB3 DQN model behind rltui's Agent interface: greedy play and Q-values, no learning."""

    algo = ALGO
    neural = True

    def __init__(self, model: Any, path: str) -> None:
        self.model = model
        self.path = path
        self.hparams = {"sb3_algo": type(model).__name__, "path": path}
        self.trained_steps = int(getattr(model, "num_timesteps", 0) or 0)
        space = model.observation_space
        self._n_states = int(space.n) if hasattr(space, "n") and space.shape == () else None

    def _q(self, obs: Any) -> np.ndarray:
        import torch

        with torch.no_grad():
            tensor, _ = self.model.policy.obs_to_tensor(obs)
            return self.model.q_net(tensor).cpu().numpy()

    def act(self, obs: Any, explore: bool = True, action_mask: np.ndarray | None = None) -> int:
        if action_mask is None:
            action, _ = self.model.predict(obs, deterministic=True)
            return int(np.asarray(action).reshape(-1)[0])
        q = self._q(obs).reshape(-1)
        return int(np.argmax(np.where(np.asarray(action_mask) > 0, q, -np.inf)))

    def observe(self, *args: Any, **kwargs: Any) -> None:
        raise RltuiError("an SB3 model is played here, not trained (train it with SB3, or train an rltui agent)")

    def q_values(self) -> np.ndarray | None:
        if self._n_states is None or self._n_states > MAX_Q_STATES:
            return None
        return self._q(np.arange(self._n_states)).astype(np.float64)

    def state_dict(self) -> dict[str, Any]:
        raise RltuiError("an SB3 model is not saved as an rltui checkpoint; keep its .zip")

    def load_state_dict(self, state: dict[str, Any]) -> None:
        raise RltuiError("an SB3 model is loaded from its .zip (sb3:PATH.zip)")


def load_sb3(spec: str, env_name: str | None, *, trust: bool, device: str = "cpu") -> tuple[SB3Agent, dict[str, Any]]:
    """``sb3:PATH.zip`` as ``(agent, header)`` for ``env_name``, refused without ``trust`` (see the module)."""
    path = Path(spec[len(PREFIX):] if is_sb3(spec) else spec)
    if not trust:
        raise RltuiError(f"{path}: {TRUST_HELP}")
    if env_name is None:
        raise RltuiError(f"{path}: an SB3 model does not say which rltui env it plays; name it (--env ENV)")
    entry = get_entry(env_name)
    if not path.is_file():
        raise RltuiError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise RltuiError(f"{path} is not an SB3 model (.zip)")
    sb3 = require("stable_baselines3", "an SB3 model")
    try:
        model = sb3.DQN.load(os.fspath(path), device=device if device != "auto" else "cpu")
    except Exception as exc:  # noqa: BLE001 - SB3 raises many kinds for a wrong or damaged file
        raise RltuiError(f"{path}: cannot load it as an SB3 DQN model ({type(exc).__name__}: {exc})"[:300]) from None
    env = make_training_env(entry.name)
    try:
        if model.observation_space != env.observation_space or model.action_space != env.action_space:
            raise RltuiError(f"{path} was trained on observations {model.observation_space} and actions "
                             f"{model.action_space}; {entry.name} gives {env.observation_space} and "
                             f"{env.action_space} (SB3 models play vector and toy-text envs as Gymnasium builds them)")
    finally:
        env.close()
    agent = SB3Agent(model, str(path))
    header = {"env": entry.name, "algo": f"sb3-{type(model).__name__.lower()}", "steps": agent.trained_steps,
              "env_kwargs": {}, "hparams": agent.hparams}
    return agent, header


def load_agent(spec: str, expected_env: str | None = None, *, trust: bool = False,
               device: str = "cpu") -> tuple[Agent, dict[str, Any]]:
    """An rltui checkpoint, or ``sb3:PATH.zip`` (which needs ``trust`` and ``expected_env``)."""
    if is_sb3(spec):
        return load_sb3(spec, expected_env, trust=trust, device=device)
    from rltui.training.checkpoints import load_checkpoint

    return load_checkpoint(spec, expected_env=expected_env, device=device)
