"""The save key on Play and Watch: what was just played becomes a GIF in the data dir, one frame per step
plus the first; a watched SB3 model's board shows its Q-values."""

import asyncio
import time

import pytest
from test_tui_support import sync

from rltui.tui.app import RltuiApp
from rltui.tui.screens.play import PlayScreen

iio = pytest.importorskip("imageio.v3", reason="the share extra is not installed")


async def _wait_for_video(app, pilot, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    folder = app.data_dir / "videos"
    while time.monotonic() < deadline:
        done = [p for p in folder.glob("*.gif") if not p.name.startswith(".")] if folder.exists() else []
        if done:
            return done[0]
        await pilot.pause(0.1)
        await asyncio.sleep(0.05)
    raise AssertionError("no video was saved")


@sync
async def test_g_on_play_saves_the_last_episode():
    app = RltuiApp(start=("play", "FrozenLake4x4-NoSlip"), play_seed=3)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen)
        await pilot.press("g")  # nothing played yet: a message, no file
        await pilot.pause()
        assert not (app.data_dir / "videos").exists()
        await pilot.press("right", "right", "down", "down", "down", "right")  # to the goal: 6 steps
        await pilot.pause()
        await pilot.press("g")
        path = await _wait_for_video(app, pilot)
        assert "FrozenLake4x4-NoSlip-seed3" in path.name
        assert iio.imread(path, index=None).shape[0] == 6 + 1


def _sb3_model(path) -> None:
    sb3 = pytest.importorskip("stable_baselines3")
    import gymnasium as gym
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = sb3.DQN("MlpPolicy", gym.make("FrozenLake-v1", map_name="4x4"), learning_starts=50, buffer_size=500,
                        seed=0, device="cpu", policy_kwargs={"net_arch": [16]})
        model.learn(100)
    finally:
        torch.set_num_threads(threads)
    model.save(path)


@sync
async def test_an_sb3_agent_in_the_compare_screen(tmp_path):
    from rltui.share.sb3 import load_agent
    from rltui.tui.screens.compare import CompareScreen

    _sb3_model(tmp_path / "m.zip")
    agent, _ = load_agent(f"sb3:{tmp_path / 'm.zip'}", "FrozenLake4x4", trust=True)
    app = RltuiApp(start=("compare", "FrozenLake4x4"), compare={"agent": agent, "agent_label": "sb3", "seeds": "2"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # the seeds are filled in: enter starts
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen) and screen.match is not None
        await pilot.press("right")
        await pilot.pause()
        assert screen.match.human.step_count == 1 and screen.match.agent_session.step_count == 1  # lockstep


@sync
async def test_g_while_watching_saves_the_agents_episode_so_far(tmp_path):
    _sb3_model(tmp_path / "m.zip")
    app = RltuiApp(start=("watch", "FrozenLake4x4"),
                   watch={"checkpoint": f"sb3:{tmp_path / 'm.zip'}", "seed": 5, "env": "FrozenLake4x4", "trust": True})
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, PlayScreen) and screen.watching
        await pilot.press("plus", "plus", "plus")
        deadline = time.monotonic() + 20
        while screen.session.step_count < 2 and screen._last_record is None and time.monotonic() < deadline:
            await pilot.pause(0.1)
        board = screen.query_one("#board")
        assert board.overlay is not None and board.overlay.greedy.shape == (4, 4)  # its Q-values, on the board
        await pilot.press("p")  # paused: what g saves stays put while we look
        await pilot.pause(0.3)
        last = screen._last_record or screen.session.record
        steps = len(last.actions)
        await pilot.press("g")
        path = await _wait_for_video(app, pilot)
        assert iio.imread(path, index=None).shape[0] == steps + 1
