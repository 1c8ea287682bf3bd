"""The big-V seller (大咖带货): an influencer whose personal brand devalues as she sells (seed 000 L467).

Seed 000 L467: a big-V whose personal brand on Moments is strong does very well with Moments
commerce at first (风生水起), "but after a while you find that her personal brand is devaluing as
the selling spreads (随着电商的泛濫而贬值), and her commerce circle is still that circle of hers".
Opinion leaders shape how others see a brand (seed 004 L399, L417-421) and popular accounts reach
groups like them (seed 004 L225). For a seller with ``big_v.enabled``:

* **Audience (day 0).** The ``big_v.audience`` consumers nearest to her in the friendship graph
  become her fans: her friends, then their friends, and so on, breadth first; in the layer where
  the audience is complete a uniform subset of it. A fan without a tie follows her (the stranger
  tie: she sees the big-V's Moments, rules.follow) while the big-V has room under
  ``max_contacts``; a fan who cannot follow for want of room is no fan. Every fan becomes aware,
  and her trust and the baseline it relaxes to become max(her own, T_fan) (T_fan =
  ``big_v.fan_trust``): fans trust the big-V as they trust a close friend. Nothing else forces her
  sales into her circle: who buys follows from who sees her posts and whom her buyers tell.
* **Brand.** She has a personal brand B in [0, 1], B = 1 before day 0's posts, which devalues
  with each commercial post (ad or prize) she publishes, from day 0 on:

      B(t) = B(t - 1) (1 - d)^(k_t)           k_t = her ad and prize posts published on day t

  (d = ``big_v.brand_decay``; published, folded or not: the platform folding her post does not
  spare her brand). Hence after k commercial posts B = (1 - d)^k.
* **Weight.** B multiplies every component of the purchase stimulus toward her but face
  (rules.purchase.components: pf B x each component, the referral pull at pf_ref B): what sells
  the big-V's product, her posts, her replies, her fans' and buyers' recommendations of it, is
  worth what her name is worth. Face purchases belong to the friendship (rules.face), not to
  her name; group-buy invitations (rules.groupbuy) are not weighted.

Other sellers keep B = 1 for good. The brand is reported day by day (``brand`` stock). Draws:
the boundary layer's subset, from the seller's own stream (``STREAM``), on day 0 only. Cost: one
breadth-first pass over her graph neighbourhood on day 0 (O(people + edges) at most, once per
big-V), one pass over the relations to count her contacts; then O(sellers) a day.
"""

from __future__ import annotations

import numpy as np

from viralsim._jit import below, kernel, powi
from viralsim.model.relations import NO_TIE, STRANGER, add_row, find_row, reserve

STREAM = 24


@kernel
def devalue(sellers, plans):
    """Each big-V's brand loses the fraction d per commercial post published today (docstring)."""
    for s in range(sellers.node.shape[0]):
        if sellers.bv_on[s]:
            k = plans.posts[s, 0, 0] + plans.posts[s, 0, 1] + plans.posts[s, 3, 0] + plans.posts[s, 3, 1]
            sellers.brand[s] *= powi(1.0 - sellers.bv_decay[s], k)


@kernel
def nearest(own, k, graph, people, rs):
    """The ``k`` consumers nearest to node ``own`` (not ``own``), breadth first: whole layers
    while they fit, then a uniform subset of the next layer (partial Fisher-Yates). Fewer if
    her component holds fewer."""
    n = graph.n
    out = np.empty(max(k, 0), np.int64)
    if k <= 0:
        return out
    seen = np.zeros(n, np.bool_)
    seen[own] = True
    frontier = np.array([own], np.int64)
    got = 0
    layer = np.empty(n, np.int64)
    while got < k and frontier.shape[0] > 0:
        m = 0
        for u in frontier:
            lo, hi = (0, n) if graph.complete else (graph.indptr[u], graph.indptr[u + 1])
            for e in range(lo, hi):
                v = e if graph.complete else graph.indices[e]
                if not seen[v]:
                    seen[v] = True
                    layer[m] = v
                    m += 1
        nxt = layer[:m].copy()
        cons = np.empty(m, np.int64)
        c = 0
        for v in nxt:
            if people.is_consumer[v]:
                cons[c] = v
                c += 1
        take = min(c, k - got)
        for j in range(take):
            if take < c:
                r = j + below(c - j, rs)
                cons[j], cons[r] = cons[r], cons[j]
            out[got + j] = cons[j]
        got += take
        frontier = nxt
    return out[:got]


@kernel
def gather_audience(s, graph, people, sellers, rel, max_contacts, rs):
    """Day 0: big-V ``s``'s fans follow her with trust max(T, T_fan) (module docstring).
    Returns (table, the fans' node ids)."""
    own = sellers.node[s]
    cand = nearest(own, sellers.bv_audience[s], graph, people, rs)
    contacts = 0
    for r in range(rel.meta[0]):
        if rel.seller[r] == s and rel.tie[r] > NO_TIE and not rel.blocked[r]:
            contacts += 1
    rel = reserve(rel, cand.shape[0])
    fans = np.empty(cand.shape[0], np.int64)
    n_fans = 0
    t_fan = sellers.bv_trust[s]
    for v in cand:
        r = find_row(rel.index, rel.meta, s, v)
        if r < 0 or rel.tie[r] == NO_TIE:
            if contacts >= max_contacts:
                continue
            if r < 0:
                r = add_row(rel.index, rel.meta, rel.seller, rel.node, s, v)
            rel.tie[r] = STRANGER
            contacts += 1
        rel.aware[r] = True
        rel.trust[r] = max(rel.trust[r], t_fan)
        rel.baseline[r] = max(rel.baseline[r], t_fan)
        fans[n_fans] = v
        n_fans += 1
    return rel, fans[:n_fans]
