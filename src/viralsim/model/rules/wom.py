"""Word of mouth: recommendations and warnings along friendship ties (Goldenberg et al. 2001)."""

from __future__ import annotations

import numpy as np

from viralsim._jit import kernel, seeded, stream, uniform
from viralsim.config.schema import TrustParams, WomParams
from viralsim.model.state import State


def _tell(state: State, senders: np.ndarray, prob: float, *, rng: np.random.Generator):
    """The ties along which each sender tells each friend independently with probability ``prob``.

    One chance per tie and sender (independent cascade). Returns the CSR blocks a rule kernel
    walks, ``(indptr, indices, strong, rows, senders, prob)``: sender ``senders[k]`` owns the ties
    ``indptr[rows[k]]:indptr[rows[k] + 1]`` of ``indices``/``strong``, and the kernel keeps each
    with probability ``prob``; the kernels skip seller nodes. On a sparse topology these are the
    graph's own CSR arrays (rows = senders). The implicit complete graph has none, so its ties are
    drawn here (``Topology.sample_neighbors``) and handed on as one-tie rows kept with
    probability 1.
    """
    senders = np.asarray(senders, dtype=np.int64)
    topo = state.topo
    if not topo.complete:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"word of mouth: prob must be a probability in [0, 1], got {prob!r}")
        return topo.indptr, topo.indices, topo.strong, senders, senders, prob
    src, dst, strong = topo.sample_neighbors(senders, prob, prob, rng=rng)
    rows = np.arange(len(dst), dtype=np.int64)
    return np.arange(len(dst) + 1, dtype=np.int64), dst, strong, rows, src.astype(np.int64), 1.0


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

    "Latest" is processing order: senders are processed in the order given, so of two senders
    who reach the same friend the later one in ``senders`` is her referrer, and a later call (the engine's batches: non-member buyers in settlement
    order, then group members, then KOL seeds) overwrites an earlier one. The trust transfer
    takes the maximum over this call's messages, all computed from the trust before the call.

    Returns (strong, weak) messages sent. Modifies: ``state.referral``, ``aware``, ``engaged``,
    ``trust``, ``referrer``, ``referrer_strong``.
    """
    if len(senders) == 0 or prob <= 0:
        return 0, 0
    indptr, indices, strong, rows, senders, prob = _tell(state, senders, prob, rng=rng)
    transfer = trust.enabled and trust.gain_recommendation > 0
    n_strong, n_weak = _recommend_kernel(
        indptr, indices, strong, rows, senders, prob, state.is_consumer, s, wom.strong_persuasion,
        wom.weak_persuasion, transfer, trust.gain_recommendation, wom.weak_tie_weight,
        state.referral, state.aware, state.engaged, state.referrer, state.referrer_strong,
        state.trust, stream(rng))
    return int(n_strong), int(n_weak)


@kernel
def _recommend_kernel(indptr, indices, strong, rows, senders, prob, is_consumer, s, beta_strong,
                      beta_weak, transfer, gain, weak_weight, referral, aware, engaged, referrer,
                      referrer_strong, trust, words):
    """Walk the senders' ties: pull, awareness and referrer per message, then the best transfer."""
    rs = seeded(words)
    n = is_consumer.shape[0]
    n_ties = 0
    for k in range(rows.shape[0]):
        r = rows[k]
        if r < 0 or r + 1 >= indptr.shape[0] or senders[k] < 0 or senders[k] >= n:
            raise ValueError("recommend: senders must be node ids")
        n_ties += indptr[r + 1] - indptr[r]
    # Trust targets T_j + pull are applied after the walk, so every pull uses the trust of before
    # the call even when a receiver is also a sender.
    hit = np.empty(n_ties if transfer else 0, np.int64)
    target = np.empty(n_ties if transfer else 0)
    n_hit = n_strong = n_weak = 0
    for k in range(rows.shape[0]):
        r = rows[k]
        u = senders[k]
        for e in range(indptr[r], indptr[r + 1]):
            if prob < 1.0 and not uniform(rs) < prob:
                continue
            v = indices[e]
            if not is_consumer[v]:
                continue
            if strong[e]:
                referral[s, v] += beta_strong
                n_strong += 1
            else:
                referral[s, v] += beta_weak
                n_weak += 1
            aware[s, v] = True
            engaged[s, v] = True
            referrer[s, v] = u
            referrer_strong[s, v] = strong[e]
            if transfer:
                w = 1.0 if strong[e] else weak_weight
                hit[n_hit] = v
                target[n_hit] = trust[s, v] + gain * w * (trust[s, u] - trust[s, v])
                n_hit += 1
    for j in range(n_hit):
        # max(T, max targets) = T + max(0, max pulls): a recommendation never lowers trust.
        trust[s, hit[j]] = max(trust[s, hit[j]], target[j])
    return n_strong, n_weak


def warn(state: State, s: int, senders: np.ndarray, prob: float, wom: WomParams,
         trust: TrustParams, *, rng: np.random.Generator) -> int:
    """Dissatisfied buyers and blockers warn friends: T <- T (1 - l_warn x w_tie) per warning.

    Disgust is passed on to relatives and friends (seed 000 L327); small incidents are amplified
    (seed 004 L119), hence a warning probability above the recommendation probability.

    Returns warnings sent. Modifies: ``state.trust``, ``state.aware``.
    """
    if len(senders) == 0 or prob <= 0:
        return 0
    indptr, indices, strong, rows, _, prob = _tell(state, senders, prob, rng=rng)
    lower = trust.enabled and trust.loss_warning > 0
    return int(_warn_kernel(indptr, indices, strong, rows, prob, state.is_consumer, s, lower,
                            trust.loss_warning, wom.weak_tie_weight, state.aware, state.trust, stream(rng)))


@kernel
def _warn_kernel(indptr, indices, strong, rows, prob, is_consumer, s, lower, loss, weak_weight,
                 aware, trust, words):
    """Walk the senders' ties: each warning that reaches a consumer multiplies her trust."""
    rs = seeded(words)
    sent = 0
    for k in range(rows.shape[0]):
        r = rows[k]
        if r < 0 or r + 1 >= indptr.shape[0]:
            raise ValueError("warn: senders must be node ids")
        for e in range(indptr[r], indptr[r + 1]):
            if prob < 1.0 and not uniform(rs) < prob:
                continue
            v = indices[e]
            if not is_consumer[v]:
                continue
            aware[s, v] = True
            sent += 1
            if lower:
                trust[s, v] *= 1.0 - loss * (1.0 if strong[e] else weak_weight)
    return sent


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
