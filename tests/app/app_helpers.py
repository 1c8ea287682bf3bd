"""Helpers shared by the tests that start ``viralsim app`` in a child process."""

from __future__ import annotations

import os
from pathlib import Path


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a ``python -m viralsim`` child that imports the viralsim under test (the
    child runs in a temporary folder, where a relative PYTHONPATH would find another copy)."""
    import viralsim

    source = str(Path(viralsim.__file__).resolve().parents[1])
    path = os.pathsep.join([source, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])
    return {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1", **extra}
