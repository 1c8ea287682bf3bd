"""The live app in a real browser.

Starts ``viralsim app`` on a free localhost port, opens the page in headless Chromium (the
system's Chromium driven by Playwright, no browser download; every request that is not to
localhost is refused, so the page must work offline), clicks Step, moves the posts-per-day
slider and a market slider, checks that the day counter, the charts and the network picture
change, and saves a screenshot of the page.

The screenshot lands in pytest's temporary directory (``<basetemp>/.../viralsim-app.png``) and
in ``tests/app/output/`` (git-ignored), or in ``$VIRALSIM_SCREENSHOT_DIR`` when that is set.
Chromium is taken from ``$VIRALSIM_CHROMIUM``, else ``chromium`` / ``chromium-browser`` on the
PATH. A missing Playwright or viz extra fails the test with the command that installs it; a
missing browser fails it in CI (``CI`` set) and skips it elsewhere, with the command that installs
it (``make test`` installs it first where it can: tools/test-deps.sh).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
SERVER_START_S = 120
UI_TIMEOUT_MS = 60_000


def chromium_path() -> str | None:
    env = os.environ.get("VIRALSIM_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"viralsim app exited with status {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"viralsim app did not answer within {SERVER_START_S} s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    """Stop the server we started: its process group (viralsim app and the Solara server under it)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=15)


def screenshot_dirs(tmp_path: Path) -> list[Path]:
    env = os.environ.get("VIRALSIM_SCREENSHOT_DIR")
    extra = Path(env) if env else HERE / "output"
    return [tmp_path, extra]


def changed(locator, before: bytes, timeout_s: float = 30.0) -> bool:
    """Wait until a screenshot of ``locator`` differs from ``before``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if locator.screenshot() != before:
            return True
        time.sleep(0.3)
    return False


def click_slider(page, slider, fraction: float) -> None:
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    assert box is not None, "slider is not visible"
    page.mouse.click(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)


def test_app_in_headless_chromium(tmp_path):
    from viralsim.app import missing_dependencies

    missing = missing_dependencies()
    if missing:
        pytest.fail(f"the app's viz extra is not installed ({', '.join(missing)}): pip install -e '.[dev,viz]'")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: pip install -e '.[dev,viz]' (no browser download is needed)")
    exe = chromium_path()
    if exe is None:
        # `make test` installs Chromium where it can (tools/test-deps.sh); where it cannot (no root
        # or sudo) a developer's run goes on without the browser, but CI must run this test.
        message = ("Chromium not found: apt-get install -y chromium (Debian), or set VIRALSIM_CHROMIUM to a "
                   "Chromium/Chrome executable")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path / "server.log"
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1"}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "viralsim", "app", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env,
                                cwd=tmp_path)
    external: list[str] = []
    try:
        wait_until_serving(url, proc, log)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1500, "height": 1100})

                def only_localhost(route):
                    target = route.request.url
                    if target.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
                        route.continue_()
                    else:
                        external.append(target)
                        route.abort()

                page.route("**/*", only_localhost)
                page.goto(url)
                day = page.locator(".viralsim-day")
                expect(day).to_have_text("Day 0", timeout=UI_TIMEOUT_MS)
                charts = page.locator(".viralsim-charts img").first
                network = page.locator(".viralsim-network img").first
                expect(charts).to_be_visible(timeout=UI_TIMEOUT_MS)
                expect(network).to_be_visible(timeout=UI_TIMEOUT_MS)
                charts_0, network_0 = charts.screenshot(), network.screenshot()

                # Step three days: the counter, the charts and the network colours move.
                step = page.get_by_role("button", name=re.compile(r"^\s*step\s*$", re.I))
                for i in range(1, 4):
                    step.click()
                    expect(day).to_have_text(f"Day {i}", timeout=UI_TIMEOUT_MS)
                assert changed(charts, charts_0), "the charts did not change after three steps"
                assert changed(network, network_0), "the network picture did not change after three steps"
                status = page.locator(".viralsim-status")
                assert re.search(r"\d+ sales", status.inner_text())

                # Move the posts-per-day slider of the shown (spam) seller: the lever acts from the next day.
                label = page.locator(".viralsim-seller-sliders .v-label").first
                before = label.inner_text()
                assert before.startswith("Posts per day: 120"), before
                click_slider(page, page.locator(".viralsim-seller-sliders .v-slider").first, 0.15)
                expect(label).not_to_have_text(before, timeout=UI_TIMEOUT_MS)
                posts = float(label.inner_text().split(":")[1])
                assert posts < 60, f"slider moved to {posts} posts per day"
                charts_3 = charts.screenshot()
                for i in range(4, 6):
                    step.click()
                    expect(day).to_have_text(f"Day {i}", timeout=UI_TIMEOUT_MS)
                assert changed(charts, charts_3), "the charts did not change after the slider and two steps"

                # A market lever (network size) acts on Reset: a smaller market is drawn.
                market = page.locator(".viralsim-market")
                assert "300 people" in market.inner_text()      # every person, the sellers too
                size = page.locator(".v-input", has=page.locator("label", has_text="Network size")).locator(".v-slider")
                click_slider(page, size.first, 0.05)
                network_5 = network.screenshot()
                page.get_by_role("button", name=re.compile(r"^\s*reset\s*$", re.I)).click()
                expect(day).to_have_text("Day 0", timeout=UI_TIMEOUT_MS)
                expect(market).not_to_contain_text("300 people", timeout=UI_TIMEOUT_MS)
                assert changed(network, network_5), "the network picture did not change after Reset"
                step.click()
                expect(day).to_have_text("Day 1", timeout=UI_TIMEOUT_MS)

                for folder in screenshot_dirs(tmp_path):
                    folder.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(folder / "viralsim-app.png"), full_page=True)
                print(f"screenshot: {screenshot_dirs(tmp_path)[-1] / 'viralsim-app.png'}")
            finally:
                browser.close()
    finally:
        stop(proc)
    assert not external, f"the page tried to reach the network: {external[:5]}"
