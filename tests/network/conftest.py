"""Shared helpers for the network tests: naive reference checks on small graphs."""

from __future__ import annotations

import numpy as np
import pytest


def naive_csr_check(topo) -> None:
    """Check the CSR invariants node by node with plain Python (small graphs only)."""
    assert topo.indptr.dtype == np.int64
    assert topo.indices.dtype == np.int32
    assert topo.strong.dtype == bool
    assert topo.indptr.shape == (topo.n + 1,)
    assert topo.indptr[0] == 0 and topo.indptr[-1] == topo.indices.size
    assert topo.strong.size == topo.indices.size
    tie = {}
    for i in range(topo.n):
        nbrs = topo.indices[topo.indptr[i] : topo.indptr[i + 1]].tolist()
        assert nbrs == sorted(set(nbrs)), f"node {i}: neighbours not sorted/unique"
        assert i not in nbrs, f"node {i}: self loop"
        for j, s in zip(nbrs, topo.strong[topo.indptr[i] : topo.indptr[i + 1]].tolist()):
            assert 0 <= j < topo.n
            tie[(i, j)] = s
    for (i, j), s in tie.items():
        assert (j, i) in tie, f"edge {i}->{j} has no reverse"
        assert tie[(j, i)] == s, f"edge {i}-{j}: tie type not symmetric"
    assert topo.n_edges * 2 == len(tie)


@pytest.fixture
def csr_ok():
    """Assert every CSR invariant, naively for small graphs and vectorised always."""

    def check(topo) -> None:
        topo.validate()
        if topo.n <= 3000:
            naive_csr_check(topo)

    return check
