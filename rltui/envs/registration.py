"""Register rltui's own environments (and, on demand, ALE's) with Gymnasium.

Registration is idempotent and lazy: ALE is only imported when an Atari env is asked for, because
loading it costs time that the grid envs should not pay.
"""

from __future__ import annotations

import gymnasium as gym

_OURS = {
    "rltui/GridWorld-v0": ("rltui.envs.gridworld:GridWorldEnv", {"size": 5, "view": "full"}, None),
    "rltui/GridWorldPartial-v0": ("rltui.envs.gridworld:GridWorldEnv", {"size": 9, "view": "partial"}, None),
    "rltui/ThreeStateMDP-v0": ("rltui.envs.three_state_mdp:ThreeStateMDPEnv", {}, None),
    "rltui/MaskedCartPole-v0": ("rltui.envs.masked_cartpole:MaskedCartPoleEnv", {}, 500),
}
_state = {"ours": False, "atari": False}


def register_envs(atari: bool = False) -> None:
    """Register our envs once; with ``atari`` also ALE's (which ship their ROMs in ale-py)."""
    if not _state["ours"]:
        for env_id, (entry_point, kwargs, max_steps) in _OURS.items():
            if env_id not in gym.registry:
                gym.register(
                    env_id,
                    entry_point=entry_point,
                    kwargs=kwargs,
                    max_episode_steps=max_steps,
                    reward_threshold=475.0 if max_steps == 500 else None,
                )
        _state["ours"] = True
    if atari and not _state["atari"]:
        import ale_py

        gym.register_envs(ale_py)
        _state["atari"] = True
