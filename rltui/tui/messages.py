"""Messages from background threads to screens: posted thread-safely, merged when the screen is behind.

A thread that produces faster than the screen paints (a game loop, the Trainer) posts these with
``post_message``; ``can_replace`` lets Textual drop an unprocessed one of the same kind when a newer one
arrives, so the screen never falls behind and never waits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from textual.message import Message


class Latest(Message):
    """A message where only the newest one matters."""

    def __init__(self, payload: Any) -> None:
        super().__init__()
        self.payload = payload

    def can_replace(self, message: Message) -> bool:
        return type(message) is type(self)


class Throttle:
    """Calls ``send`` at most ``rate`` times a second; ``force`` always sends (episode ends, errors).

    The skipped payloads are not lost when the last one carries the full state (a frame, a snapshot).
    """

    def __init__(self, rate: float, send: Callable[[Any], object]) -> None:
        self.interval = 1.0 / rate
        self.send = send
        self._last = 0.0
        self._lock = threading.Lock()

    def __call__(self, payload: Any, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last < self.interval:
                return
            self._last = now
        self.send(payload)
