"""The bridge between a training thread and the Train screen.

The Trainer calls :meth:`LiveRun.callback` from its own thread for every event. The callback only
copies figures into this object under a lock and, for the events a person should see at once, posts a
message to the screen; it never touches a widget and never waits for the screen. The screen pulls
what is new a few times a second (``Refresh`` messages replace each other in the queue when the screen
is behind), so training speed does not depend on screen speed and the screen never waits for training.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from textual.message import Message

from rltui.training.events import (
    Checkpointed,
    EpisodeEnd,
    Evaluation,
    Event,
    Finished,
    KnobChanged,
    Progress,
    QSnapshot,
)


class Refresh(Message):
    """New figures are waiting in the LiveRun; one pending Refresh stands for any number."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Refresh)


class RunEvent(Message):
    """An event a person should see at once (evaluation, checkpoint, the end of the run)."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


@dataclass
class LiveView:
    """What the screen reads on a refresh: only the returns it has not seen yet, plus the latest state."""

    new_returns: list[float]
    progress: Progress | None
    q: np.ndarray | None
    q_steps: int
    evaluation: Evaluation | None
    checkpoint: str | None
    finished: Finished | None


HISTORY_KEPT = 200
HISTORY_MAX_SIZE = 100_000


@dataclass
class LiveRun:
    """Thread-safe store of a running training's figures (written by the Trainer's thread)."""

    post: Callable[[Message], object]
    lock: threading.Lock = field(default_factory=threading.Lock)
    returns: list[float] = field(default_factory=list)
    progress: Progress | None = None
    q: np.ndarray | None = None
    q_steps: int = 0
    evaluation: Evaluation | None = None
    checkpoint: str | None = None
    finished: Finished | None = None
    #: (steps, Q, episodes so far) for every Q snapshot, thinned evenly beyond HISTORY_KEPT
    history: list = field(default_factory=list)
    _seen: int = 0

    def callback(self, event: Event) -> None:
        """The Trainer's callback: quick, no widgets, copies only (events already hold copies)."""
        if isinstance(event, EpisodeEnd):
            with self.lock:
                self.returns.append(event.ret)
            return
        if isinstance(event, Progress):
            with self.lock:
                self.progress = event
            self.post(Refresh())  # ~10 a second; merged in the queue when the screen is behind
        elif isinstance(event, QSnapshot):
            with self.lock:
                self.q, self.q_steps = event.q, event.steps
                if event.q.size <= HISTORY_MAX_SIZE:  # kept for stepping through the run afterwards
                    self.history.append((int(event.steps), event.q, len(self.returns)))
                    if len(self.history) > HISTORY_KEPT:
                        self.history = self.history[::2]
        elif isinstance(event, Evaluation):
            with self.lock:
                self.evaluation = event
            self.post(RunEvent(event))
        elif isinstance(event, Checkpointed):
            with self.lock:
                self.checkpoint = event.path
            self.post(RunEvent(event))
        elif isinstance(event, KnobChanged):
            self.post(RunEvent(event))
        elif isinstance(event, Finished):
            with self.lock:
                self.finished = event
            self.post(RunEvent(event))

    def take(self) -> LiveView:
        """The figures since the last take (for the screen's thread)."""
        with self.lock:
            new = self.returns[self._seen :]
            self._seen = len(self.returns)
            return LiveView(new, self.progress, self.q, self.q_steps, self.evaluation, self.checkpoint,
                            self.finished)
