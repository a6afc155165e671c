"""Videos and GIFs of episodes: an agent's greedy episodes, a person's kept episode, a comparison.

Written with imageio: its Pillow plugin writes GIFs and imageio-ffmpeg (whose wheel carries its own
ffmpeg) writes MP4s, streaming frame by frame. We chose it over Gymnasium's ``RecordVideo`` because
RecordVideo writes only what the wrapped env renders, one MP4 per episode into a folder (through
moviepy), while rltui needs GIFs too, boards drawn as the app draws them, a caption on every frame,
replays of kept episodes and two episodes side by side in one file.

A recording has one frame for the reset and one per step. Episodes play in the same envs the app
uses: an agent in its evaluation env (:func:`rltui.training.evaluation.build_eval_env`), a person's
kept episode in the env people play (:func:`rltui.envs.make_env`), replayed from its seed and actions
with the rewards checked against the kept ones.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rltui.agents.base import Agent
from rltui.envs import get_entry, make_env
from rltui.errors import RltuiError
from rltui.share import require
from rltui.share.frames import FrameStyle, env_frame, side_by_side, step_status, wants_rgb, with_caption
from rltui.training.evaluation import build_eval_env

FORMATS = (".gif", ".mp4")
MAX_STEPS = 100_000


def check_path(path: str | os.PathLike[str]) -> Path:
    """A video path ending in .gif or .mp4 whose folder exists (one-line errors before any play)."""
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise RltuiError(f"{p}: a video must end in .gif or .mp4")
    if not p.parent.exists():
        raise RltuiError(f"{p}: folder {p.parent} does not exist")
    if p.is_dir():
        raise RltuiError(f"{p} is a folder")
    return p


class VideoWriter:
    """Frames in, a .gif or .mp4 out; written to a temporary name and renamed at the end (atomic)."""

    def __init__(self, path: str | os.PathLike[str], fps: float = 8.0) -> None:
        self.path = check_path(path)
        if not fps > 0:
            raise RltuiError(f"fps must be above 0, not {fps}")
        self.fps = float(fps)
        self.frames = 0
        self._tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.part{self.path.suffix}")
        self._mp4 = self.path.suffix.lower() == ".mp4"
        self._size: tuple[int, int] | None = None
        self._sink: Any = None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def append(self, frame: np.ndarray) -> None:
        frame = np.ascontiguousarray(frame, dtype=np.uint8)
        if self._size is None:
            self._size = frame.shape[:2]
            self._open()
        frame = _fit(frame, self._size)
        if self._mp4:
            self._sink.send(frame.tobytes())
        else:
            self._sink.write(frame, is_batch=False, duration=round(1000 / self.fps), loop=0)
        self.frames += 1

    def _open(self) -> None:
        h, w = self._size
        if self._mp4:
            ffmpeg = require("imageio_ffmpeg", "an .mp4 video")
            # libx264's yuv420p wants even sizes: _fit pads by a pixel rather than letting ffmpeg rescale.
            self._size = (h + h % 2, w + w % 2)
            self._sink = ffmpeg.write_frames(str(self._tmp), (self._size[1], self._size[0]), fps=self.fps,
                                             macro_block_size=2, quality=7, output_params=["-f", "mp4"])
            self._sink.send(None)
        else:
            iio = require("imageio.v3", "a GIF")
            self._sink = iio.imopen(self._tmp, "w", plugin="pillow", extension=".gif")

    def close(self) -> Path:
        if self._sink is None:
            raise RltuiError(f"{self.path}: no frames to write")
        self._sink.close()
        self._sink = None
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        if self._sink is not None:
            try:
                self._sink.close()
            except Exception:  # noqa: BLE001 - the partial file is removed either way
                pass
            self._sink = None
        self._tmp.unlink(missing_ok=True)


def _fit(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Pad (or crop) to the video's size: every frame of a file has one size."""
    h, w = size
    if frame.shape[:2] == (h, w):
        return frame
    out = np.zeros((h, w, 3), dtype=np.uint8)
    fh, fw = min(h, frame.shape[0]), min(w, frame.shape[1])
    out[:fh, :fw] = frame[:fh, :fw]
    return out


@dataclass
class EpisodeFrames:
    """One played episode (its frames go straight to the video file)."""

    seed: int
    actions: list[int] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)

    @property
    def ret(self) -> float:
        return float(sum(self.rewards))


def _play(env: Any, ep: EpisodeFrames, choose: Callable[[Any, Any, int], int | None], who: str, rgb: bool,
          expected_rewards: Sequence[float] | None = None, label: str = "") -> Iterator[np.ndarray]:
    """Play one episode from ``ep.seed`` into ``ep``, yielding each captioned frame as it is drawn;
    ``choose(obs, mask, i)`` gives the i-th action (None: a replay's actions ran out)."""
    obs, info = env.reset(seed=ep.seed)
    mask = info.get("action_mask") if isinstance(info, dict) else None
    yield with_caption(env_frame(env, rgb), who, step_status(0, 0.0))
    done = False
    while not done and len(ep.actions) < MAX_STEPS:
        action = choose(obs, mask, len(ep.actions))
        if action is None:
            break
        obs, reward, terminated, truncated, info = env.step(int(action))
        mask = info.get("action_mask") if mask is not None else None
        ep.actions.append(int(action))
        ep.rewards.append(float(reward))
        i = len(ep.actions) - 1
        if expected_rewards is not None and not math.isclose(float(reward), float(expected_rewards[i]), abs_tol=1e-6):
            raise RltuiError(f"{label} does not replay: step {i + 1} gives reward {reward:g}, the kept episode "
                             f"had {expected_rewards[i]:g} (the env changed since it was played)")
        done = bool(terminated or truncated)
        yield with_caption(env_frame(env, rgb), who, step_status(len(ep.actions), ep.ret, done))


def _agent_chooser(agent: Agent) -> Callable[[Any, Any, int], int]:
    def choose(obs: Any, mask: Any, _i: int) -> int:
        return int(agent.act(obs, False, mask) if mask is not None else agent.act(obs, False))

    return choose


def _replay_chooser(actions: Sequence[int]) -> Callable[[Any, Any, int], int | None]:
    return lambda _obs, _mask, i: int(actions[i]) if i < len(actions) else None


def agent_env(agent: Agent, env_name: str, style: FrameStyle = "board",
              env_overrides: dict[str, Any] | None = None) -> tuple[Any, bool]:
    """The agent's evaluation env with frames (rgb_array where they come from the renderer), and whether
    frames are rgb."""
    entry = get_entry(env_name)
    env = build_eval_env(agent, entry.name, None, env_overrides)
    rgb = wants_rgb(entry.kind, style, env)
    if rgb:
        env.close()
        env = build_eval_env(agent, entry.name, "rgb_array", env_overrides)
    return env, rgb


def record_agent(agent: Agent, env_name: str, path: str | os.PathLike[str], *, episodes: int = 1, seed: int = 0,
                 fps: float = 8.0, style: FrameStyle = "board", label: str = "agent",
                 env_overrides: dict[str, Any] | None = None) -> tuple[Path, list[EpisodeFrames]]:
    """Greedy episodes on seeds ``seed``, ``seed+1``, … into one video; returns it and the episodes
    (without their frames: they went to the file)."""
    if episodes < 1:
        raise RltuiError(f"episodes must be at least 1, not {episodes}")
    env, rgb = agent_env(agent, env_name, style, env_overrides)
    played: list[EpisodeFrames] = []
    try:
        with VideoWriter(path, fps) as video:
            for i in range(episodes):
                agent.reset_episode(0)
                ep = EpisodeFrames(seed + i)
                for frame in _play(env, ep, _agent_chooser(agent), f"{label} · seed {seed + i}", rgb):
                    video.append(frame)
                played.append(ep)
        return video.path, played
    finally:
        env.close()


def record_human(env_name: str, seed: int, actions: Sequence[int], path: str | os.PathLike[str], *,
                 rewards: Sequence[float] | None = None, fps: float = 8.0, style: FrameStyle = "board",
                 label: str = "you", make: Callable[[str | None], Any] | None = None) -> tuple[Path, EpisodeFrames]:
    """A kept episode replayed from ``seed`` and ``actions`` (rewards checked when given) into a video.

    ``make(render_mode)`` builds the env to replay in (a watched agent's evaluation env); by default the
    env a person plays."""
    entry = get_entry(env_name)
    make = make or (lambda mode: make_env(entry.name, render_mode=mode))
    env = make(None)
    rgb = wants_rgb(entry.kind, style, env)
    if rgb:
        env.close()
        env = make("rgb_array")
    try:
        ep = EpisodeFrames(int(seed))
        with VideoWriter(path, fps) as video:
            for frame in _play(env, ep, _replay_chooser(actions), label, rgb, rewards, label=label):
                video.append(frame)
        if len(ep.actions) != len(actions):
            raise RltuiError(f"{label} ends after {len(ep.actions)} steps on {entry.name} but kept {len(actions)} "
                             "(the env changed since it was played)")
        return video.path, ep
    finally:
        env.close()


def default_video_path(folder: str | os.PathLike[str], env_name: str, seed: int, suffix: str = ".gif") -> Path:
    """``FOLDER/<env>-seed<seed>-<date-time>.gif``, the folder created: where the app's save key writes."""
    import time

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{get_entry(env_name).name}-seed{seed}-{time.strftime('%Y%m%d-%H%M%S')}{suffix}"


@dataclass(frozen=True)
class CompareSide:
    """One side of a side-by-side video: who, and how it plays (an agent, or a kept episode's actions)."""

    who: str
    agent: Agent | None = None
    actions: Sequence[int] | None = None
    rewards: Sequence[float] | None = None


def record_compare(env_name: str, seeds: Sequence[int], sides: Sequence[Sequence[CompareSide]],
                   path: str | os.PathLike[str], *, fps: float = 8.0, style: FrameStyle = "board",
                   env_overrides: dict[str, Any] | None = None) -> tuple[Path, list[tuple[float, ...]]]:
    """One video of a comparison: for each seed, its sides next to each other (a person left, the agent
    right), each frame captioned with that side's step and return; a side that finished first holds
    its last frame. ``sides[i]`` are seed ``seeds[i]``'s sides. Returns the path and each seed's returns."""
    entry = get_entry(env_name)
    results: list[tuple[float, ...]] = []
    envs: list[Any] = []
    try:
        with VideoWriter(path, fps) as video:
            for seed, round_sides in zip(seeds, sides):
                players = []
                eps: list[EpisodeFrames] = []
                for side in round_sides:
                    if side.agent is not None:
                        env, rgb = agent_env(side.agent, entry.name, style, env_overrides)
                        side.agent.reset_episode(0)
                        chooser = _agent_chooser(side.agent)
                        expected = None
                    else:
                        env = make_env(entry.name)
                        rgb = wants_rgb(entry.kind, style, env)
                        if rgb:
                            env.close()
                            env = make_env(entry.name, render_mode="rgb_array")
                        chooser, expected = _replay_chooser(side.actions or []), side.rewards
                    envs.append(env)
                    eps.append(EpisodeFrames(int(seed)))
                    players.append(_play(env, eps[-1], chooser, f"{side.who} · seed {seed}", rgb, expected,
                                         label=f"{side.who}'s episode on seed {seed}"))
                last: list[np.ndarray | None] = [None] * len(players)
                live = [True] * len(players)
                while any(live):
                    for k, gen in enumerate(players):
                        if live[k]:
                            try:
                                last[k] = next(gen)
                            except StopIteration:
                                live[k] = False
                    if any(live):
                        video.append(side_by_side([f for f in last if f is not None]))
                results.append(tuple(e.ret for e in eps))
                for env in envs:
                    env.close()
                envs.clear()
        return video.path, results
    finally:
        for env in envs:
            env.close()


def record_kept_comparison(comparison: dict[str, Any], human_rewards: Callable[[int], Sequence[float] | None],
                           path: str | os.PathLike[str], *, fps: float = 8.0,
                           style: FrameStyle = "board") -> tuple[Path, list[tuple[float, ...]]]:
    """A comparison kept in the store (``RunStore.get_comparison``) as one side-by-side video, both sides
    replayed from their kept actions: the person's with its kept rewards checked, the agent's against its
    kept return. Only where the agent stepped once per frame (no frame skipping), as a person does."""
    from rltui.training.demos import DEMO_FAMILIES

    entry = get_entry(comparison["env"])
    if entry.family not in DEMO_FAMILIES:
        raise RltuiError(f"{entry.name}: the agent played with frame skipping, so its kept actions do not replay "
                         "frame by frame; record a new match instead (rltui compare ENV --agent CKPT --record OUT)")
    seeds: list[int] = []
    sides: list[list[CompareSide]] = []
    kept_agent: list[float | None] = []
    for r in comparison["rounds_detail"]:
        pair = [CompareSide(f"agent {comparison['agent']}", actions=r["agent_actions"])]
        if r["human_actions"]:
            rewards = human_rewards(r["human_episode_id"]) if r["human_episode_id"] is not None else None
            pair.insert(0, CompareSide("you", actions=r["human_actions"], rewards=rewards))
        seeds.append(int(r["seed"]))
        sides.append(pair)
        kept_agent.append(r["agent_return"])
    if not seeds:
        raise RltuiError(f"comparison {comparison['id']} has no rounds to record")
    out, returns = record_compare(entry.name, seeds, sides, path, fps=fps, style=style)
    for seed, got, kept in zip(seeds, returns, kept_agent):
        if kept is not None and not math.isclose(got[-1], float(kept), abs_tol=1e-6):
            out.unlink(missing_ok=True)
            raise RltuiError(f"the agent's kept actions on seed {seed} replay to return {got[-1]:g}, not the kept "
                             f"{float(kept):g} (it played with other env options, or the env changed)")
    return out, returns
