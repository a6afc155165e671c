"""Demos: a person's kept episodes as training data ("start from my play").

A human episode is kept as its seed and actions (plus the rewards seen), not as observations: replaying
the actions from the seed in the *agent's* env (its observation pipeline: one-hot states, the 3×3
neighbourhood index, ...) regenerates exactly the transitions the agent would have seen, and checking
the replayed rewards against the kept ones proves the replay is faithful (an env whose rules changed
since is a one-line error, not silently wrong data).

Envs whose training pipeline skips frames (Atari, CarRacing) are refused: a person's per-frame actions
are not the agent's per-4-frame steps.

The agent decides what learning from demos means (:meth:`learn_from_demos`): tabular agents replay
the transitions as Q updates (backwards through each episode, so a final reward reaches the start in
one pass); DQN and DRQN keep them in replay and pre-train on them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rltui.agents.base import Agent, Transition
from rltui.envs import get_entry, make_training_env
from rltui.errors import RltuiError
from rltui.training.config import env_options

#: Families whose training env steps once per human step.
DEMO_FAMILIES = ("gridworld", "toytext", "mdp", "cartpole")


Episode = list[Transition]


def check_demo_env(env_name: str) -> None:
    entry = get_entry(env_name)
    if entry.family not in DEMO_FAMILIES:
        raise RltuiError(f"{entry.name}: demos need one agent step per human step, but its training env skips "
                         "frames; demos work on grid worlds and CartPole")


def replay_demo(env_name: str, algo: str, seed: int, actions: Sequence[int],
                rewards: Sequence[float] | None = None, *, env_overrides: dict[str, Any] | None = None,
                label: str = "the demo") -> Episode:
    """The transitions of a kept episode, regenerated in ``algo``'s training env from ``seed``."""
    check_demo_env(env_name)
    env = make_training_env(env_name, **env_options(algo), **(env_overrides or {}))
    episode: Episode = []
    try:
        obs, info = env.reset(seed=int(seed))
        for i, action in enumerate(actions):
            next_obs, reward, terminated, truncated, info = env.step(int(action))
            if rewards is not None and not math.isclose(float(reward), float(rewards[i]), abs_tol=1e-6):
                raise RltuiError(f"{label} does not replay on {env_name}: step {i + 1} gives reward {reward:g}, "
                                 f"the kept episode had {rewards[i]:g} (the env changed since it was played)")
            mask = info.get("action_mask") if isinstance(info, dict) else None
            episode.append(Transition(_own(obs), int(action), float(reward), _own(next_obs),
                                      bool(terminated), bool(truncated), mask))
            obs = next_obs
            if (terminated or truncated) and i + 1 < len(actions):
                raise RltuiError(f"{label} ends after {i + 1} steps on {env_name} but kept {len(actions)} "
                                 "(the env changed since it was played)")
    finally:
        env.close()
    return episode


def _own(obs: Any) -> Any:
    """A copy for array observations (wrappers may reuse buffers); scalar states stay plain ints."""
    return int(obs) if np.ndim(obs) == 0 else np.array(obs, copy=True)


@dataclass(frozen=True)
class MinariDemos:
    """``--demos minari:NAME``: the episodes of a Minari dataset instead of the run store's."""

    dataset_id: str


def parse_demo_ids(text: str) -> list[int] | None | MinariDemos:
    """``"all"`` → None (every kept episode of the env); ``"3,5,9"`` → ids; ``"minari:NAME"`` → that dataset."""
    if text.strip().startswith("minari:"):
        name = text.strip()[len("minari:"):]
        if not name:
            raise RltuiError("--demos minari: needs a dataset id, e.g. minari:rltui/FrozenLake4x4/human-v0")
        return MinariDemos(name)
    text = text.strip().lower()
    if text == "all":
        return None
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise RltuiError(f"--demos takes 'all' or human episode ids like 3,5,9, not {text!r}") from None
    if not ids:
        raise RltuiError("--demos got no episode ids")
    return ids


def load_demos(store: Any, env_name: str, algo: str, ids: list[int] | None | MinariDemos,
               env_overrides: dict[str, Any] | None = None) -> list[Episode]:
    """Kept human episodes of ``env_name`` (all, or the given ids) as transitions for ``algo``."""
    check_demo_env(env_name)
    if isinstance(ids, MinariDemos):
        return load_minari_demos(ids.dataset_id, env_name, algo, env_overrides)
    name = get_entry(env_name).name
    kept = store.human_episodes(name)
    if ids is not None:
        by_id = {row["id"]: row for row in kept}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise RltuiError(f"no human episode(s) {', '.join(map(str, missing))} on {name} "
                             f"(kept: {len(kept)}; rltui play {name} adds more)")
        kept = [by_id[i] for i in ids]
    if not kept:
        raise RltuiError(f"no human episodes kept on {name} yet: play some first (rltui play {name})")
    return [replay_demo(name, algo, row["seed"], row["actions"], row["rewards"], env_overrides=env_overrides,
                        label=f"human episode {row['id']}") for row in kept if row["seed"] is not None]


def load_minari_demos(dataset_id: str, env_name: str, algo: str,
                      env_overrides: dict[str, Any] | None = None) -> list[Episode]:
    """A Minari dataset's episodes as transitions, where ``algo`` trains on the raw env (the dataset holds
    raw observations): its env must be ``env_name``'s and the algorithm's observation pipeline the identity."""
    try:
        import minari
    except ImportError:
        raise RltuiError('--demos minari: needs minari: pip install -e ".[share]"') from None
    entry = get_entry(env_name)
    try:
        dataset = minari.load_dataset(dataset_id)
    except (FileNotFoundError, ValueError) as exc:
        raise RltuiError(f"no Minari dataset {dataset_id!r} here ({exc})"[:300]) from None
    spec = dataset.spec.env_spec
    if spec is None or spec.id != entry.gym_id:
        raise RltuiError(f"Minari dataset {dataset_id} was recorded on {spec.id if spec else 'an unknown env'}, "
                         f"not {entry.name} ({entry.gym_id})")
    env = make_training_env(entry.name, **env_options(algo), **(env_overrides or {}))
    try:
        if env.observation_space != dataset.observation_space or env.action_space != dataset.action_space:
            raise RltuiError(f"{algo} on {entry.name} trains on {env.observation_space}, not the raw observations "
                             f"{dataset.observation_space} a Minari dataset holds (try dqn)")
    finally:
        env.close()
    episodes: list[Episode] = []
    for ep in dataset.iterate_episodes():
        obs = ep.observations
        episodes.append([Transition(_own(obs[t]), int(ep.actions[t]), float(ep.rewards[t]), _own(obs[t + 1]),
                                    bool(ep.terminations[t]), bool(ep.truncations[t]))
                         for t in range(len(ep.rewards))])
    if not episodes:
        raise RltuiError(f"Minari dataset {dataset_id} has no episodes")
    return episodes


def learn_from_demos(agent: Agent, episodes: list[Episode], passes: int = 1) -> int:
    """Give ``agent`` the demo episodes; returns the number of transitions it took."""
    if passes < 1:
        raise RltuiError(f"demo passes must be at least 1, not {passes}")
    agent.learn_from_demos(episodes, passes)
    return sum(len(e) for e in episodes)
