"""Group-buys (拼团): a buyer opens a group that her friends must fill within a window (seed 002
L261-265, L277).

Seed 002 L261-263: in a group-buy each participant becomes a new seed who recruits her friends
through her Moments to complete the group, and the group price is below the solo price; the
bargain-seeking mindset (占便宜, L263, L277) makes friends join; the marketing costs the seller
next to nothing (L265). For a seller with ``group_buy.enabled``:

* **Open.** A consumer whose purchase decision (rules.purchase) picks the seller does not buy at
  once: she opens a group of target size k (``group_buy.size``) that is open from today through
  day today + W - 1 (W = ``group_buy.window_days``). Her need and satiation stay as they were
  before the decision: she has bought nothing yet. A consumer already in an open group buys
  nothing else while she waits: her pick of any seller is dropped the same way.
* **Invite and join.** Every day a group is open, each member, in the order they joined (the
  opener first, members who join today included: a Moments share spreads within the day),
  shows the invitation to each of her friends in the friendship graph, whether or not they
  know the seller. A friend v who is a consumer, not the seller, in no open group, has not
  bought today, has not blocked the seller and may still buy from her (rules.purchase.adoptable:
  with ``repurchase`` off, not a former customer or KOL seed) joins with probability

      p_join = [need_v or impulse toward s] x G_T(T) x G_A(A) x min(1, pf_g x a_inv)

  the purchase rule's gates (rules.purchase: G_T the trust gate, G_A = 1 / (1 + A / A_half) the
  annoyance gate, each off when the purchase rule turns it off), T and A her trust and
  annoyance toward the seller (a consumer who never met her: the new-relation prior and 0),
  pf_g = (P_ref / (P (1 - d)))^eps the price factor at the group price and a_inv
  (``group_buy.invite_conversion``) the stimulus of one invitation. Each invitation is one
  independent draw; the group stops taking members when it has k. A joiner meets the seller
  (a relation is made if none, aware and engaged, as word of mouth makes one), and becomes a
  member who invites her own friends.
* **Fill or fail.** A group with k members is filled: every member buys at the group price
  P (1 - d) (channel ``group_buy``; settled with the day's purchases, rules.settle: satisfaction,
  trust, word of mouth as for any purchase), her need is cleared and she is sated as after any
  purchase. A group still short of k at the end of its last day fails: nobody in it buys and
  its members are free again (judgement: a failed 拼团 is refunded, nobody pays the solo price).

Flows: ``groups_opened``, ``groups_filled``, ``groups_failed``. The open groups live in a
compact array (state.GroupBuys), one slot per group; the day's work is a loop over the open
groups, their members and the members' friends, O(activity). On the implicit complete graph
every other consumer is a friend (O(n) per member). Draws: one uniform per invitation with
p_join > 0, from the seller's own stream (``STREAM``), groups in the order
they were opened.
"""

from __future__ import annotations

import numpy as np

from viralsim._jit import kernel, seller_streams, uniform
from viralsim.model.outputs import CHANNEL, FLOW
from viralsim.model.relations import add_row, find_row, reserve
from viralsim.model.rules.purchase import adoptable, gated

STREAM = 23
GROUP_BUY = CHANNEL.group_buy
_F_OPENED, _F_FILLED, _F_FAILED = FLOW.groups_opened, FLOW.groups_filled, FLOW.groups_failed


@kernel
def join_probability(par, want, trust, annoyance, pf_g, invite):
    """p_join of one invitation (module docstring): the purchase rule's trust and annoyance
    gates (``par`` its Params) times min(1, pf_g a_inv), 0 without a want."""
    if not want:
        return 0.0
    return gated(par, min(1.0, pf_g * invite), trust, annoyance)


@kernel
def open_groups(today, people, sellers, rel, buyer_rows, buyer_channels, k, need0, sated0, gb, flows):
    """Today's purchase decisions toward group-buy sellers open groups; decisions of consumers
    waiting in an open group are dropped. Both leave the consumer's need and satiation as they
    were before the decision (``need0``, ``sated0``). Returns the number of purchases kept (in
    their order, at the front of ``buyer_rows``)."""
    kept = 0
    for j in range(k):
        r = buyer_rows[j]
        i = rel.node[r]
        s = rel.seller[r]
        if gb.member_of[i] >= 0 or sellers.gb_on[s]:
            people.need[i] = need0[i]
            people.sated[i] = sated0[i]
            if gb.member_of[i] < 0:
                g = gb.count[0]
                gb.count[0] += 1
                gb.seller[g] = s
                gb.opener[g] = i
                gb.last[g] = i
                gb.size[g] = 1
                gb.target[g] = sellers.gb_size[s]
                gb.deadline[g] = today + sellers.gb_days[s] - 1
                gb.member_of[i] = g
                gb.next_member[i] = -1
                flows[_F_OPENED, s] += 1
            continue
        buyer_rows[kept] = r
        buyer_channels[kept] = buyer_channels[j]
        kept += 1
    return kept


@kernel
def invite_friends(key, today, par, graph, people, sellers, rel, gb, bought):
    """Every open group's members invite their friends (module docstring); ``par`` the purchase
    rule's Params, ``bought`` the consumers who bought today (they join nothing). Returns the
    table (grown if a joiner needed a new relation)."""
    n_s = sellers.node.shape[0]
    streams = seller_streams(key, today, STREAM, n_s)
    n = people.need.shape[0]
    for g in range(gb.count[0]):
        s = gb.seller[g]
        own = sellers.node[s]
        rs = streams[s]
        u = gb.opener[g]
        while u >= 0 and gb.size[g] < gb.target[g]:
            lo, hi = (0, n) if graph.complete else (graph.indptr[u], graph.indptr[u + 1])
            for e in range(lo, hi):
                v = e if graph.complete else graph.indices[e]
                if v == u or v == own or not people.is_consumer[v] or gb.member_of[v] >= 0 or bought[v]:
                    continue
                r = find_row(rel.index, rel.meta, s, v)
                trust, annoyance, want = rel.prior[0], 0.0, people.need[v]
                if r >= 0:
                    if rel.blocked[r] or not adoptable(par, rel.purchases[r], rel.root[r], v):
                        continue        # (one-time adoption: rules.purchase.adoptable)
                    trust, annoyance, want = rel.trust[r], rel.annoyance[r], want or rel.impulse[r]
                p = join_probability(par, want, trust, annoyance, sellers.pf_gb[s], sellers.gb_invite[s])
                if p <= 0.0 or not uniform(rs) < p:
                    continue
                if r < 0:
                    rel = reserve(rel, 1)
                    r = add_row(rel.index, rel.meta, rel.seller, rel.node, s, v)
                rel.aware[r] = True
                rel.engaged[r] = True
                gb.member_of[v] = g
                gb.next_member[v] = -1
                gb.next_member[gb.last[g]] = v
                gb.last[g] = v
                gb.size[g] += 1
                if gb.size[g] >= gb.target[g]:
                    break
            u = gb.next_member[u]
    return rel


@kernel
def close_groups(today, par, sellers, rel, gb, buyer_rows, buyer_channels, k, people, flows):
    """Filled groups sell to every member (appended to today's purchases, channel ``group_buy``);
    groups at their deadline and short of their size fail; both free their members. The open
    groups left keep their order. Returns the number of purchases."""
    w = 0
    for g in range(gb.count[0]):
        s = gb.seller[g]
        filled = gb.size[g] >= gb.target[g]
        if filled or gb.deadline[g] <= today:
            u = gb.opener[g]
            while u >= 0:
                if filled:
                    buyer_rows[k] = find_row(rel.index, rel.meta, s, u)
                    buyer_channels[k] = GROUP_BUY
                    k += 1
                    if not par.always_need:
                        people.need[u] = False
                    if par.sate:
                        people.sated[u] = True
                gb.member_of[u] = -1
                nxt = gb.next_member[u]
                gb.next_member[u] = -1
                u = nxt
            if filled:
                flows[_F_FILLED, s] += 1
            else:
                flows[_F_FAILED, s] += 1
            continue
        if w != g:
            gb.seller[w], gb.opener[w], gb.last[w] = s, gb.opener[g], gb.last[g]
            gb.size[w], gb.target[w], gb.deadline[w] = gb.size[g], gb.target[g], gb.deadline[g]
            u = gb.opener[w]
            while u >= 0:
                gb.member_of[u] = w
                u = gb.next_member[u]
        w += 1
    gb.count[0] = w
    return k


@kernel
def run_group_buys(key, today, par, graph, people, sellers, rel, gb, buyer_rows, buyer_channels, k, need0, sated0,
                   flows):
    """The day's group-buys, after the purchase decisions (module docstring): open, invite and
    join, fill or fail. Returns (table, purchases of the day in ``buyer_rows[:k]``)."""
    k = open_groups(today, people, sellers, rel, buyer_rows, buyer_channels, k, need0, sated0, gb, flows)
    if gb.count[0] == 0:
        return rel, k
    bought = np.zeros(people.need.shape[0], np.bool_)
    for j in range(k):
        bought[rel.node[buyer_rows[j]]] = True
    rel = invite_friends(key, today, par, graph, people, sellers, rel, gb, bought)
    k = close_groups(today, par, sellers, rel, gb, buyer_rows, buyer_channels, k, people, flows)
    return rel, k
