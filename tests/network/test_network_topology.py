"""Topology: CSR construction, vectorised queries and networkx conversion."""

from __future__ import annotations

import dataclasses
import math

import networkx as nx
import numpy as np
import pytest

from viralsim.network import Topology, assign_strength, complete, friend_circles


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.fixture(scope="module")
def small():
    return friend_circles(300, rng=rng(7))


def naive_edges(topo) -> dict[tuple[int, int], bool]:
    G = topo.to_networkx()
    return {(min(u, v), max(u, v)): s for u, v, s in G.edges(data="strong")}


# --------------------------------------------------------------------------- from_edges


def test_from_edges_dedupes_and_strong_wins(csr_ok):
    u = [0, 1, 1, 2, 3, 2, 4]
    v = [1, 0, 1, 3, 2, 3, 0]
    s = [False, True, True, False, False, False, False]
    topo = Topology.from_edges(5, u, v, s)
    csr_ok(topo)
    assert topo.n_edges == 3
    assert naive_edges(topo) == {(0, 1): True, (2, 3): False, (0, 4): False}
    assert topo.neighbors(1).tolist() == [0]  # self loop 1-1 dropped


def test_from_edges_matches_naive_construction(csr_ok):
    g = rng(3)
    n, m = 60, 400
    u, v = g.integers(0, n, m), g.integers(0, n, m)
    s = g.random(m) < 0.4
    expected: dict[tuple[int, int], bool] = {}
    for a, b, t in zip(u.tolist(), v.tolist(), s.tolist()):
        if a != b:
            key = (min(a, b), max(a, b))
            expected[key] = expected.get(key, False) or t
    topo = Topology.from_edges(n, u, v, s)
    csr_ok(topo)
    assert naive_edges(topo) == expected
    assert topo.degree.tolist() == [
        sum(1 for e in expected if i in e) for i in range(n)
    ]


def test_from_edges_scalar_strength_and_labels():
    topo = Topology.from_edges(3, [0, 1], [1, 2], True, labels=["a", "b", "c"])
    assert topo.strong.all() and topo.strong_share == 1.0
    assert topo.labels.tolist() == ["a", "b", "c"]


def test_from_edges_empty_graph():
    topo = Topology.from_edges(4, [], [], [])
    assert topo.n_edges == 0 and topo.degree.tolist() == [0, 0, 0, 0]
    assert math.isnan(topo.strong_share)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((3, [0, 3], [1, 1], False), "node ids"),
        ((3, [0, -1], [1, 1], False), "node ids"),
        ((3, [0, 1], [1], False), "same length"),
        ((3, [0, 1], [1, 2], [True]), "strong"),
        ((-1, [], [], False), "n must"),
        ((3, [0.5], [1.0], False), "integer"),
    ],
)
def test_from_edges_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        Topology.from_edges(*args)


def test_topology_is_immutable(small):
    with pytest.raises(dataclasses.FrozenInstanceError):
        small.n = 3
    with pytest.raises(ValueError):
        small.indices[0] = 1


def test_validate_detects_broken_csr():
    indptr = np.array([0, 1, 1], dtype=np.int64)  # 0->1 without 1->0
    broken = Topology(n=2, indptr=indptr, indices=np.array([1], np.int32), strong=np.array([True]))
    with pytest.raises(ValueError, match="symmetric"):
        broken.validate()
    asym = Topology(
        n=2,
        indptr=np.array([0, 1, 2]),
        indices=np.array([1, 0], np.int32),
        strong=np.array([True, False]),
    )
    with pytest.raises(ValueError, match="strength"):
        asym.validate()
    with pytest.raises(ValueError, match="indptr"):
        Topology(n=2, indptr=np.array([0, 1]), indices=np.array([1], np.int32), strong=[True])


# --------------------------------------------------------------------------- queries


def test_degree_edges_and_strong_share(small):
    G = small.to_networkx()
    assert small.degree.tolist() == [d for _, d in sorted(G.degree)]
    assert small.n_edges == G.number_of_edges()
    strong_ends = sum(2 for *_, s in G.edges(data="strong") if s)
    assert small.strong_share == pytest.approx(strong_ends / (2 * G.number_of_edges()))


def test_gather_matches_networkx(small):
    G = small.to_networkx()
    nodes = rng(1).integers(0, small.n, 40)
    nodes = np.concatenate([nodes, nodes[:5]])  # repeats give repeated blocks
    src, dst, strong = small.gather(nodes)
    expected = [(u, v, G.edges[u, v]["strong"]) for u in nodes.tolist() for v in sorted(G[u])]
    assert list(zip(src.tolist(), dst.tolist(), strong.tolist())) == expected
    assert src.dtype == np.int32 and dst.dtype == np.int32


def test_gather_empty_and_out_of_range(small):
    src, dst, strong = small.gather(np.array([], dtype=np.int64))
    assert src.size == dst.size == strong.size == 0
    with pytest.raises(ValueError, match="nodes"):
        small.gather([small.n])


def test_neighbor_count_matches_networkx(small):
    G = small.to_networkx()
    nodes = rng(2).integers(0, small.n, 80)  # contains repeats
    got = small.neighbor_count(nodes)
    expected = [sum(1 for u in nodes.tolist() if G.has_edge(u, v)) for v in range(small.n)]
    assert got.dtype == np.int64
    assert got.tolist() == expected


def test_sample_neighbors_extremes(small):
    nodes = np.arange(0, small.n, 3)
    all_edges = small.gather(nodes)
    kept = small.sample_neighbors(nodes, 1.0, 1.0, rng=rng())
    for a, b in zip(kept, all_edges):
        np.testing.assert_array_equal(a, b)
    src, dst, strong = small.sample_neighbors(nodes, 0.0, 0.0, rng=rng())
    assert src.size == 0
    src, dst, strong = small.sample_neighbors(nodes, 1.0, 0.0, rng=rng())
    assert strong.all() and src.size == int(all_edges[2].sum())
    G = small.to_networkx()
    assert all(G.edges[u, v]["strong"] for u, v in zip(src.tolist(), dst.tolist()))


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_sample_neighbors_keep_rate(small, seed):
    nodes = np.arange(small.n)
    _, _, tie = small.gather(nodes)
    n_strong, n_weak = int(tie.sum()), int((~tie).sum())
    p_s, p_w = 0.3, 0.1
    _, _, kept = small.sample_neighbors(nodes, p_s, p_w, rng=rng(seed))
    for count, total, p in ((kept.sum(), n_strong, p_s), ((~kept).sum(), n_weak, p_w)):
        sd = math.sqrt(total * p * (1 - p))
        assert abs(count - total * p) < 4 * sd


def test_sample_neighbors_is_reproducible(small):
    nodes = np.arange(small.n)
    a = small.sample_neighbors(nodes, 0.2, 0.05, rng=rng(9))
    b = small.sample_neighbors(nodes, 0.2, 0.05, rng=rng(9))
    c = small.sample_neighbors(nodes, 0.2, 0.05, rng=rng(10))
    for x, y in zip(a, b):
        assert x.tobytes() == y.tobytes()
    assert a[1].tobytes() != c[1].tobytes()


def test_sample_neighbors_rejects_bad_probability(small):
    with pytest.raises(ValueError, match="prob_strong"):
        small.sample_neighbors([0], 1.5, 0.1, rng=rng())
    with pytest.raises(ValueError, match="prob_weak"):
        small.sample_neighbors([0], 0.5, -0.1, rng=rng())


# --------------------------------------------------------------------------- complete graph


def test_complete_topology_properties():
    topo = complete(6)
    assert topo.complete and topo.indices.size == 0
    assert topo.degree.tolist() == [5] * 6
    assert topo.n_edges == 15 and topo.strong_share == 1.0
    assert topo.neighbors(2).tolist() == [0, 1, 3, 4, 5]
    G = topo.to_networkx()
    assert G.number_of_edges() == 15 and all(s for *_, s in G.edges(data="strong"))
    with pytest.raises(ValueError, match="sample_neighbors"):
        topo.gather([0])


def test_complete_neighbor_count_matches_networkx():
    topo = complete(7)
    G = nx.complete_graph(7)
    nodes = np.array([0, 0, 3, 6, 6, 6])
    expected = [sum(1 for u in nodes.tolist() if G.has_edge(u, v)) for v in range(7)]
    assert topo.neighbor_count(nodes).tolist() == expected


def test_complete_sample_neighbors_all_and_none():
    topo = complete(8)
    src, dst, strong = topo.sample_neighbors([2, 5], 1.0, 0.0, rng=rng())
    assert strong.all()
    assert sorted(zip(src.tolist(), dst.tolist())) == [
        (u, v) for u in (2, 5) for v in range(8) if v != u
    ]
    src, *_ = topo.sample_neighbors([2, 5], 0.0, 1.0, rng=rng())
    assert src.size == 0


def test_complete_sample_neighbors_statistics():
    n, p = 200, 0.1
    topo = complete(n)
    nodes = np.tile(np.arange(0, n, 10), 10)  # each sender 10 times, never adjacent
    counts = np.zeros(n)
    total = 0
    for seed in range(5):
        src, dst, strong = topo.sample_neighbors(nodes, p, 0.9, rng=rng(seed))
        assert strong.all() and not np.any(src == dst)
        # distinct receivers within each sender's block (blocks are contiguous)
        starts = np.flatnonzero(np.r_[True, np.diff(src) != 0, True])
        ks = np.repeat(np.arange(starts.size - 1), np.diff(starts))
        assert np.unique(ks * n + dst).size == dst.size
        counts += np.bincount(dst, minlength=n)
        total += dst.size
    trials = 5 * nodes.size * (n - 1)
    assert abs(total - trials * p) < 4 * math.sqrt(trials * p * (1 - p))
    # receivers uniform: each node's count within 5 sd of its expectation
    per_node = total / n
    assert np.all(np.abs(counts - per_node) < 5 * math.sqrt(per_node) + 5)


# --------------------------------------------------------------------------- networkx


def test_networkx_roundtrip_keeps_edges_and_strength(small):
    back = Topology.from_networkx(small.to_networkx())
    np.testing.assert_array_equal(back.indptr, small.indptr)
    np.testing.assert_array_equal(back.indices, small.indices)
    np.testing.assert_array_equal(back.strong, small.strong)
    np.testing.assert_array_equal(back.labels, np.arange(small.n))


def test_from_networkx_relabels_in_node_order():
    G = nx.Graph()
    G.add_nodes_from(["z", "y", "x", "lonely"])
    G.add_edge("z", "x", strong="strong")
    G.add_edge("y", "x", strong="weak")
    topo = Topology.from_networkx(G)
    assert topo.labels.tolist() == ["z", "y", "x", "lonely"]
    assert topo.labels.dtype == object
    assert naive_edges(topo) == {(0, 2): True, (1, 2): False}
    assert topo.degree.tolist() == [1, 1, 2, 0]
    H = topo.to_networkx()
    assert H.nodes[3]["label"] == "lonely"


def test_from_networkx_int_labels_and_digraph():
    G = nx.DiGraph()
    G.add_edge(10, 20, strong=True)
    G.add_edge(20, 10, strong=False)  # same tie: strong wins
    G.add_edge(20, 30, strong=0)
    topo = Topology.from_networkx(G)
    assert topo.labels.dtype == np.int64 and topo.labels.tolist() == [10, 20, 30]
    assert naive_edges(topo) == {(0, 1): True, (1, 2): False}


def test_from_networkx_assigns_strength_when_missing():
    G = nx.karate_club_graph()
    for _, _, d in G.edges(data=True):
        d.clear()
    with pytest.raises(ValueError, match="rng"):
        Topology.from_networkx(G)
    topo = Topology.from_networkx(G, rng=rng(0))
    assert topo.strong_share == pytest.approx(round(0.7 * 78) / 78)
    random_ties = Topology.from_networkx(
        G, default_strong_share=0.5, strength_method="random", rng=rng(0)
    )
    assert 0.2 < random_ties.strong_share < 0.8


def test_from_networkx_rejects_partial_or_bad_attribute():
    G = nx.Graph()
    G.add_edge(0, 1, strong=True)
    G.add_edge(1, 2)
    with pytest.raises(ValueError, match="no 'strong' attribute"):
        Topology.from_networkx(G, rng=rng())
    G.edges[1, 2]["strong"] = "maybe"
    with pytest.raises(ValueError, match="'maybe'"):
        Topology.from_networkx(G)


# --------------------------------------------------------------------------- assign_strength


def test_assign_strength_embeddedness_ranks_by_common_neighbours():
    G = nx.karate_club_graph()
    u, v = map(np.array, zip(*G.edges))
    strong = assign_strength(G.number_of_nodes(), u, v, strong_share=0.5, rng=rng(1))
    common = np.array([len(list(nx.common_neighbors(G, a, b))) for a, b in G.edges])
    assert strong.sum() == round(0.5 * u.size)
    assert common[strong].min() >= common[~strong].max()


def test_assign_strength_duplicates_agree_and_count_once():
    u = np.array([0, 1, 1, 2, 0, 2])
    v = np.array([1, 0, 2, 1, 2, 2])  # 0-1 twice, 1-2 twice, 0-2, self loop 2-2
    for method in ("embeddedness", "random"):
        strong = assign_strength(3, u, v, method=method, strong_share=2 / 3, rng=rng(5))
        assert strong[0] == strong[1] and strong[2] == strong[3]
        assert not strong[5]
    strong = assign_strength(3, u, v, strong_share=2 / 3, rng=rng(5))
    assert strong[[0, 2, 4]].sum() == 2


def test_assign_strength_random_share_and_reproducible():
    g = rng(4)
    u, v = g.integers(0, 5000, 20000), g.integers(0, 5000, 20000)
    a = assign_strength(5000, u, v, method="random", rng=rng(1))
    b = assign_strength(5000, u, v, method="random", rng=rng(1))
    assert a.tobytes() == b.tobytes()
    assert abs(a.mean() - 0.7) < 0.02


def test_assign_strength_rejects_bad_arguments():
    with pytest.raises(ValueError, match="method"):
        assign_strength(2, [0], [1], method="weighted", rng=rng())
    with pytest.raises(ValueError, match="strong_share"):
        assign_strength(2, [0], [1], strong_share=1.2, rng=rng())


def test_assign_strength_rejects_out_of_range_ids():
    with pytest.raises(ValueError, match="node ids"):
        assign_strength(2, [0], [2], rng=rng())
