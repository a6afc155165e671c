"""Play: a person at the keyboard (or an agent, when watching) on one environment.

Turn-based envs step on the UI thread, once per key press: a step is microseconds. Real-time envs and
watched agents run on a :class:`rltui.play.realtime.GameLoop` thread that posts merged frames here.
Pixel envs also open the pygame window (its own process) when there is a display, and say why not
when there is none. Every finished human episode goes to the run store with its seed and actions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Static

from rltui.envs import get_entry
from rltui.numbers import num
from rltui.play.board import Board
from rltui.play.keymaps import KeyMap
from rltui.play.realtime import GameLoop, LoopFrame, Policy, default_fps, frame_of
from rltui.play.session import EpisodeRecord, HumanSession
from rltui.play.viewer import Viewer
from rltui.tui.messages import Latest, Throttle
from rltui.tui.widgets.board import BoardView
from rltui.tui.widgets.footer import Footer
from rltui.tui.widgets.frame import FrameView


class LoopUpdate(Latest):
    """The newest frame from the game loop."""


class EpisodeDone(Latest):
    """A finished human episode from the game loop thread, to store on the UI thread."""

    def can_replace(self, message) -> bool:
        return False  # every episode is kept


def _num(value: float | None) -> str:
    return num(value)


class PlayScreen(Screen):
    """Play ``env_name`` yourself, or watch ``policy`` play it (``watch_label`` names the agent)."""

    BINDINGS = [
        Binding("r", "reset", "Reset"),
        Binding("p", "pause", "Pause"),
        Binding("t", "train", "Train it"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("escape", "back", "Back"),
        Binding("g", "save_video", "Save GIF", show=False),
        Binding("m", "switch_mode", "Turn-based/real-time", show=False),
    ]

    def __init__(self, env_name: str, seed: int | None = None, *, policy: Policy | None = None,
                 session: HumanSession | None = None, on_episode_start: Any = None,
                 watch_label: str = "", episodes: int | None = None, fps: float | None = None,
                 replay_env: Any = None, q_table: np.ndarray | None = None, realtime: bool | None = None) -> None:
        """``replay_env(render_mode)`` builds the env the save key replays an episode in (a watched agent's
        evaluation env; default: the env people play); ``q_table`` (states × actions) is drawn on the board."""
        super().__init__()
        self._replay_env = replay_env
        self._q_table = q_table
        self._last_record: EpisodeRecord | None = None
        self.entry = get_entry(env_name)
        self.keymap = KeyMap.for_env(self.entry)
        self.policy = policy
        self.watching = policy is not None
        self.watch_label = watch_label
        self.max_episodes = episodes
        # realtime: a person's choice over the entry's (m switches; rltui play --realtime / --turn-based).
        self.realtime = self.watching or (not self.entry.turn_based if realtime is None else realtime)
        self.fps = fps or default_fps(self.entry)
        self._seed = seed
        self._session_arg = session
        self._on_episode_start = on_episode_start
        self.session: HumanSession | None = None
        self.loop: GameLoop | None = None
        self.viewer: Viewer | None = None
        self.notice = ""
        self.error = ""
        self.last: LoopFrame | None = None
        self.returns: list[float] = []
        self.kept_ids: list[int] = []  # this visit's episodes, as kept in the run store
        if not self.watching:
            for binding in self.entry.keys:
                keys = [k for k in binding.keys if self.keymap.actions.get(k) == binding.action]
                if keys:
                    self._bindings.bind(",".join(keys), f"act({binding.action})", binding.label, show=False)
        else:
            self._bindings.bind("plus,equals_sign", "speed(2)", "Faster", key_display="+")
        if self.entry.kind == "pixels":
            self._bindings.bind("o", "window", "Window")
            self._bindings.bind("minus", "speed(0.5)", "Slower", key_display="-")

    # ---- layout -----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="play"):
            with Vertical(id="play-view"):
                if self.entry.kind == "grid":
                    yield BoardView(id="board")
                else:
                    yield FrameView("starting…", id="frame").with_aspect(self.entry)
            yield Static(id="hud")
        yield Static(self._keybar(), id="keybar")
        yield Footer()

    def _keybar(self) -> Text:
        if self.watching:
            return Text.assemble(("watching ", "bold"), self.watch_label or "the agent")
        return Text.assemble(("keys ", "bold"), self.keymap.help_line())

    def on_mount(self) -> None:
        mode = f"watch {self.watch_label}" if self.watching else "play"
        self.sub_title = f"{mode} · {self.entry.title}"
        self.focus()  # no widget takes keys here: every key reaches the bindings
        try:
            self._start()
        except Exception as exc:  # noqa: BLE001 - a broken env is a message, not a crash
            self.error = f"{type(exc).__name__}: {exc}"
            self._refresh_hud()

    def _start(self) -> None:
        on_end = self._remember if self.watching else self._episode_end
        self.session = self._session_arg or HumanSession(
            self.entry.name, self._seed, render=self.entry.kind == "pixels", on_episode_end=on_end)
        if self._session_arg is not None:
            self.session.on_episode_end = on_end
        if self.entry.kind == "pixels":
            self._open_window()
        if self.realtime:
            post = Throttle(30, lambda f: self.post_message(LoopUpdate(f)))
            self.loop = GameLoop(self.session, self.fps, on_step=lambda f: post(f, force=f.done),
                                 policy=self.policy, viewer=self.viewer, max_episodes=self.max_episodes,
                                 on_episode_start=self._on_episode_start)
            self.loop.on_window_key = self._window_key
            self.loop.start()
        else:
            self.session.reset()
            self._draw(frame_of(self.session))

    # ---- the pygame window ------------------------------------------------------------------------
    def _open_window(self) -> bool:
        self.viewer = Viewer(f"rltui · {self.entry.title}")
        if not self.viewer.start():
            self.notice = f"{self.viewer.error}; the preview here still works"
            self.viewer = None
            return False
        self.notice = "pygame window: keys there are held as long as you hold them; p, r, esc work there too"
        if self.loop is not None:
            self.loop.viewer = self.viewer
        return True

    def _check_window(self) -> None:
        """A window that went away (closed, killed, its display gone) is said, not left as a promise."""
        if self.viewer is not None and self.viewer.lost:
            why = f" ({self.viewer.error})" if self.viewer.error else ""
            if self.loop is not None:
                self.loop.viewer = None
            self.viewer.close()
            self.viewer = None
            self.notice = f"the pygame window is gone{why}; o opens it again, the preview here goes on"
            self._refresh_hud()

    def _window_key(self, key: str) -> None:  # from the game loop's thread
        if key == "escape":
            self.app.call_from_thread(self.action_back)

    def action_window(self) -> None:
        if self.entry.kind != "pixels":
            self.notice = "o: only pixel games have a window"
        elif self.viewer is not None and self.viewer.running:
            self.notice = "the pygame window is open (o reopens it only once it is gone)"
        else:
            self._open_window()
        self._refresh_hud()

    def on_unmount(self) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        """Stop the loop and close the window (the loop thread ends within a second)."""
        if self.loop is not None:
            self.loop.stop()
            self.loop = None
        if self.viewer is not None:
            self.viewer.close()
            self.viewer = None
        if self.session is not None and self._session_arg is None:
            self.session.close()

    # ---- drawing ----------------------------------------------------------------------------------
    def _draw(self, frame: LoopFrame) -> None:
        self.last = frame
        if isinstance(frame.view, Board):
            board = self.query_one("#board", BoardView)
            board.board = frame.view
            if self._q_table is not None and self.session is not None:
                from rltui.play.board import q_overlay

                board.glyphs = self.keymap.glyphs()
                board.overlay = q_overlay(self.session.env, self._q_table)
        elif isinstance(frame.view, (np.ndarray, str)):  # str: text envs and readouts (generic entries)
            self.query_one("#frame", FrameView).show(frame.view)
        self._refresh_hud()

    def on_loop_update(self, message: LoopUpdate) -> None:
        frame: LoopFrame = message.payload
        if frame.done and (self.last is None or not self.last.done or self.last.episode != frame.episode):
            self.returns.append(frame.ret)
        if self.loop is not None and self.loop.error:
            self.error = self.loop.error
        self._check_window()
        self._draw(frame)

    def _refresh_hud(self) -> None:
        hud = Table.grid(padding=(0, 1))
        hud.add_column(style="#868e96", no_wrap=True)
        hud.add_column(no_wrap=True, overflow="ellipsis")
        f = self.last
        if f is not None:
            hud.add_row("episode", str(f.episode))
            hud.add_row("step", str(f.step))
            last = _num(f.last_reward)
            if f.last_action is not None:
                last += f"  ({self.entry.action_names[f.last_action]})"
            hud.add_row("last reward", last)
            hud.add_row("return", _num(f.ret))
            hud.add_row("best return", _num(f.best_return))
            hud.add_row("episodes", str(f.episodes_played))
            if self.session is not None:
                hud.add_row("seed", str(self.session.seed))
            if self.watching and self.returns:
                mean = sum(self.returns) / len(self.returns)
                hud.add_row("mean return", _num(mean if math.isfinite(mean) else None))
        status = self._status(f)
        body = Text()
        if f is not None and f.event:
            body.append(f.event + "\n", style="#e9ecef")
        if status:
            body.append(status + "\n", style="bold #ffd43b")
        if self.error:
            body.append(f"error: {self.error}\n", style="bold #ff6b6b")
        if self.notice:
            body.append(self.notice, style="dim")
        title = Text(self.entry.title, style="bold", overflow="fold")
        self.query_one("#hud", Static).update(Group(title, hud, body))

    def _status(self, f: LoopFrame | None) -> str:
        if f is None:
            return ""
        if self.loop is not None and self.loop.paused:
            return "paused — p to resume"
        if f.done:
            if self.watching:
                if self.max_episodes is not None and f.episodes_played >= self.max_episodes:
                    return f"watched {f.episodes_played} episode(s)"
                return "episode over — next one in a moment"
            return f"episode over (return {_num(f.ret)}) — r or any move for the next"
        return ""

    # ---- human episodes ---------------------------------------------------------------------------
    def _episode_end(self, record: EpisodeRecord) -> None:
        self._last_record = record
        if self.realtime:
            self.post_message(EpisodeDone(record))  # from the loop thread: store it on the UI thread
        else:
            self._store(record)

    def on_episode_done(self, message: EpisodeDone) -> None:
        self._store(message.payload)

    def _remember(self, record: EpisodeRecord) -> None:
        """The last finished episode, for the save key (called from the loop thread when watching)."""
        self._last_record = record

    def _store(self, record: EpisodeRecord) -> None:
        try:
            episode_id = self.app.store_human_episode(record)
        except Exception as exc:  # noqa: BLE001 - losing the record must not stop the game
            self.notice = f"could not save the episode: {exc}"
            return
        # the id is what --demos takes: say it where it is made, and where the list is
        self.kept_ids.append(int(episode_id))
        ids = ", ".join(f"#{i}" for i in self.kept_ids[-3:])
        self.notice = (f"kept as your episode {ids} (all: rltui episodes {self.entry.name}; "
                       f"train from them: --demos {','.join(map(str, self.kept_ids))} or --demos all)")
        self._refresh_hud()

    # ---- actions ----------------------------------------------------------------------------------
    def action_act(self, action: int) -> None:
        if self.session is None:
            return
        if self.loop is not None:
            self.loop.press(action)
            return
        if self.session.done:
            self.session.reset()
        else:
            self.session.step(action)
        self._draw(frame_of(self.session))

    def action_switch_mode(self) -> None:
        """Play again turn-based (one step per key) or in real time (the clock runs, no key = no-op)."""
        if self.watching:
            return
        self.app.open_play(self.entry.name, seed=self._seed, realtime=not self.realtime)

    def action_reset(self) -> None:
        if self.loop is not None:
            self.loop.request_reset()
        elif self.session is not None:
            self.session.reset()
            self._draw(frame_of(self.session))

    def action_pause(self) -> None:
        if self.loop is None:  # said in the HUD: a toast would cover the help or the board
            self.notice = "p: nothing to pause — this game is turn-based and waits for your key"
            self._refresh_hud()
            return
        self.loop.toggle_pause()
        self._refresh_hud()

    def action_speed(self, factor: float) -> None:
        if self.loop is not None:
            self.loop.set_fps(self.loop.fps * factor)
            self.notify(f"{self.loop.fps:g} steps/s", timeout=1.5)

    def action_train(self) -> None:
        self.app.open_train(self.entry.name)

    def action_save_video(self) -> None:
        """Save what was just played (the last finished episode, else the one going on) as a GIF in the
        data dir, replayed from its seed and actions off the UI thread."""
        from rltui.play.session import EpisodeRecord

        record = self._last_record
        if record is None and self.session is not None and self.session.record.actions:
            now = self.session.record
            record = EpisodeRecord(now.env, now.seed, list(now.actions), list(now.rewards))
        if record is None or not record.actions:
            self.notify("nothing played yet: play (or watch) a few steps, then g", timeout=4)
            return
        actions, rewards, seed = list(record.actions), list(record.rewards), record.seed
        label = f"{self.watch_label or 'agent'}" if self.watching else "you"

        def work() -> None:
            from rltui.share.video import default_video_path, record_human

            try:
                path = default_video_path(self.app.data_dir / "videos", self.entry.name, seed)
                out, ep = record_human(self.entry.name, seed, actions, path, rewards=rewards, make=self._replay_env,
                                       label=f"{label} · seed {seed}")
                self.app.call_from_thread(self.notify, f"saved {len(ep.actions)} steps to {out}", timeout=10)
            except Exception as exc:  # noqa: BLE001 - a failed save is a message, never a crash
                self.app.call_from_thread(self.notify, f"could not save the video: {exc}", severity="error",
                                          timeout=10)

        self.notify(f"saving {len(actions)} steps as a GIF…", timeout=3)
        self.run_worker(work, thread=True, exit_on_error=False, name="save-video")

    def action_back(self) -> None:
        self.app.pop_screen()

    @property
    def HELP(self) -> str:  # noqa: N802 - the app reads every screen's HELP
        keys = " · ".join(f"**{'/'.join(b.keys)}** {b.label}" for b in self.entry.keys)
        what = "" if self.watching else f"Keys for {self.entry.title}: {keys}\n"
        return f"# Play {self.entry.title}\n\n{what}{_HELP}"


_HELP = """\
- **r** start a new episode · **p** pause (real-time games) · **t** train an agent on this env
- **o** open the pygame window again (pixel games) once it is gone; in the window, **p**, **r** and **esc**
  work as they do here
- **g** save the last episode as a GIF (in the data dir's videos folder)
- **esc** back · **?** this help · **ctrl+q** quit

Grid worlds wait for you: one key press is one step. Real-time games (CarRacing, Atari) run at their
frame rate: a key press in the terminal holds its action for a moment (terminals never report a key
being released); in the pygame window a key is held for exactly as long as you hold it. Every episode
you finish is saved with its seed and moves, so it can be replayed and compared with an agent.

When watching an agent: **+**/**-** change its speed.
"""
