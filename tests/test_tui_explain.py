"""The Explain screen: reachable from Pick, steps forward and back, switches algorithm, at 80×24."""

import numpy as np
from test_tui_support import screen_text, sync

from rltui.tui.app import RltuiApp
from rltui.tui.screens.explain import ExplainScreen


@sync
async def test_explain_from_pick_steps_forward_and_back():
    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"cliffwalking", "enter")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExplainScreen)
        assert "Explain" in screen_text(app).splitlines()[-1] or "Step" in screen_text(app).splitlines()[-1]
        start = screen.explainer.q_table()
        await pilot.press("right")
        await pilot.pause()
        text = screen_text(app)
        assert "step 1 of 1" in text and "target" in text and "error" in text
        await pilot.press("n")
        await pilot.pause()
        assert screen.explainer.cursor == 11
        after = screen.explainer.q_table()
        assert not np.array_equal(after, start)
        for _ in range(11):
            await pilot.press("left")
        await pilot.pause()
        assert screen.explainer.cursor == 0
        assert np.array_equal(screen.explainer.q_table(), start)
        await pilot.press("a")  # SARSA
        await pilot.pause()
        await pilot.press("right")
        await pilot.pause()
        assert "SARSA" in screen_text(app) and "a′" in screen_text(app)
        await pilot.press("a", "a")  # expected SARSA, then value iteration (CliffWalking has a model)
        await pilot.pause()
        assert screen.trace is not None
        await pilot.press("n")
        await pilot.pause()
        assert "sweep 10" in screen_text(app) and "largest change" in screen_text(app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert "one update at a time" in screen_text(app)
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExplainScreen)


@sync
async def test_explain_refuses_envs_without_a_table():
    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"cartpole", "enter")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert not isinstance(app.screen, ExplainScreen)


@sync
async def test_side_by_side_screen_trains_both_and_draws_paths():
    from rltui.tui.screens.versus import VersusScreen

    app = RltuiApp(start=("explain", "CliffWalking"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("v")
        screen = app.screen
        assert isinstance(screen, VersusScreen)
        for _ in range(200):
            await pilot.pause(0.05)
            if screen.results:
                break
        assert len(screen.results) == 2
        await pilot.pause()
        text = screen_text(app)
        assert "Q-learning" in text and "SARSA" in text and "greedy path" in text
        runs = app.store.list_runs()
        assert {r["id"] for r in runs} >= {r.run_id for r in screen.results}


@sync
async def test_lessons_are_reachable_from_pick_and_each_page_opens_its_screen():
    from rltui.tui.lessons import LESSONS
    from rltui.tui.screens.lessons import LessonScreen, LessonsScreen
    from rltui.tui.screens.versus import VersusScreen

    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert "lessons" in screen_text(app).lower()
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, LessonsScreen)
        assert all(item.title[:30] in screen_text(app) for item in LESSONS)
        await pilot.press("enter")  # the Bellman lesson
        await pilot.pause()
        page = app.screen
        assert isinstance(page, LessonScreen) and "page 1 of 3" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExplainScreen) and app.screen.mode == "q"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("right", "right", "enter")  # page 3: the exact comparison, computed
        for _ in range(100):
            await pilot.pause(0.05)
            if 2 in page.results and "computing" not in str(page.results[2]):
                break
        await pilot.pause()
        assert "hand-written" in screen_text(app) or "optimal" in screen_text(app)
        await pilot.press("escape", "down", "down", "enter")  # the cliff lesson (third)
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, VersusScreen)
        assert [s.algo for s in app.screen.sides] == ["q", "sarsa"]
