"""The whole day of :func:`viralsim.model.engine.step` as one compiled call, with the same bits.

``engine.step`` is the model's readable schedule: some thirty rule calls a day, each a Python
wrapper that prepares a compiled kernel's arguments and seeds its stream. At 10,000 people that
Python glue cost about a third of a run. :func:`step` runs the same kernels, in the same order,
with the same arguments, from one compiled function (:func:`_day_kernel`), so one call replaces
the thirty; the rules and their docstrings stay where they are (``viralsim.model.rules``).

Random draws: every kernel call of ``engine.step`` seeds its stream with four raw words of the
run's generator (``viralsim._jit.stream``), and the only other draw inside a day is the
stochastic rounding of a fractional service capacity, one ``Generator.random()`` call, which is
one raw word as well (``(w >> 11) * 2**-53``). :func:`step` therefore draws an upper bound of the
day's words in one block, lets the compiled day take them in the order the Python schedule
would, and then puts the generator exactly where the Python schedule would have left it (the
state before the block, advanced by the words used). Same seed, same bytes, whichever path runs a
day; ``tests/model/test_compiled_day.py`` checks it for every preset and platform setting.

Days the compiled path does not cover go through ``engine.step`` unchanged (see
:func:`eligible`): the first day of a KOL campaign (seeding draws from the generator in Python),
the implicit complete graph (its word-of-mouth ties are drawn in Python), and plan lists that do
not hold one plan per seller in seller order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from viralsim._jit import kernel
from viralsim.config.schema import RunConfig
from viralsim.metrics import STOCK_COLUMNS, _stock_table
from viralsim.model.engine import FLOW_KEYS
from viralsim.model.plan import DayPlan
from viralsim.model.rules._util import half_life_factor, saturating_pow
from viralsim.model.rules.annoyance import _add_annoyance_kernel
from viralsim.model.rules.contacts import _add_strangers_kernel, _answer_enquiries_kernel, _send_messages_kernel
from viralsim.model.rules.feed import _deliver_kernel, _update_activity_kernel
from viralsim.model.rules.groups import _run_groups_kernel
from viralsim.model.rules.needs import _arrive_needs_kernel, _impulse_needs_kernel
from viralsim.model.rules.purchase import _make_purchases_kernel, price_factor
from viralsim.model.rules.relax import _decay_stocks_kernel, _relax_trust_kernel
from viralsim.model.rules.settle import N_CHANNELS, _settle_kernel
from viralsim.model.rules.ties import _mute_and_block_kernel
from viralsim.model.rules.trust import _gain_from_content_kernel
from viralsim.model.rules.wom import _recommend_kernel, _warn_kernel, recommendation_prob
from viralsim.model.state import REFERRAL, Day, State

#: raw words one seller's rules can take in a day (strangers, messages, groups, capacity rounding
#: and enquiries, settlement, three recommendation batches, two warning batches, mute/block: four
#: words per stream) and the market-wide ones (needs, feed, impulses, purchases)
_SELLER_WORDS = 4 * 11 + 1
_MARKET_WORDS = 4 * 4

# Run constants (config only), positions in the ``run`` vector built by :func:`_run_constants`.
(_ALWAYS_NEED, _P_LAPSE, _NEED_RATE, _TRUST_ON, _F_TRUST, _F_ANNOY, _F_MEMORY, _F_REFERRAL,
 _IMPULSE_PER_AD, _ANNOY_ON, _WEAROUT, _G_VALUE, _G_GROUP, _ENQUIRY_PROB, _GATED, _STEEP,
 _HALF_H, _GAIN_REPLY, _LOSS_UNANSWERED, _AD_CONV, _PRIZE_CONV, _VALUE_CONV, _MSG_CONV,
 _REPLY_CONV, _GROUP_CONV, _CONFORMITY, _HALF_EFFECT, _REPURCHASE, _W_AD, _W_PRIZE, _W_VALUE, _W_LIFE, _W_MSG, _F_SOL, _F_LOW,
 _F_IDLE, _SPILL, _ERODE, _LOSS_UNWANTED, _GAIN_GOOD, _LOSS_BAD, _BETA_STRONG, _BETA_WEAK,
 _TRANSFER, _GAIN_REC, _WEAK_WEIGHT, _WARN_PROB, _BLOCK_WARN_PROB, _LOWER, _LOSS_WARNING,
 _BLOCK_MAX, _BLOCK_THETA_H, _STRONG_FACTOR, _MUTE_MAX, _MUTE_THETA_H, _TIE_STEEP, _F_ACTIVITY,
 _ACTIVITY_PULL, _INTEREST, _N_RUN) = range(60)

# Per-seller values of the day (strategy, product and plan), columns of the ``seller`` matrix.
(_STRANGERS, _MESSAGES, _NEED_TRIGGERED, _GROUPS_ON, _GROUP_TARGET, _F_GROUP, _INVITES,
 _GROUP_POSTS, _CAPACITY, _PF, _PF_REF, _PRICE, _REWARD, _UNIT_COST, _COMMISSION, _QUALITY,
 _RESELLER_PROB, _P_REC, _P_FAN, _COST_POST, _COST_MESSAGE, _COST_STRANGER, _COST_REPLY,
 _COST_GROUP_DAY, _GROUP_SIZE, _RESELLER_POSTS, _FOLDED, _N_SELLER) = range(28)


def eligible(state: State, plans: Sequence[DayPlan]) -> bool:
    """Whether :func:`step` can run this day (else ``engine.step`` runs it, with the same result)."""
    if state.topo.complete or len(plans) != state.n_sellers:
        return False
    for s, plan in enumerate(plans):
        if plan.index != s or (state.day == 0 and plan.strategy.kol_seeds > 0):
            return False
    return True


def _run_constants(config: RunConfig) -> np.ndarray:
    """The config's values every day's kernels take, computed exactly as the rule wrappers do."""
    p, t, a, w, ties, f = config.purchase, config.trust, config.annoyance, config.wom, config.ties, config.feed
    run = np.zeros(_N_RUN)
    h, th = p.trust_steepness, ties.steepness
    f_act = half_life_factor(f.activity_half_life)
    values = {
        _ALWAYS_NEED: p.always_need, _P_LAPSE: min(1.0, 1.0 / p.need_duration), _NEED_RATE: p.need_rate,
        _TRUST_ON: t.enabled, _F_TRUST: half_life_factor(t.half_life), _F_ANNOY: half_life_factor(a.half_life),
        _F_MEMORY: half_life_factor(a.exposure_memory_half_life), _F_REFERRAL: half_life_factor(w.referral_half_life),
        _IMPULSE_PER_AD: p.impulse_per_ad, _ANNOY_ON: a.enabled, _WEAROUT: a.wearout_exposures,
        _G_VALUE: t.gain_value, _G_GROUP: min(1.0, t.gain_value * t.group_gain_multiplier),
        _ENQUIRY_PROB: p.enquiry_prob, _GATED: t.enabled and p.trust_gating, _STEEP: h,
        _HALF_H: p.trust_half ** h, _GAIN_REPLY: t.gain_reply, _LOSS_UNANSWERED: t.loss_unanswered,
        _AD_CONV: p.ad_conversion, _PRIZE_CONV: p.prize_conversion, _VALUE_CONV: p.value_conversion,
        _MSG_CONV: p.message_conversion, _REPLY_CONV: p.reply_conversion, _GROUP_CONV: p.group_conversion,
        _CONFORMITY: p.conformity, _HALF_EFFECT: a.half_effect,
        _REPURCHASE: p.repurchase,
        _W_AD: a.weight_ad, _W_PRIZE: a.weight_prize, _W_VALUE: a.weight_value, _W_LIFE: a.weight_life,
        _W_MSG: a.weight_message, _F_SOL: a.solicited_factor, _F_LOW: a.low_trust_factor,
        _F_IDLE: a.idle_ad_factor, _SPILL: a.load_spillover,
        _ERODE: a.enabled and t.enabled and t.loss_per_unwanted > 0, _LOSS_UNWANTED: t.loss_per_unwanted,
        _GAIN_GOOD: t.gain_good_purchase, _LOSS_BAD: t.loss_bad_purchase, _BETA_STRONG: w.strong_persuasion,
        _BETA_WEAK: w.weak_persuasion, _TRANSFER: t.enabled and t.gain_recommendation > 0,
        _GAIN_REC: t.gain_recommendation, _WEAK_WEIGHT: w.weak_tie_weight, _WARN_PROB: w.warn_prob,
        _BLOCK_WARN_PROB: w.block_warn_prob, _LOWER: t.enabled and t.loss_warning > 0,
        _LOSS_WARNING: t.loss_warning, _BLOCK_MAX: ties.block_max, _BLOCK_THETA_H: saturating_pow(ties.block_threshold, th),
        _STRONG_FACTOR: ties.strong_block_factor, _MUTE_MAX: ties.mute_max,
        _MUTE_THETA_H: saturating_pow(ties.mute_threshold, th), _TIE_STEEP: th, _F_ACTIVITY: f_act,
        _ACTIVITY_PULL: (1.0 - f_act) * f.activity_sensitivity, _INTEREST: p.interest_threshold,
    }
    for k, v in values.items():
        run[k] = float(v)
    return run


def _seller_values(plans: Sequence[DayPlan], config: RunConfig) -> np.ndarray:
    """One row per seller: today's plan counts and the strategy's and product's values."""
    p, w = config.purchase, config.wom
    rows = np.zeros((len(plans), _N_SELLER))
    for s, plan in enumerate(plans):
        st, pr, g = plan.strategy, plan.product, plan.strategy.groups
        p_rec = recommendation_prob(w, st.referral_reward)
        row = rows[s]
        row[_NEED_TRIGGERED] = st.contact == "need"
        row[_GROUPS_ON] = g.enabled
        if g.enabled:
            row[_GROUP_TARGET] = min(1.0, g.posts_per_day / g.sustain_posts_per_day)
            row[_F_GROUP] = half_life_factor(g.half_life)
        row[_CAPACITY] = st.service_capacity
        row[_PF] = price_factor(pr.price, p)
        row[_PF_REF] = price_factor(pr.price * (1.0 - st.referral_reward), p)
        row[_PRICE], row[_REWARD], row[_UNIT_COST] = pr.price, st.referral_reward, pr.unit_cost
        row[_COMMISSION], row[_QUALITY], row[_RESELLER_PROB] = st.reseller_commission, pr.quality, st.reseller_prob
        row[_P_REC], row[_P_FAN] = p_rec, min(1.0, p_rec * g.advocacy)
        row[_COST_POST], row[_COST_MESSAGE], row[_COST_STRANGER] = st.cost_per_post, st.cost_per_message, st.cost_per_stranger
        row[_COST_REPLY], row[_COST_GROUP_DAY], row[_GROUP_SIZE] = st.cost_per_reply, st.cost_group_per_day, g.size
        row[_RESELLER_POSTS], row[_FOLDED] = plan.reseller_posts, plan.folded
    return rows


def _day_values(plans: Sequence[DayPlan], config: RunConfig) -> tuple[np.ndarray, np.ndarray]:
    """The run constants and the seller rows with today's counts; the parts that only change
    with the config or a seller's strategy or product are computed once and kept."""
    global _cache
    key = (config, *((plan.strategy, plan.product, plan.folded, plan.reseller_posts) for plan in plans))
    cache = _cache      # one read: runs in other threads may replace it meanwhile (the tuple and
    #                     its arrays are never modified, so a local reference stays consistent)
    if cache is None or len(cache[0]) != len(key) or any(a is not b and a != b for a, b in zip(cache[0], key)):
        cache = _cache = (key, _run_constants(config), _seller_values(plans, config))
    seller = cache[2].copy()
    for s, plan in enumerate(plans):
        seller[s, _STRANGERS], seller[s, _MESSAGES] = plan.strangers, plan.messages
        seller[s, _INVITES], seller[s, _GROUP_POSTS] = plan.invites, plan.group_posts
    return cache[1], seller


#: the last day's key and values (a run's days share one config and, mostly, one set of strategies)
_cache: tuple | None = None
_BREAKDOWNS = (("channels", 0, N_CHANNELS), ("exposures_by_tie", N_CHANNELS, N_CHANNELS + 4),
               ("seller_conversions_by_tie", N_CHANNELS + 4, N_CHANNELS + 8),
               ("wom_sent_by_tie", N_CHANNELS + 8, N_CHANNELS + 10),
               ("wom_conversions_by_tie", N_CHANNELS + 10, N_CHANNELS + 12))


def step(state: State, plans: Sequence[DayPlan], config: RunConfig, *, rng: np.random.Generator) -> dict:
    """One day, as ``engine.step(state, plans, config, rng=rng)`` computes it (same flows, same
    state, same generator state afterwards), in one compiled call; requires :func:`eligible`."""
    n_s = state.n_sellers
    run, seller = _day_values(plans, config)
    posts = np.empty((n_s, 4, 2), dtype=np.int64)
    for s, plan in enumerate(plans):
        posts[s] = plan.posts
    fold_prob = 0.0
    for plan in plans:
        if plan.folded:
            fold_prob = plan.fold_view_prob
    f = config.feed
    feed = np.array([1.0 - f.idle_hours_share, f.idle_hours_share,
                     f.attention_per_day * (1.0 - f.idle_share), f.attention_per_day * f.idle_share, fold_prob])
    day = Day.for_state(state)
    table = np.zeros((len(FLOW_KEYS), n_s))
    breakdowns = np.zeros((n_s, N_CHANNELS + 12))
    stocks = np.empty((n_s, len(STOCK_COLUMNS)))
    link_ends = np.zeros(n_s, dtype=np.int64)
    bit_generator = rng.bit_generator
    before = bit_generator.state
    words = bit_generator.random_raw(_MARKET_WORDS + _SELLER_WORDS * n_s)
    topo = state.topo
    used, links = _day_kernel(
        run, seller, posts, feed, words, state.day, state.trace_cascades,
        topo.indptr, topo.indices, topo.strong,
        state.seller_nodes, state.is_consumer, state.degree, state.organic, state.need, state.tolerant,
        state.activity, state.commercial_share, state.tie, state.trust, state.baseline, state.annoyance,
        state.memory, state.referral, state.referrer, state.referrer_strong, state.root, state.purchases,
        state.bought_friends, state.reseller_friends, state.aware, state.muted, state.blocked,
        state.in_group, state.engaged, state.reseller, state.group_activity,
        day.seen_ad, day.seen_prize, day.seen_value, day.seen_life, day.seen_ad_idle, day.seen_prize_idle,
        day.messages, day.group_seen, day.seen_reseller, day.solicited, day.replied, day.touched,
        day.saw_posts, day.impulse, day.commercial_load,
        table, breakdowns, stocks, link_ends)
    # Leave the generator where the Python schedule would: before the block, plus the words used.
    bit_generator.state = before
    bit_generator.random_raw(used)
    start = 0
    for s in range(n_s):
        if link_ends[s] > start:
            state.cascade_log.append(links[:, start:link_ends[s]].copy())
        start = link_ends[s]
    flows = dict(zip(FLOW_KEYS, table))
    flows["table"] = table
    for name, start, stop in _BREAKDOWNS:
        flows[name] = breakdowns[:, start:stop]
    flows["commercial_load"] = day.commercial_load.copy()
    flows["stocks"] = stocks        # the end-of-day stock table (metrics.stock_table), computed here too
    state.day += 1
    return flows


# FLOW_KEYS rows of the flows table (engine.FLOW_KEYS order)
(_F_POSTS, _F_EXP_AD, _F_EXP_VALUE, _F_EXP_LIFE, _F_EXP_PRIZE, _F_EXP_RESELLER, _F_MESSAGES,
 _F_REACH, _F_PURCHASES, _F_PURCHASES_WOM, _F_REVENUE, _F_COST, _F_WOM_POS, _F_WOM_NEG,
 _F_ENQUIRIES, _F_REPLIES, _F_STRANGERS) = range(17)
_B_CHANNELS, _B_EXPOSURES, _B_SELLER_CONV, _B_WOM_SENT, _B_WOM_CONV = 0, N_CHANNELS, N_CHANNELS + 4, N_CHANNELS + 8, N_CHANNELS + 10


@kernel
def _take(words, at):
    """The next stream's four seed words (``viralsim._jit.stream``) from the day's block."""
    if at + 4 > words.shape[0]:
        raise ValueError("compiled day: the day took more random words than its bound")
    return words[at:at + 4], at + 4


@kernel
def _senders(buyers, keep, n_keep):
    """The buyers flagged in ``keep``, in order (the batches of ``engine.step``'s word of mouth)."""
    out = np.empty(n_keep, dtype=np.int64)
    k = 0
    for j in range(buyers.shape[0]):
        if keep[j]:
            out[k] = buyers[j]
            k += 1
    return out


@kernel
def _day_kernel(run, seller, posts, feed, words, today, trace, indptr, indices, strong,
                seller_nodes, is_consumer, degree, organic, need, tolerant, activity, commercial_share,
                tie, trust, baseline, annoyance, memory, referral, referrer, referrer_strong, root,
                purchases, bought_friends, reseller_friends, aware, muted, blocked, in_group, engaged,
                reseller, group_activity, seen_ad, seen_prize, seen_value, seen_life, seen_ad_idle,
                seen_prize_idle, messages, group_seen, seen_reseller, solicited, replied, touched,
                saw_posts, impulse, commercial_load, table, breakdowns, stocks, link_ends):
    """``engine.step`` from "1 needs" to "16 platform activity", kernel for kernel; returns the
    number of raw words taken from ``words`` and the day's cascade links (their ends per seller
    in ``link_ends``)."""
    n_s, n = tie.shape
    at = 0
    trust_on = run[_TRUST_ON] != 0.0
    # 1-2 needs, relaxation, decay
    if run[_ALWAYS_NEED] != 0.0:
        for i in range(n):
            need[i] = is_consumer[i]
    else:
        w, at = _take(words, at)
        _arrive_needs_kernel(need, is_consumer, seller_nodes, run[_P_LAPSE], run[_NEED_RATE], w)
    if trust_on:
        _relax_trust_kernel(trust, baseline, run[_F_TRUST])
    _decay_stocks_kernel(annoyance, memory, referral, run[_F_ANNOY], run[_F_MEMORY], run[_F_REFERRAL])
    # 3 strangers
    for s in range(n_s):
        k = int(seller[s, _STRANGERS])
        if k > 0:
            w, at = _take(words, at)
            table[_F_STRANGERS, s] = _add_strangers_kernel(tie, aware, is_consumer, s, k, w)
        table[_F_POSTS, s] = posts[s].sum()
    # 5 feeds
    folded = np.zeros(n_s, dtype=np.bool_)
    reseller_posts = np.zeros(n_s)
    active = np.ones(n_s, dtype=np.bool_)
    for s in range(n_s):
        folded[s] = seller[s, _FOLDED] != 0.0
        reseller_posts[s] = seller[s, _RESELLER_POSTS]
    opened = np.zeros((n_s, n), dtype=np.bool_)
    totals = np.zeros((n_s, 5))
    by_tie = np.zeros((n_s, 4))
    w, at = _take(words, at)
    _deliver_kernel(tie, muted, blocked, reseller_friends, is_consumer, organic, activity, active, posts,
                    folded, feed[4], reseller_posts, feed[0:2], feed[2:4], seen_ad, seen_value, seen_life,
                    seen_prize, seen_ad_idle, seen_prize_idle, seen_reseller, touched, saw_posts,
                    commercial_load, commercial_share, aware, opened, totals, by_tie, w)
    for s in range(n_s):
        for c in range(4):
            breakdowns[s, _B_EXPOSURES + c] += by_tie[s, c]
        # the platform's harassment warning on opening a folded block (rules.trust.platform_warning)
        if folded[s] and trust_on:
            keep = 1.0 - run[_LOSS_WARNING]
            for i in range(n):
                if opened[s, i]:
                    trust[s, i] = trust[s, i] * keep
    # 6-7 messages, groups
    group_read = np.zeros(n_s)
    for s in range(n_s):
        k = int(seller[s, _MESSAGES])
        if k > 0:
            w, at = _take(words, at)
            table[_F_MESSAGES, s] = _send_messages_kernel(tie, blocked, need, s, k, seller[s, _NEED_TRIGGERED] != 0.0,
                                                          messages, solicited, touched, aware, w)
        if seller[s, _GROUPS_ON] != 0.0:
            target = seller[s, _GROUP_TARGET]
            group_activity[s] = target + (group_activity[s] - target) * seller[s, _F_GROUP]
            invites, group_posts = int(seller[s, _INVITES]), int(seller[s, _GROUP_POSTS])
            if invites > 0 or group_posts > 0:
                w, at = _take(words, at)
                group_read[s] = _run_groups_kernel(
                    in_group, blocked, muted, is_consumer, purchases, tie, trust, activity, s, invites,
                    run[_INTEREST], group_posts, group_activity[s], engaged, aware, group_seen, touched,
                    saw_posts, w)
    # 8-9 impulses, value content
    if run[_IMPULSE_PER_AD] > 0 and run[_ALWAYS_NEED] == 0.0:
        w, at = _take(words, at)
        _impulse_needs_kernel(touched, need, seen_ad, seen_prize, seen_reseller, memory, impulse,
                              run[_IMPULSE_PER_AD], run[_ANNOY_ON] != 0.0, run[_WEAROUT], w)
    if trust_on:
        _gain_from_content_kernel(touched, seen_value, group_seen, trust, run[_G_VALUE], run[_G_GROUP])
    # 10 enquiries
    for s in range(n_s):
        cap = seller[s, _CAPACITY]
        base = np.floor(cap)
        capacity = int(base)
        if cap - base > 0.0:        # _rng.stochastic_round: one Generator.random() = one raw word
            if at >= words.shape[0]:
                raise ValueError("compiled day: the day took more random words than its bound")
            capacity += float(words[at] >> np.uint64(11)) * 2.0 ** -53 < cap - base
            at += 1
        w, at = _take(words, at)
        asked, answered = _answer_enquiries_kernel(
            saw_posts, solicited, need, blocked, trust, s, run[_ENQUIRY_PROB], run[_GATED] != 0.0,
            run[_STEEP], run[_HALF_H], capacity, trust_on, run[_GAIN_REPLY], run[_LOSS_UNANSWERED], replied, w)
        table[_F_ENQUIRIES, s] = asked
        table[_F_REPLIES, s] = answered
    # 11 purchases
    sellers = np.arange(n_s)
    pf = seller[:, _PF].copy()
    pf_ref = seller[:, _PF_REF].copy()
    buyers = np.empty((n_s, n), dtype=np.int64)
    channels = np.empty((n_s, n), dtype=np.int64)
    counts = np.zeros(n_s, dtype=np.int64)
    w, at = _take(words, at)
    _make_purchases_kernel(
        sellers, pf, pf_ref, need, engaged, memory, degree, group_activity, in_group, referral,
        bought_friends, trust, annoyance, blocked, purchases, root, touched, impulse, seen_ad, seen_prize,
        seen_value, group_seen, messages, replied, seen_reseller, run[_AD_CONV], run[_PRIZE_CONV],
        run[_VALUE_CONV], run[_MSG_CONV], run[_REPLY_CONV], run[_GROUP_CONV], run[_CONFORMITY],
        run[_ANNOY_ON] != 0.0, run[_WEAROUT], run[_HALF_EFFECT], run[_GATED] != 0.0,
        run[_STEEP], run[_HALF_H], run[_REPURCHASE] != 0.0, run[_ALWAYS_NEED] != 0.0,
        buyers, channels, counts, w)
    # 12 annoyance
    _add_annoyance_kernel(
        touched, seen_ad, seen_prize, seen_reseller, seen_ad_idle, seen_prize_idle, seen_value, group_seen,
        seen_life, messages, solicited, tie, blocked, trust, annoyance, memory, run[_ANNOY_ON] != 0.0,
        run[_W_AD], run[_W_PRIZE], run[_W_VALUE], run[_W_LIFE], run[_W_MSG], run[_F_SOL], run[_F_LOW],
        run[_F_IDLE], run[_WEAROUT], run[_SPILL], run[_ERODE] != 0.0, run[_LOSS_UNWANTED], run[_HALF_EFFECT])
    # 13-14 settlement and word of mouth, seller by seller
    # a consumer buys from one seller at most a day, so the day's buyers bound its cascade links
    links = np.empty((4, counts.sum() if trace else 0), dtype=np.int64)
    n_links_total = 0
    for s in range(n_s):
        m = counts[s]
        b = buyers[s, :m]
        satisfied = np.zeros(m, dtype=np.bool_)
        if m > 0:
            first = np.zeros(m, dtype=np.bool_)
            got = np.zeros(N_CHANNELS + 2 + 4)
            seller_links = np.empty((4, m), dtype=np.int64)
            w, at = _take(words, at)
            revenue, cost, n_links = _settle_kernel(
                s, b, channels[s, :m], purchases, aware, trust, referrer, root, bought_friends, engaged,
                reseller, reseller_friends, indptr, indices, False, seller[s, _PRICE], seller[s, _REWARD],
                seller[s, _UNIT_COST], seller[s, _COMMISSION], seller[s, _QUALITY], trust_on, run[_GAIN_GOOD],
                run[_LOSS_BAD], seller[s, _RESELLER_PROB], today, tie, referrer_strong, satisfied, first,
                seller_links, got, w)
            if trace:
                for j in range(n_links):
                    for r in range(4):
                        links[r, n_links_total + j] = seller_links[r, j]
                n_links_total += n_links
            table[_F_PURCHASES, s] = m
            table[_F_REVENUE, s] = revenue
            table[_F_COST, s] = cost
            for c in range(N_CHANNELS):
                breakdowns[s, _B_CHANNELS + c] = got[c]
            table[_F_PURCHASES_WOM, s] = got[REFERRAL]
            breakdowns[s, _B_WOM_CONV] += got[N_CHANNELS]
            breakdowns[s, _B_WOM_CONV + 1] += got[N_CHANNELS + 1]
            for c in range(4):
                breakdowns[s, _B_SELLER_CONV + c] += got[N_CHANNELS + 2 + c]
        link_ends[s] = n_links_total
        fan = np.zeros(m, dtype=np.bool_)
        plain = np.zeros(m, dtype=np.bool_)
        n_fans = n_plain = n_unhappy = 0
        for j in range(m):
            if satisfied[j]:
                fan[j] = in_group[s, b[j]]
                plain[j] = not fan[j]
                n_fans += fan[j]
                n_plain += plain[j]
            else:
                n_unhappy += 1
        n_strong = n_weak = 0
        p_rec = seller[s, _P_REC]
        if n_plain > 0 and p_rec > 0:
            w, at = _take(words, at)
            senders = _senders(b, plain, n_plain)
            n_strong, n_weak = _recommend_kernel(
                indptr, indices, strong, senders, senders, p_rec, is_consumer, s, run[_BETA_STRONG],
                run[_BETA_WEAK], run[_TRANSFER] != 0.0, run[_GAIN_REC], run[_WEAK_WEIGHT], referral, aware,
                engaged, referrer, referrer_strong, trust, w)
        if n_fans > 0 and seller[s, _P_FAN] > 0:
            w, at = _take(words, at)
            senders = _senders(b, fan, n_fans)
            fs, fw = _recommend_kernel(
                indptr, indices, strong, senders, senders, seller[s, _P_FAN], is_consumer, s,
                run[_BETA_STRONG], run[_BETA_WEAK], run[_TRANSFER] != 0.0, run[_GAIN_REC], run[_WEAK_WEIGHT],
                referral, aware, engaged, referrer, referrer_strong, trust, w)
            n_strong, n_weak = n_strong + fs, n_weak + fw
        breakdowns[s, _B_WOM_SENT] += n_weak
        breakdowns[s, _B_WOM_SENT + 1] += n_strong
        table[_F_WOM_POS, s] = n_strong + n_weak
        if n_unhappy > 0 and run[_WARN_PROB] > 0:
            w, at = _take(words, at)
            senders = _senders(b, ~satisfied, n_unhappy)
            table[_F_WOM_NEG, s] = _warn_kernel(indptr, indices, strong, senders, run[_WARN_PROB], is_consumer, s,
                                                run[_LOWER] != 0.0, run[_LOSS_WARNING], run[_WEAK_WEIGHT], aware,
                                                trust, w)
    # 15 mute and block, warnings by blockers
    for s in range(n_s):
        w, at = _take(words, at)
        _, new_blocked = _mute_and_block_kernel(
            annoyance, tie, tolerant, s, run[_BLOCK_MAX], run[_BLOCK_THETA_H], run[_STRONG_FACTOR],
            run[_MUTE_MAX], run[_MUTE_THETA_H], run[_TIE_STEEP], muted, blocked, in_group, w)
        if new_blocked.shape[0] > 0 and run[_BLOCK_WARN_PROB] > 0:
            w, at = _take(words, at)
            table[_F_WOM_NEG, s] += _warn_kernel(indptr, indices, strong, new_blocked, run[_BLOCK_WARN_PROB],
                                                 is_consumer, s, run[_LOWER] != 0.0, run[_LOSS_WARNING],
                                                 run[_WEAK_WEIGHT], aware, trust, w)
    # 16 platform activity
    _update_activity_kernel(activity, commercial_share, is_consumer, run[_F_ACTIVITY], run[_ACTIVITY_PULL])
    # the day's exposures, reach and the cost of the seller's own actions (engine.action_cost)
    for s in range(n_s):
        table[_F_EXP_AD, s] = totals[s, 0]
        table[_F_EXP_VALUE, s] = totals[s, 1] + group_read[s]
        table[_F_EXP_LIFE, s] = totals[s, 2]
        table[_F_EXP_PRIZE, s] = totals[s, 3]
        table[_F_EXP_RESELLER, s] = totals[s, 4]
        reach = 0
        members = 0
        for i in range(n):
            reach += touched[s, i]
            members += in_group[s, i]
        table[_F_REACH, s] = reach
        n_groups = int(np.ceil(members / seller[s, _GROUP_SIZE])) if seller[s, _GROUPS_ON] != 0.0 else 0
        table[_F_COST, s] += (table[_F_POSTS, s] * seller[s, _COST_POST]
                              + table[_F_MESSAGES, s] * seller[s, _COST_MESSAGE]
                              + table[_F_STRANGERS, s] * seller[s, _COST_STRANGER]
                              + table[_F_REPLIES, s] * seller[s, _COST_REPLY]
                              + n_groups * seller[s, _COST_GROUP_DAY])
    _stock_table(tie, blocked, muted, aware, trust, annoyance, purchases, in_group, reseller, run[_INTEREST], stocks)
    return at, links
