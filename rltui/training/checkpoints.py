"""Checkpoints: an agent's learned state plus a header that says what it was trained on.

Two formats, one header:

* tabular (``.npz``): numpy's zip of arrays, ``q`` (states × actions) and any other state arrays, plus
  ``header`` holding the header as a JSON string. Loaded with ``allow_pickle=False``.
* neural (``.pt``): ``torch.save({"header": header, "state_dict": agent.state_dict()})``, loaded with
  ``torch.load(weights_only=True)`` so a checkpoint from elsewhere cannot run code.

The header (:func:`make_header`) carries the format version, the env's catalogue name and kwargs
overrides, both spaces, the algorithm, its full hyperparameters and the steps trained. Loading rebuilds
the agent from a fresh training env of that name, so a checkpoint is checked against what the env is
*now* (a changed map size is an error, not a shape mismatch traceback).

Writes are atomic: a temp file in the same folder, flushed and fsynced, then ``os.replace``; a process
killed mid-write leaves the previous checkpoint intact and at worst a stray ``.tmp`` file.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from rltui.agents import make_agent
from rltui.agents.base import Agent
from rltui.envs import get_entry, make_training_env
from rltui.errors import RltuiError
from rltui.training.config import env_options

FORMAT = "rltui-checkpoint"
VERSION = 1


def describe_space(space: Any) -> dict[str, Any]:
    """A JSON-able description of a Gymnasium space, enough to tell two envs apart."""
    kind = type(space).__name__
    out: dict[str, Any] = {"type": kind}
    if hasattr(space, "n"):
        out["n"] = int(space.n)
        start = int(getattr(space, "start", 0))
        if start:
            out["start"] = start
    if getattr(space, "shape", None) is not None and kind != "Discrete":
        out["shape"] = [int(d) for d in space.shape]
    if getattr(space, "dtype", None) is not None:
        out["dtype"] = str(space.dtype)
    return out


def make_header(agent: Agent, env_name: str, env_kwargs: dict[str, Any] | None, observation_space: Any,
                action_space: Any, steps: int, **extra: Any) -> dict[str, Any]:
    """The header every checkpoint carries (see the module docstring)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "kind": "neural" if agent.neural else "tabular",
        "env": get_entry(env_name).name,
        "env_kwargs": dict(env_kwargs or {}),
        # What rebuilds an env outside the catalogue: its Gymnasium id and the module that registers it.
        "env_id": get_entry(env_name).gym_id,
        "env_module": get_entry(env_name).module,
        "observation_space": describe_space(observation_space),
        "action_space": describe_space(action_space),
        "algo": agent.algo,
        "hparams": dict(agent.hparams),
        "steps": int(steps),
        "created": time.time(),
        **extra,
    }


def _atomic_write(path: Path, write) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    return path


def default_suffix(agent: Agent) -> str:
    return ".pt" if agent.neural else ".npz"


def save_checkpoint(path: str | os.PathLike[str], agent: Agent, header: dict[str, Any]) -> Path:
    """Write ``agent`` with ``header`` atomically; the suffix follows the agent's kind (.npz / .pt)."""
    path = Path(path)
    suffix = default_suffix(agent)
    if path.suffix != suffix:
        path = path.with_name(path.name + suffix) if path.suffix not in (".npz", ".pt") else path.with_suffix(suffix)
    header = {**header, "format": FORMAT, "version": VERSION, "kind": "neural" if agent.neural else "tabular"}
    if agent.neural:
        import torch

        def write(fh) -> None:
            torch.save({"header": header, "state_dict": agent.state_dict()}, fh)
    else:
        state = agent.state_dict()
        if "q" not in state:
            raise RltuiError(f"{agent.algo}: a tabular agent's state must hold the array 'q'")
        arrays = {k: np.asarray(v) for k, v in state.items()}
        arrays["header"] = np.array(json.dumps(header))

        def write(fh) -> None:
            buffer = io.BytesIO()  # np.savez seeks; build in memory, then one write
            np.savez(buffer, **arrays)
            fh.write(buffer.getvalue())
    try:
        return _atomic_write(path, write)
    except OSError as exc:
        raise RltuiError(f"cannot write checkpoint {path}: {exc.strerror or exc}") from exc


def _kind_of(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except FileNotFoundError:
        raise RltuiError(f"no checkpoint at {path}") from None
    except IsADirectoryError:
        raise RltuiError(f"{path} is a folder, not a checkpoint") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise RltuiError(f"{path} is not a readable rltui checkpoint (truncated, corrupt or another kind "
                         "of file)") from None
    if "header.npy" in names and "q.npy" in names:
        return "tabular"
    if any(n.endswith("data.pkl") for n in names):
        return "neural"
    raise RltuiError(f"{path} is a zip file but not an rltui checkpoint")


def _check_header(path: Path, header: Any) -> dict[str, Any]:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise RltuiError(f"{path} is not an rltui checkpoint (no rltui header)")
    if int(header.get("version", 0)) > VERSION:
        raise RltuiError(f"{path} has checkpoint format {header.get('version')}; this rltui reads up to {VERSION}")
    for key in ("env", "algo", "hparams", "observation_space", "action_space"):
        if key not in header:
            raise RltuiError(f"{path}: the checkpoint header lacks {key!r}")
    return header


def _read_tabular(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        header = json.loads(str(arrays.pop("header")))
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
        raise RltuiError(f"{path} is truncated or corrupt ({type(exc).__name__})") from None
    return _check_header(path, header), arrays


def _read_neural(path: Path, map_location: str = "cpu") -> tuple[dict[str, Any], dict[str, Any]]:
    import torch

    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, UnpicklingError, EOFError... for bad files
        raise RltuiError(f"{path} is truncated, corrupt or not a weights-only checkpoint "
                         f"({type(exc).__name__})") from None
    if not isinstance(payload, dict) or "state_dict" not in payload:
        raise RltuiError(f"{path} is not an rltui checkpoint (no state_dict)")
    return _check_header(path, payload.get("header")), payload["state_dict"]


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The header alone (cheap for ``.npz``); errors name the file."""
    path = Path(path)
    kind = _kind_of(path)
    return _read_tabular(path)[0] if kind == "tabular" else _read_neural(path)[0]


def load_checkpoint(path: str | os.PathLike[str], expected_env: str | None = None, *,
                    device: str = "cpu") -> tuple[Agent, dict[str, Any]]:
    """Rebuild the agent saved at ``path``: ``(agent, header)``.

    ``expected_env`` (a catalogue name) makes loading on another env a clear error. The agent is built
    by :func:`rltui.agents.make_agent` from a fresh training env of the header's env and kwargs, whose
    spaces must match the header's.
    """
    path = Path(path)
    kind = _kind_of(path)
    if kind == "tabular":
        header, state = _read_tabular(path)
    else:
        header, state = _read_neural(path, map_location="cpu" if device == "auto" else device)
    env_name = header["env"]
    if expected_env is not None and get_entry(expected_env).name != get_entry(env_name).name:
        raise RltuiError(f"{path} was trained on {env_name}, not {get_entry(expected_env).name}")
    env = make_training_env(env_name, **env_options(header["algo"]), **header.get("env_kwargs", {}))
    try:
        spaces = (describe_space(env.observation_space), describe_space(env.action_space))
        if spaces != (header["observation_space"], header["action_space"]):
            raise RltuiError(f"{path} was trained on {env_name} with spaces {header['observation_space']} / "
                             f"{header['action_space']}, but the env now has {spaces[0]} / {spaces[1]}")
        agent = make_agent(header["algo"], env.observation_space, env.action_space, header["hparams"],
                           device=device if kind == "neural" else "cpu", seed=int(header.get("seed", 0)))
    finally:
        env.close()
    if agent.neural != (kind == "neural"):
        raise RltuiError(f"{path}: a {kind} file for the {'neural' if agent.neural else 'tabular'} agent "
                         f"{header['algo']}")
    try:
        agent.load_state_dict(state)
    except RltuiError as exc:
        raise RltuiError(f"{path}: {exc}") from None
    except (KeyError, ValueError, RuntimeError) as exc:
        raise RltuiError(f"{path}: the saved state does not fit {header['algo']} ({exc})") from None
    agent.trained_steps = int(header.get("steps", 0))
    return agent, header
