"""``rltui sweep ENV``: many seeds, a grid or an Optuna search, run as Ray Tune trials (extra ``sweep``).

Each trial is an ordinary run (same Trainer, presets and checkpoints as ``rltui train``); the driver,
this process, writes them into the run store as runs of one sweep and prints a live table, then the
per-configuration summary (final and best evaluation: mean, std, IQM and fraction solved with bootstrap
intervals, and the evaluation curve over seeds). Ctrl-C or SIGTERM stops every trial; each saves its
checkpoint and is recorded ``stopped``; a second Ctrl-C abandons them.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from typing import Any


def add_parser(sub: argparse._SubParsersAction) -> None:
    from rltui import validation

    p = sub.add_parser(
        "sweep", help="many seeds, a grid or a search with Ray Tune (extra: rltui[sweep])",
        description="Train ENV once per seed and configuration as Ray Tune trials (local Ray, or a cluster "
        "with --address) and summarise over seeds. Needs the sweep extra: pip install 'rltui[sweep]'.")
    p.add_argument("env", metavar="ENV", help="catalogue name (see: rltui envs)")
    p.add_argument("--algo", help="q, sarsa, vi, dqn or drqn (default: the env's first agent)")
    p.add_argument("--seeds", default="0-4", help="seeds, e.g. 0-9 or 0,3,7 (default 0-4; a search uses the first)")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                   help="try each value (repeatable; grids are crossed with each other and the seeds)")
    p.add_argument("--search", choices=("optuna",), help="draw configurations with a searcher instead of a grid")
    p.add_argument("--trials", type=validation.arg_int(1, 10_000), default=0, help="configurations a search tries")
    p.add_argument("--param", action="append", default=[], metavar="KEY=RANGE",
                   help="a searched hyperparameter: lr=log:1e-4..1e-2, gamma=0.9..0.999, "
                   "batch_size=int:32..256, double=choice:true,false (repeatable)")
    p.add_argument("--steps", type=validation.arg_int(1), help="env steps per trial (default: the preset's)")
    p.add_argument("--preset", metavar="NAME", help="a named preset to start from")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="a fixed hyperparameter override for every trial (repeatable)")
    p.add_argument("--env-opt", dest="env_opts", action="append", default=[], metavar="KEY=VALUE",
                   help="override an env option (repeatable)")
    p.add_argument("--eval-every", type=validation.arg_int(1),
                   help="greedy evaluation every N steps (trials are scored by them)")
    p.add_argument("--eval-episodes", type=validation.arg_int(1, validation.EPISODES_MAX),
                   help="episodes per evaluation")
    p.add_argument("--stop-at", metavar="RETURN|off", type=_stop_at,
                   help="a trial ends at its first evaluation whose mean return reaches RETURN (default: the "
                   "preset's)")
    p.add_argument("--max-concurrent", type=validation.arg_int(1, 10_000),
                   help="at most K trials at once (default: one per CPU)")
    p.add_argument("--address", metavar="auto|HOST:PORT",
                   help="join a running Ray cluster (from one of its machines) instead of starting a local Ray")
    p.add_argument("--cpus", type=validation.arg_int(1, 100_000),
                   help="CPUs of the local Ray (default: all of this machine's)")
    p.add_argument("--storage", metavar="PATH|URI", help="where Ray keeps trials and checkpoints (default: "
                   "<data dir>/sweeps; on a cluster a path every node sees, or s3://...)")
    p.add_argument("--retries", type=validation.arg_int(0, 100), default=1,
                   help="retries of a trial whose worker died (default 1)")
    p.add_argument("--save-best", metavar="NAME", help="save the best configuration as preset NAME")
    p.add_argument("--events", action="store_true", help="print one JSON object per event on stdout (for tools)")
    p.add_argument("--quiet", action="store_true", help="no live table, just the summary")


def build_spec(args: argparse.Namespace):
    """The :class:`SweepSpec` the flags ask for (checked: bad input is a one-line error)."""
    from rltui.envs import get_entry
    from rltui.errors import RltuiError
    from rltui.sweep.spec import SweepSpec, parse_grid, parse_param, parse_seeds
    from rltui.training.config import default_steps, parse_assignments

    entry = get_entry(args.env)
    algo = args.algo or entry.default_algo
    if algo not in entry.algos:
        raise RltuiError(f"{entry.name} does not suit {algo}; try: {', '.join(entry.algos)}")
    seeds = parse_seeds(args.seeds)
    if args.search and len(seeds) > 1:
        seeds = seeds[:1]  # a search compares configurations on one seed; sweep the best over seeds after
    steps = args.steps if args.steps is not None else default_steps(entry.name, algo, args.preset)
    spec = SweepSpec(entry.name, algo, seeds, steps, preset=args.preset, hparams=parse_assignments(args.sets),
                     grid=parse_grid(args.grid), search=args.search, trials=args.trials,
                     params=[parse_param(p) for p in args.param], eval_every=args.eval_every,
                     eval_episodes=args.eval_episodes, stop_at_return=args.stop_at,
                     env_overrides=parse_assignments(args.env_opts, "--env-opt"),
                     max_concurrent=args.max_concurrent, retries=args.retries)
    spec.check()
    return spec


def run(args: argparse.Namespace) -> int:
    from rltui.errors import RltuiError

    spec = build_spec(args)
    try:
        import optuna  # noqa: F401
        import ray  # noqa: F401
    except ImportError:
        raise RltuiError("sweeps need Ray Tune and Optuna: pip install 'rltui[sweep]'") from None
    from rltui.sweep.driver import run_sweep, start_ray, stop_ray
    from rltui.training.store import RunStore

    started = start_ray(args.address, args.cpus)  # before the live table: an unreachable address is one line
    stop = threading.Event()
    view = _Live(spec, quiet=args.quiet or args.events, events=args.events)
    previous = _install_signals(stop, view)
    store = RunStore.open(args.data_dir)
    try:
        with view:
            outcome = run_sweep(spec, store=store, data_dir=args.data_dir, address=args.address,
                                num_cpus=args.cpus, storage=args.storage, on_event=view.on_event, stop=stop)
        if not args.events:
            print_summary(store, outcome.sweep_id)
        if args.save_best:
            from rltui.sweep.summary import save_best

            path = save_best(store, outcome.sweep_id, args.save_best)
            _say(args.events, {"type": "preset", "name": args.save_best, "path": str(path)},
                 f"saved the best configuration as preset {args.save_best!r} in {path}")
        from rltui.sweep.summary import lost_attempt

        failed = sum(1 for r in store.sweep_runs(outcome.sweep_id) if r["status"] == "failed" and not lost_attempt(r))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        store.close()
        if started:
            stop_ray()
    return 1 if outcome.status == "failed" or failed else 0


def _say(events: bool, event: dict[str, Any], text: str) -> None:
    if events:
        print(json.dumps(event), flush=True)
    else:
        from rich.console import Console

        Console().print(text)


def _install_signals(stop: threading.Event, view: _Live) -> dict[int, Any]:
    """First Ctrl-C/SIGTERM: stop all trials cleanly (they save and are recorded stopped); second: abandon."""
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        view.note("stopping every trial: each saves its checkpoint (Ctrl-C again to abandon)")

    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
    return previous


class _Live:
    """The live table of trials (or JSON lines with --events), fed by the driver's events."""

    def __init__(self, spec: Any, quiet: bool, events: bool) -> None:
        self.spec, self.quiet, self.events = spec, quiet, events
        self.trials: dict[int, dict[str, Any]] = {}
        self.live: Any = None
        self.last_draw = 0.0
        self.notes: list[str] = []

    def __enter__(self) -> _Live:
        if not self.quiet:
            from rich.console import Console
            from rich.live import Live

            self.live = Live(self._table(), console=Console(stderr=True), auto_refresh=False, transient=False)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.update(self._table(), refresh=True)
            self.live.__exit__(*exc)
            self.live.console.print()

    def note(self, text: str) -> None:
        if self.events:
            print(json.dumps({"type": "note", "text": text}), flush=True)
        else:
            self.notes.append(text)
            if self.live is None:
                print(text, file=sys.stderr)

    def on_event(self, event: dict[str, Any]) -> None:
        if self.events:
            print(json.dumps(event, default=str), flush=True)
            return
        if event.get("type") == "trial":
            self.trials[event["run_id"]] = event
        if self.live is not None and (time.monotonic() - self.last_draw > 0.25 or event.get("type") == "end"):
            self.last_draw = time.monotonic()
            self.live.update(self._table(), refresh=True)

    def _table(self):
        from rich.table import Table

        table = Table(title=f"sweep: {self.spec.algo} on {self.spec.env}, {self.spec.n_trials()} trials",
                      title_justify="left", caption=" · ".join(self.notes[-1:]) or None)
        for col in ("run", "configuration", "seed", "status", "steps", "last eval", "best"):
            table.add_column(col, justify="right" if col in ("run", "seed", "steps", "last eval", "best") else "left")
        rows = sorted(self.trials.values(), key=lambda e: e["run_id"])
        for e in rows[-20:]:
            table.add_row(str(e["run_id"]), e["label"], str(e["seed"]), _status(e.get("status", "")),
                          f"{e.get('steps', 0):,}", _num(e.get("last_eval")), _num(e.get("best")))
        return table


_COLOURS = {"finished": "green", "stopped": "yellow", "failed": "red", "running": "cyan"}


def _status(status: str) -> str:
    return f"[{_COLOURS.get(status, 'white')}]{status}[/]"


def _num(x: Any) -> str:
    return "" if x is None else f"{x:.3g}"


def _ci(ci: tuple[float, float] | None, fmt: str = "{:.3g}") -> str:
    if ci is None:
        return ""
    return fmt.format(ci[0]) + "–" + fmt.format(ci[1])


def print_summary(store: Any, sweep_id: int, console: Any = None) -> None:
    """Per configuration: final and best evaluation over seeds, then each curve over seeds."""
    from rich.console import Console
    from rich.table import Table

    from rltui.sweep.summary import best_config, solved_bar, summarize

    console = console or Console()
    sweep, configs = summarize(store, sweep_id)
    bar = solved_bar(sweep["env"])
    colour = _COLOURS.get(sweep["status"], "white")
    console.print(f"sweep {sweep_id}: {sweep['algo']} on {sweep['env']}, [{colour}]{sweep['status']}[/]"
                  + (f" ({sweep['error']})" if sweep.get("error") else "")
                  + f" · trials and checkpoints in {sweep['storage']}")
    for which in ("final", "best"):
        solved = f"; solved ≥ {bar:g}" if bar is not None else ""
        table = Table(title=f"{which} evaluation over seeds (95% bootstrap CIs{solved})", title_justify="left")
        for col in ("configuration", "n", "mean ± std", "IQM", "IQM CI", "solved", "solved CI"):
            table.add_column(col, justify="left" if col == "configuration" else "right",
                             no_wrap=col != "configuration", overflow="fold")
        for c in configs:
            a = getattr(c, which)
            failed = c.counts.get("failed", 0)
            n = f"{a.n}" + (f"+{failed}✗" if failed else "")
            if a.n == 0:
                table.add_row(c.label, n, "", "", "", "", "")
                continue
            table.add_row(c.label, n, f"{a.mean:.3g} ± {a.std:.2g}", f"{a.iqm:.3g}", _ci(a.iqm_ci),
                          "" if a.solved is None else f"{a.solved:.0%}", _ci(a.solved_ci, "{:.0%}"))
        console.print(table)
    for c in configs[:4]:
        if not c.curve:
            continue
        console.print(curve_table(c, bar))
    best = best_config(configs)
    if best is not None and len(configs) > 1:
        console.print(f"best configuration (IQM of final evaluations): [bold]{best.label}[/]")


def curve_table(c: Any, bar: float | None, rows: int = 8):
    """An evaluation curve over seeds as a small table: steps, mean, the 95% band, and a bar."""
    from rich.table import Table

    points = c.curve
    if len(points) > rows:
        idx = sorted({round(i * (len(points) - 1) / (rows - 1)) for i in range(rows)})
        points = [points[i] for i in idx]
    top = max([p.high for p in c.curve] + ([bar] if bar else []))
    low = min([p.low for p in c.curve] + [0.0])
    table = Table(title=f"curve over seeds: {c.label}", title_justify="left")
    for col in ("steps", "seeds", "mean", "95% band", ""):
        table.add_column(col, justify="right" if col != "" else "left")
    for p in points:
        width = 24
        span = (top - low) or 1.0
        lo = int(round((p.low - low) / span * width))
        hi = int(round((p.high - low) / span * width))
        mid = int(round((p.mean - low) / span * width))
        cells = [" "] * (width + 1)
        for i in range(lo, hi + 1):
            cells[i] = "─"
        cells[min(mid, width)] = "●"
        table.add_row(f"{p.steps:,}", str(p.n), f"{p.mean:.3g}", _ci((p.low, p.high)), "".join(cells))
    return table


def _stop_at(text: str) -> float | str:
    from rltui.commands.train import stop_at_arg

    return stop_at_arg(text)
