"""Named seller strategies (``configs/presets/*.yaml``) and their resolution into a Strategy.

The preset files are data, not code, so a researcher can read and cite each behaviour's source
line, and add a preset without touching Python. In an installed wheel they are bundled as
``viralsim/_presets``; in a source checkout they are read from ``configs/presets``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from viralsim.config.schema import SellerSpec, Strategy


def presets_dir() -> Path:
    """Directory holding the preset YAML files (wheel first, then source checkout)."""
    here = Path(__file__).resolve().parent.parent
    bundled = here / "_presets"
    if bundled.is_dir():
        return bundled
    return here.parents[1] / "configs" / "presets"


@lru_cache(maxsize=None)
def _preset_table() -> dict[str, dict]:
    table = {}
    for path in sorted(presets_dir().glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            table[path.stem] = yaml.safe_load(fh) or {}
    return table


def preset_names() -> list[str]:
    """Names of the available strategy presets."""
    return sorted(_preset_table())


def preset(name: str) -> Strategy:
    """The Strategy of preset ``name``; ValueError naming the allowed presets otherwise."""
    table = _preset_table()
    if name not in table:
        raise ValueError(f"unknown strategy preset {name!r}; allowed: {', '.join(sorted(table))}")
    return Strategy.model_validate(table[name])


def resolve_strategy(spec: SellerSpec) -> Strategy:
    """The seller's strategy: its preset with the spec's explicit overrides applied on top."""
    base = preset(spec.strategy).model_dump()
    base.update({k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in spec.overrides().items()})
    return Strategy.model_validate(base)
