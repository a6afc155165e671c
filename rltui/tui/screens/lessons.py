"""Lessons: pick one, read its pages, and press enter on each to try what the page explains."""

from __future__ import annotations

from rich.console import Group
from rich.markdown import Markdown
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, OptionList, Static
from textual.widgets.option_list import Option

from rltui.tui.lessons import LESSONS, Lesson, lesson
from rltui.tui.messages import Latest
from rltui.tui.widgets.footer import Footer


class Computed(Latest):
    """A page's computed table (payload: (page index, renderable or error text))."""


class LessonsScreen(Screen):
    """The list of lessons; enter opens one."""

    BINDINGS = [
        Binding("enter", "open", "Open", priority=False),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    HELP = """\
# Lessons

Short guided lessons, a few pages each. Every page has one thing to try (**enter**): stepping through
updates, training two learners side by side, or an exact calculation. **→/←** turn the pages.
"""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="lessons"):
            yield OptionList(*(Option(f"{i + 1}. {item.title}", id=item.key) for i, item in enumerate(LESSONS)),
                             id="lesson-list")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "lessons"
        self.query_one("#lesson-list", OptionList).focus()

    @on(OptionList.OptionSelected, "#lesson-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.app.push_screen(LessonScreen(lesson(str(event.option.id))))

    def action_open(self) -> None:
        options = self.query_one("#lesson-list", OptionList)
        if options.highlighted is not None:
            self.app.push_screen(LessonScreen(LESSONS[options.highlighted]))


class LessonScreen(Screen):
    """One lesson, page by page."""

    BINDINGS = [
        Binding("enter", "try", "Try it"),
        Binding("right,l", "page(1)", "Next page", key_display="→"),
        Binding("left,h", "page(-1)", "Previous", key_display="←"),
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    HELP = LessonsScreen.HELP

    def __init__(self, item: Lesson) -> None:
        super().__init__()
        self.lesson = item
        self.page = 0
        self.results: dict[int, object] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="lesson-page"):
            yield Static(id="lesson-text")
        yield Footer()

    def on_mount(self) -> None:
        self.focus()
        self._paint()

    def _paint(self) -> None:
        page = self.lesson.pages[self.page]
        self.sub_title = f"{self.lesson.title} · page {self.page + 1} of {len(self.lesson.pages)}"
        parts: list = [Markdown(page.text)]
        if self.page in self.results:
            parts.append(self.results[self.page])
        hint = f"enter: {page.try_label}"
        if self.page + 1 < len(self.lesson.pages):
            hint += " · → next page"
        parts.append(Text(hint, style="dim"))
        self.query_one("#lesson-text", Static).update(Group(*parts))

    def action_page(self, step: int) -> None:
        self.page = max(0, min(len(self.lesson.pages) - 1, self.page + step))
        self._paint()

    def action_try(self) -> None:
        page = self.lesson.pages[self.page]
        if page.compute is not None:
            self.results[self.page] = Text("computing…", style="dim")
            self._paint()
            self._compute(self.page)
            return
        if page.action is None:
            return
        kind, env, *rest = page.action
        if kind == "explain":
            self.app.open_explain(env, rest[0])
        elif kind == "deep":
            from rltui.tui.screens.deep_explain import DeepExplainScreen

            self.app.push_screen(DeepExplainScreen(env, rest[0]))
        elif kind == "versus":
            from rltui.tui.screens.versus import VersusScreen

            sides, steps = rest
            self.app.push_screen(VersusScreen(env, sides, steps=steps, help_text=page.text))

    @work(thread=True, exclusive=True, group="lesson", exit_on_error=False)
    def _compute(self, index: int) -> None:
        page = self.lesson.pages[index]
        try:
            result = page.compute()
        except Exception as exc:  # noqa: BLE001 - shown on the page
            result = Text(f"could not compute: {exc}", style="bold red")
        self.post_message(Computed((index, result)))

    def on_computed(self, message: Computed) -> None:
        index, result = message.payload
        self.results[index] = result
        self._paint()
