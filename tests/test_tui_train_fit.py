"""Nothing a person needs is cut at 80×24: every line the Train screen's stats panel and the caption
under its board show fits its widget, and the board (or the watch's placeholder) fits its room, for
every kind of run and every state a run goes through (and the same at 120×40, where more detail shows).

The widgets' own content is read (not the screen's text, where Textual has already wrapped a long line
onto the next one and pushed the panel's last line out of sight).
"""

from types import SimpleNamespace

import numpy as np
import pytest
from rich.cells import cell_len
from test_tui_board_fit import assert_drawn_whole
from test_tui_support import sync
from textual.widgets import Header
from textual.widgets._header import HeaderTitle

from rltui.play.board import QOverlay
from rltui.play.realtime import LoopFrame
from rltui.training.events import Evaluation, Finished, Progress
from rltui.tui.app import RltuiApp
from rltui.tui.screens.train import TrainScreen
from rltui.tui.widgets.q_panel import QTable, ValueMap

#: (env, algo): tabular on the toy-text grids, DQN on CartPole and on GridWorld (the value map), DRQN
KINDS = [("FrozenLake4x4", "q"), ("Taxi", "q"), ("CliffWalking", "sarsa"), ("CartPole", "dqn"),
         ("GridWorld", "dqn"), ("GridWorld", "q"), ("GridWorldPartial", "drqn"), ("MaskedCartPole", "drqn"),
         ("FrozenLake8x8", "q"), ("ThreeStateMDP", "q")]
SIZES = [(80, 24), (120, 40)]
RUN = 12345  # a long run id
PATH = "/home/someone/.local/share/rltui/checkpoints/run12345-GridWorldPartial-drqn.pt"


def _lines(widget) -> list[str]:
    content = widget.content
    return (content if isinstance(content, str) else content.plain).split("\n")


def _fits(widget, state: str, max_lines: int) -> list[str]:
    """The widget's lines, asserted to fit its width and to be all in sight."""
    lines, width = _lines(widget), widget.content_size.width
    wide = [f"{cell_len(line)}: {line}" for line in lines if cell_len(line) > width]
    assert not wide, f"{widget.id} at {state}: lines wider than its {width} columns: {wide}"
    assert len(lines) <= min(max_lines, widget.content_size.height), \
        f"{widget.id} at {state}: {len(lines)} lines in {widget.content_size.height}: {lines}"
    return lines


async def _stats(pilot, screen, state: str) -> list[str]:
    await pilot.pause()
    lines = _fits(screen.stats, state, 5)
    assert lines[0].startswith(("ready", "● training", "● paused", "■ finished", "■ stopped", "■ failed")), lines
    return lines


async def _caption(pilot, screen, state: str) -> list[str]:
    await pilot.pause()
    caption = screen.panel.caption
    lines = _fits(caption, state, 3)
    shown = screen.panel.region.intersection(screen.query_one("#train-live").region)  # in sight
    assert caption.region.bottom <= shown.bottom and caption.region.height >= len(lines), \
        f"caption at {state} is out of sight: {caption.region} in {shown}"
    panel = screen.q_panel
    picture = screen.panel.picture if panel is None else panel.board
    assert_drawn_whole(picture, f"{screen.entry.name} at {state}")
    return lines


def _check_running(lines: list[str], state: str) -> None:
    """The key lines: status, steps and speed, episodes and mean return, then ε/loss or the news."""
    assert len(lines) >= 4, f"{state}: {lines}"
    assert "12.3k/100M" in lines[1] and "/s" in lines[1], f"{state}: {lines}"
    assert lines[2].startswith(("episodes", "ep ")) and "mean100 -123" in lines[2], f"{state}: {lines}"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("env,algo", KINDS, ids=lambda v: str(v))
def test_every_line_of_the_train_screen_fits_its_panel(env, algo, size):
    @sync
    async def run():
        app = RltuiApp()
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            screen = TrainScreen(env, algo=algo, resume=(RUN, {"run_steps": 99_999_999}, {}))
            await app.push_screen(screen)
            await pilot.pause()
            title = screen.query_one(Header).format_title().plain  # a resumed run's: "… run #12345 from …"
            room = screen.query_one(HeaderTitle).content_size.width
            assert f"run #{RUN} " in title and cell_len(title) <= room, f"header: {title!r} in {room} columns"
            screen.query_one("#hp-steps").value = "100000000"
            await pilot.pause()
            screen._show_plan()
            assert "100M steps" in "".join(await _stats(pilot, screen, "ready"))
            stats = screen.stats
            stats.new_run()
            stats.run_id, stats.device, stats.goal = RUN, "cuda:1", 100_000_000
            await _stats(pilot, screen, "starting")
            figures = {"epsilon": 0.05, "loss": 0.0123456, "return_100": -123.45}
            stats.progress = Progress(12_345, 1_234_567, 69_560, 1_440, figures)
            lines = await _stats(pilot, screen, "training")
            _check_running(lines, "training")
            assert "left" in lines[1] and "ε 0.05" in lines[3] and "loss" in lines[3]
            stats.evaluation = Evaluation(99_900, -123.456, 45.678, 10, success_rate=1.0)
            lines = await _stats(pilot, screen, "evaluated")
            _check_running(lines, "evaluated")
            assert "eval @99.9k" in lines[4] and "-123" in lines[4] and "100%" in lines[4], lines
            stats.progress = Progress(12_345, 1_234_567, 69_560, 0.0, figures, paused=True)
            lines = await _stats(pilot, screen, "paused")
            assert lines[0].startswith("● paused") and "eval @99.9k" in lines[4]
            await _captions(pilot, screen, env, algo)
            # the board's and caption's share while the run trains (a tall board may take more, from the chart)
            even = (screen.chart.outer_size.height + screen.panel.outer_size.height) // 2
            for status, checkpoint, best, news in [("finished", PATH, PATH, "(+"), ("stopped", PATH, None, "saved"),
                                                   ("finished", None, None, "no checkpoint saved")]:
                screen.running = True
                screen._finished(Finished(status, 12_345, 1_234_567, 69_560, checkpoint, None, best))
                lines = await _stats(pilot, screen, status)
                _check_running(lines, status)
                assert lines[0].startswith(f"■ {status}") and news in lines[3] and "eval @99.9k" in lines[4], lines
                if checkpoint:
                    assert lines[3].startswith("saved") and ("run12345" in lines[3] or f"run #{RUN}" in lines[3])
            screen.running = True
            error = "RuntimeError: CUDA error: an illegal memory access was encountered (at step 12,345 of the run)"
            screen._finished(Finished("failed", 12_345, 1_234_567, 69_560, None, error))
            lines = await _stats(pilot, screen, "failed")
            _check_running(lines, "failed")
            failure = screen.failure
            assert failure.has_class("-shown") and failure.region.height >= len(_lines(failure)) + 2  # + border
            await _caption(pilot, screen, "failed")  # the error takes the chart's place, not the board's
            assert screen.panel.region.height >= even

    run()


async def _captions(pilot, screen, env: str, algo: str) -> None:
    """The caption under the board in each of its states, while a run trains."""
    panel = screen.q_panel
    await _caption(pilot, screen, "before a run")
    if panel is None:  # the watch pane of a game that is no grid
        await _watching(pilot, screen)
        return
    if panel.wants_values:
        rows = len(panel.start_board.cells)
        grid = np.arange(rows * rows, dtype=float).reshape(rows, rows)
        panel.values = ValueMap(QOverlay(np.ones((rows, rows), dtype=int), grid, 0.0, grid.max()), 99_900)
        caption = await _caption(pilot, screen, "value map")
        assert caption[0].startswith("values @99.9k") and "arrow its action" in "\n".join(caption)
    elif algo in ("q", "sarsa") and panel.entry.family != "gridworld":
        rng = np.random.default_rng(0)
        q = rng.normal(size=(panel.env.observation_space.n, panel.env.action_space.n))
        panel.table = QTable(q, 99_900)
        panel.q_star = q + 123.456 * (rng.random(q.shape) > 0.5)
        caption = await _caption(pilot, screen, "table with its gap to Q*")
        assert caption[0].startswith("Q @99.9k: colour max Q, arrow greedy")
        assert any("max|Q−Q*| 123" in line and "optimal" in line for line in caption), caption
        panel.history = [(i * 1000, q, i) for i in range(1, 13)]
        panel.step_in_time(-1)
        caption = await _caption(pilot, screen, "stepped back in time")
        assert caption[0].startswith("Q @11k (11/12)") and "[ earlier" in "\n".join(caption), caption
        panel.step_in_time(1)
    else:
        await _caption(pilot, screen, f"{algo} on {env}")
    await _watching(pilot, screen)


async def _watching(pilot, screen) -> None:
    """A watch's caption (the loop stood in for: its frame is what the caption reads)."""
    pane = screen.panel
    env = getattr(pane, "env", None)
    pane.loop = SimpleNamespace(session=SimpleNamespace(env=env), stop=lambda: None)
    pane.watching = True
    pane.frame = LoopFrame(None, 1234, 567, -1.0, -123.456, None, 1234, False, False, 1)
    caption = await _caption(pilot, screen, "watching")
    assert "episode 1234" in caption[0] and "return -123.456" in "\n".join(caption) and "w to stop" in caption[-1]
    pane.loop = None
    pane.frame = None
    pane.watching = False
