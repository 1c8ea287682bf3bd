"""Shared builders for the mechanism tests: tiny hand-made graphs, states, days and plans.

Every test builds its own state from these helpers (``kit`` fixture), then overwrites the
columns it cares about (need, trust, tolerant, ...) so that the rule under test sees exactly
the situation described in its docstring.
"""

from __future__ import annotations

import copy
from types import SimpleNamespace

import numpy as np
import pytest

from viralsim.config.schema import Product, RunConfig, Strategy
from viralsim.model import engine
from viralsim.model.plan import DayPlan
from viralsim.model.state import Day
from viralsim.network import Topology


def _merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def config(n_sellers: int = 1, circle_size: int = 0, **sections) -> RunConfig:
    """A validated RunConfig; ``sections`` are merged into the defaults (e.g. trust={...})."""
    base = {"sellers": {f"s{i}": {"circle_size": circle_size} for i in range(n_sellers)}}
    return RunConfig.model_validate(_merge(base, sections))


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


def state(cfg: RunConfig, topo: Topology, sellers=(0,), seed: int = 0, *, need=False, tolerant=False):
    """engine.init_state, then needs and tolerance set deterministically (None keeps the draw)."""
    st = engine.init_state(cfg, topo, np.asarray(sellers, dtype=np.int64), rng=np.random.default_rng(seed))
    if need is not None:
        st.need[:] = bool(need) & st.is_consumer
    if tolerant is not None:
        st.tolerant[:] = bool(tolerant) & st.is_consumer
    return st


def day(st) -> Day:
    return Day.empty(st.n_sellers, st.n)


def strategy(**fields) -> Strategy:
    return Strategy.model_validate(fields)


def plan(index: int = 0, posts=None, *, strategy_fields: dict | None = None, product: dict | None = None,
         folded: bool = False, fold_view_prob: float = 0.0, strangers: int = 0, messages: int = 0,
         group_posts: int = 0, invites: int = 0, reseller_posts: float = 0.0) -> DayPlan:
    """A DayPlan with exact counts. ``posts`` maps (content, slot) -> count, or a (4, 2) array."""
    p = np.zeros((4, 2), dtype=np.int64)
    if isinstance(posts, dict):
        for (c, k), x in posts.items():
            p[c, k] = x
    elif posts is not None:
        p[:] = np.asarray(posts)
    return DayPlan(index=index, strategy=strategy(**(strategy_fields or {})),
                   product=Product.model_validate(product or {}), posts=p, folded=folded,
                   fold_view_prob=fold_view_prob, strangers=strangers, messages=messages,
                   group_posts=group_posts, invites=invites, reseller_posts=reseller_posts)


def within(observed: float, expected: float, sd: float, k: float = 5.0) -> None:
    """Assert |observed - expected| <= k standard errors (with a readable message)."""
    assert abs(observed - expected) <= k * sd, (
        f"observed {observed:.6g}, expected {expected:.6g} +- {k}*{sd:.3g}")


def binom_sd(p: float, n: int) -> float:
    """Standard error of a sample proportion."""
    return float(np.sqrt(p * (1.0 - p) / n))


KIT = SimpleNamespace(config=config, edges=edges, path=path, star=star, clique=clique, empty=empty,
                      state=state, day=day, plan=plan, strategy=strategy, within=within,
                      binom_sd=binom_sd)


@pytest.fixture
def kit():
    """Builders for small hand-made worlds (see the module docstring)."""
    return KIT
