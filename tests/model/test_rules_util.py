"""rules._util: the small helpers every mechanism relies on."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim._rng import bernoulli_positions
from viralsim.model.rules import _util


def test_half_life_factor():
    """f(h) = 2^(-1/h): h applications halve."""
    for h in (0.5, 3.0, 60.0):
        assert _util.half_life_factor(h) ** h == pytest.approx(0.5, rel=1e-12)


def test_raise_toward_one_and_lower_toward_zero():
    """Fractional gain: 1 - (1 - x)(1 - g)^k; fractional loss: x (1 - l)^k."""
    x = np.array([0.0, 0.3, 1.0])
    np.testing.assert_allclose(_util.raise_toward_one(x, 0.2, 3), 1 - (1 - x) * 0.8 ** 3, rtol=1e-15)
    np.testing.assert_allclose(_util.lower_toward_zero(x, 0.2, np.array([0, 1, 2])), x * [1, 0.8, 0.64], rtol=1e-15)


def test_add_to_neighbors_counts_adjacent_events(kit):
    """counts[v] += number of the given nodes adjacent to v (CSR and complete graphs)."""
    topo = kit.path(5)
    c = np.zeros(5, np.int32)
    _util.add_to_neighbors(topo, c, np.array([1, 3]))
    np.testing.assert_array_equal(c, [1, 0, 2, 0, 1])
    from viralsim.network import Topology
    c = np.zeros(4, np.int32)
    _util.add_to_neighbors(Topology.complete_graph(4), c, np.array([0, 2]))
    np.testing.assert_array_equal(c, [1, 2, 1, 2])


@pytest.mark.parametrize("m,p", [(100_000, 0.02), (50_000, 0.3), (10, 0.5)])
def test_bernoulli_positions_are_independent_bernoulli_trials(kit, m, p):
    """Sorted distinct positions in [0, m); count ~ Binomial(m, p); positions uniform (statistical)."""
    rng = np.random.default_rng(5)
    reps = 1 if m > 1000 else 20_000
    counts, first_half = [], 0
    for _ in range(reps):
        pos = bernoulli_positions(m, p, rng)
        assert np.all(np.diff(pos) > 0) and (len(pos) == 0 or (pos[0] >= 0 and pos[-1] < m))
        counts.append(len(pos))
        first_half += np.count_nonzero(pos < m // 2)
    total = m * reps
    kit.within(sum(counts) / total, p, kit.binom_sd(p, total))
    kit.within(first_half / max(sum(counts), 1), (m // 2) / m, kit.binom_sd(0.5, max(sum(counts), 1)))


@pytest.mark.parametrize("m,p", [(1000, 0.02), (50, 0.5), (10_000, 0.001), (7, 0.9)])
def test_bernoulli_positions_variance_and_per_position_rate(m, p):
    rng = np.random.default_rng(42)
    reps = 4000
    hits = np.zeros(m)
    counts = []
    for _ in range(reps):
        pos = bernoulli_positions(m, p, rng)
        assert np.all(np.diff(pos) > 0) and (len(pos) == 0 or (pos[0] >= 0 and pos[-1] < m))
        hits[pos] += 1
        counts.append(len(pos))
    # Total count ~ Binomial(m, p): mean and variance within 5 standard errors.
    counts = np.array(counts, dtype=float)
    sd = np.sqrt(m * p * (1 - p))
    assert abs(counts.mean() - m * p) < 5 * sd / np.sqrt(reps)
    assert abs(counts.var() / (sd ** 2) - 1) < 5 * np.sqrt(2 / reps) + 0.02
    # Every position is hit with frequency p (no edge effects at the start or end).
    freq = hits / reps
    se = np.sqrt(p * (1 - p) / reps)
    assert np.all(np.abs(freq - p) < 5.5 * se)


def test_bernoulli_positions_edge_cases():
    rng = np.random.default_rng(0)
    assert len(bernoulli_positions(0, 0.5, rng)) == 0
    assert len(bernoulli_positions(100, 0.0, rng)) == 0
    np.testing.assert_array_equal(bernoulli_positions(7, 1.0, rng), np.arange(7))


def test_sample_without_replacement():
    rng = np.random.default_rng(0)
    pool = np.arange(10, 20)
    got = _util.sample_without_replacement(pool, 4, rng)
    assert len(got) == 4 and len(np.unique(got)) == 4 and np.isin(got, pool).all()
    np.testing.assert_array_equal(np.sort(_util.sample_without_replacement(pool, 99, rng)), pool)
