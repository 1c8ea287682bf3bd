"""rules.wom (recommend, warn, recommendation_prob, seed_kols) and rules.ties (hill, mute_and_block)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from viralsim.model.rules import ties, wom
from viralsim.model.state import NO_TIE, STRONG, WEAK
from viralsim.network import Topology

# node 0 = seller; sender 1 with strong friends 2, 3 and weak friends 4, 5; the seller is also
# the sender's (strong) friend.
SENDER_EDGES = ([1, 1, 1, 1, 0], [2, 3, 4, 5, 1], [True, True, False, False, True])
WOM = {"strong_persuasion": 0.06, "weak_persuasion": 0.01, "weak_tie_weight": 0.5}


def _sender_world(kit, **trust):
    u, v, s = SENDER_EDGES
    topo = Topology.from_edges(6, np.array(u), np.array(v), np.array(s))
    cfg = kit.config(wom=WOM, trust={"gain_recommendation": 0.5, "loss_warning": 0.15, **trust})
    return cfg, kit.state(cfg, topo)


def test_recommend_pull_trust_transfer_and_referrer(kit):
    """prob 1: strong friends get R += beta_s, weak R += beta_w; T += g w (T_sender - T) only when
    positive; referrer = sender; seller node receives nothing."""
    cfg, st = _sender_world(kit)
    st.trust[0] = [0.5, 0.8, 0.2, 0.9, 0.2, 0.9]
    aware0 = st.aware[0, 0]
    strong, weak = wom.recommend(st, 0, np.array([1]), 1.0, cfg.wom, cfg.trust, rng=np.random.default_rng(0))
    assert (strong, weak) == (2, 2)
    np.testing.assert_allclose(st.referral[0], [0, 0, 0.06, 0.06, 0.01, 0.01], rtol=1e-15)
    np.testing.assert_allclose(st.trust[0], [0.5, 0.8, 0.2 + 0.5 * 1.0 * 0.6, 0.9, 0.2 + 0.5 * 0.5 * 0.6, 0.9],
                               rtol=1e-12)
    np.testing.assert_array_equal(st.referrer[0], [-1, -1, 1, 1, 1, 1])
    np.testing.assert_array_equal(st.referrer_strong[0, 2:], [True, True, False, False])
    assert st.aware[0, 2:].all() and st.engaged[0, 2:].all()
    assert st.aware[0, 0] == aware0 and st.referrer[0, 0] == -1, "the seller node received a recommendation"


def test_recommend_never_lowers_trust(kit):
    """A sender who trusts less than the receiver leaves the receiver's trust as it was."""
    cfg, st = _sender_world(kit)
    st.trust[0] = 0.7
    st.trust[0, 1] = 0.05
    before = st.trust.copy()
    wom.recommend(st, 0, np.array([1]), 1.0, cfg.wom, cfg.trust, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(st.trust, before)


def test_recommend_most_persuasive_recommendation_counts(kit):
    """Two recommenders: pulls add, trust moves by the largest transfer only."""
    topo = Topology.from_edges(5, np.array([1, 2]), np.array([3, 3]), np.array([True, False]))
    cfg = kit.config(wom=WOM, trust={"gain_recommendation": 0.5})
    st = kit.state(cfg, topo)
    st.trust[0, [1, 2, 3]] = [0.9, 0.7, 0.1]
    wom.recommend(st, 0, np.array([1, 2]), 1.0, cfg.wom, cfg.trust, rng=np.random.default_rng(0))
    assert st.referral[0, 3] == pytest.approx(0.07, rel=1e-12)
    assert st.trust[0, 3] == pytest.approx(0.1 + max(0.5 * 0.8, 0.5 * 0.5 * 0.6), rel=1e-12)
    assert st.referrer[0, 3] in (1, 2)


def test_recommend_with_trust_disabled_moves_only_pull(kit):
    cfg, st = _sender_world(kit, enabled=False)
    st.trust[0] = [0.5, 0.9, 0.1, 0.1, 0.1, 0.1]
    wom.recommend(st, 0, np.array([1]), 1.0, cfg.wom, cfg.trust, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(st.trust[0], [0.5, 0.9, 0.1, 0.1, 0.1, 0.1])
    assert st.referral[0, 2] == 0.06


def test_recommend_probability_zero_and_no_senders(kit):
    cfg, st = _sender_world(kit)
    assert wom.recommend(st, 0, np.array([1]), 0.0, cfg.wom, cfg.trust, rng=np.random.default_rng(0)) == (0, 0)
    assert wom.recommend(st, 0, np.array([], dtype=np.int64), 1.0, cfg.wom, cfg.trust,
                         rng=np.random.default_rng(0)) == (0, 0)
    assert not st.referral.any()


def test_recommend_reaches_each_friend_with_prob(kit):
    """Independent cascade: each friend is told with probability ``prob`` (statistical, 20 000 friends)."""
    n = 20_002
    topo = Topology.from_edges(n, np.ones(n - 2, np.int64), np.arange(2, n), True)
    cfg = kit.config(wom=WOM)
    st = kit.state(cfg, topo)
    s, w = wom.recommend(st, 0, np.array([1]), 0.3, cfg.wom, cfg.trust, rng=np.random.default_rng(4))
    assert w == 0
    kit.within(s / (n - 2), 0.3, kit.binom_sd(0.3, n - 2))
    assert np.count_nonzero(st.referral[0]) == s


def test_recommend_latest_sender_is_the_referrer_and_transfers_use_trust_before_the_call(kit):
    """Path 1 - 2 - 3 (weak 2-3), senders [1, 3, 2] with prob 1: node 2 hears 1 then 3, so 3
    (later in ``senders``) is her referrer; node 3 hears 2, with 2's trust from before the call."""
    topo = Topology.from_edges(5, np.array([1, 2]), np.array([2, 3]), np.array([True, False]))
    cfg = kit.config(wom=WOM, trust={"gain_recommendation": 0.5})
    st = kit.state(cfg, topo)
    st.trust[0, [1, 2, 3]] = [0.9, 0.1, 0.3]
    strong, weak = wom.recommend(st, 0, np.array([1, 3, 2]), 1.0, cfg.wom, cfg.trust,
                                 rng=np.random.default_rng(0))
    assert (strong, weak) == (2, 2)              # 1->2 strong, 2->1 strong, 3->2 weak, 2->3 weak
    assert st.referrer[0, 2] == 3 and not st.referrer_strong[0, 2]
    assert st.referrer[0, 1] == 2 and st.referrer[0, 3] == 2
    np.testing.assert_allclose(st.referral[0, 1:4], [0.06, 0.07, 0.01], rtol=1e-12)
    # node 2: max(0.5 x 0.8, 0.5 x 0.5 x 0.2) = 0.4; node 3: 0.5 x 0.5 x (0.1 - 0.3) < 0, unchanged
    # (with node 2's new trust 0.5 it would have risen)
    assert st.trust[0, 2] == pytest.approx(0.1 + 0.4, rel=1e-12)
    assert st.trust[0, 3] == 0.3 and st.trust[0, 1] == 0.9
    wom.recommend(st, 0, np.array([1]), 1.0, cfg.wom, cfg.trust, rng=np.random.default_rng(0))
    assert st.referrer[0, 2] == 1 and st.referrer_strong[0, 2], "a later call overwrites the referrer"


def test_word_of_mouth_on_the_implicit_complete_graph(kit):
    """Complete topology (no CSR arrays, all ties strong): prob 1 reaches every other consumer once,
    never the seller node; a warning multiplies trust by 1 - l_warn."""
    cfg = kit.config(wom=WOM, trust={"gain_recommendation": 0.5, "loss_warning": 0.15})
    st = kit.state(cfg, Topology.complete_graph(8))
    st.trust[0] = 0.2
    st.trust[0, 1] = 0.8
    strong, weak = wom.recommend(st, 0, np.array([1]), 1.0, cfg.wom, cfg.trust, rng=np.random.default_rng(0))
    assert (strong, weak) == (6, 0)
    np.testing.assert_allclose(st.referral[0], [0, 0] + [0.06] * 6, rtol=1e-15)
    np.testing.assert_array_equal(st.referrer[0], [-1, -1] + [1] * 6)
    np.testing.assert_allclose(st.trust[0, 2:], 0.2 + 0.5 * 0.6, rtol=1e-12)
    assert st.trust[0, 0] == 0.2 and st.trust[0, 1] == 0.8
    before = st.trust.copy()
    assert wom.warn(st, 0, np.array([1, 2]), 1.0, cfg.wom, cfg.trust, rng=np.random.default_rng(0)) == 12
    np.testing.assert_allclose(st.trust[0, 3:], before[0, 3:] * 0.85 ** 2, rtol=1e-12)
    assert st.trust[0, 1] == pytest.approx(before[0, 1] * 0.85) and st.trust[0, 0] == 0.2
    # statistical: each of the 6 other consumers is told with prob 0.3, over 4000 senders' draws
    n_told = [sum(wom.recommend(st, 0, np.array([1]), 0.3, cfg.wom, cfg.trust, rng=np.random.default_rng(i)))
              for i in range(4000)]
    kit.within(np.mean(n_told) / 6, 0.3, kit.binom_sd(0.3, 6 * 4000))


def test_word_of_mouth_rejects_bad_input(kit):
    cfg, st = _sender_world(kit)
    with pytest.raises(ValueError):
        wom.recommend(st, 0, np.array([1]), 1.5, cfg.wom, cfg.trust, rng=np.random.default_rng(0))
    with pytest.raises(ValueError):
        wom.recommend(st, 0, np.array([6]), 0.5, cfg.wom, cfg.trust, rng=np.random.default_rng(0))
    with pytest.raises(ValueError):
        wom.warn(st, 0, np.array([-1]), 0.5, cfg.wom, cfg.trust, rng=np.random.default_rng(0))


def test_warn_lowers_trust_per_warning_by_tie_weight(kit):
    """T <- T prod over warnings (1 - l_warn w_tie): strong w = 1, weak w = weak_tie_weight."""
    topo = Topology.from_edges(6, np.array([1, 2, 1, 2]), np.array([3, 3, 4, 5]), np.array([True, False, False, True]))
    cfg = kit.config(wom=WOM, trust={"loss_warning": 0.15})
    st = kit.state(cfg, topo)
    st.trust[0] = 0.8
    sent = wom.warn(st, 0, np.array([1, 2]), 1.0, cfg.wom, cfg.trust, rng=np.random.default_rng(0))
    assert sent == 4
    assert st.trust[0, 3] == pytest.approx(0.8 * 0.85 * (1 - 0.15 * 0.5), rel=1e-12)
    assert st.trust[0, 4] == pytest.approx(0.8 * (1 - 0.15 * 0.5), rel=1e-12)
    assert st.trust[0, 5] == pytest.approx(0.8 * 0.85, rel=1e-12)
    assert st.trust[0, 1] == st.trust[0, 2] == 0.8
    assert st.aware[0, [3, 4, 5]].all()


def test_warn_skips_seller_nodes_and_respects_disabled_trust(kit):
    cfg, st = _sender_world(kit)
    st.trust[0] = 0.6
    wom.warn(st, 0, np.array([1]), 1.0, cfg.wom, cfg.trust, rng=np.random.default_rng(0))
    assert st.trust[0, 0] == 0.6 and st.trust[0, 2] == pytest.approx(0.6 * 0.85)
    cfg, st = _sender_world(kit, enabled=False)
    st.trust[0] = 0.6
    assert wom.warn(st, 0, np.array([1]), 1.0, cfg.wom, cfg.trust, rng=np.random.default_rng(0)) == 4
    assert np.all(st.trust[0] == 0.6)


def test_recommendation_prob_formula(kit):
    """P = 1 - (1 - p_rec)(1 - reward)."""
    w = kit.config(wom={"recommend_prob": 0.25}).wom
    assert wom.recommendation_prob(w, 0.0) == pytest.approx(0.25)
    assert wom.recommendation_prob(w, 0.2) == pytest.approx(1 - 0.75 * 0.8)
    assert wom.recommendation_prob(w, 0.9) == pytest.approx(1 - 0.75 * 0.1)


def test_seed_kols_picks_the_top_degree_consumers(kit):
    """k seeds = the k highest-degree consumers (seller nodes excluded); aware, roots of themselves."""
    rng = np.random.default_rng(12)
    n = 300
    u = rng.integers(0, n, 900)
    v = rng.integers(0, n, 900)
    hub = np.arange(1, n)
    topo = Topology.from_edges(n, np.concatenate([u, np.zeros(n - 1, np.int64)]), np.concatenate([v, hub]), True)
    cfg = kit.config()
    st = kit.state(cfg, topo)
    k = 12
    for seed in range(3):
        seeds = wom.seed_kols(st, 0, k, rng=np.random.default_rng(seed))
        assert len(seeds) == k and len(np.unique(seeds)) == k
        assert 0 not in seeds, "the seller node (the top hub) was seeded"
        deg = st.degree[np.flatnonzero(st.is_consumer)]
        np.testing.assert_array_equal(np.sort(st.degree[seeds])[::-1], np.sort(deg)[::-1][:k])
        np.testing.assert_array_equal(st.root[0, seeds], seeds)
        assert st.aware[0, seeds].all()


# ------------------------------------------------------------------------------------- ties


def test_hill_function(kit):
    """H(x) = x^h / (x^h + theta^h): 0 at 0, 1/2 at theta, increasing toward 1."""
    x = np.array([0.0, 50.0, 100.0, 200.0, 1e6])
    for h in (0.5, 1.5, 4.0):
        got = ties.hill(x, 100.0, h)
        assert got[0] == 0.0 and got[2] == pytest.approx(0.5, rel=1e-15)
        assert np.all(np.diff(got) > 0) and got[-1] < 1.0 and got[-1] > 0.99
        np.testing.assert_allclose(got, x ** h / (x ** h + 100.0 ** h), rtol=1e-12)


TIES = {"mute_threshold": 300.0, "block_threshold": 600.0, "mute_max": 0.25, "block_max": 0.10,
        "steepness": 1.5, "strong_block_factor": 0.5}


def _tie_world(kit, n, **tie):
    cfg = kit.config(circle_size=n - 1, ties={**TIES, **tie})
    return cfg, kit.state(cfg, kit.empty(n), tolerant=False)


def test_no_annoyance_nobody_mutes_or_blocks(kit):
    cfg, st = _tie_world(kit, 500, mute_max=1.0, block_max=1.0)
    muted, blocked = ties.mute_and_block(st, 0, cfg.ties, rng=np.random.default_rng(0))
    assert len(muted) == len(blocked) == 0 and not st.muted.any() and not st.blocked.any()


def test_tolerant_consumers_never_mute_or_block(kit):
    """Huge annoyance with block_max = 1: every non-tolerant contact blocks, no tolerant one does."""
    cfg, st = _tie_world(kit, 200, block_max=1.0)
    st.tolerant[1:100] = True
    st.annoyance[0] = 1e12
    muted, blocked = ties.mute_and_block(st, 0, cfg.ties, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(np.sort(blocked), np.arange(100, 200))
    assert len(muted) == 0
    assert not st.blocked[0, :100].any() and not st.muted[0].any()


def test_non_contacts_and_blocked_are_not_candidates(kit):
    cfg, st = _tie_world(kit, 10, block_max=1.0)
    st.annoyance[0] = 1e12
    st.tie[0, 3] = NO_TIE
    st.blocked[0, 4] = True
    _muted, blocked = ties.mute_and_block(st, 0, cfg.ties, rng=np.random.default_rng(0))
    assert 3 not in blocked and 4 not in blocked and not st.blocked[0, 3]
    assert len(blocked) == 7


def test_strong_ties_block_at_the_strong_factor(kit):
    """At equal annoyance (A = theta_b, H = 1/2): P(block) = b_max/2 for weak, x f_strong for strong."""
    n = 40_001
    cfg, st = _tie_world(kit, n, block_max=0.5, mute_max=0.0, strong_block_factor=0.4)
    strong = np.arange(n) % 2 == 0
    st.tie[0, strong & st.is_consumer] = STRONG
    weak = ~strong
    st.annoyance[0] = 600.0
    _, blocked = ties.mute_and_block(st, 0, cfg.ties, rng=np.random.default_rng(8))
    is_b = np.zeros(n, bool)
    is_b[blocked] = True
    ns, nw = (strong & st.is_consumer).sum(), weak.sum()
    kit.within(is_b[weak].mean(), 0.25, kit.binom_sd(0.25, nw))
    kit.within(is_b[strong & st.is_consumer].mean(), 0.1, kit.binom_sd(0.1, ns))


def test_mute_hazard_statistical(kit):
    """P(mute) = m_max H(A; theta_m, h) when not blocking (block_max 0): A = theta_m gives m_max/2;
    already-muted contacts are not muted again."""
    n = 20_001
    cfg, st = _tie_world(kit, n, block_max=0.0, mute_max=0.6)
    st.annoyance[0] = 300.0
    st.muted[0, 1:1001] = True
    st.in_group[0, 1:] = True
    muted, blocked = ties.mute_and_block(st, 0, cfg.ties, rng=np.random.default_rng(1))
    assert len(blocked) == 0
    assert not np.isin(muted, np.arange(1, 1001)).any(), "an already-muted contact was muted again"
    m = n - 1001
    kit.within(len(muted) / m, 0.3, kit.binom_sd(0.3, m))
    assert not st.in_group[0, muted].any(), "muted consumers leave the groups"
    assert st.in_group[0, np.setdiff1d(np.arange(1001, n), muted)].all()


def test_muted_contacts_can_still_block(kit):
    cfg, st = _tie_world(kit, 50, block_max=1.0)
    st.annoyance[0] = 1e12
    st.muted[0, 1:] = True
    muted, blocked = ties.mute_and_block(st, 0, cfg.ties, rng=np.random.default_rng(0))
    assert len(blocked) == 49 and len(muted) == 0


def test_blocked_leave_groups(kit):
    cfg, st = _tie_world(kit, 30, block_max=1.0)
    st.annoyance[0, 1:20] = 1e12
    st.in_group[0, 1:] = True
    _, blocked = ties.mute_and_block(st, 0, cfg.ties, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(np.sort(blocked), np.arange(1, 20))
    assert not st.in_group[0, 1:20].any() and st.in_group[0, 20:].all()
    assert st.blocked[0, 1:20].all() and np.all(st.tie[0, 1:20] == WEAK), "blocking keeps the tie code"


def test_block_and_mute_partition_one_draw(kit):
    """Block with p_b, else mute with p_m: P(mute) = p_m, P(block) = p_b, never both (statistical)."""
    n = 20_001
    cfg, st = _tie_world(kit, n, block_max=0.2, mute_max=0.4, block_threshold=100.0, mute_threshold=100.0)
    st.annoyance[0] = 100.0         # H = 1/2 for both: p_b = 0.1, p_m = 0.2
    muted, blocked = ties.mute_and_block(st, 0, cfg.ties, rng=np.random.default_rng(3))
    assert len(np.intersect1d(muted, blocked)) == 0
    kit.within(len(blocked) / (n - 1), 0.1, kit.binom_sd(0.1, n - 1))
    kit.within(len(muted) / (n - 1), 0.2, kit.binom_sd(0.2, n - 1))


def test_hazard_bounds_never_change_an_outcome(kit):
    """The kernel evaluates the Hill hazards only for draws below a bound of P(block) + P(mute):
    the outcome equals that of evaluating them for every candidate with the same draws (one
    uniform per annoyed, non-tolerant contact, in index order), over annoyances from 1e-9 to 1e6,
    weak and strong ties, muted contacts and steep or flat Hill functions."""
    from numba import njit

    from viralsim._jit import seeded, stream, uniform

    @njit
    def uniforms(words, k):
        s = seeded(words)
        return np.array([uniform(s) for _ in range(k)])

    for seed, h, strong_factor in [(0, 1.5, 0.5), (1, 0.5, 1.0), (2, 8.0, 0.2)]:
        n = 20_001
        cfg, st = _tie_world(kit, n, steepness=h, strong_block_factor=strong_factor,
                             block_max=0.3, mute_max=0.4, block_threshold=50.0, mute_threshold=20.0)
        rng = np.random.default_rng(seed)
        st.annoyance[0] = 10.0 ** rng.uniform(-10, 6, n)
        st.annoyance[0, rng.random(n) < 0.1] = 0.0
        st.tie[0, st.is_consumer & (rng.random(n) < 0.3)] = STRONG
        st.tie[0, st.is_consumer & (rng.random(n) < 0.1)] = NO_TIE
        st.blocked[0] = (st.tie[0] > NO_TIE) & (rng.random(n) < 0.05)
        st.muted[0] = rng.random(n) < 0.2
        st.tolerant[:] = st.is_consumer & (rng.random(n) < 0.3)
        a, tie, muted0 = st.annoyance[0].copy(), st.tie[0].copy(), st.muted[0].copy()
        cand = np.flatnonzero((a > 1e-9) & (tie > NO_TIE) & ~st.blocked[0] & ~st.tolerant)
        u = uniforms(stream(np.random.default_rng(seed)), len(cand))
        p = cfg.ties
        want_b, want_m = [], []
        for i, ui in zip(cand, u):
            ah = math.pow(a[i], h)
            p_block = p.block_max * (ah / (ah + math.pow(p.block_threshold, h)))
            if tie[i] == STRONG:
                p_block = p_block * strong_factor
            p_mute = 0.0 if muted0[i] else p.mute_max * (ah / (ah + math.pow(p.mute_threshold, h)))
            if ui < p_block:
                want_b.append(i)
            elif ui < p_block + p_mute:
                want_m.append(i)
        muted, blocked = ties.mute_and_block(st, 0, p, rng=np.random.default_rng(seed))
        np.testing.assert_array_equal(blocked, want_b)
        np.testing.assert_array_equal(muted, want_m)
        assert len(want_b) > 100 and len(want_m) > 100
