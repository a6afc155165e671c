"""Human vs agent: rounds on the same seeds, kept in the store, reproducible by replay."""

import math

import pytest

from rltui.agents import make_agent
from rltui.cli import main
from rltui.envs import make_training_env
from rltui.errors import RltuiError
from rltui.play.compare import Match, Round, parse_seeds, play_agent_episode, summarize, winner_of
from rltui.play.session import HumanSession, replay
from rltui.play.watch import watch_session
from rltui.training.checkpoints import load_checkpoint
from rltui.training.config import TrainConfig
from rltui.training.store import RunStore
from rltui.training.trainer import Trainer

ENV = "FrozenLake4x4"
# A person who knows FrozenLake: mostly down and right, with a little care near the holes.
SCRIPT = [1, 1, 2, 2, 1, 2, 1, 2, 0, 1, 2, 3, 2, 1, 1, 2, 2, 1] * 6


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("agent") / "frozen.npz"
    finished = Trainer(TrainConfig(ENV, "q", 15_000, seed=0, out=str(out))).run()
    assert finished.status == "finished"
    return str(out)


def test_winner_and_summary():
    assert winner_of(1.0, 0.0) == "human" and winner_of(0.0, 1.0) == "agent" and winner_of(1.0, 1.0) == "tie"
    rounds = [Round(1, 1.0, 0.0), Round(2, 0.0, 1.0), Round(3, 1.0, 1.0), Round(4, 1.0, 1.0), Round(5)]
    s = summarize(rounds)
    assert (s.rounds, s.human_wins, s.agent_wins, s.ties) == (4, 1, 1, 2)
    assert s.human_mean == 0.75 and math.isclose(s.agent_std, math.sqrt(3) / 4)


def test_seed_lists():
    assert parse_seeds("3, 1,7-9") == [3, 1, 7, 8, 9]
    for bad in ("", "a", "5-2", "1,1", "-3"):
        with pytest.raises(RltuiError):
            parse_seeds(bad)


def test_lockstep_match_is_kept_and_replays_exactly(checkpoint, tmp_path):
    agent, header = load_checkpoint(checkpoint, expected_env=ENV)
    seeds = [11, 12, 13]
    match = Match(ENV, agent, seeds)
    while match.next_round():
        moves = iter(SCRIPT)
        while not match.human.done:
            agent_was_done, agent_steps = match.agent_session.done, match.agent_session.step_count
            match.human_step(next(moves))
            # Lockstep: the agent moves once after each of the person's moves while its episode is on.
            assert match.agent_session.step_count == agent_steps + (0 if agent_was_done else 1)
        match.finish_agent()
        assert match.round_over
    assert match.finished
    store = RunStore(tmp_path / "store.sqlite3")
    cid = match.save(store, "q agent", checkpoint)

    kept = store.get_comparison(cid)
    assert kept["seeds"] == seeds and kept["rounds"] == 3
    summary = match.summary()
    assert (kept["human_wins"], kept["agent_wins"], kept["ties"]) == (summary.human_wins, summary.agent_wins,
                                                                       summary.ties)
    for row in kept["rounds_detail"]:
        # The person's side replays to the same return from the kept seed and actions...
        again = replay(ENV, row["seed"], row["human_actions"])
        assert again.ret == row["human_return"] and again.done
        # ...and so does the agent's, both from its kept actions and by playing it again.
        assert replay(ENV, row["seed"], row["agent_actions"]).ret == row["agent_return"]
        fresh = play_agent_episode(agent, ENV, row["seed"])
        assert fresh.actions == row["agent_actions"] and fresh.ret == row["agent_return"]
    # The person's episodes were kept as human episodes too (demos, history).
    assert len(store.human_episodes(ENV)) == 3


def test_same_seed_same_start_for_both_sides():
    person = HumanSession("GridWorld", seed=5)
    person.reset(seed=5)
    env = make_training_env("GridWorld", tabular=True)
    agent = make_agent("q", env.observation_space, env.action_space, {})
    side, _, _ = watch_session(agent, "GridWorld")
    side.reset(seed=5)
    assert (side.env.unwrapped.board() == person.env.unwrapped.board()).all()


def test_cli_compare_uses_kept_human_episodes(checkpoint, capsys):
    store = RunStore.open()
    for seed in (1, 2):
        played = replay(ENV, seed, SCRIPT)
        store.add_human_episode(ENV, seed, played.actions, played.rewards)
    assert main(["compare", ENV, "--agent", checkpoint, "--seeds", "1-3"]) == 0
    out = capsys.readouterr().out
    assert "not played" in out and "rltui play FrozenLake4x4 --seed 3" in out and "kept as comparison" in out
    kept = store.comparisons(ENV)
    assert len(kept) == 1 and kept[0]["seeds"] == [1, 2] and kept[0]["rounds"] == 2

    assert main(["compare", "--history"]) == 0
    assert "FrozenLake4x4" in capsys.readouterr().out
    assert main(["compare", "--show", str(kept[0]["id"])]) == 0
    assert "comparison" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["compare", "CliffWalking", "--agent", "{ckpt}"], "trained on FrozenLake4x4"),
    (["compare", ENV, "--agent", "{ckpt}", "--seeds", "x"], "bad seed"),
    (["compare", ENV], "needs ENV and --agent"),
    (["compare", "--show", "99"], "no comparison 99"),
])
def test_cli_compare_errors_are_one_line(checkpoint, capsys, argv, message):
    argv = [a.replace("{ckpt}", checkpoint) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_summary_lines_fit_80_columns_however_big_the_returns():
    from rltui.play.compare import Summary

    s = Summary(1000, -123456.78, 98765.43, -123456.78, 98765.43, 999, 999, 999)
    assert all(len(line) <= 80 for line in s.lines())
    assert "999" in s.lines()[1] and "-123456.78" in s.lines()[0]
