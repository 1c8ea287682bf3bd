"""Generators: CSR invariants, reproducibility, target statistics, parameter validation."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from viralsim.network import (
    CircleType,
    Topology,
    barabasi_albert,
    complete,
    friend_circles,
    from_networkx,
    holme_kim,
    stochastic_block,
    watts_strogatz,
)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


RANDOM_GENERATORS = {
    "friend_circles": lambda r: friend_circles(1500, rng=r),
    "watts_strogatz": lambda r: watts_strogatz(800, 8, 0.2, rng=r),
    "holme_kim": lambda r: holme_kim(500, 3, 0.5, rng=r),
    "barabasi_albert": lambda r: barabasi_albert(500, 3, rng=r),
    "stochastic_block": lambda r: stochastic_block([100, 150, 250], 0.1, 0.005, rng=r),
}


@pytest.mark.parametrize("name", sorted(RANDOM_GENERATORS))
def test_csr_invariants(name, csr_ok):
    topo = RANDOM_GENERATORS[name](rng(1))
    assert isinstance(topo, Topology) and not topo.complete
    assert topo.n_edges > 0
    csr_ok(topo)


@pytest.mark.parametrize("name", sorted(RANDOM_GENERATORS))
def test_same_seed_same_bytes_different_seed_differs(name):
    make = RANDOM_GENERATORS[name]
    a, b, c = make(rng(11)), make(rng(11)), make(rng(12))
    for field in ("indptr", "indices", "strong"):
        assert getattr(a, field).tobytes() == getattr(b, field).tobytes()
    assert (a.indptr.tobytes(), a.indices.tobytes(), a.strong.tobytes()) != (
        c.indptr.tobytes(),
        c.indices.tobytes(),
        c.strong.tobytes(),
    )


def test_generators_leave_global_random_state_alone():
    import random

    np.random.seed(123)
    random.seed(123)
    before = (np.random.get_state()[1].copy(), random.getstate())
    for make in RANDOM_GENERATORS.values():
        make(rng(0))
    assert np.array_equal(np.random.get_state()[1], before[0])
    assert random.getstate() == before[1]


# --------------------------------------------------------------------------- friend circles


@pytest.fixture(scope="module")
def circles_20k():
    return friend_circles(20_000, rng=rng(2024))


def test_friend_circles_degree_and_strong_share(circles_20k):
    # seed 000 L209: about 70 % of WeChat contacts are family and friends
    assert 15 <= circles_20k.degree.mean() <= 40
    assert abs(circles_20k.strong_share - 0.70) <= 0.05
    assert circles_20k.degree.min() >= 2  # everyone has a family of at least 3


def test_friend_circles_weak_ties_per_person(circles_20k):
    weak_degree = (~circles_20k.strong).sum() / circles_20k.n
    assert weak_degree == pytest.approx(6.0, rel=0.05)


def test_friend_circles_clustering_far_above_random():
    topo = friend_circles(3000, rng=rng(5))
    G = topo.to_networkx()
    er = nx.gnm_random_graph(topo.n, topo.n_edges, seed=rng(5))
    assert nx.average_clustering(G) > 5 * nx.average_clustering(er)


def test_friend_circles_families_are_cliques():
    # no circles, no weak ties: the graph is a disjoint union of families
    topo = friend_circles(1000, circle_types=(), weak_ties_per_person=0.0, rng=rng(3))
    G = topo.to_networkx()
    sizes = []
    for comp in nx.connected_components(G):
        k = len(comp)
        sizes.append(k)
        assert G.subgraph(comp).number_of_edges() == k * (k - 1) // 2
    assert max(sizes) <= 6
    assert sum(k < 3 for k in sizes) <= 1  # only the last family may be cut short
    assert topo.strong.all()


def test_friend_circles_circle_density_matches_p_within():
    circle = CircleType("club", membership=1.0, size_range=(40, 40), p_within=0.25)
    topo = friend_circles(
        4000, family_size=(1, 1), circle_types=(circle,), weak_ties_per_person=0.0, rng=rng(8)
    )
    # each circle is G(40, 0.25): 100 circles x 780 pairs; mean degree 0.25 * 39
    pairs = 100 * 780
    sd_of_mean = 2 * math.sqrt(pairs * 0.25 * 0.75) / topo.n
    assert abs(topo.degree.mean() - 0.25 * 39) < 4 * sd_of_mean


def test_friend_circles_without_closure_and_tiny_n(csr_ok):
    csr_ok(friend_circles(2000, closure_share=0.0, rng=rng(1)))
    for n in (1, 2, 5, 10):
        topo = friend_circles(n, rng=rng(n))
        csr_ok(topo)
        assert topo.n == n


# --------------------------------------------------------------------------- Watts-Strogatz


@pytest.mark.parametrize(
    ("n", "k", "p"), [(1000, 10, 0.1), (500, 4, 1.0), (50, 6, 0.5), (9, 8, 0.5)]
)
def test_watts_strogatz_degree_sum(n, k, p, csr_ok):
    topo = watts_strogatz(n, k, p, rng=rng(n))
    csr_ok(topo)
    assert topo.degree.sum() == n * k


def test_watts_strogatz_p0_is_ring_lattice():
    topo = watts_strogatz(30, 4, 0.0, rng=rng())
    expected = nx.watts_strogatz_graph(30, 4, 0.0, seed=rng())
    assert set(map(tuple, map(sorted, expected.edges))) == {
        (min(u, v), max(u, v)) for u, v in topo.to_networkx().edges
    }


def test_watts_strogatz_strength_follows_structure():
    n, k, p = 20_000, 10, 0.1
    topo = watts_strogatz(n, k, p, strong_share=0.7, rng=rng(4))
    assert abs(topo.strong_share - 0.7) < 0.01
    src, dst, strong = topo.gather(np.arange(n))
    ring = np.minimum((dst - src) % n, (src - dst) % n)
    long_range = ring > k // 2
    assert not strong[long_range].any()  # rewired bridges are weak ties
    assert long_range.mean() == pytest.approx(p, rel=0.1)


# --------------------------------------------------------------------------- others


def test_holme_kim_and_barabasi_albert_sizes():
    hk = holme_kim(400, 4, 0.6, rng=rng(1))
    ba = barabasi_albert(400, 4, rng=rng(1))
    assert hk.n == ba.n == 400 and hk.labels is None
    assert ba.n_edges == 4 + (400 - 5) * 4  # networkx starts from a star on m+1 nodes
    assert hk.strong_share == pytest.approx(0.7, abs=0.01)
    assert abs(ba.strong_share - 0.7) < 0.05
    hk_G = hk.to_networkx()
    ba_G = ba.to_networkx()
    assert nx.average_clustering(hk_G) > nx.average_clustering(ba_G)


def test_stochastic_block_ties_and_densities():
    sizes, p_in, p_out = [300, 500, 200], 0.05, 0.002
    topo = stochastic_block(sizes, p_in, p_out, rng=rng(6))
    block = np.repeat(np.arange(3), sizes)
    src, dst, strong = topo.gather(np.arange(topo.n))
    same = block[src] == block[dst]
    assert np.array_equal(strong, same)
    pairs_in = sum(s * (s - 1) // 2 for s in sizes)
    pairs_out = topo.n * (topo.n - 1) // 2 - pairs_in
    observed = ((same.sum() // 2, pairs_in, p_in), ((~same).sum() // 2, pairs_out, p_out))
    for count, pairs, p in observed:
        assert abs(count - pairs * p) < 4 * math.sqrt(pairs * p * (1 - p))


def test_stochastic_block_extremes():
    full = stochastic_block([3, 4], 1.0, 1.0, rng=rng())
    assert full.n_edges == 21 and full.strong.sum() == 2 * (3 + 6)
    empty = stochastic_block([3, 4], 0.0, 0.0, rng=rng())
    assert empty.n_edges == 0


@pytest.mark.parametrize("p", [1e-20, 1e-300, 5e-324])
def test_stochastic_block_tiny_probabilities_give_empty_blocks(p, csr_ok):
    """A geometric skip for such p saturates NumPy's draw at 2**63 - 1; their running sum wrapped
    to negative pair positions (edges to nodes that do not exist, or a loop that never ended)."""
    topo = stochastic_block([150, 150], p, p, rng=rng(7))
    csr_ok(topo)
    assert topo.n == 300 and topo.n_edges == 0
    blocks = stochastic_block([150, 150], 1.0, p, rng=rng(7))
    csr_ok(blocks)
    assert blocks.n_edges == 2 * 150 * 149 // 2 and blocks.strong.all()


def test_complete_and_from_networkx_wrappers():
    assert complete(5).complete and complete(5).n_edges == 10
    G = nx.path_graph(4)
    topo = from_networkx(G, rng=rng(0))
    assert topo.n_edges == 3


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: friend_circles(0, rng=rng()), "n"),
        (lambda: friend_circles(10.5, rng=rng()), "n"),
        (lambda: friend_circles(100, family_size=(0, 3), rng=rng()), "family_size"),
        (lambda: friend_circles(100, family_size=(5, 3), rng=rng()), "family_size"),
        (lambda: friend_circles(100, weak_ties_per_person=-1, rng=rng()), "weak_ties_per_person"),
        (lambda: friend_circles(100, closure_share=2, rng=rng()), "closure_share"),
        (lambda: friend_circles(100, circle_types=["x"], rng=rng()), "circle_types"),
        (lambda: friend_circles(100, rng=None), "rng"),
        (lambda: friend_circles(100, rng=42), "rng"),
        (lambda: CircleType("c", 1.0, (1, 5), 0.2), "size_range"),
        (lambda: CircleType("c", -1.0, (2, 5), 0.2), "membership"),
        (lambda: CircleType("c", 1.0, (2, 5), 1.2), "p_within"),
        (lambda: watts_strogatz(100, 7, 0.1, rng=rng()), "k"),
        (lambda: watts_strogatz(10, 10, 0.1, rng=rng()), "k"),
        (lambda: watts_strogatz(100, 4, 1.5, rng=rng()), "p"),
        (lambda: watts_strogatz(100, 4, 0.1, strong_share=-0.1, rng=rng()), "strong_share"),
        (lambda: watts_strogatz(2, 2, 0.1, rng=rng()), "n"),
        (lambda: holme_kim(10, 10, 0.1, rng=rng()), "m"),
        (lambda: holme_kim(10, 2, 1.1, rng=rng()), "p"),
        (lambda: barabasi_albert(10, 0, rng=rng()), "m"),
        (lambda: barabasi_albert(10, 2, strong_share=7, rng=rng()), "strong_share"),
        (lambda: stochastic_block([], 0.1, 0.1, rng=rng()), "sizes"),
        (lambda: stochastic_block([3, 0], 0.1, 0.1, rng=rng()), "sizes"),
        (lambda: stochastic_block([3, 4], -0.1, 0.1, rng=rng()), "p_in"),
        (lambda: stochastic_block([3, 4], 0.1, 1.1, rng=rng()), "p_out"),
        (lambda: complete(0), "n"),
    ],
)
def test_invalid_parameters_name_the_parameter(call, param):
    with pytest.raises(ValueError, match=rf"\b{param}\b"):
        call()


def test_error_message_format():
    with pytest.raises(ValueError) as err:
        watts_strogatz(100, 7, 0.1, rng=rng())
    assert str(err.value) == "watts_strogatz: k must be an even integer in [2, n-1=99], got 7"
