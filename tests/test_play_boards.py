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


def test_time_left_reads_as_a_clock_then_in_hours_and_days():
    from rltui.numbers import clock, span, time_left

    assert time_left(7_900, 150_000, 273) == "8:41 left"
    assert time_left(0, 10_000_000, 1000) == "2h46m left"  # hours without their seconds
    assert time_left(6_890, 100_000_000, 1_440) == "19h17m left"
    assert time_left(0, 100_000_000, 100) == "11d13h left"
    assert time_left(10, 10, 100) is None and time_left(5, 10, 0) is None
    assert clock(75) == "1:15" and span(75) == "1:15" and span(3599) == "59:59" and span(3600) == "1h00m"


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


def test_value_map_puts_the_agent_on_every_free_cell_in_one_batch():
    import numpy as np

    from rltui.play.board import value_overlay

    env = make_env("GridWorld")
    env.reset(seed=1)
    u = env.unwrapped
    before = u.agent.copy()
    batches = []

    def q_batch(obs):  # Q favours action (row + col) % 4, valued row * 10 + col: checkable per cell
        batches.append(len(obs))
        out = np.zeros((len(obs), 4))
        for i, o in enumerate(obs):
            r, c = np.argwhere(o[0] == 1)[0]  # where the agent was placed
            out[i, (r + c) % 4] = r * 10 + c
        return out

    overlay = value_overlay(env, q_batch)
    board = u.board()
    objects = int(board[1].sum() + board[2].sum())
    assert batches == [25 - objects]  # one forward pass for the whole board
    for r in range(5):
        for c in range(5):
            if board[1, r, c] or board[2, r, c]:
                assert overlay.greedy[r, c] == -1
            else:
                assert overlay.greedy[r, c] == (r + c) % 4 and overlay.value[r, c] == r * 10 + c
    assert (u.agent == before).all()  # the env is left as it was
    assert value_overlay(make_env("FrozenLake4x4"), q_batch) is None
    env.close()


def test_value_map_from_a_real_dqn_agent():
    from rltui.agents import make_agent
    from rltui.play.board import value_overlay

    env = make_env("GridWorld")
    env.reset(seed=0)
    agent = make_agent("dqn", env.observation_space, env.action_space, {"buffer_size": 1000}, device="cpu")
    overlay = value_overlay(env, agent.q_batch)
    assert overlay is not None and (overlay.greedy >= 0).sum() >= 25 - 6
    env.close()
