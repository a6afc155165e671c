"""The Runs screen (history, curve, watch, continue) and `rltui play`'s input checks."""

import pytest
from test_tui_support import screen_text, start_and_wait_finished, sync, train_quick_run

from rltui.cli import main
from rltui.tui.app import RltuiApp
from rltui.tui.screens.play import PlayScreen
from rltui.tui.screens.runs import RunsScreen
from rltui.tui.screens.train import TrainScreen


@sync
async def test_runs_lists_history_and_opens_watch_and_continue():
    run_id = train_quick_run()
    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        text = screen_text(app)
        assert f"run #{run_id}" in text and "finished" in text and "2,000" in text
        assert "checkpoint:" in text and "mean/50" in text  # the curve of its episodes
        await pilot.press("w")
        for _ in range(30):
            await pilot.pause(0.1)
            if app.screen.last is not None and app.screen.last.step > 0:
                break
        screen = app.screen
        assert isinstance(screen, PlayScreen) and screen.watching
        assert "watching q" in screen_text(app) and screen.last.step > 0
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen) and screen.loop is None
        await pilot.press("c")
        await pilot.pause(0.3)
        assert isinstance(app.screen, TrainScreen)
        assert f"continuing run #{run_id}" in screen_text(app)
        assert app.screen.query_one("#qboard").overlay is not None  # its table, before any new step


@sync
async def test_runs_without_history_says_how_to_make_one():
    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert "no runs yet" in screen_text(app)
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)


def test_play_command_checks_input_before_opening_a_terminal(capsys):
    assert main(["play", "Nope"]) == 2
    assert "unknown environment 'Nope'" in capsys.readouterr().err
    assert main(["play", "Taxi", "--episodes", "3"]) == 2
    assert "--episodes needs --agent" in capsys.readouterr().err
    assert main(["play", "Taxi"]) == 2  # pytest has no terminal
    assert "interactive terminal" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["missing.npz"])
def test_watching_a_missing_checkpoint_is_a_message_not_a_crash(bad, tmp_path):
    @sync
    async def check():
        app = RltuiApp(start=("watch", "FrozenLake4x4"),
                       watch={"checkpoint": str(tmp_path / bad), "episodes": 1, "seed": 0, "env": "FrozenLake4x4"})
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await pilot.pause()
            assert app.is_running and "cannot watch" in screen_text(app)

    check()


@sync
async def test_continue_on_a_run_that_ended_early_carries_that_run_on():
    from test_tui_train import _wait_finished

    from rltui.training.config import TrainConfig
    from rltui.training.events import STOP, EpisodeEnd
    from rltui.training.store import RunStore
    from rltui.training.trainer import Trainer

    trainer = Trainer(TrainConfig("FrozenLake4x4", "q", steps=4000, seed=0, eval_every=0),
                      callback=lambda e: STOP if isinstance(e, EpisodeEnd) and e.episode == 20 else None)
    stopped = trainer.run()
    assert stopped.status == "stopped" and stopped.steps < 4000
    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause(0.3)
        assert isinstance(app.screen, TrainScreen)
        assert f"from step {stopped.steps:,}" in screen_text(app)
        await pilot.press("s")
        await _wait_finished(pilot)
        assert app.screen.finished.status == "finished" and app.screen.finished.steps == 4000
    with RunStore.open() as store:
        (run,) = store.list_runs()  # the same run, carried on to its budget: no second run
        assert run["id"] == trainer.run_id and run["status"] == "finished" and run["steps"] == 4000
        assert [e["idx"] for e in store.episodes(run["id"])] == list(range(run["episodes"]))


@sync
async def test_your_play_lists_kept_episodes_and_trains_from_them():
    from rltui.tui.screens.episodes import EpisodesScreen
    from rltui.tui.screens.runs import RunsScreen
    from rltui.tui.screens.train import TrainScreen

    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        path = [2, 2, 1, 1, 1, 2]  # FrozenLake 4x4 without slipping: right, right, down x3, right
        first = app.store.add_human_episode("FrozenLake4x4-NoSlip", 0, path, [0.0] * 5 + [1.0])
        second = app.store.add_human_episode("FrozenLake4x4-NoSlip", 1, [0, 1], [0.0, 0.0])
        await pilot.pause()
        app.push_screen(RunsScreen())
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, EpisodesScreen)
        assert [r["id"] for r in app.screen.rows] == [second, first]  # newest first
        text = screen_text(app)
        assert "2 episodes kept" in text and "FrozenLake4x4-NoSlip" in text
        await pilot.press("t")
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, TrainScreen) and screen.demos == "all"
        assert "from your play" in screen_text(app)
        await start_and_wait_finished(pilot, 300)
        run = app.store.get_run(screen.run_id)
        assert run["config"]["demos"] == "all"
