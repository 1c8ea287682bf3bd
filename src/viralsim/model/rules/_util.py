"""Small array helpers shared by the rules."""

from __future__ import annotations

import math

import numpy as np

from viralsim._jit import kernel
from viralsim.network import Topology


def half_life_factor(half_life: float) -> float:
    """Daily multiplier of a stock with the given half-life (days): 2 ** (-1 / half_life)."""
    return float(2.0 ** (-1.0 / half_life))


def saturating_pow(x: float, y: float) -> float:
    """x ** y for x >= 0, y >= 0, infinite where it overflows: a Python float power raises
    OverflowError there (a Hill threshold of 1e300 to the power 1.5), where the kernels' and
    NumPy's powers give inf."""
    try:
        return float(x ** y)
    except OverflowError:
        return math.inf


def add_to_neighbors(topo: Topology, counts: np.ndarray, nodes: np.ndarray) -> None:
    """counts[v] += number of ``nodes`` adjacent to v, in place (neighbour sums of new events).

    Costs O(sum of the nodes' degrees) on a CSR graph, O(n) on an implicit complete graph.
    """
    neighbor_counts(topo.indptr, topo.indices, topo.complete, counts,
                    np.asarray(nodes, dtype=np.int64), None)


@kernel
def neighbor_counts(indptr, indices, complete, counts, nodes, engaged):
    """:func:`add_to_neighbors` on the CSR arrays, for kernels; also marks every raised count in
    ``engaged`` unless it is None."""
    if len(nodes) == 0:
        return
    if complete:
        for v in range(len(counts)):
            counts[v] += len(nodes)
        for v in nodes:
            counts[v] -= 1
        if engaged is not None:
            for v in range(len(counts)):
                if counts[v] > 0:
                    engaged[v] = True
        return
    for u in nodes:
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            counts[v] += 1
            if engaged is not None:
                engaged[v] = True


def sample_without_replacement(pool: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``k`` distinct elements of ``pool`` in random order (all of them if k >= len)."""
    if k >= len(pool):
        return rng.permutation(pool)
    return rng.choice(pool, size=k, replace=False)


def raise_toward_one(x: np.ndarray, gain: float | np.ndarray, times: np.ndarray | int = 1) -> np.ndarray:
    """x after ``times`` fractional gains: 1 - (1 - x)(1 - gain)^times."""
    return 1.0 - (1.0 - x) * (1.0 - gain) ** times


def lower_toward_zero(x: np.ndarray, loss: float | np.ndarray, times: np.ndarray | int = 1) -> np.ndarray:
    """x after ``times`` fractional losses: x (1 - loss)^times."""
    return x * (1.0 - loss) ** times


#: the same two formulas compiled, for kernels (one value at a time)
raise_one = kernel(raise_toward_one)
lower_one = kernel(lower_toward_zero)
