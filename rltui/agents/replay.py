"""Replay memories for DQN and DRQN: preallocated numpy ring buffers that store every observation once.

Both memories keep one time-ordered stream per (vector) env, laid out as arrays of shape
``(slots_per_env, n_envs, ...)``. A transition ``t`` in env ``e`` is the observation in slot ``t``, the
action, reward and flags stored beside it, and the *next* observation, which is simply the observation
in slot ``t + 1``. So an observation is written once, not twice per transition (as ``obs``, then again as
``next_obs``). When an episode ends, its final observation gets a slot of its own that is never sampled
as a transition, and the next episode starts in the slot after it.

Frame stacks (Atari, CarRacing: ``(k, 84, 84)`` uint8) go one step further: only the newest frame of
each observation is stored, and a sampled stack is rebuilt from the ``k - 1`` slots before it, repeating
the episode's first frame where the stack reaches back past the episode start (what Gymnasium's
``FrameStackObservation`` with its default ``padding_type="reset"`` returns). 100 k Atari transitions
then take 100 k × 84 × 84 bytes ≈ 0.7 GB instead of 2 × 4 × that (benchmarks/bench_replay_memory.py).
The buffer checks that consecutive observations really overlap as a stack and says so if they do not.

:class:`ReplayBuffer` samples single transitions (DQN); :class:`SequenceReplay` samples fixed-length
sequences with a burn-in prefix, padded with zeros and masked after an episode ends (DRQN), and
optionally the LSTM state each step was acted from (R2D2's stored state).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rltui.errors import RltuiError
from rltui.validation import check_memory


@dataclass
class Batch:
    """Sampled transitions as numpy arrays (the agent moves them to its device)."""

    obs: np.ndarray
    actions: np.ndarray  # int64 (B,)
    rewards: np.ndarray  # float32 (B,): the (discounted n-step) return until next_obs
    next_obs: np.ndarray
    terminated: np.ndarray  # float32 (B,): 1 where the episode really ended (no bootstrap)
    discounts: np.ndarray | None = None  # float32 (B,): γ^m for an m-step return (None: one step)


@dataclass
class SequenceBatch:
    """Sampled sequences, time-major free: arrays are (B, L, ...) and ``obs`` is (B, L + 1, ...).

    ``obs[:, j + 1]`` is the next observation of step ``j``. ``mask[:, j]`` is 1 for real steps of the
    sampled episode and 0 for padding after it ended (or where the stored stream stops); the first
    ``burn_in`` steps only warm the LSTM and are left out of the loss by the agent. With n-step returns
    ``rewards[:, j]`` is the discounted sum of up to n rewards from step ``j``, ``obs`` runs ``n - 1``
    steps further than the ``L`` steps (the last returns look ahead into them) and ``boot[:, j]`` says
    which observation the return bootstraps from.
    """

    obs: np.ndarray
    actions: np.ndarray  # int64 (B, L)
    rewards: np.ndarray  # float32 (B, L)
    terminated: np.ndarray  # float32 (B, L): 1 where the episode really ended before the bootstrap
    mask: np.ndarray  # float32 (B, L)
    boot: np.ndarray | None = None  # int64 (B, L): index in ``obs`` to bootstrap from (None: j + 1)
    discounts: np.ndarray | None = None  # float32 (B, L): γ^m for an m-step return (None: one step)
    prev_actions: np.ndarray | None = None  # int64, like obs: the action before each observation (-1: none)
    states: np.ndarray | None = None  # float32 (B, 2, H): the stored LSTM (h, c) before the first step


def check_replay_memory(capacity: int, obs_shape: tuple[int, ...], obs_dtype: Any, stack: int = 1,
                        state_size: int = 0) -> None:
    """A one-line error before allocating a replay that would not fit in the memory available now."""
    item_shape = tuple(obs_shape)[1:] if stack > 1 else tuple(obs_shape)
    item = int(np.prod(item_shape, dtype=np.float64)) * np.dtype(obs_dtype).itemsize
    per_slot = item + 8 + 4 + 4 + 3 + 4 * state_size  # obs, action, reward, terminated, flags, (h, c) f16
    shape = "x".join(map(str, obs_shape)) or "scalar"
    check_memory(f"buffer_size={capacity:,} (a replay of {shape} {np.dtype(obs_dtype).name} observations)",
                 int(capacity) * per_slot)


class _StreamStore:
    """The shared ring: per-env streams of observations (or newest frames) with per-slot flags."""

    def __init__(self, capacity: int, obs_shape: tuple[int, ...], obs_dtype: np.dtype, n_envs: int,
                 stack: int = 1, state_size: int = 0) -> None:
        if capacity < 2 * n_envs or n_envs < 1:
            raise RltuiError(f"replay buffer of {capacity} is too small for {n_envs} env(s)")
        check_replay_memory(capacity, obs_shape, obs_dtype, stack, state_size)
        if stack < 1:
            raise RltuiError(f"frame stack must be at least 1, not {stack}")
        if stack > 1 and (len(obs_shape) < 2 or obs_shape[0] != stack):
            raise RltuiError(f"observation shape {obs_shape} is not a stack of {stack} frames")
        self.n_envs, self.stack = n_envs, stack
        self.slots = -(-capacity // n_envs)  # ceil: at least `capacity` in all
        self.obs_shape = tuple(obs_shape)
        item_shape = self.obs_shape[1:] if stack > 1 else self.obs_shape
        s, n = self.slots, n_envs
        self.obs = np.zeros((s, n, *item_shape), dtype=obs_dtype)
        self.actions = np.zeros((s, n), dtype=np.int64)
        self.rewards = np.zeros((s, n), dtype=np.float32)
        self.terminated = np.zeros((s, n), dtype=np.float32)
        self.done = np.zeros((s, n), dtype=bool)  # the episode ended with this transition
        self.valid = np.zeros((s, n), dtype=bool)  # slot holds a transition whose next obs is stored
        self.start = np.zeros((s, n), dtype=bool)  # slot holds an episode's first observation
        self.cursor = np.zeros(n, dtype=np.int64)  # slot of the newest (pending) observation per env
        self.fresh = np.ones(n, dtype=bool)  # the next transition starts an episode
        self.filled = np.zeros(n, dtype=np.int64)  # slots ever written per env (saturates at `slots`)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.obs, self.actions, self.rewards, self.terminated, self.done,
                                      self.valid, self.start))

    def __len__(self) -> int:
        return int(self.valid.sum())

    def _item(self, obs: np.ndarray) -> np.ndarray:
        return obs[..., -1, :, :] if self.stack > 1 else obs  # newest frame of a (k, H, W) stack

    def add(self, obs, action: int, reward: float, next_obs, terminated: bool, truncated: bool) -> None:
        """Store one transition of a single env (``n_envs == 1``).

        The same bookkeeping as :meth:`add_batch` with scalar indices: per step it costs a few µs
        instead of the ~60 µs of a dozen fancy-indexed writes, which adds up over 50 k CartPole steps.
        """
        if self.n_envs != 1 or self.stack > 1:
            self.add_batch(np.asarray(obs)[None], [action], [reward], np.asarray(next_obs)[None],
                           [terminated], [truncated])
            return
        if np.shape(obs) != self.obs_shape:
            raise RltuiError(f"replay: observations of shape {np.shape(obs)} for a buffer of {self.obs_shape}")
        s, cur = self.slots, int(self.cursor[0])
        done = bool(terminated) or bool(truncated)
        if self.fresh[0]:
            self.obs[cur, 0] = obs
            self.start[cur, 0] = True
        self.actions[cur, 0] = action
        self.rewards[cur, 0] = reward
        self.terminated[cur, 0] = bool(terminated)
        self.done[cur, 0] = done
        self.valid[cur, 0] = True
        nxt = (cur + 1) % s
        self.obs[nxt, 0] = next_obs
        self.valid[nxt, 0] = False
        self.start[nxt, 0] = False
        if done:
            nxt = (nxt + 1) % s
            self.valid[nxt, 0] = False
            self.start[nxt, 0] = False
        self.cursor[0] = nxt
        self.fresh[0] = done
        self.filled[0] = min(s, int(self.filled[0]) + 1 + done)

    def add_batch(self, obs, actions, rewards, next_obs, terminated, truncated) -> None:
        """Store one step of every env (``next_obs`` holds the true final observations at episode ends)."""
        obs, next_obs = np.asarray(obs), np.asarray(next_obs)
        if obs.shape != (self.n_envs, *self.obs_shape):
            raise RltuiError(f"replay: observations of shape {obs.shape[1:]} for a buffer of {self.obs_shape}")
        term = np.asarray(terminated, dtype=bool)
        done = term | np.asarray(truncated, dtype=bool)
        envs = np.arange(self.n_envs)
        s = self.slots
        if self.stack > 1:
            self._check_stack(obs, next_obs)
        fresh = self.fresh
        if fresh.any():  # a new episode: its first observation gets the cursor slot
            cur = self.cursor[fresh]
            self.obs[cur, envs[fresh]] = self._item(obs[fresh])
            self.start[cur, envs[fresh]] = True
        cur = self.cursor
        self.actions[cur, envs] = actions
        self.rewards[cur, envs] = rewards
        self.terminated[cur, envs] = term
        self.done[cur, envs] = done
        self.valid[cur, envs] = True
        # The next observation goes in the next slot, which stays invalid until its own transition
        # arrives; after an episode end that slot only ever holds the final observation.
        nxt = (cur + 1) % s
        self.obs[nxt, envs] = self._item(next_obs)
        self.valid[nxt, envs] = False
        self.start[nxt, envs] = False
        self.cursor = np.where(done, (nxt + 1) % s, nxt)
        if done.any():
            after = self.cursor[done]
            self.valid[after, envs[done]] = False
            self.start[after, envs[done]] = False
        self.fresh = done
        self.filled = np.minimum(s, self.filled + 1 + done)

    def _check_stack(self, obs: np.ndarray, next_obs: np.ndarray) -> None:
        """Rebuilding stacks is only right if observations are frame stacks; say so when they are not."""
        if not np.array_equal(next_obs[:, :-1], obs[:, 1:]):
            raise RltuiError(f"observations of shape {self.obs_shape} do not shift like a frame stack; "
                             "set frame_dedup=false")
        first = obs[self.fresh]
        if len(first) and not np.array_equal(first, np.repeat(first[:, -1:], self.stack, axis=1)):
            raise RltuiError("a frame stack's first observation must repeat the reset frame "
                             "(FrameStackObservation padding_type='reset'); set frame_dedup=false")

    def at(self, array: np.ndarray, slot: np.ndarray, env: np.ndarray) -> np.ndarray:
        """``array[slot, env]`` for one of the per-slot arrays (``slot`` and ``env`` broadcast), as one
        ``take`` on the flat index: several times faster than numpy's two-array fancy indexing, which
        adds up over a dozen look-ups per sampled batch."""
        flat = slot * self.n_envs + env
        return array.reshape(-1, *array.shape[2:]).take(flat, axis=0)

    def stacks(self, slot: np.ndarray, env: np.ndarray) -> np.ndarray:
        """Observations at ``slot`` (any shape) in ``env``: stored items, or frame stacks rebuilt."""
        if self.stack == 1:
            return self.at(self.obs, slot, env)
        k, s = self.stack, self.slots
        # Offset back from `slot` to each stack position, clamped at the episode's first slot.
        back = np.arange(k - 1, -1, -1)  # stack position 0 is the oldest frame
        first = np.full(slot.shape, k - 1, dtype=np.int64)
        for o in range(k - 2, -1, -1):  # nearest episode start within the window wins
            first = np.where(self.at(self.start, (slot - o) % s, env), o, first)
        offsets = np.minimum(back, first[..., None])
        idx = (slot[..., None] - offsets) % s
        return self.at(self.obs, idx, env[..., None])

    def _sampleable(self, slot: np.ndarray, env: np.ndarray) -> np.ndarray:
        """Valid transitions whose frame stack does not reach into slots already overwritten."""
        ok = self.at(self.valid, slot, env)
        if self.stack > 1:  # costs a few slots before the first wrap, where the check is not needed
            ok &= (slot - self.cursor[env]) % self.slots >= self.stack
        return ok

    def sample_slots(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` (slot, env) pairs drawn uniformly from the sampleable transitions."""
        limit = min(self.slots, int(self.filled.max()) + 1)
        if limit <= 1:
            raise RltuiError("replay buffer is empty")
        slot, env = np.divmod(rng.integers(0, limit * self.n_envs, size=n), self.n_envs)
        bad = ~self._sampleable(slot, env)
        for _ in range(100):  # rejection: invalid slots are a few per episode
            if not bad.any():
                return slot, env
            slot[bad], env[bad] = np.divmod(rng.integers(0, limit * self.n_envs, size=int(bad.sum())), self.n_envs)
            bad = ~self._sampleable(slot, env)
        # Pathological (almost nothing sampleable yet): draw from the full list instead.
        grid_slot, grid_env = np.meshgrid(np.arange(limit), np.arange(self.n_envs), indexing="ij")
        ok = self._sampleable(grid_slot, grid_env)
        if not ok.any():
            raise RltuiError("replay buffer holds no complete transition yet")
        ok_slot, ok_env = grid_slot[ok], grid_env[ok]
        pick = rng.integers(0, len(ok_slot), size=n)
        return ok_slot[pick], ok_env[pick]


def n_step_returns(rewards: np.ndarray, alive: np.ndarray, gamma: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n-step returns along the last axis (Sutton & Barto ch. 7): ``Σ_k γ^k r_k`` over the steps that are
    ``alive`` (a prefix: the return stops at the episode's end or the newest stored step), the number
    ``m`` of rewards summed, and ``γ^m``, the discount of the bootstrap after them."""
    powers = (gamma ** np.arange(rewards.shape[-1])).astype(np.float32)
    returns = (rewards * powers * alive).sum(axis=-1, dtype=np.float32)
    m = alive.sum(axis=-1).astype(np.int64)
    return returns, m, (gamma ** m).astype(np.float32)


class ReplayBuffer(_StreamStore):
    """Uniform replay of single transitions for DQN (see the module docstring for the layout)."""

    def sample(self, batch_size: int, rng: np.random.Generator, n_step: int = 1, gamma: float = 0.99) -> Batch:
        """``batch_size`` transitions; with ``n_step > 1``, n-step returns (Sutton & Barto ch. 7).

        An n-step sample sums ``γ^k r_{t+k}`` along its env's stream until ``n_step`` rewards, the
        episode's end or the newest stored step, whichever comes first, and bootstraps from the
        observation after the last one (``discounts`` holds ``γ^m`` for the ``m`` rewards summed).
        """
        slot, env = self.sample_slots(batch_size, rng)
        at = self.at
        if n_step <= 1:
            return Batch(self.stacks(slot, env), at(self.actions, slot, env), at(self.rewards, slot, env),
                         self.stacks((slot + 1) % self.slots, env), at(self.terminated, slot, env))
        steps = (slot[:, None] + np.arange(n_step)) % self.slots  # (B, n) slots along the stream
        envs = env[:, None]
        done, valid = at(self.done, steps, envs), at(self.valid, steps, envs)
        # step k counts while steps 1..k are stored transitions and none before k ended the episode
        alive = np.empty_like(valid)
        alive[:, 0] = True
        for k in range(1, n_step):
            alive[:, k] = alive[:, k - 1] & valid[:, k] & ~done[:, k - 1]
        ret, m, disc = n_step_returns(at(self.rewards, steps, envs), alive, gamma)  # m >= 1 rewards summed
        last = (slot + m - 1) % self.slots  # the slot of the last reward summed
        term = at(self.terminated, last, env)
        return Batch(self.stacks(slot, env), at(self.actions, slot, env), ret,
                     self.stacks((last + 1) % self.slots, env), term, disc)


class SequenceReplay(_StreamStore):
    """Replay of fixed-length sequences for DRQN: ``burn_in + seq_len`` steps from a random start.

    A sequence starts at any stored transition and runs forward in its env's stream. Steps after the
    episode's last transition, and steps past the newest stored one, are zero-padded and masked, so a
    sequence never carries the LSTM from one episode into the next unmasked.
    """

    def __init__(self, capacity: int, obs_shape: tuple[int, ...], obs_dtype: np.dtype, n_envs: int,
                 length: int, state_size: int = 0) -> None:
        super().__init__(capacity, obs_shape, obs_dtype, n_envs, stack=1, state_size=state_size)
        if length < 1 or length + 2 > self.slots:
            raise RltuiError(f"sequence length {length} does not fit a replay of {self.slots} slots per env")
        self.length = length
        # R2D2's stored state: the LSTM (h, c) each transition was acted from, float16 (it only seeds the
        # burn-in, which refreshes it): 4 × lstm_size bytes a step, 26 MB for 100k steps of 64 units.
        self.states = np.zeros((self.slots, n_envs, 2, state_size), dtype=np.float16) if state_size else None
        self._staged: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        return super().nbytes + (0 if self.states is None else self.states.nbytes)

    def stage_states(self, states: np.ndarray | None) -> None:
        """The (n_envs, 2, H) LSTM states the next stored step was acted from (used by the next add)."""
        self._staged = states

    def _store_states(self) -> None:
        """Write the staged states into the slots of the step being added (zeros if none were staged,
        e.g. for a person's demos), so a slot never keeps the state of what it held before the ring wrapped."""
        if self.states is not None:
            self.states[self.cursor, np.arange(self.n_envs)] = 0 if self._staged is None else self._staged
        self._staged = None

    def add(self, obs, action: int, reward: float, next_obs, terminated: bool, truncated: bool) -> None:
        if self.n_envs == 1:  # otherwise the base class hands it to add_batch, which stores the states
            self._store_states()
        super().add(obs, action, reward, next_obs, terminated, truncated)

    def add_batch(self, obs, actions, rewards, next_obs, terminated, truncated) -> None:
        self._store_states()
        super().add_batch(obs, actions, rewards, next_obs, terminated, truncated)

    def sample(self, batch_size: int, rng: np.random.Generator, n_step: int = 1, gamma: float = 0.99
               ) -> SequenceBatch:
        """``batch_size`` sequences of ``length`` steps; with ``n_step > 1``, n-step returns along them.

        Step ``j``'s return sums ``γ^i r_{j+i}`` over its next ``n_step`` steps, as
        :meth:`ReplayBuffer.sample` does for one transition: it stops at the episode's last transition
        (bootstrapping from the final observation if the episode was only truncated) or at the newest
        stored step, never crossing into the next episode. So that the last steps of the sequence get
        full n-step returns too, ``n_step - 1`` more steps are read after it.
        """
        L, s, n = self.length, self.slots, max(1, n_step)
        T = L + n - 1  # steps read: the sequence, then the look-ahead of its last returns
        slot, env = self.sample_slots(batch_size, rng)
        steps = (slot[:, None] + np.arange(T + 1)) % s  # (B, T + 1) slots of obs
        envs = env[:, None]
        valid = self.valid[steps[:, :T], envs]
        done = self.done[steps[:, :T], envs]
        # A step is real while every step before it in the sequence was a non-final transition.
        ended_before = np.concatenate([np.zeros((batch_size, 1), bool), np.cumsum(done, 1)[:, :-1] > 0], 1)
        # ...and while the stream is unbroken: stop at the newest (pending) slot of the env.
        within = np.arange(T)[None] < ((self.cursor[env] - slot) % s)[:, None]
        mask = valid & ~ended_before & within  # a prefix of ones along each row
        obs_mask = np.concatenate([mask[:, :1], mask], 1)  # obs j+1 is needed where step j is real
        obs = self.obs[steps, envs]
        obs = obs * obs_mask.reshape(*obs_mask.shape, *([1] * (obs.ndim - 2))).astype(obs.dtype)
        m = mask.astype(np.float32)
        rewards = self.rewards[steps[:, :T], envs] * m
        terminated = self.terminated[steps[:, :T], envs] * m
        # The action before each observation: the stored one before the first (none at an episode start,
        # or where that slot holds no transition of this episode), then the sequence's own.
        before = (slot - 1) % s
        first = np.where(~self.start[slot, env] & self.valid[before, env], self.actions[before, env], -1)
        actions = self.actions[steps[:, :T], envs] * mask
        prev_actions = np.concatenate([first[:, None], actions], 1)
        states = None if self.states is None else self.states[slot, env].astype(np.float32)
        if n == 1:
            return SequenceBatch(obs=obs, actions=actions, rewards=rewards, terminated=terminated, mask=m,
                                 prev_actions=prev_actions, states=states)
        # Windows of n steps from each of the L steps: real ones are a prefix, m_j of them.
        window = np.arange(L)[:, None] + np.arange(n)  # (L, n)
        # m_j = count: rewards in step j's return (0 on padding)
        returns, count, discounts = n_step_returns(rewards[:, window], m[:, window], gamma)
        last = np.arange(L)[None] + np.maximum(count, 1) - 1  # the return's last step
        return SequenceBatch(
            obs=obs,
            actions=actions[:, :L],
            rewards=returns,
            terminated=np.take_along_axis(terminated, last, axis=1),
            mask=m[:, :L],
            boot=last + 1,
            discounts=discounts,
            prev_actions=prev_actions,
            states=states,
        )
