"""The feed: posts compete for a limited daily attention (seed 003 L79; seed 000 L461)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from viralsim._jit import binomial, binomial_small, kernel, poisson, seeded, stream, uniform
from viralsim.config.schema import FeedParams
from viralsim.model.plan import DayPlan
from viralsim.model.rules._util import half_life_factor
from viralsim.model.state import NO_TIE, Day, State


class FeedResult(NamedTuple):
    """What :func:`deliver_posts` reports back to the engine."""

    by_tie: np.ndarray          # (S, 4) exposures to each seller's posts by tie class
    totals: np.ndarray          # (S, 5) posts seen: ad, value, life, prize, reseller ad
    fold_opened: list           # per seller: consumers who opened the folded block today


def organic_load(degree: np.ndarray, feed: FeedParams) -> np.ndarray:
    """Friends' personal posts per slot: O_k(i) = degree(i) x friend_posts_per_day x share_k.

    share = (1 - idle_share, idle_share): friends post where people read (seed 003 L79).
    """
    share = np.array([1.0 - feed.idle_share, feed.idle_share])
    return share[:, None] * (degree * feed.friend_posts_per_day)[None, :]


def visible_contacts(state: State, s: int) -> np.ndarray:
    """Consumers whose feed shows seller ``s``'s Moments: tied, not muted, not blocked."""
    return np.flatnonzero((state.tie[s] > NO_TIE) & ~state.muted[s] & ~state.blocked[s])


def deliver_posts(state: State, day: Day, plans: Sequence[DayPlan], feed: FeedParams,
                  *, rng: np.random.Generator) -> FeedResult:
    """Seller and reseller posts reach feeds; each consumer reads a limited number.

    Per slot k (busy, idle) a consumer's feed holds O_k friends' posts plus C_k commercial posts
    (every visible seller's posts of the slot, plus her reseller friends' ads; a folded
    seller's marketing posts count only on days she opens the folded block, probability
    ``fold_view_prob``, seed 002 L345: "让你同意或者不同意"). She reads A_k = attention_per_day x share_k x activity posts, so
    each post is read with probability rho_k = min(1, A_k / (O_k + C_k)) (C_k including reseller
    ads, A_k including the activity factor) and the posts of type c
    she sees from seller s are X ~ Binomial(posts[c, k], rho_k); reseller ads
    seen ~ Poisson(reseller friends x ads per reseller x slot share x rho_k).
    More sellers or more posts per seller dilute everyone's reach: the commons of seed 002 L175
    and seed 003 L321.

    Returns a :class:`FeedResult`.
    Modifies: ``day.seen_*``, ``day.touched``, ``day.saw_posts``, ``day.commercial_load``,
    ``state.commercial_share``, ``state.aware``.
    """
    n_s = state.n_sellers
    slot_share = np.array([1.0 - feed.idle_hours_share, feed.idle_hours_share])
    attention = feed.attention_per_day * np.array([1.0 - feed.idle_share, feed.idle_share])
    posts = np.zeros((n_s, 4, 2), dtype=np.int64)
    folded = np.zeros(n_s, dtype=bool)
    reseller_posts = np.zeros(n_s)
    active = np.zeros(n_s, dtype=bool)      # sellers without a plan today post nothing
    fold_prob = 0.0
    for plan in plans:
        s = plan.index
        posts[s], folded[s], reseller_posts[s], active[s] = plan.posts, plan.folded, plan.reseller_posts, True
        if plan.folded:
            fold_prob = plan.fold_view_prob
    opened = np.zeros((n_s, state.n), dtype=bool)
    totals = np.zeros((n_s, 5))       # ad, value, life, prize, resold
    by_tie = np.zeros((n_s, 4))
    _deliver_kernel(
        state.tie, state.muted, state.blocked, state.reseller_friends, state.is_consumer,
        state.organic, state.activity, active, posts, folded, fold_prob, reseller_posts,
        slot_share, attention, day.seen_ad, day.seen_value, day.seen_life, day.seen_prize,
        day.seen_ad_idle, day.seen_prize_idle, day.seen_reseller, day.touched, day.saw_posts,
        day.commercial_load, state.commercial_share, state.aware, opened, totals, by_tie, stream(rng))
    fold_opened = [np.flatnonzero(opened[s]) if folded[s] else np.empty(0, dtype=np.int64)
                   for s in range(n_s)]
    return FeedResult(by_tie, totals, fold_opened)


@kernel
def _deliver_kernel(tie, muted, blocked, reseller_friends, is_consumer, organic, activity, active,
                    posts, folded, fold_prob, reseller_posts, slot_share, attention,
                    seen_ad, seen_value, seen_life, seen_prize, seen_ad_idle, seen_prize_idle,
                    seen_reseller, touched, saw_posts, commercial_load, commercial_share, aware,
                    opened, totals, by_tie, words):
    """Per seller: find the feeds that show her posts and add them to the feed load; then, with
    every feed's size known, draw what each of those feeds reads."""
    rs = seeded(words)
    n_s, n = tie.shape
    load0 = np.zeros(n)
    load1 = np.zeros(n)
    comm = np.zeros(n)
    visible = np.empty((n_s, n), np.int64)      # compacted indices, the first n_visible[s] valid
    n_visible = np.zeros(n_s, np.int64)
    shown = np.ones((n_s, n), np.bool_)         # per visible position: marketing shown (fold opened)
    resold = np.empty((n_s, n), np.int64)
    n_resold = np.zeros(n_s, np.int64)
    for s in range(n_s):
        if not active[s]:
            continue
        ads0 = posts[s, 0, 0] + posts[s, 3, 0]
        ads1 = posts[s, 0, 1] + posts[s, 3, 1]
        all0 = posts[s, 0, 0] + posts[s, 1, 0] + posts[s, 2, 0] + posts[s, 3, 0]
        all1 = posts[s, 0, 1] + posts[s, 1, 1] + posts[s, 2, 1] + posts[s, 3, 1]
        # Branch-free compaction (seller nodes have no tie, so only consumers are visible).
        k = 0
        for i in range(n):
            visible[s, k] = i
            k += (tie[s, i] > 0) & (not muted[s, i]) & (not blocked[s, i])
        n_visible[s] = k
        for j in range(k):
            i = visible[s, j]
            if folded[s]:
                shown[s, j] = uniform(rs) < fold_prob
                opened[s, i] = shown[s, j]
            if shown[s, j]:
                load0[i] += all0
                load1[i] += all1
                comm[i] += ads0 + ads1
            else:
                load0[i] += all0 - ads0
                load1[i] += all1 - ads1
        if reseller_posts[s] > 0:
            k = 0
            for i in range(n):
                resold[s, k] = i
                k += (reseller_friends[s, i] > 0) & (not blocked[s, i]) & is_consumer[i]
            n_resold[s] = k
            for j in range(k):
                i = resold[s, j]
                ra = reseller_friends[s, i] * reseller_posts[s]
                load0[i] += slot_share[0] * ra
                load1[i] += slot_share[1] * ra
                comm[i] += ra
    for i in range(n):
        # Feeds without commercial posts have share 0 (and every seller node has comm = 0).
        total = organic[0, i] + load0[i] + organic[1, i] + load1[i]
        commercial_share[i] = comm[i] / total if comm[i] > 0.0 else 0.0
        commercial_load[i] = comm[i]
    targets = (seen_ad, seen_value, seen_life, seen_prize)
    for s in range(n_s):
        for j in range(n_visible[s]):
            i = visible[s, j]
            rho0 = _read_prob(attention[0] * activity[i], organic[0, i] + load0[i])
            rho1 = _read_prob(attention[1] * activity[i], organic[1, i] + load1[i])
            # One log per slot serves every content type's draw (same read probability).
            lq0 = np.log1p(-rho0) if rho0 < 1.0 else 0.0
            lq1 = np.log1p(-rho1) if rho1 < 1.0 else 0.0
            seen_any = 0
            seen_life_s = 0
            for c in range(4):
                if (c == 0 or c == 3) and not shown[s, j]:
                    continue            # folded marketing posts, block not opened today
                for k in range(2):
                    m = posts[s, c, k]
                    if m == 0:
                        continue
                    rho = rho0 if k == 0 else rho1
                    if m * rho <= 20.0 and 0.0 < rho <= 0.9:
                        x = binomial_small(m, rho, lq0 if k == 0 else lq1, rs)
                    else:
                        x = binomial(m, rho, rs)
                    if x == 0:
                        continue
                    targets[c][s, i] += x
                    seen_any += x
                    totals[s, c] += x
                    if c == 2:
                        seen_life_s += x
                    if k == 1 and c == 0:
                        seen_ad_idle[s, i] += x
                    elif k == 1 and c == 3:
                        seen_prize_idle[s, i] += x
            by_tie[s, tie[s, i]] += seen_any
            if seen_any > 0:
                touched[s, i] = True
                if seen_any > seen_life_s:
                    saw_posts[s, i] = True
        for j in range(n_resold[s]):
            i = resold[s, j]
            rho0 = _read_prob(attention[0] * activity[i], organic[0, i] + load0[i])
            rho1 = _read_prob(attention[1] * activity[i], organic[1, i] + load1[i])
            ra = reseller_friends[s, i] * reseller_posts[s]
            x = poisson(ra * slot_share[0] * rho0, rs) + poisson(ra * slot_share[1] * rho1, rs)
            if x > 0:
                seen_reseller[s, i] += x
                aware[s, i] = True
                touched[s, i] = True
                saw_posts[s, i] = True
                totals[s, 4] += x


@kernel
def _read_prob(attention, feed_size):
    """rho = min(1, A / F), and 1 for an empty feed."""
    return min(1.0, attention / feed_size) if feed_size > 0.0 else 1.0


def update_activity(state: State, feed: FeedParams) -> None:
    """Platform activity drifts toward 1 - kappa x (commercial share of the feed).

    a(t+1) = a* + (a(t) - a*) 2^(-1/h), a* = 1 - kappa x share: users "reduce their use of WeChat
    because of commercial behaviour" (seed 000 L461) and leave when marketing saturates the feed
    (seed 002 L349). Activity scales the attention a consumer gives her feed.

    Modifies: ``state.activity``.
    """
    f = half_life_factor(feed.activity_half_life)
    _update_activity_kernel(state.activity, state.commercial_share, state.is_consumer, f,
                            (1.0 - f) * feed.activity_sensitivity)


@kernel
def _update_activity_kernel(activity, commercial_share, is_consumer, f, pull):
    """a <- clip(1 - (1 - a) f - (1 - f) kappa share, 0, 1); seller nodes stay at 0."""
    for i in range(activity.shape[0]):
        a = 1.0 - (1.0 - activity[i]) * f - pull * commercial_share[i]
        activity[i] = min(1.0, max(0.0, a)) if is_consumer[i] else 0.0
