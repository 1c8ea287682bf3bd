"""Purchase: need x trust x (1 / annoyance) x price x stimulus, with competing sellers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from viralsim._jit import kernel, seeded, stream, uniform
from viralsim.config.schema import AnnoyanceParams, PurchaseParams, TrustParams
from viralsim.model.plan import DayPlan
from viralsim.model.rules._util import saturating_pow
from viralsim.model.rules.annoyance import effective_ads, wear_out
from viralsim.model.state import CHANNELS, REFERRAL, RESELLER, Day, State

#: stimulus rows (``CHANNELS`` order), compile-time constants of the kernel
N_CHANNELS = len(CHANNELS)
AD, PRIZE, VALUE, MESSAGE, REPLY, GROUP, CONFORMITY = (
    CHANNELS.index(name) for name in ("ad", "prize", "value", "message", "reply", "group", "conformity"))
# _components returns the stimulus components in this order
assert (AD, PRIZE, VALUE, MESSAGE, REPLY, GROUP, REFERRAL, CONFORMITY, RESELLER) == tuple(range(N_CHANNELS))


@dataclass(frozen=True)
class Purchases:
    """Today's purchases from one seller: buyer node ids and the channel each is attributed to."""

    buyers: np.ndarray
    channels: np.ndarray


def stimulus(state: State, day: Day, plan: DayPlan, idx: np.ndarray, purchase: PurchaseParams,
             annoyance: AnnoyanceParams) -> np.ndarray:
    """Purchase stimulus components of consumers ``idx`` toward one seller, shape (9, m).

    Rows follow ``state.CHANNELS``:
      ad, prize      a_ad W(X_ad), a_prize W(X_prize)        (W = wear-out, rules.annoyance)
      value          a_value (X_value + X_group)              (content is king, seed 000 L179)
      message        a_msg M                                  (direct pitch)
      reply          a_reply [enquiry answered today]         (seed 001 L30, L32)
      group          a_group x group activity [member]        (seed 002 L357-369)
      referral       R, the pull of recent recommendations    (rules.wom)
      conformity     q x (friends who bought) / degree        (從眾, seed 000 L117; network Bass)
      reseller       a_ad W(X_resold)                         (friends' reseller ads, seed 002 L171)
    Each is a per-day probability contribution; rules.purchase sums and caps them at 1.
    """
    s = plan.index
    p = purchase
    mem = state.memory[s, idx]
    worn = lambda seen: effective_ads(seen, mem, annoyance)
    deg = np.maximum(state.degree[idx], 1.0)
    return np.stack([
        p.ad_conversion * worn(day.seen_ad[s, idx]),
        p.prize_conversion * worn(day.seen_prize[s, idx]),
        p.value_conversion * (day.seen_value[s, idx] + day.group_seen[s, idx]),
        p.message_conversion * day.messages[s, idx],
        p.reply_conversion * day.replied[s, idx],
        p.group_conversion * state.group_activity[s] * state.in_group[s, idx],
        state.referral[s, idx],
        p.conformity * state.bought_friends[s, idx] / deg,
        p.ad_conversion * worn(day.seen_reseller[s, idx]),
    ])


def trust_gate(trust: np.ndarray, params: PurchaseParams) -> np.ndarray:
    """G_T = T^h / (T^h + T_half^h): a friend's word is needed, a stranger's pitch rarely sells.

    Trust gates conversion (seed 001 L34; seed 004 L17); deals rest on accumulated trust
    (seed 002 L367), so the gate is steep around T_half: 0.5 at T_half, near 0 for strangers.
    """
    th = np.power(trust, params.trust_steepness)
    return th / (th + params.trust_half ** params.trust_steepness)


#: price factors are held within [1 / PF_MAX, PF_MAX]. Beyond them a purchase probability is 0 or
#: 1 whatever the stimulus; inside them the kernels' products with a stimulus and the ratio of
#: two factors stay finite (an infinite factor times a zero stimulus, or 0 / 0, is NaN).
PF_MAX = 1e100


def price_factor(price: float, params: PurchaseParams) -> float:
    """Price response (reference / price) ** elasticity: 1 at the reference price, saturated at
    ``PF_MAX`` and ``1 / PF_MAX`` (a price that underflows to 0 gives the upper bound)."""
    ratio = params.reference_price / price if price > 0.0 else math.inf
    pf = saturating_pow(ratio, params.price_elasticity)
    return float(min(max(pf, 1.0 / PF_MAX), PF_MAX))


def make_purchases(state: State, day: Day, plans: Sequence[DayPlan], purchase: PurchaseParams,
                   trust: TrustParams, annoyance: AnnoyanceParams,
                   *, rng: np.random.Generator) -> list[Purchases]:
    """Consumers with a need, or an impulse from today's ads, buy from at most one seller today.

    For seller s: p_s = [need or impulse toward s] x G_T x G_A x min(1, pf x (sum of stimulus components except
    referral) + pf_ref x referral), with trust gate G_T (:func:`trust_gate`; 1 when
    ``trust_gating`` is off), annoyance gate G_A = 1 / (1 + A / A_half) on yesterday's annoyance
    (seed 000 L137: spam makes buyers hesitate), price factor pf = (P_ref / P)^eps and pf_ref the same at the referral
    discount (group-buy price below solo price, seed 002 L263). Blocked sellers get p = 0, and
    so do former customers and the seller's KOL seeds when ``repurchase`` is off (one-time
    adoption, for docking).
    Competing sellers share one need: P(buy) = 1 - prod_s (1 - p_s), the seller is drawn in
    proportion to p_s, and the purchase is attributed to one channel in proportion to its
    weighted stimulus (so word-of-mouth-driven purchases can be counted).
    With trust and annoyance off, ``always_need`` and a complete graph this is the discrete
    Bass model: p = a_ad + q F (docs/model.md, Verification).

    The stimulus components are those of :func:`stimulus`, computed inside the compiled loop.

    Modifies: ``state.need`` (cleared by a purchase unless ``always_need``).
    """
    n_p = len(plans)
    sellers = np.array([plan.index for plan in plans], dtype=np.int64)
    pf, pf_ref = np.array([
        [price_factor(plan.product.price, purchase) for plan in plans],
        [price_factor(plan.product.price * (1.0 - plan.strategy.referral_reward), purchase) for plan in plans]])
    p = purchase
    buyers = np.empty((n_p, state.n), dtype=np.int64)
    channels = np.empty((n_p, state.n), dtype=np.int64)
    counts = np.zeros(n_p, dtype=np.int64)
    _make_purchases_kernel(
        sellers, pf, pf_ref, state.need, state.engaged, state.memory, state.degree,
        state.group_activity, state.in_group, state.referral, state.bought_friends, state.trust,
        state.annoyance, state.blocked, state.purchases, state.root,
        day.touched, day.impulse, day.seen_ad, day.seen_prize, day.seen_value, day.group_seen,
        day.messages, day.replied, day.seen_reseller,
        float(p.ad_conversion), float(p.prize_conversion), float(p.value_conversion),
        float(p.message_conversion), float(p.reply_conversion), float(p.group_conversion),
        float(p.conformity), bool(annoyance.enabled), float(annoyance.wearout_exposures),
        float(annoyance.half_effect), bool(trust.enabled and p.trust_gating),
        float(p.trust_steepness), float(p.trust_half ** p.trust_steepness),
        bool(p.repurchase), bool(p.always_need), buyers, channels, counts, stream(rng))
    return [Purchases(buyers[k, :m].copy(), channels[k, :m].copy()) for k, m in enumerate(counts.tolist())]


@kernel
def _make_purchases_kernel(sellers, pf, pf_ref, need, engaged, memory, degree, group_activity,
                           in_group, referral, bought_friends, trust, annoyance_stock, blocked,
                           purchases, root, touched, impulse, seen_ad, seen_prize, seen_value,
                           group_seen, messages, replied, seen_reseller,
                           a_ad, a_prize, a_value, a_msg, a_reply, a_group, q, annoyance_on, ew,
                           a_half, trust_gated, h, half_h, repurchase, always_need,
                           buyers, channels, counts, words):
    """Candidates by row passes, a cheap upper bound on P(buy), then exact p_s for the few below it."""
    rs = seeded(words)
    n = need.shape[0]
    n_p = len(sellers)
    # Only a consumer with a want toward s (need or impulse), not blocking s, and with some
    # stimulus from s can buy from s; every stimulus component comes from a contact today
    # (touched) or a standing pull (engaged: a recommendation, a friend who bought, a group).
    # Branch-free row passes over the boolean rows vectorise; the few candidates are compacted.
    can = np.zeros(n, dtype=np.bool_)
    for k in range(n_p):
        s = sellers[k]
        for i in range(n):
            can[i] |= (need[i] | impulse[s, i]) & (engaged[s, i] | touched[s, i]) & (blocked[s, i] ^ True)
    cand = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        cand[m] = i
        m += can[i]
    # Thinning: the buy draw "u < 1 - prod_s (1 - p_s)" is decided by the same u against an upper
    # bound first, sum_s min(1, stimulus bound of s) (gates <= 1, W(X) = E_w ln(1 + X/(E_w + E))
    # <= X E_w / (E_w + E), 1 - prod (1 - p) <= sum p), widened far beyond rounding error. A
    # branch-free pass computes it; only the few consumers with u below it need the exact p_s.
    bound = np.zeros(m)
    for k in range(n_p):
        s = sellers[k]
        pf_s, pf_ref_s, group_s = pf[k], pf_ref[k], a_group * group_activity[s]
        # the seller's rows, indexed by an unsigned index (no negative-index wraparound)
        imp_s, eng_s, touch_s, block_s = impulse[s], engaged[s], touched[s], blocked[s]
        mem_s, ad_s, prize_s, resold_s = memory[s], seen_ad[s], seen_prize[s], seen_reseller[s]
        value_s, group_seen_s, msg_s, reply_s = seen_value[s], group_seen[s], messages[s], replied[s]
        member_s, pull_s, bought_s = in_group[s], referral[s], bought_friends[s]
        for j in range(m):
            i = np.uint64(cand[j])
            ok = (need[i] | imp_s[i]) & (eng_s[i] | touch_s[i]) & (block_s[i] ^ True)
            w = ew / (ew + mem_s[i]) if annoyance_on else 1.0
            ads = w * (a_ad * (float(ad_s[i]) + float(resold_s[i])) + a_prize * float(prize_s[i]))
            rest = (a_value * (float(value_s[i]) + float(group_seen_s[i])) + a_msg * float(msg_s[i])
                    + (a_reply if reply_s[i] else 0.0) + (group_s if member_s[i] else 0.0)
                    + q * float(bought_s[i]) / max(degree[i], 1.0))
            b = pf_s * (ads + rest) + pf_ref_s * pull_s[i]
            bound[j] += min(1.0, b) if ok else 0.0
    p = np.zeros(n_p)
    for j in range(m):
        u = uniform(rs)
        if not u < bound[j] * (1.0 + 1e-9) + 1e-12:
            continue                    # u >= bound >= 1 - prod_s (1 - p_s): no purchase
        i = cand[j]
        none = 1.0                      # prod_s (1 - p_s)
        total_p = 0.0
        for k in range(n_p):
            s = sellers[k]
            p[k] = 0.0
            if blocked[s, i] or not (need[i] or impulse[s, i]) or not (engaged[s, i] or touched[s, i]):
                continue                # (no contact and no standing pull: no stimulus from s)
            if not repurchase and (purchases[s, i] > 0 or root[s, i] == i):
                # One-time adoption: former customers and the seller's KOL seeds (who were given
                # the product, so are adopters and roots of their own trees) never buy again.
                continue
            stim = 0.0
            for x in _components(
                    seen_ad[s, i], seen_prize[s, i], seen_value[s, i] + group_seen[s, i],
                    messages[s, i], replied[s, i], in_group[s, i], group_activity[s],
                    referral[s, i], bought_friends[s, i], degree[i], seen_reseller[s, i],
                    memory[s, i], pf[k], pf_ref[k], a_ad, a_prize, a_value, a_msg, a_reply,
                    a_group, q, annoyance_on, ew):
                stim += x
            if not stim > 0.0:
                continue                # (NaN too: min(1, NaN) would be a certain purchase)
            pk = min(1.0, stim)
            if trust_gated:
                t = trust[s, i]
                th = t * t if h == 2.0 else t ** h      # (pow is slow; t * t is exact, as NumPy's)
                # 0 / 0 (T^h and T_half^h both 0, or underflowed) counts as a closed gate: a NaN
                # here would block the consumer's purchases from every seller
                pk *= th / (th + half_h) if th + half_h > 0.0 else 0.0
            if annoyance_on:
                pk /= 1.0 + annoyance_stock[s, i] / a_half
            p[k] = pk
            none *= 1.0 - pk
            total_p += pk
        if total_p <= 0.0 or not u < 1.0 - none:
            continue
        # Seller in proportion to p_s; the last positive one if rounding leaves u x total at the top.
        pick = _pick(p, n_p, uniform(rs) * total_p)
        s = sellers[pick]
        comp = _components(
            seen_ad[s, i], seen_prize[s, i], seen_value[s, i] + group_seen[s, i], messages[s, i],
            replied[s, i], in_group[s, i], group_activity[s], referral[s, i], bought_friends[s, i],
            degree[i], seen_reseller[s, i], memory[s, i], pf[pick], pf_ref[pick], a_ad, a_prize,
            a_value, a_msg, a_reply, a_group, q, annoyance_on, ew)
        stim = 0.0
        for x in comp:
            stim += x
        chan = AD           # all-zero stimulus cannot buy, but keep the attribution defined
        if stim > 0.0:
            chan = _pick(comp, N_CHANNELS, uniform(rs) * stim)
        jj = counts[pick]
        buyers[pick, jj] = i
        channels[pick, jj] = chan
        counts[pick] = jj + 1
        if not always_need:
            need[i] = False         # an impulse purchase had no category need to clear


@kernel
def _components(x_ad, x_prize, x_value, msgs, replied, member, activity, pull, bought, degree,
                x_resold, mem, pf, pf_ref, a_ad, a_prize, a_value, a_msg, a_reply, a_group, q,
                annoyance_on, ew):
    """Price-weighted stimulus components of one consumer toward one seller, ``CHANNELS`` order.

    Takes scalars: a kernel called with arrays pays their reference counting on every call.
    """
    return (pf * (a_ad * _worn(x_ad, mem, ew, annoyance_on)),
            pf * (a_prize * _worn(x_prize, mem, ew, annoyance_on)),
            pf * (a_value * x_value),
            pf * (a_msg * msgs),
            pf * (a_reply if replied else 0.0),
            pf * (a_group * activity if member else 0.0),
            pf * pull * (pf_ref / pf),
            pf * (q * bought / max(degree, 1.0)),
            pf * (a_ad * _worn(x_resold, mem, ew, annoyance_on)))


@kernel
def _pick(weights, n, u):
    """Index k < n drawn in proportion to weights[k] >= 0, given u uniform in [0, sum of weights):
    the first k whose cumulative weight exceeds u (the last positive one if rounding leaves u at
    the top)."""
    pick = -1
    cum = 0.0
    for k in range(n):
        if weights[k] > 0.0:
            pick = k
            cum += weights[k]
            if u < cum:
                break
    return pick


@kernel
def _worn(seen, memory, ew, on):
    """annoyance.effective_ads of one count: E_w ln(1 + X / (E_w + E)), X itself when off."""
    if seen == 0 or not on:
        return float(seen)
    return wear_out(seen, memory, ew)
