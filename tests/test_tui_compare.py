"""The Compare screen driven by Pilot: a scripted person vs a trained tabular agent on FrozenLake seeds."""

import pytest
from rich.cells import cell_len
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


def _results_lines(screen) -> list[str]:
    """The results panel's own lines, asserted whole: none wider than the panel, none wrapped by Textual
    (its own layout of the content at that width has exactly these lines), all within the panel's
    height (its max-height in app.tcss) and the panel in sight."""
    panel = screen.query_one("#compare-results")
    lines = widget_text(panel).rstrip("\n").split("\n")
    width, height = panel.content_size
    wide = [f"{cell_len(line)}: {line!r}" for line in lines if cell_len(line) > width]
    assert not wide, f"results lines wider than the panel's {width} columns: {wide}"
    laid_out = panel.get_content_height(screen.size, screen.size, width)
    assert laid_out == len(lines), f"{len(lines)} results lines wrap to {laid_out}: {lines}"
    assert len(lines) <= height, f"{len(lines)} results lines in {height}, the last cut: {lines}"
    _, clip = screen._compositor.visible_widgets[panel]
    assert clip.intersection(panel.region) == panel.region, f"results panel {panel.region} cut by {clip}"
    return [line.rstrip() for line in lines]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
@sync
async def test_results_panel_shows_summary_hint_and_newest_round_after_any_number_of_rounds(size):
    """1, 4 and 10 rounds played at 80×24 (and the 11th under way, then over): the newest round, the
    summary over every round played and what to do next are all in the panel, no line cut or wrapped;
    the rounds that do not fit are counted."""
    from test_tui_board_fit import _agent

    app = RltuiApp()
    async with app.run_test(size=size) as pilot:
        screen = CompareScreen(ENV, agent=_agent(ENV), agent_label="q · run12345-FrozenLake4x4-q.npz",
                               seeds="100-110")
        await app.push_screen(screen)
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        match = screen.match
        assert match is not None
        for played in range(1, 12):
            moves = iter(SCRIPT)
            while not match.human.done:
                await pilot.press(KEYS[next(moves)])
            await pilot.pause()
            lines = _results_lines(screen)
            newest = match.rounds[played - 1]
            row = [line for line in lines if line.split()[:1] == [str(newest.seed)]]
            assert row and row[0].split()[-1] == {"human": "you"}.get(newest.winner, newest.winner), lines
            s = match.summary()
            assert s.rounds == played
            total = [line for line in lines if line.split()[:1] == ["all"]]
            assert total and total[0].endswith(f"you {s.human_wins} · agent {s.agent_wins} · ties {s.ties}"), lines
            assert f"round {played}/11 · seed {newest.seed}" in "\n".join(lines), lines
            if played < 11:
                assert lines[-1] == "round over — ctrl+n (or any move) for the next seed", lines
            else:
                assert lines[-1] == "all seeds played — esc to go back", lines
            earlier = [line for line in lines if "earlier round" in line]
            if played >= 4:  # the table has no room for them all: the rest are counted
                shown = sum(line.split()[0].isdigit() for line in lines[1:])
                assert earlier and earlier[0].split()[1] == str(played - shown), lines
            if played < 11:
                await pilot.press("ctrl+n")
                await pilot.pause()
                lines = _results_lines(screen)  # the next round under way: its row says so
                assert any(line.split()[:1] == [str(match.seed)] and line.endswith("playing…") for line in lines)


def test_results_text_fits_long_returns_and_labels():
    """Wide returns (an Atari score, a Taxi loss), a long agent label and many rounds, in the panel's
    width at 80×24 (and in half of it, where the ends are cut): every line fits, the newest round, the row
    over all rounds and the hint are there, and the rounds left out are counted."""
    from rltui.play.compare import Round, summarize
    from rltui.tui.widgets.compare_results import results_text

    rounds = [Round(seed=1_000_000 + i, human_return=-12_345.5 * i, agent_return=523.25) for i in range(30)]
    notes = [("round 30/30 · seed 1000029 · agent dqn · " + "a-very-long-checkpoint-name-" * 3 + ".pt",
              "round 30/30 · seed 1000029"), ("round over — ctrl+n (or any move) for the next seed",
                                              "round over — ctrl+n: next seed")]
    for width in (78, 38):  # the panel's width at 80 columns; at half of it, the ends are cut, never wrapped
        lines = results_text(rounds, summarize(rounds), notes, width, 7).plain.split("\n")
        assert len(lines) == 7 and all(cell_len(line) <= width for line in lines), (width, lines)
        assert lines[5].startswith("round 30/30 · seed 1000029"), lines
    assert lines[1].split()[:2] == ["…", "28"] and lines[3].split()[0] == "1000029", lines
    lines = results_text(rounds, summarize(rounds), notes, 78, 7).plain.split("\n")
    assert lines[0].split() == ["seed", "you", "agent", "winner"], lines
    assert lines[1].split()[:2] == ["…", "28"] and "earlier rounds" in lines[1], lines
    assert lines[3].split()[0] == "1000029" and lines[3].endswith("agent"), lines
    assert lines[4].split()[0] == "all" and lines[4].endswith("you 0 · agent 30 · ties 0"), lines
    assert lines[6] == "round over — ctrl+n (or any move) for the next seed", lines



@sync
async def test_ctrl_n_is_offered_only_when_a_next_seed_can_start(checkpoint):
    """On the setup form, mid-round and after the last seed ctrl+n does nothing: the footer must not offer it."""
    app = RltuiApp(start=("compare", ENV))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen) and app.screen.match is None
        assert app.screen.check_action("next_round", ()) is False
    app = RltuiApp(start=("compare", ENV), compare={"checkpoint": checkpoint, "seeds": "11,12"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.check_action("next_round", ()) is False  # round 1 under way
        moves = iter(SCRIPT)
        while not screen.match.human.done:
            await pilot.press(KEYS[next(moves)])
        await pilot.pause()
        assert screen.check_action("next_round", ()) is True  # round 1 over, seed 12 left
