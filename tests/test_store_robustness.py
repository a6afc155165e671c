"""The run store from elsewhere (issue 11): malformed rows are skipped and counted, never hide the rest;
read-only commands open it read-only; `runs show` aggregates in SQL; store text reaches no terminal raw."""

import os
import sqlite3
import time

import pytest

from rltui.cli import main
from rltui.training.config import TrainConfig
from rltui.training.store import DB_NAME, RunStore


def _store_with_runs(data, n=3) -> list[int]:
    data.mkdir(parents=True, exist_ok=True)
    with RunStore(data / DB_NAME) as store:
        ids = []
        for i in range(n):
            run_id = store.create_run(TrainConfig("FrozenLake4x4", "q", 100, seed=i), "cpu", {"alpha": 0.1})
            store.add_episodes(run_id, [(k, 10 * (k + 1), float(k % 2), 10) for k in range(20)], steps=200)
            store.add_evaluation(run_id, 200, 0.5, 0.1, 10, 0.5)
            store.finish_run(run_id, "finished", steps=200, episodes=20)
            ids.append(run_id)
    return ids


def _raw(data) -> sqlite3.Connection:
    return sqlite3.connect(data / DB_NAME, isolation_level=None)


BAD_RUNS = [  # (values that break one row, whether the row can still be listed) as a crafted store holds them
    ({"steps": "lots"}, False), ({"started": "yesterday"}, False), ({"started": 1e300}, False),
    ({"id": "x"}, False), ({"env": None}, False), ({"ended": float("inf")}, False), ({"episodes": -4}, False),
    ({"config": "{not json"}, True), ({"hparams": "[1, 2]"}, True), ({"status": b"\xff\xfe"}, True),
    ({"pid": 2**62}, True), ({"config": "x" * 300_000}, True), ({"status": "running", "heartbeat": "soon"}, True),
]
RUN_COLUMNS = ("id", "env", "algo", "config", "hparams", "seed", "device", "status", "error", "steps", "episodes",
               "started", "ended", "pid", "heartbeat")


def test_one_malformed_row_does_not_hide_the_others(tmp_path, capsys):
    """A runs table without type constraints (SQLite lets a file from elsewhere hold anything)."""
    data = tmp_path / "d"
    data.mkdir()
    db = _raw(data)
    db.execute(f"CREATE TABLE runs ({', '.join(RUN_COLUMNS)})")
    RunStore(data / DB_NAME).close()  # the other tables, as rltui makes them
    rows = [({"id": i}, True) for i in (1, 2, 3)]
    rows += [({"id": 100 + n, **bad}, readable) for n, (bad, readable) in enumerate(BAD_RUNS)]
    for values, _ in rows:
        row = {"env": "FrozenLake4x4", "algo": "q", "config": "{}", "hparams": "{}", "status": "finished",
               "steps": 1, "episodes": 1, "started": time.time(), **values}
        db.execute(f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    db.close()
    assert main(["--data-dir", str(data), "runs", "--limit", "100"]) == 0
    out = capsys.readouterr().out
    rows_shown = [line.replace("│", " ").split() for line in out.splitlines() if "FrozenLake4x4" in line]
    listed = {int(tokens[0]) for tokens in rows_shown if tokens[0].isdigit()}
    assert listed == {values["id"] for values, readable in rows if readable}
    skipped = sum(1 for _, readable in rows if not readable)
    assert f"{skipped} run row(s) in the store could not be read" in out.replace("\n", " ")


def test_store_text_reaches_the_terminal_without_escapes_or_markup(tmp_path, capsys):
    data = tmp_path / "d"
    (run_id,) = _store_with_runs(data, 1)
    db = _raw(data)
    db.execute("UPDATE runs SET env = ?, error = ?, device = ? WHERE id = ?",
               ("Frozen\x1b]0;pwned\x07Lake[/]", "boom\x1b[2J[bold]x", "cpu\x9b31m", run_id))
    db.execute("UPDATE checkpoints SET path = ?", ("/tmp/\x1b]8;;http://evil\x1b\\a.npz",))
    db.close()
    for argv in (["runs"], ["runs", "show", str(run_id)]):
        assert main(["--data-dir", str(data), *argv]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
        assert "FrozenLake[" in out  # the escapes are gone and the markup is printed as text
    assert "boom[bold]x" in out


def test_runs_show_aggregates_in_sql(tmp_path, capsys, monkeypatch):
    """`runs show` never loads a run's episodes: it asks SQL for counts and the first/last windows."""
    data = tmp_path / "d"
    data.mkdir()
    with RunStore(data / DB_NAME) as store:
        run_id = store.create_run(TrainConfig("CartPole", "dqn", 100), "cpu", {})
        store.add_episodes(run_id, [(k, k, float(k), 1) for k in range(5_000)], steps=5_000)
    db = _raw(data)
    db.execute("INSERT INTO episodes (run_id, idx, steps, ret, length) VALUES (?, 5000, 1, 'NaN?', 1)", (run_id,))
    db.close()
    monkeypatch.setattr(RunStore, "episodes", lambda *a, **k: pytest.fail("runs show loaded every episode"))
    assert main(["--data-dir", str(data), "runs", "show", str(run_id)]) == 0
    out = capsys.readouterr().out
    assert "first 100: 49.500" in out and "last 100: 4949.500" in out and "best 4999.000" in out
    assert "1 episode, evaluation or checkpoint row(s)" in out.replace("\n", " ")
    with RunStore(data / DB_NAME) as store:
        returns = store.episode_returns(run_id, max_points=100)
        assert len(returns) == 100 and returns[0] == pytest.approx(24.5) and returns[-1] == pytest.approx(4974.5)
        assert store.episode_returns(run_id, max_points=10_000)[:3] == [0.0, 1.0, 2.0]


def test_read_only_commands_open_the_store_read_only(tmp_path, capsys, monkeypatch):
    data = tmp_path / "d"
    ids = _store_with_runs(data)
    before = (data / DB_NAME).read_bytes()
    with RunStore.open_readonly(str(data)) as store:
        assert [r["id"] for r in store.list_runs()] == ids[::-1]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store._db.execute("DELETE FROM runs")
    assert (data / DB_NAME).read_bytes() == before
    # Where SQLite cannot open it plainly read-only (a read-only folder without the WAL index file),
    # it is read as an immutable file.
    real = sqlite3.connect

    def no_shm(target, *args, **kwargs):
        if "mode=ro" in str(target) and "immutable" not in str(target):
            raise sqlite3.OperationalError("unable to open database file")
        return real(target, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", no_shm)
    assert main(["--data-dir", str(data), "runs"]) == 0
    assert main(["--data-dir", str(data), "compare", "--history"]) == 0
    out = capsys.readouterr().out
    assert "FrozenLake4x4" in out and "no comparisons kept yet" in out
    # A data dir that does not exist is not created by a command that only reads.
    assert main(["--data-dir", str(tmp_path / "nowhere"), "runs"]) == 0
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file modes")
def test_runs_lists_from_a_read_only_data_dir(tmp_path, capsys):
    data = tmp_path / "d"
    _store_with_runs(data)
    os.chmod(data / DB_NAME, 0o444)
    os.chmod(data, 0o555)
    try:
        assert main(["--data-dir", str(data), "runs"]) == 0
        assert "FrozenLake4x4" in capsys.readouterr().out
    finally:
        os.chmod(data, 0o755)


def test_malformed_comparisons_and_human_episodes_are_skipped(tmp_path, capsys):
    data = tmp_path / "d"
    data.mkdir()
    with RunStore(data / DB_NAME) as store:
        store.add_human_episode("FrozenLake4x4", 3, [1, 2], [0.0, 1.0])
        store.add_comparison("FrozenLake4x4", "q · a.npz", None, [
            {"seed": 3, "human_return": 1.0, "agent_return": 0.0, "agent_actions": [1], "winner": "human",
             "human_episode_id": 1}], {"human_mean": 1.0, "agent_mean": 0.0, "human_wins": 1, "agent_wins": 0,
                                       "ties": 0})
    db = _raw(data)
    db.execute("INSERT INTO comparisons (env, agent, seeds, rounds, human_wins, agent_wins, ties, created) "
               "VALUES ('FrozenLake4x4', 'x', 'not json', 1, 0, 0, 0, 1.0)")
    db.execute("INSERT INTO human_episodes (env, seed, actions, rewards, ret, length, created) "
               "VALUES ('FrozenLake4x4', 3, '[1, \"x\"]', '[0]', 0, 1, 1.0)")
    db.close()
    assert main(["--data-dir", str(data), "compare", "--history"]) == 0
    out = capsys.readouterr().out
    assert "a.npz" in out and "1 comparison row(s) could not be read" in out.replace("\n", " ")
    with RunStore.open_readonly(str(data)) as store:
        kept = store.human_episodes("FrozenLake4x4")
        assert [e["id"] for e in kept] == [1] and kept.skipped == 1
        assert store.latest_human_episode("FrozenLake4x4", 3)["id"] == 1  # the newest readable one
