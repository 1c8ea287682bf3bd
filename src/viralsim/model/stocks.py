"""End-of-day stocks of every seller, read off the relations (names: ``outputs.STOCK_COLUMNS``)."""

from __future__ import annotations

import numpy as np

from viralsim._jit import kernel
from viralsim.model.outputs import STOCK
from viralsim.model.relations import STRONG, WEAK, tree_size


@kernel
def stock_table(rel, n_sellers, threshold, brand, out):
    """Fill ``out[s]`` with the stocks of seller s (her brand, ``brand[s]``, rules.bigv, as it is).

    Contacts are the consumers tied to the seller (blocked ones included); followers are the
    contacts who have not blocked her; mean trust and annoyance are over contacts (NaN without
    contacts); interested consumers are aware, not blocking, with trust at least ``threshold``;
    strong and weak ties count the followers with that tie (it changes: rules.bonds); reseller
    stock is the units held by her resellers, those who quit loaded included, and reseller depth
    the deepest level among her resellers (rules.resell).
    One pass over the relations; the sums follow the order the relations were made, so their
    rounding is the same on every machine.
    """
    counts = np.zeros((n_sellers, 13), np.int64)    # tied, blocked, muted, aware, interested,
    sums = np.zeros((n_sellers, 2))                  # customers, repeat, members, resellers, strong, weak,
                                                     # units in stock, deepest reseller level
    m = rel.meta[0]
    for r in range(m):
        s = rel.seller[r]
        t = rel.tie[r] > 0
        b = rel.blocked[r]
        aware = rel.aware[r]
        bought = rel.purchases[r]
        counts[s, 0] += t
        counts[s, 1] += t and b
        counts[s, 2] += t and (not b) and rel.muted[r]
        counts[s, 3] += aware
        counts[s, 4] += aware and (not b) and rel.trust[r] >= threshold
        counts[s, 5] += bought > 0
        counts[s, 6] += bought > 1
        counts[s, 7] += rel.in_group[r]
        counts[s, 8] += rel.reseller[r]
        counts[s, 9] += (not b) and rel.tie[r] == STRONG
        counts[s, 10] += (not b) and rel.tie[r] == WEAK
        if t:
            sums[s, 0] += rel.trust[r]
            sums[s, 1] += rel.annoyance[r]
    # the reseller columns, from the side table of those ever recruited (relations.py): none in
    # most markets
    for e in range(tree_size(rel)):
        r = rel.tree_row[e]
        s = rel.seller[r]
        counts[s, 11] += rel.tree_stock[e]
        if rel.reseller[r] and rel.tree_level[e] > counts[s, 12]:
            counts[s, 12] = rel.tree_level[e]
    for s in range(n_sellers):
        c = counts[s]
        tied = c[0]
        out[s, STOCK.aware] = c[3]
        out[s, STOCK.interested] = c[4]
        out[s, STOCK.customers] = c[5]
        out[s, STOCK.repeat_customers] = c[6]
        out[s, STOCK.mean_trust] = sums[s, 0] / tied if tied > 0 else np.nan
        out[s, STOCK.mean_annoyance] = sums[s, 1] / tied if tied > 0 else np.nan
        out[s, STOCK.followers] = tied - c[1]
        out[s, STOCK.contacts] = tied
        out[s, STOCK.muted] = c[2]
        out[s, STOCK.blocked] = c[1]
        out[s, STOCK.group_members] = c[7]
        out[s, STOCK.resellers] = c[8]
        out[s, STOCK.strong_ties] = c[9]
        out[s, STOCK.weak_ties] = c[10]
        out[s, STOCK.reseller_stock] = c[11]
        out[s, STOCK.reseller_depth] = c[12]
        out[s, STOCK.brand] = brand[s]
