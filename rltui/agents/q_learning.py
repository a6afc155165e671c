"""The pieces of deep Q-learning DQN and DRQN share, each written once: ε-greedy acting (with action
masks), the TD target (double or plain Q) and the TD loss (Huber or squared error).

They work on any leading shape (DQN's batch, DRQN's batch × time), so both agents call the same code.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F


# ---- acting --------------------------------------------------------------------------------------
def random_action(rng: np.random.Generator, epsilon: float, n_actions: int,
                  action_mask: np.ndarray | None = None) -> int | None:
    """ε-greedy's coin: with probability ε a uniformly random action (an allowed one where a mask is
    given), else None, meaning "act greedily"."""
    if rng.random() >= epsilon:
        return None
    if action_mask is not None:
        return int(rng.choice(np.flatnonzero(action_mask)))
    return int(rng.integers(n_actions))


def greedy_action(q: np.ndarray, action_mask: np.ndarray | None = None) -> int:
    """The action with the highest Q among the allowed ones."""
    if action_mask is not None:
        q = np.where(np.asarray(action_mask, dtype=bool), q, -np.inf)
    return int(q.argmax())


def epsilon_greedy_batch(rng: np.random.Generator, epsilon: float, n_actions: int,
                         greedy: np.ndarray) -> np.ndarray:
    """ε-greedy for a vector env: each env's ``greedy`` action is replaced by a random one with probability ε."""
    rand = rng.random(len(greedy)) < epsilon
    return np.where(rand, rng.integers(n_actions, size=len(greedy)), greedy).astype(np.int64)


# ---- learning ------------------------------------------------------------------------------------
def td_target(rewards: torch.Tensor, terminated: torch.Tensor, discount: float | torch.Tensor,
              q_next_target: torch.Tensor, q_next_online: torch.Tensor | None) -> torch.Tensor:
    """``r + γ (1 − terminated) Q'(s', a*)``.

    ``a*`` maximises the online network's Q at ``s'`` (double DQN, van Hasselt et al. 2016: the target
    network only evaluates the choice, which curbs overestimation) or, with ``q_next_online=None``, the
    target network's own. ``discount`` is γ, or γ^m per sample for m-step returns. Truncated episodes
    still bootstrap; only ``terminated`` cuts the return.
    """
    if q_next_online is not None:
        q_next = q_next_target.gather(-1, q_next_online.argmax(-1, keepdim=True)).squeeze(-1)
    else:
        q_next = q_next_target.max(-1).values
    return rewards + discount * (1.0 - terminated) * q_next


def td_loss(q_sa: torch.Tensor, target: torch.Tensor, huber: bool, reduction: str = "mean") -> torch.Tensor:
    """Huber (smooth L1: gradients clipped to ±1, as in the Nature DQN) or squared TD error."""
    return (F.smooth_l1_loss if huber else F.mse_loss)(q_sa, target, reduction=reduction)
