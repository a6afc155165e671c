"""The explain mode prints the numbers the agent used: the update can be redone from them exactly."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from rltui.cli import main
from rltui.training.config import TrainConfig
from rltui.training.explain import Explainer, ValueIterationTrace
from rltui.training.store import RunStore
from rltui.training.trainer import Trainer


def _json_steps(capsys, *argv: str) -> list[dict]:
    assert main(["explain", *argv, "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("env", ["FrozenLake4x4", "CliffWalking"])
@pytest.mark.parametrize("algo", ["q", "sarsa", "expected"])
def test_each_printed_update_recomputes_exactly(capsys, env, algo):
    steps = _json_steps(capsys, env, "--algo", algo, "--steps", "300", "--seed", "4")
    assert len(steps) == 300
    table: dict[tuple[int, int], float] = {}
    previous: dict = {}
    for s in steps:
        values = s["next_values"]
        if s["terminated"]:
            target = s["reward"]
        else:
            if s["rule"] == "q":
                boot = max(values)
            elif s["rule"] == "expected":
                eps = s["epsilon"]
                boot = (1.0 - eps) * max(values) + eps * sum(values) / len(values)
            else:
                boot = values[s["next_actions"].index(s["next_action"])]
            assert boot == s["bootstrap"]
            target = s["reward"] + s["gamma"] * boot
        assert target == s["target"]
        assert s["old"] + s["alpha"] * (target - s["old"]) == s["new"]
        key = (s["state"], s["action"])
        if key in table:  # the table carries over from step to step
            assert s["old"] == table[key]
        table[key] = s["new"]
        assert (s["draw"] < s["choice_epsilon"]) == (s["why"] == "explore")
        if s["planned"]:
            assert s["why"] == previous["next_why"] and s["action"] == previous["next_action"]
        previous = s
    assert {s["why"] for s in steps} >= {"greedy", "explore"}


def test_words_carry_the_same_numbers(capsys):
    assert main(["explain", "FrozenLake4x4", "--steps", "40", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    updates = re.findall(r"← (\S+) \+ α·error = \S+ \+ (\S+) × (\S+) = (\S+)", out)
    assert len(updates) == 40
    for old, alpha, error, new in updates:
        assert float(old) + float(alpha) * float(error) == float(new)


@pytest.mark.parametrize("algo", ["q", "sarsa"])
def test_the_table_is_the_trainers_after_the_same_steps(tmp_path, algo):
    n = 500
    explainer = Explainer("CliffWalking", algo, seed=7)
    explainer.run(n)
    with RunStore.open(str(tmp_path)) as store:
        trainer = Trainer(TrainConfig("CliffWalking", algo, steps=n, seed=7, eval_every=0, checkpoint_every=0,
                                      data_dir=str(tmp_path)), store=store)
        trainer.run()
    assert np.array_equal(explainer.q_table(), trainer.agent.q_values())
    explainer.close()


def test_stepping_back_restores_the_previous_table():
    explainer = Explainer("FrozenLake4x4", "q", seed=2)
    tables = [explainer.q_table()]
    for _ in range(60):
        explainer.forward()
        tables.append(explainer.q_table())
    for k in range(60, 0, -1):
        explainer.back()
        assert np.array_equal(explainer.q_table(), tables[k - 1])
    assert explainer.back() is None
    replayed = [explainer.forward() for _ in range(60)]
    assert replayed == explainer.history
    assert np.array_equal(explainer.q_table(), tables[-1])
    new = explainer.forward()  # past the newest step: a new transition
    assert new.index == 61
    explainer.close()


def test_value_iteration_sweeps_converge_to_the_solution():
    from rltui.agents.value_iteration import value_iteration

    trace = ValueIterationTrace("FrozenLake4x4", gamma=0.99)
    while not trace.converged:
        trace.sweep()
        assert len(trace.deltas) < 5000
    assert all(b <= a + 1e-12 for a, b in zip(trace.deltas[1:], trace.deltas[2:]))
    env = trace.entry
    from rltui.envs import make_training_env

    raw = make_training_env(env.name)
    V_star = value_iteration(raw.unwrapped.P, 16, 4, 0.99)[0]
    raw.close()
    assert np.allclose(trace.values[-1], V_star, atol=1e-6)
    backup = trace.backup(14)
    assert max(v for _, v, _ in backup) == pytest.approx(trace.values[-1][14], abs=1e-6)


def test_bad_input_is_one_line(capsys):
    assert main(["explain", "CartPole", "--algo", "q"]) == 2
    assert main(["explain", "FrozenLake4x4", "--steps", "0"]) == 2
    assert main(["explain", "CliffWalking", "--algo", "vi", "--set", "alpha=0.1"]) == 2
    err = capsys.readouterr().err
    assert err.count("rltui: error:") == 3 and "Traceback" not in err


def test_side_by_side_cliffwalking_sarsa_takes_the_safe_path(tmp_path):
    from rltui.training.versus import parse_contender, run_versus

    with RunStore.open(str(tmp_path)) as store:
        results = run_versus("CliffWalking", [parse_contender("q"), parse_contender("sarsa")], steps=20_000,
                             seed=0, store=store)
        runs = {r["id"]: r for r in store.list_runs()}
    q, sarsa = results
    assert q.status == sarsa.status == "finished"
    assert {q.run_id, sarsa.run_id} <= set(runs)  # both runs are kept
    assert runs[q.run_id]["algo"] == "q" and runs[sarsa.run_id]["algo"] == "sarsa"
    # Sutton & Barto, example 6.6: Q-learning walks the edge (13 steps), SARSA a longer, safer path,
    # and SARSA earns more per episode while it still explores.
    assert q.greedy_return == -13 and len(q.path) == 14
    assert sarsa.greedy_return < q.greedy_return
    assert sum(sarsa.returns[-200:]) > sum(q.returns[-200:])
    edge_row = set(range(24, 36))  # the row just above the cliff
    assert len(edge_row & set(q.path)) > len(edge_row & set(sarsa.path))


def test_contenders_parse_and_refuse(capsys):
    from rltui.training.versus import parse_contender

    c = parse_contender("q@classic:alpha=0.5,epsilon_start=0.2")
    assert (c.algo, c.preset, c.hparams) == ("q", "classic", {"alpha": 0.5, "epsilon_start": 0.2})
    assert parse_contender("expected").hparams == {"expected": True}
    assert main(["explain", "CliffWalking", "--versus", "ppo", "q"]) == 2
    assert "a side is q, sarsa, expected" in capsys.readouterr().err
