"""The Train screen's widgets on their own: setting a reactive repaints the widget, nothing else does.

Each widget is mounted alone in a small App (App.run_test), given state the way the screen gives it,
and read back as the terminal would show it.
"""

import numpy as np
from test_tui_support import screen_text, sync, widget_text
from textual.app import App, ComposeResult
from textual.widget import Widget

from rltui.envs import get_entry
from rltui.play.realtime import GameLoop
from rltui.play.session import HumanSession
from rltui.training.events import Evaluation, Progress
from rltui.tui.app import RltuiApp
from rltui.tui.widgets.chart import RewardChart
from rltui.tui.widgets.q_panel import QPanel, QTable, ValueMap
from rltui.tui.widgets.run_stats import RunFailure, RunStats
from rltui.tui.widgets.watch_pane import WatchPane


class _One(App):
    """An app showing one widget (with the app's stylesheet, so ids style as on the Train screen)."""

    CSS_PATH = RltuiApp.CSS_PATH

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


@sync
async def test_run_stats_repaint_when_a_figure_changes_and_show_time_left_news_and_evaluation():
    stats = RunStats(id="stats")
    async with _One(stats).run_test(size=(60, 10)) as pilot:
        stats.plan = "q, 4k steps"
        await pilot.pause()
        assert widget_text(stats) == "ready · q, 4k steps · s starts"
        stats.new_run()
        stats.run_id, stats.device, stats.goal = 7, "cpu", 10_000
        stats.progress = Progress(1000, 40, 65.0, 500.0, {"epsilon": 0.5, "loss": 0.01234, "return_100": 0.25})
        await pilot.pause()
        text = widget_text(stats)
        assert text.startswith("● training · run #7 · cpu · 1:05")
        assert "steps 1k/10k · 500/s · 0:18 left" in text and "episodes 40 · mean100 0.25" in text
        assert "ε 0.5 · loss 0.0123" in text
        stats.progress = Progress(1000, 40, 66.0, 0.0, {}, paused=True)
        await pilot.pause()
        assert widget_text(stats).startswith("● paused") and "left" not in widget_text(stats)
        stats.evaluation = Evaluation(1000, 0.72, 0.45, 10, success_rate=0.7)
        stats.phase, stats.saved = "finished", ("/data/checkpoints/run-7.npz", False)
        await pilot.pause()
        text = widget_text(stats)
        assert text.startswith("■ finished") and "saved run-7.npz" in text and "ε" not in text
        assert text.endswith("greedy eval @1k (10 episodes): 0.72 ± 0.45 · success 70%")  # room for detail
        assert "saved run-7.npz" in screen_text(pilot.app)  # on screen, not only in the widget

        painted = []
        stats.update = lambda content, layout=True: painted.append(content)
        stats.saved, stats.run_id = ("/data/checkpoints/run-7.npz", False), 7  # the values it has: no repaint
        assert painted == []
        stats.saved = (None, False)
        assert len(painted) == 1 and "no checkpoint saved" in painted[0].plain


@sync
async def test_run_failure_shows_only_while_it_has_a_message():
    failure = RunFailure(id="train-error")
    async with _One(failure).run_test(size=(60, 10)) as pilot:
        await pilot.pause()
        assert not failure.has_class("-shown")
        failure.message = "training failed: boom"
        await pilot.pause()
        assert failure.has_class("-shown") and "training failed: boom" in screen_text(pilot.app)
        failure.message = ""
        await pilot.pause()
        assert not failure.has_class("-shown") and "boom" not in screen_text(pilot.app)


@sync
async def test_reward_chart_repaints_on_new_returns_and_draws_up_to_a_cut():
    chart = RewardChart(bar=1.0, id="chart")
    async with _One(chart).run_test(size=(60, 12)) as pilot:
        await pilot.pause()
        assert "no episodes yet" in screen_text(pilot.app)
        chart.extend([0.0, 1.0, 0.0])
        chart.extend([1.0])
        await pilot.pause()
        assert chart.returns == [0.0, 1.0, 0.0, 1.0] and "· 4 ep" in screen_text(pilot.app)
        chart.upto = 2  # a finished run stepped back in time
        await pilot.pause()
        assert chart.shown == [0.0, 1.0] and "· 2 ep" in screen_text(pilot.app)
        chart.upto = None
        chart.set_returns([])
        await pilot.pause()
        assert "no episodes yet" in screen_text(pilot.app)


@sync
async def test_q_panel_draws_the_table_its_gap_the_run_in_time_and_a_value_map():
    panel = QPanel(get_entry("FrozenLake4x4"), algo="q", id="qpanel")
    async with _One(panel).run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        caption = pilot.app.query_one("#qcaption")
        assert widget_text(caption) == "Q-values appear here as training runs · w: watch"
        assert panel.board.overlay is None and panel.board.board is not None
        q = np.zeros((16, 4))
        q[:, 2] = np.linspace(0.1, 1.0, 16)  # right is greedy everywhere
        panel.table = QTable(q, 4000)
        await pilot.pause()
        assert panel.board.overlay is not None and panel.board.overlay.hi > panel.board.overlay.lo
        assert widget_text(caption) == "Q @4k: colour max Q, arrow greedy · w: watch"
        assert "→" in screen_text(pilot.app)
        panel.q_star = q.copy()  # the table is optimal: no gap, every greedy action right
        await pilot.pause()
        assert "gap to Q*: max|Q−Q*| 0.000, greedy optimal 100%" in widget_text(caption)

        early = np.zeros((16, 4))
        early[:, 0] = 0.1  # left is greedy everywhere
        panel.history = [(1000, early, 10), (4000, q, 50)]
        panel.step_in_time(-1)
        await pilot.pause()
        assert panel.scrub == 0 and panel.episodes_then == 10
        assert widget_text(caption).startswith("Q @1k (1/2), the chart up to then")
        assert int(panel.board.overlay.greedy[0, 0]) == 0  # the early table's action on the board
        panel.step_in_time(1)
        panel.step_in_time(1)  # past the end: the final table again
        await pilot.pause()
        assert panel.scrub is None and panel.episodes_then is None
        assert widget_text(caption).startswith("Q @4k") and int(panel.board.overlay.greedy[0, 0]) == 2

        panel.new_run("dqn")
        await pilot.pause()
        assert panel.table is None and panel.history == [] and panel.board.overlay is None
        assert "gap" not in widget_text(caption)


@sync
async def test_q_panel_shows_a_deep_agents_value_map_on_gridworld():
    panel = QPanel(get_entry("GridWorld"), algo="dqn", id="qpanel")
    async with _One(panel).run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        caption = pilot.app.query_one("#qcaption")
        assert panel.wants_values and "values appear here a few seconds into the run" in widget_text(caption)
        rows, cols = len(panel.start_board.cells), len(panel.start_board.cells[0])
        from rltui.play.board import QOverlay

        overlay = QOverlay(np.ones((rows, cols), dtype=int), np.linspace(0, 1, rows * cols).reshape(rows, cols),
                           0.0, 1.0)
        panel.values = ValueMap(overlay, 3000)
        await pilot.pause()
        assert panel.board.overlay is overlay
        assert widget_text(caption).startswith("values @3k: the agent put on each free cell")


@sync
async def test_watch_pane_draws_the_frames_its_loop_posts_and_stops():
    pane = WatchPane(get_entry("CartPole"), id="qpanel")
    async with _One(pane).run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        caption = pilot.app.query_one("#qcaption")
        assert widget_text(caption) == "w: watch the agent play"
        session = HumanSession("CartPole", 0)
        pane.start(session, lambda obs, mask: 0, None, fps=50)
        assert pane.watching and pane.loop is not None
        for _ in range(100):
            await pilot.pause(0.05)
            if pane.frame is not None:
                break
        await pilot.pause()
        assert widget_text(caption).startswith("watching: episode") and pane.picture.frame is not None
        loop: GameLoop = pane.loop
        pane.stop()
        await pilot.pause()
        assert pane.loop is None and not pane.watching and not loop._thread.is_alive()
        assert widget_text(caption) == "w: watch the agent play"


@sync
async def test_the_train_screen_is_composed_of_the_widgets():
    app = RltuiApp(start=("train", "FrozenLake4x4"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        screen = app.screen
        assert screen.query_one("#stats") is screen.stats and isinstance(screen.stats, RunStats)
        assert screen.query_one("#chart") is screen.chart and isinstance(screen.chart, RewardChart)
        assert screen.query_one("#qpanel") is screen.panel is screen.q_panel
        assert isinstance(screen.query_one("#train-error"), RunFailure)
        assert widget_text(screen.stats).startswith("ready · q, ")  # the plan, from the form
    app = RltuiApp(start=("train", "CartPole"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        screen = app.screen
        assert type(screen.panel) is WatchPane and screen.q_panel is None
        assert "w: watch the agent play" in screen_text(app)


@sync
async def test_the_train_screen_draws_a_deep_agents_value_map_through_its_public_q_batch(monkeypatch):
    """The screen builds the value map from the learned state the trainer hands over (here a handle that
    hands a fresh DQN's), asking the agent's public q_batch for every cell at once."""
    from types import SimpleNamespace

    from rltui.agents import make_agent
    from rltui.agents.dqn import DQNAgent
    from rltui.envs import make_env

    env = make_env("GridWorld")
    agent = make_agent("dqn", env.observation_space, env.action_space, {"buffer_size": 1000}, device="cpu")
    asked = []
    real = DQNAgent.q_batch
    monkeypatch.setattr(DQNAgent, "q_batch", lambda self, obs: asked.append(len(obs)) or real(self, obs))
    handle = SimpleNamespace(algo="dqn", observation_space=env.observation_space, action_space=env.action_space,
                             hparams={"buffer_size": 1000}, learned_state=agent.state_dict,
                             forget_learned_state=lambda: None)
    app = RltuiApp(start=("train", "GridWorld"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        screen = app.screen
        screen.q_panel.algo = "dqn"
        screen.trainer = handle
        screen._show_values()
        await pilot.pause()
        assert asked and asked[0] >= 19  # one batch: every free cell of the 5×5 board
        assert screen.q_panel.values is not None and screen.q_panel.board.overlay is screen.q_panel.values.overlay
    env.close()
