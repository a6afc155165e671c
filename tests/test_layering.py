"""DESIGN.md's layering: envs, agents and training never import textual or pygame (nor each other upward)."""

import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "rltui"
ORDER = ["envs", "agents", "training", "sweep", "play", "share", "tui"]


def _imports(path: pathlib.Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", ["envs", "agents", "training", "sweep", "play", "share"])
def test_imports_only_point_down(layer):
    above = ORDER[ORDER.index(layer) + 1 :] + ["cli", "commands"]
    for path in (ROOT / layer).rglob("*.py"):
        for name in _imports(path):
            for up in above:
                assert not name.startswith(f"rltui.{up}"), f"{path.name} imports {name}"
            if layer not in ("play", "share"):
                assert name.split(".")[0] not in ("textual", "pygame"), f"{path.name} imports {name}"


def test_core_layers_load_without_textual_or_pygame():
    code = ("import sys, pkgutil, importlib, rltui\n"
            "for pkg in ('envs', 'agents', 'training'):\n"
            "    p = importlib.import_module('rltui.' + pkg)\n"
            "    for m in pkgutil.iter_modules(p.__path__):\n"
            "        importlib.import_module(f'rltui.{pkg}.{m.name}')\n"
            "print([m for m in ('textual', 'pygame') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
