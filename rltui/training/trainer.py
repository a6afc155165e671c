"""The Trainer: one env, one agent, a step budget, events out and commands in; no UI anywhere.

It runs in the calling thread (the faces put it in a worker thread). The loop is built for speed,
because a tabular agent on FrozenLake must train at about the raw env's random-policy speed:

* the hot loop is a plain ``for`` over a *chunk* of steps with everything bound to locals; per step it
  calls ``agent.act``, ``env.step``, ``agent.observe`` and adds two numbers, nothing else;
* the clock is read once per chunk, and the chunk size adapts so a chunk lasts ~20 ms of wall clock
  whatever the step rate (a pixel DQN step and a FrozenLake step differ by 1000×); everything periodic
  (Progress ~10/s, Q snapshots ≤ 4/s, episode flushes ~1/s, control polling) happens between chunks;
* episode rows are buffered and written to the store in one transaction about once a second.

Stopping: the callback returning :data:`~rltui.training.events.STOP`, ``control.stop()``, the budget,
or KeyboardInterrupt when run on the main thread. Every way out saves a final checkpoint (except a
crash, which records the error instead) and sends :class:`~rltui.training.events.Finished` last.
"""

from __future__ import annotations

import collections
import logging
import time
import traceback
from pathlib import Path
from typing import Any

from rltui.agents import make_agent
from rltui.agents.base import Agent
from rltui.envs import get_entry, make_training_env
from rltui.errors import RltuiError
from rltui.training.checkpoints import default_suffix, make_header, save_checkpoint
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
    Progress,
    QSnapshot,
    StepTaken,
    TrainerControl,
)
from rltui.training.paths import checkpoints_dir, logs_dir
from rltui.training.store import RunStore

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.1
SNAPSHOT_EVERY_S = 0.25
FLUSH_EVERY_S = 1.0
CHUNK_TARGET_S = 0.02
MAX_CHUNK = 1 << 16


class _Stop(Exception):
    """Internal: leave the loop now (callback said STOP or control.stop())."""


class Trainer:
    """Train ``config.algo`` on ``config.env``; see the module docstring.

    Construction builds the env and the agent and checks the config: bad input raises a one-line
    :class:`RltuiError` here, before any thread starts. :meth:`run` then never raises for training
    errors: a crash becomes ``Finished(status="failed", error=...)``, is recorded in the store, and the
    traceback goes to ``<data dir>/logs/run-<id>.log``.

    ``store=None`` opens the default run store (``config.data_dir`` > ``$RLTUI_DATA`` > user data dir).
    ``agent`` continues training a loaded checkpoint (it keeps its own hyperparameters and schedule).
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
    ) -> None:
        config.check()
        self.config = config
        self.entry = get_entry(config.env)
        self.callback = callback
        self.control = control or TrainerControl()
        self.settings = train_settings(config)
        self.device = "cpu" if config.algo in TABULAR_ALGOS else self._resolve_device(config.device)
        if agent is not None and agent.algo != config.algo:
            raise RltuiError(f"the loaded agent is {agent.algo}, but the config asks for {config.algo}")
        self.hparams = dict(agent.hparams) if agent is not None else resolve_hparams(config)
        self.env, self.vector = self._build_env()
        obs_space = self.env.single_observation_space if self.vector else self.env.observation_space
        act_space = self.env.single_action_space if self.vector else self.env.action_space
        self.observation_space, self.action_space = obs_space, act_space
        try:
            if agent is None:
                agent = make_agent(config.algo, obs_space, act_space, self.hparams, device=self.device,
                                   seed=config.seed)
            self._check_agent_fits(agent)
            agent.prepare(self.env)
        except BaseException:
            self.env.close()
            raise
        self.agent = agent
        self.store = store if store is not None else RunStore.open(config.data_dir)
        self._own_store = store is None
        self.demos: list = []  # a person's episodes to learn from first (validated now, used in run())
        if config.demos:
            from rltui.training.demos import load_demos, parse_demo_ids

            try:
                self.demos = load_demos(self.store, config.env, config.algo, parse_demo_ids(config.demos),
                                        config.env_overrides)
            except BaseException:
                self.env.close()
                raise
        self.run_id: int | None = None
        self.steps = 0  # steps of this run
        self.episodes = 0
        self.checkpoint: str | None = None
        self._episode_rows: list[tuple[int, int, float, int, float]] = []
        self._recent: collections.deque[float] = collections.deque(maxlen=100)
        self._eval_env: Any = None
        self._t0 = 0.0
        self._paused_s = 0.0

    @property
    def recent_returns(self) -> list[float]:
        """Returns of the last (up to) 100 episodes."""
        return list(self._recent)

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

    def _check_agent_fits(self, agent: Agent) -> None:
        n_states = getattr(agent, "n_states", None)
        n_actions = getattr(agent, "n_actions", None)
        if n_states is not None and n_states != getattr(self.observation_space, "n", n_states):
            raise RltuiError(f"the agent has {n_states} states, {self.entry.name} has {self.observation_space.n}")
        if n_actions is not None and n_actions != getattr(self.action_space, "n", n_actions):
            raise RltuiError(f"the agent has {n_actions} actions, {self.entry.name} has {self.action_space.n}")

    # -- events -------------------------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        if self.callback is not None and self.callback(event) == STOP:
            self.control.stop()

    def _progress(self, now: float, rate: float, paused: bool = False) -> None:
        metrics = dict(self.agent.metrics())
        if self._recent:
            metrics["return_100"] = sum(self._recent) / len(self._recent)
        self._emit(Progress(self.steps, self.episodes, self._elapsed(now), rate, metrics, paused))

    def _final_progress(self) -> None:
        now = time.perf_counter()
        elapsed = self._elapsed(now)
        self._progress(now, self.steps / elapsed if elapsed > 0 else 0.0)

    def _elapsed(self, now: float | None = None) -> float:
        return (time.perf_counter() if now is None else now) - self._t0 - self._paused_s

    # -- the run ------------------------------------------------------------------------------------
    def run(self) -> Finished:
        """Train until the budget is spent or a stop; returns (and sends) the :class:`Finished` event."""
        cfg = self.config
        self._t0 = time.perf_counter()
        status, error = "finished", None
        try:
            self.run_id = self.store.create_run(cfg, self.device, self.hparams)
        except RltuiError as exc:
            return self._finish("failed", str(exc), save=False)
        try:
            if self.demos:
                from rltui.training.demos import learn_from_demos

                learn_from_demos(self.agent, self.demos, cfg.demo_passes)
            if self.vector:
                self._loop_vector()
            else:
                self._loop_single()
            if self.control.stopped:
                status = "stopped"
        except (_Stop, KeyboardInterrupt):
            status = "stopped"
        except Exception as exc:  # a crash in env or agent code: record it, never kill the face
            status, error = "failed", _one_line(exc)
            self._log_crash()
        return self._finish(status, error, save=status != "failed")

    def _finish(self, status: str, error: str | None, save: bool) -> Finished:
        try:
            self._flush()
            if save and self.steps > 0:
                self.save_checkpoint()
        except Exception as exc:  # e.g. disk full while saving: the run still ends, marked failed
            status, error = "failed", _one_line(exc)
            self._log_crash()
        if self.run_id is not None:
            try:
                self.store.finish_run(self.run_id, status, error, steps=self.steps, episodes=self.episodes)
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
        done = Finished(status, self.steps, self.episodes, self._elapsed(), self.checkpoint, error)  # type: ignore[arg-type]
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
        left = self.config.steps - self.steps
        if self.config.episodes:
            left = left if self.episodes < self.config.episodes else 0
        return left

    def _poll(self, now: float) -> None:
        """Control commands: stop, save, epsilon, pause (blocks here while paused)."""
        control = self.control
        if control.stopped:
            raise _Stop
        changed, eps = control.take_epsilon()
        if changed:
            self.agent.set_epsilon(eps)
        if control.take_save_request():
            self.save_checkpoint()
        if control.paused:
            start = time.perf_counter()
            self._flush()
            self._progress(now, 0.0, paused=True)
            while not control.wait_while_paused(0.1):
                if control.take_save_request():
                    self.save_checkpoint()
            self._paused_s += time.perf_counter() - start
            if control.stopped:
                raise _Stop

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

    def checkpoint_path(self) -> Path:
        if self.config.out:
            return Path(self.config.out).expanduser()
        name = f"run{self.run_id or 0:04d}-{self.entry.name}-{self.agent.algo}{default_suffix(self.agent)}"
        return checkpoints_dir(self.config.data_dir) / name

    def save_checkpoint(self, path: str | None = None) -> str:
        """Write the agent now (atomically); recorded in the store and sent as ``Checkpointed``."""
        total = self.agent.trained_steps + self.steps
        header = make_header(self.agent, self.entry.name, self.config.env_overrides, self.observation_space,
                             self.action_space, total, episodes=self.episodes, seed=self.config.seed,
                             run_id=self.run_id)
        written = str(save_checkpoint(path or self.checkpoint_path(), self.agent, header))
        self.checkpoint = written
        if self.run_id is not None:
            self.store.add_checkpoint(self.run_id, written, total)
        self._emit(Checkpointed(total, written))
        return written

    def _next_due(self, key: str) -> int | None:
        """The step count at which the periodic job ``key`` (eval_every, checkpoint_every) is next due."""
        every = self.settings[key]
        return (self.steps // every + 1) * every if every else None

    def _chunk_limit(self, chunk: int, state: dict[str, Any]) -> int:
        """Steps the next chunk may take: the adaptive size cut at the budget and the next periodic job."""
        n = min(chunk, self._budget_left())
        for key in ("eval_every", "checkpoint_every"):
            due = state[key]
            if due is not None:
                n = min(n, due - self.steps)
        return max(n, 1) if self._budget_left() > 0 else 0

    def _between_chunks(self, state: dict[str, Any], now: float) -> None:
        """Periodic work after a chunk: events, flushes, snapshots, control, chunk size."""
        due = state["eval_every"]
        if due is not None and self.steps >= due:
            self.evaluate_now()
            state["eval_every"] = self._next_due("eval_every")
        due = state["checkpoint_every"]
        if due is not None and self.steps >= due:
            if self._budget_left() > 0:
                self.save_checkpoint()
            state["checkpoint_every"] = self._next_due("checkpoint_every")
        if now >= state["next_progress"]:
            span = now - state["last_time"]
            rate = (self.steps - state["last_steps"]) / span if span > 0 else 0.0
            state.update(last_time=now, last_steps=self.steps, next_progress=now + PROGRESS_EVERY_S)
            self._progress(now, rate)
        if state["snapshots"] and now >= state["next_snapshot"]:
            q = self.agent.q_values()
            if q is None:
                state["snapshots"] = False
            else:
                self._emit(QSnapshot(self.steps, q))
            state["next_snapshot"] = now + SNAPSHOT_EVERY_S
        if now >= state["next_flush"]:
            self._flush()
            state["next_flush"] = now + FLUSH_EVERY_S
        self._poll(now)

    def _initial_state(self, now: float) -> dict[str, Any]:
        return {"next_progress": now, "next_snapshot": now, "next_flush": now + FLUSH_EVERY_S,
                "last_time": now, "last_steps": 0, "snapshots": True,
                "eval_every": self._next_due("eval_every"), "checkpoint_every": self._next_due("checkpoint_every")}

    @staticmethod
    def _adapt(chunk: int, n: int, span: float) -> int:
        if n < chunk:  # a chunk cut short says nothing about speed
            return chunk
        if span < CHUNK_TARGET_S / 2:
            return min(chunk * 2, MAX_CHUNK)
        if span > CHUNK_TARGET_S * 2:
            return max(chunk // 2, 1)
        return chunk

    def _end_episode(self, ret: float, length: int) -> None:
        """Book-keeping for one finished episode (not in the hot loop's per-step path)."""
        self._episode_rows.append((self.episodes, self.steps, ret, length, time.time()))  # wall: monitor.csv
        self._recent.append(ret)
        self.episodes += 1
        if self.callback is not None and self.callback(EpisodeEnd(self.episodes, self.steps, ret, length)) == STOP:
            self.control.stop()

    # -- single env ---------------------------------------------------------------------------------
    def _loop_single(self) -> None:
        env, agent, control = self.env, self.agent, self.control
        step, act, observe = env.step, agent.act, agent.observe
        obs, info = env.reset(seed=self.config.seed)
        agent.reset_episode(0)
        masked = isinstance(info, dict) and "action_mask" in info
        mask = info.get("action_mask") if masked else None
        ep_ret, ep_len = 0.0, 0
        now = time.perf_counter()
        state = self._initial_state(now)
        chunk = 1
        self._poll(now)
        while True:
            pace = control.pace
            n = self._chunk_limit(1 if pace else chunk, state)
            if n <= 0:
                break
            start = time.perf_counter()
            done_steps = 0
            if masked or pace:
                # The general path: action masks, per-step events while watched.
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
                    if pace:
                        self._emit(StepTaken(self.steps + done_steps, self.episodes, nobs, int(a), float(r),
                                             bool(term), bool(trunc)))
                    if term or trunc:
                        self.steps += done_steps
                        done_steps = 0
                        self._end_episode(ep_ret, ep_len)
                        ep_ret, ep_len = 0.0, 0
                        obs, info = env.reset()
                        mask = info.get("action_mask") if masked else None
                        agent.reset_episode(0)
                        if control.stopped or self._budget_left() <= 0:
                            break
                    else:
                        obs, mask = nobs, nmask
            else:
                # The hot path (see the module docstring): keep it this small.
                for _ in range(n):
                    a = act(obs)
                    nobs, r, term, trunc, info = step(a)
                    observe(obs, a, r, nobs, term, trunc)
                    ep_ret += r
                    ep_len += 1
                    done_steps += 1
                    if term or trunc:
                        self.steps += done_steps
                        done_steps = 0
                        self._end_episode(ep_ret, ep_len)
                        ep_ret, ep_len = 0.0, 0
                        obs, info = env.reset()
                        agent.reset_episode(0)
                        if control.stopped or self._budget_left() <= 0:
                            break
                    else:
                        obs = nobs
            self.steps += done_steps
            now = time.perf_counter()
            if pace:
                self._sleep_for_pace(pace, start)
                now = time.perf_counter()
            else:
                chunk = self._adapt(chunk, n, now - start)
            self._between_chunks(state, now)
        self._final_progress()

    def _sleep_for_pace(self, pace: float, start: float) -> None:
        """Watch mode: about ``pace`` steps a second, waking often enough to obey stop and pause."""
        deadline = start + 1.0 / max(pace, 1e-3)
        while not self.control.stopped:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            time.sleep(min(left, 0.05))

    # -- vector env ---------------------------------------------------------------------------------
    def _loop_vector(self) -> None:
        """``n_envs`` copies in a Gymnasium vector env, autoreset in SAME_STEP mode: when a copy ends,
        ``info["final_obs"]`` holds its true last observation (used for the transition) and the returned
        observation is already the next episode's first."""
        import numpy as np

        env, agent, n_envs = self.env, self.agent, self.config.n_envs
        obs, _ = env.reset(seed=self.config.seed)
        for i in range(n_envs):
            agent.reset_episode(i)
        ep_ret = np.zeros(n_envs)
        ep_len = np.zeros(n_envs, dtype=np.int64)
        now = time.perf_counter()
        state = self._initial_state(now)
        chunk = 1
        self._poll(now)
        while True:
            n = self._chunk_limit(chunk, state)
            if n <= 0:
                break
            start = time.perf_counter()
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
                self.steps += n_envs
                for i in np.flatnonzero(done):
                    self._end_episode(float(ep_ret[i]), int(ep_len[i]))
                    ep_ret[i], ep_len[i] = 0.0, 0
                    agent.reset_episode(int(i))
                obs = nobs
                if self.control.stopped or self._budget_left() <= 0:
                    break
            now = time.perf_counter()
            chunk = self._adapt(chunk, n, now - start)
            self._between_chunks(state, now)
        self._final_progress()


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
