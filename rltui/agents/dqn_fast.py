"""DQN's CPU fast path: the reference update and greedy acting of :mod:`rltui.agents.dqn`, redone for an
MLP Q-network on a CPU with a fraction of the per-operation overhead. Nothing else uses these tricks.

The agent selects it with ``fast_path = "auto"`` (the default) where :func:`applies` says it can, and
runs its reference code everywhere with ``fast_path = "off"``; tests/test_dqn.py checks that both take
the same steps. Why it exists: on a CPU, CartPole's 128×128 MLP update is a few dozen µs of arithmetic
and over a millisecond of overhead (autograd's graph, ``Optimizer.step``'s Python, module hooks).

* :class:`MLPGrad` writes the backward pass out (a dozen matrix products for ReLU layers and DQN's
  loss) into one flat gradient buffer the parameters' ``.grad`` are views of, so clipping is one norm
  and nothing needs zeroing; the online network runs once over ``[s; s']``.
* :func:`fused_adam_step` calls torch's fused Adam kernel without ``Optimizer.step`` around it; it
  reads torch internals, so it is gated to the torch versions it was checked against.
* :class:`NumpyQ` computes greedy Q-values in numpy on views of the parameter memory.

The head's Q-values are a fixed linear function of its raw outputs ``y``: ``Q(s, a) = Σ_j C_aj y_j``
(``C`` is the identity for a plain head, ``[1, onehot(a) − 1/n]`` for the dueling head), so
``∂loss/∂y = g C_a`` with ``g = ∂loss/∂Q(s, a)``. ``C`` is computed from the head's own combine.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from rltui.agents.networks import QNetwork, dueling_q
from rltui.agents.replay import Batch

_relu_backward = torch.ops.aten.threshold_backward  # grad where the ReLU's output > 0, else 0

#: torch releases whose ``Adam(fused=True).step()`` was read to call ``torch._fused_adam_`` exactly as
#: :func:`fused_adam_step` does (the declared ``torch>=2.4,<2.14``); any other goes through ``step()``.
FUSED_ADAM_TORCH = ((2, 4), (2, 14))


def _torch_version() -> tuple[int, int]:
    major, minor = torch.__version__.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


_KERNEL_OK = FUSED_ADAM_TORCH[0] <= _torch_version() < FUSED_ADAM_TORCH[1] and hasattr(torch, "_fused_adam_")


def applies(net: nn.Module, device: torch.device) -> bool:
    """True for an MLP :class:`QNetwork` (linear layers with ReLUs between) on a CPU."""
    if device.type != "cpu" or not isinstance(net, QNetwork) or net.kind != "mlp":
        return False
    kinds = [type(m) for m in net.trunk]
    return kinds == [nn.Linear, nn.ReLU] * (len(kinds) // 2)


def _linears(net: QNetwork) -> list[nn.Linear]:
    return [m for m in net.trunk if isinstance(m, nn.Linear)] + [net.head.out]


def head_coefficients(net: QNetwork) -> torch.Tensor:
    """``C`` (n_actions, head outputs): row ``a`` maps the head's raw outputs to ``Q(s, a)``; the head's
    combine applied to the unit vectors, so it is the dueling combine of :func:`~rltui.agents.networks.dueling_q`."""
    out = net.head.out
    eye = torch.eye(out.out_features, dtype=out.weight.dtype, device=out.weight.device)
    return net.head.combine(eye).t().contiguous()


class MLPFastPath:
    """The DQN update and greedy Q-values for one online MLP, its target copy and their Adam."""

    def __init__(self, online: QNetwork, target: QNetwork, optimizer: torch.optim.Optimizer) -> None:
        self.grad = MLPGrad(online, target)
        self.optimizer = optimizer
        self.numpy_q = NumpyQ(online)

    def update(self, b: Batch, gamma: float, double: bool, huber: bool, max_grad_norm: float
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """One gradient step on batch ``b``, equal to DQNAgent's reference update; returns (q_sa, target)
        so the loss can be computed when it is read."""
        m = self.grad
        with torch.no_grad():
            n = len(b.actions)
            y, inputs = m.forward(m.layers, m.encode(np.concatenate([b.obs, b.next_obs])))  # online over [s; s']
            coef = m.coefficients(torch.from_numpy(b.actions))
            q_sa = (y[:n] * coef).sum(1)
            y_target, _ = m.forward(m.target_layers, inputs[0][n:])
            # r + γ^m (1 − terminated) Q'(s', a*), as rltui.agents.q_learning.td_target computes it
            discount = (gamma if b.discounts is None else b.discounts) * (1.0 - b.terminated)
            target = torch.from_numpy(b.rewards).addcmul_(
                torch.from_numpy(discount.astype(np.float32, copy=False)), m.next_q(y[n:], y_target, double))
            diff = q_sa - target
            grad = diff.clamp_(-1.0, 1.0).mul_(1.0 / n) if huber else diff.mul_(2.0 / n)  # ∂td_loss/∂q_sa
            m.backward(inputs, grad.unsqueeze(1) * coef)
            if max_grad_norm > 0:
                m.clip(max_grad_norm)
            fused_adam_step(self.optimizer)
        return q_sa, target


class MLPGrad:
    """Forward passes that keep what the backward pass needs, and that backward pass, for one
    :class:`QNetwork` (``online``) and its target copy; see the module docstring."""

    def __init__(self, online: QNetwork, target: QNetwork) -> None:
        self.online = online
        self.dueling = online.head.dueling
        self.layers = [(m.weight, m.bias) for m in _linears(online)]
        self.target_layers = [(m.weight, m.bias) for m in _linears(target)]
        self.params = [p for layer in self.layers for p in layer]
        w0 = self.params[0]
        self.flat_grad = torch.zeros(sum(p.numel() for p in self.params), dtype=w0.dtype, device=w0.device)
        self.grads: list[torch.Tensor] = []
        at = 0
        for p in self.params:
            self.grads.append(self.flat_grad[at : at + p.numel()].view_as(p))
            at += p.numel()
        self.first_action = 1 if self.dueling else 0  # column of A_1 (or Q_1) in the head's outputs
        self._coef = head_coefficients(online)  # row a: C for action a

    def coefficients(self, actions: torch.Tensor) -> torch.Tensor:
        """``C`` per row, with ``Q(s, a) = (y · C).sum(1)`` for the head's raw outputs ``y``."""
        return self._coef.index_select(0, actions)

    def next_q(self, y_online: torch.Tensor, y_target: torch.Tensor, double: bool) -> torch.Tensor:
        """``Q'(s', a*)`` from both networks' raw outputs on ``s'``, as ``td_target`` selects it: ``a*``
        maximises the online Q (double DQN; V and mean(A) are the same for every action, so A alone
        decides) or the target network's."""
        if not double:
            return self.online.head.combine(y_target).max(1).values
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

    def backward(self, inputs: list[torch.Tensor], dy: torch.Tensor) -> None:
        """Write ``∂loss/∂θ`` into the parameters' ``.grad`` given ``dy = ∂loss/∂y`` for the first
        ``len(dy)`` rows of the forward pass that produced ``inputs``."""
        if self.params[0].grad is not self.grads[0]:  # (again, after a zero_grad elsewhere)
            for p, g in zip(self.params, self.grads):
                p.grad = g
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


class NumpyQ:
    """Q-values of an MLP :class:`QNetwork` on a CPU computed in numpy, for acting only.

    One greedy action through torch costs ~40-60 µs of dispatch for a few thousand multiply-adds;
    numpy on views of the same parameter memory (the optimizer updates it in place, so the views stay
    current) takes ~10 µs. The views are remade when a parameter has moved to new memory (``.to()``,
    ``load_state_dict(assign=True)``), which a check of the data pointers finds.
    """

    def __init__(self, net: QNetwork) -> None:
        self.linears = _linears(net)
        self.scale = float(net.encoder.scale)
        self.dueling = bool(net.head.dueling)
        self._ptrs: tuple[int, ...] = ()
        self._views: list[tuple[np.ndarray, np.ndarray]] = []

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        ptrs = tuple(p.data_ptr() for m in self.linears for p in (m.weight, m.bias))
        if ptrs != self._ptrs:
            self._views = [(m.weight.detach().numpy().T, m.bias.detach().numpy()) for m in self.linears]
            self._ptrs = ptrs
        views = self._views
        x = obs.reshape(len(obs), -1).astype(np.float32, copy=False)
        if self.scale != 1.0:
            x = x * np.float32(self.scale)
        for wt, b in views[:-1]:
            x = x @ wt
            x += b
            np.maximum(x, 0.0, out=x)
        wt, b = views[-1]
        y = x @ wt
        y += b
        return dueling_q(y) if self.dueling else y


def fused_adam_step(optimizer: torch.optim.Optimizer) -> None:
    """``optimizer.step()`` for a fused Adam, without the ~100 µs of Python around its one kernel.

    When the optimizer is a plain fused Adam (one group, no amsgrad, maximize, weight decay or grad
    scaling) whose state exists and whose parameters all have dense gradients on the CPU, and torch is
    in :data:`FUSED_ADAM_TORCH`, this calls ``torch._fused_adam_`` with the arguments ``step`` passes,
    so the update is the same; anything else (the first step, which creates the state, included) goes
    through ``optimizer.step()``. Param-group keys a torch release lacks read as off.
    """
    groups = optimizer.param_groups
    group: dict[str, Any] = groups[0]
    if (not _KERNEL_OK or len(groups) != 1 or not isinstance(optimizer, torch.optim.Adam)
            or not group.get("fused") or torch.is_tensor(group["lr"])
            or any(group.get(key) for key in ("amsgrad", "maximize", "capturable", "differentiable",
                                              "weight_decay", "decoupled_weight_decay"))
            or getattr(optimizer, "grad_scale", None) is not None):
        optimizer.step()
        return
    params, state = group["params"], optimizer.state
    grads, exp_avgs, exp_avg_sqs, steps = [], [], [], []
    for p in params:
        s = state.get(p)
        if p.grad is None or p.grad.is_sparse or not s or p.device.type != "cpu":
            optimizer.step()
            return
        grads.append(p.grad)
        exp_avgs.append(s["exp_avg"])
        exp_avg_sqs.append(s["exp_avg_sq"])
        steps.append(s["step"])
    beta1, beta2 = group["betas"]
    with torch.no_grad():
        torch._foreach_add_(steps, 1)
        torch._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False, lr=group["lr"],
                           beta1=float(beta1), beta2=float(beta2), weight_decay=0.0, eps=group["eps"],
                           maximize=False, grad_scale=None, found_inf=None)
