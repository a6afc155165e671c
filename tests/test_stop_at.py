"""stop_at_return (SB3's StopTrainingOnRewardThreshold): a run ends at its first evaluation that reaches
the return, as the same run would have been at that step; presets, the CLI and sweeps carry it."""

import pytest

from rltui.cli import main
from rltui.errors import RltuiError
from rltui.training.config import TrainConfig, parse_stop_at, train_settings
from rltui.training.events import Evaluation
from rltui.training.presets import _apply
from rltui.training.store import RunStore
from rltui.training.trainer import Trainer


def run(tmp_path, name, **kwargs):
    config = TrainConfig("GridWorld", "q", 12_000, seed=0, eval_every=2000, eval_episodes=50,
                         checkpoint_every_s=0, checkpoint_every=0, out=str(tmp_path / name), **kwargs)
    events = []
    trainer = Trainer(config, callback=events.append)
    finished = trainer.run()
    return trainer, finished, [e.mean for e in events if isinstance(e, Evaluation)]


def test_a_run_ends_at_the_first_evaluation_that_reaches_the_return(tmp_path):
    _, whole, curve = run(tmp_path, "whole.npz", stop_at_return="off")
    assert whole.steps == 12_000 and whole.reached is None and len(curve) == 6
    k = curve.index(max(curve))  # first reached at a later evaluation: not simply "after the first one"
    assert k >= 1
    threshold = curve[k]
    trainer, finished, stopped = run(tmp_path, "stopped.npz", stop_at_return=threshold)
    assert stopped == curve[:k + 1]  # the same run up to there: the rule only ends it
    assert finished.status == "finished" and finished.steps == 2000 * (k + 1)
    assert finished.reached and f"step {finished.steps:,}" in finished.reached
    assert finished.checkpoint and finished.best_checkpoint  # the final agent is the one that reached it
    with RunStore.open() as store:
        row = store.get_run(trainer.run_id)
        assert row["status"] == "finished" and row["steps"] == finished.steps
        assert len(store.evaluations(trainer.run_id)) == k + 1


def test_a_return_never_reached_trains_the_whole_budget(tmp_path):
    _, finished, curve = run(tmp_path, "never.npz", stop_at_return=1000)  # far above any GridWorld return
    assert finished.steps == 12_000 and finished.reached is None and len(curve) == 6


def test_the_preset_sets_it_and_flags_override_it():
    assert train_settings(TrainConfig("MaskedCartPole", "drqn", 10))["stop_at_return"] == 475.0
    assert train_settings(TrainConfig("MaskedCartPole", "drqn", 10, stop_at_return="off"))["stop_at_return"] == "off"
    assert train_settings(TrainConfig("CartPole", "dqn", 10))["stop_at_return"] == "off"  # no preset value
    assert train_settings(TrainConfig("CliffWalking", "q", 10, stop_at_return=-13))["stop_at_return"] == -13.0
    assert parse_stop_at(" OFF ") == "off" and parse_stop_at("475") == 475.0
    for bad in ("nan", "inf", "soon", True):
        with pytest.raises(RltuiError, match="stop_at_return"):
            parse_stop_at(bad)


def test_preset_files_check_it():
    hparams, train = {}, {}
    _apply({"train": {"stop_at_return": -20}}, "x", hparams, train)
    assert train == {"stop_at_return": -20}
    _apply({"train": {"stop_at_return": "off"}}, "x", hparams, train)
    with pytest.raises(RltuiError, match="stop_at_return"):
        _apply({"train": {"stop_at_return": "later"}}, "x", hparams, train)


def test_the_cli_takes_it_and_refuses_bad_values_in_one_line(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "train", "FrozenLake4x4", "--algo", "q", "--steps", "6000",
                 "--eval-every", "2000", "--eval-episodes", "10", "--stop-at", "-1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "ended early" in out and "2,000" in out
    assert main(["--data-dir", str(tmp_path), "runs", "show", "1"]) == 0  # the store says why, later
    assert "ended early" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["--data-dir", str(tmp_path), "train", "FrozenLake4x4", "--stop-at", "soon"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--stop-at" in err and "Traceback" not in err


def test_a_sweep_trial_gets_the_preset_value_resolved_on_the_driver():
    from rltui.sweep.driver import trial_spec
    from rltui.sweep.spec import SweepSpec

    spec = trial_spec(SweepSpec("MaskedCartPole", "drqn", [0, 1], 1000))
    assert spec["stop_at_return"] == 475.0
    assert SweepSpec.from_dict(spec).base_config(1).stop_at_return == 475.0
    off = trial_spec(SweepSpec("MaskedCartPole", "drqn", [0], 1000, stop_at_return="off"))
    assert off["stop_at_return"] == "off"


@pytest.mark.parametrize("worker", ["thread", "process"])
def test_the_app_s_child_process_ends_the_same_way(tmp_path, worker):
    from rltui.training.handle import start_training

    config = TrainConfig("GridWorld", "q", 6000, eval_every=2000, eval_episodes=10, stop_at_return=-100,
                         out=str(tmp_path / worker))
    finished = start_training(worker, config, callback=lambda event: None).run()
    assert finished.status == "finished" and finished.steps == 2000 and "step 2,000" in (finished.reached or "")


def test_the_train_screen_says_the_goal_was_reached(tmp_path, monkeypatch):
    import asyncio

    from test_tui_support import screen_text, start_and_wait_finished

    from rltui.tui.app import RltuiApp

    # a user's preset (the app has no flag): what the app's child process reads as rltui train would
    monkeypatch.setenv("RLTUI_CONFIG", str(tmp_path / "config"))
    (tmp_path / "config" / "presets").mkdir(parents=True)
    (tmp_path / "config" / "presets" / "dqn.toml").write_text(  # dqn: GridWorld's first agent
        "[env.GridWorld.train]\neval_every = 2000\neval_episodes = 10\nstop_at_return = -100\n")

    async def main() -> None:
        app = RltuiApp(start=("train", "GridWorld"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.3)
            finished = await start_and_wait_finished(pilot, 6000)
            assert finished.steps == 2000 and finished.reached
            await pilot.pause(0.2)
            assert "goal reached" in screen_text(app)

    asyncio.run(main())
