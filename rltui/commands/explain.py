"""``rltui explain ENV``: tabular training one update at a time, in words and numbers.

The headless twin of the app's Explain screen. Every number printed is the one the agent used, written
in Python's round-trip form, so anyone can redo the arithmetic. ``--algo vi`` prints value iteration
sweep by sweep instead (the largest change, V, and the backup of one state written out).
"""

from __future__ import annotations

import argparse
import json


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="show each tabular update (Q-learning, SARSA, value iteration) step by step",
                       description="Train a tabular agent one transition at a time and print every update: "
                       "the action and why, the reward, the target, the error, α and the new Q(s,a).")
    p.add_argument("env", metavar="ENV", help="a grid environment (see rltui envs)")
    p.add_argument("--algo", choices=("q", "sarsa", "expected", "vi"), default="q",
                   help="q (Q-learning), sarsa, expected (expected SARSA) or vi (value iteration); default q")
    p.add_argument("--steps", type=int, default=10, help="updates (or sweeps for vi) to print (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed of the env and the agent (default 0)")
    p.add_argument("--preset", help="a named preset of the algorithm (see rltui/presets)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a hyperparameter")
    p.add_argument("--state", type=int, help="vi: the state whose backup is written out (default: the start)")
    p.add_argument("--json", action="store_true", help="one JSON object per step instead of words")
    p.add_argument("--versus", nargs=2, metavar=("A", "B"),
                   help="train two sides on the same env and seed and compare them: q, sarsa, expected, dqn, drqn, "
                   "with @PRESET or :key=value,... (e.g. --versus q sarsa, or q:alpha=0.1 q:alpha=0.5); "
                   "both runs are kept in the run store")


def run(args: argparse.Namespace) -> int:
    from rltui.errors import RltuiError
    from rltui.training.config import parse_assignments

    if not 1 <= args.steps <= 1_000_000:
        raise RltuiError(f"--steps must be between 1 and 1000000, not {args.steps}")
    if not 0 <= args.seed < 2**63:
        raise RltuiError(f"--seed must be between 0 and 2^63-1, not {args.seed}")
    overrides = parse_assignments(args.set)
    if args.versus:
        return _versus(args)
    if args.algo == "vi":
        return _value_iteration(args, overrides)
    from rltui.training.explain import Explainer, step_lines

    algo = "sarsa" if args.algo == "expected" else args.algo
    from rltui.envs import get_entry

    entry = get_entry(args.env)
    if not {"q", "sarsa"} & set(entry.algos):
        raise RltuiError(f"explain steps through tabular learning; {entry.name} needs a neural agent: open it "
                         "in the app (e on Pick) to look inside a DQN")
    if args.algo == "expected":
        overrides["expected"] = True
    from rltui.play import narrate

    explainer = Explainer(args.env, algo, seed=args.seed, preset=args.preset, overrides=overrides,
                          narrator=(narrate.state_of, narrate.describe_step))
    try:
        if not args.json:
            hp = explainer.hparams
            alpha = (f"α = max({hp['alpha']}, n^-{hp['alpha_power']}) on the n-th visit of (s,a)"
                     if hp["alpha_schedule"] == "visits" else f"α = {hp['alpha']}")
            eps = (f"ε = {hp['epsilon_start']}" if hp["epsilon_decay"] == "constant" else
                   f"ε from {hp['epsilon_start']} to {hp['epsilon_end']} ({hp['epsilon_decay']})")
            print(f"{args.algo} on {explainer.entry.name}, seed {args.seed}: γ = {hp['gamma']}, {alpha}, {eps}, "
                  f"Q starts at {hp['q_init']}")
        for _ in range(args.steps):
            step = explainer.forward()
            if args.json:
                record = {k: v for k, v in vars(step).items() if k not in ("before", "after")}
                record["error"] = step.error
                record["action_name"] = _name(explainer.action_names, step.action)
                print(json.dumps(record))
            else:
                print("\n".join(step_lines(step, explainer.action_names)))
    finally:
        explainer.close()
    return 0


def _value_iteration(args: argparse.Namespace, overrides: dict) -> int:
    import numpy as np

    from rltui.errors import RltuiError
    from rltui.training.explain import ValueIterationTrace, num

    unknown = set(overrides) - {"gamma", "theta"}
    if unknown:
        raise RltuiError(f"vi: explain takes gamma and theta, not {', '.join(sorted(unknown))}")
    trace = ValueIterationTrace(args.env, gamma=overrides.get("gamma"), theta=float(overrides.get("theta", 1e-8)))
    n_states = trace.model.n_states
    state = 0 if args.state is None else args.state
    if not 0 <= state < n_states:
        raise RltuiError(f"--state must be between 0 and {n_states - 1}, not {state}")
    names = trace.entry.action_names
    print(f"value iteration on {trace.entry.name}: γ = {trace.gamma}, stop when the largest change < {trace.theta}")
    for _ in range(args.steps):
        V, Q, delta = trace.sweep()
        k = len(trace.deltas)
        if args.json:
            print(json.dumps({"sweep": k, "delta": delta, "V": V.tolist(), "policy": Q.argmax(axis=1).tolist()}))
            continue
        print(f"sweep {k}: largest change {num(delta)}{'  → converged' if delta < trace.theta else ''}")
        with np.printoptions(precision=3, suppress=True, linewidth=78):
            print(f"  V = {V}")
        print(f"  backup of state {state}: V({state}) = max over a of R(s,a) + γ·Σ p·V(s′)")
        for a, value, terms in trace.backup(state):
            sums = " + ".join(f"{num(p)}×{num(v)}" for p, _, v in terms) or "0"
            reward = num(float(trace.model.R[state, a]))
            print(f"    {_name(names, a)}: {reward} + {trace.gamma}·({sums}) = {num(value)}")
        if trace.converged:
            break
    return 0


def _versus(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from rltui.envs import get_entry
    from rltui.training.store import RunStore
    from rltui.training.versus import parse_contender, run_versus

    sides = [parse_contender(text) for text in args.versus]
    entry = get_entry(args.env)
    steps = None if args.steps == 10 else args.steps  # the default 10 is for stepping; a race needs the preset's
    with RunStore.open(args.data_dir) as store:
        results = run_versus(entry.name, sides, steps=steps, seed=args.seed, store=store, data_dir=args.data_dir)
    console = Console()
    table = Table(title=f"{entry.name}, seed {args.seed}: side by side", title_justify="left")
    for column in ("side", "run", "episodes", "mean return (last 100)", "greedy return"):
        table.add_column(column, overflow="fold")
    for res in results:
        tail = res.returns[-100:]
        mean = f"{sum(tail) / len(tail):.2f}" if tail else "—"
        table.add_row(res.contender.label, str(res.run_id), str(len(res.returns)), mean,
                      f"{res.greedy_return:g}" if res.status != "failed" else f"failed: {res.error}")
    console.print(table)
    for res in results:
        print(f"{res.contender.label}: greedy path ({len(res.path) - 1} steps)")
        print("\n".join(_draw_path(entry.name, res.path)))
    return 0


def _draw_path(env_name: str, path: list[int]) -> list[str]:
    """The board as characters with the greedy path on it (* path, S start, G goal, x cliff or hole)."""
    from rltui.envs import make_env
    from rltui.play.board import CLIFF, HOLE, board_of

    env = make_env(env_name)
    try:
        env.reset(seed=0)
        board = board_of(env)
    finally:
        env.close()
    if board is None:
        return [" → ".join(str(s) for s in path)]
    rows, cols = board.shape
    if rows * cols < max(path, default=0) + 1:
        return [" → ".join(str(s) for s in path)]
    on_path = set(path)
    lines = []
    for r in range(rows):
        chars = []
        for c in range(cols):
            cell, s = board.cells[r][c], r * cols + c
            mark = ("S" if path and s == path[0] else "G" if cell.glyph == "★" else
                    "*" if s in on_path else "x" if cell.bg in (CLIFF, HOLE) else ".")
            chars.append(mark)
        lines.append("  " + " ".join(chars))
    return lines


def _name(names: tuple[str, ...], action: int) -> str:
    return names[action] if action < len(names) else f"a{action}"
