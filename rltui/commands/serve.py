"""``rltui serve``: the app in a web browser, through textual-serve.

Each browser tab gets its own app process on this machine, using this machine's data dir. There is
no login: anyone who can open the address uses the app as you (your runs, your checkpoints, your
files), so it listens on 127.0.0.1 unless told otherwise. To reach it from elsewhere, prefer an SSH
tunnel (``ssh -L 8000:localhost:8000 HOST``) to ``--host 0.0.0.0``.
"""

from __future__ import annotations

import argparse

NO_LOGIN = ("rltui serve has no login: anyone who can open this address uses the app as you (your runs, "
            "checkpoints and data dir)")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve the app to a web browser (no login: localhost by default)",
                       description="Serve the app over HTTP with textual-serve; each browser tab gets its own app. "
                       + NO_LOGIN + ". It listens on 127.0.0.1 unless --host says otherwise.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")


def _local(host: str) -> bool:
    return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


def run(args: argparse.Namespace) -> int:
    import os
    import shlex
    import sys

    from rich.console import Console

    from rltui.errors import RltuiError
    from rltui.share import require

    if not 0 < args.port < 65536:
        raise RltuiError(f"--port must be between 1 and 65535, not {args.port}")
    server_module = require("textual_serve.server", "rltui serve")
    command = f"{shlex.quote(sys.executable)} -m rltui.tui.served"
    if args.data_dir:
        command += f" --data-dir {shlex.quote(os.path.abspath(args.data_dir))}"
    console = Console(stderr=True)
    console.print(f"[bold yellow]{NO_LOGIN}.[/]", soft_wrap=True)
    if not _local(args.host):
        console.print(f"[bold red]listening on {args.host}: other machines can reach it too[/] (an SSH tunnel "
                      "to 127.0.0.1 is safer)", soft_wrap=True)
    url_host = f"[{args.host}]" if ":" in args.host else args.host
    server = server_module.Server(command, host=args.host, port=args.port, title="rltui",
                                  public_url=f"http://{url_host}:{args.port}")
    try:
        server.serve()
    except OSError as exc:  # the port is taken, the address is not this machine's, ...
        raise RltuiError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0
