"""The only place viralsim creates random generators.

A run's seed becomes one ``numpy.random.SeedSequence``; named child streams are spawned from it
in a fixed order, so the network, the initial placement and the daily dynamics each draw from
their own stream. Adding draws to one stage therefore never shifts the numbers another stage
sees, and the same seed gives the same bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: order matters: appending a new stream at the end keeps existing streams unchanged
STREAM_NAMES = ("network", "placement", "dynamics")


@dataclass(frozen=True)
class Streams:
    network: np.random.Generator
    placement: np.random.Generator
    dynamics: np.random.Generator


def streams(seed: int) -> Streams:
    """Independent named generators derived from ``seed`` (NumPy's SeedSequence.spawn)."""
    children = np.random.SeedSequence(seed).spawn(len(STREAM_NAMES))
    return Streams(*(np.random.Generator(np.random.PCG64(c)) for c in children))


def derived(rng: np.random.Generator, index: int) -> np.random.Generator:
    """A generator of its own for ``index`` (a population, say), derived from ``rng``'s seed:
    it draws nothing from ``rng``, and its numbers depend on nothing but that seed and ``index``."""
    base = rng.bit_generator.seed_seq
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(base.entropy,
                                                                      spawn_key=(*base.spawn_key, 10**6 + index))))


def stochastic_round(x: float, rng: np.random.Generator) -> int:
    """Integer with expectation ``x``: floor(x) plus one with probability frac(x).

    Lets a strategy post 2.5 times a day on average without biasing the mean.
    """
    base = math.floor(x)
    frac = x - base
    return base + (frac > 0.0 and rng.random() < frac)   # no draw for a whole number


def bernoulli_positions(total: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted positions in ``[0, total)``, each present independently with probability ``p``.

    Geometric skipping (Batagelj & Brandes 2005): O(total * p) instead of O(total).
    """
    if total <= 0 or p <= 0.0:
        return np.empty(0, dtype=np.int64)
    if p >= 1.0:
        return np.arange(total, dtype=np.int64)
    out = []
    last = -1
    while True:
        left = total - last             # a skip this long already lands past the end
        expected = (left - 1) * p
        draws = rng.geometric(p, size=int(expected + 6.0 * math.sqrt(expected) + 16))
        # For a tiny p the draws reach 2**63 - 1 (NumPy saturates there) and their running sum
        # wrapped around to negative positions: those were kept as edges, and the loop never
        # ended. Clipped to ``left``, every partial sum up to the first one that reaches ``left``
        # is below 2 left <= 2**63 and exact; the later ones, past the end, are dropped.
        np.minimum(draws, left, out=draws)
        steps = np.cumsum(draws)
        beyond = steps >= left
        if beyond.any():
            steps = steps[:int(beyond.argmax()) + 1]
        pos = last + steps
        out.append(pos[pos < total])
        if pos[-1] >= total:
            break
        last = int(pos[-1])
    return np.concatenate(out)
