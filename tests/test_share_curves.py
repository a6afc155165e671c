"""Curves out: TensorBoard event files under SB3's tags (read back with TensorBoard's own reader), SB3's
monitor.csv (read back with SB3's own reader), a plot file, and the store's in-place upgrade for wall times."""

import json
import sqlite3

import pytest

from rltui.cli import main
from rltui.share.curves import TensorBoardLogger
from rltui.training.events import EpisodeEnd, Evaluation, Finished, Progress
from rltui.training.store import SCHEMA_VERSION, RunStore

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator",
                                        reason="the share extra is not installed")

ENV = "FrozenLake4x4"


def _scalars(log_dir) -> dict[str, list]:
    acc = event_accumulator.EventAccumulator(str(log_dir))
    acc.Reload()
    return {tag: acc.Scalars(tag) for tag in acc.Tags()["scalars"]}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One short tabular run with greedy evaluations, trained through the CLI with --tensorboard."""
    root = tmp_path_factory.mktemp("curves")
    data = root / "data"
    tb = root / "tb"
    argv = ["--data-dir", str(data), "train", ENV, "--algo", "q", "--steps", "3000", "--eval-every", "1000",
            "--eval-episodes", "20", "--quiet", "--tensorboard", str(tb), "--out", str(root / "q.npz")]
    assert main(argv) == 0
    store = RunStore.open(str(data))
    run_id = store.list_runs()[0]["id"]
    yield store, run_id, tb, root
    store.close()


def test_train_writes_sb3_tags_that_tensorboard_reads(trained):
    store, run_id, tb, _ = trained
    (run_dir,) = tb.iterdir()
    assert run_dir.name == f"rltui-q_{ENV}_{run_id}"
    scalars = _scalars(run_dir)
    for tag in ("rollout/ep_rew_mean", "rollout/ep_len_mean", "rollout/exploration_rate", "eval/mean_reward",
                "eval/success_rate", "time/fps"):
        assert tag in scalars, tag
    evals = store.evaluations(run_id)
    assert [e.step for e in scalars["eval/mean_reward"]] == [e["steps"] for e in evals]
    assert [e.value for e in scalars["eval/mean_reward"]] == pytest.approx([e["mean"] for e in evals])
    eps = [e.value for e in scalars["rollout/exploration_rate"]]
    assert eps[0] >= eps[-1] and all(0 <= v <= 1 for v in eps)


def test_logger_names_loss_and_rates_as_sb3_does(tmp_path):
    logger = TensorBoardLogger(tmp_path / "run")
    for i in range(3):
        logger(EpisodeEnd(i + 1, 10 * (i + 1), float(i), 10))
    logger(Progress(30, 3, 1.0, 30.0, {"epsilon": 0.5, "loss": 0.25, "lr": 1e-3}))
    logger(Evaluation(30, 0.5, 0.1, 10, None))
    logger(Finished("finished", 30, 3, 1.0))
    scalars = _scalars(tmp_path / "run")
    assert scalars["train/loss"][0].value == pytest.approx(0.25)
    assert scalars["train/learning_rate"][0].value == pytest.approx(1e-3)
    first = scalars["rollout/ep_rew_mean"][0]
    assert first.value == pytest.approx(1.0) and first.step == 30
    assert "eval/success_rate" not in scalars  # the env has no success measure here


def test_runs_export_tensorboard_and_monitor_csv(trained, capsys):
    store, run_id, _, root = trained
    episodes = store.episodes(run_id)
    data = ["--data-dir", str(store.path.parent)]
    assert main([*data, "runs", "export", str(run_id), str(root / "export")]) == 0
    (run_dir,) = (root / "export").iterdir()
    scalars = _scalars(run_dir)
    assert len(scalars["rollout/ep_rew_mean"]) == len(episodes)
    last = [e["ret"] for e in episodes][-100:]
    assert scalars["rollout/ep_rew_mean"][-1].value == pytest.approx(sum(last) / len(last))
    assert scalars["rollout/ep_rew_mean"][-1].step == episodes[-1]["steps"]
    # A second export into the same folder would show the run twice in TensorBoard: refused.
    assert main([*data, "runs", "export", str(run_id), str(root / "export")]) == 2
    assert "already holds" in capsys.readouterr().err

    monitor = pytest.importorskip("stable_baselines3.common.monitor", reason="the share extra is not installed")
    pytest.importorskip("pandas", reason="SB3's load_results needs pandas")
    csv_dir = root / "csv"
    csv_dir.mkdir()
    assert main([*data, "runs", "export", str(run_id), str(csv_dir), "--format", "csv"]) == 0
    frame = monitor.load_results(str(csv_dir))
    assert list(frame["r"]) == pytest.approx([e["ret"] for e in episodes])
    assert list(frame["l"]) == [e["length"] for e in episodes]
    assert frame["t"].is_monotonic_increasing and frame["t"].iloc[0] >= 0
    header = json.loads((csv_dir / f"run{run_id}.monitor.csv").read_text().splitlines()[0][1:])
    assert header["env_id"] == "FrozenLake-v1"
    from stable_baselines3.common.results_plotter import X_TIMESTEPS, ts2xy

    x, y = ts2xy(frame, X_TIMESTEPS)
    assert x[-1] == sum(e["length"] for e in episodes)


def test_runs_plot_writes_an_image(trained):
    store, run_id, _, root = trained
    from PIL import Image

    out = root / "curve.png"
    assert main(["--data-dir", str(store.path.parent), "runs", "plot", str(run_id), str(out)]) == 0
    with Image.open(out) as img:
        assert img.size == (800, 450)
    assert main(["--data-dir", str(store.path.parent), "runs", "plot", str(run_id), str(root / "x.jpg")]) == 2


def test_a_version_2_store_gains_wall_times_in_place(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, env TEXT NOT NULL, algo TEXT NOT NULL,
            config TEXT NOT NULL, hparams TEXT NOT NULL, seed INTEGER, device TEXT, status TEXT NOT NULL
            DEFAULT 'running', error TEXT, steps INTEGER NOT NULL DEFAULT 0, episodes INTEGER NOT NULL DEFAULT 0,
            started REAL NOT NULL, ended REAL, pid INTEGER);
        CREATE TABLE episodes (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, idx INTEGER NOT NULL,
            steps INTEGER NOT NULL, ret REAL NOT NULL, length INTEGER NOT NULL,
            PRIMARY KEY (run_id, idx)) WITHOUT ROWID;
        INSERT INTO runs (env, algo, config, hparams, status, started, ended, steps)
            VALUES ('FrozenLake4x4', 'q', '{}', '{}', 'finished', 1000.0, 1010.0, 20);
        INSERT INTO episodes VALUES (1, 0, 10, 0.0, 10), (1, 1, 20, 1.0, 10);
        PRAGMA user_version=2;
    """)
    db.close()
    with RunStore(path) as store:
        rows = store.episode_times(1)
        assert [r["wall"] for r in rows] == [None, None]
        assert store.episodes(1)[1]["ret"] == 1.0  # the old rows are all there
        store.add_episodes(1, [(2, 30, 0.0, 10)], steps=30)
        assert store.episode_times(1)[2]["wall"] is not None
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()
    # Old rows' times are estimated between the run's start and the first known one, in step order.
    with RunStore(path) as store:
        out = tmp_path / "run1.monitor.csv"
        from rltui.share.curves import export_monitor_csv

        _, estimated = export_monitor_csv(store, 1, out)
        assert estimated == 2
        ts = [float(line.split(",")[2]) for line in out.read_text().splitlines()[2:]]
        assert ts == sorted(ts) and ts[0] >= 0
