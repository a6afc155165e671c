"""Pixel games in the terminal: the preview is the observation (no second render a step), Atari drawn
with its wide pixels."""

import numpy as np
from rich.console import Console

from rltui.play.realtime import frame_of
from rltui.play.render_terminal import ATARI_PIXEL_ASPECT, HalfBlockFrame
from rltui.play.session import HumanSession


def test_carracing_preview_is_its_observation_without_rendering_again(monkeypatch):
    session = HumanSession("CarRacing", seed=0, render=True)
    session.reset()
    session.step(3)
    calls = []
    monkeypatch.setattr(session.env, "render", lambda: calls.append(1))
    frame = frame_of(session)
    assert calls == []  # CarRacing's render() cost as much as a step
    assert isinstance(frame.view, np.ndarray) and frame.view.shape == (96, 96, 3)
    assert np.array_equal(frame.view, session.obs) and frame.view is not session.obs
    session.close()


def test_atari_frames_use_the_width_their_pixels_had():
    console = Console(width=48, height=20, color_system="truecolor", force_terminal=True)
    frame = np.zeros((210, 160, 3), dtype=np.uint8)
    widths = []
    for aspect in (1.0, ATARI_PIXEL_ASPECT):
        with console.capture() as capture:
            console.print(HalfBlockFrame(frame, max_rows=18, centre=False, pixel_aspect=aspect))
        widths.append(max(line.count("▀") for line in capture.get().splitlines()))
    assert widths[0] <= 30 and widths[1] >= 45  # square pixels left a third of the width unused
