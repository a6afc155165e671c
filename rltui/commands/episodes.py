"""``rltui episodes``: the episodes people played, kept in the run store, and what leaves with them.

``rltui episodes [ENV]`` lists them; ``rltui episodes record ID OUT.gif|OUT.mp4`` replays one from its
seed and actions into a video; ``rltui episodes export ENV [--ids 3,5] --minari NAME`` writes them as a
Minari dataset for offline RL.
"""

from __future__ import annotations

import argparse

from rltui import validation


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("episodes", help="your kept episodes: list, record as video, export to Minari",
                       description="Episodes you played (kept with their seed and actions). "
                       "list [ENV] · record ID OUT.gif|OUT.mp4 · export ENV --minari NAME [--ids 3,5]")
    p.add_argument("action", nargs="?", choices=("list", "record", "export"), default="list",
                   help="list (default), record or export")
    p.add_argument("target", nargs="?", help="list/export: ENV; record: the episode id")
    p.add_argument("out", nargs="?", help="record: the video file (.gif or .mp4)")
    p.add_argument("--fps", type=validation.arg_fps, default=8.0, help="record: frames a second (default 8)")
    p.add_argument("--frames", choices=("board", "rgb"), default="board",
                   help="record: grid envs drawn as rltui draws them (default) or the env's rgb_array")
    p.add_argument("--ids", help="export: only these episode ids, e.g. 3,5,9 (default: all on ENV)")
    p.add_argument("--minari", metavar="NAME", help="export: the Minari dataset id, e.g. rltui/FrozenLake4x4/human-v0")
    p.add_argument("--limit", type=validation.arg_int(1, validation.LIST_MAX), default=50,
                   help="list: newest episodes to show (default 50)")


def run(args: argparse.Namespace) -> int:
    from rltui.errors import RltuiError
    from rltui.training.store import RunStore

    if args.action == "record":
        return _record(args)
    if args.action == "export":
        if not args.target or not args.minari:
            raise RltuiError("export needs ENV and --minari NAME, e.g. rltui episodes export FrozenLake4x4 "
                             "--minari rltui/FrozenLake4x4/human-v0")
        from rltui.share.minari_export import export_cli

        return export_cli(args)
    if args.out is not None:
        raise RltuiError(f"unexpected {args.out!r} (rltui episodes [ENV])")
    with RunStore.open(args.data_dir) as store:
        return _list(store, args.target, args.limit)


def _list(store, env: str | None, limit: int) -> int:
    import datetime as dt

    from rich.console import Console
    from rich.table import Table

    if env:
        from rltui.envs import get_entry

        env = get_entry(env).name
    rows = store.human_episodes(env)[-max(1, limit):]
    console = Console()
    if not rows:
        console.print("no episodes kept yet: play some (rltui play ENV); each finished episode is kept")
        return 0
    table = Table(title="your kept episodes" + (f" on {env}" if env else ""), title_justify="left")
    for col in ("id", "when", "env", "seed", "steps", "return"):
        table.add_column(col, justify="right" if col in ("id", "seed", "steps", "return") else "left", no_wrap=True)
    for r in rows:
        table.add_row(str(r["id"]), dt.datetime.fromtimestamp(r["created"]).strftime("%m-%d %H:%M"), r["env"],
                      "" if r["seed"] is None else str(r["seed"]), str(r["length"]), f"{r['ret']:g}")
    console.print(table)
    return 0


def _record(args: argparse.Namespace) -> int:
    from rich.console import Console

    from rltui.errors import RltuiError
    from rltui.training.store import RunStore

    if args.target is None or args.out is None:
        raise RltuiError("record needs an episode id and a file, e.g. rltui episodes record 3 out.gif")
    episode_id = validation.integer("episode id", args.target, 1, validation.ID_MAX, "rltui episodes lists them")
    from rltui.share.video import check_path, record_human

    check_path(args.out)
    with RunStore.open(args.data_dir) as store:
        row = store.get_human_episode(episode_id)
    if row is None:
        raise RltuiError(f"no kept episode {episode_id} (rltui episodes lists them)")
    if row["seed"] is None:
        raise RltuiError(f"episode {episode_id} was kept without its seed, so it cannot be replayed")
    path, ep = record_human(row["env"], int(row["seed"]), row["actions"], args.out, rewards=row["rewards"],
                            fps=args.fps, style=args.frames, label=f"episode {episode_id} · seed {row['seed']}")
    Console().print(f"saved episode {episode_id} ({row['env']}, {len(ep.actions)} steps, return {ep.ret:g}) "
                    f"to {path}", soft_wrap=True)
    return 0
