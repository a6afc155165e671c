"""The Train screen driven by Pilot: a real tabular run, a forced crash, bad input, quitting mid-run."""

from test_tui_support import screen_text, sync, tap
from textual.widgets import Input

from rltui.tui.app import RltuiApp
from rltui.tui.screens.train import TrainScreen


async def _set(pilot, key: str, value: str) -> None:
    field = pilot.app.screen.query_one(f"#hp-{key}", Input)
    field.value = value
    await pilot.pause()


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
        assert screen.finished.status == "finished" and screen.finished.steps == 4000
        text = screen_text(app)
        assert "finished" in text and "no episodes yet" not in text
        assert len(screen.returns) == screen.finished.episodes > 10
        assert any("\u2800" < ch <= "\u28ff" for ch in text)  # braille dots: the curve is drawn
        overlay = screen.query_one("#qboard").overlay
        assert overlay is not None and overlay.hi > overlay.lo  # Q changed from its initial 0.5
        assert any(arrow in text for arrow in "←↓→↑") and "gap to Q*" in text
        run = app.store.get_run(screen.run_id)
        assert run["status"] == "finished" and run["steps"] == 4000 and run["algo"] == "q"
        assert app.store.latest_checkpoint(screen.run_id)


@sync
async def test_a_crash_in_training_shows_in_a_panel_and_the_app_stays_up(monkeypatch):
    from rltui.agents.tabular import TabularAgent

    def boom(self, *args, **kwargs):
        raise RuntimeError("boom!")

    monkeypatch.setattr(TabularAgent, "observe", boom)
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
        await pilot.pause(0.3)
        await _set(pilot, "steps", "100000000")
        await tap(pilot, "s")
        for _ in range(100):
            await pilot.pause(0.05)
            if app.screen.live is not None and app.screen.live.progress is not None:
                break
        screen = app.screen
        run_id = screen.run_id
        await tap(pilot, "ctrl+q")
        await pilot.pause(0.2)
    assert screen._done.is_set()  # the thread ended
    from rltui.training.store import RunStore

    store = RunStore.open(None)
    run = store.get_run(run_id)
    assert run["status"] == "stopped" and 0 < run["steps"] < 100000000
    assert store.latest_checkpoint(run_id)


@sync
async def test_watch_plays_the_current_agent_on_the_board_while_training_goes_on():
    app = RltuiApp(start=("train", "FrozenLake4x4-NoSlip"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        await _set(pilot, "steps", "100000000")
        await tap(pilot, "s")
        await pilot.pause(0.5)
        await tap(pilot, "w")
        screen = app.screen
        for _ in range(50):
            await pilot.pause(0.1)
            if "watching: episode" in screen_text(app) and screen.watch_loop.session.step_count > 0:
                break
        assert "watching: episode" in screen_text(app)
        steps_then = screen.live.progress.steps
        await pilot.pause(0.5)
        assert screen.running and screen.live.progress.steps > steps_then > 0  # training goes on
        await tap(pilot, "w")
        assert screen.watch_loop is None
        await tap(pilot, "x")
        await _wait_finished(pilot)
        assert screen.finished.status == "stopped"


@sync
async def test_slow_motion_paces_the_run_and_v_again_restores_full_speed():
    app = RltuiApp(start=("train", "FrozenLake4x4"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        await _set(pilot, "steps", "100000000")
        await tap(pilot, "s")
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
