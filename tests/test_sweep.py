"""Sweeps with Ray Tune (issue 16): each trial an ordinary run, written by the driver into the store.

One local Ray with 2 CPUs is shared by the module (starting one costs seconds). Tests that need a
trial to misbehave wrap the real trial function in this module, which is sent to Ray by value.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from rltui.errors import RltuiError
from rltui.sweep.spec import SweepSpec, parse_grid, parse_param, parse_seeds
from rltui.sweep.stats import aggregate, bootstrap_ci, curve, iqm
from rltui.training.store import RunStore

STEPS, EVERY, EPISODES = 2000, 1000, 20


def _spec(**kw) -> SweepSpec:
    base = dict(env="FrozenLake4x4", algo="q", seeds=[0, 1], steps=STEPS, eval_every=EVERY, eval_episodes=EPISODES)
    base.update(kw)
    return SweepSpec(**base)


# -- parsing and statistics (no Ray) ------------------------------------------------------------------
def test_parse_seeds_grid_and_params():
    assert parse_seeds("0-3,7,2") == [0, 1, 2, 3, 7]
    assert parse_grid(["alpha=0.1,0.5", "double=true,false"]) == {"alpha": [0.1, 0.5], "double": [True, False]}
    p = parse_param("lr=log:1e-4..1e-2")
    assert (p.kind, p.low, p.high) == ("log", 1e-4, 1e-2)
    assert parse_param("n=int:32..256").kind == "int"
    assert parse_param("double=choice:true,false").choices == (True, False)
    for bad in ("x", "3-1", "-1", "a-b"):
        with pytest.raises(RltuiError):
            parse_seeds(bad)
    for bad in ("lr=log:0..1", "lr=2..1", "lr=int:0.5..3", "lr", "lr=choice:1", "lr=cube:1..2"):
        with pytest.raises(RltuiError):
            parse_param(bad)


def test_spec_check_gives_one_line_errors_before_ray():
    with pytest.raises(RltuiError, match="alpha"):
        _spec(grid={"alpha": [0.1, -1.0]}).check()
    with pytest.raises(RltuiError, match="eval"):
        _spec(eval_every=0).check()
    with pytest.raises(RltuiError, match="--trials"):
        _spec(search="optuna", params=[parse_param("alpha=0.1..0.5")]).check()
    with pytest.raises(RltuiError, match="not both"):
        _spec(search="optuna", trials=2, grid={"alpha": [0.1]}, params=[parse_param("alpha=0.1..0.5")]).check()
    assert _spec(grid={"alpha": [0.1, 0.2], "gamma": [0.9, 0.99, 0.999]}).n_trials() == 12


def test_iqm_and_bootstrap():
    assert iqm([1, 2, 3, 4, 5, 6, 7, 100]) == pytest.approx(4.5)  # drops 2 from each end
    assert iqm([3.0, 5.0]) == 4.0
    low, high = bootstrap_ci([1.0, 2.0, 3.0, 4.0, 5.0], lambda s: s.mean(axis=-1))
    assert 1.0 < low < 3.0 < high < 5.0
    agg = aggregate([500, 500, 347, 493, 426], solved_bar=475)
    assert agg.solved == pytest.approx(0.6) and agg.solved_ci[0] < 0.6 < agg.solved_ci[1]
    assert agg.iqm_ci[0] <= agg.iqm <= agg.iqm_ci[1]
    assert agg.std == pytest.approx(np.std([500, 500, 347, 493, 426], ddof=1))
    points = curve([[(100, 1.0), (200, 3.0)], [(100, 3.0)]])
    assert [(p.steps, p.n, p.mean) for p in points] == [(100, 2, 2.0), (200, 1, 3.0)]


def test_an_unreachable_address_is_one_line(capsys):
    pytest.importorskip("ray.tune")
    from rltui.cli import main

    code = main(["sweep", "FrozenLake4x4", "--algo", "q", "--seeds", "0", "--steps", "100", "--eval-every", "50",
                 "--address", "127.0.0.1:1"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("rltui: error: cannot reach the Ray cluster at 127.0.0.1:1")
    assert len(err.splitlines()) == 1
    code = main(["sweep", "FrozenLake4x4", "--algo", "q", "--seeds", "0", "--address", "ray://127.0.0.1:10001"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "Ray Client addresses are not supported" in err and len(err.splitlines()) == 1


# -- with Ray -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ray_session(tmp_path_factory):
    pytest.importorskip("ray.tune")
    pytest.importorskip("optuna")
    import ray.cloudpickle

    from rltui.sweep.driver import start_ray, stop_ray

    # Ray's workers keep the environment Ray started with: their data dir is a temporary one too.
    previous = os.environ.get("RLTUI_DATA")
    os.environ["RLTUI_DATA"] = str(tmp_path_factory.mktemp("ray-workers"))
    start_ray(num_cpus=2)
    if previous is not None:
        os.environ["RLTUI_DATA"] = previous
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the wrapped trials below
    yield
    stop_ray()


def _run(spec: SweepSpec, store: RunStore, **kw):
    from rltui.sweep.driver import run_sweep

    return run_sweep(spec, store=store, **kw)


def test_grid_sweep_lands_runs_equal_to_rltui_train(ray_session, tmp_path, capsys):
    from rltui.cli import main
    from rltui.training.checkpoints import load_checkpoint

    spec = _spec(grid={"alpha": [0.05, 0.2]})
    with RunStore.open() as store:
        outcome = _run(spec, store)
        assert outcome.status == "finished"
        runs = store.sweep_runs(outcome.sweep_id)
        assert sorted((r["seed"], r["params"]["alpha"]) for r in runs) == [(0, 0.05), (0, 0.2), (1, 0.05), (1, 0.2)]
        for run in runs:
            assert run["status"] == "finished" and run["steps"] == STEPS
            ckpt = store.latest_checkpoint(run["id"])
            assert ckpt is not None and ckpt.startswith(outcome.storage) and Path(ckpt).is_file()
            out = tmp_path / f"train-{run['id']}.npz"
            code = main(["train", "FrozenLake4x4", "--algo", "q", "--seed", str(run["seed"]), "--steps", str(STEPS),
                         "--set", f"alpha={run['params']['alpha']}", "--eval-every", str(EVERY),
                         "--eval-episodes", str(EPISODES), "--out", str(out), "--quiet"])
            assert code == 0
            single = store.list_runs(limit=1)[0]
            assert single["hparams"] == run["hparams"]
            assert [e["ret"] for e in store.episodes(single["id"])] == [e["ret"] for e in store.episodes(run["id"])]
            assert ([(e["steps"], e["mean"]) for e in store.evaluations(single["id"])]
                    == [(e["steps"], e["mean"]) for e in store.evaluations(run["id"])])
            swept, _ = load_checkpoint(ckpt)
            trained, _ = load_checkpoint(str(out))
            assert np.array_equal(swept.q, trained.q)
        sweep = store.get_sweep(outcome.sweep_id)
        assert sweep["status"] == "finished" and sweep["storage"] == outcome.storage
    capsys.readouterr()
    assert main(["runs", "sweep", str(outcome.sweep_id)]) == 0
    out = capsys.readouterr().out
    assert "alpha=0.05" in out and "alpha=0.2" in out and "IQM" in out and "curve over seeds" in out
    assert main(["runs"]) == 0
    assert f"belong to sweep {outcome.sweep_id}" in capsys.readouterr().out


def _raise_for_seed_1(config, spec, control=None):
    from rltui.sweep.trial import run_trial

    if config["seed"] == 1:
        raise ValueError("trial blew up on purpose")
    return run_trial(config, spec, control)


def test_a_trial_that_raises_is_failed_while_the_others_finish(ray_session):
    with RunStore.open() as store:
        outcome = _run(_spec(seeds=[0, 1, 2], retries=0), store, trainable=_raise_for_seed_1)
        runs = {r["seed"]: r for r in store.sweep_runs(outcome.sweep_id)}
        assert set(runs) == {0, 1, 2}
        assert runs[1]["status"] == "failed" and "trial blew up on purpose" in runs[1]["error"]
        assert runs[0]["status"] == runs[2]["status"] == "finished"
        assert runs[0]["steps"] == runs[2]["steps"] == STEPS


def _dies_once(marker_dir: str):
    """A trial whose first attempt's worker process dies mid-run (as when a node is lost); the retry,
    in a fresh worker, trains normally."""

    def die_once(config, spec, control=None):
        from rltui.sweep import trial

        marker = Path(marker_dir) / f"died-{config['seed']}"
        if not marker.exists():
            marker.write_text("x")
            original = trial._Reporter.__call__

            def dying(self, event):
                if type(event).__name__ == "Evaluation":
                    os._exit(1)
                return original(self, event)

            trial._Reporter.__call__ = dying
        return trial.run_trial(config, spec, control)

    return die_once


def test_a_dead_worker_is_reported_and_its_trial_retried(ray_session, tmp_path):
    with RunStore.open() as store:
        outcome = _run(_spec(seeds=[3], retries=1), store, trainable=_dies_once(str(tmp_path)))
        runs = store.sweep_runs(outcome.sweep_id)
        assert [r["status"] for r in runs] == ["failed", "finished"]
        assert "worker" in runs[0]["error"] and "retr" in runs[0]["error"]
        assert runs[1]["steps"] == STEPS


def test_optuna_search_and_save_best_as_preset(ray_session, tmp_path, monkeypatch):
    from rltui.sweep.summary import best_config, save_best, summarize
    from rltui.training import presets

    monkeypatch.setenv("RLTUI_CONFIG", str(tmp_path / "config"))  # the user's preset folder
    spec = _spec(seeds=[0], search="optuna", trials=3, params=[parse_param("alpha=log:0.01..0.5")])
    with RunStore.open() as store:
        outcome = _run(spec, store)
        runs = store.sweep_runs(outcome.sweep_id)
        assert len(runs) == 3 and all(r["status"] == "finished" for r in runs)
        alphas = {r["params"]["alpha"] for r in runs}
        assert len(alphas) == 3 and all(0.01 <= a <= 0.5 for a in alphas)
        _, configs = summarize(store, outcome.sweep_id)
        best = best_config(configs)
        path = save_best(store, outcome.sweep_id, "swept")
        assert path.is_file() and path.is_relative_to(tmp_path)
    resolved = presets.resolve("q", "FrozenLake4x4", "swept")
    assert resolved.hparams["alpha"] == best.params["alpha"]
    assert resolved.train["steps"] == STEPS and "swept" in presets.preset_names("q")


def test_a_stopped_sweep_records_its_trials_with_checkpoints(ray_session):
    stop = threading.Event()

    def on_event(event):
        if event.get("type") == "trial" and event.get("steps", 0) > 0:
            stop.set()  # as the CLI's Ctrl-C handler does

    spec = _spec(seeds=[0, 1, 2], steps=50_000_000, eval_every=500, eval_episodes=5)
    with RunStore.open() as store:
        outcome = _run(spec, store, stop=stop, on_event=on_event)
        assert outcome.status == "stopped" and store.get_sweep(outcome.sweep_id)["status"] == "stopped"
        runs = store.sweep_runs(outcome.sweep_id)
        assert len(runs) == 3 and {r["status"] for r in runs} == {"stopped"}
        trained = [r for r in runs if r["steps"] > 0]
        assert trained
        for run in trained:
            assert run["steps"] < spec.steps
            ckpt = store.latest_checkpoint(run["id"])
            assert ckpt is not None and Path(ckpt).is_file()
