"""The share layer's command bodies that hang off existing commands (``rltui runs export|plot``), kept
here so the commands' own modules only gain a line each."""

from __future__ import annotations

import argparse
from typing import Any


def export_or_plot(store: Any, args: argparse.Namespace) -> int:
    from rich.console import Console

    from rltui.errors import RltuiError
    from rltui.share import curves

    if args.id is None:
        raise RltuiError(f"runs {args.action} needs a run id, e.g. rltui runs {args.action} 3 "
                         + ("out.png" if args.action == "plot" else "--format csv"))
    console = Console()
    if args.action == "plot":
        if not args.out:
            raise RltuiError(f"runs plot needs a file, e.g. rltui runs plot {args.id} run{args.id}.png")
        path = curves.plot_run(store, args.id, args.out)
        console.print(f"saved the curve of run {args.id} to {path}", soft_wrap=True)
        return 0
    if args.format == "csv":
        path, estimated = curves.export_monitor_csv(store, args.id, args.out or f"run{args.id}.monitor.csv")
        console.print(f"wrote run {args.id}'s episodes to {path} (SB3 monitor.csv)", soft_wrap=True)
        if estimated:
            console.print(f"{estimated} episode(s) were kept before rltui recorded wall times: their t is "
                          "estimated from the run's start and steps", soft_wrap=True)
        return 0
    path = curves.export_tensorboard(store, args.id, args.out or "rltui-tensorboard")
    console.print(f"wrote run {args.id} as TensorBoard event files in {path} (tensorboard --logdir "
                  f"{path.parent})", soft_wrap=True)
    return 0
