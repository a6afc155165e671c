"""A Trainer in a child process (rltui.training.remote): the same events, commands and results as in a
thread, and a child that dies is reported, not lost."""

import os
import signal
import threading
import time

import numpy as np
import pytest

from rltui.training.checkpoints import load_checkpoint
from rltui.training.config import TrainConfig
from rltui.training.events import EpisodeEnd, Progress, QSnapshot, TrainerControl
from rltui.training.remote import AgentMirror, RemoteTrainer
from rltui.training.store import RunStore


def _config(steps: int, env: str = "FrozenLake4x4", **kw) -> TrainConfig:
    return TrainConfig(env, "q", steps=steps, seed=3, data_dir=os.environ["RLTUI_DATA"], **kw)


def _start(trainer: RemoteTrainer) -> tuple[threading.Thread, dict]:
    out: dict = {}
    thread = threading.Thread(target=lambda: out.setdefault("finished", trainer.run()))
    thread.start()
    return thread, out


def _wait(predicate, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def test_a_remote_run_reports_every_episode_and_ends_with_the_final_agent():
    events = []
    trainer = RemoteTrainer(_config(5000), callback=events.append)
    finished = trainer.run()
    assert trainer.pid != os.getpid()
    assert finished.status == "finished" and finished.steps == 5000 and events[-1] == finished
    ends = [e for e in events if isinstance(e, EpisodeEnd)]
    assert [e.episode for e in ends] == list(range(1, len(ends) + 1))  # batched, but none lost or reordered
    assert len(ends) == finished.episodes and any(isinstance(e, Progress) for e in events)
    with RunStore.open(None) as store:
        run = store.get_run(trainer.run_id)
        assert run["status"] == "finished" and run["steps"] == 5000 and run["episodes"] == len(ends)
    saved, _ = load_checkpoint(finished.checkpoint, "FrozenLake4x4")
    assert np.array_equal(trainer.agent.q_values(), saved.q_values())  # the final agent, here
    snapshots = [e for e in events if isinstance(e, QSnapshot)]
    assert snapshots and snapshots[-1].q.shape == (16, 4)


def test_commands_reach_the_child_pause_stops_the_clock_and_stop_saves():
    control = TrainerControl()
    progress: list[Progress] = []
    trainer = RemoteTrainer(_config(10**9), callback=lambda e: progress.append(e) if isinstance(e, Progress) else None,
                            control=control)
    thread, out = _start(trainer)
    _wait(lambda: progress and progress[-1].steps > 0)
    control.pause()
    _wait(lambda: progress[-1].paused)
    paused_at = progress[-1].steps
    time.sleep(0.5)
    assert progress[-1].steps == paused_at  # the loop in the child is holding
    control.resume()
    _wait(lambda: progress[-1].steps > paused_at)
    control.stop()
    thread.join(30)
    finished = out["finished"]
    assert finished.status == "stopped" and paused_at < finished.steps < 10**9 and finished.checkpoint


def test_a_bad_config_fails_in_the_child_with_the_same_one_line_message():
    events = []
    finished = RemoteTrainer(_config(100, hparams={"alpha": 5.0}), callback=events.append).run()
    assert finished.status == "failed" and "alpha" in finished.error and "Traceback" not in finished.error
    assert events == [finished]


def test_a_child_that_dies_ends_the_run_failed_in_the_callback_and_the_store():
    events = []
    with RunStore.open(None) as store:
        trainer = RemoteTrainer(_config(10**9), callback=events.append, store=store)
        thread, out = _start(trainer)
        _wait(lambda: trainer.run_id is not None and any(isinstance(e, Progress) for e in events))
        os.kill(trainer.pid, signal.SIGKILL)
        thread.join(30)
        finished = out["finished"]
        assert finished.status == "failed" and "killed" in finished.error and events[-1] == finished
        assert store.get_run(trainer.run_id)["status"] == "failed"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_to_the_child_stops_the_run_and_saves(sig):
    """SIGHUP is what the child gets when the app's terminal is closed: the run is kept."""
    events = []
    trainer = RemoteTrainer(_config(10**9), callback=events.append)
    thread, out = _start(trainer)
    _wait(lambda: trainer.run_id is not None and any(isinstance(e, Progress) and e.steps > 0 for e in events))
    os.kill(trainer.pid, sig)
    thread.join(60)
    finished = out["finished"]
    assert finished.status == "stopped" and finished.checkpoint
    saved, header = load_checkpoint(finished.checkpoint, "FrozenLake4x4")
    assert header["run_steps"] == finished.steps > 0
    with RunStore.open(None) as store:
        assert store.get_run(trainer.run_id)["status"] == "stopped"


APP_LIKE = """
import os, signal, sys, threading
# An app in a terminal dies of SIGHUP; a test runner started under nohup would hand down SIGHUP ignored.
signal.signal(signal.SIGHUP, signal.SIG_DFL)
from rltui.training.config import TrainConfig
from rltui.training.remote import RemoteTrainer
ready = threading.Event()
trainer = RemoteTrainer(TrainConfig("FrozenLake8x8", "q", 10**9, data_dir=os.environ["RLTUI_DATA"]),
                        callback=lambda e: ready.set() if getattr(e, "steps", 0) > 0 else None)
threading.Thread(target=trainer.run, daemon=True).start()
ready.wait(120)
print(trainer.pid, flush=True)
threading.Event().wait()  # as an app does, until its terminal goes away
"""


def test_closing_the_terminal_of_a_training_app_keeps_the_run():
    """SIGHUP to the whole process group (what a closed terminal sends): the parent dies, the training
    child stops, saves and records the run ``stopped``."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", APP_LIKE], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        child = int(proc.stdout.readline())
    except ValueError:
        proc.kill()
        pytest.fail("the app-like parent never started training")
    os.killpg(proc.pid, signal.SIGHUP)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # leave no app-like parent (or its child) running behind the test
        pytest.fail("the app-like parent outlived SIGHUP for 60 s")
    assert child != proc.pid
    with RunStore.open(None) as store:
        _wait(lambda: store.list_runs()[0]["status"] != "running", 120)
        (run,) = store.list_runs()
        assert run["status"] == "stopped" and run["steps"] > 0
        path = store.latest_checkpoint(run["id"])
    assert load_checkpoint(path, "FrozenLake8x8")[1]["run_steps"] == run["steps"]


def test_the_learned_state_comes_over_on_request_while_training_goes_on():
    arrived = threading.Event()
    control = TrainerControl()
    trainer = RemoteTrainer(_config(10**9), callback=lambda e: None, control=control, on_agent=arrived.set)
    thread, out = _start(trainer)
    try:
        _wait(lambda: isinstance(trainer.agent, AgentMirror))
        trainer.request_agent()
        assert arrived.wait(30)
        state = trainer.agent.state_dict()  # the latest, and a request for a newer one
        assert np.asarray(state["q"]).shape == (16, 4)
    finally:
        control.stop()
        thread.join(30)
    assert out["finished"].status == "stopped"


def test_continuing_a_loaded_agent_trains_it_further_in_the_child():
    first = RemoteTrainer(_config(2000), callback=lambda e: None).run()
    agent, _ = load_checkpoint(first.checkpoint, "FrozenLake4x4")
    trainer = RemoteTrainer(_config(1000), callback=lambda e: None, agent=agent)
    finished = trainer.run()
    assert finished.status == "finished"
    _, header = load_checkpoint(finished.checkpoint, "FrozenLake4x4")
    assert header["steps"] == 3000  # 2000 before + 1000 now: the child started from the loaded agent


@pytest.mark.parametrize("command,value", [("pause", None), ("epsilon", 0.3), ("pace", 20.0), ("stop", None)])
def test_a_control_replays_its_state_for_a_relay_that_starts_late(command, value):
    original = TrainerControl()
    original.apply(command, value)
    copy = TrainerControl()
    for c, v in original.state_commands():
        copy.apply(c, v)
    assert (copy.paused, copy.stopped, copy.pace, copy.take_epsilon()) == (
        original.paused, original.stopped, original.pace, original.take_epsilon())


def test_processes_start_while_stderr_has_no_fileno_as_inside_a_textual_app():
    import subprocess
    import sys

    script = (
        "import io, sys, multiprocessing as mp\n"
        "class Capture(io.StringIO):\n"
        "    def fileno(self): return -1\n"
        "sys.stderr = Capture()\n"
        "from rltui.training.remote import prepare_spawn\n"
        "prepare_spawn()\n"
        "p = mp.get_context('spawn').Process(target=abs, args=(-1,))\n"
        "try:\n"
        "    p.start(); p.join(60); print(p.exitcode)\n"
        "except Exception as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "0", done.stdout
    without = script.replace("prepare_spawn()\n", "")
    broken = subprocess.run([sys.executable, "-c", without], capture_output=True, text=True, timeout=120)
    assert "fds_to_keep" in broken.stdout  # what every spawn in the app hit before
