"""Keys typed faster than the app handles them arrive in order, none dropped (rltui.tui.key_order)."""

from test_tui_support import sync
from textual import events

from rltui.tui.app import RltuiApp
from rltui.tui.screens.pick import PickScreen
from rltui.tui.screens.play import PlayScreen

_CHARS = {"slash": "/", "backspace": None, "escape": None, "enter": "\r"}


def _type(app, keys) -> None:
    """Queue every key at once, as a terminal does when someone types fast (no waiting in between)."""
    for key in keys:
        app._driver.send_message(events.Key(key, _CHARS.get(key, key if len(key) == 1 else None)))


async def _until(pilot, check, seconds: float = 20.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await pilot.pause(0.05)


@sync
async def test_typing_fast_right_after_start_reaches_the_filter_in_order():
    app = RltuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        _type(app, ["slash", *"masked"])  # before the first paint has settled; "e" is also Explain's key
        screen = app.screen
        await _until(pilot, lambda: isinstance(app.screen, PickScreen) and
                     app.screen.query_one("#filter").value == "masked")
        assert app.screen is screen and screen.query_one("#filter").value == "masked"
        _type(app, ["escape", "slash", *"pixels", *["backspace"] * 6, *"pomdp"])
        await _until(pilot, lambda: screen.query_one("#filter").value == "pomdp")
        assert screen.query_one("#filter").value == "pomdp"
        _type(app, ["backspace"] * 5 + [*"taxi", "enter", "enter"])  # enter leaves the filter, enter plays
        await _until(pilot, lambda: isinstance(app.screen, PlayScreen) and app.screen.session is not None)
        assert isinstance(app.screen, PlayScreen) and app.screen.entry.name == "Taxi"
        await pilot.pause()  # let the new screen finish mounting before the app closes


@sync
async def test_moves_typed_fast_are_played_in_order():
    app = RltuiApp(start=("play", "FrozenLake4x4-NoSlip"), play_seed=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await _until(pilot, lambda: isinstance(app.screen, PlayScreen) and app.screen.session is not None)
        screen = app.screen
        moves = ["right", "right", "down", "down", "down", "right"]  # the lake's safe path to the goal
        _type(app, moves)
        await _until(pilot, lambda: screen.session.step_count == len(moves))
        assert screen.session.record.actions == [2, 2, 1, 1, 1, 2]
        assert screen.session.ret == 1.0
