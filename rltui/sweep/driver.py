"""The sweep driver: starts (or joins) Ray, runs the trials with Ray Tune, and alone writes the run store.

* Ray starts only here, without its dashboard, with every CPU of the machine (or joins ``address``);
  each trial asks for one CPU, so Tune runs as many at once as there are CPUs (``max_concurrent`` caps it).
* Results stream back through a Tune callback (:class:`_StoreWriter`, in this process): each trial
  becomes a run of the sweep as soon as it starts, its episodes, evaluations and checkpoints are written
  as they arrive, and its end status when it ends. Trials never touch the SQLite file.
* Checkpoints stay where Ray's storage puts them (``<data dir>/sweeps/sweep-NNNN/<trial>/checkpoint_*``
  by default; a shared or cloud path on a cluster); the store records the path of each.
* Stopping (:meth:`SweepControl`): a stop flag in a small Ray actor that every trial polls, so a stopped
  trial ends the way Ctrl-C ends ``rltui train``: it saves its checkpoint and is recorded ``stopped``.
  Trials that had not started yet end at once as ``stopped`` with nothing trained.
* A trial whose worker dies (or that raises past the Trainer) is Tune's to retry ``spec.retries`` times;
  the lost attempt's run is recorded ``failed`` with what happened, the retry is a new run of the sweep.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rltui.errors import RltuiError
from rltui.sweep.spec import SweepSpec, label
from rltui.training import paths
from rltui.training.config import resolve_hparams, train_settings
from rltui.training.store import HEARTBEAT_EVERY_S, RunStore

log = logging.getLogger(__name__)

EventSink = Callable[[dict[str, Any]], None]


@dataclass
class SweepOutcome:
    sweep_id: int
    status: str  # finished, stopped, failed
    storage: str


def _quiet_ray_env() -> None:
    """Settings Ray and Tune read from the environment, set before Ray is imported."""
    # The results live in the run store, so Tune's own result files are off; its ResultGrid then
    # warns that it cannot read them back.
    logging.getLogger("ray.tune.analysis.experiment_analysis").setLevel(logging.ERROR)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no network calls home
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")  # the run store is the record
    os.environ.setdefault("TUNE_DISABLE_STRICT_METRIC_CHECKING", "1")  # start/progress results carry no score
    os.environ.setdefault("TUNE_DISABLE_SIGINT_HANDLER", "1")  # our handler stops trials cleanly
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")


def start_ray(address: str | None = None, num_cpus: int | None = None) -> bool:
    """Start a local Ray (``address`` None) or join a cluster; True when this call started it.

    An address that cannot be reached is a one-line :class:`RltuiError`."""
    if address and address.startswith("ray://"):
        # Ray Client runs Tune's driver loop on the head, so the results would not reach this machine's
        # run store; rltui sweep runs on a machine of the cluster instead.
        raise RltuiError(f"{address}: Ray Client addresses are not supported (Tune would record the trials on "
                         "the head); run rltui sweep on a cluster machine with --address auto or HOST:PORT")
    if address and address != "auto":
        _check_reachable(address)
    _quiet_ray_env()
    import ray

    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = {"configure_logging": True, "logging_level": logging.WARNING, "log_to_driver": False}
    try:
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=num_cpus or os.cpu_count() or 1, include_dashboard=False, **kwargs)
    except Exception as exc:  # ConnectionError, RuntimeError, grpc errors: all one line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise RltuiError(f"cannot reach {where}: {first}") from exc
    return True


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Ray retries an unreachable address for minutes; a TCP connect says it in seconds."""
    import socket

    hostport = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise RltuiError(f"--address takes auto or HOST:PORT, not {address!r}")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise RltuiError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}") from None


def stop_ray() -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()


def _control_actor():
    import ray

    @ray.remote(num_cpus=0)
    class SweepControl:
        """The sweep's stop flag, polled by every trial (threads and processes cannot be killed cleanly)."""

        def __init__(self) -> None:
            self._stopped = False

        def stop(self) -> None:
            self._stopped = True

        def stopped(self) -> bool:
            return self._stopped

    return SweepControl.remote()


def trial_spec(spec: SweepSpec) -> dict[str, Any]:
    """The spec a trial gets: the preset resolved here, on the driver, into explicit hyperparameters and
    trainer settings, so a node without the driver's preset files builds the very same run."""
    base = spec.base_config(spec.seeds[0])
    settings = train_settings(base)
    return replace(spec, preset=None, hparams=resolve_hparams(base), eval_every=settings["eval_every"],
                   eval_episodes=settings["eval_episodes"],
                   checkpoint_every=settings["checkpoint_every"],
                   stop_at_return=settings["stop_at_return"]).to_dict()


def _param_space(spec: SweepSpec) -> dict[str, Any]:
    from ray import tune

    if spec.search:
        space: dict[str, Any] = {}
        for p in spec.params:
            if p.kind == "log":
                space[p.key] = tune.loguniform(p.low, p.high)
            elif p.kind == "int":
                space[p.key] = tune.randint(int(p.low), int(p.high) + 1)  # type: ignore[arg-type]
            elif p.kind == "choice":
                space[p.key] = tune.choice(list(p.choices))
            else:
                space[p.key] = tune.uniform(p.low, p.high)
        return {"seed": spec.seeds[0], "hp": space}
    return {"seed": tune.grid_search(spec.seeds),
            "hp": {k: tune.grid_search(v) for k, v in spec.grid.items()}}


def run_sweep(spec: SweepSpec, *, data_dir: str | None = None, store: RunStore | None = None,
              address: str | None = None, num_cpus: int | None = None, storage: str | None = None,
              on_event: EventSink | None = None, stop: threading.Event | None = None,
              trainable: Callable[..., None] | None = None, keep_ray: bool = False) -> SweepOutcome:
    """Run ``spec`` to the end (or until ``stop`` is set) and record it; see the module docstring.

    ``on_event`` receives plain dicts (``type`` = sweep, trial or end) from the driver's thread, for a
    face to show. ``trainable`` replaces :func:`rltui.sweep.trial.run_trial` (same signature).
    """
    spec.check()
    own_store = store is None
    store = store if store is not None else RunStore.open(data_dir)
    if storage and "://" not in storage:
        storage = str(Path(storage).expanduser().resolve())  # Ray takes absolute paths or URIs
    storage_root = storage or str(paths.data_dir(data_dir) / "sweeps")
    started = start_ray(address, num_cpus)
    sweep_id = store.create_sweep(spec.env, spec.algo, spec.to_dict(), None, address)
    name = f"sweep-{sweep_id:04d}"
    where = storage_root.rstrip("/") + "/" + name
    store.set_sweep_storage(sweep_id, where)
    writer = _store_writer(store, sweep_id, spec, on_event)
    status, error = "finished", None
    try:
        from ray import tune

        from rltui.sweep.trial import run_trial

        control = _control_actor()
        watcher = _StopWatcher(stop, control) if stop is not None else None
        fn = tune.with_parameters(trainable or run_trial, spec=trial_spec(spec), control=control)
        search_alg = None
        if spec.search == "optuna":
            import optuna
            from ray.tune.search.optuna import OptunaSearch

            search_alg = OptunaSearch(sampler=optuna.samplers.TPESampler(seed=spec.seeds[0]))
        tune_config = tune.TuneConfig(
            metric="score", mode="max", search_alg=search_alg,
            num_samples=spec.trials if spec.search else 1,
            max_concurrent_trials=spec.max_concurrent, reuse_actors=True)  # a worker imports torch once
        run_config = tune.RunConfig(
            name=name, storage_path=storage_root, callbacks=[writer], verbose=0,
            failure_config=tune.FailureConfig(max_failures=spec.retries),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=None))
        writer.emit({"type": "sweep", "sweep_id": sweep_id, "storage": where, "trials": spec.n_trials(),
                     "env": spec.env, "algo": spec.algo})
        tuner = tune.Tuner(fn, param_space=_param_space(spec), tune_config=tune_config, run_config=run_config)
        try:
            tuner.fit()
        finally:
            if watcher is not None:
                watcher.close()
        if stop is not None and stop.is_set():
            status = "stopped"
    except KeyboardInterrupt:
        status, error = "stopped", "abandoned (second interrupt)"
        raise
    except RltuiError as exc:
        status, error = "failed", str(exc)
        raise
    except Exception as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        status, error = "failed", f"{type(exc).__name__}: {lines[-1] if lines else ''}"  # a Tune traceback's last line
        raise RltuiError(f"sweep {sweep_id}: {error}") from exc
    finally:
        writer.close_open_runs("stopped" if status != "failed" else "failed", error)
        store.finish_sweep(sweep_id, status, error)
        writer.emit({"type": "end", "sweep_id": sweep_id, "status": status, "error": error})
        if own_store:
            store.close()
        if started and not keep_ray:
            stop_ray()
    return SweepOutcome(sweep_id, status, where)


class _StopWatcher:
    """Turns a threading.Event (set by a signal handler or a face) into the Ray stop flag, from a thread
    of its own: a signal handler must not call into Ray."""

    def __init__(self, stop: threading.Event, control: Any) -> None:
        self._stop, self._control, self._closed = stop, control, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rltui-sweep-stop")
        self._thread.start()

    def _run(self) -> None:
        import ray

        while not self._closed.is_set():
            if self._stop.wait(0.2):
                try:
                    ray.get(self._control.stop.remote(), timeout=30)
                except Exception:
                    log.exception("could not tell the trials to stop")
                return

    def close(self) -> None:
        self._closed.set()


def _store_writer(*args: Any) -> Any:
    """A :class:`_StoreWriter` that is also a Tune Callback (the base class is Ray's: imported only here)."""
    from ray import tune

    cls = type("StoreWriter", (_StoreWriter, tune.Callback), {})
    return cls(*args)


class _StoreWriter:
    """Tune callback, in the driver process: writes each trial's results into the run store."""

    def __init__(self, store: RunStore, sweep_id: int, spec: SweepSpec, on_event: EventSink | None) -> None:
        self.store, self.sweep_id, self.spec, self.on_event = store, sweep_id, spec, on_event
        self.runs: dict[str, tuple[str, int]] = {}  # trial id -> (attempt, run id)
        self.open: dict[int, dict[str, Any]] = {}  # run id -> live figures, until the run ends
        self.ckpt_dir: dict[str, str] = {}
        self.ckpt_file: dict[str, tuple[str, int]] = {}
        self.closed: dict[int, dict[str, Any]] = {}  # run id -> last figures, once ended
        self.failed = 0
        self.next_beat = 0.0

    def __getstate__(self) -> dict[str, Any]:
        """Tune pickles its callbacks with the experiment state (for a restore we do not use): leave out
        the SQLite connection and the face's sink, which live in this process only."""
        return {**self.__dict__, "store": None, "on_event": None}

    # -- helpers --------------------------------------------------------------------------------------
    def emit(self, event: dict[str, Any]) -> None:
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:
                log.exception("the sweep's event sink failed")

    def _trial_figures(self, run_id: int) -> dict[str, Any]:
        return self.open.setdefault(run_id, {"steps": 0, "episodes": 0, "last_eval": None, "best": None,
                                             "evals": [], "status": "running"})

    def _emit_trial(self, run_id: int, trial: Any) -> None:
        figures = self.open.get(run_id) or self.closed.get(run_id, {})
        hp = dict(trial.config.get("hp") or {})
        self.emit({"type": "trial", "run_id": run_id, "trial": trial.trial_id, "seed": trial.config.get("seed"),
                   "label": label(hp), "params": hp, **figures})

    def _run_for(self, trial: Any, result: dict[str, Any]) -> int:
        """The run of this trial's current attempt, created at its first result."""
        attempt = result.get("attempt", "?")
        known = self.runs.get(trial.trial_id)
        if known is not None and known[0] == attempt:
            return known[1]
        hp = dict(trial.config.get("hp") or {})
        seed = int(trial.config.get("seed", 0))
        config = self.spec.base_config(seed, hp)
        hparams = result.get("hparams") or resolve_hparams(config)
        run_id = self.store.create_run(config, result.get("device", "?"), hparams)
        self.store.add_sweep_run(self.sweep_id, run_id, trial.trial_id, label(hp), hp, result.get("node"))
        if known is not None:  # an earlier attempt of this trial: its worker was lost
            self._end_run(known[1], "failed", f"its worker was lost; retried as run {run_id}", trial)
        self.runs[trial.trial_id] = (attempt, run_id)
        self._trial_figures(run_id)
        return run_id

    def _end_run(self, run_id: int, status: str, error: str | None, trial: Any, steps: int | None = None,
                 episodes: int | None = None) -> None:
        if run_id not in self.open:
            return
        self.store.finish_run(run_id, status, error, steps=steps, episodes=episodes)
        figures = self.open.pop(run_id)
        figures["status"] = status
        figures["error"] = error
        self.closed[run_id] = figures
        if status == "failed":
            self.failed += 1
        self._emit_trial(run_id, trial)

    # -- Tune callback hooks ----------------------------------------------------------------------
    def on_step_end(self, iteration: int, trials: list, **info: Any) -> None:
        """Heartbeats for the open runs (the store reads a silent ``running`` run as interrupted): the
        driver is their writer, so its being alive is what they show."""
        now = time.monotonic()
        if now < self.next_beat:
            return
        self.next_beat = now + HEARTBEAT_EVERY_S
        for run_id in list(self.open):
            try:
                self.store.heartbeat(run_id, None)
            except RltuiError as exc:
                log.error("sweep %s: %s", self.sweep_id, exc)

    def on_trial_result(self, iteration: int, trials: list, trial: Any, result: dict[str, Any], **info: Any) -> None:
        try:
            self._on_result(trial, result)
        except RltuiError as exc:  # a store write failed: say so, keep the sweep going
            log.error("sweep %s: %s", self.sweep_id, exc)

    def _on_result(self, trial: Any, result: dict[str, Any]) -> None:
        run_id = self._run_for(trial, result)
        kind = result.get("kind")
        figures = self._trial_figures(run_id)
        rows = [tuple(r) for r in result.get("rows") or ()]
        steps = result.get("steps")
        if rows or steps is not None:
            self.store.add_episodes(run_id, rows, steps=steps)  # type: ignore[arg-type]
        if steps is not None:
            figures["steps"] = int(steps)
        if result.get("episodes") is not None:
            figures["episodes"] = int(result["episodes"])
        if kind == "eval":
            mean, std, n, success = result["eval"]
            self.store.add_evaluation(run_id, int(steps), float(mean), float(std), int(n), success)
            figures["last_eval"] = float(mean)
            figures["best"] = float(mean) if figures["best"] is None else max(figures["best"], float(mean))
            figures["evals"] = [*figures["evals"], (int(steps), float(mean))]
        if result.get("checkpoint_file"):
            self.ckpt_file[trial.trial_id] = (str(result["checkpoint_file"]), int(result.get("checkpoint_steps", 0)))
            self._record_checkpoint(trial)
        if kind == "end":
            self._end_run(run_id, str(result.get("status", "finished")), result.get("error"), trial,
                          steps=result.get("steps"), episodes=result.get("episodes"))
        else:
            self._emit_trial(run_id, trial)

    def on_checkpoint(self, iteration: int, trials: list, trial: Any, checkpoint: Any, **info: Any) -> None:
        self.ckpt_dir[trial.trial_id] = checkpoint.path
        self._record_checkpoint(trial)

    def _record_checkpoint(self, trial: Any) -> None:
        """A checkpoint is known once both its folder (from Tune) and its file name (from the result) are."""
        tid = trial.trial_id
        if tid not in self.ckpt_dir or tid not in self.ckpt_file or tid not in self.runs:
            return
        folder = self.ckpt_dir.pop(tid)
        name, steps = self.ckpt_file.pop(tid)
        try:
            self.store.add_checkpoint(self.runs[tid][1], f"{folder.rstrip('/')}/{name}", steps)
        except RltuiError as exc:
            log.error("sweep %s: %s", self.sweep_id, exc)

    def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        known = self.runs.get(trial.trial_id)
        if known is not None:
            self._end_run(known[1], "failed", f"{_trial_error(trial)}; retrying", trial)
            self.emit({"type": "retry", "trial": trial.trial_id, "run_id": known[1]})

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        known = self.runs.get(trial.trial_id)
        if known is None:  # it failed before its first result: still a run of the sweep
            known = ("?", self._run_for(trial, {"attempt": "error"}))
        self._end_run(known[1], "failed", _trial_error(trial), trial)

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        known = self.runs.get(trial.trial_id)
        if known is not None and known[1] in self.open:  # returned without an end result
            self._end_run(known[1], "failed", "the trial ended without reporting its end", trial)

    def close_open_runs(self, status: str, error: str | None) -> None:
        """After the Tuner returns (or is abandoned): no run of this sweep stays ``running``."""
        for run_id in list(self.open):
            try:
                self.store.finish_run(run_id, status, error or "the sweep ended before this trial reported its end")
            except RltuiError as exc:
                log.error("sweep %s: %s", self.sweep_id, exc)
            self.open.pop(run_id, None)


def _trial_error(trial: Any) -> str:
    """One line for why a trial errored: the exception it raised, or that its worker died.

    Tune writes the exception next to the trial (pickled, and as text) before it calls back; the copy
    in its storage comes later, so the local files are read first."""
    from ray import cloudpickle
    from ray.exceptions import RayActorError, RayTaskError

    exc: Any = None
    try:
        path = trial.pickled_error_file
        if path and Path(path).is_file():
            exc = cloudpickle.loads(Path(path).read_bytes())
        elif trial.error_file and Path(trial.error_file).is_file():
            exc = Path(trial.error_file).read_text(errors="replace")
        else:
            exc = trial.get_pickled_error() or trial.get_error()
    except Exception:
        log.debug("could not read the error of trial %s", trial, exc_info=True)
    if isinstance(exc, RayActorError):
        return "the worker running this trial died (its process or node was lost)"
    if isinstance(exc, RayTaskError) and getattr(exc, "cause", None) is not None:
        exc = exc.cause
    if exc is None:
        return "the trial failed (see Ray's logs)"
    if isinstance(exc, str):
        lines = [ln.strip() for ln in exc.splitlines() if ln.strip() and not ln.startswith("Failure #")]
        return lines[-1] if lines else "the trial failed (see Ray's logs)"
    text = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
