"""Reading run-store rows that may be malformed: a store file can come from elsewhere or an older rltui.

SQLite lets any column hold any type, so a row may carry text where a number belongs, broken JSON, a
200 MB value or escape sequences. Each ``read_*`` function turns one raw row into the dict the faces
use (types checked, text cleaned of control characters and cut to a length) or raises :class:`Malformed`;
:func:`keep` applies one to many rows, leaving out what cannot be read and counting it, so one bad row
never hides the others. :func:`columns` bounds what a query loads from each text value.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from rltui import validation

TEXT_MAX = 65_536  #: text values (config, hparams, errors, paths) longer than this are not loaded
ACTIONS_MAX = 16_000_000  #: a person's kept episode: its actions and rewards as JSON
TIME_MAX = 253_402_300_799.0  #: 9999-12-31: later timestamps cannot be shown as dates
SHORT, LONG = 200, 2_000  #: how much of a name or a message is shown


class Malformed(ValueError):
    """This row cannot be read; it is left out and counted."""


class Rows(list):
    """Rows read from the store; ``skipped`` counts the malformed ones left out."""

    skipped: int = 0


def keep(rows: Iterable[dict[str, Any]], reader: Callable[[dict[str, Any]], dict[str, Any]]) -> Rows:
    out = Rows()
    for row in rows:
        try:
            out.append(reader(row))
        except (Malformed, RecursionError):
            out.skipped += 1
    return out


def columns(db: sqlite3.Connection, table: str, max_len: int = TEXT_MAX) -> str:
    """The select list for ``table``: every column, but text or blob values over ``max_len`` read as NULL
    (``length`` of a blob reads its header only; of text it walks the value without keeping it)."""
    names = [r[1] for r in db.execute(f"PRAGMA table_info({table})").fetchall()]
    if not names:
        return "*"
    quoted = ['"' + n.replace('"', '""') + '"' for n in names]
    return ", ".join(f"CASE WHEN typeof({q}) IN ('text', 'blob') AND length({q}) > {int(max_len)} THEN NULL "
                     f"ELSE {q} END AS {q}" for q in quoted)


# -- fields -------------------------------------------------------------------------------------------
def text(row: dict[str, Any], key: str, max_len: int = SHORT, required: bool = True) -> str | None:
    value = row.get(key)
    if value is None:
        if required:
            raise Malformed(f"{key} is missing")
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, (str, int, float)):
        raise Malformed(f"{key} is not text")
    return validation.clean_text(str(value), max_len)


def integer(row: dict[str, Any], key: str, lo: int = 0, required: bool = True) -> int | None:
    value = row.get(key)
    if value is None:
        if required:
            raise Malformed(f"{key} is missing")
        return None
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= validation.INT64_MAX:
        raise Malformed(f"{key} is not a whole number >= {lo}")
    return value


def number(row: dict[str, Any], key: str, required: bool = True) -> float | None:
    value = row.get(key)
    if value is None:
        if required:
            raise Malformed(f"{key} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Malformed(f"{key} is not a finite number")
    return float(value)


def timestamp(row: dict[str, Any], key: str, required: bool = True) -> float | None:
    value = number(row, key, required)
    if value is not None and not 0 <= value <= TIME_MAX:
        raise Malformed(f"{key} is not a date")
    return value


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return validation.clean_text(value, LONG)
    if isinstance(value, dict):
        return {validation.clean_text(str(k), SHORT): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_field(row: dict[str, Any], key: str, kind: type, required: bool = True) -> Any:
    raw = row.get(key)
    if raw is None:
        if required:
            raise Malformed(f"{key} is missing or too large")
        return None
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    try:
        value = json.loads(raw) if isinstance(raw, str) else None
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, kind):
        raise Malformed(f"{key} is not a JSON {kind.__name__}")
    return _clean_json(value)


def int_list(row: dict[str, Any], key: str, required: bool = True) -> list[int] | None:
    values = json_field(row, key, list, required)
    if values is not None and not all(isinstance(v, int) and not isinstance(v, bool) and
                                      abs(v) <= validation.INT64_MAX for v in values):
        raise Malformed(f"{key} holds something other than whole numbers")
    return values


def float_list(row: dict[str, Any], key: str) -> list[float]:
    values = json_field(row, key, list)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values):
        raise Malformed(f"{key} holds something other than finite numbers")
    return [float(v) for v in values]


# -- rows ---------------------------------------------------------------------------------------------
def read_run(row: dict[str, Any]) -> dict[str, Any]:
    """A run: the fields every face shows must be readable; config and hparams too large or broken
    read as empty (the run still lists, its settings are just not shown)."""
    out = dict(row)
    out["id"] = integer(row, "id", 1)
    for key in ("env", "algo", "status"):
        out[key] = text(row, key)
    out["error"] = text(row, "error", LONG, required=False)
    out["device"] = text(row, "device", required=False)
    out["seed"] = integer(row, "seed", required=False)
    out["steps"] = integer(row, "steps", required=False) or 0
    out["episodes"] = integer(row, "episodes", required=False) or 0
    out["started"] = timestamp(row, "started")
    out["ended"] = timestamp(row, "ended", required=False)
    if out["ended"] is not None and out["ended"] < out["started"]:
        out["ended"] = None
    pid = row.get("pid")
    out["pid"] = pid if isinstance(pid, int) and not isinstance(pid, bool) and 0 < pid < 2**31 else None
    if "heartbeat" in row:  # a running run's last sign of life: anything but a time reads as none (stale)
        try:
            out["heartbeat"] = timestamp(row, "heartbeat", required=False)
        except Malformed:
            out["heartbeat"] = None
    for key in ("config", "hparams"):
        try:
            out[key] = json_field(row, key, dict)
        except Malformed:
            out[key] = {}
    for key, value in row.items():  # columns this function does not know: text is cleaned all the same
        if key not in _RUN_FIELDS and isinstance(value, (str, bytes)):
            out[key] = text(row, key, LONG, required=False)
    return out


_RUN_FIELDS = {"id", "env", "algo", "status", "error", "device", "seed", "steps", "episodes", "started", "ended",
               "pid", "config", "hparams", "heartbeat"}


def read_evaluation(row: dict[str, Any]) -> dict[str, Any]:
    rate = number(row, "success_rate", required=False)
    return {"steps": integer(row, "steps"), "mean": number(row, "mean"), "std": number(row, "std"),
            "episodes": integer(row, "episodes"), "success_rate": None if rate is None or not 0 <= rate <= 1 else rate,
            "created": timestamp(row, "created", required=False)}


def read_checkpoint(row: dict[str, Any]) -> dict[str, Any]:
    return {"path": text(row, "path", LONG), "steps": integer(row, "steps"),
            "created": timestamp(row, "created", required=False),
            "role": text(row, "role", required=False) or "last"}


def read_human_episode(row: dict[str, Any]) -> dict[str, Any]:
    out = {"id": integer(row, "id", 1), "env": text(row, "env"), "seed": integer(row, "seed", required=False),
           "actions": int_list(row, "actions"), "rewards": float_list(row, "rewards"),
           "ret": number(row, "ret"), "length": integer(row, "length"),
           "created": timestamp(row, "created", required=False)}
    if len(out["actions"]) != len(out["rewards"]):
        raise Malformed("actions and rewards differ in length")
    return out


def read_comparison(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": integer(row, "id", 1), "env": text(row, "env"), "agent": text(row, "agent"),
            "checkpoint": text(row, "checkpoint", LONG, required=False), "seeds": int_list(row, "seeds"),
            "rounds": integer(row, "rounds"), "human_mean": number(row, "human_mean", required=False),
            "agent_mean": number(row, "agent_mean", required=False), "human_wins": integer(row, "human_wins"),
            "agent_wins": integer(row, "agent_wins"), "ties": integer(row, "ties"),
            "created": timestamp(row, "created")}


def read_round(row: dict[str, Any]) -> dict[str, Any]:
    return {"comparison_id": integer(row, "comparison_id", 1), "idx": integer(row, "idx"),
            "seed": integer(row, "seed"), "human_episode_id": integer(row, "human_episode_id", required=False),
            "human_return": number(row, "human_return", required=False),
            "agent_return": number(row, "agent_return", required=False),
            "agent_actions": int_list(row, "agent_actions"),
            "human_actions": int_list(row, "human_actions", required=False),
            "winner": text(row, "winner", required=False)}
