"""Mute (屏蔽, hide their Moments), unmute and block/unfriend (拉黑) as annoyance-driven hazards."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from viralsim._jit import kernel, uniform
from viralsim.model.relations import NO_TIE, STRONG, grown
from viralsim.model.rules._util import half_life_factor, saturating_pow
from viralsim.model.rules.annoyance import unwanted

#: annoyance levels with a precomputed hazard bound in :func:`mute_and_block`
_LEVELS = 4


class Params(NamedTuple):
    block_max: float
    block_theta_h: float
    strong_factor: float
    mute_max: float
    mute_theta_h: float
    h: float
    unmute_max: float
    fatigue_half: float     # F_½ of the ad fatigue (0: none)
    f_fatigue: float        # 2^(-1/h_F): the fatigue stock's daily decay


def prepare(config) -> Params:
    t = config.ties
    h = t.steepness
    return Params(t.block_max, saturating_pow(t.block_threshold, h), t.strong_block_factor, t.mute_max,
                  saturating_pow(t.mute_threshold, h), float(h), 1.0 - half_life_factor(t.unmute_half_life),
                  float(t.fatigue_ads), half_life_factor(t.fatigue_half_life))


@kernel
def tire(par, people, rel):
    """Ad fatigue: consumers tire of marketing as they read it, and tolerate less of it.

        F_i <- F_i 2^(-1/h_F) + K_i,        tau_i(t) = tau_i / (1 + F_i / F_half)

    K_i the commercial pushes consumer i read today from every seller: ads, prize posts,
    resellers' ads and friends' forwards, and unsolicited messages (the unwanted contacts,
    :func:`viralsim.model.rules.annoyance.unwanted`). "Consumers see through every kind of
    marketing; its effect is heavily discounted ... people have long tired of and reject TV
    ads" (seed 004 L83: 消费者对各种营销路数心知肚明 ... 早已经厌倦排斥; seed 000 L101:
    aesthetic fatigue, 审美疲劳). Unlike annoyance, which is toward one seller and fades in
    days, fatigue is the consumer's own, toward every seller, and lasts months: a consumer who
    has read many ads mutes and blocks at a lower annoyance (:func:`mute_and_block`), also a
    seller she has just met. F_half = 0 turns it off
    (F stays 0). Runs after the day's annoyance (rules.annoyance), before mute and block.
    """
    if par.fatigue_half <= 0.0:
        return
    n = people.fatigue.shape[0]
    pushes = np.zeros(n, np.int64)
    for r in range(rel.meta[0]):
        if rel.touched[r]:
            pushes[rel.node[r]] += unwanted(rel, r)
    for i in range(n):
        people.fatigue[i] = people.fatigue[i] * par.f_fatigue + pushes[i]


@kernel
def _hill(xh, theta_h):
    """x^h / (x^h + theta^h) from x^h; 1 where x^h overflowed (theta^h is finite for every
    threshold and steepness the schema allows)."""
    return xh / (xh + theta_h) if xh < np.inf else 1.0


@kernel
def mute_and_block(par, people, rel, streams, new_blocked):
    """Annoyed contacts mute or block their sellers; muted ones whose annoyance has faded unmute.

    Consumer i has a tolerance tau_i > 0 (lognormal with median 1, drawn when the market is built,
    the same toward every seller), a factor on both thresholds, lowered by her ad fatigue to
    tau_i / (1 + F_i / F_half) (:func:`tire`; tau_i itself without it). Daily hazards for her
    contact with annoyance A:
        P(block)  = b_max H(A; tau_i theta_b, h) x (f_strong if strong tie else 1)
        P(mute)   = m_max H(A; tau_i theta_m, h)                (if not muted)
        P(unmute) = u_max (1 - H(A; tau_i theta_m, h))          (if muted), u_max = 1 - 2^(-1/h_u)
    with H(x; theta, h) = x^h / (x^h + theta^h) the Hill function (zero without annoyance),
    evaluated as H(A / tau_i; theta, h). Muting keeps the tie but hides all posts (WeChat's "hide
    his/her Moments"; Kwak et al. 2011 on silent tune-out); it is a switch the consumer can turn
    back (seed 003 L311: users choose what reaches them; seed 004 L21: when to exit), which she
    does, at a slow rate by judgement, once the annoyance has faded. Blocking removes the
    relation for good (the tie is kept for the record, flagged blocked): no posts, no messages,
    no purchases (seed 000 L467: even the best friend is blocked, hence strong ties only halve
    the block hazard). Muted or blocked consumers leave the groups; unmuting does not rejoin
    them. Calibration (docs/model.md §5): the thresholds of the median consumer are set so that
    53.7 % of a heavy ad poster's contacts mute or block her within 180 days (China Youth Daily
    2015: 53.7 % of WeChat users say they block friends who post ads); the spread of tolerance
    makes the lost share grow with the dose of ads instead.

    One uniform draw per candidate from her seller's stream (``streams[s]``): every muted contact
    and every unmuted one with A > 1e-9 (tie > 0, not blocked). It decides, in this order: block
    if u < P(block); else unmute (muted) or mute (not muted) if u < P(block) + P(unmute or mute).
    The Hill functions (a pow each candidate) are evaluated only when u falls below an upper
    bound of the candidate's hazards. One pass over the table in row order, which is each
    seller's order of meeting her contacts, the order her stream meets them (a seller's draws do
    not depend on other sellers' relations), and reads the columns in sequence. Returns the
    number of new blockers and a buffer (``new_blocked`` or a grown copy) whose first entries are
    their rows, in row order.
    """
    f_block = par.block_max * max(1.0, par.strong_factor)
    theta = min(par.block_theta_h, par.mute_theta_h) ** (1.0 / par.h)
    a_ref = np.empty(_LEVELS)
    p_ref = np.empty(_LEVELS)
    for j in range(_LEVELS):
        a_ref[j] = theta * 0.25 ** (_LEVELS - j)        # theta/4^L, ..., theta/4
        ah = a_ref[j] ** par.h
        p_ref[j] = (f_block * (ah / (ah + par.block_theta_h)) + par.mute_max * (ah / (ah + par.mute_theta_h))
                    ) * (1.0 + 1e-9) + 1e-300
    p_top = (f_block + par.mute_max) * (1.0 + 1e-9)
    u_top = par.unmute_max * (1.0 + 1e-9)
    n_blocked = 0
    for r in range(rel.meta[0]):
        if not rel.tie[r] > NO_TIE or rel.blocked[r]:
            continue
        muted = rel.muted[r]
        a = rel.annoyance[r]
        if not (muted or a > 1e-9):
            continue
        u = uniform(streams[rel.seller[r]])
        i = rel.node[r]
        x = a / people.tolerance[i]                     # annoyance in units of her tolerance
        if par.fatigue_half > 0.0 and x > 0.0:
            # tired of ads: tolerance / (1 + F / F_half); (x > 0: a muted contact without annoyance
            # stays at 0 even where a tiny F_half makes the factor inf)
            x *= 1.0 + people.fatigue[i] / par.fatigue_half
        bound = p_top
        for lv in range(_LEVELS - 1, -1, -1):
            bound = p_ref[lv] if x <= a_ref[lv] else bound
        if muted:
            bound += u_top
        if u >= bound:
            continue
        xh = x ** par.h
        h_mute = _hill(xh, par.mute_theta_h)
        p_block = par.block_max * _hill(xh, par.block_theta_h)
        if rel.tie[r] == STRONG:
            p_block = p_block * par.strong_factor
        if u < p_block:
            rel.blocked[r] = True
            rel.in_group[r] = False
            if n_blocked == new_blocked.shape[0]:
                new_blocked = grown(new_blocked, 2 * n_blocked + 16)
            new_blocked[n_blocked] = r
            n_blocked += 1
        elif muted:
            if u < p_block + par.unmute_max * (1.0 - h_mute):
                rel.muted[r] = False
        elif u < p_block + par.mute_max * h_mute:
            rel.muted[r] = True
            rel.in_group[r] = False
    return n_blocked, new_blocked
