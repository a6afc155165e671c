"""Getting around the app: esc goes back where you came from, the filter lets go, every key is shown."""

import pytest
from test_tui_support import sync, train_quick_run

from rltui.envs import CATALOGUE
from rltui.play.keymaps import KeyMap
from rltui.training.config import TrainConfig
from rltui.training.trainer import Trainer
from rltui.tui.app import RltuiApp
from rltui.tui.screens.pick import PickScreen
from rltui.tui.screens.play import PlayScreen
from rltui.tui.screens.runs import RunsScreen
from rltui.tui.screens.train import TrainScreen


@sync
async def test_esc_from_train_opened_in_play_goes_back_to_play():
    app = RltuiApp(start=("play", "Taxi"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        play = app.screen
        assert isinstance(play, PlayScreen)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TrainScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is play
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PickScreen) and app.screen.current.name == "Taxi"


@sync
async def test_esc_from_continue_goes_back_to_runs():
    train_quick_run(steps=300)
    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("c")
        await pilot.pause(0.3)
        assert isinstance(app.screen, TrainScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)


@sync
async def test_watching_from_the_command_line_leaves_the_watched_env_highlighted(tmp_path):
    out = tmp_path / "cw.npz"
    assert Trainer(TrainConfig("CliffWalking", "q", 300, seed=0, out=str(out))).run().status == "finished"
    app = RltuiApp(start=("watch", "CliffWalking"), watch={"checkpoint": str(out), "episodes": 1})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PlayScreen) and app.screen.watching
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PickScreen) and app.screen.current.name == "CliffWalking"


@sync
async def test_filter_esc_clears_it_and_down_leaves_it():
    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"taxi")
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#envs").option_count == 1
        await pilot.press("down")
        assert screen.focused is screen.query_one("#envs")
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert screen.query_one("#filter").value == "" and screen.focused is screen.query_one("#envs")
        assert screen.query_one("#envs").option_count == len(CATALOGUE)


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: e.name)
def test_every_action_is_in_the_compact_key_line(entry):
    line = KeyMap.for_env(entry).help_line()
    for binding in entry.keys:
        assert binding.label in line or binding.label in ("up", "down", "left", "right")
    assert len("keys " + line) <= 2 * 78  # two lines of the keys bar at 80 columns


@pytest.mark.parametrize("env", ["Taxi", "MsPacman"])
def test_the_keys_bar_shows_every_action_at_80x24(env):
    @sync
    async def check():
        app = RltuiApp(start=("play", env))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            bar = app.screen.query_one("#keybar")
            lines = [strip.text for strip in bar.render_lines(bar.region.reset_offset)]
            shown = " ".join(line.strip() for line in lines)
            for binding in KeyMap.for_env(env).entry.keys:
                if binding.label not in ("up", "down", "left", "right"):
                    assert binding.label in shown, (binding.label, lines)

    check()
