"""A seller's actions for one day: integer counts drawn from the strategy's daily rates.

Posts: N ~ stochastic rounding of ``posts_per_day``; (content type, slot) cells ~
Multinomial(N, mix_c x slot_k), slot = all busy, all idle, or ``mixed`` = spread over the clock,
landing in the idle slot with probability ``feed.idle_hours_share`` (seed 003 L81: busy =
workdays 08-18). Strangers added, messages, group posts, invitations and the enquiries she can
answer are the stochastic roundings of their daily rates (an integer with that mean).

Folding (platform moderation, seed 002 L345-351): of the day's marketing posts (ads and prize
posts) in each slot, F ~ Binomial(posts, p_fold) are folded, p_fold = ``Sellers.flag_prob``
(``sellers.flag_prob``: the text, image and frequency triggers). The platform classifies a
post once, so every viewer finds the same posts folded (rules.feed).
"""

from __future__ import annotations

import numpy as np

from viralsim._jit import binomial, kernel, seller_streams, stochastic_round_k

STREAM = 1


@kernel
def plan_day(key, today, sellers, plans, draw):
    """Fill ``plans`` (state.Plans) from each seller's own stream; with ``draw`` False the plans
    are given (tests fix them, the platform's folding included) and only the day's service
    capacity is drawn."""
    n_s = sellers.node.shape[0]
    streams = seller_streams(key, today, STREAM, n_s)
    for s in range(n_s):
        rs = streams[s]
        if not draw:
            plans.capacity[s] = stochastic_round_k(sellers.service_capacity[s], rs)
            continue
        n_posts = stochastic_round_k(sellers.posts_per_day[s], rs)
        # Multinomial by conditional binomials: cell c gets Binomial(left, p_c / p_left).
        left = n_posts
        p_left = 1.0
        for c in range(8):
            p = sellers.cells[s, c]
            if p <= 0.0 or left == 0:
                x = 0
            elif p >= p_left * (1.0 - 1e-12):
                x = left                    # the last cell with any probability takes the rest
            else:
                x = binomial(left, p / p_left, rs)
            plans.posts[s, c // 2, c % 2] = x
            left -= x
            p_left -= p
        plans.strangers[s] = stochastic_round_k(sellers.strangers_per_day[s], rs)
        plans.messages[s] = stochastic_round_k(sellers.messages_per_day[s], rs)
        if sellers.groups_on[s]:
            plans.group_posts[s] = stochastic_round_k(sellers.group_posts_per_day[s], rs)
            plans.invites[s] = stochastic_round_k(sellers.invites_per_day[s], rs)
        else:
            plans.group_posts[s] = 0
            plans.invites[s] = 0
        plans.capacity[s] = stochastic_round_k(sellers.service_capacity[s], rs)
        _fold(s, sellers.flag_prob[s], plans, rs)


@kernel
def _fold(s, p, plans, rs):
    """The seller's folded posts: Binomial(marketing posts, p) per (marketing type, slot) cell;
    no draw without moderation (p = 0) or with every post folded (p = 1)."""
    for c in range(4):
        for k in range(2):
            m = plans.posts[s, c, k]
            if (c != 0 and c != 3) or m == 0 or p <= 0.0:
                plans.folded[s, c, k] = 0
            elif p >= 1.0:
                plans.folded[s, c, k] = m
            else:
                plans.folded[s, c, k] = binomial(m, p, rs)


def empty_plans(n_sellers: int):
    """Zeroed ``state.Plans`` for ``n_sellers`` sellers."""
    from viralsim.model.state import Plans

    z = lambda: np.zeros(n_sellers, dtype=np.int64)  # noqa: E731
    return Plans(np.zeros((n_sellers, 4, 2), dtype=np.int64), z(), z(), z(), z(), z(),
                 np.zeros((n_sellers, 4, 2), dtype=np.int64))
