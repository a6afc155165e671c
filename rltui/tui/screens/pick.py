"""Pick: the environment catalogue as a filterable list, with everything about the highlighted entry."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from rltui.envs import CATALOGUE, EnvEntry, get_entry
from rltui.numbers import num
from rltui.play.keymaps import KeyMap
from rltui.tui.widgets.footer import Footer

_SPACES: dict[str, tuple[str, str]] = {}  # env name -> (observation space, action space), built once
_OPEN = "⏎open:"  # option id prefix of "open this Gymnasium id"


def _looks_like_id(text: str) -> bool:
    """A Gymnasium id (``Name-v3``, ``ns/Name-v0``) or ``module:EnvId``, as typed in the filter."""
    import re

    return bool(re.fullmatch(r"[\w.]+:\S+|([\w.-]+/)?[\w.-]+-v\d+", text))


def _describe_spaces(name: str) -> tuple[str, str]:
    """Build the env once to read its spaces (slow for Atari, so never on the UI thread)."""
    if name not in _SPACES:
        from rltui.envs import make_env

        try:
            env = make_env(name)
            _SPACES[name] = (describe_space(env.observation_space), describe_space(env.action_space))
            env.close()
        except Exception as exc:  # noqa: BLE001 - shown in the panel instead
            _SPACES[name] = (f"unavailable: {exc}", "")
    return _SPACES[name]


def describe_space(space) -> str:
    """A Gymnasium space in words that fit a narrow panel: ``Discrete(4)``, ``96×96×3 image (uint8)``,
    ``4 numbers: [-4.8, 4.8] · [-∞, ∞] · …`` rather than numpy's multi-line ``Box(...)`` repr."""
    import numpy as np
    from gymnasium import spaces

    if isinstance(space, spaces.Box):
        shape, dtype = space.shape, np.dtype(space.dtype).name
        dims = "×".join(str(d) for d in shape)
        if len(shape) >= 2:
            what = "image" if len(shape) == 3 and shape[-1] in (1, 3) else "grid"
            if len(shape) == 3 and shape[0] <= 4 and shape[-1] >= shape[0]:
                what = "planes"
            return f"{dims} {what} ({dtype}, {num(float(space.low.min()))} to {num(float(space.high.max()))})"
        lows, highs = space.low.reshape(-1), space.high.reshape(-1)
        bounds = " · ".join(f"[{num(float(lo))}, {num(float(hi))}]" for lo, hi in zip(lows[:6], highs[:6]))
        more = " · …" if lows.size > 6 else ""
        return f"{dims} numbers ({dtype}): {bounds}{more}"
    return str(space)


def entry_details(entry: EnvEntry, spaces: tuple[str, str] | None) -> Group:
    """The right-hand panel for one catalogue entry: title and description over a table whose first
    column is only as wide as its labels (the title in it made every value start 15 columns in)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold #868e96", no_wrap=True)
    table.add_column(overflow="fold")
    play = "turn-based: one step per key" if entry.turn_based else f"real-time, {entry.fps} fps"
    table.add_row("kind", f"{entry.kind} · {play}")
    obs, act = spaces if spaces is not None else ("…", "…")
    table.add_row("observe", obs)
    table.add_row("actions", act)
    table.add_row("keys", KeyMap.for_env(entry).help_line())
    solved = entry.solved_note or ("—" if entry.solved is None else f"{entry.solved:g}")
    table.add_row("solved", solved)
    agents = ", ".join(entry.algos)
    table.add_row("agents", f"{agents}  (default {entry.default_algo})")
    if entry.kind == "pixels":
        table.add_row("window", "a pygame window when there is a display; a preview here always")
    return Group(Text(entry.title, style="bold"), Text(entry.description), table)


class FilterInput(Input):
    """The filter: ↓ or enter goes to the list, esc clears the filter and goes back to the list."""

    BINDINGS = [
        Binding("down", "to_list", "List", show=False),
        Binding("escape", "clear_filter", "Clear filter"),
    ]

    def action_to_list(self) -> None:
        self.screen.set_focus(self.screen.query_one("#envs", OptionList))

    def action_clear_filter(self) -> None:
        self.value = ""
        self.action_to_list()


class EnvList(OptionList):
    """The catalogue list; its enter (select → play) is labelled in the footer, where OptionList hides it."""

    BINDINGS = [Binding("enter", "select", "Play")]


class PickScreen(Screen):
    """The first screen: choose an environment, then play it (enter) or train on it (t)."""

    BINDINGS = [
        Binding("enter", "play", "Play", priority=False),
        # help early: where the footer is too narrow for every key (60 columns), the cut ones are the
        # last, and ? lists them all
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("t", "train", "Train"),
        Binding("c", "compare", "Compare"),
        Binding("e", "explain", "Explain"),
        Binding("l", "lessons", "Learn"),
        Binding("r", "runs", "Runs"),
        Binding("slash", "filter", "Find", key_display="/"),
        Binding("q", "app.quit", "Quit"),
    ]

    HELP = """\
# Pick an environment

- **↑/↓** move through the catalogue; type **/** then text to filter it (name, kind or words);
  **↓** or **enter** back to the list, **esc** clears the filter.
- Any Gymnasium id works too: type it in the filter (**/** `LunarLander-v3`, `ALE/Freeway-v5`,
  `mymodule:MyEnv-v0`) and press **enter** to open it; it joins the list for this session.
- **enter** play the highlighted environment yourself.
- **t** train an agent on it; **r** the runs trained so far.
- **c** compare yourself with a trained agent on the same seeds.
- **e** explain: watch Q-learning, SARSA or value iteration update the table one step at a time,
  every number written out (grid worlds); **v** there races Q-learning against SARSA. On CartPole
  and pixel games it opens a DQN up instead: its replay batch, its target network, ε.
- **l** lessons: short guided lessons (the Bellman update, slippery ice, on- vs off-policy on the
  cliff, DQN's replay and target network), each page with one thing to try.
- **?** this help; **q** (or **ctrl+q**) quit.

Grid worlds are turn-based (one step per key press). CartPole steps once per key too; CarRacing and
Atari run in real time. The agents listed fit the environment; the first is the default.
"""

    def __init__(self, highlight: str | None = None) -> None:
        super().__init__()
        self.highlight = highlight  # the env a screen opened over this one from the command line is on

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="pick"):
            with Vertical(id="pick-left"):
                yield FilterInput(placeholder="filter (/)", id="filter")
                yield EnvList(id="envs")
            with VerticalScroll(id="pick-right"):
                yield Static(id="details")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "pick an environment"
        self._fill("")
        last = self.app.prefs.get("env")
        if self.highlight:
            try:
                last = get_entry(self.highlight).name
            except Exception:  # noqa: BLE001 - an unknown name keeps the last choice
                pass
        envs = self.query_one("#envs", OptionList)
        if last:
            for i in range(envs.option_count):
                if envs.get_option_at_index(i).id == last:
                    envs.highlighted = i
            if envs.highlighted is None or envs.get_option_at_index(envs.highlighted).id != last:
                if _looks_like_id(last):  # a Gymnasium id opened last time: open it again, off the UI thread
                    self._open_id(last)
        self.set_focus(envs)  # at once: Widget.focus() waits its turn behind keys already typed
        self._show(self.current)

    def _entries(self) -> list[EnvEntry]:
        """The catalogue, plugins' entries, then the ids opened in this session."""
        from rltui.envs.plugins import plugin_entries

        opened = getattr(self, "_opened", [])
        return [*CATALOGUE, *plugin_entries(), *opened]

    def _fill(self, text: str) -> None:
        envs = self.query_one("#envs", OptionList)
        words = text.lower().split()
        keep = [e for e in self._entries()
                if all(w in f"{e.name} {e.gym_id} {e.kind} {e.title} {e.description}".lower() for w in words)]
        envs.clear_options()
        envs.add_options([Option(Text.assemble(f"{e.name:<21}", (e.kind, "dim")), id=e.name) for e in keep])
        wanted = text.strip()
        if _looks_like_id(wanted) and not any(e.name == wanted for e in keep):
            envs.add_option(Option(Text.assemble(("open ", "bold"), wanted, (" (enter)", "dim")),
                                   id=f"{_OPEN}{wanted}"))
        if envs.option_count:
            envs.highlighted = 0
        want = getattr(self, "_want", None)  # an id just opened: highlighted once the filter is cleared
        for i in range(envs.option_count):
            if want is not None and envs.get_option_at_index(i).id == want:
                envs.highlighted = i

    def _highlighted_id(self) -> str | None:
        envs = self.query_one("#envs", OptionList)
        if envs.highlighted is None or envs.option_count == 0:
            return None
        return str(envs.get_option_at_index(envs.highlighted).id)

    @property
    def current(self) -> EnvEntry | None:
        option = self._highlighted_id()
        if option is None or option.startswith(_OPEN):
            return None
        return get_entry(option)

    def _show(self, entry: EnvEntry | None) -> None:
        details = self.query_one("#details", Static)
        if entry is None:
            option = self._highlighted_id()
            if option is not None and option.startswith(_OPEN):
                error = getattr(self, "_open_error", "")
                details.update(Text(error, style="bold #ff6b6b") if error else Text(
                    f"enter opens the Gymnasium id {option[len(_OPEN):]}: rltui reads its spaces, keys and "
                    "solved bar from the env itself", style="dim"))
                return
            details.update(Text("no environment matches the filter", style="dim"))
            return
        details.update(entry_details(entry, _SPACES.get(entry.name)))
        if entry.name not in _SPACES:
            self._load_spaces(entry.name)

    @work(thread=True, exclusive=True, group="spaces")
    def _load_spaces(self, name: str) -> None:
        _describe_spaces(name)
        self.app.call_from_thread(self._spaces_ready, name)

    def _spaces_ready(self, name: str) -> None:
        entry = self.current
        if entry is not None and entry.name == name:
            self._show(entry)

    @on(OptionList.OptionHighlighted, "#envs")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show(self.current)

    @on(OptionList.OptionSelected, "#envs")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.action_play()

    @on(Input.Changed, "#filter")
    def _filtered(self, event: Input.Changed) -> None:
        self._fill(event.value)
        if not event.value:
            self._want = None
        self._show(self.current)

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        option = self._highlighted_id()
        if option is not None and option.startswith(_OPEN):
            self._open_id(option[len(_OPEN):])
        self.set_focus(self.query_one("#envs", OptionList))

    @work(thread=True, exclusive=True, group="open")
    def _open_id(self, name: str) -> None:
        """Resolve a typed id off the UI thread (the probe builds the env once), then list it."""
        from rltui.errors import RltuiError

        try:
            entry = get_entry(name)
        except RltuiError as exc:
            self.app.call_from_thread(self._open_failed, str(exc))
            return
        self.app.call_from_thread(self._opened_ready, entry)

    def _open_failed(self, error: str) -> None:
        self._open_error = error
        self._show(self.current)

    def _opened_ready(self, entry: EnvEntry) -> None:
        self._open_error = ""
        if entry not in self._entries():
            self._opened = [*getattr(self, "_opened", []), entry]
        self._want = entry.name
        self.query_one("#filter", Input).value = ""
        self._fill("")
        self._show(self.current)

    def action_filter(self) -> None:
        # Focus now, not with Widget.focus() (which queues the change behind keys already typed: typing
        # "/taxi" fast sent "t" to the list and opened Train)
        self.set_focus(self.query_one("#filter", Input))

    def _chosen(self) -> EnvEntry | None:
        entry = self.current
        option = self._highlighted_id()
        if entry is None and option is not None and option.startswith(_OPEN):
            self._open_id(option[len(_OPEN):])
            return None
        if entry is None:
            self.notify("no environment selected: clear the filter", severity="warning")
            return None
        self.app.prefs.set("env", entry.name)
        return entry

    def action_play(self) -> None:
        entry = self._chosen()
        if entry is not None:
            self.app.open_play(entry.name)

    def action_train(self) -> None:
        entry = self._chosen()
        if entry is not None:
            self.app.open_train(entry.name)

    def action_compare(self) -> None:
        entry = self._chosen()
        if entry is not None:
            self.app.open_compare(entry.name)

    def action_explain(self) -> None:
        entry = self._chosen()
        if entry is None:
            return
        if any(a in ("q", "sarsa", "vi") for a in entry.algos):
            self.app.open_explain(entry.name)
        elif any(a in ("dqn", "drqn") for a in entry.algos):
            from rltui.tui.screens.deep_explain import DeepExplainScreen

            self.app.push_screen(DeepExplainScreen(entry.name))
        else:
            self.notify(f"no agent of {entry.name} can be explained", severity="warning")

    def action_lessons(self) -> None:
        from rltui.tui.screens.lessons import LessonsScreen

        self.app.push_screen(LessonsScreen())

    def action_runs(self) -> None:
        self.app.open_runs()
