"""A person's kept episodes as a Minari dataset, for offline-RL libraries.

Each kept episode (seed and actions) is replayed in the raw catalogue env, the one people play
(:func:`rltui.envs.make_env`), with every reward checked against the kept one, and its observations,
actions, rewards, terminations and truncations go into the dataset as Minari's ``EpisodeBuffer``s,
written by ``minari.create_dataset_from_buffers`` with the env's spec, so ``minari.load_dataset``
reads it and ``recover_environment()`` rebuilds the env (our own envs, GridWorld and the MDP, need
``rltui.envs.registration.register_envs()`` first in the reading process).

Why not Minari's ``DataCollector`` wrapper: in Minari 0.5 it appends each step with ``jax.tree_util``
and so needs ``minari[create]`` (jax and an 85 MB jaxlib) for what is, for a replay of known actions,
the same list appends; ``create_dataset_from_buffers`` is Minari's own API for episodes collected by
other means and writes the same dataset.

Datasets go where Minari keeps them: ``$MINARI_DATASETS_PATH``, else ``~/.minari/datasets``.
"""

from __future__ import annotations

import argparse
import math
import warnings
from collections.abc import Sequence
from typing import Any

from rltui.envs import get_entry, make_env
from rltui.errors import RltuiError
from rltui.share import require


def _replay(env: Any, row: dict[str, Any]) -> dict[str, Any]:
    """One kept episode replayed from its seed: the buffers Minari stores (observations has one more)."""
    label = f"human episode {row['id']}"
    obs, _ = env.reset(seed=int(row["seed"]))
    observations, rewards, terminations, truncations = [obs], [], [], []
    actions = [int(a) for a in row["actions"]]
    for i, action in enumerate(actions):
        obs, reward, terminated, truncated, _ = env.step(action)
        if not math.isclose(float(reward), float(row["rewards"][i]), abs_tol=1e-6):
            raise RltuiError(f"{label} does not replay: step {i + 1} gives reward {reward:g}, the kept episode had "
                             f"{row['rewards'][i]:g} (the env changed since it was played)")
        observations.append(obs)
        rewards.append(float(reward))
        terminations.append(bool(terminated))
        truncations.append(bool(truncated))
        if (terminated or truncated) and i + 1 < len(actions):
            raise RltuiError(f"{label} ends after {i + 1} steps but kept {len(actions)} (the env changed since)")
    if actions and not (terminations[-1] or truncations[-1]):
        truncations[-1] = True  # kept before its end (the person left): Minari episodes end in one or the other
    return {"seed": int(row["seed"]), "observations": observations, "actions": actions, "rewards": rewards,
            "terminations": terminations, "truncations": truncations}


def kept_rows(store: Any, env_name: str, ids: Sequence[int] | None) -> list[dict[str, Any]]:
    """The kept episodes of ``env_name`` (all, or ``ids`` in that order) that can be replayed."""
    name = get_entry(env_name).name
    kept = store.human_episodes(name)
    if ids is not None:
        by_id = {row["id"]: row for row in kept}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise RltuiError(f"no kept episode(s) {', '.join(map(str, missing))} on {name} (rltui episodes {name})")
        kept = [by_id[i] for i in ids]
    unseeded = [row["id"] for row in kept if row["seed"] is None]
    if unseeded:
        raise RltuiError(f"episode(s) {', '.join(map(str, unseeded))} were kept without a seed and cannot be replayed")
    kept = [row for row in kept if row["actions"]]
    if not kept:
        raise RltuiError(f"no episodes kept on {name} yet: play some first (rltui play {name})")
    return kept


def export_minari(store: Any, env_name: str, dataset_id: str, ids: Sequence[int] | None = None, *,
                  author: str | None = None) -> Any:
    """Write the kept episodes as the Minari dataset ``dataset_id``; returns the dataset."""
    minari = require("minari", "a Minari dataset")
    from minari.data_collector import EpisodeBuffer

    entry = get_entry(env_name)
    if dataset_id in minari.list_local_datasets():
        raise RltuiError(f"a Minari dataset {dataset_id} already exists (minari delete {dataset_id}, or a new "
                         "version: -v1, -v2, ...)")
    rows = kept_rows(store, entry.name, ids)
    env = make_env(entry.name)
    try:
        buffers = [EpisodeBuffer(id=k, **_replay(env, row)) for k, row in enumerate(rows)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # Minari's advice on permalinks and e-mail addresses
            try:
                return minari.create_dataset_from_buffers(
                    dataset_id, buffers, env=env, algorithm_name="human play (rltui)", author=author or "rltui user",
                    description=f"{len(rows)} episode(s) of {entry.title} played by a person in rltui "
                    f"(kept episode ids {', '.join(str(r['id']) for r in rows)}), replayed from their seeds.")
            except ValueError as exc:  # a malformed name, mostly
                raise RltuiError(f"Minari refused {dataset_id!r}: {exc}") from None
    finally:
        env.close()


def export_cli(args: argparse.Namespace) -> int:
    """``rltui episodes export ENV [--ids 3,5] --minari NAME``."""
    from rich.console import Console

    from rltui.training.demos import parse_demo_ids
    from rltui.training.store import RunStore

    ids = parse_demo_ids(args.ids) if args.ids else None
    with RunStore.open(args.data_dir) as store:
        dataset = export_minari(store, args.target, args.minari, ids)
    Console().print(f"Minari dataset {args.minari}: {dataset.total_episodes} episode(s), {dataset.total_steps} "
                    f"steps in {dataset.spec.data_path} (minari.load_dataset({args.minari!r}); "
                    f"train from it: rltui train {get_entry(args.target).name} --demos minari:{args.minari})",
                    soft_wrap=True)
    return 0
