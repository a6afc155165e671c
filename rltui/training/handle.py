"""The seam between a face and a training run: one :class:`TrainingHandle` protocol, two ways to run.

A face (the app's Train screen, ``rltui train``) starts a run, hears its events through a callback,
steers it through a :class:`~rltui.training.events.TrainerControl`, and may ask for the learned state
to watch the agent play. It does so through this protocol, whether the Trainer runs

* in a thread of this process (:class:`ThreadTraining`: the CLI's default; no start-up cost), or
* in a spawned child process (:class:`~rltui.training.remote.RemoteTrainer`: the app's, so the
  screen and the training loop do not share one GIL).

Both send the same events in the same order and give the same run for the same config and seed
(``tests/test_handle.py``). :func:`start_training` picks one by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol, runtime_checkable

from rltui.training.config import TrainConfig
from rltui.training.events import Callback, Finished, TrainerControl

Worker = Literal["thread", "process"]
WORKERS: tuple[str, ...] = ("thread", "process")


@runtime_checkable
class TrainingHandle(Protocol):
    """What a face holds for one run, wherever the Trainer runs.

    The attributes are filled when the Trainer is built (``on_ready`` is called then); ``agent`` is the
    training agent (or a stand-in while it trains elsewhere) and, after :meth:`run`, the final agent.
    """

    config: TrainConfig
    control: TrainerControl
    run_id: int | None
    device: str
    algo: str
    hparams: dict[str, Any]
    observation_space: Any
    action_space: Any
    agent: Any

    def run(self) -> Finished:
        """Train until the end; blocks the calling (worker) thread; never raises for training errors."""
        ...

    def request_agent(self) -> None:
        """Ask for the current learned state; ``on_agent`` is called when :meth:`learned_state` has it."""
        ...

    def learned_state(self) -> dict[str, Any] | None:
        """The learned state to watch with (None: not here yet, ask with :meth:`request_agent`)."""
        ...

    def forget_learned_state(self) -> None:
        """Drop a received state, so the next watch starts from what is learned by then."""
        ...


class ThreadTraining:
    """A :class:`TrainingHandle` for a Trainer in the calling thread (the face runs :meth:`run` in a
    worker thread). The Trainer is built here, so bad input raises its one-line error at once."""

    def __init__(self, config: TrainConfig, *, callback: Callback, control: TrainerControl | None = None,
                 agent: Any = None, store: Any = None, on_ready: Callable[[Any], None] | None = None,
                 on_agent: Callable[[], None] | None = None, continue_run: int | None = None,
                 header: dict[str, Any] | None = None) -> None:
        from rltui.training.trainer import Trainer

        self.control = control or TrainerControl()
        self.on_ready, self.on_agent = on_ready, on_agent
        self.trainer = Trainer(config, callback=callback, control=self.control, store=store, agent=agent,
                               continue_run=continue_run, header=header)
        t = self.trainer
        self.config, self.device, self.algo, self.hparams = t.config, t.device, t.agent.algo, t.hparams
        self.observation_space, self.action_space = t.observation_space, t.action_space
        self.agent = t.agent

    @property
    def run_id(self) -> int | None:  # type: ignore[override]
        return self.trainer.run_id

    def run(self) -> Finished:
        if self.on_ready is not None:
            self.on_ready(self)
        return self.trainer.run()

    def request_agent(self) -> None:
        if self.on_agent is not None:  # the agent is right here: its state is always at hand
            self.on_agent()

    def learned_state(self) -> dict[str, Any] | None:
        return self.agent.state_dict()

    def forget_learned_state(self) -> None:
        """Nothing kept: :meth:`learned_state` reads the live agent."""


def start_training(worker: str, config: TrainConfig, **kwargs: Any) -> TrainingHandle:
    """A handle for ``config`` on the ``worker`` ("thread" or "process"); kwargs as :class:`ThreadTraining`
    (plus ``child_setup`` for a process)."""
    if worker == "thread":
        kwargs.pop("child_setup", None)
        return ThreadTraining(config, **kwargs)
    if worker == "process":
        from rltui.training.remote import RemoteTrainer

        return RemoteTrainer(config, **kwargs)
    from rltui.errors import RltuiError

    raise RltuiError(f"worker must be one of {', '.join(WORKERS)}, not {worker!r}")
