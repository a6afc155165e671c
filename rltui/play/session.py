"""A person playing an env, UI-free: episodes on known seeds, every action recorded so it replays exactly.

The Play screen, the ``rltui play`` command and the human-vs-agent comparison all drive this class;
none of them keeps game state of its own. An episode's seed is the session's base seed plus the
episode's index, so "the same seeds" means the same starting states for a person and an agent.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from rltui.envs import get_entry, make_env
from rltui.play.narrate import describe_step, state_of


@dataclass
class EpisodeRecord:
    """What a played episode was: enough to replay it step for step and to score it."""

    env: str
    seed: int
    actions: list[int] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    terminated: bool = False
    truncated: bool = False

    @property
    def ret(self) -> float:
        return float(sum(self.rewards))

    @property
    def length(self) -> int:
        return len(self.actions)

    @property
    def done(self) -> bool:
        return self.terminated or self.truncated


@dataclass(frozen=True)
class StepResult:
    obs: Any
    reward: float
    terminated: bool
    truncated: bool
    info: dict[str, Any]


def random_seed() -> int:
    """A fresh base seed, recorded with every episode so the game can be replayed."""
    return random.SystemRandom().randrange(2**31 - 1)


class HumanSession:
    """One person's episodes on one env.

    ``on_episode_end`` receives each finished episode (the app stores it in the run store). ``render``
    builds the env with ``render_mode="rgb_array"`` for pixel previews; grid envs are drawn from their
    state and need no frames.
    """

    def __init__(
        self,
        env_name: str,
        seed: int | None = None,
        *,
        render: bool = False,
        on_episode_end: Callable[[EpisodeRecord], None] | None = None,
        env: gym.Env | None = None,
    ) -> None:
        self.entry = get_entry(env_name)
        # Generic entries without pixels draw from their own rgb_array/ansi render (entry.play_render).
        mode = "rgb_array" if render else self.entry.play_render
        self.env = env if env is not None else make_env(self.entry.name, render_mode=mode)
        self.base_seed = random_seed() if seed is None else int(seed)
        self.on_episode_end = on_episode_end
        self.episodes_played = 0  # finished episodes
        self.best_return: float | None = None
        self.last_reward = 0.0
        self.last_action: int | None = None
        self.last_event = ""  # what the last step did, in words (rltui.play.narrate)
        self.obs: Any = None
        self.info: dict[str, Any] = {}
        self.record = EpisodeRecord(self.entry.name, self.base_seed)
        self._started = 0  # episodes started, including the current one

    # ---- state ------------------------------------------------------------------------------------
    @property
    def episode(self) -> int:
        """1-based number of the episode in progress (0 before the first reset)."""
        return self._started

    @property
    def step_count(self) -> int:
        return self.record.length

    @property
    def ret(self) -> float:
        return self.record.ret

    @property
    def done(self) -> bool:
        return self.record.done

    @property
    def seed(self) -> int:
        return self.record.seed

    # ---- playing ----------------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> Any:
        """Start the next episode (on ``base_seed + index`` unless ``seed`` is given)."""
        seed = self.base_seed + self._started if seed is None else int(seed)
        self._started += 1
        self.obs, self.info = self.env.reset(seed=seed)
        self.record = EpisodeRecord(self.entry.name, seed)
        self.last_reward, self.last_action, self.last_event = 0.0, None, ""
        return self.obs

    def step(self, action: int) -> StepResult:
        """Take ``action``; the episode is recorded and reported when it ends."""
        if self._started == 0:
            self.reset()
        if self.record.done:
            raise RuntimeError("the episode is over; reset() first")
        before = state_of(self.env)
        obs, reward, terminated, truncated, info = self.env.step(int(action))
        self.last_event = describe_step(self.env, before, int(action), float(reward), bool(terminated),
                                        bool(truncated))
        self.obs, self.info = obs, info
        self.record.actions.append(int(action))
        self.record.rewards.append(float(reward))
        self.record.terminated, self.record.truncated = bool(terminated), bool(truncated)
        self.last_reward, self.last_action = float(reward), int(action)
        if self.record.done:
            self.episodes_played += 1
            ret = self.record.ret
            self.best_return = ret if self.best_return is None else max(self.best_return, ret)
            if self.on_episode_end is not None:
                self.on_episode_end(self.record)
        return StepResult(obs, float(reward), bool(terminated), bool(truncated), info)

    def action_mask(self):
        """Allowed actions in the current state, where the env says (ThreeStateMDP), else None."""
        return self.info.get("action_mask") if isinstance(self.info, dict) else None

    def close(self) -> None:
        self.env.close()


def replay(env_name: str, seed: int, actions: list[int]) -> EpisodeRecord:
    """Play ``actions`` again from ``seed``: the check that a recorded episode is what happened."""
    session = HumanSession(env_name, seed=seed)
    session.reset(seed=seed)
    for action in actions:
        if session.done:
            break
        session.step(action)
    record = session.record
    session.close()
    return record
