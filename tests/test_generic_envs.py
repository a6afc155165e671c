"""Any Gymnasium env: ids of curated envs, generic entries from a probe, refusals, module:EnvId end to end."""

import pathlib
import subprocess
import sys

import numpy as np
import pytest
from test_tui_support import screen_text, start_and_wait_finished, sync

from rltui.cli import main
from rltui.envs import get_entry, make_training_env
from rltui.envs.generic import DiscreteIndex
from rltui.envs.resolve import resolve
from rltui.errors import RltuiError

TESTS = str(pathlib.Path(__file__).resolve().parent)
TINY = "tiny_envs:TinyChain-v0"


@pytest.fixture(autouse=True)
def _tests_importable(monkeypatch):
    monkeypatch.syspath_prepend(TESTS)  # where tiny_envs lives, as a user's package would be installed


def test_ids_of_catalogue_envs_open_the_curated_entries():
    assert get_entry("CartPole-v1").name == "CartPole"
    lake = resolve("FrozenLake-v1")
    assert lake.entry.name == "FrozenLake4x4" and lake.note == ""  # its kwargs are the id's own
    assert get_entry("FrozenLake8x8-v1").name == "FrozenLake8x8"
    pong = resolve("ALE/Pong-v5")
    assert pong.entry.name == "Pong" and "frameskip=1" in pong.note and "4" in pong.note


def test_generic_vector_entry_from_spec_and_probe():
    entry = get_entry("Acrobot-v1")
    assert (entry.name, entry.kind, entry.family, entry.source) == ("Acrobot-v1", "vector", "generic", "generic")
    assert entry.solved == -100.0 and entry.max_steps == 500 and entry.fps == 0  # no noop known: turn-based
    assert entry.turn_based and entry.play_render == "rgb_array" and entry.algos[0] == "dqn"
    assert [b.keys for b in entry.keys] == [("1",), ("2",), ("3",)] and entry.action_names == ("a0", "a1", "a2")
    assert get_entry("Acrobot-v1") is entry  # cached: probed once per process


def test_tuple_states_become_one_index_for_tabular_agents():
    entry = get_entry("Blackjack-v1")
    assert entry.kind == "tabular" and entry.algos[0] == "q" and "vi" not in entry.algos
    env = make_training_env("Blackjack-v1", tabular=True)
    assert isinstance(env, DiscreteIndex) and env.observation_space.n == 32 * 11 * 2
    seen = set()
    for seed in range(30):
        obs, _ = env.reset(seed=seed)
        assert 0 <= obs < env.observation_space.n
        seen.add(obs)
    assert len(seen) > 10


def test_unknown_name_says_what_names_work():
    with pytest.raises(RltuiError, match="not a catalogue name.*did you mean CartPole-v1"):
        get_entry("CartPole-v9")


@pytest.mark.parametrize("name, words", [
    ("Pendulum-v1", "continuous actions"),
    ("LunarLanderContinuous-v3", "discrete actions only"),
    ("tiny_envs:TinyDict-v0", "observes Dict("),
    ("no_such_module_xyz:Env-v0", "cannot import module"),
])
def test_unusable_envs_are_refused_in_one_line(name, words, capsys):
    assert main(["train", name]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err and "Traceback" not in err


def test_ale_game_outside_the_catalogue_gets_its_own_keys():
    entry = get_entry("ALE/Freeway-v5")
    assert entry.family == "atari" and entry.kind == "pixels" and not entry.turn_based and entry.fps == 60
    keys = {b.label: b.keys for b in entry.keys}
    assert keys["up"] == ("w",) and keys["down"] == ("s",) and entry.noop_action == 0


def test_ale_game_plays_frames_and_trains_end_to_end(tmp_path):
    from rltui.play.realtime import frame_of
    from rltui.play.session import HumanSession

    session = HumanSession("ALE/Freeway-v5", seed=0, render=True)
    session.reset()
    for _ in range(5):
        session.step(1)
    frame = frame_of(session).view
    assert isinstance(frame, np.ndarray) and frame.shape[2] == 3 and session.step_count == 5
    session.close()
    ckpt = tmp_path / "freeway.pt"
    assert main(["train", "ALE/Freeway-v5", "--steps", "300", "--quiet", "--device", "cpu", "--out", str(ckpt),
                 "--set", "learning_starts=100", "--set", "buffer_size=1000", "--set", "train_freq=8",
                 "--set", "batch_size=8", "--eval-every", "0"]) == 0
    from rltui.training.checkpoints import load_checkpoint

    agent, header = load_checkpoint(ckpt)
    assert header["env"] == "ALE/Freeway-v5" and header["steps"] == 300


@sync
async def test_module_env_is_played_trained_evaluated_and_compared(tmp_path, capsys):
    from rltui.tui.app import RltuiApp

    # Played in the app: 2 is "right" (labelled from get_action_meanings), the picture is its ansi render.
    app = RltuiApp(start=("play", TINY), play_seed=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "A" in app.screen.last.view and "right" in screen_text(app)
        for _ in range(6):
            if app.screen.session.done:
                break
            await pilot.press("2")
            await pilot.pause()
        assert app.screen.session.done and app.screen.session.ret > 0.9
        kept = app.store.human_episodes(TINY)
        assert len(kept) == 1 and kept[0]["seed"] == 0
    # Trained with q, evaluated, compared with the person on seed 0.
    ckpt = tmp_path / "tiny.npz"
    assert main(["train", TINY, "--algo", "q", "--steps", "3000", "--quiet", "--out", str(ckpt)]) == 0
    capsys.readouterr()
    assert main(["eval", str(ckpt), "--episodes", "20"]) == 0
    out = capsys.readouterr().out
    mean = float(out.split("return", 1)[1].split("±")[0].strip().strip("│").strip())
    assert mean > 0.9  # random wanders ~10 steps and mostly times out (see the random check below)
    assert main(["compare", TINY, "--agent", str(ckpt), "--seeds", "0"]) == 0
    out = capsys.readouterr().out
    assert "kept as comparison" in out
    # The checkpoint carries what rebuilds the env: the id, its module and kwargs.
    from rltui.training.checkpoints import load_checkpoint

    _, header = load_checkpoint(ckpt)
    assert header["env"] == TINY and header["env_id"] == "TinyChain-v0" and header["env_module"] == "tiny_envs"
    # --resume continues it.
    assert main(["train", TINY, "--resume", str(ckpt), "--steps", "200", "--quiet", "--out", str(ckpt)]) == 0


def test_random_policy_on_the_tiny_chain_is_far_below_the_trained_one():
    env = make_training_env(TINY, tabular=True)
    rng = np.random.default_rng(0)
    returns = []
    for i in range(20):
        env.reset(seed=1_000_000 + i)
        total, done = 0.0, False
        while not done:
            _, r, term, trunc, _ = env.step(int(rng.integers(2)))
            total, done = total + r, term or trunc
        returns.append(total)
    assert np.mean(returns) < 0.6


def test_our_envs_register_for_any_code():
    code = ("import gymnasium as gym; env = gym.make('rltui.envs:rltui/GridWorld-v0'); env.reset(seed=0); "
            "import rltui.envs; print(gym.make('rltui/ThreeStateMDP-v0').spec.id)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "rltui/ThreeStateMDP-v0"


def test_generic_presets_apply_by_kind_and_user_files_layer_over_them(tmp_path, monkeypatch):
    from rltui.training import presets

    vector = presets.resolve("dqn", "Acrobot-v1")
    assert "dqn.toml [generic.vector]" in vector.layers and vector.train["steps"] == 100_000
    assert "dqn.toml [generic.vector]" not in presets.resolve("dqn", "CartPole").layers  # curated: its own
    folder = tmp_path / "config" / "presets"
    folder.mkdir(parents=True)
    (folder / "dqn.toml").write_text("[generic.vector]\nlr = 0.01\n[preset.mine]\nabout = 'mine'\ngamma = 0.9\n")
    monkeypatch.setenv("RLTUI_CONFIG", str(tmp_path / "config"))
    mine = presets.resolve("dqn", "Acrobot-v1", "mine")
    assert mine.hparams["lr"] == 0.01 and mine.hparams["gamma"] == 0.9 and "mine" in presets.preset_names("dqn")
    extra = tmp_path / "extra.toml"
    extra.write_text("[env.Acrobot-v1]\nlr = 0.002\n[env.Acrobot-v1.train]\nsteps = 1234\n")
    both = presets.resolve("dqn", "Acrobot-v1", preset_file=str(extra))
    assert both.hparams["lr"] == 0.002 and both.train["steps"] == 1234
    with pytest.raises(RltuiError, match="no such file"):
        presets.resolve("dqn", "Acrobot-v1", preset_file=str(tmp_path / "missing.toml"))


def test_presets_command_lists_generic_and_user_presets(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RLTUI_CONFIG", str(tmp_path))
    assert main(["presets", "dqn"]) == 0
    out = capsys.readouterr().out
    assert "any vector env nobody" in out and "--preset gpu" in out and str(tmp_path) in out
    assert main(["presets", "dqn", "--env", "LunarLander-v3"]) == 0
    assert "generic.vector" in capsys.readouterr().out
    assert main(["presets", "nope"]) == 2


def test_envs_all_lists_registered_envs_grouped(capsys):
    assert main(["envs", "--all"]) == 0
    out = capsys.readouterr().out
    assert out.index("CartPole") < out.index("LunarLander-v3") and "Acrobot-v1" in out
    assert "ALE/Freeway-v5" in out and "continuous actions" in out and "Pendulum-v1" in out


def test_plugins_add_curated_entries(monkeypatch):
    import importlib.metadata

    from rltui.envs import catalogue, plugins
    from rltui.envs import resolve as resolve_mod

    entry = catalogue.EnvEntry("CourseChain", "TinyChain-v0", "Course chain", "A teacher's chain.", "grid",
                               "generic", (catalogue.KeyBinding(("left",), 0, "left"),
                                           catalogue.KeyBinding(("right",), 1, "right")), ("q",))

    class FakePoint:
        name, module, dist = "course", "tiny_envs", None

        def load(self):
            return [entry]

    monkeypatch.setattr(importlib.metadata, "entry_points",
                        lambda group: [FakePoint()] if group == plugins.GROUP else [])
    plugins.plugin_entries.cache_clear()
    resolve_mod._resolve.cache_clear()
    try:
        got = get_entry("coursechain")
        assert got.source == "plugin:tiny_envs" and got.module == "tiny_envs" and got.key_help() == "← left · → right"
        env = make_training_env("CourseChain", tabular=True)
        assert env.observation_space.n == 5
    finally:
        plugins.plugin_entries.cache_clear()
        resolve_mod._resolve.cache_clear()


@sync
async def test_pick_opens_a_typed_gymnasium_id_into_play():
    from rltui.tui.app import RltuiApp
    from rltui.tui.screens.play import PlayScreen

    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"Acrobot-v1")
        await pilot.pause()
        assert "open Acrobot-v1" in screen_text(app)
        await pilot.press("enter")
        for _ in range(50):  # the probe runs in a worker thread
            await pilot.pause(0.1)
            if app.screen.current is not None:
                break
        assert app.screen.current.name == "Acrobot-v1"
        assert "-100" in screen_text(app)  # Gymnasium's reward_threshold as the solved bar
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen)
        await pilot.press("1", "3")
        await pilot.pause()
        assert app.screen.session.step_count == 2 and app.screen.last.view is not None
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("slash", *"Pendulum-v1", "enter")
        for _ in range(50):
            await pilot.pause(0.1)
            if "continuous actions" in screen_text(app):
                break
        assert "continuous actions" in screen_text(app)


@sync
async def test_train_screen_trains_a_module_env_in_its_worker_process():
    from textual.widgets import Input

    from rltui.tui.app import RltuiApp

    app = RltuiApp(start=("train", TINY))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        screen = app.screen
        await start_and_wait_finished(pilot, 2000)
        run = app.store.get_run(screen.run_id)
        assert run["env"] == TINY and run["algo"] == "q" and run["steps"] == 2000
        # Watch the agent while a second run trains: the env's own ansi picture in the frame panel.
        screen.query_one("#hp-steps", Input).value = "100000000"
        await pilot.pause()
        await pilot.press("s")
        frame = screen.query_one("#qframe")
        for _ in range(300):
            await pilot.pause(0.1)
            if screen.run_id and screen.live is not None and screen.live.progress is not None:
                break
        await pilot.press("w")
        for _ in range(100):
            await pilot.pause(0.1)
            if isinstance(frame.frame, str):
                break
        assert isinstance(frame.frame, str) and "A" in frame.frame
        await pilot.press("x")
        for _ in range(300):
            await pilot.pause(0.1)
            if screen.finished is not None and screen.finished.status == "stopped":
                break
        assert screen.finished.status == "stopped"


@sync
async def test_play_switches_between_turn_based_and_real_time():
    from rltui.tui.app import RltuiApp

    app = RltuiApp(start=("play", "Acrobot-v1"), play_seed=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.screen.realtime and app.screen.loop is None  # no noop known: turn-based
        await pilot.press("m")
        await pilot.pause()
        screen = app.screen
        assert screen.realtime and screen.loop is not None
        for _ in range(50):
            await pilot.pause(0.1)
            if screen.last is not None and screen.last.step > 3:
                break
        assert screen.last.step > 3  # the clock runs without keys
        await pilot.press("m")
        await pilot.pause()
        assert not app.screen.realtime and screen.loop is None  # the real-time screen was closed


@sync
async def test_watch_a_module_env_checkpoint(tmp_path):
    from rltui.tui.app import RltuiApp

    ckpt = tmp_path / "tiny.npz"
    assert main(["train", TINY, "--algo", "q", "--steps", "2000", "--quiet", "--out", str(ckpt)]) == 0
    app = RltuiApp(start=("watch", TINY), watch={"checkpoint": str(ckpt), "episodes": 2, "seed": 0, "env": TINY})
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            await pilot.pause(0.1)
            last = getattr(app.screen, "last", None)
            if last is not None and last.episodes_played >= 2:
                break
        assert app.screen.last.episodes_played >= 2 and app.screen.returns[0] > 0.9
        assert app.screen.last.view == "....A"  # the env's own ansi picture: the agent on the goal
