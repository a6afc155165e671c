"""Environments: the catalogue, our own Gymnasium envs, and the factories that build them.

Importing this package registers rltui's own envs with Gymnasium, so other code can use them:
``import rltui.envs; gym.make("rltui/GridWorld-v0")``, or from anywhere with Gymnasium's module form
``gym.make("rltui.envs:rltui/GridWorld-v0")`` (RL-Zoo: ``--gym-packages rltui.envs``). The ``rltui``
command imports this package only when a command runs, never for ``--help``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rltui.envs.catalogue import CATALOGUE, EnvEntry, KeyBinding, env_names, get_entry
from rltui.envs.registration import register_envs

register_envs()

if TYPE_CHECKING:
    import gymnasium as gym

__all__ = ["CATALOGUE", "EnvEntry", "KeyBinding", "env_names", "get_entry", "make_env", "make_training_env",
           "recorded_env_kwargs", "register_envs"]


def make_env(name: str, render_mode: str | None = None, **overrides: Any) -> gym.Env:
    """Build catalogue env ``name`` as a person plays it; see :mod:`rltui.envs.factory`."""
    from rltui.envs.factory import make_env as _make

    return _make(name, render_mode=render_mode, **overrides)


def make_training_env(name: str, **options: Any) -> gym.Env:
    """Build catalogue env ``name`` with an agent's observation pipeline; see :mod:`rltui.envs.factory`."""
    from rltui.envs.factory import make_training_env as _make

    return _make(name, **options)


def recorded_env_kwargs(entry: EnvEntry, overrides: dict[str, Any]) -> dict[str, Any]:
    """``overrides`` with CarRacing's observation renderer made explicit, so that a run's store row and
    checkpoint header rebuild the pipeline it trained on even if the default changes."""
    if entry.family != "carracing" or "renderer" in overrides:
        return overrides
    from rltui.envs.factory import TRAINING_RENDERER

    return {"renderer": TRAINING_RENDERER, **overrides}
