"""Mute (屏蔽, hide their Moments) and block/unfriend (拉黑) as annoyance-driven hazards."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from viralsim._jit import kernel, uniform
from viralsim.model.relations import NO_TIE, STRONG
from viralsim.model.rules._util import saturating_pow

#: annoyance levels with a precomputed hazard bound in :func:`mute_and_block`
_LEVELS = 4


class Params(NamedTuple):
    block_max: float
    block_theta_h: float
    strong_factor: float
    mute_max: float
    mute_theta_h: float
    h: float


def prepare(config) -> Params:
    t = config.ties
    h = t.steepness
    return Params(t.block_max, saturating_pow(t.block_threshold, h), t.strong_block_factor, t.mute_max,
                  saturating_pow(t.mute_threshold, h), float(h))


@kernel
def mute_and_block(s, par, people, rel, rs, new_blocked):
    """Annoyed contacts of seller ``s`` mute or block her.

    Daily hazards for a contact with annoyance A:
        P(mute)  = m_max H(A; theta_m, h)            (if not muted yet)
        P(block) = b_max H(A; theta_b, h) x (f_strong if strong tie else 1)
    with H(x; theta, h) = x^h / (x^h + theta^h) the Hill function (zero without annoyance).
    Muting keeps the tie but hides all posts (WeChat's "hide his/her Moments"; Kwak et al. 2011
    on silent tune-out); blocking removes the relation (the tie is kept for the record, flagged
    blocked): no posts, no messages, no purchases (seed 000 L467: even the best friend is
    blocked, hence strong ties only halve the block hazard). Muted or blocked consumers leave the
    groups. Tolerant consumers (``tolerant_share``) never mute or block. Calibration: 53.7 % of
    WeChat users say they block friends who post ads (China Youth Daily 2015), hence the
    tolerant share of 46.3 %; 43 % of active Twitter users unfollowed someone within 51 days
    (Kwak et al. 2011).

    One uniform draw per annoyed, non-tolerant contact, in the seller's row order; the Hill
    functions (a pow each) are evaluated only when u falls below an upper bound of
    P(block) + P(mute) at the contact's annoyance. Writes the new blockers' nodes to
    ``new_blocked`` and returns their number.
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
    n_blocked = 0
    for j in range(rel.seller_ptr[s], rel.seller_ptr[s + 1]):
        r = rel.seller_rows[j]
        a = rel.annoyance[r]
        if not (a > 1e-9 and rel.tie[r] > NO_TIE and not rel.blocked[r] and not people.tolerant[rel.node[r]]):
            continue
        u = uniform(rs)
        bound = p_top
        for lv in range(_LEVELS - 1, -1, -1):
            bound = p_ref[lv] if a <= a_ref[lv] else bound
        if u >= bound:
            continue
        ah = a ** par.h
        p_block = par.block_max * (ah / (ah + par.block_theta_h))
        if rel.tie[r] == STRONG:
            p_block = p_block * par.strong_factor
        p_mute = 0.0 if rel.muted[r] else par.mute_max * (ah / (ah + par.mute_theta_h))
        if u < p_block:
            rel.blocked[r] = True
            rel.in_group[r] = False
            new_blocked[n_blocked] = rel.node[r]
            n_blocked += 1
        elif u < p_block + p_mute:
            rel.muted[r] = True
            rel.in_group[r] = False
    return n_blocked
