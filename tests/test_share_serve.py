"""``rltui serve`` in a real headless browser: Chromium (the system's package) driven by chromedriver
through Selenium loads the page, the Pick screen appears, enter opens Play, an arrow key makes a move.

The page draws the terminal on a canvas, so the test reads what the app sent: a script added before
the page loads keeps a copy of every binary websocket message (the bytes xterm.js draws), and pyte, a
terminal emulator, turns them into the screen's text. The keys go to the page as a person's would.

Without Chromium and chromedriver the test is skipped, unless ``RLTUI_REQUIRE_BROWSER=1`` (CI sets
it, after installing them: see .ci/run), where their absence is a failure.
"""

import base64
import importlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REQUIRED = os.environ.get("RLTUI_REQUIRE_BROWSER") == "1"


def _need(module: str, why: str):
    """Import ``module``; without it skip, or fail where CI requires the browser test to run."""
    try:
        return importlib.import_module(module)
    except ImportError:
        if REQUIRED:
            pytest.fail(f"RLTUI_REQUIRE_BROWSER=1 but {module} is missing ({why})", pytrace=False)
        pytest.skip(f"{module} is not installed ({why})", allow_module_level=True)


_need("textual_serve", "the share extra")
webdriver = _need("selenium.webdriver", "the dev extra")
pyte = _need("pyte", "the dev extra")

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
DRIVER = shutil.which("chromedriver")
if not (CHROMIUM and DRIVER):
    if REQUIRED:
        pytest.fail("RLTUI_REQUIRE_BROWSER=1 but chromium/chromedriver are missing "
                    "(apt-get install chromium chromium-driver)", pytrace=False)
    pytest.skip("needs chromium and chromedriver (apt-get install chromium chromium-driver)", allow_module_level=True)

TEE = """
window.__rltuiBytes = [];
const NativeWebSocket = window.WebSocket;
function TeeWebSocket(url, protocols) {
  const ws = protocols === undefined ? new NativeWebSocket(url) : new NativeWebSocket(url, protocols);
  ws.addEventListener("message", (e) => {
    if (typeof e.data !== "string") window.__rltuiBytes.push(new Uint8Array(e.data));
  });
  return ws;
}
TeeWebSocket.prototype = NativeWebSocket.prototype;
Object.assign(TeeWebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
window.WebSocket = TeeWebSocket;
"""

TAKE = """
const parts = window.__rltuiBytes.splice(0);
let s = "";
for (const p of parts) { for (let i = 0; i < p.length; i += 8192) {
  s += String.fromCharCode.apply(null, p.subarray(i, i + 8192)); } }
return btoa(s);
"""

TIMEOUT = 60.0  # seconds for each stage: the app's process starts cold (Textual, the catalogue)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BrowserScreen:
    """What the page's terminal shows, rebuilt from the bytes the app sent it."""

    def __init__(self, driver) -> None:
        self.driver = driver
        self.screen = pyte.Screen(250, 80)
        self.stream = pyte.ByteStream(self.screen)

    def text(self) -> str:
        data = base64.b64decode(self.driver.execute_script(TAKE))
        if data:
            self.stream.feed(data)
        return "\n".join(self.screen.display)

    def wait_for(self, *needles: str, timeout: float = TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.text()
            if all(n in text for n in needles):
                return text
            time.sleep(0.25)
        raise AssertionError(f"the page never showed {needles}; it showed:\n{text}")


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "rltui", "--data-dir", str(tmp_path / "data"), "serve",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("rltui serve did not start:\n" + (tmp_path / "serve.log").read_text()) from None
            time.sleep(0.2)
    try:
        yield url, tmp_path / "serve.log"
    finally:
        proc.terminate()  # textual-serve stops its app processes on SIGTERM
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def browser(tmp_path):
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1100,700", f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TEE})
        yield driver
    finally:
        driver.quit()


def test_pick_then_play_then_a_move_in_a_real_browser(server, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, log = server
    browser.get(url)
    page = BrowserScreen(browser)
    pick = page.wait_for("GridWorld", "FrozenLake", "Play")  # the catalogue and the footer of Pick
    assert "Train" in pick and "Compare" in pick

    browser.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea").click()
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    play = page.wait_for("play · GridWorld", "keys", "seed", "●")  # Play: title, key bar, HUD, the agent
    assert re.search(r"step\s+0\b", play)

    ActionChains(browser).send_keys(Keys.ARROW_RIGHT).perform()
    moved = page.wait_for("(right)")  # the HUD names the move just made...
    assert re.search(r"step\s+1\b", moved) and "●" in moved  # ...and counts it; the board is still drawn
    assert b"Traceback" not in Path(log).read_bytes()
