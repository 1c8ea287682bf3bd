"""The parameter registry: Param metadata on every schema field, the rows read off the schema,
the generated tables of docs/model.md, and the readers (generators' defaults)."""

from __future__ import annotations

import csv
import importlib.util
import inspect
import io
import json
import typing
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from viralsim.config import registry, schema
from viralsim.config.registry import SECTIONS, UiRange, UnknownPrefix, number, render, rows, select, ui_range
from viralsim.config.schema import (
    BarabasiAlbertNet,
    ContentMix,
    FriendCirclesNet,
    GroupParams,
    HolmeKimNet,
    Param,
    Product,
    RunConfig,
    SellerSpec,
    Strategy,
    TrustParams,
    WattsStrogatzNet,
    param_of,
)

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "model.md"
TOOL = ROOT / "tools" / "gen_params_doc.py"

MODELS = [obj for obj in vars(schema).values()
          if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == schema.__name__
          and obj is not schema.Frozen]
BEHAVIOUR = {"feed": schema.FeedParams, "trust": TrustParams, "annoyance": schema.AnnoyanceParams,
             "ties": schema.TieParams, "purchase": schema.PurchaseParams, "wom": schema.WomParams,
             "follow": schema.FollowParams, "forward": schema.ForwardParams, "platform": schema.PlatformParams}


def _tool():
    spec = importlib.util.spec_from_file_location("gen_params_doc", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the schema carries the registry --------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_schema_field_carries_a_param(model):
    for name in model.model_fields:
        meta = param_of(model, name)
        assert isinstance(meta, Param)
        assert meta.label and meta.unit and meta.meaning and meta.source, f"{model.__name__}.{name}"


def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter:
    info = model.model_fields[name]
    ann = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    models = isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)
    return TypeAdapter(ann) if models else TypeAdapter(ann, config={"strict": True})


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_ui_ranges_are_valid_values_inside_the_validation_bounds(model):
    for name in model.model_fields:
        ui = param_of(model, name).ui
        if ui is None:
            continue
        low, high, *step = ui
        assert low < high and (not step or 0 < step[0] <= high - low), f"{model.__name__}.{name}: {ui}"
        adapter = _field_adapter(model, name)
        for value in (low, high):
            assert adapter.validate_python(value) == value, f"{model.__name__}.{name}: {value}"


def test_the_ui_range_is_what_sliders_get_and_the_bounds_where_there_is_none():
    assert ui_range(TrustParams, "half_life") == UiRange(5, 180, 5)
    assert ui_range(TrustParams, "prior_weak") == UiRange(0.0, 1.0, None)
    assert ui_range(Strategy, "posts_per_day") == UiRange(0, 150, 1)
    assert ui_range(SellerSpec, "posts_per_day") == ui_range(Strategy, "posts_per_day")  # the override's


def test_a_sellers_overrides_take_the_strategy_fields_bounds():
    """Each override has the type, bounds and Param of the strategy field it overrides."""
    for name in schema.STRATEGY_FIELDS:
        assert param_of(SellerSpec, name) == param_of(Strategy, name)
        strategy, override = _field_adapter(Strategy, name), _field_adapter(SellerSpec, name)
        assert override.validate_python(None) is None
        value = schema.default_of(Strategy, name)
        assert override.validate_python(value) == strategy.validate_python(value)
    for name, bad in [("posts_per_day", 1000.5), ("referral_reward", 0.95), ("kol_seeds", 100_001), ("contact", "x")]:
        with pytest.raises(ValidationError):
            SellerSpec(**{name: bad})


# --- rows -------------------------------------------------------------------------------------------


def _rows(section: str) -> list[registry.Row]:
    return [r for r in rows() if r.section == section]


def _leaves(model: type[BaseModel], prefix: str) -> list[str]:
    out = []
    for name, info in model.model_fields.items():
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            out += _leaves(info.annotation, f"{prefix}{name}.")
        else:
            out.append(prefix + name)
    return out


def test_rows_are_every_leaf_of_the_schema_once_in_section_order():
    assert [r.section for r in rows()] == sorted((r.section for r in rows()), key=SECTIONS.index)
    assert len({(r.path, r.kind) for r in rows()}) == len(rows())
    for section, model in BEHAVIOUR.items():
        assert [r.path for r in _rows(section)] == _leaves(model, f"{section}.")
    assert [r.path for r in _rows("run")] == ["name", "seed", "days", "trace_cascades", "engine"]
    assert [r.path for r in _rows("strategy")] == _leaves(Strategy, "sellers.<name>.")
    own = [p for p in _leaves(SellerSpec, "sellers.<name>.") if p.split(".")[2] not in schema.STRATEGY_FIELDS]
    assert [r.path for r in _rows("sellers")] == ["sellers", *own]
    population = [p.replace("populations.<population>.", "") for p in _leaves(schema.PopulationSpec, "")]
    assert [r.path for r in _rows("populations")] == ["populations", *(f"populations.<population>.{p}"
                                                                      for p in population)]
    events = [f"events.<i>.{f}" for f in ("day", "set")] + [
        f"events.<i>.{kind}.{f}" for kind, model in (("switch", schema.StrategySwitch), ("shock", schema.TrustShock))
        for f in model.model_fields]
    assert [r.path for r in _rows("events")] == ["events", *events]
    networks = typing.get_args(typing.get_args(schema.NetworkSpec)[0])
    expected = [("network.kind", None)] + [(f"network.{f}", registry._tag(m)) for m in networks
                                           for f in m.model_fields if f != "kind"]
    assert [(r.path, r.kind) for r in _rows("network")] == expected


def _schema_default(row: registry.Row):
    parts = row.path.split(".")
    if row.section == "network":
        if row.kind is None:
            return RunConfig().network.kind
        model = next(m for m in typing.get_args(typing.get_args(schema.NetworkSpec)[0]) if registry._tag(m) == row.kind)
        node = model.model_fields[parts[1]].get_default()
        return node
    if row.section == "events" and row.path != "events":
        # (an event's fields: required ones have no default, shown as null)
        model, *inner = parts[2:]
        owner = {"switch": schema.StrategySwitch, "shock": schema.TrustShock}.get(model, schema.Event)
        name = inner[0] if inner else model
        info = owner.model_fields[name]
        return None if info.is_required() else info.get_default(call_default_factory=True)
    if row.path == "sellers":
        return {name: spec.model_dump(exclude_defaults=True) for name, spec in RunConfig().sellers.items()}
    if row.path in ("populations", "events"):
        return {} if row.path == "populations" else []
    if row.section in ("sellers", "strategy", "populations"):
        model = {"sellers": SellerSpec(), "strategy": Strategy(),
                 "populations": schema.PopulationSpec.model_construct()}[row.section]
        node, parts = model, parts[2:]
    else:
        node = RunConfig()
    for part in parts:
        node = getattr(node, part)
    return node


def test_row_defaults_are_the_schema_defaults():
    for row in rows():
        assert row.default == _schema_default(row), row.path
        assert type(row.default) is type(_schema_default(row)), row.path


ALLOWED = {
    ("feed.attention_per_day", None): "(0, 10^7]",
    ("days", None): "int in [1, 10^5]",
    ("seed", None): "int in [0, 2^63 − 1]",
    ("trust.prior_weak", None): "prob",
    ("trust.half_life", None): "[0.01, 10^6]",
    ("trust.group_gain_multiplier", None): "[1, 10]",
    ("engine", None): "one of `fast`, `reference`",
    ("trust.enabled", None): "bool",
    ("platform.fold_threshold", None): "[0, 10000]",
    ("network.n", "complete"): "int in [2, 5·10^7]",
    ("network.n", "holme_kim"): "int in [10, 5·10^6]",
    ("network.k", "watts_strogatz"): "int in [2, 10^6]; even, ≤ n − 1, n k / 2 ≤ 10^9",
    ("network.p_in", "sbm"): "prob; 0 or ≥ 10^−15; expected links within blocks ≤ 10^9",
    ("network.sizes", "sbm"): "list of 1 to 10^6 items, each int in [1, 5·10^7]; 2 to 5·10^7 people in all",
    ("sellers", None): "map of at most 1000 entries; with the populations: at least one seller, and at most one "
                       "per person",
    ("populations.<population>.count", None): "int in [0, 10^5]; give `count` or `share`, not both",
    ("populations.<population>.placement", None): "one of `random`, `hub`, `median`, `circle`",
    ("sellers.<name>.referral_reward", None): "[0, 0.9]",
    ("sellers.<name>.groups.sustain_posts_per_day", None): "(0, 1000]",
    ("sellers.<name>.content.ad", None): "prob; ad + value + life + prize = 1 (± 10^−6)",
    ("events", None): "list of at most 1000 events",
    ("events.<i>.day", None): "required; int in [1, 10^5]; ≤ `days`",
    ("events.<i>.shock.trust_factor", None): "required; prob",
}


@pytest.mark.parametrize(("key", "text"), list(ALLOWED.items()), ids=[k[0] for k in ALLOWED])
def test_allowed_ranges_are_rendered_from_the_pydantic_constraints(key, text):
    row = next(r for r in rows() if (r.path, r.kind) == key)
    assert row.allowed == text


@pytest.mark.parametrize(("value", "text"), [
    (1000, "1000"), (1000.0, "1000"), (10_000, "10000"), (100_000, "10^5"), (1e7, "10^7"), (5_000_000, "5·10^6"),
    (0.01, "0.01"), (0.9, "0.9"), (2**63 - 1, "2^63 − 1"), (1e-15, "10^−15"), (123_456, "123456"), (0, "0"),
])
def test_numbers_are_written_as_the_tables_write_them(value, text):
    assert number(value) == text


# --- selecting and rendering ------------------------------------------------------------------------


def test_select_by_section_path_and_seller_name():
    assert [r.path for r in select("trust")] == _leaves(TrustParams, "trust.")
    assert select("trust.half_life") == [next(r for r in rows() if r.path == "trust.half_life")]
    assert [r.path for r in select("sellers.spam.posts_per_day")] == ["sellers.<name>.posts_per_day"]
    assert [r.path for r in select("sellers.me.groups")] == _leaves(GroupParams, "sellers.<name>.groups.")
    assert [(r.path, r.kind) for r in select("network.k")] == [("network.k", "watts_strogatz")]
    assert select("strategy") == _rows("strategy") and select("run") == _rows("run")
    assert select(None) == list(rows()) == select("")
    assert {r.section for r in select("sellers")} == {"sellers", "strategy"}


@pytest.mark.parametrize(("prefix", "hint"), [("trsut", "did you mean 'trust'?"), ("trust.half", None),
                                               ("sellers.x.nope", None), ("tr", None)])
def test_an_unknown_prefix_is_refused_naming_it_and_the_sections(prefix, hint):
    with pytest.raises(UnknownPrefix) as info:
        select(prefix)
    message = str(info.value)
    assert f"PREFIX = {prefix!r} matches no parameter" in message and "run, feed, trust" in message
    assert "\n" not in message
    if hint:
        assert hint in message


def test_render_formats_hold_the_rows():
    chosen = select("network") + select("trust")
    data = json.loads(render(chosen, "json"))
    assert data == [r.as_dict() for r in chosen]
    assert data[1]["kind"] == "friend_circles" and data[1]["ui"] == {"low": 50, "high": 10_000, "step": 50}
    table = list(csv.DictReader(io.StringIO(render(chosen, "csv"))))
    assert [(t["path"], t["kind"] or None) for t in table] == [(r.path, r.kind) for r in chosen]
    half = next(t for t in table if t["path"] == "trust.half_life")
    assert (half["default"], half["unit"], half["ui_low"], half["ui_high"], half["ui_step"]) == (
        "60.0", "days", "5", "180", "5")
    md = render(chosen, "markdown").splitlines()
    assert md[0] == "| path | default | unit | range | meaning |" and len(md) == len(chosen) + 2
    assert "| network.k [watts_strogatz] | 10 | friends |" in render(chosen, "markdown")
    text = render(chosen, "text").splitlines()
    assert text[0].split() == ["path", "default", "unit", "range", "meaning"] and len(text) == len(chosen) + 1
    line = next(t for t in text if t.startswith("trust.half_life "))
    assert line.split()[1:4] == ["60.0", "days", "[0.01,"]
    with pytest.raises(ValueError, match="unknown format"):
        render(chosen, "yaml")


# --- docs/model.md ----------------------------------------------------------------------------------


def test_docs_parameter_tables_are_generated_from_the_schema():
    text = DOC.read_text(encoding="utf-8")
    assert _tool().generate(text) == text, (
        "docs/model.md §3.4's parameter tables differ from the schema's registry; "
        "regenerate them with: python tools/gen_params_doc.py")


def test_docs_tables_show_every_row():
    text = DOC.read_text(encoding="utf-8")
    for row in rows():
        assert f"`{row.path}`" in text
    assert text.count("<!-- params:begin ") == len(SECTIONS)


def test_generator_check_rewrite_and_marker_errors(tmp_path, capsys):
    tool = _tool()
    stale = tmp_path / "model.md"
    good = DOC.read_text(encoding="utf-8")
    stale.write_text(good.replace("| `trust.half_life` | 60.0 |", "| `trust.half_life` | 61.0 |"), encoding="utf-8")
    assert tool.main(["--check", str(stale)]) == 1
    assert "run: python tools/gen_params_doc.py" in capsys.readouterr().err
    assert "61.0" in stale.read_text(encoding="utf-8")  # --check writes nothing
    assert tool.main([str(stale)]) == 0 and stale.read_text(encoding="utf-8") == good
    assert tool.main(["--check", str(stale)]) == 0
    for broken, fragment in [
        (good.replace("<!-- params:begin wom -->", "<!-- params:begin wow -->"), "unknown section 'wow'"),
        (good.replace("<!-- params:begin wom -->", "<!-- params:begin feed -->"), "marked more than once: feed"),
        (good.replace("<!-- params:begin ties -->\n", ""), "no params:begin marker for the sections ties"),
        (good + "\n<!-- params:begin trust -->\n", "has no params:end marker"),
    ]:
        stale.write_text(broken, encoding="utf-8")
        assert tool.main(["--check", str(stale)]) == 2
        assert fragment in capsys.readouterr().err


# --- readers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("func", "model", "names"), [
    ("friend_circles", FriendCirclesNet, ["weak_ties_per_person"]),
    ("watts_strogatz", WattsStrogatzNet, ["k", "p", "strong_share"]),
    ("holme_kim", HolmeKimNet, ["m", "p", "strong_share"]),
    ("barabasi_albert", BarabasiAlbertNet, ["m", "strong_share"]),
])
def test_generator_defaults_are_the_schema_defaults(func, model, names):
    from viralsim.network import generators

    signature = inspect.signature(getattr(generators, func))
    for name in names:
        assert signature.parameters[name].default == schema.default_of(model, name), f"{func}({name})"


def test_product_and_content_params_reach_the_app_sliders():
    from viralsim.app.model import MAX_NETWORK_SIZE, app_config, sliders

    got = sliders(app_config())
    assert (got["quality"].low, got["quality"].high, got["quality"].step) == ui_range(Product, "quality")
    assert (got["ad_share"].label, got["ad_share"].step) == (param_of(ContentMix, "ad").label, 0.05)
    assert got["trust_half_life"].label == "Trust half-life" and got["trust_half_life"].unit == "days"
    size = ui_range(FriendCirclesNet, "n")
    assert (got["network_size"].low, got["network_size"].high) == (size.low, min(size.high, MAX_NETWORK_SIZE))
