"""Keys handled one at a time, in the order they were typed.

Textual routes each key the moment it reaches the app: it posts the key to whichever widget has focus
*then*, and that widget (or the screen its key bubbles up to) handles it later in its own task. A key
that moves focus (``/`` opens the Pick filter, ``enter`` leaves it) therefore takes effect only after
the keys typed right behind it have already been routed to the old focus: typing ``/masked`` quickly
sent ``m a s k e d`` to the list, where ``e`` opened Explain, and keys split between two widgets'
queues came out reordered (``pomdp`` typed as ``ppomd``).

:class:`KeyOrder` holds each key back until the previous one has been handled everywhere it went. A
:class:`KeyDone` marker is posted behind the key to the widget it was routed to; messages bubble
through the same queues as the key (widget, its parents, the screen, the app), so when the marker
reaches the app, the key's handling, bindings and actions included, is over. A key whose target went
away (its screen closed) is released after a short grace period.
"""

from __future__ import annotations

from collections import deque

from textual import events
from textual.message import Message

#: How long a key may hold the next ones back when its marker never arrives (its widget was removed).
GRACE_S = 0.3


#: Rounds a marker makes at most: a key's handling can post messages (Input.Submitted after enter)
#: that land behind the first marker, so it goes round again while its target's queue is not empty.
MAX_ROUNDS = 8


class KeyDone(Message):
    """Posted behind a key to its target; reaching the app means the key has been handled."""

    def __init__(self, serial: int, target=None, rounds: int = 1) -> None:
        super().__init__()
        self.serial = serial
        self.target = target
        self.rounds = rounds


class KeyOrder:
    """Mixin for the App: serialise key events (see the module docstring)."""

    _key_serial = 0
    _key_in_flight: int | None = None
    _keys_waiting: deque

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded and not getattr(event, "_rltui_released", False):
            if not hasattr(self, "_keys_waiting"):
                self._keys_waiting = deque()
            if self._key_in_flight is not None or self._keys_waiting:
                self._keys_waiting.append(event)
                return
            await self._send_key(event)
            return
        await super().on_event(event)  # type: ignore[misc]

    async def _send_key(self, event: events.Key) -> None:
        self._key_serial += 1
        serial = self._key_serial
        self._key_in_flight = serial
        await super().on_event(event)  # type: ignore[misc]  # routes it (or runs a priority binding)
        target = self.focused or self.screen  # type: ignore[attr-defined]
        if target is None or not target.post_message(KeyDone(serial, target)):
            await self._release(serial)
            return
        self.set_timer(GRACE_S, lambda: self.call_later(self._release, serial))  # type: ignore[attr-defined]

    async def on_key_done(self, message: KeyDone) -> None:
        message.stop()
        target = message.target
        if (target is not None and message.serial == self._key_in_flight and message.rounds < MAX_ROUNDS
                and (message.rounds < 2 or _busy(target))):
            # what the key's handling posted (Input.Submitted, a focus change) may sit behind the marker:
            # send it round again behind those messages before the next key goes out
            if target.post_message(KeyDone(message.serial, target, message.rounds + 1)):
                return
        await self._release(message.serial)

    async def _release(self, serial: int) -> None:
        if self._key_in_flight != serial:
            return  # already released (marker after the grace period, or the other way round)
        self._key_in_flight = None
        if self._keys_waiting:
            await self._send_key(self._keys_waiting.popleft())


def _busy(widget) -> bool:
    """Whether ``widget`` or one of its ancestors has messages waiting."""
    node = widget
    while node is not None:
        queue = getattr(node, "_message_queue", None)
        if queue is not None and queue.qsize() > 0:
            return True
        node = getattr(node, "_parent", None)
    return False
