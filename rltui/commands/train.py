"""``rltui train ENV``: train an agent headless with a live progress bar; Ctrl-C stops and still saves.

The Trainer runs in a worker thread and reports through a callback that only stores the latest
figures; this thread redraws the bar ten times a second, so training speed never waits on the
terminal. The first Ctrl-C, SIGTERM or SIGHUP asks the Trainer to stop (it saves a checkpoint and
records the run ``stopped``); a second Ctrl-C abandons it. SIGHUP (the terminal closed) also sends
the output nowhere, so the save is not cut short by a write to a terminal that is gone.

The run is checkpointed every minute of training by default (``--checkpoint-every``), so a run killed
outright loses at most that; ``--resume`` takes a checkpoint or a run id, and carries an interrupted or
stopped run on where its checkpoint left it (same run, same schedules).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train", help="train an agent (headless, with a progress bar)",
        description="Train an agent on ENV, record the run in the store and save a checkpoint. Values come "
        "from the algorithm's preset for ENV (rltui/presets/<algo>.toml); flags override them.")
    p.add_argument("env", metavar="ENV", help="catalogue name, Gymnasium id or module:EnvId (see: rltui envs --all)")
    p.add_argument("--algo", help="q, sarsa, vi, dqn or drqn (default: the env's first agent)")
    p.add_argument("--steps", type=int, help="env steps to train (default: the preset's)")
    p.add_argument("--episodes", type=int, help="also stop after this many episodes")
    p.add_argument("--seed", type=int, default=0, help="seed of env and agent (default 0)")
    p.add_argument("--preset", metavar="NAME", help="a named preset from the algorithm's preset file")
    p.add_argument("--preset-file", metavar="PATH", help="your own preset file (<algo>.toml format), layered over "
                   "the packaged presets and those in your config folder (see: rltui presets)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a hyperparameter (repeatable), e.g. --set alpha=0.2")
    p.add_argument("--env-opt", dest="env_opts", action="append", default=[], metavar="KEY=VALUE",
                   help="override an env option (repeatable), e.g. --env-opt is_slippery=false")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps (neural agents)")
    p.add_argument("--renderer", choices=("fast", "gymnasium"),
                   help="CarRacing's observations: fast (drawn at the agent's size, the default) or gymnasium "
                   "(Gymnasium's own drawing); kept in the checkpoint")
    p.add_argument("--n-envs", type=int, default=1, help="parallel envs (neural agents)")
    p.add_argument("--eval-every", type=int, help="greedy evaluation every N steps (0: never)")
    p.add_argument("--eval-episodes", type=int, help="episodes per evaluation")
    p.add_argument("--stop-at", metavar="RETURN|off", type=stop_at_arg,
                   help="end the run at the first evaluation whose mean return reaches RETURN (off: train the "
                   "whole budget; default: the preset's)")
    p.add_argument("--out", metavar="PATH", help="checkpoint path (default: in the data dir)")
    p.add_argument("--checkpoint-every", metavar="60s|STEPS", type=_checkpoint_every,
                   help="save the checkpoint every so many seconds of training (60s, 5m) or env steps (5000), "
                   "and at each evaluation; 0: only at the end (default 60s)")
    p.add_argument("--resume", metavar="CHECKPOINT|RUN", help="continue training this checkpoint, or run RUN's "
                   "latest; an interrupted or stopped run carries on where its checkpoint left it")
    p.add_argument("--demos", metavar="all|IDS|minari:NAME", help="start from your kept play on this env: all, "
                   "or human episode ids like 3,5 (grid worlds and CartPole), or a Minari dataset (share extra)")
    p.add_argument("--demo-passes", type=int, default=1, help="times the agent goes over the demos (default 1)")
    p.add_argument("--quiet", action="store_true", help="no progress bar, just the summary")
    p.add_argument("--worker", choices=("thread", "process"), default="thread",
                   help="train in a thread of this process (default) or in a child process, as the app does")
    p.add_argument("--tensorboard", metavar="DIR", help="also log the run's curves as TensorBoard event files "
                   "under DIR, with SB3's tag names (share extra)")


def stop_at_arg(text: str) -> float | str:
    """``--stop-at 475`` / ``--stop-at off``, checked as the config checks it."""
    from rltui.errors import RltuiError
    from rltui.training.config import parse_stop_at

    try:
        return parse_stop_at(text)
    except RltuiError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _checkpoint_every(text: str) -> tuple[float, int]:
    """``60s`` / ``5m`` -> (seconds, 0); ``5000`` -> (0, steps); ``0`` -> (0, 0): off."""
    raw = text.strip().lower()
    scale = {"s": 1.0, "m": 60.0, "h": 3600.0}.get(raw[-1:]) if raw else None
    try:
        if scale is not None:
            seconds = float(raw[:-1]) * scale
            if not 0 <= seconds < 1e9:
                raise ValueError
            return seconds, 0
        steps = int(raw)
        if not 0 <= steps < 2**62:
            raise ValueError
        return 0.0, steps
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes seconds like 60s or 5m, or env steps like 5000 (0: off), "
                                         f"not {text!r}") from None


class _Latest:
    """What the callback saw last; written by the training thread, read by the display thread."""

    def __init__(self) -> None:
        import collections

        self.progress: Any = None
        self.evaluation: Any = None
        self.best_eval: float | None = None
        self.last_return: float | None = None
        self.recent: collections.deque[float] = collections.deque(maxlen=100)
        self.finished: Any = None


def run(args: argparse.Namespace) -> int:
    from rltui.envs import get_entry
    from rltui.envs.resolve import resolve_note
    from rltui.errors import RltuiError
    from rltui.training.config import TrainConfig, default_steps, parse_assignments
    from rltui.training.resume import continuable_run, continued_config
    from rltui.training.store import RunStore

    entry = get_entry(args.env)
    note = resolve_note(args.env)
    if note:
        print(f"rltui: note: {note}", file=sys.stderr)
    agent = header = None
    algo = args.algo
    store = RunStore.open(args.data_dir)
    try:
        continue_run = None
        if args.resume:
            from rltui.training.checkpoints import load_checkpoint

            path = _resume_path(args.resume, store)
            agent, header = load_checkpoint(path, expected_env=entry.name)
            if algo and algo != header["algo"]:
                raise RltuiError(f"{path} holds a {header['algo']} agent, not {algo}")
            algo = header["algo"]
            continue_run = continuable_run(store, path, header)
        algo = algo or entry.default_algo
        if algo not in entry.algos:
            raise RltuiError(f"{entry.name} does not suit {algo}; try: {', '.join(entry.algos)}")
        if continue_run is not None:
            config = continued_config(store.get_run(continue_run)["config"], args.data_dir, args.steps)
        else:
            preset_file = getattr(args, "preset_file", None)
            steps = args.steps if args.steps is not None else default_steps(entry.name, algo, args.preset,
                                                                            preset_file=preset_file)
            config = TrainConfig(
                entry.name, algo, steps, seed=args.seed, preset=args.preset, hparams=parse_assignments(args.sets),
                device=args.device, n_envs=args.n_envs, eval_every=args.eval_every,
                eval_episodes=args.eval_episodes, out=args.out,
                env_overrides=_with_renderer(parse_assignments(args.env_opts, "--env-opt"), args.renderer),
                episodes=args.episodes,
                data_dir=args.data_dir, demos=args.demos, demo_passes=args.demo_passes, preset_file=preset_file,
                stop_at_return=args.stop_at)
        if args.checkpoint_every is not None:
            config.checkpoint_every_s, config.checkpoint_every = args.checkpoint_every
        return _train(args, config, store, agent, header, continue_run)
    finally:
        store.close()


def _resume_path(text: str, store) -> str:
    """``--resume`` takes a checkpoint file, or a run id (its latest checkpoint)."""
    import os

    from rltui.errors import RltuiError

    if text.startswith("run:"):
        from rltui.training.store import checkpoint_spec

        return checkpoint_spec(text, str(store.path.parent) if store.path else None)
    if text.isdigit() and not os.path.exists(text):
        path = store.latest_checkpoint(int(text))
        if path is None:
            run = store.get_run(int(text))
            raise RltuiError(f"run {text} has no checkpoint to resume" if run else f"no run {text} in {store.path}")
        return path
    return text


def _train(args, config, store, agent, header, continue_run) -> int:
    from rltui.training.events import EpisodeEnd, Evaluation, Finished, Progress, TrainerControl
    from rltui.training.handle import start_training

    latest = _Latest()
    tensorboard = None
    if args.tensorboard:
        from rltui.share.curves import TensorBoardLogger, run_log_dir

        tensorboard = TensorBoardLogger(lambda: run_log_dir(args.tensorboard, trainer.run_id, config.algo, config.env))

    def callback(event) -> None:
        if tensorboard is not None:
            tensorboard(event)
        if isinstance(event, Progress):
            latest.progress = event
        elif isinstance(event, EpisodeEnd):
            latest.last_return = event.ret
            latest.recent.append(event.ret)
        elif isinstance(event, Evaluation):
            latest.evaluation = event
            if latest.best_eval is None or event.mean > latest.best_eval:
                latest.best_eval = event.mean
        elif isinstance(event, Finished):
            latest.finished = event

    control = TrainerControl()
    try:
        trainer = start_training(args.worker, config, callback=callback, control=control, store=store, agent=agent,
                                 continue_run=continue_run, header=header)
        if continue_run is not None:
            print(f"continuing run {continue_run} from step {header['run_steps']:,} of {config.steps:,}",
                  file=sys.stderr)
        result: list[Any] = []
        done = threading.Event()

        def work() -> None:
            try:
                result.append(trainer.run())
            finally:
                done.set()

        signals = _StopSignals(control)
        try:
            worker = threading.Thread(target=work, name="rltui-train", daemon=True)
            worker.start()
            _watch(done, control, latest, config, quiet=args.quiet, signals=signals)
            worker.join()
        finally:
            signals.restore()
        finished = result[0] if result else latest.finished
        _summary(trainer, finished, latest, store)
        if tensorboard is not None and tensorboard.log_dir is not None:
            from rich.console import Console

            Console().print(f"TensorBoard event files in {tensorboard.log_dir} (tensorboard --logdir "
                            f"{args.tensorboard})", soft_wrap=True)
    finally:
        if tensorboard is not None:
            tensorboard.close()
    return 0 if finished is not None and finished.status != "failed" else 1


class _StopSignals:
    """Ctrl-C (SIGINT), SIGTERM and SIGHUP stop the run cleanly (saved, recorded ``stopped``); a second
    Ctrl-C abandons it. A handler, not ``except KeyboardInterrupt``: the interrupt lands wherever the
    main thread is (drawing the bar, say), and only a handler sees every one. A background job whose
    SIGINT is ignored keeps ignoring it, and can still be stopped with SIGTERM. After SIGHUP the terminal
    is gone: stdout and stderr go to /dev/null so no write fails while the run saves."""

    def __init__(self, control) -> None:
        self.control = control
        self.received: int | None = None
        self.hung_up = False
        self._old: dict[int, Any] = {}
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            sig = getattr(signal, name, None)
            if sig is None or (sig == signal.SIGINT and signal.getsignal(sig) is not signal.default_int_handler):
                continue
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread (tests calling main() from a thread)
                pass

    def _handle(self, signum: int, frame: Any) -> None:
        import os

        if signum == signal.SIGINT and self.received is not None:
            raise KeyboardInterrupt  # the second stop asked for: abandon the save
        if signum == getattr(signal, "SIGHUP", None) and not self.hung_up:
            self.hung_up = True
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.dup2(devnull, 2)
                os.close(devnull)
            except OSError:
                pass
        if self.received is None:
            self.received = signum
        self.control.stop()

    def restore(self) -> None:
        for sig, old in self._old.items():
            try:
                signal.signal(sig, old)
            except (ValueError, TypeError):
                pass


def _watch(done: threading.Event, control, latest: _Latest, config, quiet: bool, signals=None) -> None:
    """Redraw the bar until the worker ends; Ctrl-C once stops cleanly, twice abandons.

    It waits with ``Event.wait`` rather than ``Thread.join``: a join interrupted by Ctrl-C can leave the
    thread looking finished while it still runs (CPython issue 90882)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    from rich.text import Text

    from rltui.numbers import short

    class TwoLineProgress(Progress):
        """The bar, steps and times on one line, the learning figures under it: both fit 80 columns."""

        def get_renderables(self):
            yield from super().get_renderables()
            figures = self.tasks[0].fields.get("figures", "") if self.tasks else ""
            if figures:
                yield Text("  " + figures, no_wrap=True, overflow="ellipsis")

    console = Console(stderr=True)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(bar_width=None), TextColumn("{task.fields[steps]}"),
               TimeElapsedColumn(), TextColumn("· left"), TimeRemainingColumn())
    with TwoLineProgress(*columns, console=console, disable=quiet, transient=False, expand=True) as bar:
        total = short(config.steps)
        task = bar.add_task(f"{config.algo} on {config.env}", total=config.steps, figures="", steps=f"0/{total}")
        told = stopping = False
        while not done.is_set():
            try:
                done.wait(0.1)
            except KeyboardInterrupt:  # only where no handler could be installed (main() in a thread)
                if stopping:
                    raise
                stopping = True
                control.stop()
                console.print("[yellow]stopping: saving the checkpoint (Ctrl-C again to abandon)[/]")
            if signals is not None and signals.received is not None and not told:
                told = True
                if signals.received == signal.SIGINT:
                    console.print("[yellow]stopping: saving the checkpoint (Ctrl-C again to abandon)[/]")
                elif not signals.hung_up:
                    console.print("[yellow]stopping on a signal: saving the checkpoint[/]")
            p = latest.progress
            if p is not None:
                bar.update(task, completed=min(p.steps, config.steps), figures=_figures(p, latest),
                           steps=f"{short(min(p.steps, config.steps))}/{total}")


def _figures(p, latest: _Latest) -> str:
    parts = []
    ret = p.metrics.get("return_100")
    if ret is not None:
        parts.append(f"return {ret:.3g}")
    eps = p.metrics.get("epsilon")
    if eps is not None:
        parts.append(f"ε {eps:.3f}")
    loss = p.metrics.get("loss")
    if loss is not None:
        parts.append(f"loss {loss:.3g}")
    if latest.evaluation is not None:
        e = latest.evaluation
        parts.append(f"eval {e.mean:.3g}" + (f" ({e.success_rate:.0%})" if e.success_rate is not None else ""))
    parts.append(f"{p.steps_per_s:,.0f} steps/s")
    return " · ".join(parts)


def _summary(trainer, finished, latest: _Latest, store) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"run {trainer.run_id}: {trainer.config.algo} on {trainer.config.env}", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", overflow="fold")
    status = finished.status if finished is not None else "unknown"
    colour = {"finished": "green", "stopped": "yellow", "failed": "red"}.get(status, "white")
    table.add_row("status", f"[{colour}]{status}[/]")
    demos = getattr(getattr(trainer, "trainer", trainer), "demos", None)  # the Trainer behind a handle
    if demos:
        table.add_row("learned first from", f"{len(demos)} of your episode(s), {sum(map(len, demos)):,} steps "
                      f"(--demos {trainer.config.demos})")
    elif trainer.config.demos:
        table.add_row("learned first from", f"your kept play (--demos {trainer.config.demos})")
    if finished is not None and finished.error:
        table.add_row("error", finished.error)
    if finished is not None and finished.reached:
        table.add_row("ended early", f"{finished.reached} (--stop-at off trains the whole budget)")
    if finished is not None:
        rate = finished.steps / finished.elapsed_s if finished.elapsed_s > 0 else 0.0
        table.add_row("steps", f"{finished.steps:,}")
        table.add_row("episodes", f"{finished.episodes:,}")
        table.add_row("time", f"{finished.elapsed_s:.1f} s ({rate:,.0f} steps/s)")
    recent = list(latest.recent)
    if recent:
        table.add_row(f"mean return, last {len(recent)}", f"{sum(recent) / len(recent):.3f}")
    if latest.evaluation is not None:
        e = latest.evaluation
        text = f"{e.mean:.3f} ± {e.std:.3f} over {e.episodes} episodes at step {e.steps:,}"
        if e.success_rate is not None:
            text += f", success {e.success_rate:.1%}"
        table.add_row("last greedy evaluation", text)
    table.add_row("hyperparameters", ", ".join(f"{k}={v}" for k, v in sorted(trainer.hparams.items())))
    if finished is not None and finished.checkpoint:
        table.add_row("checkpoint", finished.checkpoint)
    if finished is not None and finished.best_checkpoint:
        best = f" (eval {latest.best_eval:.3f})" if latest.best_eval is not None else ""
        table.add_row("best checkpoint", finished.best_checkpoint + best)
    if store.path is not None:
        table.add_row("run store", str(store.path))
    Console().print(table)


def _with_renderer(env_overrides: dict, renderer: str | None) -> dict:
    """``--renderer`` as the env option the pipeline reads (and the checkpoint keeps)."""
    return env_overrides if renderer is None else {**env_overrides, "renderer": renderer}
