"""Multi-level resellers (多级分销) and stock-loading (压货) (seed 002 L169-171, L235).

A satisfied buyer becomes a reseller of the seller with probability ``reseller_prob`` (全员分销,
seed 002 L235; rules.settle); her friends then read her ads (rules.feed). This module adds who
recruited whom, what each level earns, and the stock a reseller may have to buy first.

**Attribution.** A purchase in the reseller channel (rules.purchase) was made by the ads of one
of the buyer's friends who resell for the seller. Every reseller of a seller posts the same
expected number of ads a day (``reseller_posts_per_day``), so the one drawn is chosen in
proportion to their ads, that is uniformly among the buyer's reseller friends: one uniform from
the rule's stream (``STREAM``) per reseller purchase.

**Upline and level.** A buyer recruited after a reseller purchase has that reseller as her
upline; one recruited after a recommendation by a reseller of the seller (the referral channel,
rules.wom) has the recommender; anyone else has the seller herself (upline -1) and is level 1.
Otherwise her level is her upline's plus one (kept up to ``MAX_RESELLER_LEVEL``; deeper ones
count as that level). With ``reseller_levels`` L > 0, a buyer whose level would exceed L is not
recruited (only the last level's friends buy from the tree's leaves); L = 0 is unlimited, as the
人人店 system (seed 002 L169): every extra distributor adds her own friends (L171).

**Commission per level.** With c = ``reseller_commission`` and r = ``reseller_upline_share``, a
one-click sale (no stock) made by reseller A pays

    commission = p c (1 + r + r^2 + ... + r^(k-1)),    k = the chain's length from A up to the seller

p c to A, p c r to her upline, p c r^2 to the next, ...: the seller's margin pays it, as the
ad budget it replaces (seed 002 L235). r = 0 is the one-level commission.

**Stock-loading (压货).** With K = ``stock_units`` > 0, a new reseller buys K units at the
wholesale price w = p (1 - c) (her commission is her discount) before she resells: the seller
books K w of revenue and K unit costs now, and her uplines their commission on the stock, K p c
r^j to the j-th upline above her. Her sales to her friends draw her stock down by one unit each;
the buyer pays her, not the seller (the seller was paid when the stock was loaded). A reseller
who has sold out buys K units again at her next sale. Stock that has not moved (no sale, no
loading) for ``stock_patience_days`` D days leaves her *loaded*: she was cheated (怕被囤货受骗,
seed 002 L171), her trust in the seller falls as after a disappointing purchase
(rules.trust.purchase_outcome), she stops reselling (her friends lose a reseller friend) and,
like a dissatisfied buyer, warns friends with ``wom.warn_prob`` (rules.wom.warn; draws from
``STREAM_LOADED``). Her unsold units stay with her.

The fear of being loaded deters entry (L171): the chance to become a reseller is

    P(recruit) = reseller_prob x phi / (phi + K),    phi = ``stock_fear_units``

(judgement: a hyperbolic fall, 1 at K = 0, half at K = phi).
"""

from __future__ import annotations

import numpy as np

from viralsim._jit import kernel, seller_streams, uniform
from viralsim.config.schema import MAX_RESELLER_LEVEL
from viralsim.model.outputs import FLOW
from viralsim.model.relations import add_tree_entry, find_row, tree_entry
from viralsim.model.rules.trust import purchase_outcome
from viralsim.model.rules.wom import warn

#: the stream of the attribution draws
STREAM = 26
#: the stream of the warnings by loaded resellers
STREAM_LOADED = 27
_F_LOADED, _F_WOM_NEGATIVE = FLOW.loaded_resellers, FLOW.wom_negative


def recruit_prob(strategy) -> float:
    """P(a satisfied buyer is recruited) = reseller_prob x phi / (phi + K) (module docstring);
    exactly ``reseller_prob`` without stock-loading."""
    phi = strategy.stock_fear_units
    return float(strategy.reseller_prob * (phi / (phi + strategy.stock_units)))


@kernel
def attribute(graph, people, rel, s, own, i, rs):
    """Row of the reseller of seller ``s`` among consumer ``i``'s friends whose ad made her
    purchase: drawn uniformly among them (each posts the same expected ads), one uniform from
    ``rs``; -1 if she has none. O(degree) lookups; every other consumer on the complete graph."""
    k = 0
    for pass_ in range(2):
        if pass_ == 1:
            if k == 0:
                return -1
            pick = min(int(uniform(rs) * k), k - 1)
            k = 0
        if graph.complete:
            lo, hi = 0, graph.n
        else:
            lo, hi = graph.indptr[i], graph.indptr[i + 1]
        for e in range(lo, hi):
            v = e if graph.complete else graph.indices[e]
            if v == i or v == own or not people.is_consumer[v]:
                continue
            r = find_row(rel.index, rel.meta, s, v)
            if r >= 0 and rel.reseller[r]:
                if pass_ == 1 and k == pick:
                    return r
                k += 1
    return -1


@kernel
def chain_commission(rel, s, row, base, share):
    """Commission paid to the chain that starts at reseller row ``row`` (-1: nobody): ``base``
    to her, ``base x share`` to her upline, ``base x share^2`` above, up to the seller (at most
    ``MAX_RESELLER_LEVEL`` payees). Returns the total."""
    if row < 0:
        return 0.0
    total = base
    if share <= 0.0:
        return total
    pay = base
    for _ in range(MAX_RESELLER_LEVEL - 1):
        row = upline_row(rel, s, row)
        if row < 0:
            break
        pay *= share
        total += pay
    return total


@kernel
def upline_row(rel, s, row):
    """Row of the upline of reseller row ``row``, -1 for the seller herself."""
    e = tree_entry(rel, row)
    up = rel.tree_upline[e] if e >= 0 else -1
    return find_row(rel.index, rel.meta, s, up) if up >= 0 else -1


@kernel
def load_stock(sellers, rel, s, row, today):
    """Reseller row ``row`` buys the seller's K units at the wholesale price. Returns (revenue,
    cost, commission) of the seller: K w, K unit costs plus the uplines' commission on the stock.
    The caller has reserved room for her reseller-tree entry (relations.reserve_tree)."""
    k = sellers.stock_units[s]
    price, c = sellers.price[s], sellers.commission[s]
    e = add_tree_entry(rel, row)
    rel.tree_stock[e] = k
    rel.tree_stock_day[e] = today
    commission = 0.0
    if sellers.upline_share[s] > 0.0:
        commission = chain_commission(rel, s, upline_row(rel, s, row), k * price * c * sellers.upline_share[s],
                                      sellers.upline_share[s])
    return k * price * (1.0 - c), k * sellers.unit_cost[s] + commission, commission


@kernel
def recruit_level(rel, s, sold_by, referral, r):
    """(upline node, level) of buyer row ``r`` if she becomes a reseller: ``sold_by`` the row of
    the reseller whose ad sold to her (-1 none), ``referral`` True if she bought on a
    recommendation (her ``referrer``)."""
    up_row = sold_by
    if up_row < 0 and referral and rel.referrer[r] >= 0:
        rr = find_row(rel.index, rel.meta, s, rel.referrer[r])
        if rr >= 0 and rel.reseller[rr]:
            up_row = rr
    if up_row < 0:
        return -1, 1
    e = tree_entry(rel, up_row)
    return rel.node[up_row], min((rel.tree_level[e] if e >= 0 else 0) + 1, MAX_RESELLER_LEVEL)


@kernel
def drop_reseller_friends(graph, people, rel, s, own, u):
    """Each friend of ``u`` counts one reseller friend of s fewer (``u`` stopped reselling)."""
    if graph.complete:
        lo, hi = 0, graph.n
    else:
        lo, hi = graph.indptr[u], graph.indptr[u + 1]
    for e in range(lo, hi):
        v = e if graph.complete else graph.indices[e]
        if v == u or v == own or not people.is_consumer[v]:
            continue
        r = find_row(rel.index, rel.meta, s, v)
        if r >= 0 and rel.reseller_friends[r] > 0:
            rel.reseller_friends[r] -= 1


@kernel
def _loaded(sellers, rel, s, r, today):
    """Relation row ``r`` of seller ``s`` is a reseller whose stock has not moved for the
    seller's patience: she is loaded today."""
    if not (sellers.stock_units[s] > 0 and rel.reseller[r]):
        return False
    e = tree_entry(rel, r)
    return e >= 0 and rel.tree_stock[e] > 0 and today - rel.tree_stock_day[e] >= sellers.stock_days[s]


@kernel
def unload(key, today, tpar, wpar, graph, people, sellers, rel, flows):
    """Loaded resellers (module docstring): every reseller of a stock-loading seller whose stock
    has not moved for ``stock_patience_days`` quits, disappointed, and may warn her friends.
    One pass over the relations to count the loaded resellers and, if there are any, a second to
    unload them; only when a seller loads stock. Returns the table."""
    n_s = sellers.node.shape[0]
    if not (sellers.stock_units > 0).any():
        return rel
    m = rel.meta[0]
    count = np.zeros(n_s, np.int64)
    for r in range(m):
        s = rel.seller[r]
        if _loaded(sellers, rel, s, r, today):
            count[s] += 1
    if count.sum() == 0:
        return rel
    ptr = np.zeros(n_s + 1, np.int64)
    for s in range(n_s):
        ptr[s + 1] = ptr[s] + count[s]
    nodes = np.empty(ptr[n_s], np.int64)
    at = ptr[:n_s].copy()
    for r in range(m):
        s = rel.seller[r]
        if _loaded(sellers, rel, s, r, today):
            rel.reseller[r] = False
            rel.trust[r] = purchase_outcome(tpar, rel.trust[r], False)
            nodes[at[s]] = rel.node[r]
            at[s] += 1
    streams = seller_streams(key, today, STREAM_LOADED, n_s)
    for s in range(n_s):
        if count[s] == 0:
            continue
        own = sellers.node[s]
        mine = nodes[ptr[s]:ptr[s + 1]]
        for u in mine:
            drop_reseller_friends(graph, people, rel, s, own, u)
        flows[_F_LOADED, s] += count[s]
        rel, sent = warn(s, own, mine, wpar.warn_prob, wpar, graph, people, rel, streams[s])
        flows[_F_WOM_NEGATIVE, s] += sent
    return rel

