"""DRQN: the LSTM state while acting, sequence learning, checkpoints, the encoders it shares with DQN."""

import gymnasium as gym
import numpy as np
import pytest
import torch

from rltui.agents import make_agent
from rltui.agents.drqn import DRQNAgent
from rltui.errors import RltuiError
from rltui.training.checkpoints import load_checkpoint
from rltui.training.config import TrainConfig
from rltui.training.trainer import Trainer

MASKED = gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)
TWO = gym.spaces.Discrete(2)


def greedy_q(agent, obs):
    return agent._step_q(np.asarray(obs)[None], explore=False)[0]


def test_the_lstm_remembers_within_an_episode_and_forgets_at_reset():
    agent = make_agent("drqn", MASKED, TWO, {}, device="cpu", seed=0)
    a, b = np.array([0.1, -0.2], np.float32), np.array([0.5, 0.3], np.float32)
    agent.reset_episode(0)
    first = greedy_q(agent, a)
    after_b = (greedy_q(agent, b), greedy_q(agent, a))[1]
    assert not np.allclose(first, after_b)  # same observation, different history, different Q
    agent.reset_episode(0)
    assert np.allclose(greedy_q(agent, a), first)  # a new episode starts from a clean memory


@pytest.mark.parametrize("prev_action", [False, True])
def test_q_batch_reads_each_observation_from_an_empty_memory_and_leaves_the_memory_alone(prev_action):
    agent = make_agent("drqn", MASKED, TWO, {"prev_action": prev_action}, device="cpu", seed=0)
    a, b = np.array([0.1, -0.2], np.float32), np.array([0.5, 0.3], np.float32)
    agent.reset_episode(0)
    first_a = greedy_q(agent, a)
    agent.reset_episode(0)
    first_b = greedy_q(agent, b)
    agent.reset_episode(0)
    greedy_q(agent, b)  # a memory that has seen b
    batch = agent.q_batch(np.stack([a, b]))
    assert batch.shape == (2, 2) and np.allclose(batch[0], first_a) and np.allclose(batch[1], first_b)
    greedy_q(agent, a)
    after = greedy_q(agent, a)  # the memory went on from b, a, as if q_batch had not been called
    agent.reset_episode(0)
    expected = (greedy_q(agent, b), greedy_q(agent, a), greedy_q(agent, a))[2]
    assert np.allclose(after, expected)


@pytest.mark.parametrize("prev_action", [False, True])
def test_the_lstm_reads_the_previous_action_only_with_prev_action(prev_action):
    """Two agents see the same observations but take different actions: only prev_action tells them apart."""
    hp = {"prev_action": prev_action}
    agents = [make_agent("drqn", MASKED, TWO, hp, device="cpu", seed=0) for _ in range(2)]
    a, b = np.array([0.1, -0.2], np.float32), np.array([0.5, 0.3], np.float32)
    for action, agent in enumerate(agents):
        agent.act(a)
        agent.observe(a, action, 1.0, b, False, False)
    q0, q1 = (agent._step_q(b[None], explore=True)[0] for agent in agents)
    assert np.allclose(q0, q1) != prev_action
    for action, agent in enumerate(agents):  # an episode end forgets the action with the rest
        agent.observe(b, action, 1.0, a, True, False)
    q0, q1 = (agent._step_q(a[None], explore=True)[0] for agent in agents)
    assert np.allclose(q0, q1)


def test_greedy_acting_mid_episode_leaves_the_training_memory_alone():
    """The Trainer evaluates in the middle of training episodes; that must not touch their LSTM state."""
    agent = make_agent("drqn", MASKED, TWO, {"eps_start": 0.0, "eps_end": 0.0}, device="cpu", seed=0)
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(5, 2)).astype(np.float32)
    twin = make_agent("drqn", MASKED, TWO, {"eps_start": 0.0, "eps_end": 0.0}, device="cpu", seed=0)
    for o in obs[:3]:
        agent.act(o)
        twin.act(o)
    agent.reset_episode(0)  # an evaluation episode...
    for o in rng.normal(size=(4, 2)).astype(np.float32):
        agent.act(o, explore=False)
    for o in obs[3:]:  # ...then training goes on where it was
        agent.act(o)
        twin.act(o)
    assert all(torch.equal(x, y) for x, y in zip(agent._states["train"], twin._states["train"]))
    # and an episode end the agent observed does clear the training memory
    agent.observe(obs[0], 0, 1.0, obs[1], True, False)
    agent.act(obs[2])
    fresh = make_agent("drqn", MASKED, TWO, {"eps_start": 0.0, "eps_end": 0.0}, device="cpu", seed=0)
    fresh.act(obs[2])
    assert torch.equal(agent._states["train"][0], fresh._states["train"][0])


@pytest.mark.parametrize("shape", [(3, 3, 3), (84, 84)])
def test_encoders_are_shared_with_dqn(shape):
    high = 1 if len(shape) == 3 else 255
    space = gym.spaces.Box(0, high, shape, np.uint8)
    agent = make_agent("drqn", space, gym.spaces.Discrete(4), {"learning_starts": 40, "batch_size": 4,
                                                               "seq_len": 4, "burn_in": 2, "train_freq": 20},
                       device="cpu", seed=0)
    assert agent.q.kind == ("small_cnn" if len(shape) == 3 else "nature_cnn")
    obs = space.sample()
    for t in range(60):
        nxt = space.sample()
        agent.observe(obs, agent.act(obs), 1.0, nxt, False, t % 25 == 24)
        obs = nxt
    assert agent.updates > 0 and np.isfinite(agent.metrics()["loss"])


class _NamedQ(torch.nn.Module):
    """A stand-in target network whose Q for every action is the step number named in the observation."""

    def forward(self, obs, state=None, prev_action=None):
        return obs[..., 1:2].expand(*obs.shape[:-1], 2), None


def test_n_step_targets_follow_the_sequence_and_stop_at_episode_ends(monkeypatch):
    import rltui.agents.drqn as drqn

    gamma, n, burn_in, seq_len = 0.5, 3, 2, 4
    agent = make_agent("drqn", MASKED, TWO, {"n_step": n, "gamma": gamma, "burn_in": burn_in, "seq_len": seq_len,
                                             "batch_size": 256, "learning_starts": 10**6}, device="cpu", seed=0)
    lengths, terminates = {1: 5, 2: 7, 3: 4}, {1: True, 2: False, 3: True}  # episode 2 is truncated
    for ep, length in lengths.items():  # observations (episode, step); reward t + 1 for the step from t
        for t in range(length):
            end = t + 1 == length
            agent.observe(np.array([ep, t], np.float32), 0, t + 1.0, np.array([ep, t + 1], np.float32),
                          end and terminates[ep], end and not terminates[ep])
    agent.target = _NamedQ()
    seen = {}
    td_target = drqn.td_target
    monkeypatch.setattr(drqn, "td_target", lambda *args: seen.setdefault("target", td_target(*args)))
    sample = agent.buffer.sample
    agent.buffer.sample = lambda *args: seen.setdefault("batch", sample(*args))
    agent._update()
    b, target = seen["batch"], seen["target"].numpy()
    checked = 0
    for row in range(len(target)):
        for j in range(seq_len):
            if not b.mask[row, burn_in + j]:
                continue
            ep, t = b.obs[row, burn_in + j].astype(int)
            m = min(n, lengths[ep] - t)  # the return never runs past the episode's end
            ret = sum(gamma**i * (t + i + 1) for i in range(m))
            bootstrap = not (t + m == lengths[ep] and terminates[ep])
            assert target[row, j] == pytest.approx(ret + bootstrap * gamma**m * (t + m), rel=1e-5)
            checked += 1
    assert checked > 100


class _StateRecorder(torch.nn.Module):
    """Wraps a Q-network and keeps the LSTM state each call starts from."""

    def __init__(self, inner):
        super().__init__()
        self.inner, self.states = inner, []

    def forward(self, obs, state=None, prev=None):
        self.states.append(state)
        return self.inner(obs, state, prev)


def test_stored_state_replay_keeps_the_state_each_step_was_acted_from_and_learns_from_it():
    hp = {"stored_state": True, "eps_start": 0.0, "eps_end": 0.0, "burn_in": 2, "seq_len": 3, "batch_size": 64,
          "learning_starts": 10**6}
    agent = make_agent("drqn", MASKED, TWO, hp, device="cpu", seed=0)
    rng = np.random.default_rng(0)
    before = []  # the training LSTM state (h, c) before each act, as the replay should keep it
    for length in (6, 9):  # two episodes: the second must start from zeros again
        obs = rng.normal(size=(length + 1, 2)).astype(np.float32)
        for t in range(length):
            state = agent._states.get("train")
            zero = t == 0 or state is None
            before.append(np.zeros((2, 64)) if zero else torch.stack([state[0][0, 0], state[1][0, 0]]).numpy())
            action = agent.act(obs[t])
            agent.observe(obs[t], action, 1.0, obs[t + 1], t + 1 == length, False)
    kept = agent.buffer.states[agent.buffer.valid[:, 0], 0]  # (steps, 2, 64) in order: no wrap yet
    assert len(kept) == 15 and np.abs(kept[0]).sum() == 0 and np.abs(kept[6]).sum() == 0
    assert np.abs(kept[1]).sum() > 0
    np.testing.assert_allclose(kept, np.stack(before), atol=2e-3)  # stored as float16
    seen = {}
    sample = agent.buffer.sample
    agent.buffer.sample = lambda *args: seen.setdefault("batch", sample(*args))
    agent.q, agent.target = _StateRecorder(agent.q), _StateRecorder(agent.target)
    agent._update()
    stored = torch.from_numpy(seen["batch"].states)
    for net in (agent.q, agent.target):  # burn-in and the target both start from the stored state
        h, c = net.states[0]
        assert torch.equal(h[0], stored[:, 0]) and torch.equal(c[0], stored[:, 1])


def test_sequence_hyperparameters_are_checked():
    with pytest.raises(RltuiError, match="unknown hyperparameter"):
        make_agent("drqn", MASKED, TWO, {"frame_dedup": True})
    with pytest.raises(RltuiError, match="buffer_size"):
        make_agent("drqn", MASKED, TWO, {"buffer_size": 40, "seq_len": 30})


@pytest.mark.slow
@pytest.mark.parametrize("extra", [{"prev_action": False}, {"prev_action": True, "n_step": 3}])
def test_drqn_trains_and_checkpoints_through_the_trainer(tmp_path, extra):
    hp = {"learning_starts": 300, "buffer_size": 2000, "train_freq": 8, "seq_len": 8, "burn_in": 4, **extra}
    cfg = TrainConfig("MaskedCartPole", "drqn", 1500, seed=1, device="cpu", eval_every=0, data_dir=str(tmp_path),
                      hparams=hp)
    trainer = Trainer(cfg)
    finished = trainer.run()
    assert finished.status == "finished", finished.error
    agent = trainer.agent
    assert agent.updates > 100 and agent.q_values() is None
    loaded, _ = load_checkpoint(finished.checkpoint)
    assert isinstance(loaded, DRQNAgent)
    seq = torch.as_tensor(np.random.default_rng(0).normal(size=(3, 7, 2)), dtype=torch.float32)
    with torch.no_grad():
        assert torch.equal(loaded.q(seq)[0], agent.q(seq)[0])
