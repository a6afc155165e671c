"""The app lets go of what it no longer shows (help screens, rebuilt footers), and the footer is rebuilt
only when its keys change.

Two Textual leaks (textual#6665, textual#6666) kept every widget ever drawn alive; on a screen that
stays up for a whole run, the full garbage collections over them grew into pauses that landed on key
presses (rltui.tui.textual_fixes, rltui.tui.widgets.footer).
"""

import gc

from test_tui_support import sync
from textual._styles_cache import StylesCache
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets._footer import FooterKey

from rltui.tui.app import RltuiApp
from rltui.tui.widgets.footer import Footer


def _alive(*kinds: type) -> list:
    """Every object of these kinds that is still reachable (after a full collection)."""
    gc.unfreeze()  # the app freezes its heap when a run starts; look at everything
    gc.collect()
    return [o for o in gc.get_objects() if issubclass(type(o), kinds)]  # type(): no proxy objects asked


@sync
async def test_opening_and_closing_the_help_leaves_no_widgets_or_render_caches_behind():
    # Only what this test's app makes counts: earlier tests in the process may have left apps alive
    # (a module imported while an app captured stdout keeps that app), which is not this app's leak.
    # The objects alive before are held here, so no new object can take the id of one that dies.
    before = _alive(FooterKey, StylesCache)
    old = {id(o) for o in before}
    app = RltuiApp(start=("train", "FrozenLake4x4"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(12):  # each opening rebuilds the footer and draws a new help screen
            await pilot.press("question_mark")
            await pilot.press("question_mark")
        await pilot.pause(0.2)
        objects = [o for o in _alive(Widget, StylesCache) if id(o) not in old]
        widgets = [o for o in objects if isinstance(o, Widget)]
        keys = [w for w in widgets if isinstance(w, FooterKey)]
        footers = {id(key.parent): key.parent for key in keys if isinstance(key.parent, Footer)}
        assert keys and all(key in key.parent.children for key in keys if key.parent is not None)
        assert sum(len(f.children) for f in footers.values()) == len(keys), "keys of earlier footers are alive"
        for footer in footers.values():
            assert len(getattr(footer, "__watchers")["compact"]) == len(footer.children)
        drawn = {id(w._styles_cache) for w in widgets}
        orphans = [o for o in objects if type(o) is StylesCache and id(o) not in drawn]
        assert len(orphans) < 5, f"{len(orphans)} render caches of widgets no longer shown are alive"
    del before


class _Toggling(App):
    """Two keys in the footer; the second one comes and goes (check_action)."""

    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("a", "alpha", "Alpha"), Binding("b", "beta", "Beta"), Binding("m", "modal", "Modal")]
    beta = True

    def compose(self) -> ComposeResult:
        yield Footer()

    def check_action(self, action: str, parameters) -> bool:
        return action != "beta" or self.beta

    def action_modal(self) -> None:
        self.push_screen(ModalScreen())

    def keys(self) -> list[FooterKey]:
        return list(self.screen.query(FooterKey))


@sync
async def test_the_footer_is_rebuilt_when_its_keys_change_and_only_then():
    app = _Toggling()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        keys = app.keys()
        assert [k.description for k in keys] == ["Alpha", "Beta", "Modal"]
        await pilot.press("m")  # a modal over the screen and back: the same keys, nothing rebuilt
        await pilot.pause()
        app.pop_screen()
        await pilot.pause()
        assert app.keys() == keys and all(a is b for a, b in zip(app.keys(), keys))
        app.beta = False  # a key goes away: rebuilt
        app.refresh_bindings()
        await pilot.pause()
        assert [k.description for k in app.keys()] == ["Alpha", "Modal"]
        app.beta = True
        app.refresh_bindings()
        await pilot.pause()
        assert [k.description for k in app.keys()] == ["Alpha", "Beta", "Modal"]
        footer = app.query_one(Footer)  # the keys of the two rebuilds before are not kept alive
        assert len(getattr(footer, "__watchers")["compact"]) == len(footer.children) == 3


@sync
async def test_a_screen_left_before_its_header_title_is_set_does_not_end_the_app():
    """textual_fixes: Header's title watcher tolerates its screen going away (it raised NoMatches)."""
    from textual.screen import Screen
    from textual.widgets import Header

    class Brief(Screen):
        def compose(self):
            yield Header()

    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for _ in range(5):
            screen = Brief()
            app.push_screen(screen)
            header = None
            for _ in range(100):
                await pilot.pause(0)
                if screen.is_mounted:
                    header = screen.query_one(Header)
                    break
            app.pop_screen()
            header.remove_children()  # what a closing screen leaves the title watcher to find
            app.title = app.title + "."  # fires the watcher now
            await pilot.pause()
        assert app.is_running
