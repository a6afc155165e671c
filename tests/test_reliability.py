"""Nothing a user trained is lost (issue 11, trainer side): periodic checkpoints (one file per run, one
store row per file), the best evaluation kept apart, kill -9 then resume, SIGTERM/SIGHUP stop and save,
the destination checked before step 1, a full disk, divergence."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rltui.agents.tabular import TabularAgent, TabularHparams
from rltui.cli import main
from rltui.errors import RltuiError
from rltui.training.checkpoints import load_checkpoint, read_header
from rltui.training.config import TrainConfig
from rltui.training.events import Checkpointed
from rltui.training.jobs import Every
from rltui.training.store import RunStore
from rltui.training.trainer import Trainer

ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


def collect(config, **kwargs):
    events = []
    trainer = Trainer(config, callback=events.append, **kwargs)
    return trainer, trainer.run(), events


def saves(events, best=False):
    return [e for e in events if isinstance(e, Checkpointed) and e.best == best]


def test_every_counts_steps_and_seconds():
    every = Every(seconds=2.0, steps=100)
    every.arm(10.0, 250)
    assert every.next_step == 300 and every.steps_left(250) == 50
    assert not every.due(11.0, 299) and every.due(11.0, 300) and every.due(12.0, 260)
    off = Every()
    off.arm(0.0, 0)
    assert not off.due(1e9, 10**9) and off.steps_left(5) is None


def test_periodic_checkpoints_by_steps_rewrite_one_file_with_one_store_row(tmp_path):
    config = TrainConfig("FrozenLake8x8", "q", 6000, eval_every=0, checkpoint_every=1000, checkpoint_every_s=0,
                         out=str(tmp_path / "o" / "run"))
    trainer, finished, events = collect(config)
    assert [e.steps for e in saves(events)] == [1000, 2000, 3000, 4000, 5000, 6000]
    assert {e.path for e in saves(events)} == {finished.checkpoint} == {str(tmp_path / "o" / "run.npz")}
    assert os.listdir(tmp_path / "o") == ["run.npz"]  # no temp files left behind
    with RunStore.open() as store:
        rows = store.checkpoints(trainer.run_id)
    assert [(r["path"], r["steps"]) for r in rows] == [(finished.checkpoint, 6000)]


def test_periodic_checkpoints_by_time_are_on_by_default(tmp_path):
    assert TrainConfig("FrozenLake8x8", "q", 10).checkpoint_every_s is None  # None: the default, 60 s
    config = TrainConfig("FrozenLake8x8", "q", 40_000, eval_every=0, checkpoint_every_s=0.01,
                         out=str(tmp_path / "t.npz"))
    _, finished, events = collect(config)
    periodic = saves(events)[:-1]  # the last one is the final save
    assert periodic and all(e.steps < 40_000 for e in periodic)
    assert all(e.path == finished.checkpoint for e in saves(events))


def test_evaluations_save_the_checkpoint_and_a_new_best_beside_it(tmp_path):
    config = TrainConfig("FrozenLake4x4", "q", 8000, seed=2, eval_every=2000, eval_episodes=30,
                         checkpoint_every_s=0, checkpoint_every=0, out=str(tmp_path / "fl.npz"))
    trainer, finished, events = collect(config)
    # checkpointing off: no save at evaluations, only the final one (and the best, which is separate)
    assert [e.steps for e in saves(events)] == [8000]
    best = saves(events, best=True)
    assert best and finished.best_checkpoint == str(tmp_path / "fl-best.npz") == best[-1].path
    header = read_header(finished.best_checkpoint)
    assert header["best"] is True and header["steps"] == best[-1].steps
    load_checkpoint(finished.best_checkpoint, "FrozenLake4x4")
    with RunStore.open() as store:
        assert store.latest_checkpoint(trainer.run_id) == finished.checkpoint
        assert store.latest_checkpoint(trainer.run_id, role="best") == finished.best_checkpoint
        assert len(store.checkpoints(trainer.run_id)) == 2
        assert max(e["mean"] for e in store.evaluations(trainer.run_id)) == trainer.best_mean

    on = TrainConfig("FrozenLake4x4", "q", 8000, seed=2, eval_every=2000, eval_episodes=30,
                     checkpoint_every_s=0, checkpoint_every=0, out=str(tmp_path / "fl2.npz"))
    on.checkpoint_every_s = 3600.0  # on, but the clock never comes: saves at evaluations only
    _, _, events = collect(on)
    assert [e.steps for e in saves(events)] == [2000, 4000, 6000, 8000]


def test_a_dqn_checkpoint_carries_the_optimizer_state(tmp_path):
    config = TrainConfig("CartPole", "dqn", 400, device="cpu", eval_every=0, out=str(tmp_path / "d.pt"),
                         hparams={"learning_starts": 100, "batch_size": 16, "buffer_size": 1000, "threads": 1})
    trainer, finished, _ = collect(config)
    agent, header = load_checkpoint(finished.checkpoint)
    saved = agent.optimizer.state_dict()["state"]
    live = trainer.agent.optimizer.state_dict()["state"]
    assert saved and saved.keys() == live.keys()
    for k in live:
        assert np.allclose(saved[k]["exp_avg"].numpy(), live[k]["exp_avg"].numpy())
    assert agent.steps == trainer.agent.steps and header["run_steps"] == 400


def _rltui(*args, data: Path, **kw) -> subprocess.Popen:
    env = {**os.environ, "RLTUI_DATA": str(data)}
    return subprocess.Popen([sys.executable, "-m", "rltui", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def _wait_for_checkpoint(proc, db: Path, seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"training ended early: {proc.communicate()[1][-2000:]}")
        if db.exists():
            with RunStore(db) as store:
                runs = store.list_runs()
                if runs and store.checkpoints(runs[0]["id"]):
                    return runs[0]
        time.sleep(0.05)
    proc.kill()
    pytest.fail("no periodic checkpoint came")


@pytest.mark.parametrize("worker", ["thread", "process"])
def test_killed_with_9_after_a_periodic_checkpoint_then_resumed_carries_the_same_run_on(tmp_path, capsys, worker):
    data, out = tmp_path / "data", tmp_path / "ck.npz"
    proc = _rltui("train", "FrozenLake8x8", "--algo", "q", "--steps", "1000000000", "--eval-every", "0",
                  "--checkpoint-every", "3000", "--out", str(out), "--quiet", data=data)
    try:
        run = _wait_for_checkpoint(proc, data / "rltui.sqlite3")
    finally:
        proc.kill()
        proc.communicate()
    header = read_header(out)
    at = header["run_steps"]
    assert at % 3000 == 0 and at >= 3000 and header["run_id"] == run["id"]
    assert main(["--data-dir", str(data), "runs"]) == 0
    text = capsys.readouterr().out
    assert f"interrupted — last checkpoint at step {at:,}" in " ".join(text.split())
    # carry it on to a budget a little past the checkpoint: the same run, counters going on from there
    assert main(["--data-dir", str(data), "train", "FrozenLake8x8", "--resume", str(run["id"]),
                 "--steps", str(at + 2000), "--quiet", "--worker", worker]) == 0
    with RunStore(data / "rltui.sqlite3") as store:
        (again,) = store.list_runs()
        assert again["id"] == run["id"] and again["status"] == "finished" and again["steps"] == at + 2000
        episodes = store.episodes(run["id"])
        assert [e["idx"] for e in episodes] == list(range(len(episodes))) == list(range(again["episodes"]))
        assert episodes[-1]["steps"] <= at + 2000
    resumed = read_header(out)
    assert resumed["run_steps"] == at + 2000 and resumed["steps"] == at + 2000


def _default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("how", ["SIGTERM", "SIGHUP", "SIGTERM with SIGINT ignored"])
def test_sigterm_and_sighup_stop_the_cli_run_and_save(tmp_path, how):
    data, out = tmp_path / "data", tmp_path / "s.npz"
    sig = signal.SIGHUP if how == "SIGHUP" else signal.SIGTERM
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if "ignored" in how else _default_sigint
    proc = _rltui("train", "FrozenLake8x8", "--algo", "q", "--steps", "1000000000", "--eval-every", "0",
                  "--checkpoint-every", "0", "--out", str(out), data=data, preexec_fn=ignore)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        db = data / "rltui.sqlite3"
        if db.exists():
            with RunStore(db) as store:
                runs = store.list_runs()
                if runs and runs[0]["steps"] > 0:
                    break
        time.sleep(0.05)
    proc.send_signal(sig)
    try:
        stdout, stderr = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"{how} did not stop the run: {proc.communicate()[1][-2000:]}")
    assert proc.returncode == 0 and "Traceback" not in stderr
    with RunStore(data / "rltui.sqlite3") as store:
        run = store.list_runs()[0]
        assert run["status"] == "stopped" and store.latest_checkpoint(run["id"]) == str(out)
    assert load_checkpoint(out)[1]["run_steps"] > 0


@pytest.mark.parametrize("case", ["folder", "under a file", "too long", "missing parents"])
def test_a_bad_out_fails_before_step_1(tmp_path, case, capsys):
    (tmp_path / "afile").write_text("x")
    out = {"folder": tmp_path, "under a file": tmp_path / "afile" / "x.npz",
           "too long": tmp_path / ("n" * 260), "missing parents": tmp_path / "a" / "b" / "c.npz"}[case]
    code = main(["--data-dir", str(tmp_path / "data"), "train", "FrozenLake4x4", "--algo", "q", "--steps",
                 "300", "--quiet", "--out", str(out)])
    err = capsys.readouterr().err
    if case == "missing parents":  # what a user means: the folders are made
        assert code == 0 and out.exists()
        return
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    with RunStore.open(str(tmp_path / "data")) as store:
        assert store.list_runs() == []  # refused before the run began


def _lock(folder: Path) -> bool:
    """Make ``folder`` unwritable: read-only for a user, immutable (chattr +i) for root. False: cannot here."""
    if not ROOT:
        folder.chmod(0o500)
        return True
    try:
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _unlock(folder: Path) -> None:
    if ROOT:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True, timeout=30)
    else:
        folder.chmod(0o700)


def test_a_read_only_or_immutable_out_folder_or_checkpoints_folder_fails_before_step_1(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    checkpoints = tmp_path / "data" / "checkpoints"
    checkpoints.mkdir(parents=True)
    if not _lock(locked):
        pytest.skip("this machine cannot make a folder unwritable for this user")
    try:
        assert _lock(checkpoints)
        with pytest.raises(RltuiError, match="cannot write --out in .*locked") as info:
            Trainer(TrainConfig("FrozenLake4x4", "q", 100, out=str(locked / "x.npz")))
        assert "\n" not in str(info.value)
        with pytest.raises(RltuiError, match="cannot write the checkpoints folder"):
            Trainer(TrainConfig("FrozenLake4x4", "q", 100, data_dir=str(tmp_path / "data")))
    finally:
        _unlock(locked)
        _unlock(checkpoints)


def test_a_full_disk_fails_the_run_in_one_line_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    out = tmp_path / "o" / "full.npz"
    fsync = os.fsync
    state = {"saves": 0}

    def filling_up(fd):
        import stat

        if stat.S_ISREG(os.fstat(fd).st_mode):
            state["saves"] += 1
        if state["saves"] >= 3:  # the third save finds the disk full
            raise OSError(28, "No space left on device")
        fsync(fd)

    monkeypatch.setattr(os, "fsync", filling_up)
    config = TrainConfig("FrozenLake8x8", "q", 10**9, eval_every=0, checkpoint_every=1000, checkpoint_every_s=0,
                         out=str(out))
    trainer, finished, events = collect(config)
    monkeypatch.setattr(os, "fsync", fsync)
    assert finished.status == "failed"
    assert finished.error.startswith("no space left on device: cannot write checkpoint") and str(out) in finished.error
    assert "\n" not in finished.error
    assert read_header(out)["steps"] == 2000  # the last good one
    assert [p.name for p in out.parent.iterdir()] == ["full.npz"]  # no temp file left
    with RunStore.open() as store:
        run = store.get_run(trainer.run_id)
        assert run["status"] == "failed" and run["error"] == finished.error


def test_stale_temp_files_are_removed_and_modes_are_the_usual_ones(tmp_path):
    stale = tmp_path / ".m.npz.abc123.tmp"
    stale.write_bytes(b"half a save")
    other = tmp_path / ".other.npz.x.tmp"
    other.write_bytes(b"not ours")
    _, finished, _ = collect(TrainConfig("FrozenLake4x4", "q", 300, eval_every=0, out=str(tmp_path / "m.npz")))
    assert not stale.exists() and other.exists()  # this file's temps go at its next save, others stay...
    old = time.time() - 3600
    os.utime(other, (old, old))
    collect(TrainConfig("FrozenLake4x4", "q", 300, eval_every=0, out=str(tmp_path / "n.npz")))
    assert not other.exists()  # ...until they are old: a run that is not saved again left them
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(finished.checkpoint).st_mode & 0o777 == 0o666 & ~umask


class Diverging(TabularAgent):
    """Its table turns to NaN at step 2500 (as lr=inf or q_init=nan would)."""

    def observe(self, *args, **kwargs):
        super().observe(*args, **kwargs)
        if self.t == 2500:
            self._q[0][0] = float("nan")


def test_a_diverging_run_ends_failed_and_keeps_its_last_good_checkpoint(tmp_path):
    out = tmp_path / "div.npz"
    agent = Diverging("q", 64, 4, TabularHparams(), seed=0)
    config = TrainConfig("FrozenLake8x8", "q", 10**9, eval_every=0, checkpoint_every=1000, checkpoint_every_s=0,
                         out=str(out))
    trainer, finished, _ = collect(config, agent=agent)
    assert finished.status == "failed" and finished.error.startswith("diverged at step ")
    assert finished.checkpoint == str(out)
    good, header = load_checkpoint(out)
    assert header["steps"] == 2000 and np.isfinite(good.q_values()).all()
    with RunStore.open() as store:
        run = store.get_run(trainer.run_id)
    assert run["status"] == "failed" and run["error"].startswith("diverged at step")


def test_a_dqn_whose_weights_blow_up_ends_failed_with_the_last_good_checkpoint(tmp_path, monkeypatch):
    import torch

    from rltui.agents.dqn import DQNAgent

    after_step = DQNAgent._after_step

    def blow_up(self):  # hyperparameters can no longer ask for it (lr <= 10): make the weights overflow
        after_step(self)
        if self.updates >= 300:
            with torch.no_grad():
                next(self.q.parameters()).fill_(float("inf"))

    monkeypatch.setattr(DQNAgent, "_after_step", blow_up)
    out = tmp_path / "d.pt"
    config = TrainConfig("CartPole", "dqn", 20_000, device="cpu", eval_every=0, checkpoint_every=100,
                         checkpoint_every_s=0, out=str(out),
                         hparams={"learning_starts": 200, "batch_size": 16, "buffer_size": 1000, "threads": 1,
                                  "train_freq": 1})  # learning starts at 200 and blows up 300 updates later
    _, finished, _ = collect(config)
    assert finished.status == "failed" and finished.error.startswith("diverged at step ")
    assert "NaN or inf" in finished.error and finished.steps < 20_000
    at = int(finished.error.split("diverged at step ")[1].split()[0].replace(",", ""))
    _, header = load_checkpoint(out)  # loads: a checkpoint with NaN weights is refused on load
    assert header["steps"] % 100 == 0 and 0 < header["steps"] <= at  # the last good one, before the blow-up


def test_checkpoint_every_takes_seconds_or_steps(tmp_path, capsys):
    from rltui.commands.train import _checkpoint_every

    assert _checkpoint_every("60s") == (60.0, 0) and _checkpoint_every("2m") == (120.0, 0)
    assert _checkpoint_every("5000") == (0.0, 5000) and _checkpoint_every("0") == (0.0, 0)
    for bad in ("-5", "soon", "1e400s", "nans", "nan"):
        with pytest.raises(SystemExit) as exit_:
            main(["train", "FrozenLake4x4", "--checkpoint-every", bad])
        assert exit_.value.code == 2 and "--checkpoint-every: takes seconds" in capsys.readouterr().err


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 256 KiB file system (tmpfs), where this machine allows mounting one; skipped elsewhere."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                              capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("no mount here")
    if done.returncode != 0:
        pytest.skip("cannot mount a small file system here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30)


def test_a_really_full_disk_tabular_and_torch(tiny_disk):
    out = tiny_disk / "q.npz"

    def fill_after_first_save(event):
        if isinstance(event, Checkpointed) and not (tiny_disk / "filler").exists():
            with open(tiny_disk / "filler", "wb", buffering=0) as fh:  # take what is left
                try:
                    while True:
                        fh.write(b"\0" * 4096)
                except OSError:
                    pass

    trainer = Trainer(TrainConfig("FrozenLake8x8", "q", 10**9, eval_every=0, checkpoint_every=1000,
                                  checkpoint_every_s=0, out=str(out)), callback=fill_after_first_save)
    finished = trainer.run()
    assert finished.status == "failed" and "\n" not in finished.error
    assert finished.error.startswith(f"no space left on device: cannot write checkpoint {out}")
    assert read_header(out)["steps"] == 1000  # the last good one, intact
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler", "q.npz"]  # no temp file left
    with RunStore.open() as store:
        assert store.get_run(trainer.run_id)["status"] == "failed"  # the store is intact and says so

    (tiny_disk / "filler").unlink()
    (tiny_disk / "filler").write_bytes(b"\0" * (200 * 1024))
    dqn = TrainConfig("CartPole", "dqn", 400, device="cpu", eval_every=0, out=str(tiny_disk / "d.pt"),
                      hparams={"learning_starts": 100, "batch_size": 16, "buffer_size": 1000, "threads": 1,
                               "hidden": "256,256"})
    finished = Trainer(dqn).run()
    assert finished.status == "failed" and finished.error.startswith("no space left on device")
    assert "inline_container" not in finished.error and "enforce fail" not in finished.error
