"""The Train screen's figures of a run, and the panel that says why a run failed.

Each figure is a reactive the screen sets as the trainer reports; its watcher repaints the panel, and
setting a figure to the value it already has costs nothing, so the screen can hand over what it knows
whenever it hears from the trainer without deciding what to repaint.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import var
from textual.widgets import Static

from rltui.numbers import clock, num, short, time_left
from rltui.training.events import Evaluation, Progress

READY, TRAINING = "ready", "training"


def evaluation_line(event: Evaluation) -> str:
    """``greedy eval @4k: 0.72 ± 0.45 · success 72%``."""
    success = "" if event.success_rate is None else f" · success {event.success_rate:.0%}"
    return f"greedy eval @{short(event.steps)}: {num(event.mean)} ± {num(event.std, 2)}{success}"


class RunStats(Static):
    """State, run, device and clock; steps, speed and time left; episodes and mean return; ε and loss,
    or the end-of-run news; the last greedy evaluation."""

    #: "ready" before a run, "training" during one, then how it ended (finished, stopped, failed)
    phase: var[str] = var(READY)
    #: before a run, what s would start ("q, 4k steps"); empty while the form is not valid
    plan: var[str] = var("")
    run_id: var[int | None] = var(None)
    device: var[str] = var("")
    goal: var[int] = var(0)  # the run's step budget (0: unknown)
    progress: var[Progress | None] = var(None)  # the trainer's latest figures
    news: var[str] = var("")  # end-of-run news ("saved …"), in place of ε and loss
    evaluation: var[Evaluation | None] = var(None)

    def new_run(self) -> None:
        """A run starts: none of the last run's figures stand."""
        self.run_id = self.progress = self.evaluation = None
        self.news = ""
        self.phase = TRAINING

    def _repaint(self) -> None:
        # #stats has a fixed height (app.tcss): no layout pass (a layout of the Train screen, form
        # included, costs ~50 ms of CPU that training could use, a few times a second)
        self.update(self.figures(), layout=False)

    # every figure repaints the panel (Textual calls a watcher that takes no value with none)
    watch_phase = watch_plan = watch_run_id = watch_device = _repaint
    watch_goal = watch_progress = watch_news = watch_evaluation = _repaint

    def figures(self) -> Text:
        """The panel's text: short lines, as the panel is ~41 columns at 80×24 and every figure must show
        (no wrap, no cut)."""
        p = self.progress
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.phase == TRAINING:
            paused = p is not None and p.paused
            text.append(f"● {'paused' if paused else 'training'}", style="bold #ffd43b" if paused else "bold #69db7c")
        elif self.phase != READY:
            colour = "#ff6b6b" if self.phase == "failed" else "#4dabf7"
            text.append(f"■ {self.phase}", style=f"bold {colour}")
        else:
            text.append("ready", style="bold")
            if self.plan:
                text.append(f" · {self.plan} · s starts", style="dim")
        if self.run_id is not None:
            text.append(f" · run #{self.run_id}", style="dim")
        if self.device:
            text.append(f" · {self.device}", style="dim")
        if p is not None:
            text.append(f" · {clock(int(p.elapsed_s))}", style="dim")
            of = f"/{short(self.goal)}" if self.goal else ""
            left = time_left(p.steps, self.goal, p.steps_per_s) if not p.paused else None
            eta = f" · {left}" if left else ""
            text.append(f"\nsteps {short(p.steps)}{of} · {short(p.steps_per_s)}/s{eta}")
            m = p.metrics
            parts = [f"episodes {p.episodes:,}"]
            if "return_100" in m:
                parts.append(f"mean100 {num(m['return_100'])}")
            text.append("\n" + " · ".join(parts))
            if self.phase not in (READY, TRAINING) and self.news:  # end-of-run news, in place of live figures
                text.append("\n" + self.news)
            else:
                text.append("\n" + " · ".join([f"ε {num(m.get('epsilon'), 2)}", f"loss {num(m.get('loss'))}"]))
        if self.evaluation is not None:
            text.append("\n" + evaluation_line(self.evaluation))
        return text


class RunFailure(Static):
    """Why the run failed, in a red panel that shows only while there is something to say."""

    message: var[str] = var("", toggle_class="-shown")  # app.tcss: #train-error.-shown is displayed

    def watch_message(self, message: str) -> None:
        self.update(Text(message))
