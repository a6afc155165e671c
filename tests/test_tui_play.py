"""The real app driven by Pilot: pick an environment, play it with keys, read the board and the HUD."""

import pytest
from test_tui_support import screen_text, sync

from rltui.play.session import replay
from rltui.tui.app import RltuiApp
from rltui.tui.screens.pick import PickScreen
from rltui.tui.screens.play import PlayScreen


async def _pick(pilot, name: str) -> None:
    await pilot.press("slash", *name.lower(), "enter")
    await pilot.pause()
    assert pilot.app.screen.current.name == name


@sync
async def test_pick_shows_the_catalogue_and_details():
    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickScreen)
        text = screen_text(app)
        assert "GridWorld" in text and "MsPacman" in text and "Play" not in text.splitlines()[0]
        await _pick(pilot, "Taxi")
        await pilot.pause(0.3)  # spaces are read in a thread
        text = screen_text(app)
        assert "Pick up the passenger" in text and "Discrete(500)" in text and "Discrete(6)" in text
        assert "pickup" in text and "mean return 8" in text
        await pilot.press("slash", *"zzz")
        await pilot.pause()
        assert "no environment matches" in screen_text(app)


@sync
async def test_play_frozenlake_with_keys_moves_the_agent_and_the_hud():
    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await _pick(pilot, "FrozenLake4x4-NoSlip")
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlayScreen)
        board = screen.query_one("#board")
        assert board.board.agent == (0, 0)
        await pilot.press("right", "d", "down")  # arrows and WASD both move
        await pilot.pause()
        assert board.board.agent == (1, 2)
        text = screen_text(app)
        assert "step" in text and " 3 " in text.split("step", 1)[1][:30]
        assert "last reward 0  (down)" in text
        await pilot.press("s", "s", "right")  # down, down, right: the goal
        await pilot.pause()
        assert board.board.agent == (3, 3)
        text = screen_text(app)
        assert "episode over (return 1)" in text
        assert "best return 1" in text and "episodes    1" in text
        saved = app.store.human_episodes("FrozenLake4x4-NoSlip")
        assert len(saved) == 1
        kept = f"kept as your episode #{saved[0]['id']}"  # the id --demos takes, said where it is made
        assert kept in screen.notice and "rltui episodes FrozenLake4x4-NoSlip" in screen.notice
        # Any move after the end starts the next episode (seed + 1).
        await pilot.press("left")
        await pilot.pause()
        assert board.board.agent == (0, 0) and screen.session.episode == 2
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PickScreen)
        assert app.prefs.get("env") == "FrozenLake4x4-NoSlip"


@sync
async def test_slippery_frozenlake_screen_matches_a_replay_of_the_same_seed():
    app = RltuiApp(start=("play", "FrozenLake4x4"), play_seed=11)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        keys = ["right", "right", "down", "down", "right", "down"]
        await pilot.press(*keys)
        await pilot.pause()
        screen = app.screen
        record = screen.session.record
        again = replay("FrozenLake4x4", 11, record.actions)
        assert record.seed == 11 and again.rewards == record.rewards
        row, col = screen.query_one("#board").board.agent
        assert row * 4 + col == int(screen.session.obs)


@sync
async def test_help_lists_the_env_keys_and_closes():
    app = RltuiApp(start=("play", "Taxi"), play_seed=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert "Keys for Taxi" in text and "pickup" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen)
        await pilot.press("e")  # pickup where there is no passenger: −10
        await pilot.pause()
        assert "-10" in screen_text(app)


@pytest.mark.parametrize("env", ["CartPole", "ThreeStateMDP", "CliffWalking", "GridWorldPartial"])
@sync
async def test_other_envs_play_in_the_terminal(env):
    app = RltuiApp(start=("play", env), play_seed=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        key = {"CartPole": "right", "ThreeStateMDP": "1"}.get(env, "up")
        await pilot.press(key, key)
        await pilot.pause()
        assert app.screen.session.step_count == 2
        assert "error" not in screen_text(app)


@sync
async def test_pixel_env_without_display_says_so_and_runs_in_real_time():
    app = RltuiApp(start=("play", "CarRacing"), play_seed=0)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(40):
            await pilot.pause(0.1)
            if app.screen.last is not None and app.screen.last.step > 3:
                break
        await pilot.press("up")
        await pilot.pause(0.3)
        screen = app.screen
        assert screen.last.step > 3  # the clock runs without keys
        assert 3 in screen.session.record.actions  # gas, held from the terminal
        assert "no window" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert screen.loop is None
