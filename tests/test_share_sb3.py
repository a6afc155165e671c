"""Agents from elsewhere: an SB3 DQN model trained here for a few hundred steps plays under rltui eval."""

import numpy as np
import pytest

from rltui.cli import main
from rltui.errors import RltuiError
from rltui.share.sb3 import load_agent

sb3 = pytest.importorskip("stable_baselines3", reason="the share extra is not installed")
gym = pytest.importorskip("gymnasium")


def _train(env_id: str, path, **kwargs) -> str:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny net: one thread is ~20x faster than two on a busy 2-core machine
    try:
        return _learn(env_id, path, **kwargs)
    finally:
        torch.set_num_threads(threads)


def _learn(env_id: str, path, **kwargs) -> str:
    env = gym.make(env_id, **kwargs)
    model = sb3.DQN("MlpPolicy", env, learning_starts=50, buffer_size=1_000, train_freq=4, seed=0, device="cpu",
                    policy_kwargs={"net_arch": [32]})
    model.learn(300)
    model.save(path)
    return str(path)


@pytest.fixture(scope="module")
def frozen_zip(tmp_path_factory):
    return _train("FrozenLake-v1", tmp_path_factory.mktemp("sb3") / "frozen.zip", map_name="4x4")


def _sb3_returns(path: str, env_id: str, seeds, **kwargs) -> list[float]:
    """The same greedy episodes played by SB3 itself, on Gymnasium's env."""
    model = sb3.DQN.load(path, device="cpu")
    env = gym.make(env_id, **kwargs)
    returns = []
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, reward, terminated, truncated, _ = env.step(int(action))
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    return returns


def test_sb3_dqn_plays_under_rltui_eval(frozen_zip, capsys):
    assert main(["eval", f"sb3:{frozen_zip}", "--env", "FrozenLake4x4", "--trust", "--episodes", "5",
                 "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "sb3-dqn on FrozenLake4x4" in out and "300 steps" in out
    agent, _ = load_agent(f"sb3:{frozen_zip}", "FrozenLake4x4", trust=True)
    from rltui.training.evaluation import evaluate

    result = evaluate(agent, "FrozenLake4x4", 5, 3)
    assert result.returns == _sb3_returns(frozen_zip, "FrozenLake-v1", range(3, 8), map_name="4x4")
    assert f"{result.mean:.3f} ± {result.std:.3f}" in out


def test_q_values_for_boards_match_the_model(frozen_zip):
    agent, _ = load_agent(f"sb3:{frozen_zip}", "FrozenLake4x4", trust=True)
    q = agent.q_values()
    assert q.shape == (16, 4)
    model = agent.model
    for state in (0, 5, 14):
        action, _ = model.predict(state, deterministic=True)
        assert int(np.argmax(q[state])) == int(action) == agent.act(state, False)
    from rltui.envs import make_env
    from rltui.play.board import q_overlay

    env = make_env("FrozenLake4x4")
    env.reset(seed=0)
    overlay = q_overlay(env, q)
    assert overlay is not None and overlay.greedy.shape == (4, 4)


def test_vector_env_model_plays_and_records_at_native_size(tmp_path):
    path = _train("CartPole-v1", tmp_path / "cart.zip")
    agent, header = load_agent(f"sb3:{path}", "CartPole", trust=True)
    assert agent.q_values() is None  # no table of states for a vector observation
    from rltui.training.evaluation import evaluate

    result = evaluate(agent, "CartPole", 2, 0)
    assert result.returns == _sb3_returns(path, "CartPole-v1", [0, 1])
    iio = pytest.importorskip("imageio.v3")
    from rltui.share.video import record_agent

    out, played = record_agent(agent, "CartPole", tmp_path / "cart.gif", seed=0)
    assert played[0].ret == result.returns[0]
    frames = iio.imread(out, index=None)
    assert frames.shape[0] == result.lengths[0] + 1 and frames.shape[2] == 600  # CartPole's native width


def test_compare_against_an_sb3_agent(frozen_zip, capsys):
    from rltui.play.session import replay
    from rltui.training.store import RunStore

    played = replay("FrozenLake4x4", 2, [1, 2, 1, 2, 1, 2, 1, 2] * 5)
    RunStore.open().add_human_episode("FrozenLake4x4", 2, played.actions, played.rewards)
    assert main(["compare", "FrozenLake4x4", "--agent", f"sb3:{frozen_zip}", "--seeds", "2", "--trust"]) == 0
    assert "kept as comparison" in capsys.readouterr().out
    assert main(["compare", "FrozenLake4x4", "--agent", f"sb3:{frozen_zip}", "--seeds", "2"]) == 2


def test_loading_needs_trust_the_right_env_and_a_real_file(frozen_zip, tmp_path, capsys):
    assert main(["eval", f"sb3:{frozen_zip}", "--env", "FrozenLake4x4"]) == 2
    err = capsys.readouterr().err
    assert "pickles" in err and "--trust" in err
    with pytest.raises(RltuiError, match="does not say which rltui env"):
        load_agent(f"sb3:{frozen_zip}", None, trust=True)
    with pytest.raises(RltuiError, match="Discrete\\(16\\)"):
        load_agent(f"sb3:{frozen_zip}", "CartPole", trust=True)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(RltuiError, match="not an SB3 model"):
        load_agent(f"sb3:{bad}", "FrozenLake4x4", trust=True)
    with pytest.raises(RltuiError, match="no such file"):
        load_agent(f"sb3:{tmp_path / 'missing.zip'}", "FrozenLake4x4", trust=True)
