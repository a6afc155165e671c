"""Layout snapshots of every screen at 80×24 and 120×40 (pytest-textual-snapshot; SVGs in __snapshots__).

Everything on screen is made deterministic: fixed seeds, a seeded tabular run, and the few things
that vary run to run (speeds, clocks, dates, temporary paths) replaced by fixed text before the shot.
Review a change with ``pytest tests/test_tui_snapshots.py --snapshot-report`` and accept it with
``--snapshot-update``.
"""

import asyncio
import dataclasses

import pytest
from rich.text import Text
from test_tui_support import screen_text, train_quick_run

from rltui.tui.app import RltuiApp

SIZES = [(80, 24), (120, 40)]


async def _settle(pilot, until, seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if until():
            break
        await asyncio.sleep(0.05)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_pick(snap_compare, size):
    async def ready(pilot):
        await pilot.press("down", "down")  # FrozenLake4x4
        await _settle(pilot, lambda: "Discrete(16)" in screen_text(pilot.app))

    assert snap_compare(RltuiApp(), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_play_frozenlake(snap_compare, size):
    app = RltuiApp(start=("play", "FrozenLake4x4-NoSlip"), play_seed=0)
    assert snap_compare(app, terminal_size=size, press=["right", "right", "down"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_play_cartpole(snap_compare, size):
    app = RltuiApp(start=("play", "CartPole"), play_seed=0)
    assert snap_compare(app, terminal_size=size, press=["right"] * 6)


# The Train snapshot must not change when someone tunes rltui/presets/q.toml: pin the preset here.
FIXED_Q_PRESET = {
    "alpha": 0.1, "gamma": 0.99, "epsilon_start": 1.0, "epsilon_end": 0.05, "epsilon_decay_steps": 2000,
    "q_init": 0.5, "train": {"steps": 3000, "eval_every": 0},
}


def pin_q_preset() -> None:
    """Pin the q preset in this process (and, as the Train screen's CHILD_SETUP, in the training process)."""
    from rltui.training import presets

    real = presets.load_file
    presets.load_file = lambda algo: FIXED_Q_PRESET if algo == "q" else real(algo)


@pytest.fixture
def fixed_presets(monkeypatch):
    from rltui.training import presets
    from rltui.tui.screens import train

    monkeypatch.setattr(presets, "load_file", presets.load_file)  # undone after the test
    pin_q_preset()
    monkeypatch.setattr(train, "CHILD_SETUP", pin_q_preset)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_train_after_a_run(snap_compare, size, fixed_presets):
    async def train(pilot):
        screen = pilot.app.screen
        await pilot.pause()
        await pilot.press("s")
        await _settle(pilot, lambda: screen.finished is not None and screen.q_panel.q_star is not None)
        await pilot.pause(0.2)
        stats = screen.query_one("#stats")  # the real panel, its clock and speed fixed
        stats.progress = dataclasses.replace(stats.progress, elapsed_s=12.0, steps_per_s=1500.0)
        pilot.app.clear_notifications()  # "saved to <temporary path>"
        await pilot.pause()

    app = RltuiApp(start=("train", "FrozenLake4x4"))
    assert snap_compare(app, terminal_size=size, run_before=train)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_runs(snap_compare, size, fixed_presets):
    train_quick_run()

    async def mask(pilot):
        await pilot.press("r")
        await pilot.pause()
        table = pilot.app.screen.query_one("#runs-table")
        table.update_cell("1", "started", "01-01 12:00")
        pilot.app.screen.query_one("#run-info").update(
            Text("run #1 · FrozenLake4x4 · q · seed 0 · cpu\ncheckpoint: (temporary path masked)"))
        await pilot.pause()

    assert snap_compare(RltuiApp(), terminal_size=size, run_before=mask)


def test_help(snap_compare):
    app = RltuiApp(start=("play", "Taxi"), play_seed=0)
    assert snap_compare(app, terminal_size=(80, 24), press=["question_mark"])
