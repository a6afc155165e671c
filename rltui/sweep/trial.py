"""The function one Ray Tune trial runs: an ordinary rltui run (the same Trainer, config and checkpoint
format as ``rltui train``) in a Ray worker, reporting to Tune instead of writing a run store.

A trial never opens the driver's SQLite file (it may be on another machine): the Trainer records into
an in-memory store, and everything the driver needs travels in the Tune results:

* ``kind="start"``: the node, pid and device, once;
* ``kind="progress"``: steps and the episodes finished since the last report, every few seconds;
* ``kind="eval"``: each greedy evaluation (``score`` is its mean: what a searcher or scheduler sees),
  with the episodes since the last report and the latest checkpoint when one was saved since;
* ``kind="end"``: the run's status, error and totals, with its final checkpoint.

A training crash is caught by the Trainer and reported as ``status="failed"`` (retrying a deterministic
crash would fail again); an exception that escapes this function, or a worker that dies, is Tune's to
retry (``FailureConfig.max_failures``).
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from rltui.sweep.spec import SweepSpec
from rltui.training.checkpoints import default_suffix
from rltui.training.events import Checkpointed, EpisodeEnd, Evaluation, Finished, Progress, TrainerControl
from rltui.training.store import RunStore
from rltui.training.trainer import Trainer

PROGRESS_EVERY_S = 3.0
CHECKPOINT_EVERY_S = 300.0  # Tune keeps every checkpoint it is given: hand it the Trainer's saves this often
POLL_STOP_EVERY_S = 0.5


def run_trial(config: dict[str, Any], spec: dict[str, Any], control: Any = None) -> None:
    """Tune's function trainable: ``config`` holds this trial's ``seed`` and ``hp`` (the grid point or the
    searcher's sample); ``spec`` the sweep with the preset already resolved (see the driver); ``control``
    the driver's stop flag (a Ray actor)."""
    import ray
    from ray import tune

    sweep = SweepSpec.from_dict(spec)
    seed = int(config["seed"])
    hp = dict(config.get("hp") or {})
    node = ray.get_runtime_context().get_node_id()
    attempt = uuid.uuid4().hex[:12]
    base = {"attempt": attempt, "node": node, "pid": os.getpid()}
    if control is not None and ray.get(control.stopped.remote()):
        tune.report({**base, "kind": "end", "status": "stopped", "error": None, "steps": 0, "episodes": 0,
                     "rows": [], "elapsed_s": 0.0, "score": float("nan")})
        return
    trainer_control = TrainerControl()
    with tempfile.TemporaryDirectory(prefix="rltui-trial-") as tmp:
        trainer = Trainer(sweep.base_config(seed, hp), control=trainer_control, store=RunStore(None))
        trainer.config.out = str(Path(tmp) / f"seed{seed}-{trainer.agent.algo}{default_suffix(trainer.agent)}")
        reporter = _Reporter(base, tmp, trainer)
        trainer.callback = reporter
        tune.report({**base, "kind": "start", "device": trainer.device, "hparams": trainer.hparams,
                     "steps": 0, "episodes": 0, "rows": [], "score": float("nan")})
        done = threading.Event()
        if control is not None:
            threading.Thread(target=_watch_stop, args=(control, trainer_control, done), daemon=True,
                             name="rltui-trial-stop").start()
        try:
            finished = trainer.run()
        finally:
            done.set()
        reporter.end(finished)


def _watch_stop(control: Any, trainer_control: TrainerControl, done: threading.Event) -> None:
    """Poll the driver's stop flag; a stop ends this run the way Ctrl-C ends ``rltui train``."""
    import ray

    while not done.wait(POLL_STOP_EVERY_S):
        try:
            if ray.get(control.stopped.remote(), timeout=10):
                trainer_control.stop()
                return
        except Exception:  # the driver is gone: stop and keep what was learned
            trainer_control.stop()
            return


class _Reporter:
    """The Trainer's callback inside a trial: gathers episodes and sends Tune results."""

    def __init__(self, base: dict[str, Any], ckpt_dir: str, trainer: Trainer) -> None:
        self.base, self.ckpt_dir, self.trainer = base, ckpt_dir, trainer
        self.rows: list[tuple[int, int, float, int]] = []
        self.evals: list[float] = []
        self.new_checkpoint: str | None = None
        self.next_progress = time.monotonic() + PROGRESS_EVERY_S
        self.next_checkpoint = time.monotonic() + CHECKPOINT_EVERY_S
        self.steps = self.episodes = 0

    def __call__(self, event: Any) -> None:
        if isinstance(event, EpisodeEnd):
            self.rows.append((event.episode - 1, event.steps, float(event.ret), event.length))
        elif isinstance(event, Progress):
            self.steps, self.episodes = event.steps, event.episodes
            if time.monotonic() >= self.next_progress:
                self._report({"kind": "progress", "steps": event.steps, "episodes": event.episodes})
        elif isinstance(event, Checkpointed):
            self.new_checkpoint = event.path
        elif isinstance(event, Evaluation):
            self.evals.append(event.mean)
            self._report({"kind": "eval", "steps": event.steps, "episodes": self.trainer.episodes,
                          "eval": [event.mean, event.std, event.episodes, event.success_rate],
                          "score": event.mean})
        return None

    def _report(self, result: dict[str, Any], final: bool = False) -> None:
        from ray import tune

        rows, self.rows = self.rows, []
        checkpoint = None
        path = self.new_checkpoint if not final else (self.trainer.checkpoint or self.new_checkpoint)
        if final or time.monotonic() >= self.next_checkpoint:
            if path is not None and Path(path).exists():
                checkpoint = tune.Checkpoint.from_directory(self.ckpt_dir)
                result["checkpoint_file"] = Path(path).name
                result["checkpoint_steps"] = self.trainer.agent.trained_steps + self.trainer.steps
                self.next_checkpoint = time.monotonic() + CHECKPOINT_EVERY_S
            self.new_checkpoint = None
        result.setdefault("score", self.evals[-1] if self.evals else float("nan"))
        tune.report({**self.base, **result, "rows": rows}, checkpoint=checkpoint)
        self.next_progress = time.monotonic() + PROGRESS_EVERY_S

    def end(self, finished: Finished) -> None:
        self._report({"kind": "end", "status": finished.status, "error": finished.error,
                      "steps": finished.steps, "episodes": finished.episodes, "elapsed_s": finished.elapsed_s},
                     final=True)
