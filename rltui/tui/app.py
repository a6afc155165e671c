"""The rltui app: Pick → Play / Train / Runs, over one run store.

Screens hold no game or training logic: they drive :mod:`rltui.play` and :mod:`rltui.training`, the
same code the CLI uses. The Pick screen is always at the bottom of the stack; the other screens are
opened over it (and a watch over the Train screen, so training goes on while you watch).
"""

from __future__ import annotations

import gc
import logging
import os
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding

from rltui.play.session import EpisodeRecord
from rltui.tui import textual_fixes
from rltui.tui.key_order import KeyOrder
from rltui.tui.prefs import Prefs

log = logging.getLogger(__name__)

CSS_FILE = Path(__file__).with_name("app.tcss")


def resolve_data_dir(override: str | os.PathLike | None) -> Path:
    """The data dir the headless commands use too (flag, then $RLTUI_DATA, then the user data dir)."""
    from rltui.training.paths import data_dir

    return Path(data_dir(str(override) if override is not None else None))


def _load_agent_modules() -> None:
    """Import every agent module (torch for the deep ones) in the background, once the app is up.

    The Train form needs an algorithm's hyperparameter schema when it opens, and the deep agents'
    modules import torch: 1.5 s that would otherwise freeze the screen the first time Train opens.
    """
    import gymnasium as gym
    import numpy as np

    from rltui.agents import ALGORITHMS, make_agent
    from rltui.training.presets import hparams_schema

    for algo in ALGORITHMS:
        try:
            hparams_schema(algo)
        except Exception:  # noqa: BLE001 - the form reports a broken algorithm when it is picked
            log.warning("warming up %s's hyperparameter schema failed", algo, exc_info=True)
    # The first deep agent built in a process pulls in ~800 more torch modules (1.4 s): build a tiny
    # one now, so that watching a run or its final agent never waits for that. (Tabular algorithms
    # refuse a Box space; that is fine here.)
    space = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
    for algo in ALGORITHMS:
        try:
            make_agent(algo, space, gym.spaces.Discrete(2), {"buffer_size": 1000}, device="cpu")
        except Exception:  # noqa: BLE001 - tabular algorithms refuse the Box space; others show it when used
            log.debug("warming up a %s agent failed", algo, exc_info=True)
    # Everything loaded so far (Textual, numpy, gymnasium, torch: ~10^6 objects) lives as long as the
    # app. Moved out of the collector's sight, it no longer makes each full collection take 40-170 ms,
    # pauses that landed on key presses while a run streamed its episodes in.
    gc.freeze()


def _checkpoint_env(path: str | None) -> str | None:
    """The env a checkpoint was trained on (for the Pick screen under a watch), or None if unreadable."""
    if not path:
        return None
    try:
        from rltui.training.checkpoints import read_header

        return str(read_header(path)["env"])
    except Exception:  # noqa: BLE001 - the watch screen reports a bad checkpoint itself
        return None


class RltuiApp(KeyOrder, App):
    """The app. ``start`` opens a screen directly: ``("play", env)`` or ``("train", env)``."""

    CSS_PATH = CSS_FILE
    TITLE = "rltui"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, show=False),
        Binding("ctrl+c", "quit", "Quit", priority=True, show=False),
    ]

    def __init__(self, data_dir: str | os.PathLike | None = None, *, start: tuple[str, str] | None = None,
                 play_seed: int | None = None, watch: dict[str, Any] | None = None,
                 compare: dict[str, Any] | None = None, play_realtime: bool | None = None) -> None:
        super().__init__()
        textual_fixes.install()  # before anything is drawn (see the module for the leak it stops)
        self.data_dir = resolve_data_dir(data_dir)
        self.prefs = Prefs(self.data_dir)
        self._store = None
        self._start = start
        self._play_seed = play_seed
        self._play_realtime = play_realtime  # None: the env's own turn-based/real-time choice
        self._watch = watch
        self._compare = compare

    # ---- services for the screens -----------------------------------------------------------------
    @property
    def store(self):
        """The run store, opened on first use (the UI thread owns this connection)."""
        if self._store is None:
            from rltui.training.store import RunStore

            self._store = RunStore.open(self.data_dir)
        return self._store

    def store_human_episode(self, record: EpisodeRecord) -> int:
        return self.store.add_human_episode(record.env, record.seed, list(record.actions), list(record.rewards))

    # ---- navigation -------------------------------------------------------------------------------
    def on_mount(self) -> None:
        from rltui.tui.screens.pick import PickScreen

        highlight = self._start[1] if self._start is not None else None
        if self._start is not None and self._start[0] == "watch" and self._watch is not None:
            highlight = self._watch.get("env") or _checkpoint_env(self._watch.get("checkpoint"))
        self.push_screen(PickScreen(highlight=highlight))
        self.run_worker(_load_agent_modules, thread=True, group="warm-up", exit_on_error=False)
        if self._start is not None:
            kind, env = self._start
            if kind == "play":
                self.open_play(env, seed=self._play_seed, realtime=self._play_realtime)
            elif kind == "train":
                self.open_train(env)
            elif kind == "explain":
                self.open_explain(env)
            elif kind == "compare":
                self.open_compare(env, **(self._compare or {}))
            elif kind == "watch" and self._watch is not None:
                self.open_watch_checkpoint(**self._watch)

    def _open(self, screen) -> None:
        """Open ``screen`` over the current one, so esc comes back here (Play → t → esc is Play again).
        A screen of the same kind already open is closed first, with what was opened from it, so the
        stack never holds two of a kind."""
        for i, open_screen in enumerate(self.screen_stack):
            if i > 1 and type(open_screen) is type(screen):
                while len(self.screen_stack) > i:
                    self.pop_screen()
                break
        self.push_screen(screen)

    def open_play(self, env: str, seed: int | None = None, realtime: bool | None = None) -> None:
        from rltui.tui.screens.play import PlayScreen

        self._open(PlayScreen(env, seed, realtime=realtime))

    def open_train(self, env: str, **options: Any) -> None:
        from rltui.tui.screens.train import TrainScreen

        if "algo" not in options and "agent" not in options:
            options["algo"] = (self.prefs.get("algo") or {}).get(env)  # the last choice for this env
        self._open(TrainScreen(env, **options))

    def open_compare(self, env: str, **options: Any) -> None:
        """You vs an agent (``checkpoint``/``seeds``, or ``agent`` + ``agent_label`` from a live run)."""
        from rltui.tui.screens.compare import CompareScreen

        self._open(CompareScreen(env, **options))

    def open_explain(self, env: str, mode: str = "q") -> None:
        """Tabular learning one update at a time (``mode``: q, sarsa, expected, vi)."""
        from rltui.tui.screens.explain import ExplainScreen

        self.push_screen(ExplainScreen(env, mode))

    def open_sweep(self, env: str, algo: str | None = None) -> None:
        """Many seeds (a grid or a search) of ``env`` and ``algo`` as a Ray Tune sweep."""
        from rltui.tui.screens.sweep import SweepScreen

        self._open(SweepScreen(env, algo))

    def open_runs(self) -> None:
        from rltui.tui.screens.runs import RunsScreen

        self._open(RunsScreen())

    def open_watch_checkpoint(self, checkpoint: str, episodes: int | None = None, seed: int | None = None,
                              env: str | None = None, trust: bool = False,
                              renderer: str | None = None) -> None:
        """Watch a saved agent play (from the Runs screen or ``rltui play --agent``)."""
        from rltui.tui.screens.watch import watch_checkpoint_screen

        try:
            screen = watch_checkpoint_screen(checkpoint, episodes=episodes, seed=seed, env=env, trust=trust,
                                             renderer=renderer)
        except Exception as exc:  # noqa: BLE001 - a bad checkpoint is a message
            self.notify(f"cannot watch: {exc}", severity="error", timeout=8)
            return
        self.push_screen(screen)

    def action_help(self) -> None:
        from rltui.tui.screens.help import HelpScreen

        text = getattr(self.screen, "HELP", "") or "No help for this screen."
        self.push_screen(HelpScreen(text))

    # ---- quitting ---------------------------------------------------------------------------------
    async def action_quit(self) -> None:
        """Stop training first (saving what was learned), then leave."""
        for screen in self.screen_stack:
            stop = getattr(screen, "stop_for_exit", None)
            if stop is not None:
                await stop()
            shutdown = getattr(screen, "shutdown", None)
            if shutdown is not None:
                shutdown()
        self.exit(0)


def run_app(data_dir: str | None = None, **options: Any) -> int:
    """Run the app in this terminal; the exit code for the CLI (a bad data dir is a one-line error)."""
    result = RltuiApp(data_dir, **options).run()
    return int(result or 0)
