"""Boards as a person sees them: what the agent observes (fog on the partial view), what each step did."""

from rltui.envs import make_env
from rltui.play.board import FOG, board_of


def test_partial_gridworld_shows_only_the_window_the_agent_observes():
    env = make_env("GridWorldPartial")
    env.reset(seed=3)
    u = env.unwrapped
    for action in (0, 1, 2, 3, 1, 1, 2):
        board = board_of(env)
        ar, ac = board.agent
        full = u.board()
        for r, row in enumerate(board.cells):
            for c, cell in enumerate(row):
                inside = abs(r - ar) <= 1 and abs(c - ac) <= 1
                assert (cell.bg == FOG) is not inside, (r, c)
                if inside and full[1, r, c]:
                    assert cell.glyph == "+"
                if not inside:
                    assert cell.glyph not in ("+", "✶")  # no object outside the window leaks through
        assert "what the agent sees" in board.caption
        env.step(action)
    env.close()


def test_full_gridworld_has_no_fog():
    env = make_env("GridWorld")
    env.reset(seed=0)
    assert all(cell.bg != FOG for row in board_of(env).cells for cell in row)
    env.close()


def test_time_left_reads_as_a_clock():
    from rltui.numbers import clock, time_left

    assert time_left(7_900, 150_000, 273) == "8:41 left"
    assert time_left(0, 10_000_000, 1000) == "2:46:40 left"
    assert time_left(10, 10, 100) is None and time_left(5, 10, 0) is None
    assert clock(75) == "1:15"
