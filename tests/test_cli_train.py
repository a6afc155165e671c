"""The headless faces: rltui train / eval / runs, their one-line errors, and Ctrl-C during training."""

import os
import signal
import subprocess
import sys
import time

import pytest

from rltui.cli import main
from rltui.training.store import RunStore


def test_train_then_runs_then_eval(capsys, tmp_path):
    out = tmp_path / "fl.npz"
    assert main(["train", "FrozenLake4x4", "--algo", "q", "--steps", "4000", "--seed", "1", "--quiet",
                 "--eval-every", "2000", "--eval-episodes", "50", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "finished" in text and "4,000" in text and "success" in text and out.exists()
    # the checkpoint's path folds across table lines where the temp dir is long: read it unfolded
    assert str(out) in "".join(line.strip(" │") for line in text.splitlines())
    assert main(["runs"]) == 0
    text = capsys.readouterr().out
    assert "FrozenLake4x4" in text and "finished" in text
    assert main(["runs", "show", "1"]) == 0
    text = capsys.readouterr().out
    assert "greedy evaluations" in text and "2,000" in text and "alpha=0.01" in text
    assert main(["eval", str(out), "--episodes", "100", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert "success rate" in text and "seeds 3..102" in text


def test_flags_override_the_preset(capsys, tmp_path):
    assert main(["train", "CliffWalking", "--algo", "sarsa", "--steps", "500", "--preset", "expected",
                 "--set", "alpha=0.25", "--quiet"]) == 0
    with RunStore.open() as store:
        run = store.list_runs()[0]
    assert run["hparams"]["alpha"] == 0.25 and run["hparams"]["expected"] is True
    assert run["config"]["preset"] == "expected"


def test_data_dir_flag(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path / "elsewhere"), "train", "Taxi", "--steps", "300", "--algo", "q",
                 "--quiet"]) == 0
    assert (tmp_path / "elsewhere" / "rltui.sqlite3").exists()
    assert (tmp_path / "elsewhere" / "checkpoints").is_dir()


def test_eval_renders_a_grid_in_the_terminal(capsys, tmp_path):
    out = tmp_path / "ns.npz"
    assert main(["train", "FrozenLake4x4-NoSlip", "--algo", "q", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["eval", str(out), "--episodes", "1", "--render", "terminal", "--fps", "0"]) == 0
    text = capsys.readouterr().out
    assert "FHFH" not in text  # not Gymnasium's raw ansi map: rltui's board, with a HUD line under it
    assert "★" in text and "○" in text
    assert "episode 1/1 · seed 1000000 · step 6 · return 1" in text
    assert "reached the goal: +1" in text  # what the last step did
    assert "100.0%" in text  # the deterministic lake is solved


def test_eval_in_the_terminal_keeps_finished_episodes_on_ctrl_c(capsys, tmp_path, monkeypatch):
    from rltui.play import terminal_eval

    out = tmp_path / "ns.npz"
    assert main(["train", "FrozenLake4x4-NoSlip", "--algo", "q", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    reset = terminal_eval.TerminalPlayback.reset

    def interrupted_on_the_third(self, **kwargs):
        if self.episode == 2:
            raise KeyboardInterrupt
        return reset(self, **kwargs)

    monkeypatch.setattr(terminal_eval.TerminalPlayback, "reset", interrupted_on_the_third)
    assert main(["eval", str(out), "--episodes", "5", "--render", "terminal", "--fps", "0"]) == 130
    text = capsys.readouterr().out
    assert "interrupted: 2 of 5 episode(s) finished" in text
    assert "2 (seeds 1000000..1000001)" in text and "100.0%" in text


def test_eval_frame_rate_suits_the_env():
    from rltui.envs import get_entry
    from rltui.play.terminal_eval import default_fps

    assert default_fps(get_entry("FrozenLake4x4")) >= 10
    assert default_fps(get_entry("CartPole")) == 50
    assert default_fps(get_entry("CarRacing")) == get_entry("CarRacing").fps


@pytest.mark.parametrize("argv, message", [
    (["train", "FrozenLake4x4", "--set", "alpha=2"], "q: alpha must be in (0, 1], not 2"),
    (["train", "FrozenLake4x4", "--set", "alpha"], "--set takes key=value"),
    (["train", "FrozenLake4x4", "--preset", "turbo"], "unknown preset 'turbo' for q"),
    (["train", "Nowhere"], "unknown environment 'Nowhere'"),
    (["train", "CartPole", "--algo", "q"], "CartPole does not suit q"),
    (["train", "FrozenLake4x4", "--steps", "0"], "steps must be an integer in [1, 2^63-1], not 0"),
    (["eval", "missing.npz"], "no checkpoint at missing.npz"),
    (["runs", "show", "42"], "no run 42"),
    (["runs", "show"], "runs show needs a run id"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("rltui: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_eval_refuses_another_envs_checkpoint(capsys, tmp_path):
    out = tmp_path / "cw.npz"
    assert main(["train", "CliffWalking", "--steps", "200", "--quiet", "--out", str(out)]) == 0
    assert main(["eval", str(out), "--env", "Taxi"]) == 2
    assert "trained on CliffWalking, not Taxi" in capsys.readouterr().err


def _default_sigint() -> None:
    """A job started in the background by a non-interactive shell inherits SIGINT as *ignored*, and
    Python then never turns it into KeyboardInterrupt (a terminal's Ctrl-C is never affected). The test
    must not depend on how its runner was launched, so the child starts with the default disposition."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_cleanly_and_saves(tmp_path):
    data = tmp_path / "data"
    out = tmp_path / "big.npz"
    env = {**os.environ, "RLTUI_DATA": str(data)}
    proc = subprocess.Popen([sys.executable, "-m", "rltui", "train", "FrozenLake8x8", "--algo", "q", "--steps",
                             "1000000000", "--eval-every", "0", "--out", str(out)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)
    deadline = time.monotonic() + 90
    started = False
    while time.monotonic() < deadline and not started:
        db = data / "rltui.sqlite3"
        if db.exists():
            with RunStore(db) as store:
                runs = store.list_runs()
                started = bool(runs) and runs[0]["steps"] > 0
        time.sleep(0.05)
    if not started:
        proc.kill()
        pytest.fail(f"training never started: {proc.communicate()[1][-2000:]}")
    proc.send_signal(signal.SIGINT)
    try:
        stdout, stderr = proc.communicate(timeout=120)  # a loaded 2-core CI machine is slow to save
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"rltui train ignored Ctrl-C for 120 s; stderr: {err[-2000:]}")
    assert proc.returncode == 0, stderr
    assert "stopped" in stdout and "Traceback" not in stderr
    assert out.exists()
    with RunStore(data / "rltui.sqlite3") as store:
        run = store.list_runs()[0]
        assert run["status"] == "stopped" and store.latest_checkpoint(run["id"]) == str(out)


def test_eval_window_without_a_display_is_a_one_line_error(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    out = tmp_path / "t.npz"
    assert main(["train", "Taxi", "--steps", "200", "--quiet", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["eval", str(out), "--episodes", "1", "--render", "window"]) == 2
    err = capsys.readouterr().err
    assert "--render window: no window" in err and err.count("\n") == 1


def test_ctrl_c_anywhere_in_the_main_thread_stops_cleanly_and_a_second_abandons():
    """The first Ctrl-C must reach the stop however busy the main thread is (drawing the bar, say), not
    only while it waits; the second abandons."""
    from rltui.commands.train import _StopSignals
    from rltui.training.events import TrainerControl

    control = TrainerControl()
    signals = _StopSignals(control)
    try:
        os.kill(os.getpid(), signal.SIGINT)
        busy = sum(i * i for i in range(200_000))  # the handler runs here, between bytecodes
        assert busy > 0 and signals.received == signal.SIGINT
        assert ("stop", None) in control.state_commands()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            sum(i * i for i in range(200_000))
    finally:
        signals.restore()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
