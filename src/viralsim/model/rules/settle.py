"""After a purchase: money, satisfaction, trust, cascade tracing, resellers (seed 002 L235)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from viralsim.config.schema import PurchaseParams, TrustParams
from viralsim.model.plan import DayPlan
from viralsim.model.rules._util import add_to_neighbors
from viralsim.model.rules.purchase import Purchases
from viralsim.model.rules.trust import purchase_outcome
from viralsim.model.state import REFERRAL, RESELLER, State


@dataclass(frozen=True)
class Settlement:
    """One seller's settled purchases of the day."""

    buyers: np.ndarray
    satisfied: np.ndarray
    channels: np.ndarray
    first: np.ndarray          # bool: the buyer's first purchase from this seller
    revenue: float
    cost: float


def settle_purchases(state: State, plan: DayPlan, bought: Purchases, purchase: PurchaseParams,
                     trust: TrustParams, *, rng: np.random.Generator) -> Settlement:
    """Book purchases: revenue, costs, satisfaction, trust update, cascade links, resellers.

    - Revenue = price, or price x (1 - referral_reward) for referral purchases (group-buy
      discount, seed 002 L263); cost = unit cost, plus the reseller commission for purchases
      through a reseller's ads (seed 002 L235: ad budget becomes distributor profit).
    - Satisfied with probability ``product.quality`` (seed 002 L369, L373); trust moves by
      rules.trust.purchase_outcome.
    - Cascade tracing: a first purchase attributed to a recommendation joins the recommender's
      tree (root = the recommender's root); any other first purchase starts its own tree. The
      (parent, child) links are logged, so cascade sizes and depths can be measured.
    - Friends of first-time buyers update their "friends who bought" count (conformity).
    - A satisfied buyer becomes a reseller with probability ``reseller_prob`` (全员分销).

    Modifies: ``state.purchases``, ``trust``, ``aware``, ``root``, ``bought_friends``,
    ``reseller``, ``reseller_friends``, ``cascade_log``.
    """
    s, b, ch = plan.index, bought.buyers, bought.channels
    product, strategy = plan.product, plan.strategy
    state.purchases[s, b] += 1
    state.aware[s, b] = True
    first = state.purchases[s, b] == 1
    referral = ch == REFERRAL
    price = np.where(referral, product.price * (1.0 - strategy.referral_reward), product.price)
    revenue = float(price.sum())
    cost = float(len(b) * product.unit_cost
                 + np.count_nonzero(ch == RESELLER) * product.price * strategy.reseller_commission)
    satisfied = rng.random(len(b)) < product.quality
    state.trust[s, b] = purchase_outcome(state.trust[s, b], satisfied, trust)

    new = b[first]
    parent = np.where(referral[first], state.referrer[s, new], -1)
    linked = parent >= 0
    roots = new.astype(np.int32).copy()
    parent_root = state.root[s, parent[linked]]
    roots[linked] = np.where(parent_root >= 0, parent_root, parent[linked])
    state.root[s, new] = roots
    if linked.any() and state.trace_cascades:
        state.cascade_log.append(
            np.stack([np.full(linked.sum(), s), parent[linked], new[linked],
                      np.full(linked.sum(), state.day)]).astype(np.int64)
        )
    add_to_neighbors(state.topo, state.bought_friends[s], new)
    if len(new):
        state.engaged[s] |= state.bought_friends[s] > 0

    if strategy.reseller_prob > 0:
        cand = b[satisfied & ~state.reseller[s, b]]
        cand = np.unique(cand)
        recruits = cand[rng.random(len(cand)) < strategy.reseller_prob]
        state.reseller[s, recruits] = True
        add_to_neighbors(state.topo, state.reseller_friends[s], recruits)
    return Settlement(b, satisfied, ch, first, revenue, cost)
