"""Word of mouth: recommendations and warnings along friendship ties (Goldenberg et al. 2001)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from viralsim._jit import below, geometric, kernel, uniform
from viralsim.model.relations import add_row, find_row, grown, reserve
from viralsim.model.rules._util import most_reached

STREAM = 11
STREAM_KOL = 12


class Params(NamedTuple):
    beta_strong: float
    beta_weak: float
    transfer: bool
    gain_rec: float
    weak_weight: float
    warn_prob: float
    block_warn_prob: float
    lower: bool
    loss_warning: float


def prepare(config) -> Params:
    w, t = config.wom, config.trust
    return Params(w.strong_persuasion, w.weak_persuasion, bool(t.enabled and t.gain_recommendation > 0),
                  t.gain_recommendation, w.weak_tie_weight, w.warn_prob, w.block_warn_prob,
                  bool(t.enabled and t.loss_warning > 0), t.loss_warning)


def recommendation_prob(wom, referral_reward: float) -> float:
    """P(recommend to a friend) = 1 - (1 - p_rec)(1 - reward): rewards make buyers recruit.

    Group-buy and referral rewards turn each buyer into a recruiter (seed 002 L261-265, L277).
    """
    return 1.0 - (1.0 - wom.recommend_prob) * (1.0 - referral_reward)


@kernel
def _told(graph, u, prob, rs, friends, strong):
    """The friends ``u`` tells, each independently with probability ``prob`` (independent
    cascade: one chance per tie and sender, Kempe et al. 2003), into ``friends``/``strong``;
    returns how many. On the implicit complete graph every other node is a strong-tie friend
    and the told ones are found by geometric skipping, O(told)."""
    k = 0
    if graph.complete:
        if prob <= 0.0:
            return 0
        j = geometric(prob, rs) - 1
        while j < graph.n - 1:
            friends[k] = j if j < u else j + 1
            strong[k] = True
            k += 1
            j += geometric(prob, rs)
        return k
    for e in range(graph.indptr[u], graph.indptr[u + 1]):
        if prob < 1.0 and not uniform(rs) < prob:
            continue
        friends[k] = graph.indices[e]
        strong[k] = graph.strong[e]
        k += 1
    return k


@kernel
def _buffers(graph, senders):
    """Room for the friends one sender can tell."""
    most = graph.n if graph.complete else 0
    for u in senders:
        if u < 0 or u >= graph.n:
            raise ValueError("word of mouth: senders must be node ids")
        if not graph.complete:
            most = max(most, graph.indptr[u + 1] - graph.indptr[u])
    return np.empty(most, np.int64), np.empty(most, np.bool_)


@kernel
def recommend(s, own, senders, prob, par, graph, people, rel, rs):
    """Satisfied buyers (or seeded KOLs) recommend seller ``s`` to friends.

    Each sender tells each friend with probability ``prob``. A recommendation over a strong /
    weak tie adds beta_s / beta_w to the receiver's referral pull R (Goldenberg, Libai & Muller
    2001: strong ties are more persuasive), makes her aware, transfers trust T <- T + g_rec x
    w_tie x max(0, T_sender - T) (seed 002 L239: sharers' trust endorsement; seed 003 L19: you
    trust your friend, not a stranger; the most persuasive recommendation of the call counts,
    all computed from the trust before the call), and records the sender as her referrer for
    cascade tracing (the latest recommendation wins: senders in the order given).
    ``own`` is the seller's node (she is not told about herself). Returns (table, strong
    messages, weak messages, the receivers' rows: one per recommendation, in the order sent).
    """
    told = np.empty(0, np.int64)
    if senders.shape[0] == 0 or prob <= 0.0:
        return rel, 0, 0, told
    friends, strong = _buffers(graph, senders)
    rel = reserve(rel, most_reached(graph, senders))
    hits = np.empty(0, np.int64)
    targets = np.empty(0)
    n_hit = n_strong = n_weak = 0
    for u in senders:
        k = _told(graph, u, prob, rs, friends, strong)
        ru = find_row(rel.index, rel.meta, s, u)
        t_sender = rel.trust[ru] if ru >= 0 else rel.prior[0]
        if par.transfer and hits.shape[0] < n_hit + k:
            hits = grown(hits, 2 * hits.shape[0] + k)
            targets = grown(targets, hits.shape[0])
        if told.shape[0] < n_strong + n_weak + k:
            told = grown(told, 2 * told.shape[0] + k)
        for j in range(k):
            v = friends[j]
            if not people.is_consumer[v] or v == own:
                continue
            r = add_row(rel.index, rel.meta, rel.seller, rel.node, s, v)
            told[n_strong + n_weak] = r
            if strong[j]:
                rel.referral[r] += par.beta_strong
                n_strong += 1
            else:
                rel.referral[r] += par.beta_weak
                n_weak += 1
            rel.aware[r] = True
            rel.engaged[r] = True
            rel.referrer[r] = u
            rel.referrer_strong[r] = strong[j]
            if par.transfer:
                w = 1.0 if strong[j] else par.weak_weight
                hits[n_hit] = r
                targets[n_hit] = rel.trust[r] + par.gain_rec * w * (t_sender - rel.trust[r])
                n_hit += 1
    for j in range(n_hit):
        # max(T, max targets) = T + max(0, max pulls): a recommendation never lowers trust.
        rel.trust[hits[j]] = max(rel.trust[hits[j]], targets[j])
    return rel, n_strong, n_weak, told[:n_strong + n_weak]


@kernel
def warn(s, own, senders, prob, par, graph, people, rel, rs):
    """Dissatisfied buyers and blockers warn friends: T <- T (1 - l_warn x w_tie) per warning.

    Disgust is passed on to relatives and friends (seed 000 L327); small incidents are amplified
    (seed 004 L119), hence a warning probability above the recommendation probability.
    Returns (table, warnings sent).
    """
    if senders.shape[0] == 0 or prob <= 0.0:
        return rel, 0
    friends, strong = _buffers(graph, senders)
    rel = reserve(rel, most_reached(graph, senders))
    sent = 0
    for u in senders:
        k = _told(graph, u, prob, rs, friends, strong)
        for j in range(k):
            v = friends[j]
            if not people.is_consumer[v] or v == own:
                continue
            r = add_row(rel.index, rel.meta, rel.seller, rel.node, s, v)
            rel.aware[r] = True
            sent += 1
            if par.lower:
                rel.trust[r] *= 1.0 - par.loss_warning * (1.0 if strong[j] else par.weak_weight)
    return rel, sent


@kernel
def seed_kols(s, own, k, degree_order, degree, rel, rs):
    """The ``k`` best-connected consumers become seller ``s``'s KOL seeds (seed 004 L225, L399).

    ``degree_order`` lists the consumers by decreasing degree; ties at the cut are broken at
    random (a uniform subset of the consumers of the boundary degree). Seeds become aware and
    roots of their own referral trees. Returns (table, seed node ids).
    """
    if k <= 0:
        return rel, np.empty(0, np.int64)
    degree_order = degree_order[degree_order != own]      # (not the seller herself)
    k = min(k, degree_order.shape[0])
    cut = degree[degree_order[k - 1]]
    lo = k - 1
    while lo > 0 and degree[degree_order[lo - 1]] == cut:
        lo -= 1
    hi = k
    while hi < degree_order.shape[0] and degree[degree_order[hi]] == cut:
        hi += 1
    seeds = degree_order[:k].copy()
    bucket = degree_order[lo:hi].copy()
    for j in range(k - lo):                    # partial Fisher-Yates over the boundary degree
        r = j + below(hi - lo - j, rs)
        bucket[j], bucket[r] = bucket[r], bucket[j]
        seeds[lo + j] = bucket[j]
    rel = reserve(rel, k)
    for v in seeds:
        r = add_row(rel.index, rel.meta, rel.seller, rel.node, s, v)
        rel.aware[r] = True
        rel.root[r] = v
    return rel, seeds
