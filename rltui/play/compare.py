"""Human vs agent on the same seeds, UI-free: the rounds, who won, the summary, and what gets kept.

A comparison is a list of seeds. For each seed a person plays one episode and the agent plays one
greedy episode from the same reset seed, so both face the same start (and, in the toy-text envs, the
same dice as far as their actions allow). Both sides are :class:`HumanSession` objects: the agent's is
built on the agent's own observation pipeline (:func:`watch_session`) and driven by its greedy policy,
so recording, seeding and replay work the same way for both.

Turn-based envs run in lockstep (:meth:`Match.human_step` moves the agent once after each human move);
real-time faces may instead call :meth:`Match.agent_step` on their own clock. The Compare screen and
``rltui compare`` both use this module; neither keeps game state of its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rltui.agents.base import Agent
from rltui.errors import RltuiError
from rltui.play.session import EpisodeRecord, HumanSession, StepResult
from rltui.play.watch import watch_session
from rltui.validation import SEED_MAX, SEEDS_MAX, clean_text

Winner = Literal["human", "agent", "tie"]

#: Returns closer than this are a tie (rewards are floats; FrozenLake's 0 vs 0 is the common case).
TIE_TOLERANCE = 1e-9


def winner_of(human_return: float, agent_return: float) -> Winner:
    if abs(human_return - agent_return) <= TIE_TOLERANCE:
        return "tie"
    return "human" if human_return > agent_return else "agent"


@dataclass
class Round:
    """One seed's result. ``human_episode_id`` points at the human episode kept in the run store."""

    seed: int
    human_return: float | None = None
    agent_return: float | None = None
    human_length: int = 0
    agent_length: int = 0
    human_actions: list[int] = field(default_factory=list)
    human_rewards: list[float] = field(default_factory=list)
    agent_actions: list[int] = field(default_factory=list)
    human_episode_id: int | None = None

    @property
    def complete(self) -> bool:
        return self.human_return is not None and self.agent_return is not None

    @property
    def winner(self) -> Winner | None:
        if not self.complete:
            return None
        return winner_of(self.human_return, self.agent_return)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Summary:
    rounds: int
    human_mean: float
    human_std: float
    agent_mean: float
    agent_std: float
    human_wins: int
    agent_wins: int
    ties: int

    def lines(self) -> tuple[str, str]:
        """Returns, then wins: two lines, so that each fits 80 columns however big the returns."""
        return (f"{self.rounds} rounds · you {self.human_mean:.2f} ± {self.human_std:.2f} · agent "
                f"{self.agent_mean:.2f} ± {self.agent_std:.2f}",
                f"wins: you {self.human_wins} · agent {self.agent_wins} · ties {self.ties}")


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    if not values:
        return math.nan, math.nan
    mean = sum(values) / len(values)
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def summarize(rounds: Sequence[Round]) -> Summary:
    """Means, population std and win counts over the complete rounds."""
    done = [r for r in rounds if r.complete]
    h_mean, h_std = _mean_std([r.human_return for r in done])  # type: ignore[misc]
    a_mean, a_std = _mean_std([r.agent_return for r in done])  # type: ignore[misc]
    winners = [r.winner for r in done]
    return Summary(len(done), h_mean, h_std, a_mean, a_std, winners.count("human"), winners.count("agent"),
                   winners.count("tie"))


def parse_seeds(text: str) -> list[int]:
    """``"1,2,5-7"`` → ``[1, 2, 5, 6, 7]``; a bad item is a one-line error."""
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            lo, _, hi = part.partition("-")
            lo_i, hi_i = int(lo), int(hi or lo)
            if lo_i < 0 or hi_i < lo_i:
                raise ValueError
        except ValueError:
            raise RltuiError(f"bad seed {clean_text(part, 40)!r}: use numbers and ranges, e.g. 1,2,5-7") from None
        if hi_i > SEED_MAX:
            raise RltuiError(f"seeds must be in [0, 2^32-1], not {clean_text(part, 40)}")
        if len(seeds) + hi_i - lo_i + 1 > SEEDS_MAX:
            raise RltuiError(f"at most {SEEDS_MAX:,} seeds in one comparison (each is one episode)")
        seeds.extend(range(lo_i, hi_i + 1))
    if not seeds:
        raise RltuiError("no seeds given: e.g. --seeds 1,2,3")
    if len(set(seeds)) != len(seeds):
        raise RltuiError(f"seed repeated in {text!r}: each seed is one round")
    return seeds


def play_agent_episode(agent: Agent, env_name: str, seed: int, *, max_steps: int = 100_000,
                       env_overrides: dict[str, Any] | None = None) -> EpisodeRecord:
    """The agent's greedy episode on ``seed``, recorded like a person's (actions and rewards)."""
    session, policy, on_start = watch_session(agent, env_name, env_overrides=env_overrides)
    try:
        on_start()
        session.reset(seed=seed)
        while not session.done and session.step_count < max_steps:
            session.step(policy(session.obs, session.action_mask()))
        return session.record
    finally:
        session.close()


class Match:
    """A comparison being played: the seeds, the current round's two sessions, the finished rounds.

    ``agent`` is used as it is (a loaded checkpoint, or a copy of the agent being trained: the caller
    makes the copy). ``human_render`` builds the person's env with rgb frames (pixel envs).
    """

    def __init__(self, env_name: str, agent: Agent, seeds: Sequence[int], *, human_render: bool = False,
                 env_overrides: dict[str, Any] | None = None) -> None:
        if not seeds:
            raise RltuiError("a comparison needs at least one seed")
        self.env_name = env_name
        self.agent = agent
        self.seeds = [int(s) for s in seeds]
        self.rounds: list[Round] = [Round(s) for s in self.seeds]
        self.index = -1
        self.human_render = human_render
        self.env_overrides = env_overrides
        self.human: HumanSession | None = None
        self.agent_session: HumanSession | None = None
        self.on_agent_start = lambda: None

    # ---- rounds -----------------------------------------------------------------------------------
    @property
    def round(self) -> Round:
        return self.rounds[self.index]

    @property
    def seed(self) -> int:
        return self.seeds[self.index]

    @property
    def finished(self) -> bool:
        """Every round complete."""
        return all(r.complete for r in self.rounds)

    @property
    def round_over(self) -> bool:
        return self.human is not None and self.human.done and self.agent_session.done

    def next_round(self, *, start: bool = True) -> bool:
        """Move to the next seed with a fresh session on each side whose first episode is that seed.

        ``start`` resets both now (lockstep play); a clock-driven loop passes False and resets them
        itself (a session's first reset is its base seed). False when no seed is left.
        """
        if self.index + 1 >= len(self.seeds):
            return False
        self.index += 1
        self._close_sessions()
        self.human = HumanSession(self.env_name, seed=self.seed, render=self.human_render)
        self.agent_session, self._policy, self.on_agent_start = watch_session(
            self.agent, self.env_name, self.seed, env_overrides=self.env_overrides)
        if start:
            self.human.reset()
            self.on_agent_start()
            self.agent_session.reset()
        return True

    @property
    def policy(self):
        """The agent's greedy policy ``(obs, mask) -> action`` (for a clock-driven loop)."""
        return self._policy

    # ---- moves ------------------------------------------------------------------------------------
    def human_step(self, action: int, *, lockstep: bool = True) -> StepResult:
        """The person's move; in lockstep the agent then moves once (if its episode is still on)."""
        if self.human.done:
            raise RltuiError("your episode on this seed is over")
        result = self.human.step(action)
        if lockstep and not self.agent_session.done:
            self.agent_step()
        self.record()
        return result

    def agent_step(self) -> StepResult | None:
        """One greedy agent move (None when its episode is over)."""
        if self.agent_session.done:
            return None
        result = self.agent_session.step(self._policy(self.agent_session.obs, self.agent_session.action_mask()))
        self.record()
        return result

    def finish_agent(self, max_steps: int = 100_000) -> None:
        """Play the agent's episode to its end (when the person finished first)."""
        while not self.agent_session.done and self.agent_session.step_count < max_steps:
            self.agent_step()

    def record(self) -> None:
        """Copy what has finished on either side into the round (a loop-driven face calls it at the end)."""
        r = self.round
        if self.human.done and r.human_return is None:
            r.human_return, r.human_length = self.human.ret, self.human.step_count
            r.human_actions = list(self.human.record.actions)
            r.human_rewards = list(self.human.record.rewards)
        if self.agent_session.done and r.agent_return is None:
            r.agent_return, r.agent_length = self.agent_session.ret, self.agent_session.step_count
            r.agent_actions = list(self.agent_session.record.actions)

    def summary(self) -> Summary:
        return summarize(self.rounds)

    def save(self, store: Any, agent_label: str, checkpoint: str | None = None) -> int:
        """Keep the finished rounds (and the person's episodes) in the run store; returns its id."""
        done = [r for r in self.rounds if r.complete]
        if not done:
            raise RltuiError("no finished round to keep yet")
        rows = [round_for_store(r, r.human_rewards) for r in done]
        return store.add_comparison(self.env_name, agent_label, checkpoint, rows, summary_for_store(summarize(done)))

    def _close_sessions(self) -> None:
        for session in (self.human, self.agent_session):
            if session is not None:
                session.close()

    def close(self) -> None:
        self._close_sessions()


def round_for_store(r: Round, human_rewards: Sequence[float] | None = None) -> dict[str, Any]:
    """A round as :meth:`RunStore.add_comparison` takes it (``human_rewards`` to keep a new human episode)."""
    row: dict[str, Any] = {
        "seed": r.seed, "human_return": r.human_return, "agent_return": r.agent_return,
        "agent_actions": r.agent_actions, "winner": r.winner, "human_episode_id": r.human_episode_id,
    }
    if r.human_episode_id is None and human_rewards is not None and len(human_rewards) == len(r.human_actions):
        row["human_actions"], row["human_rewards"] = list(r.human_actions), list(human_rewards)
    return row


def summary_for_store(summary: Summary) -> dict[str, Any]:
    return {"human_mean": summary.human_mean, "agent_mean": summary.agent_mean, "human_wins": summary.human_wins,
            "agent_wins": summary.agent_wins, "ties": summary.ties}
