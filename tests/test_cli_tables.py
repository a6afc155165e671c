"""CLI tables at COLUMNS=80 (tests/conftest.py): every line fits, and no cell is cut or folded mid-word."""

from rltui.cli import main
from rltui.training.config import TrainConfig
from rltui.training.store import RunStore
from rltui.training.trainer import Trainer


def _lines(capsys) -> list[str]:
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines and all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    return lines


def test_runs_table_fits_80_columns_with_whole_cells(capsys):
    Trainer(TrainConfig("FrozenLake4x4-NoSlip", "q", 3_000, seed=0, eval_every=1_000)).run()
    Trainer(TrainConfig("CliffWalking", "q", 600, seed=0)).run()
    assert main(["runs"]) == 0
    lines = _lines(capsys)
    rows = [line for line in lines if line.lstrip().startswith(("1 ", "2 "))]
    assert len(rows) == 2 and all("…" not in row for row in rows), rows
    assert any("FrozenLake4x4-NoSlip" in row and "finished" in row and "3k" in row for row in rows), rows


def test_compare_history_keeps_figures_on_one_line(capsys):
    with RunStore.open() as store:
        rounds = [{"seed": s, "human_return": r, "agent_return": 1.0, "agent_actions": [2], "winner": w,
                   "human_actions": [1], "human_rewards": [r]} for s, r, w in ((0, 0.0, "agent"), (1, 1.0, "tie"),
                                                                                (2, 0.0, "agent"))]
        store.add_comparison("FrozenLake4x4", "q · run0001-FrozenLake4x4-q.npz", "/x/run0001-FrozenLake4x4-q.npz",
                             rounds, {"human_mean": 1 / 3, "agent_mean": 1.0, "human_wins": 0, "agent_wins": 2,
                                      "ties": 1})
    assert main(["compare", "--history"]) == 0
    lines = _lines(capsys)
    row = next(line for line in lines if line.lstrip().startswith("1 "))
    assert "0.333" in row and "0/2/1" in row and "FrozenLake4x4" in row


def test_envs_table_is_one_line_per_env_where_it_fits(capsys):
    assert main(["envs"]) == 0
    lines = _lines(capsys)
    for name in ("GridWorldPartial", "FrozenLake4x4-NoSlip", "CarRacing", "MsPacman"):
        assert any(line.startswith(name + " ") for line in lines), name
    assert not any(line.strip().startswith(("d ", "based")) for line in lines)  # no "turn-base" / "d" splits
    assert len(lines) < 40
