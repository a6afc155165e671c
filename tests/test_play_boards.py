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


def test_each_step_says_what_happened():
    from rltui.play.session import HumanSession

    lake = HumanSession("FrozenLake4x4", seed=0)
    lake.reset()
    said = set()
    for _ in range(200):  # press down until the ice slips and the episode ends in a hole or the goal
        if lake.done:
            lake.reset()
        lake.step(1)
        said.add(lake.last_event.split(" — ")[0].split(":")[0])
        if "fell in a hole" in lake.last_event:
            said.add("hole")
    assert {"slipped", "moved down", "hole"} <= said, said
    lake.close()

    cliff = HumanSession("CliffWalking", seed=0)
    cliff.reset()
    cliff.step(1)  # right from the start: over the edge
    assert cliff.last_event.startswith("fell off the cliff") and cliff.last_reward == -100
    assert any(cell.glyph == "▼" for row in board_of(cliff.env).cells for cell in row)
    cliff.close()

    mdp = HumanSession("ThreeStateMDP", seed=0)
    mdp.reset()
    mdp.step(0)
    mdp.env.unwrapped.state = 2  # in s2 only a1 is allowed
    mdp.step(0)
    assert "a0 is not allowed in s2" in mdp.last_event
    assert board_of(mdp.env).caption.startswith("from s2: a1 → s0 80% (+40)")
    mdp.close()

    taxi = HumanSession("Taxi", seed=0)
    taxi.reset()
    taxi.step(5)
    assert "not a place to drop off" in taxi.last_event or "dropped" in taxi.last_event
    taxi.close()
