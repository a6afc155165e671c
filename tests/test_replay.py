"""Replay memories: ring wrap-around, frames stored once and rebuilt exactly, sequences masked at episode ends."""

import gymnasium as gym
import numpy as np
import pytest

from rltui.agents.replay import ReplayBuffer, SequenceReplay
from rltui.errors import RltuiError


class Counter(gym.Env):
    """Observations and frames that name themselves: (episode, step) in every cell; random lengths.

    Even episodes end by termination, odd ones by truncation, so both kinds of episode end are stored.
    """

    def __init__(self, seed: int, frame: bool = False, max_len: int = 9) -> None:
        shape = (6, 6) if frame else (2,)
        self.observation_space = gym.spaces.Box(0, 255, shape, np.uint8 if frame else np.float32)
        self.action_space = gym.spaces.Discrete(2)
        self.frame, self.max_len = frame, max_len
        self.episode = seed * 1000
        self.lengths = np.random.default_rng(seed)

    def _obs(self):
        if self.frame:
            f = np.zeros((6, 6), np.uint8)
            f[0, 0], f[0, 1] = self.episode % 256, self.t
            return f
        return np.array([self.episode, self.t], np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.episode += 1
        self.t = 0
        self.length = int(self.lengths.integers(1, self.max_len + 1))
        return self._obs(), {}

    def step(self, action):
        self.t += 1
        end = self.t >= self.length
        terminated = end and self.episode % 2 == 0
        return self._obs(), float(self.t), terminated, end and not terminated, {}


def drive(buffer, envs, steps, rng, on_step=None):
    """Fill ``buffer`` from ``envs`` the way the Trainer's vector loop does (true final observations)."""
    obs = np.stack([e.reset()[0] for e in envs])
    for _ in range(steps):
        actions = rng.integers(0, 2, len(envs))
        out = [e.step(a) for e, a in zip(envs, actions)]
        next_obs = np.stack([o[0] for o in out])
        rewards = np.array([o[1] for o in out], np.float32)
        term = np.array([o[2] for o in out])
        trunc = np.array([o[3] for o in out])
        buffer.add_batch(obs, actions, rewards, next_obs, term, trunc)
        if on_step is not None:
            on_step(obs, actions, next_obs, term, trunc)
        obs = next_obs.copy()
        for i in np.flatnonzero(term | trunc):
            obs[i] = envs[i].reset()[0]


def test_ring_wraps_and_keeps_only_the_newest():
    rng = np.random.default_rng(0)
    buf = ReplayBuffer(50, (2,), np.float32, n_envs=1)
    env = Counter(0)
    seen = []
    drive(buf, [env], 400, rng, on_step=lambda o, a, n, te, tr: seen.append(tuple(o[0])))
    assert buf.obs.shape == (50, 1, 2)  # preallocated once, never grown
    assert 40 <= len(buf) < 50  # full, less one slot per stored episode end and the pending one
    stored = {tuple(x) for x in buf.obs[:, 0]}
    assert (seen[-1] in stored) and (seen[0] not in stored)
    b = buf.sample(256, rng)
    # next_obs is the step after obs in the same episode; the reward names that step.
    assert np.array_equal(b.next_obs[:, 0], b.obs[:, 0])
    assert np.array_equal(b.next_obs[:, 1], b.obs[:, 1] + 1)
    assert np.array_equal(b.rewards, b.next_obs[:, 1])
    # terminated only where the episode really terminated (even episodes), never on truncation
    assert set(np.unique(b.terminated)) <= {0.0, 1.0}
    assert np.all(b.terminated[(b.obs[:, 0] % 2) == 1] == 0)


@pytest.mark.parametrize("n_envs", [1, 3])
def test_frame_stacks_are_stored_once_and_rebuilt_exactly(n_envs):
    rng = np.random.default_rng(1)
    envs = [gym.wrappers.FrameStackObservation(Counter(i, frame=True), 4) for i in range(n_envs)]
    buf = ReplayBuffer(120, (4, 6, 6), np.uint8, n_envs=n_envs, stack=4)
    assert buf.obs.shape == (120 // n_envs, n_envs, 6, 6)  # one frame per slot: not a stack, not twice
    real: dict[tuple, tuple] = {}

    def record(obs, actions, next_obs, term, trunc):
        for o, n in zip(obs, next_obs):
            real[o.tobytes()] = n.tobytes()

    drive(buf, envs, 500, rng, on_step=record)  # wraps the ring several times
    b = buf.sample(512, rng)
    for o, n in zip(b.obs, b.next_obs):  # each rebuilt pair is a transition the env really produced
        assert real[o.tobytes()] == n.tobytes()
    steps = b.obs[:, :, 0, 1].astype(int)
    newest = steps[:, -1:]
    assert np.array_equal(steps, np.maximum(newest + np.arange(-3, 1), 0))  # repeats the reset frame


def test_non_stack_observations_are_refused_in_stack_mode():
    buf = ReplayBuffer(64, (4, 6, 6), np.uint8, n_envs=1, stack=4)
    rng = np.random.default_rng(0)
    obs = rng.integers(0, 255, (1, 4, 6, 6), dtype=np.uint8)
    with pytest.raises(RltuiError, match="frame stack"):
        buf.add_batch(obs, [0], [0.0], rng.integers(0, 255, (1, 4, 6, 6), dtype=np.uint8), [False], [False])


def test_buffer_errors_are_one_line():
    with pytest.raises(RltuiError):
        ReplayBuffer(1, (2,), np.float32, n_envs=1)
    buf = ReplayBuffer(8, (2,), np.float32, n_envs=1)
    with pytest.raises(RltuiError, match="empty"):
        buf.sample(4, np.random.default_rng(0))
    with pytest.raises(RltuiError, match="shape"):
        buf.add_batch(np.zeros((1, 3)), [0], [0.0], np.zeros((1, 3)), [False], [False])


@pytest.mark.parametrize("n_envs", [1, 2])
def test_sequences_never_cross_episode_boundaries_unmasked(n_envs):
    rng = np.random.default_rng(2)
    length = 12
    buf = SequenceReplay(150, (2,), np.float32, n_envs=n_envs, length=length)
    envs = [Counter(10 + i, max_len=7) for i in range(n_envs)]  # episodes shorter than a sequence
    drive(buf, envs, 400, rng)
    b = buf.sample(1024, rng)
    assert b.obs.shape == (1024, length + 1, 2) and b.mask.shape == (1024, length)
    episode, step = b.obs[..., 0], b.obs[..., 1]
    real = b.mask.astype(bool)
    assert real[:, 0].all()
    assert (~real).any(), "short episodes must produce padding"
    # Once masked, always masked: a sequence never resumes after its episode ended.
    assert not np.any(~real[:, :-1] & real[:, 1:])
    for j in range(length):
        r = real[:, j]
        # a real step and its next observation belong to the first step's episode, one step later
        assert np.array_equal(episode[r, j], episode[r, 0])
        assert np.array_equal(episode[r, j + 1], episode[r, 0])
        assert np.array_equal(step[r, j + 1], step[r, j] + 1)
        assert np.array_equal(b.rewards[r, j], step[r, j + 1])
        # padding is zeros, so no data of another episode leaks in even unmasked
        assert not b.obs[~r, j + 1].any() and not b.rewards[~r, j].any() and not b.actions[~r, j].any()
    # a real step that terminates its episode is the last real one
    ends = real & (b.terminated > 0)
    assert ends.any() and not np.any(ends[:, :-1] & real[:, 1:])


def test_sequence_length_must_fit():
    with pytest.raises(RltuiError, match="sequence length"):
        SequenceReplay(20, (2,), np.float32, n_envs=1, length=40)


def test_single_env_add_matches_add_batch():
    """add() has a scalar fast path; it must leave exactly the state add_batch() leaves."""
    fast = ReplayBuffer(40, (2,), np.float32, n_envs=1)
    slow = ReplayBuffer(40, (2,), np.float32, n_envs=1)

    rng = np.random.default_rng(3)
    env = Counter(5)
    obs = env.reset()[0]
    for _ in range(150):  # wraps the ring, with both kinds of episode end
        a = int(rng.integers(2))
        nxt, r, te, tr, _ = env.step(a)
        fast.add(obs, a, r, nxt, te, tr)
        slow.add_batch(obs[None], [a], [r], nxt[None], [te], [tr])
        obs = env.reset()[0] if te or tr else nxt
        for name in ("obs", "actions", "rewards", "terminated", "done", "valid", "start", "cursor", "fresh",
                     "filled"):
            assert np.array_equal(getattr(fast, name), getattr(slow, name)), name


def test_n_step_returns_stop_at_episode_ends():
    rng = np.random.default_rng(4)
    buf = ReplayBuffer(300, (2,), np.float32, n_envs=2)
    drive(buf, [Counter(20), Counter(21)], 600, rng)
    gamma, n = 0.9, 3
    b = buf.sample(512, rng, n_step=n, gamma=gamma)
    t, t_next = b.obs[:, 1].astype(int), b.next_obs[:, 1].astype(int)
    m = t_next - t  # rewards summed
    assert np.array_equal(b.next_obs[:, 0], b.obs[:, 0])  # never past the episode
    assert m.min() >= 1 and m.max() == n and (m < n).any()  # cut short at episode ends
    expected = np.array([sum(gamma**k * (ti + k + 1) for k in range(mi)) for ti, mi in zip(t, m)])
    assert np.allclose(b.rewards, expected, rtol=1e-5)
    assert np.allclose(b.discounts, gamma**m)
    # even episodes terminate (no bootstrap), odd ones are truncated (bootstrap)
    assert b.terminated[(b.obs[:, 0] % 2) == 0].any()
    assert np.all(b.terminated[(b.obs[:, 0] % 2) == 1] == 0)


@pytest.mark.parametrize("n_envs", [1, 2])
def test_sequence_n_step_returns_stop_at_episode_ends(n_envs):
    rng = np.random.default_rng(5)
    length, n, gamma = 6, 3, 0.9
    buf = SequenceReplay(200, (2,), np.float32, n_envs=n_envs, length=length)
    finals, newest = set(), {}  # (episode, step) of every episode's final observation; each env's newest

    def on_step(obs, actions, next_obs, term, trunc):
        for o, end in zip(next_obs, term | trunc):
            newest[int(o[0]) // 1000] = tuple(o)
            if end:
                finals.add(tuple(o))

    drive(buf, [Counter(30 + i, max_len=5) for i in range(n_envs)], 500, rng, on_step)
    b = buf.sample(1024, rng, n_step=n, gamma=gamma)
    assert b.obs.shape == (1024, length + n, 2) and b.rewards.shape == b.boot.shape == (1024, length)
    real = b.mask.astype(bool)
    episode, t = b.obs[..., 0], b.obs[..., 1].astype(int)
    rows = np.arange(1024)[:, None]
    boot_episode, boot_t = episode[rows, b.boot], t[rows, b.boot]
    m = np.where(real, boot_t - t[:, :length], 0)  # rewards summed, read off the observations' names
    assert np.array_equal(boot_episode[real], episode[:, :length][real])  # never into the next episode
    assert m[real].min() >= 1 and m.max() == n and (m[real] < n).any()
    expected = sum(gamma**i * (t[:, :length] + i + 1) * (i < m) for i in range(n))  # Counter's reward: t + 1
    assert np.allclose(b.rewards[real], expected[real], rtol=1e-5)
    assert np.allclose(b.discounts[real], (gamma**m)[real])
    assert not b.rewards[~real].any()
    # A return stops short only at its episode's end (or the newest stored step), and only a terminated
    # episode's end (even episodes; odd ones are truncated) cuts the bootstrap.
    boot = np.array([[(e, s) for e, s in zip(be, bt)] for be, bt in zip(boot_episode, boot_t)], float)
    ended = np.array([[tuple(x) in finals for x in row] for row in boot])
    at_newest = np.array([[tuple(x) == newest.get(int(x[0]) // 1000) for x in row] for row in boot])
    assert np.all((ended | at_newest)[real & (m < n)])
    assert np.array_equal(b.terminated[real] == 1, (ended & (boot_episode % 2 == 0))[real])
    one = buf.sample(8, rng)  # one-step sequences are as before: no look-ahead
    assert one.obs.shape == (8, length + 1, 2) and one.boot is None and one.discounts is None


def test_sequences_carry_the_action_before_each_observation():
    rng = np.random.default_rng(6)
    buf = SequenceReplay(1000, (2,), np.float32, n_envs=2, length=5)  # no wrap: every earlier step is kept
    taken = {}  # (episode, step) -> the action taken there

    def on_step(obs, actions, next_obs, term, trunc):
        taken.update({tuple(o): int(a) for o, a in zip(obs, actions)})

    drive(buf, [Counter(40), Counter(41)], 300, rng, on_step)
    for n_step in (1, 3):
        b = buf.sample(512, rng, n_step=n_step)
        assert b.prev_actions.shape == b.obs.shape[:2]
        real = np.concatenate([b.mask[:, :1], b.mask], 1).astype(bool)  # the first L + 1 observations
        expected = [taken[(e, t - 1)] if t > 0 else -1 for e, t in b.obs[:, :6][real]]
        assert np.array_equal(b.prev_actions[:, :6][real], expected)
        assert (b.prev_actions[:, 0] == -1).any() and (b.prev_actions[:, 0] >= 0).any()


@pytest.mark.parametrize("n_envs", [1, 2])
def test_sequences_start_from_the_state_stored_with_their_first_step(n_envs):
    """R2D2's stored state: each step keeps the LSTM state it was acted from, after the ring wraps too,
    and a step stored without one (a person's demo) gets zeros, not what its slot held before."""

    class Staging(SequenceReplay):  # the agent stages the state it acted from before each add
        def add_batch(self, obs, *rest):
            self.stage_states(np.stack([obs, -obs], axis=1))  # (n_envs, 2 (h, c), 2): names the step
            super().add_batch(obs, *rest)

    rng = np.random.default_rng(4)
    buf = Staging(60, (2,), np.float32, n_envs=n_envs, length=4, state_size=2)
    drive(buf, [Counter(i) for i in range(n_envs)], 300, rng)  # wraps the ring several times
    b = buf.sample(512, rng)
    assert b.states.shape == (512, 2, 2) and b.states.dtype == np.float32
    assert np.array_equal(b.states[:, 0], b.obs[:, 0]) and np.array_equal(b.states[:, 1], -b.obs[:, 0])
    cursor = buf.cursor.copy()
    SequenceReplay.add_batch(buf, np.ones((n_envs, 2)), [0] * n_envs, [0.0] * n_envs, np.ones((n_envs, 2)),
                             [False] * n_envs, [False] * n_envs)
    assert not buf.states[cursor, np.arange(n_envs)].any()
    assert SequenceReplay(60, (2,), np.float32, n_envs=1, length=4).states is None  # off unless asked
