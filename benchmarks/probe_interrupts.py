"""Probe: does a training run keep what it learned however it ends? (issue 11, trainer side)

Run from the repository root (about 2 minutes on 2 cores):

    python benchmarks/probe_interrupts.py            # q on FrozenLake8x8 and dqn on CartPole
    python benchmarks/probe_interrupts.py --reps 2   # each signal twice per agent

Each trial starts ``rltui train ENV --checkpoint-every 2s`` in its own data dir, waits a random 2.5-5 s
after the first step, then sends SIGKILL, SIGTERM, SIGHUP or SIGINT. It then checks what a user would:
the run's status in ``rltui runs``, that the checkpoint loads, how many steps a kill -9 lost (the steps
the store held at the kill minus the checkpoint's: the store is flushed about once a second, so this
is up to a second short), that no traceback was printed, and, for kill -9, that ``--resume RUN``
carries the same run on to the end.
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import describe  # noqa: E402

from rltui.training.checkpoints import load_checkpoint  # noqa: E402
from rltui.training.store import RunStore  # noqa: E402

AGENTS = (("FrozenLake8x8", "q"), ("CartPole", "dqn"))
SIGNALS = ("SIGKILL", "SIGTERM", "SIGHUP", "SIGINT")


def _rltui(data: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rltui", "--data-dir", str(data), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _latest_run(data: Path) -> dict | None:
    db = data / "rltui.sqlite3"
    if not db.exists():
        return None
    with RunStore(db) as store:
        runs = store.list_runs(limit=1)
        return runs[0] if runs else None


def trial(env: str, algo: str, how: str, rng: random.Random, root: Path) -> dict:
    data = Path(tempfile.mkdtemp(prefix=f"{algo}-{how}-", dir=root))
    out = data / "agent"
    proc = _rltui(data, "train", env, "--algo", algo, "--steps", "1000000000", "--eval-every", "0",
                  "--checkpoint-every", "2s", "--device", "cpu", "--quiet", "--out", str(out))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = _latest_run(data)
        if run is not None and run["steps"] > 0:
            break
        time.sleep(0.05)
    time.sleep(rng.uniform(2.5, 5.0))
    at_kill = _latest_run(data)["steps"]
    proc.send_signal(getattr(signal, how))
    try:
        _, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
        stderr += "\n(did not end within 120 s)"
    run = _latest_run(data)
    result = {"agent": f"{algo} {env}", "signal": how, "exit": proc.returncode, "status": run["status"],
              "traceback": "Traceback" in stderr, "kept": False, "lost": None, "resumed": None}
    with RunStore(data / "rltui.sqlite3") as store:
        path = store.latest_checkpoint(run["id"])
    if path:
        try:
            _, header = load_checkpoint(path)
            result["kept"] = True
            result["lost"] = max(0, at_kill - int(header["run_steps"])) if how == "SIGKILL" else 0
        except Exception as exc:  # noqa: BLE001 - a probe reports, it does not stop
            result["error"] = str(exc)
    if how == "SIGKILL" and result["kept"]:
        done = subprocess.run([sys.executable, "-m", "rltui", "--data-dir", str(data), "train", env, "--resume",
                               str(run["id"]), "--steps", str(int(header["run_steps"]) + 500), "--quiet"],
                              capture_output=True, text=True, timeout=300)
        again = _latest_run(data)
        result["resumed"] = (done.returncode == 0 and again["id"] == run["id"] and again["status"] == "finished")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(describe())
    print("command: python benchmarks/probe_interrupts.py " + " ".join(sys.argv[1:]))
    rng = random.Random(args.seed)
    results = []
    with tempfile.TemporaryDirectory(prefix="rltui-probe-") as root:
        for _ in range(args.reps):
            for env, algo in AGENTS:
                for how in SIGNALS:
                    r = trial(env, algo, how, rng, Path(root))
                    results.append(r)
                    print(f"{r['agent']:<18} {how:<8} exit {r['exit']!s:>4}  status {r['status']:<12} "
                          f"checkpoint {'loads' if r['kept'] else 'LOST':<6} lost steps {r['lost']!s:>6}  "
                          f"resumed {r['resumed']!s:<5} traceback {r['traceback']}", flush=True)
    kept = sum(r["kept"] for r in results)
    stopped = sum(r["status"] == "stopped" for r in results if r["signal"] != "SIGKILL")
    graceful = sum(r["signal"] != "SIGKILL" for r in results)
    kills = [r for r in results if r["signal"] == "SIGKILL"]
    print(f"\ntrials {len(results)}: checkpoint kept and loadable in {kept}; SIGTERM/SIGHUP/SIGINT recorded "
          f"'stopped' in {stopped}/{graceful}; kill -9 shown interrupted in "
          f"{sum(r['status'] == 'interrupted' for r in kills)}/{len(kills)}, resumed as the same run in "
          f"{sum(bool(r['resumed']) for r in kills)}/{len(kills)}, lost at most "
          f"{max((r['lost'] or 0) for r in kills) if kills else 0} steps; tracebacks "
          f"{sum(r['traceback'] for r in results)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
