"""The strategy preset files (``configs/presets/*.yaml``): where they are, their names, their data.

The preset files are data, not code, so a researcher can read and cite each behaviour's source
line, and add a preset without touching Python. In an installed wheel they are bundled as
``viralsim/_presets``; in a source checkout they are read from ``configs/presets``.

Preset files are read with the config reader (duplicate keys refused, merge keys allowed). A
file that cannot be read or parsed does not hide the other presets: its name stays listed, and
only a seller that uses it gets an error naming the file.

A preset becomes a :class:`~viralsim.config.schema.Strategy` in the schema
(:meth:`Strategy.from_preset <viralsim.config.schema.Strategy.from_preset>`, and a seller's
preset with her overrides: :meth:`SellerSpec.resolve <viralsim.config.schema.SellerSpec.resolve>`):
this module reads files and knows nothing of the schema, so that the schema can use it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from viralsim.config.yamlio import YamlProblem, load_yaml

__all__ = ["PresetError", "presets_dir", "preset_names", "preset_path", "preset_data"]


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
