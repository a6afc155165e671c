"""The UI-free play layer: key maps, human sessions that replay exactly, boards, half-blocks, the game loop."""

import time

import numpy as np
import pytest
from rich.console import Console

from rltui.envs import CATALOGUE
from rltui.play import viewer as viewer_module
from rltui.play.board import board_of, q_overlay
from rltui.play.keymaps import RESERVED_KEYS, KeyMap
from rltui.play.realtime import GameLoop, view_of
from rltui.play.render_terminal import HalfBlockFrame, downscale, fit
from rltui.play.session import HumanSession, replay
from rltui.play.viewer import Viewer, display_problem


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: e.name)
def test_every_action_has_a_key_the_app_does_not_reserve(entry):
    keymap = KeyMap.for_env(entry)
    assert set(keymap.actions.values()) == set(range(keymap.n_actions))
    assert not set(keymap.actions) & RESERVED_KEYS


def test_pygame_key_names_map_like_terminal_ones():
    keymap = KeyMap.for_env("Taxi")
    assert keymap.action_for("return") == keymap.action_for("enter") == 5
    assert keymap.action_for("UP") == keymap.action_for("w") == 1
    assert keymap.action_for("x") is None


def test_human_episodes_are_recorded_and_replay_exactly():
    finished = []
    session = HumanSession("FrozenLake4x4", seed=7, on_episode_end=finished.append)
    rng = np.random.default_rng(0)
    while len(finished) < 3:
        if session.done or session.episode == 0:
            session.reset()
        session.step(int(rng.integers(4)))
    assert [r.seed for r in finished] == [7, 8, 9]
    assert session.episodes_played == 3
    assert session.best_return == max(r.ret for r in finished)
    for record in finished:
        again = replay("FrozenLake4x4", record.seed, record.actions)
        assert again.rewards == record.rewards and again.done


def test_frozenlake_board_follows_the_agent():
    session = HumanSession("FrozenLake4x4-NoSlip", seed=0)
    session.reset()
    assert board_of(session.env).agent == (0, 0)
    session.step(2)  # right
    session.step(1)  # down
    board = board_of(session.env)
    assert board.agent == (1, 1) and board.shape == (4, 4)
    assert board.cells[1][1].glyph == "○"  # a hole: the episode is over
    assert session.done and session.ret == 0.0


def test_q_overlay_puts_greedy_actions_on_cells():
    session = HumanSession("FrozenLake4x4", seed=0)
    session.reset()
    q = np.zeros((16, 4))
    q[5, 3] = 1.0
    overlay = q_overlay(session.env, q)
    assert overlay.greedy[1, 1] == 3 and overlay.value[1, 1] == 1.0 and overlay.hi == 1.0
    session = HumanSession("GridWorld", seed=0)
    session.reset()
    assert q_overlay(session.env, np.zeros((4**8, 4))) is None


def test_taxi_board_shows_walls_passenger_and_destination():
    session = HumanSession("Taxi", seed=1)
    session.reset()
    board = board_of(session.env)
    assert board.cells[0][1].wall_right and not board.cells[0][0].wall_right
    assert "passenger at" in board.caption and "☺" in "".join(c.glyph for row in board.cells for c in row)


def test_halfblocks_fit_and_keep_aspect():
    assert fit(210, 160, 80, 20) == (30, 20)
    img = np.zeros((4, 4, 3), np.uint8)
    img[:2] = 255
    assert downscale(img, 2, 2)[:, :, 0].tolist() == [[255, 255], [0, 0]]
    console = Console(width=20, color_system="truecolor", record=True)
    console.print(HalfBlockFrame(img, max_rows=2))
    text = console.export_text()
    assert text.count("▀") == 8 and len(text.splitlines()) == 2


def test_cartpole_is_drawn_without_pygame():
    session = HumanSession("CartPole", seed=0)
    session.reset()
    view = view_of(session.env)
    assert isinstance(view, np.ndarray) and view.ndim == 3


def test_no_display_means_no_window_and_a_reason(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    assert "no window" in display_problem()
    viewer = Viewer("test")
    assert viewer.start() is False and "no window" in viewer.error and not viewer.running


def test_game_loop_holds_a_terminal_key_then_falls_back_to_noop():
    frames = []
    session = HumanSession("CartPole", seed=0)
    loop = GameLoop(session, fps=200, on_step=frames.append, hold_s=60.0)
    loop.press(1)
    loop.start()
    deadline = time.monotonic() + 20
    while not (frames and frames[-1].done) and time.monotonic() < deadline:
        time.sleep(0.01)
    loop.stop()
    assert frames[-1].done and set(session.record.actions) == {1}  # pushing right until it falls
    assert loop.error is None


def test_game_loop_plays_an_agent_for_n_episodes():
    frames = []
    session = HumanSession("FrozenLake4x4-NoSlip", seed=0)
    plan = iter([1, 1, 2, 1, 2, 2] * 2)
    loop = GameLoop(session, fps=200, on_step=frames.append, policy=lambda obs, mask: next(plan), max_episodes=1)
    loop.start()
    deadline = time.monotonic() + 20
    while loop._thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    loop.stop()
    assert session.episodes_played == 1 and frames[-1].ret == 1.0 and frames[-1].view.agent == (3, 3)


def test_the_window_process_starts_draws_and_closes(monkeypatch):
    # SDL's offscreen driver: a real window surface with no display, so the whole path runs here
    monkeypatch.setenv("SDL_VIDEODRIVER", "offscreen")
    monkeypatch.setattr(viewer_module, "display_problem", lambda: None)
    viewer = Viewer("test")
    assert viewer.start(), viewer.error
    try:
        kinds: list[str] = []
        deadline = time.monotonic() + 60
        while "ready" not in kinds and time.monotonic() < deadline:
            kinds += [e.kind for e in viewer.poll()]
            time.sleep(0.05)
        assert "ready" in kinds
        frame = np.zeros((96, 128, 3), dtype=np.uint8)
        frame[:, :64] = 255
        for _ in range(5):
            viewer.show(frame)
            time.sleep(0.05)
        time.sleep(0.3)
        kinds += [e.kind for e in viewer.poll()]
        assert "error" not in kinds and viewer.running, viewer.error
    finally:
        proc = viewer._proc
        viewer.close()
    deadline = time.monotonic() + 20  # close() reaps it on a thread of its own: poll, don't join
    while proc.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not proc.is_alive()
