"""``rltui runs``: the run history from the store; ``rltui runs show ID``: one run in detail."""

from __future__ import annotations

import argparse
import datetime as dt

from rltui import validation


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="list training runs, or show one (runs show ID)",
                       description="The training history recorded in the run store.")
    p.add_argument("action", nargs="?", choices=("list", "show", "export", "plot", "sweeps", "sweep"),
                   default="list", help="list (default), show, export (--format tensorboard|csv), plot, "
                   "sweeps (list them) or sweep ID (its summary over seeds)")
    p.add_argument("id", nargs="?", type=validation.arg_id, help="run id, for show, export and plot")
    p.add_argument("out", nargs="?", help="export: the folder (tensorboard) or *monitor.csv file (csv); "
                   "plot: the .png or .svg file")
    p.add_argument("--format", choices=("tensorboard", "csv"), default="tensorboard",
                   help="export as TensorBoard event files or SB3's monitor.csv (default tensorboard)")
    p.add_argument("--limit", type=validation.arg_int(1, validation.LIST_MAX), default=30,
                   help="runs to list (default 30)")
    p.add_argument("--env", help="only runs on this env")


def run(args: argparse.Namespace) -> int:
    from rltui.errors import RltuiError
    from rltui.training.store import RunStore

    with RunStore.open_readonly(args.data_dir) as store:  # runs only reads: works on a full or read-only disk
        if args.action in ("export", "plot"):
            from rltui.share.cli import export_or_plot

            try:
                return export_or_plot(store, args)
            except OSError as exc:  # a folder that cannot be made or written: say which, in one line
                where = validation.clean_text(exc.filename or args.out or "the output", 200)
                raise RltuiError(f"cannot write {where}: {exc.strerror or exc}") from None
        if args.action == "sweeps":
            return _sweeps(store, args.limit)
        if args.action == "sweep":
            if args.id is None:
                raise RltuiError("runs sweep needs a sweep id, e.g. rltui runs sweep 2 (see: rltui runs sweeps)")
            from rltui.commands.sweep import print_summary

            print_summary(store, args.id)
            return 0
        if args.action == "show":
            if args.id is None:
                raise RltuiError("runs show needs a run id, e.g. rltui runs show 3")
            return _show(store, args.id)
        if args.id is not None:
            raise RltuiError(f"unexpected {args.id}; did you mean: rltui runs show {args.id}")
        return _list(store, args.limit, args.env)


def _when(ts: float | None, short: bool = False) -> str:
    if not ts:
        return ""
    try:
        return dt.datetime.fromtimestamp(ts).strftime("%m-%d %H:%M" if short else "%Y-%m-%d %H:%M")
    except (ValueError, OverflowError, OSError):
        return "?"


def _duration(run: dict) -> str:
    if not run.get("ended"):
        return ""
    return f"{run['ended'] - run['started']:.1f} s"


_COLOURS = {"finished": "green", "stopped": "yellow", "failed": "red", "running": "cyan", "interrupted": "magenta"}


def _safe(value: object, max_len: int | None = None) -> str:
    """Text from the store as rich prints it literally: no escapes, no control characters, no markup."""
    from rich.markup import escape

    return escape(validation.clean_text(value, max_len))


def _status(run: dict) -> str:
    return f"[{_COLOURS.get(run['status'], 'white')}]{_safe(run['status'])}[/]"


def _skipped_note(console, skipped: int, what: str) -> None:
    if skipped:
        console.print(f"[yellow]{skipped} {what} in the store could not be read (malformed) and "
                      f"{'was' if skipped == 1 else 'were'} skipped[/]", soft_wrap=True)


def _list(store, limit: int, env: str | None) -> int:
    from rich.console import Console

    if env:
        from rltui.envs import get_entry

        env = get_entry(env).name
    runs = store.list_runs(limit=limit, env=env)
    console = Console()
    if not runs:
        console.print(f"no runs yet in {_safe(store.path)} (start one: rltui train FrozenLake4x4 --algo q)")
        _skipped_note(console, getattr(runs, "skipped", 0), "run row(s)")
        return 0
    from rltui.commands.tables import narrow_table
    from rltui.numbers import num

    # Designed for 80 columns: every column but env keeps its text whole (no "12-…" or "0.7…"); a long
    # env name is the one that gives way, with an ellipsis.
    console.print(f"runs in {_safe(store.path)}")
    table = narrow_table()
    for col in ("id", "started", "env", "algo", "status", "steps", "eps", "time", "eval"):
        table.add_column(col, justify="right" if col in ("id", "steps", "eps", "time", "eval") else "left",
                         no_wrap=True, overflow="ellipsis" if col == "env" else "fold",
                         min_width=10 if col == "env" else None)
    for run in runs:
        evals = store.evaluations(run["id"], limit=1)
        last = num(evals[-1]["mean"]) if evals else ""
        table.add_row(str(run["id"]), _when(run["started"], short=True), _safe(run["env"], 60),
                      _safe(run["algo"], 20), _status(run), _compact(run["steps"]), _compact(run["episodes"]),
                      _duration(run).replace(" ", ""), last)
    console.print(table)
    console.print("[dim]eps: episodes · eval: last greedy mean return · one run: rltui runs show ID[/]")
    _sweep_note(console, store, [run["id"] for run in runs])
    for run in runs:
        if run["status"] == "interrupted":
            console.print(f"run {run['id']} {_safe(interrupted_note(store, run['id']))}")
    _skipped_note(console, getattr(runs, "skipped", 0), "run row(s)")
    return 0


def _sweep_note(console, store, run_ids: list[int]) -> None:
    """Which listed runs belong to a sweep, one line per sweep (the table keeps its 80 columns)."""
    by_sweep: dict[int, list[int]] = {}
    for run_id, sweep_id in store.sweep_of(run_ids).items():
        by_sweep.setdefault(sweep_id, []).append(run_id)
    for sweep_id, ids in sorted(by_sweep.items()):
        ids.sort()
        console.print(f"runs {_id_ranges(ids)} belong to sweep {sweep_id} (summary: rltui runs sweep {sweep_id})")


def _id_ranges(ids: list[int]) -> str:
    """[1, 2, 3, 5] -> "1-3, 5"."""
    parts: list[str] = []
    start = prev = ids[0]
    for cur in ids[1:] + [None]:
        if cur is None or cur != prev + 1:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
            start = cur
        prev = cur
    return ", ".join(parts)


def _sweeps(store, limit: int) -> int:
    """The sweeps, newest first, with each one's best configuration so far."""
    from rich.console import Console
    from rich.table import Table

    sweeps = store.list_sweeps(limit=limit)
    console = Console()
    if not sweeps:
        console.print(f"no sweeps yet in {_safe(store.path)} (start one: rltui sweep FrozenLake4x4 --seeds 0-4)")
        return 0
    table = Table(title=f"sweeps in {_safe(store.path)}", title_justify="left")
    for col in ("id", "started", "env", "algo", "status", "runs", "what"):
        table.add_column(col, justify="right" if col in ("id", "runs") else "left")
    for sweep in sweeps:
        spec = sweep["spec"]
        seeds = spec.get("seeds") or []
        what = (f"{spec.get('trials')} {spec.get('search')} trials" if spec.get("search")
                else " × ".join(f"{k}: {len(v)}" for k, v in (spec.get("grid") or {}).items()) or "preset")
        what += f", seeds {seeds[0]}-{seeds[-1]}" if len(seeds) > 1 else f", seed {seeds[0]}" if seeds else ""
        colour = _COLOURS.get(sweep["status"], "white")
        table.add_row(str(sweep["id"]), _when(sweep["started"], short=True), _safe(sweep["env"], 40),
                      _safe(sweep["algo"], 20), f"[{colour}]{sweep['status']}[/]", str(sweep["n_runs"]),
                      _safe(what, 60))
    console.print(table)
    return 0


def interrupted_note(store, run_id: int) -> str:
    """What an interrupted run left: "interrupted — last checkpoint at step N" and how to carry on."""
    last = [c for c in store.checkpoints(run_id, limit=10) if c.get("role", "last") == "last"]
    if not last:
        return "interrupted — no checkpoint was saved"
    run = store.get_run(run_id)
    return (f"interrupted — last checkpoint at step {last[-1]['steps']:,} "
            f"(carry on: rltui train {run['env']} --resume {run_id})")


EVALUATIONS_SHOWN = 50


def _show(store, run_id: int) -> int:
    """One run; every figure is aggregated in SQL or read in a bounded window, so a run with millions of
    episodes shows at once."""
    from rich.console import Console
    from rich.table import Table

    from rltui.errors import RltuiError

    run = store.get_run(run_id)
    if run is None:
        raise RltuiError(f"no run {run_id} in {validation.clean_text(store.path)} (see: rltui runs)")
    console = Console()
    info = Table(title=f"run {run_id}: {_safe(run['algo'], 20)} on {_safe(run['env'], 60)}", show_header=False)
    info.add_column("what", style="bold")
    info.add_column("value", overflow="fold")
    colour = _COLOURS.get(run["status"], "white")
    status = interrupted_note(store, run_id) if run["status"] == "interrupted" else run["status"]
    info.add_row("status", f"[{colour}]{_safe(status)}[/]")
    if run["error"]:
        info.add_row("error", _safe(run["error"], 2_000))
    info.add_row("started", _when(run["started"]))
    if run["ended"]:
        info.add_row("duration", _duration(run))
    sweep_id = store.sweep_of([run_id]).get(run_id)
    if sweep_id is not None:
        info.add_row("sweep", f"{sweep_id} (summary: rltui runs sweep {sweep_id})")
    info.add_row("seed / device", f"{run['seed']} / {_safe(run['device'], 40)}")
    info.add_row("steps / episodes", f"{run['steps']:,} / {run['episodes']:,}")
    cfg = run["config"]
    stop_at = cfg.get("stop_at_return")
    if run["status"] == "finished" and isinstance(stop_at, (int, float)) and run["steps"] < (cfg.get("steps") or 0):
        info.add_row("ended early", f"at its first evaluation ≥ {stop_at:g} (stop_at_return), "
                     f"{run['steps']:,} of {cfg['steps']:,} steps")
    if cfg.get("preset"):
        info.add_row("preset", _safe(cfg["preset"], 60))
    if cfg.get("demos"):  # a run that started from a person's play says so
        passes = cfg.get("demo_passes") or 1
        info.add_row("demos", f"{_safe(cfg['demos'], 200)} (your kept play on {_safe(run['env'], 60)}, "
                     f"{passes} pass{'es' if passes != 1 else ''}; list: rltui episodes {_safe(run['env'], 60)})")
    hparams = ", ".join(f"{k}={v}" for k, v in sorted(run["hparams"].items(), key=lambda kv: str(kv[0])))
    info.add_row("hyperparameters", _safe(hparams, 2_000))
    summary = store.episode_summary(run_id)
    if summary["episodes"]:
        over = "" if summary["covers_all"] else f" of the last {summary['best_over']:,}"
        info.add_row("returns", f"first {summary['first_n']}: {summary['first_mean']:.3f} · last "
                     f"{summary['last_n']}: {summary['last_mean']:.3f} · best{over} {summary['best']:.3f}")
    checkpoints = store.checkpoints(run_id, limit=3)
    for ck in checkpoints:
        label = "best checkpoint" if ck.get("role") == "best" else "checkpoint"
        info.add_row(label, f"{_safe(ck['path'], 500)} ({ck['steps']:,} steps)")
    console.print(info)
    evals = store.evaluations(run_id, limit=EVALUATIONS_SHOWN)
    if evals:
        table = Table(title="greedy evaluations" + (f" (the last {EVALUATIONS_SHOWN})"
                                                    if len(evals) == EVALUATIONS_SHOWN else ""))
        for col in ("steps", "mean", "std", "episodes", "success"):
            table.add_column(col, justify="right")
        for e in evals:
            success = "" if e["success_rate"] is None else f"{e['success_rate']:.1%}"
            table.add_row(f"{e['steps']:,}", f"{e['mean']:.3f}", f"{e['std']:.3f}", str(e["episodes"]), success)
        console.print(table)
    skipped = summary["skipped"] + getattr(evals, "skipped", 0) + getattr(checkpoints, "skipped", 0)
    _skipped_note(console, skipped, "episode, evaluation or checkpoint row(s) of this run")
    return 0


def _compact(n: int) -> str:
    """12345 -> 12.3k: the list stays readable in an 80-column terminal."""
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if n >= size:
            return f"{n / size:.3g}{suffix}"
    return str(n)
