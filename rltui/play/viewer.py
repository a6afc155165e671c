"""The pygame window for pixel envs, in a process of its own.

Textual owns the app's main thread, and SDL wants its window made on a main thread (macOS insists), so
the window lives in a child process started with the ``spawn`` context (no forked Textual state).
Frames go to it over a small queue (a slow window drops frames rather than slowing the game); key
presses and releases come back over another, so real-time envs can read keys held down, which a
terminal cannot report. With no display the window is skipped: :func:`display_problem` says why, and
a window that fails to open reports the error instead of crashing anything.

pygame is imported only inside the child process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import sys
import threading
from dataclasses import dataclass

import numpy as np

from rltui.play.keymaps import normalise_key

WINDOW_HEIGHT = 480


def display_problem() -> str | None:
    """Why no window can be shown here (None when one can be tried)."""
    driver = os.environ.get("SDL_VIDEODRIVER", "")
    if driver in ("dummy", "offscreen"):
        return f"no window: SDL_VIDEODRIVER={driver}"
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "no window: no display ($DISPLAY and $WAYLAND_DISPLAY are unset, e.g. over SSH)"
    return None


@dataclass(frozen=True)
class ViewerEvent:
    """From the window: ``down``/``up`` with a key name, ``closed``, ``ready`` or ``error`` with a message."""

    kind: str
    key: str = ""


def _silence_output() -> None:
    """Point the window process's stdout and stderr at /dev/null: whatever it or its C libraries print
    (Xlib's "XIO: fatal IO error" when the window is killed) would land on top of the app's screen,
    which shares the terminal. What the app must know arrives as events instead."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            os.dup2(devnull, fd)
        os.close(devnull)
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process
    except OSError:
        pass


def _window_main(frames: mp.Queue, events: mp.Queue, title: str) -> None:  # runs in the child process
    _silence_output()
    try:
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        pygame.display.init()
        screen = None
        pygame.display.set_caption(title)
        events.put(ViewerEvent("ready"))
        clock = pygame.time.Clock()
        while True:
            for event in pygame.event.get():
                if event.type == pygame.QUIT:
                    events.put(ViewerEvent("closed"))
                    return
                if event.type in (pygame.KEYDOWN, pygame.KEYUP):
                    kind = "down" if event.type == pygame.KEYDOWN else "up"
                    events.put(ViewerEvent(kind, normalise_key(pygame.key.name(event.key))))
            frame = None
            try:
                while True:  # newest frame wins
                    frame = frames.get_nowait()
                    if frame is None:
                        return
            except queue.Empty:
                pass
            if frame is not None:
                h, w = frame.shape[:2]
                size = (max(1, round(w * WINDOW_HEIGHT / h)), WINDOW_HEIGHT)
                if screen is None or screen.get_size() != size:
                    screen = pygame.display.set_mode(size)
                surface = pygame.surfarray.make_surface(np.ascontiguousarray(frame[..., :3].swapaxes(0, 1)))
                screen.blit(pygame.transform.scale(surface, size), (0, 0))
                pygame.display.flip()
            clock.tick(120)
    except Exception as exc:  # noqa: BLE001 - report any failure to the app, never crash it
        events.put(ViewerEvent("error", f"{type(exc).__name__}: {exc}"))


class Viewer:
    """A handle on the window process. All methods are quick and never block the caller."""

    def __init__(self, title: str = "rltui") -> None:
        self.title = title
        self._ctx = mp.get_context("spawn")
        self._frames: mp.Queue | None = None
        self._events: mp.Queue | None = None
        self._proc = None
        self.error: str | None = None
        self.closed = False

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.is_alive() and not self.closed

    @property
    def lost(self) -> bool:
        """The window went away without being closed from here (killed, its display gone, an error)."""
        return self._proc is not None and (not self._proc.is_alive() or self.closed)

    def start(self) -> bool:
        """Start the window process; False (with :attr:`error` set) when there is no display."""
        problem = display_problem()
        if problem:
            self.error = problem
            return False
        from rltui.training.remote import prepare_spawn

        prepare_spawn()
        self._frames = self._ctx.Queue(maxsize=2)
        self._events = self._ctx.Queue()
        self._proc = self._ctx.Process(target=_window_main, args=(self._frames, self._events, self.title),
                                       daemon=True, name="rltui-viewer")
        self._proc.start()
        return True

    def show(self, frame: np.ndarray) -> None:
        """Send a frame; dropped if the window is behind."""
        if self.running and self._frames is not None:
            try:
                self._frames.put_nowait(np.ascontiguousarray(frame))
            except queue.Full:
                pass

    def poll(self) -> list[ViewerEvent]:
        """Events since the last call (key presses and releases, ``closed``, ``error``)."""
        out: list[ViewerEvent] = []
        if self._events is None:
            return out
        try:
            while True:
                event = self._events.get_nowait()
                if event.kind == "error":
                    self.error, self.closed = event.key, True
                elif event.kind == "closed":
                    self.closed = True
                out.append(event)
        except (queue.Empty, OSError, ValueError):
            pass
        return out

    def close(self) -> None:
        """Ask the window to close; a background thread reaps its process, so the caller never waits."""
        proc, frames, events = self._proc, self._frames, self._events
        self._proc, self.closed = None, True
        if proc is None:
            return
        if frames is not None:
            try:
                while True:
                    frames.get_nowait()
            except (queue.Empty, OSError, ValueError):
                pass
            try:
                frames.put_nowait(None)
            except (queue.Full, OSError, ValueError):
                pass

        def reap() -> None:
            proc.join(timeout=1.0)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=1.0)
            for q in (frames, events):
                if q is not None:
                    q.cancel_join_thread()
                    q.close()

        threading.Thread(target=reap, name="rltui-viewer-reaper", daemon=True).start()
