"""``rltui play ENV``: open the app straight on the Play screen (or watch a saved agent with ``--agent``)."""

from __future__ import annotations

import argparse
import sys

from rltui import validation
from rltui.errors import RltuiError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("play", help="play an environment with the keyboard (or watch a saved agent)",
                       description="Open the app on the Play screen for ENV. Every episode you finish is saved "
                       "with its seed and actions. With --agent, watch a checkpoint play instead.")
    p.add_argument("env", metavar="ENV", help="an environment name from `rltui envs`")
    p.add_argument("--seed", type=validation.arg_int(0, validation.SEED_MAX),
                   help="base seed: episode k starts from seed+k (default: random)")
    p.add_argument("--agent", metavar="CHECKPOINT", help="watch this checkpoint (a file, run:N, run:N:best, "
                   "or sb3:PATH.zip) play ENV instead")
    p.add_argument("--episodes", type=validation.arg_int(1, validation.EPISODES_MAX),
                   help="with --agent: stop after this many episodes")
    p.add_argument("--trust", action="store_true", help="with --agent sb3:PATH.zip: allow loading it (SB3 files "
                   "are pickles, which can run code: only for files you trust)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--realtime", dest="realtime", action="store_const", const=True,
                      help="the clock runs at the env's frame rate; no key held = no-op (m switches in the app)")
    mode.add_argument("--turn-based", dest="realtime", action="store_const", const=False,
                      help="one step per key press (the default for grids, CartPole and most Gymnasium ids)")
    p.add_argument("--renderer", choices=("fast", "gymnasium"),
                   help="with --agent on CarRacing: the agent's observations, fast or gymnasium (default: what "
                   "the checkpoint trained on); what you see is Gymnasium's full-size frame either way")


def run(args: argparse.Namespace) -> int:
    from rltui.envs import get_entry

    entry = get_entry(args.env)  # a bad name is a one-line error before any terminal set-up
    if args.episodes is not None and args.episodes < 1:
        raise RltuiError(f"--episodes must be at least 1, not {args.episodes}")
    if args.episodes is not None and not args.agent:
        raise RltuiError("--episodes needs --agent CHECKPOINT (it counts the agent's episodes)")
    from rltui.training.store import checkpoint_spec

    args.agent = checkpoint_spec(args.agent, args.data_dir)  # run:N or run:N:best
    if args.agent and args.agent.startswith("sb3:"):  # no --trust or a wrong model: one line, not in the app
        from rltui.share.sb3 import load_agent

        load_agent(args.agent, entry.name, trust=args.trust)
    if args.renderer is not None and not args.agent:
        raise RltuiError("--renderer needs --agent CHECKPOINT (a person always sees Gymnasium's frames)")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise RltuiError("play needs an interactive terminal")
    from rltui.tui.app import run_app

    if args.agent:
        watch = {"checkpoint": args.agent, "episodes": args.episodes, "seed": args.seed, "env": entry.name,
                 "trust": args.trust}
        if args.renderer is not None:
            watch["renderer"] = args.renderer
        return run_app(args.data_dir, start=("watch", entry.name), watch=watch)
    return run_app(args.data_dir, start=("play", entry.name), play_seed=args.seed,
                   play_realtime=getattr(args, "realtime", None))
