"""``rltui envs``: the environment catalogue as a table."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("envs", help="list the environments you can play and train",
                       description="List the environment catalogue: kind, actions and keys, solved bar.")
    p.add_argument("--kind", choices=("grid", "vector", "pixels"), help="only this kind")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from rltui.envs import CATALOGUE

    table = Table(title="rltui environments", show_lines=False, expand=False)
    table.add_column("name", no_wrap=True, style="bold")
    for col in ("kind", "play", "actions and keys", "agents", "solved"):
        table.add_column(col, overflow="fold")
    for e in CATALOGUE:
        if args.kind and e.kind != args.kind:
            continue
        play = "turn-based" if e.turn_based else f"real-time {e.fps} fps"
        solved = e.solved_note or ("" if e.solved is None else f"{e.solved:g}")
        table.add_row(e.name, e.kind, play, e.key_help(), ", ".join(e.algos), solved)
    Console().print(table)
    return 0
