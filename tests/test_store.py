"""The SQLite run store: schema, batched writes, transactions, threads, human episodes."""

import sqlite3
import threading
import time

import pytest

from rltui.errors import RltuiError
from rltui.training.config import TrainConfig
from rltui.training.paths import data_dir
from rltui.training.store import DB_NAME, SCHEMA_VERSION, STALE_AFTER_S, RunStore


@pytest.fixture
def store(tmp_path):
    with RunStore(tmp_path / "runs.sqlite3") as s:
        yield s


def test_data_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("RLTUI_DATA", str(tmp_path / "from-env"))
    assert data_dir() == tmp_path / "from-env"
    assert data_dir(str(tmp_path / "flag")) == tmp_path / "flag"
    assert (tmp_path / "flag").is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(RltuiError, match="data dir"):
        data_dir(str(tmp_path / "file"))
    assert RunStore.open().path == tmp_path / "from-env" / DB_NAME


def test_a_run_from_start_to_finish(store):
    run_id = store.create_run(TrainConfig("FrozenLake4x4", "q", 100, seed=3), "cpu", {"alpha": 0.1})
    store.add_episodes(run_id, [(0, 10, 0.0, 10), (1, 25, 1.0, 15)], steps=30)
    store.add_episodes(run_id, [(2, 40, 1.0, 15)], steps=40)
    store.add_evaluation(run_id, 40, 0.5, 0.5, 10, 0.5)
    store.add_checkpoint(run_id, "/x/a.npz", 20)
    store.add_checkpoint(run_id, "/x/b.npz", 40)
    run = store.get_run(run_id)
    assert run["status"] == "running" and run["steps"] == 40 and run["episodes"] == 3
    assert run["config"]["seed"] == 3 and run["hparams"] == {"alpha": 0.1}
    store.finish_run(run_id, "finished", steps=40, episodes=3)
    run = store.get_run(run_id)
    assert run["status"] == "finished" and run["ended"] >= run["started"]
    assert [e["ret"] for e in store.episodes(run_id)] == [0.0, 1.0, 1.0]
    assert store.evaluations(run_id)[0]["success_rate"] == 0.5
    assert store.latest_checkpoint(run_id) == "/x/b.npz"
    assert [r["id"] for r in store.list_runs()] == [run_id]
    assert store.get_run(999) is None


def test_wal_mode_and_schema_version(tmp_path):
    path = tmp_path / "s.sqlite3"
    RunStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(RltuiError, match="schema version"):
        RunStore(path)


def test_a_batch_is_all_or_nothing(store):
    run_id = store.create_run({"env": "CliffWalking", "algo": "q", "seed": 0}, "cpu")
    with pytest.raises(RltuiError):
        store.add_episodes(run_id + 1, [(0, 1, 0.0, 1)], steps=1)  # no such run: foreign key fails
    assert store.episodes(run_id + 1) == []
    store.add_episodes(run_id, [(0, 5, -5.0, 5)], steps=5)
    assert len(store.episodes(run_id)) == 1


def test_a_run_whose_heartbeat_stopped_reads_as_interrupted_whatever_its_pid(store):
    run_id = store.create_run({"env": "Taxi", "algo": "q", "seed": 0}, "cpu", owner="me")
    assert store.get_run(run_id)["status"] == "running"
    # the PID is this live process (as after PID reuse), but the heartbeat is old: the run is gone
    store._write("UPDATE runs SET heartbeat = ? WHERE id = ?", (time.time() - STALE_AFTER_S - 1, run_id))
    assert store.get_run(run_id)["status"] == "interrupted"
    store.heartbeat(run_id, "someone else")  # another owner's beat does not count
    assert store.get_run(run_id)["status"] == "interrupted"
    store.heartbeat(run_id, "me")
    assert store.get_run(run_id)["status"] == "running"
    store.finish_run(run_id, "stopped", owner="someone else")  # only the owner ends it
    assert store.get_run(run_id)["status"] == "running"
    store.finish_run(run_id, "stopped", owner="me")
    assert store.get_run(run_id)["status"] == "stopped"


def test_a_store_without_the_status_columns_is_upgraded_in_place(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with RunStore(path) as store:
        run_id = store.create_run({"env": "Taxi", "algo": "q", "seed": 0}, "cpu")
        store.add_checkpoint(run_id, "/x.npz", 10)
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE runs DROP COLUMN heartbeat")
    db.execute("ALTER TABLE runs DROP COLUMN owner")
    db.execute("ALTER TABLE checkpoints DROP COLUMN role")
    db.execute("UPDATE runs SET pid = ?", (2**22 + 12345,))  # an old row: its process is gone
    db.commit()
    db.close()
    with RunStore(path) as store:
        assert store.get_run(run_id)["status"] == "interrupted"  # the PID rule, for rows without a heartbeat
        assert store.latest_checkpoint(run_id) == "/x.npz"


def test_one_checkpoint_row_per_file_and_the_best_apart(store):
    run_id = store.create_run({"env": "Taxi", "algo": "q", "seed": 0}, "cpu")
    for steps in (100, 200, 300):
        store.add_checkpoint(run_id, "/r.npz", steps)
    store.add_checkpoint(run_id, "/r-best.npz", 200, role="best")
    rows = store.checkpoints(run_id)
    assert [(r["path"], r["steps"], r["role"]) for r in rows] == [("/r.npz", 300, "last"), ("/r-best.npz", 200, "best")]
    assert store.latest_checkpoint(run_id) == "/r.npz"
    assert store.latest_checkpoint(run_id, role="best") == "/r-best.npz"


def test_one_writer_thread_and_a_reader(store, tmp_path):
    run_id = store.create_run({"env": "Taxi", "algo": "q", "seed": 0}, "cpu")
    errors = []

    def write():
        try:
            for i in range(200):
                store.add_episodes(run_id, [(i, i, float(i), 1)], steps=i)
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    other = RunStore(tmp_path / "runs.sqlite3")  # another connection, as another process would have
    seen = 0
    while writer.is_alive():
        seen = max(seen, len(store.episodes(run_id)), len(other.episodes(run_id)))
    writer.join()
    assert not errors
    assert len(other.episodes(run_id)) == 200
    other.close()


def test_human_episodes(store):
    first = store.add_human_episode("FrozenLake4x4", 7, [1, 2, 2], [0.0, 0.0, 1.0])
    store.add_human_episode("CliffWalking", None, [0], [-1.0])
    rows = store.human_episodes("FrozenLake4x4")
    assert [r["id"] for r in rows] == [first]
    assert rows[0]["actions"] == [1, 2, 2] and rows[0]["ret"] == 1.0 and rows[0]["length"] == 3
    assert len(store.human_episodes()) == 2
    with pytest.raises(RltuiError, match="one reward per action"):
        store.add_human_episode("Taxi", 0, [1, 2], [0.0])


def test_a_file_that_is_not_a_database(tmp_path):
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(RltuiError, match="cannot open the run store"):
        RunStore(bad)
