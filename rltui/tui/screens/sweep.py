"""Sweep: many seeds (and a grid or an Optuna search) of one env and algorithm, as a Ray Tune sweep.

The driver is ``rltui sweep … --events`` in a child process (Ray and the trials never share this
process, so keys stay fast); a reader thread turns its JSON lines into calls on the UI thread. The
child writes the run store; this screen only shows what it reports: a live table of trials and the
evaluation curve over seeds (mean and 95% band) of the highlighted trial's configuration.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Label, Static

from rltui.envs import get_entry
from rltui.errors import RltuiError
from rltui.tui.widgets.band_chart import BandChart
from rltui.tui.widgets.footer import Footer

_COLOURS = {"finished": "#69db7c", "stopped": "#ffd43b", "failed": "#ff6b6b", "running": "#4dabf7"}


def sweep_argv(env: str, algo: str, seeds: str, steps: str, grid: str, search: str) -> list[str]:
    """The ``rltui sweep`` arguments the form asks for, checked here first (one-line errors).

    ``grid``: ``alpha=0.05,0.2 gamma=0.9,0.99``; ``search``: ``N KEY=RANGE …`` (N Optuna trials)."""
    from rltui.sweep.spec import SweepSpec, parse_grid, parse_param, parse_seeds

    argv = ["sweep", env, "--algo", algo, "--seeds", seeds.strip() or "0-4"]
    seed_list = parse_seeds(seeds.strip() or "0-4")
    n_steps = None
    if steps.strip():
        try:
            n_steps = int(steps.strip().replace(",", "").replace("_", ""))
        except ValueError:
            raise RltuiError(f"steps must be a whole number, not {steps!r}") from None
        argv += ["--steps", str(n_steps)]
    grid_items = grid.split()
    search_items = search.split()
    for item in grid_items:
        argv += ["--grid", item]
    trials, params = 0, []
    if search_items:
        try:
            trials = int(search_items[0])
        except ValueError:
            raise RltuiError("search: the number of trials first, then KEY=RANGE …, e.g. 10 lr=log:1e-4..1e-2") \
                from None
        params = [parse_param(p) for p in search_items[1:]]
        argv += ["--search", "optuna", "--trials", str(trials)]
        argv += [a for p in search_items[1:] for a in ("--param", p)]
        seed_list = seed_list[:1]
    from rltui.training.config import default_steps

    spec = SweepSpec(env, algo, seed_list, n_steps or default_steps(env, algo), grid=parse_grid(grid_items),
                     search="optuna" if search_items else None, trials=trials, params=params)
    spec.check()
    return argv


class SweepScreen(Screen):
    """``rltui sweep`` for ``env`` and ``algo``, with a live trials table and the curve over seeds."""

    BINDINGS = [
        Binding("s", "start", "Start"),
        Binding("x", "stop", "Stop"),
        Binding("b", "save_best", "Save best"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("escape", "back", "Back"),
    ]

    HELP = """\
# Sweep

Train the same env and algorithm once per seed (and per grid value, or per configuration an Optuna
search draws) as a Ray Tune sweep: one run per trial, as `rltui sweep` does (needs the `sweep` extra).

- **seeds** `0-9` or `0,3,7` · **steps** per run (empty: the preset's)
- **grid** values to cross, e.g. `alpha=0.05,0.2 gamma=0.9,0.99`
- **search** instead of a grid: trials then ranges, e.g. `10 lr=log:1e-4..1e-2 batch_size=int:32..256`
  (a search compares configurations on the first seed)
- **enter** in a field, or **s**, starts · **x** stops (every trial saves its checkpoint and is
  recorded stopped) · **b** saves the best configuration as a preset (`--preset NAME` in Train and
  `rltui train`) · **↑/↓** a trial: the curve shows its configuration over seeds (mean and 95% band)
- **esc** back (stops a running sweep)
"""

    def __init__(self, env: str, algo: str | None = None) -> None:
        super().__init__()
        self.entry = get_entry(env)
        self.algo = algo if algo in self.entry.algos else self.entry.default_algo
        self.proc: subprocess.Popen | None = None
        self.sweep_id: int | None = None
        self.ended = False  # the child reported the sweep's end (its runs are all recorded)
        self.trials: dict[int, dict[str, Any]] = {}
        self.status_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="sweep"):
            with Horizontal(classes="sweep-row"):
                yield Label("seeds")
                yield Input("0-4", id="sweep-seeds")
                yield Label("steps")
                yield Input("", placeholder="preset", id="sweep-steps")
            with Horizontal(classes="sweep-row"):
                yield Label("grid")
                yield Input("", placeholder="alpha=0.05,0.2 …", id="sweep-grid")
            with Horizontal(classes="sweep-row"):
                yield Label("search")
                yield Input("", placeholder="N key=log:a..b …", id="sweep-search")
            yield Static(id="sweep-status")
            with Vertical(id="sweep-body"):
                yield DataTable(id="sweep-trials", cursor_type="row", zebra_stripes=True)
                yield BandChart(bar=self.entry.solved, id="sweep-curve")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"sweep · {self.entry.name} · {self.algo}"
        table = self.query_one("#sweep-trials", DataTable)
        for label, width in (("run", 4), ("config", 14), ("seed", 4), ("status", 8), ("steps", 7), ("last", 6),
                             ("best", 6)):
            table.add_column(label, key=label, width=width)
        if importlib.util.find_spec("ray") is None or importlib.util.find_spec("optuna") is None:
            self._status("sweeps need the sweep extra: pip install 'rltui[sweep]'", "#ff6b6b")
        else:
            self._status("set seeds (and a grid or a search), then enter to start", "dim")

    # -- actions ------------------------------------------------------------------------------------
    def _field(self, name: str) -> str:
        return self.query_one(f"#sweep-{name}", Input).value

    def action_start(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.notify("a sweep is running: x stops it", timeout=3)
            return
        try:
            argv = sweep_argv(self.entry.name, self.algo, self._field("seeds"), self._field("steps"),
                              self._field("grid"), self._field("search"))
        except RltuiError as exc:
            self._status(str(exc), "#ff6b6b")
            return
        self.trials.clear()
        self.sweep_id, self.ended = None, False
        self.query_one("#sweep-trials", DataTable).clear()
        self.query_one("#sweep-curve", BandChart).set_points([])
        log = open(os.devnull, "w")  # Ray's own warnings would only garble the screen
        cmd = [sys.executable, "-m", "rltui", "--data-dir", str(self.app.data_dir), *argv, "--events", "--quiet"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                     text=True, start_new_session=True)
        log.close()
        self._status("starting Ray and the trials…", "#4dabf7")
        self.query_one("#sweep-trials", DataTable).focus()  # s, x, b and the arrows act on the sweep now
        threading.Thread(target=self._read, args=(self.proc,), daemon=True, name="rltui-sweep-reader").start()

    def _read(self, proc: subprocess.Popen) -> None:
        """The child's events, off the UI thread; each one handed to the UI thread."""
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            self._post(self._on_event, event)
        code = proc.wait()
        self._post(self._on_exit, code)

    def _post(self, fn: Any, *args: Any) -> None:
        try:
            self.app.call_from_thread(fn, *args)
        except Exception:  # the app is closing
            pass

    def action_stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.notify("no sweep is running", timeout=2)
            return
        self.proc.send_signal(signal.SIGINT)  # the child stops every trial; each saves its checkpoint
        self._status("stopping: every trial saves its checkpoint…", "#ffd43b")

    def action_save_best(self) -> None:
        if self.sweep_id is None or not self.ended:
            self.notify("save the best once a sweep has ended", timeout=3)
            return
        from rltui.sweep.summary import save_best

        name = f"sweep{self.sweep_id}-best"
        try:
            path = save_best(self.app.store, self.sweep_id, name)
        except RltuiError as exc:
            self.notify(str(exc), severity="error", timeout=6)
            return
        self.notify(f"saved as preset {name} ({path})", timeout=8)

    def action_back(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.notify("the sweep is stopping; its runs keep their checkpoints", timeout=4)
        self.app.pop_screen()

    def on_unmount(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)

    # -- events from the child ----------------------------------------------------------------------
    def _status(self, text: str, style: str = "") -> None:
        self.status_text = text
        self.query_one("#sweep-status", Static).update(Text(text, style=style, no_wrap=True, overflow="ellipsis"))

    def _on_event(self, event: dict[str, Any]) -> None:
        if not self.is_mounted:
            return
        kind = event.get("type")
        if kind == "sweep":
            self.sweep_id = event.get("sweep_id")
            self._status(f"sweep {self.sweep_id}: {event.get('trials')} trials", "#4dabf7")
        elif kind == "trial":
            self._trial(event)
        elif kind == "note":
            self._status(str(event.get("text", "")), "#ffd43b")
        elif kind == "end":
            self.ended = True
            counts: dict[str, int] = {}
            for t in self.trials.values():
                counts[t.get("status", "?")] = counts.get(t.get("status", "?"), 0) + 1
            what = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            self._status(f"sweep {event.get('sweep_id')} {event.get('status')}: {what} · b saves the best",
                         _COLOURS.get(str(event.get("status")), ""))

    def _trial(self, event: dict[str, Any]) -> None:
        run_id = int(event["run_id"])
        self.trials[run_id] = event
        table = self.query_one("#sweep-trials", DataTable)
        status = str(event.get("status", ""))
        cells = (str(run_id), Text(str(event.get("label", ""))), str(event.get("seed", "")),
                 Text(status, style=_COLOURS.get(status, "")), f"{int(event.get('steps') or 0):,}",
                 _num(event.get("last_eval")), _num(event.get("best")))
        key = str(run_id)
        if key in table.rows:
            for column, value in zip(("run", "config", "seed", "status", "steps", "last", "best"), cells):
                table.update_cell(key, column, value)
        else:
            table.add_row(*cells, key=key)
        self._draw_curve()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter in any field starts the sweep (s does outside the fields, where letters are not typed)."""
        self.action_start()

    @on(DataTable.RowHighlighted, "#sweep-trials")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._draw_curve()

    def _draw_curve(self) -> None:
        """The highlighted trial's configuration over its seeds (failed runs left out)."""
        from rltui.sweep.stats import curve

        table = self.query_one("#sweep-trials", DataTable)
        if table.row_count == 0:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        current = self.trials.get(int(key)) if key is not None else None
        if current is None:
            return
        label = current.get("label")
        runs = [t.get("evals") or [] for t in self.trials.values()
                if t.get("label") == label and t.get("status") != "failed"]
        points = [(p.steps, p.mean, p.low, p.high) for p in curve(runs)]
        self.query_one("#sweep-curve", BandChart).set_points(points, title=f"{label} over {len(runs)} seeds")

    def _on_exit(self, code: int) -> None:
        if self.is_mounted and self.sweep_id is None and code not in (0, 1):
            self._status(f"the sweep could not start (exit {code}); try it with rltui sweep for the message",
                         "#ff6b6b")


def _num(x: Any) -> str:
    return "" if x is None else f"{x:.3g}"
