"""Our envs are real Gymnasium envs; every catalogue entry builds and steps; errors are one line."""

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from rltui.envs import CATALOGUE, get_entry, make_env, make_training_env
from rltui.envs.gridworld import GridWorldEnv, LocalViewIndex, local_view_index
from rltui.envs.three_state_mdp import ThreeStateMDPEnv
from rltui.errors import RltuiError

OURS = [e.name for e in CATALOGUE if e.ours]


@pytest.mark.parametrize("name", OURS)
def test_our_envs_pass_check_env(name):
    env = make_env(name)
    check_env(env.unwrapped, skip_render_check=False)


@pytest.mark.parametrize("name", OURS)
def test_same_seed_same_episode(name):
    def episode(seed):
        env = make_env(name)
        obs, _ = env.reset(seed=seed)
        env.action_space.seed(seed)
        trace = [np.asarray(obs).tobytes()]
        for _ in range(40):
            obs, r, term, trunc, _ = env.step(env.action_space.sample())
            trace.append((np.asarray(obs).tobytes(), r))
            if term or trunc:
                break
        return trace

    assert episode(3) == episode(3)
    assert episode(3) != episode(4)


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: e.name)
def test_every_catalogue_entry_builds_and_steps(entry):
    env = make_env(entry.name, render_mode="rgb_array")
    env.reset(seed=0)
    env.action_space.seed(0)
    assert env.action_space.n == len(entry.action_names)
    for _ in range(20):
        _, _, term, trunc, _ = env.step(env.action_space.sample())
        if term or trunc:
            env.reset()
    frame = env.render()
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8
    env.close()


# Our label for each ALE action meaning (Pong's paddle moves up on RIGHT).
_ALE_LABELS = {
    "Pong": {"NOOP": "noop", "FIRE": "fire", "RIGHT": "up", "LEFT": "down", "RIGHTFIRE": "up+fire",
             "LEFTFIRE": "down+fire"},
    "Breakout": {"NOOP": "noop", "FIRE": "fire", "RIGHT": "right", "LEFT": "left"},
    "MsPacman": {"NOOP": "noop", "UP": "up", "RIGHT": "right", "LEFT": "left", "DOWN": "down",
                 "UPRIGHT": "up-right", "UPLEFT": "up-left", "DOWNRIGHT": "down-right", "DOWNLEFT": "down-left"},
}


@pytest.mark.parametrize("name", sorted(_ALE_LABELS))
def test_atari_key_labels_match_ale_action_meanings(name):
    env = make_env(name)
    expected = tuple(_ALE_LABELS[name][m] for m in env.unwrapped.get_action_meanings())
    assert get_entry(name).action_names == expected


def test_pixel_training_pipelines():
    pong = make_training_env("Pong")
    obs, _ = pong.reset(seed=0)
    assert obs.shape == (4, 84, 84) and obs.dtype == np.uint8
    car = make_training_env("CarRacing", frame_stack=1)
    obs, _ = car.reset(seed=0)
    assert obs.shape == (84, 84) and obs.dtype == np.uint8


def test_gridworld_rules():
    env = GridWorldEnv(size=5)
    obs, _ = env.reset(seed=1)
    assert obs.shape == (3, 5, 5)
    assert obs[0].sum() == 1 and obs[1].sum() == 4 and obs[2].sum() == 2
    total, steps = 0.0, 0
    done = False
    while not done:
        obs, r, term, trunc, _ = env.step(env.np_random.integers(4))
        total += r
        steps += 1
        # Objects respawn: the counts never change and never overlap the agent.
        assert obs[1].sum() == 4 and obs[2].sum() == 2
        assert (obs.sum(axis=0) <= 1).all()
        done = term or trunc
    assert steps == 50 and not term


def test_gridworld_random_policy_scores_about_two():
    env = GridWorldEnv(size=5)
    returns = []
    for seed in range(300):
        env.reset(seed=seed)
        rng = np.random.default_rng(seed)
        ret = 0.0
        for _ in range(50):
            ret += env.step(int(rng.integers(4)))[1]
        returns.append(ret)
    assert 1.0 < np.mean(returns) < 3.5


def test_gridworld_walls_block_and_partial_view_reads_walls():
    env = GridWorldEnv(size=9, view="partial")
    env.reset(seed=0)
    env.agent[:] = (0, 0)
    env.goals[:] = [(8, 8), (8, 7), (8, 6), (8, 5)]
    env.fires[:] = [(7, 8), (7, 7)]
    obs, r, *_ = env.step(0)  # up into the wall: stays
    assert tuple(env.agent) == (0, 0) and r == 0.0
    assert obs[2, 0].tolist() == [1, 1, 1] and obs[2, :, 0].tolist() == [1, 1, 1]
    assert obs[2, 1, 1] == 0 and obs[2, 2, 2] == 0


def test_local_view_index_is_a_bijection_on_neighbourhoods():
    rng = np.random.default_rng(0)
    seen = {}
    for _ in range(200):
        window = np.zeros((3, 3, 3), dtype=np.uint8)
        codes = rng.integers(0, 4, size=9)
        codes[4] = 0
        for i, code in enumerate(codes):
            if code:
                window[code - 1, i // 3, i % 3] = 1
        idx = local_view_index(window)
        assert 0 <= idx < LocalViewIndex.N_STATES
        assert seen.setdefault(idx, tuple(codes)) == tuple(codes)
    env = make_training_env("GridWorld", tabular=True)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs)


def test_three_state_mdp_model_and_mask():
    env = ThreeStateMDPEnv(max_steps=7)
    obs, info = env.reset(seed=0)
    assert obs == 0 and info["action_mask"].tolist() == [1, 1, 1]
    for s in range(3):
        for a in range(3):
            assert abs(sum(p for p, *_ in env.P[s][a]) - 1.0) < 1e-9
    assert env.P[1][2] == [(1.0, 2, -50.0, False)]
    assert env.action_masks.tolist() == [[1, 1, 1], [1, 0, 1], [0, 1, 0]]
    for i in range(7):
        obs, r, term, trunc, info = env.step(int(np.flatnonzero(info["action_mask"])[0]))
        assert not term and trunc == (i == 6)


def test_masked_cartpole_hides_velocities():
    env = make_env("MaskedCartPole")
    obs, _ = env.reset(seed=0)
    assert obs.shape == (2,)
    assert env.spec.max_episode_steps == 500


def test_unknown_env_lists_valid_names():
    with pytest.raises(RltuiError) as err:
        make_env("FrozenLak")
    message = str(err.value)
    assert "FrozenLak" in message and "FrozenLake4x4" in message and "\n" not in message


def test_bad_option_is_named():
    with pytest.raises(RltuiError, match="slipery"):
        make_env("FrozenLake4x4", slipery=False)
    with pytest.raises(RltuiError, match="GridWorld"):
        make_env("GridWorld", size=1)


def test_catalogue_is_consistent():
    names = [e.name for e in CATALOGUE]
    assert len(names) == len(set(names))
    for e in CATALOGUE:
        keys = [k for b in e.keys for k in b.keys]
        assert len(keys) == len(set(keys)), f"{e.name} binds a key twice"
        assert set(e.action_names) and e.algos
        assert e.turn_based or e.fps > 0
