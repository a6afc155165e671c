"""The training seam (issue 13): one TrainingHandle protocol, a thread and a process behind it, the
same run either way; typed messages over the pipe; the CLI on either worker."""

import dataclasses
import os
import pickle
import threading

import numpy as np
import pytest

from rltui.cli import main
from rltui.training import remote
from rltui.training.config import TrainConfig
from rltui.training.events import EpisodeEnd, Evaluation, Finished
from rltui.training.handle import ThreadTraining, TrainingHandle, start_training
from rltui.training.store import RunStore


def _run(worker: str, config: TrainConfig, built: bool = True):
    events = []
    ready = []
    handle = start_training(worker, config, callback=events.append, on_ready=ready.append)
    assert isinstance(handle, TrainingHandle)
    finished = handle.run()
    assert ready == ([handle] if built else []) and events[-1] == finished
    return handle, finished, events


def test_the_same_config_gives_the_same_run_in_a_thread_and_in_a_process(tmp_path):
    config = dict(env="FrozenLake4x4", algo="q", steps=4000, seed=7, eval_every=2000, eval_episodes=20,
                  data_dir=os.environ["RLTUI_DATA"])
    runs = {}
    for worker in ("thread", "process"):
        handle, finished, events = _run(worker, TrainConfig(**config, out=str(tmp_path / f"{worker}.npz")))
        returns = [(e.episode, e.steps, e.ret) for e in events if isinstance(e, EpisodeEnd)]
        evals = [(e.steps, e.mean) for e in events if isinstance(e, Evaluation)]
        runs[worker] = (finished.status, finished.steps, finished.episodes, returns, evals,
                        handle.agent.q_values(), handle.algo, handle.hparams, handle.run_id is not None)
    thread, process = runs["thread"], runs["process"]
    assert thread[0] == process[0] == "finished" and thread[3] and thread[4]
    assert thread[:5] == process[:5]  # the same episodes, returns and evaluations, in the same order
    assert np.array_equal(thread[5], process[5]) and thread[6:] == process[6:]
    with RunStore.open(None) as store:
        assert [r["status"] for r in store.list_runs()] == ["finished", "finished"]


def test_the_learned_state_is_asked_for_and_forgotten_the_same_way(tmp_path):
    for worker in ("thread", "process"):
        arrived = threading.Event()
        box = {}
        handle = start_training(worker, TrainConfig("FrozenLake4x4", "q", 10**9, data_dir=os.environ["RLTUI_DATA"]),
                                callback=lambda e: None, on_agent=arrived.set,
                                on_ready=lambda h, box=box: box.setdefault("ready", True))
        thread = threading.Thread(target=lambda h=handle, box=box: box.setdefault("finished", h.run()))
        thread.start()
        try:
            while "ready" not in box:
                arrived.wait(0.02)
            handle.request_agent()
            assert arrived.wait(60)
            state = handle.learned_state()
            assert state is not None and np.asarray(state["q"]).shape == (16, 4)
            handle.forget_learned_state()
        finally:
            handle.control.stop()
            thread.join(60)
        assert box["finished"].status == "stopped"


def test_the_pipe_carries_dataclasses_not_tagged_tuples():
    kinds = [remote.EventBatch, remote.Ready, remote.LearnedState, remote.FinalState, remote.Command,
             remote.AgentRequest]
    assert all(dataclasses.is_dataclass(k) for k in kinds)
    message = remote.EventBatch(3, [Finished("stopped", 10, 1, 0.5)])
    assert pickle.loads(remote._dumps(message)) == message
    assert pickle.loads(remote._dumps(remote.Command("epsilon", 0.1))) == remote.Command("epsilon", 0.1)


def test_a_bad_config_is_one_line_on_either_worker():
    with pytest.raises(Exception, match="alpha"):
        ThreadTraining(TrainConfig("FrozenLake4x4", "q", 100, hparams={"alpha": 5.0}), callback=lambda e: None)
    _, finished, _ = _run("process", TrainConfig("FrozenLake4x4", "q", 100, hparams={"alpha": 5.0}), built=False)
    assert finished.status == "failed" and "alpha" in finished.error and "\n" not in finished.error


def test_the_cli_trains_in_a_child_process_too(tmp_path, capsys):
    out = tmp_path / "p.npz"
    assert main(["train", "Taxi", "--steps", "2000", "--quiet", "--worker", "process", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "finished" in text and out.exists()


def test_eval_play_and_compare_take_a_run_or_its_best(tmp_path, capsys):
    out = tmp_path / "r.npz"
    assert main(["train", "FrozenLake4x4", "--algo", "q", "--steps", "3000", "--eval-every", "1000",
                 "--eval-episodes", "10", "--quiet", "--out", str(out)]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "best checkpoint" in text
    from rltui.training.store import checkpoint_spec

    assert checkpoint_spec("run:1") == str(out)
    assert checkpoint_spec("run:1:best") == str(tmp_path / "r-best.npz")
    assert checkpoint_spec(str(out)) == str(out)
    for spec in ("run:1", "run:1:best"):
        assert main(["eval", spec, "--episodes", "3"]) == 0
    assert "r-best.npz" in "".join(capsys.readouterr().out.split())  # the path folds under a long temp dir
    assert main(["eval", "run:9"]) == 2 and "no run 9" in capsys.readouterr().err
    assert main(["eval", "run:x"]) == 2 and "run:N or run:N:best" in capsys.readouterr().err
    assert main(["compare", "FrozenLake4x4", "--agent", "run:1:best", "--seeds", "0", "--no-save"]) == 0
    assert "r-best.npz" in "".join(capsys.readouterr().out.split())  # the path folds under a long temp dir
