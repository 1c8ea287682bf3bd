"""The feed: posts compete for a limited daily attention (seed 003 L79; seed 000 L461)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from viralsim._jit import binomial, binomial_log, kernel, poisson, seller_streams, uniform
from viralsim.model.outputs import BREAKDOWN
from viralsim.model.rules._util import half_life_factor

STREAM = 7
_B_EXPOSURES = BREAKDOWN.exposures_by_tie
#: what reaches a feed from a relation's seller (bits of deliver_posts' ``what``): her Moments, her
#: folded posts shown, her resellers' ads, friends' forwards of her posts waiting, and readable
_NOTHING, _VISIBLE, _SHOWN, _RESOLD, _WAITING, _FORWARDS = 0, 1, 2, 4, 8, 16
#: log(1/2) less a margin far beyond exp's rounding error: exp of anything below it is < 1/2
_LOG_HALF_BELOW = math.log(0.5) - 1e-9


class Params(NamedTuple):
    slot0: float            # share of clock hours in the busy slot (mixed posting lands there)
    slot1: float
    attention0: float       # posts a fully active consumer reads in the busy slot
    attention1: float
    fold_prob: float        # P(a viewer opens a folded block today)
    f_activity: float
    activity_pull: float


def prepare(config) -> Params:
    f, pl = config.feed, config.platform
    f_act = half_life_factor(f.activity_half_life)
    return Params(1.0 - f.idle_hours_share, f.idle_hours_share, f.attention_per_day * (1.0 - f.idle_share),
                  f.attention_per_day * f.idle_share, float(pl.fold_view_prob), f_act,
                  (1.0 - f_act) * f.activity_sensitivity)


def organic_load(degree: np.ndarray, feed) -> tuple[np.ndarray, np.ndarray]:
    """Friends' personal posts per slot: O_k(i) = degree(i) x friend_posts_per_day x share_k.

    share = (1 - idle_share, idle_share): friends post where people read (seed 003 L79).
    """
    posts = degree * feed.friend_posts_per_day
    return posts * (1.0 - feed.idle_share), posts * feed.idle_share


@kernel
def deliver_posts(key, today, par, people, sellers, plans, rel, totals, breakdowns):
    """Seller and reseller posts reach feeds; each consumer reads a limited number.

    Per slot k (busy, idle) a consumer's feed holds O_k friends' posts plus C_k commercial posts
    (every visible seller's posts of the slot, plus her reseller friends' ads; the marketing
    posts the platform folded today, ``plans.folded`` (rules.plan), count only on days she opens
    the seller's folded block, probability ``fold_view_prob``, seed 002 L345: "让你同意或者不同
    意"; unopened, they take none of her attention). She reads A_k = attention_per_day x
    share_k x activity posts, so each post is read with probability rho_k = min(1, A_k / (O_k +
    C_k)), and the posts of type c she sees from seller s are X ~ Binomial(posts[c, k], rho_k);
    reseller ads seen ~ Poisson(reseller friends x ads per reseller x slot share x rho_k).
    Posts of the seller her friends forwarded yesterday (``forwarded``, rules.forward) land in
    her feed like her reseller friends' ads, in the slots by the clock-hour shares, and she reads
    X_fwd ~ Binomial(forwarded, share_0 rho_0 + share_1 rho_1) of them (unless she blocked the
    seller); they count as friends' posts about the seller (``seen_reseller`` too: the same
    stimulus, impulse and annoyance as a reseller friend's ad) and make her aware.
    More sellers or more posts per seller dilute everyone's reach: the commons of seed 002 L175
    and seed 003 L321.

    ``totals[s]``: posts seen (ad, value, life, prize, reseller ad, forward); exposures by tie go to
    ``breakdowns``. Sets the day's seen counts, ``touched``, ``saw_posts``, ``opened`` (the
    folded block was opened), ``aware`` (reseller ads, forwards), and the consumers' commercial
    load and share; the forwards delivered are used up (``forwarded`` back to 0).
    """
    n = people.need.shape[0]
    m = rel.meta[0]
    n_s = sellers.node.shape[0]
    streams = seller_streams(key, today, STREAM, n_s)
    # per consumer, side by side (one cache line for a relation's random access): friends' and
    # commercial posts of the busy and the idle slot, the commercial posts alone, and whether
    # some seller's posts reach her feed (1.0); once the feeds are known, the same row holds her
    # read probabilities and their logarithms (rho0, rho1, log(1 - rho0), log(1 - rho1))
    load = np.empty((n, 4))
    for i in range(n):
        load[i, 0] = people.organic0[i]
        load[i, 1] = people.organic1[i]
        load[i, 2] = 0.0
        load[i, 3] = 0.0
    # per relation, what reaches the feed from the seller, found in pass 1 for pass 2: VISIBLE
    # (her Moments), SHOWN (with the folded posts: none folded, or the block opened), RESOLD
    # (her resellers' ads), WAITING (friends' forwards to clear), FORWARDS (and to read)
    what = np.zeros(m, np.uint8)
    folded = np.zeros((n_s, 2), np.int64)   # per seller and slot: marketing posts folded today
    for s in range(n_s):
        for k in range(2):
            folded[s, k] = plans.folded[s, 0, k] + plans.folded[s, 3, k]
    seller, node, tie, muted, blocked = rel.seller, rel.node, rel.tie, rel.muted, rel.blocked
    reseller_friends, is_consumer, forwarded = rel.reseller_friends, people.is_consumer, rel.forwarded
    # Pass 1: every relation adds its seller's posts (or its reseller friends' ads) to the feed.
    for r in range(m):
        s = seller[r]
        i = node[r]
        w = _NOTHING
        # visible: the consumer sees the seller's Moments (tied, not muted, not blocked)
        if tie[r] > 0 and not muted[r] and not blocked[r] and is_consumer[i]:
            posts = plans.posts[s]
            ads0 = posts[0, 0] + posts[3, 0]
            ads1 = posts[0, 1] + posts[3, 1]
            shown = True
            if folded[s, 0] + folded[s, 1] > 0:
                shown = uniform(streams[s]) < par.fold_prob
                rel.opened[r] = shown
                if not shown:
                    ads0 -= folded[s, 0]
                    ads1 -= folded[s, 1]
            w = _VISIBLE | _SHOWN if shown else _VISIBLE
            load[i, 0] += posts[1, 0] + posts[2, 0] + ads0
            load[i, 1] += posts[1, 1] + posts[2, 1] + ads1
            load[i, 2] += ads0 + ads1
        if sellers.reseller_posts[s] > 0 and reseller_friends[r] > 0 and not blocked[r]:
            w |= _RESOLD
            ra = reseller_friends[r] * sellers.reseller_posts[s]
            load[i, 0] += par.slot0 * ra
            load[i, 1] += par.slot1 * ra
            load[i, 2] += ra
        if forwarded[r] > 0:
            w |= _WAITING               # (read or scrolled past: gone from tomorrow's feed)
            if not blocked[r] and is_consumer[i]:
                w |= _FORWARDS
                fw = float(forwarded[r])
                load[i, 0] += par.slot0 * fw
                load[i, 1] += par.slot1 * fw
                load[i, 2] += fw
        what[r] = w
        if w != _NOTHING:
            load[i, 3] = 1.0
    for i in range(n):
        # Feeds without commercial posts have share 0 (and every seller node has comm = 0).
        comm = load[i, 2]
        people.commercial_share[i] = comm / (load[i, 0] + load[i, 1]) if comm > 0.0 else 0.0
        people.commercial_load[i] = comm
        if load[i, 3] > 0.0:
            # (only for the feeds pass 2 reads: a small market's consumers mostly follow no seller)
            rho0 = _read_prob(par.attention0 * people.activity[i], load[i, 0])
            rho1 = _read_prob(par.attention1 * people.activity[i], load[i, 1])
            load[i, 0] = rho0
            load[i, 1] = rho1
            load[i, 2] = np.log1p(-rho0) if rho0 < 1.0 else -np.inf
            load[i, 3] = np.log1p(-rho1) if rho1 < 1.0 else -np.inf
    # Pass 2: with every feed's size known, draw what each feed reads of each seller: the posts
    # of type c read in slot k are Binomial(N_kc, rho_k) (N_kc her visible posts of that type and
    # slot; each post is read independently with the slot's probability), see _read_cells. The
    # read probabilities and their logarithms are in ``load`` (the log -inf for a feed read in full).
    kinds = np.empty((2, 4), np.int64)
    read = np.empty((2, 4), np.int64)
    for r in range(m):
        w = what[r]
        if w == _NOTHING:
            continue                    # (most relations: nothing reaches this feed from s)
        s = seller[r]
        i = node[r]
        waiting = 0
        if w & _WAITING:
            waiting = forwarded[r]      # friends' forwards of her posts, delivered this morning
            forwarded[r] = 0
        rs = streams[s]
        rho0, rho1, lq0, lq1 = load[i, 0], load[i, 1], load[i, 2], load[i, 3]
        if w & _VISIBLE:
            posts = plans.posts[s]
            for k in range(2):
                for c in range(4):
                    kinds[k, c] = posts[c, k] if w & _SHOWN else posts[c, k] - plans.folded[s, c, k]
            _read_cells(kinds, rho0, rho1, lq0, lq1, rs, read)
            seen_any = 0
            for k in range(2):
                for c in range(4):
                    x = read[k, c]
                    seen_any += x
                    totals[s, c] += x
            if seen_any > 0:
                rel.seen_ad[r] += read[0, 0] + read[1, 0]
                rel.seen_ad_idle[r] += read[1, 0]
                rel.seen_value[r] += read[0, 1] + read[1, 1]
                rel.seen_life[r] += read[0, 2] + read[1, 2]
                rel.seen_prize[r] += read[0, 3] + read[1, 3]
                rel.seen_prize_idle[r] += read[1, 3]
            seen_life = read[0, 2] + read[1, 2]
            breakdowns[s, _B_EXPOSURES + tie[r]] += seen_any
            if seen_any > 0:
                rel.touched[r] = True
                if seen_any > seen_life:
                    rel.saw_posts[r] = True
        if w & _RESOLD:
            ra = reseller_friends[r] * sellers.reseller_posts[s]
            x = poisson(ra * par.slot0 * rho0, rs) + poisson(ra * par.slot1 * rho1, rs)
            if x > 0:
                rel.seen_reseller[r] += x
                rel.aware[r] = True
                rel.touched[r] = True
                rel.saw_posts[r] = True
                totals[s, 4] += x
        if w & _FORWARDS:
            x = binomial(waiting, par.slot0 * rho0 + par.slot1 * rho1, rs)
            if x > 0:
                rel.seen_forward[r] += x
                rel.seen_reseller[r] += x
                rel.aware[r] = True
                rel.touched[r] = True
                rel.saw_posts[r] = True
                totals[s, 5] += x


@kernel
def _read_cells(kinds, rho0, rho1, lq0, lq1, rs, read):
    """``read[k, c]``, independent Binomial(kinds[k, c], rho_k) posts of type c read in slot k.

    Most feeds read nothing of a given seller on a given day: one uniform against
    P(all 0) = (1 - rho0)^N0 (1 - rho1)^N1 settles that case (one exp, no other draw). Otherwise
    the cells are drawn conditional on not all being 0: the first cell with a read post is drawn
    from P(cells before j read nothing, cell j reads something) / P(not all 0), that cell's count
    from its binomial conditional on >= 1, the later cells unconditionally. Exact.

    A feed that most likely reads something of the seller (P(all 0) < 1/2: a follower of a
    seller posting dozens of times a day) skips the shortcut, which would cost more than it
    saves, and draws every cell's binomial directly: the same distribution. (It needs P(all 0)
    only to choose that path when its logarithm is near log 1/2: below, the choice is certain.)
    """
    read[:] = 0
    n0 = kinds[0, 0] + kinds[0, 1] + kinds[0, 2] + kinds[0, 3]
    n1 = kinds[1, 0] + kinds[1, 1] + kinds[1, 2] + kinds[1, 3]
    if n0 + n1 == 0:
        return
    log_q = (n0 * lq0 if n0 > 0 else 0.0) + (n1 * lq1 if n1 > 0 else 0.0)
    q = 0.0
    if not log_q < _LOG_HALF_BELOW:
        q = np.exp(log_q)               # (below it, q < 1/2 for certain and is not needed)
    if q < 0.5:
        for k in range(2):
            for c in range(4):
                if kinds[k, c] > 0:
                    read[k, c] = binomial_log(kinds[k, c], rho0 if k == 0 else rho1, lq0 if k == 0 else lq1, rs)
        return
    if uniform(rs) < q:
        return
    # the first cell (in (slot, type) order) with a read post, by inversion
    u = uniform(rs) * (1.0 - q)
    before = 1.0                       # P(every earlier cell read nothing)
    first = -1
    q_first = 1.0
    for j in range(8):
        k, c = j // 4, j % 4
        m = kinds[k, c]
        if m == 0:
            continue
        qj = np.exp(m * (lq0 if k == 0 else lq1))
        p_here = before * (1.0 - qj)
        first, q_first = j, qj
        if u < p_here:
            break
        u -= p_here
        before *= qj
    k, c = first // 4, first % 4
    read[k, c] = _positive_binomial(kinds[k, c], rho0 if k == 0 else rho1, q_first, rs)
    for j in range(first + 1, 8):
        k, c = j // 4, j % 4
        if kinds[k, c] > 0:
            read[k, c] = binomial_log(kinds[k, c], rho0 if k == 0 else rho1, lq0 if k == 0 else lq1, rs)


@kernel
def _positive_binomial(n, p, q0, rs):
    """Binomial(n, p) conditional on X >= 1, given q0 = P(X = 0) in [1/2, 1).

    By inversion from 1 with u uniform on [q0, 1): with q0 >= 1/2, n p <= log 2 / (1 - p) is
    small, so the walk is short. (:func:`_read_cells` takes this path only when the seller's
    whole feed reads nothing with probability q >= 1/2, and a cell's q0 is at least q.)
    """
    u = q0 + (1.0 - q0) * uniform(rs)
    pk = q0
    ratio = p / (1.0 - p)
    x = 0
    while u >= pk and x < n:
        u -= pk
        pk *= ratio * (n - x) / (x + 1)
        x += 1
    return max(x, 1)


@kernel
def _read_prob(attention, feed_size):
    """rho = min(1, A / F), and 1 for an empty feed."""
    return min(1.0, attention / feed_size) if feed_size > 0.0 else 1.0


@kernel
def update_activity(par, people):
    """Platform activity drifts toward 1 - kappa x (commercial share of the feed).

    a(t+1) = a* + (a(t) - a*) 2^(-1/h), a* = 1 - kappa x share: users "reduce their use of
    WeChat because of commercial behaviour" (seed 000 L461) and leave when marketing saturates
    the feed (seed 002 L349). Activity scales the attention a consumer gives her feed; seller
    nodes stay at 0.
    """
    f, pull = par.f_activity, par.activity_pull
    for i in range(people.activity.shape[0]):
        a = 1.0 - (1.0 - people.activity[i]) * f - pull * people.commercial_share[i]
        people.activity[i] = min(1.0, max(0.0, a)) if people.is_consumer[i] else 0.0
