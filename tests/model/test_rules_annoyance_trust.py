"""rules.annoyance (wear-out, tedium, add_annoyance) and rules.trust (content, purchase, warning)."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim._jit import int_powers, true_indices
from viralsim.model.rules import annoyance as ann
from viralsim.model.rules import trust as tr
from viralsim.model.state import NO_TIE, WEAK

# ------------------------------------------------------------------------ effective_ads, tedium


def test_effective_ads_matches_the_log_formula(kit):
    """W(X; E) = E_w ln((E_w + E + X) / (E_w + E)) for a grid of X and E."""
    p = kit.config(annoyance={"wearout_exposures": 5.0}).annoyance
    x = np.array([0, 1, 2, 5, 10, 50, 300])[:, None] * np.ones((1, 4))
    e = np.array([0.0, 0.5, 5.0, 40.0])[None, :] * np.ones((7, 1))
    got = ann.effective_ads(x, e, p)
    np.testing.assert_allclose(got, 5.0 * np.log((5.0 + e + x) / (5.0 + e)), rtol=1e-12, atol=0)
    assert np.all(got <= x + 1e-12), "an ad cannot persuade more than a fresh one"
    assert np.all(got[0] == 0.0)


def test_effective_ads_is_about_x_for_small_exposures(kit):
    """X + E << E_w: W(X; E) ~ X (first-order: X (1 - (X/2 + E)/E_w))."""
    p = kit.config(annoyance={"wearout_exposures": 1e5}).annoyance
    x = np.array([1, 2, 3, 7])
    got = ann.effective_ads(x, np.zeros(4), p)
    np.testing.assert_allclose(got, x, rtol=1e-4)
    assert np.all(got < x)


def test_effective_ads_grows_only_logarithmically(kit):
    """Far beyond E_w, doubling the ads adds about E_w ln 2, not X."""
    p = kit.config(annoyance={"wearout_exposures": 10.0}).annoyance
    w1, w2 = ann.effective_ads(np.array([10_000, 20_000]), np.zeros(2), p)
    assert w2 - w1 == pytest.approx(10.0 * np.log(2), rel=1e-3)


def test_effective_ads_is_additive_over_memory(kit):
    """W(X1; E) + W(X2; E + X1) == W(X1 + X2; E): splitting exposures does not change wear-out."""
    p = kit.config().annoyance
    rng = np.random.default_rng(2)
    x1 = rng.integers(0, 40, 200)
    x2 = rng.integers(0, 40, 200)
    e = rng.random(200) * 30
    split = ann.effective_ads(x1, e, p) + ann.effective_ads(x2, e + x1, p)
    np.testing.assert_allclose(split, ann.effective_ads(x1 + x2, e, p), rtol=1e-12)


def test_effective_ads_decreases_with_memory(kit):
    """More recent ads (memory) => fewer persuasive ones among the same new X."""
    p = kit.config().annoyance
    got = ann.effective_ads(np.full(5, 4), np.array([0.0, 1, 5, 20, 100]), p)
    assert np.all(np.diff(got) < 0)


def test_effective_ads_equals_seen_when_annoyance_disabled(kit):
    """annoyance.enabled = False: W(X; E) = X exactly, whatever E."""
    p = kit.config(annoyance={"enabled": False}).annoyance
    x = np.array([0, 1, 7, 300], dtype=np.int16)
    got = ann.effective_ads(x, np.array([0.0, 50, 3, 1e4]), p)
    assert got.dtype == float
    np.testing.assert_array_equal(got, [0.0, 1.0, 7.0, 300.0])


def test_tedium_runs_from_one_toward_two(kit):
    """tedium(E) = 1 + E / (E + E_w): 1 at E = 0, 1.5 at E = E_w, increasing, always < 2."""
    p = kit.config(annoyance={"wearout_exposures": 10.0}).annoyance
    e = np.array([0.0, 1.0, 10.0, 100.0, 1e9])
    got = ann.tedium(e, p)
    assert got[0] == 1.0
    assert got[2] == pytest.approx(1.5, rel=1e-15)
    assert np.all(np.diff(got) > 0)
    assert np.all((got >= 1.0) & (got < 2.0))


def test_compiled_scalar_formulas_match_the_numpy_helpers(kit):
    """The kernels' scalar wear_out / tedium_factor give effective_ads / tedium element by element."""
    p = kit.config(annoyance={"wearout_exposures": 7.0}).annoyance
    x = np.array([0, 1, 3, 12, 250])
    e = np.array([0.0, 0.3, 7.0, 55.5, 1e4])
    worn = [ann.wear_out(int(xi), float(ei), 7.0) for xi, ei in zip(x, e)]
    ted = [ann.tedium_factor(float(ei), 7.0) for ei in e]
    np.testing.assert_allclose(worn, ann.effective_ads(x, e, p), rtol=1e-14, atol=0)
    np.testing.assert_allclose(ted, ann.tedium(e, p), rtol=1e-14, atol=0)


# ------------------------------------------------------------------------------ add_annoyance

# Parameters for the hand computations; trust erosion off unless the test is about it.
ANN = {"weight_ad": 1.0, "weight_prize": 0.5, "weight_value": 0.05, "weight_life": 0.1,
       "weight_message": 2.0, "solicited_factor": 0.2, "low_trust_factor": 1.0,
       "idle_ad_factor": 1.5, "wearout_exposures": 10.0, "load_spillover": 0.2, "half_effect": 50.0}


def _world(kit, n=6, n_sellers=1, trust=None, **annoy):
    cfg = kit.config(n_sellers=n_sellers, circle_size=n - n_sellers,
                     annoyance={**ANN, **annoy}, trust={"loss_per_unwanted": 0.0, **(trust or {})})
    st = kit.state(cfg, kit.empty(n), sellers=tuple(range(n_sellers)))
    return cfg, st, kit.day(st)


def test_add_annoyance_exact_increment_for_a_mixed_day(kit):
    """dA = [hard (1 + (f_idle-1) share_idle) tedium(E) + w_v (Xv + Xg) + w_l Xl + w_m M] (1 + f_low (1-T))."""
    cfg, st, d = _world(kit)
    i = 3
    T, E = 0.4, 5.0
    st.trust[0, i], st.memory[0, i], st.annoyance[0, i] = T, E, 1.25
    d.seen_ad[0, i], d.seen_ad_idle[0, i] = 3, 1          # 2 busy + 1 idle ad
    d.seen_prize[0, i], d.seen_prize_idle[0, i] = 2, 1    # 1 busy + 1 idle prize post
    d.seen_reseller[0, i] = 1
    d.seen_value[0, i], d.group_seen[0, i], d.seen_life[0, i] = 4, 1, 2
    d.messages[0, i] = 1
    d.touched[0, i] = True
    ann.add_annoyance(st, d, cfg.annoyance, cfg.trust)
    # by hand, from the docstring
    hard_busy = 1.0 * (2 + 1) + 0.5 * 1              # ads + reseller ad + prize, busy
    hard_idle = 1.0 * 1 + 0.5 * 1                    # ad + prize in the idle slot
    hard = (hard_busy + 1.5 * hard_idle) * (1 + E / (E + 10.0))
    soft = 0.05 * (4 + 1) + 0.1 * 2
    msgs = 2.0 * 1
    expected = 1.25 + (hard + soft + msgs) * (1 + 1.0 * (1 - T))
    assert st.annoyance[0, i] == pytest.approx(expected, rel=1e-12)
    assert st.memory[0, i] == pytest.approx(E + 3 + 2 + 1, rel=1e-12), "memory += ads + prize + resold"
    assert st.trust[0, i] == T, "trust erosion is off in this test"
    others = np.arange(st.n) != i
    assert np.all(st.annoyance[0, others] == 0) and np.all(st.memory[0, others] == 0)


def test_idle_slot_ads_annoy_by_the_idle_factor(kit):
    """Same ads, one consumer reads them in the idle slot: ratio of increments = idle_ad_factor."""
    cfg, st, d = _world(kit, idle_ad_factor=2.5)
    st.trust[0, [1, 2]] = 0.5
    d.seen_ad[0, [1, 2]] = 4
    d.seen_ad_idle[0, 2] = 4
    d.seen_prize[0, [3, 4]] = 2
    d.seen_prize_idle[0, 4] = 2
    d.touched[0, 1:5] = True
    ann.add_annoyance(st, d, cfg.annoyance, cfg.trust)
    a = st.annoyance[0]
    assert a[1] > 0 and a[3] > 0
    assert a[2] / a[1] == pytest.approx(2.5, rel=1e-12)
    assert a[4] / a[3] == pytest.approx(2.5, rel=1e-12)
    assert a[1] == pytest.approx(4 * 1.0 * 1.5, rel=1e-12), "4 ads x w_ad x (1 + 0.5 low trust)"


def test_solicited_messages_annoy_by_the_solicited_factor(kit):
    """A message answering a need weighs w_msg x f_sol; an unsolicited one w_msg."""
    cfg, st, d = _world(kit)
    st.trust[0, [1, 2]] = 1.0
    d.messages[0, [1, 2]] = 1
    d.solicited[0, 2] = True
    d.touched[0, [1, 2]] = True
    ann.add_annoyance(st, d, cfg.annoyance, cfg.trust)
    assert st.annoyance[0, 1] == pytest.approx(2.0, rel=1e-12)
    assert st.annoyance[0, 2] == pytest.approx(2.0 * 0.2, rel=1e-12)


def test_low_trust_annoys_more(kit):
    """Factor 1 + f_low (1 - T): trust 0 doubles (f_low = 1) the annoyance of trust 1."""
    cfg, st, d = _world(kit, low_trust_factor=1.0)
    st.trust[0, 1:5] = [1.0, 0.0, 0.5, 0.25]
    d.seen_ad[0, 1:5] = 3
    d.touched[0, 1:5] = True
    ann.add_annoyance(st, d, cfg.annoyance, cfg.trust)
    np.testing.assert_allclose(st.annoyance[0, 1:5], 3.0 * np.array([1.0, 2.0, 1.5, 1.75]), rtol=1e-12)


def test_tedium_multiplies_hard_ads_only(kit):
    """Memory E raises the irritation of ads by 1 + E/(E+E_w), not of value posts or messages."""
    cfg, st, d = _world(kit)
    st.trust[0] = 1.0
    st.memory[0, [1, 2, 3, 4]] = [0.0, 10.0, 10.0, 10.0]
    d.seen_ad[0, [1, 2]] = 2
    d.seen_value[0, 3] = 20
    d.messages[0, 4] = 1
    d.touched[0, 1:5] = True
    ann.add_annoyance(st, d, cfg.annoyance, cfg.trust)
    a = st.annoyance[0]
    assert a[2] / a[1] == pytest.approx(1.5, rel=1e-12)
    assert a[3] == pytest.approx(20 * 0.05, rel=1e-12)
    assert a[4] == pytest.approx(2.0, rel=1e-12)


def test_untouched_consumers_are_unchanged(kit):
    """Only consumers touched today by the seller change (counts without ``touched`` are ignored)."""
    cfg, st, d = _world(kit)
    st.annoyance[0, 2] = 3.0
    st.memory[0, 2] = 4.0
    ann.add_annoyance(st, d, cfg.annoyance, cfg.trust)
    assert st.annoyance[0, 2] == 3.0 and st.memory[0, 2] == 4.0


def test_spillover_reaches_only_contacts_of_the_other_seller(kit):
    """Ads of seller 1 add spill x w_ad x (ads + prize + resold of seller 1) to annoyance toward
    seller 0, for seller 0's contacts only, without the low-trust factor."""
    cfg, st, d = _world(kit, n=8, n_sellers=2, weight_ad=3.0)
    st.tie[0, 5] = NO_TIE                          # consumer 5 is not seller 0's contact
    st.trust[0, 4] = 0.1                           # low trust toward seller 0: no effect on spill
    for i in (4, 5):
        d.seen_ad[1, i], d.seen_prize[1, i], d.seen_reseller[1, i] = 4, 2, 1
        d.touched[1, i] = True
    ann.add_annoyance(st, d, cfg.annoyance, cfg.trust)
    assert st.annoyance[0, 4] == pytest.approx(0.2 * 3.0 * (4 + 2 + 1), rel=1e-12)
    assert st.annoyance[0, 5] == 0.0
    assert st.memory[0, 4] == 0.0, "another seller's ads do not enter this seller's wear-out memory"


def test_spillover_skips_consumers_who_blocked_the_seller(kit):
    """Spillover toward seller 0 reaches her followers only: a consumer who blocked seller 0 gets none."""
    cfg, st, d = _world(kit, n=8, n_sellers=2)
    st.blocked[0, 4] = True
    d.seen_ad[1, [4, 5]] = 5
    d.touched[1, [4, 5]] = True
    ann.add_annoyance(st, d, cfg.annoyance, cfg.trust)
    assert st.annoyance[0, 4] == 0.0
    assert st.annoyance[0, 5] == pytest.approx(0.2 * 5, rel=1e-12)


def test_spillover_counts_only_other_sellers_ads(kit):
    """A consumer seeing ads of both sellers gets, toward each, its own increment plus spill of the other's."""
    cfg, st, d = _world(kit, n=8, n_sellers=2)
    i = 6
    st.trust[:, i] = 1.0
    d.seen_ad[0, i], d.seen_ad[1, i] = 3, 5
    d.touched[:, i] = True
    ann.add_annoyance(st, d, cfg.annoyance, cfg.trust)
    assert st.annoyance[0, i] == pytest.approx(3 + 0.2 * 5, rel=1e-12)
    assert st.annoyance[1, i] == pytest.approx(5 + 0.2 * 3, rel=1e-12)


def test_spillover_sums_over_every_other_seller(kit):
    """Three sellers: toward seller 0, spill x w_ad x (ads of seller 1 + ads of seller 2)."""
    cfg, st, d = _world(kit, n=9, n_sellers=3)
    i = 7
    st.trust[:, i] = 1.0
    d.seen_ad[:, i] = [2, 4, 6]
    d.seen_prize[2, i] = 1
    d.touched[:, i] = True
    ann.add_annoyance(st, d, cfg.annoyance, cfg.trust)
    np.testing.assert_allclose(st.annoyance[:, i], [2 + 0.2 * (4 + 7), 4 + 0.2 * (2 + 7),
                                                    6 + 0.5 + 0.2 * (2 + 4)], rtol=1e-12)


def test_no_spillover_when_disabled(kit):
    """load_spillover = 0: other sellers' ads leave annoyance toward seller 0 at zero."""
    cfg, st, d = _world(kit, n=8, n_sellers=2, load_spillover=0.0)
    d.seen_ad[1, 4] = 10
    d.touched[1, 4] = True
    ann.add_annoyance(st, d, cfg.annoyance, cfg.trust)
    assert st.annoyance[0, 4] == 0.0


def test_trust_erosion_per_unwanted_contact(kit):
    """T <- T (1 - l A/(A + A_half))^K, A after today's increment, K = ads + prize + resold +
    unsolicited messages; value posts and solicited messages are not unwanted."""
    cfg, st, d = _world(kit, n=8, trust={"loss_per_unwanted": 0.3}, low_trust_factor=0.0)
    T0 = 0.5
    st.trust[0] = T0
    st.annoyance[0, 1:] = 20.0
    d.seen_ad[0, 1], d.seen_prize[0, 1], d.seen_reseller[0, 1], d.messages[0, 1] = 2, 1, 1, 1   # K = 5
    d.messages[0, 2], d.solicited[0, 2] = 1, True                                      # K = 0
    d.seen_value[0, 3] = 3                                                               # K = 0
    d.seen_ad[0, 4] = 1                                                                  # K = 1
    d.touched[0, 1:5] = True
    ann.add_annoyance(st, d, cfg.annoyance, cfg.trust)
    a = st.annoyance[0]
    assert a[1] == pytest.approx(20 + (1.0 * 3 + 0.5 * 1) + 2.0, rel=1e-12)
    keep = lambda A: 1 - 0.3 * A / (A + 50.0)  # noqa: E731
    assert st.trust[0, 1] == pytest.approx(T0 * keep(a[1]) ** 5, rel=1e-12)
    assert st.trust[0, 2] == T0
    assert st.trust[0, 3] == T0
    assert st.trust[0, 4] == pytest.approx(T0 * keep(a[4]), rel=1e-12)


@pytest.mark.parametrize("section", ["trust", "annoyance"])
def test_no_trust_erosion_when_trust_or_annoyance_disabled(kit, section):
    """Erosion needs both stocks: disabling either leaves trust unchanged (memory still grows)."""
    off = {section: {"enabled": False}}
    cfg = kit.config(circle_size=5, trust={"loss_per_unwanted": 0.5, **off.get("trust", {})},
                     annoyance=off.get("annoyance", {}))
    st = kit.state(cfg, kit.empty(6))
    d = kit.day(st)
    st.trust[0] = 0.5
    st.annoyance[0] = 40.0
    d.seen_ad[0, 2] = 7
    d.messages[0, 2] = 2
    d.touched[0, 2] = True
    ann.add_annoyance(st, d, cfg.annoyance, cfg.trust)
    assert st.trust[0, 2] == 0.5
    assert st.memory[0, 2] == 7.0
    if section == "annoyance":
        assert st.annoyance[0, 2] == 40.0, "annoyance off: the stock does not grow"


def _add_annoyance_by_numpy(st, d, w, t):
    """The docstring equation of add_annoyance on whole (S, n) arrays: (annoyance, trust, memory)."""
    touched, E, T = d.touched, st.memory, st.trust
    hard = w.weight_ad * (d.seen_ad + d.seen_reseller) + w.weight_prize * d.seen_prize
    hard_idle = w.weight_ad * d.seen_ad_idle + w.weight_prize * d.seen_prize_idle
    hard = (hard + (w.idle_ad_factor - 1.0) * hard_idle) * (1.0 + E / (E + w.wearout_exposures))
    soft = w.weight_value * (d.seen_value + d.group_seen) + w.weight_life * d.seen_life
    msgs = w.weight_message * d.messages * np.where(d.solicited, w.solicited_factor, 1.0)
    A = np.where(touched, st.annoyance + (hard + soft + msgs) * (1.0 + w.low_trust_factor * (1.0 - T)),
                 st.annoyance)
    ads = (d.seen_ad + d.seen_prize + d.seen_reseller).astype(np.int64)
    follows = (st.tie > NO_TIE) & ~st.blocked
    for r in range(st.n_sellers):
        for s in range(st.n_sellers):
            if s != r:
                A[s] += np.where(touched[r] & follows[s], w.load_spillover * w.weight_ad * ads[r], 0.0)
    unwanted = ads + np.where(d.solicited, 0, d.messages)
    T = np.where(touched, T * (1.0 - t.loss_per_unwanted * A / (A + w.half_effect)) ** unwanted, T)
    return A, T, np.where(touched, E + ads, E)


@pytest.mark.parametrize("seed, n_sellers", [(0, 1), (1, 2), (2, 2), (3, 3)])
def test_add_annoyance_matches_the_equation_on_random_days(kit, seed, n_sellers):
    """Random (S, n) days, dense and sparse rows, blocked and untied consumers, several sellers:
    the compiled rule (one visit per touched pair, spillover from and onto other sellers, powers
    by repeated products) agrees with the NumPy transcription of its docstring equation."""
    n = 3001
    cfg, st, d = _world(kit, n=n, n_sellers=n_sellers, trust={"loss_per_unwanted": 0.2})
    rng = np.random.default_rng(seed)
    shape = (n_sellers, n)
    st.tie[:] = rng.choice([NO_TIE, WEAK], size=shape, p=[0.3, 0.7])
    st.blocked[:] = (st.tie > NO_TIE) & (rng.random(shape) < 0.1)
    st.trust[:] = rng.random(shape)
    st.annoyance[:] = rng.exponential(30.0, shape)
    st.memory[:] = rng.exponential(5.0, shape)
    density = np.array([0.5, 0.02, 0.2])[:n_sellers, None]     # a dense and a sparse seller
    d.touched[:] = rng.random(shape) < density
    for name in ("seen_ad", "seen_prize", "seen_reseller", "seen_value", "group_seen", "seen_life",
                 "messages"):
        getattr(d, name)[:] = rng.poisson(3.0, shape) * (rng.random(shape) < 0.5) * d.touched
    d.seen_ad_idle[:] = rng.binomial(d.seen_ad, 0.4)
    d.seen_prize_idle[:] = rng.binomial(d.seen_prize, 0.4)
    d.seen_ad[:, :7] = 300                                       # long exponents too
    d.solicited[:] = (rng.random(shape) < 0.3) & (d.messages > 0)
    want = _add_annoyance_by_numpy(st, d, cfg.annoyance, cfg.trust)
    ann.add_annoyance(st, d, cfg.annoyance, cfg.trust)
    for got, expected in zip((st.annoyance, st.trust, st.memory), want):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 64, 1000, 4099])
@pytest.mark.parametrize("density", [0.0, 0.003, 0.05, 0.5, 1.0])
def test_true_indices_matches_flatnonzero(n, density):
    """The branch-free scan (and its skip-empty-words variant) finds every True entry, in order."""
    row = np.random.default_rng(n).random(n) < density
    out = np.full(n + 1, -1, dtype=np.int32)
    k = true_indices(row, out)
    np.testing.assert_array_equal(out[:k], np.flatnonzero(row))
    k8 = true_indices(row.view(np.uint8), out)
    assert k8 == k


def test_int_powers_agree_with_pow():
    """x^k by repeated products: exact for k = 0, 1, within k ulps of pow() otherwise."""
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.random(500), [0.0, 0.0, 1.0, 0.5, 0.999]])
    k = np.concatenate([rng.integers(0, 2000, 500), [0, 3, 77, 1, 1000]]).astype(np.int64)
    got = x.copy()
    m = len(x) - 1                                            # the last entry is left alone
    int_powers(got, k.copy(), m)
    np.testing.assert_allclose(got[:m], x[:m] ** k[:m], rtol=2000 * 2.3e-16, atol=1e-300)
    assert got[m] == x[m]
    assert np.all(got[:m][k[:m] == 0] == 1.0)
    assert np.all(got[:m][k[:m] == 1] == x[:m][k[:m] == 1])


# ------------------------------------------------------------------------------------- trust


def test_gain_from_content_exact_with_group_multiplier(kit):
    """T <- 1 - (1 - T)(1 - g_v)^X_value (1 - m g_v)^X_group; life posts do not count."""
    cfg = kit.config(circle_size=5, trust={"gain_value": 0.02, "group_gain_multiplier": 1.5})
    st = kit.state(cfg, kit.empty(6))
    d = kit.day(st)
    st.trust[0] = 0.3
    d.seen_value[0, 1], d.group_seen[0, 1] = 2, 3
    d.seen_value[0, 2] = 5
    d.group_seen[0, 3] = 5
    d.seen_life[0, 4] = 9
    d.touched[0, 1:5] = True
    tr.gain_from_content(st, d, cfg.trust)
    t = st.trust[0]
    assert t[1] == pytest.approx(1 - 0.7 * 0.98 ** 2 * 0.97 ** 3, rel=1e-12)
    assert t[2] == pytest.approx(1 - 0.7 * 0.98 ** 5, rel=1e-12)
    assert t[3] == pytest.approx(1 - 0.7 * 0.97 ** 5, rel=1e-12)
    assert t[3] > t[2], "group value posts raise trust faster"
    assert t[4] == 0.3 and t[5] == 0.3


def test_gain_from_content_group_gain_capped_at_one(kit):
    """m g_v is capped at 1: one group post then takes trust to exactly 1."""
    cfg = kit.config(circle_size=3, trust={"gain_value": 0.5, "group_gain_multiplier": 3.0})
    st = kit.state(cfg, kit.empty(4))
    d = kit.day(st)
    st.trust[0] = 0.2
    d.group_seen[0, 1] = 1
    d.touched[0, 1] = True
    tr.gain_from_content(st, d, cfg.trust)
    assert st.trust[0, 1] == 1.0


def test_gain_from_content_disabled(kit):
    cfg = kit.config(circle_size=3, trust={"enabled": False})
    st = kit.state(cfg, kit.empty(4))
    d = kit.day(st)
    st.trust[0] = 0.2
    d.seen_value[0, 1], d.group_seen[0, 1], d.touched[0, 1] = 4, 4, True
    tr.gain_from_content(st, d, cfg.trust)
    assert np.all(st.trust[0] == 0.2)


def test_purchase_outcome_exact_and_asymmetric(kit):
    """Satisfied: T + g (1 - T); dissatisfied: T (1 - l); a bad purchase costs more than a good one gives."""
    p = kit.config(trust={"gain_good_purchase": 0.15, "loss_bad_purchase": 0.4}).trust
    t = np.array([0.0, 0.2, 0.5, 0.9, 1.0])
    good = tr.purchase_outcome(t, np.ones(5, bool), p)
    bad = tr.purchase_outcome(t, np.zeros(5, bool), p)
    np.testing.assert_allclose(good, t + 0.15 * (1 - t), rtol=1e-15)
    np.testing.assert_allclose(bad, t * 0.6, rtol=1e-15)
    mixed = tr.purchase_outcome(t, np.array([True, False, True, False, True]), p)
    np.testing.assert_allclose(mixed, np.where([True, False, True, False, True], good, bad))
    mid = np.array([0.5])
    loss = mid - tr.purchase_outcome(mid, np.array([False]), p)
    assert loss > tr.purchase_outcome(mid, np.array([True]), p) - mid
    d = kit.config().trust
    assert d.loss_bad_purchase > d.gain_good_purchase, "defaults: trust is lost faster than gained"


def test_purchase_outcome_disabled_returns_trust(kit):
    p = kit.config(trust={"enabled": False}).trust
    t = np.array([0.1, 0.7])
    np.testing.assert_array_equal(tr.purchase_outcome(t, np.array([True, False]), p), t)


def test_platform_warning_lowers_viewers_trust_only(kit):
    """Opening a folded block: T <- T (1 - l_warn) for the viewers, others unchanged."""
    cfg = kit.config(circle_size=5, trust={"loss_warning": 0.15})
    st = kit.state(cfg, kit.empty(6))
    st.trust[0] = 0.8
    tr.platform_warning(st, 0, np.array([2, 4]), cfg.trust)
    np.testing.assert_allclose(st.trust[0], [0.8, 0.8, 0.68, 0.8, 0.68, 0.8], rtol=1e-15)
    tr.platform_warning(st, 0, np.array([], dtype=np.int64), cfg.trust)
    off = kit.config(trust={"enabled": False}).trust
    tr.platform_warning(st, 0, np.array([1]), off)
    assert st.trust[0, 1] == 0.8
