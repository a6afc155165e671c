"""``rltui compare``: the agent's side of human vs agent, headless, and the kept history.

``rltui compare ENV --agent CHECKPOINT --seeds 1-5`` plays the agent greedily on each seed and sets
each against the newest human episode kept on that env and seed (played in the app, or with
``rltui play ENV --seed S``). The comparison is kept in the run store. ``--history`` lists every
comparison on an env, oldest first, so progress over days reads top to bottom; ``--show ID`` one in full.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from pathlib import Path

from rltui import validation


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="you vs an agent on the same seeds; --history lists past comparisons",
                       description="Set an agent's greedy episodes against your kept episodes on the same seeds.")
    p.add_argument("env", nargs="?", help="catalogue name (rltui envs)")
    p.add_argument("--agent", metavar="CHECKPOINT", help="the agent's checkpoint (.npz or .pt, or run:N / run:N:best)")
    p.add_argument("--seeds", default="0-4", help="seeds, e.g. 1,2,5-7 (default 0-4)")
    p.add_argument("--history", action="store_true", help="list kept comparisons (of ENV, if given)")
    p.add_argument("--show", type=validation.arg_id, metavar="ID", help="one kept comparison, round by round")
    p.add_argument("--no-save", action="store_true", help="print the table but keep nothing")
    p.add_argument("--play", action="store_true", help="play your side now, in the app (side by side)")
    p.add_argument("--record", metavar="OUT.gif|OUT.mp4", help="also save the match as one side-by-side video "
                   "(you left, the agent right, seed after seed); with --show ID, a kept match replayed")
    p.add_argument("--frames", choices=("board", "rgb"), default="board",
                   help="with --record on grid envs: rltui's board (default) or the env's rgb_array")
    p.add_argument("--fps", type=float, default=8.0, help="with --record: frames a second (default 8)")
    p.add_argument("--trust", action="store_true", help="allow an sb3:PATH.zip agent (SB3 files are pickles, "
                   "which can run code: only for files you trust)")


def run(args: argparse.Namespace) -> int:
    from rltui.envs import get_entry
    from rltui.errors import RltuiError
    from rltui.training.store import RunStore, checkpoint_spec

    args.agent = checkpoint_spec(args.agent, args.data_dir)  # run:N or run:N:best
    env = get_entry(args.env).name if args.env else None
    read_only = args.show is not None or args.history  # these only read: they work on a full or read-only disk
    with (RunStore.open_readonly if read_only else RunStore.open)(args.data_dir) as store:
        if args.show is not None:
            if args.record:
                return _record_kept(store, args.show, args)
            return _show(store, args.show)
        if args.history:
            return _history(store, env)
        if env is None or (not args.agent and not args.play):
            raise RltuiError("compare needs ENV and --agent CHECKPOINT (or --history / --show ID)")
        if args.play:
            import sys

            from rltui.tui.app import run_app

            if not (sys.stdin.isatty() and sys.stdout.isatty()):
                raise RltuiError("--play needs an interactive terminal")
            options = {"checkpoint": args.agent, "seeds": args.seeds}
            if args.agent and args.agent.startswith("sb3:"):  # loaded here: the screen's field takes files
                from rltui.share.sb3 import load_agent

                agent, header = load_agent(args.agent, env, trust=args.trust)
                options = {"agent": agent, "agent_label": f"{header['algo']} · {Path(args.agent[4:]).name}",
                           "seeds": args.seeds}
            return run_app(args.data_dir, start=("compare", env), compare=options)
        if args.record:
            from rltui.share.video import check_path

            check_path(args.record)
        return _compare(store, env, args.agent, args.seeds, save=not args.no_save, args=args)


def _fmt(value: float | None) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:g}"


def _compare(store, env: str, checkpoint: str, seeds_text: str, *, save: bool, args=None) -> int:
    from rich.console import Console
    from rich.table import Table

    from rltui.play import compare
    from rltui.share.sb3 import load_agent

    seeds = compare.parse_seeds(seeds_text)
    agent, header = load_agent(checkpoint, expected_env=env, trust=bool(getattr(args, "trust", False)))
    console = Console()
    rounds: list[compare.Round] = []
    for seed in seeds:
        record = compare.play_agent_episode(agent, env, seed, env_overrides=header.get("env_kwargs") or None)
        r = compare.Round(seed, agent_return=record.ret, agent_length=record.length, agent_actions=list(record.actions))
        human = store.latest_human_episode(env, seed)
        if human is not None:
            r.human_return, r.human_length = float(human["ret"]), int(human["length"])
            r.human_actions, r.human_episode_id = list(human["actions"]), int(human["id"])
        rounds.append(r)

    # the checkpoint on a line of its own: a long path in the title was cut with an ellipsis
    from rich.markup import escape

    console.print(f"agent: {escape(validation.clean_text(checkpoint, 4096))}", overflow="fold")  # whole path
    table = Table(title=f"you vs {header['algo']} agent on {env}")
    for col in ("seed", "you", "agent", "winner", "your steps", "agent steps"):
        table.add_column(col, justify="left" if col == "winner" else "right")
    colour = {"human": "green", "agent": "red", "tie": "yellow"}
    for r in rounds:
        who = r.winner
        table.add_row(str(r.seed), _fmt(r.human_return), _fmt(r.agent_return),
                      f"[{colour[who]}]{'you' if who == 'human' else who}[/]" if who else "not played",
                      str(r.human_length or "—"), str(r.agent_length))
    console.print(table)
    summary = compare.summarize(rounds)
    missing = [r.seed for r in rounds if not r.complete]
    if summary.rounds:
        for line in summary.lines():
            console.print(line, soft_wrap=True)
    if missing:
        console.print(f"no kept episode of yours on seed(s) {', '.join(map(str, missing))}: play them with "
                      f"`rltui play {env} --seed {missing[0]}` (each new episode takes the next seed), "
                      "or in the app's Compare screen", soft_wrap=True)
    if args is not None and args.record:
        _record(env, agent, header, store, rounds, args)
    if save and summary.rounds:
        done = [r for r in rounds if r.complete]
        rows = [compare.round_for_store(r) for r in done]
        label = f"{header['algo']} · {Path(checkpoint).name}"
        cid = store.add_comparison(env, label, str(Path(checkpoint).resolve()), rows,
                                   compare.summary_for_store(compare.summarize(done)))
        console.print(f"kept as comparison {cid} (rltui compare --history {env})", soft_wrap=True)
    return 0


def _record(env: str, agent, header, store, rounds, args) -> None:
    """The match as one video: your kept episode left, the agent right, for each seed."""
    from rich.console import Console

    from rltui.share.video import CompareSide, record_compare

    sides = []
    for r in rounds:
        human = store.get_human_episode(r.human_episode_id) if r.human_episode_id is not None else None
        pair = [CompareSide("agent " + header["algo"], agent=agent)]
        if human is not None:
            pair.insert(0, CompareSide("you", actions=human["actions"], rewards=human["rewards"]))
        sides.append(pair)
    path, _ = record_compare(env, [r.seed for r in rounds], sides, args.record, fps=args.fps, style=args.frames,
                             env_overrides=header.get("env_kwargs") or None)
    Console().print(f"saved the match ({len(rounds)} seed(s)) to {path}", soft_wrap=True)


def _history(store, env: str | None) -> int:
    from rich.console import Console

    rows = store.comparisons(env)
    console = Console()
    if not rows:
        console.print("no comparisons kept yet (rltui compare ENV --agent CHECKPOINT --seeds 0-4, or the app)")
        return 0
    from rltui.commands.tables import narrow_table
    from rltui.numbers import num

    # Designed for 80 columns: figures are short (0.333, not 0.333333 split over two lines), the agent's
    # name is the column that gives way.
    table = narrow_table("human vs agent" + (f" on {env}" if env else ""))
    cells = []
    for c in rows:
        seeds = c["seeds"]
        seed_text = ",".join(map(str, seeds)) if len(seeds) <= 3 else f"{seeds[0]}-{seeds[-1]} ({len(seeds)})"
        cells.append([str(c["id"]), _date(c["created"], short=True), _safe(c["env"]), _safe(c["agent"]), seed_text,
                      num(c["human_mean"]), num(c["agent_mean"]), f"{c['human_wins']}/{c['agent_wins']}/{c['ties']}"])
    heads = ("id", "when", "env", "agent", "seeds", "you", "agent", "wins y/a/tie")
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(heads)]
    # every column keeps its text whole except the agent's name, which gets what is left of the width
    room = max(8, console.width - sum(w for i, w in enumerate(widths) if i != 3) - 2 * (len(heads) - 1))
    for i, col in enumerate(heads):
        table.add_column(col, justify="right" if i in (0, 5, 6) else "left", no_wrap=True,
                         overflow="ellipsis" if i == 3 else "fold", max_width=room if i == 3 else None,
                         min_width=None if i == 3 else widths[i])
    for row in cells:
        table.add_row(*row)
    console.print(table)
    console.print("[dim]you, agent: mean return over the seeds · one: rltui compare --show ID[/]")
    if rows.skipped:
        console.print(f"[yellow]{rows.skipped} comparison row(s) could not be read (malformed) and were skipped[/]")
    return 0


def _safe(value: object) -> str:
    """Store text as rich prints it literally (escapes and controls were removed when it was read)."""
    from rich.markup import escape

    return escape(validation.clean_text(value, 200))


def _date(ts: float, short: bool = False) -> str:
    try:
        return dt.datetime.fromtimestamp(ts).strftime("%m-%d %H:%M" if short else "%Y-%m-%d %H:%M")
    except (ValueError, OverflowError, OSError):
        return "?"


def _record_kept(store, comparison_id: int, args) -> int:
    """``--show ID --record OUT``: a kept comparison (played in the app, say) replayed into one video."""
    from rich.console import Console

    from rltui.errors import RltuiError
    from rltui.share.video import check_path, record_kept_comparison

    check_path(args.record)
    c = store.get_comparison(comparison_id)
    if c is None:
        raise RltuiError(f"no comparison {comparison_id} (rltui compare --history lists them)")

    def rewards_of(episode_id: int):
        row = store.get_human_episode(episode_id)
        return row["rewards"] if row is not None else None

    path, _ = record_kept_comparison(c, rewards_of, args.record, fps=args.fps, style=args.frames)
    Console().print(f"saved comparison {comparison_id} ({len(c['rounds_detail'])} seed(s)) to {path}", soft_wrap=True)
    return 0


def _show(store, comparison_id: int) -> int:
    from rich.console import Console
    from rich.table import Table

    from rltui.errors import RltuiError

    c = store.get_comparison(comparison_id)
    if c is None:
        raise RltuiError(f"no comparison {comparison_id} (rltui compare --history lists them)")
    table = Table(title=f"comparison {c['id']}: {_safe(c['env'])}, {_safe(c['agent'])}")
    for col in ("seed", "you", "agent", "winner", "your actions", "agent actions"):
        table.add_column(col, overflow="fold")
    for r in c["rounds_detail"]:
        table.add_row(str(r["seed"]), _fmt(r["human_return"]), _fmt(r["agent_return"]), _safe(r["winner"] or ""),
                      " ".join(map(str, r["human_actions"] or []))[:60], " ".join(map(str, r["agent_actions"]))[:60])
    Console().print(table)
    if c["rounds_skipped"]:
        Console().print(f"[yellow]{c['rounds_skipped']} round row(s) could not be read and were skipped[/]")
    return 0
