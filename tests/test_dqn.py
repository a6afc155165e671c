"""DQN: networks per observation space, hyperparameter errors, learning on CartPole, checkpoints, pixels."""

import gymnasium as gym
import numpy as np
import pytest
import torch

from rltui.agents import make_agent
from rltui.agents.dqn import DQNAgent
from rltui.agents.networks import encoder_kind
from rltui.envs import make_training_env
from rltui.errors import RltuiError
from rltui.training.checkpoints import load_checkpoint
from rltui.training.config import TrainConfig
from rltui.training.evaluation import evaluate
from rltui.training.trainer import Trainer

CARTPOLE = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
TWO = gym.spaces.Discrete(2)


@pytest.mark.parametrize(("space", "kind"), [
    (gym.spaces.Discrete(16), "onehot"),
    (CARTPOLE, "mlp"),
    (gym.spaces.Box(0, 1, (3, 5, 5), np.uint8), "small_cnn"),
    (gym.spaces.Box(0, 255, (4, 84, 84), np.uint8), "nature_cnn"),
    (gym.spaces.Box(0, 255, (84, 84), np.uint8), "nature_cnn"),
])
def test_network_follows_the_observation_space(space, kind):
    assert encoder_kind(space) == kind
    agent = make_agent("dqn", space, gym.spaces.Discrete(3), {}, device="cpu", seed=0)
    obs = space.sample()
    assert 0 <= agent.act(obs, explore=False) < 3
    assert agent.act_batch(np.stack([obs, space.sample()]), explore=False).shape == (2,)


def test_bad_hyperparameters_are_one_line_errors():
    with pytest.raises(RltuiError, match="unknown hyperparameter.*learning_rate") as err:
        make_agent("dqn", CARTPOLE, TWO, {"learning_rate": 1e-3})
    assert "\n" not in str(err.value)
    with pytest.raises(RltuiError, match="tau"):
        make_agent("dqn", CARTPOLE, TWO, {"tau": 0})
    with pytest.raises(RltuiError, match="hidden"):
        make_agent("dqn", CARTPOLE, TWO, {"hidden": "64,x"})
    with pytest.raises(RltuiError, match="Discrete action"):
        make_agent("dqn", CARTPOLE, gym.spaces.Box(-1, 1, (1,)), {})
    agent = make_agent("dqn", CARTPOLE, TWO, {"double": "false", "lr": "0.01"}, device="cpu")
    assert agent.cfg.double is False and agent.cfg.lr == 0.01


def test_epsilon_schedule_and_pinning():
    agent = make_agent("dqn", CARTPOLE, TWO, {"eps_start": 1.0, "eps_end": 0.1, "eps_decay_steps": 100,
                                               "learning_starts": 10**6}, device="cpu")
    assert agent.epsilon == 1.0
    obs = np.zeros(4, np.float32)
    for _ in range(50):
        agent.observe(obs, 0, 1.0, obs, False, False)
    assert agent.epsilon == pytest.approx(0.55)
    agent.set_epsilon(0.0)
    assert agent.epsilon == 0.0 and agent.metrics()["epsilon"] == 0.0
    agent.set_epsilon(None)
    assert agent.epsilon == pytest.approx(0.55)


def test_q_values_of_a_discrete_state_space_are_a_copy():
    agent = make_agent("dqn", gym.spaces.Discrete(7), gym.spaces.Discrete(3), {}, device="cpu")
    q = agent.q_values()
    assert q.shape == (7, 3)
    q[:] = 1e9
    assert not np.any(agent.q_values() == 1e9)
    assert make_agent("dqn", CARTPOLE, TWO, {}, device="cpu").q_values() is None


def _train(env, steps, seed, tmp_path, **kw):
    cfg = TrainConfig(env, "dqn", steps, seed=seed, device="cpu", eval_every=0, data_dir=str(tmp_path), **kw)
    trainer = Trainer(cfg)
    finished = trainer.run()
    assert finished.status == "finished", finished.error
    return trainer, finished


@pytest.mark.slow
def test_dqn_learns_cartpole_well_above_random(tmp_path):
    """A random policy averages about 20 on CartPole; 5 k steps of the product's DQN beat it by far."""
    hp = {"hidden": "64,64", "n_step": 3, "learning_starts": 500, "eps_decay_steps": 2000, "train_freq": 2,
          "gradient_steps": 1, "target_update_grad_steps": 100, "batch_size": 64, "lr": 2e-3, "lr_final": None}
    trainer, _ = _train("CartPole", 5_000, 0, tmp_path, hparams=hp)
    result = evaluate(trainer.agent, "CartPole", 10, seed=1_000_000)
    env = make_training_env("CartPole")
    rng = np.random.default_rng(0)
    random_returns = []
    for i in range(10):
        env.reset(seed=1_000_000 + i)
        total, done = 0.0, False
        while not done:
            _, r, te, tr, _ = env.step(int(rng.integers(2)))
            total, done = total + r, te or tr
        random_returns.append(total)
    assert result.mean > 5 * np.mean(random_returns) and result.mean > 100, (result.mean, random_returns)


def test_checkpoint_round_trip_gives_identical_q_values(tmp_path):
    hp = {"hidden": "32,32", "learning_starts": 100, "buffer_size": 1000, "train_freq": 4, "gradient_steps": 1}
    trainer, finished = _train("CartPole", 600, 3, tmp_path, hparams=hp)
    payload = torch.load(finished.checkpoint, weights_only=True)  # tensors and plain values only
    assert payload["header"]["algo"] == "dqn"
    loaded, header = load_checkpoint(finished.checkpoint)
    assert isinstance(loaded, DQNAgent) and loaded.hparams == trainer.agent.hparams
    obs = torch.as_tensor(np.random.default_rng(0).normal(size=(64, 4)), dtype=torch.float32)
    with torch.no_grad():
        assert torch.equal(loaded.q(obs), trainer.agent.q(obs))
        assert torch.equal(loaded.target(obs), trainer.agent.target(obs))
    assert loaded.steps == trainer.agent.steps and loaded.updates == trainer.agent.updates > 0
    assert loaded.epsilon == trainer.agent.epsilon


def test_loading_weights_of_another_shape_is_a_clear_error():
    small = make_agent("dqn", CARTPOLE, TWO, {"hidden": "8"}, device="cpu")
    big = make_agent("dqn", CARTPOLE, TWO, {"hidden": "16"}, device="cpu")
    with pytest.raises(RltuiError, match="does not fit"):
        big.load_state_dict(small.state_dict())


def test_vector_envs_feed_one_replay(tmp_path):
    hp = {"hidden": "16", "learning_starts": 64, "train_freq": 8, "gradient_steps": 1, "buffer_size": 2000}
    trainer, finished = _train("CartPole", 800, 0, tmp_path, hparams=hp, n_envs=2, vector="sync")
    agent = trainer.agent
    assert agent.buffer.n_envs == 2 and agent.steps == finished.steps and agent.updates > 0
    b = agent.buffer.sample(32, agent.rng)
    assert b.obs.shape == (32, 4) and b.next_obs.shape == (32, 4)


@pytest.mark.slow
def test_atari_pixels_end_to_end(tmp_path):
    """Gymnasium's Atari pipeline (84×84 grey, stack of 4) through the Nature CNN and the frame-once replay."""
    hp = {"learning_starts": 64, "batch_size": 8, "train_freq": 16, "buffer_size": 400}
    trainer, finished = _train("Breakout", 300, 0, tmp_path, hparams=hp)
    agent = trainer.agent
    assert agent.q.kind == "nature_cnn" and agent.buffer.stack == 4
    assert agent.buffer.obs.shape[2:] == (84, 84) and agent.updates > 0
    loaded, _ = load_checkpoint(finished.checkpoint)
    obs = make_training_env("Breakout").reset(seed=0)[0]
    assert loaded.act(obs, explore=False) == agent.act(obs, explore=False)


def test_a_loaded_agent_refills_its_replay_before_learning(tmp_path):
    hp = {"hidden": "16", "learning_starts": 200, "buffer_size": 1000, "train_freq": 1, "gradient_steps": 1}
    _, finished = _train("CartPole", 400, 0, tmp_path, hparams=hp)
    agent, _ = load_checkpoint(finished.checkpoint)
    assert agent.steps == 400 and agent.buffer is None  # replay is not part of a checkpoint
    obs = np.zeros(4, np.float32)
    for _ in range(199):
        agent.observe(obs, 0, 1.0, obs, False, False)
    assert agent.updates == 201  # nothing new yet: 199 fresh transitions < learning_starts
    agent.observe(obs, 0, 1.0, obs, False, False)
    assert agent.updates == 202


@pytest.mark.parametrize("dueling", [True, False])
def test_numpy_acting_matches_the_torch_network_as_it_learns(dueling):
    agent = make_agent("dqn", CARTPOLE, TWO, {"hidden": "32,32", "dueling": dueling, "learning_starts": 64,
                                               "batch_size": 32, "train_freq": 1}, device="cpu", seed=0)
    obs = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    for t in range(100):  # updates change the parameters in place; the numpy views must follow
        agent.observe(obs[t % 16], t % 2, 1.0, obs[(t + 1) % 16], False, t % 20 == 19)
    assert agent.updates > 0
    with torch.no_grad():
        expected = agent.q(torch.as_tensor(obs)).numpy()
    assert np.allclose(agent.fast.numpy_q(obs), expected, atol=1e-5)
    assert [agent.act(o, explore=False) for o in obs] == list(expected.argmax(1))


@pytest.mark.parametrize("hp", [
    {"dueling": True, "double": True, "huber": True, "n_step": 3, "max_grad_norm": 0.5},
    {"dueling": False, "double": False, "huber": False, "n_step": 1, "max_grad_norm": 0.0},
    {"dueling": True, "double": False, "huber": True, "n_step": 1, "max_grad_norm": 10.0, "hidden": ""},
])
def test_the_fast_path_trains_like_the_reference_update(hp):
    """An MLP on a CPU through rltui.agents.dqn_fast takes the same steps as the reference (fast_path=off)."""
    hp = {"hidden": "32,32", "learning_starts": 64, "batch_size": 32, "train_freq": 1,
          "target_update_grad_steps": 10, "lr": 0.01, **hp}
    fast = make_agent("dqn", CARTPOLE, TWO, hp, device="cpu", seed=0)
    slow = make_agent("dqn", CARTPOLE, TWO, {**hp, "fast_path": "off"}, device="cpu", seed=0)
    assert fast.fast is not None and slow.fast is None
    obs = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    for t in range(200):
        for agent in (fast, slow):
            agent.observe(obs[t % 50], t % 2, float(t % 3), obs[(t + 1) % 50], t % 17 == 16, t % 23 == 22)
    assert fast.updates == slow.updates > 100
    for a, b in zip(fast.q.parameters(), slow.q.parameters()):
        assert torch.allclose(a, b, atol=1e-4), (a - b).abs().max()
    for a, b in zip(fast.target.parameters(), slow.target.parameters()):
        assert torch.allclose(a, b, atol=1e-4)
    assert fast.metrics()["loss"] == pytest.approx(slow.metrics()["loss"], rel=1e-3)
    assert fast.metrics()["q_mean"] == pytest.approx(slow.metrics()["q_mean"], rel=1e-3, abs=1e-4)


def test_fused_adam_step_takes_the_same_step_as_the_optimizer():
    from rltui.agents.dqn_fast import fused_adam_step as adam_step

    nets = [torch.nn.Linear(5, 3) for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())
    opts = [torch.optim.Adam(net.parameters(), lr=0.01, eps=1e-6, fused=True) for net in nets]
    x = torch.randn(8, 5)
    for i in range(5):
        for net, opt, step in zip(nets, opts, (opts[0].step, lambda: adam_step(opts[1]))):
            opt.zero_grad()
            net(x * (i + 1)).square().sum().backward()
            step()
        if i == 0:  # the first step makes the optimizer's state; from then on the kernel is called directly
            opts[1].step = lambda *a, **k: pytest.fail("adam_step went through optimizer.step")
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        assert torch.equal(a, b)
    assert opts[1].state_dict()["state"][0]["step"] == 5


def test_numpy_acting_follows_parameters_that_move_to_new_memory():
    agent = make_agent("dqn", CARTPOLE, TWO, {"hidden": "16"}, device="cpu", seed=0)
    obs = np.random.default_rng(1).normal(size=(8, 4)).astype(np.float32)
    agent.fast.numpy_q(obs)  # views made
    other = make_agent("dqn", CARTPOLE, TWO, {"hidden": "16"}, device="cpu", seed=1)
    agent.q.load_state_dict(other.q.state_dict(), assign=True)  # new parameter tensors
    with torch.no_grad():
        assert np.allclose(agent.fast.numpy_q(obs), other.q(torch.as_tensor(obs)).numpy(), atol=1e-6)
    agent.q.double().float()  # .to() and the like also give new memory
    agent.q.head.out.bias.data += 1.0
    with torch.no_grad():
        assert np.allclose(agent.fast.numpy_q(obs), agent.q(torch.as_tensor(obs)).numpy(), atol=1e-6)


def test_fused_adam_step_falls_back_to_the_optimizer_outside_the_checked_torch_versions(monkeypatch):
    import rltui.agents.dqn_fast as dqn_fast

    monkeypatch.setattr(dqn_fast, "_KERNEL_OK", False)
    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters(), lr=0.01, fused=True)
    calls = []
    step = opt.step
    opt.step = lambda *a, **k: (calls.append(1), step())
    for _ in range(3):
        opt.zero_grad()
        net(torch.ones(4, 3)).sum().backward()
        dqn_fast.fused_adam_step(opt)
    assert len(calls) == 3


def test_fast_path_is_a_switch():
    on = make_agent("dqn", CARTPOLE, TWO, {"hidden": "16"}, device="cpu", seed=0)
    off = make_agent("dqn", CARTPOLE, TWO, {"hidden": "16", "fast_path": "off"}, device="cpu", seed=0)
    board = make_agent("dqn", gym.spaces.Box(0, 1, (3, 5, 5), np.uint8), TWO, {}, device="cpu", seed=0)
    assert on.fast is not None and off.fast is None
    assert board.fast is None  # only an MLP runs the fast path
    obs = np.random.default_rng(2).normal(size=(8, 4)).astype(np.float32)
    assert list(on.act_batch(obs, explore=False)) == list(off.act_batch(obs, explore=False))
    with pytest.raises(RltuiError, match="fast_path"):
        make_agent("dqn", CARTPOLE, TWO, {"fast_path": "fast"}, device="cpu")
