"""Named seller strategies (``configs/presets/*.yaml``) and their resolution into a Strategy.

The preset files are data, not code, so a researcher can read and cite each behaviour's source
line, and add a preset without touching Python. In an installed wheel they are bundled as
``viralsim/_presets``; in a source checkout they are read from ``configs/presets``.

Preset files are read with the config reader (duplicate keys refused, merge keys allowed). A
file that cannot be read or parsed does not hide the other presets: its name stays listed, and
only a seller that uses it gets an error naming the file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from viralsim.config.messages import describe_error
from viralsim.config.schema import SellerSpec, Strategy
from viralsim.config.yamlio import YamlProblem, load_yaml


class PresetError(ValueError):
    """A preset file that cannot be used; the message names the file and the problem."""


def presets_dir() -> Path:
    """Directory holding the preset YAML files (wheel first, then source checkout)."""
    here = Path(__file__).resolve().parent.parent
    bundled = here / "_presets"
    if bundled.is_dir():
        return bundled
    return here.parents[1] / "configs" / "presets"


def _read_preset(path: Path) -> dict | PresetError:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return PresetError(f"strategy preset file {path}: not UTF-8 text ({exc.reason} at byte {exc.start})")
    except OSError as exc:
        return PresetError(f"strategy preset file {path}: cannot be read ({exc.strerror or exc})")
    try:
        data = load_yaml(text)
    except YamlProblem as exc:
        return PresetError(f"strategy preset file {path}: {exc}")
    if data is None:
        return {}
    if not isinstance(data, dict):
        return PresetError(f"strategy preset file {path}: the top level must be a mapping of strategy fields")
    return data


@cache
def _preset_table() -> dict[str, dict | PresetError]:
    return {path.stem: _read_preset(path) for path in sorted(presets_dir().glob("*.yaml"))}


def preset_names() -> list[str]:
    """Names of the available strategy presets (a broken file's name included)."""
    return sorted(_preset_table())


def preset_path(name: str) -> Path:
    """The file preset ``name`` is read from."""
    return presets_dir() / f"{name}.yaml"


def preset_data(name: str) -> dict[str, Any]:
    """The raw mapping of preset ``name``.

    Raises
    ------
    ValueError
        For an unknown name (naming the allowed presets).
    PresetError
        If the preset's file cannot be read or parsed (naming the file).
    """
    table = _preset_table()
    if name not in table:
        raise ValueError(f"unknown strategy preset {name!r}; allowed: {', '.join(sorted(table))}")
    entry = table[name]
    if isinstance(entry, PresetError):
        raise PresetError(str(entry))
    return entry


def preset(name: str) -> Strategy:
    """The Strategy of preset ``name``; ValueError naming the allowed presets otherwise.

    Raises :class:`PresetError` (a ValueError) if the preset's file is broken, and pydantic's
    ValidationError if its fields are invalid.
    """
    return Strategy.model_validate(preset_data(name))


def check_preset(name: str) -> None:
    """Raise :class:`PresetError` naming the file and the first problem unless preset ``name``
    reads, parses and validates."""
    data = preset_data(name)
    try:
        Strategy.model_validate(data)
    except ValidationError as exc:
        detail, _ = describe_error(exc.errors(include_url=False)[0], Strategy, ())
        raise PresetError(f"strategy preset file {preset_path(name)}: {detail}") from None


def resolve_strategy(spec: SellerSpec) -> Strategy:
    """The seller's strategy: its preset with the spec's explicit overrides applied on top."""
    base = preset(spec.strategy).model_dump()
    base.update({k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in spec.overrides().items()})
    return Strategy.model_validate(base)
