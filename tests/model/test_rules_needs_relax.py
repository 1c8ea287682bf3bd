"""rules.needs (arrive/lapse chain, stationary share) and rules.relax (trust relaxation, decays)."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim.model.rules import needs, relax

N_BIG = 200_000


# ------------------------------------------------------------------------------------ needs


def test_initial_needs_draws_the_stationary_share(kit):
    """initial_needs: P(need) = r / (r + 1/d) (stationary share of the arrive/lapse chain)."""
    cfg = kit.config(purchase={"need_rate": 0.03, "need_duration": 10.0})
    is_consumer = np.ones(N_BIG, dtype=bool)
    is_consumer[:5] = False
    got = needs.initial_needs(is_consumer, cfg.purchase, rng=np.random.default_rng(11))
    share = 0.03 / (0.03 + 1 / 10.0)
    kit.within(got[is_consumer].mean(), share, kit.binom_sd(share, is_consumer.sum()))
    assert not got[~is_consumer].any(), "a seller node was given a need"


def test_arrive_needs_transition_rates(kit):
    """arrive_needs: P(arise | no need) = need_rate, P(lapse | need) = 1 / need_duration."""
    cfg = kit.config(purchase={"need_rate": 0.05, "need_duration": 4.0})
    st = kit.state(cfg, kit.empty(N_BIG))
    had = np.zeros(N_BIG, dtype=bool)
    had[1::2] = True
    st.need[:] = had
    needs.arrive_needs(st, cfg.purchase, rng=np.random.default_rng(5))
    without, with_ = ~had & st.is_consumer, had
    kit.within(st.need[without].mean(), 0.05, kit.binom_sd(0.05, without.sum()))
    kit.within((~st.need[with_]).mean(), 0.25, kit.binom_sd(0.25, with_.sum()))


def test_arrive_needs_keeps_the_stationary_share(kit):
    """Starting at the stationary share, 60 days of arrive/lapse keep the share at r / (r + 1/d)."""
    cfg = kit.config(purchase={"need_rate": 0.02, "need_duration": 14.0})
    st = kit.state(cfg, kit.empty(N_BIG), need=None)
    rng = np.random.default_rng(8)
    share = 0.02 / (0.02 + 1 / 14.0)
    for _ in range(60):
        needs.arrive_needs(st, cfg.purchase, rng=rng)
    kit.within(st.need[st.is_consumer].mean(), share, kit.binom_sd(share, N_BIG - 1))


def test_needs_converge_to_the_stationary_share_from_zero(kit):
    """From nobody needing, the chain approaches r/(r+1/d): share_t = s*(1 - (1 - r - 1/d)^t)."""
    r, d = 0.1, 5.0
    cfg = kit.config(purchase={"need_rate": r, "need_duration": d})
    st = kit.state(cfg, kit.empty(N_BIG), need=False)
    rng = np.random.default_rng(9)
    t = 6
    for _ in range(t):
        needs.arrive_needs(st, cfg.purchase, rng=rng)
    s = r / (r + 1 / d)
    expected = s * (1 - (1 - r - 1 / d) ** t)
    kit.within(st.need[st.is_consumer].mean(), expected, kit.binom_sd(expected, N_BIG - 1))


def test_arrivals_and_lapses_are_drawn_on_the_needs_at_the_start_of_the_day(kit):
    """need_rate = 1, need_duration = 1: every need lapses and every consumer without one gets one,
    so the day flips the need of each consumer (an arrival cannot lapse, a lapse cannot re-arise)."""
    cfg = kit.config(n_sellers=2, purchase={"need_rate": 1.0, "need_duration": 1.0})
    st = kit.state(cfg, kit.path(40), sellers=(0, 9), need=False)
    had = np.random.default_rng(4).random(40) < 0.5
    st.need[:] = had & st.is_consumer
    needs.arrive_needs(st, cfg.purchase, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(st.need, ~had & st.is_consumer)


def test_always_need_gives_every_consumer_a_need_and_no_seller(kit):
    """always_need: need == is_consumer after arrive_needs and in initial_needs."""
    cfg = kit.config(n_sellers=2, purchase={"always_need": True, "need_rate": 0.0})
    st = kit.state(cfg, kit.path(50), sellers=(3, 17), need=False)
    needs.arrive_needs(st, cfg.purchase, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(st.need, st.is_consumer)
    init = needs.initial_needs(st.is_consumer, cfg.purchase, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(init, st.is_consumer)
    assert not st.need[[3, 17]].any()


@pytest.mark.parametrize("rate", [1.0, 0.5])
def test_seller_nodes_never_need(kit, rate):
    """Even with need_rate = 1 (or 0.5) seller nodes never get a need, day after day."""
    cfg = kit.config(n_sellers=2, purchase={"need_rate": rate, "need_duration": 3.0})
    st = kit.state(cfg, kit.path(30), sellers=(0, 9), need=False)
    rng = np.random.default_rng(1)
    needs.arrive_needs(st, cfg.purchase, rng=rng)
    assert not st.need[[0, 9]].any()
    if rate == 1.0:
        assert st.need[st.is_consumer].all(), "need_rate = 1: every consumer without a need gets one"
    for _ in range(30):
        needs.arrive_needs(st, cfg.purchase, rng=rng)
        assert not st.need[[0, 9]].any()


def test_arrive_needs_clears_a_perturbed_seller_need(kit):
    """A need planted at a seller node (e.g. by a what-if edit) is gone after the next day."""
    cfg = kit.config(n_sellers=2, purchase={"need_rate": 0.5})
    st = kit.state(cfg, kit.path(30), sellers=(0, 9), need=False)
    st.need[[0, 9]] = True
    needs.arrive_needs(st, cfg.purchase, rng=np.random.default_rng(1))
    assert not st.need[[0, 9]].any()


@pytest.mark.parametrize("worn", [True, False])
def test_impulses_match_the_formula_over_heterogeneous_doses(kit, worn):
    """impulse_needs: P = 1 - exp(-k W(X)) per consumer and seller, with ads, prizes, resold ads,
    memories (wear-out) and needs all varying, two sellers; by P class within 5 sd, and never
    where P = 0 (no ads, not touched, or a need)."""
    n, rs = 200_002, np.random.default_rng(12)
    cfg = kit.config(n_sellers=2, purchase={"impulse_per_ad": 0.05},
                     annoyance={"enabled": worn, "wearout_exposures": 10.0})
    st = kit.state(cfg, kit.empty(n), sellers=(0, 1))
    c = st.is_consumer
    d = kit.day(st)
    shape = (2, n)
    st.need[:] = (rs.random(n) < 0.3) & c
    d.seen_ad[:] = rs.integers(0, 40, shape) * (rs.random(shape) < 0.5) * c
    d.seen_prize[:] = rs.integers(0, 4, shape) * c
    d.seen_reseller[:] = rs.integers(0, 3, shape) * (rs.random(shape) < 0.2) * c
    d.touched[:] = (rs.random(shape) < 0.8) & c
    st.memory[:] = rs.choice([0.0, 5.0, 300.0], shape) * rs.random(shape)
    need = st.need.copy()
    hits = needs.impulse_needs(st, d, cfg.purchase, cfg.annoyance, rng=np.random.default_rng(3))
    assert hits == d.impulse.sum()
    np.testing.assert_array_equal(st.need, need)
    x = (d.seen_ad + d.seen_prize + d.seen_reseller).astype(float)
    dose = 10.0 * np.log1p(x / (10.0 + st.memory)) if worn else x
    p = (1.0 - np.exp(-0.05 * dose)) * (d.touched & ~st.need)
    assert not d.impulse[p == 0].any()
    cls = np.digitize(p, [0.01, 0.05, 0.2, 0.5, 0.9])
    for k in range(6):
        q = p[cls == k]
        kit.within(d.impulse[cls == k].sum(), q.sum(), np.sqrt((q * (1 - q)).sum()) + 1e-9)


# ------------------------------------------------------------------------------------ relax


@pytest.mark.parametrize("half_life", [60.0, 7.5, 1.0])
def test_relax_trust_follows_the_closed_form(kit, half_life):
    """relax_trust: T(t) = B + (T0 - B) 2^(-t/h) exactly after t steps (rtol 1e-12)."""
    cfg = kit.config(trust={"half_life": half_life})
    st = kit.state(cfg, kit.path(8))
    rng = np.random.default_rng(3)
    t0 = rng.random(st.n)
    b = rng.random(st.n)
    st.trust[0] = t0
    st.baseline[0] = b
    t = 150
    for _ in range(t):
        relax.relax_trust(st, cfg.trust)
    expected = b + (t0 - b) * 2.0 ** (-t / half_life)
    np.testing.assert_allclose(st.trust[0], expected, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(st.baseline[0], b)


def test_relax_trust_halves_the_gap_in_one_half_life(kit):
    """After exactly h steps the gap to the baseline is halved (h = 4)."""
    cfg = kit.config(trust={"half_life": 4.0})
    st = kit.state(cfg, kit.path(3))
    st.trust[0] = [0.9, 0.1, 0.35]
    st.baseline[0] = [0.5, 0.5, 0.35]
    for _ in range(4):
        relax.relax_trust(st, cfg.trust)
    np.testing.assert_allclose(st.trust[0], [0.7, 0.3, 0.35], rtol=1e-12)


def test_relax_trust_disabled_leaves_trust_untouched(kit):
    """trust.enabled = False: relax_trust is a no-op."""
    cfg = kit.config(trust={"enabled": False})
    st = kit.state(cfg, kit.path(6))
    st.trust[0] = np.linspace(0, 1, 6)
    before = st.trust.copy()
    for _ in range(10):
        relax.relax_trust(st, cfg.trust)
    np.testing.assert_array_equal(st.trust, before)


def test_decay_stocks_use_their_own_half_lives(kit):
    """decay_stocks: A, E and R decay by 2^(-t/h_A), 2^(-t/h_E), 2^(-t/h_R) exactly."""
    cfg = kit.config(annoyance={"half_life": 2.5, "exposure_memory_half_life": 6.0},
                     wom={"referral_half_life": 11.0})
    st = kit.state(cfg, kit.path(5))
    a0 = np.array([100.0, 3.0, 0.0, 7.5, 1e-3])
    st.annoyance[0], st.memory[0], st.referral[0] = a0, 2 * a0, 3 * a0
    t = 33
    for _ in range(t):
        relax.decay_stocks(st, cfg.annoyance, cfg.wom)
    np.testing.assert_allclose(st.annoyance[0], a0 * 2 ** (-t / 2.5), rtol=1e-12)
    np.testing.assert_allclose(st.memory[0], 2 * a0 * 2 ** (-t / 6.0), rtol=1e-12)
    np.testing.assert_allclose(st.referral[0], 3 * a0 * 2 ** (-t / 11.0), rtol=1e-12)


def test_decay_stocks_defaults_halve_at_their_half_lives(kit):
    """Defaults: annoyance halves in 3 days, memory in 7, referral pull in 14."""
    cfg = kit.config()
    st = kit.state(cfg, kit.path(3))
    st.annoyance[:] = 8.0
    st.memory[:] = 8.0
    st.referral[:] = 8.0
    for day in range(1, 15):
        relax.decay_stocks(st, cfg.annoyance, cfg.wom)
        if day == 3:
            np.testing.assert_allclose(st.annoyance, 4.0, rtol=1e-12)
        if day == 7:
            np.testing.assert_allclose(st.memory, 4.0, rtol=1e-12)
    np.testing.assert_allclose(st.referral, 4.0, rtol=1e-12)
