"""Shared fixtures of the config tests."""

from __future__ import annotations

import textwrap

import pytest


@pytest.fixture
def write(tmp_path):
    """Write YAML text (dedented) to a file in tmp_path and return its path."""

    def _write(text: str, name: str = "cfg.yaml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write
