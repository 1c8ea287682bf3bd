"""Reference engine: the same model written as plain per-agent Mesa code, for verification.

Select it with ``engine: reference`` in a run configuration (``simulate`` dispatches on it).
Every consumer is one :class:`ConsumerAgent` on a :class:`mesa.discrete_space.Network` built
from the run's friendship graph; every seller is one :class:`SellerAgent` on her own node.
Each rule of docs/model.md §3.3 is one plainly named method, with a docstring naming its
section, and :meth:`ReferenceModel.step` calls them in the order of docs/model.md §1.3 (the
order of ``pipeline.run_day``).

What is shared with the fast engine, and what is not:

* **Shared (so both engines see the same inputs):** the configuration, the random streams of
  ``viralsim._rng``, the graph (built from the ``network`` stream), the seller placement
  (``sellers.place_sellers`` on the ``placement`` stream) and the output definitions
  (``metrics.summarize``, ``metrics.group_frame``). Same seed, same graph, same seller nodes.
* **Written independently:** everything else: circles, initial needs and tolerances, the
  sellers' daily plans (:func:`plan_day`), the stocks and cascade sizes, and every daily
  rule. Random numbers are drawn one agent at a time, in a different order and number
  than in the vectorised engine, so the two engines agree in distribution, not run by run.
  ``tests/docking`` checks that agreement statistically (docs/verification.md).

It is meant to be read and is slow: about a thousand consumers for a few months in seconds.
Nothing here is optimised; where a choice exists, the code follows the text of docs/model.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import FixedAgent, Network

from viralsim._rng import stochastic_round, streams
from viralsim.config.schema import MAX_RESELLER_LEVEL, FeedParams, PlatformParams, Product, RunConfig, Strategy
from viralsim.metrics import (
    COUNT_COLUMNS,
    DAILY_COLUMNS,
    MARKET_COLUMNS,
    STOCK_COLUMNS,
    RunResult,
    group_frame,
    grouped,
    summarize,
)
from viralsim.model.events import EventQueue, work_out
from viralsim.model.outputs import CHANNELS
from viralsim.model.relations import NO_TIE, STRANGER, STRONG, TIE_NAMES, WEAK
from viralsim.model.sellers import SellerGroups, SellerSetup, place_sellers, sellers_of
from viralsim.model.stepping import run_days
from viralsim.network import Topology
from viralsim.network.build import build_network

FACE_CHANNEL = CHANNELS.index("face")
GROUP_BUY_CHANNEL = CHANNELS.index("group_buy")

__all__ = ["ConsumerAgent", "ReferenceModel", "Relation", "SellerAgent", "Today"]

# -- the seller's daily plan, drawn from the run's generator in Python ---------------------------

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

    ``posts[c, k]`` is the number of posts of content type ``c`` in slot ``k``; ``folded[c, k]``
    of them (marketing posts only) are collapsed behind a warning that each viewer opens with
    probability ``fold_view_prob`` per day (§3.3.1, §3.3.7).
    """

    index: int
    strategy: Strategy
    product: Product
    posts: np.ndarray          # (4, 2) int
    folded: np.ndarray         # (4, 2) int: the posts the platform folds today
    fold_view_prob: float
    strangers: int
    messages: int
    group_posts: int
    invites: int
    reseller_posts: float      # expected ads per reseller per day (split over slots)


def fold_probability(strategy: Strategy, platform: PlatformParams) -> float:
    """§3.3.1: the harassment prompt folds a marketing post flagged by its text, its image (each
    checked on its own) or its account's frequency (seed 002 L345-351)."""
    if platform.moderation != "harassment_prompt":
        return 0.0
    if strategy.posts_per_day > platform.fold_threshold:
        return 1.0
    missed = (1.0 - platform.flag_text) * (1.0 - platform.flag_image)
    return 1.0 - missed


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
    strangers = stochastic_round(strategy.strangers_per_day, rng)
    messages = stochastic_round(strategy.messages_per_day, rng)
    group_posts = stochastic_round(groups.posts_per_day, rng) if groups.enabled else 0
    invites = stochastic_round(groups.invites_per_day, rng) if groups.enabled else 0
    return DayPlan(
        index=index,
        strategy=strategy,
        product=product,
        posts=posts,
        folded=fold_posts(posts, fold_probability(strategy, platform), rng),
        fold_view_prob=platform.fold_view_prob,
        strangers=strangers,
        messages=messages,
        group_posts=group_posts,
        invites=invites,
        reseller_posts=strategy.reseller_posts_per_day,
    )


def fold_posts(posts: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    """§3.3.1: each marketing post (ad, prize) is folded with probability p; the platform
    classifies a post once, so all its viewers find it folded."""
    folded = np.zeros_like(posts)
    for ctype in MARKETING:
        for k in (BUSY, IDLE):
            folded[ctype, k] = rng.binomial(int(posts[ctype, k]), p) if 0.0 < p < 1.0 else posts[ctype, k] * (p >= 1.0)
    return folded


SLOTS = (BUSY, IDLE)
CONTENT_TYPES = (AD, VALUE, LIFE, PRIZE)
MARKETING_TYPES = (AD, PRIZE)
#: flows summed per seller and day (the same names as ``outputs.FLOW_KEYS``)
FLOWS = ("posts", "posts_folded", "exposures_ad", "exposures_value", "exposures_life", "exposures_prize",
         "exposures_reseller", "messages_sent", "reach", "purchases", "purchases_wom", "revenue", "cost",
         "wom_positive", "wom_negative", "enquiries", "replies", "strangers_added", "new_followers",
         "ties_strengthened", "ties_weakened", "ties_broken", "groups_opened", "groups_filled", "groups_failed",
         "commission", "loaded_resellers", "forwards", "forwards_read")
#: run totals needed by ``metrics.summarize`` (sizes as in the fast engine)
BREAKDOWNS = {"channels": len(CHANNELS), "exposures_by_tie": 4, "seller_conversions_by_tie": 4,
              "wom_sent_by_tie": 2, "wom_conversions_by_tie": 2, "new_followers_by_channel": 3,
              "ties_broken_by_tie": 4}
#: the moments a consumer may follow a seller, the columns of ``new_followers_by_channel`` (§3.3.23)
FOLLOW_PURCHASE, FOLLOW_REFERRAL, FOLLOW_GROUP = range(3)


def half_life_factor(half_life: float) -> float:
    """Daily factor of a stock with half-life ``h`` days: f(h) = 2^(-1/h) (docs/model.md §3.3)."""
    return 2.0 ** (-1.0 / half_life)


def raise_toward_one(x: float, gain: float, times: int = 1) -> float:
    """Fractional gain g applied ``times`` times: 1 - (1 - x)(1 - g)^times (docs/model.md §3.3)."""
    return 1.0 - (1.0 - x) * (1.0 - gain) ** times


def lower_toward_zero(x: float, loss: float, times: int = 1) -> float:
    """Fractional loss l applied ``times`` times: x (1 - l)^times (docs/model.md §3.3)."""
    return x * (1.0 - loss) ** times


def wear_out(seen: int, memory: float, annoyance_params) -> float:
    """W(X) = E_w ln(1 + X / (E_w + E)); X itself when annoyance is off (§3.3.14)."""
    if not annoyance_params.enabled:
        return float(seen)
    ew = annoyance_params.wearout_exposures
    return ew * math.log1p(min(seen / (ew + memory), 1e300))     # (overflow: W tends to 0, not inf)


def trust_gate(trust: float, purchase_params) -> float:
    """G_T(T) = T^h / (T^h + T_half^h) (§3.3.14); 0 when both powers are 0 (closed gate)."""
    h = purchase_params.trust_steepness
    return _ratio(trust ** h, trust ** h + purchase_params.trust_half ** h)


def annoyance_gate(annoyance: float, annoyance_params) -> float:
    """G_A(A) = 1 / (1 + A / A_half); 1 when annoyance is off (§3.3.14)."""
    if not annoyance_params.enabled:
        return 1.0
    return 1.0 / (1.0 + annoyance / annoyance_params.half_effect)


def price_factor(price: float, purchase_params) -> float:
    """(reference_price / price)^price_elasticity (§3.3.14), held within [1e-100, 1e100] (beyond
    them a purchase probability is 0 or 1 anyway; an infinite or zero factor would make NaN)."""
    ratio = purchase_params.reference_price / price if price > 0.0 else math.inf
    try:
        pf = ratio ** purchase_params.price_elasticity
    except OverflowError:
        pf = math.inf
    return min(max(pf, 1e-100), 1e100)


def hill(x: float, threshold: float, steepness: float) -> float:
    """H(A; θ, h) = A^h / (A^h + θ^h) (§3.3.18); 0 when both powers are 0, and when θ^h overflows."""
    try:
        theta_h = threshold ** steepness
    except OverflowError:
        return 0.0
    return _ratio(x ** steepness, x ** steepness + theta_h)


def _ratio(a: float, b: float) -> float:
    """a / b, and 0 for b = 0 (a gate whose powers both underflow stays shut)."""
    return a / b if b > 0.0 else 0.0


@dataclass
class Relation:
    """What one consumer holds about one seller (docs/model.md §1.2, "Seller × consumer relation")."""

    tie: int = NO_TIE
    trust: float = 0.0
    baseline: float = 0.0
    annoyance: float = 0.0
    memory: float = 0.0
    referral: float = 0.0
    referrer: int = -1
    referrer_strong: bool = False
    root: int = -1
    purchases: int = 0
    bought_friends: int = 0
    reseller_friends: int = 0
    aware: bool = False
    muted: bool = False
    blocked: bool = False
    in_group: bool = False
    reseller: bool = False
    pushed: int = 0             # days on which the seller's own ads or message reached her (§3.3.11)
    upline: int = -1            # the reseller who recruited her, -1 the seller (§3.3.16a)
    level: int = 0              # her level in the reseller tree, 0 never a reseller
    stock: int = 0              # units she holds to resell
    stock_day: int = -1         # the last day her stock moved
    forwarded: int = 0          # the seller's posts her friends forwarded yesterday, in her feed today (§3.3.25)

    @property
    def follows(self) -> bool:
        """A contact (follower) of the seller: tied and not blocked (§1.2)."""
        return self.tie > NO_TIE and not self.blocked

    @property
    def sees_moments(self) -> bool:
        """The seller's Moments reach her feed: tied, not muted, not blocked (§3.3.7)."""
        return self.tie > NO_TIE and not self.muted and not self.blocked


@dataclass
class Today:
    """What reached one consumer from one seller today (docs/model.md §1.2, daily scratch counters)."""

    seen: list                  # posts read by content type (ad, value, life, prize)
    seen_idle: list             # the same, read in the idle slot
    seen_reseller: int = 0      # resellers' ads and friends' forwards read (§3.3.25)
    seen_forward: int = 0       # friends' forwards of the seller's posts read (§3.3.25)
    opened_fold: bool = False   # opened the seller's folded block today
    messages: int = 0
    solicited: bool = False
    replied: bool = False
    group_seen: int = 0
    touched: bool = False
    saw_posts: bool = False
    impulse: bool = False

    @classmethod
    def empty(cls) -> Today:
        return cls(seen=[0, 0, 0, 0], seen_idle=[0, 0, 0, 0])

    @property
    def ads(self) -> int:
        """Unwanted commercial posts read: ads, prize posts, resellers' ads and friends' forwards
        (§3.3.15)."""
        return self.seen[AD] + self.seen[PRIZE] + self.seen_reseller

    @property
    def unwanted(self) -> int:
        """Unwanted contacts: the unwanted posts read and the messages that answered no need (§3.3.15)."""
        return self.ads + (0 if self.solicited else self.messages)


@dataclass(eq=False)
class OpenGroup:
    """A group-buy waiting for members (§3.3.14a): its seller, members in the order they joined
    (the opener first), the members it needs and the last day it is open."""

    seller: SellerAgent
    members: list
    target: int
    deadline: int


class ConsumerAgent(FixedAgent):
    """A consumer: one person of the friendship graph, sellers included (a seller buys from the
    others).

    ``relations[s]`` is her :class:`Relation` to seller ``s`` and ``today[s]`` what reached her
    from seller ``s`` today. ``friends`` lists all her graph friends, with the tie type of the
    edge; ``degree`` counts them (§1.2).
    """

    def __init__(self, model: ReferenceModel, node: int, cell) -> None:
        super().__init__(model)
        self.node = node
        self.cell = cell
        self.friends: list[tuple[ConsumerAgent, bool]] = []
        self.degree = 0.0
        self.organic = (0.0, 0.0)
        self.need = False
        self.sated = False          # still using up a purchase (§3.3.2)
        self.pushed_days = 0        # days on which some seller pushed her (novelty, §3.3.11)
        self.tolerance = 1.0
        self.fatigue = 0.0          # commercial pushes read, fading (ad fatigue, §3.3.18a)
        self.activity = 1.0
        self.commercial_share = 0.0
        self.relations: dict[int, Relation] = {}
        self.today: dict[int, Today] = {}
        self.group: OpenGroup | None = None     # the open group-buy she is in (§3.3.14a)
        self.before = (False, False)            # (need, sated) before today's purchase decision

    # -- step 1 ------------------------------------------------------------------------------
    def update_need(self) -> None:
        """§3.3.2: a need arises with probability r a day, unless she is sated; an unmet need
        lapses with 1/d; a sated consumer uses her supply up with 1/consumption_days and may
        have a need again from tomorrow."""
        p = self.model.config.purchase
        if p.always_need:
            self.need = True
        elif self.sated:
            if self.model.rng.random() < 1.0 / p.consumption_days:
                self.sated = False
        elif self.need:
            if self.model.rng.random() < 1.0 / p.need_duration:
                self.need = False
        elif self.model.rng.random() < p.need_rate:
            self.need = True

    # -- step 2 ------------------------------------------------------------------------------
    def relax(self) -> None:
        """§3.3.3 and §3.3.4: trust relaxes to its baseline; annoyance, memory and referral pull decay."""
        c = self.model.config
        f_trust = half_life_factor(c.trust.half_life)
        f_ann = half_life_factor(c.annoyance.half_life)
        f_mem = half_life_factor(c.annoyance.exposure_memory_half_life)
        f_ref = half_life_factor(c.wom.referral_half_life)
        for rel in self.relations.values():
            if c.trust.enabled:
                rel.trust = rel.baseline + (rel.trust - rel.baseline) * f_trust
            rel.annoyance *= f_ann
            rel.memory *= f_mem
            rel.referral *= f_ref

    # -- step 5 ------------------------------------------------------------------------------
    def read_feed(self) -> None:
        """§3.3.7 and §3.3.8: the posts in her feed compete for her attention; she reads some.

        Her feed per slot k holds her friends' posts O_k, the posts of every seller whose Moments
        she sees (the ads and prize posts the platform folded today only if she opens that
        seller's folded block today), her reseller friends' ads λ_k and the seller's posts her
        friends forwarded yesterday (§3.3.25, spread over the slots by clock hours). She reads
        A_k = attention_per_day × share_k × activity posts, so each is read with probability
        rho_k = min(1, A_k / feed_k) (1 for an empty feed). Opening a folded block shows the
        platform's warning. A forwarded post is read with probability slot_busy rho_busy +
        slot_idle rho_idle (the clock-hour split, ``feed.idle_hours_share``); read, it counts as a
        friend's ad of the seller and makes her aware.
        """
        model, c = self.model, self.model.config
        rng = model.rng
        slot_share = (1.0 - c.feed.idle_hours_share, c.feed.idle_hours_share)
        feed = [self.organic[BUSY], self.organic[IDLE]]
        commercial = 0.0
        in_some_audience = False
        for seller in model.seller_agents:
            plan, rel, today = seller.plan, self.relations[seller.index], self.today[seller.index]
            if rel.sees_moments:
                in_some_audience = True
                if plan.folded.any():
                    today.opened_fold = rng.random() < plan.fold_view_prob
                in_feed = plan.posts if today.opened_fold else plan.posts - plan.folded
                for k in SLOTS:
                    for ctype in CONTENT_TYPES:
                        feed[k] += in_feed[ctype, k]
                commercial += sum(in_feed[ctype, k] for ctype in MARKETING_TYPES for k in SLOTS)
            if plan.reseller_posts > 0 and rel.reseller_friends > 0 and not rel.blocked:
                in_some_audience = True
                resold = rel.reseller_friends * plan.reseller_posts
                for k in SLOTS:
                    feed[k] += slot_share[k] * resold
                commercial += resold
            if rel.forwarded > 0 and not rel.blocked:
                in_some_audience = True
                for k in SLOTS:
                    feed[k] += slot_share[k] * rel.forwarded
                commercial += rel.forwarded
        attention = (c.feed.attention_per_day * (1.0 - c.feed.idle_share), c.feed.attention_per_day * c.feed.idle_share)
        rho = [min(1.0, attention[k] * self.activity / feed[k]) if feed[k] > 0 else 1.0 for k in SLOTS]
        total = feed[BUSY] + feed[IDLE]
        self.commercial_share = commercial / total if (in_some_audience and total > 0) else 0.0

        for seller in model.seller_agents:
            s, plan, rel, today = seller.index, seller.plan, self.relations[seller.index], self.today[seller.index]
            if rel.sees_moments:
                in_feed = plan.posts if today.opened_fold else plan.posts - plan.folded
                read_any = 0
                for ctype in CONTENT_TYPES:
                    for k in SLOTS:
                        n_posts = int(in_feed[ctype, k])
                        if n_posts == 0:
                            continue
                        x = int(rng.binomial(n_posts, rho[k]))
                        today.seen[ctype] += x
                        if k == IDLE:
                            today.seen_idle[ctype] += x
                        read_any += x
                model.add_breakdown(s, "exposures_by_tie", rel.tie, read_any)
                if read_any > 0:
                    today.touched = True
                if read_any - today.seen[LIFE] > 0:
                    today.saw_posts = True
                if today.opened_fold and c.trust.enabled:
                    # §3.3.8: the platform's harassment warning, weighed like a strong friend's warning.
                    rel.trust = lower_toward_zero(rel.trust, c.trust.loss_warning)
            if plan.reseller_posts > 0 and rel.reseller_friends > 0 and not rel.blocked:
                lam = sum(rel.reseller_friends * plan.reseller_posts * slot_share[k] * rho[k] for k in SLOTS)
                x = int(rng.poisson(lam))
                today.seen_reseller += x
                if x > 0:
                    rel.aware = True
                    today.touched = True
                    today.saw_posts = True
            if rel.forwarded > 0 and not rel.blocked:
                x = int(rng.binomial(rel.forwarded, sum(slot_share[k] * rho[k] for k in SLOTS)))
                today.seen_forward += x
                today.seen_reseller += x        # a friend's post about the seller, as a reseller's ad
                if x > 0:
                    rel.aware = True
                    today.touched = True
                    today.saw_posts = True
            rel.forwarded = 0                   # read or scrolled past: gone from tomorrow's feed

    # -- step 7 ------------------------------------------------------------------------------
    def read_group_posts(self, seller: SellerAgent) -> int:
        """§3.3.10: a member reads X ~ Binomial(group posts today, group activity × her activity)."""
        today = self.today[seller.index]
        x = int(self.model.rng.binomial(seller.plan.group_posts, seller.group_activity * self.activity))
        today.group_seen += x
        if x > 0:
            today.touched = True
            today.saw_posts = True
        return x

    # -- step 8 ------------------------------------------------------------------------------
    def count_pushes(self) -> None:
        """§3.3.11: a day on which she read a seller's own ads or prize posts or got her message
        adds one to the pushed days D of that relation, and one to her own D_any if any seller did."""
        any_seller = False
        for s, today in self.today.items():
            if today.seen[AD] + today.seen[PRIZE] + today.messages > 0:
                self.relations[s].pushed += 1
                any_seller = True
        self.pushed_days += any_seller

    def novelty(self, s: int) -> float:
        """§3.3.11: N = 1 + ν 2^(−(D_any − 1)/h_N) for a consumer pushed on D_any >= 1 days, else 1
        (the same for every seller)."""
        p, d = self.model.config.purchase, self.pushed_days
        if p.novelty_boost <= 0 or d <= 0:
            return 1.0
        return 1.0 + p.novelty_boost * 0.5 ** ((d - 1) / p.novelty_half_life)

    def face(self, seller: SellerAgent) -> float:
        """§3.3.14: the face stimulus F = φ_tie D / (D + D_½) toward a seller who pushed her today,
        for a friend who has not muted her and never bought from her."""
        p, rel, today = self.model.config.purchase, self.relations[seller.index], self.today[seller.index]
        pushed_today = today.seen[AD] + today.seen[PRIZE] + today.messages > 0
        if not pushed_today or rel.muted or rel.purchases > 0 or rel.pushed <= 0:
            return 0.0
        phi = {STRONG: p.face_strong, WEAK: p.face_weak}.get(rel.tie, 0.0)
        return phi * rel.pushed / (rel.pushed + p.face_half_days)

    def impulse_wants(self) -> None:
        """§3.3.11: ads read today may create a one-day want for that seller's product.

        Only without a category need and not sated: P = 1 - exp(-k W(X) (N X_own + X_res) / X),
        X = X_ad + X_prize + X_res, X_own = X_ad + X_prize, N the novelty, with the memory E
        before today's ads.
        """
        c = self.model.config
        if c.purchase.impulse_per_ad <= 0 or c.purchase.always_need or self.need or self.sated:
            return
        for s, today in self.today.items():
            if not today.touched:
                continue
            dose = wear_out(today.ads, self.relations[s].memory, c.annoyance)
            own = today.seen[AD] + today.seen[PRIZE]
            dose *= (self.novelty(s) * own + today.seen_reseller) / today.ads if today.ads > 0 else 0.0
            if self.model.rng.random() < 1.0 - math.exp(-c.purchase.impulse_per_ad * dose):
                today.impulse = True

    # -- step 9 ------------------------------------------------------------------------------
    def gain_trust_from_content(self) -> None:
        """§3.3.12: T <- 1 - (1 - T)(1 - g_v)^X_value (1 - min(1, m g_v))^X_group."""
        t = self.model.config.trust
        if not t.enabled:
            return
        g_group = min(1.0, t.gain_value * t.group_gain_multiplier)
        for s, today in self.today.items():
            rel = self.relations[s]
            rel.trust = raise_toward_one(rel.trust, t.gain_value, today.seen[VALUE])
            rel.trust = raise_toward_one(rel.trust, g_group, today.group_seen)

    # -- step 10 -----------------------------------------------------------------------------
    def may_enquire(self, s: int) -> bool:
        """§3.3.13: she may ask if she has a need, has not blocked s and was prompted today."""
        today, rel = self.today[s], self.relations[s]
        return (today.saw_posts or today.solicited) and self.need and not rel.blocked

    def enquires(self, s: int) -> bool:
        """§3.3.13: she asks with probability enquiry_prob × G_T(T)."""
        c = self.model.config
        p = c.purchase.enquiry_prob
        if c.trust.enabled and c.purchase.trust_gating:
            p *= trust_gate(self.relations[s].trust, c.purchase)
        return self.model.rng.random() < p

    # -- step 11 -----------------------------------------------------------------------------
    def stimulus(self, seller: SellerAgent) -> list[float]:
        """§3.3.14: the stimulus components toward one seller, in the order of ``CHANNELS``."""
        c = self.model.config
        p, rel, today = c.purchase, self.relations[seller.index], self.today[seller.index]
        def worn(seen):
            return wear_out(seen, rel.memory, c.annoyance)
        nov = self.novelty(seller.index)
        # friends' posts about the product, resellers' ads and forwards, wear out as one count and
        # are attributed to the two channels by what was read of each
        friends = p.ad_conversion * worn(today.seen_reseller)
        return [
            p.ad_conversion * worn(today.seen[AD]) * nov,                   # ad
            p.prize_conversion * worn(today.seen[PRIZE]) * nov,             # prize
            p.value_conversion * (today.seen[VALUE] + today.group_seen),    # value
            p.message_conversion * today.messages,                          # message
            p.reply_conversion * today.replied,                             # reply
            p.group_conversion * seller.group_activity * rel.in_group,      # group
            rel.referral,                                                   # referral
            p.conformity * rel.bought_friends / max(self.degree, 1.0),      # conformity
            friends * (today.seen_reseller - today.seen_forward) / today.seen_reseller
            if today.seen_forward else friends,                             # reseller
            friends * today.seen_forward / today.seen_reseller
            if today.seen_forward else 0.0,                                 # forward
            self.face(seller),                                              # face
        ]

    def decide_purchase(self) -> None:
        """§3.3.14: buy from at most one seller today.

        p_want = [need or impulse toward s] × G_T(T) × G_A(A) × min(1, pf × S_nonref + pf_ref × R)
        (S without the face component), p_face = G_T(T_0) min(1, pf F) with the tie's baseline
        trust T_0, and p_s = 1 - (1 - p_want)(1 - p_face); 0 toward a blocked seller (and toward a
        former seller or a KOL seed's seller when repurchase is off). She buys with probability
        1 - prod_s (1 - p_s), from seller s with probability proportional to p_s; the purchase is
        attributed to face with weight p_face, to the other channels with their weighted stimulus
        scaled to p_want.
        """
        model, c = self.model, self.model.config
        probs, weighted = [], []
        for seller in model.seller_agents:
            rel, today = self.relations[seller.index], self.today[seller.index]
            comp = self.stimulus(seller)
            pf = price_factor(seller.product.price, c.purchase)
            pf_ref = price_factor(seller.product.price * (1.0 - seller.strategy.referral_reward), c.purchase)
            comp = [x * (pf_ref if ch == "referral" else pf) for x, ch in zip(comp, CHANNELS)]
            # §3.3.6a: her brand weighs everything that sells her product but face
            comp = [x if ch == FACE_CHANNEL else x * seller.brand for ch, x in enumerate(comp)]
            face = comp[FACE_CHANNEL]
            others = sum(x for ch, x in enumerate(comp) if ch != FACE_CHANNEL)
            gated = c.trust.enabled and c.purchase.trust_gating
            p_want = min(1.0, others) if (self.need or today.impulse) and others > 0 else 0.0
            if gated:
                p_want *= trust_gate(rel.trust, c.purchase)
            p_want *= annoyance_gate(rel.annoyance, c.annoyance)
            p_face = min(1.0, face) * (trust_gate(rel.baseline, c.purchase) if gated else 1.0)
            p = 1.0 - (1.0 - p_want) * (1.0 - p_face)
            if rel.blocked or not (self.need or today.impulse or face > 0):
                p = 0.0
            if not c.purchase.repurchase and (rel.purchases > 0 or rel.root == self.node):
                p = 0.0   # one-time adoption: former customers and KOL seeds are adopters
            probs.append(p)
            weights = [x * p_want / others if p_want > 0 else 0.0 for x in comp]
            weights[FACE_CHANNEL] = p_face
            weighted.append(weights)
        p_none = 1.0
        for p in probs:
            p_none *= 1.0 - p
        if not model.rng.random() < 1.0 - p_none:
            return
        s = _pick_proportional(probs, model.rng.random())
        channel = _pick_proportional(weighted[s], model.rng.random()) if sum(weighted[s]) > 0 else CHANNELS.index("ad")
        model.seller_agents[s].buyers_today.append((self, channel))
        if not c.purchase.always_need:
            self.need = False
            self.sated = c.purchase.consumption_days > 0    # §3.3.2: the purchase lasts a while

    # -- step 12 -----------------------------------------------------------------------------
    def get_annoyed(self) -> None:
        """§3.3.15: today's exposures raise annoyance, annoyance erodes trust, memory grows.

        For each seller s that touched her today:
            dA = [H (1 + E/(E + E_w)) + w_value (X_value + X_group) + w_life X_life
                  + w_msg M (f_sol if solicited)] (1 + f_low (1 - T)),
            H = w_ad (X_ad + X_res) + w_prize X_prize + (f_idle - 1)(w_ad X_ad,idle + w_prize X_prize,idle);
        then the spillover of the other sellers' ads toward every seller she follows; then the
        trust erosion T <- T (1 - λ A/(A + A_half))^K per unwanted contact; then E += ads.
        """
        c = self.model.config
        w, t = c.annoyance, c.trust
        if w.enabled:
            for s, today in self.today.items():
                if not today.touched:
                    continue
                rel = self.relations[s]
                hard = (w.weight_ad * (today.seen[AD] + today.seen_reseller) + w.weight_prize * today.seen[PRIZE]
                        + (w.idle_ad_factor - 1.0) * (w.weight_ad * today.seen_idle[AD]
                                                      + w.weight_prize * today.seen_idle[PRIZE]))
                tedium = 1.0 + rel.memory / (rel.memory + w.wearout_exposures)
                soft = w.weight_value * (today.seen[VALUE] + today.group_seen) + w.weight_life * today.seen[LIFE]
                msgs = w.weight_message * today.messages * (w.solicited_factor if today.solicited else 1.0)
                rel.annoyance += (hard * tedium + soft + msgs) * (1.0 + w.low_trust_factor * (1.0 - rel.trust))
            if w.load_spillover > 0:
                ads = {s: today.ads for s, today in self.today.items()}
                for s, rel in self.relations.items():
                    if rel.follows:
                        others = sum(a for r, a in ads.items() if r != s)
                        rel.annoyance += w.load_spillover * w.weight_ad * others
            if t.enabled and t.loss_per_unwanted > 0:
                for s, today in self.today.items():
                    rel = self.relations[s]
                    if today.touched and today.unwanted > 0:
                        erosion = t.loss_per_unwanted * rel.annoyance / (rel.annoyance + w.half_effect)
                        rel.trust = lower_toward_zero(rel.trust, erosion, today.unwanted)
        for s, today in self.today.items():
            self.relations[s].memory += today.ads
        tp = c.ties
        if tp.fatigue_ads > 0:
            # §3.3.18a ad fatigue: F <- F 2^(-1/h_F) + the pushes read today, every seller's
            read = sum(today.unwanted for today in self.today.values() if today.touched)
            self.fatigue = self.fatigue * 0.5 ** (1.0 / tp.fatigue_half_life) + read

    # -- step 15 -----------------------------------------------------------------------------
    def mute_or_block(self, s: int) -> str | None:
        """§3.3.18: an annoyed contact may mute or block seller s today; a muted one may unmute.

        Her thresholds are the median consumer's times her tolerance, lowered by her ad fatigue
        F to tolerance / (1 + F / F_half) (§3.3.18a). One draw u: block if
        u < P(block); else, if she has muted s, unmute if u < P(block) + P(unmute), otherwise
        mute if u < P(block) + P(mute). Returns "block", "mute", "unmute" or None.
        """
        tp = self.model.config.ties
        rel = self.relations[s]
        if not rel.follows or not (rel.muted or rel.annoyance > 0):
            return None
        h = tp.steepness
        tolerance = self.tolerance / (1.0 + self.fatigue / tp.fatigue_ads) if tp.fatigue_ads > 0 else self.tolerance
        p_block = tp.block_max * hill(rel.annoyance, tp.block_threshold * tolerance, h)
        if rel.tie == STRONG:
            p_block *= tp.strong_block_factor
        mute_hill = hill(rel.annoyance, tp.mute_threshold * tolerance, h)
        u = self.model.rng.random()
        if u < p_block:
            rel.blocked = True
            rel.in_group = False
            return "block"
        if rel.muted:
            p_unmute = (1.0 - half_life_factor(tp.unmute_half_life)) * (1.0 - mute_hill)
            if u < p_block + p_unmute:
                rel.muted = False
                return "unmute"
            return None
        if u < p_block + tp.mute_max * mute_hill:
            rel.muted = True
            rel.in_group = False
            return "mute"
        return None

    # -- step 15 (ties move, §3.3.24) ---------------------------------------------------------
    def tie_step(self, s: int, bought: bool) -> int:
        """§3.3.24: today's contact with seller s may move her tie a step up or down.

        Two-way talks I (an answered enquiry, messages that answered her need) and content C
        (value posts and group posts read) pull a stranger contact up to weak with
        1 - (1 - g_i)^I (1 - g_c)^C, a weak tie up to strong with the gains times f_strong; a
        sale (``bought``) and hard pushes P (ad and prize posts read, unsolicited messages) push
        a weak tie down to a stranger contact, a strong one down to weak, with
        1 - (1 - l_s)^B (1 - l_p)^P. One draw u if either chance is positive: down if
        u < P_down, else up if u < P_down + (1 - P_down) P_up. The moved tie's trust baseline
        becomes the new tie's prior. Returns +1 (up), -1 (down) or 0.
        """
        c = self.model.config
        tp = c.ties
        rel, today = self.relations[s], self.today[s]
        if not rel.follows:
            return 0
        p_up = p_down = 0.0
        if rel.tie in (STRANGER, WEAK):
            f = 1.0 if rel.tie == STRANGER else tp.strong_bond_factor
            talks = int(today.replied) + (today.messages if today.solicited else 0)
            content = today.seen[VALUE] + today.group_seen
            p_up = 1.0 - (1.0 - f * tp.bond_per_interaction) ** talks * (1.0 - f * tp.bond_per_content) ** content
        if rel.tie in (WEAK, STRONG):
            pushes = today.seen[AD] + today.seen[PRIZE] + (0 if today.solicited else today.messages)
            p_down = 1.0 - (1.0 - tp.erode_per_sale) ** int(bought) * (1.0 - tp.erode_per_push) ** pushes
        if p_up <= 0.0 and p_down <= 0.0:
            return 0
        u = self.model.rng.random()
        if u < p_down:
            rel.tie -= 1
            move = -1
        elif u < p_down + (1.0 - p_down) * p_up:
            rel.tie += 1
            move = 1
        else:
            return 0
        prior = {STRANGER: c.trust.prior_stranger, WEAK: c.trust.prior_weak, STRONG: c.trust.prior_strong}
        rel.baseline = prior[rel.tie]
        return move

    def update_activity(self) -> None:
        """§3.3.19: a(t+1) = a* + (a(t) - a*) 2^(-1/h_a), a* = 1 - κ × commercial share, in [0, 1]."""
        f = self.model.config.feed
        target = 1.0 - f.activity_sensitivity * self.commercial_share
        a = target + (self.activity - target) * half_life_factor(f.activity_half_life)
        self.activity = min(1.0, max(0.0, a))

    # -- word of mouth, as a sender ------------------------------------------------------------
    # -- step 15 (forwarding, §3.3.25) --------------------------------------------------------
    def forwards(self, seller: SellerAgent) -> int:
        """§3.3.25: how many of the seller's posts she read today she forwards to her Moments.

        Each post read is forwarded with p_c × G_T(T) × G_A(A) (G_T only with trust gating), p_c
        by its kind: the seller's prize posts (× idle factor m in the idle slot, capped at 1),
        value posts, ads (÷ m in the idle slot), and friends' forwards of her posts. Nothing
        once she has muted or blocked the seller."""
        c = self.model.config
        f, rel, today = c.forward, self.relations[seller.index], self.today[seller.index]
        if rel.muted or rel.blocked:
            return 0
        g = trust_gate(rel.trust, c.purchase) if (c.trust.enabled and c.purchase.trust_gating) else 1.0
        g *= annoyance_gate(rel.annoyance, c.annoyance)
        m = f.idle_factor
        kinds = ((today.seen[PRIZE] - today.seen_idle[PRIZE], f.prize_prob),
                 (today.seen_idle[PRIZE], min(1.0, f.prize_prob * m)),
                 (today.seen[VALUE], f.value_prob),
                 (today.seen[AD] - today.seen_idle[AD], f.ad_prob),
                 (today.seen_idle[AD], f.ad_prob / m),
                 (today.seen_forward, f.forwarded_prob))
        rng = self.model.rng
        return sum(int(rng.binomial(n, p * g)) for n, p in kinds if n > 0 and p > 0)

    def tell_friends(self, prob: float) -> list[tuple[ConsumerAgent, bool]]:
        """One independent chance per friend: the friends (and tie types) she tells (§3.3.17)."""
        rng = self.model.rng
        return [(friend, strong) for friend, strong in self.friends if rng.random() < prob]


class SellerAgent(FixedAgent):
    """A seller (微商): a person of the graph who sells one product with one strategy (§1.2)."""

    def __init__(self, model: ReferenceModel, setup: SellerSetup, index: int, node: int, cell) -> None:
        super().__init__(model)
        self.name = setup.name
        self.setup = setup
        self.strategy = setup.strategy
        self.product = setup.product
        self.index = index
        self.node = node
        self.cell = cell
        self.group_activity = 1.0 if self.strategy.groups.enabled else 0.0
        self.brand = 1.0            # her personal brand (§3.3.6a); only a big-V's moves
        self.plan: DayPlan | None = None
        self.kol_seeds: list[ConsumerAgent] = []
        self.buyers_today: list[tuple[ConsumerAgent, int]] = []
        self.room = 0               # contacts she can still gain today (§3.3.23)
        self.flows: dict[str, float] = {}
        self.today: dict = {}

    def relation(self, consumer: ConsumerAgent) -> Relation:
        return consumer.relations[self.index]

    # -- step 0 ------------------------------------------------------------------------------
    def make_plan(self) -> None:
        """§3.3.1: today's integer posts, strangers, messages, group posts and invitations."""
        c = self.model.config
        self.plan = plan_day(self.index, self.strategy, self.product, c.feed, c.platform, rng=self.model.rng)
        self.flows = dict.fromkeys(FLOWS, 0.0)
        self.flows["posts"] = float(self.plan.posts.sum())
        self.flows["posts_folded"] = float(self.plan.folded.sum())
        self.buyers_today = []
        bv = self.strategy.big_v
        if bv.enabled:              # §3.3.6a: each commercial post published costs her the fraction d
            commercial = int(self.plan.posts[AD].sum() + self.plan.posts[PRIZE].sum())
            self.brand *= (1.0 - bv.brand_decay) ** commercial

    # -- step 3 ------------------------------------------------------------------------------
    def add_strangers(self) -> None:
        """§3.3.5: add distinct random consumers without a tie to her as stranger contacts, up to
        ``platform.max_contacts`` contacts (tied, not blocked)."""
        k = self.plan.strangers
        if k <= 0:
            return
        k = min(k, self.contact_room())
        if k <= 0:
            return
        pool = [c for c in self.model.consumer_list if self.relation(c).tie == NO_TIE and c.node != self.node]
        if not pool:
            return
        chosen = self.model.rng.choice(len(pool), size=min(k, len(pool)), replace=False)
        for i in chosen:
            rel = self.relation(pool[i])
            rel.tie = STRANGER
            rel.aware = True
        self.flows["strangers_added"] = float(len(chosen))

    # -- step 4 ------------------------------------------------------------------------------
    def seed_kols(self) -> None:
        """§3.3.6: on day 0, give the product to the k consumers of highest degree (random tie-break)."""
        k = self.strategy.kol_seeds
        if k <= 0:
            return
        jitter = {c: self.model.rng.random() for c in self.model.consumer_list}
        others = (c for c in self.model.consumer_list if c.node != self.node)
        ranked = sorted(others, key=lambda c: (-c.degree, jitter[c]))
        self.kol_seeds = ranked[:k]
        for c in self.kol_seeds:
            rel = self.relation(c)
            rel.aware = True
            rel.root = c.node

    def gather_audience(self) -> None:
        """§3.3.6a: on day 0 a big-V's ``audience`` nearest consumers (breadth first over the
        friendship graph, a uniform subset of the last layer needed) become her fans: those
        without a tie follow her while she has room under max_contacts, and every fan's trust
        and baseline rise to at least the fan trust."""
        bv = self.strategy.big_v
        if not bv.enabled or bv.audience <= 0:
            return
        model = self.model
        me = model.consumer_at[self.node]
        dist = {me: 0}
        layers, frontier = [], [me]
        while frontier and sum(len(x) for x in layers) < bv.audience:
            layer = []
            for u in frontier:
                for v, _ in u.friends:
                    if v not in dist:
                        dist[v] = dist[u] + 1
                        layer.append(v)
            if layer:
                layers.append(layer)
            frontier = layer
        fans = []
        for layer in layers:
            need = bv.audience - len(fans)
            if len(layer) <= need:
                fans += layer
            else:
                fans += [layer[i] for i in model.rng.choice(len(layer), size=need, replace=False)]
        contacts = sum(self.relation(x).follows for x in model.consumer_list)
        for fan in fans:
            rel = self.relation(fan)
            if rel.tie == NO_TIE:
                if contacts >= model.config.platform.max_contacts:
                    continue
                rel.tie = STRANGER
                contacts += 1
            rel.aware = True
            rel.trust = max(rel.trust, bv.fan_trust)
            rel.baseline = max(rel.baseline, bv.fan_trust)

    # -- step 6 ------------------------------------------------------------------------------
    def send_messages(self) -> None:
        """§3.3.9: private messages to distinct contacts (all contacts if push, needy ones if need)."""
        k = self.plan.messages
        if k <= 0:
            return
        need_triggered = self.strategy.contact == "need"
        pool = [c for c in self.model.consumer_list
                if self.relation(c).follows and (c.need or not need_triggered)]
        chosen = self.model.rng.choice(len(pool), size=min(k, len(pool)), replace=False) if pool else []
        for i in chosen:
            today = pool[i].today[self.index]
            today.messages += 1
            today.solicited = need_triggered
            today.touched = True
            self.relation(pool[i]).aware = True
        self.flows["messages_sent"] = float(len(chosen))

    # -- step 7 ------------------------------------------------------------------------------
    def run_groups(self) -> None:
        """§3.3.10: group activity moves toward min(1, posts / sustain); invite; members read posts."""
        g = self.strategy.groups
        if not g.enabled:
            return
        target = min(1.0, g.posts_per_day / g.sustain_posts_per_day)
        self.group_activity = target + (self.group_activity - target) * half_life_factor(g.half_life)
        rng = self.model.rng
        if self.plan.invites > 0:
            free = [c for c in self.model.consumer_list if c.node != self.node
                    and not (self.relation(c).in_group or self.relation(c).blocked or self.relation(c).muted)]
            customers = [c for c in free if self.relation(c).purchases > 0]
            invited = [customers[i] for i in rng.permutation(len(customers))][: self.plan.invites]
            if len(invited) < self.plan.invites:
                threshold = self.model.config.purchase.interest_threshold
                interested = [c for c in free if self.relation(c).tie > NO_TIE and self.relation(c).purchases == 0
                              and self.relation(c).trust >= threshold]
                invited += [interested[i] for i in rng.permutation(len(interested))][: self.plan.invites - len(invited)]
            for c in invited:
                self.relation(c).in_group = True
                self.relation(c).aware = True
                self.maybe_follow(c, self.model.config.follow.in_group, FOLLOW_GROUP)
        if self.plan.group_posts > 0:
            members = [c for c in self.model.consumer_list if self.relation(c).in_group]
            for c in members:
                c.read_group_posts(self)

    # -- step 10 -----------------------------------------------------------------------------
    def answer_enquiries(self) -> None:
        """§3.3.13: prompted needy consumers ask; she answers at most sround(service_capacity).

        Answered: T <- T + g_reply (1 - T) and a reply stimulus today; unanswered: T <- T (1 - l).
        """
        c = self.model.config
        candidates = [x for x in self.model.consumer_list if x.may_enquire(self.index)]
        if not candidates:
            return
        askers = [x for x in candidates if x.enquires(self.index)]
        capacity = stochastic_round(self.strategy.service_capacity, self.model.rng)
        order = self.model.rng.permutation(len(askers))
        answered = {askers[i] for i in order[:capacity]}
        for x in askers:
            rel = self.relation(x)
            if x in answered:
                x.today[self.index].replied = True
                if c.trust.enabled:
                    rel.trust = raise_toward_one(rel.trust, c.trust.gain_reply)
            elif c.trust.enabled:
                rel.trust = lower_toward_zero(rel.trust, c.trust.loss_unanswered)
        self.flows["enquiries"] = float(len(askers))
        self.flows["replies"] = float(len(answered))

    # -- step 13 -----------------------------------------------------------------------------
    def settle_purchases(self) -> list[tuple[ConsumerAgent, bool]]:
        """§3.3.16: revenue, cost, satisfaction from value for money and trust, broken ties,
        following (§3.3.23), cascade links, conformity, resellers.

        Returns (buyer, satisfied) in buyer order.
        """
        model, c = self.model, self.model.config
        st, product = self.strategy, self.product
        referral, reseller = CHANNELS.index("referral"), CHANNELS.index("reseller")
        seller_made = {CHANNELS.index(k) for k in ("ad", "prize", "value", "message", "reply", "group", "face")}
        # Buyers in node order, the order in which the fast engine lists them (the room for
        # followers and same-day reseller recruitment depend on the order).
        self.buyers_today.sort(key=lambda bc: bc[0].node)
        outcome = []
        for buyer, channel in self.buyers_today:
            rel = self.relation(buyer)
            rel.purchases += 1
            rel.aware = True
            first = rel.purchases == 1
            self.flows["purchases"] += 1
            price = product.price * (1.0 - st.referral_reward) if channel == referral else product.price
            if channel == GROUP_BUY_CHANNEL:
                price = product.price * (1.0 - st.group_buy.discount)     # the group price (§3.3.14a)
            sold_by = self.reseller_who_sold(buyer) if channel == reseller else None
            if st.stock_units > 0 and sold_by is not None:
                # §3.3.16a: a sale from her stock; the buyer pays her, the seller booked the stock
                stock_rel = self.relation(sold_by)
                if stock_rel.stock <= 0:
                    self.load_stock(sold_by)
                stock_rel.stock -= 1
                stock_rel.stock_day = model.day
            else:
                self.flows["revenue"] += price
                commission = 0.0
                if channel == reseller:
                    commission = self.chain_commission(sold_by, product.price * st.reseller_commission) \
                        if sold_by is not None else product.price * st.reseller_commission
                self.flows["cost"] += product.unit_cost + commission
                self.flows["commission"] += commission
            model.add_breakdown(self.index, "channels", channel, 1)
            if channel == referral:
                self.flows["purchases_wom"] += 1
                model.add_breakdown(self.index, "wom_conversions_by_tie", int(rel.referrer_strong), 1)
            if channel in seller_made:
                model.add_breakdown(self.index, "seller_conversions_by_tie", rel.tie, 1)
            satisfied, gap = self.judge_purchase(paid=True)
            trust_before = rel.trust
            rel.trust = self.purchase_outcome(rel.trust, satisfied)
            if not satisfied and rel.follows:
                self.maybe_break_tie(rel, trust_before, gap)
            if satisfied:
                self.maybe_follow(buyer, c.follow.after_purchase, FOLLOW_PURCHASE)
            if first:
                parent = rel.referrer if channel == referral else -1
                if parent >= 0:
                    parent_root = model.consumer_at[parent].relations[self.index].root
                    rel.root = parent_root if parent_root >= 0 else parent
                    if c.trace_cascades:
                        model.cascade_log.append((self.index, parent, buyer.node, model.day))
                else:
                    rel.root = buyer.node
                for friend, _ in buyer.friends:
                    if friend.node != self.node:
                        self.relation(friend).bought_friends += 1
            # §3.3.16a: the chance to join falls with the stock she would have to load
            p_join = st.reseller_prob * st.stock_fear_units / (st.stock_fear_units + st.stock_units)
            if p_join > 0 and satisfied and not rel.reseller and rel.stock <= 0:
                upline = sold_by
                if upline is None and channel == referral and rel.referrer >= 0:
                    teller = model.consumer_at[rel.referrer]
                    if self.relation(teller).reseller:
                        upline = teller
                level = 1 if upline is None else min(self.relation(upline).level + 1, MAX_RESELLER_LEVEL)
                if (st.reseller_levels == 0 or level <= st.reseller_levels) and model.rng.random() < p_join:
                    rel.reseller = True
                    rel.upline = -1 if upline is None else upline.node
                    rel.level = level
                    for friend, _ in buyer.friends:
                        if friend.node != self.node:
                            self.relation(friend).reseller_friends += 1
                    if st.stock_units > 0:
                        self.load_stock(buyer)
            outcome.append((buyer, satisfied))
        return outcome

    def reseller_who_sold(self, buyer: ConsumerAgent) -> ConsumerAgent | None:
        """§3.3.16a: the friend whose reseller ad made the purchase, uniform among her friends who
        resell for this seller (each posts the same ads); None if she has none."""
        candidates = [f for f, _ in buyer.friends if f.node != self.node and self.relation(f).reseller]
        if not candidates:
            return None
        return candidates[min(int(self.model.rng.random() * len(candidates)), len(candidates) - 1)]

    def chain_commission(self, reseller: ConsumerAgent | None, base: float) -> float:
        """§3.3.16a: ``base`` to ``reseller``, ``base × r`` to her upline, ``base × r²`` above, up to
        the seller (at most 127 payees)."""
        if reseller is None:
            return 0.0
        r = self.strategy.reseller_upline_share
        total, pay, who = base, base, reseller
        for _ in range(MAX_RESELLER_LEVEL - 1):
            if r <= 0 or self.relation(who).upline < 0:
                break
            who = self.model.consumer_at[self.relation(who).upline]
            pay *= r
            total += pay
        return total

    def load_stock(self, reseller: ConsumerAgent) -> None:
        """§3.3.16a: she buys K units at p (1 − c); her uplines earn K p c r^j on them."""
        st, product = self.strategy, self.product
        k, c = st.stock_units, st.reseller_commission
        rel = self.relation(reseller)
        rel.stock = k
        rel.stock_day = self.model.day
        commission = 0.0
        if rel.upline >= 0 and st.reseller_upline_share > 0:
            commission = self.chain_commission(self.model.consumer_at[rel.upline],
                                               k * product.price * c * st.reseller_upline_share)
        self.flows["revenue"] += k * product.price * (1.0 - c)
        self.flows["cost"] += k * product.unit_cost + commission
        self.flows["commission"] += commission

    def quit_loaded(self) -> None:
        """§3.3.16a: resellers whose stock has not moved for ``stock_patience_days`` quit, trust lowered as
        after a bad purchase, and warn friends."""
        st = self.strategy
        if st.stock_units <= 0:
            return
        loaded = []
        for c in self.model.consumer_list:
            rel = self.relation(c)
            if rel.reseller and rel.stock > 0 and self.model.day - rel.stock_day >= st.stock_patience_days:
                loaded.append(c)
        for c in loaded:
            rel = self.relation(c)
            rel.reseller = False
            rel.trust = self.purchase_outcome(rel.trust, False)
            for friend, _ in c.friends:
                if friend.node != self.node and self.relation(friend).reseller_friends > 0:
                    self.relation(friend).reseller_friends -= 1
        self.flows["loaded_resellers"] += len(loaded)
        self.warn(loaded, self.model.config.wom.warn_prob)

    def judge_purchase(self, *, paid: bool) -> tuple[bool, float]:
        """§3.3.16, value for money: the buyer expects the promise's overstatement (hype) plus,
        if she paid, k_p ln(price / reference price); she gets quality minus a uniform shortfall.
        Returns (satisfied: delivered beats expected, expected minus delivered)."""
        c, product = self.model.config, self.product
        expected = product.hype
        if paid:
            expected += c.purchase.value_price_weight * (math.log(product.price) - math.log(c.purchase.reference_price))
        delivered = product.quality - self.model.rng.random()
        return delivered > expected, expected - delivered

    def maybe_break_tie(self, rel: Relation, trust_before: float, gap: float) -> None:
        """§3.3.16, rupture: a disappointed contact blocks the seller with probability
        r_max × min(1, gap) × (1 − trust before the purchase)."""
        r_max = self.model.config.ties.rupture_max
        if r_max > 0 and self.model.rng.random() < r_max * min(1.0, gap) * (1.0 - trust_before):
            rel.blocked = True
            rel.in_group = False
            self.flows["ties_broken"] += 1
            self.model.add_breakdown(self.index, "ties_broken_by_tie", rel.tie, 1)

    def purchase_outcome(self, trust: float, satisfied: bool) -> float:
        """§3.3.16: satisfied T + g_good (1 - T); dissatisfied T (1 - l_bad)."""
        t = self.model.config.trust
        if not t.enabled:
            return trust
        if satisfied:
            return raise_toward_one(trust, t.gain_good_purchase)
        return lower_toward_zero(trust, t.loss_bad_purchase)

    # -- step 14 -----------------------------------------------------------------------------
    def word_of_mouth(self, outcome: list[tuple[ConsumerAgent, bool]]) -> None:
        """§3.3.17 (and §3.3.6 on day 0): satisfied buyers recommend, seeds recommend, the consumers
        told may follow her (§3.3.23), unhappy buyers warn."""
        c = self.model.config
        p_rec = 1.0 - (1.0 - c.wom.recommend_prob) * (1.0 - self.strategy.referral_reward)
        happy = [b for b, ok in outcome if ok]
        members = [b for b in happy if self.relation(b).in_group]
        others = [b for b in happy if not self.relation(b).in_group]
        told = self.recommend(others, p_rec)
        if members:
            told += self.recommend(members, min(1.0, p_rec * self.strategy.groups.advocacy))
        if self.kol_seeds and self.model.day == 0:
            satisfied_seeds = []
            for seed in self.kol_seeds:
                ok, _ = self.judge_purchase(paid=False)
                self.relation(seed).trust = self.purchase_outcome(self.relation(seed).trust, ok)
                if ok:
                    satisfied_seeds.append(seed)
            told += self.recommend(satisfied_seeds, self.strategy.kol_reach)
            self.flows["cost"] += len(self.kol_seeds) * (self.strategy.cost_per_kol + self.product.unit_cost)
        for friend in told:
            self.maybe_follow(friend, c.follow.after_referral, FOLLOW_REFERRAL)
        self.warn([b for b, ok in outcome if not ok], c.wom.warn_prob)

    def recommend(self, senders: list[ConsumerAgent], prob: float) -> list[ConsumerAgent]:
        """§3.3.17: each sender tells each friend with probability ``prob``.

        A recommendation over a strong (weak) tie adds beta_s (beta_w) to the friend's referral
        pull, makes her aware and makes the sender her referrer (the last one wins). Trust
        transfer: the most persuasive recommendation of this batch moves her trust by
        max(0, g_rec × w × (T_sender - T_friend)), with the trust before the batch.
        Returns the friends told, one entry per recommendation.
        """
        c = self.model.config
        told: list[ConsumerAgent] = []
        if prob <= 0:
            return told
        best_pull: dict[ConsumerAgent, float] = {}
        for sender in sorted(senders, key=lambda x: x.node):
            t_sender = self.relation(sender).trust
            for friend, strong in sender.tell_friends(prob):
                if friend.node == self.node:
                    continue                # (not told about herself)
                rel = self.relation(friend)
                rel.referral += c.wom.strong_persuasion if strong else c.wom.weak_persuasion
                rel.aware = True
                rel.referrer = sender.node
                rel.referrer_strong = strong
                weight = 1.0 if strong else c.wom.weak_tie_weight
                pull = c.trust.gain_recommendation * weight * (t_sender - rel.trust)
                best_pull[friend] = max(best_pull.get(friend, 0.0), pull)
                told.append(friend)
                self.flows["wom_positive"] += 1
                self.model.add_breakdown(self.index, "wom_sent_by_tie", int(strong), 1)
        if c.trust.enabled and c.trust.gain_recommendation > 0:
            for friend, pull in best_pull.items():
                self.relation(friend).trust += pull
        return told

    # -- following ---------------------------------------------------------------------------
    def contact_room(self) -> int:
        """The contacts she can still gain: max_contacts minus her contacts (tied, not blocked)."""
        contacts = sum(self.relation(x).follows for x in self.model.consumer_list)
        return max(0, self.model.config.platform.max_contacts - contacts)

    def count_room(self) -> None:
        """§3.3.23: the contacts she can still gain today (:meth:`contact_room`); no contact is
        made between the groups and the end of word of mouth but by following (ties broken by bad
        purchases only leave more room than counted here)."""
        self.room = self.contact_room()

    def maybe_follow(self, consumer: ConsumerAgent, f: float, channel: int) -> None:
        """§3.3.23: a consumer without a tie adds her as a contact with probability f × G_T(T).

        The follower gets the stranger tie (her trust and its baseline unchanged); not beyond the
        seller's room for contacts. No draw when f is 0."""
        rel = self.relation(consumer)
        if f <= 0 or rel.tie != NO_TIE or self.room <= 0:
            return
        c = self.model.config
        p = f
        if c.trust.enabled and c.purchase.trust_gating:
            p *= trust_gate(rel.trust, c.purchase)
        if self.model.rng.random() < p:
            rel.tie = STRANGER
            rel.aware = True
            self.room -= 1
            self.flows["new_followers"] += 1
            self.model.add_breakdown(self.index, "new_followers_by_channel", channel, 1)

    def warn(self, senders: list[ConsumerAgent], prob: float) -> None:
        """§3.3.17: each sender warns each friend with probability ``prob``: T <- T (1 - l_warn × w)."""
        c = self.model.config
        if prob <= 0:
            return
        for sender in sorted(senders, key=lambda x: x.node):
            for friend, strong in sender.tell_friends(prob):
                if friend.node == self.node:
                    continue                # (not told about herself)
                rel = self.relation(friend)
                rel.aware = True
                if c.trust.enabled and c.trust.loss_warning > 0:
                    weight = 1.0 if strong else c.wom.weak_tie_weight
                    rel.trust = lower_toward_zero(rel.trust, c.trust.loss_warning * weight)
                self.flows["wom_negative"] += 1

    # -- step 15 -----------------------------------------------------------------------------
    def lose_contacts(self) -> None:
        """§3.3.18: annoyed contacts mute or block her; consumers who blocked her today warn their friends."""
        blockers = [x for x in self.model.consumer_list if x.mute_or_block(self.index) == "block"]
        self.warn(blockers, self.model.config.wom.block_warn_prob)

    def move_ties(self) -> None:
        """§3.3.24: her contacts' ties move with today's interactions, sales and pushes."""
        buyers = {b.node for b, _ in self.buyers_today}
        for c in self.model.consumer_list:
            move = c.tie_step(self.index, c.node in buyers)
            if move > 0:
                self.flows["ties_strengthened"] += 1
            elif move < 0:
                self.flows["ties_weakened"] += 1

    # -- step 15 (forwarding, §3.3.25) --------------------------------------------------------
    def forward_posts(self) -> None:
        """§3.3.25: every consumer who read her posts today may forward some; each forward lands in
        every friend's feed tomorrow (not her own node's)."""
        for consumer in self.model.consumer_list:
            k = consumer.forwards(self)
            if k == 0:
                continue
            self.flows["forwards"] += k
            for friend, _ in consumer.friends:
                if friend.node != self.node:
                    self.relation(friend).forwarded += k

    # -- step 17 -----------------------------------------------------------------------------
    def book_day(self) -> None:
        """§3.3.20 and the day's flows: exposures, reach and action costs."""
        st, f = self.strategy, self.flows
        totals = [0, 0, 0, 0]
        reseller_ads = forwards_read = group_seen = reach = 0
        for c in self.model.consumer_list:
            today = c.today[self.index]
            for ctype in CONTENT_TYPES:
                totals[ctype] += today.seen[ctype]
            reseller_ads += today.seen_reseller - today.seen_forward
            forwards_read += today.seen_forward
            group_seen += today.group_seen
            reach += today.touched
        f["exposures_ad"], f["exposures_life"], f["exposures_prize"] = totals[AD], totals[LIFE], totals[PRIZE]
        f["exposures_value"] = totals[VALUE] + group_seen
        f["exposures_reseller"] = reseller_ads
        f["forwards_read"] = forwards_read
        f["reach"] = reach
        members = sum(self.relation(c).in_group for c in self.model.consumer_list)
        n_groups = math.ceil(members / st.groups.size) if st.groups.enabled else 0
        f["cost"] += (f["posts"] * st.cost_per_post + f["messages_sent"] * st.cost_per_message
                      + f["strangers_added"] * st.cost_per_stranger + f["replies"] * st.cost_per_reply
                      + n_groups * st.cost_group_per_day)


def _pick_proportional(weights: list[float], u: float) -> int:
    """Index i with probability weights[i] / sum(weights), from one uniform u in [0, 1)."""
    target = u * sum(weights)
    acc = 0.0
    for i, w in enumerate(weights):
        acc += w
        if target < acc:
            return i
    return max(i for i, w in enumerate(weights) if w > 0)


def _stocks(model: ReferenceModel, seller: SellerAgent) -> dict:
    """The seller's end-of-day stocks (``STOCK_COLUMNS``, docs/model.md §4), agent by agent."""
    threshold = model.config.purchase.interest_threshold
    rels = [c.relations[seller.index] for c in model.consumer_list]
    tied = [r for r in rels if r.tie > NO_TIE]
    out = {
        "aware": sum(r.aware for r in rels),
        "interested": sum(r.aware and not r.blocked and r.trust >= threshold for r in rels),
        "customers": sum(r.purchases > 0 for r in rels),
        "repeat_customers": sum(r.purchases > 1 for r in rels),
        "mean_trust": math.fsum(r.trust for r in tied) / len(tied) if tied else float("nan"),
        "mean_annoyance": math.fsum(r.annoyance for r in tied) / len(tied) if tied else float("nan"),
        "followers": sum(not r.blocked for r in tied),
        "contacts": len(tied),
        "muted": sum(r.muted and not r.blocked for r in tied),
        "blocked": sum(r.blocked for r in tied),
        "group_members": sum(r.in_group for r in rels),
        "resellers": sum(r.reseller for r in rels),
        "strong_ties": sum(r.tie == STRONG and not r.blocked for r in rels),
        "weak_ties": sum(r.tie == WEAK and not r.blocked for r in rels),
        "reseller_stock": sum(r.stock for r in rels),
        "reseller_depth": max((r.level for r in rels if r.reseller), default=0),
        "brand": seller.brand,
    }
    assert tuple(out) == STOCK_COLUMNS
    return {k: int(v) if k in COUNT_COLUMNS else float(v) for k, v in out.items()}


def _cascade_sizes(model: ReferenceModel, names: list[str]) -> pd.DataFrame:
    """Buyers per referral tree: one row per (seller, root) with at least one buyer."""
    rows = []
    for seller, name in zip(model.seller_agents, names):
        sizes: dict[int, int] = {}
        for c in model.consumer_list:
            r = c.relations[seller.index]
            if r.purchases > 0 and r.root >= 0:
                sizes[r.root] = sizes.get(r.root, 0) + 1
        rows += [(name, root, size) for root, size in sorted(sizes.items())]
    return pd.DataFrame({"seller": pd.Series([r[0] for r in rows], dtype=object),
                         "root": np.array([r[1] for r in rows], dtype=np.int64),
                         "size": np.array([r[2] for r in rows], dtype=np.int64)})


def _organic(degree: float, feed: FeedParams) -> tuple[float, float]:
    """Friends' personal posts in the feed per slot, O_k = degree × friend posts × share_k (§3.3.7)."""
    friends_posts = degree * feed.friend_posts_per_day
    return friends_posts * (1.0 - feed.idle_share), friends_posts * feed.idle_share


class ReferenceModel(mesa.Model):
    """One market, agent by agent: the reference implementation of docs/model.md.

    Parameters
    ----------
    config : RunConfig
        The run; ``config.seed`` seeds the graph, the placement and the dynamics exactly as in
        :class:`viralsim.model.mesa_model.ViralModel`.
    topology : Topology, optional
        Use this graph instead of building ``config.network`` (the network stream is then unused).
    """

    def __init__(self, config: RunConfig, *, topology: Topology | None = None) -> None:
        st = streams(config.seed)
        super().__init__(rng=st.dynamics)
        #: the run's config (reported by ``result``) and the config in force (events change it)
        self.run_config = self.config = config
        self._events = EventQueue(config.events)
        self.topology = topology if topology is not None else build_network(config.network, rng=st.network)
        self.day = 0
        self.cascade_log: list[tuple[int, int, int, int]] = []
        self.open_groups: list[OpenGroup] = []
        graph = self.topology.to_networkx()
        self.grid = Network(graph, random=self.random)
        setups = sellers_of(config, self.topology.n, st.placement)
        seller_nodes = [int(x) for x in place_sellers(self.topology, setups, rng=st.placement)]
        self.seller_agents = [SellerAgent(self, setup, i, node, self.grid[node])
                              for i, (setup, node) in enumerate(zip(setups, seller_nodes))]
        # Every person is a consumer, sellers included: a seller buys from the others (never
        # from herself; every seller rule below leaves her own node alone).
        self.consumer_list = [ConsumerAgent(self, node, self.grid[node]) for node in range(self.topology.n)]
        self.consumer_at = {c.node: c for c in self.consumer_list}
        self.consumers = self.agents_by_type[ConsumerAgent]
        self._initialise(graph, rng=st.placement)
        self._presets = [s.setup.preset for s in self.seller_agents]
        self._rows: list[dict] = []
        self._market: list[dict] = []
        self._totals = {s.name: {k: np.zeros(m) for k, m in BREAKDOWNS.items()} for s in self.seller_agents}
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m._market[-1][k] if m._market else np.nan) for k in MARKET_COLUMNS},
            agenttype_reporters={SellerAgent: {k: (lambda a, k=k: a.today.get(k, np.nan))
                                               for k in ("purchases", "customers", "mean_trust", "mean_annoyance",
                                                         "muted", "blocked", "followers", "revenue")}},
        )

    def _initialise(self, graph, *, rng: np.random.Generator) -> None:
        """§3.1: friends, circles (at most ``platform.max_contacts``, topped up with weak ties), trust
        priors, needs, tolerances."""
        c = self.config
        for consumer in self.consumer_list:
            for node in sorted(graph.neighbors(consumer.node)):
                if node in self.consumer_at:
                    consumer.friends.append((self.consumer_at[node], bool(graph.edges[consumer.node, node]["strong"])))
            consumer.degree = float(graph.degree(consumer.node))
            consumer.organic = _organic(consumer.degree, c.feed)
            consumer.relations = {s.index: Relation() for s in self.seller_agents}
        prior = {NO_TIE: c.trust.prior_stranger, STRANGER: c.trust.prior_stranger,
                 WEAK: c.trust.prior_weak, STRONG: c.trust.prior_strong}
        cap = c.platform.max_contacts
        for seller in self.seller_agents:
            friends = [node for node in graph.neighbors(seller.node) if node in self.consumer_at]
            if len(friends) > cap:         # WeChat's limit: a random subset of her friends (§3.1)
                friends = [friends[i] for i in sorted(rng.choice(len(friends), size=cap, replace=False))]
            for node in friends:
                strong = bool(graph.edges[seller.node, node]["strong"])
                seller.relation(self.consumer_at[node]).tie = STRONG if strong else WEAK
            contacts = sum(seller.relation(x).tie > NO_TIE for x in self.consumer_list)
            missing = min(seller.setup.circle_size, cap) - contacts
            if missing > 0:
                pool = [x for x in self.consumer_list if seller.relation(x).tie == NO_TIE and x.node != seller.node]
                for i in rng.choice(len(pool), size=min(missing, len(pool)), replace=False):
                    seller.relation(pool[i]).tie = WEAK
            for x in self.consumer_list:
                rel = seller.relation(x)
                rel.baseline = rel.trust = prior[rel.tie]
                rel.aware = rel.tie > NO_TIE
        share = c.purchase.need_rate / (c.purchase.need_rate + 1.0 / c.purchase.need_duration)
        for x in self.consumer_list:
            x.need = True if c.purchase.always_need else bool(rng.random() < share)
            x.tolerance = math.exp(c.ties.tolerance_spread * rng.standard_normal())

    def load_state(self, state) -> ReferenceModel:
        """Copy a fast-engine ``State`` (same graph, same sellers) into the agents.

        For verification: both engines can then take the next day from one common state, so a
        difference in any single rule shows up without the noise of diverging histories
        (tests/docking/test_one_day.py). Daily flows, cascade logs and the DataCollector are not
        copied.
        """
        if [s.node for s in self.seller_agents] != [int(x) for x in state.seller_nodes]:
            raise ValueError("load_state: the state's sellers sit on other nodes than this model's")
        columns = {name: state.dense(name) for name in Relation.__annotations__}
        for c in self.consumer_list:
            i = c.node
            c.group = None                          # (the state's open groups are copied below)
            c.need, c.sated, c.tolerance = bool(state.need[i]), bool(state.sated[i]), float(state.tolerance[i])
            c.pushed_days = int(state.pushed[i])
            c.fatigue = float(state.fatigue[i])
            c.activity, c.commercial_share = float(state.activity[i]), float(state.commercial_share[i])
            for s, rel in c.relations.items():
                for name, kind in Relation.__annotations__.items():
                    value = columns[name][s, i]
                    setattr(rel, name, {"int": int, "float": float, "bool": bool}[kind](value))
        for seller in self.seller_agents:
            seller.group_activity = float(state.group_activity[seller.index])
            seller.brand = float(state.sellers.brand[seller.index])
        gb = state.group_buys
        self.open_groups = []
        for g in range(int(gb.count[0])):
            members, u = [], int(gb.opener[g])
            while u >= 0:
                members.append(self.consumer_at[u])
                u = int(gb.next_member[u])
            group = OpenGroup(self.seller_agents[int(gb.seller[g])], members, int(gb.target[g]), int(gb.deadline[g]))
            for member in members:
                member.group = group
            self.open_groups.append(group)
        self.day = int(state.day)
        return self

    def add_breakdown(self, s: int, key: str, index: int, amount: float) -> None:
        """Add to a run total used by ``metrics.summarize`` (exposures and conversions by tie, ...)."""
        self._totals[self.seller_agents[s].name][key][index] += amount

    def apply_events(self) -> None:
        """§3.3.22: the events of the coming day, before anything of it happens."""
        for event in self._events.due(self.day + 1):
            sellers = self.seller_agents
            change = work_out(event, self.config, [s.name for s in sellers], [s.setup.population for s in sellers],
                              self._presets, [s.strategy for s in sellers])
            for s, strategy in change.strategies.items():
                sellers[s].strategy = strategy
            for s, product in change.products.items():
                sellers[s].product = product
            for s, preset in change.presets.items():
                self._presets[s] = preset
            if change.config is not self.config:
                self.config = change.config
                for consumer in self.consumer_list:       # friends' posts per slot (§3.3.7)
                    consumer.organic = _organic(consumer.degree, self.config.feed)
            shocked = [int(s) for s in change.shocked]
            for consumer in self.consumer_list:           # a scandal: those who know her trust her less
                for s in shocked:
                    rel = consumer.relations[s]
                    if rel.aware:
                        rel.trust *= change.trust_factor

    def step(self) -> None:
        """One day, in the order of docs/model.md §1.3 (the order of ``pipeline.run_day``), after
        the day's events (§3.3.22)."""
        self.apply_events()
        sellers = self.seller_agents
        for seller in sellers:                                 # 0 plan
            seller.make_plan()
        for consumer in self.consumer_list:
            consumer.today = {s.index: Today.empty() for s in sellers}
        self.consumers.do("update_need")                      # 1 needs
        self.consumers.do("relax")                            # 2 relaxation and decay
        for seller in sellers:                                 # 3 strangers
            seller.add_strangers()
        if self.day == 0:                                      # 4 KOL seeding, big-V audiences
            for seller in sellers:
                seller.seed_kols()
                seller.gather_audience()
        self.consumers.do("read_feed")                        # 5 feed (+ platform warning)
        for seller in sellers:                                 # 6, 7 messages and groups, seller by seller
            seller.send_messages()
            seller.count_room()                                #    (room for followers, §3.3.23)
            seller.run_groups()
        self.consumers.do("count_pushes")                     # 8 pushed days,
        self.consumers.do("impulse_wants")                    #   impulse wants
        self.consumers.do("gain_trust_from_content")          # 9 trust from content
        for seller in sellers:                                 # 10 enquiries and service
            seller.answer_enquiries()
        for consumer in self.consumer_list:
            consumer.before = (consumer.need, consumer.sated)
        self.consumers.do("decide_purchase")                  # 11 purchases
        self.group_buys()                                     #    group-buys
        self.consumers.do("get_annoyed")                      # 12 annoyance, erosion, memory
        for seller in sellers:                                 # 13 settlement, 14 word of mouth
            seller.word_of_mouth(seller.settle_purchases())
        for seller in sellers:                                 #    loaded resellers quit (§3.3.16a)
            seller.quit_loaded()
        for seller in sellers:                                 # 15 mute and block (+ blockers warn)
            seller.lose_contacts()
        if self.config.forward.prize_prob + self.config.forward.value_prob + self.config.forward.ad_prob \
                + self.config.forward.forwarded_prob > 0:
            for seller in sellers:                             #    forwarding (§3.3.25)
                seller.forward_posts()
        for seller in sellers:                                 #    ties move (§3.3.24)
            seller.move_ties()
        self.consumers.do("update_activity")                  # 16 platform activity
        for seller in sellers:                                 # 17 bookkeeping
            seller.book_day()
        self.day += 1
        self._record()                                         # 18 record
        self.datacollector.collect(self)

    def group_buys(self) -> None:
        """§3.3.14a, group-buys (拼团), after the day's purchase decisions.

        A decision toward a seller who runs group-buys opens a group (the opener its first
        member; it needs ``size`` members and is open through day today + window - 1) instead of a
        purchase, and a decision by someone already waiting in a group is void; either way her
        need and satiation are those she had before deciding. Then, group by group in the order
        they were opened, each member (joiners of today included, in joining order) invites
        every friend; a friend who is not the seller, is in no group, bought nothing today, has
        not blocked the seller (and, under one-time adoption, is no former customer or KOL seed)
        and wants the product (a need or today's impulse toward her) joins with
        probability G_T(T) G_A(A) min(1, pf(P (1 - d)) a_inv), one chance per invitation, until
        the group has its members. A full group sells to every member at the group price; a
        group past its last day fails and nobody in it buys.
        """
        model, c = self, self.config
        decisions = sorted(((buyer, seller, channel) for seller in self.seller_agents
                            for buyer, channel in seller.buyers_today), key=lambda x: x[0].node)
        for seller in self.seller_agents:
            seller.buyers_today = []
        for buyer, seller, channel in decisions:
            if buyer.group is None and not seller.strategy.group_buy.enabled:
                seller.buyers_today.append((buyer, channel))
                continue
            buyer.need, buyer.sated = buyer.before
            if buyer.group is None:
                gb = seller.strategy.group_buy
                buyer.group = OpenGroup(seller, [buyer], gb.size, model.day + gb.window_days - 1)
                self.open_groups.append(buyer.group)
                seller.flows["groups_opened"] += 1
        bought = {b.node for s in self.seller_agents for b, _ in s.buyers_today}
        gated = c.trust.enabled and c.purchase.trust_gating
        for group in self.open_groups:
            seller = group.seller
            gb = seller.strategy.group_buy
            pull = min(1.0, price_factor(seller.product.price * (1.0 - gb.discount), c.purchase) * gb.invite_conversion)
            j = 0
            while j < len(group.members) and len(group.members) < group.target:
                inviter = group.members[j]
                j += 1
                for friend, _ in inviter.friends:
                    if len(group.members) >= group.target:
                        break
                    if friend.node == seller.node or friend.group is not None or friend.node in bought:
                        continue
                    rel = seller.relation(friend)
                    if rel.blocked or not (friend.need or friend.today[seller.index].impulse):
                        continue
                    if not c.purchase.repurchase and (rel.purchases > 0 or rel.root == friend.node):
                        continue
                    p = pull * annoyance_gate(rel.annoyance, c.annoyance)
                    if gated:
                        p *= trust_gate(rel.trust, c.purchase)
                    if model.rng.random() < p:
                        group.members.append(friend)
                        friend.group = group
                        rel.aware = True
        still_open = []
        for group in self.open_groups:
            if len(group.members) >= group.target:
                for member in group.members:
                    group.seller.buyers_today.append((member, GROUP_BUY_CHANNEL))
                    if not c.purchase.always_need:
                        member.need = False
                        member.sated = c.purchase.consumption_days > 0
                    member.group = None
                group.seller.flows["groups_filled"] += 1
            elif group.deadline <= model.day:
                for member in group.members:
                    member.group = None
                group.seller.flows["groups_failed"] += 1
            else:
                still_open.append(group)
        self.open_groups = still_open

    def _record(self) -> None:
        for seller in self.seller_agents:
            row = {"day": self.day, "seller": seller.name}
            row.update(_stocks(self, seller))
            for k in FLOWS:
                if k in DAILY_COLUMNS:
                    row[k] = float(seller.flows[k])
            self._rows.append(row)
            seller.today = row
        consumers = self.consumer_list
        self._market.append({
            "day": self.day,
            "platform_activity": sum(x.activity for x in consumers) / len(consumers),
            "commercial_share": sum(x.commercial_share for x in consumers) / len(consumers),
            "with_need": sum(x.need for x in consumers),
            "purchases": float(sum(s.flows["purchases"] for s in self.seller_agents)),
        })

    def run(self, days: int | None = None, *, progress: bool = False) -> ReferenceModel:
        """Step ``days`` days (default: the config's horizon minus the days already run)."""
        return run_days(self, days, progress=progress)

    def result(self) -> RunResult:
        """The same RunResult (columns, summary, cascades) as ``ViralModel.result``."""
        every = pd.DataFrame(self._rows, columns=["day", "seller", *DAILY_COLUMNS])
        market = pd.DataFrame(self._market, columns=["day", *MARKET_COLUMNS])
        names = [s.name for s in self.seller_agents]
        sizes = _cascade_sizes(self, names)
        strategies = {s.name: s.setup.preset for s in self.seller_agents}
        summary = summarize(every, sizes, self._totals, strategies)
        # day by day: the named sellers; the populations only by group
        daily = every[every["seller"].isin(names[:len(self.config.sellers)])].reset_index(drop=True)
        grouping = SellerGroups([s.setup for s in self.seller_agents])
        days = sorted(set(every["day"]))
        blocks = [grouped(every[every["day"] == d][list(DAILY_COLUMNS)].to_numpy(dtype=float), grouping) for d in days]
        groups = group_frame(days, blocks, grouping.labels, grouping.sizes)
        log = np.array(self.cascade_log, dtype=np.int64).reshape(-1, 4)
        cascades = pd.DataFrame({"seller": pd.Series(np.array(names, dtype=object)[log[:, 0]], dtype=object),
                                 "parent": log[:, 1], "child": log[:, 2], "day": log[:, 3]})
        return RunResult(self.run_config, daily, market, summary, cascades, sizes, groups)

    def consumers_frame(self, seller: int | str = 0) -> pd.DataFrame:
        """Per-consumer view toward one seller, like ``ViralModel.consumers``."""
        s = seller if isinstance(seller, int) else [x.name for x in self.seller_agents].index(seller)
        rows = []
        for c in self.consumer_list:
            rel = c.relations[s]
            rows.append({"node": c.node, "tie": TIE_NAMES[rel.tie], "trust": rel.trust, "annoyance": rel.annoyance,
                         "aware": rel.aware, "muted": rel.muted, "blocked": rel.blocked, "purchases": rel.purchases,
                         "need": c.need, "activity": c.activity, "in_group": rel.in_group, "reseller": rel.reseller})
        return pd.DataFrame(rows)
