"""rules._util: the small helpers every mechanism relies on."""

from __future__ import annotations

import math

import numpy as np
import pytest

from viralsim._jit import rule_stream
from viralsim._rng import bernoulli_positions
from viralsim.model import relations
from viralsim.model.rules import _util
from viralsim.model.rules.settle import count_friends
from viralsim.network import Topology


def test_half_life_factor():
    """f(h) = 2^(-1/h): h applications halve."""
    for h in (0.5, 3.0, 60.0):
        assert _util.half_life_factor(h) ** h == pytest.approx(0.5, rel=1e-12)


def test_raise_toward_one_and_lower_toward_zero():
    """Fractional gain: 1 - (1 - x)(1 - g)^k; fractional loss: x (1 - l)^k."""
    x = np.array([0.0, 0.3, 1.0])
    np.testing.assert_allclose(_util.raise_toward_one(x, 0.2, 3), 1 - (1 - x) * 0.8 ** 3, rtol=1e-15)
    np.testing.assert_allclose(_util.lower_toward_zero(x, 0.2, np.array([0, 1, 2])), x * [1, 0.8, 0.64], rtol=1e-15)
    # the compiled copies the kernels call give the same numbers, one value at a time
    for v in x:
        assert _util.raise_one(v, 0.2, 3) == pytest.approx(_util.raise_toward_one(v, 0.2, 3), rel=1e-15)
        assert _util.lower_one(v, 0.2, 2) == pytest.approx(_util.lower_toward_zero(v, 0.2, 2), rel=1e-15)


@pytest.mark.parametrize("bought", [True, False])
def test_count_friends_counts_adjacent_events(kit, bought):
    """rules.settle.count_friends: the relation of s with v counts one more per given node
    adjacent to v (friends who bought, engaged from then on, or reseller friends), CSR and
    complete graphs; the seller's own node is never counted (no relation with herself)."""
    column = "bought_friends" if bought else "reseller_friends"
    for topo, own, nodes, expected in (
            (kit.path(6), 5, [1, 3], [1, 0, 2, 0, 1, 0]),
            (kit.path(6), 5, [4], [0, 0, 0, 1, 0, 0]),           # 4's friend 5 is the seller
            (Topology.complete_graph(5), 4, [0, 2], [1, 2, 1, 2, 0])):
        w = kit.world(kit.config(), topo, sellers=(own,))
        w.keep(count_friends(w.state.graph, w.people, w.rel, 0, own, np.array(nodes, dtype=np.int64), bought))
        np.testing.assert_array_equal(w.get(column)[0], expected)
        other = "reseller_friends" if bought else "bought_friends"
        assert not w.get(other).any()
        np.testing.assert_array_equal(w.get("engaged")[0], bought & (np.array(expected) > 0))
        assert relations.find(w.rel, 0, own) == -1, "the seller was related to herself"
        w.state.check_invariants()


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


def _stream(seed: int) -> np.ndarray:
    return rule_stream(np.array([seed, 1, 2, 3], dtype=np.uint64), 0, 0, 0, np.empty(4, dtype=np.uint64))


def test_shuffle_prefix_draws_a_subset():
    """shuffle_prefix: pool[:k] becomes k distinct members of pool[:m] (all of them if k >= m),
    pool[:m] stays a permutation of itself and pool[m:] is untouched."""
    rs = _stream(0)
    pool = np.arange(10, 25)
    _util.shuffle_prefix(pool, 10, 4, rs)
    got = pool[:4]
    assert len(np.unique(got)) == 4 and np.isin(got, np.arange(10, 20)).all()
    np.testing.assert_array_equal(np.sort(pool[:10]), np.arange(10, 20))
    np.testing.assert_array_equal(pool[10:], np.arange(20, 25))
    _util.shuffle_prefix(pool, 10, 99, rs)
    np.testing.assert_array_equal(np.sort(pool[:10]), np.arange(10, 20))


def test_shuffle_prefix_is_uniform(kit):
    """Every member of pool[:m] is chosen with probability k / m, and lands in each of the k
    places equally often (statistical, 20,000 draws)."""
    rs = _stream(1)
    m, k, reps = 8, 3, 20_000
    chosen = np.zeros((k, m))
    for _ in range(reps):
        pool = np.arange(m)
        _util.shuffle_prefix(pool, m, k, rs)
        chosen[np.arange(k), pool[:k]] += 1
    for j in range(k):
        for v in range(m):
            kit.within(chosen[j, v] / reps, 1 / m, kit.binom_sd(1 / m, reps))


def test_saturating_pow():
    """x ** y where it fits a float, inf where a Python float power would raise OverflowError."""
    assert _util.saturating_pow(2.0, 10.0) == 1024.0
    assert _util.saturating_pow(0.0, 0.0) == 1.0
    assert _util.saturating_pow(1e300, 1.5) == math.inf


def test_trust_gate():
    """G_T = T^h / (T^h + T_half^h), h = 2 by a product; 0/0 is a closed gate."""
    half = 0.4 ** 2
    for t in (0.0, 0.2, 0.4, 0.9, 1.0):
        assert _util.trust_gate(t, 2.0, half) == pytest.approx(t * t / (t * t + half), rel=1e-15)
    assert _util.trust_gate(0.4, 2.0, half) == pytest.approx(0.5, rel=1e-15)
    assert _util.trust_gate(0.5, 3.0, 0.5 ** 3) == pytest.approx(0.5, rel=1e-15)
    assert _util.trust_gate(0.0, 2.0, 0.0) == 0.0
