"""Sellers in the graph, their table of strategy values, and the initial state of a market."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from viralsim._jit import kernel
from viralsim._rng import derived
from viralsim.config.schema import FeedParams, PlatformParams, Product, RunConfig, SellerSpec, Strategy
from viralsim.model import relations
from viralsim.model.relations import NO_TIE, STRONG, WEAK, add_row
from viralsim.model.rules import feed, groups, needs, resell
from viralsim.model.rules.purchase import price_factor
from viralsim.model.rules.settle import expectation
from viralsim.model.rules.wom import recommendation_prob
from viralsim.model.state import Graph, People, Sellers, State
from viralsim.network import Topology


@dataclass(frozen=True)
class SellerSetup:
    """One seller of the market before it starts: who she is and what she does."""

    name: str
    strategy: Strategy
    product: Product
    placement: str
    circle_size: int
    population: str = ""      # "" for a named seller
    preset: str = ""          # the strategy preset she follows


class SellerGroups:
    """The groupings of a run's ``groups`` table (metrics.RunResult): every population, then every
    strategy preset; a seller counts in her population (if any) and in her preset."""

    def __init__(self, setups: list[SellerSetup]):
        populations = list(dict.fromkeys(x.population for x in setups if x.population))
        presets = list(dict.fromkeys(x.preset for x in setups))
        self.labels = [("population", p) for p in populations] + [("strategy", p) for p in presets]
        pop_at = {p: j for j, p in enumerate(populations)}
        preset_at = {p: len(populations) + j for j, p in enumerate(presets)}
        self.by_population = np.array([pop_at.get(x.population, -1) for x in setups], dtype=np.int64)
        self.by_preset = np.array([preset_at[x.preset] for x in setups], dtype=np.int64)
        self.sizes = (np.bincount(self.by_population[self.by_population >= 0], minlength=len(self.labels))
                      + np.bincount(self.by_preset, minlength=len(self.labels)))


def sellers_of(config: RunConfig, n: int, rng: np.random.Generator) -> list[SellerSetup]:
    """The named sellers, then every population's members (``<population>#<k>``).

    A member draws her preset from the population's mix (in proportion to the weights) and each
    ``vary`` field uniformly in its range (whole-number fields rounded), over the preset's
    value. Each population draws from a generator of its own, derived from ``rng``'s seed and the
    population's position, so that one population's draws never depend on another's.
    """
    out = [SellerSetup(name, spec.resolved, spec.product, spec.placement, spec.circle_size, "", spec.strategy)
           for name, spec in config.sellers.items()]
    for k, (pop_name, pop) in enumerate(config.populations.items()):
        gen = derived(rng, k)
        size = pop.size(n)
        names = list(pop.mix)
        weights = np.array([pop.mix[x] for x in names], dtype=float)
        picks = gen.choice(len(names), size=size, p=weights / weights.sum())
        draws = {f: gen.uniform(lo, hi, size=size) for f, (lo, hi) in pop.vary.items()}
        presets = {x: Strategy.from_preset(x) for x in names}
        for j in range(size):
            update = {}
            for f, values in draws.items():
                update[f] = int(round(values[j])) if Strategy.model_fields[f].annotation is int else float(values[j])
            base_strategy = presets[names[picks[j]]]
            strategy = base_strategy.model_copy(update=update) if update else base_strategy
            out.append(SellerSetup(f"{pop_name}#{j}", strategy, pop.product, pop.placement, pop.circle_size,
                                   pop_name, names[picks[j]]))
    return out


def place_sellers(topo: Topology, specs: Sequence[SellerSpec], *, rng: np.random.Generator) -> np.ndarray:
    """Node id of each seller: a random person, the best-connected one, or a typical one.

    ``median`` picks a person of median degree (an ordinary 微商 selling to her own circle,
    seed 001 L82); ``hub`` the highest-degree person (a big-V, seed 000 L467); ``circle`` a
    friend of the sellers placed before her (breadth first, in random order; a random person
    when there is none), so that sellers cluster in friend circles. Sellers are distinct and
    placed in order, each taking the best free person; ties are broken at random.
    A seller's place depends only on the sellers before her, so appending a seller moves nobody.
    Cost O(n log n + sellers).
    """
    n = topo.n
    if len(specs) > n:
        raise ValueError(f"network: {n} node(s) cannot hold {len(specs)} seller(s), each on a node of her own; "
                         f"at least {len(specs)} are needed")
    deg = topo.degree.astype(float)
    jitter = rng.random(n)
    orders = {"hub": np.lexsort((jitter, -deg)), "median": np.lexsort((jitter, np.abs(deg - np.median(deg))))}
    at = {"hub": 0, "median": 0}
    taken = np.zeros(n, dtype=bool)
    nodes = np.empty(len(specs), dtype=np.int64)
    frontier: list[int] = []            # ``circle``: friends of the sellers placed so far
    for k, spec in enumerate(specs):
        if spec.placement == "random":
            while True:
                node = int(rng.integers(n))
                if not taken[node]:
                    break
        elif spec.placement == "circle":
            while frontier and taken[frontier[0]]:
                frontier.pop(0)
            if not frontier:
                while True:             # a new circle around a random free person
                    node = int(rng.integers(n))
                    if not taken[node]:
                        break
            else:
                node = frontier.pop(0)
            if not topo.complete:
                friends = topo.indices[topo.indptr[node]:topo.indptr[node + 1]]
                frontier.extend(int(v) for v in rng.permutation(friends) if not taken[v])
        else:
            order, j = orders[spec.placement], at[spec.placement]
            while taken[order[j]]:
                j += 1
            node = int(order[j])
            at[spec.placement] = j + 1
        taken[node] = True
        nodes[k] = node
    return nodes


def _cells(strategy: Strategy, feed_params: FeedParams) -> list[float]:
    """P(content type c, slot k) of one post, cells in (type, slot) order (rules.plan)."""
    mix = strategy.content
    if strategy.posting_slot == "busy":
        slot = (1.0, 0.0)
    elif strategy.posting_slot == "idle":
        slot = (0.0, 1.0)
    else:
        slot = (1.0 - feed_params.idle_hours_share, feed_params.idle_hours_share)
    cells = [m * k for m in (mix.ad, mix.value, mix.life, mix.prize) for k in slot]
    total = sum(cells)
    # The schema accepts shares summing to 1 within 1e-6: rescale.
    return [c / total for c in cells] if total > 0 else cells


def flag_prob(strategy: Strategy, platform: PlatformParams) -> float:
    """P(the platform folds one of the seller's marketing posts): the harassment prompt's triggers.

    Under ``harassment_prompt`` (seed 002 L345-351) the platform hides a marketing post (ad or
    prize post) behind a warning ("疑似骚扰") when its text shows goods or merchant marketing
    (trigger 1, rate ``flag_text``) or its image does (trigger 2, ``flag_image``), checked
    independently: P = 1 - (1 - flag_text)(1 - flag_image). Every marketing post of an account
    posting more than ``fold_threshold`` posts a day is folded (trigger 3, seed 002 L347: "一天
    在朋友圈内百十条信息"): P = 1. The frequency test uses the strategy's rate, not the day's count.
    Value and life posts carry no marketing and are never folded. A viewer sees folded posts only
    on days she opens them (``fold_view_prob``, rules.feed).
    """
    if platform.moderation != "harassment_prompt":
        return 0.0
    if strategy.posts_per_day > platform.fold_threshold:
        return 1.0
    return 1.0 - (1.0 - platform.flag_text) * (1.0 - platform.flag_image)


def seller_table(config: RunConfig, strategies: Sequence[Strategy], products: Sequence[Product],
                 nodes: np.ndarray, group_activity: np.ndarray | None = None,
                 brand: np.ndarray | None = None) -> Sellers:
    """The per-seller values the rules read, from resolved strategies and products.

    ``group_activity`` and ``brand`` carry the seller stocks over when a strategy changes mid-run;
    new groups start hot (热火朝天) and cool unless fed with value content (seed 002 L371); a
    brand starts at 1 (rules.bigv).
    """
    p, w = config.purchase, config.wom
    cols: dict[str, list] = {name: [] for name in Sellers._fields}
    for st, pr in zip(strategies, products):
        g, gb, bv = st.groups, st.group_buy, st.big_v
        p_rec = recommendation_prob(w, st.referral_reward)
        row = {
            "posts_per_day": st.posts_per_day, "cells": _cells(st, config.feed),
            "strangers_per_day": st.strangers_per_day, "messages_per_day": st.messages_per_day,
            "need_triggered": st.contact == "need", "service_capacity": st.service_capacity,
            "groups_on": g.enabled, "group_posts_per_day": g.posts_per_day, "invites_per_day": g.invites_per_day,
            "group_target": groups.activity_target(g)[0], "group_factor": groups.activity_target(g)[1],
            "group_size": g.size,
            "p_rec": p_rec, "p_fan": min(1.0, p_rec * g.advocacy), "pf": price_factor(pr.price, p),
            "pf_ref": price_factor(pr.price * (1.0 - st.referral_reward), p), "price": pr.price,
            "reward": st.referral_reward, "unit_cost": pr.unit_cost, "commission": st.reseller_commission,
            "quality": pr.quality, "expect": expectation(pr, p), "hype": pr.hype,
            "reseller_prob": resell.recruit_prob(st), "reseller_posts": st.reseller_posts_per_day,
            "levels": st.reseller_levels, "upline_share": st.reseller_upline_share, "stock_units": st.stock_units,
            "stock_days": st.stock_patience_days,
            "kol_seeds": st.kol_seeds, "kol_reach": st.kol_reach, "flag_prob": flag_prob(st, config.platform),
            "cost_post": st.cost_per_post, "cost_message": st.cost_per_message,
            "cost_stranger": st.cost_per_stranger, "cost_reply": st.cost_per_reply, "cost_kol": st.cost_per_kol,
            "cost_group_day": st.cost_group_per_day, "gb_on": gb.enabled, "gb_size": gb.size,
            "gb_days": gb.window_days, "gb_discount": gb.discount, "gb_invite": gb.invite_conversion,
            "pf_gb": price_factor(pr.price * (1.0 - gb.discount), p), "bv_on": bv.enabled,
            "bv_audience": bv.audience, "bv_trust": bv.fan_trust, "bv_decay": bv.brand_decay,
            "group_activity": 1.0 if g.enabled else 0.0, "brand": 1.0,
        }
        for k, v in row.items():
            cols[k].append(v)
    ints = {"kol_seeds", "gb_size", "gb_days", "levels", "stock_units", "stock_days", "bv_audience"}
    bools = {"need_triggered", "groups_on", "gb_on", "bv_on"}
    arrays = {}
    for name in Sellers._fields:
        if name == "node":
            arrays[name] = np.asarray(nodes, dtype=np.int64)
        elif name == "cells":
            arrays[name] = np.array(cols[name], dtype=np.float64).reshape(len(strategies), 8)
        else:
            dt = np.int64 if name in ints else np.bool_ if name in bools else np.float64
            arrays[name] = np.array(cols[name], dtype=dt)
    if group_activity is not None:
        arrays["group_activity"] = np.asarray(group_activity, dtype=np.float64).copy()
    if brand is not None:
        arrays["brand"] = np.asarray(brand, dtype=np.float64).copy()
    return Sellers(**arrays)


def init_state(config: RunConfig, topo: Topology, setups: Sequence[SellerSetup], *, rng: np.random.Generator,
               key_rng: np.random.Generator, nodes: np.ndarray | None = None) -> State:
    """Sellers placed, consumers with full activity, each seller tied to her own circle.

    A seller's contacts are her graph friends (strong or weak by the edge's tie type) topped up
    to ``circle_size`` with random acquaintances as weak ties (WeChat contacts are mostly people
    met offline, seed 000 L113). Initial trust is the tie prior, which is also the baseline
    trust relaxes to (strong > weak > stranger, seed 000 L113, L209; seed 003 L19). Needs start
    at their stationary share, so day 1 is an ordinary day, not a cold start.

    Draws: the sellers' places first (:func:`place_sellers`), then the consumers' needs and
    tolerances and each seller's circle from generators spawned off ``rng`` (spawning draws
    nothing), one for the consumers and one per seller: so adding a seller at the end changes
    nobody else's start. A consumer's tolerance, the factor on her mute and block thresholds
    (rules.ties), is lognormal with median 1 and log standard deviation ``ties.tolerance_spread``:
    exp(σ z), z standard normal, one per person. ``nodes`` puts the sellers on given nodes instead (tests).
    """
    n = topo.n
    specs = list(setups)
    nodes = place_sellers(topo, specs, rng=rng) if nodes is None else np.asarray(nodes, dtype=np.int64)
    consumer_rng, *circle_rngs = rng.spawn(1 + len(specs))
    need_u = consumer_rng.random(n)
    tolerance = np.exp(config.ties.tolerance_spread * consumer_rng.standard_normal(n))
    # Every person is a consumer, sellers included: many people in every circle sell something
    # (seed 002 L175) and buy from the others; no seller ever relates to herself.
    is_consumer = np.ones(n, dtype=bool)
    degree = topo.degree.astype(float)
    t = config.trust
    prior = np.array([t.prior_stranger, t.prior_stranger, t.prior_weak, t.prior_strong])
    circle = [spec.circle_size for spec in specs]
    capacity = int(sum(max(c, int(topo.degree[v])) for c, v in zip(circle, nodes)) * 2 + 1024)
    rel = relations.empty(n, len(specs), capacity, float(t.prior_stranger))
    rows, ties = [], []
    for s, node in enumerate(nodes):
        if topo.complete:
            friends = np.flatnonzero(is_consumer & (np.arange(n) != node))
            tie = np.full(len(friends), STRONG, dtype=np.int8)
        else:
            lo, hi = topo.indptr[node], topo.indptr[node + 1]
            friends = topo.indices[lo:hi].astype(np.int64)
            tie = np.where(topo.strong[lo:hi], STRONG, WEAK).astype(np.int8)
        cap = config.platform.max_contacts
        if len(friends) > cap:                  # WeChat's limit: a random subset of her friends
            keep = np.sort(circle_rngs[s].choice(len(friends), size=cap, replace=False))
            friends, tie = friends[keep], tie[keep]
        missing = min(circle[s], cap) - len(friends)
        if missing > 0:
            extra = _acquaintances(is_consumer, np.append(friends, node), missing, circle_rngs[s])
            friends = np.concatenate([friends, extra])
            tie = np.concatenate([tie, np.full(len(extra), WEAK, dtype=np.int8)])
        rows.append(np.full(len(friends), s, dtype=np.int64))
        ties.append((friends, tie))
    _add_circles(rel, rows, ties)
    m = int(relations.size(rel))
    rel.baseline[:m] = prior[rel.tie[:m]]
    rel.trust[:m] = rel.baseline[:m]
    rel.aware[:m] = rel.tie[:m] > NO_TIE
    need = needs.initial_needs(is_consumer, config.purchase, need_u)
    organic0, organic1 = feed.organic_load(degree, config.feed)
    people = People(is_consumer=is_consumer, degree=degree, organic0=organic0, organic1=organic1, need=need,
                    sated=np.zeros(n, dtype=bool),      # the market's sellers are new: nobody holds a supply
                    tolerance=tolerance,
                    activity=is_consumer.astype(float), commercial_share=np.zeros(n), commercial_load=np.zeros(n),
                    pushed=np.zeros(n, dtype=np.int64), fatigue=np.zeros(n))
    graph = Graph(topo.indptr, topo.indices, topo.strong, bool(topo.complete), int(n))
    consumers = np.flatnonzero(is_consumer)
    degree_order = consumers[np.argsort(-degree[consumers], kind="stable")]
    return State(topo=topo, graph=graph, people=people,
                 sellers=seller_table(config, [x.strategy for x in specs], [x.product for x in specs], nodes), rel=rel,
                 key=key_rng.bit_generator.random_raw(4).astype(np.uint64), degree_order=degree_order,
                 trace_cascades=config.trace_cascades)


def _acquaintances(is_consumer: np.ndarray, friends: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``k`` distinct consumers who are not ``friends``, uniformly (rejection when the pool is large)."""
    free = int(np.count_nonzero(is_consumer)) - len(friends)
    k = min(k, max(free, 0))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    if k * 4 < free:
        chosen: dict[int, None] = {}
        exclude = set(friends.tolist())
        n = len(is_consumer)
        while len(chosen) < k:
            for v in rng.integers(n, size=2 * (k - len(chosen)) + 8).tolist():
                if is_consumer[v] and v not in exclude and v not in chosen:
                    chosen[v] = None
                    if len(chosen) == k:
                        break
        return np.fromiter(chosen, dtype=np.int64, count=k)
    pool = is_consumer.copy()
    pool[friends] = False
    return rng.choice(np.flatnonzero(pool), size=k, replace=False)


def _add_circles(rel, rows, ties) -> None:
    for s_rows, (friends, tie) in zip(rows, ties):
        if len(friends):
            _add_rows(rel, s_rows, friends, tie)



@kernel
def _add_rows(rel, sellers, nodes, tie):
    for j in range(nodes.shape[0]):
        r = add_row(rel.index, rel.meta, rel.seller, rel.node, sellers[j], nodes[j])
        rel.tie[r] = tie[j]
