"""Compare: you and an agent on the same seeds, side by side, with a results table that is kept.

Turn-based envs run in lockstep: each of your moves is followed by one agent move, both boards on
screen. Real-time envs run two clocks, yours (keys, and the pygame window when there is a display)
and the agent's greedy rollout beside it. The rules live in :class:`rltui.play.compare.Match`; this
screen only draws it and passes keys. When every seed is played the comparison is kept in the run
store (leaving early keeps the finished rounds).
"""

from __future__ import annotations

import logging

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Input, Label, Static

from rltui.agents.base import Agent
from rltui.envs import get_entry
from rltui.play.board import Board
from rltui.play.compare import Match, parse_seeds
from rltui.play.keymaps import KeyMap
from rltui.play.realtime import GameLoop, LoopFrame, frame_of
from rltui.tui.messages import Latest, Throttle
from rltui.tui.screens.play import _num
from rltui.tui.widgets.board import BoardView
from rltui.tui.widgets.compare_results import ResultsPanel
from rltui.tui.widgets.footer import Footer
from rltui.tui.widgets.frame import FrameView

log = logging.getLogger(__name__)

class SideUpdate(Latest):
    """A frame from one side's game loop; ``payload`` is ``(side, LoopFrame)``."""

    def can_replace(self, message) -> bool:
        return type(message) is type(self) and message.payload[0] == self.payload[0]


class CompareScreen(Screen):
    """Set up (agent checkpoint + seeds), then play the rounds. ``agent`` skips the checkpoint field."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
    ]

    def __init__(self, env_name: str, *, checkpoint: str | None = None, seeds: str | None = None,
                 agent: Agent | None = None, agent_label: str = "") -> None:
        super().__init__()
        self.entry = get_entry(env_name)
        self.keymap = KeyMap.for_env(self.entry)
        self.checkpoint = checkpoint
        self.seeds_text = seeds or "0-4"
        self.agent = agent
        self.agent_label = agent_label
        self.match: Match | None = None
        self.saved_id: int | None = None
        self.loops: dict[str, GameLoop] = {}
        self.realtime = not self.entry.turn_based
        self.message = ""
        self._offered_next = False  # whether the footer offers ctrl+n now
        for binding in self.entry.keys:
            self._bindings.bind(",".join(binding.keys), f"act({binding.action})", binding.label, show=False)
        self._bindings.bind("ctrl+n", "next_round", "Next seed", show=True)

    # ---- layout -----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="compare-setup"):
            yield Label(f"You vs an agent on {self.entry.title}: the same seeds, one episode each.")
            if self.agent is None:
                yield Label("Agent checkpoint (.npz / .pt):")
                yield Input(self.checkpoint or self._latest_checkpoint(), id="compare-agent")
            else:
                yield Label(f"Agent: {self.agent_label or self.agent.algo}")
            yield Label("Seeds (e.g. 0-4 or 3,7,11):")
            yield Input(self.seeds_text, id="compare-seeds")
            yield Static("enter to start · esc back", id="compare-setup-help")
        with Horizontal(id="compare-boards"):
            with Vertical(classes="compare-side"):
                yield Static("you", classes="compare-title", id="you-title")
                yield self._view("you")
            with Vertical(classes="compare-side"):
                yield Static("agent", classes="compare-title", id="agent-title")
                yield self._view("agent")
        yield ResultsPanel(id="compare-results")
        yield Static(Text.assemble(("keys ", "bold"), self.keymap.help_line()), id="keybar")
        yield Footer()

    def _view(self, side: str):
        if self.entry.kind == "grid":
            return BoardView(id=f"{side}-board")
        return FrameView("waiting for the first seed", id=f"{side}-frame").with_aspect(self.entry)

    def _latest_checkpoint(self) -> str:
        """The newest checkpoint of a run on this env: the likeliest agent to face."""
        try:
            for run in self.app.store.list_runs(limit=50, env=self.entry.name):
                path = self.app.store.latest_checkpoint(run["id"])
                if path:
                    return path
        except Exception:  # noqa: BLE001 - an unreadable store only means no suggestion
            log.warning("no checkpoint to suggest: the run store could not be read", exc_info=True)
        return ""

    def on_mount(self) -> None:
        self.sub_title = f"compare · {self.entry.title}"
        self.query_one("#compare-boards").display = False
        self.query_one("#compare-results").display = False
        first = self.query_one("#compare-agent" if self.agent is None else "#compare-seeds", Input)
        self.set_focus(first)
        if self.checkpoint and self.seeds_text and self.agent is None:
            self.call_after_refresh(self.start)

    # ---- setup ------------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "compare-agent":
            if not event.input.value.strip():  # say what is missing now, not after the seeds' enter
                self.query_one("#compare-setup-help", Static).update(
                    Text("give the agent's checkpoint (train one first: t on the Pick screen)", style="bold #ff6b6b"))
                return
            self.set_focus(self.query_one("#compare-seeds", Input))
        else:
            self.start()

    def start(self) -> None:
        """Load the agent, parse the seeds and begin the first round; problems are shown, not raised."""
        try:
            seeds = parse_seeds(self.query_one("#compare-seeds", Input).value)
            agent, label = self.agent, self.agent_label
            if agent is None:
                from pathlib import Path

                from rltui.training.checkpoints import load_checkpoint

                path = self.query_one("#compare-agent", Input).value.strip()
                if not path:
                    raise ValueError("give the agent's checkpoint (train one first: t on the Pick screen)")
                agent, header = load_checkpoint(path, expected_env=self.entry.name)
                self.checkpoint, label = path, f"{header['algo']} · {Path(path).name}"
            self.agent_label = label or agent.algo
            self.match = Match(self.entry.name, agent, seeds, human_render=self.entry.kind == "pixels")
        except Exception as exc:  # noqa: BLE001 - a bad path or seed list is a message
            self.query_one("#compare-setup-help", Static).update(Text(f"{exc}", style="bold #ff6b6b"))
            return
        self.query_one("#compare-setup").display = False
        self.query_one("#compare-boards").display = True
        self.query_one("#compare-results").display = True
        self.focus()
        self._next_round()

    # ---- rounds -----------------------------------------------------------------------------------
    def _next_round(self) -> None:
        assert self.match is not None
        self._stop_loops()
        if not self.match.next_round(start=not self.realtime):
            self._finish()
            return
        self.message = ""
        if self.realtime:
            self._start_loops()
        self._draw()

    def _start_loops(self) -> None:
        assert self.match is not None
        fps = self.entry.fps
        for side, session, policy, on_start in (
            ("you", self.match.human, None, None),
            ("agent", self.match.agent_session, self.match.policy, self.match.on_agent_start),
        ):
            post = Throttle(20, lambda f, side=side: self.post_message(SideUpdate((side, f))))
            loop = GameLoop(session, fps, on_step=lambda f, post=post: post(f, force=f.done), policy=policy,
                            on_episode_start=on_start, max_episodes=1)
            self.loops[side] = loop
            loop.start()

    def _stop_loops(self) -> None:
        for loop in self.loops.values():
            loop.stop()
        self.loops.clear()

    def on_side_update(self, message: SideUpdate) -> None:
        side, frame = message.payload
        self._show(side, frame)
        if self.match is not None and self.match.round_over:
            self.match.record()
            if self.match.index + 1 >= len(self.match.seeds):
                self._finish()
            else:
                self._draw_results()

    def _finish(self) -> None:
        self._save()
        self.message = "all seeds played — esc to go back"
        self._draw_results()

    def _save(self) -> None:
        """Keep the finished rounds (once); a failure to keep them is shown, never fatal."""
        if self.match is None or self.saved_id is not None or not any(r.complete for r in self.match.rounds):
            return
        try:
            self.saved_id = self.match.save(self.app.store, self.agent_label, self.checkpoint)
            self.notify(f"kept as comparison {self.saved_id} (rltui compare --history)", timeout=4)
        except Exception as exc:  # noqa: BLE001
            self.notify(f"could not keep the comparison: {exc}", severity="error", timeout=8)

    # ---- drawing ----------------------------------------------------------------------------------
    def _show(self, side: str, frame: LoopFrame) -> None:
        if isinstance(frame.view, Board):
            self.query_one(f"#{side}-board", BoardView).board = frame.view
        elif frame.view is not None:
            self.query_one(f"#{side}-frame", FrameView).show(frame.view)
        title = "you" if side == "you" else "agent"
        self.query_one(f"#{side}-title", Static).update(
            Text.assemble((title, "bold"), f"  return {_num(frame.ret)} · step {frame.step}",
                          ("  done" if frame.done else "", "dim")))

    def _draw(self) -> None:
        if self.match is None or self.match.human is None:
            return
        if not self.realtime:
            self._show("you", frame_of(self.match.human))
            self._show("agent", frame_of(self.match.agent_session))
        self._draw_results()

    def _draw_results(self) -> None:
        if self._can_go_on() != self._offered_next:  # ctrl+n comes and goes with the round's state; the
            self._offered_next = not self._offered_next  # footer recomposes on each refresh, so only then
            self.refresh_bindings()
        if self.match is None:
            return
        where = f"round {self.match.index + 1}/{len(self.match.seeds)} · seed {self.match.seed}"
        notes = [(f"{where} · agent {self.agent_label}", where)]
        if self.match.round_over and not self.message:
            notes.append(("round over — ctrl+n (or any move) for the next seed", "round over — ctrl+n: next seed"))
        if self.message:
            notes.append((self.message,))
        played = self.match.rounds[: self.match.index + 1]
        self.query_one("#compare-results", ResultsPanel).show(played, self.match.summary(), notes)

    # ---- keys -------------------------------------------------------------------------------------
    def action_act(self, action: int) -> None:
        if self.match is None or self.match.human is None:
            return
        if self.match.round_over:
            self._next_round()
            return
        if self.realtime:
            loop = self.loops.get("you")
            if loop is not None:
                loop.press(action)
            return
        if self.match.human.done:
            return
        self.match.human_step(action)
        if self.match.human.done:
            self.match.finish_agent()  # the agent plays out its episode: both results are final
        self._draw()
        if self.match.round_over and self.match.index + 1 >= len(self.match.seeds):
            self._finish()

    def _can_go_on(self) -> bool:
        """A next seed exists and the round in hand is over (or not begun)."""
        m = self.match
        return m is not None and (m.round_over or m.human is None) and m.index + 1 < len(m.seeds)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """The footer offers ctrl+n only when it does something: not on the setup form, not mid-round."""
        return self._can_go_on() if action == "next_round" else True

    def action_next_round(self) -> None:
        if self.match is not None and (self.match.round_over or self.match.human is None):
            self._next_round()

    def action_back(self) -> None:
        self._save()
        self.app.pop_screen()

    def on_unmount(self) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        self._stop_loops()
        if self.match is not None:
            self.match.close()

    HELP = """\
# Compare: you vs an agent

Give the agent's checkpoint and the seeds, then play one episode per seed. The agent plays the same
seed: on grid worlds it moves once after each of your moves (both boards visible); real-time games
run your episode and the agent's side by side. The table shows each seed's returns and the winner;
when all seeds are played (or when you leave) the comparison is kept in the run store — list them
with `rltui compare --history`.

- game keys as in Play · **ctrl+n** next seed (any move works too when a round is over)
- **esc** back (keeps the finished rounds) · **?** this help
"""

