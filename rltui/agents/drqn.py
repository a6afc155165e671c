"""DRQN (Hausknecht & Stone 2015): DQN with an LSTM, for envs where one observation is not enough.

The network is DQN's encoder and trunk followed by an LSTM (:class:`~rltui.agents.networks.RecurrentQNetwork`).
It sees one observation per step, no frame stack, and remembers the rest:

* **Acting** carries the LSTM state from step to step, one state per (vector) env, and clears it at
  episode start (:meth:`DRQNAgent.reset_episode`). The network runs on every step, even when ε picks a
  random action, so that the memory stays current.
* **Learning** samples ``burn_in + seq_len`` consecutive steps from the replay
  (:class:`~rltui.agents.replay.SequenceReplay`), starting at random points of stored episodes with a
  zero LSTM state. The first ``burn_in`` steps only warm that state (no gradient, no loss: R2D2's
  burn-in, Kapturowski et al. 2019); the loss covers the next ``seq_len`` steps, masked where the
  episode ended. Targets are double-Q with a target network, as in DQN, computed along the same
  sequence so the target LSTM sees the same history; with ``n_step > 1`` each step's target sums up to
  ``n`` rewards along the sequence before it bootstraps (R2D2's n-step returns), cut at episode ends.
* **The previous action** (``prev_action``) goes into the LSTM beside each observation, as in R2D2.
  Where an observation leaves out what the last action did (MaskedCartPole: positions only, so the
  newest velocity change is the push the agent just gave), the memory cannot infer it otherwise: the
  actions in replay were partly random, so the network cannot recompute them from what it saw.
* **Stored state** (``stored_state``, R2D2): the replay also keeps the LSTM state each step was acted
  from, and a sampled sequence starts from it instead of from zeros (the burn-in then refreshes it for
  the current weights). A zero state only ever trains the network on the first few dozen steps of
  memory, while acting carries the memory over whole episodes of hundreds of steps: the states met
  late in a long episode are ones training never saw.

Everything else (ε and learning-rate schedules, train frequency, target updates, checkpoints) is DQN's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from rltui.agents.dqn import DeepConfig, DQNAgent, _as_tensor
from rltui.agents.networks import RecurrentQNetwork, parse_hidden
from rltui.agents.q_learning import epsilon_greedy_batch, greedy_action, random_action, td_loss, td_target
from rltui.agents.replay import SequenceReplay


@dataclass
class DRQNConfig(DeepConfig):
    """DRQN hyperparameters: DQN's (see :class:`~rltui.agents.dqn.DeepConfig`) plus the sequence ones."""

    batch_size: int = 32  # sequences per update
    hidden: str = "64"  # layers between the encoder and the LSTM
    lstm_size: int = 64
    seq_len: int = 16  # steps in the loss per sequence
    burn_in: int = 8  # steps before them that only warm the LSTM state
    prev_action: bool = False  # the LSTM also reads the previous action (R2D2)
    stored_state: bool = False  # sequences start from the LSTM state stored when acting (R2D2), not zeros
    buffer_size: int = 100_000
    learning_starts: int = 2_000
    train_freq: int = 4
    target_update_grad_steps: int = 128
    eps_end: float = 0.04

    def check(self) -> str | None:
        if self.lstm_size < 1 or self.seq_len < 1 or self.burn_in < 0:
            return "lstm_size and seq_len must be >= 1, burn_in >= 0"
        if self.buffer_size < 4 * (self.seq_len + self.burn_in):
            return f"buffer_size ({self.buffer_size}) is too small for sequences of {self.seq_len + self.burn_in}"
        return super().check()


class DRQNAgent(DQNAgent):
    """Recurrent deep Q-learning; see the module docstring."""

    algo = "drqn"
    recurrent = True
    config_class = DRQNConfig

    def __init__(self, observation_space: gym.Space, action_space: gym.Space, hparams: dict[str, Any], *,
                 device: str = "auto", seed: int = 0) -> None:
        super().__init__(observation_space, action_space, hparams, device=device, seed=seed)
        # LSTM states (h, c), each (1, n_envs, lstm_size), for training and greedy acting; see below.
        self._states: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.last_q: np.ndarray | None = None  # Q of the last act(), memory included (the explain mode)
        self._fresh: dict[str, set[int]] = {"train": set(), "greedy": set()}  # env indices to zero
        self._prev: dict[str, np.ndarray] = {}  # the previous action per env (-1: none), with prev_action
        self._acted_from: np.ndarray | None = None  # (n_envs, 2, lstm_size) before the last training act

    def _network(self) -> RecurrentQNetwork:
        c = self.cfg
        return RecurrentQNetwork(self.observation_space, self.n_actions, parse_hidden(c.hidden), c.lstm_size,
                                 c.dueling, self.n_actions if c.prev_action else 0)

    def _new_buffer(self, shape: tuple[int, ...], dtype: np.dtype, n_envs: int) -> SequenceReplay:
        return SequenceReplay(self.cfg.buffer_size, shape, dtype, n_envs, length=self.cfg.burn_in + self.cfg.seq_len,
                              state_size=self.cfg.lstm_size if self.cfg.stored_state else 0)

    # ---- acting: the LSTM state per env ----------------------------------------------------------
    # Training acts (explore=True) carry one state per env, zeroed after the agent has *observed* that
    # env's episode end. Greedy acting (explore=False: evaluation, watching) has a state of its own,
    # zeroed by reset_episode. So an evaluation in the middle of a training episode (the Trainer's
    # eval_every) neither feeds its observations into the training memory nor wipes it.
    def reset_episode(self, index: int = 0) -> None:
        self._fresh["greedy"].add(index)

    def observe(self, obs, action, reward, next_obs, terminated, truncated, next_action_mask=None) -> None:
        self._stage_state(1)
        super().observe(obs, action, reward, next_obs, terminated, truncated)
        self._took("train", np.array([action]))
        if terminated or truncated:
            self._fresh["train"].add(0)

    def observe_batch(self, obs, actions, rewards, next_obs, terminated, truncated) -> None:
        self._stage_state(len(actions))
        super().observe_batch(obs, actions, rewards, next_obs, terminated, truncated)
        self._took("train", np.asarray(actions))
        self._fresh["train"].update(np.flatnonzero(np.logical_or(terminated, truncated)).tolist())

    def _stage_state(self, n_envs: int) -> None:
        """Hand the replay the state the step being observed was acted from (stored_state)."""
        if self.cfg.stored_state:
            self._buffer(n_envs).stage_states(self._acted_from)
            self._acted_from = None

    def _took(self, key: str, actions: np.ndarray) -> None:
        """Remember the actions taken, which the next step's network reads (``prev_action``); observe()
        overwrites what act() chose with what was really done."""
        if self.cfg.prev_action:
            self._prev[key] = actions.astype(np.int64)

    def _step_q(self, obs: np.ndarray, explore: bool) -> np.ndarray:
        """Q for one step of ``len(obs)`` envs, advancing their LSTM states."""
        n = len(obs)
        key = "train" if explore else "greedy"
        state = self._states.get(key)
        if state is None or state[0].shape[1] != n:
            state = self.q.initial_state(n, self.device)
        prev = self._prev.get(key)
        if prev is None or len(prev) != n:
            prev = np.full(n, -1, dtype=np.int64)
        fresh = self._fresh[key]
        if fresh:
            for i in fresh:
                if i < n:
                    state[0][:, i] = 0
                    state[1][:, i] = 0
                    prev[i] = -1
            fresh.clear()
        if explore and self.cfg.stored_state:
            self._acted_from = torch.stack([state[0][0], state[1][0]], dim=1).cpu().numpy()
        prev_action = _as_tensor(prev, self.device).unsqueeze(1) if self.cfg.prev_action else None
        with torch.inference_mode():
            q, (h, c) = self.q(_as_tensor(obs, self.device).unsqueeze(1), state, prev_action)
        self._states[key] = (h.clone(), c.clone())  # inference tensors → plain ones that reset can edit
        return q[:, 0].cpu().numpy()

    def act(self, obs: Any, explore: bool = True, action_mask: np.ndarray | None = None) -> int:
        q = self._step_q(np.asarray(obs)[None], explore)[0]  # always: the memory must see every step
        self.last_q = q  # what the explain mode shows: Q as the memory has it now
        action = random_action(self.rng, self.epsilon, self.n_actions, action_mask) if explore else None
        if action is None:
            action = greedy_action(q, action_mask)
        self._took("train" if explore else "greedy", np.array([action]))
        return action

    def act_batch(self, obs: np.ndarray, explore: bool = True) -> np.ndarray:
        actions = self._step_q(np.asarray(obs), explore).argmax(axis=1)
        if explore:
            actions = epsilon_greedy_batch(self.rng, self.epsilon, self.n_actions, actions)
        self._took("train" if explore else "greedy", actions)
        return actions.astype(np.int64)

    # ---- learning on sequences -------------------------------------------------------------------
    def _update(self) -> None:
        c, dev = self.cfg, self.device
        b = self.buffer.sample(c.batch_size, self.rng, c.n_step, c.gamma)
        obs = _as_tensor(b.obs, dev)  # (B, L + n_step, ...)
        k, n = c.burn_in, c.seq_len
        actions = _as_tensor(b.actions[:, k:], dev).unsqueeze(2)
        rewards, term = _as_tensor(b.rewards[:, k:], dev), _as_tensor(b.terminated[:, k:], dev)
        mask = _as_tensor(b.mask[:, k:], dev)
        prev = _as_tensor(b.prev_actions, dev) if c.prev_action else None
        state = None  # the sequence starts from a zero LSTM state, or from the one stored when acting
        if b.states is not None:
            stored = _as_tensor(b.states, dev)
            state = (stored[:, 0].unsqueeze(0).contiguous(), stored[:, 1].unsqueeze(0).contiguous())
        with torch.no_grad():
            q_target, _ = self.target(obs, state, prev)  # the whole sequence
            if k > 0:  # burn-in: warm the online LSTM without gradients
                _, state = self.q(obs[:, :k], state, None if prev is None else prev[:, :k])
        q_online, _ = self.q(obs[:, k:], state, None if prev is None else prev[:, k:])  # (B, seq_len + n_step, A)
        q_sa = q_online[:, :n].gather(2, actions).squeeze(2)
        with torch.no_grad():
            if b.boot is None:  # one-step targets bootstrap from the next step
                next_target, next_online, discount = q_target[:, k + 1 : k + n + 1], q_online[:, 1 : n + 1], c.gamma
            else:  # n-step: from the observation after each return's last step
                boot = _as_tensor(b.boot[:, k:], dev).unsqueeze(2).expand(-1, -1, q_target.shape[2])
                next_target, next_online = q_target.gather(1, boot), q_online.gather(1, boot - k)
                discount = _as_tensor(b.discounts[:, k:], dev)
            target = td_target(rewards, term, discount, next_target, next_online.detach() if c.double else None)
        per_step = td_loss(q_sa, target, c.huber, reduction="none")
        real = mask.sum().clamp(min=1.0)
        self._optimize((per_step * mask).sum() / real, (q_sa.detach() * mask).sum() / real)

    def q_values(self) -> np.ndarray | None:
        """None: a recurrent agent's Q depends on its memory, not on the state alone."""
        return None

    def q_batch(self, observations: np.ndarray) -> np.ndarray:
        """Q of each observation as the first step of an episode (an empty memory), leaving the memory
        of training and greedy acting as it is: Q depends on the memory, so this is only what the agent
        thinks of a state seen first."""
        n = len(observations)
        prev = _as_tensor(np.full((n, 1), -1, dtype=np.int64), self.device) if self.cfg.prev_action else None
        with torch.inference_mode():
            q, _ = self.q(_as_tensor(np.asarray(observations), self.device).unsqueeze(1),
                          self.q.initial_state(n, self.device), prev)
        return q[:, 0].cpu().numpy()


#: The hyperparameter schema the presets loader checks values against (rltui.training.presets).
HPARAMS = {"drqn": DRQNConfig}


def make_drqn(observation_space: gym.Space, action_space: gym.Space, hparams: dict[str, Any], *,
              device: str = "auto", seed: int = 0) -> DRQNAgent:
    """The registry's factory (:data:`rltui.agents.ALGORITHMS`)."""
    return DRQNAgent(observation_space, action_space, hparams, device=device, seed=seed)
