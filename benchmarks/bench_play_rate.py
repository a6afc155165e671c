"""Terminal play rate of a real-time env: how many steps a second the Play screen's game loop reaches,
and where a step's time goes.

Runs the same pieces the Play screen runs, without the terminal: a HumanSession built as Play builds
it, the GameLoop at the env's own frame rate (no key held: the noop action), and a consumer that turns
every published frame into the half-block preview at 80×24 size (~48×20 cells) at most 30 times a
second, as the FrameView paints it. Prints the achieved steps/s against the target and a breakdown
of one step (env.step, the frame the preview shows, the preview).

    PYTHONPATH=. python benchmarks/bench_play_rate.py [--env CarRacing] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

from _machine import describe  # noqa: E402
from rich.console import Console  # noqa: E402

from rltui.envs import get_entry  # noqa: E402
from rltui.play.realtime import GameLoop, frame_of  # noqa: E402
from rltui.play.render_terminal import HalfBlockFrame  # noqa: E402
from rltui.play.session import HumanSession  # noqa: E402


def preview(console: Console, frame) -> None:
    with console.capture():
        console.print(HalfBlockFrame(frame, max_rows=20))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--env", default="CarRacing")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    entry = get_entry(args.env)
    console = Console(width=48, height=20, color_system="truecolor", force_terminal=True)

    # where a step's time goes (outside the loop, 100 steps)
    session = HumanSession(entry.name, seed=0, render=True)
    session.reset()
    t_step = t_frame = t_preview = 0.0
    n = 100
    for _ in range(n):
        a = time.perf_counter()
        session.step(entry.noop_action or 0)
        b = time.perf_counter()
        frame = frame_of(session)
        c = time.perf_counter()
        preview(console, frame.view)
        d = time.perf_counter()
        t_step, t_frame, t_preview = t_step + b - a, t_frame + c - b, t_preview + d - c
    session.close()
    print(f"{entry.name}: per step env.step {1000 * t_step / n:.1f} ms · frame for the preview "
          f"{1000 * t_frame / n:.1f} ms · half-block preview {1000 * t_preview / n:.1f} ms")

    # the loop as Play runs it
    session = HumanSession(entry.name, seed=0, render=True)
    latest: list = [None]
    lock = threading.Condition()

    def on_step(frame) -> None:
        with lock:
            latest[0] = frame
            lock.notify()

    loop = GameLoop(session, entry.fps, on_step=on_step)
    stop = threading.Event()

    def painter() -> None:  # the UI thread: paint the newest frame, at most 30 times a second
        while not stop.is_set():
            with lock:
                lock.wait(0.1)
                frame = latest[0]
            if frame is not None and frame.view is not None:
                preview(console, frame.view)
            time.sleep(1 / 30)

    paint = threading.Thread(target=painter, daemon=True)
    paint.start()
    loop.start()
    time.sleep(1.0)  # warm up (first episode's track)
    start_steps, start = session.step_count + 1000 * session.episodes_played, time.monotonic()
    time.sleep(args.seconds)
    steps = session.step_count + 1000 * session.episodes_played - start_steps
    elapsed = time.monotonic() - start
    loop.stop()
    stop.set()
    session.close()
    print(f"{entry.name}: Play's loop ran {steps / elapsed:.1f} steps/s (target {entry.fps}) over {elapsed:.0f} s")
    print(describe())


if __name__ == "__main__":
    main()
