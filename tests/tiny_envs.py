"""Tiny Gymnasium envs that a test reaches only through Gymnasium's ``module:EnvId`` form.

Importing this module registers them, as a user's own package would: ``tiny_envs:TinyChain-v0``.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np


class TinyChain(gym.Env):
    """Walk a chain of five cells to the right end (+1); every step costs 0.01. Ten steps at most."""

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, length: int = 5, render_mode: str | None = None) -> None:
        self.length = length
        self.render_mode = render_mode
        self.observation_space = gym.spaces.Discrete(length)
        self.action_space = gym.spaces.Discrete(2)
        self.pos = 0

    def get_action_meanings(self) -> list[str]:
        return ["LEFT", "RIGHT"]

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.pos = int(self.np_random.integers(0, 2))
        return self.pos, {}

    def step(self, action: int):
        self.pos = max(0, min(self.length - 1, self.pos + (1 if action == 1 else -1)))
        done = self.pos == self.length - 1
        return self.pos, (1.0 if done else -0.01), done, False, {}

    def render(self) -> str:
        return "".join("A" if i == self.pos else ("G" if i == self.length - 1 else ".") for i in range(self.length))


class TinyDict(gym.Env):
    """Observes a Dict: rltui refuses it with a one-line message."""

    def __init__(self) -> None:
        self.observation_space = gym.spaces.Dict({"pos": gym.spaces.Discrete(3), "v": gym.spaces.Box(-1, 1, (2,))})
        self.action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        return {"pos": 0, "v": np.zeros(2, np.float32)}, {}

    def step(self, action: int):
        return {"pos": 0, "v": np.zeros(2, np.float32)}, 0.0, True, False, {}


for _id, _cls, _steps in (("TinyChain-v0", TinyChain, 10), ("TinyDict-v0", TinyDict, 5)):
    if _id not in gym.registry:
        gym.register(_id, entry_point=_cls, max_episode_steps=_steps,
                     reward_threshold=0.9 if _cls is TinyChain else None)
