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
    rounding is the same on every machine. Returns each seller's reach: her relations touched
    today (the day's counters, ``relations.DAY_COLUMNS``).
    """
    counts = np.zeros((n_sellers, 13), np.int64)    # tied, blocked, muted, aware, interested,
    sums = np.zeros((n_sellers, 2))                  # customers, repeat, members, resellers, strong, weak,
                                                     # units in stock, deepest reseller level
    reach = np.zeros(n_sellers, np.int64)
    seller, tie, blocked, muted, aware, purchases = rel.seller, rel.tie, rel.blocked, rel.muted, rel.aware, \
        rel.purchases
    trust, annoyance, in_group, reseller, touched = rel.trust, rel.annoyance, rel.in_group, rel.reseller, rel.touched
    m = rel.meta[0]
    start = 0
    while start < m:
        # A run of rows of one seller (rows are made in runs of a seller: a seller's new
        # contacts, the friends her buyers tell), counted in registers, then added to her row.
        s = seller[start]
        end = start + 1
        while end < m and seller[end] == s:
            end += 1
        c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = c10 = reached = 0
        for j in range(end - start):
            # (an unsigned row: Numba wraps a possibly negative index around, a select per load
            # that kept LLVM from vectorizing this loop; a loop from 0 needs no such cast, as LLVM
            # sees its index is never negative. 8.0 -> 3.6 us for a run of 1,551 rows, 16.2 ->
            # 10.4 ms at day 150 of the 1,000-seller market)
            r = np.uint64(start + j)
            tie_r = tie[r]
            t = tie_r > 0
            keep = not blocked[r]       # (& below, not "and": no branch on these coin flips)
            a = aware[r]
            bought = purchases[r]
            c0 += t
            c1 += t & (not keep)
            c2 += t & keep & muted[r]
            c3 += a
            c4 += a & keep & (trust[r] >= threshold)
            c5 += bought > 0
            c6 += bought > 1
            c7 += in_group[r]
            c8 += reseller[r]
            c9 += keep & (tie_r == STRONG)
            c10 += keep & (tie_r == WEAK)
            reached += touched[r]
        trust_sum, annoyance_sum = sums[s, 0], sums[s, 1]     # (added in row order, as ever)
        for j in range(end - start):
            r = np.uint64(start + j)
            if tie[r] > 0:
                trust_sum += trust[r]
                annoyance_sum += annoyance[r]
        counts[s, 0] += c0
        counts[s, 1] += c1
        counts[s, 2] += c2
        counts[s, 3] += c3
        counts[s, 4] += c4
        counts[s, 5] += c5
        counts[s, 6] += c6
        counts[s, 7] += c7
        counts[s, 8] += c8
        counts[s, 9] += c9
        counts[s, 10] += c10
        reach[s] += reached
        sums[s, 0] = trust_sum
        sums[s, 1] = annoyance_sum
        start = end
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
    return reach
