"""The Train screen driven by Pilot: a real tabular run, a forced crash, bad input, quitting mid-run.

Training runs in a child process (rltui.training.remote), so a crash is forced there through the
screen's ``CHILD_SETUP`` hook, with a module-level function the child imports from this file.
"""

import os
import re
import signal

from test_tui_support import screen_text, sync, tap, widget_text
from textual.widgets import Input

from rltui.tui.app import RltuiApp
from rltui.tui.screens.train import TrainScreen

LEFT = r"/s · (\d+:\d\d|\d+h\d\dm|\d+d\d\dh) left"  # the time left: 8:41, 19h19m, 11d13h


async def _set(pilot, key: str, value: str) -> None:
    field = pilot.app.screen.query_one(f"#hp-{key}", Input)
    field.value = value
    await pilot.pause()


def break_observe() -> None:
    """Run in the training process: every observe raises."""
    from rltui.agents.tabular import TabularAgent

    def boom(self, *args, **kwargs):
        raise RuntimeError("boom!")

    TabularAgent.observe = boom


async def _wait_training(pilot, seconds: float = 60.0) -> None:
    """Until the training process has reported progress (starting it takes a second or two)."""
    for _ in range(int(seconds / 0.05)):
        await pilot.pause(0.05)
        live = pilot.app.screen.live
        if live is not None and live.progress is not None and live.progress.steps > 0 and pilot.app.screen.run_id:
            return
    raise AssertionError("training did not start")


async def _start_endless_run(pilot) -> None:
    """Start a run too long to finish by itself, and wait until it trains."""
    await pilot.pause(0.3)
    await _set(pilot, "steps", "100000000")
    await tap(pilot, "s")
    await _wait_training(pilot)


async def _wait_finished(pilot, seconds: float = 60.0) -> None:
    for _ in range(int(seconds / 0.1)):
        await pilot.pause(0.1)
        if pilot.app.screen.finished is not None:
            await pilot.pause(0.2)
            return
    raise AssertionError("training did not finish")


@sync
async def test_tabular_training_fills_the_chart_and_the_q_board_and_is_stored():
    app = RltuiApp(start=("train", "FrozenLake4x4"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, TrainScreen)
        assert "no episodes yet" in screen_text(app)
        assert screen.query_one("#qboard").overlay is None
        await _set(pilot, "steps", "4000")
        await pilot.press("s")
        await _wait_finished(pilot)
        assert screen.finished.status == "finished" and screen.finished.steps == 4000, screen.finished
        text = screen_text(app)
        assert "finished" in text and "no episodes yet" not in text
        chart, panel = screen.chart, screen.q_panel
        assert len(chart.returns) == screen.finished.episodes > 10
        assert any("\u2800" < ch <= "\u28ff" for ch in text)  # braille dots: the curve is drawn
        overlay = screen.query_one("#qboard").overlay
        assert overlay is not None and overlay.hi > overlay.lo  # Q changed from its initial 0.5
        assert any(arrow in text for arrow in "←↓→↑") and "max|Q−Q*|" in text  # the gap to Q*
        run = app.store.get_run(screen.run_id)
        assert run["status"] == "finished" and run["steps"] == 4000 and run["algo"] == "q"
        checkpoint = app.store.latest_checkpoint(screen.run_id)
        assert checkpoint
        shown = [n.message for n in app._notifications]  # end-of-run news covers nothing: it is in the panel
        assert not any(str(checkpoint) in m for m in shown), shown
        news = widget_text(screen.query_one("#stats"))  # by file name, or by run where the name is too long
        assert f"saved {os.path.basename(checkpoint)}" in news or f"saved run #{screen.run_id}" in news, news
        # the run in time: [ steps back through the kept Q snapshots, the chart cut at that moment
        assert len(panel.history) > 2 and panel.history[-1][0] == 4000
        await pilot.press("left_square_bracket", "left_square_bracket")
        steps, q, episodes = panel.history[panel.scrub]
        assert panel.scrub == len(panel.history) - 3 and steps < 4000
        assert chart.upto == episodes < len(chart.returns) and chart.shown == chart.returns[:episodes]
        assert f"· {episodes:,} ep" in widget_text(screen.query_one("#chart"))  # the chart drawn up to then
        assert "Q @" in widget_text(screen.query_one("#qcaption"))
        await pilot.press("right_square_bracket", "right_square_bracket", "right_square_bracket")
        assert panel.scrub is None and chart.upto is None and chart.shown == chart.returns
        assert f"· {len(chart.returns):,} ep" in widget_text(screen.query_one("#chart"))


@sync
async def test_a_crash_in_training_shows_in_a_panel_and_the_app_stays_up(monkeypatch):
    from rltui.tui.screens import train

    monkeypatch.setattr(train, "CHILD_SETUP", break_observe)
    app = RltuiApp(start=("train", "FrozenLake4x4"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        screen = app.screen
        await pilot.press("s")
        await _wait_finished(pilot)
        text = screen_text(app)
        assert "training failed: RuntimeError: boom!" in text
        assert app.store.get_run(screen.run_id)["status"] == "failed"
        await pilot.press("question_mark")  # still answering keys
        await pilot.pause()
        assert "Train" in screen_text(app)
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.is_running and app.screen.__class__.__name__ == "PickScreen"


@sync
async def test_a_bad_value_is_marked_and_start_is_refused():
    app = RltuiApp(start=("train", "FrozenLake4x4"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        await _set(pilot, "alpha", "fast")
        assert app.screen.query_one("#hp-alpha", Input).has_class("-invalid")
        assert "alpha" in screen_text(app)
        await _set(pilot, "alpha", "2")
        assert "alpha must be in (0, 1]" in screen_text(app)
        app.screen.action_start()
        await pilot.pause()
        assert not app.screen.running and app.store.list_runs() == []
        await _set(pilot, "alpha", "0.2")
        assert not app.screen.query_one("#hp-alpha", Input).has_class("-invalid")


@sync
async def test_quitting_while_training_stops_the_run_and_saves_it():
    app = RltuiApp(start=("train", "FrozenLake4x4"))
    async with app.run_test(size=(80, 24)) as pilot:
        await _start_endless_run(pilot)
        screen = app.screen
        run_id = screen.run_id
        await tap(pilot, "ctrl+q")
        await pilot.pause(0.2)
    assert screen._done.is_set()  # the relay thread ended
    assert not screen.trainer.process.is_alive()  # and so did the training process
    from rltui.training.store import RunStore

    store = RunStore.open(None)
    run = store.get_run(run_id)
    assert run["status"] == "stopped" and 0 < run["steps"] < 100000000
    assert store.latest_checkpoint(run_id)


@sync
async def test_watch_plays_the_current_agent_on_the_board_while_training_goes_on():
    app = RltuiApp(start=("train", "FrozenLake4x4-NoSlip"))
    async with app.run_test(size=(80, 24)) as pilot:
        await _start_endless_run(pilot)
        await tap(pilot, "w")
        screen = app.screen
        for _ in range(50):
            await pilot.pause(0.1)
            if "watching: episode" in screen_text(app) and screen.panel.loop.session.step_count > 0:
                break
        assert "watching: episode" in screen_text(app)
        steps_then = screen.live.progress.steps
        await pilot.pause(0.5)
        assert screen.running and screen.live.progress.steps > steps_then > 0  # training goes on
        await tap(pilot, "w")
        assert screen.panel.loop is None and not screen.panel.watching
        await tap(pilot, "x")
        await _wait_finished(pilot)
        assert screen.finished.status == "stopped"


@sync
async def test_slow_motion_paces_the_run_and_v_again_restores_full_speed():
    app = RltuiApp(start=("train", "FrozenLake4x4"))
    async with app.run_test(size=(80, 24)) as pilot:
        await _start_endless_run(pilot)
        await tap(pilot, "v")
        screen = app.screen
        assert screen.control.pace == 20
        await pilot.pause(0.5)
        first = screen.live.progress.steps
        await pilot.pause(1.0)
        assert 0 < screen.live.progress.steps - first < 200  # about 20 a second, not thousands
        await tap(pilot, "v")
        assert screen.control.pace is None
        await tap(pilot, "x")
        await _wait_finished(pilot)
        assert screen.finished.status == "stopped"


@sync
async def test_a_training_process_that_dies_is_reported_and_the_run_marked_failed():
    app = RltuiApp(start=("train", "FrozenLake4x4"))
    async with app.run_test(size=(80, 24)) as pilot:
        await _start_endless_run(pilot)
        screen = app.screen
        for _ in range(40):  # the time left, once a rate is known
            if re.search(LEFT, widget_text(screen.query_one("#stats"))):
                break
            await pilot.pause(0.1)
        assert re.search(LEFT, widget_text(screen.query_one("#stats")))
        assert screen.trainer.pid != os.getpid()  # training is not in the app's process
        os.kill(screen.trainer.pid, signal.SIGKILL)
        await _wait_finished(pilot)
        assert "killed" in screen.failed
        assert "training failed: the training" in widget_text(screen.query_one("#train-error"))
        run = app.store.get_run(screen.run_id)
        assert run["status"] == "failed" and "killed" in run["error"]
        await pilot.press("question_mark")  # still answering keys
        await pilot.pause()
        assert app.is_running


@sync
async def test_live_knobs_change_a_running_tabular_run_and_are_recorded():
    from rltui.tui.screens.knobs import KnobsScreen

    app = RltuiApp(start=("train", "FrozenLake4x4"))
    async with app.run_test(size=(80, 24)) as pilot:
        await _start_endless_run(pilot)
        screen = app.screen
        await tap(pilot, "k")
        await pilot.pause(0.3)
        assert isinstance(app.screen, KnobsScreen)
        app.screen.query_one("#knob-alpha", Input).value = "2"
        await tap(pilot, "enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, KnobsScreen) and "alpha must be in (0, 1]" in screen_text(app)
        app.screen.query_one("#knob-alpha", Input).value = "0.25"
        app.screen.query_one("#knob-epsilon", Input).value = "0.5"
        await tap(pilot, "enter")
        for _ in range(40):
            if app.screen is screen:
                break
            await pilot.pause(0.05)
        assert app.screen is screen, screen_text(app)
        for _ in range(200):
            await pilot.pause(0.05)
            changes = app.store.knob_changes(screen.run_id)
            if len(changes) == 2:
                break
        assert {(c["name"], c["value"]) for c in changes} == {("alpha", 0.25), ("epsilon", 0.5)}
        assert all(c["steps"] > 0 for c in changes)
        await tap(pilot, "x")
        await _wait_finished(pilot)
