"""Videos: a recorded episode has one frame for the reset and one per step; a comparison shows both sides."""

import numpy as np
import pytest

from rltui.cli import main
from rltui.play.session import replay
from rltui.share.frames import CAPTION_H, CELL
from rltui.share.video import CompareSide, record_compare, record_human
from rltui.training.checkpoints import load_checkpoint
from rltui.training.config import TrainConfig
from rltui.training.store import RunStore
from rltui.training.trainer import Trainer

iio = pytest.importorskip("imageio.v3", reason="the share extra is not installed")
imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="the share extra is not installed")

ENV = "FrozenLake4x4"
MOVES = [1, 1, 2, 2, 1, 2, 1, 2, 0, 1, 2, 3, 2, 1, 1, 2, 2, 1] * 6


def _kept(seed: int) -> int:
    played = replay(ENV, seed, MOVES)
    return RunStore.open().add_human_episode(ENV, seed, played.actions, played.rewards)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("agent")
    out = folder / "frozen.npz"  # its own data dir: module fixtures run outside the per-test one
    config = TrainConfig(ENV, "q", 3_000, seed=0, out=str(out), data_dir=str(folder / "data"))
    assert Trainer(config).run().status == "finished"
    return str(out)


def test_kept_episode_records_one_frame_per_step_plus_the_first(tmp_path, capsys):
    episode_id = _kept(7)
    row = RunStore.open().get_human_episode(episode_id)
    out = tmp_path / "ep.gif"
    assert main(["episodes", "record", str(episode_id), str(out)]) == 0
    assert f"{row['length']} steps" in capsys.readouterr().out
    frames = iio.imread(out, index=None)
    assert frames.shape[0] == row["length"] + 1
    assert frames.shape[1:] == (4 * CELL + CAPTION_H, 4 * CELL, 3)  # the 4x4 board under a caption strip
    assert not list(tmp_path.glob(".*part*")), "the temporary file was renamed into place"


def test_kept_episode_as_mp4_from_rgb_frames(tmp_path):
    episode_id = _kept(3)
    row = RunStore.open().get_human_episode(episode_id)
    out = tmp_path / "ep.mp4"
    assert main(["episodes", "record", str(episode_id), str(out), "--frames", "rgb"]) == 0
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    assert sum(1 for _ in reader) == row["length"] + 1
    assert meta["size"] == (256, 256 + CAPTION_H)  # FrozenLake's own 256x256 rgb_array frames


def test_replay_that_no_longer_matches_is_refused(tmp_path):
    played = replay(ENV, 7, MOVES)
    wrong = list(played.rewards)
    wrong[-1] = 5.0
    with pytest.raises(Exception, match="does not replay"):
        record_human(ENV, 7, played.actions, tmp_path / "x.gif", rewards=wrong)
    assert not list(tmp_path.iterdir())


def test_eval_record_saves_every_episode(checkpoint, tmp_path, capsys):
    out = tmp_path / "agent.gif"
    assert main(["eval", checkpoint, "--record", str(out), "--episodes", "2", "--seed", "5"]) == 0
    text = capsys.readouterr().out
    assert "saved 2 episode(s)" in text
    agent, _ = load_checkpoint(checkpoint)
    from rltui.training.evaluation import evaluate

    result = evaluate(agent, ENV, 2, 5)
    assert iio.imread(out, index=None).shape[0] == sum(result.lengths) + 2


def test_compare_video_has_both_sides(checkpoint, tmp_path):
    for seed in (1, 2):
        _kept(seed)
    out = tmp_path / "match.gif"
    assert main(["compare", ENV, "--agent", checkpoint, "--seeds", "1-2", "--record", str(out), "--no-save"]) == 0
    frames = iio.imread(out, index=None)
    assert frames.shape[2] == 2 * 4 * CELL + 8  # two boards and the gap between them

    # Both halves move: the left replays the person, the right plays the agent.
    left, right = frames[:, CAPTION_H:, : 4 * CELL], frames[:, CAPTION_H:, 4 * CELL + 8:]
    assert np.any(left[0] != left[1]) or np.any(left[1] != left[2])
    assert any(np.any(right[i] != right[i + 1]) for i in range(len(frames) - 1))
    store = RunStore.open()
    human = [store.latest_human_episode(ENV, s) for s in (1, 2)]
    agent, _ = load_checkpoint(checkpoint)
    _, returns = record_compare(ENV, [1], [[CompareSide("you", actions=human[0]["actions"]),
                                             CompareSide("agent", agent=agent)]], tmp_path / "one.gif")
    assert returns[0][0] == human[0]["ret"]


def test_a_kept_comparison_replays_into_one_video(checkpoint, tmp_path, capsys):
    for seed in (1, 2):
        _kept(seed)
    assert main(["compare", ENV, "--agent", checkpoint, "--seeds", "1-2"]) == 0
    store = RunStore.open()
    (kept,) = store.comparisons(ENV)
    out = tmp_path / "kept.gif"
    assert main(["compare", "--show", str(kept["id"]), "--record", str(out)]) == 0
    assert f"saved comparison {kept['id']}" in capsys.readouterr().out
    rounds = store.get_comparison(kept["id"])["rounds_detail"]
    frames = iio.imread(out, index=None)  # every step on the longer side is a frame: the status line always fits
    assert frames.shape[0] == sum(max(len(r["human_actions"]), len(r["agent_actions"])) + 1 for r in rounds)
    assert frames.shape[2] == 2 * 4 * CELL + 8
