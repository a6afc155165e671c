"""The ``rltui`` command: no sub-command opens the app; the sub-commands work headless.

Each sub-command lives in ``rltui.commands.<name>`` and exposes ``add_parser(subparsers)`` and
``run(args) -> int``. Those modules import nothing heavy at the top, so ``rltui --help`` stays fast;
torch, Gymnasium and Textual load only when a command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from rltui import __version__
from rltui.errors import RltuiError

COMMANDS: tuple[str, ...] = ("envs", "play", "train", "eval", "runs", "compare", "explain", "episodes", "presets",
                             "serve", "sweep")


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage block): ``rltui train: error: argument --seed: ...``.

    Sub-command parsers are made by ``add_subparsers`` with the parent's class, so they share it."""

    def error(self, message: str):  # type: ignore[override]
        from rltui.validation import clean_text

        self.exit(2, f"{self.prog}: error: {clean_text(message, 300)} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rltui",
        description="Play, train and compare reinforcement-learning agents in your terminal. "
        "With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"rltui {__version__}")
    parser.add_argument("--data-dir", help="where runs, checkpoints and sessions live (default: $RLTUI_DATA "
                        "or the user data dir)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"rltui.commands.{name}").add_parser(sub)
    return parser


def _open_app(args: argparse.Namespace) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("rltui: the app needs an interactive terminal; headless commands: rltui --help")
        return 0
    from rltui.tui.app import run_app

    return run_app(data_dir=args.data_dir)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            return _open_app(args)
        module = importlib.import_module(f"rltui.commands.{args.command}")
        return int(module.run(args) or 0)
    except RltuiError as exc:
        print(f"rltui: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rltui: interrupted", file=sys.stderr)
        return 130
