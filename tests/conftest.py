"""Test-wide settings: no real display for pygame, no writes to the user's real data dir, and one
terminal size for everything that reads it (Rich, argparse, shutil.get_terminal_size), so no test's
outcome depends on the terminal pytest was started from."""

import os

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


@pytest.fixture(scope="session", autouse=True)
def _session_data_dir(tmp_path_factory):
    """Module- and session-scoped fixtures (a checkpoint trained once per file) run before any
    function-scoped fixture: without this they wrote runs into the user's real data dir, and a store
    left there by another rltui version failed them."""
    patch = pytest.MonkeyPatch()
    patch.setenv("RLTUI_DATA", str(tmp_path_factory.mktemp("session-data")))
    patch.setenv("COLUMNS", "80")
    patch.setenv("LINES", "24")
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RLTUI_DATA", str(tmp_path / "rltui-data"))
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
