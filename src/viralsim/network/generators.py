"""Network generators: friend circles (the default) and classic random-graph models.

Every generator is a plain function returning a :class:`~viralsim.network.topology.Topology`
(symmetric CSR arrays with a strong/weak tie type per edge) and takes the random
generator as the required keyword-only argument ``rng``. The same generator state
always yields byte-identical arrays. Generators written here are vectorised and
build a million-person network in seconds; the two that delegate to networkx
(:func:`holme_kim`, :func:`barabasi_albert`) are pure Python and take tens of
seconds per 100,000 nodes.

Where a generator's parameter is also a config setting (``network.k``,
``network.weak_ties_per_person``, ...), its default is the config's default, read
from :mod:`viralsim.config.schema`. The default share of strong ties comes from
seed 000 L209: "微信联系人中大约70%是家人、朋友等熟人群体" (about 70 % of WeChat
contacts are family, friends and other acquaintances).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import networkx as nx
import numpy as np

from viralsim._rng import bernoulli_positions
from viralsim.config.schema import BarabasiAlbertNet, FriendCirclesNet, HolmeKimNet, WattsStrogatzNet, default_of

from .topology import DEFAULT_STRONG_SHARE, MAX_NODES, Topology

__all__ = [
    "CircleType",
    "DEFAULT_CIRCLE_TYPES",
    "friend_circles",
    "watts_strogatz",
    "holme_kim",
    "barabasi_albert",
    "stochastic_block",
    "complete",
    "from_networkx",
]

# Rounds of redrawing colliding rewired edges in watts_strogatz before falling
# back to the lattice edge; collisions have probability ~k/n, so 2-3 rounds
# normally suffice.
_REWIRE_ROUNDS = 30


# --------------------------------------------------------------------------- validation


def _is_int(x) -> bool:
    return isinstance(x, Integral) and not isinstance(x, bool)


def _check_n(func: str, n, lo: int = 1) -> int:
    if not _is_int(n) or not lo <= n <= MAX_NODES:
        raise ValueError(f"{func}: n must be an integer in [{lo}, {MAX_NODES}], got {n!r}")
    return int(n)


def _check_prob(func: str, name: str, value) -> float:
    if not isinstance(value, Real) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{func}: {name} must be a probability in [0, 1], got {value!r}")
    return float(value)


def _check_rng(func: str, rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"{func}: rng must be a numpy.random.Generator, got {type(rng).__name__}"
        )
    return rng


# --------------------------------------------------------------------------- shared helpers


def _pair_keys(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Undirected pair key ``min*n + max`` (int64)."""
    key = np.minimum(u, v).astype(np.int64)
    key *= n
    key += np.maximum(u, v)
    return key


def _chunks(length: int, size_range: tuple[int, int], rng: np.random.Generator):
    """Cut ``length`` consecutive slots into chunks with sizes uniform in ``size_range``.

    Returns per-chunk ``starts`` and ``sizes`` (int64); the last chunk is truncated
    so that the sizes add up to ``length``.
    """
    lo, hi = size_range
    draws = rng.integers(lo, hi + 1, size=length // lo + 1)
    ends = np.cumsum(draws)
    count = int(np.searchsorted(ends, length)) + 1
    ends = ends[:count]
    ends[-1] = length
    starts = np.empty(count, dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1]
    return starts, ends - starts


def _triangle_decode(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Invert ``t = b*(b-1)/2 + a`` (``0 <= a < b``): the pair with lower-triangle index ``t``."""
    b = np.floor((1.0 + np.sqrt(8.0 * t + 1.0)) / 2.0).astype(np.int64)
    # float rounding can be off by one near perfect squares; fix it exactly
    b -= (b * (b - 1) // 2) > t
    b += ((b + 1) * b // 2) <= t
    return t - b * (b - 1) // 2, b


def _chunk_pairs(
    starts: np.ndarray, sizes: np.ndarray, p: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Slot pairs ``(a, b)``, ``a < b``, of a G(size, p) random graph inside every chunk.

    The ``size*(size-1)/2`` pairs of all chunks are laid end to end and sampled by
    geometric skipping, so each pair of a chunk is tried exactly once.
    O(chunks + p * sum(size**2) / 2), no loop over chunks.
    """
    cells = sizes * (sizes - 1) // 2
    cell_start = np.cumsum(cells) - cells
    pos = bernoulli_positions(int(cells.sum()), p, rng)
    # "right" - 1 skips empty chunks, which share their start with the next one
    chunk = np.searchsorted(cell_start, pos, side="right") - 1
    a, b = _triangle_decode(pos - cell_start[chunk])
    base = starts[chunk]
    return base + a, base + b


# --------------------------------------------------------------------------- friend circles


@dataclass(frozen=True)
class CircleType:
    """One kind of social circle in :func:`friend_circles`.

    Parameters
    ----------
    name : str
        Label, e.g. ``"classmates"``.
    membership : float
        Mean number of circles of this kind per person (may exceed 1; a value
        of 0.6 means 60 % of people belong to one such circle).
    size_range : tuple of int
        Inclusive range ``(lo, hi)`` of circle sizes, drawn uniformly; ``lo >= 2``.
    p_within : float
        Probability that two members of the same circle are contacts.
    """

    name: str
    membership: float
    size_range: tuple[int, int]
    p_within: float

    def __post_init__(self) -> None:
        where = f"CircleType {self.name!r}"
        if not isinstance(self.membership, Real) or not 0.0 <= self.membership <= 50.0:
            raise ValueError(f"{where}: membership must be in [0, 50], got {self.membership!r}")
        sr = tuple(self.size_range)
        if len(sr) != 2 or not all(_is_int(x) for x in sr) or not 2 <= sr[0] <= sr[1]:
            raise ValueError(
                f"{where}: size_range must be two integers lo <= hi with lo >= 2, "
                f"got {self.size_range!r}"
            )
        object.__setattr__(self, "size_range", (int(sr[0]), int(sr[1])))
        _check_prob(where, "p_within", self.p_within)


#: Default circles besides the family. With them (and the default family sizes
#: and 6 weak ties per person) the mean degree is about 20 and 70 % of contacts
#: are strong ties (seed 000 L209); people belong to 1.65 such circles on average.
#: Ego networks are "relatives, friends, classmates, or friends introduced by
#: friends" (seed 000 L113).
DEFAULT_CIRCLE_TYPES: tuple[CircleType, ...] = (
    CircleType("classmates", membership=0.55, size_range=(30, 50), p_within=0.2),
    CircleType("colleagues", membership=0.6, size_range=(10, 30), p_within=0.3),
    CircleType("interest", membership=0.5, size_range=(10, 20), p_within=0.3),
)


def _circle_keys(n: int, circle: CircleType, rng: np.random.Generator) -> np.ndarray:
    slots = int(round(circle.membership * n))
    if slots < 2 or circle.p_within == 0.0:
        return np.empty(0, dtype=np.int64)
    # Whole permutations laid end to end, so that someone in two circles of a
    # kind is in two different circles (unless a circle straddles two permutations).
    reps = math.ceil(slots / n)
    members = np.concatenate([rng.permutation(n) for _ in range(reps)])[:slots]
    starts, sizes = _chunks(slots, circle.size_range, rng)
    a, b = _chunk_pairs(starts, sizes, circle.p_within, rng)
    return _pair_keys(n, members[a], members[b])


def _family_keys(n: int, family_size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    members = rng.permutation(n)
    starts, sizes = _chunks(n, family_size, rng)
    a, b = _chunk_pairs(starts, sizes, 1.0, rng)
    return _pair_keys(n, members[a], members[b])


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """Sort ``a`` in place and drop repeats (faster than ``np.unique`` on int64 keys)."""
    a.sort()
    keep = np.empty(a.size, dtype=bool)
    keep[:1] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def _first_occurrence(a: np.ndarray) -> np.ndarray:
    """Mask of the first occurrence (in array order) of every value of ``a``."""
    order = np.argsort(a, kind="stable")
    s = a[order]
    first = np.empty(a.size, dtype=bool)
    first[:1] = True
    np.not_equal(s[1:], s[:-1], out=first[1:])
    mask = np.empty(a.size, dtype=bool)
    mask[order] = first
    return mask


def _closure_keys(
    strong: Topology, count: int, strong_pairs: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """About ``count`` new pairs ``u - x``, ``x`` a strong contact of a strong contact of ``u``."""
    n = strong.n
    deg = strong.degree
    # Oversample: a closure draw is lost when it returns to u or lands on an
    # existing contact (about a quarter of draws in the default network).
    draws = 2 * count + 16
    u = rng.integers(0, n, size=draws)
    u = u[deg[u] > 0]
    w = strong.indices[strong.indptr[u] + (rng.random(u.size) * deg[u]).astype(np.int64)]
    x = strong.indices[strong.indptr[w] + (rng.random(u.size) * deg[w]).astype(np.int64)]
    keep = x != u
    cand = _pair_keys(n, u[keep], x[keep])
    del u, w, x, keep
    # One joint sort instead of a searchsorted per candidate (random access is
    # the bottleneck at this size): a candidate survives if it is new and unique.
    both = np.concatenate([strong_pairs << 1, (cand << 1) | 1])
    del cand
    both.sort()
    pair = both >> 1
    fresh = np.empty(both.size, dtype=bool)
    fresh[:1] = True
    np.not_equal(pair[1:], pair[:-1], out=fresh[1:])
    fresh &= (both & 1) == 1
    valid = pair[fresh]
    if valid.size <= count:
        return valid
    # valid is in key order; a random subset keeps the choice unbiased.
    return valid[rng.choice(valid.size, size=count, replace=False)]


def friend_circles(
    n: int,
    *,
    family_size: tuple[int, int] = (3, 6),
    circle_types: Sequence[CircleType] = DEFAULT_CIRCLE_TYPES,
    weak_ties_per_person: float = default_of(FriendCirclesNet, "weak_ties_per_person"),
    closure_share: float = 0.5,
    rng: np.random.Generator,
) -> Topology:
    """Overlapping friend circles: families, classmates, colleagues, interest groups.

    The default network of viralsim, modelled on a WeChat friend list: contacts
    are "relatives, friends, classmates, or friends introduced by friends"
    (seed 000 L113), about 70 % of them family and friends (seed 000 L209).

    * Everyone belongs to exactly one **family** (size uniform in
      ``family_size``); all family members are contacts.
    * Each :class:`CircleType` adds circles (classmates, colleagues, interest
      groups by default). Circles are formed by permuting people and cutting the
      permutation into consecutive chunks of random size; two members of the
      same circle are contacts with probability ``p_within``.
    * Family and circle contacts are **strong ties**.
    * **Weak ties** are acquaintances across circles: on average
      ``weak_ties_per_person`` per person. A share ``closure_share`` of them close
      a triangle (a strong contact's strong contact, "friends introduced by
      friends"); the rest link uniformly random people (Poisson degrees).

    Parameters
    ----------
    n : int
        Number of people.
    family_size : tuple of int, optional
        Inclusive range of family sizes, default (3, 6).
    circle_types : sequence of CircleType, optional
        Circles besides the family; default :data:`DEFAULT_CIRCLE_TYPES`.
    weak_ties_per_person : float, optional
        Mean number of weak contacts per person; default: the config default of
        ``network.weak_ties_per_person``.
    closure_share : float, optional
        Share of weak ties formed by friend-of-friend closure, default 0.5.
    rng : numpy.random.Generator
        Source of all randomness.

    Returns
    -------
    Topology

    Raises
    ------
    ValueError
        If a parameter is out of range (the message names it).

    Notes
    -----
    With the defaults the mean degree is about 20 (14 strong + 6 weak), the
    strong share 0.70 and the average clustering about 0.13, against about
    20/n for an Erdős–Rényi graph of the same density.

    Vectorised throughout, with no loop over people or circles: circles are
    consecutive chunks of ``rng.permutation(n)`` with sizes drawn by ``rng``;
    each circle is an exact G(size, p_within) random graph, sampled for all
    circles at once by geometric skipping over their concatenated pair ranges
    (Batagelj & Brandes 2005); family pairs are all taken. A closure tie picks
    a random strong contact and then a random strong contact of theirs in the
    CSR of strong ties. Duplicates are removed by sorting int64 pair keys
    ``min*n + max`` (strong wins). Time and memory are O(n + E): about 5 s and
    0.7 GB peak RSS for one million people on one core.

    References
    ----------
    .. [1] Seed 000 L209 (70 % of WeChat contacts are family and friends) and
       L113 (contacts are relatives, friends, classmates, friends of friends).
    .. [2] M. S. Granovetter, "The Strength of Weak Ties", American Journal of
       Sociology 78(6):1360–1380, 1973.
    .. [3] G. Palla, I. Derényi, I. Farkas and T. Vicsek, "Uncovering the
       overlapping community structure of complex networks in nature and
       society", Nature 435:814–818, 2005.
    .. [4] V. Batagelj and U. Brandes, "Efficient generation of large random
       networks", Physical Review E 71:036113, 2005.

    Examples
    --------
    >>> import numpy as np
    >>> topo = friend_circles(2000, rng=np.random.default_rng(42))
    >>> topo.n
    2000
    >>> 15 < topo.degree.mean() < 30 and 0.6 < topo.strong_share < 0.8
    True
    """
    func = "friend_circles"
    n = _check_n(func, n)
    fs = tuple(family_size) if isinstance(family_size, Sequence) else ()
    if len(fs) != 2 or not all(_is_int(x) for x in fs) or not 1 <= fs[0] <= fs[1]:
        raise ValueError(
            f"{func}: family_size must be two integers lo <= hi with lo >= 1, got {family_size!r}"
        )
    circle_types = tuple(circle_types)
    for c in circle_types:
        if not isinstance(c, CircleType):
            raise ValueError(f"{func}: circle_types must hold CircleType objects, got {c!r}")
    if (
        not isinstance(weak_ties_per_person, Real)
        or isinstance(weak_ties_per_person, bool)
        or not 0.0 <= weak_ties_per_person <= 1000.0
    ):
        raise ValueError(
            f"{func}: weak_ties_per_person must be a number in [0, 1000], "
            f"got {weak_ties_per_person!r}"
        )
    closure_share = _check_prob(func, "closure_share", closure_share)
    rng = _check_rng(func, rng)

    parts = [_family_keys(n, (int(fs[0]), int(fs[1])), rng)]
    parts += [_circle_keys(n, c, rng) for c in circle_types]
    strong_pairs = np.concatenate(parts)
    del parts
    strong_pairs = _sorted_unique(strong_pairs[strong_pairs // n != strong_pairs % n])

    n_weak = int(round(n * weak_ties_per_person / 2))
    n_closure = int(round(n_weak * closure_share))
    weak = []
    if n_closure:
        strong_topo = Topology._from_sorted_keys(n, strong_pairs << 1)
        weak.append(_closure_keys(strong_topo, n_closure, strong_pairs, rng))
        del strong_topo
    n_random = n_weak - (weak[0].size if weak else 0)
    if n_random > 0:
        u = rng.integers(0, n, size=n_random)
        v = rng.integers(0, n, size=n_random)
        u, v = u[u != v], v[u != v]
        weak.append(_pair_keys(n, u, v))
        del u, v
    key = np.concatenate([strong_pairs] + weak)
    key <<= 1
    key[strong_pairs.size :] |= 1
    del strong_pairs, weak
    return Topology._from_keys(n, key)


# --------------------------------------------------------------------------- Watts-Strogatz


def watts_strogatz(
    n: int,
    k: int = default_of(WattsStrogatzNet, "k"),
    p: float = default_of(WattsStrogatzNet, "p"),
    *,
    strong_share: float = DEFAULT_STRONG_SHARE,
    rng: np.random.Generator,
) -> Topology:
    """Small-world ring lattice with random rewiring (Watts & Strogatz 1998), vectorised.

    Each person is linked to the ``k/2`` nearest neighbours on each side of a
    ring. Then each lattice edge ``(u, u+j)`` has its far end replaced, with
    probability ``p``, by a uniformly random person, redrawn if it would create
    a self loop or a duplicate edge (as in networkx's ``watts_strogatz_graph``).

    Parameters
    ----------
    n : int
        Number of people, at least 3.
    k : int, optional
        Even number of lattice neighbours, in ``[2, n-1]``; default: the config default.
    p : float, optional
        Rewiring probability; default: the config default.
    strong_share : float, optional
        Expected share of strong ties, default :data:`DEFAULT_STRONG_SHARE` (seed 000 L209).
    rng : numpy.random.Generator
        Source of all randomness.

    Returns
    -------
    Topology
        ``n * k / 2`` edges (degree sum ``n * k``), see Notes for the exception.

    Raises
    ------
    ValueError
        If a parameter is out of range (the message names it).

    Notes
    -----
    Tie strength follows the structure rather than a coin flip: rewired edges
    are the long-range bridges and are **weak**; lattice edges (the clustered,
    embedded ones) are strong with the probability that makes the expected
    overall share ``strong_share``. If ``strong_share`` exceeds the lattice
    share, all lattice edges are strong and rewired ones are strong with the
    remaining probability.

    Collisions are resolved in vectorised rounds; after 30 rounds (only reached
    for nearly complete graphs) a still-colliding edge reverts to its lattice
    edge, or is dropped if another rewired edge took that pair, so only nearly
    complete graphs can end with fewer than ``n * k / 2`` edges. With
    ``k = n - 1`` the lattice is complete and nothing is rewired. Otherwise the
    result is distributed like networkx's sequential algorithm.
    O(n k log(n k)) time; one million people with k = 10 take about 2 s.

    References
    ----------
    .. [1] D. J. Watts and S. H. Strogatz, "Collective dynamics of
       'small-world' networks", Nature 393:440–442, 1998.
       https://doi.org/10.1038/30918

    Examples
    --------
    >>> import numpy as np
    >>> topo = watts_strogatz(100, 4, 0.1, rng=np.random.default_rng(1))
    >>> int(topo.degree.sum())
    400
    """
    func = "watts_strogatz"
    n = _check_n(func, n, lo=3)
    if not _is_int(k) or k % 2 or not 2 <= k <= n - 1:
        raise ValueError(f"{func}: k must be an even integer in [2, n-1={n - 1}], got {k!r}")
    p = _check_prob(func, "p", p)
    strong_share = _check_prob(func, "strong_share", strong_share)
    rng = _check_rng(func, rng)

    half = int(k) // 2
    u = np.repeat(np.arange(n, dtype=np.int64), half)
    lattice_v = (u + np.tile(np.arange(1, half + 1, dtype=np.int64), n)) % n
    lattice_key = _pair_keys(n, u, lattice_v)
    m = u.size
    rewired = np.flatnonzero(rng.random(m) < p)
    if k == n - 1:
        # Already complete: there is nowhere to rewire to (networkx skips these too).
        rewired = rewired[:0]
    key = lattice_key.copy()

    # Lattice keys are distinct, so a collision always involves a rewired edge;
    # redraw the far end of the colliding rewired edges, lattice edges stay put.
    pending = rewired
    settled = np.sort(np.delete(lattice_key, rewired))
    for _ in range(_REWIRE_ROUNDS):
        if pending.size == 0:
            break
        w = rng.integers(0, n, size=pending.size)
        cand = _pair_keys(n, u[pending], w)
        bad = w == u[pending]
        hit = np.searchsorted(settled, cand)
        hit[hit == settled.size] = 0
        if settled.size:
            bad |= settled[hit] == cand
        bad |= ~_first_occurrence(cand)
        key[pending[~bad]] = cand[~bad]
        settled = np.sort(np.concatenate([settled, cand[~bad]]))
        pending = pending[bad]
    is_lattice = np.ones(m, dtype=bool)
    is_lattice[rewired] = False
    if pending.size:
        # Give up rewiring: keep the lattice edge if nobody else took that pair.
        back = lattice_key[pending]
        hit = np.searchsorted(settled, back)
        hit[hit == settled.size] = 0
        taken = settled[hit] == back if settled.size else np.zeros(back.size, dtype=bool)
        key[pending] = back
        is_lattice[pending] = True
        key = np.delete(key, pending[taken])
        is_lattice = np.delete(is_lattice, pending[taken])
        m = key.size

    n_lattice = int(is_lattice.sum())
    target = strong_share * m
    if target <= n_lattice:
        q_lattice, q_rewired = (target / n_lattice if n_lattice else 0.0), 0.0
    else:
        q_lattice, q_rewired = 1.0, (target - n_lattice) / (m - n_lattice)
    strong = rng.random(m) < np.where(is_lattice, q_lattice, q_rewired)
    key <<= 1
    key |= ~strong
    return Topology._from_keys(n, key)


# --------------------------------------------------------------------------- networkx-based


def holme_kim(
    n: int,
    m: int = default_of(HolmeKimNet, "m"),
    p: float = default_of(HolmeKimNet, "p"),
    *,
    strong_share: float = DEFAULT_STRONG_SHARE,
    rng: np.random.Generator,
) -> Topology:
    """Scale-free network with tunable clustering (Holme & Kim 2002).

    Preferential attachment with ``m`` links per newcomer; after each
    preferential link, with probability ``p`` the next link closes a triangle.
    Built with :func:`networkx.powerlaw_cluster_graph` (``seed=rng``); tie
    strength by embeddedness (:func:`~viralsim.network.topology.assign_strength`):
    the ``strong_share`` of edges with most common neighbours are strong.

    Parameters
    ----------
    n : int
        Number of people, greater than ``m``.
    m : int, optional
        Links per newcomer, in ``[1, n-1]``; default: the config default.
    p : float, optional
        Triad-formation probability; default: the config default.
    strong_share : float, optional
        Share of strong ties, default :data:`DEFAULT_STRONG_SHARE` (seed 000 L209).
    rng : numpy.random.Generator
        Source of all randomness.

    Returns
    -------
    Topology

    Raises
    ------
    ValueError
        If a parameter is out of range (the message names it).

    Notes
    -----
    O(n m), but a pure-Python loop in networkx, and drawing through a numpy
    Generator (``seed=rng``) makes networkx about 4x slower than with an int
    seed: about 20 s per 100,000 nodes with ``m = 5`` on one core. Use
    :func:`friend_circles` or :func:`watts_strogatz` for large populations.

    References
    ----------
    .. [1] P. Holme and B. J. Kim, "Growing scale-free networks with tunable
       clustering", Physical Review E 65:026107, 2002.
       https://doi.org/10.1103/PhysRevE.65.026107

    Examples
    --------
    >>> import numpy as np
    >>> topo = holme_kim(200, 3, 0.5, rng=np.random.default_rng(0))
    >>> topo.n, round(topo.strong_share, 2)
    (200, 0.7)
    """
    func = "holme_kim"
    n = _check_n(func, n, lo=2)
    if not _is_int(m) or not 1 <= m <= n - 1:
        raise ValueError(f"{func}: m must be an integer in [1, n-1={n - 1}], got {m!r}")
    p = _check_prob(func, "p", p)
    strong_share = _check_prob(func, "strong_share", strong_share)
    rng = _check_rng(func, rng)
    G = nx.powerlaw_cluster_graph(n, int(m), p, seed=rng)
    topo = Topology.from_networkx(
        G, default_strong_share=strong_share, strength_method="embeddedness", rng=rng
    )
    return dataclasses.replace(topo, labels=None)


def barabasi_albert(
    n: int,
    m: int = default_of(BarabasiAlbertNet, "m"),
    *,
    strong_share: float = DEFAULT_STRONG_SHARE,
    rng: np.random.Generator,
) -> Topology:
    """Preferential-attachment scale-free network (Barabási & Albert 1999).

    Built with :func:`networkx.barabasi_albert_graph` (``seed=rng``). BA graphs
    have almost no triangles, so embeddedness carries little information: each
    tie is strong independently with probability ``strong_share``.

    Parameters
    ----------
    n : int
        Number of people, greater than ``m``.
    m : int, optional
        Links per newcomer, in ``[1, n-1]``; default: the config default.
    strong_share : float, optional
        Probability that a tie is strong, default :data:`DEFAULT_STRONG_SHARE` (seed 000 L209).
    rng : numpy.random.Generator
        Source of all randomness.

    Returns
    -------
    Topology

    Raises
    ------
    ValueError
        If a parameter is out of range (the message names it).

    Notes
    -----
    O(n m), but a pure-Python loop in networkx driven through a numpy Generator:
    about 12 s per 100,000 nodes with ``m = 5`` on one core.

    References
    ----------
    .. [1] A.-L. Barabási and R. Albert, "Emergence of scaling in random
       networks", Science 286:509–512, 1999.
       https://doi.org/10.1126/science.286.5439.509

    Examples
    --------
    >>> import numpy as np
    >>> barabasi_albert(100, 2, rng=np.random.default_rng(0)).n_edges
    196
    """
    func = "barabasi_albert"
    n = _check_n(func, n, lo=2)
    if not _is_int(m) or not 1 <= m <= n - 1:
        raise ValueError(f"{func}: m must be an integer in [1, n-1={n - 1}], got {m!r}")
    strong_share = _check_prob(func, "strong_share", strong_share)
    rng = _check_rng(func, rng)
    G = nx.barabasi_albert_graph(n, int(m), seed=rng)
    topo = Topology.from_networkx(
        G, default_strong_share=strong_share, strength_method="random", rng=rng
    )
    return dataclasses.replace(topo, labels=None)


# --------------------------------------------------------------------------- stochastic block


def stochastic_block(
    sizes: Sequence[int],
    p_in: float,
    p_out: float,
    *,
    rng: np.random.Generator,
) -> Topology:
    """Stochastic block model (Holland, Laskey & Leinhardt 1983): dense groups, sparse links.

    People ``0 .. sizes[0]-1`` form block 0, the next ``sizes[1]`` block 1, and so
    on. Two people in the same block are contacts with probability ``p_in``,
    in different blocks with probability ``p_out``. Within-block ties are
    **strong**, between-block ties **weak**.

    Parameters
    ----------
    sizes : sequence of int
        Block sizes, each at least 1.
    p_in, p_out : float
        Within- and between-block edge probabilities.
    rng : numpy.random.Generator
        Source of all randomness.

    Returns
    -------
    Topology

    Raises
    ------
    ValueError
        If a parameter is out of range (the message names it).

    Notes
    -----
    Vectorised with geometric skipping over the pair index space, so the cost is
    O(n + number of blocks + expected edges) rather than O(n²): within-block pairs
    are indexed block after block, between-block pairs over all ``n²`` ordered
    cells, keeping only cells above the diagonal in different blocks. Each
    unordered pair is thus tried exactly once.

    References
    ----------
    .. [1] P. W. Holland, K. B. Laskey and S. Leinhardt, "Stochastic
       blockmodels: First steps", Social Networks 5(2):109–137, 1983.
       https://doi.org/10.1016/0378-8733(83)90021-7
    .. [2] V. Batagelj and U. Brandes, "Efficient generation of large random
       networks", Physical Review E 71:036113, 2005.

    Examples
    --------
    >>> import numpy as np
    >>> topo = stochastic_block([50, 50], 0.3, 0.01, rng=np.random.default_rng(0))
    >>> topo.n, topo.strong_share > 0.8
    (100, True)
    """
    func = "stochastic_block"
    sizes_list = list(sizes) if isinstance(sizes, Sequence | np.ndarray) else None
    if not sizes_list or not all(_is_int(s) and s >= 1 for s in sizes_list):
        raise ValueError(
            f"{func}: sizes must be a non-empty sequence of positive integers, got {sizes!r}"
        )
    sz = np.asarray(sizes_list, dtype=np.int64)
    n = _check_n(func, int(sz.sum()))
    p_in = _check_prob(func, "p_in", p_in)
    p_out = _check_prob(func, "p_out", p_out)
    rng = _check_rng(func, rng)

    block_start = np.cumsum(sz) - sz
    a, b = _chunk_pairs(block_start, sz, p_in, rng)
    within = a * n + b
    del a, b

    pos = bernoulli_positions(n * n, p_out, rng)
    a, b = np.divmod(pos, n)
    block_of = np.repeat(np.arange(sz.size), sz)
    keep = (a < b) & (block_of[a] != block_of[b])
    between = a[keep] * n + b[keep]
    key = np.concatenate([within << 1, (between << 1) | 1])
    return Topology._from_keys(n, key)


# --------------------------------------------------------------------------- thin wrappers


def complete(n: int) -> Topology:
    """Complete graph on ``n`` people, all ties strong, stored implicitly in O(1) memory.

    Everyone is everyone's contact: the mean-field limit used to dock the network
    model with the Bass (1969) diffusion model.

    Parameters
    ----------
    n : int
        Number of people, at least 1.

    Returns
    -------
    Topology
        With ``complete=True``; see :meth:`Topology.sample_neighbors` for how
        transmission is sampled without materialising the edges.

    References
    ----------
    .. [1] F. M. Bass, "A new product growth for model consumer durables",
       Management Science 15(5):215–227, 1969.

    Examples
    --------
    >>> complete(1000).n_edges
    499500
    """
    n = _check_n("complete", n)
    return Topology.complete_graph(n)


def from_networkx(
    G: nx.Graph,
    *,
    strength_attr: str = "strong",
    default_strong_share: float = DEFAULT_STRONG_SHARE,
    strength_method: str = "embeddedness",
    rng: np.random.Generator | None = None,
) -> Topology:
    """Convert a networkx graph; alias of :meth:`Topology.from_networkx`.

    Parameters
    ----------
    G : networkx.Graph
        Graph whose nodes are relabelled ``0 .. n-1`` in node order.
    strength_attr : str, optional
        Edge attribute with the tie type (bool, 0/1, ``"strong"``/``"weak"``).
    default_strong_share : float, optional
        Strong share assigned when no edge has ``strength_attr`` (seed 000 L209).
    strength_method : {"embeddedness", "random"}, optional
        How that assignment is made.
    rng : numpy.random.Generator, optional
        Needed only when tie types are assigned.

    Returns
    -------
    Topology

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.Graph([("a", "b", {"strong": True}), ("b", "c", {"strong": "weak"})])
    >>> from_networkx(G).strong_share
    0.5
    """
    return Topology.from_networkx(
        G,
        strength_attr=strength_attr,
        default_strong_share=default_strong_share,
        strength_method=strength_method,
        rng=rng,
    )
