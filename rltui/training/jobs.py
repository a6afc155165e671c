"""The periodic work of a training run: small jobs the Trainer's loop calls between chunks of steps.

As Stable-Baselines3's callbacks are objects its loop calls, each job here is an object with an
:class:`Every` (when it is next due, by training seconds and/or env steps) and a ``run`` method; the
loop (:meth:`rltui.training.trainer.Trainer._loop`) cuts its chunks at step-scheduled jobs and runs
whatever is due after each chunk. The heartbeat is the one piece of periodic work in a thread of its
own, so a long evaluation or a pause does not make a live run look dead.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rltui.training.events import QSnapshot
from rltui.training.store import HEARTBEAT_EVERY_S, RunStore

if TYPE_CHECKING:
    from rltui.training.trainer import Trainer

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.1
SNAPSHOT_EVERY_S = 0.25
SNAPSHOT_STEPS_MAX_SIZE = 100_000  # Q-tables up to this size are also sent every 1% of the run
FLUSH_EVERY_S = 1.0


class Diverged(Exception):
    """Internal: the loss or the weights are no longer finite numbers."""

    def __init__(self, steps: int, what: str) -> None:
        super().__init__(f"diverged at step {steps:,} ({what} became NaN or inf)")


@dataclass
class Every:
    """When a periodic job is next due: every ``seconds`` of training time and/or every ``steps`` env
    steps (0: not by that measure; both 0: never)."""

    seconds: float = 0.0
    steps: int = 0
    next_time: float = math.inf
    next_step: int | None = None

    def arm(self, t: float, step: int) -> None:
        """Schedule the next time from now (``t`` training seconds, ``step`` steps done)."""
        self.next_time = t + self.seconds if self.seconds > 0 else math.inf
        self.next_step = (step // self.steps + 1) * self.steps if self.steps > 0 else None

    def due(self, t: float, step: int) -> bool:
        return t >= self.next_time or (self.next_step is not None and step >= self.next_step)

    def steps_left(self, step: int) -> int | None:
        """Steps until a step-scheduled job is due (the loop cuts its chunk there); None: not by steps."""
        return None if self.next_step is None else self.next_step - step


class Job:
    """One piece of periodic work the loop runs between chunks when :attr:`every` says so."""

    every: Every

    def start(self, trainer: Trainer, t: float) -> None:
        self.every.arm(t, trainer.steps)

    def run(self, trainer: Trainer, t: float) -> None:
        raise NotImplementedError


class ReportProgress(Job):
    """Progress events (and the divergence check on the agent's loss, which they read anyway)."""

    def __init__(self) -> None:
        self.every = Every(seconds=PROGRESS_EVERY_S)
        self.last_t, self.last_steps = 0.0, 0

    def start(self, trainer: Trainer, t: float) -> None:
        super().start(trainer, t)
        self.every.next_time = t  # the first report after the first chunk
        self.last_t, self.last_steps = t, trainer.steps

    def run(self, trainer: Trainer, t: float) -> None:
        span = t - self.last_t
        rate = (trainer.steps - self.last_steps) / span if span > 0 else 0.0
        self.last_t, self.last_steps = t, trainer.steps
        trainer._progress(t, rate, check=True)
        self.every.arm(t, trainer.steps)


class SendQSnapshot(Job):
    """Copies of the Q-table for the faces' panels; switches itself off for agents without one."""

    def __init__(self) -> None:
        self.every = Every(seconds=SNAPSHOT_EVERY_S)

    def start(self, trainer: Trainer, t: float) -> None:
        # Also every 1% of the run's steps: a small tabular run ends within a second, and the faces keep
        # these snapshots so the finished run can be stepped through in time (the Train screen's [ ]).
        self.every = Every(seconds=SNAPSHOT_EVERY_S, steps=max(1, int(trainer.config.steps) // 100))
        super().start(trainer, t)
        self.every.next_time = t

    def run(self, trainer: Trainer, t: float) -> None:
        q = trainer.agent.q_values()
        if q is None:
            self.every = Every()
            return
        if q.size > SNAPSHOT_STEPS_MAX_SIZE and self.every.steps:
            self.every = Every(seconds=SNAPSHOT_EVERY_S)  # big tables: by time only
        if not _finite_array(q):
            raise Diverged(trainer.steps, "the Q-table")
        trainer._emit(QSnapshot(trainer.steps, q))
        self.every.arm(t, trainer.steps)


class FlushEpisodes(Job):
    """Buffered episode rows to the store, in one transaction about once a second."""

    def __init__(self) -> None:
        self.every = Every(seconds=FLUSH_EVERY_S)

    def run(self, trainer: Trainer, t: float) -> None:
        trainer._flush()
        self.every.arm(t, trainer.steps)


class SaveCheckpoint(Job):
    """The run's checkpoint, rewritten every N seconds of training or N steps (the final save is
    :meth:`Trainer._finish`'s, so none is written when the budget is spent)."""

    def __init__(self, seconds: float, steps: int) -> None:
        self.every = Every(seconds=seconds, steps=steps)

    @property
    def active(self) -> bool:
        return self.every.seconds > 0 or self.every.steps > 0

    def run(self, trainer: Trainer, t: float) -> None:
        if trainer._budget_left() > 0:
            trainer.save_checkpoint()
        self.every.arm(t, trainer.steps)


class Evaluate(Job):
    """Greedy evaluation every N steps; a new best is saved as ``…-best``, and (when periodic
    checkpoints are on) the run's checkpoint is saved too, restarting the checkpoint clock.

    With a ``stop_at`` return, the first evaluation that reaches it ends the run (SB3's
    ``StopTrainingOnRewardThreshold``): a solved agent is kept as it is instead of trained on, where
    a value-based learner's greedy policy can still swing away from it.
    """

    def __init__(self, steps: int, checkpoint: SaveCheckpoint, stop_at: float | None = None) -> None:
        self.every = Every(steps=steps)
        self.checkpoint = checkpoint
        self.stop_at = stop_at

    def run(self, trainer: Trainer, t: float) -> None:
        result = trainer.evaluate_now()
        if trainer.best_mean is None or result.mean > trainer.best_mean:
            trainer.best_mean = result.mean
            trainer.save_checkpoint(best=True)
        if self.stop_at is not None and result.mean >= self.stop_at:
            trainer.reached = Reached(trainer.steps, result.mean, self.stop_at)
        if self.checkpoint.active and trainer._budget_left() > 0:
            trainer.save_checkpoint()
            self.checkpoint.every.arm(t, trainer.steps)
        self.every.arm(t, trainer.steps)


@dataclass(frozen=True)
class Reached:
    """The evaluation that met the run's ``stop_at_return``: the run ends after it."""

    steps: int
    mean: float
    threshold: float

    def describe(self) -> str:
        return f"evaluation {self.mean:.4g} at step {self.steps:,} reached stop_at_return {self.threshold:g}"


class Heartbeat:
    """A thread that tells the store every few seconds that the run is alive, whatever the loop is
    doing (a long evaluation, a pause): a run whose heartbeat stops reads as interrupted."""

    def __init__(self, store: RunStore, run_id: int, owner: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, args=(store, run_id, owner), name="rltui-heartbeat",
                                        daemon=True)
        self._thread.start()

    def _beat(self, store: RunStore, run_id: int, owner: str) -> None:
        while not self._stop.wait(HEARTBEAT_EVERY_S):
            try:
                store.heartbeat(run_id, owner)
            except Exception:  # noqa: BLE001 - a busy or full store: the next beat tries again
                log.debug("heartbeat failed", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _finite_array(values: Any) -> bool:
    import numpy as np

    return bool(np.all(np.isfinite(values)))
