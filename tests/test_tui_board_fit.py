"""Nothing a person needs is cut at 80×24: every board the app draws (Play, Compare, side by side,
Explain, inside a deep agent; the Train screen's in test_tui_train_fit) fits the room its widget gets,
with its caption in sight, for every grid env in the catalogue.

The widget's own picture is read (its lines against its content size) and its place on the screen
(the compositor's clip), so a board cut at the bottom by its panel fails, where the screen's text
would only show fewer rows.
"""

from types import SimpleNamespace

import pytest
from rich.cells import cell_len
from rich.text import Text
from test_tui_support import sync
from textual.geometry import Region

from rltui.agents import make_agent
from rltui.envs import CATALOGUE, make_env, make_training_env
from rltui.play.board import board_of
from rltui.play.board_text import FOG_GLYPH
from rltui.training.config import env_options
from rltui.tui.app import RltuiApp
from rltui.tui.widgets.board import BoardView
from rltui.tui.widgets.frame import FrameView

GRIDS = [entry.name for entry in CATALOGUE if entry.kind == "grid"]
SIZE = (80, 24)


def assert_drawn_whole(view, where: str) -> None:
    """``view`` (a board, or a frame's placeholder) draws every line within its content and in sight:
    no line wider than its width, no more lines than its height, none clipped by a panel, and a
    board's caption is among them."""
    width, height = view.content_size
    text = view.render()
    assert isinstance(text, Text), f"{where}: {view.id} drew no text"
    lines = [line.plain for line in text.split()]
    wide = [f"{cell_len(line)}: {line!r}" for line in lines if cell_len(line) > width]
    assert not wide, f"{where}: #{view.id} has lines wider than its {width} columns: {wide}"
    assert len(lines) <= height, f"{where}: #{view.id} draws {len(lines)} lines in {height}"
    if isinstance(view, BoardView) and view.board is not None:
        caption = view.caption_lines()
        if view.board.caption:
            assert caption, f"{where}: #{view.id}'s caption {view.board.caption!r} is not drawn"
        assert [line.strip() for line in lines[len(lines) - len(caption):]] == [c.strip() for c in caption], \
            f"{where}: #{view.id}'s caption {caption} is not its last lines: {lines}"
    elif isinstance(view, FrameView):
        assert len(lines) == 1, f"{where}: #{view.id}'s placeholder wraps: {lines}"
    _, clip = view.screen._compositor.visible_widgets[view]
    drawn = Region(view.content_region.x, view.content_region.y, width, len(lines))
    assert clip.intersection(drawn) == drawn, f"{where}: #{view.id} is cut: {drawn} drawn, {clip} in sight"


async def _boards(pilot, screen, where: str) -> None:
    """Every board on ``screen`` that is shown, drawn whole."""
    await pilot.pause()
    views = [view for view in screen.query(BoardView) if view.display and view.board is not None]
    assert views, f"{where}: no board"
    for view in views:
        assert_drawn_whole(view, f"{screen.entry.name} {where}")


def _agent(name: str):
    """An untrained tabular agent on ``name`` (Compare only needs one that plays)."""
    env = make_training_env(name, **env_options("q"))
    try:
        return make_agent("q", env.observation_space, env.action_space, {})
    finally:
        env.close()


def _start_board(name: str):
    env = make_env(name)
    try:
        env.reset(seed=0)
        return board_of(env)
    finally:
        env.close()


@pytest.mark.parametrize("name", GRIDS)
def test_every_board_fits_its_room_at_80x24(name, monkeypatch):
    from dataclasses import replace

    from rltui.tui.screens import deep_explain, versus
    from rltui.tui.screens.compare import CompareScreen
    from rltui.tui.screens.explain import ExplainScreen

    monkeypatch.setattr(versus.VersusScreen, "_train", lambda self: None)  # the boards, not the training
    monkeypatch.setattr(deep_explain.DeepExplainScreen, "_run", lambda self, n: None)

    @sync
    async def run():
        app = RltuiApp(start=("play", name), play_seed=0)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("right" if name != "ThreeStateMDP" else "1")  # a move: the HUD's lines too
            await _boards(pilot, app.screen, "Play")

            compare = CompareScreen(name, agent=_agent(name), agent_label="q · a-long-checkpoint-name.npz",
                                    seeds="0-3")
            await app.push_screen(compare)
            await pilot.pause()
            await pilot.press("enter")  # the seeds: the first round
            await pilot.pause()
            assert compare.match is not None, f"{name}: compare did not start"
            await _boards(pilot, compare, "Compare, first round")
            # the results at their tallest (app.tcss max-height 8: the newest rounds, the summary and the hint)
            compare.query_one("#compare-results").update("\n".join(f"result line {i}" for i in range(8)))
            await _boards(pilot, compare, "Compare, results at their tallest")
            app.pop_screen()

            side = versus.VersusScreen(name, ["q", "sarsa"])
            await app.push_screen(side)
            await pilot.pause()
            board = _start_board(name)
            results = [SimpleNamespace(contender=SimpleNamespace(label=label), returns=[-13.0] * 100,
                                       path=[0, 1, 2, 3], run_id=12345, greedy_return=-13.0, env=name)
                       for label in ("q", "sarsa")]
            side.on_versus_done(versus.VersusDone((results, None)))
            await _boards(pilot, side, "side by side")
            for k in range(2):  # the labels above the boards break between figures, not mid-phrase
                label = side.query_one(f"#versus-label-{k}")
                lines = label.content.plain.split("\n")
                assert all(cell_len(line) <= label.content_size.width for line in lines), (name, lines)
                assert lines[-1].endswith("return -13"), (name, lines)
            app.pop_screen()

            explain = ExplainScreen(name)
            await app.push_screen(explain)
            await _boards(pilot, explain, "Explain")
            app.pop_screen()

            if "dqn" in compare.entry.algos:
                deep = deep_explain.DeepExplainScreen(name, "dqn")
                await app.push_screen(deep)
                await pilot.pause()
                deep.query_one("#deep-sees", BoardView).board = replace(board, caption="what it sees", short=())
                deep.query_one("#deep-full", BoardView).board = replace(board, caption="the whole board", short=())
                await _boards(pilot, deep, "inside DQN")

    run()


def test_a_board_too_tall_for_one_line_a_row_draws_two_rows_a_line():
    """GridWorldPartial's 9×9 with its fog caption in 6 lines (the Train screen's corner at 80×24): two
    rows a line, the agent's half in its own colour, the caption in its shortest wording; with room,
    one line a row or more, with glyphs and the whole caption, as before."""
    from rltui.play.board_text import AGENT_COLOUR, HALF, board_text, layout

    board = _start_board("GridWorldPartial")
    (w, h), caption = layout(board, 39, 6)
    assert h == HALF and len(caption) == 1 and caption[0] in board.short, caption
    lines = board_text(board, 39, 6).split()
    assert len(lines) == 6 and all(set(line.plain.strip()) == {"▀"} for line in lines[:5]), lines
    (ar, ac), pad = board.agent, (39 - 9 * w) // 2
    at = pad + ac * w  # the agent's column on line ar // 2: the upper half on even rows, the lower on odd
    styles = [span.style for span in lines[ar // 2].spans if span.start <= at < span.end]
    colour = styles[0].color if ar % 2 == 0 else styles[0].bgcolor
    assert colour.triplet.hex == AGENT_COLOUR, styles

    (w, h), caption = layout(board, 48, 21)  # the Play screen's room: cells of glyphs, the whole caption
    assert h >= 1 and " ".join(caption) == board.caption
    assert FOG_GLYPH in board_text(board, 48, 21).plain
