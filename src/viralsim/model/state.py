"""Model state: consumer columns, the sparse relation table and the seller table.

Seller nodes are people of the friendship graph (a seller is a person with a circle of friends,
seed 001 L82) and consumers of the other sellers; no seller relates to herself.

Everything a compiled rule reads is a NamedTuple of NumPy arrays (``People``, ``Graph``,
``Sellers``, ``relations.Relations``), so the whole day runs as one compiled call; the
:class:`State` dataclass holds them between days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from viralsim.model import relations
from viralsim.model.relations import NO_TIE, STRONG, TIE_NAMES, WEAK, Relations  # noqa: F401  (re-exported)
from viralsim.network import Topology


class Graph(NamedTuple):
    """The friendship graph as the kernels see it (CSR; ``complete`` for the implicit complete graph)."""

    indptr: np.ndarray
    indices: np.ndarray
    strong: np.ndarray
    complete: bool
    n: int


class People(NamedTuple):
    """Consumer columns, length n."""

    is_consumer: np.ndarray           # bool
    degree: np.ndarray                # float64, friends in the graph
    organic0: np.ndarray              # friends' personal posts in the feed, busy slot
    organic1: np.ndarray              # ... idle slot
    need: np.ndarray                  # bool: an unmet need for the product category
    sated: np.ndarray                 # bool: still using up a purchase (no need, no impulse; rules.needs)
    tolerance: np.ndarray             # float64 > 0: factor on her mute and block thresholds
    activity: np.ndarray              # platform activity in [0, 1]
    commercial_share: np.ndarray      # today's commercial share of the feed
    commercial_load: np.ndarray       # today's commercial posts in the feed
    pushed: np.ndarray                # int64: days on which some seller pushed her (novelty, rules.face)
    fatigue: np.ndarray               # float64: commercial pushes read, fading (ad fatigue, rules.ties.tire)


class Sellers(NamedTuple):
    """One row per seller: node, resolved strategy and product values, and the two seller-level
    stocks, group activity and brand. Built by ``viralsim.model.sellers.seller_table``."""

    node: np.ndarray                  # int64
    posts_per_day: np.ndarray
    cells: np.ndarray                 # (S, 8) posting probability of (content type, slot) cells
    strangers_per_day: np.ndarray
    messages_per_day: np.ndarray
    need_triggered: np.ndarray        # bool: messages only to contacts with a need
    service_capacity: np.ndarray
    groups_on: np.ndarray             # bool
    group_posts_per_day: np.ndarray
    invites_per_day: np.ndarray
    group_target: np.ndarray          # a* = min(1, posts / sustain)
    group_factor: np.ndarray          # 2^(-1 / group half-life)
    group_size: np.ndarray
    p_rec: np.ndarray                 # recommendation probability (rules.wom)
    p_fan: np.ndarray                 # ... of group members
    pf: np.ndarray                    # price factor (rules.purchase)
    pf_ref: np.ndarray                # ... at the referral discount
    price: np.ndarray
    reward: np.ndarray
    unit_cost: np.ndarray
    commission: np.ndarray
    quality: np.ndarray
    expect: np.ndarray                # what a purchase must deliver beyond an honest fair deal (rules.settle)
    hype: np.ndarray                  # how much the ads overstate the quality (rules.settle)
    reseller_prob: np.ndarray         # P(a satisfied buyer is recruited), after the fear of stock (rules.resell)
    reseller_posts: np.ndarray
    levels: np.ndarray                # int64: deepest reseller level (rules.resell; 0 = unlimited)
    upline_share: np.ndarray          # commission ratio from one level to the next up (rules.resell)
    stock_units: np.ndarray           # int64: units a reseller loads (0 = one-click distribution)
    stock_days: np.ndarray            # int64: days unmoved stock takes to make her loaded
    kol_seeds: np.ndarray             # int64
    kol_reach: np.ndarray
    flag_prob: np.ndarray             # P(the platform folds one of her marketing posts), sellers.flag_prob
    cost_post: np.ndarray
    cost_message: np.ndarray
    cost_stranger: np.ndarray
    cost_reply: np.ndarray
    cost_kol: np.ndarray
    cost_group_day: np.ndarray
    gb_on: np.ndarray                 # bool: her buyers open group-buys (rules.groupbuy)
    gb_size: np.ndarray               # int64: members a group-buy needs
    gb_days: np.ndarray               # int64: days a group-buy stays open
    gb_discount: np.ndarray           # group price = price x (1 - discount)
    gb_invite: np.ndarray             # stimulus of one invitation (before the price factor)
    pf_gb: np.ndarray                 # price factor at the group price (rules.purchase)
    bv_on: np.ndarray                 # bool: she is a big-V (rules.bigv)
    bv_audience: np.ndarray           # int64: fans she starts with
    bv_trust: np.ndarray              # fans' trust and baseline on day 0
    bv_decay: np.ndarray              # brand lost per commercial post
    group_activity: np.ndarray        # stock in [0, 1], changes daily
    brand: np.ndarray                 # stock in [0, 1]: the big-V's personal brand (1 for other sellers)


class Plans(NamedTuple):
    """Today's integer actions of every seller (rules.plan)."""

    posts: np.ndarray                 # (S, 4, 2): content type (ad, value, life, prize) x slot (busy, idle)
    strangers: np.ndarray             # (S,)
    messages: np.ndarray
    group_posts: np.ndarray
    invites: np.ndarray
    capacity: np.ndarray              # enquiries the seller can answer today
    folded: np.ndarray                # (S, 4, 2): of ``posts``, those the platform folds (ad and prize rows)


class GroupBuys(NamedTuple):
    """The open group-buys (rules.groupbuy), in a compact array: slots ``0 .. count[0] - 1`` are
    open, in the order they were opened. A consumer is in at most one open group, and every group
    holds its opener, so there are never more open groups than people: the arrays have n slots
    and never grow (no seller x consumer array). Members are a linked list from the opener."""

    count: np.ndarray                 # (1,) int64: open groups
    seller: np.ndarray                # (n,) int64 per slot: the seller
    opener: np.ndarray                # per slot: the consumer who opened it (the list's head)
    last: np.ndarray                  # per slot: the last member to join (the list's tail)
    size: np.ndarray                  # per slot: members so far
    target: np.ndarray                # per slot: members it needs (the seller's size when it opened)
    deadline: np.ndarray              # per slot: the last day it is open
    member_of: np.ndarray             # (n,) int64 per consumer: the slot of her open group, -1 if none
    next_member: np.ndarray           # per consumer: the member who joined after her, -1 if none


def empty_group_buys(n: int) -> GroupBuys:
    """No open group-buy in a population of ``n``."""
    z = lambda: np.zeros(n, dtype=np.int64)  # noqa: E731
    return GroupBuys(np.zeros(1, dtype=np.int64), z(), z(), z(), z(), z(), z(), np.full(n, -1, dtype=np.int64),
                     np.full(n, -1, dtype=np.int64))


class Outputs(NamedTuple):
    """What a day reports (names in ``viralsim.model.outputs``)."""

    flows: np.ndarray                 # (len(FLOW_KEYS), S)
    breakdowns: np.ndarray            # (S, BREAKDOWN_WIDTH)
    stocks: np.ndarray                # (S, len(STOCK_COLUMNS))


@dataclass(eq=False)
class State:
    """Everything that changes during a run, plus the fixed graph and the run's stream key."""

    topo: Topology
    graph: Graph
    people: People
    sellers: Sellers
    rel: Relations
    key: np.ndarray                   # (4,) uint64: the run's stream key (``_jit.rule_stream``)
    degree_order: np.ndarray          # consumers by decreasing degree (KOL seeding)
    group_buys: GroupBuys | None = None   # the open group-buys (rules.groupbuy); None: none yet
    day: int = 0
    trace_cascades: bool = True
    cascade_log: list = field(default_factory=list)   # arrays (seller, parent, child, day)

    def __post_init__(self) -> None:
        if self.group_buys is None:
            self.group_buys = empty_group_buys(self.topo.n)

    @property
    def n(self) -> int:
        return self.topo.n

    @property
    def n_sellers(self) -> int:
        return len(self.sellers.node)

    @property
    def seller_nodes(self) -> np.ndarray:
        return self.sellers.node

    @property
    def n_relations(self) -> int:
        return int(relations.size(self.rel))

    # consumer columns, by name
    @property
    def is_consumer(self) -> np.ndarray:
        return self.people.is_consumer

    @property
    def need(self) -> np.ndarray:
        return self.people.need

    @property
    def activity(self) -> np.ndarray:
        return self.people.activity

    @property
    def commercial_share(self) -> np.ndarray:
        return self.people.commercial_share

    @property
    def sated(self) -> np.ndarray:
        return self.people.sated

    @property
    def pushed(self) -> np.ndarray:
        return self.people.pushed

    @property
    def tolerance(self) -> np.ndarray:
        return self.people.tolerance

    @property
    def fatigue(self) -> np.ndarray:
        return self.people.fatigue

    @property
    def degree(self) -> np.ndarray:
        return self.people.degree

    @property
    def group_activity(self) -> np.ndarray:
        return self.sellers.group_activity

    def column(self, name: str, s: int) -> np.ndarray:
        """Relation column ``name`` between seller ``s`` and every node, length n (absent pairs at
        their new-relation value): what the app, the demo and per-consumer views read."""
        rel, m = self.rel, self.n_relations
        mine = np.flatnonzero(rel.seller[:m] == s)
        col = relations.column_by_row(rel, name)
        default = relations.NEW_VALUES[name]
        out = np.full(self.n, float(rel.prior[0]) if default is None else default, dtype=col.dtype)
        out[rel.node[mine]] = col[mine]
        return out

    def dense(self, name: str) -> np.ndarray:
        """Relation column ``name`` as a (sellers, n) matrix (inspection and small markets only)."""
        return relations.dense(self.rel, name, self.n_sellers)

    def check_invariants(self) -> None:
        """Raise AssertionError if the state is inconsistent (used by tests)."""
        r, m = self.rel, self.n_relations
        trust = r.trust[:m]
        assert np.all((trust >= 0) & (trust <= 1)), "trust outside [0, 1]"
        assert np.all(r.annoyance[:m] >= 0), "negative annoyance"
        assert np.all((self.activity >= 0) & (self.activity <= 1)), "activity outside [0, 1]"
        assert not np.any(self.need & ~self.is_consumer), "a need outside the consumers"
        assert np.all(self.is_consumer[r.node[:m]]), "a relation with a non-consumer"
        assert not np.any(self.sellers.node[r.seller[:m]] == r.node[:m]), "a seller related to herself"
        assert not np.any(r.blocked[:m] & (r.tie[:m] == NO_TIE)), "blocked without a tie"
        assert np.all(r.bought_friends[:m] >= 0) and np.all(r.reseller_friends[:m] >= 0)
        assert not np.any((r.bought_friends[:m] > 0) & ~r.engaged[:m]), "a pull not marked engaged"
        assert not np.any(r.in_group[:m] & ~r.engaged[:m]), "a group member not marked engaged"
        keys = r.seller[:m].astype(np.int64) * self.n + r.node[:m]
        assert len(np.unique(keys)) == m, "a pair with two relations"
