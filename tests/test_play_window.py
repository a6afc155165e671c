"""The pygame window: its output never reaches the terminal, a lost window is said and reopened on
demand, and the window takes p, r and esc as the terminal does."""

import subprocess
import sys
import time

from test_tui_support import sync

from rltui.play import viewer as viewer_module
from rltui.play.realtime import GameLoop
from rltui.play.session import HumanSession
from rltui.play.viewer import ViewerEvent


class FakeViewer:
    """A window that is open until :attr:`gone` is set, with key events to hand out."""

    instances: list = []

    def __init__(self, title: str = "") -> None:
        self.events: list[ViewerEvent] = []
        self.gone = False
        self.error = None
        self.closed_here = False
        FakeViewer.instances.append(self)

    def start(self) -> bool:
        return True

    @property
    def running(self) -> bool:
        return not self.gone and not self.closed_here

    @property
    def lost(self) -> bool:
        return self.gone

    def show(self, frame) -> None:
        pass

    def poll(self):
        out, self.events = self.events, []
        return out

    def close(self) -> None:
        self.closed_here = True


def test_the_window_process_prints_nothing_on_the_terminal():
    code = ("import os, sys; from rltui.play.viewer import _silence_output; _silence_output(); "
            "print('from python'); os.write(2, b'XIO: fatal IO error\\n'); sys.stderr.write('more')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout == "" and out.stderr == ""


def test_window_keys_p_r_and_esc():
    session = HumanSession("CartPole", seed=0)
    fake = FakeViewer()
    seen = []
    loop = GameLoop(session, 200, on_step=lambda f: None, viewer=fake)
    loop.on_window_key = seen.append
    loop.start()
    fake.events = [ViewerEvent("down", "p")]
    for _ in range(100):
        if loop.paused:
            break
        time.sleep(0.02)
    assert loop.paused
    fake.events = [ViewerEvent("down", "p"), ViewerEvent("down", "escape")]
    for _ in range(100):
        if seen and not loop.paused:
            break
        time.sleep(0.02)
    assert seen == ["escape"] and not loop.paused
    loop.stop()
    session.close()


@sync
async def test_a_lost_window_is_reported_and_o_reopens_it(monkeypatch):
    from rltui.tui.app import RltuiApp
    from rltui.tui.screens import play

    FakeViewer.instances.clear()
    monkeypatch.setattr(play, "Viewer", FakeViewer)
    monkeypatch.setattr(viewer_module, "Viewer", FakeViewer)
    app = RltuiApp(start=("play", "CarRacing"))
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(100):
            if isinstance(app.screen, play.PlayScreen) and app.screen.last is not None:
                break
            await pilot.pause(0.05)
        screen = app.screen
        assert screen.viewer is FakeViewer.instances[0] and "keys there are held" in screen.notice
        FakeViewer.instances[0].gone = True  # killed from outside
        for _ in range(100):
            if screen.viewer is None:
                break
            await pilot.pause(0.05)
        assert screen.viewer is None and "window is gone" in screen.notice and "o opens it" in screen.notice
        await pilot.press("o")
        assert screen.viewer is FakeViewer.instances[1] and screen.loop.viewer is screen.viewer
        screen.shutdown()
