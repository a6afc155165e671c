"""Q-networks chosen from the observation space, shared by DQN and DRQN.

The encoder depends only on what the agent sees:

* ``Discrete(n)`` states → one-hot (a neural Q-table: the app can still draw its heatmap);
* a 1-D ``Box`` (CartPole) → the raw vector, into an MLP;
* a small image-like ``Box`` ``(C, N, N)`` (GridWorld's planes) → a small CNN that keeps the board size;
* 84×84 frames ``(k, 84, 84)`` or ``(84, 84)`` → the Nature DQN CNN (Mnih et al. 2015).

Integer observations (uint8 pixels, 0/1 planes) are scaled by the space's ``high`` inside the network,
so the replay buffer keeps them in their compact dtype and moves 4× fewer bytes to the GPU.

After the encoder come the ``hidden`` layers (an MLP trunk) and the head: a plain linear layer, or the
dueling head ``Q = V + A − mean(A)`` (Wang et al. 2016). DRQN puts an LSTM between trunk and head.
"""

from __future__ import annotations

from typing import Literal

import gymnasium as gym
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from rltui.errors import RltuiError

EncoderKind = Literal["onehot", "mlp", "small_cnn", "nature_cnn"]
#: Images at least this wide go through the Nature CNN (its 8/4, 4/2, 3/1 convolutions need ≥ 36).
NATURE_MIN_SIZE = 36


def encoder_kind(space: gym.Space) -> EncoderKind:
    """Which encoder suits ``space``; anything else is a one-line error."""
    if isinstance(space, gym.spaces.Discrete):
        return "onehot"
    if not isinstance(space, gym.spaces.Box):
        raise RltuiError(f"deep agents need a Discrete or Box observation space, not {space}")
    shape = space.shape
    if len(shape) == 1:
        return "mlp"
    if len(shape) in (2, 3) and min(shape[-2:]) >= NATURE_MIN_SIZE:
        return "nature_cnn"
    if len(shape) == 3:
        return "small_cnn"
    return "mlp"  # other shapes are flattened


def _input_scale(space: gym.Space) -> float:
    """Divide integer observations by their top value (255 for pixels) so inputs lie in [0, 1]."""
    if isinstance(space, gym.spaces.Box) and np.issubdtype(space.dtype, np.integer):
        top = float(np.max(space.high))
        return 1.0 / top if top > 0 else 1.0
    return 1.0


class OneHot(nn.Module):
    """State index (from ``start``) → one-hot row: a linear head on it is a Q-table."""

    def __init__(self, n: int, start: int = 0) -> None:
        super().__init__()
        self.n, self.start = n, start

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.one_hot(x.long().reshape(-1) - self.start, self.n).float().reshape(*x.shape, self.n)


class Flatten(nn.Module):
    """Flatten the observation dims (not the batch/time dims) and scale to floats."""

    def __init__(self, obs_ndim: int, scale: float) -> None:
        super().__init__()
        self.obs_ndim, self.scale = obs_ndim, scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float() if self.scale == 1.0 else x.float() * self.scale
        return x.flatten(start_dim=x.dim() - self.obs_ndim) if self.obs_ndim > 1 else x


class ConvEncoder(nn.Module):
    """Convolutions over (..., C, H, W) images; leading batch/time dims are folded and restored."""

    def __init__(self, convs: nn.Sequential, obs_shape: tuple[int, ...], scale: float) -> None:
        super().__init__()
        self.convs, self.scale = convs, scale
        self.add_channel = len(obs_shape) == 2  # a single grey frame (H, W)
        self.image_shape = ((1, *obs_shape) if self.add_channel else tuple(obs_shape))
        with torch.no_grad():
            self.out_dim = int(self.convs(torch.zeros(1, *self.image_shape)).flatten(1).shape[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lead = x.shape[: x.dim() - (2 if self.add_channel else 3)]
        x = x.reshape(-1, *self.image_shape).float()
        if self.scale != 1.0:
            x = x * self.scale
        return self.convs(x).reshape(*lead, self.out_dim)


def build_encoder(space: gym.Space) -> tuple[nn.Module, int, EncoderKind]:
    """The encoder for ``space``, its output width and its kind."""
    kind = encoder_kind(space)
    if kind == "onehot":
        return OneHot(int(space.n), int(space.start)), int(space.n), kind
    shape = tuple(space.shape)
    scale = _input_scale(space)
    if kind == "mlp":
        return Flatten(len(shape), scale), int(np.prod(shape)), kind
    channels = 1 if len(shape) == 2 else shape[0]
    if kind == "nature_cnn":
        convs = nn.Sequential(
            nn.Conv2d(channels, 32, 8, stride=4), nn.ReLU(),
            nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=1), nn.ReLU(),
            nn.Flatten(),
        )
    else:  # small boards: 3×3 convolutions with padding keep every cell's neighbourhood
        convs = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
            nn.Flatten(),
        )
    enc = ConvEncoder(convs, shape, scale)
    return enc, enc.out_dim, kind


def parse_hidden(text: str) -> tuple[int, ...]:
    """``"128,128"`` → (128, 128); ``""`` → no hidden layer."""
    text = str(text).strip()
    if not text:
        return ()
    try:
        sizes = tuple(int(p) for p in text.replace(" ", "").split(","))
    except ValueError:
        raise RltuiError(f"hidden must be comma-separated layer sizes such as '128,128', not {text!r}") from None
    if any(s < 1 for s in sizes):
        raise RltuiError(f"hidden layer sizes must be positive, not {text!r}")
    return sizes


def mlp(in_dim: int, sizes: tuple[int, ...]) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    for size in sizes:
        layers += [nn.Linear(in_dim, size), nn.ReLU()]
        in_dim = size
    return nn.Sequential(*layers), in_dim


class QHead(nn.Module):
    """Linear Q head, or the dueling head ``V + A − mean(A)``.

    The dueling head computes V and A with one linear layer of ``1 + n_actions`` outputs (the same
    function as two layers, one matrix product fewer per forward pass).
    """

    def __init__(self, in_dim: int, n_actions: int, dueling: bool) -> None:
        super().__init__()
        self.dueling = dueling
        self.out = nn.Linear(in_dim, n_actions + 1 if dueling else n_actions)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.combine(self.out(x))

    def combine(self, y: torch.Tensor) -> torch.Tensor:
        """Q-values from the linear layer's raw outputs ``y``."""
        return dueling_q(y) if self.dueling else y


def dueling_q(y):
    """The dueling head's Q-values ``V + A − mean(A)`` from its raw outputs ``y = [V, A_1..A_n]``
    (a torch tensor, or a numpy array for :mod:`rltui.agents.dqn_fast`'s acting)."""
    a = y[..., 1:]
    return y[..., :1] + a - a.mean(-1, keepdims=True)


class QNetwork(nn.Module):
    """Encoder → MLP trunk → Q head: Q-values for every action, shape (batch, n_actions)."""

    def __init__(self, obs_space: gym.Space, n_actions: int, hidden: tuple[int, ...], dueling: bool) -> None:
        super().__init__()
        self.encoder, width, self.kind = build_encoder(obs_space)
        self.trunk, width = mlp(width, hidden)
        self.head = QHead(width, n_actions, dueling)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(self.encoder(x)))


class RecurrentQNetwork(nn.Module):
    """Encoder → MLP trunk → LSTM → Q head, over (batch, time, ...) inputs (DRQN, Hausknecht & Stone 2015).

    With ``prev_actions`` (the number of actions), the LSTM also reads the previous action one-hot
    beside the trunk's output (R2D2, Kapturowski et al. 2019); ``-1`` stands for none (episode start).
    """

    def __init__(self, obs_space: gym.Space, n_actions: int, hidden: tuple[int, ...], lstm_size: int,
                 dueling: bool, prev_actions: int = 0) -> None:
        super().__init__()
        self.encoder, width, self.kind = build_encoder(obs_space)
        self.trunk, width = mlp(width, hidden)
        self.prev_actions = prev_actions
        self.lstm = nn.LSTM(width + prev_actions, lstm_size, batch_first=True)
        self.head = QHead(lstm_size, n_actions, dueling)
        self.lstm_size = lstm_size

    def initial_state(self, batch: int, device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
        zeros = torch.zeros(1, batch, self.lstm_size, device=device)
        return zeros, zeros.clone()

    def forward(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None,
                prev_action: torch.Tensor | None = None) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """``x``: (B, T, *obs), ``prev_action``: (B, T) ints or None (none known); returns Q (B, T, n_actions)
        and the LSTM state after the last step."""
        features = self.trunk(self.encoder(x))
        if self.prev_actions:
            if prev_action is None:
                prev_action = torch.full(features.shape[:2], -1, device=features.device)
            one_hot = prev_action.unsqueeze(-1) == torch.arange(self.prev_actions, device=features.device)
            features = torch.cat([features, one_hot.to(features.dtype)], dim=-1)
        out, state = self.lstm(features, state)
        return self.head(out), state
