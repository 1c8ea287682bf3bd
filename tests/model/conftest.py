"""Shared builders for the mechanism tests: tiny hand-made graphs, states, days and plans.

Every test builds its own small market from these helpers (``kit.world``), then overwrites the
columns it cares about (need, trust, tolerance, ...) so that the rule under test sees exactly
the situation described in its docstring, and calls the rule's kernel as the day does.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from viralsim.config.schema import Product, RunConfig, Strategy, merge_settings
from viralsim.model import pipeline, relations
from viralsim.model.outputs import BREAKDOWN_WIDTH, FLOW_KEYS
from viralsim.model.rules.plan import empty_plans
from viralsim.model.sellers import init_state, seller_table, sellers_of
from viralsim.network import Topology


def config(n_sellers: int = 1, circle_size: int = 0, **sections) -> RunConfig:
    """A validated RunConfig; ``sections`` are merged into the defaults (e.g. trust={...}).

    The mechanism tests build markets of up to 100,000 contacts per seller to measure rates, so
    the kit lifts WeChat's contact limit (``platform.max_contacts``) unless a test sets it."""
    base = {"sellers": {f"s{i}": {"circle_size": circle_size} for i in range(n_sellers)},
            "platform": {"max_contacts": 100_000}}
    return RunConfig.model_validate(merge_settings(base, sections))


def edges(n: int, pairs, strong=True) -> Topology:
    pairs = list(pairs)
    u = np.array([p[0] for p in pairs], dtype=np.int64)
    v = np.array([p[1] for p in pairs], dtype=np.int64)
    return Topology.from_edges(n, u, v, strong)


def path(n: int, strong=True) -> Topology:
    """0 - 1 - 2 - ... - (n-1)."""
    return edges(n, [(i, i + 1) for i in range(n - 1)], strong)


def star(n: int, center: int = 0, strong=True) -> Topology:
    """``center`` joined to every other node."""
    return edges(n, [(center, i) for i in range(n) if i != center], strong)


def clique(n: int, strong=True) -> Topology:
    """A small complete graph stored explicitly (CSR)."""
    return edges(n, [(i, j) for i in range(n) for j in range(i + 1, n)], strong)


def empty(n: int) -> Topology:
    """n isolated nodes."""
    return Topology.from_edges(n, np.empty(0, np.int64), np.empty(0, np.int64), True)


class World:
    """A small market for one rule at a time: the state, the run constants and today's plans.

    ``get(name)`` reads a relation column as a dense (sellers, n) matrix (absent pairs at their
    new-relation value); ``set(name, s, nodes, value)`` writes it, making the relations first.
    Rules are called as the day calls them (``viralsim.model.pipeline.run_day``), with the
    world's key and day; a rule that can grow the table returns it and :meth:`keep` stores it.
    """

    def __init__(self, cfg: RunConfig, topo: Topology, sellers=(0,), seed: int = 0, *, need=False,
                 tolerance=1.0):
        rng = np.random.default_rng(seed)
        setups = sellers_of(cfg, topo.n, rng)
        self.config = cfg
        self.strategies = [x.strategy for x in setups]
        self.products = [x.product for x in setups]
        self.state = init_state(cfg, topo, setups, rng=rng, key_rng=np.random.default_rng([seed, 1]),
                                nodes=np.asarray(sellers, dtype=np.int64))
        self.params = pipeline.prepare(cfg)
        self.plans = empty_plans(self.state.n_sellers)
        st = self.state
        if need is not None:
            st.need[:] = bool(need) & st.is_consumer
        if tolerance is not None:
            st.tolerance[:] = float(tolerance)
        self.flows = np.zeros((len(FLOW_KEYS), st.n_sellers))
        self.breakdowns = np.zeros((st.n_sellers, BREAKDOWN_WIDTH))
        self.totals = np.zeros((st.n_sellers, 6))

    # -- the parts every rule takes --------------------------------------------------------------
    @property
    def rel(self):
        return self.state.rel

    @property
    def people(self):
        return self.state.people

    @property
    def sellers(self):
        return self.state.sellers

    @property
    def key(self):
        return self.state.key

    @property
    def today(self) -> int:
        return self.state.day

    def keep(self, rel):
        """Store a table a rule returned (it may have grown) and return it."""
        self.state.rel = rel
        return rel

    def views(self):
        """Rebuild the by-seller and by-consumer views (the day does it before the feed)."""
        return self.keep(relations.with_views(self.state.rel))

    def clear_day(self) -> None:
        relations.clear_day(self.state.rel)

    # -- reading and writing relations ------------------------------------------------------------
    def get(self, name: str) -> np.ndarray:
        return self.state.dense(name)

    def row(self, s: int, node: int) -> int:
        """Row of the (s, node) relation (made if missing)."""
        rel = self.keep(relations.reserve(self.state.rel, 1))
        return int(relations.add(rel, s, node))

    def set(self, name: str, s: int, nodes, value) -> None:
        """Relation column ``name`` of seller ``s`` and ``nodes`` := ``value`` (scalar or per node)."""
        nodes = np.atleast_1d(np.asarray(nodes, dtype=np.int64))
        values = np.broadcast_to(np.asarray(value), nodes.shape)
        for v, x in zip(nodes.tolist(), values.tolist()):
            row = self.row(s, v)            # (first: making the row may grow the table)
            if name in relations.TREE_NAMES:    # (a reseller-tree column: the row's side-table entry)
                rel = self.keep(relations.reserve_tree(self.state.rel, 1))
                getattr(rel, "tree_" + name)[relations.add_tree_entry(rel, row)] = x
            else:
                getattr(self.state.rel, name)[row] = x

    def set_plan(self, s: int = 0, posts=None, *, strangers: int = 0, messages: int = 0, group_posts: int = 0,
                 invites: int = 0, capacity: int = 0, folded=False) -> None:
        """Seller ``s``'s actions today. ``posts`` maps (content, slot) -> count, or a (4, 2) array;
        ``folded`` True folds all her marketing posts (ads, prize posts), or maps (content, slot)
        -> folded count."""
        p = self.plans
        p.posts[s] = 0
        if isinstance(posts, dict):
            for (c, k), x in posts.items():
                p.posts[s, c, k] = x
        elif posts is not None:
            p.posts[s] = np.asarray(posts)
        p.strangers[s], p.messages[s], p.group_posts[s] = strangers, messages, group_posts
        p.invites[s], p.capacity[s] = invites, capacity
        p.folded[s] = 0
        if folded is True:
            p.folded[s, 0] = p.posts[s, 0]
            p.folded[s, 3] = p.posts[s, 3]
        elif isinstance(folded, dict):
            for (c, k), x in folded.items():
                p.folded[s, c, k] = x

    def set_strategy(self, s: int = 0, product: dict | None = None, **fields) -> None:
        """Replace seller ``s``'s strategy by the schema defaults with ``fields`` (and her product)
        in the seller table; the other sellers keep theirs, earlier replacements included."""
        self.strategies[s] = Strategy.model_validate(fields)
        if product is not None:
            self.products[s] = Product.model_validate(product)
        st = self.state
        st.sellers = seller_table(self.config, self.strategies, self.products, st.sellers.node,
                                  group_activity=st.sellers.group_activity, brand=st.sellers.brand)


def world(cfg: RunConfig, topo: Topology, sellers=(0,), seed: int = 0, *, need=False, tolerance=1.0) -> World:
    """A :class:`World` with the sellers on ``sellers``, needs set and every consumer at the median
    tolerance 1 (None keeps the draws)."""
    return World(cfg, topo, sellers, seed, need=need, tolerance=tolerance)


def strategy(**fields) -> Strategy:
    return Strategy.model_validate(fields)


#: content types and slots of ``Plans.posts``
AD, VALUE, LIFE, PRIZE = range(4)
BUSY, IDLE = 0, 1


def within(observed: float, expected: float, sd: float, k: float = 5.0) -> None:
    """Assert |observed - expected| <= k standard errors (with a readable message)."""
    assert abs(observed - expected) <= k * sd, (
        f"observed {observed:.6g}, expected {expected:.6g} +- {k}*{sd:.3g}")


def binom_sd(p: float, n: int) -> float:
    """Standard error of a sample proportion."""
    return float(np.sqrt(p * (1.0 - p) / n))


KIT = SimpleNamespace(config=config, edges=edges, path=path, star=star, clique=clique, empty=empty,
                      world=world, strategy=strategy, within=within, binom_sd=binom_sd)


@pytest.fixture
def kit():
    """Builders for small hand-made worlds (see the module docstring)."""
    return KIT
