"""GridWorld: the classic goals-and-fires board used to teach DQN and DRQN.

An N×N board holds the agent, some goals (+1) and some fires (−1). Stepping onto an object scores it
and the object reappears on a random free cell, so an episode is a stream of small decisions rather
than one path; it is truncated after ``max_steps`` steps. The board edge is a wall.

Two views of the same world:

* ``view="full"``: a (3, N, N) uint8 tensor, one channel each for agent, goals and fires.
* ``view="partial"``: only the 3×3 window around the agent, as a (3, 3, 3) uint8 tensor with one
  channel each for goals, fires and walls (cells outside the board read as walls). This is the POMDP
  of the DRQN gridworld experiment: the agent must remember what it saw.

Both are cheap for a network; ``render_mode="rgb_array"`` draws the classic 84×84 picture (agent blue,
goals green, fires red) and ``"ansi"`` a text board.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

# Actions, in the order CliffWalking uses.
UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
ACTION_NAMES = ("up", "right", "down", "left")
_MOVES = np.array([(-1, 0), (0, 1), (1, 0), (0, -1)], dtype=np.int64)

# Channel order of the full view.
AGENT, GOAL, FIRE = 0, 1, 2
# Channel order of the partial view.
P_GOAL, P_FIRE, P_WALL = 0, 1, 2

_COLOURS = {
    "background": (0, 0, 0),
    "agent": (40, 90, 255),
    "goal": (0, 200, 0),
    "fire": (230, 30, 30),
    "wall": (90, 90, 90),
}
RGB_SIZE = 84


class GridWorldEnv(gym.Env[np.ndarray, np.int64]):
    """The goals-and-fires gridworld; see the module docstring."""

    metadata = {"render_modes": ["rgb_array", "ansi"], "render_fps": 8}

    def __init__(
        self,
        size: int = 5,
        n_goals: int = 4,
        n_fires: int = 2,
        max_steps: int = 50,
        view: str = "full",
        render_mode: str | None = None,
    ) -> None:
        if view not in ("full", "partial"):
            raise ValueError(f"view must be 'full' or 'partial', not {view!r}")
        if size < 2:
            raise ValueError(f"size must be at least 2, not {size}")
        if n_goals < 0 or n_fires < 0 or 1 + n_goals + n_fires > size * size:
            raise ValueError(f"{n_goals} goals and {n_fires} fires do not fit on a {size}x{size} board")
        if max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, not {max_steps}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, not {render_mode!r}")
        self.size, self.n_goals, self.n_fires = size, n_goals, n_fires
        self.max_steps, self.view, self.render_mode = max_steps, view, render_mode
        shape = (3, size, size) if view == "full" else (3, 3, 3)
        self.observation_space = spaces.Box(0, 1, shape=shape, dtype=np.uint8)
        self.action_space = spaces.Discrete(4)
        self.agent = np.zeros(2, dtype=np.int64)
        self.goals = np.zeros((n_goals, 2), dtype=np.int64)
        self.fires = np.zeros((n_fires, 2), dtype=np.int64)
        self.steps = 0

    # ---- world -----------------------------------------------------------------------------------
    def _occupied(self) -> set[tuple[int, int]]:
        cells = {tuple(self.agent)}
        cells.update(map(tuple, self.goals))
        cells.update(map(tuple, self.fires))
        return cells

    def _free_cell(self, occupied: set[tuple[int, int]]) -> np.ndarray:
        free = [(r, c) for r in range(self.size) for c in range(self.size) if (r, c) not in occupied]
        return np.array(free[int(self.np_random.integers(len(free)))], dtype=np.int64)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        n = self.size * self.size
        cells = self.np_random.choice(n, size=1 + self.n_goals + self.n_fires, replace=False)
        rc = np.stack([cells // self.size, cells % self.size], axis=1).astype(np.int64)
        self.agent = rc[0].copy()
        self.goals = rc[1 : 1 + self.n_goals].copy()
        self.fires = rc[1 + self.n_goals :].copy()
        self.steps = 0
        return self._obs(), {}

    def step(self, action):
        a = int(action)
        if not 0 <= a < 4:
            raise ValueError(f"action must be in 0..3, not {action!r}")
        self.steps += 1
        target = self.agent + _MOVES[a]
        if 0 <= target[0] < self.size and 0 <= target[1] < self.size:
            self.agent = target
        reward = 0.0
        for objects, value in ((self.goals, 1.0), (self.fires, -1.0)):
            for i in range(len(objects)):
                if objects[i, 0] == self.agent[0] and objects[i, 1] == self.agent[1]:
                    reward += value
                    objects[i] = self._free_cell(self._occupied())  # never under the agent
        truncated = self.steps >= self.max_steps
        return self._obs(), reward, False, truncated, {}

    # ---- observations ----------------------------------------------------------------------------
    def board(self) -> np.ndarray:
        """The full (3, N, N) board, whatever the view: what a person playing sees."""
        obs = np.zeros((3, self.size, self.size), dtype=np.uint8)
        obs[AGENT, self.agent[0], self.agent[1]] = 1
        for r, c in self.goals:
            obs[GOAL, r, c] = 1
        for r, c in self.fires:
            obs[FIRE, r, c] = 1
        return obs

    def _obs(self) -> np.ndarray:
        full = self.board()
        if self.view == "full":
            return full
        window = np.zeros((3, 3, 3), dtype=np.uint8)
        r0, c0 = self.agent
        for dr in range(3):
            for dc in range(3):
                r, c = r0 + dr - 1, c0 + dc - 1
                if 0 <= r < self.size and 0 <= c < self.size:
                    window[P_GOAL, dr, dc] = full[GOAL, r, c]
                    window[P_FIRE, dr, dc] = full[FIRE, r, c]
                else:
                    window[P_WALL, dr, dc] = 1
        return window

    # ---- rendering -------------------------------------------------------------------------------
    def render(self):
        if self.render_mode == "rgb_array":
            return self._render_rgb()
        if self.render_mode == "ansi":
            return self._render_ansi()
        return None

    def _render_rgb(self) -> np.ndarray:
        small = np.zeros((self.size, self.size, 3), dtype=np.uint8)
        small[:] = _COLOURS["background"]
        board = self.board()
        small[board[GOAL] == 1] = _COLOURS["goal"]
        small[board[FIRE] == 1] = _COLOURS["fire"]
        small[board[AGENT] == 1] = _COLOURS["agent"]
        # Nearest-neighbour scale to 84x84 with a one-pixel dark grid line between cells.
        idx = np.arange(RGB_SIZE) * self.size // RGB_SIZE
        image = small[idx][:, idx]
        edges = np.flatnonzero(np.diff(idx)) + 1
        image[edges, :] = (30, 30, 30)
        image[:, edges] = (30, 30, 30)
        return np.ascontiguousarray(image)

    def _render_ansi(self) -> str:
        board = self.board()
        rows = []
        for r in range(self.size):
            row = []
            for c in range(self.size):
                if board[AGENT, r, c]:
                    row.append("A")
                elif board[GOAL, r, c]:
                    row.append("G")
                elif board[FIRE, r, c]:
                    row.append("F")
                else:
                    row.append(".")
            rows.append(" ".join(row))
        return "\n".join(rows) + "\n"


def local_view_index(window: np.ndarray) -> int:
    """Number a 3×3 partial-view window as one of 4**8 states (centre cell left out).

    Each of the 8 neighbours is empty, goal, fire or wall. Tabular agents use this to learn the local
    rule "step onto goals, away from fires" on both views, which a Q-table over whole boards (whose
    objects respawn at random) could never do.
    """
    codes = window[P_GOAL] * 1 + window[P_FIRE] * 2 + window[P_WALL] * 3
    flat = np.delete(codes.reshape(-1), 4).astype(np.int64)
    return int(np.dot(flat, 4 ** np.arange(8, dtype=np.int64)))


class LocalViewIndex(gym.ObservationWrapper):
    """Turn a GridWorld (either view) into a Discrete(4**8) env over the agent's 3×3 neighbourhood."""

    N_STATES = 4**8

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.observation_space = spaces.Discrete(self.N_STATES)

    def observation(self, observation: np.ndarray) -> int:
        inner: GridWorldEnv = self.env.unwrapped  # type: ignore[assignment]
        if inner.view == "partial":
            return local_view_index(observation)
        saved = inner.view
        inner.view = "partial"
        try:
            return local_view_index(inner._obs())
        finally:
            inner.view = saved
