"""The fast CarRacing observation: close to Gymnasium's drawing on the same states, Gymnasium's episodes
step for step, and checkpoints that move between the two renderers."""

from __future__ import annotations

import numpy as np
import pytest

from rltui.cli import main
from rltui.envs import make_env, make_training_env
from rltui.errors import RltuiError

pytest.importorskip("Box2D")

# Mean absolute difference per frame, 0-255 levels. Measured over 400 frames of two random-ish drives
# (benchmarks/bench_carracing_render.py): 96×96 RGB mean 0.18, worst frame 0.52; the agent's 84×84 grey
# mean 0.24, worst 0.75. A wrong camera, colour or indicator costs several levels.
RGB_TOLERANCE = 1.0
GREY_TOLERANCE = 1.5
GREY = np.array([0.2125, 0.7154, 0.0721])


def _drive(rng: np.random.Generator) -> int:
    """Gas most of the time, some steering: the car visits tiles and the camera turns."""
    return int(rng.choice(5, p=[0.1, 0.15, 0.15, 0.5, 0.1]))


def test_fast_observation_matches_gymnasium_on_the_same_states():
    import cv2

    # Same seed and actions: the same states (the physics is Gymnasium's in both); each env draws its
    # observation inside its own step.
    theirs_env = make_env("CarRacing").unwrapped
    rgb_env = make_env("CarRacing", renderer="fast").unwrapped
    grey_env = make_env("CarRacing", renderer="fast", pixels=84, grey=True).unwrapped
    envs = (theirs_env, rgb_env, grey_env)
    for env in envs:
        env.reset(seed=3)
    rng = np.random.default_rng(3)
    checked = 0
    for frame in range(1, 131):
        action = _drive(rng)
        obs, ours, ours_grey = (env.step(action)[0] for env in envs)
        if frame in (1, 10, 30) or frame % 25 == 0:  # the first second's zoom-in, then driving
            assert ours.shape == obs.shape and ours.dtype == np.uint8
            assert np.abs(ours.astype(int) - obs).mean() < RGB_TOLERANCE, frame
            theirs = cv2.resize(np.sum(obs * GREY, axis=-1).astype(np.uint8), (84, 84), interpolation=cv2.INTER_AREA)
            assert ours_grey.shape == (84, 84)
            assert np.abs(ours_grey.astype(int) - theirs).mean() < GREY_TOLERANCE, frame
            checked += 1
    assert checked == 8
    # Not a blank match: the scene has road, grass, the car and the panel, and a moved car changes it.
    assert len(np.unique(ours.reshape(-1, 3), axis=0)) > 20
    car = rgb_env.car.hull
    car.position = (car.position[0] + 5, car.position[1])
    assert np.abs(rgb_env.observation_renderer.draw(rgb_env).astype(int) - obs).mean() > 3 * RGB_TOLERANCE


def _episode(renderer: str, seed: int, steps: int, **overrides):
    env = make_training_env("CarRacing", renderer=renderer, **overrides)
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    out, frames = [], [obs]
    for _ in range(steps):
        obs, reward, terminated, truncated, _ = env.step(_drive(rng))
        out.append((reward, terminated, truncated))
        frames.append(obs)
        if terminated or truncated:
            break
    return env, out, np.asarray(frames)


def test_fast_episodes_are_gymnasiums_step_for_step():
    gym_env, theirs, their_frames = _episode("gymnasium", 5, 100, max_episode_steps=160)
    fast_env, ours, our_frames = _episode("fast", 5, 100, max_episode_steps=160)
    assert type(fast_env.unwrapped).__name__ == "FastCarRacing"
    assert type(gym_env.unwrapped).__name__ == "CarRacing"
    assert ours == theirs  # rewards, terminations, truncations: identical floats
    assert len(ours) == 40 and ours[-1][2]  # 160 frames, 4 a step: truncated at step 40
    assert sum(r for r, _, _ in ours) > 0  # tiles were visited, not only the -0.1 a frame
    assert our_frames.shape == their_frames.shape == (41, 4, 84, 84)
    assert np.abs(our_frames.astype(int) - their_frames).mean() < GREY_TOLERANCE
    # Leaving the playfield ends both the same way, -100, mid-skip.
    for env in (gym_env, fast_env):
        env.reset(seed=6)
        env.step(3)
        env.unwrapped.car.hull.position = (400.0, 0.0)
    ends = [env.step(3)[1:4] for env in (gym_env, fast_env)]
    assert ends[0] == ends[1] and ends[0][1] is True and ends[0][0] < -99


def test_renderer_option_is_checked():
    with pytest.raises(RltuiError, match="fast renderer draws CarRacing only"):
        make_training_env("CartPole", renderer="fast")
    with pytest.raises(RltuiError, match="renderer must be one of"):
        make_env("CarRacing", renderer="opengl")
    make_training_env("CartPole", renderer="gymnasium").close()  # every env is Gymnasium-drawn
    person = make_env("CarRacing")  # a person plays Gymnasium's own, full-size frames
    assert type(person.unwrapped).__name__ == "CarRacing"


def test_fast_env_pickles_with_its_observation():
    import pickle

    env = make_env("CarRacing", renderer="fast", pixels=84, grey=True).unwrapped
    back = pickle.loads(pickle.dumps(env))
    assert type(back).__name__ == "FastCarRacing" and back.observation_space.shape == (84, 84)
    assert back.reset(seed=0)[0].shape == (84, 84)


def test_fast_trained_checkpoint_evaluates_on_gymnasiums_renderer(tmp_path, capsys, monkeypatch):
    from rltui.training.checkpoints import load_checkpoint

    out = tmp_path / "car.pt"
    assert main(["train", "CarRacing", "--algo", "dqn", "--steps", "60", "--quiet", "--out", str(out),
                 "--eval-every", "0", "--device", "cpu", "--set", "learning_starts=20", "--set", "batch_size=8",
                 "--set", "buffer_size=200", "--set", "hidden=\"32\"",
                 "--env-opt", "max_episode_steps=80"]) == 0
    _, header = load_checkpoint(str(out))
    assert header["env_kwargs"] == {"renderer": "fast", "max_episode_steps": 80}
    import rltui.training.evaluation as evaluation

    built = []
    real = evaluation.make_training_env

    def spy(name, **options):
        env = real(name, **options)
        built.append(type(env.unwrapped).__name__)
        return env

    monkeypatch.setattr(evaluation, "make_training_env", spy)
    capsys.readouterr()
    assert main(["eval", str(out), "--episodes", "1", "--renderer", "gymnasium"]) == 0
    assert "return" in capsys.readouterr().out
    assert built == ["CarRacing"]  # Gymnasium's own env and drawing, not FastCarRacing
