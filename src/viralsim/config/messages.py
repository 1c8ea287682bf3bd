"""One-line messages about invalid settings: the dotted path, the bad value and what is allowed.

Shared by the run-config loader (:mod:`viralsim.config.load`), the strategy presets
(:mod:`viralsim.config.presets`) and the experiment spec (:mod:`viralsim.experiment.spec`), so a
mistake reads the same wherever it is made. The helpers that walk type annotations
(:func:`unwrap`, :func:`model_members`, :func:`literal_choices`, :func:`kind_annotation`) are
public because the experiment spec follows dotted paths through the run-config schema with them.
"""

from __future__ import annotations

import difflib
import math
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

__all__ = ["FROM_CLI", "PlacedError", "describe_validation", "describe_error", "show_value", "did_you_mean",
           "not_one_of", "yaml_line", "unwrap", "model_members", "kind_annotation", "literal_choices"]

#: marker appended to messages about settings that came from --set/--seed/--days, not the file
FROM_CLI = " (from the command line)"


class PlacedError(ValueError):
    """A refusal that knows the dotted path it is about, when pydantic cannot place it.

    A check of the whole run config (a timed event's change, which only makes sense against
    the rest of the config) is reported by pydantic at the root of the model; raising this
    instead lets :func:`describe_error` name the setting itself: ``events.0.day = 200 is not
    allowed: ...``. ``detail`` is the text after the path (`` = value is not allowed: ...`` or
    ``: ...``).
    """

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"{path}{detail}")
        self.path = path
        self.detail = detail


def describe_validation(
    exc: ValidationError,
    source: str,
    root: type[BaseModel],
    prefix: tuple,
    cli_keys: Sequence[str],
) -> str:
    """``source: <first error> [(from the command line)] [(and N more)]`` for a failed validation of
    ``root``; ``prefix`` is prepended to every path, ``cli_keys`` are the paths set by ``--set``."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    message, path = describe_error(first, root, prefix)
    if any(path == k or path.startswith(k + ".") or k.startswith(path + ".") for k in cli_keys):
        message += FROM_CLI
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return f"{source}: {message}"


def describe_error(error: Mapping[str, Any], root: type[BaseModel], prefix: tuple) -> tuple[str, str]:
    """One pydantic error as ``(message, dotted path)``."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    walk = _walk(root, tuple(error["loc"]))
    shown = list(prefix) + walk.path
    value = error.get("input")
    pyd = _lower_first(error["msg"])

    if kind == "extra_forbidden":
        path = _dotted(shown)
        valid = sorted(walk.owner.model_fields) if walk.owner is not None else []
        close = difflib.get_close_matches(str(shown[-1]), valid, n=1)
        if close:
            return f"unknown field '{path}'; did you mean '{close[0]}'?", path
        scope = f" for kind {walk.tag!r}" if walk.tag else ""
        return f"unknown field '{path}'; valid fields{scope}: {', '.join(valid)}", path

    if kind in ("union_tag_invalid", "union_tag_not_found"):
        field = ctx.get("discriminator", "'kind'").strip("'")
        path = _dotted(shown + [field])
        tags = _union_tags(walk.annotation, field)
        allowed = "must be one of " + ", ".join(repr(t) for t in tags)
        if kind == "union_tag_not_found":
            return f"{path} is missing: {allowed}", path
        tag = ctx.get("tag")
        return f"{path} = {show_value(tag)} is not allowed: {allowed}{did_you_mean(tag, tags)}", path

    placed = ctx.get("error")
    if kind == "value_error" and isinstance(placed, PlacedError):
        path = _dotted([*prefix, placed.path])
        return f"{path}{placed.detail}", path

    path = _dotted(shown)
    if kind == "missing":
        return f"{path} is missing ({pyd})", path
    if kind == "value_error":
        reason = str(ctx["error"]) if "error" in ctx else pyd
        return f"{path} = {show_value(value)} is not allowed: {reason}", path
    if kind == "literal_error":
        choices = literal_choices(walk.annotation)
        allowed = "must be one of " + ", ".join(repr(c) for c in choices) if choices else pyd
        return f"{path} = {show_value(value)} is not allowed: {allowed}{did_you_mean(value, choices)}", path
    allowed = _allowed(kind, ctx)
    if kind == "int_type" and isinstance(value, float) and math.isfinite(value):
        # 3.0 shown as "3" would contradict "must be a whole number"
        hint = f" (write {int(value)})" if value.is_integer() else ""
        return f"{path} = {value!r} is not allowed: {allowed}{hint}", path
    if allowed is None:
        return f"{path} = {show_value(value)} is not allowed: {pyd}", path
    return f"{path} = {show_value(value)} is not allowed: {allowed} ({pyd})", path


def _allowed(kind: str, ctx: Mapping[str, Any]) -> str | None:
    bounds = {
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        op, key = bounds[kind]
        return f"must be {op} {show_value(ctx[key])}"
    if kind in ("int_type", "int_parsing", "int_from_float", "int_parsing_size"):
        return "must be a whole number"
    if kind == "finite_number":
        return "must be a finite number"
    if kind in ("float_type", "float_parsing"):
        return "must be a number"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind in ("string_type", "string_sub_type"):
        return "must be text"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return "must be a mapping (key: value)"
    if kind in ("list_type", "tuple_type", "iterable_type"):
        return "must be a list"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"must have at least {n} item{'s' if n != 1 else ''}"
    if kind == "too_long":
        n = ctx.get("max_length")
        return f"must have at most {n} item{'s' if n != 1 else ''}"
    return None


class _Walk(typing.NamedTuple):
    path: list  # loc with discriminated-union tags removed, as the user writes it in YAML
    owner: type[BaseModel] | None  # model whose field the last segment is (None: free-form key)
    annotation: Any  # type at the end of the path (None when the path leaves the schema)
    tag: str | None  # discriminator tag used on the way, if any


def _walk(root: type[BaseModel], loc: tuple) -> _Walk:
    """Follow a pydantic error location through the schema.

    Pydantic puts the tag of a discriminated union into the location
    (``network.watts_strogatz.k``) although the user never wrote it; walking the type
    annotations tells tag segments from field names and finds the model that owns the last
    segment, whose field names are the candidates for a did-you-mean suggestion.
    """
    ann: Any = root
    path: list = []
    owner: type[BaseModel] | None = None
    tag = None
    for seg in loc:
        ann = unwrap(ann)
        members = model_members(ann)
        if len(members) > 1 and isinstance(seg, str):
            match = next((m for m in members if seg in literal_choices(kind_annotation(m))), None)
            if match is not None:
                ann, tag = match, seg
                continue
        path.append(seg)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            owner = ann
            field = ann.model_fields.get(seg) if isinstance(seg, str) else None
            ann = field.annotation if field is not None else None
        elif typing.get_origin(ann) in (dict, Mapping):
            owner = None
            ann = typing.get_args(ann)[1]
        elif typing.get_origin(ann) in (list, tuple, Sequence):
            owner = None
            ann = typing.get_args(ann)[0]
        else:
            owner, ann = None, None
    return _Walk(path, owner, unwrap(ann) if ann is not None else None, tag)


def unwrap(ann: Any) -> Any:
    """Strip ``Annotated`` and ``| None`` so the core type is visible."""
    while True:
        if typing.get_origin(ann) is typing.Annotated:
            ann = typing.get_args(ann)[0]
            continue
        if _is_union(ann):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if len(args) == 1:
                ann = args[0]
                continue
        return ann


def _is_union(ann: Any) -> bool:
    return typing.get_origin(ann) in (typing.Union, types.UnionType)


def model_members(ann: Any) -> list[type[BaseModel]]:
    """The pydantic models of a union annotation ([] for anything else)."""
    if not _is_union(ann):
        return []
    out = []
    for arg in typing.get_args(ann):
        arg = unwrap(arg)
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            out.append(arg)
    return out


def kind_annotation(model: type[BaseModel], field: str = "kind") -> Any:
    """The annotation of a model's discriminator field (None if it has none)."""
    info = model.model_fields.get(field)
    return info.annotation if info is not None else None


def literal_choices(ann: Any) -> list:
    """The values a ``Literal`` annotation allows ([] for anything else)."""
    ann = unwrap(ann)
    if typing.get_origin(ann) is typing.Literal:
        return list(typing.get_args(ann))
    return []


def _union_tags(ann: Any, field: str) -> list:
    tags: list = []
    for member in model_members(unwrap(ann)):
        tags.extend(literal_choices(kind_annotation(member, field)))
    return tags


def did_you_mean(value: Any, choices: Sequence) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or an empty string."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def not_one_of(value: Any, choices: Sequence) -> str:
    """`` = VALUE is not allowed: must be one of 'a', 'b' (did you mean 'a'?)``: the refusal of a
    name outside ``choices``, to follow the path it is about."""
    return (f" = {show_value(value)} is not allowed: must be one of {', '.join(repr(c) for c in choices)}"
            f"{did_you_mean(value, choices)}")


def yaml_line(value: Any) -> str:
    """``value`` as one line of YAML, or its repr where YAML cannot write it (an integer too long
    to convert, which the reader keeps as a :class:`~viralsim.config.yamlio.HugeInt` for
    validation to refuse)."""
    try:
        return yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
    except yaml.YAMLError:
        return repr(value)


def _dotted(parts: Sequence) -> str:
    """``a.b.c`` from the parts of a path; an empty mapping key, which a dot cannot show, as
    ``a.b['']``."""
    out = ""
    for part in map(str, parts):
        out += "['']" if part == "" else ("." if out else "") + part
    return out


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def show_value(value: Any, limit: int = 60) -> str:
    """A value as the user would write it in YAML, shortened to fit one line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, (dict, list)):
        text = yaml_line(value)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
