"""Where results came from: package versions and the code that produced a folder.

Both kinds of results folder record these in their manifest (:mod:`viralsim.results.run_folder`,
:mod:`viralsim.results.sweep_folder`); an experiment's folder also records :func:`code_identity`
in its plan, and refuses to be resumed or merged with results of other code.

The git commit is recorded once, inside :func:`code_identity` (``code.git_commit``): the commit
of the checkout the package was imported from. The working directory's checkout, which manifests
once recorded beside it as ``git_commit``, says nothing about the code that ran (and was null
whenever viralsim ran from another directory), so it is not recorded.
"""

from __future__ import annotations

import functools
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from viralsim import __version__

__all__ = ["package_version", "viralsim_version", "code_identity", "checkout_state", "describe_code",
           "code_differs"]


def package_version(dist: str) -> str | None:
    """The installed version of distribution ``dist``, or None if it is not installed."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def viralsim_version() -> str | None:
    """This viralsim's version."""
    # A source checkout's own version string wins over possibly stale installed metadata.
    return __version__ or package_version("viralsim")


def code_identity() -> dict:
    """The code that produces this process's results.

    Returns
    -------
    dict
        ``{"viralsim": version}``, plus ``git_commit`` (the checkout's HEAD) and ``dirty``
        (uncommitted or untracked changes under the package's own folder) when the package is
        imported from a git checkout, as with an editable install. An installed copy, even one
        inside a checkout's ``.venv``, has no commit. Computed once per process.
    """
    return dict(_code_identity())


@functools.lru_cache(maxsize=1)
def _code_identity() -> tuple:
    identity: list[tuple[str, Any]] = [("viralsim", __version__)]
    state = checkout_state(Path(__file__).resolve().parents[1])
    if state is not None:
        identity += [("git_commit", state[0]), ("dirty", state[1])]
    return tuple(identity)


def checkout_state(package: Path) -> tuple[str, bool] | None:
    """``(HEAD commit, dirty)`` of the git checkout holding the package folder ``package``, where
    dirty means uncommitted or untracked changes under ``package``; None if ``package`` is not
    tracked in a git checkout (or git is missing)."""
    # The package's own files must be tracked: a copy in an ignored .venv is not the checkout's code.
    if _git(package, "ls-files", "--", "__init__.py") != "__init__.py":
        return None
    commit = _git(package, "rev-parse", "HEAD")
    status = _git(package, "status", "--porcelain", "--", ".")
    if not commit or status is None:
        return None
    return commit, bool(status)


def _git(folder: Path, *args: str) -> str | None:
    """Stripped output of ``git <args>`` run in ``folder``; None if git fails or is missing.
    ``--no-optional-locks``: ``git status`` must not take the index lock a concurrent git
    command in the checkout may hold."""
    try:
        out = subprocess.run(["git", "--no-optional-locks", "-C", str(folder), *args], capture_output=True,
                             text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def describe_code(code: dict) -> str:
    """``viralsim 0.1.0 at commit 36e76306cefc with uncommitted changes`` and the like."""
    if not code:
        return "unrecorded code"
    text = f"viralsim {code.get('viralsim') or '(unknown version)'}"
    commit = code.get("git_commit")
    if not commit:
        return text + " (not from a git checkout)"
    return text + f" at commit {commit[:12]}" + (" with uncommitted changes" if code.get("dirty") else "")


def code_differs(recorded: dict, current: dict) -> bool:
    """Whether results of ``recorded`` code and of ``current`` code may not be mixed.

    A folder without a record (written before it existed) is not checked. The same commit
    with uncommitted changes on both sides counts as the same code: git cannot tell more
    cheaply.
    """
    return bool(recorded) and bool(current) and recorded != current
