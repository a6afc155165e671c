"""Explain a deep agent: DQN's replay batch and target network, DRQN's memory, between training steps.

The face of :class:`rltui.training.deep_explain.DeepExplainer`. Steps run in a worker thread (a hundred
DQN steps take a moment); the panels repaint when a chunk is done.
"""

from __future__ import annotations

from dataclasses import replace

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from rltui.envs import get_entry
from rltui.play.board import board_of
from rltui.tui.messages import Latest
from rltui.tui.widgets.board import BoardView
from rltui.tui.widgets.footer import Footer

_BARS = " ▁▂▃▄▅▆▇█"


class Stepped(Latest):
    """A chunk of steps is done (payload: error text or None)."""


def sparkline(values: list[float], lo: float, hi: float, width: int) -> str:
    values = values[-width:]
    if hi - lo < 1e-9:
        return "▄" * len(values)
    return "".join(_BARS[max(0, min(8, round((v - lo) / (hi - lo) * 8)))] for v in values)


class DeepExplainScreen(Screen):
    """Train ``algo`` (dqn or drqn) on ``env_name`` step by step and look inside."""

    BINDINGS = [
        Binding("right,l", "steps(1)", "Step", key_display="→"),
        Binding("n", "steps(100)", "+100"),
        Binding("N", "steps(1000)", "+1000"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("escape", "leave", "Back"),
    ]

    HELP = """\
# Inside a deep agent

Training runs a few steps at a time (**→** one, **n** a hundred, **N** a thousand) and the panel opens
the agent up in between.

**DQN** learns from a **replay batch**: transitions sampled at random from the last tens of thousands.
For a few of them the panel shows Q(s,a) from the online network, the **target** r + γ^m·Q′(s′,a*)
(a* chosen by the online network, valued by the target network: double DQN; m steps of reward:
n-step returns) and the TD error the update shrinks. The **target network** is a copy refreshed every
few hundred updates, so the targets stand still between copies: the panel counts the updates since
the last copy and shows both networks' Q on the current state. ε falls on its schedule.

**DRQN** carries an LSTM memory from step to step. On GridWorldPartial it sees only the 3×3 around
it: the panel shows that view beside the whole board, Q with its memory against Q for the same view
with the memory wiped, and both over the episode: the gap is what it remembers (a goal it saw and
walked away from).
"""

    def __init__(self, env_name: str, algo: str | None = None, seed: int = 0) -> None:
        super().__init__()
        self.entry = get_entry(env_name)
        deep = [a for a in self.entry.algos if a in ("dqn", "drqn")]
        self.algo = algo if algo in deep else (deep[0] if deep else "dqn")
        self.seed = seed
        self.explainer = None
        self.busy = False
        self.error = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="deep"):
            if self.entry.kind == "grid":
                with Vertical(id="deep-boards"):
                    yield BoardView(id="deep-sees")
                    yield BoardView(id="deep-full")
            with VerticalScroll(id="deep-text"):
                yield Static(id="deep-panel")
        yield Footer()

    def on_mount(self) -> None:
        self.focus()
        self.sub_title = f"inside {self.algo.upper()} · {self.entry.title}"
        self.query_one("#deep-panel", Static).update(Text("building the agent…", style="dim"))
        self._run(0)

    def action_steps(self, n: int) -> None:
        if self.busy:
            self.notify("still training the last steps…", timeout=2)
            return
        self._run(n)

    @work(thread=True, exclusive=True, group="deep", exit_on_error=False)
    def _run(self, n: int) -> None:
        self.busy = True
        try:
            if self.explainer is None:
                from rltui.training.deep_explain import DeepExplainer

                self.explainer = DeepExplainer(self.entry.name, self.algo, seed=self.seed)
            self.explainer.step(n)
            self.post_message(Stepped(None))
        except Exception as exc:  # noqa: BLE001 - shown on the screen
            self.post_message(Stepped(str(exc)))
        finally:
            self.busy = False

    def on_stepped(self, message: Stepped) -> None:
        panel = self.query_one("#deep-panel", Static)
        if message.payload:
            panel.update(Text(message.payload, style="bold red"))
            return
        ex = self.explainer
        view = ex.view()
        if self.entry.kind == "grid":
            sees, full = board_of(ex.env), board_of(ex.env, reveal=True)
            if sees is not None and full is not None:
                self.query_one("#deep-sees", BoardView).board = replace(sees, caption="what it sees", short=())
                self.query_one("#deep-full", BoardView).board = replace(full, caption="the whole board", short=())
        panel.update(self._dqn_text(view) if view.algo == "dqn" else self._drqn_text(view))

    def _head(self, view) -> Text:
        text = Text.assemble((f"{view.algo.upper()} on {self.entry.name}", "bold"),
                             f" · step {view.steps:,} · episode {view.episode}"
                             f" (return so far {view.episode_return:g})\n")
        text.append(f"ε {view.epsilon:.3f} ({view.eps_schedule}) · updates {view.updates:,}")
        text.append(f" · loss {view.loss:.4g}\n" if view.loss is not None else " · no update yet (replay filling)\n")
        return text

    def _act_name(self, a: int) -> str:
        names = self.entry.action_names
        return names[a] if a < len(names) else f"a{a}"

    def _qs(self, values: list[float]) -> str:
        return "  ".join(f"{self._act_name(a)} {v:.3g}" for a, v in enumerate(values))

    def _dqn_text(self, view) -> Table:
        out = Table.grid()
        head = self._head(view)
        head.append(f"target network: copied every {view.target_every} updates; "
                    f"{view.since_copy} since the last copy\n")
        if view.online_q:
            head.append(f"  this state, online Q: {self._qs(view.online_q)}\n")
            head.append(f"  this state, target Q: {self._qs(view.target_q)}\n")
        out.add_row(head)
        if not view.batch:
            out.add_row(Text("The first update comes once the replay holds enough steps (learning_starts): "
                             "press n or N.", style="dim"))
            return out
        batch = Table(title="the last update's batch (a few rows), valued now", title_justify="left", box=None,
                      padding=(0, 1))
        for column in ("s", "a", "r", "γ^m", "Q(s,a)", "target", "TD err"):
            batch.add_column(column, justify="left" if column == "s" else "right", no_wrap=True)
        for row in view.batch:
            batch.add_row(row.obs, self._act_name(row.action), f"{row.reward:.3g}", f"{row.discount:.3g}",
                          f"{row.q_sa:.3g}", f"{row.target:.3g}", f"{row.td_error:+.3g}")
        out.add_row(batch)
        return out

    def _drqn_text(self, view) -> Text:
        text = self._head(view)
        if not view.memory_q:
            text.append("press → to take a step", style="dim")
            return text
        best = max(range(len(view.memory_q)), key=view.memory_q.__getitem__)
        text.append(f"Q with its memory:      {self._qs(view.memory_q)}  (acts: {self._act_name(best)})\n")
        text.append(f"same view, memory wiped: {self._qs(view.fresh_q)}\n")
        gap = max(view.memory_q) - max(view.fresh_q)
        text.append(f"what the memory adds to the best value: {gap:+.3g}\n\n")
        if view.memory_trace:
            with_mem = [a for a, _ in view.memory_trace]
            without = [b for _, b in view.memory_trace]
            lo, hi = min(with_mem + without), max(with_mem + without)
            width = 40
            text.append(f"this episode, best value per step (scale {lo:.3g} … {hi:.3g}):\n")
            text.append(f"  with memory    {sparkline(with_mem, lo, hi, width)}\n", style="#4dabf7")
            text.append(f"  memory wiped   {sparkline(without, lo, hi, width)}\n", style="#ff922b")
        return text

    def action_leave(self) -> None:
        self.workers.cancel_group(self, "deep")
        if self.explainer is not None and not self.busy:
            self.explainer.close()
        self.app.pop_screen()
