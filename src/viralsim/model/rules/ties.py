"""Mute (屏蔽, hide their Moments) and block/unfriend (拉黑) as annoyance-driven hazards."""

from __future__ import annotations

import numpy as np

from viralsim._jit import kernel, seeded, stream, true_indices, uniform
from viralsim.config.schema import TieParams
from viralsim.model.rules._util import saturating_pow
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
    h = params.steepness
    return _mute_and_block_kernel(
        state.annoyance, state.tie, state.tolerant, s, params.block_max, saturating_pow(params.block_threshold, h),
        params.strong_block_factor, params.mute_max, saturating_pow(params.mute_threshold, h), h, state.muted,
        state.blocked, state.in_group, stream(rng))


@kernel
def _mute_and_block_kernel(annoyance, tie, tolerant, s, block_max, block_theta_h, strong_factor,
                           mute_max, mute_theta_h, h, muted, blocked, in_group, words):
    """One uniform draw per annoyed, non-tolerant contact: block, else mute, else nothing.

    A branch-free pass collects the candidates; each draws u in index order. The Hill
    functions (a pow each) are evaluated only when u falls below an upper bound of
    P(block) + P(mute) at the candidate's annoyance (the hazards rise with A): a draw above it
    can neither block nor mute, so the outcome is the same as evaluating them for everyone.
    """
    rs = seeded(words)
    n = tolerant.shape[0]
    a_row, tie_row, blocked_row = annoyance[s], tie[s], blocked[s]
    flag = np.empty(n, np.bool_)        # a vectorised pass, then a branch-free compaction
    for i in range(n):
        flag[i] = ((a_row[i] > 1e-9) & (tie_row[i] > NO_TIE) & (blocked_row[i] == False)
                   & (tolerant[i] == False))
    cand = np.empty(n, np.int32)
    k = true_indices(flag, cand)
    # Upper bounds of P(block) + P(mute) for A <= a_ref[j] (a margin covers rounding).
    f_block = block_max * max(1.0, strong_factor)
    theta = min(block_theta_h, mute_theta_h) ** (1.0 / h)
    a_ref = np.empty(_LEVELS)
    p_ref = np.empty(_LEVELS)
    for j in range(_LEVELS):
        a_ref[j] = theta * 0.25 ** (_LEVELS - j)        # theta/4^L, ..., theta/4
        ah = a_ref[j] ** h
        p_ref[j] = (f_block * (ah / (ah + block_theta_h)) + mute_max * (ah / (ah + mute_theta_h))
                    ) * (1.0 + 1e-9) + 1e-300
    p_top = (f_block + mute_max) * (1.0 + 1e-9)
    new_muted = np.empty(k, np.int64)
    new_blocked = np.empty(k, np.int64)
    n_muted = n_blocked = 0
    for c in range(k):
        i = cand[c]
        a = annoyance[s, i]
        u = uniform(rs)
        bound = p_top
        for j in range(_LEVELS - 1, -1, -1):
            bound = p_ref[j] if a <= a_ref[j] else bound
        if u >= bound:
            continue
        ah = a ** h                                 # the Hill function of :func:`hill`
        p_block = block_max * (ah / (ah + block_theta_h))
        if tie[s, i] == STRONG:
            p_block = p_block * strong_factor
        p_mute = 0.0 if muted[s, i] else mute_max * (ah / (ah + mute_theta_h))
        if u < p_block:
            blocked[s, i] = True
            in_group[s, i] = False
            new_blocked[n_blocked] = i
            n_blocked += 1
        elif u < p_block + p_mute:
            muted[s, i] = True
            in_group[s, i] = False
            new_muted[n_muted] = i
            n_muted += 1
    return new_muted[:n_muted].copy(), new_blocked[:n_blocked].copy()


#: annoyance levels with a precomputed hazard bound in :func:`_mute_and_block_kernel`
_LEVELS = 4
