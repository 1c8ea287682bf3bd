"""Small helpers shared by the rules: decay factors, saturating powers, per-seller buffers,
the room to reserve for new relations."""

from __future__ import annotations

import math

from viralsim._jit import below, kernel


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


def raise_toward_one(x, gain, times=1):
    """x after ``times`` fractional gains: 1 - (1 - x)(1 - gain)^times."""
    return 1.0 - (1.0 - x) * (1.0 - gain) ** times


def lower_toward_zero(x, loss, times=1):
    """x after ``times`` fractional losses: x (1 - loss)^times."""
    return x * (1.0 - loss) ** times


#: the same two formulas compiled, for kernels (one value at a time)
raise_one = kernel(raise_toward_one)
lower_one = kernel(lower_toward_zero)


@kernel
def trust_gate(t, h, half_h):
    """G_T = T^h / (T^h + T_half^h) (rules.purchase); 0/0 counts as a closed gate."""
    th = t * t if h == 2.0 else t ** h      # (pow is slow; t * t is exact)
    return th / (th + half_h) if th + half_h > 0.0 else 0.0


@kernel
def shuffle_prefix(pool, m, k, rs):
    """Partial Fisher-Yates: ``pool[:k]`` becomes a uniform random k-subset of ``pool[:m]``."""
    for j in range(min(k, m)):
        r = j + below(m - j, rs)
        pool[j], pool[r] = pool[r], pool[j]


@kernel
def most_reached(graph, senders):
    """An upper bound on the relations reaching the friends of ``senders`` can make: their
    degrees, and never more than one per node. The callers reserve it once, before their loop:
    a table reserved (and so passed and returned, dozens of arrays) per sender costs more than
    the sender's whole work."""
    if graph.complete:
        return graph.n
    total = 0
    for u in senders:
        total += graph.indptr[u + 1] - graph.indptr[u]
    return min(total, graph.n)
