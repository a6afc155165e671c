"""Tabular Q-learning / SARSA: update rules, schedules, greedy cache, masks, and real learning."""

import numpy as np
import pytest
from gymnasium import spaces

from rltui.agents import make_agent
from rltui.agents.tabular import TabularAgent, TabularHparams
from rltui.errors import RltuiError
from rltui.training.config import TrainConfig
from rltui.training.evaluation import evaluate
from rltui.training.trainer import Trainer

S, A = spaces.Discrete(5), spaces.Discrete(3)


def q_agent(**hp) -> TabularAgent:
    return make_agent("q", S, A, hp, seed=0)


def test_bad_hyperparameters_name_the_field():
    with pytest.raises(RltuiError, match="alpha must be in"):
        q_agent(alpha=2)
    with pytest.raises(RltuiError, match="unknown hyperparameter.*bogus"):
        q_agent(bogus=1)
    with pytest.raises(RltuiError, match="epsilon_decay must be one of"):
        q_agent(epsilon_decay="cosine")
    with pytest.raises(RltuiError, match="gamma must be a finite number"):
        q_agent(gamma="high")
    with pytest.raises(RltuiError, match="discrete state space"):
        make_agent("q", spaces.Box(0, 1, (2,)), A, {})
    assert q_agent(alpha="0.5").hp.alpha == 0.5  # CLI strings are parsed


def test_q_learning_update_terminal_and_truncated():
    agent = q_agent(alpha=0.5, gamma=0.9, q_init=0.0)
    agent._q[2] = [0.0, 4.0, 1.0]
    agent.observe(1, 0, 1.0, 2, False, False)  # bootstraps on max Q(2) = 4
    assert agent.q_values()[1, 0] == pytest.approx(0.5 * (1.0 + 0.9 * 4.0))
    agent.observe(3, 1, 1.0, 2, True, False)  # terminal: no bootstrap
    assert agent.q_values()[3, 1] == pytest.approx(0.5)
    agent.observe(4, 2, 0.0, 2, False, True)  # time limit: still bootstraps
    assert agent.q_values()[4, 2] == pytest.approx(0.5 * 0.9 * 4.0)


def test_visit_count_learning_rate_averages():
    agent = q_agent(alpha=0.001, alpha_schedule="visits", alpha_power=1.0, q_init=7.0)
    for r in (1.0, 2.0, 6.0):
        agent.observe(0, 0, r, 1, True, False)
    assert agent.q_values()[0, 0] == pytest.approx(3.0)  # 1/n steps: the plain mean, init forgotten


@pytest.mark.parametrize("decay", ["linear", "exponential", "constant"])
def test_epsilon_schedules(decay):
    agent = q_agent(epsilon_start=1.0, epsilon_end=0.1, epsilon_decay=decay, epsilon_decay_steps=100)
    seen = []
    for _ in range(400):
        agent.observe(0, 0, 0.0, 1, False, False)
        seen.append(agent.metrics()["epsilon"])
    if decay == "constant":
        assert set(seen) == {1.0}
    else:
        assert all(a >= b for a, b in zip(seen, seen[1:]))
        assert seen[-1] == pytest.approx(0.1, abs=0.02)
        if decay == "linear":
            assert seen[99] == pytest.approx(0.1)
    agent.set_epsilon(0.5)
    assert agent.metrics()["epsilon"] == 0.5
    agent.set_epsilon(None)
    assert agent.metrics()["epsilon"] == pytest.approx(seen[-1])


def test_greedy_cache_matches_the_table():
    rng = np.random.default_rng(0)
    agent = q_agent(alpha=0.3, epsilon_start=0.0, epsilon_decay="constant")
    for _ in range(3000):
        s, a, s2 = int(rng.integers(5)), int(rng.integers(3)), int(rng.integers(5))
        agent.observe(s, a, float(rng.normal()), s2, bool(rng.random() < 0.2), False)
    q = agent.q_values()
    for s in range(5):
        assert q[s, agent.act(s, explore=False)] == q[s].max()


def test_exploration_is_seeded_and_spreads():
    a1, a2 = q_agent(epsilon_start=1.0, epsilon_decay="constant"), q_agent(epsilon_start=1.0, epsilon_decay="constant")
    picks1 = [a1.act(0) for _ in range(300)]
    assert picks1 == [a2.act(0) for _ in range(300)]
    assert set(picks1) == {0, 1, 2}


def test_action_mask_is_respected():
    agent = q_agent(epsilon_start=1.0, epsilon_decay="constant")
    mask = np.array([0, 1, 0], dtype=np.int8)
    assert {agent.act(0, True, mask) for _ in range(100)} == {1}
    agent._q[1] = [9.0, 0.0, -1.0]
    agent.observe(0, 1, 0.0, 1, False, False, np.array([0, 0, 1]))  # max over allowed next actions only
    assert agent.q_values()[0, 1] == pytest.approx(0.1 * 0.99 * -1.0)


def test_sarsa_plays_the_action_it_bootstrapped_on():
    agent = make_agent("sarsa", S, A, {"epsilon_start": 0.5, "epsilon_decay": "constant"}, seed=3)
    for _ in range(50):
        agent.observe(0, 0, 0.0, 2, False, False)
        chosen = agent._pending[1]
        assert agent.act(2) == chosen
    exp = make_agent("sarsa", S, A, {"expected": True, "epsilon_start": 0.5, "epsilon_decay": "constant",
                                     "alpha": 1.0, "gamma": 1.0}, seed=0)
    exp._q[1] = [3.0, 0.0, 0.0]
    exp.observe(0, 0, 0.0, 1, False, False)
    assert exp.q_values()[0, 0] == pytest.approx(0.5 * 3.0 + 0.5 * 1.0)
    with pytest.raises(RltuiError, match="expected applies to sarsa"):
        q_agent(expected=True)


def test_state_round_trip_and_shape_check():
    agent = q_agent(alpha_schedule="visits")
    for i in range(20):
        agent.observe(i % 5, i % 3, 1.0, (i + 1) % 5, False, False)
    twin = q_agent(alpha_schedule="visits")
    twin.load_state_dict(agent.state_dict())
    assert np.array_equal(twin.q_values(), agent.q_values())
    assert twin.t == 20 and twin._visits == agent._visits
    with pytest.raises(RltuiError, match="shape"):
        twin.load_state_dict({"q": np.zeros((4, 3))})


def _random_eval(env_name: str, episodes: int) -> float:
    class Random(TabularAgent):
        def act(self, obs, explore=True, action_mask=None):
            return int(self._rand() * self.n_actions)

    from rltui.envs import make_training_env

    env = make_training_env(env_name, tabular=True)
    agent = Random("q", env.observation_space.n, env.action_space.n, TabularHparams(), seed=0)
    return evaluate(agent, env_name, episodes, seed=0)


def test_q_learning_beats_random_on_frozenlake():
    trainer = Trainer(TrainConfig("FrozenLake4x4", "q", 15_000, seed=0, eval_every=0))
    assert trainer.run().status == "finished"
    learned = evaluate(trainer.agent, "FrozenLake4x4", 300, seed=0)
    random = _random_eval("FrozenLake4x4", 300)
    assert random.success_rate < 0.05
    assert learned.success_rate > 0.6  # optimum 0.74; random ~0.015


@pytest.mark.parametrize("algo, steps, bar", [("q", 10_000, -13.0), ("sarsa", 30_000, -17.0)])
def test_cliffwalking_learns_a_path(algo, steps, bar):
    # Q-learning finds the optimal edge path (-13); SARSA the safer one (-17: it values the exploring
    # policy it follows, which sometimes steps off an edge path).
    trainer = Trainer(TrainConfig("CliffWalking", algo, steps, seed=0, eval_every=0))
    trainer.run()
    learned = evaluate(trainer.agent, "CliffWalking", 5, seed=0)
    assert learned.mean >= bar
    assert _random_eval("CliffWalking", 3).mean < -1000
