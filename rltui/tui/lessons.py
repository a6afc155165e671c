"""The guided lessons: a few pages each, every page with one thing to try that does the explaining.

A page's ``action`` opens a screen the app already has (Explain, Side by side) with the settings the
lesson is about, or ``compute`` runs a small exact calculation whose table the page then shows. The
lessons follow the exercises rltui grew from: the Bellman update on a three-state MDP against its
exact Q* and a hand-written policy, slippery ice against solid, on- against off-policy on the cliff,
and DQN with and without its two stabilisers (replay and a target network).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Page:
    """Markdown ``text``; ``action`` = ("explain", env, mode) | ("deep", env, algo) |
    ("versus", env, (side, side), steps) or None;
    ``compute`` returns a Rich renderable shown under the text (run off the UI thread)."""

    text: str
    action: tuple | None = None
    try_label: str = "Try it"
    compute: Callable[[], Any] | None = None


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str
    pages: tuple[Page, ...] = field(default_factory=tuple)


def mdp_against_optimum() -> Any:
    """Q-learning's table on the three-state MDP after its preset run, beside Q* and two fixed policies."""
    import numpy as np
    from rich.table import Table

    from rltui.agents import make_agent
    from rltui.agents.value_iteration import build_model, greedy_policy, policy_values, value_iteration
    from rltui.envs import make_training_env
    from rltui.training.config import TrainConfig, default_steps, resolve_hparams

    env_name = "ThreeStateMDP"
    steps = default_steps(env_name, "q")
    hp = resolve_hparams(TrainConfig(env_name, "q", steps=steps))
    env = make_training_env(env_name, tabular=True)
    try:
        base = env.unwrapped
        mask = base.action_masks.astype(bool)
        gamma = float(hp["gamma"])
        _, q_star = value_iteration(base.P, 3, 3, gamma, action_mask=mask)
        agent = make_agent("q", env.observation_space, env.action_space, hp, seed=0)
        obs, info = env.reset(seed=0)
        for _ in range(steps):
            a = agent.act(obs, True, info["action_mask"])
            nobs, r, term, trunc, info = env.step(a)
            agent.observe(obs, a, r, nobs, term, trunc, info["action_mask"])
            obs = nobs
            if term or trunc:
                obs, info = env.reset()
        model = build_model(base.P, 3, 3)
    finally:
        env.close()
    q = agent.q_values()
    policies = {
        "optimal (from Q*)": greedy_policy(q_star, mask),
        f"Q-learning's greedy, after {steps:,} steps": greedy_policy(q, mask),
        "hand-written: never pay the toll": np.array([0, 0, 1]),
    }
    table = Table(title=f"γ = {gamma}: values of each policy, computed exactly from the model", title_justify="left")
    table.add_column("policy")
    table.add_column("actions s0 s1 s2")
    for s in range(3):
        table.add_column(f"V(s{s})", justify="right")
    for name, pi in policies.items():
        values = policy_values(model, pi, gamma)
        table.add_row(name, "  ".join(f"a{int(a)}" for a in pi), *(f"{v:.2f}" for v in values))
    gaps = Table(title="Q-learning's table against Q* (allowed actions)", title_justify="left")
    gaps.add_column("state")
    for a in range(3):
        gaps.add_column(f"a{a}: Q / Q*", justify="right")
    for s in range(3):
        gaps.add_row(f"s{s}", *(f"{q[s, a]:.2f} / {q_star[s, a]:.2f}" if mask[s, a] else "—" for a in range(3)))
    from rich.console import Group

    return Group(table, gaps)


LESSONS: tuple[Lesson, ...] = (
    Lesson("bellman", "The Bellman update, on a three-state MDP", (
        Page("""\
# The Bellman update

The three-state MDP has three states (s0, s1, s2) and up to three actions in each; some actions are
not allowed in some states. Staying in s0 with **a0** pays +10 now and then; from s1, **a2** costs
−50 but leads to s2, where **a1** pays +40 on the way back to s0.

Q-learning keeps one number per (state, action): how much reward it expects from there on. Each
step it moves that number a little (α) towards **r + γ·max Q(s′,·)**: what just happened plus what
it believes comes next.

Press **enter** to step through the updates one at a time: every number is written out.""",
             ("explain", "ThreeStateMDP", "q"), "Step through Q-learning"),
        Page("""\
# The exact answer: value iteration

The MDP publishes its model (every transition's probability and reward), so the best values can be
computed exactly: start from V = 0 and back every state up with the best action, sweep after sweep,
until nothing changes. That is **value iteration**, and its result is Q*: what Q-learning is
trying to learn from experience alone.

Press **enter** and step through the sweeps: watch the −50 toll become worth paying.""",
             ("explain", "ThreeStateMDP", "vi"), "Step through value iteration"),
        Page("""\
# Learned, optimal and hand-written

How good is what Q-learning learned? Press **enter** to train it with its preset, then compare the
values of three policies, computed exactly from the model: the optimal one (greedy in Q*), the
learned one (greedy in Q-learning's table), and a hand-written one that never pays the toll.

With γ = 0.95 the toll only just pays: in s1, Q* is 1.18 for paying and 1.12 for waiting. A gap that
small takes Q-learning long, averaged experience to see — look at s1's row to see whether it has yet.
A smaller γ makes the future worth less, and then the hand-written policy is the optimal one
(try `rltui explain ThreeStateMDP --algo vi --set gamma=0.9`).""",
             None, "Compute", compute=mdp_against_optimum),
    )),
    Lesson("slippery", "Slippery ice or solid ground: FrozenLake", (
        Page("""\
# Slippery or not

On **FrozenLake-NoSlip** every move goes where it is told; on the slippery lake a move goes the way
you asked only a third of the time, and slides to either side otherwise. The same Q-learning with
the same seed learns both.

Press **enter**: both train side by side. On solid ground the curve jumps to 1 (every episode
reaches the goal) and the greedy path is the shortest; on ice the best any policy can do is ~0.74,
and the learned path hugs the edges, away from the holes, because a slip there is not fatal.""",
             ("versus", "FrozenLake4x4", ("q:env=FrozenLake4x4-NoSlip", "q"), 20_000), "Train both"),
    )),
    Lesson("cliff", "On-policy against off-policy: the cliff", (
        Page("""\
# Q-learning against SARSA on the cliff

CliffWalking: −1 a step, −100 and back to the start for a step off the cliff. Both learners explore
with ε = 0.1.

**Q-learning** learns the values of the greedy policy (its target takes the max), so it learns the
shortest path, right along the edge — and while it still explores, it falls off now and then.
**SARSA** learns the values of the ε-greedy policy it really follows (its target uses the action it
will take next), so it prefers a path one or two rows up, where a random step is not a fall.

Press **enter** to train both on the same seed: compare their curves and their paths.""",
             ("versus", "CliffWalking", ("q", "sarsa"), 20_000), "Train both"),
        Page("""\
# One update of each

The difference is one term of the target. Press **enter** and switch between the algorithms with
**a**: Q-learning writes `max Q(s′,·)`, SARSA `Q(s′,a′)` with the a′ it has already drawn, expected
SARSA the ε-greedy average.""",
             ("explain", "CliffWalking", "sarsa"), "Step through SARSA"),
    )),
    Lesson("memory", "Why a partial view needs memory: DRQN", (
        Page("""\
# Seeing only the 3×3 around you

On **GridWorldPartial** the agent sees only the 3×3 cells around it: a goal two steps away is out of
sight. A DQN, which acts on what it sees now, cannot tell "a goal just behind me" from "nothing
anywhere"; a **DRQN** carries an LSTM memory from step to step.

Press **enter** and train it a thousand steps at a time (**N**), then step (**→**): the panel shows
what it sees beside the whole board, Q with its memory against Q for the same view with the memory
wiped, and both along the episode. The gap is what it remembers.""",
             ("deep", "GridWorldPartial", "drqn"), "Open the DRQN"),
    )),
    Lesson("dqn", "DQN's two stabilisers: replay and a target network", (
        Page("""\
# Naive against improved DQN on CartPole

A neural network replaces the table. Trained naively — each update on the last few transitions only,
and its target computed by the same network it is changing — it chases its own tail: the samples are
correlated and the target moves with every step.

DQN adds two things: a **replay buffer** (50,000 past transitions, sampled at random) and a **target
network** (a copy of the network, refreshed only every few hundred updates, that computes the targets).

Press **enter**: the left side has a buffer of 256 and a target refreshed every update; the right side
is the preset. Both train for 35,000 steps (about a minute here); watch the curves.""",
             ("versus", "CartPole", ("dqn:buffer_size=256,target_update_grad_steps=1", "dqn"), 35_000),
             "Train both"),
        Page("""\
# Inside the update

Press **enter** to train a DQN on CartPole step by step (**N**: a thousand steps) and look inside: a few
transitions of the replay batch its last update used, each with Q(s,a), the target and the TD error;
how many updates ago the target network was copied; ε on its schedule.""",
             ("deep", "CartPole", "dqn"), "Open the DQN"),
    )),
)


def lesson(key: str) -> Lesson:
    for item in LESSONS:
        if item.key == key:
            return item
    raise KeyError(key)
