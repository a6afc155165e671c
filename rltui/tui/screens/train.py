"""Train: set up a run, start the Trainer in the background, and watch it learn in live panels.

Threads and processes: the Trainer runs in a child process (a :class:`rltui.training.handle.TrainingHandle`
from ``start_training("process", ...)``: with its own interpreter it neither waits for the screen's GIL
nor makes the screen wait for its own),
and a Textual thread worker relays its events to :class:`rltui.tui.live.LiveRun` (copies under a lock,
merged ``Refresh`` messages); commands go back through ``TrainerControl``. The screen repaints at most
~10 times a second from what is new, so a fast tabular run and a slow pixel DQN cost the screen the
same. A watch (``w``) plays a greedy copy of the agent on its own game-loop thread, refreshed with the
learned state the child sends at every episode start, while training goes on.

What is shown lives in the widgets (rltui.tui.widgets: run_stats, chart, q_panel, watch_pane), each
repainting itself when one of its reactives changes; this screen routes what the trainer reports into
them and turns keys into commands.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Header

from rltui.agents.base import Agent
from rltui.envs import get_entry, make_env
from rltui.numbers import short
from rltui.play.realtime import default_fps
from rltui.training.config import TABULAR_ALGOS, TrainConfig
from rltui.training.events import Checkpointed, Evaluation, Finished, KnobChanged, TrainerControl
from rltui.training.handle import TrainingHandle, start_training
from rltui.tui.live import LiveRun, Refresh, RunEvent
from rltui.tui.messages import Latest
from rltui.tui.screens.train_form import TrainForm
from rltui.tui.widgets.chart import RewardChart
from rltui.tui.widgets.fit import fit
from rltui.tui.widgets.footer import Footer
from rltui.tui.widgets.q_panel import QPanel, QTable, ValueMap
from rltui.tui.widgets.run_stats import RunFailure, RunStats
from rltui.tui.widgets.watch_pane import WatchPane

#: The chart's height at the least (app.tcss: #chart's min-height), where a tall board takes its rows
CHART_MIN_ROWS = 5

SLOW_STEPS_S = 20
HEADER_SIDES = 18  # the header's icon (8 columns) and clock space (10) beside its title
PAINT_EVERY_S = 0.25  # live panels: four repaints a second
VALUES_EVERY_S = 3.0  # the value map of a deep agent on a grid: a new one every 3 s

#: A picklable function the training process calls before it builds the Trainer (tests set it to
#: break training on purpose; see RemoteTrainer's ``child_setup``).

CHILD_SETUP: Callable[[], None] | None = None


class AgentArrived(Latest):
    """The training process has sent the learned state a watch or the value map asked for."""


@dataclass
class Asked:
    """Screen-flow bookkeeping: what the screen has asked for and not had yet, and when it last asked."""

    save: bool = False  # c: announce the next checkpoint (periodic saves are quiet)
    watch: bool = False  # w: the learned state is on its way from the training process
    values: bool = False  # the value map's learned state is on its way
    values_at: float = 0.0  # when the value map (GridWorld + DQN) last asked, every VALUES_EVERY_S
    pull_at: float = 0.0  # when the panels last read the LiveRun
    pull_due: bool = False  # a deferred read is scheduled
    back: bool = False  # esc once while training: esc again within 4 s stops the run and goes back


class TrainScreen(Screen):
    """Train an agent on ``env``; ``agent`` (+ ``algo``) continues a loaded checkpoint.

    The screen routes: what the trainer reports goes into the widgets' reactives (:class:`RunStats`,
    :class:`RewardChart`, :class:`QPanel` or :class:`WatchPane`), whose watchers repaint them; keys
    become commands to the trainer and the widgets."""

    BINDINGS = [
        Binding("s", "start", "Start"),
        Binding("space", "pause", "Pause"),
        Binding("x", "stop", "Stop"),
        Binding("c", "save", "Save"),
        Binding("w", "watch", "Watch"),
        Binding("v", "slow", "Slow"),
        Binding("k", "knobs", "Knobs"),
        Binding("left_square_bracket", "scrub(-1)", "Earlier", key_display="["),
        Binding("right_square_bracket", "scrub(1)", "Later", key_display="]"),
        Binding("m", "sweep", "Many seeds", show=False),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, env: str, *, algo: str | None = None, agent: Agent | None = None,
                 source: str = "", resume: tuple[int, dict[str, Any], dict[str, Any]] | None = None,
                 demos: str | None = None) -> None:
        super().__init__()
        self.entry = get_entry(env)
        self.demos = demos  # "all" or episode ids: each run starts from the person's kept play
        self.loaded = agent
        self.source = source
        #: (run id, checkpoint header, the run's config): the first start carries that run on where its
        #: checkpoint left it (see rltui.training.resume); a later start is a new run
        self.resume = resume
        wanted = agent.algo if agent is not None else algo
        self.algo = wanted if wanted in self.entry.algos or agent is not None else self.entry.default_algo
        # the run
        self.control: TrainerControl | None = None
        self.live: LiveRun | None = None
        self.trainer: TrainingHandle | None = None
        self.running = False
        self.finished: Finished | None = None
        self.failed = ""
        self.run_id: int | None = None
        self.slow = False
        self.knobs: dict[str, float | None] = {}  # live knob values set with k
        self._done = threading.Event()
        self._done.set()
        self.asked = Asked()
        # the widgets, which hold what is shown
        self.stats = RunStats(id="stats")
        self.failure = RunFailure(id="train-error")
        self.chart = RewardChart(bar=self.entry.solved, id="chart")
        self._panel_rows: int | None = None  # the Q panel's height where its board takes the chart's rows
        self.panel: WatchPane = (QPanel(self.entry, algo=self.algo, id="qpanel") if self.entry.kind == "grid"
                                 else WatchPane(self.entry, id="qpanel"))

    @property
    def q_panel(self) -> QPanel | None:
        """The panel that draws Q-tables (grid envs), else None."""
        return self.panel if isinstance(self.panel, QPanel) else None

    # ---- layout -----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="train"):
            fixed = dict(self.loaded.hparams) if self.loaded is not None else None
            yield TrainForm(self.entry.name, self.algo, fixed=fixed, id="train-form")
            with Vertical(id="train-live"):
                yield self.stats
                yield self.failure
                yield self.chart
                yield self.panel
        yield Footer()

    def on_mount(self) -> None:
        self._show_title()
        self.call_after_refresh(self._share_rows)
        q = self.loaded.q_values() if self.loaded is not None else None
        if q is not None and self.q_panel is not None:  # continuing a run: start from its table
            self.q_panel.table = QTable(q, int(getattr(self.loaded, "trained_steps", 0)))
        self._show_plan()
        self.set_interval(1.0, self._every_second)

    def _show_title(self) -> None:
        """The header's subtitle, worded to fit the title's room at this width (Textual cuts it with …)."""
        where = f"train · {self.entry.title}"
        if self.resume is not None:  # s carries this run on where its checkpoint left it
            run, steps = f"run #{self.resume[0]}", int(self.resume[1]["run_steps"])
            tails = [f" · {run} from step {steps:,}", f" · {run} from step {short(steps)}",
                     f" · {run} from {short(steps)}", f" · {run} @{short(steps)}"]
        else:
            demos = " · from your play" if self.demos else ""
            tails = [f" · continuing {self.source}{demos}", f" · from {self.source}{demos}"] if self.source \
                else [demos]
        room = self.app.size.width - HEADER_SIDES - cell_len(f"{self.app.title} — ")
        self.sub_title = fit(room, *(where + tail for tail in tails))

    def on_resize(self) -> None:
        self._show_title()
        self.call_after_refresh(self._share_rows)

    def _share_rows(self) -> None:
        """A tall board (FrozenLake 8×8, Taxi at 80×24) takes rows from the chart, down to the chart's
        minimum, where that draws it at one line a row (its glyphs and Q arrows), else at two rows a line
        with its caption (GridWorldPartial's 9×9); where its even share is enough, and while an error
        stands in the chart's place, the panel takes that share."""
        panel = self.q_panel
        if panel is None:
            return
        rows = None
        if self.chart.display:
            free = self.chart.outer_size.height + panel.outer_size.height
            want = next((n for n in panel.rows_wanted() if n <= free - CHART_MIN_ROWS), 0)
            rows = want if want > free // 2 else None
        if rows != self._panel_rows:
            self._panel_rows = rows
            panel.styles.height = "1fr" if rows is None else rows

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """The footer shows only the keys that do something now (so it fits at 60 columns): start
        before a run, pause/stop/save/slow during one."""
        if action == "start":
            return not self.running
        if action in ("pause", "stop", "save", "slow"):
            return self.running
        if action == "knobs":
            return self.running and self.algo in ("q", "sarsa")
        if action == "scrub":
            return not self.running and self.q_panel is not None and len(self.q_panel.history) > 1
        return True

    # ---- starting and the worker ------------------------------------------------------------------
    def action_start(self) -> None:
        if self.running:
            self.notify("already training: x stops, space pauses", timeout=3)
            return
        form = self.query_one(TrainForm)
        resume, self.resume = self.resume, None
        if resume is not None:
            from rltui.training.resume import continued_config

            config = continued_config(resume[2], str(self.app.data_dir))
        else:
            config = form.validate()
        if config is None:
            self.notify(f"fix the form first: {form.error}", severity="error", timeout=5)
            return
        config.data_dir = str(self.app.data_dir)
        if self.demos and config.demos is None:
            config.demos = self.demos
        self.app.prefs.set("algo", {**(self.app.prefs.get("algo") or {}), self.entry.name: config.algo})
        self.algo = config.algo
        self.control = TrainerControl()
        self.knobs = {}
        self.live = LiveRun(self.post_message)
        self.running, self.finished, self.failed, self.run_id = True, None, "", None
        self.slow = False
        self.stats.new_run()
        self.chart.upto = None
        self.chart.set_returns([])
        if self.q_panel is not None:
            self.q_panel.new_run(config.algo)
        self.failure.message = ""
        self.chart.display = True
        self.call_after_refresh(self._share_rows)
        form.freeze(True)
        self.set_focus(None)
        self._done.clear()
        self.asked.watch = False
        gc.freeze()  # this screen's widgets live on: keep full collections short while the run streams in
        self._train(config, self.loaded, resume)
        self.refresh_bindings()

    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        self.action_start()

    @work(thread=True, exclusive=True, exit_on_error=False, group="train")
    def _train(self, config: TrainConfig, agent: Agent | None,
               resume: tuple[int, dict[str, Any], dict[str, Any]] | None = None) -> None:
        """The worker thread: relay a Trainer running in a child process. Touches no widget; every
        outcome (including a child that dies) arrives as an event."""
        live = self.live
        try:
            trainer = start_training("process", config, callback=live.callback, control=self.control, agent=agent,
                                     store=self.app.store, child_setup=CHILD_SETUP,
                                     on_ready=lambda t: self.app.call_from_thread(self._trainer_ready, t),
                                     on_agent=lambda: self.post_message(AgentArrived(None)),
                                     continue_run=resume[0] if resume else None,
                                     header=resume[1] if resume else None)
            self.trainer = trainer
            trainer.run()  # never raises for training errors: Finished(status="failed") instead
        except Exception as exc:  # the process could not be started: shown, never fatal
            live.callback(Finished("failed", 0, 0, 0.0, None, f"{type(exc).__name__}: {exc}"))
        finally:
            self._done.set()

    def _trainer_ready(self, trainer: TrainingHandle) -> None:
        self.run_id = trainer.run_id
        if self.entry.has_model and trainer.algo in TABULAR_ALGOS:
            self._solve_q_star(trainer.config, float(trainer.hparams.get("gamma", 0.99)))
        self._show_trainer(trainer)

    @work(thread=True, exclusive=True, group="qstar")
    def _solve_q_star(self, config: TrainConfig, gamma: float) -> None:
        from rltui.agents.value_iteration import value_iteration

        try:
            env = make_env(config.env, **config.env_overrides)  # the model is the game's, whatever the wrappers
            u = env.unwrapped
            mask = getattr(u, "action_masks", None)
            _, q_star = value_iteration(u.P, env.observation_space.n, env.action_space.n, min(gamma, 0.999),
                                        action_mask=mask)
            env.close()
        except Exception:  # noqa: BLE001 - the gap is a bonus; training goes on without it
            return
        self.app.call_from_thread(self._q_star_ready, q_star)

    def _q_star_ready(self, q_star: np.ndarray) -> None:
        if self.q_panel is not None:
            self.q_panel.q_star = q_star

    # ---- what the trainer reports, into the widgets -------------------------------------------------
    def on_refresh(self, message: Refresh) -> None:
        """Read the LiveRun at most every PAINT_EVERY_S: each repaint costs the screen ~10-20 ms of CPU,
        and a key that arrives during one waits for it (events that matter at once go through
        on_run_event)."""
        wait = self.asked.pull_at + PAINT_EVERY_S - time.monotonic()
        if wait <= 0:
            self._pull()
        elif not self.asked.pull_due:
            self.asked.pull_due = True
            self.set_timer(wait, self._deferred_pull)

    def _deferred_pull(self) -> None:
        self.asked.pull_due = False
        if self.running:  # the end of a run is read at once (on_run_event)
            self._pull()

    def on_run_event(self, message: RunEvent) -> None:
        event = message.event
        self._pull()
        if isinstance(event, Evaluation):
            self.stats.evaluation = event
        elif isinstance(event, Checkpointed) and self.asked.save and not event.best:
            self.asked.save = False
            self.notify(f"checkpoint saved: {event.path}", timeout=4)
        elif isinstance(event, KnobChanged):
            shown = "the schedule" if event.value is None else f"{event.value:g}"
            self.notify(f"{event.name} = {shown} from step {event.steps:,} (recorded in the run)", timeout=4)
            if event.name == "gamma" and self.trainer is not None and self.entry.has_model:
                self._solve_q_star(self.trainer.config, float(event.value))  # Q* depends on γ
        elif isinstance(event, Finished):
            self._finished(event)

    def _pull(self) -> None:
        """What is new in the LiveRun, into the widgets."""
        self.asked.pull_at = time.monotonic()
        if self.live is None:
            return
        if self.run_id is None and self.trainer is not None:
            self.run_id = self.trainer.run_id  # set once run() has created the run
        view = self.live.take()
        if view.new_returns:
            self.chart.extend(view.new_returns)
        panel = self.q_panel
        if panel is not None and view.q is not None and view.q is not panel.q:
            panel.table = QTable(view.q, view.q_steps)
        if self.trainer is not None:
            self._show_trainer(self.trainer)
        self.stats.progress = view.progress

    def _show_trainer(self, trainer: TrainingHandle) -> None:
        """The run's id, device and step budget, into the stats (the same values repaint nothing)."""
        self.stats.run_id = self.run_id
        self.stats.device = trainer.device
        self.stats.goal = trainer.config.steps

    def _show_plan(self) -> None:
        """Before a run: what s would start, from the form (which marks a bad field as it is read)."""
        if self.running or self.finished is not None:
            return
        config = self.query_one(TrainForm).validate()
        self.stats.plan = f"{config.algo}, {short(config.steps)} steps" if config is not None else ""

    def _finished(self, event: Finished) -> None:
        self.running = False
        self.refresh_bindings()
        self.asked.watch = False
        self.finished = event
        self.stats.phase = "goal reached" if event.reached else event.status  # ended at stop_at_return
        agent = getattr(self.trainer, "agent", None)
        q = agent.q_values() if agent is not None else None  # the thread is done: the final table
        if q is not None and self.q_panel is not None:
            self.q_panel.history = self._run_in_time(event.steps, q)
            self.q_panel.table = QTable(q, event.steps)
        self.query_one(TrainForm).freeze(False)
        if event.status == "failed":
            self.failed = event.error or "unknown error"
            # the error takes the chart's place: at 80×24 the error, the chart and the board do not all fit,
            # and the board's caption went out of sight
            self.chart.display = False
            self._share_rows()
            self.failure.message = (f"training failed: {self.failed}\nthe run is marked failed in the store; "
                                    "change the settings and press s to try again")
        else:
            # End-of-run news goes in the stats panel, which covers nothing (a toast sat on the board's
            # caption for seconds); the full paths are in Runs and `rltui runs show`.
            self.stats.saved = (event.checkpoint, bool(event.best_checkpoint))

    # ---- the run in time: Q snapshots kept during a run, scrubbed after it ---------------------------
    def _run_in_time(self, steps: int, q: np.ndarray) -> list[tuple[int, np.ndarray, int]]:
        """The run's snapshots (kept by LiveRun as they arrived) plus the final table."""
        with self.live.lock if self.live is not None else threading.Lock():
            kept = list(self.live.history) if self.live is not None else []
        if not kept or kept[-1][0] != steps:
            kept.append((int(steps), np.array(q, copy=True), len(self.chart.returns)))
        return kept

    def action_scrub(self, delta: int) -> None:
        """[ and ]: step through the run's Q snapshots, the chart cut at the same moment; past the end
        is the final table again."""
        panel = self.q_panel
        history = panel.history if panel is not None else []
        if self.running or len(history) < 2:
            self.notify("[ and ] step through a finished run's Q-table in time" if self.running or not history
                        else "this run kept no snapshots to step through", timeout=3)
            return
        panel.step_in_time(delta)
        self.chart.upto = panel.episodes_then

    # ---- every second -----------------------------------------------------------------------------
    def _every_second(self) -> None:
        """While a run starts, its device; while it runs, a value map every VALUES_EVERY_S (GridWorld + DQN)."""
        if not self.running:
            return
        if self.trainer is not None:
            self._show_trainer(self.trainer)
        panel = self.q_panel
        if panel is None or not panel.wants_values or panel.watching:
            return
        if time.monotonic() - self.asked.values_at > VALUES_EVERY_S:
            self.asked.values_at = time.monotonic()
            if self.trainer is not None and self.trainer.agent is not None:
                self.asked.values = True
                self.trainer.request_agent()

    def _show_values(self) -> None:
        """The greedy action and value of each free cell, with the agent placed there (one batch)."""
        from rltui.agents import make_agent
        from rltui.play.board import value_overlay

        trainer, panel = self.trainer, self.q_panel
        state = trainer.learned_state() if trainer is not None else None
        if state is None or panel is None:
            return
        try:
            twin = make_agent(trainer.algo, trainer.observation_space, trainer.action_space, dict(trainer.hparams),
                              device="cpu")
            twin.load_state_dict(state)
            overlay = value_overlay(panel.env, twin.q_batch)
        except Exception:  # noqa: BLE001 - the map is a view; training goes on without it
            return
        trainer.forget_learned_state()  # the next watch or map asks for what is learned by then
        if overlay is not None and not panel.watching:
            p = self.live.progress if self.live is not None else None
            panel.values = ValueMap(overlay, p.steps if p is not None else 0)

    # ---- commands ---------------------------------------------------------------------------------
    def action_pause(self) -> None:
        if not self.running or self.control is None:
            self.notify("nothing is training", timeout=2)
            return
        if self.control.paused:
            self.control.resume()
            self.notify("resumed", timeout=1.5)
        else:
            self.control.pause()
            self.notify("paused — space resumes", timeout=2)

    def action_stop(self) -> None:
        if self.running and self.control is not None:
            self.control.stop()
            self.notify("stopping: saving what was learned…", timeout=2)

    def action_slow(self) -> None:
        """Slow motion: ~SLOW_STEPS_S steps a second, so a small grid's Q-table can be seen filling in."""
        if not self.running or self.control is None:
            self.notify("start training first (s); v then slows it down to watch it learn", timeout=3)
            return
        self.slow = not self.slow
        self.control.set_pace(SLOW_STEPS_S if self.slow else None)
        self.notify(f"slow motion: {SLOW_STEPS_S} steps/s — v for full speed" if self.slow else "full speed",
                    timeout=2)

    def action_knobs(self) -> None:
        """α, γ, ε of a running tabular run, changed live (the explain mode's knobs)."""
        if not self.running or self.control is None or self.trainer is None:
            return
        from rltui.tui.screens.knobs import KnobsScreen

        hp = dict(self.trainer.hparams)
        current = {"alpha": hp.get("alpha"), "gamma": hp.get("gamma"), "epsilon": None, **self.knobs}

        def apply(changes: dict | None) -> None:
            for name, value in (changes or {}).items():
                self.knobs[name] = value
                if self.control is not None:
                    self.control.set_knob(name, value)

        self.app.push_screen(KnobsScreen(current), apply)

    def action_save(self) -> None:
        if self.running and self.control is not None:
            self.asked.save = True
            self.control.request_save()
        else:
            self.notify("start training first (s)", timeout=2)

    def action_watch(self) -> None:
        if self.panel.watching:
            self._stop_watch()
            return
        agent = self.trainer.agent if self.trainer is not None else self.loaded
        if agent is None:
            starting = self.trainer is not None and self.running
            self.notify("the trainer is starting: w again in a moment" if starting
                        else "start training first (s), then w to watch", timeout=3)
            return
        if self.trainer is not None and self.trainer.learned_state() is None:
            # the learned state lives in the training process: ask for it, start when it arrives
            self.asked.watch = True
            self.trainer.request_agent()
            return
        from rltui.play.watch import copy_agent, watch_session

        try:
            spaces = ((self.trainer.observation_space, self.trainer.action_space) if self.trainer is not None
                      else agent_space(agent, self.entry.name))
            twin = copy_agent(agent, *spaces)
            session, policy, on_start = watch_session(twin, self.entry.name, seed=0, source=agent)
        except Exception as exc:  # noqa: BLE001
            self.notify(f"cannot watch: {exc}", severity="error", timeout=6)
            return
        window = f"rltui · watching {self.algo} on {self.entry.title}" if self.entry.kind == "pixels" else None
        self.panel.start(session, policy, on_start, fps=default_fps(self.entry, beside_training=True), window=window)

    def on_agent_arrived(self, message: AgentArrived) -> None:
        if self.asked.watch and not self.panel.watching:
            self.asked.watch = False
            self.action_watch()
        elif self.asked.values:
            self.asked.values = False
            self._show_values()

    def _stop_watch(self, repaint: bool = True) -> None:
        self.asked.watch = False
        if self.trainer is not None:
            self.trainer.forget_learned_state()  # the next watch starts from what is learned by then
        self.panel.stop(repaint)

    # ---- leaving ----------------------------------------------------------------------------------
    async def stop_for_exit(self, timeout: float = 1.5) -> None:
        """Stop training (the Trainer saves a checkpoint on stop) and wait up to ``timeout`` for it."""
        self._stop_watch(repaint=False)
        if self.control is not None and not self._done.is_set():
            self.control.stop()
            await asyncio.to_thread(self._done.wait, timeout)

    def shutdown(self) -> None:
        self._stop_watch(repaint=False)

    def action_sweep(self) -> None:
        self.app.open_sweep(self.entry.name, self.algo)

    async def action_back(self) -> None:
        if self.running:
            if self.asked.back:
                await self.stop_for_exit()
                self.app.pop_screen()
                return
            self.asked.back = True
            self.notify("training is running: esc again stops it (saving what was learned) and goes back",
                        timeout=4)
            self.set_timer(4, lambda: setattr(self.asked, "back", False))
            return
        self._stop_watch()
        self.app.pop_screen()

    def on_unmount(self) -> None:
        self._stop_watch(repaint=False)
        if self.control is not None:
            self.control.stop()

    @on(TrainForm.Changed)
    def _algo_changed(self, event: TrainForm.Changed) -> None:
        self.algo = event.algo
        if self.q_panel is not None:
            self.q_panel.algo = event.algo
        self._show_plan()

    HELP = """\
# Train

Set up on the left, then **s** (or the Start button) runs the Trainer in the background.

- **tab** / **shift+tab** move between fields; a bad value turns red and says why.
- **space** pause / resume · **x** stop (saves a checkpoint) · **c** save a checkpoint now
- **v** slow motion (20 steps a second: watch the Q-table fill in) · **v** again for full speed
- **k** live knobs (Q-learning, SARSA): change α, γ or ε while it trains; each change is recorded
  in the run with the step it took effect.
- after a run, **[** and **]** step back and forth through the Q-table as it was during the run, the
  chart cut at the same moment (small tabular runs end in a second: this is how to watch them learn).
- **w** watch: the current agent plays greedily (here, and in a pygame window for pixel games)
  while training goes on; **w** again stops watching.
- **m** many seeds: the Sweep screen trains this env and algorithm on many seeds (or a grid, or a
  search) with Ray Tune and shows the spread.
- **esc** back (twice while training: stops the run first) · **?** this help · **ctrl+q** quit
  (stops training and saves what was learned).

The chart shows each episode's return (dots) and the moving average (line); the dashed line is the
env's solved bar. For grid worlds the panel below draws the Q-table on the board: colour is the best
Q-value of the cell, the arrow its greedy action; where the env has a model, the gap to the optimal Q*
from value iteration shows how far the table still is from perfect. Every run is in **Runs** on the
first screen (**r**).
"""


def agent_space(agent: Agent, env_name: str) -> tuple[Any, Any]:
    """The spaces a loaded agent was built for (from its env, for watching before training starts)."""
    from rltui.training.evaluation import build_eval_env

    env = build_eval_env(agent, env_name, None)
    try:
        return env.observation_space, env.action_space
    finally:
        env.close()
