"""After a purchase: money, satisfaction from value for money, trust, broken ties, cascade
tracing, resellers (seed 002 L235, L369; seed 000 L137, L209, L327, L367).

Satisfaction (expectation–disconfirmation: Oliver, "A cognitive model of the antecedents and
consequences of satisfaction decisions", J. Marketing Research 17(4):460-469, 1980). A purchase
is judged against what the buyer was led to expect, not against an absolute standard:

    delivered  D = q - u                     u ~ U(0, 1), the luck of this purchase
    expected   X = h + k_p ln(p / p_ref)     (``expectation``; X = 0 for an honest, fairly priced product)
    satisfied  iff D > X, so P(satisfied) = clip(q - h - k_p ln(p / p_ref), 0, 1)

with q the product's quality, h its hype (how much the ads overstate q: the promise is q + h;
seed 000 L137 hard-sell spam, L367 reliable promises), p its price and p_ref the market's
reference price, k_p ``purchase.value_price_weight`` (value for money, 性价比: seed 002 L369;
overcharging breeds disgust: seed 000 L327). At p = p_ref and h = 0 a purchase satisfies with
probability q, as quality always meant. The one uniform draw per purchase is the draw the rule
always made, so honest, fairly priced sellers draw the same numbers as before.

Rupture (seed 000 L137: once the product has a problem, the relationship between shop and
customer breaks; L209: buyers who trust bear bad experiences; the notes reconcile the two with
a rupture probability that falls as trust rises). A dissatisfied buyer who is a contact of the
seller blocks her (拉黑: the tie is lost for good, as in rules.ties) with probability

    P(rupture) = r_max x min(1, X - D) x (1 - T)

X - D > 0 the gap between what was expected and what was delivered, T her trust before the
purchase. Tie strength buffers through trust: the priors (0.6 strong, 0.35 weak, 0.2 stranger)
are where trust starts and relaxes back to, so a strong tie breaks less often, and value
content that built trust buffers as well. A buyer without a tie has no tie to break; she keeps
her lowered trust. Drawn from the rule's own stream (``STREAM_RUPTURE``), one uniform per
dissatisfied contact, only when r_max > 0.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from viralsim._jit import kernel, uniform
from viralsim.model.outputs import BREAKDOWN, CHANNEL, FLOW
from viralsim.model.relations import NO_TIE, add_row, add_tree_entry, find_row, reserve, reserve_tree, tree_stock
from viralsim.model.rules._util import most_reached
from viralsim.model.rules.resell import attribute, chain_commission, load_stock, recruit_level
from viralsim.model.rules.trust import purchase_outcome

STREAM = 10
#: the stream of the rupture draws (its own, so that turning ruptures on or off leaves the other
#: draws of the settlement as they were)
STREAM_RUPTURE = 19


class Params(NamedTuple):
    rupture_max: float
    count_bought: bool


def prepare(config) -> Params:
    return Params(float(config.ties.rupture_max), counts_bought_friends(config))


def counts_bought_friends(config) -> bool:
    """Whether friends who bought are counted (the conformity pull, rules.purchase): only when
    conformity can pull, now or after one of the run's events; a count nobody reads would make a
    relation for every friend of every first-time buyer."""
    if config.purchase.conformity > 0:
        return True
    return any("conformity" in ((event.set or {}).get("purchase") or {}) for event in config.events)


def expectation(product, purchase) -> float:
    """X = h + k_p ln(p / p_ref): what a paid purchase must deliver beyond an honest, fairly
    priced product's (module docstring); ``product`` a config Product, ``purchase`` the config's
    purchase section."""
    # (logs taken apart: the ratio of a price of 5e-324 to the reference would underflow to 0)
    return float(product.hype + purchase.value_price_weight
                 * (math.log(product.price) - math.log(purchase.reference_price)))


@kernel
def rupture(par, t, gap, rs):
    """True if a dissatisfied contact with trust ``t`` (before the purchase) and expectation gap
    ``gap`` > 0 breaks the tie: one draw, u < r_max min(1, gap) (1 - T)."""
    return uniform(rs) < par.rupture_max * min(1.0, gap) * (1.0 - t)
_REFERRAL, _CONFORMITY, _RESELLER, _FORWARD, _GROUP_BUY = CHANNEL.referral, CHANNEL.conformity, CHANNEL.reseller, \
    CHANNEL.forward, CHANNEL.group_buy
_B_CHANNELS, _B_WOM_CONV, _B_SELLER_CONV = BREAKDOWN.channels, BREAKDOWN.wom_conversions_by_tie, \
    BREAKDOWN.seller_conversions_by_tie
_B_BROKEN = BREAKDOWN.ties_broken_by_tie
_F_PURCHASES, _F_PURCHASES_WOM, _F_REVENUE, _F_COST = FLOW.purchases, FLOW.purchases_wom, FLOW.revenue, FLOW.cost
_F_BROKEN, _F_COMMISSION = FLOW.ties_broken, FLOW.commission


@kernel
def settle(s, rows, channels, satisfied, tpar, spar, today, graph, people, sellers, rel, rs, rs_rupture, rs_resell,
           flows, breakdowns, links, n_links):
    """Book seller ``s``'s purchases of the day (distinct buyers' relations ``rows``).

    - Revenue = price, or price x (1 - referral_reward) for referral purchases (referral
      discount, seed 002 L263), or price x (1 - group_buy.discount) for a filled group-buy's
      purchases (rules.groupbuy); cost = unit cost, plus the reseller commission for purchases
      through a reseller's ads (seed 002 L235: ad budget becomes distributor profit), paid to the
      reseller drawn as the one who sold and her uplines (rules.resell, draws from ``rs_resell``).
      With stock-loading a reseller's sale draws down her stock and pays the seller nothing; a
      recruit loads her stock (revenue at the wholesale price, unit costs, uplines' commission).
    - Satisfied if the delivered experience meets the expectation set by price and promise
      (module docstring; seed 002 L369, L373); trust moves as in rules.trust.purchase_outcome; a
      dissatisfied contact may break the tie (module docstring; ``spar`` the rule's Params,
      ``rs_rupture`` its stream), counted in the ``ties_broken`` flow and, by the tie she had,
      in the ``ties_broken_by_tie`` breakdown.
    - Cascade tracing: a first purchase attributed to a recommendation joins the recommender's
      tree (root = the recommender's root); any other first purchase starts its own tree. The
      (seller, parent, child, day) links are logged from ``links[:, n_links]`` on.
    - Friends of first-time buyers count one more "friend who bought" (conformity) and become
      ``engaged``; a satisfied buyer becomes a reseller with probability ``reseller_prob``
      (全员分销; after the fear of stock-loading), with an upline and a level (rules.resell), and her
      friends count one more reseller friend.
    Fills ``satisfied``; returns (table, links, n_links).
    """
    m = rows.shape[0]
    revenue = 0.0
    cost = 0.0                  # stock loaded today (unit costs and uplines' commission)
    commission = 0.0            # commission beyond the one-level p c of ``n_resold`` sales
    chain_paid = 0.0            # of it, paid on one-click sales along the chain (not in ``cost``)
    n_unit = n_resold = 0       # sales that cost a unit; one-click sales paying p c alone
    price, reward = sellers.price[s], sellers.reward[s]
    stocked = sellers.stock_units[s] > 0
    if stocked or sellers.reseller_prob[s] > 0:
        rel = reserve_tree(rel, 2 * m)      # (a buyer makes at most two entries: the one who sold, herself)
    new = np.empty(m, np.int64)
    new_roots = np.empty(m, np.int64)
    recruits = np.empty(m, np.int64)
    n_new = n_recruits = n_referral = 0
    for j in range(m):
        r = rows[j]
        i = rel.node[r]
        ch = channels[j]
        rel.purchases[r] += 1
        rel.aware[r] = True
        referral = ch == _REFERRAL
        breakdowns[s, _B_CHANNELS + ch] += 1
        if referral:
            breakdowns[s, _B_WOM_CONV + rel.referrer_strong[r]] += 1
        elif ch != _CONFORMITY and ch != _RESELLER and ch != _FORWARD and ch != _GROUP_BUY:
            breakdowns[s, _B_SELLER_CONV + rel.tie[r]] += 1
        sold_by = -1
        if ch == _RESELLER:
            sold_by = attribute(graph, people, rel, s, sellers.node[s], i, rs_resell)
        if stocked and sold_by >= 0:
            # from her stock: the buyer pays the reseller; she first loads stock if she has none
            e = add_tree_entry(rel, sold_by)
            if rel.tree_stock[e] <= 0:
                rv, cs, cm = load_stock(sellers, rel, s, sold_by, today)
                revenue += rv
                cost += cs
                commission += cm
            rel.tree_stock[e] -= 1
            rel.tree_stock_day[e] = today
        else:
            if referral:
                revenue += price * (1.0 - reward)
            elif ch == _GROUP_BUY:
                revenue += price * (1.0 - sellers.gb_discount[s])
            else:
                revenue += price
            n_unit += 1
            if ch == _RESELLER:
                if sold_by >= 0 and sellers.upline_share[s] > 0.0:
                    cm = chain_commission(rel, s, sold_by, price * sellers.commission[s], sellers.upline_share[s])
                    chain_paid += cm
                    commission += cm
                else:
                    n_resold += 1       # (p c to the one who sold: counted, then multiplied once)
        n_referral += referral
        gap = sellers.expect[s] - (sellers.quality[s] - uniform(rs))     # X - D
        satisfied[j] = gap < 0.0
        t_before = rel.trust[r]
        rel.trust[r] = purchase_outcome(tpar, t_before, satisfied[j])
        if not satisfied[j] and spar.rupture_max > 0.0 and rel.tie[r] > NO_TIE and not rel.blocked[r] \
                and rupture(spar, t_before, gap, rs_rupture):
            # She blocks the seller (rules.ties): no more posts, messages or purchases; she leaves
            # the groups. Her warnings to friends are those of any dissatisfied buyer (rules.wom).
            rel.blocked[r] = True
            rel.in_group[r] = False
            breakdowns[s, _B_BROKEN + rel.tie[r]] += 1
            flows[_F_BROKEN, s] += 1
        if rel.purchases[r] == 1:
            new[n_new] = i
            new_roots[n_new] = i
            parent = rel.referrer[r] if referral else -1
            if parent >= 0:
                # Roots are read before any is written, so a parent buying today counts as before.
                pr = find_row(rel.index, rel.meta, s, parent)
                root = rel.root[pr] if pr >= 0 else -1
                new_roots[n_new] = root if root >= 0 else parent
                if links.shape[1] <= n_links:
                    links = _grown_links(links, 2 * links.shape[1] + m)
                links[0, n_links] = s
                links[1, n_links] = parent
                links[2, n_links] = i
                links[3, n_links] = today
                n_links += 1
            n_new += 1
        if sellers.reseller_prob[s] > 0 and satisfied[j] and not rel.reseller[r] and tree_stock(rel, r) <= 0:
            up, level = recruit_level(rel, s, sold_by, referral, r)
            if (sellers.levels[s] == 0 or level <= sellers.levels[s]) and uniform(rs) < sellers.reseller_prob[s]:
                rel.reseller[r] = True
                e = add_tree_entry(rel, r)
                rel.tree_upline[e] = up
                rel.tree_level[e] = level
                recruits[n_recruits] = i
                n_recruits += 1
                if stocked:
                    rv, cs, cm = load_stock(sellers, rel, s, r, today)
                    revenue += rv
                    cost += cs
                    commission += cm
    for j in range(n_new):
        rel.root[find_row(rel.index, rel.meta, s, new[j])] = new_roots[j]
    if spar.count_bought:
        rel = count_friends(graph, people, rel, s, sellers.node[s], new[:n_new], True)
    rel = count_friends(graph, people, rel, s, sellers.node[s], recruits[:n_recruits], False)
    flows[_F_PURCHASES, s] += m
    flows[_F_PURCHASES_WOM, s] += n_referral
    flows[_F_REVENUE, s] += revenue
    flows[_F_COST, s] += n_unit * sellers.unit_cost[s] + n_resold * price * sellers.commission[s] + cost \
        + chain_paid
    flows[_F_COMMISSION, s] += n_resold * price * sellers.commission[s] + commission
    return rel, links, n_links


@kernel
def _grown_links(links, cap):
    out = np.empty((4, cap), np.int64)
    out[:, :links.shape[1]] = links
    return out


@kernel
def count_friends(graph, people, rel, s, own, nodes, bought):
    """Each friend v of ``nodes`` counts one more friend who bought from s (``bought``; she is
    engaged from now on) or one more reseller friend of s. O(sum of degrees); on the implicit
    complete graph every other consumer is a friend."""
    if nodes.shape[0] == 0:
        return rel
    # (reserved once, before the loops: see rules._util.most_reached)
    rel = reserve(rel, most_reached(graph, nodes))
    if graph.complete:
        among = np.zeros(graph.n, np.int64)
        for u in nodes:
            among[u] += 1
        for v in range(graph.n):
            if not people.is_consumer[v] or v == own:
                continue
            k = nodes.shape[0] - among[v]
            if k > 0:
                r = add_row(rel.index, rel.meta, rel.seller, rel.node, s, v)
                if bought:
                    rel.bought_friends[r] += k
                    rel.engaged[r] = True
                else:
                    rel.reseller_friends[r] += k
        return rel
    for u in nodes:
        for e in range(graph.indptr[u], graph.indptr[u + 1]):
            v = graph.indices[e]
            if not people.is_consumer[v] or v == own:
                continue
            r = add_row(rel.index, rel.meta, rel.seller, rel.node, s, v)
            if bought:
                rel.bought_friends[r] += 1
                rel.engaged[r] = True
            else:
                rel.reseller_friends[r] += 1
    return rel
