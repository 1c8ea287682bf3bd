"""Limit cases: with trust and annoyance off the model reduces to known processes (docs/verification.md).

* independent cascade on small trees (paths, a star, a binary tree, a random tree): the mean
  final size over many seeds against the exact expectation, within 4 exact standard errors;
* independent cascade on a friend-circle graph against a large live-arc Monte Carlo estimate;
* KOL seeding on a star: the seeds' reach against the binomial expectation;
* SI on a ring: the mean infected curve and the mean time to full infection against the exact
  Markov-chain solution;
* Bass on a complete graph for the reference engine (and the fast engine at the same size).

Both engines are checked in every case; each engine runs its own seeds. Tolerances are in units
of the standard error of the mean over the runs (exact where the theory gives the variance),
at 4 standard errors: a false alarm has probability about 6e-5 per comparison.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from limit_helpers import (
    base_config,
    ic_monte_carlo,
    ic_tree_mean_var,
    si_ring_distribution,
    with_seller_hub,
)

from viralsim.config.load import load_config
from viralsim.model import simulate
from viralsim.network import generators

pytestmark = pytest.mark.docking

ROOT = Path(__file__).resolve().parents[2]
Z = 4.0
ENGINES = ("fast", "reference")
#: runs per engine and case (the reference engine is slower)
RUNS = {"fast": 600, "reference": 300}
SEED0 = {"fast": 100_000, "reference": 200_000}


def ic_sizes(graph: nx.Graph, root: int, p: float, engine: str, runs: int, days: int) -> np.ndarray:
    """Final IC sizes (root included) of ``runs`` seeds of one engine."""
    topo, _, m = with_seller_hub(graph, root)
    sizes = []
    for r in range(runs):
        cfg = base_config(seed=SEED0[engine] + r, days=days, engine=engine, wom={"recommend_prob": p})
        res = simulate(cfg, topology=topo)
        cs = res.cascade_sizes
        in_tree = int(cs.loc[cs["root"] == root, "size"].sum())
        # Every other buyer is a dummy of the hub: the cascade never leaves the graph under study.
        assert int(res.summary.customers[0]) == in_tree + m
        sizes.append(in_tree)
    return np.array(sizes, dtype=float)


def path_graph(length: int) -> nx.Graph:
    return nx.path_graph(length + 1)


def spider(legs: int, length: int) -> nx.Graph:
    """A centre with ``legs`` paths of ``length`` nodes each."""
    g = nx.Graph()
    g.add_node(0)
    nxt = 1
    for _ in range(legs):
        prev = 0
        for _ in range(length):
            g.add_edge(prev, nxt)
            prev, nxt = nxt, nxt + 1
    return g


TREES = {
    # name: (graph, root, p, days)
    "path from an end (L=6)": (path_graph(6), 0, 0.7, 9),
    "star from the centre (20 leaves)": (nx.star_graph(20), 0, 0.3, 4),
    "binary tree from the root (depth 4)": (nx.balanced_tree(2, 4), 0, 0.6, 7),
    "spider (3 legs of 4)": (spider(3, 4), 0, 0.8, 7),
    "random tree (40 nodes)": (nx.random_labeled_tree(40, seed=7), 0, 0.75, 20),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", list(TREES))
@pytest.mark.slow
def test_independent_cascade_on_trees_matches_exact_expectation(case, engine):
    """Mean final size = sum over nodes of p^depth, within 4 exact standard errors."""
    graph, root, p, days = TREES[case]
    runs = RUNS[engine]
    sizes = ic_sizes(graph, root, p, engine, runs, days)
    mean, var = ic_tree_mean_var(graph, root, p)
    se = np.sqrt(var / runs)
    assert abs(sizes.mean() - mean) <= Z * se, (case, engine, sizes.mean(), mean, se)
    # The spread matches too (a broken one-chance-per-tie rule changes the variance first).
    assert abs(sizes.var(ddof=1) / var - 1.0) < 0.35, (sizes.var(ddof=1), var)


@pytest.mark.parametrize("engine", ENGINES)
def test_independent_cascade_on_a_path_quick(engine):
    """Fast default-run version: a path of 5 from an end, p = 0.7 (sum of p^k, k = 0..5)."""
    graph, p = path_graph(5), 0.7
    runs = {"fast": 150, "reference": 80}[engine]
    sizes = ic_sizes(graph, 0, p, engine, runs, 8)
    mean, var = ic_tree_mean_var(graph, 0, p)
    assert mean == pytest.approx(sum(p ** k for k in range(6)))
    assert abs(sizes.mean() - mean) <= Z * np.sqrt(var / runs), (sizes.mean(), mean)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.slow
def test_independent_cascade_on_friend_circles_matches_monte_carlo(engine):
    """A 300-person friend-circle graph, p = 0.08: mean size against 20,000 live-arc samples."""
    topo = generators.friend_circles(300, rng=np.random.default_rng(11))
    graph = nx.Graph()
    graph.add_nodes_from(range(topo.n))
    u, v, _ = topo.edge_list()
    graph.add_edges_from(zip(u.tolist(), v.tolist()))
    root = int(np.argmax(topo.degree))
    p = 0.08
    mc = ic_monte_carlo(graph, root, p, 20_000, np.random.default_rng(5))
    runs = {"fast": 400, "reference": 100}[engine]
    sizes = ic_sizes(graph, root, p, engine, runs, 40)
    se = np.sqrt(sizes.var(ddof=1) / runs + mc.var(ddof=1) / len(mc))
    assert abs(sizes.mean() - mc.mean()) <= Z * se, (sizes.mean(), mc.mean(), se)


def kol_star_buyers(leaves: int, reach: float, recommend: float, engine: str, runs: int) -> np.ndarray:
    """Buyers in a star whose centre is the one KOL seed (the hub seller is not linked to it)."""
    topo, _, m = with_seller_hub(nx.star_graph(leaves), None)
    out = []
    for r in range(runs):
        cfg = base_config(seed=SEED0[engine] + r, days=6, engine=engine, wom={"recommend_prob": recommend},
                          seller={"posts_per_day": 0, "kol_seeds": 1, "kol_reach": reach})
        res = simulate(cfg, topology=topo)
        out.append(int(res.summary.customers[0]))
    del m   # the hub posts nothing, so its dummies never buy
    return np.array(out, dtype=float)


@pytest.mark.parametrize("engine", ENGINES)
def test_kol_seed_reach_on_a_star(engine):
    """One KOL seed at the centre of a star, recommend_prob 0: buyers ~ Binomial(leaves, kol_reach)."""
    leaves, reach = 20, 0.35
    runs = {"fast": 150, "reference": 80}[engine]
    buyers = kol_star_buyers(leaves, reach, 0.0, engine, runs)
    se = np.sqrt(leaves * reach * (1 - reach) / runs)
    assert abs(buyers.mean() - leaves * reach) <= Z * se, (buyers.mean(), leaves * reach)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_kol_started_cascade_is_an_independent_cascade(engine):
    """Star, seed at the centre, kol_reach = recommend_prob = p: IC says leaves ~ Binomial(n, p)."""
    leaves, p = 20, 0.3
    runs = {"fast": 300, "reference": 120}[engine]
    buyers = kol_star_buyers(leaves, p, p, engine, runs)
    se = np.sqrt(leaves * p * (1 - p) / runs)
    assert abs(buyers.mean() - leaves * p) <= Z * se, (buyers.mean(), leaves * p)


def kol_star_with_rebuy(leaves: int, p: float) -> float:
    """Expected buyers in that star if the seed could buy once and then re-recommend (the old bug).

    Leaves recommended by the seed (prob p) buy on day 1 and each recommends back with prob p;
    the seed would buy on day 2 if any did and recommend again to every leaf with prob p.
    """
    back = 1 - (1 - p * p) ** (leaves - 1)           # seed rebuys, given a particular leaf did not buy
    leaves_bought = leaves * (p + (1 - p) * p * back)
    seed_bought = 1 - (1 - p * p) ** leaves
    return leaves_bought + seed_bought


@pytest.mark.parametrize("engine", ENGINES)
def test_kol_seed_never_buys_under_one_time_adoption(engine):
    """A recommended-back KOL seed must not buy: the IC expectation, not the rebuy one, holds.

    The two expectations differ by more than 3 buyers at p = 0.3 on a 20-leaf star (6.0 vs 9.6),
    and no seed may ever appear among the customers (customers <= leaves in every run).
    """
    leaves, p = 20, 0.3
    runs = {"fast": 100, "reference": 40}[engine]
    assert kol_star_with_rebuy(leaves, p) > leaves * p + 3
    buyers = kol_star_buyers(leaves, p, p, engine, runs)
    se = np.sqrt(leaves * p * (1 - p) / runs)
    assert abs(buyers.mean() - leaves * p) <= Z * se, (buyers.mean(), leaves * p)
    assert buyers.mean() < (leaves * p + kol_star_with_rebuy(leaves, p)) / 2


def si_curves(n: int, lam: float, engine: str, runs: int, days: int) -> np.ndarray:
    """Infected ring nodes at the end of days 0..days-1 (rows: runs)."""
    topo, _, m = with_seller_hub(nx.cycle_graph(n), 0)
    curves = []
    for r in range(runs):
        cfg = base_config(seed=SEED0[engine] + r, days=days, engine=engine,
                          seller={"reseller_prob": 1.0, "reseller_posts_per_day": lam})
        res = simulate(cfg, topology=topo)
        curves.append(res.daily.customers.to_numpy(float) - m)
    return np.array(curves)


def check_si_ring(engine: str, n: int, beta: float, days: int, runs: int) -> None:
    """Mean infected curve (every day within 4 exact SE) and mean time to full infection."""
    lam = -np.log(1 - beta)
    curves = si_curves(n, lam, engine, runs, days)
    dist = si_ring_distribution(n, beta, days - 1)
    k = np.arange(n + 1)
    mean = dist @ k
    sd = np.sqrt(np.maximum(dist @ k ** 2 - mean ** 2, 1e-12))
    assert curves[:, 0].min() == curves[:, 0].max() == 1          # the root, on day 0
    z = np.abs(curves.mean(axis=0) - mean) / (sd / np.sqrt(runs))
    assert z.max() <= Z, (z.max(), curves.mean(axis=0), mean)
    # Time to full infection T: P(T <= t) = P(I(t) = n).
    cdf = dist[:, n]
    assert cdf[-1] > 1 - 1e-6
    t_mean = float(np.sum(1 - cdf))
    t_var = float(np.sum((2 * np.arange(days) + 1) * (1 - cdf))) - t_mean ** 2
    assert np.all(curves[:, -1] == n)
    done = np.argmax(curves >= n, axis=1).astype(float)
    assert abs(done.mean() - t_mean) <= Z * np.sqrt(t_var / runs), (done.mean(), t_mean)


@pytest.mark.parametrize("engine", ENGINES)
def test_si_on_a_ring_quick(engine):
    """Ring of 12, beta = 0.5 (E[T] = 11.25 days)."""
    check_si_ring(engine, 12, 0.5, 30, {"fast": 100, "reference": 80}[engine])


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_si_on_a_ring_matches_the_exact_markov_chain(engine):
    """Ring of 20, beta = 0.3 (E[T] = 31.9 days)."""
    check_si_ring(engine, 20, 0.3, 80, {"fast": 600, "reference": 300}[engine])


def bass_recursion(p: float, q: float, days: int) -> np.ndarray:
    f = [0.0]
    for _ in range(days):
        f.append(f[-1] + (1.0 - f[-1]) * (p + q * f[-1]))
    return np.array(f[1:])


def bass_curves(engine: str, n_consumers: int, seeds: range, **overrides) -> np.ndarray:
    sets = [f"network.n={n_consumers + 1}", f"engine={engine}", *[f"{k}={v}" for k, v in overrides.items()]]
    curves = []
    for seed in seeds:
        cfg = load_config(ROOT / "configs" / "bass_docking.yaml", seed=seed, overrides=sets)
        curves.append(simulate(cfg).daily.customers.to_numpy() / n_consumers)
    return np.array(curves)


def check_bass(engine: str, n_consumers: int, n_seeds: int) -> None:
    curves = bass_curves(engine, n_consumers, range(n_seeds))
    expected = bass_recursion(0.03, 0.38, curves.shape[1])
    se = curves.std(axis=0, ddof=1) / np.sqrt(len(curves))
    err = np.abs(curves.mean(axis=0) - expected)
    assert np.all(err <= Z * se + 0.01), (err.max(), (err - Z * se).max())
    # Teeth: without the imitation term q the same check fails by far.
    flat = bass_curves(engine, n_consumers, range(1), **{"purchase.conformity": 0})
    assert np.max(np.abs(flat.mean(axis=0) - expected)) > 0.2


@pytest.mark.parametrize("engine", ENGINES)
def test_bass_on_a_small_complete_graph_quick(engine):
    """configs/bass_docking.yaml at N = 200: mean curve of 4 seeds within 4 SE + 0.01 of the recursion.

    The 0.01 allows for the finite-N bias of the mean field (E[F(1 - F)] differs from
    E[F](1 - E[F]) by Var(F), of order 1/N).
    """
    check_bass(engine, 200, 4)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_bass_on_a_complete_graph(engine):
    """The same at N = 500 with 16 seeds."""
    check_bass(engine, 500, 16)
