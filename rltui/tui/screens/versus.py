"""Side by side: two tabular learners on one env and seed, their curves overlaid, their greedy paths drawn.

The face of :func:`rltui.training.versus.run_versus`: both runs train in a worker thread (tabular runs
take seconds) and land in the run store; the chart fills in as episodes end. On CliffWalking with the
default sides this is Sutton & Barto's example: SARSA walks the safe path, Q-learning the edge.
"""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Static

from rltui.envs import get_entry
from rltui.play.board import Board, board_of
from rltui.tui.messages import Latest
from rltui.tui.widgets.board import BoardView
from rltui.tui.widgets.fit import fit, width_of
from rltui.tui.widgets.footer import Footer
from rltui.tui.widgets.overlay_chart import COLOURS, OverlayChart

PATH_BG = ("#1c4f7a", "#7a4a1c")


class VersusProgress(Latest):
    """Returns so far of both sides (payload: two lists; only the newest matters)."""


class VersusDone(Latest):
    """The results (payload: (results, error))."""

    def can_replace(self, message) -> bool:
        return False


def path_board(board: Board, path: list[int], colour: str) -> Board:
    """``board`` with the cells of ``path`` (state = row·cols + col) tinted and dotted."""
    rows, cols = board.shape
    cells = [list(row) for row in board.cells]
    for s in set(path[1:-1]):
        if 0 <= s < rows * cols:
            r, c = divmod(s, cols)
            cells[r][c] = replace(cells[r][c], bg=colour, glyph=cells[r][c].glyph or "·")
    return replace(board, cells=tuple(tuple(row) for row in cells), agent=None)


class VersusScreen(Screen):
    """Train ``sides`` (two :class:`~rltui.training.versus.Contender` specs as text) on ``env_name``."""

    BINDINGS = [
        Binding("r", "restart", "Again (next seed)"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("escape", "leave", "Back"),
    ]

    HELP = """\
# Side by side

Two learners train on the same environment, with the same seed and the same number of steps, one
after the other; both runs are kept (see Runs). The chart overlays their returns (a moving average
over episodes); the boards show the path each one's greedy policy takes from the start.

On CliffWalking, Q-learning learns the values of the *greedy* policy, so its path runs along the
cliff edge (the shortest); SARSA learns the values of the ε-greedy policy it actually follows, whose
random steps sometimes fall off, so it prefers the safe path further up — and, while exploring,
collects more reward per episode. That is the difference between off-policy and on-policy.

- **r** run again with the next seed; **esc** back; `rltui explain ENV --versus A B` does the same headless.
"""

    def __init__(self, env_name: str, sides: tuple = ("q", "sarsa"), seed: int = 0,
                 steps: int | None = None, help_text: str | None = None) -> None:
        super().__init__()
        from rltui.training.versus import parse_contender

        self.entry = get_entry(env_name)
        self.sides = [parse_contender(s) if isinstance(s, str) else s for s in sides]
        if help_text:
            self.HELP = help_text
        self.seed = seed
        self.steps = steps
        self.results: list = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="versus"):
            yield OverlayChart(id="versus-chart")
            with Horizontal(id="versus-boards"):
                for k in range(2):
                    with Vertical(classes="versus-side"):
                        yield Static(id=f"versus-label-{k}")
                        yield BoardView(id=f"versus-board-{k}")
        yield Footer()

    def on_mount(self) -> None:
        self.focus()
        self._start()

    def _start(self) -> None:
        self.sub_title = f"side by side · {self.entry.title} · seed {self.seed}"
        self.results = []
        for k, side in enumerate(self.sides):
            self.query_one(f"#versus-label-{k}", Static).update(
                Text.assemble(("■ ", COLOURS[k]), (side.label, "bold"), " training…"))
            self.query_one(f"#versus-board-{k}", BoardView).board = None
        self._train()

    @work(thread=True, exclusive=True, group="versus", exit_on_error=False)
    def _train(self) -> None:
        from rltui.training.events import EpisodeEnd
        from rltui.training.versus import run_versus

        series: list[list[float]] = [[], []]

        def on_event(index: int, event) -> None:
            if isinstance(event, EpisodeEnd):
                series[index].append(event.ret)
                if event.episode % 20 == 0:
                    self.post_message(VersusProgress([list(s) for s in series]))

        try:
            results = run_versus(self.entry.name, self.sides, steps=self.steps, seed=self.seed,
                                 store=None, data_dir=str(self.app.data_dir), callback=on_event)
            self.post_message(VersusDone((results, None)))
        except Exception as exc:  # noqa: BLE001 - shown on the screen
            self.post_message(VersusDone(([], str(exc))))

    def on_versus_progress(self, message: VersusProgress) -> None:
        chart = self.query_one("#versus-chart", OverlayChart)
        chart.series = [(side.label, s) for side, s in zip(self.sides, message.payload)]

    def on_versus_done(self, message: VersusDone) -> None:
        results, error = message.payload
        if error:
            self.query_one("#versus-label-0", Static).update(Text(error, style="bold red"))
            return
        self.results = results
        chart = self.query_one("#versus-chart", OverlayChart)
        chart.series = [(r.contender.label, r.returns) for r in results]
        for k, res in enumerate(results):
            tail = res.returns[-100:]
            mean = sum(tail) / len(tail) if tail else float("nan")
            label = self.query_one(f"#versus-label-{k}", Static)
            head = f"{res.contender.label}  run {res.run_id}"
            greedy = (f"greedy path {len(res.path) - 1} steps, " if res.path else "greedy episode ") \
                + f"return {res.greedy_return:g}"
            # one line where it fits, else two that break between the figures (half of 80 columns)
            words = fit(width_of(label) - 2, f"{head} · last 100 episodes {mean:.1f} · {greedy}",
                        f"{head} · mean100 {mean:.1f}\n{greedy}")
            label.update(Text.assemble(("■ ", COLOURS[k]), (res.contender.label, "bold"),
                                       words[len(res.contender.label):]))
            board = self._blank_board(res.env) if res.path else None
            if board is not None:
                self.query_one(f"#versus-board-{k}", BoardView).board = path_board(board, res.path, PATH_BG[k])

    def _blank_board(self, env_name: str) -> Board | None:
        from rltui.envs import make_env

        if get_entry(env_name).kind != "grid":
            return None
        env = make_env(env_name)
        try:
            env.reset(seed=self.seed)
            return board_of(env)
        finally:
            env.close()

    def action_restart(self) -> None:
        self.seed += 1
        self._start()

    def action_leave(self) -> None:
        self.workers.cancel_group(self, "versus")
        self.app.pop_screen()
