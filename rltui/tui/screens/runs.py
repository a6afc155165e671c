"""Runs: the training history from the run store; the highlighted run's curve, and its checkpoint to
watch (w) or to continue training (c)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from rltui.envs import get_entry
from rltui.errors import RltuiError
from rltui.tui.widgets.chart import RewardChart
from rltui.tui.widgets.footer import Footer

_COLOURS = {"finished": "#69db7c", "stopped": "#ffd43b", "failed": "#ff6b6b", "running": "#4dabf7",
            "interrupted": "#da77f2"}


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%m-%d %H:%M") if ts else ""


class RunsScreen(Screen):
    BINDINGS = [
        Binding("w", "watch", "Watch"),
        Binding("c", "continue_training", "Continue"),
        Binding("r", "reload", "Reload"),
        Binding("p", "your_play", "Your play"),
        Binding("m", "sweep", "Many seeds", show=False),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("escape", "back", "Back"),
    ]

    HELP = """\
# Runs

Every training run, newest first, from the run store (the CLI's `rltui runs` reads the same file).

- **↑/↓** choose a run: its reward curve and details show below.
- **w** watch the run's last checkpoint play (greedy), in the terminal and, for pixel games, a pygame
  window. **c** continue training it on the Train screen (it keeps its hyperparameters).
- **m** many seeds of the run's env and algorithm: the Sweep screen (Ray Tune).
- **p** your play: every episode you finished, kept with its seed and moves; train an agent from it.
- **r** reload · **esc** back · **?** this help · **ctrl+q** quit
"""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="runs"):
            yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="run-detail"):
                yield Static(id="run-info")
                yield RewardChart(id="run-chart")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "runs"
        table = self.query_one("#runs-table", DataTable)
        for label, width in (("id", 4), ("env", 20), ("algo", 5), ("status", 11), ("steps", 9), ("eval", 7),
                             ("started", 11)):
            table.add_column(label, key=label, width=width)
        self.action_reload()
        self.set_focus(table)

    def action_your_play(self) -> None:
        from rltui.tui.screens.episodes import EpisodesScreen

        self.app.push_screen(EpisodesScreen())

    def action_reload(self) -> None:
        table = self.query_one("#runs-table", DataTable)
        table.clear()
        self.runs: dict[str, dict[str, Any]] = {}
        for run in self.app.store.list_runs(limit=500):
            evals = self.app.store.evaluations(run["id"], limit=1)
            last = f"{evals[-1]['mean']:.3g}" if evals else ""
            key = str(run["id"])
            self.runs[key] = run
            status = Text(run["status"], style=_COLOURS.get(run["status"], ""))
            table.add_row(key, Text(run["env"]), Text(run["algo"]), status, f"{run['steps']:,}", last,
                          _when(run["started"]),
                          key=key)
        if not self.runs:
            self.query_one("#run-info", Static).update(Text(
                "no runs yet: pick an environment and press t to train one", style="dim"))
            self.query_one("#run-chart", RewardChart).set_returns([])
        else:
            self._show(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    @property
    def current(self) -> dict[str, Any] | None:
        table = self.query_one("#runs-table", DataTable)
        if not self.runs or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.runs.get(str(key))

    @on(DataTable.RowHighlighted, "#runs-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show(event.row_key.value)

    def _show(self, key: str | None) -> None:
        run = self.runs.get(str(key)) if key is not None else None
        if run is None:
            return
        store = self.app.store
        returns = store.episode_returns(run["id"])  # bucket means past 2,000 episodes: bounded memory
        chart = self.query_one("#run-chart", RewardChart)
        try:
            chart.bar = get_entry(run["env"]).solved
        except RltuiError:
            chart.bar = None
        chart.set_returns(returns)
        checkpoint = store.latest_checkpoint(run["id"])
        info = Text(no_wrap=True, overflow="ellipsis")
        info.append(f"run #{run['id']} · {run['env']} · {run['algo']} · seed {run.get('seed')} · "
                    f"{run['episodes']:,} episodes · {run.get('device') or ''}")
        sweep_id = store.sweep_of([run["id"]]).get(run["id"])
        if sweep_id is not None:
            info.append(f" · sweep {sweep_id}")
        if run.get("error"):
            info.append(f"\nerror: {run['error']}", style="#ff6b6b")
        if run["status"] == "interrupted":
            last = [c for c in store.checkpoints(run["id"]) if c.get("role", "last") == "last"]
            info.append("\ninterrupted — " + (f"last checkpoint at step {last[-1]['steps']:,}" if last
                                               else "no checkpoint was saved"), style="#da77f2")
        info.append(f"\n{'checkpoint: ' + checkpoint if checkpoint else 'no checkpoint saved'}", style="dim")
        best = store.latest_checkpoint(run["id"], role="best")
        if best:
            info.append(f"\nbest: {best}", style="dim")
        self.query_one("#run-info", Static).update(info)

    def _checkpoint(self) -> tuple[dict[str, Any], str] | None:
        run = self.current
        if run is None:
            self.notify("no run selected", timeout=2)
            return None
        path = self.app.store.latest_checkpoint(run["id"])
        if not path:
            self.notify(f"run #{run['id']} has no checkpoint to load", severity="warning", timeout=4)
            return None
        return run, path

    def action_watch(self) -> None:
        found = self._checkpoint()
        if found is not None:
            run, path = found
            self.app.open_watch_checkpoint(path, env=run["env"])

    def action_continue_training(self) -> None:
        found = self._checkpoint()
        if found is None:
            return
        run, path = found
        from rltui.training.checkpoints import load_checkpoint

        try:
            agent, header = load_checkpoint(path, expected_env=run["env"])
        except RltuiError as exc:
            self.notify(f"cannot load: {exc}", severity="error", timeout=8)
            return
        from rltui.training.resume import continuable_run

        if continuable_run(self.app.store, path, header) == run["id"]:  # ended early: carry the run itself on
            self.app.open_train(run["env"], agent=agent, source=f"run #{run['id']}",
                                resume=(run["id"], header, run["config"]))
            return
        self.app.open_train(run["env"], agent=agent, source=f"run #{run['id']}")

    def action_sweep(self) -> None:
        run = self.current
        if run is None:
            self.notify("no run selected", timeout=2)
            return
        try:
            self.app.open_sweep(run["env"], run["algo"])
        except RltuiError as exc:
            self.notify(str(exc), severity="error", timeout=6)

    def action_back(self) -> None:
        self.app.pop_screen()
