"""DQN's gradient step for an MLP Q-network with the backward pass written out instead of autograd.

Why: on a CPU, the update of CartPole's 128×128 MLP on a batch of 128 is a few dozen µs of arithmetic
and over a millisecond of per-operation overhead: autograd records a graph in the forward pass, its
engine walks it in the backward pass, ``clip_grad_norm_`` and ``zero_grad`` loop over the parameters.
For ``ReLU`` layers and DQN's loss the gradients are a dozen matrix products, so
:class:`MLPGrad` computes them directly (under ``no_grad``), writes them into one flat buffer that the
parameters' ``.grad`` are views of (so clipping is one norm and one multiply, and nothing needs
zeroing), and leaves the Adam step to the agent's optimizer as before. It also runs the online network
once over ``[s; s']`` (the backward pass only reads the ``s`` rows), one forward fewer per update.

For the head ``y = W h + b``, the Q-value of the taken action is a fixed linear function of ``y``:
``Q(s, a) = Σ_j C_j y_j`` with ``C = onehot(a)`` for a plain head and ``C = [1, onehot(a) − 1/n]`` for
the dueling head ``V + A − mean(A)``. So ``q_sa = (y · C).sum(1)`` and ``∂loss/∂y = g C`` with
``g = ∂loss/∂q_sa`` (Huber: ``clamp(q_sa − target, −1, 1) / B``; squared error: ``2 (q_sa − target) / B``).

Used by :class:`~rltui.agents.dqn.DQNAgent` for :class:`~rltui.agents.networks.QNetwork`'s ``"mlp"``
encoder on a CPU; tested equal to the autograd update (tests/test_dqn.py).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from rltui.agents.networks import QNetwork, dueling_q

_relu_backward = torch.ops.aten.threshold_backward  # grad where the ReLU's output > 0, else 0


def supported(net: nn.Module) -> bool:
    """True for a :class:`QNetwork` that is an MLP on vectors (linear layers with ReLUs between)."""
    if not isinstance(net, QNetwork) or net.kind != "mlp":
        return False
    kinds = [type(m) for m in net.trunk]
    return kinds == [nn.Linear, nn.ReLU] * (len(kinds) // 2)


class MLPGrad:
    """Forward passes that keep what the backward pass needs, and that backward pass, for one
    :class:`QNetwork` (``online``) and its target copy; see the module docstring."""

    def __init__(self, online: QNetwork, target: QNetwork) -> None:
        if not (supported(online) and supported(target)):
            raise ValueError("MLPGrad needs MLP QNetworks")
        self.online, self.target = online, target
        self.dueling = online.head.dueling
        self.layers = _linear_params(online)
        self.target_layers = _linear_params(target)
        self.params = [p for layer in self.layers for p in layer]
        w0 = self.params[0]
        self.flat_grad = torch.zeros(sum(p.numel() for p in self.params), dtype=w0.dtype, device=w0.device)
        self.grads: list[torch.Tensor] = []
        at = 0
        for p in self.params:
            self.grads.append(self.flat_grad[at : at + p.numel()].view_as(p))
            at += p.numel()
        n_out = self.layers[-1][0].shape[0]
        self.n_actions = n_out - 1 if self.dueling else n_out
        self.first_action = 1 if self.dueling else 0  # column of A_1 (or Q_1) in the head's outputs
        table = torch.zeros(self.n_actions, n_out, dtype=w0.dtype, device=w0.device)
        if self.dueling:
            table[:, 0], table[:, 1:] = 1.0, -1.0 / self.n_actions
        table[:, self.first_action:] += torch.eye(self.n_actions, dtype=w0.dtype, device=w0.device)
        self._coef = table  # row a: C for action a

    def coefficients(self, actions: torch.Tensor) -> torch.Tensor:
        """``C`` per row, with ``Q(s, a) = (y · C).sum(1)`` for the head's raw outputs ``y`` (module docstring)."""
        return self._coef.index_select(0, actions)

    def next_q(self, y_online: torch.Tensor, y_target: torch.Tensor, double: bool) -> torch.Tensor:
        """``Q'(s', a*)`` from the raw outputs of both networks on ``s'``: ``a*`` maximises the online
        network's Q (double DQN; V and mean(A) are the same for every action, so A alone decides) or
        the target network's."""
        if not double:
            return self.q(y_target).max(1).values
        best = y_online[:, self.first_action:].argmax(1)
        return (y_target * self.coefficients(best)).sum(1)

    def encode(self, obs: np.ndarray) -> torch.Tensor:
        """Observations (numpy) → the MLP's float input (the encoder's cast, scale and flatten)."""
        dev = self.params[0].device
        return self.online.encoder.forward(torch.from_numpy(np.ascontiguousarray(obs)).to(dev))

    @staticmethod
    def forward(layers: list[tuple[torch.Tensor, torch.Tensor]], x: torch.Tensor
                ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The head's raw outputs ``y`` and each linear layer's input (call under ``no_grad``)."""
        inputs = []
        h = x
        for w, b in layers[:-1]:
            inputs.append(h)
            h = F.linear(h, w, b).relu_()
        inputs.append(h)
        w, b = layers[-1]
        return F.linear(h, w, b), inputs

    def q(self, y: torch.Tensor) -> torch.Tensor:
        """Q-values from the head's raw outputs."""
        return dueling_q(y) if self.dueling else y

    def attach(self) -> None:
        """Make the parameters' ``.grad`` the views of the flat buffer (again, after ``zero_grad``)."""
        if self.params[0].grad is not self.grads[0]:
            for p, g in zip(self.params, self.grads):
                p.grad = g

    def backward(self, inputs: list[torch.Tensor], dy: torch.Tensor) -> None:
        """Write ``∂loss/∂θ`` into the parameters' ``.grad`` given ``dy = ∂loss/∂y`` for the first
        ``len(dy)`` rows of the forward pass that produced ``inputs``."""
        self.attach()
        n = len(dy)
        g = dy
        for i in range(len(self.layers) - 1, -1, -1):
            inp = inputs[i][:n]
            torch.mm(g.t(), inp, out=self.grads[2 * i])
            torch.sum(g, 0, out=self.grads[2 * i + 1])
            if i:
                g = _relu_backward(torch.mm(g, self.layers[i][0]), inp, 0.0)

    def clip(self, max_norm: float) -> None:
        """``clip_grad_norm_`` on the flat gradient: scale it to norm ``max_norm`` if it is longer."""
        norm = torch.linalg.vector_norm(self.flat_grad)
        self.flat_grad.mul_((max_norm / (norm + 1e-6)).clamp_(max=1.0))


def _linear_params(net: QNetwork) -> list[tuple[torch.Tensor, torch.Tensor]]:
    linears = [m for m in net.trunk if isinstance(m, nn.Linear)] + [net.head.out]
    return [(m.weight, m.bias) for m in linears]
