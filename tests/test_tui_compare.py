"""The Compare screen driven by Pilot: a scripted person vs a trained tabular agent on FrozenLake seeds."""

import pytest
from test_tui_support import screen_text, sync, widget_text

from rltui.play.session import replay
from rltui.training.config import TrainConfig
from rltui.training.trainer import Trainer
from rltui.tui.app import RltuiApp
from rltui.tui.screens.compare import CompareScreen

ENV = "FrozenLake4x4"
KEYS = {0: "left", 1: "down", 2: "right", 3: "up"}
SCRIPT = [1, 1, 2, 2, 1, 2, 1, 2, 0, 1, 2, 3, 2, 1, 1, 2, 2, 1] * 6


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    out = tmp_path_factory.mktemp("agent") / "frozen.npz"
    assert Trainer(TrainConfig(ENV, "q", 15_000, seed=0, out=str(out))).run().status == "finished"
    return str(out)


@sync
async def test_scripted_person_vs_agent_is_kept_and_matches_replay(checkpoint):
    app = RltuiApp(start=("compare", ENV), compare={"checkpoint": checkpoint, "seeds": "11,12"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CompareScreen) and screen.match is not None
        for _ in range(2):
            moves = iter(SCRIPT)
            while not screen.match.human.done:
                before = screen.match.agent_session.step_count
                await pilot.press(KEYS[next(moves)])
                if not screen.match.human.done:  # lockstep: the agent moved once too (or its episode ended)
                    assert screen.match.agent_session.step_count in (before, before + 1)
            text = screen_text(app)
            assert "return" in text and "seed" in text
            if screen.match.index == 0:
                assert "round over" in text
                await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen.saved_id is not None
        assert "all seeds played" in screen_text(app)
        kept = app.store.get_comparison(screen.saved_id)

    assert kept["seeds"] == [11, 12] and kept["rounds"] == 2
    wins = {"human": 0, "agent": 0, "tie": 0}
    for row in kept["rounds_detail"]:
        person = replay(ENV, row["seed"], row["human_actions"])
        agent = replay(ENV, row["seed"], row["agent_actions"])
        assert (person.ret, agent.ret) == (row["human_return"], row["agent_return"])
        assert person.done and agent.done
        winner = "tie" if person.ret == agent.ret else ("human" if person.ret > agent.ret else "agent")
        assert row["winner"] == winner
        wins[winner] += 1
    assert (kept["human_wins"], kept["agent_wins"], kept["ties"]) == (wins["human"], wins["agent"], wins["tie"])


@sync
async def test_setup_errors_are_shown_and_the_screen_stays(checkpoint):
    app = RltuiApp(start=("compare", "CliffWalking"), compare={"checkpoint": checkpoint, "seeds": "1-2"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen) and app.screen.match is None
        # The message quotes the checkpoint's path, so where it wraps depends on the temp dir's length:
        # read the message itself, not the screen.
        message = widget_text(app.screen.query_one("#compare-setup-help"))
        assert "was trained on FrozenLake4x4, not CliffWalking" in message


@sync
async def test_pick_c_opens_compare_with_the_newest_checkpoint(checkpoint):
    Trainer(TrainConfig(ENV, "q", 500, seed=1)).run()  # a run with a checkpoint in this data dir
    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *ENV.lower(), "enter")
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        field = app.screen.query_one("#compare-agent")
        assert field.value.endswith(".npz")
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert app.screen.match is not None and app.screen.match.seeds == [0, 1, 2, 3, 4]
