"""Keys to actions, for the terminal and for the pygame window, from the catalogue's one key map.

The catalogue names keys as Textual does (``up``, ``space``, ``enter``, letters). pygame names some of
them differently (``return``, ``escape``), so :func:`normalise_key` maps pygame's names onto the
catalogue's and one :class:`KeyMap` serves both faces. Keys the app keeps for itself (``r`` reset,
``p`` pause, ``?`` help, ``escape`` back) never map to actions, whatever an env declares.
"""

from __future__ import annotations

from dataclasses import dataclass

from rltui.envs.catalogue import EnvEntry, KeyBinding, get_entry

#: Keys the Play screen owns; an env's action binding on one of these would make it unreachable.
RESERVED_KEYS = frozenset({"r", "p", "t", "question_mark", "escape", "ctrl+c", "ctrl+q"})

_PYGAME_NAMES = {"return": "enter", "escape": "escape", "keypad enter": "enter", "?": "question_mark"}

#: Glyphs for drawing an action on a board (greedy-action arrows, the last move in the HUD).
_GLYPHS = {"up": "↑", "down": "↓", "left": "←", "right": "→", "pickup": "P", "dropoff": "D", "noop": "·"}


_MOVE_ORDER = ("up", "left", "down", "right")
_ARROW_GLYPHS = {"up": "↑", "down": "↓", "left": "←", "right": "→"}


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
        """The keys in few characters: arrow/WASD moves grouped as one item (``↑←↓→/wasd move``), the
        other actions as ``key label``, so the line fits (or wraps to two lines) at 80 columns."""
        return " · ".join(self.help_items())

    def help_items(self) -> list[str]:
        moves: dict[str, KeyBinding] = {}
        rest: list[KeyBinding] = []
        for binding in self.entry.keys:
            if binding.label in _MOVE_ORDER and binding.label in binding.keys:
                moves[binding.label] = binding
            else:
                rest.append(binding)
        items: list[str] = []
        if len(moves) >= 2:
            order = [d for d in _MOVE_ORDER if d in moves]
            letters = ["".join(k for k in moves[d].keys if len(k) == 1) for d in order]
            arrows = "".join(_ARROW_GLYPHS[d] for d in order)
            verb = "steer" if set(moves) == {"left", "right"} and "gas" in self.entry.action_names else "move"
            keys = f"{arrows}/{''.join(letters)}" if all(len(x) == 1 for x in letters) else arrows
            items.append(f"{keys} {verb}")
        else:
            rest = list(self.entry.keys)
        for binding in rest:
            keys = "/".join(_ARROW_GLYPHS.get(k, k) for k in binding.keys if k not in RESERVED_KEYS)
            items.append(f"{keys} {binding.label}")
        return items
