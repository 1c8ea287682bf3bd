"""The parameter registry: one row per config path, read off the schema.

Every field of :mod:`viralsim.config.schema` carries a :class:`~viralsim.config.schema.Param`
(label, unit, meaning, source, UI range) next to its pydantic default and bounds. This module
walks the schema and gives each parameter as a :class:`Row` with its dotted config path, its
default, and its allowed range rendered from the pydantic constraints ("prob", "[0, 1000]",
"(0, 10^7]", "int in [1, 10^5]", "one of ..."). The parameter tables of ``docs/model.md`` §3.4
(``tools/gen_params_doc.py``), ``viralsim params``, and the web app's sliders are made from it.

Paths are as a config file writes them: ``feed.attention_per_day``; ``network.n`` once per
network kind that has it (:attr:`Row.kind`); ``sellers.<name>.posts_per_day`` for each field a
seller sets, her strategy fields included; ``events.<i>.day`` for the fields of every timed event.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import annotated_types
from pydantic import BaseModel

from viralsim.config.schema import STRATEGY_FIELDS, Event, PopulationSpec, RunConfig, SellerSpec, Strategy, param_of

__all__ = ["FORMATS", "SECTIONS", "Row", "UiRange", "UnknownPrefix", "markdown_table", "number", "render", "rows",
           "select", "ui_range"]

#: the sections of the parameter tables, in the order of docs/model.md §3.4
SECTIONS = ("run", "feed", "trust", "annoyance", "ties", "purchase", "wom", "follow", "forward", "platform",
            "network", "sellers", "strategy", "populations", "events")

#: output formats of :func:`render`
FORMATS = ("text", "markdown", "csv", "json")

#: how a seller's name is written in a path
SELLER = "<name>"
#: how a population's name is written in a path
POPULATION = "<population>"
#: how an event's position in the ``events`` list is written in a path
EVENT = "<i>"


class UiRange(NamedTuple):
    """The range a slider or a sweep offers: ``low`` to ``high`` by ``step`` (None: free)."""

    low: float
    high: float
    step: float | None


@dataclass(frozen=True)
class Row:
    """One parameter: its config path and what the registry knows about it."""

    path: str
    section: str
    #: network kind the field belongs to (``network.*`` rows), else None
    kind: str | None
    #: the schema default, as JSON would hold it
    default: Any
    unit: str
    #: validation range in words, from the pydantic constraints and the Param's ``allowed``
    allowed: str
    meaning: str
    source: str
    label: str
    ui: UiRange | None

    @property
    def where(self) -> str:
        """The path with the network kind, for listings: ``network.k [watts_strogatz]``."""
        return f"{self.path} [{self.kind}]" if self.kind else self.path

    def as_dict(self) -> dict[str, Any]:
        ui = None if self.ui is None else {"low": self.ui.low, "high": self.ui.high, "step": self.ui.step}
        return {"path": self.path, "kind": self.kind, "section": self.section, "label": self.label,
                "default": self.default, "unit": self.unit, "allowed": self.allowed, "meaning": self.meaning,
                "source": self.source, "ui": ui}


class UnknownPrefix(ValueError):
    """A prefix no parameter path starts with; the message names it and what is allowed."""


# ---------------------------------------------------------------------------------------------
# Walking the schema
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def rows() -> tuple[Row, ...]:
    """Every parameter of a run config, section by section (:data:`SECTIONS`)."""
    found = list(_walk(RunConfig, ""))
    return tuple(sorted(found, key=lambda r: SECTIONS.index(r.section)))


def _walk(model: type[BaseModel], prefix: str, section: str | None = None, kind: str | None = None) -> Iterator[Row]:
    for name, info in model.model_fields.items():
        path = prefix + name
        if model is SellerSpec and name in STRATEGY_FIELDS:
            continue  # listed once, as the strategy fields they override (section "strategy")
        if name == "kind" and kind is not None:
            continue  # the tag of a network kind: the row network.kind
        ann = info.annotation
        members = _models(ann)
        if model is RunConfig and name == "network":
            yield _row(model, name, "network.kind", "network", None, info.default.kind,
                       allowed="one of " + ", ".join(f"`{_tag(m)}`" for m in members))
            for member in members:
                yield from _walk(member, "network.", "network", _tag(member))
            continue
        if model is RunConfig and name == "sellers":
            yield _row(model, name, "sellers", "sellers", None, _json(info.default))
            yield from _walk(SellerSpec, f"sellers.{SELLER}.", "sellers")
            yield from _walk(Strategy, f"sellers.{SELLER}.", "strategy")
            continue
        if model is RunConfig and name == "populations":
            yield _row(model, name, "populations", "populations", None, _json(info.default))
            yield from _walk(PopulationSpec, f"populations.{POPULATION}.", "populations")
            continue
        if model is RunConfig and name == "events":
            yield _row(model, name, "events", "events", None, _json(info.default),
                       allowed=f"list of at most {number(_lengths(info.metadata)[1])} events")
            yield from _walk(Event, f"events.{EVENT}.", "events")
            continue
        if len(members) == 1:
            yield from _walk(members[0], path + ".", section or name, kind)
            continue
        yield _row(model, name, path, section or "run", kind, _json(info.default))


def _optional(ann: Any) -> Any:
    """``X`` for ``X | None`` (a field that may be left out), else ``ann``."""
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return ann


def _row(model: type[BaseModel], name: str, path: str, section: str, kind: str | None, default: Any,
         allowed: str | None = None) -> Row:
    info = model.model_fields[name]
    meta = param_of(model, name)
    text = allowed if allowed is not None else _allowed(_optional(info.annotation), info.metadata)
    if meta.allowed:
        text = f"{text}; {meta.allowed}"
    if info.is_required():
        default, text = None, f"required; {text}"
    return Row(path=path, section=section, kind=kind, default=default, unit=meta.unit, allowed=text,
               meaning=meta.meaning, source=meta.source, label=meta.label, ui=_ui(meta.ui))


def _models(ann: Any) -> list[type[BaseModel]]:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    if typing.get_origin(ann) in (typing.Union, types.UnionType):  # Union[X, Y] or X | Y
        return [a for a in typing.get_args(ann) if isinstance(a, type) and issubclass(a, BaseModel)]
    return []


def _tag(model: type[BaseModel]) -> str:
    return typing.get_args(model.model_fields["kind"].annotation)[0]


def _json(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_defaults=True)
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# Ranges
# ---------------------------------------------------------------------------------------------


def _bounds(metadata: Sequence[Any]) -> tuple[Any, bool, Any, bool]:
    """(low, low is open, high, high is open) of pydantic constraint metadata (None: unbounded)."""
    lo = hi = None
    lo_open = hi_open = False
    for m in metadata:
        if isinstance(m, annotated_types.Ge):
            lo = m.ge
        elif isinstance(m, annotated_types.Gt):
            lo, lo_open = m.gt, True
        elif isinstance(m, annotated_types.Le):
            hi = m.le
        elif isinstance(m, annotated_types.Lt):
            hi, hi_open = m.lt, True
    return lo, lo_open, hi, hi_open


def _lengths(metadata: Sequence[Any]) -> tuple[int | None, int | None]:
    lo = next((m.min_length for m in metadata if isinstance(m, annotated_types.MinLen)), None)
    hi = next((m.max_length for m in metadata if isinstance(m, annotated_types.MaxLen)), None)
    return lo, hi


def _allowed(ann: Any, metadata: Sequence[Any]) -> str:
    """The validation range of a field in words."""
    if typing.get_origin(ann) is typing.Literal:
        return "one of " + ", ".join(f"`{c}`" for c in typing.get_args(ann))
    if ann is bool:
        return "bool"
    if ann is str:
        lo, hi = _lengths(metadata)
        return f"string of {lo} to {number(hi)} characters" if hi is not None else "string"
    if ann in (int, float):
        lo, lo_open, hi, hi_open = _bounds(metadata)
        if ann is float and (lo, lo_open, hi, hi_open) == (0, False, 1, False):
            return "prob"
        interval = f"{'(' if lo_open else '['}{number(lo)}, {number(hi)}{')' if hi_open else ']'}"
        return f"int in {interval}" if ann is int else interval
    origin = typing.get_origin(ann)
    if origin is list:
        (item,) = typing.get_args(ann)
        item_ann, *item_meta = typing.get_args(item) if typing.get_origin(item) is typing.Annotated else (item,)
        lo, hi = _lengths(metadata)
        each = _allowed(item_ann, [c for m in item_meta for c in getattr(m, "metadata", [m])])
        return f"list of {number(lo)} to {number(hi)} items, each {each}"
    if origin is dict:
        lo, hi = _lengths(metadata)
        return f"map of {number(lo)} to {number(hi)} entries" if lo else f"map of at most {number(hi)} entries"
    raise TypeError(f"no range rendering for {ann!r}")


def number(value: float | None) -> str:
    """A bound as the tables write it: 1000, 0.01, 10^5, 5·10^7, 2^63 − 1, 10^−15."""
    if value is None:
        return "∞"
    if value == 2**63 - 1:
        return "2^63 − 1"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if value >= 10**5:
            digits = str(value).rstrip("0")
            zeros = len(str(value)) - len(digits)
            if len(digits) == 1:
                return f"10^{zeros}" if digits == "1" else f"{digits}·10^{zeros}"
        return str(value)
    if 0 < value < 1e-4:
        mantissa, exponent = f"{value:e}".split("e")
        if float(mantissa) == 1.0:
            return f"10^−{-int(exponent)}"
    return f"{value:g}"


def _ui(ui: tuple | None) -> UiRange | None:
    if ui is None:
        return None
    return UiRange(ui[0], ui[1], ui[2] if len(ui) > 2 else None)


def ui_range(model: type[BaseModel], name: str) -> UiRange:
    """The slider or sweep range of field ``name`` of ``model``: its Param's ``ui``, or else its
    validation bounds (with no step)."""
    meta = param_of(model, name)
    if meta.ui is not None:
        return _ui(meta.ui)
    lo, _, hi, _ = _bounds(model.model_fields[name].metadata)
    if lo is None or hi is None:
        raise ValueError(f"{model.__name__}.{name} has no bounded range")
    return UiRange(lo, hi, None)


# ---------------------------------------------------------------------------------------------
# Selecting and rendering
# ---------------------------------------------------------------------------------------------


def select(prefix: str | None = None) -> list[Row]:
    """The rows whose path is ``prefix`` or starts with ``prefix.``; all rows for None.

    A seller's name in the prefix stands for any seller (``sellers.spam.posts_per_day`` finds
    ``sellers.<name>.posts_per_day``); a section name (``run``, ``strategy``) selects its section.

    Raises
    ------
    UnknownPrefix
        When no parameter matches, naming the prefix and the sections.
    """
    every = rows()
    if prefix is None or prefix == "":
        return list(every)
    if prefix in SECTIONS and prefix not in ("network", "sellers", "populations", "events"):
        found = [r for r in every if r.section == prefix]
        if found:
            return found
    parts = prefix.split(".")
    if parts[0] == "sellers" and len(parts) > 1:
        parts[1] = SELLER
    if parts[0] == "populations" and len(parts) > 1:
        parts[1] = POPULATION
    if parts[0] == "events" and len(parts) > 1:
        parts[1] = EVENT
    key = ".".join(parts)
    found = [r for r in every if r.path == key or r.path.startswith(key + ".")]
    if not found:
        words = sorted({*SECTIONS, *(r.path for r in every), *(p for r in every for p in _prefixes(r.path))})
        close = difflib.get_close_matches(prefix, words, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownPrefix(f"PREFIX = {prefix!r} matches no parameter: give a section ({', '.join(SECTIONS)}) "
                            f"or the beginning of a config path such as trust.half_life{hint}")
    return found


def _prefixes(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def default_text(value: Any) -> str:
    """A default as YAML would write it: 60.0, true, "none", [500, 500], {seller: {}}."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(default_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {default_text(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _md_default(value: Any) -> str:
    text = default_text(value)
    return f"`{text}`" if isinstance(value, (str, list, dict)) else text


def markdown_table(section: str) -> str:
    """The Markdown table of one section (docs/model.md §3.4), without a trailing newline."""
    if section not in SECTIONS:
        raise ValueError(f"unknown section {section!r}; sections: {', '.join(SECTIONS)}")
    kinds = section == "network"
    head = ["Kind"] * kinds + ["Config path", "Default", "Unit", "Allowed range", "Meaning", "Source"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows():
        if r.section != section:
            continue
        cells = [f"`{r.kind}`" if r.kind else "all"] * kinds + [
            f"`{r.path}`", _md_default(r.default), r.unit, r.allowed, r.meaning, r.source]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def render(selected: Sequence[Row], fmt: str = "text") -> str:
    """``selected`` rows as a listing: ``text`` (aligned columns), ``markdown``, ``csv`` or ``json``.

    Text and Markdown show path, default, unit, allowed range and meaning; CSV and JSON hold
    every attribute of a row (label, section, kind, source and UI range too).
    """
    if fmt == "json":
        return json.dumps([r.as_dict() for r in selected], indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["path", "kind", "section", "label", "default", "unit", "allowed", "meaning", "source",
                         "ui_low", "ui_high", "ui_step"])
        for r in selected:
            ui = r.ui or (None, None, None)
            writer.writerow([r.path, r.kind or "", r.section, r.label, default_text(r.default), r.unit, r.allowed,
                             r.meaning, r.source, *("" if v is None else v for v in ui)])
        return out.getvalue()
    head = ("path", "default", "unit", "range", "meaning")
    body = [(r.where, default_text(r.default), r.unit, r.allowed, r.meaning) for r in selected]
    if fmt == "markdown":
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in body]
        return "\n".join(lines) + "\n"
    if fmt != "text":
        raise ValueError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head) - 1)]
    out_lines = ["  ".join(c.ljust(w) for c, w in zip(row[:-1], widths)) + "  " + row[-1] for row in [head, *body]]
    return "\n".join(line.rstrip() for line in out_lines) + "\n"
