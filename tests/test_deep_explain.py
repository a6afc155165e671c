"""The deep explain mode opens up the agent `rltui train` builds, and shows its real numbers."""

import numpy as np
import torch
from test_tui_support import screen_text, sync

from rltui.training.config import TrainConfig
from rltui.training.deep_explain import DeepExplainer
from rltui.training.store import RunStore
from rltui.training.trainer import Trainer


def test_dqn_view_is_the_trainers_agent_opened_up(tmp_path):
    n = 1400  # past CartPole's learning_starts (1000): a few hundred updates
    ex = DeepExplainer("CartPole", "dqn", seed=3)
    ex.step(n)
    view = ex.view(rows=6)
    with RunStore.open(str(tmp_path)) as store:
        trainer = Trainer(TrainConfig("CartPole", "dqn", steps=n, seed=3, eval_every=0, checkpoint_every=0,
                                      device="cpu", data_dir=str(tmp_path)), store=store)
        trainer.run()
    for name, tensor in trainer.agent.q.state_dict().items():  # the same agent, step for step
        assert torch.equal(tensor, ex.agent.q.state_dict()[name]), name
    c = ex.agent.cfg
    assert view.updates == ex.agent.updates > 0 and 0 <= view.since_copy < c.target_update_grad_steps
    assert view.since_copy == view.updates % c.target_update_grad_steps
    assert view.epsilon == ex.agent.epsilon
    assert len(view.batch) == 6 and len(view.online_q) == len(view.target_q) == 2
    for row in view.batch:
        assert 0 <= row.reward <= sum(c.gamma ** k for k in range(c.n_step)) + 1e-5  # n-step sum of 1s
        assert row.discount == 0 or any(abs(row.discount - c.gamma ** m) < 1e-5 for m in range(1, c.n_step + 1))
        assert row.td_error == row.target - row.q_sa
    ex.close()


def test_drqn_view_shows_what_the_memory_adds():
    ex = DeepExplainer("GridWorldPartial", "drqn", seed=0)
    ex.step(30)
    view = ex.view()
    assert view.memory_q == [float(v) for v in ex.agent.last_q]
    assert len(view.memory_trace) == 30  # this episode's steps so far (episodes last 50)
    assert not np.allclose(view.memory_q, view.fresh_q)  # after 30 steps the LSTM state is not zero
    ex.close()


@sync
async def test_pick_e_on_cartpole_opens_the_deep_view():
    from rltui.tui.app import RltuiApp
    from rltui.tui.screens.deep_explain import DeepExplainScreen

    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"cartpole", "enter")
        await pilot.pause()
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, DeepExplainScreen)
        for _ in range(200):
            await pilot.pause(0.05)
            if screen.explainer is not None and not screen.busy:
                break
        await pilot.press("right")
        for _ in range(200):
            await pilot.pause(0.05)
            if screen.explainer.steps == 1 and not screen.busy:
                break
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "DQN on CartPole · step 1" in text and "target network" in text
