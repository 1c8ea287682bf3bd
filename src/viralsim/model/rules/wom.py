"""Word of mouth: recommendations and warnings along friendship ties (Goldenberg et al. 2001)."""

from __future__ import annotations

import numpy as np

from viralsim.config.schema import TrustParams, WomParams
from viralsim.model.rules._util import lower_toward_zero
from viralsim.model.state import State


def _tell(state: State, senders: np.ndarray, prob: float, *, rng: np.random.Generator):
    """Each sender tells each friend independently with probability ``prob`` (one chance per tie).

    Returns (src, dst, strong) of the messages that reach consumers (seller nodes excluded).
    """
    if len(senders) == 0 or prob <= 0:
        e = np.empty(0, dtype=np.int64)
        return e, e, np.empty(0, dtype=bool)
    src, dst, strong = state.topo.sample_neighbors(senders, prob, prob, rng=rng)
    keep = state.is_consumer[dst]
    return src[keep], dst[keep], strong[keep]


def recommend(state: State, s: int, senders: np.ndarray, prob: float, wom: WomParams,
              trust: TrustParams, *, rng: np.random.Generator) -> tuple[int, int]:
    """Satisfied buyers (or seeded KOLs) recommend seller ``s`` to friends.

    Each sender tells each friend with probability ``prob`` (independent cascade: one chance per
    tie and purchase, Kempe et al. 2003). A recommendation over a strong / weak tie adds
    beta_s / beta_w to the receiver's referral pull R (Goldenberg, Libai & Muller 2001:
    beta_s > beta_w; strong ties are more persuasive), makes her aware, transfers trust
    T <- T + g_rec x w_tie x max(0, T_sender - T) (seed 002 L239: sharers' trust endorsement;
    seed 003 L19: you trust your friend, not a stranger; the most persuasive recommendation of
    the day counts), and records the sender as her referrer for cascade tracing (the latest
    recommendation wins).

    Returns (strong, weak) messages sent. Modifies: ``state.referral``, ``aware``, ``trust``,
    ``referrer``, ``referrer_strong``.
    """
    src, dst, strong = _tell(state, senders, prob, rng=rng)
    if len(dst) == 0:
        return 0, 0
    beta = np.where(strong, wom.strong_persuasion, wom.weak_persuasion)
    np.add.at(state.referral[s], dst, beta)
    state.aware[s, dst] = True
    state.engaged[s, dst] = True
    state.referrer[s, dst] = src
    state.referrer_strong[s, dst] = strong
    if trust.enabled and trust.gain_recommendation > 0:
        weight = np.where(strong, 1.0, wom.weak_tie_weight)
        pull = trust.gain_recommendation * weight * (state.trust[s, src] - state.trust[s, dst])
        best = np.zeros(state.n)
        np.maximum.at(best, dst, pull)
        hit = np.unique(dst)
        state.trust[s, hit] += best[hit]
    n_strong = int(strong.sum())
    return n_strong, len(dst) - n_strong


def warn(state: State, s: int, senders: np.ndarray, prob: float, wom: WomParams,
         trust: TrustParams, *, rng: np.random.Generator) -> int:
    """Dissatisfied buyers and blockers warn friends: T <- T (1 - l_warn x w_tie) per warning.

    Disgust is passed on to relatives and friends (seed 000 L327); small incidents are amplified
    (seed 004 L119), hence a warning probability above the recommendation probability.

    Returns warnings sent. Modifies: ``state.trust``, ``state.aware``.
    """
    src, dst, strong = _tell(state, senders, prob, rng=rng)
    if len(dst) == 0:
        return 0
    state.aware[s, dst] = True
    if trust.enabled and trust.loss_warning > 0:
        weight = np.where(strong, 1.0, wom.weak_tie_weight)
        log_keep = np.zeros(state.n)
        np.add.at(log_keep, dst, np.log1p(-trust.loss_warning * weight))
        hit = np.unique(dst)
        state.trust[s, hit] = lower_toward_zero(state.trust[s, hit], 1.0 - np.exp(log_keep[hit]))
    return len(dst)


def recommendation_prob(wom: WomParams, referral_reward: float) -> float:
    """P(recommend to a friend) = 1 - (1 - p_rec)(1 - reward): rewards make buyers recruit.

    Group-buy and referral rewards turn each buyer into a recruiter (seed 002 L261-265, L277).
    """
    return 1.0 - (1.0 - wom.recommend_prob) * (1.0 - referral_reward)


def seed_kols(state: State, s: int, k: int, *, rng: np.random.Generator) -> np.ndarray:
    """Pick the ``k`` best-connected consumers as KOL seeds for seller ``s`` (seed 004 L225, L399).

    Degree ties are broken at random. Seeds become aware and roots of their own referral trees.
    Returns the seed node ids.
    """
    cand = np.flatnonzero(state.is_consumer)
    order = np.lexsort((rng.random(len(cand)), -state.degree[cand]))
    seeds = cand[order[:k]]
    state.aware[s, seeds] = True
    state.root[s, seeds] = seeds
    return seeds
