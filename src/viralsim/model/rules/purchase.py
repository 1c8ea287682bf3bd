"""Purchase: need x trust x (1 / annoyance) x price x stimulus, with competing sellers."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from viralsim._jit import kernel, market_stream, uniform
from viralsim.model.outputs import CHANNEL, N_STIMULI
from viralsim.model.rules._util import half_life_factor, saturating_pow, trust_gate
from viralsim.model.rules.annoyance import wear_out
from viralsim.model.rules.face import face_stimulus, novelty
from viralsim.model.rules.needs import runout_prob

STREAM = 9
#: the channels a purchase decision can be attributed to: the stimulus components (``CHANNELS``
#: but group-buy, whose purchases come from filled groups, rules.groupbuy)
N_CHANNELS = N_STIMULI
AD = CHANNEL.ad
FACE = CHANNEL.face
#: price factors are held within [1 / PF_MAX, PF_MAX]. Beyond them a purchase probability is 0 or
#: 1 whatever the stimulus; inside them the kernels' products with a stimulus and the ratio of
#: two factors stay finite (an infinite factor times a zero stimulus, or 0 / 0, is NaN).
PF_MAX = 1e100


class Params(NamedTuple):
    a_ad: float
    a_prize: float
    a_value: float
    a_msg: float
    a_reply: float
    a_group: float
    q: float
    annoyance_on: bool
    wearout: float
    a_half: float
    gated: bool
    steepness: float
    half_h: float
    repurchase: bool
    always_need: bool
    sate: bool              # a purchase sates the buyer (rules.needs)
    novelty: float          # ν (rules.face)
    novelty_factor: float   # 2^(-1/h_N)
    face_strong: float      # φ_s
    face_weak: float        # φ_w
    face_half: float        # D_½


def prepare(config) -> Params:
    p, a, t = config.purchase, config.annoyance, config.trust
    h = p.trust_steepness
    return Params(p.ad_conversion, p.prize_conversion, p.value_conversion, p.message_conversion,
                  p.reply_conversion, p.group_conversion, p.conformity, bool(a.enabled), a.wearout_exposures,
                  a.half_effect, bool(t.enabled and p.trust_gating), float(h), float(p.trust_half ** h),
                  bool(p.repurchase), bool(p.always_need), runout_prob(p) > 0.0, float(p.novelty_boost),
                  half_life_factor(p.novelty_half_life), float(p.face_strong), float(p.face_weak),
                  float(p.face_half_days))


def price_factor(price: float, purchase) -> float:
    """Price response (reference / price) ** elasticity: 1 at the reference price, saturated at
    ``PF_MAX`` and ``1 / PF_MAX`` (a price that underflows to 0 gives the upper bound)."""
    ratio = purchase.reference_price / price if price > 0.0 else math.inf
    pf = saturating_pow(ratio, purchase.price_elasticity)
    return float(min(max(pf, 1.0 / PF_MAX), PF_MAX))


@kernel
def _worn(seen, memory, wearout, on):
    """Wear-out of one count (rules.annoyance.wear_out); X itself when annoyance is off."""
    if seen == 0 or not on:
        return float(seen)
    return wear_out(seen, memory, wearout)


@kernel
def components(par, x_ad, x_prize, x_value, msgs, replied, member, activity, pull, bought, degree, x_resold,
               x_fwd, mem, pf, pf_ref, nov, face, brand, out):
    """Price-weighted stimulus components of one relation, ``CHANNELS`` order, into ``out``.

      ad, prize      a_ad W(X_ad) N, a_prize W(X_prize) N    (W = wear-out, rules.annoyance;
                                                             N = ``nov`` novelty, rules.face)
      value          a_value (X_value + X_group)              (content is king, seed 000 L179)
      message        a_msg M                                  (direct pitch)
      reply          a_reply [enquiry answered today]         (seed 001 L30, L32)
      group          a_group x group activity [member]        (seed 002 L357-369)
      referral       R, the pull of recent recommendations    (rules.wom), at the referral price
      conformity     q x (friends who bought) / degree        (從眾, seed 000 L117; network Bass)
      reseller       a_ad W(X_resold) (X_resold - X_fwd) / X_resold    (friends' reseller ads, seed 002 L171)
      forward        a_ad W(X_resold) X_fwd / X_resold        (friends' forwards of her posts, rules.forward)
      face           F = ``face``, face-saving support          (面子/人情, rules.face)
    each times the price factor, and every one but face times the seller's brand B = ``brand``
    (rules.bigv: 1 but for a big-V; face belongs to the friendship, not to her name). Takes
    scalars (a call with the relation table would pass all of its arrays). Returns their sum.
    """
    on, ew = par.annoyance_on, par.wearout
    own = pf * brand                    # (what sells her product is worth what her name is: rules.bigv)
    out[0] = own * (par.a_ad * _worn(x_ad, mem, ew, on) * nov)
    out[1] = own * (par.a_prize * _worn(x_prize, mem, ew, on) * nov)
    out[2] = own * (par.a_value * x_value)
    out[3] = own * (par.a_msg * msgs)
    out[4] = own * (par.a_reply if replied else 0.0)
    out[5] = own * (par.a_group * activity if member else 0.0)
    out[6] = own * pull * (pf_ref / pf)
    out[7] = own * (par.q * bought / max(degree, 1.0))
    # Friends' posts about the product (X_resold: reseller ads and forwards together wear out as
    # one count) are attributed to the two channels in proportion to what was read of each.
    friends = own * (par.a_ad * _worn(x_resold, mem, ew, on))
    out[8] = friends
    out[9] = 0.0
    if x_fwd > 0:
        out[8] = friends * ((x_resold - x_fwd) / x_resold)
        out[9] = friends * (x_fwd / x_resold)
    out[10] = pf * face
    total = 0.0
    for c in range(N_CHANNELS):
        total += out[c]
    return total


@kernel
def make_purchases(key, today, par, people, sellers, rel, buyer_rows, buyer_channels):
    """Consumers with a need, or an impulse from today's ads, buy from at most one seller today;
    friends pushed by a seller may buy from her out of face without either (rules.face).

    For seller s: p_s = 1 - (1 - p_want)(1 - p_face), p_want = [need or impulse toward s] x G_T
    x G_A x min(1, pf x (sum of stimulus components except referral and face) + pf_ref x
    referral), p_face = G_T(T_0) x min(1, pf x F) with F the face stimulus and T_0 the tie's
    baseline trust, without the annoyance gate (rules.face): a friend without a need or an
    impulse can buy only out of face. Trust gate G_T = T^h / (T^h +
    T_half^h) (trust gates conversion, seed 001 L34; seed 004 L17; deals rest on accumulated
    trust, seed 002 L367; 1 when ``trust_gating`` is off), annoyance gate G_A = 1 / (1 + A /
    A_half) on yesterday's annoyance (seed 000 L137: spam makes buyers hesitate), price factor
    pf = (P_ref / P)^eps and pf_ref the same at the referral discount (group-buy price below
    solo price, seed 002 L263). Blocked sellers get p = 0, and so do former customers and the
    seller's KOL seeds when ``repurchase`` is off (one-time adoption, for docking).
    Competing sellers share one need: P(buy) = 1 - prod_s (1 - p_s), the seller is drawn in
    proportion to p_s, and the purchase is attributed to one channel in proportion to its
    weighted stimulus (:func:`components`). With trust and annoyance off, ``always_need`` and a
    complete graph this is the discrete Bass model: p = a_ad + q F (docs/model.md, Verification).

    Only a want toward s (need, impulse or face), no block, and some stimulus from s can buy: every
    component comes from a contact today (touched) or a standing pull (engaged). Consumers are
    visited in node order, with the market's stream. Writes the buyer relations and channels
    to ``buyer_rows[:k]``, ``buyer_channels[:k]`` and returns k; clears the buyers' needs
    unless ``always_need``, and sates them (no need, no impulse until the supply is used up,
    rules.needs) unless ``consumption_days`` is 0 or ``always_need`` is set.
    """
    rs = market_stream(key, today, STREAM)
    need, degree = people.need, people.degree
    seller, node, impulse, engaged = rel.seller, rel.node, rel.impulse, rel.engaged
    touched, blocked = rel.touched, rel.blocked
    seen_ad, seen_prize, seen_value, group_seen = rel.seen_ad, rel.seen_prize, rel.seen_value, rel.group_seen
    messages, replied, in_group, referral = rel.messages, rel.replied, rel.in_group, rel.referral
    bought_friends, seen_reseller, seen_forward, memory = rel.bought_friends, rel.seen_reseller, rel.seen_forward, \
        rel.memory
    purchases, root = rel.purchases, rel.root
    tie, muted, pushed = rel.tie, rel.muted, rel.pushed
    trust, annoyance, baseline = rel.trust, rel.annoyance, rel.baseline
    pf, pf_ref, group_activity = sellers.pf, sellers.pf_ref, sellers.group_activity
    brand = sellers.brand               # (<= 1: the bound below holds without it)
    n = need.shape[0]
    seg, pool = rel.node_seg, rel.node_pool
    comp = np.empty(N_CHANNELS)
    p = np.empty(0)
    k = 0
    # Thinning: the buy draw "u < 1 - prod_s (1 - p_s)" is decided by the same u against an upper
    # bound first, sum_s of the gates times min(1, stimulus bound of s) (W(X) <= X E_w / (E_w + E),
    # 1 - prod (1 - p) <= sum p), widened far beyond rounding error. One pass over the relations
    # in table order adds up the bounds; only consumers with u below theirs need the exact p_s.
    # A consumer draws u when some relation might sell to her: the same sum without the gates
    # is positive (``bound[i, 0]``; the gated sum, ``bound[i, 1]``, can be 0 at a trust of 0).
    # Under one-time adoption (``repurchase`` off) a former customer's or KOL seed's relation
    # cannot sell and adds nothing (an independent cascade's buyers then draw no u: most of its
    # relations at 2,000 people).
    bound = np.zeros((n, 2))
    for r in range(rel.meta[0]):
        if not ((engaged[r] or touched[r]) and not blocked[r]):
            continue                    # (the row's own flags first: the need is a random load)
        i = node[r]
        if not adoptable(par, purchases[r], root[r], i):
            continue                    # (one-time adoption: her p_s is 0, below)
        s = seller[r]
        face = _face(par, tie[r], muted[r], purchases[r], seen_ad[r], seen_prize[r], messages[r], pushed[r])
        if face > 0.0:
            x = min(1.0, pf[s] * face)
            bound[i, 0] += x
            bound[i, 1] += face_gated(par, x, baseline[r])
        if not (need[i] or impulse[r]):
            continue
        w = par.wearout / (par.wearout + memory[r]) if par.annoyance_on else 1.0
        nov = novelty(par.novelty, par.novelty_factor, people.pushed[i])
        ads = w * (par.a_ad * (nov * float(seen_ad[r]) + float(seen_reseller[r])) + par.a_prize * nov
                   * float(seen_prize[r]))
        rest = (par.a_value * (float(seen_value[r]) + float(group_seen[r])) + par.a_msg * float(messages[r])
                + (par.a_reply if replied[r] else 0.0) + (par.a_group * group_activity[s] if in_group[r] else 0.0)
                + par.q * float(bought_friends[r]) / max(degree[i], 1.0))
        x = min(1.0, pf[s] * (ads + rest) + pf_ref[s] * referral[r])
        bound[i, 0] += x
        bound[i, 1] += gated(par, x, trust[r], annoyance[r])
    for i in range(n):
        if bound[i, 0] <= 0.0:
            continue
        u = uniform(rs)
        if not u < bound[i, 1] * (1.0 + 1e-9) + 1e-12:
            continue
        lo, hi = seg[0, i], seg[0, i] + seg[1, i]     # (her relations, in the order they were made)
        if p.shape[0] < hi - lo:
            p = np.empty(hi - lo)
        none = 1.0                      # prod_s (1 - p_s)
        total_p = 0.0
        for j in range(lo, hi):
            r = pool[j]
            s = seller[r]
            pk = 0.0
            if (engaged[r] or touched[r]) and not blocked[r]:
                # (the row's own flags first: most of her relations hold no stimulus today)
                face = _face(par, tie[r], muted[r], purchases[r], seen_ad[r], seen_prize[r], messages[r], pushed[r])
                if ((need[i] or impulse[r] or face > 0.0)
                        and adoptable(par, purchases[r], root[r], i)):
                    # (one-time adoption: former customers and KOL seeds, roots of their own trees, never rebuy)
                    pk = _probability(par, need[i] or impulse[r], face, seen_ad[r], seen_prize[r],
                                      seen_value[r] + group_seen[r], messages[r], replied[r], in_group[r],
                                      group_activity[s], referral[r], bought_friends[r], degree[i], seen_reseller[r],
                                      seen_forward[r], memory[r], pf[s], pf_ref[s], brand[s], people.pushed[i],
                                      trust[r], annoyance[r], baseline[r], comp)
            p[j - lo] = pk
            none *= 1.0 - pk
            total_p += pk
        if total_p <= 0.0 or not u < 1.0 - none:
            continue
        pick = _pick(p, hi - lo, uniform(rs) * total_p)
        r = pool[lo + pick]
        s = seller[r]
        face = _face(par, tie[r], muted[r], purchases[r], seen_ad[r], seen_prize[r], messages[r], pushed[r])
        _probability(par, need[i] or impulse[r], face, seen_ad[r], seen_prize[r], seen_value[r] + group_seen[r],
                     messages[r], replied[r], in_group[r], group_activity[s], referral[r], bought_friends[r],
                     degree[i], seen_reseller[r], seen_forward[r], memory[r], pf[s], pf_ref[s], brand[s],
                     people.pushed[i], trust[r], annoyance[r], baseline[r], comp)
        weight = 0.0
        for c in range(N_CHANNELS):
            weight += comp[c]
        chan = AD           # all-zero stimulus cannot buy, but keep the attribution defined
        if weight > 0.0:
            chan = _pick(comp, N_CHANNELS, uniform(rs) * weight)
        buyer_rows[k] = r
        buyer_channels[k] = chan
        k += 1
        if not par.always_need:
            need[i] = False             # an impulse purchase had no category need to clear
        if par.sate:
            people.sated[i] = True
    return k


@kernel
def _face(par, tie, muted, purchases, seen_ad, seen_prize, messages, pushed):
    """The face stimulus F of one relation (rules.face): pushed today by the seller's own ads,
    prize posts or message."""
    if par.face_strong <= 0.0 and par.face_weak <= 0.0:
        return 0.0                      # (face purchases off: skip the tests per relation)
    return face_stimulus(par.face_strong, par.face_weak, par.face_half, tie, muted, purchases,
                         seen_ad + seen_prize + messages > 0, pushed)


@kernel
def gated(par, p, trust, annoyance):
    """``p`` through the purchase rule's gates (``par`` its Params): p G_T(T) G_A(A), G_T = T^h /
    (T^h + T_half^h) (1 without trust gating), G_A = 1 / (1 + A / A_half) (1 with annoyance
    off). The one place the gates are applied: purchases, group-buy joins (rules.groupbuy) and
    forwards (rules.forward) share them."""
    if par.gated:
        p *= trust_gate(trust, par.steepness, par.half_h)
    if par.annoyance_on:
        p /= 1.0 + annoyance / par.a_half
    return p


@kernel
def adoptable(par, purchases, root, i):
    """Whether consumer ``i`` may buy from a seller with whom she has made ``purchases`` and in
    whose cascade trees she is under ``root``: always, unless ``repurchase`` is off (one-time
    adoption, for docking), when former customers and the seller's KOL seeds (roots of their own
    trees) never buy again. The one place the rule is applied: purchases (the thinning bound and
    the exact pass) and group-buy joins (rules.groupbuy) share it."""
    return par.repurchase or (purchases == 0 and root != i)


@kernel
def face_gated(par, p, baseline):
    """``p`` through the face purchase's gate (rules.face): G_T(T_0), the trust of the tie
    (its baseline), when trust gates purchases; no annoyance gate. The one place it is applied:
    a face purchase's probability and the thinning bound of :func:`make_purchases` share it."""
    if par.gated:
        p *= trust_gate(baseline, par.steepness, par.half_h)
    return p


@kernel
def _probability(par, wants, face, x_ad, x_prize, x_value, msgs, replied, member, activity, pull, bought, degree,
                 x_resold, x_fwd, mem, pf, pf_ref, brand, pushed_any, trust, annoyance, baseline, comp):
    """p_s of a relation, 1 - (1 - p_want)(1 - p_face), and each channel's share of it in ``comp``.

    p_want = G_T(T) G_A(A) min(1, stimulus without face), 0 without a need or an impulse toward s
    (``wants``); p_face = G_T(T_0) min(1, pf F), the face purchase (rules.face), gated by the
    trust of the tie T_0 (its baseline: face belongs to the friendship, not to her opinion of the
    business) and not by annoyance (embarrassment, 不好意思, holds even an annoyed friend back,
    seed 000 L467). ``comp`` ends as the components scaled to p_want, and p_face for face. Takes
    the relation's values as scalars (see :func:`components`; ``pushed_any`` is the consumer's
    D_any, ``baseline`` the tie's trust T_0).
    """
    components(par, x_ad, x_prize, x_value, msgs, replied, member, activity, pull, bought, degree, x_resold, x_fwd, mem,
               pf, pf_ref, novelty(par.novelty, par.novelty_factor, pushed_any), face, brand, comp)
    stim = 0.0
    for c in range(N_CHANNELS):
        if c != FACE:
            stim += comp[c]
    p_want = 0.0
    if wants and stim > 0.0:            # (NaN too: min(1, NaN) would be a certain purchase)
        p_want = gated(par, min(1.0, stim), trust, annoyance)
    p_face = 0.0
    if comp[FACE] > 0.0:
        p_face = face_gated(par, min(1.0, comp[FACE]), baseline)
    for c in range(N_CHANNELS):
        if c != FACE:
            comp[c] = comp[c] * (p_want / stim) if p_want > 0.0 else 0.0
    comp[FACE] = p_face
    return p_want + p_face - p_want * p_face


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
