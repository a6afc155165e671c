"""``rltui presets [ALGO]``: what each algorithm's preset files hold, and (``--env``) what applies to one env."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("presets", help="list hyperparameter presets (packaged, yours, generic per kind)",
                       description="List the presets of ALGO (or every algorithm): defaults, per-env tables, "
                       "defaults per kind for envs nobody curated, and named presets (--preset NAME). Your own "
                       "<algo>.toml files in the user config folder, or --preset-file, layer over the packaged ones.")
    p.add_argument("algo", nargs="?", metavar="ALGO", help="q, sarsa, vi, dqn or drqn (default: all)")
    p.add_argument("--env", metavar="ENV", help="show the values that apply to ENV (and which layers gave them)")
    p.add_argument("--preset", metavar="NAME", help="with --env: include this named preset")
    p.add_argument("--preset-file", metavar="PATH", help="a preset file of your own, as rltui train takes it")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from rltui.agents import ALGORITHMS
    from rltui.errors import RltuiError
    from rltui.training import presets

    if args.algo and args.algo not in ALGORITHMS:
        raise RltuiError(f"unknown algorithm {args.algo!r}; valid: {', '.join(ALGORITHMS)}")
    if (args.preset or args.env) and not args.algo:
        raise RltuiError("--env and --preset need ALGO, e.g. rltui presets dqn --env LunarLander-v3")
    if args.preset_file and not args.algo:
        raise RltuiError("--preset-file needs ALGO: a preset file holds one algorithm's presets")
    console = Console()
    if args.env:
        from rltui.envs import get_entry

        entry = get_entry(args.env)
        resolved = presets.resolve(args.algo, entry.name, args.preset, args.preset_file)
        console.print(f"[bold]{args.algo} on {entry.name}[/] ({entry.kind}"
                      f"{', nobody curated it: generic.' + entry.kind + ' applies' if not entry.curated else ''})",
                      soft_wrap=True)
        console.print("layers: " + " → ".join(resolved.layers), soft_wrap=True, markup=False)
        console.print("hyperparameters: " + ", ".join(f"{k}={v}" for k, v in sorted(resolved.hparams.items())),
                      soft_wrap=True, markup=False)
        console.print("train: " + ", ".join(f"{k}={v}" for k, v in sorted(resolved.train.items())),
                      soft_wrap=True, markup=False)
        return 0
    console.print(f"[dim]your presets folder: {presets.user_presets_dir()} (<algo>.toml, same format; "
                  "searched before the packaged files)[/]", soft_wrap=True)
    for algo in [args.algo] if args.algo else list(ALGORITHMS):
        console.print(_table(algo, args.preset_file))
    return 0


def _table(algo: str, preset_file: str | None):
    from rich.table import Table

    from rltui.training import presets

    table = Table(title=f"{algo}: {presets.preset_about(algo)}", title_justify="left", expand=False)
    for col in ("use", "applies to", "from", "about / steps"):
        table.add_column(col, overflow="fold", no_wrap=col == "use")
    for label, data in presets.sources(algo, preset_file):
        where = "packaged" if label == f"{algo}.toml" else label
        steps = (data.get("train") or {}).get("steps")
        if any(k for k in data if k not in ("env", "preset", "generic")):
            table.add_row("(defaults)", "every env", where, f"{steps:,} steps" if steps else "")
        for kind, layer in (data.get("generic") or {}).items():
            steps = (layer.get("train") or {}).get("steps") if isinstance(layer, dict) else None
            table.add_row("(generic)", f"any {kind} env nobody curated", where, f"{steps:,} steps" if steps else "")
        for env, layer in (data.get("env") or {}).items():
            steps = (layer.get("train") or {}).get("steps") if isinstance(layer, dict) else None
            table.add_row("(per env)", env, where, f"{steps:,} steps" if steps else "")
        for name, layer in (data.get("preset") or {}).items():
            about = str(layer.get("about", "")) if isinstance(layer, dict) else ""
            envs = ", ".join((layer.get("env") or {}) if isinstance(layer, dict) else ()) or "every env"
            table.add_row(f"--preset {name}", envs, where, about)
    return table
