"""Checkpoints: round trips, the header, one-line errors for bad files, atomic writes, and a kill test."""

import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

import rltui.agents
from rltui.agents.base import Agent
from rltui.errors import RltuiError
from rltui.training.checkpoints import load_checkpoint, make_header, read_header, save_checkpoint
from rltui.training.config import TrainConfig
from rltui.training.store import RunStore
from rltui.training.trainer import Trainer


@pytest.fixture
def trained(tmp_path):
    trainer = Trainer(TrainConfig("FrozenLake4x4", "q", 2000, seed=1, eval_every=0, out=str(tmp_path / "fl.npz")))
    finished = trainer.run()
    return trainer, finished.checkpoint


def test_round_trip_with_header(trained, tmp_path):
    trainer, path = trained
    assert path == str(tmp_path / "fl.npz")
    agent, header = load_checkpoint(path, expected_env="frozenlake4x4")
    assert np.array_equal(agent.q_values(), trainer.agent.q_values())
    assert header["env"] == "FrozenLake4x4" and header["algo"] == "q" and header["version"] == 1
    assert header["observation_space"] == {"type": "Discrete", "n": 16, "dtype": "int64"}
    assert header["hparams"] == trainer.agent.hparams and header["steps"] == 2000
    assert agent.trained_steps == 2000
    assert read_header(path) == header
    with np.load(path, allow_pickle=False) as data:  # the documented layout: array q + JSON header
        assert data["q"].shape == (16, 4)
        assert json.loads(str(data["header"]))["env"] == "FrozenLake4x4"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_wrong_env_and_changed_env(trained, tmp_path):
    _, path = trained
    with pytest.raises(RltuiError, match="trained on FrozenLake4x4, not CliffWalking"):
        load_checkpoint(path, expected_env="CliffWalking")
    agent, header = load_checkpoint(path)
    moved = tmp_path / "moved.npz"
    save_checkpoint(moved, agent, {**header, "env_kwargs": {"map_name": "8x8"}})
    with pytest.raises(RltuiError, match="spaces"):
        load_checkpoint(moved)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "text", "other-zip", "missing", "folder"])
def test_bad_files_are_one_line_errors(trained, tmp_path, damage):
    _, path = trained
    target = tmp_path / f"bad-{damage}.npz"
    data = open(path, "rb").read()
    if damage == "truncated":
        target.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        target.write_bytes(os.urandom(2000))
    elif damage == "text":
        target.write_text("alpha = 0.1\n")
    elif damage == "other-zip":
        with zipfile.ZipFile(target, "w") as zf:
            zf.writestr("hello.txt", "hi")
    elif damage == "folder":
        target.mkdir()
    with pytest.raises(RltuiError) as info:
        load_checkpoint(target)
    message = str(info.value)
    assert str(target) in message and "\n" not in message


def test_a_checkpoint_without_an_rltui_header(tmp_path):
    target = tmp_path / "plain.npz"
    np.savez(target, q=np.zeros((16, 4)), header=np.array(json.dumps({"format": "other"})))
    with pytest.raises(RltuiError, match="not an rltui checkpoint"):
        load_checkpoint(target)


def test_a_failed_write_keeps_the_old_checkpoint(trained, monkeypatch):
    trainer, path = trained
    before = open(path, "rb").read()

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)  # the disk fills up while the temp file is written
    with pytest.raises(RltuiError, match="^no space left on device: cannot write checkpoint .*") as info:
        trainer.save_checkpoint(path)
    assert path in str(info.value) and "\n" not in str(info.value)
    assert open(path, "rb").read() == before
    assert [p for p in os.listdir(os.path.dirname(path)) if p.endswith(".tmp")] == []


class TinyNet(Agent):
    """A stand-in neural agent (the real DQN lives elsewhere) to exercise the torch path."""

    algo = "dqn"
    neural = True

    def __init__(self, n_in: int, n_out: int) -> None:
        import torch

        self.net = torch.nn.Linear(n_in, n_out)
        self.hparams = {"lr": 0.001}

    def act(self, obs, explore=True, action_mask=None):
        return 0

    def observe(self, *args, **kwargs):
        pass

    def state_dict(self):
        return {"net": self.net.state_dict(), "steps": 3}

    def load_state_dict(self, state):
        self.net.load_state_dict(state["net"])


def make_tiny(observation_space, action_space, hparams, *, device="cpu", seed=0):
    return TinyNet(int(np.prod(observation_space.shape)), int(action_space.n))


def test_neural_checkpoints_load_weights_only(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setitem(rltui.agents.ALGORITHMS, "dqn", f"{__name__}:make_tiny")
    from rltui.envs import make_training_env

    env = make_training_env("CartPole")
    agent = make_tiny(env.observation_space, env.action_space, {})
    header = make_header(agent, "CartPole", {}, env.observation_space, env.action_space, 123)
    path = save_checkpoint(tmp_path / "cp", agent, header)
    assert path.suffix == ".pt"
    loaded, got = load_checkpoint(path, expected_env="CartPole")
    assert got["steps"] == 123 and got["kind"] == "neural"
    for a, b in zip(loaded.net.parameters(), agent.net.parameters()):
        assert (a == b).all()
    data = path.read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data[: len(data) - 200])
    with pytest.raises(RltuiError, match="cut.pt"):
        load_checkpoint(cut)


KILL_SCRIPT = """
import sys
from rltui.training.config import TrainConfig
from rltui.training.trainer import Trainer
Trainer(TrainConfig("FrozenLake8x8", "q", 10**9, eval_every=0, checkpoint_every=1500, out=sys.argv[1])).run()
"""


def _has_episodes(db) -> bool:
    if not db.exists():
        return False
    with RunStore(db) as store:
        runs = store.list_runs()
        return bool(runs and store.episodes(runs[0]["id"]))


@pytest.mark.parametrize("delay", [0.0, 0.37])
def test_killing_training_leaves_a_readable_store_and_valid_checkpoints(tmp_path, delay):
    data = tmp_path / "data"
    out = tmp_path / "ck.npz"
    env = {**os.environ, "RLTUI_DATA": str(data)}
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(out)], env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _has_episodes(data / "rltui.sqlite3"):
            time.sleep(0.05)
        while time.monotonic() < deadline and not out.exists():
            time.sleep(0.05)
        time.sleep(delay)  # kill at another moment of the loop: mid-chunk, mid-write, mid-flush
        assert proc.poll() is None, "training ended before it could be killed"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    with RunStore(data / "rltui.sqlite3") as store:
        (run,) = store.list_runs()
        assert run["status"] == "interrupted"
        assert store.episodes(run["id"])  # the batches written before the kill are there
        checkpoints = store.checkpoints(run["id"])
        assert checkpoints
    agent, header = load_checkpoint(out, expected_env="FrozenLake8x8")
    assert header["steps"] % 1500 == 0 and header["steps"] >= 1500
    assert np.isfinite(agent.q_values()).all()
