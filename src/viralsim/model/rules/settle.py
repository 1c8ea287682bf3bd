"""After a purchase: money, satisfaction, trust, cascade tracing, resellers (seed 002 L235)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from viralsim._jit import kernel, seeded, stream, uniform
from viralsim.config.schema import PurchaseParams, TrustParams
from viralsim.model.plan import DayPlan
from viralsim.model.rules._util import lower_one, neighbor_counts, raise_one
from viralsim.model.rules.purchase import Purchases
from viralsim.model.state import CHANNELS, CONFORMITY, REFERRAL, RESELLER, State

N_CHANNELS = len(CHANNELS)


@dataclass(frozen=True)
class Settlement:
    """One seller's settled purchases of the day."""

    buyers: np.ndarray
    satisfied: np.ndarray
    channels: np.ndarray
    first: np.ndarray          # bool: the buyer's first purchase from this seller
    revenue: float
    cost: float
    counts: np.ndarray         # purchases by channel (CHANNELS order), by referrer tie (weak,
                               #   strong) and by the buyer's tie for sales the seller made herself
                               #   (NO_TIE..STRONG): see ``by_channel`` and the two properties below

    @property
    def by_channel(self) -> np.ndarray:
        return self.counts[:N_CHANNELS]

    @property
    def wom_by_tie(self) -> np.ndarray:
        """Referral purchases by the recommender's tie to the buyer: (weak, strong)."""
        return self.counts[N_CHANNELS:N_CHANNELS + 2]

    @property
    def seller_made_by_tie(self) -> np.ndarray:
        """Purchases the seller made herself (not a friend, the crowd or a reseller) by buyer tie."""
        return self.counts[N_CHANNELS + 2:]


def settle_purchases(state: State, plan: DayPlan, bought: Purchases, purchase: PurchaseParams,
                     trust: TrustParams, *, rng: np.random.Generator) -> Settlement:
    """Book purchases: revenue, costs, satisfaction, trust update, cascade links, resellers.

    - Revenue = price, or price x (1 - referral_reward) for referral purchases (group-buy
      discount, seed 002 L263); cost = unit cost, plus the reseller commission for purchases
      through a reseller's ads (seed 002 L235: ad budget becomes distributor profit).
    - Satisfied with probability ``product.quality`` (seed 002 L369, L373); trust moves as in
      rules.trust.purchase_outcome: T + g (1 - T) if satisfied, T (1 - l) if not.
    - Cascade tracing: a first purchase attributed to a recommendation joins the recommender's
      tree (root = the recommender's root); any other first purchase starts its own tree. The
      (parent, child) links are logged, so cascade sizes and depths can be measured.
    - Friends of first-time buyers update their "friends who bought" count (conformity) and
      become ``engaged``.
    - A satisfied buyer becomes a reseller with probability ``reseller_prob`` (全员分销).

    ``bought`` holds distinct buyers (a consumer buys at most once a day, rules.purchase).

    Modifies: ``state.purchases``, ``trust``, ``aware``, ``root``, ``bought_friends``, ``engaged``,
    ``reseller``, ``reseller_friends``, ``cascade_log``.
    """
    s, b, ch = plan.index, bought.buyers, bought.channels
    product, strategy = plan.product, plan.strategy
    m = len(b)
    satisfied = np.zeros(m, dtype=bool)
    first = np.zeros(m, dtype=bool)
    counts = np.zeros(N_CHANNELS + 2 + 4)
    if m == 0:
        return Settlement(b, satisfied, ch, first, 0.0, 0.0, counts)
    links = np.empty((4, m), dtype=np.int64)     # (seller, parent, child, day) of new cascade links
    topo = state.topo
    revenue, cost, n_links = _settle_kernel(
        s, b, ch, state.purchases, state.aware, state.trust, state.referrer, state.root,
        state.bought_friends, state.engaged, state.reseller, state.reseller_friends,
        topo.indptr, topo.indices, topo.complete, float(product.price),
        float(strategy.referral_reward), float(product.unit_cost), float(strategy.reseller_commission),
        float(product.quality), bool(trust.enabled), float(trust.gain_good_purchase),
        float(trust.loss_bad_purchase), float(strategy.reseller_prob), state.day, state.tie,
        state.referrer_strong, satisfied, first, links, counts, stream(rng))
    if n_links and state.trace_cascades:
        state.cascade_log.append(links[:, :n_links])
    return Settlement(b, satisfied, ch, first, revenue, cost, counts)


@kernel
def _settle_kernel(s, buyers, channels, purchases, aware, trust, referrer, root, bought_friends,
                   engaged, reseller, reseller_friends, indptr, indices, complete, price, reward,
                   unit_cost, commission, quality, trust_on, gain, loss, reseller_prob,
                   today, tie, referrer_strong, satisfied, first, links, counts, words):
    """One pass over today's (distinct) buyers of one seller; returns (revenue, cost, links logged)
    and fills ``counts`` (see Settlement.counts)."""
    rs = seeded(words)
    m = len(buyers)
    revenue = 0.0
    n_resold = 0
    new = np.empty(m, dtype=np.int64)
    new_roots = np.empty(m, dtype=np.int32)
    recruits = np.empty(m, dtype=np.int64)
    n_new = n_links = n_recruits = 0
    for j in range(m):
        i = buyers[j]
        purchases[s, i] += 1
        aware[s, i] = True
        referral = channels[j] == REFERRAL
        counts[channels[j]] += 1
        if referral:
            counts[N_CHANNELS + referrer_strong[s, i]] += 1
        elif channels[j] != CONFORMITY and channels[j] != RESELLER:
            counts[N_CHANNELS + 2 + tie[s, i]] += 1
        revenue += price * (1.0 - reward) if referral else price
        n_resold += channels[j] == RESELLER
        satisfied[j] = uniform(rs) < quality
        if trust_on:
            # rules.trust.purchase_outcome, one buyer at a time
            t = trust[s, i]
            trust[s, i] = raise_one(t, gain) if satisfied[j] else lower_one(t, loss)
        if purchases[s, i] == 1:
            first[j] = True
            new[n_new] = i
            new_roots[n_new] = i
            parent = referrer[s, i] if referral else -1
            if parent >= 0:
                # Roots are read before any is written, so a parent buying today counts as before.
                new_roots[n_new] = root[s, parent] if root[s, parent] >= 0 else parent
                links[0, n_links] = s
                links[1, n_links] = parent
                links[2, n_links] = i
                links[3, n_links] = today
                n_links += 1
            n_new += 1
        if reseller_prob > 0 and satisfied[j] and not reseller[s, i] and uniform(rs) < reseller_prob:
            reseller[s, i] = True
            recruits[n_recruits] = i
            n_recruits += 1
    for j in range(n_new):
        root[s, new[j]] = new_roots[j]
    neighbor_counts(indptr, indices, complete, bought_friends[s], new[:n_new], engaged[s])
    neighbor_counts(indptr, indices, complete, reseller_friends[s], recruits[:n_recruits], None)
    cost = m * unit_cost + n_resold * price * commission
    return revenue, cost, n_links
