"""Where every value from outside (flags, presets, checkpoint headers, the run store) is checked.

One helper per kind of value, each raising a one-line :class:`~rltui.errors.RltuiError` that names the
field and its valid range. It sits beside :mod:`rltui.errors` at the bottom of the layers, imports
nothing heavy, and every layer may use it: agents for hyperparameters, training for configs and
checkpoints, the CLI for its flags.

Why the bounds: SQLite stores signed 64-bit integers (a larger seed or id is an ``OverflowError``
deep inside ``sqlite3``), seeds go to numpy and Gymnasium (``[0, 2**32)`` suits both), and some
hyperparameters size memory at once (replay buffers, layer widths, n-step windows): they get a
ceiling and, for replay buffers, an estimate against the memory the machine has.
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Callable
from typing import Any

from rltui.errors import RltuiError

INT64_MAX = 2**63 - 1  #: the largest integer SQLite stores
SEED_MAX = 2**32 - 1  #: numpy's legacy seeding and most Gymnasium envs take seeds below 2**32
ID_MAX = INT64_MAX
LIST_MAX = 100_000  #: rows a listing shows at most (--limit)
EPISODES_MAX = 1_000_000  #: episodes one evaluation / watch plays at most
SEEDS_MAX = 10_000  #: seeds one comparison plays at most
FPS_MIN, FPS_MAX = 0.01, 1_000.0  #: a frame every 100 s at the slowest
N_ENVS_MAX = 64  #: each env of a vector run is a process (or a copy of the env in one)
THREADS_MAX = 256


def _show(raw: Any) -> str:
    text = repr(raw) if not isinstance(raw, str) else repr(clean_text(raw, 40))
    return text if len(text) <= 48 else text[:45] + "..."


def _range(lo: float | None, hi: float | None, fmt: Callable[[float], str] = str) -> str:
    if lo is not None and hi is not None:
        return f"in [{fmt(lo)}, {fmt(hi)}]"
    if lo is not None:
        return f">= {fmt(lo)}"
    return f"<= {fmt(hi)}"


def integer(name: str, raw: Any, lo: int | None = 0, hi: int | None = INT64_MAX, why: str = "") -> int:
    """``raw`` as an int in ``[lo, hi]``: ints, integral floats (``1e6``) and their text; never bools,
    NaN, inf or fractions. ``why`` (a few words) follows the range in the message."""
    value: int | None = None
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, int):
        value = raw
    elif isinstance(raw, (float, str)):
        text = raw.strip().replace("_", "") if isinstance(raw, str) else ""
        try:
            value = int(text) if isinstance(raw, str) else None
        except ValueError:
            value = None
        if value is None:
            try:
                f = float(text if isinstance(raw, str) else raw)
            except (TypeError, ValueError):
                f = math.nan
            value = int(f) if math.isfinite(f) and f == int(f) else None
    else:
        try:  # numpy integers
            import numbers

            value = int(raw) if isinstance(raw, numbers.Integral) else None
        except (TypeError, ValueError):
            value = None
    if value is None or (lo is not None and value < lo) or (hi is not None and value > hi):
        reason = f" ({why})" if why else ""
        raise RltuiError(f"{name} must be an integer {_range(lo, hi, _num)}{reason}, not {_show(raw)}")
    return value


def number(name: str, raw: Any, lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
           hi_open: bool = False, why: str = "") -> float:
    """``raw`` as a finite float in the range (closed unless ``lo_open`` / ``hi_open``)."""
    value = math.nan
    if not isinstance(raw, bool):
        try:
            value = float(raw.strip() if isinstance(raw, str) else raw)
        except (TypeError, ValueError, OverflowError):
            value = math.nan
    ok = math.isfinite(value)
    if ok and lo is not None:
        ok = value > lo if lo_open else value >= lo
    if ok and hi is not None:
        ok = value < hi if hi_open else value <= hi
    if not ok:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        if lo is not None and hi is not None:
            span = f"in {left}{_num(lo)}, {_num(hi)}{right}"
        elif lo is not None:
            span = f"{'>' if lo_open else '>='} {_num(lo)}"
        elif hi is not None:
            span = f"{'<' if hi_open else '<='} {_num(hi)}"
        else:
            span = "finite"
        reason = f" ({why})" if why else ""
        raise RltuiError(f"{name} must be a finite number {span}{reason}, not {_show(raw)}".replace(
            "finite number finite", "finite number"))
    return value


def _num(x: float) -> str:
    if isinstance(x, int) and abs(x) >= 10**6:
        for power in (63, 32):
            if abs(x) == 2**power - 1:
                return f"2^{power}-1" if x > 0 else f"-(2^{power}-1)"
        return f"{x:,}"
    return f"{x:g}" if isinstance(x, float) else str(x)


# -- argparse types: a bad flag is argparse's one-line "argument --seed: ..." error ---------------------
def arg_int(lo: int | None = 0, hi: int | None = INT64_MAX, why: str = "") -> Callable[[str], int]:
    """An argparse ``type=`` for an integer flag in ``[lo, hi]``."""

    def parse(text: str) -> int:
        try:
            return integer("it", text, lo, hi, why)
        except RltuiError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix("it ")) from None

    parse.__name__ = "integer"
    return parse


def arg_float(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
              hi_open: bool = False) -> Callable[[str], float]:
    """An argparse ``type=`` for a finite number flag."""

    def parse(text: str) -> float:
        try:
            return number("it", text, lo, hi, lo_open=lo_open, hi_open=hi_open)
        except RltuiError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix("it ")) from None

    parse.__name__ = "number"
    return parse


def arg_fps(text: str) -> float:
    """An argparse ``type=`` for frames a second: 0 (no delay) or in [FPS_MIN, FPS_MAX]."""
    value = arg_float(0, FPS_MAX)(text)
    if 0 < value < FPS_MIN:
        raise argparse.ArgumentTypeError(f"must be 0 (no delay) or in [{FPS_MIN:g}, {FPS_MAX:g}], not {text!r}")
    return value


arg_fps.__name__ = "fps"


def arg_id(text: str) -> int:
    """An argparse ``type=`` for a row id (run, comparison): 1 to SQLite's largest integer."""
    return arg_int(1, ID_MAX)(text)


arg_id.__name__ = "id"


def seed(name: str, raw: Any, count: int = 1) -> int:
    """A base seed whose ``count`` consecutive seeds all stay in ``[0, SEED_MAX]``."""
    return integer(name, raw, 0, SEED_MAX - max(0, count - 1),
                   "" if count <= 1 else f"its {count:,} seeds must stay below 2^32")


# -- hyperparameters ----------------------------------------------------------------------------------
#: Bounds on hyperparameters, by name, for every algorithm that has the field: (lo, hi, why). Values past
#: these would allocate more than a personal machine holds, or hang, before training could say so.
HPARAM_LIMITS: dict[str, tuple[float, float, str]] = {
    "n_step": (1, 1_000, "each update reads n steps of every sampled transition"),
    "buffer_size": (1, 100_000_000, "the replay is allocated up front"),
    "batch_size": (1, 65_536, "every update moves one batch"),
    "seq_len": (1, 1_000, "every update unrolls the LSTM this far"),
    "burn_in": (0, 1_000, "every update unrolls the LSTM this far"),
    "lstm_size": (1, 4_096, "LSTM weights grow with its square"),
    "threads": (0, THREADS_MAX, "torch CPU threads"),
    "gradient_steps": (1, 10_000, "updates per training phase"),
    "adam_eps": (0, 1, "the term that keeps Adam's step finite"),
    # Floats whose meaningful range is far inside what a float holds: past it a run is only broken.
    "lr": (1e-12, 10, "a larger step only diverges"),
    "lr_final": (0, 10, "a larger step only diverges"),
    "alpha_power": (1e-6, 10, "alpha falls as visits ** -alpha_power"),
    "q_init": (-1e12, 1e12, "a starting value in reward units"),
    "tol": (1e-15, 1, "value iteration stops when no value changes by more"),
    "demo_margin": (0, 1_000, "the margin a demonstrated action's value keeps over the others"),
}
HIDDEN_MAX_UNITS = 4_096  #: a 4096×4096 layer is 64 MB of float32, times four (weights, target, Adam)
HIDDEN_MAX_LAYERS = 16
HIDDEN_MAX_WEIGHTS = 4096 * 4096  #: weights between hidden layers, all together


def check_hparam_limits(values: dict[str, Any], where: str) -> None:
    """Apply :data:`HPARAM_LIMITS` and the ``hidden`` layout to already-typed hyperparameters."""
    for key, value in values.items():
        limit = HPARAM_LIMITS.get(key)
        if limit is not None and value is not None and not isinstance(value, (str, bool)):
            lo, hi, why = limit
            if key == "adam_eps":
                number(f"{where}: {key}", value, lo, hi, lo_open=True, why=why)
            elif not lo <= value <= hi:
                raise RltuiError(f"{where}: {key} must be in [{_num(lo)}, {_num(hi)}] ({why}), not {value!r}")
        elif key == "hidden" and isinstance(value, str):
            hidden_sizes(value, f"{where}: hidden")


def hidden_sizes(text: str, name: str = "hidden") -> tuple[int, ...]:
    """``"128,128"`` → (128, 128) within :data:`HIDDEN_MAX_UNITS` / :data:`HIDDEN_MAX_LAYERS`."""
    text = str(text).strip()
    if not text:
        return ()
    parts = text.replace(" ", "").split(",")
    if len(parts) > HIDDEN_MAX_LAYERS:
        raise RltuiError(f"{name} may have at most {HIDDEN_MAX_LAYERS} layers, not {len(parts)}")
    sizes = tuple(integer(f"{name} layer size", p, 1, HIDDEN_MAX_UNITS,
                          "weights grow with the square of a layer's width") for p in parts)
    weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    if weights > HIDDEN_MAX_WEIGHTS:
        raise RltuiError(f"{name} {text!r} holds {weights:,} weights between its layers; at most "
                         f"{HIDDEN_MAX_WEIGHTS:,} ({HIDDEN_MAX_WEIGHTS * 4 // 2**20} MB a copy; training keeps four)")
    return sizes


def finite_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """Env options (``--env-opt``): numbers must be finite and fit 64 bits; each value's meaning is the
    env's to check (Gymnasium raises for a bad one, and the env factory turns that into one line)."""
    for key, value in options.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise RltuiError(f"{name} {key} must be a finite number, not {value!r}")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT64_MAX:
            raise RltuiError(f"{name} {key} must fit in 64 bits, not {value!r}")
        if isinstance(value, (list, dict)):
            finite_options(name, dict(enumerate(value)) if isinstance(value, list) else value)
    return options


# -- memory ---------------------------------------------------------------------------------------------
def available_memory() -> int | None:
    """Bytes of memory the OS says are available now (MemAvailable on Linux), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def check_memory(what: str, nbytes: int, fraction: float = 0.8) -> None:
    """Refuse to allocate ``nbytes`` for ``what`` when it is over ``fraction`` of the available memory."""
    avail = available_memory()
    if avail is not None and nbytes > fraction * avail:
        raise RltuiError(f"{what} would need {_bytes(nbytes)}, more than the {_bytes(avail)} of memory "
                         "available; make it smaller")


def _bytes(n: float) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


# -- text from elsewhere ----------------------------------------------------------------------------------
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks, clipboard writes
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b.?"  # any other escape
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
# C0 and C1 controls, DEL, and the bidirectional overrides that make text read differently than it is.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: Any, max_len: int | None = None) -> str:
    """``text`` made safe to print: escape sequences and control characters removed (tabs and newlines
    become spaces), cut to ``max_len`` characters with an ellipsis. For any text from the run store or
    a checkpoint header, which may come from someone else."""
    if text is None:
        return ""
    s = text if isinstance(text, str) else str(text)
    if max_len is not None and len(s) > 4 * max_len + 64:
        s = s[: 4 * max_len + 64]  # bound the regex work on huge values
    s = _ESCAPES.sub("", s)
    s = _CONTROLS.sub(lambda m: " " if m.group() in "\t\n\r" else "", s)
    if max_len is not None and len(s) > max_len:
        s = s[: max(0, max_len - 1)] + "…"
    return s
