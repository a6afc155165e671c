"""The Trainer: one env, one agent, a step budget, events out and commands in; no UI anywhere.

It runs in the calling thread (the faces put it in a worker thread or a child process). There is one
loop (:meth:`Trainer._loop`), built for speed, because a tabular agent on FrozenLake must train at about
the raw env's random-policy speed:

* the steps themselves run in *chunks*: a plain ``for`` over n steps with everything bound to locals
  (:class:`_SingleEnvSteps`, :class:`_VectorEnvSteps`); per step it calls ``agent.act``, ``env.step``,
  ``agent.observe`` and adds two numbers, nothing else;
* the clock is read once per chunk, and the chunk size adapts so a chunk lasts ~20 ms of wall clock
  whatever the step rate (a pixel DQN step and a FrozenLake step differ by 1000×);
* everything periodic is a small job (:mod:`rltui.training.jobs`) the loop calls between chunks when
  it is due, as Stable-Baselines3's callbacks are objects its loop calls: progress (~10/s), Q snapshots
  (≤ 4/s), episode flushes to the store (~1/s), greedy evaluations (every N steps, keeping the best
  agent in ``…-best``) and checkpoints (every N seconds of training or N steps, and at each evaluation:
  one file per run, rewritten in place). Control commands are polled there too.

Stopping: the callback returning :data:`~rltui.training.events.STOP`, ``control.stop()``, the budget,
or KeyboardInterrupt when run on the main thread. Every way out saves a final checkpoint, except a
crash (recorded with its error) and a divergence (loss or weights not finite: the run ends ``failed``
and the last good checkpoint is kept, never overwritten with NaN weights). :class:`Finished` comes last.
While it runs, a heartbeat in the store says the run is alive (see :mod:`rltui.training.store`).
"""

from __future__ import annotations

import collections
import logging
import math
import os
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

from rltui.agents import make_agent
from rltui.agents.base import Agent
from rltui.envs import get_entry, make_training_env, recorded_env_kwargs
from rltui.errors import RltuiError
from rltui.training.checkpoints import (
    NonFiniteState,
    best_path,
    check_destination,
    checkpoint_file,
    make_header,
    save_checkpoint,
)
from rltui.training.config import TABULAR_ALGOS, TrainConfig, env_options, resolve_hparams, train_settings
from rltui.training.evaluation import build_eval_env, evaluate
from rltui.training.events import (
    STOP,
    Callback,
    Checkpointed,
    EpisodeEnd,
    Evaluation,
    Event,
    Finished,
    KnobChanged,
    Progress,
    StepTaken,
    TrainerControl,
)
from rltui.training.jobs import (
    Diverged,
    Evaluate,
    FlushEpisodes,
    Heartbeat,
    Job,
    Reached,
    ReportProgress,
    SaveCheckpoint,
    SendQSnapshot,
)
from rltui.training.paths import checkpoints_dir, logs_dir
from rltui.training.store import RunStore

log = logging.getLogger(__name__)

CHUNK_TARGET_S = 0.02
MAX_CHUNK = 1 << 16


class _Stop(Exception):
    """Internal: leave the loop now (callback said STOP or control.stop())."""


class Trainer:
    """Train ``config.algo`` on ``config.env``; see the module docstring.

    Construction builds the env and the agent and checks the config and the checkpoint's destination:
    bad input raises a one-line :class:`RltuiError` here, before any thread starts. :meth:`run` then
    never raises for training errors: a crash becomes ``Finished(status="failed", error=...)``, is
    recorded in the store, and the traceback goes to ``<data dir>/logs/run-<id>.log``.

    ``store=None`` opens the default run store (``config.data_dir`` > ``$RLTUI_DATA`` > user data dir).
    ``agent`` continues training a loaded checkpoint (it keeps its own hyperparameters and schedule).
    ``continue_run`` (with ``agent`` and the checkpoint's ``header``) carries on that run where its
    checkpoint left it (same run in the store, same counters and schedules) instead of starting a new one.
    ``run_id`` is set when :meth:`run` starts.
    """

    def __init__(
        self,
        config: TrainConfig,
        *,
        callback: Callback | None = None,
        control: TrainerControl | None = None,
        store: RunStore | None = None,
        agent: Agent | None = None,
        continue_run: int | None = None,
        header: dict[str, Any] | None = None,
    ) -> None:
        config.check()
        self.config = config
        self.entry = get_entry(config.env)
        config.env_overrides = recorded_env_kwargs(self.entry, config.env_overrides)  # the renderer, in the header
        self.callback = callback
        self.control = control or TrainerControl()
        self.settings = train_settings(config)
        config.stop_at_return = self.settings["stop_at_return"]  # resolved, so the store says why a run ended early
        self.device = "cpu" if config.algo in TABULAR_ALGOS else self._resolve_device(config.device)
        if agent is not None and agent.algo != config.algo:
            raise RltuiError(f"the loaded agent is {agent.algo}, but the config asks for {config.algo}")
        if continue_run is not None and (agent is None or header is None or "run_steps" not in header):
            raise RltuiError("continuing a run needs its checkpoint (agent and header with run_steps)")
        self.hparams = dict(agent.hparams) if agent is not None else resolve_hparams(config)
        self.env, self.vector = self._build_env()
        self.observation_space = self.env.single_observation_space if self.vector else self.env.observation_space
        self.action_space = self.env.single_action_space if self.vector else self.env.action_space
        self._own_store = store is None
        self.store = store
        try:  # the env (and maybe the store) are open from here: close them on any one-line error below
            self.agent = self._build_agent(agent)
            self.store = store if store is not None else RunStore.open(config.data_dir)
            self.demos = self._load_demos()  # a person's episodes to learn from first (used in run())
        except BaseException:
            self.env.close()
            if self._own_store and self.store is not None:
                self.store.close()
            raise
        self.continue_run = continue_run
        self.run_id: int | None = None
        self.owner = uuid.uuid4().hex  # this process's claim on the run in the store
        self.steps = 0  # steps of this run
        self.episodes = 0
        self._base_steps = int(getattr(self.agent, "trained_steps", 0))  # steps the agent had before this run
        if continue_run is not None:
            assert header is not None
            self.steps, self.episodes = int(header["run_steps"]), int(header.get("episodes", 0))
            self._base_steps = int(header.get("steps", self.steps)) - self.steps
        self.checkpoint: str | None = None
        self.best_checkpoint: str | None = None
        self.best_mean: float | None = None
        self.reached: Reached | None = None  # the evaluation that met stop_at_return, which ends the run
        self._episode_rows: list[tuple[int, int, float, int, float]] = []
        self._recent: collections.deque[float] = collections.deque(maxlen=100)
        self._eval_env: Any = None
        self._t0 = 0.0
        self._paused_s = 0.0
        self._heartbeat: Heartbeat | None = None
        self._checkpoint_job = SaveCheckpoint(float(self.settings["checkpoint_every_s"]),
                                              int(self.settings["checkpoint_every"]))
        stop_at = self.settings["stop_at_return"]
        self.jobs: list[Job] = [Evaluate(int(self.settings["eval_every"]), self._checkpoint_job,
                                         None if stop_at == "off" else float(stop_at)),
                                self._checkpoint_job, ReportProgress(), SendQSnapshot(), FlushEpisodes()]

    @property
    def recent_returns(self) -> list[float]:
        """Returns of the last (up to) 100 episodes."""
        return list(self._recent)

    @property
    def total_steps(self) -> int:
        """Steps the agent has trained in all, this run and any before it."""
        return self._base_steps + self.steps

    # -- construction helpers -----------------------------------------------------------------------
    @staticmethod
    def _resolve_device(requested: str) -> str:
        from rltui.agents.device import resolve_device

        return resolve_device(requested)

    def _build_env(self):
        cfg = self.config
        options = {**env_options(cfg.algo), **cfg.env_overrides}
        if cfg.n_envs == 1:
            return make_training_env(cfg.env, **options), False
        import gymnasium as gym
        from gymnasium.vector import AutoresetMode

        make_training_env(cfg.env, **options).close()  # one-line errors here, not in a worker process
        fns = [_EnvFactory(cfg.env, options) for _ in range(cfg.n_envs)]
        cls = gym.vector.AsyncVectorEnv if cfg.vector == "async" else gym.vector.SyncVectorEnv
        return cls(fns, autoreset_mode=AutoresetMode.SAME_STEP), True

    def _build_agent(self, agent: Agent | None) -> Agent:
        """A new agent from the hyperparameters, or the loaded one, checked against the env and prepared."""
        if agent is None:
            agent = make_agent(self.config.algo, self.observation_space, self.action_space, self.hparams,
                               device=self.device, seed=self.config.seed)
        self._check_agent_fits(agent)
        agent.prepare(self.env)
        self._check_destination(agent)
        return agent

    def _load_demos(self) -> list:
        """The demos the config names, validated now so that a bad id fails before the run starts."""
        if not self.config.demos:
            return []
        from rltui.training.demos import load_demos, parse_demo_ids

        cfg = self.config
        return load_demos(self.store, cfg.env, cfg.algo, parse_demo_ids(cfg.demos), cfg.env_overrides)

    def _check_agent_fits(self, agent: Agent) -> None:
        n_states = getattr(agent, "n_states", None)
        n_actions = getattr(agent, "n_actions", None)
        if n_states is not None and n_states != getattr(self.observation_space, "n", n_states):
            raise RltuiError(f"the agent has {n_states} states, {self.entry.name} has {self.observation_space.n}")
        if n_actions is not None and n_actions != getattr(self.action_space, "n", n_actions):
            raise RltuiError(f"the agent has {n_actions} actions, {self.entry.name} has {self.action_space.n}")

    def _check_destination(self, agent: Agent) -> None:
        """A checkpoint that cannot be written is a one-line error now, not after the whole run."""
        if self.config.out:
            out = Path(self.config.out).expanduser()
            if os.path.isdir(out):
                raise RltuiError(f"--out {out} is a folder; give a file name, e.g. {out / 'agent'}")
            check_destination(checkpoint_file(out, agent), what="--out")
        else:
            folder = checkpoints_dir(self.config.data_dir)
            probe = f"run999999-{self.entry.name}-{agent.algo}"
            check_destination(checkpoint_file(folder / probe, agent), what="the checkpoints folder")

    # -- events -------------------------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        if self.callback is not None and self.callback(event) == STOP:
            self.control.stop()

    def _progress(self, t: float, rate: float, paused: bool = False, check: bool = False) -> None:
        metrics = dict(self.agent.metrics())
        if check:
            for key in ("loss", "q_mean"):
                value = metrics.get(key)
                if value is not None and not math.isfinite(value):
                    raise Diverged(self.steps, "the loss" if key == "loss" else "the mean Q-value")
        if self._recent:
            metrics["return_100"] = sum(self._recent) / len(self._recent)
        self._emit(Progress(self.steps, self.episodes, t, rate, metrics, paused))

    def _final_progress(self) -> None:
        elapsed = self._elapsed()
        self._progress(elapsed, self.steps / elapsed if elapsed > 0 else 0.0)

    def _elapsed(self, now: float | None = None) -> float:
        """Seconds of training (pauses not counted)."""
        return (time.perf_counter() if now is None else now) - self._t0 - self._paused_s

    # -- the run ------------------------------------------------------------------------------------
    def run(self) -> Finished:
        """Train until the budget is spent or a stop; returns (and sends) the :class:`Finished` event."""
        cfg = self.config
        self._t0 = time.perf_counter()
        status, error = "finished", None
        try:
            if self.continue_run is not None:
                self.store.claim_run(self.continue_run, self.owner, steps=self.steps, episodes=self.episodes)
                self.run_id = self.continue_run
                self.best_mean = self.store.best_evaluation(self.run_id)
                self.best_checkpoint = self.store.latest_checkpoint(self.run_id, role="best")
            else:
                self.run_id = self.store.create_run(cfg, self.device, self.hparams, owner=self.owner)
        except RltuiError as exc:
            return self._finish("failed", str(exc), save=False)
        self._heartbeat = Heartbeat(self.store, self.run_id, self.owner)
        try:
            if self.demos:
                from rltui.training.demos import learn_from_demos

                learn_from_demos(self.agent, self.demos, cfg.demo_passes)
            self._loop()
            if self.control.stopped:
                status = "stopped"
        except (_Stop, KeyboardInterrupt):
            status = "stopped"
        except Diverged as exc:
            status, error = "failed", str(exc)
        except Exception as exc:  # a crash in env or agent code: record it, never kill the face
            status, error = "failed", _one_line(exc)
            self._log_crash()
        return self._finish(status, error, save=status != "failed")

    def _finish(self, status: str, error: str | None, save: bool) -> Finished:
        try:
            self._flush()
            if save and self.steps > 0:
                self.save_checkpoint()
        except Diverged as exc:
            status, error = "failed", str(exc)
        except RltuiError as exc:  # e.g. disk full while saving: the run still ends, marked failed
            status, error = "failed", str(exc)
        except Exception as exc:
            status, error = "failed", _one_line(exc)
            self._log_crash()
        if self._heartbeat is not None:
            self._heartbeat.stop()
        if self.run_id is not None:
            try:
                self.store.finish_run(self.run_id, status, error, steps=self.steps, episodes=self.episodes,
                                      owner=self.owner)
            except RltuiError as exc:
                log.error("could not record the end of run %s: %s", self.run_id, exc)
        for env in (self.env, self._eval_env):
            if env is not None:
                try:
                    env.close()
                except Exception:  # closing a broken env must not hide the run's result
                    pass
        if self._own_store:
            self.store.close()
        done = Finished(status, self.steps, self.episodes, self._elapsed(), self.checkpoint, error,  # type: ignore[arg-type]
                        best_checkpoint=self.best_checkpoint,
                        reached=None if self.reached is None else self.reached.describe())
        if self.callback is not None:
            try:
                self.callback(done)
            except Exception:
                log.exception("the callback failed on Finished")
        return done

    def _log_crash(self) -> None:
        try:
            path = logs_dir(self.config.data_dir) / f"run-{self.run_id or 'unknown'}.log"
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {self.config}\n{traceback.format_exc()}\n")
        except OSError:
            log.exception("training crashed (and the log file could not be written)")

    # -- between chunks -----------------------------------------------------------------------------
    def _flush(self) -> None:
        if self.run_id is None:
            return
        rows, self._episode_rows = self._episode_rows, []
        self.store.add_episodes(self.run_id, rows, steps=self.steps)

    def _budget_left(self) -> int:
        if self.reached is not None:
            return 0
        left = self.config.steps - self.steps
        if self.config.episodes:
            left = left if self.episodes < self.config.episodes else 0
        return left

    def _poll(self) -> None:
        """Control commands: stop, save, epsilon, pause (blocks here while paused)."""
        control = self.control
        if control.stopped:
            raise _Stop
        changed, eps = control.take_epsilon()
        if changed:
            self.agent.set_epsilon(eps)
            self._record_knob("epsilon", eps)
        for name, value in control.take_knobs().items():
            try:
                self.agent.set_knob(name, value)
            except RltuiError as exc:  # a face should have checked; never end the run over it
                log.warning("knob %s=%s refused: %s", name, value, exc)
                continue
            self._record_knob(name, value)
        if control.take_save_request():
            self.save_checkpoint()
        if control.paused:
            start = time.perf_counter()
            self._flush()
            self._progress(self._elapsed(start), 0.0, paused=True)
            while not control.wait_while_paused(0.1):
                if control.take_save_request():
                    self.save_checkpoint()
            self._paused_s += time.perf_counter() - start
            if control.stopped:
                raise _Stop

    def _record_knob(self, name: str, value: float | None) -> None:
        """A knob that took effect now: kept in the store with the step, and told to the face."""
        if self.run_id is not None:
            self.store.add_knob_change(self.run_id, self.steps, name, value)
        self._emit(KnobChanged(self.steps, name, value))

    def evaluate_now(self) -> Evaluation:
        """Greedy evaluation on the fixed seeds; recorded and sent as an event."""
        episodes = self.settings["eval_episodes"] or 100
        if self._eval_env is None:
            self._eval_env = build_eval_env(self.agent, self.config.env, None, self.config.env_overrides)
        res = evaluate(self.agent, self.config.env, episodes, self.config.eval_seed, env=self._eval_env,
                       max_steps=100_000)
        if self.run_id is not None:
            self.store.add_evaluation(self.run_id, self.steps, res.mean, res.std, res.episodes, res.success_rate)
        event = Evaluation(self.steps, res.mean, res.std, res.episodes, res.success_rate)
        self._emit(event)
        return event

    def checkpoint_path(self, best: bool = False) -> Path:
        """The run's one checkpoint file (``best``: the best evaluation's, beside it)."""
        if self.config.out:
            path = checkpoint_file(Path(self.config.out).expanduser(), self.agent)
        else:
            name = f"run{self.run_id or 0:04d}-{self.entry.name}-{self.agent.algo}"
            path = checkpoint_file(checkpoints_dir(self.config.data_dir) / name, self.agent)
        return best_path(path) if best else path

    def save_checkpoint(self, path: str | None = None, *, best: bool = False) -> str:
        """Write the agent now (atomically, over the run's previous save); recorded in the store (one row
        per file) and sent as ``Checkpointed``. Weights that are not finite are never written."""
        total = self.total_steps
        if not best and self._episode_rows:
            self._flush()  # the store holds every episode the checkpoint has learned from
        header = make_header(self.agent, self.entry.name, self.config.env_overrides, self.observation_space,
                             self.action_space, total, episodes=self.episodes, seed=self.config.seed,
                             run_id=self.run_id, run_steps=self.steps, budget=self.config.steps,
                             best=best)
        try:
            written = str(save_checkpoint(path or self.checkpoint_path(best), self.agent, header))
        except NonFiniteState as exc:
            raise Diverged(self.steps, str(exc)) from None
        if best:
            self.best_checkpoint = written
        else:
            self.checkpoint = written
        if self.run_id is not None:
            self.store.add_checkpoint(self.run_id, written, total, role="best" if best else "last")
        self._emit(Checkpointed(total, written, best=best))
        return written

    @staticmethod
    def _adapt(chunk: int, n: int, span: float) -> int:
        if n < chunk:  # a chunk cut short says nothing about speed
            return chunk
        if span < CHUNK_TARGET_S / 2:
            return min(chunk * 2, MAX_CHUNK)
        if span > CHUNK_TARGET_S * 2:
            return max(chunk // 2, 1)
        return chunk

    def _chunk_limit(self, chunk: int) -> int:
        """Steps the next chunk may take: the adaptive size cut at the budget and at step-scheduled jobs."""
        left = self._budget_left()
        if left <= 0:
            return 0
        n = min(chunk, left)
        for job in self.jobs:
            due = job.every.steps_left(self.steps)
            if due is not None:
                n = min(n, due)
        return max(n, 1)

    def _end_episode(self, ret: float, length: int) -> None:
        """Book-keeping for one finished episode (not in the hot loop's per-step path)."""
        self._episode_rows.append((self.episodes, self.steps, ret, length, time.time()))  # wall: monitor.csv
        self._recent.append(ret)
        self.episodes += 1
        if self.callback is not None and self.callback(EpisodeEnd(self.episodes, self.steps, ret, length)) == STOP:
            self.control.stop()

    # -- the loop -----------------------------------------------------------------------------------
    def _loop(self) -> None:
        """Chunks of steps, then the jobs that are due and the control commands, until the budget is spent."""
        steps = _VectorEnvSteps(self) if self.vector else _SingleEnvSteps(self)
        control, jobs = self.control, self.jobs
        t = self._elapsed()
        for job in jobs:
            job.start(self, t)
        chunk = 1
        self._poll()
        while True:
            pace = control.pace if steps.paceable else None
            n = self._chunk_limit(1 if pace else chunk)
            if n <= 0:
                break
            start = time.perf_counter()
            steps.run(n, bool(pace))
            now = time.perf_counter()
            if pace:
                self._sleep_for_pace(pace, start)
                now = time.perf_counter()
            else:
                chunk = self._adapt(chunk, n, now - start)
            t = self._elapsed(now)
            for job in jobs:
                if job.every.due(t, self.steps):
                    job.run(self, t)
            self._poll()
        self._final_progress()

    def _sleep_for_pace(self, pace: float, start: float) -> None:
        """Watch mode: about ``pace`` steps a second, waking often enough to obey stop and pause."""
        deadline = start + 1.0 / max(pace, 1e-3)
        while not self.control.stopped:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            time.sleep(min(left, 0.05))


class _SingleEnvSteps:
    """Chunks of steps on one env; the episode in progress carries over from chunk to chunk."""

    paceable = True

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        env = trainer.env
        self.obs, info = env.reset(seed=trainer.config.seed)
        trainer.agent.reset_episode(0)
        self.masked = isinstance(info, dict) and "action_mask" in info
        self.mask = info.get("action_mask") if self.masked else None
        self.ret, self.length = 0.0, 0

    def run(self, n: int, paced: bool) -> None:
        if self.masked or paced:
            self._general(n, paced)
        else:
            self._fast(n)

    def _fast(self, n: int) -> None:
        """The hot path (see the module docstring): keep it this small."""
        trainer = self.trainer
        env, agent, control = trainer.env, trainer.agent, trainer.control
        step, act, observe = env.step, agent.act, agent.observe
        obs, ep_ret, ep_len = self.obs, self.ret, self.length
        done_steps = 0
        for _ in range(n):
            a = act(obs)
            nobs, r, term, trunc, info = step(a)
            observe(obs, a, r, nobs, term, trunc)
            ep_ret += r
            ep_len += 1
            done_steps += 1
            if term or trunc:
                trainer.steps += done_steps
                done_steps = 0
                trainer._end_episode(ep_ret, ep_len)
                ep_ret, ep_len = 0.0, 0
                obs, info = env.reset()
                agent.reset_episode(0)
                if control.stopped or trainer._budget_left() <= 0:
                    break
            else:
                obs = nobs
        trainer.steps += done_steps
        self.obs, self.ret, self.length = obs, ep_ret, ep_len

    def _general(self, n: int, paced: bool) -> None:
        """Action masks, and per-step events while watched."""
        trainer = self.trainer
        env, agent, control = trainer.env, trainer.agent, trainer.control
        step, act, observe, masked = env.step, agent.act, agent.observe, self.masked
        obs, mask, ep_ret, ep_len = self.obs, self.mask, self.ret, self.length
        done_steps = 0
        for _ in range(n):
            a = act(obs, True, mask) if masked else act(obs)
            nobs, r, term, trunc, info = step(a)
            nmask = info.get("action_mask") if masked else None
            if masked:
                observe(obs, a, r, nobs, term, trunc, nmask)
            else:
                observe(obs, a, r, nobs, term, trunc)
            ep_ret += r
            ep_len += 1
            done_steps += 1
            if paced:
                trainer._emit(StepTaken(trainer.steps + done_steps, trainer.episodes, nobs, int(a), float(r),
                                        bool(term), bool(trunc)))
            if term or trunc:
                trainer.steps += done_steps
                done_steps = 0
                trainer._end_episode(ep_ret, ep_len)
                ep_ret, ep_len = 0.0, 0
                obs, info = env.reset()
                mask = info.get("action_mask") if masked else None
                agent.reset_episode(0)
                if control.stopped or trainer._budget_left() <= 0:
                    break
            else:
                obs, mask = nobs, nmask
        trainer.steps += done_steps
        self.obs, self.mask, self.ret, self.length = obs, mask, ep_ret, ep_len


class _VectorEnvSteps:
    """Chunks of steps on ``n_envs`` copies in a Gymnasium vector env, autoreset in SAME_STEP mode: when
    a copy ends, ``info["final_obs"]`` holds its true last observation (used for the transition) and the
    returned observation is already the next episode's first."""

    paceable = False

    def __init__(self, trainer: Trainer) -> None:
        import numpy as np

        self.trainer, self.np = trainer, np
        self.n_envs = trainer.config.n_envs
        self.obs, _ = trainer.env.reset(seed=trainer.config.seed)
        for i in range(self.n_envs):
            trainer.agent.reset_episode(i)
        self.ret = np.zeros(self.n_envs)
        self.length = np.zeros(self.n_envs, dtype=np.int64)

    def run(self, n: int, paced: bool) -> None:
        np, trainer, n_envs = self.np, self.trainer, self.n_envs
        env, agent = trainer.env, trainer.agent
        obs, ep_ret, ep_len = self.obs, self.ret, self.length
        taken = 0
        while taken < n:
            actions = agent.act_batch(obs)
            nobs, rewards, term, trunc, info = env.step(actions)
            done = np.logical_or(term, trunc)
            next_obs = nobs
            if done.any():
                next_obs = nobs.copy()
                final = info["final_obs"]
                for i in np.flatnonzero(done):
                    next_obs[i] = final[i]
            agent.observe_batch(obs, actions, rewards, next_obs, term, trunc)
            ep_ret += rewards
            ep_len += 1
            taken += n_envs
            trainer.steps += n_envs
            for i in np.flatnonzero(done):
                trainer._end_episode(float(ep_ret[i]), int(ep_len[i]))
                ep_ret[i], ep_len[i] = 0.0, 0
                agent.reset_episode(int(i))
            obs = nobs
            if trainer.control.stopped or trainer._budget_left() <= 0:
                break
        self.obs = obs


class _EnvFactory:
    """A picklable env builder for AsyncVectorEnv's worker processes."""

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        self.name, self.options = name, options

    def __call__(self):
        return make_training_env(self.name, **self.options)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}" if not isinstance(exc, RltuiError) else first
