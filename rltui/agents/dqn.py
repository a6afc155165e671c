"""DQN (Mnih et al. 2015) with the switches that make it work: double Q, dueling head, Huber loss.

One readable loop, driven by the Trainer through :class:`~rltui.agents.base.Agent`:

1. :meth:`DQNAgent.act` is ε-greedy on the online network (ε decays linearly, ``eps_start`` → ``eps_end``
   over ``eps_decay_steps`` env steps);
2. :meth:`DQNAgent.observe` stores the transition in the replay ring (:mod:`rltui.agents.replay`) and,
   after ``learning_starts`` steps, every ``train_freq`` steps runs ``gradient_steps`` updates;
3. :meth:`DQNAgent._update` samples a batch and regresses ``Q(s, a)`` on ``r + γ (1 − terminated) Q'(s', a*)``,
   where ``a* = argmax_a Q(s', a)`` under the online network (double DQN, van Hasselt et al. 2016) or the
   target network (plain DQN), with the Huber loss, gradient-norm clipping and Adam;
4. the target network ``Q'`` follows the online one every ``target_update_grad_steps`` updates: a hard
   copy when ``tau == 1``, a Polyak step ``θ' ← (1 − τ) θ' + τ θ`` otherwise.

With ``n_step > 1`` the target sums ``n`` discounted rewards before it bootstraps (n-step returns, a
Rainbow ingredient): a reward reaches earlier states in fewer updates. The learning rate may hold until
``lr_decay_start`` and then decay to ``lr_final`` over ``lr_decay_steps`` (linearly, or along a half
cosine): the last updates shrink, so the final network is a settled one rather than wherever the last
noisy step left it.

:meth:`DQNAgent._update` is the reference. For an MLP on a CPU the same step runs through
:mod:`rltui.agents.dqn_fast` (tested equal to it) unless ``fast_path = "off"``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import torch

from rltui.agents import dqn_fast
from rltui.agents.base import Agent, validate_hparams
from rltui.agents.device import resolve_device
from rltui.agents.networks import QNetwork, encoder_kind, parse_hidden
from rltui.agents.q_learning import epsilon_greedy_batch, greedy_action, random_action, td_loss, td_target
from rltui.agents.replay import ReplayBuffer, SequenceReplay, check_replay_memory
from rltui.agents.torch_utils import SCHEDULES, configure_threads, linear, load_module, update_target
from rltui.errors import RltuiError

#: Discrete state spaces up to this size get a full Q table from :meth:`DQNAgent.q_values`.
MAX_Q_TABLE_STATES = 65_536
FAST_PATHS = ("auto", "off")


@dataclass
class DeepConfig:
    """Hyperparameters DQN and DRQN share; step counts are env steps unless they say otherwise.

    These defaults are the only ones: preset files hold what differs per env (rltui/presets/).
    """

    #: Old names still read (checkpoints, presets and --set written before a rename) -> current name.
    RENAMED: ClassVar[dict[str, str]] = {"target_update_interval": "target_update_grad_steps"}

    lr: float = 1e-3
    lr_final: float | None = None  # None keeps lr constant; else a decay to lr_final...
    lr_decay_start: int = 0  # ...from this step...
    lr_decay_steps: int = 0  # ...over this many steps...
    lr_schedule: str = "linear"  # ...along a straight line or a half cosine
    gamma: float = 0.99
    buffer_size: int = 50_000
    batch_size: int = 64
    learning_starts: int = 1_000
    train_freq: int = 4  # env steps between training phases
    gradient_steps: int = 1  # updates per training phase
    target_update_grad_steps: int = 250  # gradient steps between target updates (SB3's target_update_interval
    # counts env steps instead; RENAMED still reads that name as this one)
    tau: float = 1.0  # 1: hard copy; < 1: Polyak averaging
    double: bool = True
    dueling: bool = True
    huber: bool = True
    max_grad_norm: float = 10.0  # 0 turns clipping off
    eps_start: float = 1.0
    eps_end: float = 0.05
    eps_decay_steps: int = 10_000
    hidden: str = "128,128"  # MLP layer sizes after the encoder
    adam_eps: float = 1e-8
    threads: int = 0  # torch CPU threads; 0 picks (see rltui.agents.torch_utils)
    demo_margin: float = 0.8  # DQfD's large margin when pre-training on a person's demos (0: TD only)
    n_step: int = 1  # bootstrap after n rewards (n-step returns) instead of one
    fast_path: str = "auto"  # auto: rltui.agents.dqn_fast where it applies; off: the reference update only

    def check(self) -> str | None:
        if self.fast_path not in FAST_PATHS:
            return f"fast_path must be one of {', '.join(FAST_PATHS)}, not {self.fast_path!r}"
        if self.n_step < 1:
            return f"n_step must be >= 1, not {self.n_step}"
        if self.lr <= 0 or (self.lr_final is not None and self.lr_final < 0):
            return "lr must be > 0 and lr_final >= 0"
        if not 0 <= self.gamma <= 1:
            return f"gamma must be in [0, 1], not {self.gamma}"
        if min(self.batch_size, self.train_freq, self.gradient_steps, self.target_update_grad_steps) < 1:
            return "batch_size, train_freq, gradient_steps and target_update_grad_steps must be >= 1"
        if self.buffer_size < 2 * self.batch_size:
            return f"buffer_size ({self.buffer_size}) must hold at least two batches"
        if not 0 < self.tau <= 1:
            return f"tau must be in (0, 1], not {self.tau}"
        if not (0 <= self.eps_end <= 1 and 0 <= self.eps_start <= 1):
            return "eps_start and eps_end must be in [0, 1]"
        if min(self.learning_starts, self.lr_decay_start, self.lr_decay_steps, self.eps_decay_steps,
               self.threads) < 0:
            return "step counts and threads must be >= 0"
        if self.max_grad_norm < 0:
            return "max_grad_norm must be >= 0"
        if self.lr_schedule not in SCHEDULES:
            return f"lr_schedule must be one of {', '.join(SCHEDULES)}, not {self.lr_schedule!r}"
        parse_hidden(self.hidden)
        return None


@dataclass
class DQNConfig(DeepConfig):
    """DQN hyperparameters (see :class:`DeepConfig`)."""

    frame_dedup: bool = True  # store each frame of a frame stack once (pixel envs)


def _as_tensor(x: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x)).to(device, non_blocking=True)


class DQNAgent(Agent):
    """Deep Q-learning over any observation space :mod:`rltui.agents.networks` can encode."""

    algo = "dqn"
    neural = True
    recurrent = False
    config_class: ClassVar[type[DeepConfig]] = DQNConfig

    def __init__(self, observation_space: gym.Space, action_space: gym.Space, hparams: dict[str, Any], *,
                 device: str = "auto", seed: int = 0) -> None:
        if not isinstance(action_space, gym.spaces.Discrete):
            raise RltuiError(f"dqn needs a Discrete action space, not {action_space}")
        self.cfg = validate_hparams(self.config_class, dict(hparams), where=self.algo)
        self.hparams = asdict(self.cfg)
        self.observation_space, self.action_space = observation_space, action_space
        self.n_actions = int(action_space.n)
        self.device = torch.device(resolve_device(device))
        kind = encoder_kind(observation_space)
        self.threads = configure_threads(str(self.device), kind, self.cfg.threads)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        torch.manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.q = self._network().to(self.device)
        self.target = self._network().to(self.device)
        self.target.load_state_dict(self.q.state_dict())
        self.target.requires_grad_(False)
        self._params = list(self.q.parameters())
        # Fused Adam: one kernel for all tensors; on a small net it halves the optimizer's CPU time.
        fused = self.device.type in ("cpu", "cuda")
        self.optimizer = torch.optim.Adam(self._params, lr=self.cfg.lr, eps=self.cfg.adam_eps, fused=fused)
        # An MLP on a CPU: the same update and acting with less overhead (rltui.agents.dqn_fast).
        self.fast = (dqn_fast.MLPFastPath(self.q, self.target, self.optimizer)
                     if self.cfg.fast_path == "auto" and dqn_fast.applies(self.q, self.device) else None)
        self.buffer: ReplayBuffer | SequenceReplay | None = None
        self._check_replay_fits()  # the replay is allocated at the first step: say now if it cannot be
        self.demos: ReplayBuffer | None = None  # a person's transitions, for the large-margin loss
        self.steps = 0  # env steps observed
        self.updates = 0  # gradient steps taken
        self._since_train = 0
        self._stored = 0  # transitions observed into this agent's replay
        self._pinned_eps: float | None = None
        self._loss: torch.Tensor | None = None
        self._q_mean: torch.Tensor | None = None
        self._td: tuple[torch.Tensor, torch.Tensor] | None = None  # (q_sa, target): loss computed when read

    # ---- overridden by DRQN ----------------------------------------------------------------------
    def _network(self) -> torch.nn.Module:
        hidden = parse_hidden(self.cfg.hidden)
        return QNetwork(self.observation_space, self.n_actions, hidden, self.cfg.dueling)

    def _new_buffer(self, shape: tuple[int, ...], dtype: np.dtype, n_envs: int) -> ReplayBuffer | SequenceReplay:
        space = self.observation_space
        stack = 1
        if self.cfg.frame_dedup and encoder_kind(space) == "nature_cnn" and len(shape) == 3 and dtype == np.uint8:
            stack = shape[0]  # (k, H, W) frame stacks from the pixel pipelines
        return ReplayBuffer(self.cfg.buffer_size, shape, dtype, n_envs, stack=stack)

    # ---- the buffer ------------------------------------------------------------------------------
    def _check_replay_fits(self) -> None:
        space = self.observation_space
        if isinstance(space, gym.spaces.Discrete) or getattr(space, "shape", None) is None:
            return
        shape, dtype = tuple(space.shape), np.dtype(space.dtype)
        stack = (shape[0] if getattr(self.cfg, "frame_dedup", False) and encoder_kind(space) == "nature_cnn"
                 and len(shape) == 3 and dtype == np.uint8 else 1)
        check_replay_memory(self.cfg.buffer_size, shape, dtype, stack)

    def _buffer(self, n_envs: int) -> ReplayBuffer | SequenceReplay:
        """Allocated on the first transition, when the number of envs is known."""
        if self.buffer is None:
            space = self.observation_space
            shape = () if isinstance(space, gym.spaces.Discrete) else tuple(space.shape)
            dtype = np.dtype(np.int64) if isinstance(space, gym.spaces.Discrete) else np.dtype(space.dtype)
            self.buffer = self._new_buffer(shape, dtype, n_envs)
        elif self.buffer.n_envs != n_envs:
            raise RltuiError(f"dqn: replay was set up for {self.buffer.n_envs} env(s), got {n_envs}")
        return self.buffer

    # ---- acting ----------------------------------------------------------------------------------
    @property
    def epsilon(self) -> float:
        if self._pinned_eps is not None:
            return self._pinned_eps
        c = self.cfg
        return linear(c.eps_start, c.eps_end, c.eps_decay_steps, self.steps)

    def set_epsilon(self, value: float | None) -> None:
        if value is not None and not 0 <= value <= 1:
            raise RltuiError(f"epsilon must be in [0, 1], not {value}")
        self._pinned_eps = value

    def q_batch(self, observations: np.ndarray) -> np.ndarray:
        """Q-values (N × actions) of N observations in one forward pass, with no exploration, learning or
        gradient: how acting reads the network, and what a view asks of many states at once (the Train
        screen's value map of every cell) without reaching into how the agent acts."""
        if self.fast is not None:
            return self.fast.numpy_q(observations)
        with torch.inference_mode():
            return self.q(_as_tensor(observations, self.device)).cpu().numpy()

    def act(self, obs: Any, explore: bool = True, action_mask: np.ndarray | None = None) -> int:
        if explore:  # no forward pass for a random action
            action = random_action(self.rng, self.epsilon, self.n_actions, action_mask)
            if action is not None:
                return action
        return greedy_action(self.q_batch(np.asarray(obs)[None])[0], action_mask)

    def act_batch(self, obs: np.ndarray, explore: bool = True) -> np.ndarray:
        actions = self.q_batch(np.asarray(obs)).argmax(axis=1)
        if explore:
            return epsilon_greedy_batch(self.rng, self.epsilon, self.n_actions, actions)
        return actions.astype(np.int64)

    # ---- learning --------------------------------------------------------------------------------
    def observe(self, obs, action, reward, next_obs, terminated, truncated, next_action_mask=None) -> None:
        self._buffer(1).add(obs, action, reward, next_obs, terminated, truncated)
        self._advance(1)

    def observe_batch(self, obs, actions, rewards, next_obs, terminated, truncated) -> None:
        self._buffer(len(actions)).add_batch(obs, actions, rewards, next_obs, terminated, truncated)
        self._advance(len(actions))

    def _advance(self, n: int) -> None:
        """Count ``n`` env steps and run the training phases that are due.

        Learning waits for ``learning_starts`` transitions *in this agent's replay*, not just in its
        step count: an agent loaded from a checkpoint to train on starts with an empty replay (it is
        not saved) and refills it first instead of fitting a handful of transitions over and over.
        """
        self.steps += n
        self._stored += n
        if self._stored < max(self.cfg.learning_starts, self.cfg.batch_size):
            return
        self._since_train += n
        while self._since_train >= self.cfg.train_freq:
            self._since_train -= self.cfg.train_freq
            self._set_lr()
            for _ in range(self.cfg.gradient_steps):
                self._update()

    @property
    def lr(self) -> float:
        c = self.cfg
        if c.lr_final is None or self.steps < c.lr_decay_start:
            return c.lr
        return SCHEDULES[c.lr_schedule](c.lr, c.lr_final, c.lr_decay_steps, self.steps - c.lr_decay_start)

    def _set_lr(self) -> None:
        lr = self.lr
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def _update(self) -> None:
        """One gradient step on a replay batch. This is the reference: an MLP on a CPU takes the same
        step through the fast path (:mod:`rltui.agents.dqn_fast`), except while learning from demos."""
        c, dev = self.cfg, self.device
        b = self.buffer.sample(c.batch_size, self.rng, c.n_step, c.gamma)
        if self.fast is not None and self.demos is None:
            self._td = self.fast.update(b, c.gamma, c.double, c.huber, c.max_grad_norm)
            self._loss = self._q_mean = None
            self._after_step()
            return
        obs, next_obs = _as_tensor(b.obs, dev), _as_tensor(b.next_obs, dev)
        actions = _as_tensor(b.actions, dev).unsqueeze(1)
        rewards, term = _as_tensor(b.rewards, dev), _as_tensor(b.terminated, dev)
        discount = c.gamma if b.discounts is None else _as_tensor(b.discounts, dev)  # γ^m for m-step returns
        q_sa = self.q(obs).gather(1, actions).squeeze(1)  # Q(s, a) for the actions taken
        with torch.no_grad():
            next_online = self.q(next_obs) if c.double else None  # double DQN: the online net picks a*
            target = td_target(rewards, term, discount, self.target(next_obs), next_online)
        loss = td_loss(q_sa, target, c.huber)
        if self.demos is not None and c.demo_margin > 0:
            loss = loss + self._demo_margin_loss()
        self._optimize(loss, q_sa.detach().mean())

    def _demo_margin_loss(self) -> torch.Tensor:
        """DQfD's supervised term on a few kept demo transitions: the person's action must beat every
        other by ``demo_margin``. Added to every update once demos are given, so that training on the
        agent's own (exploring) play does not unlearn them."""
        b = self.demos.sample(max(8, self.cfg.batch_size // 4), self.rng)
        q = self.q(_as_tensor(b.obs, self.device))
        a = _as_tensor(b.actions, self.device).unsqueeze(1)
        margins = torch.full_like(q, self.cfg.demo_margin).scatter_(1, a, 0.0)
        return ((q + margins).max(1).values - q.gather(1, a).squeeze(1)).mean()

    def learn_from_demos(self, episodes, passes: int = 1) -> None:
        """Keep a person's transitions in replay, then pre-train on them (``passes`` looks at each).

        As in DQfD, the demos are also kept apart and every update (pre-training and training) adds a
        large-margin loss on a few of them (DQN only; DRQN learns them by TD): TD alone says nothing
        about actions the person never took, and without the margin the agent's own exploring play
        soon unlearns the demos. Env steps (so ε and the lr schedule) are not advanced.
        """
        transitions = [tr for episode in episodes for tr in episode]
        if not transitions:
            return
        buffer = self._buffer(1)
        if not self.recurrent:
            self.demos = ReplayBuffer(len(transitions) + 2 * len(episodes) + 2, buffer.obs_shape,
                                      buffer.obs.dtype, 1)
        for tr in transitions:
            for target in (buffer, self.demos) if self.demos is not None else (buffer,):
                target.add(tr.obs, tr.action, tr.reward, tr.next_obs, tr.terminated, tr.truncated)
        self._set_lr()
        for _ in range(passes * max(1, len(transitions) // self.cfg.batch_size)):
            self._update()

    def _optimize(self, loss: torch.Tensor, q_mean: torch.Tensor) -> None:
        """One Adam step on ``loss`` with the gradient norm clipped, then the target network's update."""
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.cfg.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_(self._params, self.cfg.max_grad_norm)
        self.optimizer.step()
        self._loss, self._q_mean, self._td = loss.detach(), q_mean, None
        self._after_step()

    def _after_step(self) -> None:
        """Count the update; copy (or Polyak-average) into the target network when it is due."""
        self.updates += 1
        if self.updates % self.cfg.target_update_grad_steps == 0:
            update_target(self.target, self.q, self.cfg.tau)

    # ---- what the faces read ---------------------------------------------------------------------
    def metrics(self) -> dict[str, float]:
        out = {"epsilon": float(self.epsilon), "lr": float(self.lr), "updates": float(self.updates),
               "buffer": float(len(self.buffer) if self.buffer is not None else 0)}
        if self._td is not None:
            q_sa, target = self._td
            out["loss"] = float(td_loss(q_sa, target, self.cfg.huber))
            out["q_mean"] = float(q_sa.mean())
        elif self._loss is not None:
            out["loss"] = float(self._loss)
            out["q_mean"] = float(self._q_mean)
        return out

    @torch.inference_mode()
    def q_values(self) -> np.ndarray | None:
        space = self.observation_space
        if not isinstance(space, gym.spaces.Discrete) or space.n > MAX_Q_TABLE_STATES:
            return None
        states = torch.arange(space.start, space.start + space.n, device=self.device)
        return self.q(states).cpu().numpy().copy()

    # ---- checkpoints -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Tensors and plain numbers only, so ``torch.load(weights_only=True)`` reads it back."""
        return {
            "q": {k: v.detach().cpu() for k, v in self.q.state_dict().items()},
            "target": {k: v.detach().cpu() for k, v in self.target.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "steps": int(self.steps),
            "updates": int(self.updates),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not isinstance(state, dict) or "q" not in state:
            raise RltuiError("not a dqn checkpoint: no 'q' network in its state")
        load_module(self.q, state["q"], "q network")
        load_module(self.target, state.get("target", state["q"]), "target network")
        if "optimizer" in state:
            try:
                self.optimizer.load_state_dict(state["optimizer"])
            except (ValueError, KeyError) as exc:
                raise RltuiError(f"checkpoint's optimizer state does not fit: {exc}") from exc
        self.steps = int(state.get("steps", 0))
        self.updates = int(state.get("updates", 0))


#: The hyperparameter schema the presets loader checks values against (rltui.training.presets).
HPARAMS = {"dqn": DQNConfig}


def make_dqn(observation_space: gym.Space, action_space: gym.Space, hparams: dict[str, Any], *,
             device: str = "auto", seed: int = 0) -> DQNAgent:
    """The registry's factory (:data:`rltui.agents.ALGORITHMS`)."""
    return DQNAgent(observation_space, action_space, hparams, device=device, seed=seed)
