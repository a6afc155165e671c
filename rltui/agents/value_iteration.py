"""Value iteration: the exact answer for envs that expose their model ``P``, and the yardstick for Q.

Toy-text envs (FrozenLake, CliffWalking, Taxi) and our ThreeStateMDP publish ``P[s][a] = [(prob,
next_state, reward, terminated), ...]``. From it we build dense arrays once (:class:`Model`) so a Bellman
sweep is two numpy operations instead of a Python triple loop; Taxi (500 × 6 × 500) is the largest and
still only 12 MB.

Besides :func:`value_iteration` (V*, Q*), this module answers the questions the app and the benchmarks
ask of a learned table: :func:`gap_to_optimal` (max |Q − Q*| and how often the greedy action is an
optimal one), :func:`reach_probability` (the exact success rate of a greedy policy within the time
limit, with no evaluation noise) and :func:`finite_horizon_values` (the best success rate any policy can
have within that limit: what "the optimum ≈ 0.91 on FrozenLake 8×8" means).

:func:`make_value_iteration` wraps it as an :class:`~rltui.agents.base.Agent`: the Trainer hands it the
env (:meth:`ValueIterationAgent.prepare`), and every env step runs one Bellman sweep until the values
converge, so the app can show V* being computed sweep by sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rltui.agents.base import Agent, validate_hparams
from rltui.errors import RltuiError


@dataclass(frozen=True)
class Model:
    """Dense MDP arrays: ``T[s, a, s']`` (only transitions that do not terminate) and ``R[s, a]``.

    ``R`` is the expected immediate reward; ``reach[s, a]`` the probability that the step ends the
    episode with a positive reward (a goal), used by :func:`reach_probability`.
    """

    T: np.ndarray
    R: np.ndarray
    reach: np.ndarray

    @property
    def n_states(self) -> int:
        return self.R.shape[0]

    @property
    def n_actions(self) -> int:
        return self.R.shape[1]


def build_model(P: Any, n_states: int, n_actions: int) -> Model:
    """Dense arrays from a toy-text ``P``; a malformed ``P`` is a one-line error."""
    T = np.zeros((n_states, n_actions, n_states))
    R = np.zeros((n_states, n_actions))
    reach = np.zeros((n_states, n_actions))
    try:
        for s in range(n_states):
            for a in range(n_actions):
                for prob, s2, reward, done in P[s][a]:
                    R[s, a] += prob * reward
                    if done:
                        if reward > 0:
                            reach[s, a] += prob
                    else:
                        T[s, a, int(s2)] += prob
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise RltuiError(f"the env's model P is not in the toy-text format ({exc})") from exc
    return Model(T, R, reach)


def _masked_max(Q: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    if mask is None:
        return Q.max(axis=1)
    return np.where(mask, Q, -np.inf).max(axis=1)


def bellman_sweep(model: Model, V: np.ndarray, gamma: float, mask: np.ndarray | None = None):
    """One synchronous Bellman optimality backup: returns (new V, Q)."""
    Q = model.R + gamma * (model.T @ V)
    return _masked_max(Q, mask), Q


def value_iteration(
    P: Any,
    n_states: int,
    n_actions: int,
    gamma: float,
    *,
    tol: float = 1e-10,
    max_iter: int = 100_000,
    action_mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """V* and Q* of the discounted MDP ``P``; ``action_mask[s, a]`` (bool) excludes actions.

    Stops when a sweep changes V by less than ``tol``. With ``gamma == 1`` it converges only where every
    policy ends episodes (use :func:`finite_horizon_values` for the time-limited undiscounted case).
    """
    if not 0.0 <= gamma <= 1.0:
        raise RltuiError(f"gamma must be in [0, 1], not {gamma}")
    model = build_model(P, n_states, n_actions)
    mask = None if action_mask is None else np.asarray(action_mask, dtype=bool)
    V = np.zeros(n_states)
    Q = model.R.copy()
    for _ in range(max_iter):
        V_new, Q = bellman_sweep(model, V, gamma, mask)
        delta = float(np.max(np.abs(V_new - V))) if n_states else 0.0
        V = V_new
        if delta < tol:
            break
    return V, Q


def policy_values(model: Model, policy: np.ndarray, gamma: float) -> np.ndarray:
    """V of a fixed deterministic ``policy`` (one action per state), exactly: (I − γ·T_π)·V = R_π.

    ``gamma`` must be below 1 unless every state under the policy ends its episode."""
    states = np.arange(model.n_states)
    T_pi = model.T[states, policy]
    R_pi = model.R[states, policy]
    try:
        return np.linalg.solve(np.eye(model.n_states) - gamma * T_pi, R_pi)
    except np.linalg.LinAlgError as exc:
        raise RltuiError(f"this policy's values do not converge with gamma {gamma}") from exc


def greedy_policy(Q: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """argmax over allowed actions (lowest index on ties), one action per state."""
    if mask is not None:
        Q = np.where(np.asarray(mask, dtype=bool), Q, -np.inf)
    return Q.argmax(axis=1)


@dataclass(frozen=True)
class Gap:
    """How far a learned table is from Q*: the figures the app shows as "gap to optimal"."""

    max_abs: float  # max |Q − Q*| over allowed (state, action) pairs
    agreement: float  # share of states whose greedy action is optimal (within ``tol`` of max Q*)
    states: int  # states counted in ``agreement``


def gap_to_optimal(
    q: np.ndarray,
    q_star: np.ndarray,
    *,
    mask: np.ndarray | None = None,
    states: np.ndarray | None = None,
    tol: float = 1e-6,
) -> Gap:
    """Compare ``q`` with ``q_star``. Ties in Q* count as agreement (any optimal action is fine).

    ``states`` (bool per state) restricts the comparison, e.g. to non-terminal states, where the
    greedy action matters at all; by default states whose Q* is the same for every action (terminal
    states, absorbing holes) are left out of ``agreement``.
    """
    q = np.asarray(q, dtype=np.float64)
    q_star = np.asarray(q_star, dtype=np.float64)
    if q.shape != q_star.shape:
        raise RltuiError(f"Q has shape {q.shape} but Q* has {q_star.shape}")
    allowed = np.ones(q.shape, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    diff = np.where(allowed, np.abs(q - q_star), 0.0)
    best = np.where(allowed, q_star, -np.inf).max(axis=1)
    optimal = allowed & (q_star >= best[:, None] - tol)
    chosen = greedy_policy(q, allowed)
    if states is None:
        lowest = np.where(allowed, q_star, np.inf).min(axis=1)
        states = best - lowest > tol
    states = np.asarray(states, dtype=bool)
    hits = optimal[np.arange(len(chosen)), chosen] & states
    counted = int(states.sum())
    return Gap(float(diff.max()) if diff.size else 0.0, float(hits.sum() / counted) if counted else 1.0, counted)


def reach_probability(model: Model, policy: np.ndarray, horizon: int, start: Any = 0) -> float:
    """Exact probability that ``policy`` ends an episode on a goal (a positive terminal reward) within
    ``horizon`` steps, from ``start`` (a state or a distribution over states).

    For goal-reaching envs such as FrozenLake this *is* the success rate that 1,000 evaluation
    episodes estimate, without their ±0.015 noise.
    """
    idx = np.arange(model.n_states)
    T_pi = model.T[idx, policy]  # (S, S')
    reach_pi = model.reach[idx, policy]
    p = np.zeros(model.n_states)
    for _ in range(horizon):
        p = reach_pi + T_pi @ p
    start_dist = np.zeros(model.n_states)
    if np.ndim(start) == 0:
        start_dist[int(start)] = 1.0
    else:
        start_dist = np.asarray(start, dtype=np.float64)
    return float(start_dist @ p)


def finite_horizon_values(model: Model, horizon: int, *, success_only: bool = True) -> np.ndarray:
    """V of the best *time-dependent* policy with ``horizon`` steps left, undiscounted.

    With ``success_only`` the reward is 1 for reaching a goal (so V is the best achievable success
    rate within the time limit); otherwise the env's own rewards.
    """
    reward = model.reach if success_only else model.R
    V = np.zeros(model.n_states)
    for _ in range(horizon):
        V = (reward + model.T @ V).max(axis=1)
    return V


# -- the agent ---------------------------------------------------------------------------------------


@dataclass
class VIHparams:
    """Value iteration's settings: the discount and when a sweep counts as converged."""

    gamma: float = 0.99
    tol: float = 1e-8

    def check(self) -> str | None:
        if not 0.0 <= self.gamma <= 1.0:
            return f"gamma must be in [0, 1], not {self.gamma}"
        if self.tol <= 0:
            return f"tol must be positive, not {self.tol}"
        return None


class ValueIterationAgent(Agent):
    """Plans with the env's model: one Bellman sweep per env step until converged, then greedy on Q*.

    It acts greedily on its current Q (ties to the lowest action), so it can be watched and evaluated
    like a learner; once ``converged`` it is the optimal discounted policy.
    """

    algo = "vi"

    def __init__(self, n_states: int, n_actions: int, hp: VIHparams) -> None:
        self.n_states, self.n_actions, self.hp = n_states, n_actions, hp
        self.hparams = {"gamma": hp.gamma, "tol": hp.tol}
        self.q = np.zeros((n_states, n_actions))
        self.v = np.zeros(n_states)
        self.mask: np.ndarray | None = None
        self.model: Model | None = None
        self.sweeps = 0
        self.delta = float("inf")
        self.converged = False
        self._greedy = self.q.argmax(axis=1).tolist()

    def prepare(self, env: Any) -> None:
        inner = env.unwrapped
        P = getattr(inner, "P", None)
        if P is None:
            raise RltuiError(f"{env.spec.id if env.spec else env}: value iteration needs the env's model P")
        self.model = build_model(P, self.n_states, self.n_actions)
        masks = getattr(inner, "action_masks", None)
        self.mask = None if masks is None else np.asarray(masks, dtype=bool)

    def sweep(self) -> None:
        """One Bellman backup (no-op once converged)."""
        if self.model is None or self.converged:
            return
        v, q = bellman_sweep(self.model, self.v, self.hp.gamma, self.mask)
        self.delta = float(np.max(np.abs(v - self.v)))
        self.v, self.q = v, q
        self.sweeps += 1
        self.converged = self.delta < self.hp.tol
        self._greedy = greedy_policy(q, self.mask).tolist()

    def solve(self) -> None:
        """Sweep until converged."""
        while self.model is not None and not self.converged:
            self.sweep()

    def act(self, obs: Any, explore: bool = True, action_mask: np.ndarray | None = None) -> int:
        return self._greedy[int(obs)]

    def observe(self, obs, action, reward, next_obs, terminated, truncated, next_action_mask=None) -> None:
        self.sweep()

    def metrics(self) -> dict[str, float]:
        return {"sweeps": float(self.sweeps), "delta": self.delta if self.sweeps else float("nan")}

    def q_values(self) -> np.ndarray:
        return self.q.copy()

    def state_dict(self) -> dict[str, Any]:
        return {"q": self.q.copy(), "v": self.v.copy(), "sweeps": np.array(self.sweeps)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        q = np.asarray(state["q"], dtype=np.float64)
        if q.shape != self.q.shape:
            raise RltuiError(f"Q table has shape {q.shape}, this env needs {self.q.shape}")
        self.q = q.copy()
        self.v = np.asarray(state.get("v", q.max(axis=1)), dtype=np.float64).copy()
        self.sweeps = int(state.get("sweeps", 0))
        self._greedy = greedy_policy(self.q, self.mask).tolist()


def make_value_iteration(observation_space, action_space, hparams: dict[str, Any], *, device: str = "cpu",
                         seed: int = 0) -> ValueIterationAgent:
    """Registry factory (see :data:`rltui.agents.ALGORITHMS`); the model arrives later via ``prepare``."""
    from rltui.agents.tabular import discrete_sizes

    n_states, n_actions = discrete_sizes(observation_space, action_space, "vi")
    return ValueIterationAgent(n_states, n_actions, validate_hparams(VIHparams, hparams, where="vi"))


HPARAMS = {"vi": VIHparams}
