"""Demos: kept human episodes replay into the agent's own observations and teach it."""

import numpy as np
import pytest

from rltui.agents import make_agent
from rltui.envs import make_training_env
from rltui.errors import RltuiError
from rltui.play.session import replay
from rltui.training.config import TrainConfig
from rltui.training.demos import learn_from_demos, load_demos, parse_demo_ids, replay_demo
from rltui.training.evaluation import evaluate
from rltui.training.store import RunStore
from rltui.training.trainer import Trainer

ENV = "FrozenLake4x4-NoSlip"
GOOD = [1, 1, 2, 2, 1, 2]  # down, down, right, right, down, right: the goal


def keep(store, env, seed, actions):
    played = replay(env, seed, actions)
    return store.add_human_episode(env, seed, played.actions, played.rewards)


def test_a_kept_episode_replays_into_the_agents_observations():
    store = RunStore.open()
    eid = keep(store, "GridWorld", 4, [0, 1, 1, 2, 3, 3, 2, 2, 1, 0] * 5)
    [episode] = load_demos(store, "GridWorld", "q", [eid])
    assert len(episode) == 50 and episode[-1].truncated
    env = make_training_env("GridWorld", tabular=True)  # what the tabular agent sees
    obs, _ = env.reset(seed=4)
    for tr in episode:
        assert tr.obs == obs
        obs, reward, *_ = env.step(tr.action)
        assert tr.next_obs == obs and tr.reward == reward
    assert sum(tr.reward for tr in episode) == store.human_episodes("GridWorld")[0]["ret"]


def test_tabular_q_from_one_demo_walks_the_demo():
    store = RunStore.open()
    keep(store, ENV, 0, GOOD)
    env = make_training_env(ENV, tabular=True)
    agent = make_agent("q", env.observation_space, env.action_space, {"q_init": 0.0})
    assert evaluate(agent, ENV, 5, seed=0).success_rate == 0.0
    learn_from_demos(agent, load_demos(store, ENV, "q", None))
    assert evaluate(agent, ENV, 5, seed=0).success_rate == 1.0
    assert agent.metrics()["epsilon"] == agent.hp.epsilon_start  # demos are not training steps


def test_trainer_starts_from_demos_and_records_the_run():
    store = RunStore.open()
    keep(store, ENV, 0, GOOD)
    # No optimism: with Q starting at 1 every untried action looks as good as the demo's.
    hparams = {"epsilon_start": 0.0, "epsilon_end": 0.0, "q_init": 0.0}
    trainer = Trainer(TrainConfig(ENV, "q", 50, seed=0, demos="all", hparams=hparams), store=store)
    assert trainer.run().status == "finished"
    assert evaluate(trainer.agent, ENV, 3, seed=0).success_rate == 1.0
    assert store.get_run(trainer.run_id)["config"]["demos"] == "all"


def test_a_demo_that_no_longer_replays_is_named():
    with pytest.raises(RltuiError, match="human episode 7 does not replay"):
        replay_demo(ENV, "q", 0, GOOD, [0, 0, 0, 0, 0, 0.5], label="human episode 7")


@pytest.mark.parametrize("call, message", [
    (lambda s: load_demos(s, "Pong", "dqn", None), "skips frames"),
    (lambda s: load_demos(s, ENV, "q", [42]), "no human episode(s) 42"),
    (lambda s: load_demos(s, ENV, "q", None), "no human episodes kept"),
    (lambda s: parse_demo_ids("three"), "--demos takes"),
])
def test_bad_demo_requests_are_one_line(call, message):
    with pytest.raises(RltuiError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(RunStore.open())


def test_demo_transitions_are_copies():
    episode = replay_demo("CartPole", "dqn", 3, [0, 1, 0, 1])
    assert all(isinstance(tr.obs, np.ndarray) for tr in episode)
    assert not np.shares_memory(episode[0].next_obs, episode[1].obs)
    assert np.array_equal(episode[0].next_obs, episode[1].obs)


def test_cli_train_from_demos(capsys):
    store = RunStore.open()
    keep(store, ENV, 0, GOOD)
    from rltui.cli import main

    assert main(["train", ENV, "--algo", "q", "--steps", "20", "--demos", "all", "--quiet",
                 "--set", "q_init=0", "--set", "epsilon_start=0", "--set", "epsilon_end=0"]) == 0
    out = capsys.readouterr().out
    assert "learned first from" in out and "1 of your episode(s)" in out  # the summary says so
    run_id = max(run["id"] for run in store.list_runs(limit=5))
    assert main(["runs", "show", str(run_id)]) == 0
    assert "your kept play on" in capsys.readouterr().out  # and so does the run, later
    assert main(["train", ENV, "--algo", "q", "--steps", "20", "--demos", "9", "--quiet"]) == 2
    assert "no human episode(s) 9" in capsys.readouterr().err


def _key(*parts) -> bytes:
    return b"|".join(np.asarray(p, dtype=np.float64).tobytes() for p in parts)


def test_a_demo_round_trips_through_the_store_into_dqn_replay_unchanged():
    store = RunStore.open()
    rng = np.random.default_rng(0)
    for seed in (1, 2):
        keep(store, "GridWorld", seed, rng.integers(0, 4, size=50).tolist())
    episodes = load_demos(store, "GridWorld", "dqn", None)
    env = make_training_env("GridWorld")
    agent = make_agent("dqn", env.observation_space, env.action_space, {"hidden": "32", "batch_size": 16})
    agent.learn_from_demos(episodes, passes=1)
    demo = {_key(t.obs, t.action, t.reward, t.next_obs, t.terminated) for e in episodes for t in e}
    assert len(agent.buffer) == 100  # (some transitions repeat: bumping into a wall twice)
    seen = set()
    for _ in range(100):
        b = agent.buffer.sample(64, rng)
        for i in range(64):
            k = _key(b.obs[i], b.actions[i], b.rewards[i], b.next_obs[i], b.terminated[i])
            assert k in demo  # nothing invented, nothing altered
            seen.add(k)
    assert seen == demo  # and nothing lost
    assert agent.steps == 0 and agent.epsilon == agent.cfg.eps_start  # demos are not env steps


def test_dqn_pretrained_on_ten_scripted_cartpole_demos_balances_without_any_env_step():
    store = RunStore.open()
    env = make_training_env("CartPole")
    for seed in range(10):
        obs, _ = env.reset(seed=100 + seed)
        actions, rewards, done = [], [], False
        while not done:
            actions.append(int(3 * obs[2] + obs[3] > 0))  # push toward where the pole falls
            obs, r, term, trunc, _ = env.step(actions[-1])
            rewards.append(r)
            done = term or trunc
        store.add_human_episode("CartPole", 100 + seed, actions, rewards)
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    agent = make_agent("dqn", env.observation_space, env.action_space, {"hidden": "64,64", "lr": 1e-3}, seed=0)
    random_mean = evaluate(make_agent("dqn", env.observation_space, env.action_space, {"hidden": "8"}),
                           "CartPole", 5, seed=0).mean
    learn_from_demos(agent, load_demos(store, "CartPole", "dqn", None), passes=10)
    after = evaluate(agent, "CartPole", 5, seed=0).mean
    assert after >= 200 and after > 5 * random_mean, (random_mean, after)


def test_demos_with_parallel_envs_are_refused():
    with pytest.raises(RltuiError, match="one-env run"):
        TrainConfig("CartPole", "dqn", 100, demos="all", n_envs=2).check()
