"""The interface every agent follows, so one Trainer, one checkpoint format and one UI serve them all.

Agents know Gymnasium spaces, numpy and torch; nothing of the UI or the run store. The Trainer calls
:meth:`Agent.act` then :meth:`Agent.observe` once per env step; vectorised envs use the ``*_batch``
forms (which default to loops over the single forms). Hyperparameters are a flat dict of plain values
(what presets and ``--set key=value`` produce), validated by :func:`validate_hparams`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, ClassVar

import numpy as np

from rltui import validation
from rltui.errors import RltuiError


@dataclass(frozen=True)
class Transition:
    """One step of a demonstration (a person's kept episode replayed in the agent's env)."""

    obs: Any
    action: int
    reward: float
    next_obs: Any
    terminated: bool
    truncated: bool
    next_action_mask: np.ndarray | None = None


class Agent(ABC):
    """A learning (or planning) agent for one observation space and one Discrete action space."""

    #: Short algorithm name used in presets, checkpoints and the CLI (``q``, ``dqn``, ...).
    algo: ClassVar[str]
    #: True when the agent's state is torch tensors (neural checkpoint), False for numpy (``.npz``).
    neural: ClassVar[bool] = False
    #: True for agents that keep a hidden state across steps of an episode (DRQN).
    recurrent: ClassVar[bool] = False

    hparams: dict[str, Any]
    #: Env steps this agent has been trained for (set when a checkpoint is loaded, advanced by the Trainer).
    trained_steps: int = 0

    def prepare(self, env: Any) -> None:
        """Called once by the Trainer with the training env before the first step (planners such as
        value iteration read the env's model here); learners need nothing."""

    @abstractmethod
    def act(self, obs: Any, explore: bool = True, action_mask: np.ndarray | None = None) -> int:
        """An action for ``obs``: exploring (training) or greedy (evaluation, watching)."""

    @abstractmethod
    def observe(
        self,
        obs: Any,
        action: int,
        reward: float,
        next_obs: Any,
        terminated: bool,
        truncated: bool,
        next_action_mask: np.ndarray | None = None,
    ) -> None:
        """Learn from one transition (and advance schedules such as epsilon)."""

    def act_batch(self, obs: np.ndarray, explore: bool = True) -> np.ndarray:
        """Actions for a batch of observations from a vector env."""
        return np.array([self.act(o, explore) for o in obs], dtype=np.int64)

    def observe_batch(self, obs, actions, rewards, next_obs, terminated, truncated) -> None:
        """Learn from one step of a vector env (``next_obs`` holds the true final observations)."""
        for i in range(len(actions)):
            self.observe(obs[i], int(actions[i]), float(rewards[i]), next_obs[i],
                         bool(terminated[i]), bool(truncated[i]))

    def reset_episode(self, index: int = 0) -> None:
        """A new episode starts in env ``index``: recurrent agents clear that hidden state."""

    def metrics(self) -> dict[str, float]:
        """Current figures worth plotting (``epsilon``, ``loss``, ...): plain floats, cheap to call."""
        return {}

    def q_values(self) -> np.ndarray | None:
        """A *copy* of Q for every state (states × actions) when the state space is Discrete."""
        return None

    def q_batch(self, observations: np.ndarray) -> np.ndarray:
        """Q-values (N × actions) of N observations in one call, greedy (no exploration, no learning): for a
        view that asks about many states at once (the Train screen's value map), so it need not reach
        into how an agent acts. Deep agents have it; the others say they cannot."""
        raise RltuiError(f"the {self.algo} agent cannot give Q-values of observations")

    def set_epsilon(self, value: float | None) -> None:
        """Pin exploration to ``value`` (None returns to the schedule); for the Train screen's control."""

    #: Hyperparameters that :meth:`set_knob` may change while the agent trains.
    LIVE_KNOBS: tuple[str, ...] = ()

    def set_knob(self, name: str, value: float | None) -> None:
        """Change hyperparameter ``name`` from now on (the explain mode's live knobs)."""
        raise RltuiError(f"the {self.algo} agent has no live knobs")

    def learn_from_demos(self, episodes: Sequence[Sequence[Transition]], passes: int = 1) -> None:
        """Learn from a person's episodes before training ("start from my play"); schedules stay put."""
        raise RltuiError(f"the {self.algo} agent cannot start from demos")

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint stores: numpy arrays (tabular) or a torch state dict (neural)."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`state_dict`; raise :class:`RltuiError` on a shape mismatch."""


def validate_hparams(schema: type, values: dict[str, Any], *, where: str) -> Any:
    """Build the dataclass ``schema`` from ``values``, with one-line errors naming the bad field.

    Ints are accepted for float fields; strings are parsed for numbers and booleans (so CLI
    ``--set lr=0.01`` works). Unknown keys are errors, not silently ignored.
    """
    assert is_dataclass(schema)
    renamed = getattr(schema, "RENAMED", {})
    values = {renamed.get(k, k) if renamed.get(k) not in values else k: v for k, v in values.items()}
    known = {f.name: f for f in fields(schema)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise RltuiError(f"{where}: unknown hyperparameter(s) {', '.join(unknown)}; "
                         f"valid: {', '.join(sorted(known))}")
    parsed: dict[str, Any] = {}
    for key, raw in values.items():
        parsed[key] = _coerce(raw, known[key].type, f"{where}: {key}")
    validation.check_hparam_limits(parsed, where)
    try:
        obj = schema(**parsed)
    except (TypeError, ValueError) as exc:
        raise RltuiError(f"{where}: {exc}") from exc
    check = getattr(obj, "check", None)
    if callable(check):
        problem = check()
        if problem:
            raise RltuiError(f"{where}: {problem}")
    return obj


def _coerce(raw: Any, annotation: Any, where: str) -> Any:
    kind = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    kind = kind.replace(" ", "")
    optional = "None" in kind
    if optional and (raw is None or (isinstance(raw, str) and raw.lower() in ("none", "null", ""))):
        return None
    base = kind.split("|")[0]
    try:
        if base == "bool":
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, str) and raw.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
                return raw.lower() in ("true", "1", "yes", "on")
            raise ValueError
        if base == "int":  # any integer SQLite and numpy can hold; HPARAM_LIMITS narrow some fields
            return validation.integer(where, raw, -validation.INT64_MAX, validation.INT64_MAX)
        if base == "float":  # never NaN or inf: no schedule, rate or bound is infinite
            return validation.number(where, raw)
        if base == "str":
            return str(raw)
    except (TypeError, ValueError):
        raise RltuiError(f"{where} must be a {base}, not {raw!r}") from None
    return raw
