"""The Train screen's set-up form: algorithm, preset, step budget and hyperparameters, checked as typed.

Values start from the preset files (through :func:`rltui.training.config.resolve_hparams`, the same
resolution the CLI uses); only the values a person changed become overrides, so the run records what
was asked for and the store records the effective values. A bad value marks its field and says why in
one line; Start is refused until the form is valid.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from rltui.agents import ALGO_TITLES
from rltui.envs import get_entry
from rltui.errors import RltuiError
from rltui.training import presets
from rltui.training.config import TABULAR_ALGOS, TrainConfig, default_steps, parse_assignments, resolve_hparams

DEFAULT = "__default__"


def _show(value: Any) -> str:
    if value is None:
        return ""  # unset (e.g. lr_final: no schedule); the field's placeholder says "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class TrainForm(VerticalScroll):
    """Emits :class:`TrainForm.Changed` when the algorithm changes (the live panels depend on it)."""

    class Changed(Message):
        def __init__(self, algo: str) -> None:
            super().__init__()
            self.algo = algo

    def __init__(self, env: str, algo: str, *, fixed: dict[str, Any] | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entry = get_entry(env)
        self.algo = algo
        self.preset: str | None = None
        self.fixed = fixed  # hyperparameters of a loaded agent: shown, not editable
        self.defaults: dict[str, Any] = {}
        self.error = ""

    def compose(self) -> ComposeResult:
        algos = [(ALGO_TITLES.get(a, a), a) for a in self.entry.algos]
        yield Label("algorithm")
        yield Select(algos, value=self.algo, allow_blank=False, id="algo", disabled=self.fixed is not None)
        yield Label("preset")
        yield Select([("default", DEFAULT)], value=DEFAULT, allow_blank=False, id="preset",
                     disabled=self.fixed is not None)
        yield VerticalScroll(id="hp-rows")
        yield Static("", id="hp-error")
        yield Button("Start ▶  (s)", id="start", variant="success")

    def on_mount(self) -> None:
        self._fill_presets()
        self._fill_rows()

    # ---- building the rows ------------------------------------------------------------------------
    def _fill_presets(self) -> None:
        names = [] if self.fixed is not None else presets.preset_names(self.algo)
        select = self.query_one("#preset", Select)
        select.set_options([("default", DEFAULT)] + [(n, n) for n in names])
        select.value = DEFAULT

    def _resolved(self) -> dict[str, Any]:
        if self.fixed is not None:
            return dict(self.fixed)
        config = TrainConfig(self.entry.name, self.algo, steps=1, preset=self.preset)
        return resolve_hparams(config)

    def _fill_rows(self) -> None:
        rows = self.query_one("#hp-rows", VerticalScroll)
        rows.remove_children()
        try:
            self.defaults = self._resolved()
            steps = default_steps(self.entry.name, self.algo, self.preset)
        except RltuiError as exc:
            self.defaults, steps = {}, 10_000
            self._set_error(str(exc))
        fields: list[tuple[str, str, bool]] = [("steps", str(steps), True), ("seed", "0", True)]
        if self.algo not in TABULAR_ALGOS:
            fields.append(("device", "auto", True))
        fields += [(k, _show(v), self.fixed is None) for k, v in self.defaults.items()]
        rows.mount_all([Horizontal(Label(key), Input(value, id=f"hp-{key}", disabled=not editable,
                                                     placeholder="none", select_on_focus=True), classes="hp-row")
                        for key, value, editable in fields])
        self.call_after_refresh(self.validate)

    @on(Select.Changed, "#algo")
    def _algo_changed(self, event: Select.Changed) -> None:
        if event.value == self.algo or event.value is Select.BLANK:
            return
        self.algo, self.preset = str(event.value), None
        self._fill_presets()
        self._fill_rows()
        self.post_message(self.Changed(self.algo))

    @on(Select.Changed, "#preset")
    def _preset_changed(self, event: Select.Changed) -> None:
        preset = None if event.value in (DEFAULT, Select.BLANK) else str(event.value)
        if preset != self.preset:
            self.preset = preset
            self._fill_rows()

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self.validate()

    # ---- reading and checking ---------------------------------------------------------------------
    def _inputs(self) -> dict[str, Input]:
        return {str(w.id)[3:]: w for w in self.query(Input) if w.id and w.id.startswith("hp-")}

    def _set_error(self, message: str) -> None:
        self.error = message
        self.query_one("#hp-error", Static).update(message)

    def validate(self) -> TrainConfig | None:
        """The config the form describes, or None (with the bad field marked and the reason shown)."""
        inputs = self._inputs()
        if "steps" not in inputs:
            return None  # rows are being rebuilt
        for widget in inputs.values():
            widget.remove_class("-invalid")
        bad = ""
        try:
            values = {k: w.value.strip() for k, w in inputs.items()}
            plain: dict[str, Any] = {}
            for key in ("steps", "seed"):
                bad = key
                plain[key] = int(float(values.pop(key)))
                if float(plain[key]) != float(inputs[key].value):
                    raise ValueError
            device = values.pop("device", "auto") or "auto"
            overrides: dict[str, Any] = {}
            if self.fixed is None:
                for key, raw in values.items():
                    bad = key
                    if raw == "" and self.defaults.get(key) is None:
                        continue  # left unset, as the preset has it
                    if raw == "":
                        raise RltuiError(f"{key} needs a value")
                    value = parse_assignments([f"{key}={raw}"])[key]
                    if _show(value) != _show(self.defaults.get(key)):
                        overrides[key] = value
            bad = ""
            config = TrainConfig(self.entry.name, self.algo, steps=plain["steps"], seed=plain["seed"],
                                 preset=self.preset, hparams=overrides, device=device)
            config.check()
            if self.fixed is None:
                resolve_hparams(config)
        except (ValueError, RltuiError) as exc:
            message = str(exc) if isinstance(exc, RltuiError) else f"{bad} must be a whole number"
            culprit = bad or next((k for k in inputs if k in message), "")
            if culprit in inputs:
                inputs[culprit].add_class("-invalid")
            self._set_error(message)
            return None
        self._set_error("")
        return config

    def freeze(self, locked: bool = True) -> None:
        """Freeze the form while a run uses it."""
        for widget in self.query("Input, Select, Button"):
            widget.disabled = locked
        if not locked and self.fixed is not None:
            for widget in self.query("Select"):
                widget.disabled = True
            for key in self.fixed:
                self.query_one(f"#hp-{key}", Input).disabled = True
