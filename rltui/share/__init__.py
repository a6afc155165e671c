"""Results that leave rltui: videos, TensorBoard/CSV curves and plots, Minari datasets, SB3 agents.

Each module imports its library (imageio, tensorboard, matplotlib, minari, stable-baselines3) only
inside the functions that need it, so these stay optional: the ``share`` extra installs them, and a
missing one is a one-line error naming the extra (:func:`require`). The layer sits above ``play``
(it replays episodes in the same envs the faces use) and below the CLI and the app.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from rltui.errors import RltuiError

EXTRA = "share"


def require(module: str, what: str) -> ModuleType:
    """Import ``module`` or say in one line which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.split(".")[0].replace("_", "-")
        raise RltuiError(f"{what} needs {package}: pip install -e \".[{EXTRA}]\"") from None
