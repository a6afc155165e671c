"""The one environment catalogue every face reads: what can be played and trained, and how.

Pure data, no Gymnasium import, so ``rltui --help`` and ``rltui envs`` stay fast. Building an env is
:func:`rltui.envs.make_env`'s job.

Key names are Textual's (``up``, ``left``, ``space``, ``enter``, letters): the play layer turns them into
terminal bindings and pygame key codes. Several keys may map to one action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["grid", "tabular", "vector", "pixels"]  # "tabular": discrete states with no board to draw

# Family names used by the pipelines in rltui.envs.factory ("generic": anything derived by rltui.envs.generic).
Family = Literal["gridworld", "toytext", "mdp", "cartpole", "carracing", "atari", "generic"]


@dataclass(frozen=True)
class KeyBinding:
    """Keys that trigger one action, and the action's name as a person reads it."""

    keys: tuple[str, ...]
    action: int
    label: str


@dataclass(frozen=True)
class EnvEntry:
    """One environment the app offers.

    ``turn_based`` envs step once per key press (a terminal sends no key-up events); real-time envs
    advance at ``fps`` and take ``noop_action`` when no key is held. ``solved`` is the mean episode
    return that counts as solved, where one is known. ``algos`` lists the agents that suit the env,
    the first being the default; ``has_model`` says value iteration applies (the env exposes ``P``).
    """

    name: str
    gym_id: str
    title: str
    description: str
    kind: Kind
    family: Family
    keys: tuple[KeyBinding, ...]
    algos: tuple[str, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    turn_based: bool = True
    fps: int = 0
    noop_action: int | None = None
    solved: float | None = None
    solved_note: str = ""
    has_model: bool = False
    success_reward: float | None = None  # an episode with return >= this counts as a success
    ours: bool = False
    # Entries not in this file: "generic" (derived from an env's spec and a probe, rltui.envs.generic) or
    # "plugin:<package>" (an entry-point of the rltui.catalogue group, rltui.envs.plugins).
    source: str = "curated"
    module: str = ""  # imported before gym.make: the module of a ``module:EnvId`` name, which registers the id
    play_render: str | None = None  # render mode a person's view uses when not "pixels" (rgb_array, ansi)
    max_steps: int | None = None  # the spec's step limit, shown to people (gym.make applies it)

    @property
    def curated(self) -> bool:
        return self.source == "curated"

    @property
    def action_names(self) -> tuple[str, ...]:
        """Action labels indexed by action number."""
        names: dict[int, str] = {b.action: b.label for b in self.keys}
        return tuple(names[i] for i in range(len(names)))

    @property
    def default_algo(self) -> str:
        return self.algos[0]

    def key_help(self) -> str:
        """One short line such as ``←/a left · ↓/s down``."""
        return " · ".join(f"{'/'.join(_pretty(k) for k in b.keys)} {b.label}" for b in self.keys)


_ARROWS = {"up": "↑", "down": "↓", "left": "←", "right": "→", "space": "space", "enter": "enter"}


def _pretty(key: str) -> str:
    return _ARROWS.get(key, key)


def _moves(order: tuple[str, ...]) -> tuple[KeyBinding, ...]:
    """Bindings for arrow/WASD moves given the env's action order (e.g. left, down, right, up)."""
    wasd = {"up": "w", "left": "a", "down": "s", "right": "d"}
    return tuple(KeyBinding((d, wasd[d]), i, d) for i, d in enumerate(order))


_GRID_MOVES = _moves(("up", "right", "down", "left"))
_FROZEN_MOVES = _moves(("left", "down", "right", "up"))
_TAXI = _moves(("down", "up", "right", "left")) + (
    KeyBinding(("space", "e"), 4, "pickup"),
    KeyBinding(("enter", "q"), 5, "dropoff"),
)
_TABULAR = ("q", "sarsa", "vi", "dqn")
_ATARI_KWARGS = {"frameskip": 1, "repeat_action_probability": 0.25}

CATALOGUE: tuple[EnvEntry, ...] = (
    EnvEntry(
        "GridWorld", "rltui/GridWorld-v0", "GridWorld 5×5",
        "Collect goals (+1), dodge fires (−1); objects respawn; 50 steps.",
        "grid", "gridworld", _GRID_MOVES, ("dqn", "q"), ours=True,
        solved_note="no bar (for scale: a random policy scores ≈ 2-3 an episode)",
    ),
    EnvEntry(
        "GridWorldPartial", "rltui/GridWorldPartial-v0", "GridWorld 9×9, 3×3 view",
        "The same game seen through a 3×3 window: a POMDP for recurrent agents.",
        "grid", "gridworld", _GRID_MOVES, ("drqn", "dqn", "q"), ours=True,
    ),
    EnvEntry(
        "FrozenLake4x4", "FrozenLake-v1", "FrozenLake 4×4",
        "Cross the ice to the goal without falling in a hole; the ice is slippery.",
        "grid", "toytext", _FROZEN_MOVES, _TABULAR, kwargs={"map_name": "4x4", "is_slippery": True},
        solved=0.70, solved_note="success rate 0.70 (optimum ≈ 0.74)", has_model=True, success_reward=1.0,
    ),
    EnvEntry(
        "FrozenLake4x4-NoSlip", "FrozenLake-v1", "FrozenLake 4×4 (not slippery)",
        "Deterministic FrozenLake: every move goes where you press.",
        "grid", "toytext", _FROZEN_MOVES, _TABULAR, kwargs={"map_name": "4x4", "is_slippery": False},
        solved=1.0, solved_note="always reach the goal", has_model=True, success_reward=1.0,
    ),
    EnvEntry(
        "FrozenLake8x8", "FrozenLake8x8-v1", "FrozenLake 8×8",
        "The big slippery lake: 200 steps to find a safe path.",
        "grid", "toytext", _FROZEN_MOVES, _TABULAR, kwargs={"is_slippery": True},
        solved=0.85, solved_note="success rate 0.85 (optimum ≈ 0.91)", has_model=True, success_reward=1.0,
    ),
    EnvEntry(
        "FrozenLake8x8-NoSlip", "FrozenLake8x8-v1", "FrozenLake 8×8 (not slippery)",
        "The big lake without the slipping.",
        "grid", "toytext", _FROZEN_MOVES, _TABULAR, kwargs={"is_slippery": False},
        solved=1.0, solved_note="always reach the goal", has_model=True, success_reward=1.0,
    ),
    EnvEntry(
        "CliffWalking", "CliffWalking-v1", "CliffWalking",
        "Walk along a cliff to the goal: −1 a step, −100 and back to start for a fall.",
        "grid", "toytext", _moves(("up", "right", "down", "left")), _TABULAR,
        kwargs={"max_episode_steps": 500}, solved=-13.0, solved_note="optimal path −13", has_model=True,
    ),
    EnvEntry(
        "Taxi", "Taxi-v4", "Taxi",
        "Pick up the passenger and drop them at their destination: +20, −1 a step, −10 for a bad stop.",
        "grid", "toytext", _TAXI, _TABULAR, solved=8.0, solved_note="mean return 8 (Gymnasium's bar)",
        has_model=True,
    ),
    EnvEntry(
        "ThreeStateMDP", "rltui/ThreeStateMDP-v0", "Three-state MDP",
        "The classic 3-state MDP: is the −50 toll to the +40 loop worth it? Not every action is allowed.",
        "grid", "mdp",
        tuple(KeyBinding((str(a + 1),), a, f"a{a}") for a in range(3)), ("q", "vi", "sarsa"),
        has_model=True, ours=True,
    ),
    EnvEntry(
        "CartPole", "CartPole-v1", "CartPole",
        "Keep the pole up by pushing the cart left or right; 500 steps is a perfect episode.",
        "vector", "cartpole", _moves(("left", "right")), ("dqn", "drqn"), solved=475.0,
        solved_note="mean return 475 (Gymnasium's bar)",
    ),
    EnvEntry(
        "MaskedCartPole", "rltui/MaskedCartPole-v0", "CartPole, velocities hidden",
        "CartPole seeing only cart position and pole angle: a POMDP that needs memory.",
        "vector", "cartpole", _moves(("left", "right")), ("drqn", "dqn"), solved=475.0, ours=True,
        solved_note="mean return 475",
    ),
    EnvEntry(
        "CarRacing", "CarRacing-v3", "CarRacing (discrete)",
        "Drive a random track from pixels with 5 actions; +1000/N per tile, −0.1 a frame.",
        "pixels", "carracing",
        (
            KeyBinding(("n",), 0, "noop"),
            KeyBinding(("right", "d"), 1, "right"),
            KeyBinding(("left", "a"), 2, "left"),
            KeyBinding(("up", "w"), 3, "gas"),
            KeyBinding(("down", "s"), 4, "brake"),
        ),
        ("dqn", "drqn"), kwargs={"continuous": False}, turn_based=False, fps=50, noop_action=0,
        solved=900.0, solved_note="mean return 900",
    ),
    EnvEntry(
        "Pong", "ALE/Pong-v5", "Atari Pong",
        "First to 21 points; you are the right paddle.",
        "pixels", "atari",
        (
            KeyBinding(("n",), 0, "noop"),
            KeyBinding(("space",), 1, "fire"),
            KeyBinding(("up", "w"), 2, "up"),
            KeyBinding(("down", "s"), 3, "down"),
            KeyBinding(("e",), 4, "up+fire"),
            KeyBinding(("c",), 5, "down+fire"),
        ),
        ("dqn",), kwargs=dict(_ATARI_KWARGS), turn_based=False, fps=60, noop_action=0,
        solved=18.0, solved_note="mean return 18",
    ),
    EnvEntry(
        "Breakout", "ALE/Breakout-v5", "Atari Breakout",
        "Break the bricks; space serves the ball.",
        "pixels", "atari",
        (
            KeyBinding(("n",), 0, "noop"),
            KeyBinding(("space",), 1, "fire"),
            KeyBinding(("right", "d"), 2, "right"),
            KeyBinding(("left", "a"), 3, "left"),
        ),
        ("dqn",), kwargs=dict(_ATARI_KWARGS), turn_based=False, fps=60, noop_action=0,
    ),
    EnvEntry(
        "MsPacman", "ALE/MsPacman-v5", "Atari Ms. Pac-Man",
        "Eat the dots, dodge the ghosts.",
        "pixels", "atari",
        (
            KeyBinding(("n",), 0, "noop"),
            KeyBinding(("up", "w"), 1, "up"),
            KeyBinding(("right", "d"), 2, "right"),
            KeyBinding(("left", "a"), 3, "left"),
            KeyBinding(("down", "s"), 4, "down"),
            KeyBinding(("e",), 5, "up-right"),
            KeyBinding(("q",), 6, "up-left"),
            KeyBinding(("c",), 7, "down-right"),
            KeyBinding(("z",), 8, "down-left"),
        ),
        ("dqn",), kwargs=dict(_ATARI_KWARGS), turn_based=False, fps=60, noop_action=0,
    ),
)

_BY_NAME = {e.name.lower(): e for e in CATALOGUE}


def env_names() -> list[str]:
    return [e.name for e in CATALOGUE]


def catalogue_entry(name: str) -> EnvEntry | None:
    """The curated entry called ``name`` (case-insensitive), or None."""
    return _BY_NAME.get(name.lower())


def get_entry(name: str) -> EnvEntry:
    """The entry for ``name``: a catalogue name (case-insensitive, no Gymnasium import), else a Gymnasium
    id or ``module:EnvId`` resolved by :func:`rltui.envs.resolve.resolve` (curated entry for a catalogue
    env's id, a plugin's entry, or a generic entry from a probe). Unknown or unusable: a one-line error."""
    entry = _BY_NAME.get(name.lower())
    if entry is not None:
        return entry
    from rltui.envs.resolve import resolve

    return resolve(name).entry
