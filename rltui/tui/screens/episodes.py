"""Your play: every episode a person finished, kept with its seed and moves; train an agent from them."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from rltui.envs import get_entry
from rltui.errors import RltuiError
from rltui.tui.widgets.footer import Footer


class EpisodesScreen(Screen):
    """The kept human episodes, newest first (of ``env`` only, when given)."""

    BINDINGS = [
        Binding("t", "train", "Train from this env's play"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    HELP = """\
# Your play

Every episode you finish in Play or Compare is kept with its seed and every move, so it can be
replayed exactly and an agent can learn from it.

- **↑/↓** choose an episode; **t** trains an agent on its environment that starts from all your kept
  episodes there (tabular agents replay your moves as updates, DQN/DRQN keep them in replay and
  pre-train on them; grid worlds and CartPole). The run records which episodes it used.
- Headless: `rltui episodes [ENV]` lists them, `rltui train ENV --demos all` (or `--demos 3,5`),
  `rltui episodes record ID out.gif` makes a video, `rltui episodes export ENV --minari NAME` a dataset.
"""

    def __init__(self, env: str | None = None) -> None:
        super().__init__()
        self.env = get_entry(env).name if env else None
        self.rows: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="episodes"):
            yield Static(id="episodes-note")
            yield DataTable(id="episodes-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "your play" + (f" · {self.env}" if self.env else "")
        table = self.query_one("#episodes-table", DataTable)
        for label in ("id", "when", "env", "seed", "steps", "return"):
            table.add_column(label, key=label)
        try:
            self.rows = list(reversed(self.app.store.human_episodes(self.env)))
        except RltuiError as exc:
            self.query_one("#episodes-note", Static).update(Text(str(exc), style="bold red"))
            return
        for r in self.rows:
            when = dt.datetime.fromtimestamp(r["created"]).strftime("%m-%d %H:%M") if r.get("created") else ""
            table.add_row(str(r["id"]), when, r["env"], "" if r["seed"] is None else str(r["seed"]),
                          str(r["length"]), f"{r['ret']:g}")
        note = (f"{len(self.rows)} episodes kept. t trains an agent that starts from your play on the "
                "highlighted episode's env (rltui train ENV --demos all does the same headless).")
        if not self.rows:
            note = "No episodes kept yet: play an environment (enter on Pick); each finished episode is kept here."
        self.query_one("#episodes-note", Static).update(Text(note))
        self.set_focus(table)

    def action_train(self) -> None:
        table = self.query_one("#episodes-table", DataTable)
        if not self.rows or table.cursor_row is None:
            self.notify("no episode chosen", severity="warning")
            return
        env = self.rows[table.cursor_row]["env"]
        self.app.open_train(env, demos="all")
