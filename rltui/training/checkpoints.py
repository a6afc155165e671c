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
killed mid-write leaves the previous checkpoint intact and at worst a stray ``.tmp`` file, which the
next save of that file removes. A run keeps one file, rewritten in place at each save (plus ``…-best``
for its best evaluation); a state that is not finite is never written.
"""

from __future__ import annotations

import errno
import io
import json
import os
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from rltui import validation
from rltui.agents import make_agent
from rltui.agents.base import Agent
from rltui.envs import get_entry, make_training_env
from rltui.errors import RltuiError
from rltui.training.config import check_env_options, env_options

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


class NonFiniteState(RltuiError):
    """The agent's weights or table hold NaN or inf: such a state is never written over a good one."""


def _default_mode() -> int:
    """The mode a new file gets under this process's umask (a temp file from mkstemp is 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_MODE = _default_mode()


def _tmp_prefix(path: Path) -> str:
    """The temp name's prefix: the file's own name, cut so the temp name stays within the name limit."""
    return f".{path.name[:200]}."


def _remove_stale_temps(path: Path) -> None:
    """Delete this file's temp files left by an interrupted save (a run is its file's only writer, and
    its saves run one at a time; the folder's other files are untouched)."""
    import glob

    for tmp in glob.glob(os.path.join(glob.escape(str(path.parent)), glob.escape(_tmp_prefix(path)) + "*.tmp")):
        try:
            os.unlink(tmp)
        except OSError:
            pass


STALE_TEMP_S = 600.0  # a save takes seconds: a temp file this old in a folder was left by a killed save


def remove_stale_temps(folder: Path) -> int:
    """Delete checkpoint temp files (``.NAME.npz.XXXX.tmp``, ``.NAME.pt.XXXX.tmp``) older than
    :data:`STALE_TEMP_S` in ``folder``, left there by saves that were killed; returns how many."""
    import glob

    removed, now = 0, time.time()
    for pattern in (".*.npz.*.tmp", ".*.pt.*.tmp"):
        for tmp in glob.glob(os.path.join(glob.escape(str(folder)), pattern)):
            try:
                if now - os.stat(tmp).st_mtime > STALE_TEMP_S:
                    os.unlink(tmp)
                    removed += 1
            except OSError:
                pass
    return removed


def _write_error(path: Path, exc: OSError) -> RltuiError:
    if exc.errno == errno.ENOSPC or "No space left" in str(exc):
        return RltuiError(f"no space left on device: cannot write checkpoint {path} (any earlier save of it is kept)")
    return RltuiError(f"cannot write checkpoint {path}: {exc.strerror or exc}")


def _atomic_write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temp file in the same folder, fsynced, then renamed over it:
    a save killed or out of space at any moment leaves the previous file as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(path), suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _MODE)  # as any other file the user makes here, not mkstemp's 0600
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


def checkpoint_file(path: str | os.PathLike[str], agent: Agent) -> Path:
    """The file a save to ``path`` writes: the suffix follows the agent's kind (.npz / .pt)."""
    path = Path(path)
    suffix = default_suffix(agent)
    if path.suffix != suffix:
        path = path.with_name(path.name + suffix) if path.suffix not in (".npz", ".pt") else path.with_suffix(suffix)
    return path


def best_path(path: str | os.PathLike[str]) -> Path:
    """Where the best evaluation's agent goes, beside the run's checkpoint: ``x.pt`` -> ``x-best.pt``."""
    path = Path(path)
    return path.with_name(f"{path.stem}-best{path.suffix}")


def check_destination(path: Path, what: str = "the checkpoint") -> None:
    """One-line errors now for a checkpoint that could not be written later: a folder in the way, a
    name over the file system's limit, a folder that cannot be made or written (read-only, immutable,
    no permission). Missing parent folders are created, as a user giving the path means."""
    if os.path.isdir(path):
        raise RltuiError(f"{what} {path} is a folder; give a file name, e.g. {path / 'agent'}")
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise RltuiError(f"cannot write {what} {path}: {parent} is a file, not a folder") from None
    except OSError as exc:
        raise RltuiError(f"cannot create the folder {parent} for {what}: {exc.strerror or exc}") from None
    try:
        limit = os.pathconf(parent, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        limit = 255
    longest = best_path(path).name
    if len(longest.encode()) > limit:
        raise RltuiError(f"{what} name is too long: {len(longest.encode())} bytes with '-best', the file "
                         f"system allows {limit}")
    remove_stale_temps(parent)
    try:  # the only sure test of a folder: write a file in it
        fd, probe = tempfile.mkstemp(prefix=_tmp_prefix(path), suffix=".tmp", dir=parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise RltuiError(f"cannot write {what} in {parent}: {exc.strerror or exc}") from None


def _all_finite(value: Any) -> bool:
    """True when every float array or tensor in ``value`` (dicts and lists of them) is finite."""
    if isinstance(value, dict):
        return all(_all_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_all_finite(v) for v in value)
    if isinstance(value, np.ndarray):
        return not np.issubdtype(value.dtype, np.floating) or bool(np.isfinite(value).all())
    if hasattr(value, "is_floating_point") and hasattr(value, "isfinite"):
        return not value.is_floating_point() or bool(value.isfinite().all())
    if isinstance(value, float):
        return np.isfinite(value)
    return True


def save_checkpoint(path: str | os.PathLike[str], agent: Agent, header: dict[str, Any]) -> Path:
    """Write ``agent`` with ``header`` atomically; the suffix follows the agent's kind (.npz / .pt).

    A state whose learned values (Q-table, network weights) are not finite raises
    :class:`NonFiniteState` and writes nothing; a full disk is a one-line error naming the file."""
    path = checkpoint_file(path, agent)
    header = {**header, "format": FORMAT, "version": VERSION, "kind": "neural" if agent.neural else "tabular"}
    state = agent.state_dict()
    learned = {k: v for k, v in state.items() if k != "optimizer"}
    if not _all_finite(learned):
        raise NonFiniteState("the weights" if agent.neural else "the Q-table")
    buffer = io.BytesIO()  # built in memory, then one write: a full disk fails in the write, not in torch
    if agent.neural:
        import torch

        torch.save({"header": header, "state_dict": state}, buffer)
    else:
        if "q" not in state:
            raise RltuiError(f"{agent.algo}: a tabular agent's state must hold the array 'q'")
        arrays = {k: np.asarray(v) for k, v in state.items()}
        arrays["header"] = np.array(json.dumps(header))
        np.savez(buffer, **arrays)
    try:
        return _atomic_write(path, buffer.getvalue())
    except OSError as exc:
        raise _write_error(path, exc) from None


# -- loading: a checkpoint may come from anywhere, so nothing in it is trusted ------------------------
#: The header is a few kB; a larger one is not ours.
MAX_HEADER_BYTES = 1_000_000
#: rltui writes both formats uncompressed; a zip that inflates past its own size (plus slack) is a bomb.
INFLATE_SLACK_BYTES = 1_000_000
#: Beyond its own weights a neural state holds the target copy and Adam's two moments: 4x, plus scalars.
NEURAL_STATE_FACTOR = 4


def _zip_entries(path: Path) -> dict[str, zipfile.ZipInfo]:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except FileNotFoundError:
        raise RltuiError(f"no checkpoint at {path}") from None
    except IsADirectoryError:
        raise RltuiError(f"{path} is a folder, not a checkpoint") from None
    except PermissionError:
        raise RltuiError(f"cannot read {path}: permission denied") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise RltuiError(f"{path} is not a readable rltui checkpoint (truncated, corrupt or another kind "
                         "of file)") from None
    declared = sum(i.file_size for i in infos)
    size = path.stat().st_size
    if declared > size + INFLATE_SLACK_BYTES:
        raise RltuiError(f"{path} declares {declared / 1e6:,.1f} MB of data in a {size / 1e6:,.1f} MB file; "
                         "rltui checkpoints are not compressed, so this one was not written by rltui")
    return {i.filename: i for i in infos}


def _kind_of(path: Path) -> str:
    names = _zip_entries(path)
    if "header.npy" in names and "q.npy" in names:
        return "tabular"
    if any(n.endswith("data.pkl") for n in names):
        return "neural"
    raise RltuiError(f"{path} is a zip file but not an rltui checkpoint")


def _field(path: Path, header: dict[str, Any], key: str, kind: type | tuple[type, ...], required: bool = True) -> Any:
    value = header.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        shown = "missing" if key not in header else f"a {type(value).__name__}"
        raise RltuiError(f"{path}: the checkpoint header's {key!r} must be a {names}, not {shown}")
    return value


def _clean(value: Any) -> Any:
    """Header text may come from someone else: no escapes or control characters reach a terminal."""
    if isinstance(value, str):
        return validation.clean_text(value)
    if isinstance(value, dict):
        return {validation.clean_text(k) if isinstance(k, str) else k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _check_header(path: Path, header: Any) -> dict[str, Any]:
    """Every field the loader uses, type-checked; sizes the agent would allocate are bounded later by
    the hyperparameter checks (:func:`rltui.validation.check_hparam_limits`) before anything is built."""
    from rltui.agents import ALGORITHMS

    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise RltuiError(f"{path} is not an rltui checkpoint (no rltui header)")
    version = validation.integer(f"{path}: header version", header.get("version"), 1, validation.INT64_MAX)
    if version > VERSION:
        raise RltuiError(f"{path} has checkpoint format {version}; this rltui reads up to {VERSION}")
    for key in ("env", "algo"):
        _field(path, header, key, str)
    for key in ("hparams", "observation_space", "action_space"):
        _field(path, header, key, dict)
    if header["algo"] not in ALGORITHMS:
        raise RltuiError(f"{path}: unknown algorithm {validation.clean_text(header['algo'], 40)!r} in the header")
    if not all(isinstance(k, str) for k in header["hparams"]):
        raise RltuiError(f"{path}: the checkpoint header's hyperparameter names must be text")
    env_kwargs = _field(path, header, "env_kwargs", dict, required=False) or {}
    try:
        check_env_options(env_kwargs, f"{path}: env option")
        header = _clean(dict(header))
        header["env_kwargs"] = _clean(dict(env_kwargs))
    except RecursionError:
        raise RltuiError(f"{path}: the checkpoint header is nested too deeply") from None
    header["version"] = version
    header["steps"] = validation.integer(f"{path}: header steps", header.get("steps", 0), 0)
    if header.get("seed") is not None:
        header["seed"] = validation.seed(f"{path}: header seed", header["seed"])
    if header.get("kind") not in (None, "tabular", "neural"):
        raise RltuiError(f"{path}: the checkpoint header's kind must be tabular or neural")
    return header


def _npz_header(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict[str, Any]:
    if info.file_size > MAX_HEADER_BYTES:
        raise RltuiError(f"{path}: its header is {info.file_size / 1e6:.1f} MB; an rltui header is a few kB")
    with zf.open(info) as fh:
        value = np.lib.format.read_array(fh, allow_pickle=False)
    if value.dtype.kind != "U" or value.shape != ():
        raise RltuiError(f"{path}: the header is not a text record")
    return json.loads(str(value))


def _npz_array(path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, expected: np.ndarray) -> np.ndarray:
    """One array, read only after its own header says it has the shape and kind the agent expects."""
    with zf.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"npy format {version}")
    name = info.filename.removesuffix(".npy")
    if tuple(shape) != tuple(np.shape(expected)) or dtype.kind not in "biuf" or dtype.itemsize > 8:
        raise RltuiError(f"{path}: array {name!r} is {dtype} {tuple(shape)}; this agent needs "
                         f"{np.asarray(expected).dtype} {tuple(np.shape(expected))}")
    with zf.open(info) as fh:
        return np.lib.format.read_array(fh, allow_pickle=False)


def _read_tabular(path: Path, expected: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The header and, when ``expected`` (the fresh agent's own state) is given, only the arrays it
    names, each checked against it before it is read: a hostile file cannot make rltui allocate more
    than the agent itself needs."""
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            header = _npz_header(path, zf, infos["header.npy"])
            header = _check_header(path, header)
            for name, mine in (expected or {}).items():
                info = infos.get(f"{name}.npy")
                if info is not None:
                    arrays[name] = _npz_array(path, zf, info, mine)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, RecursionError) as exc:
        raise RltuiError(f"{path} is truncated or corrupt ({type(exc).__name__})") from None
    return header, arrays


def _read_neural(path: Path, map_location: str = "cpu") -> tuple[dict[str, Any], dict[str, Any]]:
    import torch

    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, UnpicklingError, EOFError... for bad files
        raise RltuiError(f"{path} is truncated, corrupt or not a weights-only checkpoint "
                         f"({type(exc).__name__})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("state_dict"), dict):
        raise RltuiError(f"{path} is not an rltui checkpoint (no state_dict)")
    return _check_header(path, payload.get("header")), payload["state_dict"]


def _tensors(state: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    import torch

    if isinstance(state, torch.Tensor):
        yield prefix or "state", state
    elif isinstance(state, dict):
        for key, value in state.items():
            yield from _tensors(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(state, (list, tuple)):
        for i, value in enumerate(state):
            yield from _tensors(value, f"{prefix}[{i}]")


def _check_neural_state(path: Path, state: dict[str, Any], mine: dict[str, Any]) -> None:
    """Sizes first (a crafted tensor can be a huge view of a tiny storage), then finiteness: a network
    with NaN or inf weights is refused, as a tabular agent's non-finite Q table is."""
    import torch

    budget = NEURAL_STATE_FACTOR * sum(t.numel() for _, t in _tensors(mine)) + 4_096
    total = 0
    for name, tensor in _tensors(state):
        total += tensor.numel()
        if total > budget:
            raise RltuiError(f"{path}: the saved state holds more than the {budget:,} numbers this "
                             f"{'agent'} can use (at {validation.clean_text(name, 60)})")
    for name, tensor in _tensors(state):
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise RltuiError(f"{path}: {validation.clean_text(name, 60)} holds NaN or infinite values "
                             "(training diverged before this was saved)")


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The header alone (cheap for ``.npz``), type-checked; errors name the file."""
    path = Path(path)
    kind = _kind_of(path)
    return _read_tabular(path)[0] if kind == "tabular" else _read_neural(path)[0]


def load_checkpoint(path: str | os.PathLike[str], expected_env: str | None = None, *,
                    device: str = "cpu") -> tuple[Agent, dict[str, Any]]:
    """Rebuild the agent saved at ``path``: ``(agent, header)``.

    ``expected_env`` (a catalogue name) makes loading on another env a clear error. The agent is built
    by :func:`rltui.agents.make_agent` from a fresh training env of the header's env and kwargs, whose
    spaces must match the header's; only then are the saved arrays read, each checked against the
    fresh agent's own (shape, size, finite values).
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
    env = make_training_env(env_name, **{**header["env_kwargs"], **env_options(header["algo"])})
    try:
        spaces = (describe_space(env.observation_space), describe_space(env.action_space))
        if spaces != (header["observation_space"], header["action_space"]):
            raise RltuiError(f"{path} was trained on {env_name} with spaces {header['observation_space']} / "
                             f"{header['action_space']}, but the env now has {spaces[0]} / {spaces[1]}")
        try:
            agent = make_agent(header["algo"], env.observation_space, env.action_space, header["hparams"],
                               device=device if kind == "neural" else "cpu", seed=int(header.get("seed") or 0))
        except RltuiError as exc:
            raise RltuiError(f"{path}: {exc}") from None
    finally:
        env.close()
    if agent.neural != (kind == "neural"):
        raise RltuiError(f"{path}: a {kind} file for the {'neural' if agent.neural else 'tabular'} agent "
                         f"{header['algo']}")
    if kind == "tabular":
        _, state = _read_tabular(path, expected=agent.state_dict())
    else:
        _check_neural_state(path, state, agent.state_dict())
    try:
        agent.load_state_dict(state)
    except RltuiError as exc:
        raise RltuiError(f"{path}: {exc}") from None
    except (KeyError, ValueError, RuntimeError, TypeError, IndexError, AttributeError, OverflowError) as exc:
        raise RltuiError(f"{path}: the saved state does not fit {header['algo']} ({exc})"[:400]) from None
    agent.trained_steps = int(header.get("steps", 0))
    return agent, header
