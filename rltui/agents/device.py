"""Choose the torch device: ``cuda`` when present, else ``mps``, else ``cpu``; always overridable."""

from __future__ import annotations

from rltui.errors import RltuiError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(requested: str = "auto") -> str:
    """The concrete device for ``requested``; asking for one that is absent is a one-line error."""
    requested = (requested or "auto").lower()
    base = requested.split(":")[0]
    if base not in DEVICE_CHOICES:
        raise RltuiError(f"unknown device {requested!r}; valid: {', '.join(DEVICE_CHOICES)}")
    if base == "cpu":
        return "cpu"
    import torch

    cuda = torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if base == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    if base == "cuda" and not cuda:
        raise RltuiError("--device cuda asked for, but torch sees no CUDA GPU (try --device auto)")
    if base == "mps" and not mps:
        raise RltuiError("--device mps asked for, but this torch has no MPS backend (try --device auto)")
    return requested
