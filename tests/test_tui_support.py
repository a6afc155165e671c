"""Helpers the Textual tests share (Pilot tests run under plain asyncio; screen text; a quick run)."""

import asyncio
import functools

from textual import events


def sync(test):
    """Run an async Pilot test with asyncio (no async pytest plugin needed)."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return run


def screen_text(app) -> str:
    """What the terminal shows now, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def widget_text(widget) -> str:
    """A widget's whole content as plain text, unwrapped: for messages whose line breaks on screen
    depend on the terminal's width or on what they quote (a temp path's length), so a test never does."""
    from rich.console import Console

    content = getattr(widget, "content", None)
    if content is None:
        content = widget.render()
    if isinstance(content, str):
        return content
    plain = getattr(content, "plain", None)
    if isinstance(plain, str):
        return plain
    console = Console(width=10_000, color_system=None, legacy_windows=False)
    with console.capture() as capture:
        console.print(content, soft_wrap=True)
    return capture.get()


async def tap(pilot, key: str) -> None:
    """Press a key without Pilot's wait-for-idle (which waits a second per key while training keeps the
    CPU busy): the same event the terminal driver sends."""
    pilot.app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
    await pilot.pause(0.05)


async def start_and_wait_finished(pilot, steps: int, seconds: float = 60.0):
    """On the Train screen: set the step budget, start, and wait for the run's Finished event."""
    screen = pilot.app.screen
    screen.query_one("#hp-steps").value = str(steps)
    await pilot.pause()
    await pilot.press("s")
    for _ in range(int(seconds / 0.1)):
        await pilot.pause(0.1)
        if screen.finished is not None:
            break
    assert screen.finished is not None and screen.finished.status == "finished", screen.finished
    return screen.finished


def train_quick_run(env: str = "FrozenLake4x4", steps: int = 2000) -> int:
    """A small finished tabular run in the test's data dir (what `rltui train` would leave)."""
    from rltui.training.config import TrainConfig
    from rltui.training.trainer import Trainer

    trainer = Trainer(TrainConfig(env, "q", steps=steps, seed=0))
    assert trainer.run().status == "finished"
    return trainer.run_id


def test_helpers_read_the_screen():
    from rltui.tui.app import RltuiApp

    @sync
    async def check():
        app = RltuiApp()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "FrozenLake4x4" in screen_text(app)

    check()
