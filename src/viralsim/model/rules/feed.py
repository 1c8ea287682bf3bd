"""The feed: posts compete for a limited daily attention (seed 003 L79; seed 000 L461)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from viralsim.config.schema import FeedParams
from viralsim.model.plan import AD, BUSY, IDLE, LIFE, MARKETING, PRIZE, VALUE, DayPlan
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
                  *, rng: np.random.Generator) -> "FeedResult":
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
    slot_share = np.array([1.0 - feed.idle_hours_share, feed.idle_hours_share])
    visible = [visible_contacts(state, plan.index) for plan in plans]
    resold = []
    for plan in plans:
        s = plan.index
        r_idx = np.empty(0, dtype=np.int64)
        if plan.reseller_posts > 0:
            r_idx = np.flatnonzero((state.reseller_friends[s] > 0) & ~state.blocked[s] & state.is_consumer)
        resold.append(r_idx)
    # Only feeds holding commercial posts need a read probability: work on their union.
    mark = np.zeros(state.n, dtype=bool)
    for idx in visible + resold:
        mark[idx] = True
    union = np.flatnonzero(mark)
    load = np.zeros((2, len(union)))
    commercial = np.zeros(len(union))
    pos_visible = [np.searchsorted(union, idx) for idx in visible]
    pos_resold = [np.searchsorted(union, idx) for idx in resold]
    # Folded marketing posts reach a viewer only on a day she opens the folded block.
    opened = [rng.random(len(idx)) < plan.fold_view_prob if plan.folded else None
              for plan, idx in zip(plans, visible)]
    marketing = list(MARKETING)
    for plan, pv, pr, r_idx, op in zip(plans, pos_visible, pos_resold, resold, opened):
        ads = plan.posts[marketing].sum(axis=0)
        other = plan.posts.sum(axis=0) - ads
        if op is None:
            load[:, pv] += plan.posts.sum(axis=0)[:, None]
            commercial[pv] += ads.sum()
        else:
            load[:, pv] += other[:, None] + ads[:, None] * op[None, :]
            commercial[pv] += ads.sum() * op
        if len(r_idx):
            resold_ads = state.reseller_friends[plan.index, r_idx] * plan.reseller_posts
            load[:, pr] += slot_share[:, None] * resold_ads[None, :]
            commercial[pr] += resold_ads

    feed_size = state.organic[:, union] + load
    attention = feed.attention_per_day * np.array([1.0 - feed.idle_share, feed.idle_share])
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.where(feed_size > 0, (attention[:, None] * state.activity[None, union]) / feed_size, 1.0)
    np.minimum(rho, 1.0, out=rho)
    total = feed_size.sum(axis=0)
    state.commercial_share.fill(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        state.commercial_share[union] = np.where(total > 0, commercial / total, 0.0)
    day.commercial_load[union] = commercial

    totals = np.zeros((len(state.seller_nodes), 5))   # ad, value, life, prize, resold
    by_tie = np.zeros((len(state.seller_nodes), 4))
    targets = {AD: day.seen_ad, VALUE: day.seen_value, LIFE: day.seen_life, PRIZE: day.seen_prize}
    idle_targets = {AD: day.seen_ad_idle, PRIZE: day.seen_prize_idle}
    for plan, idx, pv, r_idx, pr, op in zip(plans, visible, pos_visible, resold, pos_resold, opened):
        s = plan.index
        seen_any = np.zeros(len(idx), dtype=np.int64)
        for c, target in targets.items():
            for k in (BUSY, IDLE):
                if plan.posts[c, k] == 0 or len(idx) == 0:
                    continue
                n_posts = plan.posts[c, k] * op if (op is not None and c in MARKETING) else plan.posts[c, k]
                x = rng.binomial(n_posts, rho[k, pv])
                target[s, idx] += x
                seen_any += x
                totals[s, c] += x.sum()
                if k == IDLE and c in idle_targets:
                    idle_targets[c][s, idx] += x
        by_tie[s] += np.bincount(state.tie[s, idx], weights=seen_any, minlength=4)
        day.touched[s, idx] |= seen_any > 0
        about_product = seen_any - (day.seen_life[s, idx] if plan.posts[LIFE].any() else 0)
        day.saw_posts[s, idx] |= about_product > 0
        if len(r_idx):
            lam = (state.reseller_friends[s, r_idx] * plan.reseller_posts)[None, :] * slot_share[:, None]
            x = rng.poisson(lam * rho[:, pr]).sum(axis=0)
            day.seen_reseller[s, r_idx] += x.astype(np.int32)
            state.aware[s, r_idx] |= x > 0
            day.touched[s, r_idx] |= x > 0
            day.saw_posts[s, r_idx] |= x > 0
            totals[s, 4] += x.sum()
    fold_opened = [idx[op] if op is not None else idx[:0] for idx, op in zip(visible, opened)]
    return FeedResult(by_tie, totals, fold_opened)


def update_activity(state: State, feed: FeedParams) -> None:
    """Platform activity drifts toward 1 - kappa x (commercial share of the feed).

    a(t+1) = a* + (a(t) - a*) 2^(-1/h), a* = 1 - kappa x share: users "reduce their use of WeChat
    because of commercial behaviour" (seed 000 L461) and leave when marketing saturates the feed
    (seed 002 L349). Activity scales the attention a consumer gives her feed.

    Modifies: ``state.activity``.
    """
    f = half_life_factor(feed.activity_half_life)
    a = state.activity
    # a* = 1 - kappa x share, written as 1 - (1 - a) f - (1 - f) kappa x share to skip a temporary.
    a -= 1.0
    a *= f
    a += 1.0
    a -= (1.0 - f) * feed.activity_sensitivity * state.commercial_share
    np.clip(a, 0.0, 1.0, out=a)
    a[state.seller_nodes] = 0.0
