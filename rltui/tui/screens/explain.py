"""Explain: tabular learning one update at a time, drawn on the board where it happens.

The screen is a face of :class:`rltui.training.explain.Explainer` (the engine of ``rltui explain``): each
key moves one transition forward or back, the board shows the table as it stands (colour: best value,
arrow: greedy action) with the agent on the state that was updated, and the panel writes the update out
with the numbers the agent used. ``a`` switches between Q-learning, SARSA, expected SARSA and, where the
env has a model, value iteration sweep by sweep.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static

from rltui.envs import get_entry
from rltui.play.board import board_of, q_overlay
from rltui.play.keymaps import KeyMap
from rltui.tui.widgets.board import BoardView
from rltui.tui.widgets.footer import Footer

MODES = ("q", "sarsa", "expected", "vi")
_TITLES = {"q": "Q-learning", "sarsa": "SARSA", "expected": "expected SARSA", "vi": "value iteration"}


class ExplainScreen(Screen):
    """Step through ``env_name``'s tabular learning (``mode``: q, sarsa, expected or vi)."""

    BINDINGS = [
        Binding("right,l", "forward(1)", "Step", key_display="→"),
        Binding("left,h", "back(1)", "Back", key_display="←"),
        Binding("n", "forward(10)", "+10"),
        Binding("N", "forward(100)", "+100", show=False),
        Binding("a", "switch", "Algorithm"),
        Binding("v", "versus", "Q vs SARSA"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("escape", "leave", "Back"),
    ]

    HELP = """\
# Explain: one update at a time

Each step is one transition of the environment and the one change it makes to the table:
the action and **why** (greedy, or exploring because a uniform draw fell below ε), the reward,
the **target** (Q-learning: r + γ·max Q(s′,·); SARSA: r + γ·Q(s′,a′) with the action it will really
take next; expected SARSA: the ε-greedy average), the **error** target − Q(s,a), the learning rate
α, and the new Q(s,a). The numbers are the ones the agent used, to the last digit.

- **→/l** one step, **n** ten (**N** a hundred); **←/h** one step back (the table goes back exactly).
- **a** switch algorithm: Q-learning, SARSA, expected SARSA, value iteration (envs with a model).
- **v** Q-learning against SARSA side by side on this env and seed: curves overlaid, greedy paths
  drawn (on CliffWalking: the edge against the safe path).
- On the board, colour is the best value of each cell and the arrow its greedy action; ● is the
  state that was just updated.
- `rltui explain ENV --algo q|sarsa|expected|vi` prints the same, headless.
"""

    def __init__(self, env_name: str, mode: str = "q", seed: int = 0) -> None:
        super().__init__()
        self.entry = get_entry(env_name)
        self.modes = tuple(m for m in MODES if m != "vi" or self.entry.has_model)
        self.mode = mode if mode in self.modes else "q"
        self.seed = seed
        self.explainer = None
        self.trace = None
        self.error = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="explain"):
            yield BoardView(glyphs=KeyMap.for_env(self.entry).glyphs(), id="explain-board")
            with VerticalScroll(id="explain-text"):
                yield Static(id="explain-step")
        yield Footer()

    def on_mount(self) -> None:
        self.focus()
        self._start()

    def _start(self) -> None:
        from rltui.errors import RltuiError
        from rltui.training.explain import Explainer, ValueIterationTrace

        self._close()
        self.error = ""
        try:
            if self.mode == "vi":
                self.trace = ValueIterationTrace(self.entry.name)
            else:
                algo = "q" if self.mode == "q" else "sarsa"
                from rltui.play import narrate

                self.explainer = Explainer(self.entry.name, algo, seed=self.seed,
                                           overrides={"expected": True} if self.mode == "expected" else None,
                                           narrator=(narrate.state_of, narrate.describe_step))
        except RltuiError as exc:
            self.error = str(exc)
        self.sub_title = f"explain {_TITLES[self.mode]} · {self.entry.title}"
        self._paint()

    def _close(self) -> None:
        if self.explainer is not None:
            self.explainer.close()
        self.explainer = self.trace = None

    # ---- keys ---------------------------------------------------------------------------------------
    def action_forward(self, n: int) -> None:
        if self.trace is not None:
            for _ in range(n):
                if self.trace.converged:
                    break
                self.trace.sweep()
        elif self.explainer is not None:
            for _ in range(n):
                self.explainer.forward()
        self._paint()

    def action_back(self, n: int) -> None:
        if self.trace is not None:
            for _ in range(n):
                if len(self.trace.values) > 1:
                    self.trace.values.pop()
                    self.trace.deltas.pop()
        elif self.explainer is not None:
            for _ in range(n):
                self.explainer.back()
        self._paint()

    def action_switch(self) -> None:
        self.mode = self.modes[(self.modes.index(self.mode) + 1) % len(self.modes)]
        self._start()

    def action_versus(self) -> None:
        from rltui.tui.screens.versus import VersusScreen

        if not {"q", "sarsa"} <= set(self.entry.algos):
            self.notify(f"{self.entry.name} has no SARSA preset to race against", severity="warning")
            return
        self.app.push_screen(VersusScreen(self.entry.name, seed=self.seed))

    def action_leave(self) -> None:
        self._close()
        self.app.pop_screen()

    # ---- painting -------------------------------------------------------------------------------------
    def _paint(self) -> None:
        text = self.query_one("#explain-step", Static)
        board = self.query_one("#explain-board", BoardView)
        if self.error:
            text.update(Text(self.error, style="bold red"))
            return
        if self.trace is not None:
            self._paint_vi(board, text)
        elif self.explainer is not None:
            self._paint_step(board, text)

    def _board(self, env, state: int | None, q):
        base = board_of(env)
        if base is None:
            return None, None
        rows, cols = base.shape
        if state is not None and rows * cols == getattr(env.observation_space, "n", -1):
            base = replace(base, agent=divmod(int(state), cols))
        return base, q_overlay(env, q) if q is not None else None

    def _fit(self, board: BoardView) -> None:
        """Wide boards (CliffWalking's 4×12) go above the text, where they get the whole width."""
        if board.board is not None:
            rows, cols = board.board.shape
            self.query_one("#explain").set_class(cols > 2 * rows, "-wide")

    def _paint_step(self, board: BoardView, text: Static) -> None:
        from rltui.training.explain import short, step_lines

        ex = self.explainer
        step = ex.current
        board.board, board.overlay = self._board(ex.env, step.state if step else None, ex.q_table())
        self._fit(board)
        head = Text.assemble((f"{_TITLES[self.mode]}", "bold"),
                             f" · step {ex.cursor} of {len(ex.history)} · ε {ex.agent.epsilon:.3g}\n")
        if step is None:
            head.append("Press → to take the first step: the agent acts, the env answers, and one "
                        "entry of the table changes.", style="dim")
            text.update(head)
            return
        lines = step_lines(step, ex.action_names, num=short)
        body = Text("\n".join(lines))
        for word in ("target", "error", "explore", "greedy"):
            body.highlight_words([word], style="bold")
        text.update(Text.assemble(head, body))

    def _paint_vi(self, board: BoardView, text: Static) -> None:
        import numpy as np

        from rltui.envs import make_training_env
        from rltui.training.explain import num

        trace = self.trace
        k = len(trace.deltas)
        V = trace.values[-1]
        env = make_training_env(self.entry.name)
        try:
            env.reset(seed=self.seed)
            Q = trace.model.R + trace.gamma * (trace.model.T @ V)
            if trace.mask is not None:
                Q = np.where(trace.mask, Q, -np.inf)
            changed = int(np.argmax(np.abs(V - trace.values[-2]))) if k else None
            board.board, board.overlay = self._board(env, changed, Q)
            self._fit(board)
        finally:
            env.close()
        head = Text.assemble(("value iteration", "bold"), f" · sweep {k} · γ {trace.gamma}\n")
        if k == 0:
            head.append("V starts at 0 everywhere. Press → for one sweep: every state is backed up once, "
                        "V(s) ← max over a of R(s,a) + γ·Σ p(s′)·V(s′).", style="dim")
            text.update(head)
            return
        delta = trace.deltas[-1]
        stop = ("converged: the largest change is below θ" if trace.converged
                else f"continue while it is ≥ θ = {trace.theta}")
        head.append(f"largest change {num(delta)} ({stop})\n")
        start = changed
        head.append(f"backup of state {start} (the one that changed most):\n", style="bold")
        names = self.entry.action_names
        for a, value, terms in trace.backup(start):
            sums = " + ".join(f"{p:.3g}×{v:.4g}" for p, _, v in terms) or "0"
            name = names[a] if a < len(names) else f"a{a}"
            head.append(f"  {name}: {float(trace.model.R[start, a]):.4g} + {trace.gamma}·({sums}) = {value:.6g}\n")
        text.update(head)
