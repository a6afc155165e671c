"""The Train screen's figures of a run, and the panel that says why a run failed.

Each figure is a reactive the screen sets as the trainer reports; its watcher repaints the panel, and
setting a figure to the value it already has costs nothing, so the screen can hand over what it knows
whenever it hears from the trainer without deciding what to repaint.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.reactive import var
from textual.widgets import Static

from rltui.numbers import clock, num, short, span, time_left
from rltui.training.events import Evaluation, Progress
from rltui.tui.widgets.fit import NARROW, fit, width_of

READY, TRAINING = "ready", "training"


def evaluation_line(event: Evaluation, width: int = 10_000) -> str:
    """``greedy eval @4k: 0.72 ± 0.45 · success 72%``, shorter where ``width`` is short."""
    at, mean, std = f"@{short(event.steps)}", num(event.mean), num(event.std, 2)
    success = "" if event.success_rate is None else f"{event.success_rate:.0%}"
    tail = f" · success {success}" if success else ""
    return fit(width, f"greedy eval {at} ({event.episodes} episodes): {mean} ± {std}{tail}",
               f"greedy eval {at}: {mean} ± {std}{tail}", f"eval {at}: {mean} ± {std}{tail}",
               f"eval {at}: {mean}±{std}{tail}", f"eval {at}: {mean}±{std}" + (f" · {success}" if success else ""))


def saved_line(checkpoint: str | None, best: bool, run_id: int | None, width: int = 10_000) -> str:
    """The end-of-run news: where the run was saved, by file name while it fits, else by run
    (``saved run #12 (+ best eval)``; the full paths are in Runs and ``rltui runs show``)."""
    if not checkpoint:
        return "no checkpoint saved"
    name = Path(checkpoint).name
    run = f"run #{run_id}" if run_id is not None else "the checkpoint"
    if not best:
        return fit(width, f"saved {name}", f"saved {run}")
    return fit(width, f"saved {name} (+ best eval)", f"saved {name} (+best)", f"saved {run} (+ best eval)",
               f"saved {run} (+best)")


class RunStats(Static):
    """State, run, device and clock; steps, speed and time left; episodes and mean return; ε and loss,
    or the end-of-run news; the last greedy evaluation. Five lines, each worded to fit the panel's
    width (shorter forms at 80×24, more detail where there is room), so none wraps out of sight."""

    #: "ready" before a run, "training" during one, then how it ended (finished, stopped, failed)
    phase: var[str] = var(READY)
    #: before a run, what s would start ("q, 4k steps"); empty while the form is not valid
    plan: var[str] = var("")
    run_id: var[int | None] = var(None)
    device: var[str] = var("")
    goal: var[int] = var(0)  # the run's step budget (0: unknown)
    progress: var[Progress | None] = var(None)  # the trainer's latest figures
    #: end-of-run news, in place of ε and loss: (checkpoint path or None, whether a best one was kept too)
    saved: var[tuple[str | None, bool] | None] = var(None)
    evaluation: var[Evaluation | None] = var(None)

    def new_run(self) -> None:
        """A run starts: none of the last run's figures stand."""
        self.run_id = self.progress = self.evaluation = self.saved = None
        self.phase = TRAINING

    def _repaint(self) -> None:
        # #stats has a fixed height (app.tcss): no layout pass (a layout of the Train screen, form
        # included, costs ~50 ms of CPU that training could use, a few times a second)
        self.update(self.figures(width_of(self)), layout=False)

    # every figure repaints the panel (Textual calls a watcher that takes no value with none)
    watch_phase = watch_plan = watch_run_id = watch_device = _repaint
    watch_goal = watch_progress = watch_saved = watch_evaluation = _repaint

    def on_resize(self) -> None:
        self._repaint()  # the wording depends on the width

    @property
    def news(self) -> str:
        """The end-of-run news as the panel shows it now ('' before the end of a run)."""
        return "" if self.saved is None else saved_line(*self.saved, self.run_id, width_of(self))

    def figures(self, width: int = NARROW) -> Text:
        """The panel's text, each line at most ``width`` cells (see :mod:`rltui.tui.widgets.fit`)."""
        p = self.progress
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.phase == TRAINING:
            paused = p is not None and p.paused
            head = f"● {'paused' if paused else 'training'}"
            text.append(head, style="bold #ffd43b" if paused else "bold #69db7c")
        elif self.phase != READY:
            colour = "#ff6b6b" if self.phase == "failed" else "#4dabf7"
            head = f"■ {self.phase}"
            text.append(head, style=f"bold {colour}")
        else:
            head = "ready"
            text.append(head, style="bold")
            if self.plan:
                text.append(fit(width - len(head), f" · {self.plan} · s starts", f" · {self.plan}"), style="dim")
        run = f" · run #{self.run_id}" if self.run_id is not None else ""
        device = f" · {self.device}" if self.device else ""
        if p is None:
            text.append(fit(width - len(head), f"{run}{device}", run), style="dim")
            if self.evaluation is not None:
                text.append("\n" + evaluation_line(self.evaluation, width))
            return text
        clock_now, short_clock = clock(int(p.elapsed_s)), span(p.elapsed_s)
        text.append(fit(width - len(head), f"{run}{device} · {clock_now}", f"{run}{device} · {short_clock}",
                        f"{run} · {short_clock}", run), style="dim")
        of = f"/{short(self.goal)}" if self.goal else ""
        left = time_left(p.steps, self.goal, p.steps_per_s) if not p.paused else None
        done = f"{short(p.steps)}{of}"
        rate = f"{short(p.steps_per_s)}/s"
        eta = f" · {left}" if left else ""
        text.append("\n" + fit(width, f"steps {done} · {rate}{eta}",
                               f"steps {done} @{rate}{eta}", f"{done} @{rate}{eta}"))
        m = p.metrics
        mean = f" · mean100 {num(m['return_100'])}" if "return_100" in m else ""
        text.append("\n" + fit(width, f"episodes {p.episodes:,}{mean}", f"episodes {short(p.episodes)}{mean}",
                               f"ep {short(p.episodes)}{mean}"))
        if self.phase not in (READY, TRAINING) and self.saved is not None:  # in place of live figures
            text.append("\n" + saved_line(*self.saved, self.run_id, width))
        else:
            text.append("\n" + f"ε {num(m.get('epsilon'), 2)} · loss {num(m.get('loss'))}")
        if self.evaluation is not None:
            text.append("\n" + evaluation_line(self.evaluation, width))
        return text


class RunFailure(Static):
    """Why the run failed, in a red panel that shows only while there is something to say."""

    message: var[str] = var("", toggle_class="-shown")  # app.tcss: #train-error.-shown is displayed

    def watch_message(self, message: str) -> None:
        self.update(Text(message))
