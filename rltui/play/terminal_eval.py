"""``rltui eval --render terminal``: the agent's episodes drawn as the app draws them, with a HUD line.

:class:`TerminalPlayback` wraps the evaluation env: each reset and step draws the app's picture (a
board for grid worlds, CartPole from its state, half-blocks for pixel games) and one HUD line
(episode, seed, step, return, what the step did), paced at a rate that suits the env. It also keeps
each finished episode, so a Ctrl-C part-way still reports the episodes that were played.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np
from rich.console import Console, Group
from rich.text import Text

from rltui.envs import get_entry
from rltui.numbers import num
from rltui.play.board import Board
from rltui.play.board_text import board_text
from rltui.play.keymaps import KeyMap
from rltui.play.narrate import describe_step, state_of
from rltui.play.realtime import view_of
from rltui.play.render_terminal import HalfBlockFrame


def default_fps(entry) -> float:
    """Frames a second that suit the env: grid worlds quick enough to follow (10), CartPole at its own
    50, real-time games at their frame rate."""
    if entry.kind == "grid":
        return 10.0
    if entry.kind == "vector":
        return 50.0
    return float(entry.fps or 30)


class TerminalPlayback(gym.Wrapper):
    """Draws every step of ``env`` in ``console`` and keeps the finished episodes (returns, lengths)."""

    def __init__(self, env: gym.Env, env_name: str, console: Console, *, fps: float, episodes: int,
                 first_seed: int, label: str = "") -> None:
        super().__init__(env)
        self.entry = get_entry(env_name)
        self.console = console
        self.delay = 1.0 / fps if fps > 0 else 0.0
        self.episodes = episodes
        self.first_seed = first_seed
        self.label = label
        self.glyphs = KeyMap.for_env(self.entry).glyphs() if self.entry.keys else ()
        self.returns: list[float] = []
        self.lengths: list[int] = []
        self.episode = 0
        self.seed: int | None = None
        self.step_count = 0
        self.ret = 0.0
        self.last_action: int | None = None
        self.event = ""
        self._next_at = 0.0
        self._live = None

    # ---- the env ----------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        out = self.env.reset(seed=seed, options=options)
        self.episode += 1
        self.seed, self.step_count, self.ret, self.last_action, self.event = seed, 0, 0.0, None, ""
        self._draw()
        return out

    def step(self, action):
        before = state_of(self.env)
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.step_count += 1
        self.ret += float(reward)
        self.last_action = int(action)
        self.event = describe_step(self.env, before, int(action), float(reward), bool(terminated), bool(truncated))
        if terminated or truncated:
            self.returns.append(self.ret)
            self.lengths.append(self.step_count)
        self._draw(done=bool(terminated or truncated))
        return obs, reward, terminated, truncated, info

    def close(self) -> None:
        self.stop()
        super().close()

    # ---- drawing ----------------------------------------------------------------------------------
    def hud(self, done: bool = False) -> Text:
        """One line: where the evaluation is and what the last step did."""
        action = ""
        if self.last_action is not None and self.last_action < len(self.entry.action_names):
            action = f" · action {self.entry.action_names[self.last_action]}"
        parts = [f"episode {self.episode}/{self.episodes}", f"seed {self.seed}", f"step {self.step_count}",
                 f"return {num(self.ret)}"]
        if self.returns:
            parts.append(f"mean so far {num(float(np.mean(self.returns)))}")
        text = Text(" · ".join(parts) + action, style="bold")
        if self.event:
            text.append("\n" + self.event, style="default")
        if done:
            text.append("\nepisode over" + ("" if self.episode >= self.episodes else " — next seed"), style="dim")
        return text

    def picture(self):
        view = view_of(self.env)
        width, height = self.console.size.width, max(6, self.console.size.height - 4)
        if isinstance(view, Board):
            return board_text(view, width, height, glyphs=self.glyphs)
        if isinstance(view, np.ndarray):
            return HalfBlockFrame(view, max_rows=height)
        if isinstance(view, str):
            return Text(view)
        return Text("")

    def _draw(self, done: bool = False) -> None:
        renderable = Group(self.picture(), self.hud(done))
        if self._live is None:
            from rich.live import Live

            self._live = Live(renderable, console=self.console, auto_refresh=False, transient=False,
                              screen=False, redirect_stdout=False, redirect_stderr=False)
            self._live.start()
        else:
            self._live.update(renderable, refresh=True)
        if self.delay:  # pace: each picture stays up for 1/fps (drawing time included)
            wait = self._next_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._next_at = time.monotonic() + self.delay

    def stop(self) -> None:
        """End the live drawing (the last picture stays on screen)."""
        if self._live is not None:
            self._live.stop()
            self._live = None
