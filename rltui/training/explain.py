"""The explain mode's engine: tabular training one transition at a time, every number written down.

:class:`Explainer` drives the same env and agent that ``rltui train`` builds for the same env, algorithm,
preset and seed, so its table after N steps is the Trainer's after N steps. Each step is returned as an
:class:`ExplainedStep` holding the numbers the agent used (Q(s′,·) before the update, ε, the uniform draw
that decided exploring, α and the visit count); :meth:`Explainer.forward` checks that they reproduce the
agent's new Q(s, a) bit for bit, so what is printed is what happened, not a re-enactment.

Stepping back puts the changed cell back (value, visit count, cached greedy action); stepping forward
again re-applies the recorded step, and only steps past the newest one move the env and the agent's
random generator. :class:`ValueIterationTrace` does the same for value iteration, one sweep at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rltui.errors import RltuiError

EXPLAINABLE = ("q", "sarsa")


@dataclass(frozen=True)
class ExplainedStep:
    """One update of a tabular agent with the numbers it used (see :meth:`Explainer.forward`)."""

    index: int  # 1-based step of the run
    episode: int  # 1-based
    state: int
    action: int
    why: str  # greedy | explore
    draw: float | None  # the uniform number compared with choice_epsilon
    choice_epsilon: float  # ε when the action was chosen (the previous update's for a planned action)
    planned: bool  # SARSA: the action was chosen during the previous update (as its a′)
    epsilon: float  # ε at this update
    reward: float
    next_state: int
    terminated: bool
    truncated: bool
    rule: str  # q | sarsa | expected
    next_values: tuple[float, ...]  # Q(s′, ·) before the update, allowed actions only
    next_actions: tuple[int, ...]  # the actions next_values belong to
    next_action: int | None  # sarsa: the action it will take in s′
    next_why: str | None  # sarsa: how a′ was chosen (greedy | explore) and with which draw
    next_draw: float | None
    bootstrap: float  # max / Q(s′, a′) / the ε-greedy expectation; 0 when s′ is terminal
    gamma: float
    target: float
    old: float
    alpha: float
    visits: int  # this (s, a)'s visit count, this visit included
    new: float
    before: tuple[float, int, int]  # the cell before the update (value, visits, greedy of s)
    after: tuple[float, int, int]  # and after it
    what: str = ""  # what the step did in words (slipped, fell in a hole), where the face gave a narrator

    @property
    def error(self) -> float:
        """The TD error ``target − Q(s, a)``."""
        return self.target - self.old


def bootstrap_value(rule: str, values: tuple[float, ...], epsilon: float, sarsa_value: float | None) -> float:
    """What the target adds to the reward before discounting, exactly as the agent computes it."""
    if rule == "q":
        return max(values)
    if rule == "expected":
        return (1.0 - epsilon) * max(values) + epsilon * sum(values) / len(values)
    assert sarsa_value is not None
    return sarsa_value


class Explainer:
    """Step a tabular agent through ``env`` one transition at a time, forward and back."""

    def __init__(self, env_name: str, algo: str = "q", *, seed: int = 0, preset: str | None = None,
                 overrides: dict[str, Any] | None = None, env_overrides: dict[str, Any] | None = None,
                 narrator: tuple[Any, Any] | None = None) -> None:
        """``narrator``: ``(state_of, describe_step)`` from :mod:`rltui.play.narrate` (a face passes it;
        this layer cannot import it) to say in words what each step did."""
        from rltui.agents import make_agent
        from rltui.envs import get_entry, make_training_env
        from rltui.training.config import TrainConfig, env_options, resolve_hparams

        if algo not in EXPLAINABLE:
            raise RltuiError(f"explain steps through {' and '.join(EXPLAINABLE)} (tabular); not {algo}")
        self.entry = get_entry(env_name)
        config = TrainConfig(env=self.entry.name, algo=algo, steps=1, seed=seed, preset=preset,
                             hparams=dict(overrides or {}), env_overrides=dict(env_overrides or {}))
        config.check()
        self.hparams = resolve_hparams(config)
        self.env = make_training_env(self.entry.name, **{**env_options(algo), **config.env_overrides})
        try:
            self.agent = make_agent(algo, self.env.observation_space, self.env.action_space, self.hparams,
                                    device="cpu", seed=seed)
        except BaseException:
            self.env.close()
            raise
        self.seed = seed
        self.narrator = narrator
        self.history: list[ExplainedStep] = []
        self.cursor = 0  # steps applied to the table; == len(history) at the newest step
        self.episode = 1
        obs, info = self.env.reset(seed=seed)  # as the Trainer does: seeded once, then unseeded resets
        self.agent.reset_episode(0)
        self._obs: Any = obs
        self._mask: np.ndarray | None = _mask_of(info)

    @property
    def action_names(self) -> tuple[str, ...]:
        return self.entry.action_names

    def q_table(self) -> np.ndarray:
        """The table as it stands at the cursor."""
        return self.agent.q_values()

    def close(self) -> None:
        self.env.close()

    # -- moving ------------------------------------------------------------------------------------
    def forward(self) -> ExplainedStep:
        """Apply the next step: a recorded one after :meth:`back`, else a new transition of the env."""
        if self.cursor < len(self.history):
            step = self.history[self.cursor]
            self.agent.set_cell(step.state, step.action, step.after)
            self.cursor += 1
            return step
        step = self._new_step()
        self.history.append(step)
        self.cursor += 1
        return step

    def back(self) -> ExplainedStep | None:
        """Undo the last applied step (the table goes back exactly); None at the start."""
        if self.cursor == 0:
            return None
        self.cursor -= 1
        step = self.history[self.cursor]
        self.agent.set_cell(step.state, step.action, step.before)
        return step

    def run(self, steps: int) -> list[ExplainedStep]:
        """``steps`` forward moves."""
        return [self.forward() for _ in range(steps)]

    @property
    def current(self) -> ExplainedStep | None:
        """The step applied last (what the screen shows)."""
        return self.history[self.cursor - 1] if self.cursor else None

    # -- one new transition -------------------------------------------------------------------------
    def _new_step(self) -> ExplainedStep:
        agent, env = self.agent, self.env
        if self._obs is None:  # a new episode (the first one was reset, seeded, by __init__)
            obs, info = env.reset()
            agent.reset_episode(0)
            self._obs, self._mask = obs, _mask_of(info)
        obs, mask = self._obs, self._mask
        action, why, draw, eps = agent.explain_act(obs, mask)
        planned = why == "planned"
        choice_eps = eps
        if planned:  # chosen as a′ in the previous update: say how it was chosen then, with that ε
            prev = self.history[-1]
            why, draw, choice_eps = prev.next_why or "greedy", prev.next_draw, prev.epsilon
        said = self.narrator[0](env) if self.narrator else None
        next_obs, reward, terminated, truncated, info = env.step(action)
        what = self.narrator[1](env, said, action, reward, terminated, truncated) if self.narrator else ""
        next_mask = _mask_of(info) if mask is not None else None
        next_actions = tuple(a for a in range(agent.n_actions) if next_mask is None or next_mask[a])
        row_next = agent.row(next_obs)
        next_values = tuple(row_next[a] for a in next_actions) or (0.0,)
        before = agent.cell(obs, action)
        rule = agent.target_rule
        probe = agent.rng_copy()  # SARSA draws a′ inside observe(): its first draw decides exploring
        if mask is not None:
            agent.observe(obs, action, reward, next_obs, terminated, truncated, next_mask)
        else:
            agent.observe(obs, action, reward, next_obs, terminated, truncated)
        after = agent.cell(obs, action)
        next_action = next_why = next_draw = None
        sarsa_value = None
        if rule == "sarsa" and not terminated:
            next_action = agent.last_next_action()
            sarsa_value = row_next[next_action]
            next_draw = probe.random()
            next_why = "explore" if next_draw < eps else "greedy"
        gamma = float(agent.hp.gamma)
        if terminated:
            bootstrap, target = 0.0, reward
        else:
            bootstrap = bootstrap_value(rule, next_values, eps, sarsa_value)
            target = reward + gamma * bootstrap
        visits = after[1]
        alpha = agent.learning_rate(visits)
        old = before[0]
        new = old + alpha * (target - old)
        if new != after[0]:
            raise RltuiError(f"explain: recomputed Q({obs},{action}) = {new!r} but the agent wrote {after[0]!r}")
        episode = self.episode
        if terminated or truncated:
            self._obs = None
            self.episode += 1
        else:
            self._obs, self._mask = next_obs, next_mask
        return ExplainedStep(
            index=len(self.history) + 1, episode=episode,
            state=int(obs), action=int(action), why=why, draw=draw, planned=planned,
            choice_epsilon=float(choice_eps), epsilon=float(eps), reward=float(reward),
            next_state=int(next_obs), terminated=bool(terminated), truncated=bool(truncated), rule=rule,
            next_values=next_values, next_actions=next_actions, next_action=next_action, next_why=next_why,
            next_draw=next_draw,
            bootstrap=float(bootstrap), gamma=gamma, target=float(target), old=float(old), alpha=float(alpha),
            visits=int(visits), new=float(after[0]), before=before, after=after, what=what or "")


def _mask_of(info: Any) -> np.ndarray | None:
    return info.get("action_mask") if isinstance(info, dict) else None


class ValueIterationTrace:
    """Value iteration one synchronous sweep at a time, for the explain mode."""

    def __init__(self, env_name: str, *, gamma: float | None = None, theta: float = 1e-8) -> None:
        from rltui.agents.value_iteration import build_model
        from rltui.envs import get_entry, make_training_env

        self.entry = get_entry(env_name)
        if not self.entry.has_model:
            raise RltuiError(f"{self.entry.name} publishes no model P; value iteration needs one")
        env = make_training_env(self.entry.name)
        try:
            base = env.unwrapped
            n_states, n_actions = int(env.observation_space.n), int(env.action_space.n)
            self.model = build_model(base.P, n_states, n_actions)
            self.mask = getattr(base, "action_masks", None)
        finally:
            env.close()
        if callable(self.mask):
            self.mask = np.asarray(self.mask(), dtype=bool)
        self.gamma = 0.99 if gamma is None else float(gamma)
        self.theta = theta
        self.values: list[np.ndarray] = [np.zeros(n_states)]
        self.deltas: list[float] = []

    @property
    def converged(self) -> bool:
        return bool(self.deltas) and self.deltas[-1] < self.theta

    def sweep(self) -> tuple[np.ndarray, np.ndarray, float]:
        """One backup of every state: (V after, Q, largest change)."""
        from rltui.agents.value_iteration import bellman_sweep

        V = self.values[-1]
        new_v, Q = bellman_sweep(self.model, V, self.gamma, self.mask)
        delta = float(np.max(np.abs(new_v - V))) if len(V) else 0.0
        self.values.append(new_v)
        self.deltas.append(delta)
        return new_v, Q, delta

    def backup(self, state: int, sweep: int | None = None) -> list[tuple[int, float, list[tuple[float, int, float]]]]:
        """The backup of ``state`` in sweep ``sweep`` (default: the last) written out: for each action,
        its value and the (probability, next state, V(next)) terms that made it."""
        k = len(self.values) - 1 if sweep is None else sweep
        V = self.values[k - 1] if k >= 1 else self.values[0]
        out = []
        T, R = self.model.T, self.model.R
        for a in range(self.model.n_actions):
            if self.mask is not None and not self.mask[state, a]:
                continue
            terms = [(float(T[state, a, s2]), int(s2), float(V[s2])) for s2 in np.flatnonzero(T[state, a])]
            out.append((a, float(R[state, a] + self.gamma * sum(p * v for p, _, v in terms)), terms))
        return out


def num(x: float) -> str:
    """A float as Python writes it back exactly (shortest round-trip form): the arithmetic can be redone."""
    return repr(float(x))


def short(x: float) -> str:
    """Six significant digits, for the screen (the headless command prints :func:`num`'s exact form)."""
    return f"{float(x):.6g}"


def step_lines(step: ExplainedStep, action_names: tuple[str, ...], num=num) -> list[str]:
    """The step in words and numbers: exactly the numbers the agent used, written by ``num``."""
    def act(a: int | None) -> str:
        return "-" if a is None else f"{action_names[a]}" if a < len(action_names) else f"a{a}"

    when = "last step, as SARSA's a′: " if step.planned else ""
    if step.why == "explore":
        choice = (f"explore ({when}draw {num(step.draw or 0.0)} < ε = {num(step.choice_epsilon)}): a random action, "
                  f"{act(step.action)}")
    else:
        draw = f"draw {num(step.draw or 0.0)} ≥ ε = {num(step.choice_epsilon)}"
        choice = f"greedy ({when}{draw}): the best action of s, {act(step.action)}"
    alpha_note = f"α for visit {step.visits} of (s,a)" if step.visits else "constant α"
    end = " (terminal)" if step.terminated else " (time limit)" if step.truncated else ""
    lines = [f"step {step.index} · episode {step.episode} · s = {step.state}",
             f"  {choice}",
             f"  r = {num(step.reward)}, s′ = {step.next_state}{end}"]
    if step.what:
        lines.append(f"  ({step.what})")
    if step.terminated:
        lines.append(f"  target = r = {num(step.target)}   (s′ is terminal: nothing to bootstrap)")
    else:
        vals = ", ".join(f"{act(a)} {num(v)}" for a, v in zip(step.next_actions, step.next_values))
        if step.rule == "q":
            boot = f"max Q(s′,·) = max({vals}) = {num(step.bootstrap)}"
        elif step.rule == "expected":
            boot = (f"E_ε[Q(s′,·)] = (1 − ε)·max + ε·mean of ({vals}) with ε = {num(step.epsilon)}"
                    f" = {num(step.bootstrap)}")
        else:
            how = f"{step.next_why}, draw {num(step.next_draw or 0.0)}"
            boot = (f"Q(s′, a′) with a′ = {act(step.next_action)}, the action it will take next ({how})"
                    f" = {num(step.bootstrap)}")
        lines.append(f"  {boot}")
        lines.append(f"  target = r + γ·{num(step.bootstrap)} = {num(step.reward)} + {num(step.gamma)} × "
                     f"{num(step.bootstrap)} = {num(step.target)}")
    lines.append(f"  error = target − Q(s,a) = {num(step.target)} − {num(step.old)} = {num(step.error)}")
    lines.append(f"  Q({step.state}, {act(step.action)}) ← {num(step.old)} + α·error = {num(step.old)} + "
                 f"{num(step.alpha)} × {num(step.error)} = {num(step.new)}   ({alpha_note})")
    return lines
