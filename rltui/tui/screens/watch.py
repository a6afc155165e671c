"""Watching a saved agent: load its checkpoint and hand the Play screen a greedy policy instead of keys."""

from __future__ import annotations

from pathlib import Path

from rltui.play.watch import watch_session
from rltui.share.sb3 import load_agent
from rltui.tui.screens.play import PlayScreen


def watch_checkpoint_screen(checkpoint: str, *, episodes: int | None = None, seed: int | None = None,
                            env: str | None = None, trust: bool = False, renderer: str | None = None) -> PlayScreen:
    """A Play screen in which the checkpoint's agent plays (``env`` checks it was trained there;
    ``renderer`` replaces the CarRacing observation renderer it trained with).

    A wrong file or env raises :class:`rltui.errors.RltuiError` with a one-line message. ``sb3:PATH.zip``
    plays a Stable-Baselines3 model (``trust`` required: see :mod:`rltui.share.sb3`).
    """
    agent, header = load_agent(checkpoint, expected_env=env, trust=trust)
    name = header["env"]
    env_kwargs = dict(header.get("env_kwargs") or {})
    if renderer is not None:
        env_kwargs["renderer"] = renderer
    session, policy, on_start = watch_session(agent, name, seed, env_overrides=env_kwargs or None)
    label = f"{header['algo']} · {Path(checkpoint.removeprefix('sb3:')).name}"
    overrides = header.get("env_kwargs") or None

    def replay_env(render_mode):  # the save key replays the agent's episode in the env it played
        from rltui.training.evaluation import build_eval_env

        return build_eval_env(agent, name, render_mode, overrides)

    return PlayScreen(name, seed, policy=policy, session=session, on_episode_start=on_start,
                      watch_label=label, episodes=episodes, replay_env=replay_env, q_table=agent.q_values())
