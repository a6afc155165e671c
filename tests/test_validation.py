"""Bad values get one-line errors that name the field and its range, wherever they enter (issue 11)."""

import pytest

from rltui import validation
from rltui.cli import main
from rltui.errors import RltuiError
from rltui.training.config import TrainConfig, resolve_hparams


def _one_line_error(capsys, argv: list[str], *needles: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        code = main(argv)
        raise SystemExit(code)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


@pytest.mark.parametrize("argv, needles", [
    (["runs", "show", "99999999999999999999"], ("argument id", "2^63-1")),
    (["runs", "--limit", "1e400"], ("--limit", "[1, 100000]")),
    (["compare", "--show", "9223372036854775808"], ("--show", "2^63-1")),
    (["eval", "x.npz", "--seed", "-1"], ("--seed", "[0, 2^32-1]")),
    (["eval", "x.npz", "--fps", "1e-300"], ("--fps", "0.01")),
    (["eval", "x.npz", "--fps", "nan"], ("--fps",)),
    (["eval", "x.npz", "--episodes", "0"], ("--episodes",)),
    (["eval", "x.npz", "--seed", "4294967295", "--episodes", "2"], ("--seed", "below 2^32")),
    (["play", "FrozenLake4x4", "--seed", "inf"], ("--seed",)),
    (["train", "FrozenLake4x4", "--seed", "99999999999999999999"], ("seed", "2^32-1")),
    (["train", "FrozenLake4x4", "--set", "epsilon_decay_steps=1e400"], ("epsilon_decay_steps", "integer")),
    (["train", "FrozenLake4x4", "--set", "q_init=nan"], ("q_init", "finite")),
    (["train", "FrozenLake4x4", "--set", "alpha=inf"], ("alpha", "finite")),
    (["train", "FrozenLake4x4", "--env-opt", "map_name=3x3"], ("map_name", "3x3")),
    (["train", "FrozenLake4x4", "--env-opt", "is_slippery=inf"], ("is_slippery", "finite")),
    (["train", "CartPole", "--algo", "dqn", "--set", "lr=inf"], ("lr", "finite")),
    (["train", "CartPole", "--algo", "dqn", "--set", "lr=1e20"], ("lr", "[1e-12, 10]")),
    (["train", "FrozenLake4x4", "--set", "q_init=-1e20"], ("q_init", "reward units")),
    (["train", "CartPole", "--algo", "dqn", "--set", "adam_eps=0"], ("adam_eps", "(0, 1]")),
    (["train", "CartPole", "--algo", "dqn", "--set", "n_step=1000000"], ("n_step", "[1, 1000]")),
    (["train", "CartPole", "--algo", "dqn", "--set", "hidden=100000,100000"], ("hidden", "4096")),
    (["train", "CartPole", "--algo", "dqn", "--set", "threads=100000"], ("threads",)),
    (["train", "CartPole", "--algo", "dqn", "--n-envs", "100000"], ("n_envs", "[1, 64]")),
    (["compare", "FrozenLake4x4", "--agent", "x.npz", "--seeds", "0-99999999999999999999"], ("seeds", "2^32-1")),
    (["compare", "FrozenLake4x4", "--agent", "x.npz", "--seeds", "0-9000,10000-19000"], ("at most",)),
    (["episodes", "record", "99999999999999999999", "x.gif"], ("episode id", "2^63-1")),
    (["episodes", "--limit", "-1"], ("--limit",)),
    (["train", "FrozenLake4x4", "--resume", "99999999999999999999"], ("too large for the run store",)),
    (["train", "FrozenLake4x4", "--env-opt", "tabular=false"], ("tabular", "set by rltui itself")),
])
def test_bad_values_are_one_line_errors_naming_the_field(capsys, tmp_path, monkeypatch, argv, needles):
    monkeypatch.setenv("RLTUI_DATA", str(tmp_path))
    _one_line_error(capsys, argv, *needles)


def test_integer_and_number_take_only_finite_values_in_range():
    assert validation.integer("n", "1e3", 0, 10_000) == 1000
    assert validation.integer("n", 7.0) == 7
    for bad in (7.5, "inf", float("nan"), True, "1e400", 2**63, [], None):
        with pytest.raises(RltuiError, match="n must be an integer"):
            validation.integer("n", bad)
    assert validation.number("x", "0.5", 0, 1) == 0.5
    for bad in ("nan", float("inf"), "-inf", "1e400", False, "abc"):
        with pytest.raises(RltuiError, match="x must be a finite number"):
            validation.number("x", bad)
    with pytest.raises(RltuiError, match=r"in \(0, 1\]"):
        validation.number("x", 0, 0, 1, lo_open=True)


def test_hyperparameters_from_any_source_are_checked():
    """--set, presets and checkpoint headers all go through validate_hparams: ints that overflow, NaN
    floats and sizes that would exhaust memory are refused before anything is built."""
    for bad, needle in (({"q_init": float("nan")}, "q_init"), ({"epsilon_decay_steps": float("inf")},
                        "epsilon_decay_steps"), ({"gamma": "1e400"}, "gamma")):
        with pytest.raises(RltuiError, match=needle):
            resolve_hparams(TrainConfig("FrozenLake4x4", "q", 100, hparams=bad))
    for bad, needle in (({"buffer_size": 10**12}, "buffer_size"), ({"lstm_size": 10**6}, "lstm_size"),
                        ({"seq_len": 10**6}, "seq_len"), ({"hidden": "8," * 40 + "8"}, "at most 16 layers")):
        with pytest.raises(RltuiError, match=needle):
            resolve_hparams(TrainConfig("MaskedCartPole", "drqn", 100, hparams=bad))


def test_replay_that_does_not_fit_in_memory_is_refused_before_allocation(monkeypatch):
    from rltui.agents.replay import ReplayBuffer

    monkeypatch.setattr(validation, "available_memory", lambda: 10**9)
    with pytest.raises(RltuiError, match=r"buffer_size=10,000,000 .* more than the 1.0 GB"):
        ReplayBuffer(10_000_000, (4, 84, 84), "uint8", 1, stack=1)
    ReplayBuffer(1_000, (4,), "float32", 1)  # small ones still fit


def test_config_counts_are_typed_and_bounded():
    for field, value, needle in (("steps", 2**64, "steps"), ("seed", -1, "seed"), ("n_envs", 0, "n_envs"),
                                 ("eval_episodes", 10**9, "eval_episodes"), ("episodes", "x", "episodes"),
                                 ("demo_passes", 10**6, "demo_passes")):
        config = TrainConfig("FrozenLake4x4", "q", 100)
        setattr(config, field, value)
        with pytest.raises(RltuiError, match=needle):
            config.check()


def test_clean_text_strips_escapes_and_controls():
    hostile = "Cart\x1b[2J\x1b]0;pwned\x07Pole\x1b]8;;http://x\x1b\\link\x1b\\\u202e\x00\x9b31m\tend"
    assert validation.clean_text(hostile) == "CartPolelink end"
    assert validation.clean_text("x" * 100, 10) == "x" * 9 + "…"
    assert validation.clean_text(None) == ""
