"""Generic entries: any registered Gymnasium env nobody curated, derived from its spec and one probe.

:func:`probe` builds the env once (default kwargs, no rendering) and reads what a curated entry would
say by hand:

* kind from the observation space: ``Discrete``, or a ``Tuple``/``MultiDiscrete`` of discrete parts ->
  ``tabular`` (one state index; value iteration where the env exposes a model ``P``); a ``Box`` of
  uint8 images (H×W×C or H×W) -> ``pixels`` (grey, 84×84, 4 stacked frames; ALE ids get the Atari
  pipeline); any other ``Box`` -> ``vector`` (an MLP). ``Dict`` and the rest: a one-line refusal
  naming the space. Actions must be ``Discrete``; continuous ones are refused with what to use instead;
* the solved bar from ``spec.reward_threshold``, the frame rate from ``metadata["render_fps"]``, the
  step limit from the spec;
* keys from the env's ``get_keys_to_action()`` (ALE has one), else arrows/WASD when the action
  meanings are the four moves, else ``1``…``n`` labelled with the meanings or the action index;
* what a person sees: ``rgb_array`` frames, else ``ansi`` text, else a live readout of the observation.
"""

from __future__ import annotations

import re
from typing import Any

import gymnasium as gym
import numpy as np

from rltui.envs.catalogue import EnvEntry, KeyBinding
from rltui.errors import RltuiError

#: Keys the app keeps for itself (see rltui.play.keymaps.RESERVED_KEYS); never given to an action here.
_RESERVED = {"r", "p", "t", "q", "g", "m", "escape", "question_mark"}  # + the Play screen's g (GIF), m (mode)
_SPARE = [*"1234567890", *"zxcvbnfhjkluioyewas"]
_PYGAME_ARROWS = {1073741906: "up", 1073741905: "down", 1073741904: "left", 1073741903: "right", 32: "space",
                  13: "enter"}
_MOVES = {"UP": "up", "DOWN": "down", "LEFT": "left", "RIGHT": "right"}
_WASD = {"up": "w", "left": "a", "down": "s", "right": "d"}
_ATARI_KWARGS = {"frameskip": 1, "repeat_action_probability": 0.25}
_SHOW_SPACE = 100
DEFAULT_STEP_LIMIT = 10_000  # for generic envs whose spec sets none


def _short(space: gym.Space) -> str:
    text = str(space)
    return text if len(text) <= _SHOW_SPACE else text[: _SHOW_SPACE - 1] + "…"


def discrete_parts(space: gym.Space) -> list[tuple[int, int]] | None:
    """``(start, n)`` of each part of a discrete state space, or None when it is not one."""
    if isinstance(space, gym.spaces.Discrete):
        return [(int(space.start), int(space.n))]
    if isinstance(space, gym.spaces.MultiDiscrete) and space.nvec.ndim == 1:
        return [(int(s), int(n)) for s, n in zip(space.start, space.nvec)]
    if isinstance(space, gym.spaces.Tuple):
        parts: list[tuple[int, int]] = []
        for sub in space.spaces:
            inner = discrete_parts(sub)
            if inner is None:
                return None
            parts.extend(inner)
        return parts
    return None


class DiscreteIndex(gym.ObservationWrapper):
    """A ``Tuple``/``MultiDiscrete`` state as one index (mixed radix), so tabular agents get ``Discrete``."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        parts = discrete_parts(env.observation_space)
        if parts is None:
            raise RltuiError(f"{env.spec.id if env.spec else env}: not a discrete state space")
        self.starts = np.array([s for s, _ in parts], dtype=np.int64)
        self.sizes = np.array([n for _, n in parts], dtype=np.int64)
        self.observation_space = gym.spaces.Discrete(int(np.prod(self.sizes)))

    def observation(self, observation: Any) -> int:
        flat = np.asarray(_flatten(observation), dtype=np.int64) - self.starts
        index = 0
        for value, size in zip(flat, self.sizes):
            index = index * int(size) + int(value)
        return index


def _flatten(obs: Any) -> list[int]:
    if isinstance(obs, (tuple, list)):
        out: list[int] = []
        for part in obs:
            out.extend(_flatten(part))
        return out
    return [int(v) for v in np.ravel(obs)]


def observation_kind(space: gym.Space, name: str) -> str:
    """``tabular``, ``vector`` or ``pixels`` for ``space``; a one-line refusal naming any other space."""
    if discrete_parts(space) is not None:
        return "tabular"
    if isinstance(space, gym.spaces.Box):
        shape = space.shape
        image = space.dtype == np.uint8 and (
            (len(shape) == 3 and shape[2] in (1, 3, 4) and min(shape[:2]) >= 8)
            or (len(shape) == 2 and min(shape) >= 8))
        if image:
            return "pixels"
        if len(shape) >= 1 and int(np.prod(shape)) > 0:
            return "vector"
    raise RltuiError(
        f"{name} observes {_short(space)}: rltui's agents take Discrete or Tuple/MultiDiscrete states, a Box "
        "vector or H×W×C uint8 images; flatten it with a Gymnasium wrapper in your module (module:EnvId)")


def check_actions(space: gym.Space, name: str) -> int:
    """The number of actions; anything but ``Discrete`` is a one-line refusal saying what to use instead."""
    if isinstance(space, gym.spaces.Discrete) and int(space.start) == 0:
        return int(space.n)
    if isinstance(space, gym.spaces.Discrete):
        raise RltuiError(f"{name}'s actions start at {int(space.start)}: rltui's agents number actions from 0; "
                         "wrap the env in your module (module:EnvId) so they do")
    if isinstance(space, gym.spaces.Box):
        raise RltuiError(
            f"{name} has continuous actions ({_short(space)}): rltui's agents choose among discrete actions "
            "only. Use a discrete variant if there is one (LunarLander-v3, CarRacing-v3 with "
            "--env-opt continuous=false), or a continuous-control library such as Stable-Baselines3 (SAC, TD3)")
    raise RltuiError(f"{name} has actions {_short(space)}: rltui's agents take Discrete actions only")


def _key_name(key: Any) -> str | None:
    """One key of ``get_keys_to_action`` as Textual names it, or None when it has no single-key name."""
    if isinstance(key, str) and len(key) == 1:
        return "space" if key == " " else key.lower() if key.isalnum() else None
    if isinstance(key, (int, np.integer)):
        key = int(key)
        if key in _PYGAME_ARROWS:
            return _PYGAME_ARROWS[key]
        if 48 <= key <= 57 or 97 <= key <= 122:
            return chr(key)
    return None


def _labels(u: Any, n: int) -> list[str]:
    meanings = None
    get = getattr(u, "get_action_meanings", None)
    if callable(get):
        try:
            meanings = list(get())
        except Exception:  # noqa: BLE001 - a probe must not fail on an optional method
            meanings = None
    if meanings and len(meanings) == n:
        return [re.sub(r"\s+", "-", str(m).strip().lower()) or str(i) for i, m in enumerate(meanings)]
    return [str(i) for i in range(n)]


def derive_keys(u: Any, n: int) -> tuple[KeyBinding, ...]:
    """Key bindings for ``n`` actions of the unwrapped env ``u`` (see the module docstring)."""
    labels = _labels(u, n)
    keys: dict[int, list[str]] = {a: [] for a in range(n)}
    used: set[str] = set()
    get = getattr(u, "get_keys_to_action", None)
    mapping: dict = {}
    if callable(get):
        try:
            mapping = dict(get())
        except Exception:  # noqa: BLE001
            mapping = {}
    for combo, action in sorted(mapping.items(), key=lambda kv: len(kv[0]) if isinstance(kv[0], tuple) else 1):
        combo = combo if isinstance(combo, tuple) else (combo,)
        if len(combo) != 1 or not (0 <= int(action) < n) or keys[int(action)]:
            continue
        name = _key_name(combo[0])
        if name and name not in used and name not in _RESERVED:
            keys[int(action)].append(name)
            used.add(name)
    if not mapping and {labels[a].upper() for a in range(n)} >= set(_MOVES) and n <= 5:
        for a in range(n):
            move = _MOVES.get(labels[a].upper())
            if move:
                keys[a] = [move, _WASD[move]]
                used.update(keys[a])
    spare = (k for k in _SPARE if k not in used and k not in _RESERVED)
    for a in range(n):
        if not keys[a]:
            key = next(spare, None)
            if key is None:
                raise RltuiError(f"{n} actions are more than rltui has keys for")
            keys[a] = [key]
    return tuple(KeyBinding(tuple(keys[a]), a, labels[a] if labels[a] != str(a) else f"a{a}") for a in range(n))


def _description(u: Any) -> str:
    for line in (type(u).__doc__ or "").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "|", "..", "!", "<", "```")):
            return line if len(line) <= 160 else line[:159] + "…"
    return f"{type(u).__name__} from {type(u).__module__}"


def _play_render(modes: list[str]) -> str | None:
    for mode in ("rgb_array", "ansi"):
        if mode in modes:
            return mode
    return None


def probe(name: str, spec: Any, module: str = "") -> EnvEntry:
    """A generic :class:`EnvEntry` for the registered ``spec`` (``name`` is how the person calls it)."""
    from rltui.envs.resolve import entry_module

    atari = entry_module(spec).startswith("ale_py")
    try:
        env = gym.make(spec.id)
    except Exception as exc:  # noqa: BLE001 - missing extras (mujoco), broken envs: one line
        raise RltuiError(f"{name}: cannot build it: {type(exc).__name__}: {exc}") from None
    try:
        u = env.unwrapped
        n = check_actions(env.action_space, name)
        kind = observation_kind(env.observation_space, name)
        keys = derive_keys(u, n)
        metadata = getattr(u, "metadata", None) or {}
        modes = list(metadata.get("render_modes", []))
        fps = int(metadata.get("render_fps") or 0)
        has_model = kind == "tabular" and isinstance(env.observation_space, gym.spaces.Discrete) and \
            isinstance(getattr(u, "P", None), dict)
        labels = [b.label for b in keys]
    finally:
        env.close()
    noop = labels.index("noop") if "noop" in labels else None
    family = "atari" if atari and kind == "pixels" else "generic"
    if kind == "tabular":
        algos: tuple[str, ...] = ("q", "sarsa", *(("vi",) if has_model else ()), "dqn")
    else:
        algos = ("dqn", "drqn")
    turn_based = kind == "tabular" or noop is None or fps <= 0
    if family == "atari":  # played with frameskip 1, as the curated games: the console's 60 Hz
        turn_based, fps, noop = False, 60, 0 if noop is None else noop
    threshold = spec.reward_threshold
    return EnvEntry(
        name=name,
        gym_id=spec.id,
        title=spec.id,
        description=_description(u),
        kind=kind,  # type: ignore[arg-type]
        family=family,  # type: ignore[arg-type]
        keys=keys,
        algos=algos,
        # Envs without a step limit get one, so a greedy agent walking into a wall cannot stall an evaluation.
        kwargs=dict(_ATARI_KWARGS) if family == "atari" else (
            {} if spec.max_episode_steps else {"max_episode_steps": DEFAULT_STEP_LIMIT}),
        turn_based=turn_based,
        fps=fps if not turn_based else 0,
        noop_action=noop,
        solved=None if threshold is None else float(threshold),
        solved_note="" if threshold is None else f"mean return {threshold:g} (Gymnasium's reward_threshold)",
        has_model=has_model,
        source="generic",
        module=module,
        play_render=None if kind == "pixels" else _play_render(modes),
        max_steps=spec.max_episode_steps or (None if family == "atari" else DEFAULT_STEP_LIMIT),
    )
