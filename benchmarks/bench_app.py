"""Latency of the live app's Step button: from the click to the redrawn page, in a real browser.

Usage (from the repository root; needs the viz extra, Playwright and a Chromium)::

    PYTHONPATH=src python benchmarks/bench_app.py                  # 25 steps at 1024x768
    PYTHONPATH=src python benchmarks/bench_app.py --steps 40 --viewport 1600x1000
    PYTHONPATH=src python benchmarks/bench_app.py --url http://127.0.0.1:8765/   # a running app
    PYTHONPATH=src python benchmarks/bench_app.py --source ../other-checkout/src  # another version

Starts ``viralsim app`` (the built-in classroom market: 300 people, two sellers) on a free
localhost port, opens it in headless Chromium and clicks Step ``--steps`` times after a few
warm-up steps. For each click a MutationObserver in the page records when the day counter, the
network picture and the charts change in the page's DOM (the browser paints within the next
frame). A step counts as done when all three have changed and the page has been quiet for
``--quiet-ms``; the next click follows after that. Prints the median, quartiles and maximum of
the click-to-change times, per part and for the whole page, and the first step's time (the
first after the server started when it was started for this run), for docs/benchmarks.md.

Not a test: run it by hand; figures go to docs/benchmarks.md with date, machine and command.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import _machine  # benchmarks/_machine.py: the shared machine line

from viralsim.app import stop_group

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

#: JavaScript: click Step, then resolve with the milliseconds from the click to the first and
#: last DOM change of the day counter, the network picture, the charts and, when a person is
#: followed, her history (a part that did not change is missing)
STEP_JS = """
async ([expected, quietMs, timeoutMs]) => {
  const parts = {day: '.viralsim-day', network: '.viralsim-network-svg', charts: '.viralsim-charts',
                 person: '.viralsim-person-history'};
  const needed = ['day', 'network', 'charts'].concat(document.querySelector(parts.person) ? ['person'] : []);
  const first = {}, last = {};
  let lastAny = 0;
  const t0 = performance.now();
  const observer = new MutationObserver(records => {
    const now = performance.now() - t0;
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (!el) continue;
      for (const [name, sel] of Object.entries(parts)) {
        if (el.closest(sel) || (el.querySelector && el.querySelector(sel) && r.type === 'childList')) {
          if (!(name in first)) first[name] = now;
          last[name] = now;
        }
      }
    }
    lastAny = now;
  });
  observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  document.querySelector('.viralsim-step').click();
  await new Promise(resolve => {
    const check = () => {
      const now = performance.now() - t0;
      const dayOk = document.querySelector('.viralsim-day').textContent === 'Day ' + expected;
      const all = dayOk && needed.every(n => n in first);
      if ((all && now - lastAny >= quietMs) || now > timeoutMs) { resolve(); return; }
      setTimeout(check, 5);
    };
    check();
  });
  observer.disconnect();
  return {first, last};
}
"""


def chromium_path() -> str:
    env = os.environ.get("VIRALSIM_CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("no Chromium found: install one or set VIRALSIM_CHROMIUM")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(folder: Path, source: Path) -> tuple[subprocess.Popen, str]:
    """``viralsim app`` on a free port, with ``source`` (a checkout's ``src``) first on the path."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(source), os.environ.get("PYTHONPATH")])),
               MPLBACKEND="Agg")
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "viralsim", "app", "--port", str(port)], stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True, env=env, cwd=folder)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"viralsim app exited with status {proc.returncode}:\n{(folder / 'server.log').read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    stop_group(proc, 15.0)
    sys.exit("viralsim app did not answer within 180 s")


def summary(values: list[float]) -> str:
    q1, median, q3 = statistics.quantiles(values, n=4)
    return f"{median:7.0f} {q1:7.0f} {q3:7.0f} {max(values):7.0f}"


def measure(url: str, viewport: tuple[int, int], steps: int, warmup: int, quiet_ms: float,
            follow: bool) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.goto(url)
            page.wait_for_function("() => document.querySelector('.viralsim-day')?.textContent === 'Day 0'",
                                   timeout=120_000)
            page.wait_for_selector(".viralsim-network-svg circle", timeout=120_000)
            if follow:  # a contact of the shown seller, whose history then grows every day
                page.locator(".viralsim-person:not([fill='#dbdbdb'])").first.dispatch_event("click")
                page.wait_for_selector(".viralsim-person-svg", timeout=30_000)
            page.wait_for_timeout(1000)
            times: dict[str, list[float]] = {"day": [], "network": [], "charts": [], "person": [], "page": [],
                                             "first": []}
            for i in range(1, warmup + steps + 1):
                got = page.evaluate(STEP_JS, [i, quiet_ms, 30_000])
                parts = ("day", "network", "charts") + (("person",) if follow else ())
                missing = [k for k in parts if k not in got["last"]]
                if missing:
                    sys.exit(f"step {i}: no change of {', '.join(missing)} within 30 s")
                if i == 1:
                    times["first"].append(max(got["last"][k] for k in parts))
                if i > warmup:
                    for k in parts:
                        times[k].append(got["last"][k])
                    times["page"].append(max(got["last"][k] for k in parts))
            return times
        finally:
            browser.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=25, help="measured steps (default 25)")
    ap.add_argument("--warmup", type=int, default=3, help="steps before the measured ones (default 3)")
    ap.add_argument("--viewport", default="1024x768", help="browser window, WIDTHxHEIGHT (default 1024x768)")
    ap.add_argument("--quiet-ms", type=float, default=150.0,
                    help="a step is done when the page has not changed for this long (default 150 ms)")
    ap.add_argument("--follow", action="store_true",
                    help="click a person first, so that every step also redraws her history")
    ap.add_argument("--url", help="measure an app already running at this address (default: start one)")
    ap.add_argument("--source", type=Path, default=ROOT / "src",
                    help="the viralsim to serve: a checkout's src folder (default: this checkout's)")
    args = ap.parse_args()
    viewport = tuple(int(v) for v in args.viewport.lower().split("x"))

    print(f"machine: {_machine.machine('solara')}")
    print(f"date: {time.strftime('%Y-%m-%d')}; load average before: {os.getloadavg()[0]:.2f}")
    print(f"command: python benchmarks/bench_app.py --steps {args.steps} --viewport {args.viewport}"
          + (" --follow" if args.follow else "") + "\n")
    proc = None
    with tempfile.TemporaryDirectory() as tmp:
        if args.url:
            url = args.url
        else:
            proc, url = start_app(Path(tmp), args.source.resolve())
        try:
            times = measure(url, viewport, args.steps, args.warmup, args.quiet_ms, args.follow)
        finally:
            if proc is not None:
                stop_group(proc, 15.0)
    print(f"Step, click to the last change in the page's DOM, ms ({args.steps} steps after {args.warmup} warm-up)")
    print(f"{'part':<10}{'median':>8}{'q1':>8}{'q3':>8}{'max':>8}")
    for name in ("day", "network", "charts", "person", "page"):
        if times[name]:
            print(f"{name:<10}{summary(times[name])}")
    print(f"The first step after the page opened: {times['first'][0]:.0f} ms (page)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
