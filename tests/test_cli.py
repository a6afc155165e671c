"""The CLI face: fast help, the catalogue table, one-line errors with non-zero exits."""

import subprocess
import sys

from rltui.cli import main
from rltui.envs import CATALOGUE


def test_envs_lists_every_entry(capsys):
    assert main(["envs"]) == 0
    out = capsys.readouterr().out
    for entry in CATALOGUE:
        assert entry.name in out


def test_help_does_not_import_heavy_modules():
    code = ("import sys; from rltui.cli import build_parser; build_parser(); "
            "heavy = [m for m in ('torch', 'gymnasium', 'textual', 'pygame') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_no_terminal_prints_a_notice_instead_of_hanging():
    out = subprocess.run([sys.executable, "-m", "rltui"], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=60)
    assert out.returncode == 0 and "interactive terminal" in out.stdout
