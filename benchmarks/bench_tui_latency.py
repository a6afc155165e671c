"""Does the app stay responsive while it trains, and does training in the app keep the headless speed?

Two figures, measured on this machine in a real terminal (tmux), not in a headless test harness:

* **key latency**: while DQN trains on CartPole inside the app, send `?` (opens the help) and `?` again
  (closes it) through tmux, and time from sending until the app has written the frame that shows the
  change to the terminal (the app logs that moment; the benchmark does not poll the screen, which would
  itself load a 2-core machine). Includes tmux's delivery of the key. ``--close-key Escape`` closes with
  escape instead, which adds the terminal's escape delay: a lone ESC byte could be the start of an
  arrow key's sequence, so Textual waits ``$ESCDELAY`` ms (100 by default, as vim's ttimeoutlen) for
  more bytes before it calls it a key.
* **training speed**: env steps per second of the same run (same env, algorithm, seed, steps and
  presets) started from the app's Train screen and from the headless ``rltui train``, both read from
  the run store (``steps / (ended - started)``).

Run:  ``python benchmarks/bench_tui_latency.py [--algo dqn] [--steps 20000] [--presses 60]``
Needs tmux. Prints one summary block; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SESSION = "rltui-bench"


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def _screen() -> str:
    return _tmux("capture-pane", "-p", "-t", SESSION)


def _wait_for(predicate, timeout: float = 30.0, poll: float = 0.002) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if predicate(_screen()):
            return time.perf_counter() - start
        time.sleep(poll)
    raise TimeoutError("the screen did not change in time")


def _run_stats(data_dir: Path, env: str) -> dict:
    sys.path.insert(0, str(ROOT))
    from rltui.training.store import RunStore

    with RunStore.open(str(data_dir)) as store:
        runs = [r for r in store.list_runs(limit=10) if r["env"] == env]
    run = runs[0]
    return {"id": run["id"], "status": run["status"], "steps": run["steps"],
            "seconds": run["ended"] - run["started"], "device": run["device"]}


def headless(env: str, algo: str, steps: int, data_dir: Path) -> dict:
    cmd = [sys.executable, "-m", "rltui", "--data-dir", str(data_dir), "train", env, "--algo", algo,
           "--steps", str(steps), "--seed", "0", "--device", "cpu", "--quiet"]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    return _run_stats(data_dir, env)


def child(env: str, algo: str, steps: int, data_dir: str) -> None:
    """Runs inside tmux: the real app on the Train screen, which fills in the form and starts."""
    from rltui.tui.app import RltuiApp


    class BenchApp(RltuiApp):
        def on_mount(self) -> None:  # Textual also runs RltuiApp.on_mount (handlers run along the MRO)
            self.set_timer(1.0, self._go)

        def _go(self) -> None:
            screen = self.screen
            screen.query_one("#hp-steps").value = str(steps)
            screen.query_one("#hp-device").value = "cpu"
            self.call_after_refresh(screen.action_start)

    from rltui.tui.screens.help import HelpScreen

    log = Path(data_dir) / "frames.log"
    shown = {"help": False}
    original = RltuiApp._display

    def display(self, screen, renderable) -> None:
        """Note the wall time at which a frame with the help opened/closed is written to the terminal."""
        original(self, screen, renderable)
        now_help = isinstance(self.screen, HelpScreen)
        if renderable is not None and now_help != shown["help"]:
            shown["help"] = now_help
            with open(log, "a") as fh:
                fh.write(f"{time.time()} {int(now_help)}\n")

    RltuiApp._display = display
    BenchApp(data_dir, start=("train", env)).run()


def in_app(env: str, algo: str, steps: int, presses: int, data_dir: Path,
           poll: float = 0.005, close_key: str = "?") -> tuple[dict, list[float]]:
    prefs = data_dir / "ui.json"
    prefs.write_text(f'{{"algo": {{"{env}": "{algo}"}}}}')
    cmd = (f"cd {ROOT} && {sys.executable} {Path(__file__).resolve()} --child --env {env} --algo {algo} "
           f"--steps {steps} --data-dir {data_dir}")
    _tmux("new-session", "-d", "-s", SESSION, "-x", "80", "-y", "24", cmd)
    latencies: list[float] = []
    try:
        _wait_for(lambda s: "training" in s and "steps/s" in s, timeout=120)
        time.sleep(1.0)
        log = data_dir / "frames.log"
        for _ in range(presses):
            if "training" not in _screen():
                break
            for key in ("?", close_key):
                seen = len(log.read_text().splitlines()) if log.exists() else 0
                sent = time.time()
                _tmux("send-keys", "-t", SESSION, key)
                deadline = time.time() + 10
                while time.time() < deadline:  # the app writes the frame's time: no screen polling
                    lines = log.read_text().splitlines() if log.exists() else []
                    if len(lines) > seen:
                        latencies.append(float(lines[seen].split()[0]) - sent)
                        break
                    time.sleep(poll)
                time.sleep(0.1)
        _wait_for(lambda s: "finished" in s, timeout=3600, poll=0.5)
        time.sleep(0.5)
    finally:
        _tmux("send-keys", "-t", SESSION, "C-q")
        time.sleep(1.0)
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    return _run_stats(data_dir, env), latencies


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="CartPole")
    parser.add_argument("--algo", default="dqn")
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--presses", type=int, default=40, help="help open/close cycles (2 samples each)")
    parser.add_argument("--repeats", type=int, default=2, help="headless/app speed pairs, interleaved")
    parser.add_argument("--close-key", default="?", help="tmux key name that closes the help (e.g. Escape)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.env, args.algo, args.steps, args.data_dir)
        return
    if shutil.which("tmux") is None:
        sys.exit("this benchmark needs tmux")
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    load_before = os.getloadavg()[0]
    head_rates, app_rates = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):  # interleaved, so a busy spell on the machine hits both alike
            a, b = Path(tmp, f"headless{i}"), Path(tmp, f"app{i}")
            a.mkdir()
            b.mkdir()
            head = headless(args.env, args.algo, args.steps, a)
            head_rates.append(head["steps"] / head["seconds"])
            app, _ = in_app(args.env, args.algo, args.steps, 0, b)
            app_rates.append(app["steps"] / app["seconds"])
        c = Path(tmp, "latency")
        c.mkdir()
        busy, lat = in_app(args.env, args.algo, args.steps, args.presses, c, close_key=args.close_key)
    ms = [x * 1000 for x in lat]
    print(f"machine: {os.cpu_count()} cores, {sys.platform}, python {sys.version.split()[0]}; "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"run: {args.algo} on {args.env}, {args.steps:,} steps, seed 0, device {busy['device']}")
    print("headless rltui train : " + ", ".join(f"{r:.0f}" for r in head_rates) + " steps/s")
    print("in the app (no keys) : " + ", ".join(f"{r:.0f}" for r in app_rates) + " steps/s")
    ratio = statistics.median(app_rates) / statistics.median(head_rates)
    print(f"ratio app/headless   : {ratio:.3f} (medians)")
    print(f"in the app, keys sent: {busy['steps'] / busy['seconds']:.0f} steps/s while the latency was measured")
    if ms:
        print(f"key → screen latency : n={len(ms)} median {statistics.median(ms):.1f} ms, p95 {_p95(ms):.1f} ms, "
              f"max {max(ms):.1f} ms (tmux send-keys → the app writes the frame)")
        for name, part in (("? opens", ms[0::2]), (f"{args.close_key} closes", ms[1::2])):
            print(f"  {name:12s}: median {statistics.median(part):.1f} ms, p95 {_p95(part):.1f} ms")


if __name__ == "__main__":
    main()
