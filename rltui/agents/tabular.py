"""Tabular Q-learning and SARSA (plain or expected) for envs with a Discrete state space.

One class, :class:`TabularAgent`, serves all three: they differ only in the bootstrap target
(max over Q(s′, ·), Q(s′, a′) of the action actually taken next, or its expectation under ε-greedy).

Why Python lists inside: the table is exposed as a numpy array (:meth:`q_values`, checkpoints), but
the per-step work is a handful of scalar reads and one write, where numpy's boxing of each scalar
costs several times a list's; the agent should cost far less than the env step, so training runs at
the speed of a random policy (figures: benchmarks/README.md, bench_tabular.py). For the same reason
the greedy action of every state is cached and refreshed only when that state's row changes, and
exploration draws from Python's ``random.Random`` rather than ``np.random``.

What makes it fast to learn on FrozenLake (see ``rltui/presets/q.toml`` and ``benchmarks/``):

* optimistic initial values (``q_init``): untried actions look good, so the agent tries each one
  systematically instead of waiting for ε to stumble on the rare goal reward;
* a learning rate that decays per (state, action) visit (``alpha_schedule = "visits"``,
  α = max(alpha, n^−alpha_power)): early updates are near-averages, which in a slippery world learn
  the expected outcome in a few visits where a constant α=0.1 needs tens and keeps jittering;
* an ε schedule (linear or exponential) from ``epsilon_start`` to ``epsilon_end``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import numpy as np

from rltui.agents.base import Agent, validate_hparams
from rltui.errors import RltuiError

EPSILON_DECAYS = ("linear", "exponential", "constant")
ALPHA_SCHEDULES = ("constant", "visits")


@dataclass
class TabularHparams:
    """Hyperparameters shared by Q-learning and SARSA (see the module docstring for why each exists)."""

    alpha: float = 0.1  # the learning rate; with alpha_schedule="visits", its floor
    alpha_schedule: str = "constant"  # constant | visits
    alpha_power: float = 0.8  # visits schedule: alpha = max(alpha, n(s,a) ** -alpha_power)
    gamma: float = 0.99
    epsilon_start: float = 1.0
    epsilon_end: float = 0.05
    epsilon_decay: str = "linear"  # linear | exponential | constant
    epsilon_decay_steps: int = 10_000  # linear: steps from start to end; exponential: time constant
    q_init: float = 0.0  # initial value of every Q(s, a): > 0 is optimistic
    expected: bool = False  # SARSA only: expected SARSA (the target averages over ε-greedy)

    def check(self) -> str | None:
        if not 0.0 < self.alpha <= 1.0:
            return f"alpha must be in (0, 1], not {self.alpha}"
        if self.alpha_schedule not in ALPHA_SCHEDULES:
            return f"alpha_schedule must be one of {', '.join(ALPHA_SCHEDULES)}, not {self.alpha_schedule!r}"
        if self.alpha_power <= 0:
            return f"alpha_power must be positive, not {self.alpha_power}"
        if not 0.0 <= self.gamma <= 1.0:
            return f"gamma must be in [0, 1], not {self.gamma}"
        for name in ("epsilon_start", "epsilon_end"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                return f"{name} must be in [0, 1], not {value}"
        if self.epsilon_decay not in EPSILON_DECAYS:
            return f"epsilon_decay must be one of {', '.join(EPSILON_DECAYS)}, not {self.epsilon_decay!r}"
        if self.epsilon_decay_steps < 1:
            return f"epsilon_decay_steps must be at least 1, not {self.epsilon_decay_steps}"
        return None


def knob_problem(name: str, value: float | None) -> str | None:
    """Why ``value`` cannot be the live knob ``name`` (None when it can): one line for the screen."""
    import math

    if name not in ("alpha", "gamma", "epsilon"):
        return f"{name} is not a live knob (alpha, gamma, epsilon)"
    if value is None:
        return None if name == "epsilon" else f"{name} needs a value"
    if not math.isfinite(value):
        return f"{name} must be a finite number"
    if name == "alpha" and not 0.0 < value <= 1.0:
        return f"alpha must be in (0, 1], not {value:g}"
    if not 0.0 <= value <= 1.0:
        return f"{name} must be in [0, 1], not {value:g}"
    return None


def discrete_sizes(observation_space: Any, action_space: Any, algo: str) -> tuple[int, int]:
    """(states, actions) of Discrete spaces, or a one-line error saying why a table does not fit."""
    n_states = getattr(observation_space, "n", None)
    n_actions = getattr(action_space, "n", None)
    if type(observation_space).__name__ != "Discrete" or n_states is None:
        raise RltuiError(f"{algo} needs a discrete state space, not {observation_space}; try dqn")
    if type(action_space).__name__ != "Discrete" or n_actions is None:
        raise RltuiError(f"{algo} needs a discrete action space, not {action_space}")
    start = int(getattr(observation_space, "start", 0)) + int(getattr(action_space, "start", 0))
    if start:
        raise RltuiError(f"{algo} needs spaces that start at 0")
    return int(n_states), int(n_actions)


_Q, _SARSA, _EXPECTED = 0, 1, 2
_LINEAR, _EXPONENTIAL, _CONSTANT = 0, 1, 2


class TabularAgent(Agent):
    """ε-greedy tabular learner. ``algo`` is ``"q"`` or ``"sarsa"`` (``expected`` picks expected SARSA)."""

    def __init__(self, algo: str, n_states: int, n_actions: int, hp: TabularHparams, seed: int = 0) -> None:
        self.algo = algo  # type: ignore[misc]  # instance value of the ClassVar: one class, two names
        self.n_states, self.n_actions, self.hp = n_states, n_actions, hp
        self.hparams = dict(vars(hp))
        self._target = _Q if algo == "q" else _EXPECTED if hp.expected else _SARSA
        self._rng = random.Random(seed)
        self._rand = self._rng.random
        self._q: list[list[float]] = [[float(hp.q_init)] * n_actions for _ in range(n_states)]
        self._visits: list[list[int]] = [[0] * n_actions for _ in range(n_states)]
        self._visit_alpha = hp.alpha_schedule == "visits"
        self._alpha, self._gamma, self._power = hp.alpha, hp.gamma, -hp.alpha_power  # hot-path copies
        self._greedy: list[int] = [self._rng.randrange(n_actions) for _ in range(n_states)]
        self._pin: float | None = None
        self._pending: tuple[Any, int] | None = None  # SARSA: (next obs, the action chosen for it)
        self._last_next: int | None = None  # SARSA: the a′ of the last target (read by the explain mode)
        self.t = 0
        self._restart_schedule()

    # -- schedules ----------------------------------------------------------------------------------
    def _restart_schedule(self) -> None:
        """Put epsilon where the schedule has it after ``self.t`` steps."""
        hp = self.hp
        self._decay = {"linear": _LINEAR, "exponential": _EXPONENTIAL, "constant": _CONSTANT}[hp.epsilon_decay]
        if self._decay == _LINEAR:
            self._eps_step = (hp.epsilon_start - hp.epsilon_end) / hp.epsilon_decay_steps
            frac = min(1.0, self.t / hp.epsilon_decay_steps)
            self.epsilon = hp.epsilon_start + (hp.epsilon_end - hp.epsilon_start) * frac
            self._decaying = frac < 1.0 and self._eps_step != 0.0
        elif self._decay == _EXPONENTIAL:
            self._eps_factor = math.exp(-1.0 / hp.epsilon_decay_steps)
            self._eps_excess = (hp.epsilon_start - hp.epsilon_end) * math.exp(-self.t / hp.epsilon_decay_steps)
            self.epsilon = hp.epsilon_end + self._eps_excess
            self._decaying = True
        else:
            self.epsilon = hp.epsilon_start
            self._decaying = False

    def _advance_epsilon(self) -> None:
        if self._decay == _LINEAR:
            eps = self.epsilon - self._eps_step
            if eps <= self.hp.epsilon_end:
                eps, self._decaying = self.hp.epsilon_end, False
            self.epsilon = eps
        else:
            self._eps_excess *= self._eps_factor
            self.epsilon = self.hp.epsilon_end + self._eps_excess
            if self._eps_excess < 1e-9:
                self._decaying = False

    # -- acting -------------------------------------------------------------------------------------
    def act(self, obs: Any, explore: bool = True, action_mask: np.ndarray | None = None) -> int:
        if action_mask is not None:
            return self._act_masked(obs, explore, action_mask)
        pending = self._pending
        if pending is not None and explore and pending[0] == obs:
            self._pending = None
            return pending[1]
        if explore:
            eps = self.epsilon if self._pin is None else self._pin
            if self._rand() < eps:
                return int(self._rand() * self.n_actions)
        return self._greedy[obs]

    def _act_masked(self, obs: Any, explore: bool, mask: np.ndarray) -> int:
        pending = self._pending
        if pending is not None and explore and pending[0] == obs:
            self._pending = None
            return pending[1]
        allowed = [a for a in range(self.n_actions) if mask[a]]
        if not allowed:
            raise RltuiError(f"state {int(obs)} allows no action")
        if explore:
            eps = self.epsilon if self._pin is None else self._pin
            if self._rand() < eps:
                return allowed[int(self._rand() * len(allowed))]
        row = self._q[obs]
        best = max(row[a] for a in allowed)
        ties = [a for a in allowed if row[a] == best]
        return ties[0] if len(ties) == 1 else ties[int(self._rand() * len(ties))]

    # -- learning -----------------------------------------------------------------------------------
    def observe(self, obs, action, reward, next_obs, terminated, truncated, next_action_mask=None) -> None:
        q = self._q
        row = q[obs]
        if terminated:
            target = reward
        else:
            nrow = q[next_obs]
            kind = self._target
            if next_action_mask is not None:
                nrow = [v for v, ok in zip(nrow, next_action_mask) if ok] or [0.0]
            if kind == _Q:
                target = reward + self._gamma * max(nrow)
            else:
                eps = self.epsilon if self._pin is None else self._pin
                if kind == _EXPECTED:
                    value = (1.0 - eps) * max(nrow) + eps * sum(nrow) / len(nrow)
                else:
                    nxt = self._sarsa_next(next_obs, next_action_mask, truncated)
                    value = q[next_obs][nxt]
                target = reward + self._gamma * value
        if self._visit_alpha:
            counts = self._visits[obs]
            n = counts[action] + 1
            counts[action] = n
            lr = n ** self._power
            if lr < self._alpha:
                lr = self._alpha
        else:
            lr = self._alpha
        old = row[action]
        new = old + lr * (target - old)
        row[action] = new
        greedy = self._greedy[obs]
        if action == greedy:
            if new <= old:  # it may have lost the lead, or tie with others: re-pick (random among ties)
                self._refresh_greedy(obs, row)
        elif new > row[greedy]:
            self._greedy[obs] = action
        self.t += 1
        if self._decaying:
            self._advance_epsilon()

    def _sarsa_next(self, next_obs: Any, mask: np.ndarray | None, truncated: bool) -> int:
        """SARSA bootstraps on the action it will really take next: choose it now, play it next step."""
        self._pending = None
        nxt = self.act(next_obs, True, mask)
        self._last_next = nxt
        if not truncated:  # after a time limit the next act() is in a new episode
            self._pending = (next_obs, nxt)
        return nxt

    def _refresh_greedy(self, obs: Any, row: list[float]) -> None:
        best = max(row)
        if row.count(best) == 1:
            self._greedy[obs] = row.index(best)
        else:
            ties = [a for a, v in enumerate(row) if v == best]
            self._greedy[obs] = ties[int(self._rand() * len(ties))]

    def reset_episode(self, index: int = 0) -> None:
        self._pending = None

    def learn_from_demos(self, episodes, passes: int = 1) -> None:
        """Q updates from a person's episodes, each replayed backwards so that a reward at the end
        reaches the first state in a single pass. The ε schedule is left where it was: demos are
        extra experience, not training steps."""
        t = self.t
        for _ in range(passes):
            for episode in episodes:
                for tr in reversed(episode):
                    self.observe(tr.obs, tr.action, tr.reward, tr.next_obs, tr.terminated, tr.truncated,
                                 tr.next_action_mask)
        self.t, self._pending = t, None
        self._restart_schedule()

    # -- what the faces read ------------------------------------------------------------------------
    def metrics(self) -> dict[str, float]:
        return {"epsilon": self.epsilon if self._pin is None else self._pin}

    def q_values(self) -> np.ndarray:
        return np.array(self._q, dtype=np.float64)

    @property
    def q(self) -> np.ndarray:
        """A copy of the table as states × actions."""
        return self.q_values()

    def greedy_actions(self) -> np.ndarray:
        """The cached greedy action of every state (what :meth:`act` plays with ``explore=False``)."""
        return np.array(self._greedy, dtype=np.int64)

    # -- what the explain mode reads (never on the training path) ------------------------------------
    def explain_act(self, obs: Any, action_mask: np.ndarray | None = None) -> tuple[int, str, float | None, float]:
        """:meth:`act` with its reason: ``(action, why, draw, ε)``, ``why`` being ``greedy``, ``explore``
        or ``planned`` (SARSA's next action, chosen while bootstrapping). ``draw`` is the uniform number
        that act() compared with ε, read from a copy of the generator so acting is unchanged."""
        eps = self.epsilon if self._pin is None else self._pin
        pending = self._pending
        if pending is not None and pending[0] == obs:
            return self.act(obs, True, action_mask), "planned", None, eps
        draw = self.rng_copy().random()
        action = self.act(obs, True, action_mask)
        return action, "explore" if draw < eps else "greedy", draw, eps

    def rng_copy(self) -> random.Random:
        """A generator in the agent's current state: what its next draws will be, without drawing them."""
        probe = random.Random()
        probe.setstate(self._rng.getstate())
        return probe

    def cell(self, state: int, action: int) -> tuple[float, int, int]:
        """``(Q(s, a), visits of (s, a), the cached greedy action of s)``: what one update changes."""
        return self._q[state][action], self._visits[state][action], self._greedy[state]

    def set_cell(self, state: int, action: int, cell: tuple[float, int, int]) -> None:
        """Put back what :meth:`cell` returned (stepping back in the explain mode); touches no RNG."""
        value, visits, greedy = cell
        self._q[state][action] = float(value)
        self._visits[state][action] = int(visits)
        self._greedy[state] = int(greedy)

    def row(self, state: int) -> list[float]:
        """A copy of Q(s, ·)."""
        return list(self._q[state])

    def last_next_action(self) -> int | None:
        """SARSA: the a′ its last target used (after a time limit it is drawn but never played)."""
        return self._last_next

    @property
    def target_rule(self) -> str:
        """``q``, ``sarsa`` or ``expected``: which bootstrap :meth:`observe` uses."""
        return ("q", "sarsa", "expected")[self._target]

    def learning_rate(self, visits: int) -> float:
        """The α an update uses on its ``visits``-th visit of (s, a), exactly as :meth:`observe` computes it."""
        if not self._visit_alpha:
            return self._alpha
        lr = visits ** self._power
        return self._alpha if lr < self._alpha else lr

    LIVE_KNOBS = ("alpha", "gamma", "epsilon")

    def set_knob(self, name: str, value: float | None) -> None:
        """α and γ take effect on the next update; ε pins exploration (None: back to the schedule)."""
        problem = knob_problem(name, value)
        if problem:
            raise RltuiError(problem)
        if name == "epsilon":
            self.set_epsilon(value)
            return
        value = float(value)  # type: ignore[arg-type]
        setattr(self.hp, name, value)
        self.hparams[name] = value
        if name == "alpha":
            self._alpha = value
        else:
            self._gamma = value

    def set_epsilon(self, value: float | None) -> None:
        if value is not None and not 0.0 <= value <= 1.0:
            raise RltuiError(f"epsilon must be in [0, 1], not {value}")
        self._pin = value

    def state_dict(self) -> dict[str, Any]:
        return {"q": self.q_values(), "visits": np.array(self._visits, dtype=np.int64), "t": np.array(self.t)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        q = np.asarray(state["q"], dtype=np.float64)
        if q.shape != (self.n_states, self.n_actions):
            raise RltuiError(f"Q table has shape {q.shape}, this env needs {(self.n_states, self.n_actions)}")
        if not np.all(np.isfinite(q)):
            raise RltuiError("Q table holds non-finite values")
        self._q = q.tolist()
        visits = state.get("visits")
        if visits is not None and np.shape(visits) == q.shape:
            self._visits = np.asarray(visits, dtype=np.int64).tolist()
        else:
            self._visits = [[0] * self.n_actions for _ in range(self.n_states)]
        self.t = int(state.get("t", 0))
        for s, row in enumerate(self._q):
            self._refresh_greedy(s, row)
        self._restart_schedule()


def _make(algo: str, observation_space, action_space, hparams: dict[str, Any], seed: int) -> TabularAgent:
    n_states, n_actions = discrete_sizes(observation_space, action_space, algo)
    hp = validate_hparams(TabularHparams, hparams, where=algo)
    if algo == "q" and hp.expected:
        raise RltuiError("q: expected applies to sarsa only")
    return TabularAgent(algo, n_states, n_actions, hp, seed)


def make_q_learning(observation_space, action_space, hparams: dict[str, Any], *, device: str = "cpu",
                    seed: int = 0) -> TabularAgent:
    """Registry factory for ``q`` (off-policy: bootstraps on max Q(s′, ·))."""
    return _make("q", observation_space, action_space, hparams, seed)


def make_sarsa(observation_space, action_space, hparams: dict[str, Any], *, device: str = "cpu",
               seed: int = 0) -> TabularAgent:
    """Registry factory for ``sarsa`` (on-policy; ``expected = true`` for expected SARSA)."""
    return _make("sarsa", observation_space, action_space, hparams, seed)


#: Hyperparameter schemas by algorithm, so presets and ``--set`` are checked before an env is built.
HPARAMS = {"q": TabularHparams, "sarsa": TabularHparams}
