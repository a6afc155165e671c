"""CartPole with the velocities hidden: a POMDP that a memoryless agent cannot solve well.

The agent sees only the cart position and the pole angle. Velocities must be inferred from how those
change, so a recurrent agent (DRQN) or a frame stack is needed: the classic test of memory in RL.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from gymnasium.envs.classic_control.cartpole import CartPoleEnv

VISIBLE = (0, 2)  # cart position, pole angle


class MaskedCartPoleEnv(CartPoleEnv):
    """CartPole-v1 physics and reward; observation ``[x, theta]`` only."""

    def __init__(self, render_mode: str | None = None, **kwargs) -> None:
        super().__init__(render_mode=render_mode, **kwargs)
        full = self.observation_space
        self.observation_space = spaces.Box(
            full.low[list(VISIBLE)], full.high[list(VISIBLE)], dtype=np.float32
        )

    def reset(self, *, seed=None, options=None):
        obs, info = super().reset(seed=seed, options=options)
        return obs[list(VISIBLE)], info

    def step(self, action):
        obs, reward, terminated, truncated, info = super().step(action)
        return obs[list(VISIBLE)], reward, terminated, truncated, info
