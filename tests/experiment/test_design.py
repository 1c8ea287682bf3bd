"""Design tables: sample counts, bounds and distributions of every design kind."""

from __future__ import annotations

import math

import numpy as np
import pytest

from viralsim.experiment.design import DesignSpec, build_design, design_size


def design(**spec):
    return DesignSpec.model_validate(spec)


def build(seed=5, **spec):
    d = design(**spec)
    table = build_design(d, seed)
    assert len(table) == design_size(d)
    return table


def column(table, name):
    return [p[name] for p in table.points]


def test_grid_crosses_levels_last_factor_fastest():
    t = build(kind="grid", factors={"a": {"levels": [1, 2]}, "b": {"levels": ["x", "y", "z"]}})
    assert len(t) == 6
    assert [(p["a"], p["b"]) for p in t.points] == [(1, "x"), (1, "y"), (1, "z"), (2, "x"), (2, "y"), (2, "z")]
    assert t.kinds == {"a": "int", "b": "str"} and t.unit is None


def test_grid_levels_from_ranges():
    t = build(kind="grid", factors={"lin": {"range": [0, 1], "steps": 11},
                                    "log": {"range": [1, 100], "dist": "loguniform", "steps": 3},
                                    "int": {"range": [2, 4], "dist": "integer"}})
    assert len(t) == 11 * 3 * 3
    assert sorted(set(column(t, "lin"))) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert sorted(set(column(t, "log"))) == [1.0, 10.0, 100.0]
    assert sorted(set(column(t, "int"))) == [2, 3, 4]


def test_zip_pairs_levels():
    t = build(kind="zip", factors={"a": {"levels": [1, 2, 3]}, "b": {"range": [10, 30], "steps": 3}})
    assert [(p["a"], p["b"]) for p in t.points] == [(1, 10.0), (2, 20.0), (3, 30.0)]
    assert t.kinds == {"a": "int", "b": "float"}


FACTORS = {
    "u": {"range": [2, 5]},
    "lu": {"range": [0.01, 10], "dist": "loguniform"},
    "i": {"range": [1, 4], "dist": "integer"},
    "c": {"levels": ["none", "harassment_prompt", 3]},
    "n": {"mean": 10, "sd": 2, "range": [6, 12]},
}


def check_bounds(t):
    assert all(2 <= v <= 5 for v in column(t, "u"))
    assert all(0.01 <= v <= 10 for v in column(t, "lu"))
    assert set(column(t, "i")) <= {1, 2, 3, 4} and all(isinstance(v, int) for v in column(t, "i"))
    assert set(column(t, "c")) <= {"none", "harassment_prompt", 3}
    assert all(6 <= v <= 12 for v in column(t, "n"))
    assert t.unit.shape == (len(t), len(FACTORS))
    assert t.unit.min() >= 0 and t.unit.max() <= 1


@pytest.mark.parametrize("kind, samples, expected", [
    ("random", 50, 50),
    ("lhs", 40, 40),
    ("sobol", 16, 16 * (5 + 2)),
    ("morris", 6, 6 * (5 + 1)),
])
def test_sampled_designs_counts_and_bounds(kind, samples, expected):
    t = build(kind=kind, samples=samples, factors=FACTORS)
    assert len(t) == expected
    check_bounds(t)


def test_sobol_second_order_count():
    t = build(kind="sobol", samples=8, second_order=True, factors={"a": {"range": [0, 1]}, "b": {"range": [0, 1]}})
    assert len(t) == 8 * (2 * 2 + 2)


def test_lhs_hits_every_stratum_once():
    n = 25
    t = build(kind="lhs", samples=n, factors={"a": {"range": [0, 1]}, "b": {"range": [5, 6]}})
    for j in range(2):
        strata = np.floor(t.unit[:, j] * n).astype(int)
        assert sorted(strata) == list(range(n))


def test_morris_visits_grid_levels():
    t = build(kind="morris", samples=10, grid_levels=4, factors={"a": {"range": [0, 3]}, "b": {"range": [0, 1]}})
    assert set(np.round(t.unit.ravel(), 9)) <= {0.0, round(1 / 3, 9), round(2 / 3, 9), 1.0}
    assert set(np.round(column(t, "a"), 9)) <= {0.0, 1.0, 2.0, 3.0}


def test_distributions_have_the_right_shape():
    t = build(kind="random", samples=4000, factors={
        "u": {"range": [0, 10]}, "lu": {"range": [1, 10_000], "dist": "loguniform"},
        "n": {"mean": 5, "sd": 2}, "i": {"range": [0, 9], "dist": "integer"}, "c": {"levels": ["a", "b"]}})
    u, lu, n = (np.array(column(t, k)) for k in ("u", "lu", "n"))
    assert abs(u.mean() - 5) < 0.3
    assert abs(np.log10(lu).mean() - 2) < 0.1  # uniform in log space over 4 decades
    assert abs(n.mean() - 5) < 0.15 and abs(n.std() - 2) < 0.15
    counts = np.bincount(column(t, "i"), minlength=10)
    assert counts.min() > 300
    assert 0.45 < np.mean(np.array(column(t, "c")) == "a") < 0.55


@pytest.mark.parametrize("kind, samples", [("random", 10), ("lhs", 10), ("sobol", 8), ("morris", 4)])
def test_sampling_is_seeded(kind, samples):
    spec = {"kind": kind, "samples": samples, "factors": {"a": {"range": [0, 1]}, "b": {"range": [0, 1]}}}
    one, two, other = build(seed=1, **spec), build(seed=1, **spec), build(seed=2, **spec)
    assert one.points == two.points
    assert one.points != other.points


def test_no_design_is_one_point():
    t = build_design(None, 3)
    assert len(t) == 1 and t.points == ({},) and t.factors == ()


def test_design_table_columns():
    t = build(kind="lhs", samples=3, factors={"x.y": {"range": [0, 1]}, "z": {"levels": [True, False]}})
    df = t.table()
    assert list(df.columns) == ["point", "x.y", "z", "u:x.y", "u:z"]
    assert df["z"].dtype == bool and math.isclose(df["u:x.y"].sum(), t.unit[:, 0].sum())
