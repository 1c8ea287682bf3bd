"""What validates runs: network settings, edge-list files, finite bounded numbers, strict types.

Every refused input must end in one ConfigError line naming the dotted field, the value and
what is allowed; every accepted network setting at the edge of its range must build.
"""

from __future__ import annotations

import gzip
import math
import typing

import numpy as np
import pytest
from config_helpers import config_error as _error
from pydantic import BaseModel

from viralsim.config import schema
from viralsim.config.load import load_config
from viralsim.config.schema import RunConfig
from viralsim.network.build import build_network

# --- network settings the generators cannot build ----------------------------------------------

NETWORK_REFUSED = {
    "ws odd k": ("{kind: watts_strogatz, n: 100, k: 11}", "network.k = 11", "must be even"),
    "ws k = n": ("{kind: watts_strogatz, n: 10, k: 10}", "network.k = 10", "must be <= n - 1 = 9"),
    "ws k > n": ("{kind: watts_strogatz, n: 10, k: 12}", "network.k = 12", "must be <= n - 1 = 9"),
    "ws too many edges": ("{kind: watts_strogatz, n: 50000000, k: 100}", "network.k = 100", "must be <= 40"),
    "ws k static bound": ("{kind: watts_strogatz, n: 2000, k: 2000000}", "network.k = 2000000", "must be <= 1000000"),
    "hk m = n": ("{kind: holme_kim, n: 10, m: 10}", "network.m = 10", "must be <= n - 1 = 9"),
    "ba m > n": ("{kind: barabasi_albert, n: 10, m: 50}", "network.m = 50", "must be <= n - 1 = 9"),
    "ba too many edges": ("{kind: barabasi_albert, n: 5000000, m: 1000}", "network.m = 1000", "must be <= 200"),
    "sbm total too large": ("{kind: sbm, sizes: [50000000, 1]}", "network.sizes = [50000000, 1]",
                            "2 to 50,000,000 people in all"),
    "sbm total too small": ("{kind: sbm, sizes: [1]}", "network.sizes = [1]", "2 to 50,000,000"),
    "sbm block too large": ("{kind: sbm, sizes: [60000000]}", "network.sizes.0 = 60000000", "must be <= 50000000"),
    "sbm empty block": ("{kind: sbm, sizes: [10, 0]}", "network.sizes.1 = 0", "must be >= 1"),
    "sbm p_in too dense": ("{kind: sbm, sizes: [1000000], p_in: 1.0}", "network.p_in = 1", "must be <= 0.002"),
    "sbm p_out too dense": ("{kind: sbm, sizes: [1000000, 1000000], p_in: 0.001, p_out: 0.5}",
                            "network.p_out = 0.5", "must be <= 1e-09"),
    "sbm p_in undrawable": ("{kind: sbm, sizes: [10, 10], p_in: 1.0e-300}", "network.p_in = 1e-300",
                            "must be 0 or >= 1e-15"),
    "sbm p_out undrawable": ("{kind: sbm, sizes: [10, 10], p_out: 5e-324}", "network.p_out = 5e-324",
                             "must be 0 or >= 1e-15"),
    "weak ties beyond n": ("{kind: friend_circles, n: 10, weak_ties_per_person: 10}",
                           "network.weak_ties_per_person = 10", "must be <= n - 1 = 9"),
    "weak ties beyond generator": ("{kind: friend_circles, n: 5000, weak_ties_per_person: 1001}",
                                   "network.weak_ties_per_person = 1001", "must be <= 1000"),
    "weak ties too many edges": ("{kind: friend_circles, n: 50000000, weak_ties_per_person: 100}",
                                 "network.weak_ties_per_person = 100", "must be <= 40"),
}


@pytest.mark.parametrize("case", list(NETWORK_REFUSED), ids=list(NETWORK_REFUSED))
def test_network_the_generator_cannot_build_is_refused(write, case):
    network, field_value, allowed = NETWORK_REFUSED[case]
    path = write(f"network: {network}\n")
    message = _error(path)
    assert message.startswith(f"{path}: {field_value} is not allowed: "), message
    assert allowed in message, message


NETWORK_EDGES_THAT_BUILD = [
    "{kind: watts_strogatz, n: 10, k: 8, p: 1.0}",
    "{kind: watts_strogatz, n: 11, k: 10, p: 0.5}",
    "{kind: holme_kim, n: 10, m: 9, p: 1.0}",
    "{kind: barabasi_albert, n: 10, m: 9}",
    "{kind: sbm, sizes: [1, 1], p_in: 1.0, p_out: 1.0}",
    "{kind: sbm, sizes: [5, 5], p_in: 1.0e-15, p_out: 0.0}",
    "{kind: friend_circles, n: 10, weak_ties_per_person: 9}",
    "{kind: complete, n: 2}",
]


@pytest.mark.parametrize("network", NETWORK_EDGES_THAT_BUILD)
def test_network_at_the_edge_of_its_range_builds(write, network):
    config = load_config(write(f"network: {network}\n"))
    topo = build_network(config.network, rng=np.random.default_rng(0))
    assert topo.n >= 2


def test_more_sellers_than_people_is_refused(write):
    path = write("network: {kind: complete, n: 3}\nsellers: {a: {}, b: {}, c: {}, d: {}}\n")
    message = _error(path)
    assert message.startswith(f"{path}: sellers = ")
    assert "4 sellers need a network of at least 4 people; the network has 3" in message
    # every person may sell (each is a consumer of the others' products too)
    load_config(write("network: {kind: complete, n: 3}\nsellers: {a: {}, b: {}, c: {}}\n"))


# --- edge-list files ---------------------------------------------------------------------------

SECRET = "hunter2-s3cr3t"

EDGE_LISTS = {
    # name: (file bytes, fragment of the message after "the file ")
    "bad id": (b"1 2\n2 x\n", "is not a valid edge list: line 2: the second node id is not a whole number"),
    "float id": (b"# header\n1.5 2\n", "line 2: the first node id is not a whole number"),
    "too large id": (b"1 2\n\n3 99999999999999999999\n", "line 3: the second node id is out of range"),
    "huge id": (b"1 2\n" + b"9" * 4000 + b" 1\n", "line 2: the first node id is out of range"),
    "one field": (b"1 2\n3\n", "line 2 does not hold two node ids"),
    "password file": (f"root:$6${SECRET}:19000:0:99999:7:::\n".encode(), "line 1 does not hold two node ids"),
    "key file": (f"-----BEGIN KEY-----\n{SECRET}\n".encode(), "line 1: the first node id is not a whole number"),
    "binary": (b"\x00\x01\xff\xfe " + SECRET.encode() + b"\x00", "line 1"),
    "secret after ids": (f"1 2\n3 {SECRET}\n".encode(), "line 2: the second node id is not a whole number"),
    "carriage returns": (b"1 2\r3 x\r\n", "line 2: the second node id is not a whole number"),
    "long line": (b"1 2\n" + b"7" * 10_000, "line 2 is longer than"),
    "comments only": (b"# nothing\n\n", "holds no edge"),
    "self loops only": (b"1 1\n2 2\n", "every line links a node to itself"),
}


@pytest.mark.parametrize("case", list(EDGE_LISTS), ids=list(EDGE_LISTS))
def test_bad_edge_list_is_refused_without_quoting_it(write, tmp_path, case):
    content, fragment = EDGE_LISTS[case]
    edges = tmp_path / "edges.txt"
    edges.write_bytes(content)
    path = write(f"network: {{kind: edgelist, path: '{edges}'}}\n")
    message = _error(path)
    assert message.startswith(f"{path}: network.path = '{edges}' is not allowed: the file "), message
    assert fragment in message, message
    assert SECRET not in message
    assert "99999999999999999999" not in message and "$6$" not in message and "1.5" not in message


@pytest.mark.parametrize(
    ("where", "fragment"),
    [("missing.txt", "the file does not exist"), (".", "the file is not a regular file"),
     ("cfg.yaml/inside", "the file cannot be read (Not a directory)")],
)
def test_missing_or_unreadable_edge_list(write, tmp_path, where, fragment):
    path = write(f"network: {{kind: edgelist, path: '{tmp_path / where}'}}\n")
    message = _error(path)
    assert message.startswith(f"{path}: network.path = '{tmp_path / where}' is not allowed: "), message
    assert fragment in message


def test_edge_list_path_with_a_nul_is_refused_in_one_line(write):
    """A NUL in the path (found by the long config fuzz): os.stat raises ValueError, not OSError,
    which escaped as a traceback."""
    path = write('network: {kind: edgelist, path: "edges\\0.txt"}\n')
    message = _error(path)
    assert message.startswith(f"{path}: network.path = 'edges\\x00.txt' is not allowed: "), message
    assert "the file cannot be read (embedded null byte)" in message, message


def test_bad_gzip_edge_list(write, tmp_path):
    (tmp_path / "edges.gz").write_bytes(b"1 2\n")
    message = _error(write(f"network: {{kind: edgelist, path: '{tmp_path / 'edges.gz'}'}}\n"))
    assert "network.path = " in message and "is not a valid gzip file" in message


@pytest.mark.parametrize("name", ["edges.txt", "edges.txt.gz"])
def test_valid_edge_list_validates_and_builds(write, tmp_path, name):
    text = b"# u v\n10 20\n20 30\t# comment\n30 10 extra column\n-5 10\n"
    edges = tmp_path / name
    edges.write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
    config = load_config(write(f"network: {{kind: edgelist, path: '{edges}'}}\n"))
    topo = build_network(config.network, rng=np.random.default_rng(0))
    assert (topo.n, topo.n_edges) == (4, 4)


def test_edge_list_needs_room_for_the_sellers(write, tmp_path):
    (tmp_path / "edges.txt").write_text("1 2\n2 3\n", encoding="utf-8")
    path = write(f"network: {{kind: edgelist, path: '{tmp_path / 'edges.txt'}'}}\n"
                 "sellers: {a: {}, b: {}, c: {}, d: {}}\n")
    assert "4 sellers need a network of at least 4 people; the edge list" in _error(path)


def test_bundled_facebook_name_still_works(write):
    config = load_config(write("network: {kind: edgelist}\n"))
    assert config.network.path == "facebook"


def test_edge_list_path_from_command_line_is_blamed_on_it(write, tmp_path):
    message = _error(write("days: 3\n"), overrides=[f"network={{kind: edgelist, path: '{tmp_path / 'no.txt'}'}}"])
    assert "network.path = " in message and message.endswith("(from the command line)")


def test_cli_validate_refuses_bad_edge_list_in_one_line(write, tmp_path, capsys):
    from viralsim.cli import main

    (tmp_path / "secret.txt").write_text(f"{SECRET} {SECRET}\n", encoding="utf-8")
    path = write(f"network: {{kind: edgelist, path: '{tmp_path / 'secret.txt'}'}}\n")
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("viralsim: error: ")
    assert "network.path" in lines[0] and "line 1" in lines[0] and SECRET not in lines[0]


# --- every number finite and bounded ------------------------------------------------------------


def _numeric_fields(model: type[BaseModel], prefix: str):
    """(dotted path, FieldInfo, core type) of every int/float field under ``model``."""
    for name, info in model.model_fields.items():
        ann = info.annotation
        args = [a for a in typing.get_args(ann) if a is not type(None)] if typing.get_origin(ann) in (
            typing.Union, __import__("types").UnionType) else [ann]
        for core in args:
            if isinstance(core, type) and issubclass(core, BaseModel):
                yield from _numeric_fields(core, f"{prefix}{name}.")
            elif core in (int, float):
                yield f"{prefix}{name}", info, core


def _all_numeric_fields():
    out = []
    for section in ("feed", "trust", "annoyance", "ties", "purchase", "wom", "follow", "forward", "platform"):
        out += [(p, i, c, ()) for p, i, c in _numeric_fields(RunConfig.model_fields[section].annotation, f"{section}.")]
    out += [(p, i, c, ()) for p, i, c in _numeric_fields(schema.SellerSpec, "sellers.a.")]
    out += [(p, i, c, ()) for p, i, c in _numeric_fields(schema.Strategy, "strategy.")]
    for model in (schema.FriendCirclesNet, schema.WattsStrogatzNet, schema.HolmeKimNet, schema.BarabasiAlbertNet,
                  schema.StochasticBlockNet, schema.CompleteNet, schema.EdgeListNet):
        kind = typing.get_args(model.model_fields["kind"].annotation)[0]
        out += [(p, i, c, (f"network={{kind: {kind}}}",)) for p, i, c in _numeric_fields(model, "network.")]
    out += [(name, RunConfig.model_fields[name], int, ()) for name in ("seed", "days")]
    return out


NUMERIC = _all_numeric_fields()


def _bounds(info) -> tuple[float | None, float | None]:
    lo = hi = None
    for meta in info.metadata:
        lo = getattr(meta, "ge", None) if getattr(meta, "ge", None) is not None else lo
        lo = getattr(meta, "gt", None) if getattr(meta, "gt", None) is not None else lo
        hi = getattr(meta, "le", None) if getattr(meta, "le", None) is not None else hi
        hi = getattr(meta, "lt", None) if getattr(meta, "lt", None) is not None else hi
    return lo, hi


def test_schema_numbers_are_introspectable_and_bounded():
    assert len(NUMERIC) > 80
    for path, info, _core, _ in NUMERIC:
        lo, hi = _bounds(info)
        assert lo is not None and hi is not None, f"{path} has no lower and upper bound in Field metadata"
        assert math.isfinite(lo) and math.isfinite(hi) and lo < hi, path
        # generous, but far from overflow in products with the population (5e7) and days (1e5)
        assert abs(hi) * 5e7 * 1e5 < 1e300, path


def _override(path: str, value: str, setup) -> list[str]:
    if path.startswith("strategy."):
        return []  # strategy fields are reached through sellers.a.<field>, tested there
    return [*setup, f"{path}={value}"]


@pytest.mark.parametrize(("path", "info", "core", "setup"), [n for n in NUMERIC if not n[0].startswith("strategy.")],
                         ids=[n[0] for n in NUMERIC if not n[0].startswith("strategy.")])
@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1.0e308", "-1.0e308"])
def test_non_finite_and_huge_numbers_are_refused(write, path, info, core, setup, value):
    cfg = write("days: 3\nsellers: {a: {strategy: spam}}\n")
    message = _error(cfg, overrides=_override(path, value, setup))
    shown = {".inf": "inf", "-.inf": "-inf", ".nan": "nan", "1.0e308": "1e+308", "-1.0e308": "-1e+308"}[value]
    assert f"{path} = {shown} is not allowed: " in message, message
    expected = "must be a whole number" if core is int else (
        "must be a finite number" if "." in value and "e" not in value else "must be ")
    assert expected in message, message
    assert message.endswith("(from the command line)")


@pytest.mark.parametrize(("path", "info", "core", "setup"), [n for n in NUMERIC if not n[0].startswith("strategy.")],
                         ids=[n[0] for n in NUMERIC if not n[0].startswith("strategy.")])
def test_just_beyond_each_bound_is_refused(write, path, info, core, setup):
    cfg = write("days: 3\nsellers: {a: {strategy: spam}}\n")
    lo, hi = _bounds(info)
    for beyond in (hi + max(1, abs(hi)) if core is int else hi * 1.5 + 1, lo - 1 if core is int else lo - 1.0):
        message = _error(cfg, overrides=_override(path, repr(beyond), setup))
        assert f"{path} = " in message and " is not allowed: must be " in message, message


def test_tiny_positive_rates_validate(write):
    config = load_config(write("purchase: {need_rate: 5e-324, ad_conversion: 1e-300}\nwom: {recommend_prob: 1e-300}\n"))
    assert config.purchase.need_rate == 5e-324 and config.wom.recommend_prob == 1e-300


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("trust: {half_life: 1.0e-300}\n", "trust.half_life = 1e-300 is not allowed: must be >= 0.01"),
     ("purchase: {need_duration: 0.001}\n", "purchase.need_duration = 0.001 is not allowed: must be >= 0.01"),
     ("sellers: {a: {product: {price: 5e-324}}}\n",
      "sellers.a.product.price = 5e-324 is not allowed: must be >= 0.01")],
)
def test_physical_lower_bounds(write, text, fragment):
    assert fragment in _error(write(text))


def test_exponent_notation_is_a_number(write):
    config = load_config(write("purchase: {need_rate: 1e-3}\nfeed: {attention_per_day: 1.5E+2}\n"),
                         overrides=["trust.gain_value=2e-2"])
    assert (config.purchase.need_rate, config.feed.attention_per_day, config.trust.gain_value) == (1e-3, 150.0, 0.02)


# --- strict types --------------------------------------------------------------------------------

STRICT = {
    "bool as int": ("days: true\n", "days = true is not allowed: must be a whole number"),
    "float as int": ("days: 3.0\n", "days = 3.0 is not allowed: must be a whole number (write 3)"),
    "exponent as int": ("network: {kind: complete, n: 1e3}\n", "network.n = 1000.0 is not allowed: must be a whole"),
    "text as int": ("network: {kind: complete, n: '3'}\n", "network.n = '3' is not allowed: must be a whole number"),
    "bool as float": ("feed: {attention_per_day: false}\n",
                      "feed.attention_per_day = false is not allowed: must be a number"),
    "text as float": ("feed: {attention_per_day: '60'}\n",
                      "feed.attention_per_day = '60' is not allowed: must be a number"),
    "int as bool": ("trace_cascades: 1\n", "trace_cascades = 1 is not allowed: must be true or false"),
    "text as bool": ("trust: {enabled: 'true'}\n", "trust.enabled = 'true' is not allowed: must be true or false"),
    "number as text": ("sellers: {a: {strategy: 3}}\n", "sellers.a.strategy = 3 is not allowed: must be text"),
    "float seed count": ("sellers: {a: {kol_seeds: 2.5}}\n",
                         "sellers.a.kol_seeds = 2.5 is not allowed: must be a whole number"),
    "huge int": ("days: " + "9" * 5000 + "\n",
                 "days = 999999999999... (5000 digits) is not allowed: must be <= 100000"),
    "huge negative int": ("seed: -" + "1" * 4400 + "\n",
                          "seed = -111111111111... (4400 digits) is not allowed: must be >= 0"),
    "huge hex int": ("days: 0x" + "f" * 5000 + "\n", "days = 0xffffffffff... (5000 digits) is not allowed"),
    "huge int as text": ("name: " + "7" * 5000 + "\n",
                         "name = 777777777777... (5000 digits) is not allowed: must be text"),
}


@pytest.mark.parametrize("case", list(STRICT), ids=list(STRICT))
def test_strict_types(write, case):
    text, fragment = STRICT[case]
    path = write(text)
    message = _error(path)
    assert message.startswith(f"{path}: {fragment}"), message
    assert len(message) < 400


def test_whole_number_is_a_valid_real_number(write):
    assert load_config(write("feed: {attention_per_day: 60}\n")).feed.attention_per_day == 60.0


@pytest.mark.parametrize(
    ("item", "fragment"),
    [("days=true", "days = true is not allowed: must be a whole number"),
     ("trace_cascades=0", "trace_cascades = 0 is not allowed: must be true or false"),
     ("days=" + "9" * 5000, "days = 999999999999... (5000 digits) is not allowed: must be <= 100000"),
     ("feed.attention_per_day=.nan", "feed.attention_per_day = nan is not allowed: must be a finite number")],
)
def test_strict_types_from_the_command_line(write, item, fragment):
    message = _error(write("days: 3\n"), overrides=[item])
    assert fragment in message and message.endswith("(from the command line)")


def test_deeply_nested_yaml_is_one_clean_error(write):
    path = write("days: " + "[" * 10_000 + "]" * 10_000 + "\n")
    assert _error(path) == f"{path}: invalid YAML at line 1: nested more than 100 levels deep"


def test_deeply_nested_override_is_one_clean_error(write):
    message = _error(write("days: 3\n"), overrides=["name=" + "[" * 10_000 + "]" * 10_000])
    assert message.startswith("--set 'name=[[[[") and "nested more than 100 levels deep" in message
    assert len(message) < 400


def test_very_long_override_path_is_refused(write):
    message = _error(write("days: 3\n"), overrides=["a." * 5000 + "b=1"])
    assert message.startswith("--set ") and "the path has 5001 parts" in message
