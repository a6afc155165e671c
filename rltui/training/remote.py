"""A Trainer in a child process, heard and steered exactly like one in a thread.

Why a process: the app draws its screen in Python, and a training loop is Python too (env steps,
replay bookkeeping, many small torch calls). In one process they share one GIL, so on a 2-core machine
the screen waited for the GIL at every turn of its event loop (key to screen p95 286 ms while DQN
trained on CartPole) and training gave up a quarter of its speed to the screen (0.73x the headless
``rltui train``; ``benchmarks/bench_tui_latency.py``). In its own process the Trainer has an
interpreter and a core of its own; the app keeps a thread that only relays.

The face's side does not change: :class:`RemoteTrainer` takes the same :class:`TrainConfig`, callback
and :class:`TrainerControl` as :class:`~rltui.training.trainer.Trainer`, and :meth:`RemoteTrainer.run`
blocks its (worker) thread until the run ends, calling the callback with the same events in the same
order. Underneath:

* the child is *spawned* (a fork of a process with threads, as Textual's is, can deadlock); its stdout
  and stderr go to ``logs/trainer-process.log`` so nothing it prints lands on the app's screen;
* events travel in batches (a tabular run ends thousands of episodes a second): every event that is not
  an episode end (progress ~10 a second, evaluations, checkpoints, the end) sends what is queued;
* commands go the other way as soon as the face gives them (``TrainerControl.listen``); a child whose
  parent goes away stops, saving what it learned, as on ``x``;
* the learned state comes over on request (``w`` watch) and once at the end, so :attr:`agent` is the
  final agent in this process, as a threaded Trainer's would be;
* a child that dies without a word (killed, out of memory) ends the run as ``failed`` with its exit
  code, in the callback and in the run store.

Messages are small frozen dataclasses (:class:`EventBatch`, :class:`Ready`, :class:`LearnedState`,
:class:`FinalState` from the child; :class:`Command`, :class:`AgentRequest` to it), pickled with the
standard pickler (tensors as bytes), not multiprocessing's, which would move tensors into shared memory.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rltui.training.config import TrainConfig
from rltui.training.events import Callback, EpisodeEnd, Finished, Progress, TrainerControl

#: An episode-end-only stretch is sent at least this often (seconds) and at most this long (events).
FLUSH_EVERY_S = 0.2
FLUSH_MAX_EVENTS = 2000


_spawn_lock = threading.Lock()


# ---- the messages over the pipe ---------------------------------------------------------------------
@dataclass(frozen=True)
class EventBatch:
    """Child -> parent: events in the order the Trainer sent them."""

    run_id: int | None
    events: list[Any]


@dataclass(frozen=True)
class Ready:
    """Child -> parent: the Trainer is built (what a face shows before the first event)."""

    device: str
    algo: str
    hparams: dict[str, Any]
    observation_space: Any
    action_space: Any


@dataclass(frozen=True)
class LearnedState:
    """Child -> parent: the agent's learned state, as asked for by :class:`AgentRequest`."""

    state: dict[str, Any]


@dataclass(frozen=True)
class FinalState:
    """Child -> parent: the agent's state at the end of the run, just before its ``Finished``."""

    state: dict[str, Any]


@dataclass(frozen=True)
class Command:
    """Parent -> child: a :class:`TrainerControl` command (pause, resume, stop, save, epsilon, pace)."""

    name: str
    value: Any = None


@dataclass(frozen=True)
class AgentRequest:
    """Parent -> child: send a :class:`LearnedState` soon."""


@dataclass(frozen=True)
class _Start:
    """What the child is given to start: the config, the agent it continues (pickled), the run it
    carries on, and a test hook."""

    config: TrainConfig
    loaded: bytes | None = None
    continue_run: int | None = None
    header: dict[str, Any] | None = field(default=None)


def prepare_spawn() -> None:
    """Start multiprocessing's resource tracker now, with the real stderr, if it is not running.

    Every spawned process needs the tracker, which is started on first use with ``sys.stderr.fileno()``
    among its file descriptors. Inside a Textual app ``sys.stderr`` is a capture whose ``fileno()`` is
    -1, and the start fails ("bad value(s) in fds_to_keep"), so the tracker is started with the real
    stderr put back for the moment it takes (once per app; later calls return at once).
    """
    import contextlib
    import sys
    from multiprocessing import resource_tracker

    with _spawn_lock:
        try:
            usable = sys.stderr.fileno() >= 0
        except (AttributeError, OSError, ValueError):
            usable = False
        if usable or sys.__stderr__ is None:
            resource_tracker.ensure_running()
            return
        with contextlib.redirect_stderr(sys.__stderr__):
            resource_tracker.ensure_running()


def _dumps(message: Any) -> bytes:
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


class AgentMirror:
    """The training agent as the parent knows it while it trains: its algorithm, hyperparameters and
    the learned state last received. Watching reads it through :meth:`state_dict` (see
    :func:`rltui.play.watch.refresh`); each read asks the child for a newer state, so a watch shows what
    was learned up to its previous episode."""

    def __init__(self, remote: RemoteTrainer, algo: str, hparams: dict[str, Any]) -> None:
        self._remote = remote
        self.algo, self.hparams = algo, hparams
        self.latest: dict[str, Any] | None = None

    def state_dict(self) -> dict[str, Any]:
        state = self.latest
        self._remote.request_agent()
        if state is None:
            raise RuntimeError("no learned state has arrived from the training process yet")
        return state

    def q_values(self):
        """None: the table lives in the child; the screen gets it from QSnapshot events."""
        return None


class RemoteTrainer:
    """Runs a :class:`~rltui.training.trainer.Trainer` in a spawned child process; see the module docstring.

    ``agent`` continues a loaded agent (its state is sent to the child). ``store`` (the face's open run
    store) is used only to mark the run failed when the child dies without reporting. ``child_setup``
    is a picklable function the child calls first (tests use it to break training on purpose).
    ``on_ready`` and ``on_agent`` are called from the relay thread when the child has built its
    Trainer, and when a requested learned state has arrived.
    """

    def __init__(self, config: TrainConfig, *, callback: Callback, control: TrainerControl | None = None,
                 agent: Any = None, store: Any = None, child_setup: Callable[[], None] | None = None,
                 on_ready: Callable[[Any], None] | None = None,
                 on_agent: Callable[[], None] | None = None, continue_run: int | None = None,
                 header: dict[str, Any] | None = None) -> None:
        self.config = config
        self.continue_run, self.header = continue_run, header
        self.callback = callback
        self.control = control or TrainerControl()
        self.store = store
        self.on_ready, self.on_agent = on_ready, on_agent
        self._loaded = None if agent is None else _dumps((agent.algo, dict(agent.hparams), _cpu_state(agent),
                                                          int(getattr(agent, "trained_steps", 0))))
        self._child_setup = child_setup
        self.run_id: int | None = None
        self.device = "starting"
        self.algo = agent.algo if agent is not None else config.algo
        self.hparams: dict[str, Any] = dict(agent.hparams) if agent is not None else {}
        self.observation_space: Any = None
        self.action_space: Any = None
        self.agent: Any = None  # AgentMirror while training, then the final agent (None if it never came)
        self.process: mp.process.BaseProcess | None = None
        self._conn = None
        self._send_lock = threading.Lock()
        self._asked = False
        self._last_progress: Progress | None = None

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    # ---- the face's side --------------------------------------------------------------------------
    def request_agent(self) -> None:
        """Ask the child for its current learned state (answered at its next event, within ~0.1 s)."""
        if not self._asked:
            self._asked = True
            self._send(AgentRequest())

    def learned_state(self) -> dict[str, Any] | None:
        """The learned state last received (None: none yet; :meth:`request_agent` asks for one)."""
        agent = self.agent
        if isinstance(agent, AgentMirror):
            return agent.latest
        return None if agent is None else agent.state_dict()

    def forget_learned_state(self) -> None:
        """The next watch starts from what is learned by then, not from the state received before."""
        if isinstance(self.agent, AgentMirror):
            self.agent.latest = None

    def _send(self, message: Any) -> None:
        with self._send_lock:
            if self._conn is None:
                return
            try:
                self._conn.send_bytes(_dumps(message))
            except (OSError, ValueError):  # the child is gone; run() reports how it ended
                pass

    def run(self) -> Finished:
        """Start the child and relay until it ends; returns the :class:`Finished` event it sent (or one
        made up here when it died). Call from a worker thread: this blocks for the whole run."""
        ctx = mp.get_context("spawn")
        prepare_spawn()
        parent_conn, child_conn = ctx.Pipe()
        start = _Start(self.config, self._loaded, self.continue_run, self.header)
        self.process = ctx.Process(target=_child_main, name="rltui-trainer", daemon=False,
                                   args=(child_conn, start, self._child_setup))
        started = time.perf_counter()
        self.process.start()
        child_conn.close()
        with self._send_lock:
            self._conn = parent_conn
        for command, value in self.control.state_commands():
            self._send(Command(command, value))
        self.control.listen(lambda command, value: self._send(Command(command, value)))
        finished: Finished | None = None
        try:
            while True:
                try:
                    message = pickle.loads(parent_conn.recv_bytes())
                except (EOFError, OSError):
                    break
                finished = self._handle(message) or finished
                if finished is not None:
                    break  # the child only closes up after its Finished
        finally:
            with self._send_lock:
                self._conn = None
            parent_conn.close()
            self.process.join(timeout=0.5 if finished is not None else 10)
        if finished is None:
            finished = self._died(time.perf_counter() - started)
        return finished

    # ---- what the child says ----------------------------------------------------------------------
    def _handle(self, message: Any) -> Finished | None:
        if isinstance(message, EventBatch):
            self.run_id = message.run_id
            done = None
            for event in message.events:
                if isinstance(event, Progress):
                    self._last_progress = event
                elif isinstance(event, Finished):
                    done = event
                self.callback(event)
            return done
        if isinstance(message, Ready):
            self.device, self.algo, self.hparams = message.device, message.algo, message.hparams
            self.observation_space, self.action_space = message.observation_space, message.action_space
            self.agent = AgentMirror(self, self.algo, self.hparams)
            if self.on_ready is not None:
                self.on_ready(self)
        elif isinstance(message, LearnedState):
            self._asked = False
            if isinstance(self.agent, AgentMirror):
                self.agent.latest = message.state
            if self.on_agent is not None:
                self.on_agent()
        elif isinstance(message, FinalState):
            self.agent = self._rebuild(message.state)
        return None

    def _rebuild(self, state: dict[str, Any]) -> Any:
        """The final agent, in this process, on the CPU (for its Q-table and for watching)."""
        from rltui.agents import make_agent

        try:
            agent = make_agent(self.algo, self.observation_space, self.action_space, dict(self.hparams), device="cpu")
            agent.load_state_dict(state)
        except Exception:  # noqa: BLE001 - the run's result does not depend on this copy
            return None
        return agent

    def _died(self, elapsed: float) -> Finished:
        code = self.process.exitcode if self.process is not None else None
        how = "was killed" if code is not None and code < 0 else f"exited with code {code}"
        error = f"the training process {how} before the end of the run"
        if code is None:
            error = "the training process stopped answering"
        if self.run_id is not None and self.store is not None:
            p = self._last_progress
            try:
                self.store.finish_run(self.run_id, "failed", error, steps=p.steps if p else 0,
                                      episodes=p.episodes if p else 0)
            except Exception:  # noqa: BLE001 - the face still hears how the run ended
                pass
        p = self._last_progress
        saved = None  # the run's last periodic checkpoint, which the child wrote before it died
        if self.run_id is not None and self.store is not None:
            try:
                saved = self.store.latest_checkpoint(self.run_id)
            except Exception:  # noqa: BLE001 - the face still hears how the run ended
                saved = None
        done = Finished("failed", p.steps if p else 0, p.episodes if p else 0, elapsed, saved, error)
        self.callback(done)
        return done


def _cpu_state(agent: Any) -> dict[str, Any]:
    """``agent.state_dict()`` with tensors on the CPU (what goes over the pipe)."""
    import sys

    state = agent.state_dict()
    torch = sys.modules.get("torch")  # no tensors without torch loaded, and a tabular run never loads it
    if torch is None:
        return state
    return {k: (v.detach().cpu() if isinstance(v, torch.Tensor) else v) for k, v in state.items()}


# ---- the child's side -------------------------------------------------------------------------------
class _Outbox:
    """The child's end of the pipe: batches events, answers requests for the learned state."""

    def __init__(self, conn, control: TrainerControl) -> None:
        self.conn, self.control = conn, control
        self.lock = threading.Lock()
        self.pending: list[Any] = []
        self.last_flush = time.monotonic()
        self.trainer: Any = None
        self.agent_wanted = False

    def send(self, message: Any) -> None:
        data = _dumps(message)
        with self.lock:
            try:
                self.conn.send_bytes(data)
            except (OSError, ValueError):  # the parent is gone: stop, saving what was learned
                self.control.stop()

    def callback(self, event: Any) -> None:
        """The Trainer's callback (its own thread)."""
        if self.agent_wanted and self.trainer is not None:
            self.agent_wanted = False
            self.send(LearnedState(_cpu_state(self.trainer.agent)))
        self.pending.append(event)
        if isinstance(event, Finished) and self.trainer is not None:
            try:
                self.send(FinalState(_cpu_state(self.trainer.agent)))
            except Exception:  # noqa: BLE001 - the result matters more than the copy
                pass
        now = time.monotonic()
        if (not isinstance(event, EpisodeEnd) or len(self.pending) >= FLUSH_MAX_EVENTS
                or now - self.last_flush >= FLUSH_EVERY_S):
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        batch, self.pending = self.pending, []
        self.last_flush = time.monotonic() if now is None else now
        run_id = getattr(self.trainer, "run_id", None)
        self.send(EventBatch(run_id, batch))


def _listen(conn, control: TrainerControl, outbox: _Outbox) -> None:
    """The child's command thread: apply what the parent says; stop when the parent is gone."""
    while True:
        try:
            message = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            control.stop()
            return
        if isinstance(message, AgentRequest):
            if control.paused and outbox.trainer is not None:  # no events while paused: answer here
                outbox.send(LearnedState(_cpu_state(outbox.trainer.agent)))
            else:
                outbox.agent_wanted = True
        elif isinstance(message, Command):
            control.apply(message.name, message.value)


def _quiet_child(data_dir: str | None) -> None:
    """Send the child's stdout/stderr to a log file (the parent's terminal belongs to the app) and leave
    Ctrl-C to the parent, which stops the run through the pipe."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from rltui.training.paths import logs_dir

        target = open(logs_dir(data_dir) / "trainer-process.log", "a", encoding="utf-8")  # noqa: SIM115
    except OSError:
        target = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    os.dup2(target.fileno(), 1)
    os.dup2(target.fileno(), 2)


def _stop_on_signals(control: TrainerControl) -> None:
    """SIGTERM and SIGHUP stop the run as ``x`` does: it saves and is recorded ``stopped``. SIGHUP
    comes when the app's terminal is closed (it goes to the whole process group): the run is kept."""
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, lambda signum, frame: control.stop())


def _child_main(conn, start: _Start, setup: Callable[[], None] | None) -> None:
    """The child process: build the Trainer, say it is ready, run it, send the final state and end."""
    config = start.config
    _quiet_child(config.data_dir)
    control = TrainerControl()
    _stop_on_signals(control)
    outbox = _Outbox(conn, control)
    threading.Thread(target=_listen, args=(conn, control, outbox), name="rltui-commands", daemon=True).start()
    try:
        if setup is not None:
            setup()
        from rltui.training.trainer import Trainer

        agent = _loaded_agent(config, start.loaded)
        trainer = Trainer(config, callback=outbox.callback, control=control, agent=agent,
                          continue_run=start.continue_run, header=start.header)
    except Exception as exc:  # bad config, env or agent: the same one line a threaded Trainer gives
        from rltui.errors import RltuiError

        message = str(exc) if isinstance(exc, RltuiError) else f"{type(exc).__name__}: {exc}"
        outbox.callback(Finished("failed", 0, 0, 0.0, None, message))
        _leave(conn)
    outbox.trainer = trainer
    outbox.send(Ready(trainer.device, trainer.agent.algo, dict(trainer.hparams), trainer.observation_space,
                      trainer.action_space))
    trainer.run()  # its Finished goes through the outbox, after the final state
    _leave(conn)


def _leave(conn) -> None:
    """End the child at once: the run is saved and recorded, and an interpreter teardown with torch
    loaded can take a second the parent (quitting the app) would wait for."""
    import sys

    conn.close()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)


def _loaded_agent(config: TrainConfig, loaded: bytes | None) -> Any:
    """The agent the parent was continuing, rebuilt here on the run's device."""
    if loaded is None:
        return None
    from rltui.agents import make_agent
    from rltui.envs import make_training_env
    from rltui.training.config import env_options

    algo, hparams, state, trained_steps = pickle.loads(loaded)
    env = make_training_env(config.env, **env_options(algo), **config.env_overrides)
    try:
        agent = make_agent(algo, env.observation_space, env.action_space, hparams, device=config.device,
                           seed=config.seed)
    finally:
        env.close()
    agent.load_state_dict(state)
    agent.trained_steps = trained_steps
    return agent
