"""Novelty and face-saving purchases: why a new seller's sales come over weeks, then fade.

Both run on counts of pushed days: days on which the consumer saw a seller's own ads or prize
posts or got her direct message (today included once counted). Per relation, D counts the days
this seller pushed her; per consumer, D_any counts the days any seller did.

**Novelty** (seed 000 L465: the first Moments seller made over a million a month "面对新生事物,
先入为主", because the format was new and users naive; seed 004 L427: customers keep seeking
"新鲜事物"). Sellers' own ads and prize posts count N times in the purchase stimulus and in impulse wants,

    N(D_any) = 1 + ν 2^(−(D_any − 1) / h_N),

so a consumer's first pushed day has the full boost 1 + ν, halved every h_N pushed days:
habituation to the new thing, selling in Moments, with the consumer's own exposure to it (not
with the calendar, and not per seller: a consumer used to sellers' ads meets a new one as
familiar, so the boom is early and fades on its own). ν = ``novelty_boost``, h_N =
``novelty_half_life``.

**Face-saving purchases** (面子/人情: seed 000 L105, trade "基于朋友信任"; L209, 70 % of
contacts are 熟人 whose trust-based buying converts well; seed 001 L31, 人情味). A friend
(weak or strong tie, not muted, not blocked) pushed by the seller today may buy without any
need, to support her business. Its stimulus is

    F = φ_tie × D / (D + D_½)     for a pushed friend who has never bought from her, else 0,

φ_tie = ``face_strong`` or ``face_weak``, D_½ = ``face_half_days``: the obligation grows with
the days she has watched her friend's business (one does not 捧场 on the first post). It is a
purchase channel of its own ("face", rules.purchase), gated by the trust of the tie T_0 (the
relation's baseline), not by trust eroded by the ads nor by annoyance: face belongs to the
friendship, and embarrassment (不好意思, seed 000 L467) keeps even an annoyed friend from refusing;
it ends when she mutes or blocks the seller. Goodwill is spent once: after any purchase from
the seller (face or not) her respects are paid and F = 0. Face buyers are settled like every buyer (rules.settle): the
product is what it is, and they take it home and use it (they are sated).

Their time course is emergent: face purchases rise while the obligation builds and fall as the
friends who would have bought have bought and muting and blocking take the friends out of
reach.
"""

from __future__ import annotations

import numpy as np

from viralsim._jit import kernel
from viralsim.model.relations import STRONG, WEAK


@kernel
def count_pushes(people, rel):
    """Add today to the pushed days D of every relation whose consumer saw the seller's own ads
    or prize posts or got her message today, and to D_any of every consumer pushed by some
    seller (after the feed and the messages, before impulses)."""
    pushed = np.zeros(people.pushed.shape[0], np.bool_)
    for r in range(rel.meta[0]):
        if rel.seen_ad[r] + rel.seen_prize[r] + rel.messages[r] > 0:
            rel.pushed[r] += 1
            pushed[rel.node[r]] = True
    for i in range(pushed.shape[0]):
        people.pushed[i] += pushed[i]


@kernel
def novelty(boost, factor, pushed):
    """N(D_any) = 1 + ν 2^(−(D_any − 1)/h_N) with ``factor`` = 2^(−1/h_N); 1 when never pushed."""
    if boost <= 0.0 or pushed <= 0:
        return 1.0
    return 1.0 + boost * factor ** (pushed - 1)


@kernel
def face_stimulus(phi_strong, phi_weak, d_half, tie, muted, purchases, pushed_today, pushed):
    """F = φ_tie D / (D + D_½) for a friend pushed today who is not muted and never bought; else 0."""
    if not pushed_today or muted or purchases > 0 or pushed <= 0:
        return 0.0
    if tie == STRONG:
        phi = phi_strong
    elif tie == WEAK:
        phi = phi_weak
    else:
        return 0.0
    return phi * (pushed / (pushed + d_half))
