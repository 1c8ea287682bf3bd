"""Purchase: need x trust x (1 / annoyance) x price x stimulus, with competing sellers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from viralsim.config.schema import AnnoyanceParams, PurchaseParams, TrustParams
from viralsim.model.plan import DayPlan
from viralsim.model.rules.annoyance import effective_ads
from viralsim.model.state import CHANNELS, REFERRAL, State, Day


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
    worn = lambda seen: effective_ads(seen, mem, annoyance)  # noqa: E731
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


def price_factor(price: float, params: PurchaseParams) -> float:
    """Price response (reference / price) ** elasticity: 1 at the reference price."""
    return float((params.reference_price / price) ** params.price_elasticity)


def make_purchases(state: State, day: Day, plans: Sequence[DayPlan], purchase: PurchaseParams,
                   trust: TrustParams, annoyance: AnnoyanceParams,
                   *, rng: np.random.Generator) -> list[Purchases]:
    """Consumers with a need, or an impulse from today's ads, buy from at most one seller today.

    For seller s: p_s = [need or impulse toward s] x G_T x G_A x min(1, pf x (sum of stimulus components except
    referral) + pf_ref x referral), with trust gate G_T (:func:`trust_gate`; 1 when
    ``trust_gating`` is off), annoyance gate G_A = 1 / (1 + A / A_half) on yesterday's annoyance
    (seed 000 L137: spam makes buyers hesitate), price factor pf = (P_ref / P)^eps and pf_ref the same at the referral
    discount (group-buy price below solo price, seed 002 L263). Blocked sellers get p = 0, and
    so do former customers when ``repurchase`` is off (one-time adoption, for docking).
    Competing sellers share one need: P(buy) = 1 - prod_s (1 - p_s), the seller is drawn in
    proportion to p_s, and the purchase is attributed to one channel in proportion to its
    weighted stimulus (so word-of-mouth-driven purchases can be counted).
    With trust and annoyance off, ``always_need`` and a complete graph this is the discrete
    Bass model: p = a_ad + q F (docs/model.md, Verification).

    Modifies: ``state.need`` (cleared by a purchase unless ``always_need``).
    """
    # Only consumers with a need (or an impulse) and some stimulus toward some seller can buy:
    # today's contacts, or a standing pull (state.engaged). Filter with cheap boolean rows first.
    live = (state.engaged | day.touched).any(axis=0)
    live &= state.need | day.impulse.any(axis=0)
    idx = np.flatnonzero(live)
    n_s = len(plans)
    empty = [Purchases(np.empty(0, np.int64), np.empty(0, np.int64)) for _ in plans]
    if len(idx) == 0:
        return empty
    probs = np.zeros((n_s, len(idx)))
    weighted = []
    for plan in plans:
        s = plan.index
        comp = stimulus(state, day, plan, idx, purchase, annoyance)
        reward = plan.strategy.referral_reward
        pf = price_factor(plan.product.price, purchase)
        pf_ref = price_factor(plan.product.price * (1.0 - reward), purchase)
        comp *= pf
        comp[REFERRAL] *= pf_ref / pf
        p = np.minimum(1.0, comp.sum(axis=0))
        if trust.enabled and purchase.trust_gating:
            p *= trust_gate(state.trust[s, idx], purchase)
        if annoyance.enabled:
            p /= 1.0 + state.annoyance[s, idx] / annoyance.half_effect
        p[state.blocked[s, idx]] = 0.0
        p[~(state.need[idx] | day.impulse[s, idx])] = 0.0
        if not purchase.repurchase:
            # One-time adoption: former customers and the seller's KOL seeds (who were given the
            # product, so are adopters and roots of their own trees) never buy again.
            p[(state.purchases[s, idx] > 0) | (state.root[s, idx] == idx)] = 0.0
        probs[s] = p
        weighted.append(comp)

    p_any = 1.0 - np.prod(1.0 - probs, axis=0)
    buy = rng.random(len(idx)) < p_any
    if not buy.any():
        return empty
    cols = np.flatnonzero(buy)
    # Seller choice proportional to p_s, channel choice proportional to its stimulus.
    cum = np.cumsum(probs[:, cols], axis=0)
    pick = (rng.random(len(cols)) * cum[-1])[None, :] < cum
    seller = np.argmax(pick, axis=0)
    u_channel = rng.random(len(cols))
    out = []
    for s in range(n_s):
        mine = cols[seller == s]
        comp = weighted[s][:, mine]
        ccum = np.cumsum(comp, axis=0)
        total = ccum[-1]
        u = u_channel[seller == s] * total
        chan = np.argmax(u[None, :] < ccum, axis=0)
        # All-zero stimulus cannot buy, but keep the attribution defined.
        chan[total <= 0] = CHANNELS.index("ad")
        out.append(Purchases(idx[mine], chan))
    if not purchase.always_need:
        state.need[idx[cols]] = False   # an impulse purchase had no category need to clear
    return out
