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
    assert main(["train", ENV, "--algo", "q", "--steps", "20", "--demos", "9", "--quiet"]) == 2
    assert "no human episode(s) 9" in capsys.readouterr().err
