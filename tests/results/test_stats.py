"""Confidence intervals over replicates respect what a metric can be, and cover the mean at about
their nominal rate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from viralsim.results.stats import ci_stats, interval, run_stats, summary_stats

COUNT, SHARE = (0.0, None), (0.0, 1.0)


def groups(values: np.ndarray, metric: str = "x") -> pd.DataFrame:
    """One group per row of ``values`` (groups x replicates), in long form."""
    g, n = values.shape
    return pd.DataFrame({"group": np.repeat(np.arange(g), n), metric: values.ravel()})


def coverage(values: np.ndarray, truth: float, bounds) -> float:
    s = ci_stats(groups(values), ["group"], ["x"], bounds={"x": bounds})
    return float(((s["ci_low"] <= truth) & (truth <= s["ci_high"])).mean())


def test_bounds_never_leave_the_support():
    rng = np.random.default_rng(2)
    for n in (2, 3, 5, 30):
        # heavy-tailed counts, many zeros and all-zero groups: the t interval goes below 0 here
        counts = rng.negative_binomial(0.3, 0.05, size=(3000, n)).astype(float)
        s = ci_stats(groups(counts), ["group"], ["x"], bounds={"x": COUNT})
        assert (s["ci_low"] >= 0).all() and (s["ci_low"] <= s["mean"]).all() and (s["mean"] <= s["ci_high"]).all()
        shares = rng.beta(0.2, 3, size=(3000, n))
        shares[:100] = 0.0
        shares[100:200] = 1.0
        shares[200:300, 0] = 1.0
        s = ci_stats(groups(shares), ["group"], ["x"], bounds={"x": SHARE})
        assert (s["ci_low"] >= 0).all() and (s["ci_high"] <= 1).all()
        assert (s["ci_low"] <= s["mean"]).all() and (s["mean"] <= s["ci_high"]).all()
        assert (s["ci_low"].iloc[:100] == 0).all() and (s["ci_high"].iloc[100:200] == 1).all()


def test_the_interval_covers_the_mean_at_about_the_nominal_rate():
    # Simulated coverage of G intervals is binomial: its standard error at 95 % is
    # sqrt(0.95 * 0.05 / G); a margin of 4 standard errors fails a correct method about once in
    # 16,000 seeds, and catches a method off by 1.5 points, as Student's t is by about 6 on the
    # negative-binomial counts below.
    rng = np.random.default_rng(20261122)
    g = 4000
    margin = 4 * np.sqrt(0.95 * 0.05 / g)
    assert abs(coverage(rng.poisson(3.0, size=(g, 10)).astype(float), 3.0, COUNT) - 0.95) < margin
    assert abs(coverage(rng.beta(2, 8, size=(g, 10)), 0.2, SHARE) - 0.95) < margin
    # skewed, overdispersed counts (negative binomial, mean 3): closer to 95 % than Student's t
    counts = rng.negative_binomial(1, 0.25, size=(g, 5)).astype(float)
    assert coverage(counts, 3.0, COUNT) - 0.95 > -margin
    assert coverage(counts, 3.0, (None, None)) < coverage(counts, 3.0, COUNT) - margin


@pytest.mark.parametrize("n", [2, 4, 25])
def test_the_bounds_solve_the_score_equations(n):
    """Counts: (m - mu)^2 = t^2 phi mu / n with phi = s^2 / m; shares: (m - p)^2 = t^2 phi p (1 - p) / n
    with phi = s^2 / (m (1 - m))."""
    m, s = np.array([0.3, 4.0, 250.0]), np.array([0.5, 6.0, 40.0])
    t2 = sps.t.ppf(0.975, n - 1) ** 2
    for root in interval(m, s, np.full(3, n), bounds=COUNT):
        assert np.allclose((m - root) ** 2, t2 * (s * s / m) * root / n, rtol=1e-9)
    m, s = np.array([0.01, 0.4, 0.97]), np.array([0.02, 0.3, 0.05])
    for root in interval(m, s, np.full(3, n), bounds=SHARE):
        assert np.allclose((m - root) ** 2, t2 * s * s / (m * (1 - m)) * root * (1 - root) / n, rtol=1e-9)
    # other bounds: an affine change of scale
    low, high = interval(np.array([5.0]), np.array([2.0]), np.array([n]), bounds=(2.0, 12.0))
    ref = interval(np.array([0.3]), np.array([0.2]), np.array([n]), bounds=SHARE)
    assert np.allclose([low, high], [2 + 10 * ref[0], 2 + 10 * ref[1]])


def test_far_from_the_bounds_and_without_bounds_it_is_student_s_t():
    rng = np.random.default_rng(4)
    values = rng.normal(10_000, 10, size=(50, 8))
    unbounded = ci_stats(groups(values), ["group"], ["x"])
    t = sps.t.ppf(0.975, 7) * values.std(axis=1, ddof=1) / np.sqrt(8)
    assert np.allclose(unbounded["ci_high"] - unbounded["mean"], t, rtol=1e-12)
    counts = ci_stats(groups(values), ["group"], ["x"], bounds={"x": COUNT})
    assert np.allclose(counts["ci_low"], unbounded["ci_low"], rtol=1e-4)


def test_degenerate_groups():
    df = pd.DataFrame({"group": [0, 1, 1, 2, 2, 2], "x": [3.0, 2.0, 2.0, 0.0, 0.0, np.nan]})
    s = ci_stats(df, ["group"], ["x"], bounds={"x": COUNT}).set_index("group")
    assert np.isnan(s.loc[0, "ci_low"]) and np.isnan(s.loc[0, "ci_high"])      # one value: no interval
    assert (s.loc[1, "ci_low"], s.loc[1, "ci_high"]) == (2.0, 2.0)              # replicates agree
    assert (s.loc[2, "n"], s.loc[2, "ci_low"], s.loc[2, "ci_high"]) == (2, 0.0, 0.0)


def test_a_value_outside_the_bounds_is_a_clear_error():
    df = pd.DataFrame({"group": [0, 0], "x": [1.0, -2.0]})
    with pytest.raises(ValueError, match=r"metric 'x' has the value -2, outside its bounds \[0, inf\]"):
        ci_stats(df, ["group"], ["x"], bounds={"x": COUNT})
    with pytest.raises(ValueError, match="confidence level"):
        ci_stats(df, ["group"], ["x"], conf=95)


def test_results_tables_use_the_column_dictionary_s_bounds():
    rng = np.random.default_rng(6)
    n = 3
    table = pd.DataFrame({"scenario": "s", "point": 0, "seller": "a", "day": np.repeat([1, 2], n),
                          "purchases": rng.poisson(0.4, 2 * n), "mean_trust": rng.beta(0.3, 0.3, 2 * n)})
    s = run_stats(table).set_index("metric")
    assert (s["ci_low"] >= 0).all() and (s.loc["mean_trust", "ci_high"] <= 1).all()
    summary = pd.DataFrame({"scenario": "s", "point": 0, "seller": "a", "profit": [-50.0, 10.0, 200.0],
                            "purchases": [0, 1, 9], "muted_blocked_share": [0.0, 0.01, 0.2]})
    s = summary_stats(summary).set_index("metric")
    assert s.loc["profit", "ci_low"] < -50                     # profit has no bounds: Student's t
    assert s.loc["purchases", "ci_low"] > 0 and s.loc["muted_blocked_share", "ci_low"] > 0


def test_a_column_of_one_s_own_that_shares_a_name_but_not_the_bounds_gets_student_s_t():
    table = pd.DataFrame({"scenario": "s", "point": 0, "seller": "a", "day": 1, "customers": [-1.0, 0.5, 2.0]})
    s = run_stats(table).set_index("metric")
    assert s.loc["customers", "ci_low"] < -1   # no error, no bounds: the table is not the dictionary's
