"""The pane where a greedy copy of the agent plays while training goes on (w on the Train screen).

The pane owns the watch: the game loop that plays the copy on its own thread, the pygame window of a
pixel game, and the newest frame, which the loop posts to the pane (a newer one replaces one not yet
drawn) and the pane's watcher draws. The screen decides what to watch and hands the pane a session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import var
from textual.widgets import Static

from rltui.play.realtime import GameLoop, LoopFrame
from rltui.play.viewer import Viewer
from rltui.tui.messages import Latest, Throttle
from rltui.tui.widgets.fit import fit, width_of
from rltui.tui.widgets.frame import FrameView

FRAMES_PER_S = 20  # frames the loop posts at most (an episode's last one always)


class WatchFrame(Latest):
    """The newest frame of the watch rollout."""


class WatchPane(Vertical):
    """The agent playing (a frame) over a caption; the Q panel (a subclass) draws the watch on its board."""

    #: a watch is on (from w until w again, or leaving the screen)
    watching: var[bool] = var(False, init=False)
    #: the watch's newest frame; None before the first one (always_update: frames hold arrays)
    frame: var[LoopFrame | None] = var(None, init=False, always_update=True)

    def __init__(self, entry: Any, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entry = entry
        self.loop: GameLoop | None = None
        self.viewer: Viewer | None = None
        self.caption = Static(id="qcaption")
        self._caption_text: str | None = None
        self.picture = FrameView("press w while training to watch the agent play",
                                 "w while training: watch the agent play", "w in a run: watch the agent", id="qframe")

    def compose(self) -> ComposeResult:
        yield self.picture
        yield self.caption

    def on_mount(self) -> None:
        self.paint()

    # ---- the watch -------------------------------------------------------------------------------
    def start(self, session: Any, policy: Callable[..., int], on_episode_start: Callable[[], None] | None, *,
              fps: float, window: str | None = None) -> None:
        """Play ``session`` with ``policy`` at ``fps`` on the loop's thread; ``window``: also in a pygame
        window of that title (pixel games), or in the pane alone when no window can open."""
        if window is not None:
            self.viewer = Viewer(window)
            if not self.viewer.start():
                self.notify(f"{self.viewer.error}; watching in the preview", timeout=5)
                self.viewer = None
        post = Throttle(FRAMES_PER_S, lambda f: self.post_message(WatchFrame(f)))
        self.loop = GameLoop(session, fps, on_step=lambda f: post(f, force=f.done), policy=policy,
                             on_episode_start=on_episode_start, viewer=self.viewer)
        self.loop.start()
        self.watching = True

    def stop(self, repaint: bool = True) -> None:
        """End the watch; ``repaint=False`` when the screen is going away (its widgets may be gone)."""
        if self.loop is not None:
            self.loop.stop()
            self.loop.session.close()
            self.loop = None
        if self.viewer is not None:
            self.viewer.close()
            self.viewer = None
        if repaint:
            self.frame = None
            self.watching = False
        else:
            self.set_reactive(WatchPane.frame, None)
            self.set_reactive(WatchPane.watching, False)

    def on_watch_frame(self, message: WatchFrame) -> None:
        if self.loop is not None:  # not one posted just before the watch stopped
            self.frame = message.payload

    # ---- painting --------------------------------------------------------------------------------
    def watch_watching(self) -> None:
        self.paint()

    def watch_frame(self) -> None:
        self.paint()

    def on_resize(self) -> None:
        self.paint()  # the captions' wording depends on the width

    @property
    def caption_width(self) -> int:
        """The caption's width (the pane's content width; :data:`fit.NARROW` before layout)."""
        return width_of(self)

    def paint(self) -> None:
        frame = self.frame
        if frame is not None and isinstance(frame.view, (np.ndarray, str)):  # str: an ansi picture or readout
            self.picture.show(frame.view)
        self.show_caption(self.watch_caption() or
                          ("watching — w to stop" if self.watching else "w: watch the agent play"))

    def watch_caption(self) -> str:
        """The watch's figures once its first frame is in, else '' (one line, or two where narrow)."""
        f = self.frame
        if f is None or self.loop is None:
            return ""
        where, ret = f"watching: episode {f.episode} · step {f.step}", f"return {f.ret:g}"
        return fit(self.caption_width, f"{where} · {ret} — w to stop", f"{where}\n{ret} — w to stop",
                   f"watching: ep {f.episode} · step {f.step}\n{ret} — w to stop")

    def show_caption(self, caption: str) -> None:
        """Update the caption only when it changes (each update of this auto-height widget lays out the screen)."""
        if caption != self._caption_text:
            self._caption_text = caption
            self.caption.update(Text(caption, style="dim"))
