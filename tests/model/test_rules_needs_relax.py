"""rules.needs (arrive/lapse chain, stationary share, impulse wants) and rules.relax (trust
relaxation, decays)."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim.model import relations
from viralsim.model.rules import needs, relax

N_BIG = 200_000


def rows_of(w, s: int, nodes) -> np.ndarray:
    """Rows of seller ``s``'s relations with ``nodes``, made where missing (one reservation for
    all of them, so the table grows at most once and before any row is handed out)."""
    nodes = np.atleast_1d(np.asarray(nodes, dtype=np.int64))
    rel = w.keep(relations.reserve(w.rel, len(nodes)))
    return np.array([relations.add_row(rel.index, rel.meta, rel.seller, rel.node, s, v)
                     for v in nodes.tolist()], dtype=np.int64)


def arrive(w, day: int = 0) -> None:
    """rules.needs.arrive_needs as the day calls it, on day ``day`` (each day has its own stream)."""
    needs.arrive_needs(w.key, day, w.params.needs, w.people)


def impulses(w) -> int:
    """rules.needs.impulse_needs as the day calls it (after the views are rebuilt)."""
    w.views()
    return needs.impulse_needs(w.key, w.today, w.params.needs, w.people, w.rel)


# ------------------------------------------------------------------------------------ needs


def test_initial_needs_draws_the_stationary_share(kit):
    """initial_needs: P(need) = r / (r + 1/d) (stationary share of the arrive/lapse chain)."""
    cfg = kit.config(purchase={"need_rate": 0.03, "need_duration": 10.0})
    is_consumer = np.ones(N_BIG, dtype=bool)
    is_consumer[:5] = False
    got = needs.initial_needs(is_consumer, cfg.purchase, np.random.default_rng(11).random(N_BIG))
    share = 0.03 / (0.03 + 1 / 10.0)
    kit.within(got[is_consumer].mean(), share, kit.binom_sd(share, is_consumer.sum()))
    assert not got[~is_consumer].any(), "a non-consumer was given a need"


def test_init_state_draws_needs_at_the_stationary_share(kit):
    """The market starts with needs at r / (r + 1/d) over every person (sellers are consumers)."""
    cfg = kit.config(purchase={"need_rate": 0.03, "need_duration": 10.0})
    w = kit.world(cfg, kit.empty(N_BIG), seed=11, need=None)
    assert w.people.is_consumer.all()
    share = 0.03 / (0.03 + 1 / 10.0)
    kit.within(w.people.need.mean(), share, kit.binom_sd(share, N_BIG))


def test_arrive_needs_transition_rates(kit):
    """arrive_needs: P(arise | no need) = need_rate, P(lapse | need) = 1 / need_duration."""
    cfg = kit.config(purchase={"need_rate": 0.05, "need_duration": 4.0})
    w = kit.world(cfg, kit.empty(N_BIG), seed=5)
    had = np.zeros(N_BIG, dtype=bool)
    had[1::2] = True
    w.people.need[:] = had
    arrive(w)
    need = w.people.need
    without, with_ = ~had & w.people.is_consumer, had
    kit.within(need[without].mean(), 0.05, kit.binom_sd(0.05, without.sum()))
    kit.within((~need[with_]).mean(), 0.25, kit.binom_sd(0.25, with_.sum()))


def test_arrive_needs_keeps_the_stationary_share(kit):
    """Starting at the stationary share, 60 days of arrive/lapse keep the share at r / (r + 1/d)."""
    cfg = kit.config(purchase={"need_rate": 0.02, "need_duration": 14.0})
    w = kit.world(cfg, kit.empty(N_BIG), seed=8, need=None)
    share = 0.02 / (0.02 + 1 / 14.0)
    for day in range(60):
        arrive(w, day)
    consumers = w.people.is_consumer
    kit.within(w.people.need[consumers].mean(), share, kit.binom_sd(share, consumers.sum()))


def test_needs_converge_to_the_stationary_share_from_zero(kit):
    """From nobody needing, the chain approaches r/(r+1/d): share_t = s*(1 - (1 - r - 1/d)^t)."""
    r, d = 0.1, 5.0
    cfg = kit.config(purchase={"need_rate": r, "need_duration": d})
    w = kit.world(cfg, kit.empty(N_BIG), seed=9, need=False)
    t = 6
    for day in range(t):
        arrive(w, day)
    s = r / (r + 1 / d)
    expected = s * (1 - (1 - r - 1 / d) ** t)
    consumers = w.people.is_consumer
    kit.within(w.people.need[consumers].mean(), expected, kit.binom_sd(expected, consumers.sum()))


def test_arrivals_and_lapses_are_drawn_on_the_needs_at_the_start_of_the_day(kit):
    """need_rate = 1, need_duration = 1: every need lapses and every consumer without one gets one,
    so the day flips the need of each consumer (an arrival cannot lapse, a lapse cannot re-arise)."""
    cfg = kit.config(n_sellers=2, purchase={"need_rate": 1.0, "need_duration": 1.0})
    w = kit.world(cfg, kit.path(40), sellers=(0, 9), seed=2, need=False)
    had = np.random.default_rng(4).random(40) < 0.5
    w.people.need[:] = had & w.people.is_consumer
    arrive(w)
    np.testing.assert_array_equal(w.people.need, ~had & w.people.is_consumer)


def test_sated_consumers_get_no_need_and_run_out_at_the_consumption_rate(kit):
    """arrive_needs: a sated consumer develops no need (need_rate 1 here); she uses her supply up
    with P = 1 / consumption_days a day, and one who ran out today can have a need from tomorrow."""
    cfg = kit.config(purchase={"need_rate": 1.0, "need_duration": 1e6, "consumption_days": 4.0})
    w = kit.world(cfg, kit.empty(N_BIG), seed=11, need=False)
    sated = np.zeros(N_BIG, dtype=bool)
    sated[::2] = True
    sated &= w.people.is_consumer
    w.people.sated[:] = sated
    arrive(w)
    assert not w.people.need[sated].any()
    assert w.people.need[~sated & w.people.is_consumer].all()
    ran_out = sated & ~w.people.sated
    kit.within(ran_out.sum() / sated.sum(), 0.25, kit.binom_sd(0.25, sated.sum()))
    arrive(w, 1)
    assert w.people.need[ran_out].all()


def test_always_need_gives_every_consumer_a_need(kit):
    """always_need: need == is_consumer after arrive_needs and in initial_needs; every person,
    seller nodes included, is a consumer (of the other sellers)."""
    cfg = kit.config(n_sellers=2, purchase={"always_need": True, "need_rate": 0.0})
    w = kit.world(cfg, kit.path(50), sellers=(3, 17), need=False)
    arrive(w)
    np.testing.assert_array_equal(w.people.need, w.people.is_consumer)
    init = needs.initial_needs(w.people.is_consumer, cfg.purchase, np.random.default_rng(0).random(50))
    np.testing.assert_array_equal(init, w.people.is_consumer)
    assert w.people.is_consumer.all() and w.people.need[[3, 17]].all()


@pytest.mark.parametrize("rate", [1.0, 0.5])
def test_seller_nodes_need_like_any_consumer(kit, rate):
    """Seller nodes are consumers of the other sellers: with need_rate = 1 every person without a
    need gets one, seller nodes included; with 0.5 they get needs within a few days too."""
    cfg = kit.config(n_sellers=2, purchase={"need_rate": rate, "need_duration": 3.0})
    w = kit.world(cfg, kit.path(30), sellers=(0, 9), seed=1, need=False)
    arrive(w)
    if rate == 1.0:
        assert w.people.need.all(), "need_rate = 1: every consumer without a need gets one"
    had = w.people.need[[0, 9]].copy()
    for day in range(1, 31):
        arrive(w, day)
        had |= w.people.need[[0, 9]]
        w.state.check_invariants()
    assert had.all(), "a seller node never had a need in 31 days"


def test_non_consumers_never_need(kit):
    """need_rate = 1: a person marked as no consumer (none in a built market; hand-made states)
    never gets a need."""
    cfg = kit.config(purchase={"need_rate": 1.0, "need_duration": 3.0})
    w = kit.world(cfg, kit.path(30), need=False)
    w.people.is_consumer[[4, 7]] = False
    for day in range(10):
        arrive(w, day)
        assert not w.people.need[[4, 7]].any()


@pytest.mark.parametrize("duration, kept", [(0.01, False), (1e6, True)])
def test_a_planted_seller_need_is_an_ordinary_need(kit, duration, kept):
    """A need planted at a seller node (e.g. by a what-if edit) lapses like anyone's: all of them
    with need_duration <= 1 (lapse probability 1), none of them (in one day, p = 1e-6) with 10^6."""
    cfg = kit.config(n_sellers=2, purchase={"need_rate": 0.0, "need_duration": duration})
    w = kit.world(cfg, kit.path(30), sellers=(0, 9), seed=1, need=True)
    arrive(w)
    assert w.people.need.all() if kept else not w.people.need.any()


# --------------------------------------------------------------------------------- impulse_needs


def test_impulse_probability_is_one_minus_exp_of_effective_ads(kit):
    """P(impulse) = 1 - exp(-k W(X_ad + X_prize + X_res)); k = 0.1, 10 ads, E = 0, E_w = 10 => 1/2."""
    n = 20_001
    cfg = kit.config(purchase={"impulse_per_ad": 0.1}, annoyance={"wearout_exposures": 10.0})
    w = kit.world(cfg, kit.empty(n))
    r = rows_of(w, 0, np.arange(1, n))
    w.rel.seen_ad[r], w.rel.seen_prize[r], w.rel.seen_reseller[r] = 6, 3, 1
    w.rel.touched[r] = True
    hits = impulses(w)
    assert hits == w.get("impulse")[0].sum()
    kit.within(hits / (n - 1), 0.5, kit.binom_sd(0.5, n - 1))
    assert not w.people.need.any(), "an impulse is not a category need"


def test_impulse_only_for_touched_consumers_without_need(kit):
    cfg = kit.config(n_sellers=2, purchase={"impulse_per_ad": 1.0}, annoyance={"enabled": False})
    w = kit.world(cfg, kit.empty(10), sellers=(0, 1))
    w.set("seen_ad", 0, np.arange(2, 10), 50)   # P = 1 - e^-50: certain
    w.set("touched", 0, np.arange(2, 8), True)  # 8, 9 saw ads but are not marked touched
    w.people.need[[2, 3]] = True
    impulses(w)
    impulse = w.get("impulse")
    np.testing.assert_array_equal(np.flatnonzero(impulse[0]), [4, 5, 6, 7])
    assert not impulse[1].any(), "ads of seller 0 created a want for seller 1"


def test_sated_consumers_get_no_impulse(kit):
    """A supply still in use leaves no want for an ad to tap."""
    cfg = kit.config(purchase={"impulse_per_ad": 1.0}, annoyance={"enabled": False})
    w = kit.world(cfg, kit.empty(10))
    w.set("seen_ad", 0, np.arange(1, 10), 50)   # P = 1 - e^-50: certain
    w.set("touched", 0, np.arange(1, 10), True)
    w.people.sated[[2, 3]] = True
    impulses(w)
    np.testing.assert_array_equal(np.flatnonzero(w.get("impulse")[0]), [1, 4, 5, 6, 7, 8, 9])


@pytest.mark.parametrize("purchase", [{"impulse_per_ad": 0.0}, {"impulse_per_ad": 1.0, "always_need": True}])
def test_impulse_switched_off(kit, purchase):
    cfg = kit.config(purchase=purchase)
    w = kit.world(cfg, kit.empty(10))
    w.set("seen_ad", 0, np.arange(1, 10), 50)
    w.set("touched", 0, np.arange(1, 10), True)
    assert impulses(w) == 0
    assert not w.get("impulse").any()


def test_impulse_dose_wears_out_with_memory(kit):
    """Same ads, memory E = 90 (E_w = 10): W = 10 ln(1 + 10/100) instead of 10 ln 2 (statistical)."""
    n = 20_001
    cfg = kit.config(purchase={"impulse_per_ad": 0.1}, annoyance={"wearout_exposures": 10.0})
    w = kit.world(cfg, kit.empty(n), seed=1)
    r = rows_of(w, 0, np.arange(1, n))
    w.rel.memory[r] = 90.0
    w.rel.seen_ad[r], w.rel.touched[r] = 10, True
    hits = impulses(w)
    p = 1 - np.exp(-0.1 * 10 * np.log(1.1))
    kit.within(hits / (n - 1), p, kit.binom_sd(p, n - 1))


@pytest.mark.parametrize("worn", [True, False])
def test_impulses_match_the_formula_over_heterogeneous_doses(kit, worn):
    """impulse_needs: P = 1 - exp(-k W(X)) per consumer and seller, with ads, prizes, resold ads,
    memories (wear-out) and needs all varying, two sellers; by P class within 5 sd, and never
    where P = 0 (no ads, not touched, or a need)."""
    n, rs = 200_002, np.random.default_rng(12)
    cfg = kit.config(n_sellers=2, purchase={"impulse_per_ad": 0.05},
                     annoyance={"enabled": worn, "wearout_exposures": 10.0})
    w = kit.world(cfg, kit.empty(n), sellers=(0, 1), seed=3)
    shape = (2, n)
    # every pair but a seller with herself: each seller node is a consumer of the other seller
    pair = np.ones(shape, dtype=bool)
    pair[0, 0] = pair[1, 1] = False
    need = (rs.random(n) < 0.3)
    seen_ad = rs.integers(0, 40, shape) * (rs.random(shape) < 0.5) * pair
    seen_prize = rs.integers(0, 4, shape) * pair
    seen_reseller = rs.integers(0, 3, shape) * (rs.random(shape) < 0.2) * pair
    touched = (rs.random(shape) < 0.8) & pair
    memory = rs.choice([0.0, 5.0, 300.0], shape) * rs.random(shape) * pair
    w.people.need[:] = need
    for s in range(2):
        nodes = np.flatnonzero(pair[s])
        r = rows_of(w, s, nodes)
        w.rel.seen_ad[r], w.rel.seen_prize[r] = seen_ad[s, nodes], seen_prize[s, nodes]
        w.rel.seen_reseller[r], w.rel.touched[r] = seen_reseller[s, nodes], touched[s, nodes]
        w.rel.memory[r] = memory[s, nodes]
    hits = impulses(w)
    impulse = w.get("impulse")
    assert hits == impulse.sum()
    np.testing.assert_array_equal(w.people.need, need)
    x = (seen_ad + seen_prize + seen_reseller).astype(float)
    dose = 10.0 * np.log1p(x / (10.0 + memory)) if worn else x
    p = (1.0 - np.exp(-0.05 * dose)) * (touched & ~need)
    assert not impulse[p == 0].any()
    cls = np.digitize(p, [0.01, 0.05, 0.2, 0.5, 0.9])
    for k in range(6):
        q = p[cls == k]
        kit.within(impulse[cls == k].sum(), q.sum(), np.sqrt((q * (1 - q)).sum()) + 1e-9)


# ------------------------------------------------------------------------------------ relax


def relax_days(w, days: int) -> None:
    for _ in range(days):
        relax.relax(w.params.relax, w.rel)


@pytest.mark.parametrize("half_life", [60.0, 7.5, 1.0])
def test_relax_trust_follows_the_closed_form(kit, half_life):
    """relax: T(t) = B + (T0 - B) 2^(-t/h) exactly after t steps (rtol 1e-12)."""
    cfg = kit.config(trust={"half_life": half_life})
    w = kit.world(cfg, kit.path(8))
    rng = np.random.default_rng(3)
    nodes = np.arange(1, 8)
    t0 = rng.random(len(nodes))
    b = rng.random(len(nodes))
    w.set("trust", 0, nodes, t0)
    w.set("baseline", 0, nodes, b)
    t = 150
    relax_days(w, t)
    expected = b + (t0 - b) * 2.0 ** (-t / half_life)
    np.testing.assert_allclose(w.get("trust")[0, nodes], expected, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(w.get("baseline")[0, nodes], b)


def test_relax_trust_halves_the_gap_in_one_half_life(kit):
    """After exactly h steps the gap to the baseline is halved (h = 4)."""
    cfg = kit.config(trust={"half_life": 4.0})
    w = kit.world(cfg, kit.path(4))
    w.set("trust", 0, [1, 2, 3], [0.9, 0.1, 0.35])
    w.set("baseline", 0, [1, 2, 3], [0.5, 0.5, 0.35])
    relax_days(w, 4)
    np.testing.assert_allclose(w.get("trust")[0, 1:], [0.7, 0.3, 0.35], rtol=1e-12)


def test_relax_trust_disabled_leaves_trust_untouched(kit):
    """trust.enabled = False: relax leaves trust as it is (the stocks still decay)."""
    cfg = kit.config(trust={"enabled": False})
    w = kit.world(cfg, kit.path(6))
    w.set("trust", 0, np.arange(1, 6), np.linspace(0, 1, 5))
    w.set("annoyance", 0, np.arange(1, 6), 1.0)
    before = w.get("trust")
    relax_days(w, 10)
    np.testing.assert_array_equal(w.get("trust"), before)
    assert np.all(w.get("annoyance")[0, 1:] < 1.0)


def test_decay_stocks_use_their_own_half_lives(kit):
    """relax: A, E and R decay by 2^(-t/h_A), 2^(-t/h_E), 2^(-t/h_R) exactly."""
    cfg = kit.config(annoyance={"half_life": 2.5, "exposure_memory_half_life": 6.0},
                     wom={"referral_half_life": 11.0})
    w = kit.world(cfg, kit.path(6))
    nodes = np.arange(1, 6)
    a0 = np.array([100.0, 3.0, 0.0, 7.5, 1e-3])
    w.set("annoyance", 0, nodes, a0)
    w.set("memory", 0, nodes, 2 * a0)
    w.set("referral", 0, nodes, 3 * a0)
    t = 33
    relax_days(w, t)
    np.testing.assert_allclose(w.get("annoyance")[0, nodes], a0 * 2 ** (-t / 2.5), rtol=1e-12)
    np.testing.assert_allclose(w.get("memory")[0, nodes], 2 * a0 * 2 ** (-t / 6.0), rtol=1e-12)
    np.testing.assert_allclose(w.get("referral")[0, nodes], 3 * a0 * 2 ** (-t / 11.0), rtol=1e-12)


def test_decay_stocks_defaults_halve_at_their_half_lives(kit):
    """Defaults: annoyance halves in 3 days, memory in 7, referral pull in 14."""
    cfg = kit.config()
    w = kit.world(cfg, kit.path(3))
    for name in ("annoyance", "memory", "referral"):
        w.set(name, 0, [1, 2], 8.0)
    for day in range(1, 15):
        relax_days(w, 1)
        if day == 3:
            np.testing.assert_allclose(w.get("annoyance")[0, 1:], 4.0, rtol=1e-12)
        if day == 7:
            np.testing.assert_allclose(w.get("memory")[0, 1:], 4.0, rtol=1e-12)
    np.testing.assert_allclose(w.get("referral")[0, 1:], 4.0, rtol=1e-12)
