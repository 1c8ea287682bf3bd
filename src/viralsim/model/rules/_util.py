"""Small array helpers shared by the rules."""

from __future__ import annotations

import numpy as np

from viralsim.network import Topology


def half_life_factor(half_life: float) -> float:
    """Daily multiplier of a stock with the given half-life (days): 2 ** (-1 / half_life)."""
    return float(2.0 ** (-1.0 / half_life))


def add_to_neighbors(topo: Topology, counts: np.ndarray, nodes: np.ndarray) -> None:
    """counts[v] += number of ``nodes`` adjacent to v, in place (neighbour sums of new events).

    Costs O(sum of the nodes' degrees) on a CSR graph, O(n) on an implicit complete graph.
    """
    if len(nodes) == 0:
        return
    if topo.complete:
        counts += len(nodes)
        np.subtract.at(counts, nodes, 1)
        return
    _, dst, _ = topo.gather(nodes)
    if len(dst) > counts.shape[0] // 8:
        counts += np.bincount(dst, minlength=counts.shape[0]).astype(counts.dtype)
    else:
        np.add.at(counts, dst, 1)


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
