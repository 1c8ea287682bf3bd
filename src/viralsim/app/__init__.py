"""Live web app for teachers: ``viralsim app [CONFIG]``.

A Solara page served on localhost around a Mesa model of the market: the friend network
coloured by trust in a seller (muted and blocked contacts marked, sellers named), levers for
the strategy and the market, play / step / run to a day / reset, live charts, a person's
history and CSV/PNG export, laid out for a 1024x768 projector. See ``docs/teaching.md``.

The page needs the ``viz`` extra (``pip install 'viralsim[viz]'``: solara, altair); nothing
here imports it until the server starts, so ``viralsim --help`` stays fast.

Modules: :mod:`viralsim.app.model` (the levers and the model, no web stack),
:mod:`viralsim.app.svg` (the page's live pictures as SVG), :mod:`viralsim.app.drawing`
(matplotlib pictures: the PNG export), :mod:`viralsim.app.page` (the Solara page).
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["missing_dependencies", "server_command", "server_env", "serve", "supervise", "PAGE_MODULE", "ENV_CONFIG",
           "ENV_SET", "STOP_SIGNALS"]

#: the module Solara serves (its ``Page`` component)
PAGE_MODULE = "viralsim.app.page"

#: environment variables through which ``serve`` tells the page what to show: the config path
#: (empty: the built-in classroom market) and a JSON list of ``dotted.path=value`` overrides
ENV_CONFIG = "VIRALSIM_APP_CONFIG"
ENV_SET = "VIRALSIM_APP_SET"

#: Python modules the page needs beyond viralsim's own dependencies (the ``viz`` extra)
VIZ_MODULES = ("solara", "altair")

#: signals that stop ``viralsim app``: Ctrl-C, ``kill``, and a closed terminal
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: seconds the server gets to shut down after a stop signal before it is killed; uvicorn's
#: graceful shutdown waits for open browser tabs (websockets), so it may never finish on its own
STOP_GRACE_S = 5.0


def missing_dependencies() -> list[str]:
    """Names of the ``viz`` extra's modules that are not installed."""
    return [name for name in VIZ_MODULES if importlib.util.find_spec(name) is None]


def server_command(host: str = "127.0.0.1", port: int = 8765) -> list[str]:
    """The command line that serves the page (Solara's production server, no browser opened)."""
    return [
        sys.executable, "-m", "solara", "run", PAGE_MODULE,
        "--host", host, "--port", str(port), "--production", "--no-open",
        "--log-level", "warning",
        # no look-up of the newest Solara on PyPI at start: a classroom may be offline, and the
        # app must not reach the network unasked
        "--no-check-version",
    ]


def server_env(config: str | Path | None = None, overrides: Sequence[str] = ()) -> dict[str, str]:
    """Environment for the server process: which config to show, and no telemetry (offline use)."""
    env = dict(os.environ)
    env[ENV_CONFIG] = str(Path(config).absolute()) if config is not None else ""
    env[ENV_SET] = json.dumps(list(overrides))
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    env.setdefault("MPLBACKEND", "Agg")
    # Solara's "This website runs on Solara" banner sits on top of the page's bottom edge
    env.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    return env


def serve(config: str | Path | None = None, overrides: Sequence[str] = (), *, host: str = "127.0.0.1",
          port: int = 8765) -> int:
    """Serve the app until stopped (Ctrl-C, SIGTERM or SIGHUP); returns the server's exit status.

    The config is loaded and checked first (a :class:`~viralsim.config.load.ConfigError` is raised
    before anything starts), and a missing ``viz`` extra raises :class:`ModuleNotFoundError`.
    The server runs as a child process (Solara's own command line) in a process group of its
    own, which :func:`supervise` stops with this process.
    """
    from viralsim.app.model import app_config  # lazy: mesa and the engine; this package is imported by the CLI

    app_config(config, tuple(overrides))  # fail early, in this process, with the loader's message
    missing = missing_dependencies()
    if missing:
        raise ModuleNotFoundError(
            f"the app needs {', '.join(missing)} (the viz extra): pip install 'viralsim[viz]'"
        )
    print(f"viralsim app: serving http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    return supervise(lambda: subprocess.Popen(
        server_command(host, port), env=server_env(config, overrides), start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None))


def _die_with_parent() -> None:
    """In the server process (Linux): get SIGTERM when ``viralsim app`` dies, even by SIGKILL,
    which no handler can catch; without it the orphaned server would keep the port."""
    import ctypes

    parent = os.getppid()
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM))
    if os.getppid() != parent:  # the parent died before the line above
        os.kill(os.getpid(), signal.SIGTERM)


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    """Send ``signum`` to the process group ``proc`` leads (the server and anything it started)."""
    try:
        os.killpg(proc.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def stop_group(proc: subprocess.Popen, grace_s: float = STOP_GRACE_S) -> None:
    """Stop a server started in its own process group (``start_new_session``) from outside it:
    SIGTERM to the group, then SIGKILL to whatever is left after ``grace_s`` seconds. For the
    callers that start ``viralsim app`` themselves (the browser tests, the app benchmark)."""
    if proc.poll() is None:
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            pass
    _signal_group(proc, signal.SIGKILL)
    proc.wait(timeout=grace_s)


def supervise(start: Callable[[], subprocess.Popen], grace_s: float = STOP_GRACE_S) -> int:
    """Start the server (``start()``, a process leading its own process group) and wait for it;
    on a stop signal, stop its whole process group.

    Why: Python's default SIGTERM and SIGHUP actions end this process at once and leave the
    server (a separate process) serving the port, and a SIGINT sent to this process alone
    (``kill -INT``) never reaches the server. So each of :data:`STOP_SIGNALS` is caught, from
    before the server starts, and passed on as SIGTERM to the server's group; a server still
    alive ``grace_s`` seconds later is killed. Returns 0 after a requested stop, else the
    server's own exit status. The previous signal handlers are restored on return.
    """
    requested: list[float] = []
    server: list[subprocess.Popen] = []

    def on_stop(signum, frame):
        if not requested:
            requested.append(time.monotonic() + grace_s)
        if server:
            _signal_group(server[0], signal.SIGTERM)

    previous = {sig: signal.signal(sig, on_stop) for sig in STOP_SIGNALS}
    try:
        proc = start()
        server.append(proc)
        if requested:  # a stop signal came while the server was starting
            _signal_group(proc, signal.SIGTERM)
        while True:
            try:
                status = proc.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if requested and time.monotonic() > requested[0]:
                    _signal_group(proc, signal.SIGKILL)
        _signal_group(proc, signal.SIGKILL)  # anything the server left behind in its group
        return 0 if requested else status
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
