"""Where rltui keeps its data: one folder holding the run store, checkpoints and logs.

Precedence: an explicit override (the ``--data-dir`` flag) > ``$RLTUI_DATA`` > the platform's user data
dir (``platformdirs.user_data_dir("rltui")``). Tests point ``$RLTUI_DATA`` at a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from rltui.errors import RltuiError

ENV_VAR = "RLTUI_DATA"


def data_dir(override: str | None = None, *, create: bool = True) -> Path:
    """The data folder, created if needed (unless ``create`` is false: read-only commands create
    nothing); one that cannot be created is a one-line error."""
    raw = override or os.environ.get(ENV_VAR)
    if raw:
        path = Path(raw).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir("rltui"))
    if not create:
        return path
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RltuiError(f"cannot create the data dir {path}: {exc.strerror or exc}") from exc
    if not path.is_dir():
        raise RltuiError(f"the data dir {path} is not a folder")
    return path


def checkpoints_dir(override: str | None = None) -> Path:
    path = data_dir(override) / "checkpoints"
    path.mkdir(exist_ok=True)
    return path


def logs_dir(override: str | None = None) -> Path:
    path = data_dir(override) / "logs"
    path.mkdir(exist_ok=True)
    return path
