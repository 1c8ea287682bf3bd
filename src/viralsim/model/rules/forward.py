"""Forwarding (转发): consumers forward the seller's posts they read to their own Moments.

Sellers ask their users to share the account and its posts to Moments and QQ groups (seed 000
L163: 口碑营销 ... 分享到朋友圈), and on Weibo what a post reaches is measured by its forwards
over every generation, A→B→C→D (seed 003 L95), not by the fans it has (seed 003 L61).

**Who forwards what.** After the day's mute and block, consumer i who read posts of seller s
today (the feed's seen counts, rules.feed) forwards each one independently with probability

    P(forward a post of type c) = p_c x G_T(T) x G_A(A)

p_prize, p_value, p_ad (``forward.prize_prob`` etc.) for the seller's own prize posts, value posts
and ads, and p_fwd (``forward.forwarded_prob``) for a friend's forward of her post read today,
the next generation of the cascade (seed 003 L95). A prize post read in the idle slot has
min(1, p_prize m), an ad read there p_ad / m, m = ``forward.idle_factor`` >= 1: the Volvo Weibo
study (seed 003 L127-135, N = 341) finds prize-activity posts forwarded most (有奖活动类微博最能够
刺激转发), then brand events, product posts least, and idle-time posts forwarded more, except
product posts (L133). Only the orderings come from the study; every size is judgement (its
coefficients table is missing). G_T and G_A are the purchase rule's own gates on her trust T and
(today's) annoyance A toward s (rules.purchase: G_T = T^h / (T^h + T_half^h), 1 without trust
gating; G_A = 1 / (1 + A / A_half), 1 with annoyance off): a fan forwards, an annoyed contact
hardly does. A consumer who has muted or blocked the seller forwards nothing. Life posts are
personal and are not forwarded. The counts: X ~ Binomial(posts read of that kind, P).

**Where forwards go.** k posts forwarded by i reach every friend v of i (consumers only; the
seller's own node is skipped) as ``forwarded[s, v] += k``, made at the stranger prior if v has
no relation with s yet, as word of mouth makes them (rules.wom). They sit in v's feed the next
day like a reseller friend's ads (rules.feed): they take her attention, she reads each with her
read probability, a read one makes her aware of s and counts, like a reseller friend's ad, in
her friends'-ads stimulus X_res (purchase, impulse and annoyance: rules.purchase, rules.needs,
rules.annoyance), and she may forward it again (p_fwd). The friends'-ads channel is used rather
than a channel of its own: a forward is a friend's post about the seller's product in her own
Moments, which is what a reseller's ad is too (seed 002 L171), and so it persuades and annoys
the same way; flows ``forwards`` and ``forwards_read`` keep the two apart in the outputs.

Left out: zombie fans, who cannot forward (seed 003 L61), since followers are not split into real
and zombie ones; forwards to QQ groups and group chats; comments; the value posts' idle-slot
effect (the study's brand events do better in idle time, L135; the feed does not record the
slot of a value post read).

Cost: O(relations with a post read today + forwards x forwarder's degree); nothing at all when
every probability is 0 (``Params.on``). Draws from the seller's stream ``STREAM`` (rules of
every seller in the order of her relations), so one seller's forwards never move another's draws.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from viralsim._jit import binomial, kernel, seller_streams
from viralsim.model.outputs import FLOW
from viralsim.model.relations import add_row, reserve
from viralsim.model.rules._util import most_reached
from viralsim.model.rules.purchase import gated

STREAM = 28
_F_FORWARDS = FLOW.forwards
#: most forwards waiting in one feed (an int32 column: saturates rather than wraps)
_MOST_WAITING = 2**31 - 1


class Params(NamedTuple):
    on: bool                # some probability is positive
    prize: float            # p_prize
    value: float            # p_value
    ad: float               # p_ad
    forwarded: float        # p_fwd
    idle: float             # m


def prepare(config) -> Params:
    f = config.forward
    on = f.prize_prob > 0 or f.value_prob > 0 or f.ad_prob > 0 or f.forwarded_prob > 0
    return Params(bool(on), float(f.prize_prob), float(f.value_prob), float(f.ad_prob), float(f.forwarded_prob),
                  float(f.idle_factor))


@kernel
def forwards_of(par, g, prize, prize_idle, value, ad, ad_idle, forwarded, rs):
    """Posts a consumer forwards today of those she read of one seller (prize posts, those of
    them read in the idle slot, value posts, ads, those read idle, friends' forwards), given her
    gate product g. Takes the counts as scalars (a call with the relation table would pass all of
    its arrays)."""
    k = binomial(prize - prize_idle, par.prize * g, rs)
    k += binomial(prize_idle, min(1.0, par.prize * par.idle) * g, rs)
    k += binomial(value, par.value * g, rs)
    k += binomial(ad - ad_idle, par.ad * g, rs)
    k += binomial(ad_idle, par.ad / par.idle * g, rs)
    k += binomial(forwarded, par.forwarded * g, rs)
    return k


@kernel
def forward_posts(key, today, par, gates, graph, people, sellers, rel, flows):
    """The day's forwards, seller by seller (see the module docstring). Returns the table (grown
    when the forwards reach consumers without a relation to the seller)."""
    if not par.on:
        return rel
    n_s = sellers.node.shape[0]
    streams = seller_streams(key, today, STREAM, n_s)
    senders = np.empty(0, np.int64)
    counts = np.empty(0, np.int64)
    for s in range(n_s):
        rs = streams[s]
        lo = rel.seller_seg[0, s]
        hi = lo + rel.seller_seg[1, s]
        if senders.shape[0] < hi - lo:
            senders = np.empty(hi - lo, np.int64)
            counts = np.empty(hi - lo, np.int64)
        m = 0
        # (the rows in the by-seller view: a relation made after the feed has read nothing today)
        for j in range(lo, hi):
            r = rel.seller_pool[j]
            if rel.muted[r] or rel.blocked[r]:
                continue
            if rel.seen_ad[r] + rel.seen_prize[r] + rel.seen_value[r] + rel.seen_forward[r] == 0:
                continue                # (most relations: nothing of hers read today)
            i = rel.node[r]
            if not people.is_consumer[i]:
                continue
            # (the purchase rule's gates, ``gates`` its Params: G_T(T) G_A(A))
            k = forwards_of(par, gated(gates, 1.0, rel.trust[r], rel.annoyance[r]), rel.seen_prize[r],
                            rel.seen_prize_idle[r], rel.seen_value[r], rel.seen_ad[r], rel.seen_ad_idle[r],
                            rel.seen_forward[r], rs)
            if k > 0:
                senders[m] = i
                counts[m] = k
                m += 1
        if m == 0:
            continue
        rel = reserve(rel, most_reached(graph, senders[:m]))
        own = sellers.node[s]
        index, meta, seller, node, waiting = rel.index, rel.meta, rel.seller, rel.node, rel.forwarded
        is_consumer = people.is_consumer
        total = 0
        for j in range(m):
            u, k = senders[j], counts[j]
            total += k
            if graph.complete:
                for v in range(graph.n):
                    if v != u:
                        _deliver(index, meta, seller, node, waiting, is_consumer, s, own, v, k)
            else:
                for e in range(graph.indptr[u], graph.indptr[u + 1]):
                    _deliver(index, meta, seller, node, waiting, is_consumer, s, own, graph.indices[e], k)
        flows[_F_FORWARDS, s] += total
    return rel


@kernel
def _deliver(index, meta, seller, node, waiting, is_consumer, s, own, v, k):
    """k forwarded posts of seller s into friend v's feed for tomorrow (the table's arrays, not
    the table: see relations.find_row)."""
    if not is_consumer[v] or v == own:
        return
    r = add_row(index, meta, seller, node, s, v)
    waiting[r] = min(np.int64(waiting[r]) + k, _MOST_WAITING)
