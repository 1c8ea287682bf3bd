"""The feed: posts compete for a limited daily attention (seed 003 L79; seed 000 L461)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from viralsim._jit import (
    binomial,
    counter_base,
    counter_uniform,
    kernel,
    kernel_inline,
    poisson,
    seller_streams,
    skip_from,
    uniform,
)
from viralsim.model.outputs import BREAKDOWN
from viralsim.model.rules._util import half_life_factor

STREAM = 7
#: the consumers' reads of the posts in their feeds (counter draws per consumer: _read_posts)
STREAM_READS = 29
_B_EXPOSURES = BREAKDOWN.exposures_by_tie
#: what reaches a feed from a relation's seller (bits of deliver_posts' ``what``): her Moments, her
#: folded posts shown, her resellers' ads, friends' forwards of her posts waiting, and readable
_NOTHING, _VISIBLE, _SHOWN, _RESOLD, _WAITING, _FORWARDS = 0, 1, 2, 4, 8, 16


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
    # per consumer, side by side (a row of 32 bytes for a relation's random access): friends' and
    # commercial posts of the busy and the idle slot, the commercial posts alone, and whether
    # some seller's posts reach her feed (1.0); once the feeds are known, the same row holds her
    # read probabilities and their logarithms (rho0, rho1, log(1 - rho0), log(1 - rho1)); and per
    # consumer, per slot the posts until her next read post (-1: not drawn yet), and her reading
    # draws so far (see _read_posts). Two tables, not one row of 7: the C allocator maps an array
    # above 32 MiB afresh each time, and its first writes fault every page in (a row of 56 bytes
    # from 600,000 consumers on: 17 ms a day at 1,000,000, against 1.6 ms for the 4 columns)
    load = np.empty((n, 4))
    skips = np.empty((n, 3))            # (set below for the feeds pass 2 reads, the only ones read)
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
            skips[i, 0] = -1.0
            skips[i, 1] = -1.0
            skips[i, 2] = 0.0
    # Pass 2: with every feed's size known, draw what each feed reads of each seller: each post of
    # slot k is read independently with the slot's probability rho_k, so the posts of type c read
    # in slot k are Binomial(N_kc, rho_k) (N_kc her visible posts of that type and slot), drawn by
    # skipping from one read post of her feed to the next (_read_posts). The read probabilities
    # and their logarithms are in ``load`` (the log -inf for a feed read in full).
    # per seller, her posts by slot and type with the folded ones unopened (0) and shown (1), and
    # each slot's total in column 4: what a relation's feed holds of her, known without a pass
    kinds = np.zeros((n_s, 2, 2, 5), np.int64)
    for s in range(n_s):
        for k in range(2):
            for c in range(4):
                kinds[s, 0, k, c] = plans.posts[s, c, k] - plans.folded[s, c, k]
                kinds[s, 1, k, c] = plans.posts[s, c, k]
                kinds[s, 0, k, 4] += kinds[s, 0, k, c]
                kinds[s, 1, k, 4] += kinds[s, 1, k, c]
    read = np.empty((2, 4), np.int64)
    reads_base = counter_base(key, today, STREAM_READS)
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
        rho0, rho1 = load[i, 0], load[i, 1]
        if w & _VISIBLE and _read_posts(kinds[s, 1 if w & _SHOWN else 0], load, skips, i, reads_base, read):
            seen_any = 0
            for k in range(2):
                for c in range(4):
                    x = read[k, c]
                    seen_any += x
                    totals[s, c] += x
            rel.seen_ad[r] += read[0, 0] + read[1, 0]
            rel.seen_ad_idle[r] += read[1, 0]
            rel.seen_value[r] += read[0, 1] + read[1, 1]
            rel.seen_life[r] += read[0, 2] + read[1, 2]
            rel.seen_prize[r] += read[0, 3] + read[1, 3]
            rel.seen_prize_idle[r] += read[1, 3]
            breakdowns[s, _B_EXPOSURES + tie[r]] += seen_any
            rel.touched[r] = True
            if seen_any > read[0, 2] + read[1, 2]:
                rel.saw_posts[r] = True     # (posts other than her life posts)
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


@kernel_inline
def _read_posts(kinds, load, skips, i, base, read):
    """``read[k, c]``: of the ``kinds[k, c]`` posts of type c in slot k that one seller puts in
    consumer i's feed (``kinds[k, 4]`` their total), the ones she reads, each independently with
    probability rho_k. Returns whether she reads any (``read`` is set only then).

    A feed's read posts are the successes of a Bernoulli(rho_k) trial per post, so the distance
    from one read post to the next is Geometric(rho_k) (memoryless: where a seller's posts begin
    in the feed does not matter). Her feed is read seller after seller: ``skips[i, k]`` holds
    how many posts of slot k remain until her next read post, drawn at her first seller's posts
    of the day (-1 before it); a seller whose N_k posts end before it reads none of them and
    moves it N_k closer, otherwise the read post is the one at that position (a seller's posts
    in type order) and the next is a fresh skip away. So each cell is Binomial(N_kc, rho_k), all
    cells and sellers independent, at a draw per read post (and one per slot and feed), where a
    draw per seller and cell costs a random branch each: most feeds read nothing of most
    sellers on most days. The skips are the consumer's own draws, counted in ``skips[i, 2]``
    (:func:`viralsim._jit.counter_uniform` from ``base``, the rule's word of the day): what she
    reads depends on the posts in her feed (which folded blocks she opened among them), not on how
    many draws any seller's stream made before. A feed
    read in full (log(1 - rho_k) = -inf) skips 1 post each time, a feed that reads nothing
    (rho_k = 0) skips past every post (:func:`viralsim._jit.skip_from` saturates). Skipping by
    geometric gaps between successes is the classic way to draw Bernoulli trials of one
    probability (Devroye 1986, X.2; Batagelj & Brandes 2005 for random graphs).
    """
    any_read = False
    for k in range(2):
        n_k = kinds[k, 4]
        if n_k == 0:
            continue
        gap = skips[i, k]
        if gap < 0.0:
            gap = float(_skip(load, skips, i, k, base))
        if gap > n_k:
            skips[i, k] = gap - n_k     # (exact below 2^53; a skip beyond it reads nothing today)
            continue
        if not any_read:
            read[:] = 0
            any_read = True
        at = int(gap)                      # the read post, 1 .. n_k
        c, end = 0, kinds[k, 0]            # its type: the posts of types < c end before ``end``
        while at <= n_k:
            while at > end:
                c += 1
                end += kinds[k, c]
            read[k, c] += 1
            at += _skip(load, skips, i, k, base)
        skips[i, k] = float(at - n_k)
    return any_read


@kernel
def _skip(load, skips, i, k, base):
    """Consumer i's next Geometric(rho_k) skip, from her next counter draw. A feed read in full
    (rho_k = 1, log(1 - rho_k) = -inf) skips 1 post whatever the draw, so its draw is counted but
    not made (the independent cascade of benchmarks/bench_peers.py reads every feed in full)."""
    j = int(skips[i, 2])
    skips[i, 2] = j + 1.0
    log_q = load[i, 2 + k]
    if log_q == -np.inf:
        return 1
    return skip_from(counter_uniform(base, i, j), log_q)


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
