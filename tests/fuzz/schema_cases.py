"""Hypothesis strategies derived from a pydantic schema, for fuzzing configs and experiment specs.

The leaves of a schema (every scalar field, with its dotted path, type, bounds and choices) are
read from the pydantic models themselves, so a field added to the schema is fuzzed without new
test code. For each leaf the strategies draw

* values of the wrong type (text, lists, mappings, null, booleans for numbers and numbers for
  booleans),
* the non-finite and extreme floats (NaN, +-inf, +-1e308, 5e-324, 1e-300, -0.0) and integers
  (2**63, 10**30, a 4,400-digit integer, which Python refuses to parse by default),
* zero, negatives, the bounds themselves and their nearest neighbours outside,
* and valid values inside the bounds.

Fields that set the size of the problem (people, days, block sizes) draw valid values only up to
a size that a short simulation runs in milliseconds: their larger valid range is the resource
estimate's business, tested on its own. Invalid values are drawn for them as for every field.
"""

from __future__ import annotations

import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any

import yaml
from hypothesis import strategies as st
from pydantic import BaseModel

#: a YAML integer of this many digits; Python refuses to convert more than 4,300 by default
HUGE_DIGITS = 4400
#: placeholder replaced by the huge integer's digits in the YAML text (``yaml`` cannot dump it)
HUGE_TOKEN = "__fuzz_huge_integer__"

#: largest valid value drawn for fields that set the problem's size, by the field's last name
SIZE_CAPS = {"n": 1500, "days": 30, "sizes": 600, "replicates": 3, "samples": 4, "steps": 3,
             "grid_levels": 3}

NON_FINITE = [math.nan, math.inf, -math.inf]
EXTREME_FLOATS = [1e308, -1e308, 1.7976931348623157e308, 1e30, -1e30, 5e-324, -5e-324, 1e-300,
                  -1e-300, 2.0**63, 2.0**64, -0.0]
EXTREME_INTS = [2**63, 2**63 - 1, 2**64, -(2**63), 10**30, -(10**30), HUGE_TOKEN]
JUNK = ["", "abc", "1e3x", "0x10", "nan", "inf", "true", [], [1, 2], {}, {"a": 1}, None]


@dataclass(frozen=True)
class Leaf:
    """One scalar field of a schema."""

    path: tuple[str, ...]
    kind: str  # float, int, bool, choice, str, int_list, any
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    choices: tuple = ()
    optional: bool = False
    #: settings that must accompany this leaf (e.g. the network kind whose field it is)
    context: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


def leaves(model: type[BaseModel], prefix: tuple[str, ...] = (), context: dict | None = None,
           instances: dict[tuple[str, ...], list[str]] | None = None) -> list[Leaf]:
    """Every scalar field below ``model``.

    ``instances`` names the keys to use for ``dict[str, Model]`` fields (e.g. the sellers of the
    base config), by the field's path.
    """
    context = context or {}
    instances = instances or {}
    out: list[Leaf] = []
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        ann, meta, optional = _unwrap(info.annotation, list(info.metadata))
        members = _models(ann)
        if members and len(members) > 1:
            # a discriminated union: each member's fields, under the member's own tag
            tag = info.discriminator or "kind"
            for member in members:
                value = typing.get_args(member.model_fields[tag].annotation)[0]
                sub = _set(dict(context), (*path, tag), value)
                out += [leaf for leaf in leaves(member, path, sub, instances) if leaf.path[-1] != tag]
            continue
        if members:
            out += leaves(members[0], path, context, instances)
            continue
        if typing.get_origin(ann) is dict:
            value_ann = typing.get_args(ann)[1]
            sub_models = _models(_unwrap(value_ann, [])[0])
            if sub_models:
                for key in instances.get(path, []):
                    out += leaves(sub_models[0], (*path, key), context, instances)
                continue
        out.append(_leaf(path, ann, meta, optional, context))
    return out


def _leaf(path, ann, meta, optional, context) -> Leaf:
    bounds = _bounds(meta)
    origin = typing.get_origin(ann)
    if origin is typing.Literal:
        return Leaf(path, "choice", choices=typing.get_args(ann), optional=optional, context=context)
    if ann is bool:
        return Leaf(path, "bool", optional=optional, context=context)
    if ann is int:
        return Leaf(path, "int", optional=optional, context=context, **bounds)
    if ann is float:
        return Leaf(path, "float", optional=optional, context=context, **bounds)
    if ann is str:
        return Leaf(path, "str", optional=optional, context=context)
    if origin is list:
        item, item_meta, _ = _unwrap(typing.get_args(ann)[0], [])
        if item is int:
            return Leaf(path, "int_list", optional=optional, context=context, **_bounds(item_meta))
    return Leaf(path, "any", optional=optional, context=context)


def _unwrap(ann: Any, meta: list) -> tuple[Any, list, bool]:
    """(bare annotation, constraint metadata, whether None is allowed)."""
    optional = False
    while True:
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            args = typing.get_args(ann)
            for extra in args[1:]:
                meta = [*meta, *getattr(extra, "metadata", [extra])]
            ann = args[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            if len(args) < len(typing.get_args(ann)):
                optional = True
            if len(args) == 1:
                ann = args[0]
                continue
        return ann, meta, optional


def _models(ann: Any) -> list[type[BaseModel]]:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        args = typing.get_args(ann)
        if all(isinstance(a, type) and issubclass(a, BaseModel) for a in args):
            return list(args)
    return []


def _bounds(meta: list) -> dict:
    out: dict = {}
    for m in meta:
        for attr, key, is_open in (("ge", "lo", False), ("gt", "lo", True), ("le", "hi", False), ("lt", "hi", True)):
            value = getattr(m, attr, None)
            if value is not None:
                out[key] = value
                out[f"{key}_open"] = is_open
    return out


def _set(data: dict, path: tuple[str, ...], value: Any) -> dict:
    node = data
    for key in path[:-1]:
        child = node.get(key)
        node[key] = child = dict(child) if isinstance(child, dict) else {}
        node = child
    node[path[-1]] = value
    return data


def with_context(base: dict, leaves_set: list[Leaf]) -> dict:
    """A deep copy of ``base`` with the settings each leaf needs (the network kind whose field it
    is), its fields left as they are."""
    import copy

    data = copy.deepcopy(base)
    for leaf in leaves_set:
        for path, ctx_value in _flatten(leaf.context):
            if get_path(data, path) != ctx_value:
                # a new network kind starts from the kind's own small base settings
                _set(data, path[:-1], {path[-1]: ctx_value, **NETWORK_BASES.get(ctx_value, {})})
    return data


def apply(base: dict, assignments: list[tuple[Leaf, Any]]) -> dict:
    """``base`` with each leaf's context and then every leaf's value set (``base`` is untouched)."""
    data = with_context(base, [leaf for leaf, _ in assignments])
    for leaf, value in assignments:
        _set(data, leaf.path, value)
    return data


def _flatten(ctx: dict, prefix: tuple = ()) -> list[tuple[tuple, Any]]:
    out = []
    for k, v in ctx.items():
        if isinstance(v, dict):
            out += _flatten(v, (*prefix, k))
        else:
            out.append(((*prefix, k), v))
    return out


def get_path(data: dict, path: tuple) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


#: small, quick settings of each network kind, used when a leaf switches the kind
NETWORK_BASES = {
    "friend_circles": {"n": 300},
    "watts_strogatz": {"n": 300, "k": 6},
    "holme_kim": {"n": 300, "m": 3},
    "barabasi_albert": {"n": 300, "m": 3},
    "sbm": {"sizes": [100, 100, 100], "p_in": 0.05, "p_out": 0.005},
    "complete": {"n": 200},
    "edgelist": {"path": "facebook"},
}


# --- values -----------------------------------------------------------------------------------


def values(leaf: Leaf) -> st.SearchStrategy:
    """Wrong, extreme and valid values for ``leaf``."""
    bad = st.sampled_from(JUNK + NON_FINITE + EXTREME_FLOATS + EXTREME_INTS + [True, False, 0, -1, 0.5])
    # one branch of wrong values against several of right ones: a case sets up to three fields,
    # and most cases should get past validation and run
    options = [bad]
    if leaf.kind in ("float", "int"):
        options += [st.sampled_from(_edges(leaf)), _valid_number(leaf), _valid_number(leaf), _valid_number(leaf)]
    elif leaf.kind == "bool":
        options += [st.booleans(), st.booleans(), st.sampled_from([0, 1, "yes", "no", "True"])]
    elif leaf.kind == "choice":
        options += [st.sampled_from(leaf.choices), st.sampled_from(leaf.choices),
                    st.sampled_from(["bogus", "", "NONE"])]
    elif leaf.kind == "str":
        options += [st.text(max_size=20), st.sampled_from(["../..", "a/b", ".", "spam", "community"])]
    elif leaf.kind == "int_list":
        item = _valid_number(leaf)
        options += [st.lists(item, min_size=1, max_size=4), st.lists(item, min_size=1, max_size=4),
                    st.lists(st.sampled_from([0, -1, 10**30, 1.5, "x", None]), min_size=0, max_size=3)]
    # valid values first: hypothesis leans toward a strategy's first branches
    return st.one_of(*options[1:], options[0])


def valid_values(leaf: Leaf) -> st.SearchStrategy:
    """Values that ``leaf``'s own type and bounds accept: for a number its boundaries, their
    neighbours inside and values between (sizes up to their cap); either value of a flag; any
    choice. (Another field's value may still refuse one: a rule across fields.)"""
    if leaf.kind in ("float", "int"):
        edges = [v for v in _edges(leaf) if _inside(leaf, v)]
        return st.one_of(_valid_number(leaf), st.sampled_from(edges)) if edges else _valid_number(leaf)
    if leaf.kind == "bool":
        return st.booleans()
    if leaf.kind == "choice":
        return st.sampled_from(leaf.choices)
    raise ValueError(f"no valid values are drawn for {leaf.dotted} ({leaf.kind})")


def _cap(leaf: Leaf) -> float | None:
    return SIZE_CAPS.get(leaf.path[-1])


def _valid_number(leaf: Leaf) -> st.SearchStrategy:
    lo = leaf.lo if leaf.lo is not None else (-1e6 if leaf.kind == "float" else -(10**6))
    hi = leaf.hi if leaf.hi is not None else (1e300 if leaf.kind == "float" else 2**62)
    cap = _cap(leaf)
    if cap is not None:
        hi = min(hi, cap)
    if leaf.kind == "int":
        lo_i = math.ceil(lo) + (1 if leaf.lo_open and float(lo).is_integer() else 0)
        hi_i = math.floor(hi) - (1 if leaf.hi_open and float(hi).is_integer() else 0)
        return st.integers(lo_i, max(lo_i, hi_i))
    if hi < lo:
        return st.just(float(lo))
    return st.floats(lo, hi, exclude_min=leaf.lo_open, exclude_max=leaf.hi_open and cap is None,
                     allow_nan=False, allow_infinity=False)


def _edges(leaf: Leaf) -> list:
    out: list = [0, -1]
    for bound in (leaf.lo, leaf.hi):
        if bound is None:
            continue
        out.append(bound)
        if leaf.kind == "float":
            out += [math.nextafter(bound, -math.inf), math.nextafter(bound, math.inf)]
        else:
            out += [int(bound) - 1, int(bound) + 1]
    cap = _cap(leaf)
    if cap is not None:
        # valid values of a size field beyond the cap are not run (see the module docstring)
        out = [v for v in out if not (isinstance(v, (int, float)) and v > cap and _inside(leaf, v))]
    return out


def _inside(leaf: Leaf, v: float) -> bool:
    if leaf.lo is not None and (v < leaf.lo or (leaf.lo_open and v == leaf.lo)):
        return False
    if leaf.hi is not None and (v > leaf.hi or (leaf.hi_open and v == leaf.hi)):
        return False
    return True


def assignments(all_leaves: list[Leaf], max_fields: int = 3) -> st.SearchStrategy:
    """One to ``max_fields`` (leaf, value) pairs on distinct leaves."""
    indices = st.lists(st.integers(0, len(all_leaves) - 1), min_size=1, max_size=max_fields, unique=True)
    return indices.flatmap(lambda idx: st.tuples(*[st.tuples(st.just(all_leaves[i]), values(all_leaves[i]))
                                                   for i in idx]).map(list))


def to_yaml(data: dict) -> str:
    """YAML text of ``data``, with the huge-integer placeholder spelled out."""
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return text.replace(HUGE_TOKEN, "9" * HUGE_DIGITS).replace(f"'{'9' * HUGE_DIGITS}'", "9" * HUGE_DIGITS)


def yaml_value(value: Any) -> str:
    """``value`` as the YAML text of a ``--set key=VALUE`` override."""
    if value == HUGE_TOKEN:
        return "9" * HUGE_DIGITS
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()
