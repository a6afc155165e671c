"""``rltui envs``: the environment catalogue as a table; ``--all`` adds every usable registered env."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("envs", help="list the environments you can play and train",
                       description="List the environment catalogue: kind, actions and keys, solved bar. Any "
                       "registered Gymnasium id (or module:EnvId) works too: --all lists what is usable here.")
    p.add_argument("--kind", choices=("grid", "tabular", "vector", "pixels"), help="only this kind")
    p.add_argument("--all", action="store_true", help="also plugins' entries and every usable registered "
                   "Gymnasium env, grouped (probes each env once: a few seconds)")


def _group(spec: Any) -> str:
    """A heading for a registered id: Atari, classic control, box2d, toy text, rltui, or its package."""
    module = _module_of(spec)
    if module.startswith("ale_py"):
        return "Atari (ALE): pixels, real-time"
    parts = module.split(".")
    if parts[:2] == ["gymnasium", "envs"] and len(parts) > 2:
        return f"Gymnasium {parts[2].replace('_', ' ')}"
    return parts[0] or "other"


def _module_of(spec: Any) -> str:
    from rltui.envs.resolve import entry_module

    return entry_module(spec)


def _entry_table(title: str, entries, kind: str | None):
    from rltui.commands.tables import narrow_table

    # Designed for 80 columns: one line per env where it fits (short kinds, agents without spaces); the
    # solved note is the one column that wraps, at word boundaries. Keys are left to the app (every
    # screen shows them) and to `rltui play`, where they are used.
    table = narrow_table(title)
    table.add_column("name", no_wrap=True, style="bold")
    table.add_column("kind", no_wrap=True)
    table.add_column("agents", no_wrap=True)
    table.add_column("solved when", overflow="fold")
    rows = 0
    for e in entries:
        if kind and e.kind != kind:
            continue
        play = e.kind if e.turn_based else f"{e.kind}, {e.fps} fps"
        solved = e.solved_note or ("" if e.solved is None else f"mean return {e.solved:g}")
        table.add_row(e.name, play, ",".join(e.algos), solved)
        rows += 1
    return table if rows else None


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from rltui.envs import CATALOGUE

    console = Console()
    console.print(_entry_table("rltui environments" + (": curated" if args.all else ""), CATALOGUE, args.kind))
    if not args.all:
        console.print("[dim]any registered Gymnasium id works too (CartPole-v1, LunarLander-v3, ALE/Pong-v5, "
                      "mymodule:MyEnv-v0): rltui envs --all[/]")
        return 0
    _print_all(console, args.kind)
    return 0


def _print_all(console, kind: str | None) -> None:
    import gymnasium as gym

    from rltui.envs import CATALOGUE
    from rltui.envs.plugins import plugin_entries, plugin_errors
    from rltui.envs.registration import register_envs
    from rltui.envs.resolve import resolve
    from rltui.errors import RltuiError

    plugins = plugin_entries()
    for source in sorted({e.source for e in plugins}):
        table = _entry_table(f"{source}", [e for e in plugins if e.source == source], kind)
        if table is not None:
            console.print(table)
    for line in plugin_errors():
        console.print(f"[yellow]{line}[/]", soft_wrap=True, markup=False)
    register_envs(atari=True)
    curated_ids = {e.gym_id for e in CATALOGUE} | {e.gym_id for e in plugins}
    groups: dict[str, list] = {}
    refused: dict[str, list[str]] = {}
    for env_id in sorted(gym.registry):
        if env_id in curated_ids:
            continue
        spec = gym.registry[env_id]
        if _module_of(spec).startswith("ale_py"):  # every ALE game: Discrete actions, rgb frames; no probe
            if env_id.startswith("ALE/"):  # (the legacy Pong-v4, PongNoFrameskip-v4... ids work too)
                groups.setdefault(_group(spec), []).append(env_id)
            continue
        try:
            entry = resolve(env_id).entry
        except RltuiError as exc:
            refused.setdefault(_reason(str(exc)), []).append(env_id)
            continue
        if entry.source == "generic":
            groups.setdefault(_group(spec), []).append(entry)
    for title, items in groups.items():
        if items and isinstance(items[0], str):
            if kind in (None, "pixels"):
                console.print(f"[bold]{title}[/] ({len(items)}): " + ", ".join(items), soft_wrap=True)
            continue
        table = _entry_table(title, items, kind)
        if table is not None:
            console.print(table)
    for reason, ids in refused.items():
        console.print(f"[dim]not usable ({reason}): {', '.join(ids)}[/]", soft_wrap=True, markup=True)


def _reason(message: str) -> str:
    """A short, shared reason, so the refused ids group under a few lines."""
    if "continuous actions" in message:
        return "continuous actions"
    if " observes " in message:
        return "observation space"
    if "cannot build" in message:
        detail = message.split("cannot build it: ", 1)[-1]
        for word in ("mujoco", "MuJoCo", "jax", "gym compatibility"):
            if word in detail:
                return f"cannot build: needs {word.lower()}"
        return "cannot build: " + detail.split(":", 1)[0]
    return message.split(":", 1)[0][:40]
