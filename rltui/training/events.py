"""What the Trainer says (events) and what a face tells it (control), shared by the app and the CLI.

Events are immutable and hold copies, never live arrays, so a face may keep them on another thread.
The Trainer calls the face's callback with each event from its own thread; the callback must be quick
(the app posts a message, the CLI updates a progress bar) and may return :data:`STOP` to end the run.
Commands the other way go through :class:`TrainerControl`, whose methods are safe to call from any
thread: threads cannot be killed, so the training loop polls it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Progress:
    """Periodic step statistics (a few times a second of wall-clock, whatever the step rate)."""

    steps: int
    episodes: int
    elapsed_s: float
    steps_per_s: float
    metrics: dict[str, float] = field(default_factory=dict)  # epsilon, loss, lr, ... from the agent
    paused: bool = False


@dataclass(frozen=True)
class EpisodeEnd:
    episode: int
    steps: int  # total env steps when the episode ended
    ret: float
    length: int


@dataclass(frozen=True)
class QSnapshot:
    """A copy of Q (states × actions), for envs with a Discrete state space."""

    steps: int
    q: np.ndarray


@dataclass(frozen=True)
class Evaluation:
    """Greedy evaluation on fixed seeds."""

    steps: int
    mean: float
    std: float
    episodes: int
    success_rate: float | None = None


@dataclass(frozen=True)
class Checkpointed:
    steps: int
    path: str
    best: bool = False  # the best evaluation's checkpoint (``…-best``), not the run's latest


@dataclass(frozen=True)
class StepTaken:
    """One env step, sent only while the run is paced ("watch it learn"): enough to draw the move.

    ``obs`` is the observation *after* the step (for tabular envs the state index); on an episode's
    last step the next event shows the reset state.
    """

    steps: int
    episode: int
    obs: object
    action: int
    reward: float
    terminated: bool
    truncated: bool


@dataclass(frozen=True)
class KnobChanged:
    """A live knob (α, γ, ε of a tabular run) took effect at ``steps``; ``value`` None: back to the schedule."""

    steps: int
    name: str
    value: float | None


Status = Literal["finished", "stopped", "failed"]


@dataclass(frozen=True)
class Finished:
    """The last event of every run, whatever happened: a failed run carries its error message."""

    status: Status
    steps: int
    episodes: int
    elapsed_s: float
    checkpoint: str | None = None
    error: str | None = None
    best_checkpoint: str | None = None  # the agent of the best evaluation, when there was one
    reached: str | None = None  # why the run ended before its budget: the evaluation that met stop_at_return


Event = Progress | EpisodeEnd | QSnapshot | Evaluation | Checkpointed | StepTaken | KnobChanged | Finished

#: Returned by a callback to end the run cleanly (the run is saved and marked "stopped").
STOP = "stop"

Callback = Callable[[Event], "str | None"]


class TrainerControl:
    """Thread-safe commands from a face to a running Trainer: pause, resume, stop, save, epsilon, pace."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._running.set()
        self._stop = False
        self._save = False
        self._epsilon: float | None = None
        self._epsilon_changed = False
        self._pace: float | None = None
        self._knobs: dict[str, float | None] = {}  # set since the Trainer last took them
        self._knob_state: dict[str, float | None] = {}  # every knob ever set, for a late relay
        self._listeners: list[Callable[[str, object], object]] = []

    def listen(self, listener: Callable[[str, object], object]) -> None:
        """Also tell ``listener(command, value)`` about every command from now on.

        For a Trainer that runs in another process (:mod:`rltui.training.remote`): the face keeps
        using this object as it would for a thread, and the relay forwards what it is told.
        """
        self._listeners.append(listener)

    def state_commands(self) -> list[tuple[str, object]]:
        """The commands that bring a fresh control to this one's state (for a relay that starts late)."""
        with self._lock:
            commands: list[tuple[str, object]] = []
            if self._stop:
                commands.append(("stop", None))
            if self._save:
                commands.append(("save", None))
            if self._epsilon_changed or self._epsilon is not None:
                commands.append(("epsilon", self._epsilon))
            if self._pace is not None:
                commands.append(("pace", self._pace))
            commands.extend(("knob", item) for item in self._knob_state.items())
        if self.paused and not self._stop:
            commands.append(("pause", None))
        return commands

    def apply(self, command: str, value: object = None) -> None:
        """Carry out a command by name (what a relay received)."""
        if command in ("epsilon", "pace"):
            getattr(self, "set_" + command)(value)
        elif command in ("pause", "resume", "stop"):
            getattr(self, command)()
        elif command == "save":
            self.request_save()
        elif command == "knob":
            name, knob_value = value  # type: ignore[misc]
            self.set_knob(name, knob_value)
        else:
            raise ValueError(f"unknown trainer command {command!r}")

    def _tell(self, command: str, value: object = None) -> None:
        for listener in self._listeners:
            listener(command, value)

    # -- called by faces ---------------------------------------------------------------------------
    def pause(self) -> None:
        self._running.clear()
        self._tell("pause")

    def resume(self) -> None:
        self._running.set()
        self._tell("resume")

    def stop(self) -> None:
        with self._lock:
            self._stop = True
        self._running.set()  # a paused loop must wake up to stop
        self._tell("stop")

    def request_save(self) -> None:
        with self._lock:
            self._save = True
        self._tell("save")

    def set_epsilon(self, value: float | None) -> None:
        """Pin exploration (None: back to the schedule)."""
        with self._lock:
            self._epsilon, self._epsilon_changed = value, True
        self._tell("epsilon", value)

    def set_knob(self, name: str, value: float | None) -> None:
        """Change a live knob (``alpha``, ``gamma``, ``epsilon``) from the next chunk on; the run records it."""
        with self._lock:
            self._knobs[name] = value
            self._knob_state[name] = value
        self._tell("knob", (name, value))

    def set_pace(self, steps_per_s: float | None) -> None:
        """Slow the loop to about this many steps a second ("watch it learn"); None: full speed."""
        with self._lock:
            self._pace = steps_per_s
        self._tell("pace", steps_per_s)

    # -- read by the Trainer -----------------------------------------------------------------------
    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        return self._stop

    @property
    def pace(self) -> float | None:
        return self._pace

    def wait_while_paused(self, timeout: float = 0.1) -> bool:
        """Block up to ``timeout`` while paused; True when running."""
        return self._running.wait(timeout)

    def take_save_request(self) -> bool:
        with self._lock:
            save, self._save = self._save, False
            return save

    def take_knobs(self) -> dict[str, float | None]:
        with self._lock:
            knobs, self._knobs = self._knobs, {}
            return knobs

    def take_epsilon(self) -> tuple[bool, float | None]:
        with self._lock:
            changed, self._epsilon_changed = self._epsilon_changed, False
            return changed, self._epsilon
