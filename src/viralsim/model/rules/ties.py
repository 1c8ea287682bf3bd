"""Mute (屏蔽, hide their Moments) and block/unfriend (拉黑) as annoyance-driven hazards."""

from __future__ import annotations

import numpy as np

from viralsim.config.schema import TieParams
from viralsim.model.state import NO_TIE, STRONG, State


def hill(x: np.ndarray, threshold: float, steepness: float) -> np.ndarray:
    """x^h / (x^h + theta^h): 0 at x = 0, 1/2 at the threshold, rising to 1."""
    xh = np.power(x, steepness)
    return xh / (xh + threshold ** steepness)


def mute_and_block(state: State, s: int, params: TieParams, *, rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Annoyed contacts mute or block the seller.

    Daily hazards for a contact with annoyance A:
        P(mute)  = m_max H(A; theta_m, h)            (if not muted yet)
        P(block) = b_max H(A; theta_b, h) x (f_strong if strong tie else 1)
    with H the Hill function (zero without annoyance). Muting keeps the tie but hides all posts
    (WeChat's "hide his/her Moments"; Kwak et al. 2011 on silent tune-out); blocking removes
    the relation (the tie is kept for the record, flagged blocked): no posts, no messages, no
    purchases (seed 000 L467: even the best friend is blocked,
    hence strong ties only halve the block hazard). Muted or blocked consumers leave the groups.
    Tolerant consumers (``tolerant_share``) never mute or block. Calibration: 53.7 % of WeChat
    users say they block friends who post ads (China Youth Daily 2015), hence the tolerant share
    of 46.3 %; 43 % of active Twitter users unfollowed someone within 51 days (Kwak et al. 2011).

    Returns (newly muted, newly blocked) node ids. Modifies: ``state.muted``, ``state.blocked``,
    ``state.in_group``.
    """
    ann = state.annoyance[s]
    cand = np.flatnonzero((ann > 1e-9) & (state.tie[s] > NO_TIE) & ~state.blocked[s] & ~state.tolerant)
    if len(cand) == 0:
        e = np.empty(0, dtype=np.int64)
        return e, e
    a = ann[cand]
    p_block = params.block_max * hill(a, params.block_threshold, params.steepness)
    p_block = np.where(state.tie[s, cand] == STRONG, p_block * params.strong_block_factor, p_block)
    p_mute = params.mute_max * hill(a, params.mute_threshold, params.steepness)
    p_mute[state.muted[s, cand]] = 0.0
    u = rng.random(len(cand))
    block = u < p_block
    mute = ~block & (u < p_block + p_mute)
    blocked, muted = cand[block], cand[mute]
    state.blocked[s, blocked] = True
    state.muted[s, muted] = True
    state.in_group[s, blocked] = False
    state.in_group[s, muted] = False
    return muted, blocked
