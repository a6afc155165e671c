"""Build catalogue environments: as a person plays them, and as an agent trains on them.

:func:`make_env` gives the env a person sees (full-colour frames, native frame rate).
:func:`make_training_env` adds the observation pipeline an agent needs, built from Gymnasium's own
wrappers: AtariPreprocessing (+ FrameStackObservation) for Atari, grey 84×84 + frame skip (+ stack)
for CarRacing (drawn at that size by :mod:`rltui.envs.carracing_fast` unless ``renderer="gymnasium"``),
and a Discrete state index for tabular agents on GridWorld.
"""

from __future__ import annotations

import inspect
from typing import Any

import gymnasium as gym
import numpy as np

from rltui.envs.catalogue import EnvEntry, get_entry
from rltui.envs.registration import register_envs
from rltui.errors import RltuiError

# Arguments gym.make itself takes besides the env's own.
_MAKE_KWARGS = {"max_episode_steps", "disable_env_checker", "autoreset", "apply_api_compatibility"}

# CarRacing observation renderers: "fast" draws the agent's frame at its size (rltui.envs.carracing_fast),
# "gymnasium" is Gymnasium's own 1000×800 drawing. People play Gymnasium's; agents train on the fast one.
RENDERERS = ("fast", "gymnasium")
TRAINING_RENDERER = "fast"
_FAST_OPTIONS = ("pixels", "grey", "supersample")  # FastCarRacing's own arguments
ATARI_FRAME_SKIP = 4
CARRACING_FRAME_SKIP = 4
FRAME_STACK = 4
PIXEL_SIZE = 84


def _prepare(entry: EnvEntry) -> None:
    """Make ``entry.gym_id`` known to Gymnasium: our envs, ALE's when asked for, a user's module."""
    register_envs(atari=entry.family == "atari" or entry.gym_id.startswith("ALE/"))
    if entry.module:
        from rltui.envs.resolve import import_env_module

        import_env_module(entry.module, entry.name)
    if entry.gym_id not in gym.registry:  # ALE's legacy ids, e.g. Pong-ram-v4 (a vector env)
        register_envs(atari=True)


def _creator(entry: EnvEntry) -> Any:
    _prepare(entry)
    from rltui.envs.resolve import env_creator

    return env_creator(gym.spec(entry.gym_id))


def render_modes(entry: EnvEntry) -> list[str]:
    """The render modes the env class declares (without building it)."""
    return list(getattr(_creator(entry), "metadata", {}).get("render_modes", []))


def check_renderer(entry: EnvEntry, renderer: Any) -> str:
    """``renderer`` if ``entry`` can use it, else a one-line error (the fast renderer draws CarRacing)."""
    if renderer not in RENDERERS:
        raise RltuiError(f"renderer must be one of {', '.join(RENDERERS)}, not {renderer!r}")
    if renderer == "fast" and entry.family != "carracing":
        raise RltuiError(f"{entry.name}: the fast renderer draws CarRacing only; use --renderer gymnasium")
    return renderer


def _check_kwargs(entry: EnvEntry, kwargs: dict[str, Any], also: tuple[str, ...] = ()) -> None:
    """Name the bad option instead of letting a TypeError from deep inside Gymnasium escape."""
    creator = _creator(entry)
    try:
        params = inspect.signature(creator).parameters
    except (TypeError, ValueError):  # a callable without a readable signature: let gym.make judge
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    bad = sorted(k for k in kwargs if k not in params and k not in _MAKE_KWARGS and k not in also)
    if bad:
        valid = sorted((set(params) - {"self", "render_mode"}) | _MAKE_KWARGS)
        raise RltuiError(f"{entry.name}: unknown option(s) {', '.join(bad)}; valid: {', '.join(valid)}")


def _generic_pipeline(env: gym.Env, entry: EnvEntry, frame_stack: int) -> gym.Env:
    """A generic entry's observations as agents take them: one state index for Tuple/MultiDiscrete
    states, and for images CarRacing's pipeline without its frame skip (grey, 84×84, stacked)."""
    from rltui.envs.generic import DiscreteIndex

    space = env.observation_space
    if entry.kind == "tabular" and not isinstance(space, gym.spaces.Discrete):
        return DiscreteIndex(env)
    if entry.kind == "pixels":
        if len(space.shape) == 3 and space.shape[2] == 3:
            env = gym.wrappers.GrayscaleObservation(env, keep_dim=False)
        elif len(space.shape) == 3:
            env = gym.wrappers.TransformObservation(
                env, lambda obs: obs[..., 0],
                gym.spaces.Box(0, 255, space.shape[:2], np.uint8))
        env = gym.wrappers.ResizeObservation(env, (PIXEL_SIZE, PIXEL_SIZE))
        if frame_stack > 1:
            env = gym.wrappers.FrameStackObservation(env, frame_stack)
    return env


def make_env(name: str, render_mode: str | None = None, **overrides: Any) -> gym.Env:
    """The catalogue env ``name`` with its kwargs, updated by ``overrides``.

    Raises :class:`RltuiError` listing the valid names for an unknown name, and naming the option for
    a bad keyword argument or value. ``renderer="fast"`` (CarRacing) draws the observation with
    :class:`rltui.envs.carracing_fast.FastCarRacing`; full-size frames stay Gymnasium's either way.
    """
    entry = get_entry(name)
    _prepare(entry)
    renderer = check_renderer(entry, overrides.pop("renderer", "gymnasium"))
    kwargs = {**entry.kwargs, **overrides}
    _check_kwargs(entry, kwargs, also=_FAST_OPTIONS if renderer == "fast" else ())
    gym_id = entry.gym_id
    if renderer == "fast":
        from rltui.envs.carracing_fast import register_fast_carracing

        gym_id = register_fast_carracing()
    try:
        return gym.make(gym_id, render_mode=render_mode, **kwargs)
    except Exception as exc:
        # A person's option values reach env code that checks them its own way (FrozenLake's map_name is
        # a KeyError, others assert): with overrides, any failure to build is a bad option, said in one line.
        if not overrides and not isinstance(exc, (TypeError, ValueError, gym.error.Error)):
            raise
        detail = f"{type(exc).__name__}: {exc}" if isinstance(exc, (KeyError, AssertionError)) else str(exc)
        raise RltuiError(f"{entry.name}: cannot build with {kwargs}: {detail}"[:400]) from exc


class FireOnReset(gym.Wrapper):
    """Press FIRE after every reset, for Atari games that wait for it to serve (Breakout).

    Without it an agent can sit through a whole episode of nothing until ε happens to press FIRE.
    Gymnasium's AtariPreprocessing does no-op starts but not this, so this is the one wrapper we add.
    """

    def reset(self, **kwargs: Any):
        obs, info = self.env.reset(**kwargs)
        obs, _, terminated, truncated, info = self.env.step(1)
        if terminated or truncated:  # vanishingly rare: start again rather than hand back a dead env
            obs, info = self.env.reset(**kwargs)
        return obs, info


def _has_fire(env: gym.Env) -> bool:
    """Games whose action 1 is FIRE (Breakout, Pong); the usual rule of Atari DQN set-ups."""
    meanings = env.unwrapped.get_action_meanings()
    return len(meanings) >= 3 and meanings[1] == "FIRE"


def make_training_env(
    name: str,
    *,
    tabular: bool = False,
    frame_stack: int = FRAME_STACK,
    terminal_on_life_loss: bool = False,
    render_mode: str | None = None,
    **overrides: Any,
) -> gym.Env:
    """The env an agent trains on: :func:`make_env` plus the family's observation pipeline.

    ``tabular`` asks for a Discrete observation (GridWorld's 3×3 neighbourhood index; toy-text envs
    already are). ``frame_stack`` applies to pixel envs; 1 means no stack (recurrent agents see one
    frame per step). ``terminal_on_life_loss`` (Atari) ends an episode at every lost life, as the
    DQN paper trained; Gymnasium's version then resets the game, so an episode is one life (and an
    evaluation with it scores one life).
    """
    entry = get_entry(name)
    if terminal_on_life_loss and entry.family != "atari":
        raise RltuiError(f"{entry.name}: terminal_on_life_loss is an Atari option")
    if entry.family == "atari":
        overrides = {"frameskip": 1, **overrides}  # AtariPreprocessing does the skipping
    renderer = check_renderer(entry, overrides.pop("renderer", TRAINING_RENDERER if entry.family == "carracing"
                                                   else "gymnasium"))
    if renderer == "fast":  # drawn grey at the agent's size: no grey or resize wrapper after it
        overrides = {**overrides, "pixels": PIXEL_SIZE, "grey": True}
    env = make_env(name, render_mode=render_mode, renderer=renderer, **overrides)
    if entry.family == "gridworld" and tabular:
        from rltui.envs.gridworld import LocalViewIndex

        env = LocalViewIndex(env)
    elif entry.family == "atari":
        env = gym.wrappers.AtariPreprocessing(
            env, noop_max=30, frame_skip=ATARI_FRAME_SKIP, screen_size=PIXEL_SIZE, grayscale_obs=True,
            terminal_on_life_loss=terminal_on_life_loss,
        )
        if _has_fire(env):
            env = FireOnReset(env)
        if frame_stack > 1:
            env = gym.wrappers.FrameStackObservation(env, frame_stack)
    elif entry.family == "carracing":
        if renderer == "fast":
            from rltui.envs.carracing_fast import SkipAndMax

            env = SkipAndMax(env, skip=CARRACING_FRAME_SKIP)
        else:
            env = gym.wrappers.MaxAndSkipObservation(env, skip=CARRACING_FRAME_SKIP)
            env = gym.wrappers.GrayscaleObservation(env, keep_dim=False)
            env = gym.wrappers.ResizeObservation(env, (PIXEL_SIZE, PIXEL_SIZE))
        if frame_stack > 1:
            env = gym.wrappers.FrameStackObservation(env, frame_stack)
    elif entry.family == "generic":
        env = _generic_pipeline(env, entry, frame_stack)
    if tabular and not isinstance(env.observation_space, gym.spaces.Discrete):
        raise RltuiError(f"{entry.name} has no discrete state space for tabular agents; try dqn")
    return env
