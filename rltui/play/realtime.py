"""A clock for envs that do not wait: real-time human play and watching an agent, off the UI thread.

Real-time envs (CarRacing, Atari) advance at their frame rate whether or not a key is down. A terminal
sends key presses but never releases, so a terminal key holds its action for ``hold_s`` (long enough to
bridge the gap before the terminal's auto-repeat starts) and then the env's no-op takes over; the
pygame window reports real presses and releases, and a key held there is held exactly. With a
``policy`` the loop plays an agent instead (watching), starting the next episode by itself.

The loop runs in its own thread and hands each step to ``on_step`` as a :class:`LoopFrame` (copies
only); the face decides how often to draw. Nothing here knows Textual.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rltui.play.board import Board, board_of
from rltui.play.keymaps import KeyMap
from rltui.play.scenes import cartpole_image
from rltui.play.session import HumanSession
from rltui.play.viewer import Viewer

Policy = Callable[[Any, "np.ndarray | None"], int]


def view_of(env) -> Board | np.ndarray | None:
    """What to draw for ``env`` now: a :class:`Board` for grids, else an rgb picture (CartPole is drawn
    from its state; pixel envs render themselves)."""
    board = board_of(env)
    if board is not None:
        return board
    u = env.unwrapped
    if type(u).__name__ in ("CartPoleEnv", "MaskedCartPoleEnv"):
        if u.state is None:
            return None
        return cartpole_image(u.state, u.x_threshold, u.theta_threshold_radians)
    if getattr(env, "render_mode", None) == "rgb_array":
        frame = env.render()
        return None if frame is None else np.array(frame, copy=True)
    if getattr(env, "render_mode", None) == "ansi":  # text-only envs (generic entries): their own picture
        text = env.render()
        return None if text is None else str(text)
    return None


def readout(obs: Any) -> str | None:
    """A small live table of a vector observation, for envs that draw nothing (generic entries)."""
    if obs is None:
        return None
    values = np.asarray(obs, dtype=float).ravel() if np.asarray(obs).dtype != object else None
    if values is None or values.size == 0 or values.size > 64:
        return f"observation: {obs!r}"[:400]
    return "\n".join(f"obs[{i:>2}] {v:+10.4f}  {'█' * min(20, int(abs(v) * 10))}" for i, v in enumerate(values))


@dataclass(frozen=True)
class LoopFrame:
    """One step as the face sees it: the picture and the HUD figures (all copies)."""

    view: Board | np.ndarray | str | None  # str: an ansi render or an observation readout
    episode: int
    step: int
    last_reward: float
    ret: float
    best_return: float | None
    episodes_played: int
    done: bool
    paused: bool
    last_action: int | None
    event: str = ""  # what the last step did, in words


def observed_picture(session: HumanSession) -> np.ndarray | None:
    """A pixel env's own observation when it is the picture (an RGB image: CarRacing's 96×96, Atari's
    210×160), so the preview and the window show it instead of asking the env to render a second,
    bigger picture each step. CarRacing's render() alone cost as much as its step (~35 ms here),
    which held terminal play at ~10-28 steps/s against its 50."""
    if session.entry.kind != "pixels" or session.obs is None:
        return None
    obs = np.asarray(session.obs)
    if obs.ndim == 3 and obs.shape[-1] == 3 and obs.dtype == np.uint8 and min(obs.shape[:2]) >= 64:
        return obs.copy()
    return None


def frame_of(session: HumanSession, paused: bool = False) -> LoopFrame:
    view = observed_picture(session)
    if view is None:
        view = view_of(session.env)
    if view is None and session.entry.source != "curated":
        view = readout(session.obs)
    return LoopFrame(view, session.episode, session.step_count, session.last_reward,
                     session.ret, session.best_return, session.episodes_played, session.done, paused,
                     session.last_action, getattr(session, "last_event", ""))


def default_fps(entry, *, beside_training: bool = False) -> float:
    """Steps a second for a person to follow ``entry``: turn-based grids 4, vector envs (CartPole) 30,
    real-time games at their own rate; beside a training run, which needs the CPU, a quarter of that
    rate (at least 8) for pixel and tabular games. The Play and Train screens share it."""
    if beside_training:
        return 4 if entry.kind == "grid" else 30 if entry.kind == "vector" else max(8, entry.fps // 4)
    return entry.fps if not entry.turn_based else (30 if entry.kind == "vector" else 4)


class GameLoop:
    """Steps ``session`` at ``fps`` in a thread, with the held key (human) or ``policy`` (agent)."""

    def __init__(
        self,
        session: HumanSession,
        fps: float,
        *,
        on_step: Callable[[LoopFrame], None],
        policy: Policy | None = None,
        on_episode_start: Callable[[], None] | None = None,
        max_episodes: int | None = None,
        hold_s: float = 0.3,
        viewer: Viewer | None = None,
    ) -> None:
        self.session = session
        self.fps = max(0.5, float(fps))
        self.on_step = on_step
        self.policy = policy
        self.on_episode_start = on_episode_start
        self.max_episodes = max_episodes
        self.hold_s = hold_s
        self.viewer = viewer
        self.keymap = KeyMap.for_env(session.entry)
        noop = session.entry.noop_action
        self.noop = 0 if noop is None else noop
        self._lock = threading.Lock()
        self._pressed: tuple[int, float] | None = None  # (action, when) from the terminal
        self._held: dict[str, int] = {}  # keys down in the window
        self._reset = False
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._thread: threading.Thread | None = None
        self.error: str | None = None
        self.on_window_key: Callable[[str], None] | None = None  # keys the window sends the face (esc)

    # ---- from the face (any thread) ----------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="rltui-game-loop", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        self._stop.set()
        self._running.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def press(self, action: int) -> None:
        """A terminal key press: hold ``action`` for ``hold_s``; on a finished episode, start the next."""
        with self._lock:
            self._pressed = (action, time.monotonic())
            if self.session.done and self.policy is None:
                self._reset = True

    def request_reset(self) -> None:
        with self._lock:
            self._reset = True

    def toggle_pause(self) -> bool:
        """Pause or resume; True when now paused."""
        if self._running.is_set():
            self._running.clear()
        else:
            self._running.set()
        return not self._running.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def set_fps(self, fps: float) -> None:
        self.fps = max(0.5, min(240.0, float(fps)))

    # ---- the loop ---------------------------------------------------------------------------------
    def _action(self) -> int:
        if self.policy is not None:
            return int(self.policy(self.session.obs, self.session.action_mask()))
        with self._lock:
            if self._held:
                return next(reversed(self._held.values()))
            if self._pressed is not None and time.monotonic() - self._pressed[1] <= self.hold_s:
                return self._pressed[0]
        return self.noop

    def _window_keys(self) -> None:
        if self.viewer is None:
            return
        for event in self.viewer.poll():
            action = self.keymap.action_for(event.key) if event.key else None
            with self._lock:
                if event.kind == "down" and action is not None:
                    self._held[event.key] = action
                    if self.session.done and self.policy is None:
                        self._reset = True
                elif event.kind == "down" and event.key == "r":
                    self._reset = True
                elif event.kind == "down" and event.key == "p":
                    self.toggle_pause()
                elif event.kind == "down" and event.key == "escape" and self.on_window_key is not None:
                    self.on_window_key("escape")  # the face decides (Play goes back, as esc does there)
                elif event.kind == "up":
                    self._held.pop(event.key, None)

    def _new_episode(self) -> None:
        self.session.reset()
        if self.on_episode_start is not None:
            self.on_episode_start()

    def _run(self) -> None:
        try:
            self._new_episode()
            self._publish()
            next_tick = time.monotonic()
            done_since: float | None = None
            while not self._stop.is_set():
                if not self._running.wait(0.1):
                    self._window_keys()
                    continue
                next_tick += 1.0 / self.fps
                self._window_keys()
                with self._lock:
                    reset, self._reset = self._reset, False
                if reset:
                    self._new_episode()
                    done_since = None
                elif self.session.done:
                    if self.policy is None:
                        pass  # wait for a key or reset
                    elif self.max_episodes is not None and self.session.episodes_played >= self.max_episodes:
                        self._publish()
                        return
                    elif done_since is None:
                        done_since = time.monotonic()
                    elif time.monotonic() - done_since > 1.0:  # let the last picture stay a moment
                        self._new_episode()
                        done_since = None
                else:
                    self.session.step(self._action())
                self._publish()
                delay = next_tick - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                else:
                    next_tick = time.monotonic()  # behind: do not try to catch up in a burst
        except Exception as exc:  # noqa: BLE001 - the face shows it; the app stays up
            self.error = f"{type(exc).__name__}: {exc}"
            self._publish()

    def _publish(self) -> None:
        frame = frame_of(self.session, self.paused)
        if self.viewer is not None and isinstance(frame.view, np.ndarray) and self.viewer.running:
            self.viewer.show(frame.view)
        self.on_step(frame)
