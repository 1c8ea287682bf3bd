"""rules.wom (recommend, warn, recommendation_prob, seed_kols) and rules.ties (mute_and_block)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from viralsim._jit import seller_streams, uniform
from viralsim.model import pipeline, relations
from viralsim.model.relations import NO_TIE, STRONG, WEAK
from viralsim.model.rules import ties, wom
from viralsim.network import Topology

# node 0 = seller; sender 1 with strong friends 2, 3 and weak friends 4, 5; the seller is also
# the sender's (strong) friend.
SENDER_EDGES = ([1, 1, 1, 1, 0], [2, 3, 4, 5, 1], [True, True, False, False, True])
WOM = {"strong_persuasion": 0.06, "weak_persuasion": 0.01, "weak_tie_weight": 0.5}
#: the stream the day gives mute_and_block (pipeline: one per seller and day)
TIES_STREAM = pipeline._STREAM_TIES


# ------------------------------------------------------------------------------------- helpers


def _stream(w, rule, s=0, day=None) -> np.ndarray:
    """Seller ``s``'s stream of ``rule`` on ``day`` (today by default), as the day seeds it."""
    return seller_streams(w.key, w.today if day is None else day, rule, w.state.n_sellers)[s].copy()


def _recommend(w, senders, prob, s=0, day=None):
    """wom.recommend as the day calls it; returns (strong, weak) messages."""
    rel, strong, weak, _told = wom.recommend(s, w.sellers.node[s], np.asarray(senders, dtype=np.int64), prob,
                                             w.params.wom, w.state.graph, w.people, w.rel,
                                             _stream(w, wom.STREAM, s, day))
    w.keep(rel)
    return strong, weak


def _warn(w, senders, prob, s=0):
    """wom.warn as the day calls it; returns the warnings sent."""
    rel, sent = wom.warn(s, w.sellers.node[s], np.asarray(senders, dtype=np.int64), prob, w.params.wom,
                         w.state.graph, w.people, w.rel, _stream(w, wom.STREAM, s))
    w.keep(rel)
    return sent


def _related(w, s, node) -> bool:
    return relations.find(w.rel, s, node) >= 0


def _sender_world(kit, **trust):
    u, v, s = SENDER_EDGES
    topo = Topology.from_edges(6, np.array(u), np.array(v), np.array(s))
    cfg = kit.config(wom=WOM, trust={"gain_recommendation": 0.5, "loss_warning": 0.15, **trust})
    return cfg, kit.world(cfg, topo)


# ---------------------------------------------------------------------------------------- wom


def test_recommend_pull_trust_transfer_and_referrer(kit):
    """prob 1: strong friends get R += beta_s, weak R += beta_w; T += g w (T_sender - T) only when
    positive; referrer = sender; seller node receives nothing (no relation with herself)."""
    _, w = _sender_world(kit)
    w.set("trust", 0, [1, 2, 3, 4, 5], [0.8, 0.2, 0.9, 0.2, 0.9])
    strong, weak = _recommend(w, [1], 1.0)
    assert (strong, weak) == (2, 2)
    np.testing.assert_allclose(w.get("referral")[0], [0, 0, 0.06, 0.06, 0.01, 0.01], rtol=1e-15)
    np.testing.assert_allclose(w.get("trust")[0, 1:], [0.8, 0.2 + 0.5 * 1.0 * 0.6, 0.9, 0.2 + 0.5 * 0.5 * 0.6, 0.9],
                               rtol=1e-12)
    np.testing.assert_array_equal(w.get("referrer")[0], [-1, -1, 1, 1, 1, 1])
    np.testing.assert_array_equal(w.get("referrer_strong")[0, 2:], [True, True, False, False])
    assert w.get("aware")[0, 2:].all() and w.get("engaged")[0, 2:].all()
    assert not _related(w, 0, 0), "the seller node received a recommendation"
    w.state.check_invariants()


def test_recommend_makes_the_relations_of_new_friends(kit):
    """Friends without a relation get one, at the new-relation values: trust from the stranger
    prior, then the transfer from the sender."""
    cfg, w = _sender_world(kit)
    assert not any(_related(w, 0, v) for v in (2, 3, 4, 5))
    prior = cfg.trust.prior_stranger
    w.set("trust", 0, [1], 0.8)
    _recommend(w, [1], 1.0)
    assert all(_related(w, 0, v) for v in (2, 3, 4, 5))
    np.testing.assert_allclose(w.get("trust")[0, 2:], prior + 0.5 * np.array([1.0, 1.0, 0.5, 0.5]) * (0.8 - prior),
                               rtol=1e-12)
    np.testing.assert_array_equal(w.get("tie")[0, 2:], NO_TIE)


def test_recommend_never_lowers_trust(kit):
    """A sender who trusts less than the receiver leaves the receiver's trust as it was."""
    _, w = _sender_world(kit)
    w.set("trust", 0, [1, 2, 3, 4, 5], [0.05, 0.7, 0.7, 0.7, 0.7])
    before = w.get("trust").copy()
    _recommend(w, [1], 1.0)
    np.testing.assert_array_equal(w.get("trust"), before)


def test_recommend_most_persuasive_recommendation_counts(kit):
    """Two recommenders: pulls add, trust moves by the largest transfer only."""
    topo = Topology.from_edges(5, np.array([1, 2]), np.array([3, 3]), np.array([True, False]))
    cfg = kit.config(wom=WOM, trust={"gain_recommendation": 0.5})
    w = kit.world(cfg, topo)
    w.set("trust", 0, [1, 2, 3], [0.9, 0.7, 0.1])
    _recommend(w, [1, 2], 1.0)
    assert w.get("referral")[0, 3] == pytest.approx(0.07, rel=1e-12)
    assert w.get("trust")[0, 3] == pytest.approx(0.1 + max(0.5 * 0.8, 0.5 * 0.5 * 0.6), rel=1e-12)
    assert w.get("referrer")[0, 3] == 2, "the latest recommendation names the referrer"


def test_recommend_with_trust_disabled_moves_only_pull(kit):
    _, w = _sender_world(kit, enabled=False)
    w.set("trust", 0, [1, 2, 3, 4, 5], [0.9, 0.1, 0.1, 0.1, 0.1])
    _recommend(w, [1], 1.0)
    np.testing.assert_array_equal(w.get("trust")[0, 1:], [0.9, 0.1, 0.1, 0.1, 0.1])
    assert w.get("referral")[0, 2] == 0.06


def test_recommend_probability_zero_and_no_senders(kit):
    _, w = _sender_world(kit)
    size = w.state.n_relations
    assert _recommend(w, [1], 0.0) == (0, 0)
    assert _recommend(w, np.array([], dtype=np.int64), 1.0) == (0, 0)
    assert not w.get("referral").any() and w.state.n_relations == size


def test_recommend_reaches_each_friend_with_prob(kit):
    """Independent cascade: each friend is told with probability ``prob`` (statistical, 20 000 friends)."""
    n = 20_002
    topo = Topology.from_edges(n, np.ones(n - 2, np.int64), np.arange(2, n), True)
    cfg = kit.config(wom=WOM)
    w = kit.world(cfg, topo, seed=4)
    s, wk = _recommend(w, [1], 0.3)
    assert wk == 0
    kit.within(s / (n - 2), 0.3, kit.binom_sd(0.3, n - 2))
    assert np.count_nonzero(w.get("referral")[0]) == s == w.state.n_relations


def test_recommend_latest_sender_is_the_referrer_and_transfers_use_trust_before_the_call(kit):
    """Path 1 - 2 - 3 (weak 2-3), senders [1, 3, 2] with prob 1: node 2 hears 1 then 3, so 3
    (later in ``senders``) is her referrer; node 3 hears 2, with 2's trust from before the call."""
    topo = Topology.from_edges(5, np.array([1, 2]), np.array([2, 3]), np.array([True, False]))
    cfg = kit.config(wom=WOM, trust={"gain_recommendation": 0.5})
    w = kit.world(cfg, topo)
    w.set("trust", 0, [1, 2, 3], [0.9, 0.1, 0.3])
    strong, weak = _recommend(w, [1, 3, 2], 1.0)
    assert (strong, weak) == (2, 2)              # 1->2 strong, 2->1 strong, 3->2 weak, 2->3 weak
    referrer, referrer_strong = w.get("referrer")[0], w.get("referrer_strong")[0]
    assert referrer[2] == 3 and not referrer_strong[2]
    assert referrer[1] == 2 and referrer[3] == 2
    np.testing.assert_allclose(w.get("referral")[0, 1:4], [0.06, 0.07, 0.01], rtol=1e-12)
    # node 2: max(0.5 x 0.8, 0.5 x 0.5 x 0.2) = 0.4; node 3: 0.5 x 0.5 x (0.1 - 0.3) < 0, unchanged
    # (with node 2's new trust 0.5 it would have risen)
    trust = w.get("trust")[0]
    assert trust[2] == pytest.approx(0.1 + 0.4, rel=1e-12)
    assert trust[3] == 0.3 and trust[1] == 0.9
    _recommend(w, [1], 1.0, day=1)
    assert w.get("referrer")[0, 2] == 1 and w.get("referrer_strong")[0, 2], "a later call overwrites the referrer"


def test_word_of_mouth_on_the_implicit_complete_graph(kit):
    """Complete topology (no CSR arrays, all ties strong): prob 1 reaches every other consumer once,
    never the seller node; a warning multiplies trust by 1 - l_warn."""
    cfg = kit.config(wom=WOM, trust={"gain_recommendation": 0.5, "loss_warning": 0.15})
    w = kit.world(cfg, Topology.complete_graph(8))
    w.set("trust", 0, range(1, 8), [0.8] + [0.2] * 6)
    strong, weak = _recommend(w, [1], 1.0)
    assert (strong, weak) == (6, 0)
    np.testing.assert_allclose(w.get("referral")[0], [0, 0] + [0.06] * 6, rtol=1e-15)
    np.testing.assert_array_equal(w.get("referrer")[0], [-1, -1] + [1] * 6)
    np.testing.assert_allclose(w.get("trust")[0, 2:], 0.2 + 0.5 * 0.6, rtol=1e-12)
    assert w.get("trust")[0, 1] == 0.8 and not _related(w, 0, 0)
    before = w.get("trust").copy()
    assert _warn(w, [1, 2], 1.0) == 12
    np.testing.assert_allclose(w.get("trust")[0, 3:], before[0, 3:] * 0.85 ** 2, rtol=1e-12)
    assert w.get("trust")[0, 1] == pytest.approx(before[0, 1] * 0.85) and not _related(w, 0, 0)
    # statistical: each of the 6 other consumers is told with prob 0.3, over 4000 senders' draws
    n_told = [sum(_recommend(w, [1], 0.3, day=i)) for i in range(4000)]
    kit.within(np.mean(n_told) / 6, 0.3, kit.binom_sd(0.3, 6 * 4000))


def test_warn_lowers_trust_per_warning_by_tie_weight(kit):
    """T <- T prod over warnings (1 - l_warn w_tie): strong w = 1, weak w = weak_tie_weight."""
    topo = Topology.from_edges(6, np.array([1, 2, 1, 2]), np.array([3, 3, 4, 5]),
                               np.array([True, False, False, True]))
    cfg = kit.config(wom=WOM, trust={"loss_warning": 0.15})
    w = kit.world(cfg, topo)
    w.set("trust", 0, [1, 2, 3, 4, 5], 0.8)
    sent = _warn(w, [1, 2], 1.0)
    assert sent == 4
    trust = w.get("trust")[0]
    assert trust[3] == pytest.approx(0.8 * 0.85 * (1 - 0.15 * 0.5), rel=1e-12)
    assert trust[4] == pytest.approx(0.8 * (1 - 0.15 * 0.5), rel=1e-12)
    assert trust[5] == pytest.approx(0.8 * 0.85, rel=1e-12)
    assert trust[1] == trust[2] == 0.8
    assert w.get("aware")[0, [3, 4, 5]].all()


def test_warn_makes_the_relations_of_warned_friends(kit):
    """A warned friend without a relation gets one (aware), her trust from the stranger prior."""
    cfg, w = _sender_world(kit)
    prior = cfg.trust.prior_stranger
    assert _warn(w, [1], 1.0) == 4
    assert all(_related(w, 0, v) for v in (2, 3, 4, 5)) and not _related(w, 0, 0)
    np.testing.assert_allclose(w.get("trust")[0, 2:], prior * (1 - 0.15 * np.array([1.0, 1.0, 0.5, 0.5])),
                               rtol=1e-12)
    assert w.get("aware")[0, 2:].all()
    w.state.check_invariants()


def test_warn_skips_seller_nodes_and_respects_disabled_trust(kit):
    _, w = _sender_world(kit)
    w.set("trust", 0, [1, 2, 3, 4, 5], 0.6)
    _warn(w, [1], 1.0)
    assert not _related(w, 0, 0) and w.get("trust")[0, 2] == pytest.approx(0.6 * 0.85)
    _, w = _sender_world(kit, enabled=False)
    w.set("trust", 0, [1, 2, 3, 4, 5], 0.6)
    assert _warn(w, [1], 1.0) == 4
    assert np.all(w.get("trust")[0, 1:] == 0.6)


def test_recommendation_prob_formula(kit):
    """P = 1 - (1 - p_rec)(1 - reward)."""
    w = kit.config(wom={"recommend_prob": 0.25}).wom
    assert wom.recommendation_prob(w, 0.0) == pytest.approx(0.25)
    assert wom.recommendation_prob(w, 0.2) == pytest.approx(1 - 0.75 * 0.8)
    assert wom.recommendation_prob(w, 0.9) == pytest.approx(1 - 0.75 * 0.1)


def test_seed_kols_picks_the_top_degree_consumers(kit):
    """k seeds = the k highest-degree consumers (the seller's own node excluded); aware, roots of
    themselves."""
    rng = np.random.default_rng(12)
    n = 300
    u = rng.integers(0, n, 900)
    v = rng.integers(0, n, 900)
    hub = np.arange(1, n)
    topo = Topology.from_edges(n, np.concatenate([u, np.zeros(n - 1, np.int64)]), np.concatenate([v, hub]), True)
    cfg = kit.config()
    w = kit.world(cfg, topo)
    st = w.state
    k = 12
    deg = st.degree[np.arange(n) != 0]
    for day in range(3):
        rel, seeds = wom.seed_kols(0, 0, k, st.degree_order, st.degree, w.rel, _stream(w, wom.STREAM_KOL, 0, day))
        w.keep(rel)
        assert len(seeds) == k and len(np.unique(seeds)) == k
        assert 0 not in seeds, "the seller node (the top hub) was seeded"
        np.testing.assert_array_equal(np.sort(st.degree[seeds])[::-1], np.sort(deg)[::-1][:k])
        np.testing.assert_array_equal(w.get("root")[0, seeds], seeds)
        assert w.get("aware")[0, seeds].all()


# ------------------------------------------------------------------------------------- ties


TIES = {"mute_threshold": 300.0, "block_threshold": 600.0, "mute_max": 0.25, "block_max": 0.10,
        "steepness": 1.5, "strong_block_factor": 0.5, "unmute_half_life": 60.0}


def _tie_world(kit, n, seed=0, **tie):
    """Seller 0 with every other node of n isolated ones as a weak contact; everyone at the
    median tolerance 1."""
    cfg = kit.config(circle_size=n - 1, ties={**TIES, **tie})
    return cfg, kit.world(cfg, kit.empty(n), seed=seed)


def _index(w, s=0) -> np.ndarray:
    """Row of seller ``s``'s relation with each node (-1 none)."""
    rel, m = w.rel, w.state.n_relations
    idx = np.full(w.state.n, -1, dtype=np.int64)
    mine = rel.seller[:m] == s
    idx[rel.node[:m][mine]] = np.flatnonzero(mine)
    return idx


def _put(w, name, nodes, value, s=0) -> None:
    """Column ``name`` of seller ``s``'s existing relations with ``nodes`` := ``value``."""
    rows = _index(w, s)[np.asarray(nodes)]
    assert np.all(rows >= 0)
    getattr(w.rel, name)[rows] = value


def _mute_and_block(w, s=0, rs=None, unmuted=False):
    """ties.mute_and_block as the day calls it; returns (newly muted, newly blocked) nodes, the
    blocked ones in the order of the seller's rows, and with ``unmuted`` the nodes that unmuted."""
    w.views()
    muted0 = w.get("muted")[s].copy()
    streams = seller_streams(w.key, w.today, TIES_STREAM, w.state.n_sellers)
    if rs is not None:
        streams[s] = rs
    k, buf = ties.mute_and_block(w.params.ties, w.people, w.rel, streams, np.empty(1, dtype=np.int64))
    if rs is not None:
        rs[:] = streams[s]                      # (the stream advanced as the day's does)
    rows = buf[:k]
    muted = w.get("muted")[s]
    out = np.flatnonzero(muted & ~muted0), w.rel.node[rows[w.rel.seller[rows] == s]].astype(np.int64)
    return (*out, np.flatnonzero(muted0 & ~muted)) if unmuted else out


def _uniforms(rs, k) -> np.ndarray:
    """The first k uniforms of a copy of stream ``rs``."""
    rs = rs.copy()
    return np.array([uniform(rs) for _ in range(k)])


def _candidate_rows(w, s=0) -> np.ndarray:
    """Seller ``s``'s rows in her stream's order (by-seller view)."""
    w.views()
    start, count = w.rel.seller_seg[0, s], w.rel.seller_seg[1, s]
    return w.rel.seller_pool[start:start + count]


@pytest.mark.parametrize("h", [0.5, 1.5, 4.0])
def test_hill_function(kit, h):
    """H(x) = x^h / (x^h + theta^h): 0 at 0, 1/2 at theta, increasing toward 1. With m_max = 1 and
    no blocking a contact mutes iff her draw is below H(A): the outcome for 2000 contacts at each
    of A = 0, theta/2, theta, 2 theta, 1e6 equals [u < H(A)] for the same draws, and about half
    mute at A = theta."""
    levels = np.array([0.0, 50.0, 100.0, 200.0, 1e6])
    per = 2000
    n = len(levels) * per + 1
    _, w = _tie_world(kit, n, steepness=h, mute_threshold=100.0, mute_max=1.0, block_max=0.0)
    a = np.zeros(n)
    a[1:] = np.repeat(levels, per)
    _put(w, "annoyance", np.arange(1, n), a[1:])
    hill = a ** h / (a ** h + 100.0 ** h)
    assert hill[1] == 0.0 and hill[1 + 2 * per] == pytest.approx(0.5, rel=1e-15)
    assert np.all(np.diff(hill[1::per]) > 0) and 0.99 < hill[-1] < 1.0
    rows = _candidate_rows(w)
    nodes = w.rel.node[rows]
    cand = nodes[a[nodes] > 1e-9]              # one draw per annoyed contact, in row order
    rs = _stream(w, TIES_STREAM)
    u = _uniforms(rs, len(cand))
    muted, blocked = _mute_and_block(w, rs=rs)
    assert len(blocked) == 0
    np.testing.assert_array_equal(muted, np.sort(cand[u < hill[cand]]))
    at_theta = np.isin(np.arange(1 + 2 * per, 1 + 3 * per), muted).mean()
    kit.within(at_theta, 0.5, kit.binom_sd(0.5, per))
    assert not np.isin(np.arange(1, 1 + per), muted).any(), "a contact without annoyance muted"


def test_no_annoyance_nobody_mutes_or_blocks(kit):
    _, w = _tie_world(kit, 500, mute_max=1.0, block_max=1.0)
    muted, blocked = _mute_and_block(w)
    assert len(muted) == len(blocked) == 0 and not w.get("muted").any() and not w.get("blocked").any()


def test_tolerance_scales_both_thresholds(kit):
    """Consumer i's thresholds are tau_i theta: with m_max = b_max = 1 she blocks iff u < H(A; tau_i
    theta_b, h), else mutes iff u < that + H(A; tau_i theta_m, h), for the same draws; tolerances
    from 1/50 to 50 at one annoyance spread the outcomes from nearly all to nearly none."""
    n = 4001
    _, w = _tie_world(kit, n, seed=5, steepness=4.0, mute_max=1.0, block_max=1.0, strong_block_factor=1.0,
                      mute_threshold=100.0, block_threshold=200.0)
    tau = np.ones(n)
    tau[1:] = np.exp(np.random.default_rng(5).uniform(np.log(1 / 50), np.log(50), n - 1))
    w.state.tolerance[:] = tau
    lost = _lost_at_thresholds(w, 150.0, tau)
    assert lost[tau < 0.2].mean() > 0.95 and lost[tau > 5].mean() < 0.05


def _lost_at_thresholds(w, annoyance: float, tau: np.ndarray) -> np.ndarray:
    """Every contact of seller 0 at ``annoyance``, with m_max = b_max = 1, steepness 4 and the
    median thresholds 100 and 200: asserts that she blocks iff u < H(A; 200 tau_i, 4), else mutes
    iff u < that + H(A; 100 tau_i, 4), for the day's draws (``tau`` the effective tolerance by
    node); returns whether each node was lost."""
    _put(w, "annoyance", np.arange(1, tau.shape[0]), annoyance)
    nodes = w.rel.node[_candidate_rows(w)]
    rs = _stream(w, TIES_STREAM)
    u = _uniforms(rs, len(nodes))
    muted, blocked = _mute_and_block(w, rs=rs)
    hill = lambda a, theta: a ** 4 / (a ** 4 + theta ** 4)  # noqa: E731
    p_block = hill(annoyance, 200.0 * tau[nodes])
    p_mute = hill(annoyance, 100.0 * tau[nodes])
    np.testing.assert_array_equal(blocked, nodes[u < p_block])
    np.testing.assert_array_equal(muted, np.sort(nodes[(u >= p_block) & (u < p_block + p_mute)]))
    return np.isin(np.arange(tau.shape[0]), np.concatenate([muted, blocked]))


def test_fatigue_lowers_tolerance_like_a_smaller_tau(kit):
    """With ad fatigue F the thresholds are tau theta / (1 + F / F_half): the same draws decide as
    in :func:`test_tolerance_scales_both_thresholds` with tau / (1 + F / F_half) in place of tau.
    Fatigue from 0 to 20 F_half at one annoyance takes the lost share from nearly none to nearly
    all (a mutant that ignored fatigue would leave it at the first)."""
    n = 4001
    _, w = _tie_world(kit, n, seed=6, steepness=4.0, mute_max=1.0, block_max=1.0, strong_block_factor=1.0,
                      mute_threshold=100.0, block_threshold=200.0, fatigue_ads=50.0)
    fatigue = np.zeros(n)
    fatigue[1:] = np.random.default_rng(6).uniform(0.0, 1000.0, n - 1)
    w.state.fatigue[:] = fatigue
    lost = _lost_at_thresholds(w, 30.0, 1.0 / (1.0 + fatigue / 50.0))
    assert lost[(fatigue < 20.0) & (np.arange(n) > 0)].mean() < 0.05 and lost[fatigue > 500.0].mean() > 0.95


def test_fatigue_adds_the_pushes_read_and_fades(kit):
    """F <- F 2^(-1/h_F) + K, K the day's ads, prize posts, resellers' ads and unsolicited
    messages read from every seller; an answer to her need (solicited) and value or life posts
    add nothing; with F_half = 0 the stock stays 0 whatever she reads."""
    cfg = kit.config(n_sellers=2, circle_size=3, ties={"fatigue_ads": 100.0, "fatigue_half_life": 10.0})
    topo = kit.empty(8)
    w = kit.world(cfg, topo, sellers=(0, 1))
    w.state.fatigue[:] = 0.0
    rows = [w.row(0, 2), w.row(1, 2), w.row(0, 3)]
    assert min(rows) >= 0
    for name, value in (("seen_ad", 3), ("seen_prize", 1), ("seen_reseller", 2), ("messages", 1),
                        ("seen_value", 5), ("seen_life", 4)):
        getattr(w.rel, name)[rows[0]] = value
    w.rel.seen_ad[rows[1]] = 4
    w.rel.messages[rows[2]] = 1
    w.rel.solicited[rows[2]] = True
    for r in rows:
        w.rel.touched[r] = True
    w.state.fatigue[2] = 50.0
    ties.tire(w.params.ties, w.people, w.rel)
    f = 0.5 ** (1.0 / 10.0)
    assert w.state.fatigue[2] == pytest.approx(50.0 * f + 3 + 1 + 2 + 1 + 4, rel=1e-15)
    assert w.state.fatigue[3] == 0.0
    off = kit.world(kit.config(n_sellers=2, circle_size=3), topo, sellers=(0, 1))
    off.rel.seen_ad[off.row(0, 2)] = 3
    off.rel.touched[off.row(0, 2)] = True
    ties.tire(off.params.ties, off.people, off.rel)
    assert not off.state.fatigue.any()


def test_non_contacts_and_blocked_are_not_candidates(kit):
    _, w = _tie_world(kit, 10, block_max=1.0)
    _put(w, "annoyance", np.arange(1, 10), 1e12)
    _put(w, "tie", [3], NO_TIE)
    _put(w, "blocked", [4], True)
    _muted, blocked = _mute_and_block(w)
    assert 3 not in blocked and 4 not in blocked and not w.get("blocked")[0, 3]
    assert len(blocked) == 7


def test_strong_ties_block_at_the_strong_factor(kit):
    """At equal annoyance (A = theta_b, H = 1/2): P(block) = b_max/2 for weak, x f_strong for strong."""
    n = 40_001
    _, w = _tie_world(kit, n, seed=8, block_max=0.5, mute_max=0.0, strong_block_factor=0.4)
    strong = np.arange(n) % 2 == 0
    strong[0] = False                            # (the seller's own node)
    weak = ~strong
    weak[0] = False
    _put(w, "tie", np.flatnonzero(strong), STRONG)
    _put(w, "annoyance", np.arange(1, n), 600.0)
    _, blocked = _mute_and_block(w)
    is_b = np.zeros(n, bool)
    is_b[blocked] = True
    kit.within(is_b[weak].mean(), 0.25, kit.binom_sd(0.25, weak.sum()))
    kit.within(is_b[strong].mean(), 0.1, kit.binom_sd(0.1, strong.sum()))


def test_mute_hazard_statistical(kit):
    """P(mute) = m_max H(A; theta_m, h) when not blocking (block_max 0): A = theta_m gives m_max/2;
    already-muted contacts are not muted again (they would leave the groups)."""
    n = 20_001
    _, w = _tie_world(kit, n, seed=1, block_max=0.0, mute_max=0.6)
    _put(w, "annoyance", np.arange(1, n), 300.0)
    _put(w, "muted", np.arange(1, 1001), True)
    _put(w, "in_group", np.arange(1, n), True)
    _put(w, "engaged", np.arange(1, n), True)    # (group members are engaged)
    muted, blocked = _mute_and_block(w)
    assert len(blocked) == 0
    assert not np.isin(muted, np.arange(1, 1001)).any()
    assert w.get("in_group")[0, 1:1001].all(), "an already-muted contact was muted again"
    m = n - 1001
    kit.within(len(muted) / m, 0.3, kit.binom_sd(0.3, m))
    assert not w.get("in_group")[0, muted].any(), "muted consumers leave the groups"
    assert w.get("in_group")[0, np.setdiff1d(np.arange(1001, n), muted)].all()
    w.state.check_invariants()


def test_muted_contacts_can_still_block(kit):
    _, w = _tie_world(kit, 50, block_max=1.0)
    _put(w, "annoyance", np.arange(1, 50), 1e12)
    _put(w, "muted", np.arange(1, 50), True)
    muted, blocked = _mute_and_block(w)
    assert len(blocked) == 49 and len(muted) == 0


def test_blocked_leave_groups(kit):
    _, w = _tie_world(kit, 30, block_max=1.0)
    _put(w, "annoyance", np.arange(1, 20), 1e12)
    _put(w, "in_group", np.arange(1, 30), True)
    _put(w, "engaged", np.arange(1, 30), True)
    _, blocked = _mute_and_block(w)
    np.testing.assert_array_equal(np.sort(blocked), np.arange(1, 20))
    in_group = w.get("in_group")[0]
    assert not in_group[1:20].any() and in_group[20:].all()
    assert w.get("blocked")[0, 1:20].all() and np.all(w.get("tie")[0, 1:20] == WEAK), "blocking keeps the tie code"
    w.state.check_invariants()


def test_block_and_mute_partition_one_draw(kit):
    """Block with p_b, else mute with p_m: P(mute) = p_m, P(block) = p_b, never both (statistical)."""
    n = 20_001
    _, w = _tie_world(kit, n, seed=3, block_max=0.2, mute_max=0.4, block_threshold=100.0, mute_threshold=100.0)
    _put(w, "annoyance", np.arange(1, n), 100.0)         # H = 1/2 for both: p_b = 0.1, p_m = 0.2
    muted, blocked = _mute_and_block(w)
    assert len(np.intersect1d(muted, blocked)) == 0
    kit.within(len(blocked) / (n - 1), 0.1, kit.binom_sd(0.1, n - 1))
    kit.within(len(muted) / (n - 1), 0.2, kit.binom_sd(0.2, n - 1))


def test_unmuting_hazard_rises_as_annoyance_fades(kit):
    """P(unmute) = u_max (1 - H(A; tau theta_m, h)), u_max = 1 - 2^(-1/h_u): a muted contact without
    annoyance unmutes at u_max, one at her threshold at u_max/2, one far above it almost never
    (statistical, 15,000 muted contacts per level, block_max 0)."""
    per = 15_000
    n = 3 * per + 1
    cfg, w = _tie_world(kit, n, seed=6, block_max=0.0, mute_max=0.5, steepness=4.0, unmute_half_life=3.0)
    w.state.tolerance[1:] = np.repeat([1.0, 2.0, 1.0], per)
    a = np.repeat([0.0, 600.0, 3000.0], per)            # A/tau: 0, theta_m, 10 theta_m
    _put(w, "annoyance", np.arange(1, n), a)
    _put(w, "muted", np.arange(1, n), True)
    _put(w, "in_group", np.arange(1, n), False)
    muted, blocked, unmuted = _mute_and_block(w, unmuted=True)
    assert len(muted) == len(blocked) == 0
    u_max = 1.0 - 2.0 ** (-1.0 / 3.0)
    share = [np.isin(np.arange(1 + k * per, 1 + (k + 1) * per), unmuted).mean() for k in range(3)]
    kit.within(share[0], u_max, kit.binom_sd(u_max, per))
    kit.within(share[1], u_max / 2, kit.binom_sd(u_max / 2, per))
    p_far = u_max * (1 - 1e4 / (1e4 + 1))
    kit.within(share[2], p_far, kit.binom_sd(max(p_far, 1e-4), per))
    assert not w.get("in_group")[0].any(), "unmuting rejoined a group"
    w.state.check_invariants()


def test_muted_contacts_without_annoyance_draw_others_do_not(kit):
    """Candidates are the muted contacts (any annoyance) and the unmuted ones with A > 1e-9: with
    unmuting certain (half-life 0.01 day), every muted contact without annoyance unmutes, nobody
    else changes, and the stream advances by exactly one draw per muted contact."""
    n = 401
    _, w = _tie_world(kit, n, seed=7, unmute_half_life=0.01, mute_max=1.0, block_max=1.0)
    _put(w, "muted", np.arange(1, 201), True)
    rs = _stream(w, TIES_STREAM)
    after = rs.copy()
    for _ in range(200):
        uniform(after)
    muted, blocked, unmuted = _mute_and_block(w, rs=rs, unmuted=True)
    np.testing.assert_array_equal(unmuted, np.arange(1, 201))
    assert len(muted) == len(blocked) == 0
    assert uniform(rs) == uniform(after)


def test_muted_contacts_still_block_before_unmuting(kit):
    """One draw: block if u < P(block), else unmute if u < P(block) + P(unmute): with both hazards
    1/2 (H = 1/2 at A = theta, b_max = 1, unmute certain), half block and the rest unmute."""
    n = 20_001
    _, w = _tie_world(kit, n, seed=9, steepness=4.0, block_max=1.0, mute_max=0.0, unmute_half_life=0.01,
                      mute_threshold=500.0, block_threshold=500.0)
    _put(w, "annoyance", np.arange(1, n), 500.0)
    _put(w, "muted", np.arange(1, n), True)
    _, blocked, unmuted = _mute_and_block(w, unmuted=True)
    assert len(np.intersect1d(blocked, unmuted)) == 0 and len(blocked) + len(unmuted) == n - 1
    kit.within(len(blocked) / (n - 1), 0.5, kit.binom_sd(0.5, n - 1))
    assert w.get("muted")[0, blocked].all(), "a blocker's mute is kept for the record"


def _decide(p, tie, muted, a, tau, u):
    """The rule of docs/model.md §3.3.18 for one candidate: 'block', 'mute', 'unmute' or None."""
    h = p.steepness

    def hill(theta):
        ah = math.pow(a, h)
        return ah / (ah + math.pow(theta * tau, h))

    p_block = p.block_max * hill(p.block_threshold) * (p.strong_block_factor if tie == STRONG else 1.0)
    if u < p_block:
        return "block"
    if muted:
        return "unmute" if u < p_block + (1.0 - 2.0 ** (-1.0 / p.unmute_half_life)) * (1.0 - hill(p.mute_threshold)) \
            else None
    return "mute" if u < p_block + p.mute_max * hill(p.mute_threshold) else None


def test_hazard_bounds_never_change_an_outcome(kit):
    """The kernel evaluates the Hill hazards only for draws below a bound of the candidate's
    hazards: the outcome equals that of evaluating them for every candidate with the same draws
    (one uniform per muted contact and per unmuted one with A > 1e-9, in the seller's row order),
    over annoyances from 1e-9 to 1e6, tolerances from 1/1000 to 1000, weak and strong ties,
    muted contacts and steep or flat Hill functions."""
    for seed, h, strong_factor in [(0, 1.5, 0.5), (1, 0.5, 1.0), (2, 8.0, 0.2), (3, 4.0, 0.5)]:
        n = 20_001
        cfg, w = _tie_world(kit, n, seed=seed, steepness=h, strong_block_factor=strong_factor,
                            block_max=0.3, mute_max=0.4, block_threshold=50.0, mute_threshold=20.0,
                            unmute_half_life=2.0)
        rng = np.random.default_rng(seed)
        others = np.arange(1, n)
        a = 10.0 ** rng.uniform(-10, 6, n)
        a[rng.random(n) < 0.1] = 0.0
        tie = np.full(n, WEAK, dtype=np.int8)
        tie[rng.random(n) < 0.3] = STRONG
        tie[rng.random(n) < 0.1] = NO_TIE
        blocked0 = (tie > NO_TIE) & (rng.random(n) < 0.05)
        muted0 = rng.random(n) < 0.2
        tau = 10.0 ** rng.uniform(-3, 3, n)
        w.state.tolerance[:] = tau
        for name, values in (("annoyance", a), ("tie", tie), ("blocked", blocked0), ("muted", muted0)):
            _put(w, name, others, values[others])
        rows = _candidate_rows(w)
        nodes = w.rel.node[rows]
        cand = nodes[(tie[nodes] > NO_TIE) & ~blocked0[nodes] & (muted0[nodes] | (a[nodes] > 1e-9))]
        rs = _stream(w, TIES_STREAM)
        u = _uniforms(rs, len(cand))
        want = {"block": [], "mute": [], "unmute": [], None: []}
        for i, ui in zip(cand.tolist(), u):
            want[_decide(cfg.ties, tie[i], muted0[i], a[i], tau[i], ui)].append(i)
        muted, blocked, unmuted = _mute_and_block(w, rs=rs, unmuted=True)
        np.testing.assert_array_equal(blocked, want["block"])
        np.testing.assert_array_equal(muted, np.sort(want["mute"]))
        np.testing.assert_array_equal(unmuted, np.sort(want["unmute"]))
        assert len(want["block"]) > 100 and len(want["mute"]) > 100 and len(want["unmute"]) > 100


@pytest.mark.parametrize("bad", [-1, 12, 10**9])
def test_word_of_mouth_rejects_senders_that_are_not_node_ids(kit, bad):
    """A sender outside the graph is an error, not a read past the graph's arrays."""
    w = kit.world(kit.config(), kit.path(12))
    with pytest.raises(ValueError, match="senders must be node ids"):
        _recommend(w, [3, bad], 0.5)
    with pytest.raises(ValueError, match="senders must be node ids"):
        _warn(w, [bad], 0.5)
