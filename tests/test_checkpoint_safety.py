"""Checkpoints from elsewhere (issue 11): every header field is type-checked, sizes are checked before
anything is allocated, only the arrays the agent needs are read, and NaN/inf weights are refused."""

import io
import json
import zipfile

import numpy as np
import pytest

from rltui.agents import make_agent
from rltui.envs import make_training_env
from rltui.errors import RltuiError
from rltui.training.checkpoints import load_checkpoint, make_header, read_header, save_checkpoint
from rltui.training.config import env_options


def _agent_and_header(env: str, algo: str, hparams: dict | None = None):
    made = make_training_env(env, **env_options(algo))
    agent = make_agent(algo, made.observation_space, made.action_space, hparams or {}, device="cpu")
    header = make_header(agent, env, {}, made.observation_space, made.action_space, 100)
    made.close()
    return agent, header


@pytest.fixture
def tabular(tmp_path):
    agent, header = _agent_and_header("FrozenLake4x4", "q")
    return save_checkpoint(tmp_path / "q.npz", agent, header), agent, header


@pytest.fixture
def neural(tmp_path):
    agent, header = _agent_and_header("CartPole", "dqn", {"hidden": "8"})
    return save_checkpoint(tmp_path / "d.pt", agent, header), agent, header


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _write_npz(path, members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> None:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _header_bytes(header: dict) -> bytes:
    return _npy(np.array(json.dumps(header)))


def test_nan_weights_in_a_neural_checkpoint_are_refused(neural, tmp_path):
    torch = pytest.importorskip("torch")
    path, agent, header = neural
    state = agent.state_dict()
    first = next(iter(state["q"]))
    state["q"][first] = state["q"][first].clone().fill_(float("nan"))
    bad = tmp_path / "nan.pt"
    torch.save({"header": header, "state_dict": state}, bad)
    with pytest.raises(RltuiError, match=f"nan.pt: q.{first} holds NaN or infinite values"):
        load_checkpoint(bad)
    load_checkpoint(path)  # the good one still loads


def test_a_neural_header_asking_for_a_huge_network_is_refused_before_building_it(neural, tmp_path):
    torch = pytest.importorskip("torch")
    path, agent, header = neural
    for hparams, needle in (({"hidden": "100000,100000"}, "hidden layer size"),
                            ({"hidden": "4096,4096,4096"}, "weights between its layers"),
                            ({"threads": 10**6}, "threads"), ({"n_step": 10**7}, "n_step")):
        bad = tmp_path / "huge.pt"
        torch.save({"header": {**header, "hparams": {**header["hparams"], **hparams}},
                    "state_dict": agent.state_dict()}, bad)
        with pytest.raises(RltuiError, match=needle):
            load_checkpoint(bad)


def test_a_tensor_bigger_than_the_network_is_refused_before_it_is_used(neural, tmp_path):
    torch = pytest.importorskip("torch")
    _, agent, header = neural
    state = agent.state_dict()
    state["junk"] = torch.zeros(1).expand(10**6, 10**4)  # a huge view of a one-number storage
    bad = tmp_path / "view.pt"
    torch.save({"header": header, "state_dict": state}, bad)
    with pytest.raises(RltuiError, match="holds more than"):
        load_checkpoint(bad)


@pytest.mark.parametrize("field, value, needle", [
    ("env", 3, "'env' must be a str"), ("algo", ["q"], "'algo' must be a str"), ("hparams", "x", "'hparams' must"),
    ("observation_space", None, "'observation_space' must"), ("version", "one", "version must be an integer"),
    ("version", 2**70, "version"), ("steps", -5, "steps must be an integer"), ("steps", 1e400, "steps"),
    ("seed", 2**64, "seed"), ("algo", "ppo", "unknown algorithm"), ("env_kwargs", [1], "'env_kwargs' must"),
    ("env_kwargs", {"map_name": float("inf")}, "finite"), ("env", "Nowhere\x1b[2J", "unknown environment"),
])
def test_header_fields_are_type_checked(tabular, tmp_path, field, value, needle):
    path, agent, header = tabular
    with np.load(path) as data:
        q = data["q"]
    bad = tmp_path / "typed.npz"
    _write_npz(bad, {"header.npy": _header_bytes({**header, field: value}), "q.npy": _npy(q)})
    with pytest.raises(RltuiError, match=needle) as err:
        load_checkpoint(bad)
    assert "\x1b" not in str(err.value)


def test_an_oversized_npz_is_refused_from_its_array_header(tabular, tmp_path, monkeypatch):
    """A q.npy that declares 10^10 numbers is refused from its 128-byte header, and arrays the agent does
    not use are never read (a 2 MB file once made eval use 2.1 GB)."""
    path, agent, header = tabular
    declared = io.BytesIO()
    np.lib.format.write_array_header_1_0(declared, {"descr": "<f8", "fortran_order": False,
                                                    "shape": (100_000, 100_000)})
    bad = tmp_path / "big.npz"
    _write_npz(bad, {"header.npy": _header_bytes(header), "q.npy": declared.getvalue() + b"\0" * 64})
    read = []
    real = np.lib.format.read_array
    monkeypatch.setattr(np.lib.format, "read_array", lambda fh, **kw: read.append(1) or real(fh, **kw))
    with pytest.raises(RltuiError, match=r"array 'q' is float64 \(100000, 100000\)"):
        load_checkpoint(bad)
    assert len(read) == 2  # the JSON header (read before and after building the agent), never q

    extra = tmp_path / "extra.npz"
    with np.load(path) as data:
        members = {f"{k}.npy": _npy(data[k]) for k in data.files}
    members["junk.npy"] = _npy(np.zeros(2_000_000))  # 16 MB nobody needs
    _write_npz(extra, members)
    monkeypatch.setattr(np.lib.format, "read_array", real)
    real_open = zipfile.ZipFile.open
    opened = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, name, *a, **k: opened.append(
        getattr(name, "filename", name)) or real_open(self, name, *a, **k))
    loaded, _ = load_checkpoint(extra)
    assert "junk.npy" not in opened and "q.npy" in opened
    assert np.array_equal(loaded.q_values(), agent.q_values())


def test_a_compressed_bomb_and_a_huge_header_are_refused(tabular, tmp_path):
    path, _, header = tabular
    bomb = tmp_path / "bomb.npz"
    _write_npz(bomb, {"header.npy": _header_bytes(header), "q.npy": _npy(np.zeros((16, 4))),
                      "pad.npy": b"\0" * 50_000_000}, compression=zipfile.ZIP_DEFLATED)
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(RltuiError, match="declares 50.* MB of data in a 0.* MB file"):
        load_checkpoint(bomb)
    fat = tmp_path / "fat.npz"
    _write_npz(fat, {"header.npy": _header_bytes({**header, "note": "x" * 2_000_000}),
                     "q.npy": _npy(np.zeros((16, 4)))})
    with pytest.raises(RltuiError, match=r"its header is \d+.\d MB; an rltui header is a few kB"):
        read_header(fat)


def test_header_text_is_cleaned_of_escapes(tabular, tmp_path):
    path, agent, header = tabular
    with np.load(path) as data:
        q = data["q"]
    odd = tmp_path / "odd.npz"
    _write_npz(odd, {"header.npy": _header_bytes({**header, "note": "hi\x1b]0;owned\x07there\x1b[31m"}),
                     "q.npy": _npy(q)})
    _, got = load_checkpoint(odd)
    assert got["note"] == "hithere"
