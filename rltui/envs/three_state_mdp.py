"""The three-state, three-action MDP from Géron's *Hands-On Machine Learning*.

Small enough to solve by hand, big enough to show why a discount factor matters: the greedy agent
must accept a −50 toll (s1, a2) to reach the +40 loop through s2. The model is exposed as ``P`` in the
toy-text format (``P[s][a] = [(prob, next_state, reward, terminated), ...]``) so value iteration solves
it exactly; actions that are not allowed in a state are masked in ``info["action_mask"]`` and in
``action_masks`` (taking one anyway leaves the state unchanged with reward 0, so random play never
crashes).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

TRANSITIONS: list[list[list[float] | None]] = [
    [[0.7, 0.3, 0.0], [1.0, 0.0, 0.0], [0.8, 0.2, 0.0]],
    [[0.0, 1.0, 0.0], None, [0.0, 0.0, 1.0]],
    [None, [0.8, 0.1, 0.1], None],
]
# REWARDS[s][a][s'] as in the book: +10 for s0 -a0-> s0, -50 for s1 -a2-> s2, +40 for s2 -a1-> s0.
REWARDS = np.zeros((3, 3, 3), dtype=np.float64)
REWARDS[0, 0, 0] = 10.0
REWARDS[1, 2, 2] = -50.0
REWARDS[2, 1, 0] = 40.0


class ThreeStateMDPEnv(gym.Env[np.int64, np.int64]):
    """See the module docstring. Starts in s0; never terminates; truncates after ``max_steps``."""

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(self, max_steps: int = 100, render_mode: str | None = None) -> None:
        if max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, not {max_steps}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, not {render_mode!r}")
        self.max_steps, self.render_mode = max_steps, render_mode
        self.observation_space = spaces.Discrete(3)
        self.action_space = spaces.Discrete(3)
        self.action_masks = np.array([[t is not None for t in row] for row in TRANSITIONS], dtype=np.int8)
        self.P: dict[int, dict[int, list[tuple[float, int, float, bool]]]] = {}
        for s in range(3):
            self.P[s] = {}
            for a in range(3):
                probs = TRANSITIONS[s][a]
                if probs is None:
                    self.P[s][a] = [(1.0, s, 0.0, False)]
                else:
                    self.P[s][a] = [(p, s2, float(REWARDS[s, a, s2]), False) for s2, p in enumerate(probs) if p > 0]
        self.state = 0
        self.steps = 0
        self.last_action: int | None = None

    def _info(self) -> dict[str, Any]:
        return {"action_mask": self.action_masks[self.state].copy()}

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.state, self.steps, self.last_action = 0, 0, None
        return np.int64(self.state), self._info()

    def step(self, action):
        a = int(action)
        if not 0 <= a < 3:
            raise ValueError(f"action must be in 0..2, not {action!r}")
        self.steps += 1
        self.last_action = a
        outcomes = self.P[self.state][a]
        probs = [p for p, *_ in outcomes]
        _, next_state, reward, _ = outcomes[int(self.np_random.choice(len(outcomes), p=probs))]
        self.state = next_state
        return np.int64(self.state), reward, False, self.steps >= self.max_steps, self._info()

    def render(self):
        if self.render_mode == "rgb_array":
            return self._render_rgb()
        if self.render_mode != "ansi":
            return None
        cells = [f"[s{s}]" if s == self.state else f" s{s} " for s in range(3)]
        allowed = ", ".join(f"a{a}" for a in range(3) if self.action_masks[self.state, a])
        return f"{'  '.join(cells)}   step {self.steps}   allowed: {allowed}\n"

    def _render_rgb(self) -> np.ndarray:
        """Three squares in a row (s0, s1, s2); the current state is lit, the others dim."""
        image = np.zeros((84, 3 * 84, 3), dtype=np.uint8)
        colours = ((60, 120, 255), (255, 170, 0), (0, 200, 120))
        for s, colour in enumerate(colours):
            shade = np.array(colour if s == self.state else tuple(c // 4 for c in colour), dtype=np.uint8)
            image[12:72, s * 84 + 12 : s * 84 + 72] = shade
        return image
