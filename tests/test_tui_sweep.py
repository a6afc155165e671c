"""The Sweep screen: reached from Train and Runs, form errors in one line, a real sweep in a child
process filling the trials table and the curve over seeds, and its best saved as a preset."""

import time

import pytest
from test_tui_support import screen_text, sync, train_quick_run

from rltui.tui.app import RltuiApp
from rltui.tui.screens.runs import RunsScreen
from rltui.tui.screens.sweep import SweepScreen, sweep_argv
from rltui.tui.screens.train import TrainScreen


def test_form_becomes_the_cli_arguments_or_a_one_line_error():
    from rltui.errors import RltuiError

    argv = sweep_argv("FrozenLake4x4", "q", "0-2", "4000", "alpha=0.05,0.2", "")
    assert argv == ["sweep", "FrozenLake4x4", "--algo", "q", "--seeds", "0-2", "--steps", "4000",
                    "--grid", "alpha=0.05,0.2"]
    argv = sweep_argv("FrozenLake4x4", "q", "0", "", "", "3 alpha=log:0.01..0.5")
    assert argv[-6:] == ["--search", "optuna", "--trials", "3", "--param", "alpha=log:0.01..0.5"]
    for bad in (("x", "", "", ""), ("0", "many", "", ""), ("0", "", "alpha=-1", ""), ("0", "", "", "lr=1..2")):
        with pytest.raises(RltuiError):
            sweep_argv("FrozenLake4x4", "q", *bad)


@sync
async def test_sweep_screen_from_train_and_runs():
    train_quick_run()
    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_train("FrozenLake4x4", algo="q")
        await pilot.pause()
        assert isinstance(app.screen, TrainScreen)
        app.screen.query_one("#stats").focus()  # keys to the screen, not to a form field
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, SweepScreen) and app.screen.algo == "q"
        app.screen.query_one("#sweep-seeds").value = "3-1"
        app.screen.query_one("#sweep-trials").focus()
        await pilot.press("s")
        await pilot.pause()
        assert app.screen.proc is None and "not a range" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        app.open_runs()
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, SweepScreen) and app.screen.entry.name == "FrozenLake4x4"


@sync
async def test_a_sweep_runs_from_the_screen_and_its_best_saves_as_preset(tmp_path, monkeypatch):
    pytest.importorskip("ray.tune")
    pytest.importorskip("optuna")
    monkeypatch.setenv("RLTUI_CONFIG", str(tmp_path / "config"))
    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.open_sweep("FrozenLake4x4", "q")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#sweep-seeds").value = "0-1"
        screen.query_one("#sweep-steps").value = "10000"
        screen.query_one("#sweep-trials").focus()
        await pilot.press("s")
        deadline = time.monotonic() + 240  # Ray starts in a child process: seconds, more on a busy machine
        while time.monotonic() < deadline and not screen.status_text.startswith(f"sweep {screen.sweep_id} finished"):
            await pilot.pause(0.2)
            if screen.trials:  # keys are handled while trials run: the table's cursor moves at once
                await pilot.press("down")
        assert "finished" in screen.status_text, screen.status_text
        assert sorted(t["seed"] for t in screen.trials.values()) == [0, 1]
        assert {t["status"] for t in screen.trials.values()} == {"finished"}
        chart = screen.query_one("#sweep-curve")
        assert [p[0] for p in chart._points] == [5000, 10000]  # the evaluations, over both seeds
        runs = app.store.sweep_runs(screen.sweep_id)
        assert len(runs) == 2 and all(r["status"] == "finished" for r in runs)
        await pilot.press("b")
        await pilot.pause()
    from rltui.training import presets

    assert f"sweep{screen.sweep_id}-best" in presets.preset_names("q")
