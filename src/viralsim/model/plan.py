"""A seller's actions for one day, decided by the seller agent and carried out by the rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from viralsim._rng import stochastic_round
from viralsim.config.schema import FeedParams, PlatformParams, Product, Strategy

#: content types, in the order of ``DayPlan.posts`` rows
CONTENT = ("ad", "value", "life", "prize")
AD, VALUE, LIFE, PRIZE = range(4)
#: marketing content, the kind the platform folds (seed 002 L347: commodity text and images)
MARKETING = (AD, PRIZE)
#: attention slots, the columns of ``DayPlan.posts`` (seed 003 L79-81)
BUSY, IDLE = 0, 1


@dataclass(frozen=True)
class DayPlan:
    """What seller ``index`` does today.

    ``posts[c, k]`` is the number of posts of content type ``c`` in slot ``k``. When ``folded``,
    the marketing posts are collapsed behind a warning that each viewer opens with probability
    ``fold_view_prob`` per day (rules.feed.deliver_posts).
    """

    index: int
    strategy: Strategy
    product: Product
    posts: np.ndarray          # (4, 2) int
    folded: bool
    fold_view_prob: float
    strangers: int
    messages: int
    group_posts: int
    invites: int
    reseller_posts: float      # expected ads per reseller per day (split over slots)


def is_folded(strategy: Strategy, platform: PlatformParams) -> bool:
    """Harassment prompt: marketing posts of accounts above the frequency threshold are folded.

    Rule (seed 002 L345-351): under ``harassment_prompt`` the platform hides marketing posts
    (ads, promotions) of an account posting more than ``fold_threshold`` posts a day behind a
    warning ("疑似骚扰"); a viewer sees them only on days she opts in (``fold_view_prob``).
    """
    return platform.moderation == "harassment_prompt" and strategy.posts_per_day > platform.fold_threshold


def plan_day(index: int, strategy: Strategy, product: Product, feed: FeedParams,
             platform: PlatformParams, *, rng: np.random.Generator) -> DayPlan:
    """Draw today's integer action counts from the strategy's daily rates.

    Posts: N ~ stochastic rounding of ``posts_per_day``; types ~ Multinomial(N, content mix);
    slot: all busy, all idle, or ``mixed`` = spread over the clock, landing in the idle slot
    with probability ``feed.idle_hours_share`` (seed 003 L81: busy = workdays 08-18).
    """
    mix = strategy.content
    n_posts = stochastic_round(strategy.posts_per_day, rng)
    if strategy.posting_slot == "busy":
        slot = (1.0, 0.0)
    elif strategy.posting_slot == "idle":
        slot = (0.0, 1.0)
    else:
        slot = (1.0 - feed.idle_hours_share, feed.idle_hours_share)
    # Type ~ Multinomial(mix) then slot ~ Binomial(share) per type is one multinomial over the
    # 4 x 2 (type, slot) cells with probabilities mix_c x slot_k: one draw instead of two.
    cells = [m * k for m in (mix.ad, mix.value, mix.life, mix.prize) for k in slot]
    total = sum(cells)
    if abs(total - 1.0) > 1e-12:
        # The schema accepts shares summing to 1 within 1e-6; NumPy raises when the cells sum to
        # more than 1 + 1e-12 and hands any deficit to the last cell (idle prize posts), so such
        # a mix is rescaled. Sums within rounding of 1 are left alone (same draws as ever).
        cells = [c / total for c in cells]
    posts = rng.multinomial(n_posts, cells).reshape(4, 2)
    groups = strategy.groups
    return DayPlan(
        index=index,
        strategy=strategy,
        product=product,
        posts=posts,
        folded=is_folded(strategy, platform),
        fold_view_prob=platform.fold_view_prob,
        strangers=stochastic_round(strategy.strangers_per_day, rng),
        messages=stochastic_round(strategy.messages_per_day, rng),
        group_posts=stochastic_round(groups.posts_per_day, rng) if groups.enabled else 0,
        invites=stochastic_round(groups.invites_per_day, rng) if groups.enabled else 0,
        reseller_posts=strategy.reseller_posts_per_day,
    )
