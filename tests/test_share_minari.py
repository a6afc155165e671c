"""Minari: kept human episodes exported as a dataset that Minari loads, and loaded back as demos."""

import pytest

from rltui.cli import main
from rltui.errors import RltuiError
from rltui.play.session import replay
from rltui.training.config import TrainConfig
from rltui.training.store import RunStore
from rltui.training.trainer import Trainer

minari = pytest.importorskip("minari", reason="the share extra is not installed")

ENV = "FrozenLake4x4"
MOVES = [1, 1, 2, 2, 1, 2, 1, 2, 0, 1, 2, 3, 2, 1, 1, 2, 2, 1] * 6


@pytest.fixture(autouse=True)
def _minari_home(tmp_path, monkeypatch):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))


def _keep(store, seeds) -> list[int]:
    ids = []
    for seed in seeds:
        played = replay(ENV, seed, MOVES)
        ids.append(store.add_human_episode(ENV, seed, played.actions, played.rewards))
    return ids


def test_three_kept_episodes_export_load_and_rebuild_their_env(capsys):
    store = RunStore.open()
    ids = _keep(store, [4, 5, 6, 7])
    chosen = ids[:3]
    name = "rltui/frozenlake-human-v0"
    assert main(["episodes", "export", ENV, "--ids", ",".join(map(str, chosen)), "--minari", name]) == 0
    assert "3 episode(s)" in capsys.readouterr().out
    dataset = minari.load_dataset(name)
    kept = [store.get_human_episode(i) for i in chosen]
    assert dataset.total_episodes == 3
    assert dataset.total_steps == sum(k["length"] for k in kept)
    for ep, k in zip(dataset.iterate_episodes(), kept):
        assert list(ep.actions) == k["actions"] and list(ep.rewards) == pytest.approx(k["rewards"])
        assert len(ep.observations) == k["length"] + 1 and (ep.terminations[-1] or ep.truncations[-1])
    metadata = list(dataset.storage.get_episode_metadata(range(3)))
    assert [m["seed"] for m in metadata] == [k["seed"] for k in kept]  # each episode says where it started
    env = dataset.recover_environment()
    assert env.spec.id == "FrozenLake-v1" and env.spec.kwargs["map_name"] == "4x4"
    env.close()
    # The same id again is refused rather than overwritten.
    assert main(["episodes", "export", ENV, "--minari", name]) == 2
    assert "already exists" in capsys.readouterr().err


def test_a_minari_dataset_seeds_a_run(capsys):
    store = RunStore.open()
    _keep(store, [1, 2, 3])
    name = "rltui/frozen-demos-v0"
    assert main(["episodes", "export", ENV, "--minari", name]) == 0
    trainer = Trainer(TrainConfig(ENV, "q", 200, seed=0, demos=f"minari:{name}"))
    dataset = minari.load_dataset(name)
    assert [len(e) for e in trainer.demos] == [len(ep.rewards) for ep in dataset.iterate_episodes()]
    first = trainer.demos[0][0]
    assert isinstance(first.obs, int) and first.action == MOVES[0]
    assert trainer.run().status == "finished"

    with pytest.raises(RltuiError, match="recorded on FrozenLake-v1"):
        Trainer(TrainConfig("CliffWalking", "q", 200, demos=f"minari:{name}"))
    with pytest.raises(RltuiError, match="no Minari dataset"):
        Trainer(TrainConfig(ENV, "q", 200, demos="minari:rltui/none-v0"))


def test_demos_need_the_raw_env_as_the_training_pipeline():
    """GridWorld's tabular agents see a 3x3 neighbourhood index, not the raw board a dataset holds; DQN sees it."""
    store = RunStore.open()
    played = replay("GridWorld", 3, [3, 3, 1, 1, 2, 2, 0, 0] * 3)
    store.add_human_episode("GridWorld", 3, played.actions, played.rewards)
    assert main(["episodes", "export", "GridWorld", "--minari", "rltui/grid-v0"]) == 0
    with pytest.raises(RltuiError, match="not the raw observations"):
        Trainer(TrainConfig("GridWorld", "q", 200, demos="minari:rltui/grid-v0"))
    trainer = Trainer(TrainConfig("GridWorld", "dqn", 200, demos="minari:rltui/grid-v0", device="cpu"))
    assert sum(len(e) for e in trainer.demos) == len(played.actions)
    trainer.env.close()
