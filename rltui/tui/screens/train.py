"""Train: set up a run, start the Trainer in the background, and watch it learn in live panels.

Threads and processes: the Trainer runs in a child process (a :class:`rltui.training.handle.TrainingHandle`
from ``start_training("process", ...)``: with its own interpreter it neither waits for the screen's GIL
nor makes the screen wait for its own),
and a Textual thread worker relays its events to :class:`rltui.tui.live.LiveRun` (copies under a lock,
merged ``Refresh`` messages); commands go back through ``TrainerControl``. The screen repaints at most
~10 times a second from what is new, so a fast tabular run and a slow pixel DQN cost the screen the
same. A watch (``w``) plays a greedy copy of the agent on its own game-loop thread, refreshed with the
learned state the child sends at every episode start, while training goes on.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Header, Static

from rltui.agents.base import Agent
from rltui.envs import get_entry, make_env
from rltui.numbers import num, short, time_left
from rltui.play.board import board_of, q_overlay
from rltui.play.keymaps import KeyMap
from rltui.play.realtime import GameLoop, LoopFrame, default_fps, view_of
from rltui.play.viewer import Viewer
from rltui.training.config import TABULAR_ALGOS, TrainConfig
from rltui.training.events import Checkpointed, Evaluation, Finished, KnobChanged, TrainerControl
from rltui.training.handle import TrainingHandle, start_training
from rltui.tui.live import LiveRun, Refresh, RunEvent
from rltui.tui.messages import Latest, Throttle
from rltui.tui.screens.train_form import TrainForm
from rltui.tui.widgets.board import BoardView
from rltui.tui.widgets.chart import RewardChart
from rltui.tui.widgets.footer import Footer
from rltui.tui.widgets.frame import FrameView

SLOW_STEPS_S = 20
PAINT_EVERY_S = 0.25  # live panels: four repaints a second

#: A picklable function the training process calls before it builds the Trainer (tests set it to
#: break training on purpose; see RemoteTrainer's ``child_setup``).

CHILD_SETUP: Callable[[], None] | None = None


class WatchFrame(Latest):
    """The newest frame of the watch rollout."""


class AgentArrived(Latest):
    """The training process has sent the learned state a watch asked for."""


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _k(n: float) -> str:
    """12,345 → 12.3k: step counts fit an 80-column panel."""
    return short(n)


def _fig(value: float | None, digits: int = 3) -> str:
    """A figure for a panel: ``digits`` significant figures, never scientific notation."""
    return num(value, digits)


class TrainScreen(Screen):
    """Train an agent on ``env``; ``agent`` (+ ``algo``) continues a loaded checkpoint."""

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
        self.control: TrainerControl | None = None
        self.live: LiveRun | None = None
        self.trainer: TrainingHandle | None = None
        self._save_asked = False  # periodic saves are quiet; a save asked for with c is announced
        self._watch_pending = False
        self.running = False
        self.finished: Finished | None = None
        self.failed = ""
        self.run_id: int | None = None
        self._done = threading.Event()
        self._done.set()
        self.returns: list[float] = []
        self.q: np.ndarray | None = None
        self.q_star: np.ndarray | None = None
        self.gap_text = ""
        self.eval_text = ""
        self._announced: str | None = None  # the checkpoint path last shown in a notification
        self.watch_loop: GameLoop | None = None
        self.viewer: Viewer | None = None
        self.board_env = None
        self.final_q_steps = 0
        self._caption_text: str | None = None
        self._last_pull = 0.0
        self._pull_pending = False
        self.history: list[tuple[int, np.ndarray, int]] = []  # (steps, Q, episodes so far) during the run
        self.scrub: int | None = None  # the snapshot shown after a run ([ and ]), None: the final table
        self.end_text = ""  # end-of-run news, shown in the stats panel
        self._values_asked = 0.0  # when the value map (GridWorld + DQN) last asked for the agent
        self._values_pending = False
        self.values_steps: int | None = None

    # ---- layout -----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="train"):
            fixed = dict(self.loaded.hparams) if self.loaded is not None else None
            yield TrainForm(self.entry.name, self.algo, fixed=fixed, id="train-form")
            with Vertical(id="train-live"):
                yield Static(id="stats")
                yield Static(id="train-error")
                yield RewardChart(bar=self.entry.solved, id="chart")
                with Vertical(id="qpanel"):
                    if self.entry.kind == "grid":
                        yield BoardView(glyphs=KeyMap.for_env(self.entry).glyphs(), id="qboard")
                    else:
                        yield FrameView("press w while training to watch the agent play", id="qframe")
                    yield Static(id="qcaption")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"train · {self.entry.title}" + (f" · continuing {self.source}" if self.source else "")
        if self.demos:
            self.sub_title += " · from your play"
        if self.resume is not None:  # s carries this run on where its checkpoint left it
            self.sub_title = f"train · {self.entry.title} · run #{self.resume[0]} from step " \
                             f"{int(self.resume[1]['run_steps']):,}"
        if self.entry.kind == "grid":
            self.board_env = make_env(self.entry.name)
            self.board_env.reset(seed=0)
            self.query_one("#qboard", BoardView).board = board_of(self.board_env)
        if self.loaded is not None and self.loaded.q_values() is not None:
            self.q = self.loaded.q_values()  # continuing a run: start from its table
            self.final_q_steps = int(getattr(self.loaded, "trained_steps", 0))
            self._paint_q()
        self._paint_stats()
        self._paint_caption()
        self.set_interval(1.0, self._tick_clock)

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
            return not self.running and len(self.history) > 1
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
        self._knobs: dict[str, float | None] = {}
        self.live = LiveRun(self.post_message)
        self.running, self.finished, self.failed, self.run_id = True, None, "", None
        self.slow = False
        self.returns, self.q, self.q_star, self.gap_text, self.eval_text = [], None, None, "", ""
        self.history, self.scrub, self.end_text = [], None, ""
        self.values_steps = None
        self.query_one("#chart", RewardChart).set_returns([])
        self._show_error("")
        form.freeze(True)
        self.set_focus(None)
        self._done.clear()
        self._watch_pending = False
        gc.freeze()  # this screen's widgets live on: keep full collections short while the run streams in
        self._train(config, self.loaded, resume)
        self._paint_stats()
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
        self._paint_stats()

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
        self.q_star = q_star
        self._paint_q()

    # ---- events from the worker -------------------------------------------------------------------
    def on_refresh(self, message: Refresh) -> None:
        """Repaint at most PAINT_EVERY_S: each repaint costs the screen ~10-20 ms of CPU, and a key that
        arrives during one waits for it (events that matter at once go through on_run_event)."""
        wait = self._last_pull + PAINT_EVERY_S - time.monotonic()
        if wait <= 0:
            self._pull()
        elif not self._pull_pending:
            self._pull_pending = True
            self.set_timer(wait, self._deferred_pull)

    def _deferred_pull(self) -> None:
        self._pull_pending = False
        if self.running:  # the end of a run repaints at once (on_run_event)
            self._pull()

    def on_run_event(self, message: RunEvent) -> None:
        event = message.event
        self._pull()
        if isinstance(event, Evaluation):
            success = "" if event.success_rate is None else f" · success {event.success_rate:.0%}"
            self.eval_text = f"greedy eval @{_k(event.steps)}: {_fig(event.mean)} ± {_fig(event.std, 2)}{success}"
        elif isinstance(event, Checkpointed) and self._save_asked and not event.best:
            self._save_asked = False
            self._announced = event.path
            self.notify(f"checkpoint saved: {event.path}", timeout=4)
        elif isinstance(event, KnobChanged):
            shown = "the schedule" if event.value is None else f"{event.value:g}"
            self.notify(f"{event.name} = {shown} from step {event.steps:,} (recorded in the run)", timeout=4)
            if event.name == "gamma" and self.trainer is not None and self.entry.has_model:
                self._solve_q_star(self.trainer.config, float(event.value))  # Q* depends on γ
        elif isinstance(event, Finished):
            self._finished(event)
        self._paint_stats()

    def _pull(self) -> None:
        self._last_pull = time.monotonic()
        if self.live is None:
            return
        if self.run_id is None and self.trainer is not None:
            self.run_id = self.trainer.run_id  # set once run() has created the run
        view = self.live.take()
        if view.new_returns:
            self.returns.extend(view.new_returns)
            self.query_one("#chart", RewardChart).set_returns(self.returns)
        if view.q is not None and view.q is not self.q:
            self.q = view.q
            if self.scrub is None:
                self._paint_q()
        self._paint_stats()

    # ---- the run in time: Q snapshots kept during a run, scrubbed after it ---------------------------
    def _keep_snapshot(self, steps: int, q: np.ndarray) -> None:
        """The run's snapshots (kept by LiveRun as they arrived) plus the final table."""
        if self.board_env is None:
            return
        with self.live.lock if self.live is not None else threading.Lock():
            kept = list(self.live.history) if self.live is not None else []
        if not kept or kept[-1][0] != steps:
            kept.append((int(steps), np.array(q, copy=True), len(self.returns)))
        self.history = kept

    def action_scrub(self, delta: int) -> None:
        """[ and ]: step through the run's Q snapshots, the chart cut at the same moment; past the end
        is the final table again."""
        if self.running or len(self.history) < 2:
            self.notify("[ and ] step through a finished run's Q-table in time" if self.running or not self.history
                        else "this run kept no snapshots to step through", timeout=3)
            return
        last = len(self.history) - 1
        at = (last if self.scrub is None else self.scrub) + delta
        self.scrub = None if at > last else max(0, at)
        chart = self.query_one("#chart", RewardChart)
        if self.scrub is None:
            chart.set_returns(self.returns)
            self._paint_q()
            return
        steps, q, episodes = self.history[self.scrub]
        chart.set_returns(self.returns[:episodes])
        self.query_one("#qboard", BoardView).overlay = q_overlay(self.board_env, q)
        self._caption(Text(f"Q @{_k(steps)} ({self.scrub + 1}/{len(self.history)}), the chart up to then · "
                           "[ earlier, ] later (past the end: final)", style="dim"))

    def _finished(self, event: Finished) -> None:
        self.running = False
        self.refresh_bindings()
        self._watch_pending = False
        self.finished = event
        agent = getattr(self.trainer, "agent", None)
        q = agent.q_values() if agent is not None else None  # the thread is done: the final table
        if q is not None:
            self.q, self.final_q_steps = q, event.steps
            self._keep_snapshot(event.steps, q)
            self._paint_q()
        self.query_one(TrainForm).freeze(False)
        if event.status == "failed":
            self.failed = event.error or "unknown error"
            self._show_error(f"training failed: {self.failed}\nthe run is marked failed in the store; "
                             "change the settings and press s to try again")
        else:
            # End-of-run news goes in the stats panel, which covers nothing (a toast sat on the board's
            # caption for seconds); the full paths are in Runs and `rltui runs show`.
            from pathlib import Path

            saved = f"saved {Path(event.checkpoint).name}" if event.checkpoint else "no checkpoint saved"
            best = " (+ best eval)" if event.best_checkpoint else ""
            self.end_text = f"{saved}{best}"
            self._paint_stats()

    def _show_error(self, message: str) -> None:
        panel = self.query_one("#train-error", Static)
        panel.update(Text(message))
        panel.set_class(bool(message), "-shown")

    # ---- painting ---------------------------------------------------------------------------------
    def _tick_clock(self) -> None:
        if self.running:
            self._paint_stats()
            if self._wants_values() and self.watch_loop is None and time.monotonic() - self._values_asked > 3.0:
                self._values_asked = time.monotonic()
                if self.trainer is not None and self.trainer.agent is not None:
                    self._values_pending = True
                    self.trainer.request_agent()

    # ---- the value map of a deep agent on a grid ----------------------------------------------------
    def _wants_values(self) -> bool:
        """GridWorld with DQN: the observation is the board, so the agent can be asked about every cell."""
        return self.board_env is not None and self.entry.family == "gridworld" and self.algo == "dqn"

    def _paint_values(self) -> None:
        """The greedy action and value of each free cell, with the agent placed there (one batch)."""
        from rltui.agents import make_agent
        from rltui.play.board import value_overlay

        trainer = self.trainer
        state = trainer.learned_state() if trainer is not None else None
        if state is None:
            return
        try:
            twin = make_agent(trainer.algo, trainer.observation_space, trainer.action_space, dict(trainer.hparams),
                              device="cpu")
            twin.load_state_dict(state)
            overlay = value_overlay(self.board_env, twin._greedy_q)
        except Exception:  # noqa: BLE001 - the map is a view; training goes on without it
            return
        trainer.forget_learned_state()  # the next watch or map asks for what is learned by then
        if overlay is not None and self.watch_loop is None:
            self.query_one("#qboard", BoardView).overlay = overlay
            p = self.live.progress if self.live is not None else None
            self.values_steps = p.steps if p is not None else 0
            self._paint_caption()

    def _paint_stats(self) -> None:
        p = self.live.progress if self.live is not None else None
        steps_goal = self.query_one(TrainForm).validate() if not self.running and self.finished is None else None
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.running:
            state = "paused" if p is not None and p.paused else "training"
            text.append(f"● {state}", style="bold #ffd43b" if state == "paused" else "bold #69db7c")
        elif self.finished is not None:
            colour = "#ff6b6b" if self.finished.status == "failed" else "#4dabf7"
            text.append(f"■ {self.finished.status}", style=f"bold {colour}")
        else:
            text.append("ready", style="bold")
            if steps_goal is not None:
                text.append(f" · {steps_goal.algo}, {_k(steps_goal.steps)} steps · s starts", style="dim")
        if self.run_id is not None:
            text.append(f" · run #{self.run_id}", style="dim")
        if self.trainer is not None:
            text.append(f" · {self.trainer.device}", style="dim")
        if p is not None:
            text.append(f" · {_clock(p.elapsed_s)}", style="dim")
            goal = self.trainer.config.steps if self.trainer is not None else 0
            of = f"/{_k(goal)}" if goal else ""
            left = time_left(p.steps, goal, p.steps_per_s) if not p.paused else None
            eta = f" · {left}" if left else ""
            # short lines: the panel is ~41 columns at 80×24 and every figure must show (no wrap, no cut)
            text.append(f"\nsteps {_k(p.steps)}{of} · {_k(p.steps_per_s)}/s{eta}")
            m = p.metrics
            parts = [f"episodes {p.episodes:,}"]
            if "return_100" in m:
                parts.append(f"mean100 {_fig(m['return_100'])}")
            text.append("\n" + " · ".join(parts))
            if self.finished is not None and self.end_text:  # end-of-run news, in place of the live figures
                text.append("\n" + self.end_text)
            else:
                text.append("\n" + " · ".join([f"ε {_fig(m.get('epsilon'), 2)}", f"loss {_fig(m.get('loss'))}"]))
        if self.eval_text:
            text.append("\n" + self.eval_text)
        # #stats has a fixed height: no layout pass (a layout of this screen, form included, costs
        # ~50 ms of CPU that training could use, ten times a second)
        self.query_one("#stats", Static).update(text, layout=False)

    def _paint_q(self) -> None:
        if self.board_env is None or self.q is None:
            self._paint_caption()
            return
        board = self.query_one("#qboard", BoardView)
        board.overlay = q_overlay(self.board_env, self.q)
        board.refresh()
        if self.q_star is not None and self.q_star.shape == self.q.shape:
            from rltui.agents.value_iteration import gap_to_optimal

            mask = getattr(self.board_env.unwrapped, "action_masks", None)
            gap = gap_to_optimal(self.q, self.q_star, mask=mask)
            self.gap_text = f"gap to Q*: max|Q−Q*| {gap.max_abs:.3f}, greedy optimal {gap.agreement:.0%}"
        self._paint_caption()

    def _paint_caption(self) -> None:
        if self.board_env is not None:
            if self.q is None:
                what = ("Q-values appear here as training runs" if self.algo in TABULAR_ALGOS or self.algo == "dqn"
                        else "this agent has no Q-table to draw")
                if self.entry.family == "gridworld" and self.algo in TABULAR_ALGOS:
                    what = "tabular GridWorld learns on 3×3 views: no per-cell Q to draw"
            else:
                at = self.live.q_steps if self.running and self.live else self.final_q_steps
                what = f"Q @{_k(at)}: colour max Q, arrow greedy"
            if self.q is None and self._wants_values():
                what = ("values appear here a few seconds into the run" if self.values_steps is None else
                        f"values @{_k(self.values_steps)}: the agent put on each free cell; colour its best "
                        "Q, arrow its action")
            lines = [what + (" · w: watch" if self.watch_loop is None else " · w: stop watching")]
            if self.gap_text:
                lines.append(self.gap_text)
            self._caption(Text("\n".join(lines), style="dim"))
        else:
            self._caption(Text("w: watch the agent play" if self.watch_loop is None else "watching — w to stop",
                               style="dim"))

    def _caption(self, text: Text) -> None:
        """Update the caption only when it changes (each update of this auto-height widget lays out the screen)."""
        if text.plain != self._caption_text:
            self._caption_text = text.plain
            self.query_one("#qcaption", Static).update(text)

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
        self.slow = not getattr(self, "slow", False)
        self.control.set_pace(SLOW_STEPS_S if self.slow else None)
        self.notify(f"slow motion: {SLOW_STEPS_S} steps/s — v for full speed" if self.slow else "full speed",
                    timeout=2)

    def action_knobs(self) -> None:
        """α, γ, ε of a running tabular run, changed live (the explain mode's knobs)."""
        if not self.running or self.control is None or self.trainer is None:
            return
        from rltui.tui.screens.knobs import KnobsScreen

        hp = dict(self.trainer.hparams)
        current = {"alpha": hp.get("alpha"), "gamma": hp.get("gamma"), "epsilon": None, **self._knobs}

        def apply(changes: dict | None) -> None:
            for name, value in (changes or {}).items():
                self._knobs[name] = value
                if self.control is not None:
                    self.control.set_knob(name, value)

        self.app.push_screen(KnobsScreen(current), apply)

    def action_save(self) -> None:
        if self.running and self.control is not None:
            self._save_asked = True
            self.control.request_save()
        else:
            self.notify("start training first (s)", timeout=2)

    def action_watch(self) -> None:
        if self.watch_loop is not None:
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
            self._watch_pending = True
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
        if self.entry.kind == "pixels":
            self.viewer = Viewer(f"rltui · watching {self.algo} on {self.entry.title}")
            if not self.viewer.start():
                self.notify(f"{self.viewer.error}; watching in the preview", timeout=5)
                self.viewer = None
        fps = default_fps(self.entry, beside_training=True)
        post = Throttle(20, lambda f: self.post_message(WatchFrame(f)))
        self.watch_loop = GameLoop(session, fps, on_step=lambda f: post(f, force=f.done), policy=policy,
                                   on_episode_start=on_start, viewer=self.viewer)
        self.watch_loop.start()
        self._paint_caption()

    def on_agent_arrived(self, message: AgentArrived) -> None:
        if self._watch_pending and self.watch_loop is None:
            self._watch_pending = False
            self.action_watch()
        elif self._values_pending:
            self._values_pending = False
            self._paint_values()

    def on_watch_frame(self, message: WatchFrame) -> None:
        frame: LoopFrame = message.payload
        if self.watch_loop is None:
            return
        if self.board_env is not None:
            board = self.query_one("#qboard", BoardView)
            board.board = view_of(self.watch_loop.session.env) if frame.view is None else frame.view
            if self.q is not None:
                board.overlay = q_overlay(self.watch_loop.session.env, self.q)
            else:
                board.overlay = None  # a value map was drawn for the screen's board, not this one
        elif isinstance(frame.view, (np.ndarray, str)):  # str: a generic env's ansi picture or readout
            self.query_one("#qframe", FrameView).show(frame.view)
        caption = f"watching: episode {frame.episode} · step {frame.step} · return {frame.ret:g} — w to stop"
        self._caption(Text(caption, style="dim"))

    def _stop_watch(self, repaint: bool = True) -> None:
        self._watch_pending = False
        if self.trainer is not None:
            self.trainer.forget_learned_state()  # the next watch starts from what is learned by then
        if self.watch_loop is not None:
            self.watch_loop.stop()
            self.watch_loop.session.close()
            self.watch_loop = None
        if self.viewer is not None:
            self.viewer.close()
            self.viewer = None
        if not repaint:
            return
        if self.board_env is not None:
            self.query_one("#qboard", BoardView).board = board_of(self.board_env)
            self._paint_q()
        self._paint_caption()

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
            if getattr(self, "_confirm_back", False):
                await self.stop_for_exit()
                self.app.pop_screen()
                return
            self._confirm_back = True
            self.notify("training is running: esc again stops it (saving what was learned) and goes back",
                        timeout=4)
            self.set_timer(4, lambda: setattr(self, "_confirm_back", False))
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
        self._paint_caption()
        self._paint_stats()

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
