"""``rltui eval CHECKPOINT``: greedy episodes on fixed seeds, mean ± std return and success rate.

Episode ``i`` uses seed ``--seed + i`` (the same seeds ``rltui train`` evaluates on by default), so
two checkpoints evaluated with the same flags face the same episodes.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from rltui import validation


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="evaluate a checkpoint (greedy, fixed seeds)",
                       description="Play greedy episodes with a saved agent and report mean ± std return "
                       "(and the success rate where the env has one).")
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="a .npz or .pt file written by rltui train, run:N "
                   "or run:N:best (run N's checkpoint or its best evaluation's), or sb3:PATH.zip (a "
                   "Stable-Baselines3 DQN model; needs --env and --trust)")
    p.add_argument("--episodes", type=validation.arg_int(1, validation.EPISODES_MAX),
                   help="episodes to play (default 100, or 1 with --record)")
    p.add_argument("--seed", type=validation.arg_int(0, validation.SEED_MAX), default=1_000_000,
                   help="seed of the first episode (default 1000000)")
    p.add_argument("--render", choices=("none", "terminal", "window"), default="none",
                   help="draw the episodes in the terminal or a pygame window (default none)")
    p.add_argument("--fps", type=validation.arg_fps, default=None,
                   help="frames a second when rendering (default: what suits the env: 10 for grid worlds, "
                   "50 for CartPole, a game's own rate)")
    p.add_argument("--env", help="refuse the checkpoint unless it was trained on this env")
    p.add_argument("--device", default="cpu", help="device for neural agents (default cpu)")
    p.add_argument("--renderer", choices=("fast", "gymnasium"),
                   help="CarRacing's observations: fast or gymnasium (default: what the checkpoint trained on)")
    p.add_argument("--record", metavar="OUT.gif|OUT.mp4", help="also save the episodes as one GIF or MP4 video")
    p.add_argument("--frames", choices=("board", "rgb"), default="board", help="with --record on grid envs: "
                   "draw the board as rltui does (default) or use the env's own rgb_array frames")
    p.add_argument("--trust", action="store_true", help="allow loading an sb3: model (SB3 files are pickles, "
                   "which can run code: only for files you trust)")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from rltui.envs import get_entry
    from rltui.errors import RltuiError
    from rltui.share.sb3 import load_agent
    from rltui.training.evaluation import EvalResult, evaluate

    if args.episodes is None:
        args.episodes = 1 if args.record else 100
    validation.seed("--seed", args.seed, count=args.episodes)
    device = args.device
    if device != "cpu":
        from rltui.agents.device import resolve_device

        device = resolve_device(device)
    if args.record:
        from rltui.share.video import check_path

        if args.render != "none":
            raise RltuiError("--record and --render together: choose one")
        check_path(args.record)
    from rltui.training.store import checkpoint_spec

    args.checkpoint = checkpoint_spec(args.checkpoint, args.data_dir)  # run:N or run:N:best
    agent, header = load_agent(args.checkpoint, expected_env=args.env, trust=args.trust, device=device)
    entry = get_entry(header["env"])
    if args.renderer:
        header["env_kwargs"] = {**(header.get("env_kwargs") or {}), "renderer": args.renderer}
    if args.record:  # the recorded episodes are the evaluation: greedy, on the same seeds
        import numpy as np

        from rltui.share.video import record_agent

        path, played = record_agent(agent, entry.name, args.record, episodes=args.episodes, seed=args.seed,
                                    fps=args.fps or 8.0, style=args.frames, label=header["algo"],
                                    env_overrides=header.get("env_kwargs"))
        returns = [e.ret for e in played]
        success = None if entry.success_reward is None else float(np.mean(np.asarray(returns) >= entry.success_reward))
        result = EvalResult(float(np.mean(returns)), float(np.std(returns)), returns, [len(e.actions) for e in played],
                            success)
    elif args.render == "terminal":
        result = _evaluate_in_terminal(args, agent, header, entry)
        if result is None:
            return 130
    else:
        render_mode, on_frame, close = _renderer(args, entry)
        try:
            result = evaluate(agent, entry.name, args.episodes, args.seed, render=render_mode,
                              env_overrides=header.get("env_kwargs"), on_frame=on_frame)
        finally:
            close()
    _report(args, header, entry, result)
    if args.record:
        Console().print(f"saved {args.episodes} episode(s) to {path}", soft_wrap=True)
    return 130 if getattr(args, "_interrupted", False) else 0


def _evaluate_in_terminal(args: argparse.Namespace, agent, header: dict, entry):
    """Play the episodes drawn as the app draws them, paced for the env; Ctrl-C keeps finished ones."""
    from rich.console import Console

    from rltui.play.terminal_eval import TerminalPlayback, default_fps
    from rltui.training.evaluation import EvalResult, build_eval_env, evaluate

    console = Console()
    env = build_eval_env(agent, entry.name, "rgb_array" if entry.kind == "pixels" else None,
                         header.get("env_kwargs"))
    playback = TerminalPlayback(env, entry.name, console, fps=args.fps or default_fps(entry),
                                episodes=args.episodes, first_seed=args.seed, label=header["algo"])
    try:
        return evaluate(agent, entry.name, args.episodes, args.seed, env=playback)
    except KeyboardInterrupt:
        playback.stop()
        args._interrupted = True
        played = len(playback.returns)
        if not played:
            console.print("interrupted before the first episode ended: nothing to report")
            return None
        console.print(f"[yellow]interrupted: {played} of {args.episodes} episode(s) finished; "
                      "their results follow[/]")
        import numpy as np

        returns = np.asarray(playback.returns)
        success = None if entry.success_reward is None else float(np.mean(returns >= entry.success_reward))
        return EvalResult(float(returns.mean()), float(returns.std()), list(playback.returns),
                          list(playback.lengths), success)
    finally:
        playback.close()


def _report(args: argparse.Namespace, header: dict, entry, result) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{header['algo']} on {entry.name}: {escape(validation.clean_text(args.checkpoint))}",
                  show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", overflow="fold")
    table.add_row("episodes", f"{result.episodes} (seeds {args.seed}..{args.seed + result.episodes - 1})")
    table.add_row("return", f"{result.mean:.3f} ± {result.std:.3f}")
    table.add_row("min / max", f"{min(result.returns):.3f} / {max(result.returns):.3f}")
    table.add_row("mean length", f"{sum(result.lengths) / len(result.lengths):.1f}")
    if result.success_rate is not None:
        table.add_row("success rate", f"{result.success_rate:.1%}")
    if entry.solved is not None:
        table.add_row("solved bar", entry.solved_note or f"{entry.solved:g}")
    table.add_row("trained", f"{int(header.get('steps', 0)):,} steps")
    Console().print(table)


def _renderer(args: argparse.Namespace, entry) -> tuple[str | None, Any, Any]:
    """(render mode, frame callback, close) for ``--render``; a window with no display is an error."""
    from rltui.errors import RltuiError

    if args.render == "none":
        return None, None, lambda: None
    from rltui.play.terminal_eval import default_fps

    fps = args.fps or default_fps(entry)
    delay = 1.0 / fps if fps > 0 else 0.0
    from rltui.play.viewer import Viewer, display_problem

    problem = display_problem()
    if problem:
        raise RltuiError(f"--render window: {problem} (try --render terminal)")
    viewer = Viewer(title=f"rltui eval · {entry.name}")
    if not viewer.start():
        raise RltuiError("--render window: the window could not be opened (try --render terminal)")

    def show_window(frame) -> None:
        viewer.show(frame)
        viewer.poll()
        time.sleep(delay)

    return "rgb_array", show_window, viewer.close


def _render_modes(entry) -> list[str]:
    from rltui.envs.factory import render_modes

    return render_modes(entry)
