"""Sparse Bernoulli sampling used on the hot path must match independent per-item draws."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim.model.rules._util import bernoulli_positions


@pytest.mark.parametrize("m,p", [(1000, 0.02), (50, 0.5), (10_000, 0.001), (7, 0.9)])
def test_positions_are_independent_bernoulli(m, p):
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


def test_degenerate_probabilities():
    rng = np.random.default_rng(0)
    assert len(bernoulli_positions(100, 0.0, rng)) == 0
    assert np.array_equal(bernoulli_positions(5, 1.0, rng), np.arange(5))
    assert len(bernoulli_positions(0, 0.3, rng)) == 0
