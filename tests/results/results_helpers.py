"""Helpers for the results tests: a tiny market and experiment specs in tmp_path.

Runs are small (300 people, ~0.1 s each), so that sweeps of a few runs fit in seconds.
"""

from __future__ import annotations

from pathlib import Path

import yaml

BASE = """\
name: tiny
seed: 1
days: {days}
network: {{kind: friend_circles, n: 300}}
sellers:
  spam: {{strategy: spam}}
  community: {{strategy: community}}
"""


def write_spec(folder: Path, spec: dict, *, days: int = 20, name: str = "exp.yaml") -> Path:
    """Write ``base.yaml`` (a ``days``-day horizon) and the spec into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text(BASE.format(days=days), encoding="utf-8")
    path = folder / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path
