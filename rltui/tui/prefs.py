"""The app's small memory between sessions: the last env picked and the last algorithm per env.

A JSON file next to the run store. Losing it costs nothing, so a missing or corrupt file reads as empty
and a failed write is ignored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class Prefs:
    def __init__(self, directory: str | os.PathLike | None) -> None:
        self.path = Path(directory) / "ui.json" if directory is not None else None
        self.data: dict[str, Any] = {}
        if self.path is not None:
            try:
                loaded = json.loads(self.path.read_text())
                self.data = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                self.data = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data, indent=1))
            tmp.replace(self.path)
        except OSError:
            pass
