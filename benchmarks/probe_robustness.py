"""Probe rltui as a careful tester would: bad command lines, hostile checkpoint files, crafted run stores.

Every case runs ``rltui`` in its own subprocess (``python -m rltui``, so the code on ``PYTHONPATH`` is
what runs) with a private data dir, and is classified by what a person would see:

* ``ok``: a case that should work did (exit 0; a crafted store still lists its readable runs);
* ``one-line error``: bad input refused with exit != 0 and exactly one line on stderr, no traceback;
* ``traceback``: a Python traceback anywhere, or a death by signal;
* ``silently accepted``: bad input that exited 0 as if nothing were wrong;
* ``late failure``: bad input that started a run which then failed (a table, not one line up front);
* ``hang``: still running after the time limit; ``escape leaked``: an ESC/BEL from a file reached stdout;
* ``memory``: a case whose peak RSS passed --max-rss-mb.

    PYTHONPATH=. python benchmarks/probe_robustness.py            # all classes, 2 cases at a time
    PYTHONPATH=. python benchmarks/probe_robustness.py --only store --jobs 1 -v

It prints the counts per class, then every case that was not as expected, then the machine. Exit status
1 when any case is a traceback, hang, silent acceptance, leak or memory blow-up.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ERROR, OK, EITHER = "error", "ok", "either"  # what a case should do (EITHER: work, or one clear line)


@dataclass
class Case:
    klass: str  # "cli", "hparams", "checkpoint", "store"
    name: str
    argv: list[str]
    expect: str = ERROR
    data: str | None = None  # data dir (default: the probe's clean one)
    timeout: float = 90.0
    must_show: str | None = None  # for ok cases: text stdout must hold (e.g. a readable run's env)


@dataclass
class Outcome:
    case: Case
    verdict: str
    rc: int | None
    seconds: float
    rss_mb: float
    detail: str = ""
    extra: list[str] = field(default_factory=list)


# -- running ------------------------------------------------------------------------------------------
def run_case(case: Case, env: dict[str, str], max_rss_mb: float) -> Outcome:
    data = case.data or env["RLTUI_DATA"]
    argv = [sys.executable, "-m", "rltui", "--data-dir", data, *case.argv]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                start_new_session=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(case.timeout, kill)
        timer.start()
        peak = [0]
        done = threading.Event()
        watcher = threading.Thread(target=_watch_rss, args=(proc.pid, peak, done), daemon=True)
        watcher.start()
        _, status, _ = os.wait4(proc.pid, 0)
        done.set()
        timer.cancel()
        watcher.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    rc = proc.returncode
    rss_mb = peak[0] / 1024
    lines = [line for line in stderr.splitlines() if line.strip()]
    tail = lines or [line for line in stdout.splitlines() if line.strip()] or [""]
    detail = tail[-1]
    extra = []
    if rss_mb > max_rss_mb:
        extra.append("memory")
    if "\x1b]" in stdout or "\x07" in stdout or "\x1b[2J" in stdout or "pwned" in stdout:
        extra.append("escape leaked")
    if timed_out.is_set():
        verdict = "hang"
    elif "Traceback (most recent call last)" in stderr + stdout or rc < 0:
        verdict = "traceback"
        tb = [line for line in (stderr + stdout).splitlines() if line.strip()]
        detail = tb[-1] if tb else f"signal {-rc}"
    elif case.expect == EITHER and rc != 0 and len(lines) == 1 and "error" in lines[0]:
        verdict = "one-line error"
    elif case.expect in (OK, EITHER):
        if rc == 0 and (case.must_show is None or case.must_show in stdout):
            verdict = "ok"
        elif rc != 0 and len(lines) == 1:
            verdict = "one-line error (expected it to work)"
        else:
            verdict = "not shown" if rc == 0 else "multi-line error"
    elif rc == 0:
        verdict = "silently accepted"
        detail = (stdout.strip().splitlines() or [""])[-1][:160]
    elif "status" in stdout and "failed" in stdout:
        verdict = "late failure"
        detail = next((line for line in stdout.splitlines() if "error" in line), detail)
    elif len(lines) == 1 and "error" in lines[0]:
        verdict = "one-line error"
    else:
        verdict = "multi-line error"
    return Outcome(case, verdict, rc, seconds, rss_mb, detail.strip()[:200], extra)


def _watch_rss(pid: int, peak: list[int], done: threading.Event) -> None:
    """The child's peak resident memory (VmHWM, kB), polled: rusage's maxrss would include the probe's
    own memory, which a forked child inherits in that count on Linux."""
    while not done.is_set():
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as fh:
                for line in fh:
                    if line.startswith("VmHWM:"):
                        peak[0] = max(peak[0], int(line.split()[1]))
        except (OSError, ValueError):
            pass
        done.wait(0.02)


# -- fixtures -----------------------------------------------------------------------------------------
def rltui(env: dict[str, str], data: str, *argv: str) -> None:
    subprocess.run([sys.executable, "-m", "rltui", "--data-dir", data, *argv], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=300)


def build_fixtures(root: Path, env: dict[str, str]) -> dict[str, Path]:
    """A clean data dir with three short runs and two good checkpoints (tabular and neural)."""
    data = root / "data"
    good_q = root / "good-q.npz"
    good_dqn = root / "good-dqn.pt"
    rltui(env, str(data), "train", "FrozenLake4x4", "--algo", "q", "--steps", "300", "--quiet", "--out", str(good_q),
          "--eval-every", "100", "--eval-episodes", "5")
    rltui(env, str(data), "train", "CliffWalking", "--algo", "sarsa", "--steps", "300", "--quiet")
    rltui(env, str(data), "train", "CartPole", "--algo", "dqn", "--steps", "300", "--quiet", "--out", str(good_dqn),
          "--set", "hidden=16", "--set", "learning_starts=100", "--set", "batch_size=32")
    return {"data": data, "q": good_q, "dqn": good_dqn}


# -- class 1: command-line values --------------------------------------------------------------------
BAD_NUMBERS = ["-1", "1e400", "inf", "-inf", "nan", "99999999999999999999", "9223372036854775808",
               "-9223372036854775809", "1.5", "abc", "", "0x10", "1_0e5x", "1e-300"]
FLOAT_FLAGS = ("--fps",)  # where 1.5 is a fine value


def cli_cases(fx: dict[str, Path]) -> list[Case]:
    q, dqn = str(fx["q"]), str(fx["dqn"])
    base = {
        "train": ["train", "FrozenLake4x4", "--algo", "q", "--quiet", "--steps", "50"],
        "eval": ["eval", q, "--episodes", "2"],
        "play": ["play", "FrozenLake4x4"],
        "runs": ["runs"],
        "compare": ["compare", "FrozenLake4x4", "--agent", q, "--no-save"],
        "explain": ["explain", "FrozenLake4x4", "--algo", "vi"],
        "episodes": ["episodes"],
    }
    flags = {
        "train": ["--steps", "--episodes", "--seed", "--n-envs", "--eval-every", "--eval-episodes", "--demo-passes",
                  "--checkpoint-every"],
        "eval": ["--episodes", "--seed", "--fps"],
        "play": ["--seed", "--episodes"],
        "runs": ["--limit"],
        "compare": ["--show", "--seeds"],
        "explain": ["--steps", "--seed", "--state"],
        "episodes": ["--limit", "--fps"],
    }
    cases = []
    for command, names in flags.items():
        for flag in names:
            for value in BAD_NUMBERS:
                if flag in FLOAT_FLAGS and value == "1.5":
                    continue
                argv = [a for a in base[command]]
                if flag in argv:  # replace the base value
                    i = argv.index(flag)
                    del argv[i:i + 2]
                cases.append(Case("cli", f"{command} {flag} {value!r}", [*argv, flag, value]))
    # positional ids and other values that reach SQLite or numpy
    for value in ["0", "-1", "99999999999999999999", "9223372036854775808", "1e3", "abc"]:
        cases.append(Case("cli", f"runs show {value!r}", ["runs", "show", value]))
        cases.append(Case("cli", f"episodes record {value!r}",
                          ["episodes", "record", value, str(fx["data"] / "x.gif")]))
    for seeds in ["0-99999999999999999999", "5-1", "-3", "0-100000", "1,1", "x", "", "0-9000,10000-19000",
                  "4294967296", "1e3"]:
        cases.append(Case("cli", f"compare --seeds {seeds!r}", [*base["compare"], "--seeds", seeds]))
    for extra in (["eval", q, "--seed", "4294967295", "--episodes", "5"], ["eval", "/nonexistent/x.npz"],
                  ["eval", str(fx["data"])], ["train", "Nowhere"], ["train", "FrozenLake4x4", "--algo", "dqn2"],
                  ["train", "CartPole", "--algo", "q"], ["train", "FrozenLake4x4", "--preset", "nope"],
                  ["train", "FrozenLake4x4", "--resume", "/nonexistent.npz"],
                  ["train", "FrozenLake4x4", "--resume", "99999999999999999999"],
                  ["train", "FrozenLake4x4", "--demos", "99999999999999999999"],
                  ["train", "FrozenLake4x4", "--demos", "x,y"], ["runs", "show"], ["runs", "bogus"],
                  ["compare", "--show", "999"], ["compare", "FrozenLake4x4"], ["eval", dqn, "--env", "Taxi"],
                  ["eval", q, "--device", "quantum"], ["train", "CartPole", "--algo", "dqn", "--device", "tpu9"],
                  ["runs", "export", "1", "/proc/forbidden/x"], ["presets", "nope"],
                  ["train", "FrozenLake4x4", "--quiet", "--steps", "50", "--out", "/proc/x.npz"],
                  ["train", "FrozenLake4x4", "--quiet", "--steps", "50", "--out", "x" * 300 + ".npz"]):
        cases.append(Case("cli", " ".join(extra)[:80], extra))
    # missing parent folders of --out are created: that is what a person means
    out = str(fx["data"] / "new" / "a" / "b.npz")
    cases.append(Case("cli", "train --out into missing folders",
                      ["train", "FrozenLake4x4", "--quiet", "--steps", "50", "--out", out], OK))
    return cases


# -- class 2: hyperparameters and env options ------------------------------------------------------------
HPARAMS = {
    "q": ["alpha", "alpha_power", "gamma", "epsilon_start", "epsilon_end", "epsilon_decay_steps", "q_init"],
    "vi": ["gamma", "tol"],
    "dqn": ["lr", "lr_final", "lr_decay_start", "lr_decay_steps", "gamma", "buffer_size", "batch_size",
            "learning_starts", "train_freq", "gradient_steps", "target_update_interval", "tau", "max_grad_norm",
            "eps_start", "eps_end", "eps_decay_steps", "adam_eps", "threads", "demo_margin", "n_step"],
    "drqn": ["lstm_size", "seq_len", "burn_in"],
}
ENVS = {"q": "FrozenLake4x4", "vi": "FrozenLake4x4", "dqn": "CartPole", "drqn": "MaskedCartPole"}
BAD_SETTINGS = ["nan", "inf", "-inf", "1e400", "99999999999999999999", "-99999999999999999999", "true", "[1]",
                '"x"']
MEMORY = {"dqn": ["n_step=1000000", "hidden=100000,100000", "hidden=4096,4096,4096,4096", "buffer_size=1000000000000",
                  "batch_size=1000000000", "threads=100000", "gradient_steps=100000000", "hidden=" + "8," * 100 + "8",
                  "adam_eps=0", "adam_eps=-1", "lr=0", "tau=0", "gamma=2", "hidden=0", "hidden=-5", "hidden=x"],
          "drqn": ["lstm_size=1000000", "seq_len=1000000", "burn_in=1000000", "batch_size=100000000"]}
ENV_OPTS = {"FrozenLake4x4": ["map_name=3x3", "map_name=1", "is_slippery=inf", "is_slippery=nan", "desc=1",
                              "desc=[\"SFFX\"]", "nonexistent=1", "max_episode_steps=-1", "max_episode_steps=1e400",
                              "render_mode=\"human\"", "success_rate=2"],
            "GridWorld5x5": ["size=100000", "size=-1", "size=1e400", "size=0"],
            "CartPole": ["max_episode_steps=99999999999999999999", "sutton_barto_reward=inf"]}


def hparam_cases() -> list[Case]:
    cases = []
    for algo, names in HPARAMS.items():
        env = ENVS[algo]
        for name in names:
            for value in BAD_SETTINGS:
                argv = ["train", env, "--algo", algo, "--quiet", "--steps", "50", "--set", f"{name}={value}"]
                cases.append(Case("hparams", f"{algo} --set {name}={value}", argv))
    for algo, settings in MEMORY.items():
        for setting in settings:
            cases.append(Case("hparams", f"{algo} --set {setting[:40]}",
                              ["train", ENVS[algo], "--algo", algo, "--quiet", "--steps", "50", "--set", setting]))
    for env, opts in ENV_OPTS.items():
        algo = "dqn" if env == "CartPole" else "q"
        for opt in opts:
            cases.append(Case("hparams", f"{env} --env-opt {opt[:40]}",
                              ["train", env, "--algo", algo, "--quiet", "--steps", "50", "--env-opt", opt]))
    for n_envs in ["100000", "0", "65"]:
        cases.append(Case("hparams", f"dqn --n-envs {n_envs}",
                          ["train", "CartPole", "--algo", "dqn", "--quiet", "--steps", "50", "--n-envs", n_envs]))
    return cases


# -- class 3: hostile checkpoint files --------------------------------------------------------------------
def _npy(array) -> bytes:
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=array.dtype == object)
    return buffer.getvalue()


def _zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


#: Hostile files that may load once their text is cleaned (or whose oddity is harmless): they must either
#: work with nothing leaking to the terminal, or be refused in one line.
HARMLESS = ("header-env-FrozenLake4x", "header-created-", "header-note", "pt-header-note-", "t-huge")


def hostile_checkpoints(fx: dict[str, Path], folder: Path) -> list[tuple[str, Path, str]]:
    """(name, file, env) for files made to break the loader."""
    import numpy as np
    import torch

    folder.mkdir()
    out: list[tuple[str, Path, str]] = []
    with np.load(fx["q"]) as data:
        arrays = {k: data[k] for k in data.files}
    header = json.loads(str(arrays["header"]))
    q = arrays["q"]

    def npz(name: str, head: object = header, **members: bytes) -> None:
        parts = {"header.npy": _npy(np.array(json.dumps(head))) if not isinstance(head, bytes) else head,
                 "q.npy": _npy(q)}
        parts.update({f"{k}.npy": v for k, v in members.items()})
        out.append((name, _zip(folder / f"{name}.npz", parts), "FrozenLake4x4"))

    good = fx["q"].read_bytes()
    for name, data in (("truncated", good[: len(good) // 2]), ("empty", b""), ("garbage", os.urandom(4096)),
                       ("text", b"hello\n" * 100), ("zip-no-header", None)):
        path = folder / f"{name}.npz"
        if data is None:
            _zip(path, {"q.npy": _npy(q)})
        else:
            path.write_bytes(data)
        out.append((name, path, "FrozenLake4x4"))
    for key, value in (("env", 3), ("env", "Nowhere"), ("env", "FrozenLake4x4\x1b]0;pwned\x07"), ("algo", ["q"]),
                       ("algo", "ppo"), ("hparams", "x"), ("hparams", {"alpha": "nan"}), ("hparams", {"alpha": 1e400}),
                       ("hparams", {"bogus": 1}), ("hparams", {"epsilon_decay_steps": 1e300}), ("version", "one"),
                       ("version", 2**80), ("version", 99), ("steps", "many"), ("steps", -1), ("steps", 1e400),
                       ("seed", 2**70), ("env_kwargs", [1]), ("env_kwargs", {"map_name": "3x3"}),
                       ("env_kwargs", {"is_slippery": float("inf")}), ("env_kwargs", {"tabular": False}),
                       ("env_kwargs", {"render_mode": "human"}), ("observation_space", None),
                       ("observation_space", {"type": "Discrete", "n": 10**12}), ("action_space", "x"),
                       ("format", "other"), ("kind", 7), ("created", "\x1b[2J")):
        npz(f"header-{key}-{str(value)[:12]}", {**header, key: value})
    npz("header-not-dict", [1, 2, 3])
    npz("header-not-json", _npy(np.array("{not json")))
    npz("header-deep", _npy(np.array("[" * 100_000 + "]" * 100_000)))
    npz("header-huge", {**header, "note": "x" * 3_000_000})
    npz("header-number", _npy(np.arange(10)))
    npz("header-pickle", _npy(np.array([{"a": 1}], dtype=object)))
    for name, array in (("q-nan", np.full_like(q, np.nan)), ("q-inf", np.full_like(q, np.inf)),
                        ("q-shape", np.zeros((3, 3))), ("q-complex", q.astype(np.complex128)),
                        ("q-object", np.array([None] * 64, dtype=object).reshape(16, 4)),
                        ("q-strings", np.array([["a"] * 4] * 16)), ("q-0d", np.array(1.0))):
        npz(name, header, q=_npy(array))
    declared = io.BytesIO()
    np.lib.format.write_array_header_1_0(declared, {"descr": "<f8", "fortran_order": False,
                                                    "shape": (200_000, 100_000)})
    npz("q-declares-160GB", header, q=declared.getvalue() + b"\0" * 1024)
    npz("visits-huge", header, visits=_npy(np.zeros(2_000_000)))
    npz("t-huge", header, t=_npy(np.array(2**63 - 1, dtype=np.uint64)))
    npz("extra-20MB", header, junk=_npy(np.zeros(2_500_000)))
    out.append(("zip-bomb", _zip(folder / "bomb.npz", {"header.npy": _npy(np.array(json.dumps(header))),
                                                       "q.npy": _npy(q), "pad.npy": b"\0" * 300_000_000},
                                 zipfile.ZIP_DEFLATED), "FrozenLake4x4"))

    payload = torch.load(fx["dqn"], weights_only=True)
    theader, state = payload["header"], payload["state_dict"]

    def pt(name: str, head: object = theader, st: object = state, raw: bytes | None = None) -> None:
        path = folder / f"{name}.pt"
        if raw is not None:
            path.write_bytes(raw)
        else:
            torch.save({"header": head, "state_dict": st}, path)
        out.append((name, path, "CartPole"))

    def altered(fn) -> dict:
        copy = {"q": {k: v.clone() for k, v in state["q"].items()},
                "target": {k: v.clone() for k, v in state["target"].items()},
                "optimizer": state["optimizer"], "steps": state["steps"], "updates": state["updates"]}
        fn(copy)
        return copy

    first = next(iter(state["q"]))
    pt("pt-nan-weights", st=altered(lambda s: s["q"][first].fill_(float("nan"))))
    pt("pt-inf-weights", st=altered(lambda s: s["q"][first].fill_(float("inf"))))
    pt("pt-nan-target", st=altered(lambda s: s["target"][first].fill_(float("nan"))))
    pt("pt-huge-view", st=altered(lambda s: s.__setitem__("junk", torch.zeros(1).expand(10**6, 10**5))))
    pt("pt-wrong-shape", st=altered(lambda s: s["q"].__setitem__(first, torch.zeros(3, 3))))
    pt("pt-steps-text", st=altered(lambda s: s.__setitem__("steps", "many")))
    pt("pt-steps-inf", st=altered(lambda s: s.__setitem__("steps", float("inf"))))
    pt("pt-optimizer-junk", st=altered(lambda s: s.__setitem__("optimizer", {"state": 1, "param_groups": [2]})))
    pt("pt-state-list", st=[1, 2, 3])
    pt("pt-no-q", st={"target": state["target"]})
    pt("pt-q-not-dict", st={"q": [1, 2]})
    for key, value in (("hparams", {**theader["hparams"], "hidden": "100000,100000"}),
                       ("hparams", {**theader["hparams"], "hidden": "4096,4096,4096,4096,4096"}),
                       ("hparams", {**theader["hparams"], "threads": 10**6}),
                       ("hparams", {**theader["hparams"], "n_step": 10**7}),
                       ("hparams", {**theader["hparams"], "buffer_size": 10**13}),
                       ("hparams", {**theader["hparams"], "lr": float("nan")}),
                       ("hparams", {**theader["hparams"], "adam_eps": 0}), ("env", 1), ("algo", "dqn\x1b[2J"),
                       ("steps", 10**30), ("env_kwargs", {"max_episode_steps": 10**30}), ("note", "\x1b]0;pwned\x07")):
        pt(f"pt-header-{key}-{str(value)[:16]}", head={**theader, key: value})
    pt("pt-header-none", head=None)
    good_pt = fx["dqn"].read_bytes()
    pt("pt-truncated", raw=good_pt[: len(good_pt) // 2])
    pt("pt-garbage", raw=os.urandom(8192))
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned-by-pickle",))

    pt("pt-pickle-code", raw=pickle.dumps({"header": theader, "state_dict": Evil()}))
    with zipfile.ZipFile(fx["dqn"]) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    members["pad"] = b"\0" * 300_000_000
    out.append(("pt-zip-bomb", _zip(folder / "ptbomb.pt", members, zipfile.ZIP_DEFLATED), "CartPole"))
    return out


def checkpoint_cases(fx: dict[str, Path], folder: Path) -> list[Case]:
    cases = []
    for name, path, env in hostile_checkpoints(fx, folder):
        p = str(path)
        expect = OK if name == "extra-20MB" else EITHER if name.startswith(HARMLESS) else ERROR
        cases.append(Case("checkpoint", f"eval {name}", ["eval", p, "--episodes", "1"], expect))
        resume = ["train", env, "--resume", p, "--steps", "10", "--quiet", "--out", str(folder / "r")]
        cases.append(Case("checkpoint", f"train --resume {name}", resume, expect))
        if env == "FrozenLake4x4":
            cases.append(Case("checkpoint", f"compare {name}",
                              ["compare", env, "--agent", p, "--seeds", "0", "--no-save"], expect))
    cases.append(Case("checkpoint", "eval good q", ["eval", str(fx["q"]), "--episodes", "2"], OK))
    cases.append(Case("checkpoint", "eval good dqn", ["eval", str(fx["dqn"]), "--episodes", "2"], OK))
    return cases


# -- class 4: crafted run stores --------------------------------------------------------------------------
STORE_MUTATIONS: list[tuple[str, str, list]] = [  # (name, SQL, params) applied to a copy of the clean store
    ("steps-text", "UPDATE runs SET steps = 'lots' WHERE id = 1", []),
    ("episodes-negative", "UPDATE runs SET episodes = -5 WHERE id = 1", []),
    ("config-not-json", "UPDATE runs SET config = '{nope' WHERE id = 1", []),
    ("hparams-list", "UPDATE runs SET hparams = '[1,2]' WHERE id = 1", []),
    ("hparams-deep", "UPDATE runs SET hparams = ? WHERE id = 1", ["[" * 50_000 + "]" * 50_000]),
    ("config-20MB", "UPDATE runs SET config = ? WHERE id = 1", ['{"x": "' + "y" * 20_000_000 + '"}']),
    ("error-20MB", "UPDATE runs SET status = 'failed', error = ? WHERE id = 1", ["e" * 20_000_000]),
    ("started-text", "UPDATE runs SET started = 'yesterday' WHERE id = 1", []),
    ("started-huge", "UPDATE runs SET started = 1e300 WHERE id = 1", []),
    ("started-negative", "UPDATE runs SET started = -1e12 WHERE id = 1", []),
    ("ended-inf", "UPDATE runs SET ended = 9e999 WHERE id = 1", []),
    ("ended-before-start", "UPDATE runs SET ended = 1 WHERE id = 1", []),
    ("pid-huge", "UPDATE runs SET status = 'running', pid = 9223372036854775807 WHERE id = 1", []),
    ("pid-text", "UPDATE runs SET status = 'running', pid = 'me' WHERE id = 1", []),
    ("heartbeat-text", "UPDATE runs SET status = 'running', heartbeat = 'now' WHERE id = 1", []),
    ("status-blob", "UPDATE runs SET status = x'fffe00' WHERE id = 1", []),
    ("status-unknown", "UPDATE runs SET status = 'exploded' WHERE id = 1", []),
    ("env-escapes", "UPDATE runs SET env = ? WHERE id = 1", ["Frozen\x1b]0;pwned\x07Lake\x1b[2J"]),
    ("env-markup", "UPDATE runs SET env = '[/][link=http://x]x[/link]' WHERE id = 1", []),
    ("error-escapes", "UPDATE runs SET status='failed', error = ? WHERE id = 1", ["boom\x1b]52;c;cHduZWQ=\x07"]),
    ("device-escapes", "UPDATE runs SET device = ? WHERE id = 1", ["cpu\x9b2J\x1b[31m"]),
    ("seed-text", "UPDATE runs SET seed = 'abc' WHERE id = 1", []),
    ("eval-mean-text", "UPDATE evaluations SET mean = 'good'", []),
    ("eval-success-big", "UPDATE evaluations SET success_rate = 7", []),
    ("eval-std-inf", "UPDATE evaluations SET std = 9e999", []),
    ("eval-many", "WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 200000) INSERT INTO "
     "evaluations (run_id, steps, mean, std, episodes, success_rate, created) SELECT 1, v, 0.5, 0.1, 10, NULL, 1.0 "
     "FROM s", []),
    ("ckpt-path-escapes", "UPDATE checkpoints SET path = ?", ["/tmp/\x1b]8;;http://evil\x1b\\a.npz"]),
    ("ckpt-steps-text", "UPDATE checkpoints SET steps = 'x'", []),
    ("episode-ret-text", "UPDATE episodes SET ret = 'high' WHERE run_id = 1 AND idx = 0", []),
    ("episode-ret-inf", "UPDATE episodes SET ret = 9e999 WHERE run_id = 1", []),
    ("episode-ret-blob", "UPDATE episodes SET ret = x'00ff' WHERE run_id = 1", []),
    ("comparison-seeds-bad", "INSERT INTO comparisons (env, agent, seeds, rounds, human_wins, agent_wins, ties, "
     "created) VALUES ('FrozenLake4x4', 'x', 'nope', 1, 0, 0, 0, 1.0)", []),
    ("comparison-agent-escapes", "INSERT INTO comparisons (env, agent, seeds, rounds, human_wins, agent_wins, ties, "
     "created) VALUES ('FrozenLake4x4', ?, '[1]', 1, 0, 0, 0, 1.0)", ["\x1b]0;pwned\x07[/]"]),
    ("comparison-created-text", "INSERT INTO comparisons (env, agent, seeds, rounds, human_wins, agent_wins, "
     "ties, created) VALUES ('FrozenLake4x4', 'a', '[1]', 1, 0, 0, 0, 'then')", []),
    ("human-actions-bad", "INSERT INTO human_episodes (env, seed, actions, rewards, ret, length, created) "
     "VALUES ('FrozenLake4x4', 1, '[1, \"x\"]', '[0]', 0, 1, 1.0)", []),
    ("human-seed-huge", "INSERT INTO human_episodes (env, seed, actions, rewards, ret, length, created) "
     "VALUES ('FrozenLake4x4', 9223372036854775807, '[1]', '[0]', 0, 1, 1.0)", []),
    ("schema-newer", "PRAGMA user_version = 99", []),
    ("drop-evaluations", "DROP TABLE evaluations", []),
    ("drop-runs", "DROP TABLE runs", []),
    ("runs-wrong-shape", "ALTER TABLE runs RENAME TO old_runs; CREATE TABLE runs (id, env)", []),
    ("runs-loose-bad-id", "ALTER TABLE runs RENAME TO r0; CREATE TABLE runs AS SELECT * FROM r0; "
     "INSERT INTO runs (id, env, algo, config, hparams, status, steps, episodes, started) "
     "VALUES ('x', NULL, 'q', '{}', '{}', 'finished', 1, 1, 1.0)", []),
]
STORE_COMMANDS = [["runs"], ["runs", "show", "1"], ["runs", "show", "2"], ["compare", "--history"],
                  ["compare", "--show", "1"], ["episodes"]]


def store_cases(fx: dict[str, Path], folder: Path) -> list[Case]:
    folder.mkdir()
    clean = fx["data"] / "rltui.sqlite3"
    with sqlite3.connect(clean) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cases = []
    for name, sql, params in STORE_MUTATIONS:
        data = folder / name
        data.mkdir()
        shutil.copy(clean, data / "rltui.sqlite3")
        db = sqlite3.connect(data / "rltui.sqlite3", isolation_level=None)
        try:
            if params:
                db.execute(sql, params)
            else:
                db.executescript(sql)
        finally:
            db.close()
        for argv in STORE_COMMANDS:
            unreadable = name == "schema-newer" or (name in ("drop-runs", "drop-evaluations") and argv[0] == "runs")
            show_missing = argv[:2] == ["compare", "--show"] and not name.startswith("comparison")
            shows_the_bad_row = argv in (["runs", "show", "1"], ["compare", "--show", "1"]) or (
                name == "runs-wrong-shape" and argv[:2] == ["runs", "show"])  # its runs table is empty
            expect = ERROR if unreadable or show_missing else EITHER if shows_the_bad_row else OK
            must = "CliffWalking" if argv == ["runs"] and expect == OK and name != "runs-wrong-shape" else None
            cases.append(Case("store", f"{name}: {' '.join(argv)}", argv, expect, data=str(data), must_show=must))
    for name, content in (("garbage", os.urandom(8192)), ("empty", b""), ("text", b"SQLite format 3\0" + b"x" * 100),
                          ("truncated", clean.read_bytes()[:3000])):
        data = folder / f"file-{name}"
        data.mkdir()
        (data / "rltui.sqlite3").write_bytes(content)
        for argv in STORE_COMMANDS[:2]:
            expect = OK if name == "empty" and argv == ["runs"] else ERROR
            cases.append(Case("store", f"file {name}: {' '.join(argv)}", argv, expect, data=str(data)))
    data = folder / "is-a-folder"
    (data / "rltui.sqlite3").mkdir(parents=True)
    cases.append(Case("store", "store path is a folder: runs", ["runs"], data=str(data)))
    cases.append(Case("store", "data dir missing: runs", ["runs"], OK, data=str(folder / "nowhere")))
    return cases


def big_store_case(folder: Path, episodes: int) -> list[Case]:
    """A run with millions of episodes: `runs show` must answer in well under a second of its own work."""
    data = folder / "big"
    data.mkdir()
    from rltui.training.config import TrainConfig
    from rltui.training.store import RunStore

    with RunStore(data / "rltui.sqlite3") as store:
        run_id = store.create_run(TrainConfig("FrozenLake4x4", "q", episodes), "cpu", {})
        chunk = 500_000
        for start in range(0, episodes, chunk):
            store.add_episodes(run_id, [(i, i, float(i % 7), 1) for i in range(start, min(episodes, start + chunk))],
                               steps=min(episodes, start + chunk))
        store.finish_run(run_id, "finished")
    return [Case("store", f"{episodes:,} episodes: runs show 1", ["runs", "show", "1"], OK, data=str(data),
                 timeout=60, must_show="best"),
            Case("store", f"{episodes:,} episodes: runs", ["runs"], OK, data=str(data), timeout=60)]


# -- main -------------------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="cases at a time (default 2)")
    parser.add_argument("--only", choices=("cli", "hparams", "checkpoint", "store"), action="append")
    parser.add_argument("--big-episodes", type=int, default=3_000_000, help="episodes of the big run (0: skip)")
    parser.add_argument("--max-rss-mb", type=float, default=1024.0, help="flag cases above this peak RSS")
    parser.add_argument("--match", action="append", metavar="TEXT",
                        help="only cases whose name holds TEXT (repeatable): re-run what a fix touched")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every case")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="rltui-probe-"))
    env = {**os.environ, "RLTUI_DATA": str(root / "data"), "SDL_VIDEODRIVER": "dummy", "COLUMNS": "100",
           "PYTHONWARNINGS": "ignore"}
    env.setdefault("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    try:
        t0 = time.perf_counter()
        fx = build_fixtures(root, env)
        classes = args.only or ["cli", "hparams", "checkpoint", "store"]
        cases: list[Case] = []
        if "cli" in classes:
            cases += cli_cases(fx)
        if "hparams" in classes:
            cases += hparam_cases()
        if "checkpoint" in classes:
            cases += checkpoint_cases(fx, root / "hostile")
        if "store" in classes:
            cases += store_cases(fx, root / "stores")
            if args.big_episodes:
                cases += big_store_case(root / "stores", args.big_episodes)
        if args.match:
            cases = [c for c in cases if any(m in c.name for m in args.match)]
        print(f"{len(cases)} cases, fixtures built in {time.perf_counter() - t0:.0f} s; running {args.jobs} at a "
              "time", flush=True)
        with ThreadPoolExecutor(args.jobs) as pool:
            outcomes = list(pool.map(lambda c: run_case(c, env, args.max_rss_mb), cases))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report(outcomes, args.verbose)
    bad = {"traceback", "hang", "silently accepted", "late failure", "multi-line error", "not shown",
           "one-line error (expected it to work)"}
    return 1 if any(o.verdict in bad or o.extra for o in outcomes) else 0


def report(outcomes: list[Outcome], verbose: bool) -> None:
    from _machine import describe  # benchmarks/_machine.py

    verdicts = ["ok", "one-line error", "traceback", "silently accepted", "late failure", "multi-line error",
                "hang", "not shown", "one-line error (expected it to work)"]
    by_class: dict[str, Counter] = {}
    for o in outcomes:
        counter = by_class.setdefault(o.case.klass, Counter())
        counter[o.verdict] += 1
        for flag in o.extra:
            counter[flag] += 1
    columns = [v for v in verdicts if any(c[v] for c in by_class.values())] + sorted(
        {f for c in by_class.values() for f in c if f not in verdicts})
    print()
    print(f"{'class':<12}{'cases':>7}" + "".join(f"{v[:18]:>20}" for v in columns))
    total = Counter()
    for klass, counter in by_class.items():
        n = sum(counter[v] for v in verdicts)
        total.update(counter)
        print(f"{klass:<12}{n:>7}" + "".join(f"{counter[v]:>20}" for v in columns))
    print(f"{'all':<12}{sum(total[v] for v in verdicts):>7}" + "".join(f"{total[v]:>20}" for v in columns))
    slowest = max(outcomes, key=lambda o: o.seconds)
    biggest = max(outcomes, key=lambda o: o.rss_mb)
    print(f"\nslowest case {slowest.seconds:.1f} s ({slowest.case.name}); largest peak RSS {biggest.rss_mb:.0f} MB "
          f"({biggest.case.name})")
    for o in outcomes:
        if o.case.klass == "store" and "episodes:" in o.case.name:
            print(f"{o.case.name}: {o.seconds:.2f} s wall (Python start-up included), peak RSS {o.rss_mb:.0f} MB")
    shown = [o for o in outcomes if verbose or o.verdict not in ("ok", "one-line error") or o.extra]
    if shown:
        print("\ncases not as expected:" if not verbose else "\nevery case:")
        for o in shown:
            flags = f" [{', '.join(o.extra)}]" if o.extra else ""
            print(f"  {o.verdict:<18} {o.case.klass:<10} {o.case.name[:70]:<70} rc={o.rc} {o.seconds:.1f}s "
                  f"{o.rss_mb:.0f}MB{flags}\n      {o.detail}")
    print("\nmachine:", describe())


if __name__ == "__main__":
    sys.exit(main())
