"""What a step did, in words a learner understands: "slipped: you pressed down, the ice took you right",
"fell off the cliff: −100, back to the start", "a1 is not allowed in s1: nothing happens".

Grid envs hide their rules in their dynamics (slippery ice, a cliff that teleports, masked actions);
the board alone cannot show them, so every face (Play, Compare, ``rltui eval --render terminal``) says
them. :func:`state_of` is taken before a step, :func:`describe_step` after it.
"""

from __future__ import annotations

from typing import Any

_DIRECTIONS = {(-1, 0): "up", (1, 0): "down", (0, -1): "left", (0, 1): "right"}
_FROZEN_ACTIONS = ("left", "down", "right", "up")
_CLIFF_ACTIONS = ("up", "right", "down", "left")


def state_of(env) -> Any:
    """The part of ``env``'s state a step description needs (cheap; taken before each step)."""
    u = env.unwrapped
    kind = type(u).__name__
    if kind in ("FrozenLakeEnv", "CliffWalkingEnv", "TaxiEnv"):
        return int(u.s)
    if kind == "ThreeStateMDPEnv":
        return int(u.state)
    if kind == "GridWorldEnv":
        return (int(u.agent[0]), int(u.agent[1]))
    return None


def describe_step(env, before: Any, action: int, reward: float, terminated: bool, truncated: bool) -> str:
    """One line saying what the step just taken did (empty where there is nothing to add)."""
    u = env.unwrapped
    kind = type(u).__name__
    try:
        if kind == "FrozenLakeEnv":
            return _frozen(u, before, action, terminated)
        if kind == "CliffWalkingEnv":
            return _cliff(u, before, action, reward)
        if kind == "TaxiEnv":
            return _taxi(u, before, action, reward)
        if kind == "ThreeStateMDPEnv":
            return _mdp(u, before, action, reward)
        if kind == "GridWorldEnv":
            return _gridworld(reward)
    except Exception:  # noqa: BLE001 - a description is a nicety; never break a step for it
        return ""
    return "time is up: the episode ends here" if truncated else ""


def _move(before: int, after: int, ncol: int) -> str | None:
    (r0, c0), (r1, c1) = divmod(before, ncol), divmod(after, ncol)
    return _DIRECTIONS.get((r1 - r0, c1 - c0))


def _frozen(u, before: int, action: int, terminated: bool) -> str:
    after = int(u.s)
    cell = u.desc.reshape(-1)[after]
    pressed = _FROZEN_ACTIONS[action]
    went = _move(before, after, u.ncol)
    if went is None:
        what = f"you pressed {pressed} and stayed put (the edge)"
        if getattr(u, "is_slippery", False) and _blocked(before, pressed, u.nrow, u.ncol) is False:
            what = f"slipped: you pressed {pressed}, slid into the edge and stayed put"
    elif went != pressed:
        what = f"slipped: you pressed {pressed}, the ice took you {went}"
    else:
        what = f"moved {went}"
    if cell == b"H":
        return f"{what} — fell in a hole: the episode is over (return 0)"
    if cell == b"G":
        return f"{what} — reached the goal: +1"
    return what


def _blocked(state: int, direction: str, nrow: int, ncol: int) -> bool:
    r, c = divmod(state, ncol)
    dr, dc = {v: k for k, v in _DIRECTIONS.items()}[direction]
    return not (0 <= r + dr < nrow and 0 <= c + dc < ncol)


def _cliff(u, before: int, action: int, reward: float) -> str:
    if reward <= -100:
        return "fell off the cliff ▼: −100, and back to the start"
    after = int(u.s)
    rows, cols = u.shape
    if divmod(after, cols) == (rows - 1, cols - 1):
        return "reached the goal ★"
    went = _move(before, after, cols)
    return f"moved {went} (−1 a step)" if went else f"bumped the edge going {_CLIFF_ACTIONS[action]} (−1)"


def _taxi(u, before: int, action: int, reward: float) -> str:
    names = "RGYB"
    _, _, pass_before, _ = u.decode(before)
    _, _, pass_after, dest = u.decode(int(u.s))
    if action == 4:
        if reward <= -10:
            return "no passenger here to pick up: −10"
        if pass_before != 4 and pass_after == 4:
            return "picked up the passenger ☺"
    if action == 5:
        if reward >= 20:
            return f"dropped the passenger at {names[dest]}: +20, delivered"
        if reward <= -10:
            return "not a place to drop off here: −10"
        if pass_before == 4 and pass_after != 4:
            return f"dropped the passenger at {names[pass_after]} (not their destination {names[dest]})"
    if action < 4 and before == int(u.s):
        return "a wall is in the way (−1)"
    return ""


def _mdp(u, before: int, action: int, reward: float) -> str:
    after = int(u.state)
    if not u.action_masks[before, action]:
        allowed = ", ".join(f"a{a}" for a in range(3) if u.action_masks[before, a])
        return f"a{action} is not allowed in s{before} (only {allowed}): the step is spent, nothing happens"
    sign = f"{reward:+g}" if reward else "0"
    return f"s{before} —a{action}→ s{after}, reward {sign}"


def _gridworld(reward: float) -> str:
    if reward > 0:
        return "picked up a goal +1 (another appears elsewhere)"
    if reward < 0:
        return "stepped into a fire −1 (it moves elsewhere)"
    return ""


def mdp_legend(u) -> str:
    """What a0–a2 do from the current state of the three-state MDP: its transition table in words."""
    state = int(u.state)
    parts = []
    for a in range(3):
        if not u.action_masks[state, a]:
            continue
        outcomes = [f"s{s2} {p:.0%}" + (f" ({r:+g})" if r else "") for p, s2, r, _ in u.P[state][a]]
        parts.append(f"a{a} → " + ", ".join(outcomes))
    return "; ".join(parts)

