"""Small torch helpers shared by the deep agents: CPU threads, seeding, schedules, target updates.

CPU threads matter more than they look on small machines: a small MLP's update is no faster with 2
threads than with 1, and with other work running (the app, env workers) extra threads are several
times *slower*, because torch's threads spin waiting for a core (benchmarks/bench_threads.py; figures
in benchmarks/README.md). So ``threads = 0`` (auto) means 1 thread for the small networks, and for
the Nature CNN the cores left after two (one for the app or the trainer, one for an env worker), at
least 1 and at most 4.
"""

from __future__ import annotations

import math
import os

import torch

from rltui.agents.networks import EncoderKind


def auto_threads(kind: EncoderKind) -> int:
    """Torch CPU threads for a network of ``kind`` (see the module docstring for why)."""
    if kind == "nature_cnn":
        return max(1, min(4, (os.cpu_count() or 1) - 2))
    return 1


def configure_threads(device: str, kind: EncoderKind, requested: int) -> int:
    """Set torch's intra-op CPU threads when training on the CPU; returns the number in force.

    ``torch.set_num_threads`` is process-wide, so this is called once per agent; GPU runs leave it alone
    (their host work is data movement, not arithmetic).
    """
    if not str(device).startswith("cpu"):
        return torch.get_num_threads()
    threads = requested if requested > 0 else auto_threads(kind)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def linear(start: float, end: float, steps: int, t: int) -> float:
    """Linear schedule from ``start`` to ``end`` over ``steps`` (then ``end``); steps ≤ 0 means ``end``."""
    if steps <= 0 or t >= steps:
        return end
    return start + (end - start) * (t / steps)


def cosine(start: float, end: float, steps: int, t: int) -> float:
    """Half-cosine schedule from ``start`` to ``end`` over ``steps``: flat at both ends."""
    if steps <= 0 or t >= steps:
        return end
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * t / steps))


SCHEDULES = {"linear": linear, "cosine": cosine}


@torch.no_grad()
def update_target(target: torch.nn.Module, online: torch.nn.Module, tau: float) -> None:
    """Hard copy (``tau == 1``) or Polyak average ``θ' ← (1 − τ) θ' + τ θ`` of the online weights."""
    if tau >= 1.0:
        target.load_state_dict(online.state_dict())
        return
    for t, o in zip(target.parameters(), online.parameters()):
        t.lerp_(o, tau)


def state_shapes(state: dict[str, torch.Tensor]) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in state.items()}


def load_module(module: torch.nn.Module, state: object, what: str) -> None:
    """``module.load_state_dict`` with a one-line error naming what does not fit."""
    from rltui.errors import RltuiError

    if not isinstance(state, dict):
        raise RltuiError(f"checkpoint's {what} is not a state dict")
    mine = state_shapes(module.state_dict())
    theirs = {k: tuple(v.shape) for k, v in state.items() if isinstance(v, torch.Tensor)}
    if mine != theirs:
        diff = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
        first = diff[0]
        raise RltuiError(f"checkpoint's {what} does not fit this network: {first} is "
                         f"{theirs.get(first, 'missing')} in the checkpoint, {mine.get(first, 'absent')} here "
                         f"({len(diff)} tensor(s) differ; was it trained with other hyperparameters or env?)")
    module.load_state_dict(state)
