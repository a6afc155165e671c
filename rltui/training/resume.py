"""Carrying a run on where its checkpoint left it (``rltui train --resume``, the Runs screen's continue).

A checkpoint carries on its own run (same row in the store, same counters and schedules; what the run
recorded after the checkpoint is trained again) when it is that run's latest save, not its best, and
the run ended early: interrupted (killed), stopped or failed. Any other checkpoint trains further as a
new run.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from rltui.training.config import TrainConfig

CONTINUABLE = ("interrupted", "stopped", "failed")


def continuable_run(store: Any, path: str, header: dict[str, Any]) -> int | None:
    """The run id the checkpoint at ``path`` carries on, or None (see the module docstring)."""
    run_id = header.get("run_id")
    if not isinstance(run_id, int) or "run_steps" not in header or header.get("best"):
        return None
    run = store.get_run(run_id)
    if run is None or run["status"] not in CONTINUABLE:
        return None
    if run["env"] != header["env"] or run["algo"] != header["algo"]:
        return None
    for ck in store.checkpoints(run_id):
        try:
            if ck["role"] == "last" and os.path.samefile(ck["path"], path):
                return run_id
        except OSError:
            continue
    return None


def continued_config(stored: dict[str, Any], data_dir: str | None, steps: int | None = None) -> TrainConfig:
    """The run's own config (budget, seed, schedules, file); ``steps`` may change its budget."""
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    config = TrainConfig(**{k: v for k, v in stored.items() if k in names})
    config.data_dir = data_dir
    config.demos = None  # learned from at the run's start, and in the checkpoint since
    if steps is not None:
        config.steps = steps
    return config
