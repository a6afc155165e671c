"""The app as ``rltui serve`` runs it: one process per browser tab, started by textual-serve.

textual-serve starts this module with Textual's web driver selected (``TEXTUAL_DRIVER``) and the page's
size in ``COLUMNS``/``ROWS``; stdin and stdout are pipes to the server, not a terminal, so the CLI's
"needs an interactive terminal" checks (right for a person at a shell) do not apply here.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rltui.tui.served")
    parser.add_argument("--data-dir")
    args = parser.parse_args(argv)
    from rltui.tui.app import run_app

    return run_app(data_dir=args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
