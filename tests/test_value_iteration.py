"""Value iteration: the known answers (FrozenLake 0.74, the book's three-state MDP) and the gap figures."""

import numpy as np
import pytest

from rltui.agents.value_iteration import (
    build_model,
    finite_horizon_values,
    gap_to_optimal,
    greedy_policy,
    reach_probability,
    value_iteration,
)
from rltui.envs import make_training_env
from rltui.errors import RltuiError
from rltui.training.config import TrainConfig
from rltui.training.evaluation import evaluate
from rltui.training.trainer import Trainer


def _model_of(name):
    env = make_training_env(name, tabular=True)
    return env.unwrapped, env.observation_space.n, env.action_space.n


def test_frozenlake_4x4_policy_succeeds_74_percent():
    inner, n_s, n_a = _model_of("FrozenLake4x4")
    V, Q = value_iteration(inner.P, n_s, n_a, 0.99)
    policy = greedy_policy(Q)
    exact = reach_probability(build_model(inner.P, n_s, n_a), policy, horizon=100)
    assert exact == pytest.approx(0.740, abs=0.002)
    assert V[0] == pytest.approx(Q[0].max())
    # The same figure by playing: the VI agent through the Trainer, evaluated on 1,000 seeded episodes.
    trainer = Trainer(TrainConfig("FrozenLake4x4", "vi", 1000, eval_every=0))
    trainer.run()
    assert trainer.agent.converged
    assert np.allclose(trainer.agent.q_values(), Q, atol=1e-6)
    played = evaluate(trainer.agent, "FrozenLake4x4", 1000, seed=0)
    assert played.success_rate == pytest.approx(0.74, abs=0.04)


def test_finite_horizon_optimum_bounds_stationary_policies():
    inner, n_s, n_a = _model_of("FrozenLake8x8")
    model = build_model(inner.P, n_s, n_a)
    _, Q = value_iteration(inner.P, n_s, n_a, 0.99)
    stationary = reach_probability(model, greedy_policy(Q), horizon=200)
    best = finite_horizon_values(model, 200)[0]
    assert stationary == pytest.approx(0.863, abs=0.005)  # the gamma=0.99 policy is in a hurry
    assert best == pytest.approx(0.913, abs=0.005)
    assert best > stationary


@pytest.mark.parametrize("gamma, policy", [(0.90, [0, 0, 1]), (0.95, [0, 2, 1])])
def test_three_state_mdp_matches_the_book(gamma, policy):
    # Géron's MDP: at gamma 0.90 the -50 toll (s1, a2) is not worth it; at 0.95 it is.
    inner, n_s, n_a = _model_of("ThreeStateMDP")
    mask = inner.action_masks.astype(bool)
    _, Q = value_iteration(inner.P, n_s, n_a, gamma, action_mask=mask)
    assert greedy_policy(Q, mask).tolist() == policy


def test_gap_to_optimal():
    inner, n_s, n_a = _model_of("FrozenLake4x4")
    _, Q = value_iteration(inner.P, n_s, n_a, 0.99)
    same = gap_to_optimal(Q, Q)
    assert same.max_abs == 0 and same.agreement == 1.0
    assert same.states == 11  # 16 cells less 4 holes and the goal, where every action is worth 0
    worse = Q.copy()
    worse[0] = Q[0][::-1] - 0.5
    gap = gap_to_optimal(worse, Q)
    assert gap.max_abs >= 0.5
    assert gap.agreement == pytest.approx(10 / 11)
    with pytest.raises(RltuiError, match="shape"):
        gap_to_optimal(Q[:3], Q)


def test_bad_inputs_are_one_line_errors():
    with pytest.raises(RltuiError, match="toy-text format"):
        value_iteration({0: {0: [(1.0,)]}}, 1, 1, 0.9)
    with pytest.raises(RltuiError, match="gamma"):
        value_iteration({}, 0, 0, 1.5)
    with pytest.raises(RltuiError, match="needs the env's model"):
        Trainer(TrainConfig("GridWorld", "vi", 10))
