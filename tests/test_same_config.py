"""One source of truth for defaults: `rltui train`, the app's Train form and the benchmarks build the same
run for the same env, algorithm and seed, and the agents' dataclasses hold the only default values."""

import re
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from test_tui_support import sync

from rltui.cli import main
from rltui.training import presets
from rltui.training.config import resolve_hparams

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the benchmarks package

from benchmarks._runs import bench_config  # noqa: E402

CASES = [("CartPole", "dqn"), ("MaskedCartPole", "drqn"), ("GridWorld", "dqn"), ("FrozenLake4x4", "q")]


def what_is_trained(config) -> dict:
    """Everything that decides the trained agent (not how often it is evaluated or where it is saved)."""
    return {"env": config.env, "algo": config.algo, "steps": config.steps, "seed": config.seed,
            "n_envs": config.n_envs, "env_overrides": config.env_overrides, "demos": config.demos,
            "hparams": resolve_hparams(config)}


class _Captured(BaseException):
    pass


def cli_config(monkeypatch, tmp_path, env, algo, seed, *more):
    seen = []

    def start_training(worker, config, **kwargs):
        seen.append(config)
        raise _Captured

    monkeypatch.setattr("rltui.training.handle.start_training", start_training)
    with pytest.raises(_Captured):
        main(["--data-dir", str(tmp_path), "train", env, "--algo", algo, "--seed", str(seed), "--quiet", *more])
    return seen[0]


async def app_config(tmp_path, env, algo, seed):
    from textual.widgets import Input

    from rltui.tui.app import RltuiApp
    from rltui.tui.screens.train import TrainScreen
    from rltui.tui.screens.train_form import TrainForm

    app = RltuiApp(data_dir=tmp_path)
    async with app.run_test(size=(100, 40)) as pilot:
        await app.push_screen(TrainScreen(env, algo=algo))
        await pilot.pause(0.3)
        app.screen.query_one("#hp-seed", Input).value = str(seed)
        await pilot.pause()
        return app.screen.query_one(TrainForm).validate()


@pytest.mark.parametrize(("env", "algo"), CASES)
@sync
async def test_cli_app_and_benchmarks_build_the_same_run(env, algo, tmp_path, monkeypatch):
    cli = what_is_trained(cli_config(monkeypatch, tmp_path, env, algo, 5))
    app = what_is_trained(await app_config(tmp_path, env, algo, 5))
    bench = what_is_trained(bench_config(env, algo, 5))
    assert cli == app == bench


def test_every_benchmark_builds_its_runs_through_bench_config():
    for path in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        code = re.sub(r'"""[\s\S]*?"""', "", path.read_text(encoding="utf-8"))  # docstrings may name it
        assert "TrainConfig(" not in code, f"{path.name} builds a TrainConfig itself: use bench_config"


@pytest.mark.parametrize("algo", ["q", "sarsa", "vi", "dqn", "drqn"])
def test_preset_files_hold_no_defaults_of_their_own(algo):
    """Hyperparameter defaults live in the agent's dataclass only; a preset's top level would shadow them
    for every env (as drqn.toml once did, disagreeing with DRQNConfig on four values)."""
    schema = presets.hparams_schema(algo)
    names = {f.name for f in fields(schema)}
    top = set(presets.load_file(algo)) & names
    assert not top, f"{algo}.toml repeats {sorted(top)} at its top level: change {schema.__name__} instead"


def test_an_old_hyperparameter_name_still_reads():
    """Checkpoints and presets written with target_update_interval keep loading (it counts gradient steps)."""
    from rltui.agents.base import validate_hparams
    from rltui.agents.dqn import DQNConfig

    assert validate_hparams(DQNConfig, {"target_update_interval": 77}, where="dqn").target_update_grad_steps == 77


def test_a_run_the_cli_way_learns_exactly_what_the_benchmark_way_learns(tmp_path, monkeypatch):
    """A figure in benchmarks/README.md is what `rltui train` gives for the same seed: periodic evaluations,
    the run store and the worker thread take nothing from the agent's random streams or arithmetic."""
    import threading

    import torch

    from rltui.training.store import RunStore
    from rltui.training.trainer import Trainer

    config = cli_config(monkeypatch, tmp_path, "CartPole", "dqn", 3, "--steps", "1600", "--eval-every", "400",
                        "--eval-episodes", "2")
    monkeypatch.undo()
    from rltui.training.handle import start_training

    bench = Trainer(bench_config("CartPole", "dqn", 3, 1600, data_dir=str(tmp_path / "bench")))
    assert bench.run().status == "finished"
    evaluations = []
    store = RunStore.open(str(tmp_path))
    try:
        handle = start_training("thread", config, callback=evaluations.append, store=store)
        worker = threading.Thread(target=handle.run)
        worker.start()
        worker.join()
    finally:
        store.close()
    assert sum(type(e).__name__ == "Evaluation" for e in evaluations) >= 3
    assert bench.agent.updates == handle.agent.updates > 100
    for a, b in zip(bench.agent.q.parameters(), handle.agent.q.parameters()):
        assert torch.equal(a, b)
