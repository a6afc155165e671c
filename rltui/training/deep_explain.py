"""The explain mode for deep agents: what a DQN's update looks at, and what a DRQN's memory carries.

:class:`DeepExplainer` builds the env and agent ``rltui train`` builds (same presets, same seed, the
same ``act``/``observe`` calls per step) and trains them a few steps at a time; :meth:`view` opens the
agent up between steps:

* DQN: a few transitions of the replay batch its last update used, each with the online network's
  Q(s,a), the target computed as the agent computes it (double Q, n-step discount) and the TD error;
  the target network's lag (updates since the last copy) with online against target Q on the current
  state; ε on its schedule.
* DRQN: Q on the current observation as the LSTM's memory has it, against the same observation seen
  with a fresh (zero) memory: the difference is what the memory carries, e.g. a goal seen and left.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rltui.errors import RltuiError

DEEP_ALGOS = ("dqn", "drqn")


@dataclass(frozen=True)
class BatchRow:
    """One sampled transition, valued with the networks as they are now."""

    obs: str
    action: int
    reward: float  # the (n-step) discounted reward sum the target adds
    discount: float  # what multiplies the bootstrap: γ^m, 0 at a terminal
    q_sa: float
    target: float

    @property
    def td_error(self) -> float:
        return self.target - self.q_sa


@dataclass
class DeepView:
    """What the screen shows between steps (see the module docstring)."""

    algo: str
    steps: int
    episode: int
    episode_return: float
    epsilon: float
    eps_schedule: str
    updates: int
    target_every: int
    since_copy: int
    online_q: list[float] = field(default_factory=list)
    target_q: list[float] = field(default_factory=list)
    batch: list[BatchRow] = field(default_factory=list)
    loss: float | None = None
    memory_q: list[float] = field(default_factory=list)  # DRQN: Q with its memory
    fresh_q: list[float] = field(default_factory=list)  # DRQN: Q of the same observation, memory wiped
    memory_trace: list[tuple[float, float]] = field(default_factory=list)  # this episode: (max with, without)


def _short(obs: Any) -> str:
    arr = np.asarray(obs)
    if arr.ndim == 1 and arr.size <= 8 and arr.dtype.kind == "f":
        return "[" + " ".join(f"{x:+.2f}" for x in arr) + "]"
    if arr.ndim == 0:
        return str(arr.item())
    return f"{arr.dtype}{list(arr.shape)}"


class DeepExplainer:
    """Train a DQN or DRQN on ``env_name`` a few steps at a time and look inside between steps."""

    def __init__(self, env_name: str, algo: str = "dqn", *, seed: int = 0, preset: str | None = None) -> None:
        from rltui.agents import make_agent
        from rltui.envs import get_entry, make_training_env
        from rltui.training.config import TrainConfig, env_options, resolve_hparams

        if algo not in DEEP_ALGOS:
            raise RltuiError(f"the deep explain mode shows dqn and drqn, not {algo}")
        self.entry = get_entry(env_name)
        if algo not in self.entry.algos:
            raise RltuiError(f"{algo} does not suit {self.entry.name} (its agents: {', '.join(self.entry.algos)})")
        self.algo = algo
        config = TrainConfig(self.entry.name, algo, steps=1, seed=seed, preset=preset, device="cpu")
        config.check()
        self.hparams = resolve_hparams(config)
        self.env = make_training_env(self.entry.name, **env_options(algo))
        try:
            self.agent = make_agent(algo, self.env.observation_space, self.env.action_space, self.hparams,
                                    device="cpu", seed=seed)
            self.agent.prepare(self.env)
        except BaseException:
            self.env.close()
            raise
        self.obs, _ = self.env.reset(seed=seed)  # as the Trainer: seeded once, then unseeded resets
        self.agent.reset_episode(0)
        self.steps, self.episode, self.episode_return = 0, 1, 0.0
        self.returns: list[float] = []
        self.memory_trace: list[tuple[float, float]] = []
        self._fresh_q: np.ndarray | None = None
        self.last_batch: Any = None  # a copy of the last update's replay batch (DQN)

    def close(self) -> None:
        self.env.close()

    def step(self, n: int = 1) -> None:
        """``n`` env steps, each ``act`` then ``observe`` (the updates happen inside, on their schedule)."""
        agent, env = self.agent, self.env
        for _ in range(n):
            obs = self.obs
            action = agent.act(obs)
            if self.algo == "drqn":
                self._fresh_q = self._q_without_memory(obs)
                self.memory_trace.append((float(np.max(agent.last_q)), float(np.max(self._fresh_q))))
            next_obs, reward, terminated, truncated, _ = env.step(action)
            agent.observe(obs, action, reward, next_obs, terminated, truncated)
            self._watch_batches()
            self.steps += 1
            self.episode_return += float(reward)
            if terminated or truncated:
                self.returns.append(self.episode_return)
                self.obs, _ = env.reset()
                agent.reset_episode(0)
                self.episode += 1
                self.episode_return = 0.0
                self.memory_trace = []
            else:
                self.obs = next_obs

    def _watch_batches(self) -> None:
        """Keep a copy of each batch the agent samples: its CPU fast path reuses the batch's arrays for
        the target, so a reference would show the update's scratch values, not the transitions."""
        buffer = getattr(self.agent, "buffer", None)
        if self.algo != "dqn" or buffer is None or getattr(buffer, "_explained", False):
            return
        sample = buffer.sample

        def copying(*args: Any, **kwargs: Any) -> Any:
            batch = sample(*args, **kwargs)
            self.last_batch = copy.deepcopy(batch)
            return batch

        buffer.sample = copying
        buffer._explained = True

    def _q_without_memory(self, obs: Any) -> np.ndarray:
        import torch

        agent = self.agent
        with torch.inference_mode():
            x = torch.as_tensor(np.asarray(obs)[None, None], dtype=torch.float32, device=agent.device)
            state = agent.q.initial_state(1, agent.device)
            prev = torch.full((1, 1), -1, dtype=torch.int64, device=agent.device) if agent.cfg.prev_action else None
            q, _ = agent.q(x, state, prev)
        return q[0, 0].cpu().numpy()

    def view(self, rows: int = 4) -> DeepView:
        """The agent opened up, now."""
        import torch

        from rltui.agents.q_learning import td_target

        agent, c = self.agent, self.agent.cfg
        out = DeepView(self.algo, self.steps, self.episode, self.episode_return, float(agent.epsilon),
                       f"{c.eps_start:g} → {c.eps_end:g} over {c.eps_decay_steps:,} steps", int(agent.updates),
                       int(c.target_update_grad_steps), int(agent.updates % c.target_update_grad_steps))
        loss = agent.metrics().get("loss")
        out.loss = None if loss is None else float(loss)
        if self.algo == "drqn":
            if agent.last_q is not None and self._fresh_q is not None:
                out.memory_q = [float(v) for v in agent.last_q]
                out.fresh_q = [float(v) for v in self._fresh_q]
            out.memory_trace = list(self.memory_trace)
            return out
        with torch.inference_mode():
            x = torch.as_tensor(np.asarray(self.obs)[None], device=agent.device)
            out.online_q = [float(v) for v in agent.q(x)[0]]
            out.target_q = [float(v) for v in agent.target(x)[0]]
            b = self.last_batch
            if b is not None:
                k = min(rows, len(b.actions))
                obs, next_obs = (torch.as_tensor(np.asarray(a[:k]), device=agent.device) for a in (b.obs, b.next_obs))
                actions = torch.as_tensor(np.asarray(b.actions[:k]), device=agent.device).long()
                rewards = torch.as_tensor(np.asarray(b.rewards[:k], dtype=np.float32), device=agent.device)
                term = torch.as_tensor(np.asarray(b.terminated[:k], dtype=np.float32), device=agent.device)
                disc = (torch.full((k,), float(c.gamma), device=agent.device) if b.discounts is None else
                        torch.as_tensor(np.asarray(b.discounts[:k], dtype=np.float32), device=agent.device))
                q_sa = agent.q(obs).gather(1, actions.unsqueeze(1)).squeeze(1)
                target = td_target(rewards, term, disc, agent.target(next_obs), agent.q(next_obs) if c.double else None)
                for i in range(k):
                    out.batch.append(BatchRow(_short(b.obs[i]), int(actions[i]), float(rewards[i]),
                                              float(disc[i] * (1 - term[i])), float(q_sa[i]), float(target[i])))
        return out
