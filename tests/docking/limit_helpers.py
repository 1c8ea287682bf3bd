"""Limit cases: graphs, configurations and exact theory for the Bass, IC and SI dockings.

With trust and annoyance switched off the model reduces to known processes. The mappings
(docs/verification.md, "Limit cases"):

* **Independent cascade (IC, Kempe et al. 2003).** One-time adoption (``repurchase: false``),
  everyone always in need, no conformity, satisfied buyers (``quality: 1``) recommend to each
  friend with ``wom.recommend_prob = p`` (one chance per tie: a buyer buys once), a
  recommendation persuades fully (``strong/weak_persuasion: 1``) and the price is half the
  reference price, so ``min(1, pf_ref × R) = 1`` even after the referral pull has decayed for a
  night (``R = 2^(-1/14) = 0.95``, ``pf_ref = 2``): a recommended consumer buys the next day
  for sure and then recommends in turn. The cascade is started by the seller's one daily ad
  (``ad_conversion: 1``) read by the root, her only contact in the graph under study. No one
  follows the seller (``follow.*: 0``): a told friend who followed would read her ad too, and a
  purchase the ad channel is credited with starts a tree of its own (docs/model.md §3.3.16).
* **SI on a ring.** Every buyer becomes a reseller (``reseller_prob: 1``) whose ads reach each
  friend as Poisson(λ) a day, all read (huge attention, activity held at 1); one ad read makes
  a purchase certain (``ad_conversion: 1``). A susceptible with k infected neighbours is then
  infected with probability 1 - e^(-λk) = 1 - (1 - β)^k, β = 1 - e^(-λ): discrete SI.
* **Bass** (docs/model.md §6.1): ``configs/bass_docking.yaml``.

Placing the seller: ``place_sellers`` puts a ``hub`` seller on the highest-degree node, so the
graph under study is extended by a seller node linked to the root and to ``m`` inert "dummy"
consumers (enough to make her the unique hub). Dummies read her ad and buy once, but their
only friend is the seller node, which never receives word of mouth, so they never reach the
graph under study; they are subtracted from the counts.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

from viralsim.config.schema import RunConfig
from viralsim.network import Topology


def with_seller_hub(graph: nx.Graph, root: int | None) -> tuple[Topology, int, int]:
    """Topology of ``graph`` (nodes 0..n-1) plus a seller hub linked to ``root`` and to dummies.

    Returns (topology, hub node, number of dummies). ``root=None`` leaves the hub unlinked to the
    graph (KOL seeding picks its own seed).
    """
    n = graph.number_of_nodes()
    assert sorted(graph.nodes) == list(range(n))
    max_deg = max((d for _, d in graph.degree), default=0)
    m = max_deg + 3
    hub = n
    edges = [(u, v) for u, v in graph.edges]
    if root is not None:
        edges.append((hub, root))
    edges += [(hub, n + 1 + j) for j in range(m)]
    u = np.array([e[0] for e in edges], dtype=np.int64)
    v = np.array([e[1] for e in edges], dtype=np.int64)
    return Topology.from_edges(n + 1 + m, u, v, True), hub, m


def base_config(*, seed: int, days: int, engine: str, wom: dict | None = None, purchase: dict | None = None,
                seller: dict | None = None, feed: dict | None = None) -> RunConfig:
    """Trust and annoyance off, everyone in need, one-time adoption, no following, fixed ties, no
    novelty and no face purchases, a one-ad-a-day hub seller. (A moving tie changes nothing here,
    with trust and annoyance off, but its draws would shift the reference engine's one stream.)"""
    spec = {
        "strategy": "broadcast", "placement": "hub", "circle_size": 0, "posts_per_day": 1,
        "content": {"ad": 1.0, "value": 0.0, "life": 0.0, "prize": 0.0}, "posting_slot": "idle",
        "messages_per_day": 0, "service_capacity": 0, "strangers_per_day": 0,
        "product": {"quality": 1.0, "price": 50.0, "unit_cost": 0.0},
    }
    spec.update(seller or {})
    return RunConfig.model_validate({
        "name": "limit", "seed": seed, "days": days, "engine": engine, "trace_cascades": True,
        "trust": {"enabled": False}, "annoyance": {"enabled": False},
        "feed": {"attention_per_day": 1e6, "friend_posts_per_day": 0.0, "activity_sensitivity": 0.0, **(feed or {})},
        "purchase": {"always_need": True, "repurchase": False, "conformity": 0.0, "impulse_per_ad": 0.0,
                     "novelty_boost": 0.0, "face_strong": 0.0, "face_weak": 0.0,
                     "ad_conversion": 1.0, **(purchase or {})},
        "wom": {"recommend_prob": 0.0, "strong_persuasion": 1.0, "weak_persuasion": 1.0,
                "warn_prob": 0.0, "block_warn_prob": 0.0, **(wom or {})},
        "follow": {"after_purchase": 0.0, "after_referral": 0.0, "in_group": 0.0},
        "ties": {"bond_per_interaction": 0.0, "bond_per_content": 0.0, "erode_per_sale": 0.0, "erode_per_push": 0.0},
        "sellers": {"s": spec},
    })


# -- exact independent-cascade theory on trees ------------------------------------------------

def tree_depths(tree: nx.Graph, root: int) -> dict[int, int]:
    return nx.single_source_shortest_path_length(tree, root)


def ic_tree_mean_var(tree: nx.Graph, root: int, p: float) -> tuple[float, float]:
    """Exact mean and variance of the IC final size (root included) on a tree.

    Node v is active iff every edge on the root-v path transmitted: P = p^depth(v). Two nodes are
    both active iff the union of their paths transmitted: p^(d(u) + d(v) - d(lca(u, v))).
    """
    depth = tree_depths(tree, root)
    parent = {root: None}
    for u, v in nx.bfs_edges(tree, root):
        parent[v] = u
    ancestors = {}
    for v in tree.nodes:
        chain, x = [], v
        while x is not None:
            chain.append(x)
            x = parent[x]
        ancestors[v] = chain
    mean = sum(p ** d for d in depth.values())
    second = 0.0
    nodes = list(tree.nodes)
    for u in nodes:
        anc_u = set(ancestors[u])
        for v in nodes:
            lca = next(a for a in ancestors[v] if a in anc_u)
            second += p ** (depth[u] + depth[v] - depth[lca])
    return mean, second - mean ** 2


def ic_monte_carlo(graph: nx.Graph, root: int, p: float, runs: int, rng: np.random.Generator) -> np.ndarray:
    """Final IC sizes by the live-arc construction: each directed arc kept with probability p
    (one chance per arc, Kempe et al. 2003); the final set is what the root reaches."""
    n = graph.number_of_nodes()
    arcs = np.array([(u, v) for u, v in graph.edges] + [(v, u) for u, v in graph.edges], dtype=np.int64)
    sizes = np.empty(runs, dtype=np.int64)
    for r in range(runs):
        keep = rng.random(len(arcs)) < p
        a = arcs[keep]
        adj = csr_matrix((np.ones(len(a)), (a[:, 0], a[:, 1])), shape=(n, n))
        sizes[r] = len(breadth_first_order(adj, root, directed=True, return_predecessors=False))
    return sizes


# -- exact SI theory on a ring ----------------------------------------------------------------

def si_ring_distribution(n: int, beta: float, days: int) -> np.ndarray:
    """P(I(t) = k) for t = 0..days, k = 0..n, discrete SI on a ring from one infected node.

    While 1 <= k <= n - 2 infected nodes form an arc, exactly two susceptible nodes border it,
    each with one infected neighbour: k -> k + Binomial(2, beta). With k = n - 1 the last node
    has two infected neighbours: infected with probability 1 - (1 - beta)^2.
    """
    dist = np.zeros((days + 1, n + 1))
    dist[0, 1] = 1.0
    step = [(1 - beta) ** 2, 2 * beta * (1 - beta), beta ** 2]
    last = 1 - (1 - beta) ** 2
    for t in range(days):
        cur, nxt = dist[t], dist[t + 1]
        for k in range(1, n + 1):
            if cur[k] == 0:
                continue
            if k == n:
                nxt[k] += cur[k]
            elif k == n - 1:
                nxt[k] += cur[k] * (1 - last)
                nxt[k + 1] += cur[k] * last
            else:
                for j, pj in enumerate(step):
                    nxt[min(k + j, n)] += cur[k] * pj
    return dist
