"""Keys to actions, for the terminal and for the pygame window, from the catalogue's one key map.

The catalogue names keys as Textual does (``up``, ``space``, ``enter``, letters). pygame names some of
them differently (``return``, ``escape``), so :func:`normalise_key` maps pygame's names onto the
catalogue's and one :class:`KeyMap` serves both faces. Keys the app keeps for itself (``r`` reset,
``p`` pause, ``?`` help, ``escape`` back) never map to actions, whatever an env declares.
"""

from __future__ import annotations

from dataclasses import dataclass

from rltui.envs.catalogue import EnvEntry, get_entry

#: Keys the Play screen owns; an env's action binding on one of these would make it unreachable.
RESERVED_KEYS = frozenset({"r", "p", "t", "question_mark", "escape", "ctrl+c", "ctrl+q"})

_PYGAME_NAMES = {"return": "enter", "escape": "escape", "keypad enter": "enter", "?": "question_mark"}

#: Glyphs for drawing an action on a board (greedy-action arrows, the last move in the HUD).
_GLYPHS = {"up": "↑", "down": "↓", "left": "←", "right": "→", "pickup": "P", "dropoff": "D", "noop": "·"}


def normalise_key(name: str) -> str:
    """A pygame key name (``pygame.key.name``) as the catalogue spells it."""
    name = name.lower()
    return _PYGAME_NAMES.get(name, name)


def action_glyph(label: str) -> str:
    """One character that stands for an action on a board: an arrow for moves, else a short label."""
    return _GLYPHS.get(label, label[-1:] if label.startswith("a") and label[1:].isdigit() else label[:1].upper())


@dataclass(frozen=True)
class KeyMap:
    """Which action each key stands for in one env, plus the labels to show a person."""

    entry: EnvEntry
    actions: dict[str, int]

    @classmethod
    def for_env(cls, name_or_entry: str | EnvEntry) -> KeyMap:
        entry = name_or_entry if isinstance(name_or_entry, EnvEntry) else get_entry(name_or_entry)
        actions: dict[str, int] = {}
        for binding in entry.keys:
            for key in binding.keys:
                if key not in RESERVED_KEYS:
                    actions.setdefault(key, binding.action)
        return cls(entry, actions)

    def action_for(self, key: str) -> int | None:
        """The action ``key`` (Textual or pygame name) stands for, or None."""
        return self.actions.get(normalise_key(key))

    @property
    def n_actions(self) -> int:
        return len(self.entry.action_names)

    def glyph(self, action: int) -> str:
        return action_glyph(self.entry.action_names[action])

    def glyphs(self) -> tuple[str, ...]:
        return tuple(action_glyph(label) for label in self.entry.action_names)

    def help_line(self) -> str:
        return self.entry.key_help()
