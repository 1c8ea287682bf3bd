"""Live web app for teachers: ``viralsim app [CONFIG]``.

A Mesa SolaraViz page served by Solara on localhost: the friend network coloured by trust in a
seller (muted and blocked contacts marked, sellers highlighted), levers for the strategy and
the market, play / step / reset, and live charts. See ``docs/teaching.md``.

The page needs the ``viz`` extra (``pip install 'viralsim[viz]'``: solara, altair); nothing
here imports it until the server starts, so ``viralsim --help`` stays fast.

Modules: :mod:`viralsim.app.model` (the levers and the model, no web stack),
:mod:`viralsim.app.drawing` (matplotlib pictures), :mod:`viralsim.app.page` (the Solara page).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["missing_dependencies", "server_command", "server_env", "serve", "PAGE_MODULE", "ENV_CONFIG", "ENV_SET"]

#: the module Solara serves (its ``Page`` component)
PAGE_MODULE = "viralsim.app.page"

#: environment variables through which ``serve`` tells the page what to show: the config path
#: (empty: the built-in classroom market) and a JSON list of ``dotted.path=value`` overrides
ENV_CONFIG = "VIRALSIM_APP_CONFIG"
ENV_SET = "VIRALSIM_APP_SET"

#: Python modules the page needs beyond viralsim's own dependencies (the ``viz`` extra)
VIZ_MODULES = ("solara", "altair")


def missing_dependencies() -> list[str]:
    """Names of the ``viz`` extra's modules that are not installed."""
    return [name for name in VIZ_MODULES if importlib.util.find_spec(name) is None]


def server_command(host: str = "127.0.0.1", port: int = 8765) -> list[str]:
    """The command line that serves the page (Solara's production server, no browser opened)."""
    return [
        sys.executable, "-m", "solara", "run", PAGE_MODULE,
        "--host", host, "--port", str(port), "--production", "--no-open",
        "--log-level", "warning",
    ]


def server_env(config: str | Path | None = None, overrides: Sequence[str] = ()) -> dict[str, str]:
    """Environment for the server process: which config to show, and no telemetry (offline use)."""
    env = dict(os.environ)
    env[ENV_CONFIG] = str(Path(config).absolute()) if config is not None else ""
    env[ENV_SET] = json.dumps(list(overrides))
    env.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    env.setdefault("MPLBACKEND", "Agg")
    return env


def serve(config: str | Path | None = None, overrides: Sequence[str] = (), *, host: str = "127.0.0.1",
          port: int = 8765) -> int:
    """Serve the app until interrupted (Ctrl-C); returns the server's exit status.

    The config is loaded and checked first (a :class:`~viralsim.config.load.ConfigError` is raised
    before anything starts), and a missing ``viz`` extra raises :class:`ModuleNotFoundError`.
    """
    from viralsim.app.model import app_config  # lazy: mesa and the engine; this package is imported by the CLI

    app_config(config, tuple(overrides))  # fail early, in this process, with the loader's message
    missing = missing_dependencies()
    if missing:
        raise ModuleNotFoundError(
            f"the app needs {', '.join(missing)} (the viz extra): pip install 'viralsim[viz]'"
        )
    print(f"viralsim app: serving http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        return subprocess.call(server_command(host, port), env=server_env(config, overrides))
    except KeyboardInterrupt:
        return 0
