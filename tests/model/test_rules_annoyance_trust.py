"""rules.annoyance (wear-out, tedium, add_annoyance) and rules.trust (content, purchase, warning)."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim._jit import int_powers, true_indices
from viralsim.model import reference, relations
from viralsim.model.relations import NO_TIE, WEAK
from viralsim.model.rules import annoyance as ann
from viralsim.model.rules import needs, purchase
from viralsim.model.rules import trust as tr


def _fill(w, name: str, s: int, value) -> None:
    """Relation column ``name`` := ``value`` on every existing relation of seller ``s``."""
    m = w.state.n_relations
    getattr(w.rel, name)[np.flatnonzero(w.rel.seller[:m] == s)] = value


# ------------------------------------------------------------------------ effective_ads, tedium


def effective_ads(x, e, cfg) -> np.ndarray:
    """W(X; E) element by element, as the purchase rule applies rules.annoyance.wear_out (X itself
    when annoyance is off)."""
    par = purchase.prepare(cfg)
    x, e = np.broadcast_arrays(np.asarray(x), np.asarray(e, dtype=float))
    worn = [purchase._worn(int(xi), float(ei), par.wearout, par.annoyance_on) for xi, ei in zip(x.flat, e.flat)]
    return np.array(worn, dtype=float).reshape(x.shape)


def tedium(e, cfg) -> np.ndarray:
    """rules.annoyance.tedium_factor element by element."""
    wearout = cfg.annoyance.wearout_exposures
    return np.array([ann.tedium_factor(float(ei), wearout) for ei in np.asarray(e, dtype=float)])


def test_effective_ads_matches_the_log_formula(kit):
    """W(X; E) = E_w ln((E_w + E + X) / (E_w + E)) for a grid of X and E."""
    cfg = kit.config(annoyance={"wearout_exposures": 5.0})
    x = np.array([0, 1, 2, 5, 10, 50, 300])[:, None] * np.ones((1, 4), dtype=np.int64)
    e = np.array([0.0, 0.5, 5.0, 40.0])[None, :] * np.ones((7, 1))
    got = effective_ads(x, e, cfg)
    np.testing.assert_allclose(got, 5.0 * np.log((5.0 + e + x) / (5.0 + e)), rtol=1e-12, atol=0)
    assert np.all(got <= x + 1e-12), "an ad cannot persuade more than a fresh one"
    assert np.all(got[0] == 0.0)
    # the kernel itself (the impulse rule calls it directly) gives the same values
    direct = [ann.wear_out(int(xi), float(ei), 5.0) for xi, ei in zip(x.flat, e.flat)]
    np.testing.assert_array_equal(np.reshape(direct, x.shape), got)


def test_effective_ads_is_about_x_for_small_exposures(kit):
    """X + E << E_w: W(X; E) ~ X (first-order: X (1 - (X/2 + E)/E_w))."""
    cfg = kit.config(annoyance={"wearout_exposures": 1e5})
    x = np.array([1, 2, 3, 7])
    got = effective_ads(x, np.zeros(4), cfg)
    np.testing.assert_allclose(got, x, rtol=1e-4)
    assert np.all(got < x)


def test_effective_ads_grows_only_logarithmically(kit):
    """Far beyond E_w, doubling the ads adds about E_w ln 2, not X."""
    cfg = kit.config(annoyance={"wearout_exposures": 10.0})
    w1, w2 = effective_ads(np.array([10_000, 20_000]), np.zeros(2), cfg)
    assert w2 - w1 == pytest.approx(10.0 * np.log(2), rel=1e-3)


def test_effective_ads_is_additive_over_memory(kit):
    """W(X1; E) + W(X2; E + X1) == W(X1 + X2; E): splitting exposures does not change wear-out."""
    cfg = kit.config()
    rng = np.random.default_rng(2)
    x1 = rng.integers(0, 40, 200)
    x2 = rng.integers(0, 40, 200)
    e = rng.random(200) * 30
    split = effective_ads(x1, e, cfg) + effective_ads(x2, e + x1, cfg)
    np.testing.assert_allclose(split, effective_ads(x1 + x2, e, cfg), rtol=1e-12)


def test_effective_ads_decreases_with_memory(kit):
    """More recent ads (memory) => fewer persuasive ones among the same new X."""
    cfg = kit.config()
    got = effective_ads(np.full(5, 4), np.array([0.0, 1, 5, 20, 100]), cfg)
    assert np.all(np.diff(got) < 0)


def test_effective_ads_equals_seen_when_annoyance_disabled(kit):
    """annoyance.enabled = False: W(X; E) = X exactly, whatever E (purchases and impulses alike)."""
    cfg = kit.config(annoyance={"enabled": False})
    x = np.array([0, 1, 7, 300], dtype=np.int16)
    got = effective_ads(x, np.array([0.0, 50, 3, 1e4]), cfg)
    assert got.dtype == float
    np.testing.assert_array_equal(got, [0.0, 1.0, 7.0, 300.0])
    assert not needs.prepare(cfg).worn, "the impulse rule would still wear ads out"


def test_tedium_runs_from_one_toward_two(kit):
    """tedium(E) = 1 + E / (E + E_w): 1 at E = 0, 1.5 at E = E_w, increasing, always < 2."""
    cfg = kit.config(annoyance={"wearout_exposures": 10.0})
    e = np.array([0.0, 1.0, 10.0, 100.0, 1e9])
    got = tedium(e, cfg)
    assert got[0] == 1.0
    assert got[2] == pytest.approx(1.5, rel=1e-15)
    assert np.all(np.diff(got) > 0)
    assert np.all((got >= 1.0) & (got < 2.0))


@pytest.mark.parametrize("enabled", [True, False])
def test_compiled_scalar_formulas_match_the_reference(kit, enabled):
    """The kernels' wear_out (as purchases apply it) and tedium_factor give the reference
    engine's plain-Python wear-out and the docstring's tedium element by element."""
    cfg = kit.config(annoyance={"wearout_exposures": 7.0, "enabled": enabled})
    x = np.array([0, 1, 3, 12, 250])
    e = np.array([0.0, 0.3, 7.0, 55.5, 1e4])
    worn = [reference.wear_out(int(xi), float(ei), cfg.annoyance) for xi, ei in zip(x, e)]
    np.testing.assert_allclose(effective_ads(x, e, cfg), worn, rtol=1e-14, atol=0)
    np.testing.assert_allclose(tedium(e, cfg), 1.0 + e / (e + 7.0), rtol=1e-14, atol=0)


# ------------------------------------------------------------------------------ add_annoyance

# Parameters for the hand computations; trust erosion off unless the test is about it.
ANN = {"weight_ad": 1.0, "weight_prize": 0.5, "weight_value": 0.05, "weight_life": 0.1,
       "weight_message": 2.0, "solicited_factor": 0.2, "low_trust_factor": 1.0,
       "idle_ad_factor": 1.5, "wearout_exposures": 10.0, "load_spillover": 0.2, "half_effect": 50.0}


def _world(kit, n=6, n_sellers=1, trust=None, circle=True, **annoy):
    """Sellers on nodes 0..S-1, each with every other node as a weak contact (``circle``) or none."""
    cfg = kit.config(n_sellers=n_sellers, circle_size=n - 1 if circle else 0,
                     annoyance={**ANN, **annoy}, trust={"loss_per_unwanted": 0.0, **(trust or {})})
    return cfg, kit.world(cfg, kit.empty(n), sellers=tuple(range(n_sellers)))


def _add_annoyance(w) -> None:
    """rules.annoyance.add_annoyance as the day calls it."""
    ann.add_annoyance(w.params.annoyance, w.people, w.rel)


def test_add_annoyance_exact_increment_for_a_mixed_day(kit):
    """dA = [hard (1 + (f_idle-1) share_idle) tedium(E) + w_v (Xv + Xg) + w_l Xl + w_m M] (1 + f_low (1-T))."""
    _cfg, w = _world(kit)
    i = 3
    T, E = 0.4, 5.0
    w.set("trust", 0, i, T)
    w.set("memory", 0, i, E)
    w.set("annoyance", 0, i, 1.25)
    w.set("seen_ad", 0, i, 3)               # 2 busy + 1 idle ad
    w.set("seen_ad_idle", 0, i, 1)
    w.set("seen_prize", 0, i, 2)            # 1 busy + 1 idle prize post
    w.set("seen_prize_idle", 0, i, 1)
    w.set("seen_reseller", 0, i, 1)
    w.set("seen_value", 0, i, 4)
    w.set("group_seen", 0, i, 1)
    w.set("seen_life", 0, i, 2)
    w.set("messages", 0, i, 1)
    w.set("touched", 0, i, True)
    _add_annoyance(w)
    # by hand, from the docstring
    hard_busy = 1.0 * (2 + 1) + 0.5 * 1              # ads + reseller ad + prize, busy
    hard_idle = 1.0 * 1 + 0.5 * 1                    # ad + prize in the idle slot
    hard = (hard_busy + 1.5 * hard_idle) * (1 + E / (E + 10.0))
    soft = 0.05 * (4 + 1) + 0.1 * 2
    msgs = 2.0 * 1
    expected = 1.25 + (hard + soft + msgs) * (1 + 1.0 * (1 - T))
    annoyance, memory = w.get("annoyance"), w.get("memory")
    assert annoyance[0, i] == pytest.approx(expected, rel=1e-12)
    assert memory[0, i] == pytest.approx(E + 3 + 2 + 1, rel=1e-12), "memory += ads + prize + resold"
    assert w.get("trust")[0, i] == T, "trust erosion is off in this test"
    others = np.arange(w.state.n) != i
    assert np.all(annoyance[0, others] == 0) and np.all(memory[0, others] == 0)


def test_idle_slot_ads_annoy_by_the_idle_factor(kit):
    """Same ads, one consumer reads them in the idle slot: ratio of increments = idle_ad_factor."""
    _cfg, w = _world(kit, idle_ad_factor=2.5)
    w.set("trust", 0, [1, 2], 0.5)
    w.set("seen_ad", 0, [1, 2], 4)
    w.set("seen_ad_idle", 0, 2, 4)
    w.set("seen_prize", 0, [3, 4], 2)
    w.set("seen_prize_idle", 0, 4, 2)
    w.set("touched", 0, range(1, 5), True)
    _add_annoyance(w)
    a = w.get("annoyance")[0]
    assert a[1] > 0 and a[3] > 0
    assert a[2] / a[1] == pytest.approx(2.5, rel=1e-12)
    assert a[4] / a[3] == pytest.approx(2.5, rel=1e-12)
    assert a[1] == pytest.approx(4 * 1.0 * 1.5, rel=1e-12), "4 ads x w_ad x (1 + 0.5 low trust)"


def test_solicited_messages_annoy_by_the_solicited_factor(kit):
    """A message answering a need weighs w_msg x f_sol; an unsolicited one w_msg."""
    _cfg, w = _world(kit)
    w.set("trust", 0, [1, 2], 1.0)
    w.set("messages", 0, [1, 2], 1)
    w.set("solicited", 0, 2, True)
    w.set("touched", 0, [1, 2], True)
    _add_annoyance(w)
    a = w.get("annoyance")[0]
    assert a[1] == pytest.approx(2.0, rel=1e-12)
    assert a[2] == pytest.approx(2.0 * 0.2, rel=1e-12)


def test_low_trust_annoys_more(kit):
    """Factor 1 + f_low (1 - T): trust 0 doubles (f_low = 1) the annoyance of trust 1."""
    _cfg, w = _world(kit, low_trust_factor=1.0)
    w.set("trust", 0, range(1, 5), [1.0, 0.0, 0.5, 0.25])
    w.set("seen_ad", 0, range(1, 5), 3)
    w.set("touched", 0, range(1, 5), True)
    _add_annoyance(w)
    np.testing.assert_allclose(w.get("annoyance")[0, 1:5], 3.0 * np.array([1.0, 2.0, 1.5, 1.75]), rtol=1e-12)


def test_tedium_multiplies_hard_ads_only(kit):
    """Memory E raises the irritation of ads by 1 + E/(E+E_w), not of value posts or messages."""
    _cfg, w = _world(kit)
    _fill(w, "trust", 0, 1.0)
    w.set("memory", 0, [1, 2, 3, 4], [0.0, 10.0, 10.0, 10.0])
    w.set("seen_ad", 0, [1, 2], 2)
    w.set("seen_value", 0, 3, 20)
    w.set("messages", 0, 4, 1)
    w.set("touched", 0, range(1, 5), True)
    _add_annoyance(w)
    a = w.get("annoyance")[0]
    assert a[2] / a[1] == pytest.approx(1.5, rel=1e-12)
    assert a[3] == pytest.approx(20 * 0.05, rel=1e-12)
    assert a[4] == pytest.approx(2.0, rel=1e-12)


def test_untouched_consumers_are_unchanged(kit):
    """Only consumers touched today by the seller change (counts without ``touched`` are ignored)."""
    _cfg, w = _world(kit)
    w.set("annoyance", 0, 2, 3.0)
    w.set("memory", 0, 2, 4.0)
    w.set("seen_ad", 0, 2, 5)
    w.set("messages", 0, 2, 1)
    _add_annoyance(w)
    assert w.get("annoyance")[0, 2] == 3.0 and w.get("memory")[0, 2] == 4.0


def test_spillover_reaches_only_contacts_of_the_other_seller(kit):
    """Ads of seller 1 add spill x w_ad x (ads + prize + resold of seller 1) to annoyance toward
    seller 0, for seller 0's contacts only, without the low-trust factor."""
    _cfg, w = _world(kit, n=8, n_sellers=2, weight_ad=3.0)
    w.set("tie", 0, 5, NO_TIE)                     # consumer 5 is not seller 0's contact
    w.set("trust", 0, 4, 0.1)                      # low trust toward seller 0: no effect on spill
    for i in (4, 5):
        w.set("seen_ad", 1, i, 4)
        w.set("seen_prize", 1, i, 2)
        w.set("seen_reseller", 1, i, 1)
        w.set("touched", 1, i, True)
    _add_annoyance(w)
    annoyance = w.get("annoyance")
    assert annoyance[0, 4] == pytest.approx(0.2 * 3.0 * (4 + 2 + 1), rel=1e-12)
    assert annoyance[0, 5] == 0.0
    assert w.get("memory")[0, 4] == 0.0, "another seller's ads do not enter this seller's wear-out memory"


def test_spillover_skips_consumers_who_blocked_the_seller(kit):
    """Spillover toward seller 0 reaches her followers only: a consumer who blocked seller 0 gets none."""
    _cfg, w = _world(kit, n=8, n_sellers=2)
    w.set("blocked", 0, 4, True)
    w.set("seen_ad", 1, [4, 5], 5)
    w.set("touched", 1, [4, 5], True)
    _add_annoyance(w)
    annoyance = w.get("annoyance")
    assert annoyance[0, 4] == 0.0
    assert annoyance[0, 5] == pytest.approx(0.2 * 5, rel=1e-12)


def test_spillover_counts_only_other_sellers_ads(kit):
    """A consumer seeing ads of both sellers gets, toward each, its own increment plus spill of the other's."""
    _cfg, w = _world(kit, n=8, n_sellers=2)
    i = 6
    for s, ads in ((0, 3), (1, 5)):
        w.set("trust", s, i, 1.0)
        w.set("seen_ad", s, i, ads)
        w.set("touched", s, i, True)
    _add_annoyance(w)
    annoyance = w.get("annoyance")
    assert annoyance[0, i] == pytest.approx(3 + 0.2 * 5, rel=1e-12)
    assert annoyance[1, i] == pytest.approx(5 + 0.2 * 3, rel=1e-12)


def test_spillover_sums_over_every_other_seller(kit):
    """Three sellers: toward seller 0, spill x w_ad x (ads of seller 1 + ads of seller 2)."""
    _cfg, w = _world(kit, n=9, n_sellers=3)
    i = 7
    for s, ads in enumerate([2, 4, 6]):
        w.set("trust", s, i, 1.0)
        w.set("seen_ad", s, i, ads)
        w.set("touched", s, i, True)
    w.set("seen_prize", 2, i, 1)
    _add_annoyance(w)
    np.testing.assert_allclose(w.get("annoyance")[:, i], [2 + 0.2 * (4 + 7), 4 + 0.2 * (2 + 7),
                                                          6 + 0.5 + 0.2 * (2 + 4)], rtol=1e-12)


def test_no_spillover_when_disabled(kit):
    """load_spillover = 0: other sellers' ads leave annoyance toward seller 0 at zero."""
    _cfg, w = _world(kit, n=8, n_sellers=2, load_spillover=0.0)
    w.set("seen_ad", 1, 4, 10)
    w.set("touched", 1, 4, True)
    _add_annoyance(w)
    assert w.get("annoyance")[0, 4] == 0.0


def test_trust_erosion_per_unwanted_contact(kit):
    """T <- T (1 - l A/(A + A_half))^K, A after today's increment, K = ads + prize + resold +
    unsolicited messages; value posts and solicited messages are not unwanted."""
    _cfg, w = _world(kit, n=8, trust={"loss_per_unwanted": 0.3}, low_trust_factor=0.0)
    T0 = 0.5
    _fill(w, "trust", 0, T0)
    _fill(w, "annoyance", 0, 20.0)
    for name, x in (("seen_ad", 2), ("seen_prize", 1), ("seen_reseller", 1), ("messages", 1)):
        w.set(name, 0, 1, x)                # K = 5
    w.set("messages", 0, 2, 1)              # K = 0
    w.set("solicited", 0, 2, True)
    w.set("seen_value", 0, 3, 3)            # K = 0
    w.set("seen_ad", 0, 4, 1)               # K = 1
    w.set("touched", 0, range(1, 5), True)
    _add_annoyance(w)
    a, trust = w.get("annoyance")[0], w.get("trust")[0]
    assert a[1] == pytest.approx(20 + (1.0 * 3 + 0.5 * 1) + 2.0, rel=1e-12)
    def keep(A):
        return 1 - 0.3 * A / (A + 50.0)
    assert trust[1] == pytest.approx(T0 * keep(a[1]) ** 5, rel=1e-12)
    assert trust[2] == T0
    assert trust[3] == T0
    assert trust[4] == pytest.approx(T0 * keep(a[4]), rel=1e-12)


@pytest.mark.parametrize("section", ["trust", "annoyance"])
def test_no_trust_erosion_when_trust_or_annoyance_disabled(kit, section):
    """Erosion needs both stocks: disabling either leaves trust unchanged (memory still grows)."""
    off = {section: {"enabled": False}}
    cfg = kit.config(circle_size=5, trust={"loss_per_unwanted": 0.5, **off.get("trust", {})},
                     annoyance=off.get("annoyance", {}))
    w = kit.world(cfg, kit.empty(6))
    _fill(w, "trust", 0, 0.5)
    _fill(w, "annoyance", 0, 40.0)
    w.set("seen_ad", 0, 2, 7)
    w.set("messages", 0, 2, 2)
    w.set("touched", 0, 2, True)
    _add_annoyance(w)
    assert w.get("trust")[0, 2] == 0.5
    assert w.get("memory")[0, 2] == 7.0
    if section == "annoyance":
        assert w.get("annoyance")[0, 2] == 40.0, "annoyance off: the stock does not grow"


#: the columns add_annoyance reads or writes, as dense (S, n) matrices in the transcription below
_DENSE = ("tie", "blocked", "trust", "annoyance", "memory", "touched", "seen_ad", "seen_prize", "seen_reseller",
          "seen_value", "group_seen", "seen_life", "messages", "seen_ad_idle", "seen_prize_idle", "solicited")


def _add_annoyance_by_numpy(g, w, t):
    """The docstring equation of add_annoyance on whole (S, n) arrays ``g[name]`` (absent relations
    at their new-relation values): (annoyance, trust, memory)."""
    touched, E, T = g["touched"], g["memory"], g["trust"]
    seen = {k: g[k].astype(np.int64) for k in _DENSE if k.startswith("seen") or k in ("group_seen", "messages")}
    hard = w.weight_ad * (seen["seen_ad"] + seen["seen_reseller"]) + w.weight_prize * seen["seen_prize"]
    hard_idle = w.weight_ad * seen["seen_ad_idle"] + w.weight_prize * seen["seen_prize_idle"]
    hard = (hard + (w.idle_ad_factor - 1.0) * hard_idle) * (1.0 + E / (E + w.wearout_exposures))
    soft = w.weight_value * (seen["seen_value"] + seen["group_seen"]) + w.weight_life * seen["seen_life"]
    msgs = w.weight_message * seen["messages"] * np.where(g["solicited"], w.solicited_factor, 1.0)
    A = np.where(touched, g["annoyance"] + (hard + soft + msgs) * (1.0 + w.low_trust_factor * (1.0 - T)),
                 g["annoyance"])
    ads = seen["seen_ad"] + seen["seen_prize"] + seen["seen_reseller"]
    follows = (g["tie"] > NO_TIE) & ~g["blocked"]
    n_sellers = len(A)
    for r in range(n_sellers):
        for s in range(n_sellers):
            if s != r:
                A[s] += np.where(touched[r] & follows[s], w.load_spillover * w.weight_ad * ads[r], 0.0)
    unwanted = ads + np.where(g["solicited"], 0, seen["messages"])
    T = np.where(touched, T * (1.0 - t.loss_per_unwanted * A / (A + w.half_effect)) ** unwanted, T)
    return A, T, np.where(touched, E + ads, E)


@pytest.mark.parametrize("seed, n_sellers", [(0, 1), (1, 2), (2, 2), (3, 3)])
def test_add_annoyance_matches_the_equation_on_random_days(kit, seed, n_sellers):
    """Random (S, n) days, dense and sparse rows, blocked, untied and unrelated consumers, several
    sellers: the compiled rule (one visit per relation, spillover from and onto other sellers,
    powers by repeated products) agrees with the NumPy transcription of its docstring equation."""
    n = 3001
    cfg, w = _world(kit, n=n, n_sellers=n_sellers, trust={"loss_per_unwanted": 0.2}, circle=False)
    rng = np.random.default_rng(seed)
    shape = (n_sellers, n)
    # relations with a random 90% of the pairs (never a seller with her own node)
    related = (rng.random(shape) < 0.9) & (np.arange(n)[None, :] != w.sellers.node[:, None])
    sellers, nodes = np.nonzero(related)
    rel = w.keep(relations.reserve(w.rel, len(sellers)))
    for s, i in zip(sellers.tolist(), nodes.tolist()):
        relations.add_row(rel.index, rel.meta, rel.seller, rel.node, s, i)
    g = {"tie": rng.choice([NO_TIE, WEAK], size=shape, p=[0.3, 0.7]).astype(np.int8)}
    g["blocked"] = (g["tie"] > NO_TIE) & (rng.random(shape) < 0.1)
    g["trust"] = rng.random(shape)
    g["annoyance"] = rng.exponential(30.0, shape)
    g["memory"] = rng.exponential(5.0, shape)
    density = np.array([0.5, 0.02, 0.2])[:n_sellers, None]     # a dense and a sparse seller
    g["touched"] = rng.random(shape) < density
    for name in ("seen_ad", "seen_prize", "seen_reseller", "seen_value", "group_seen", "seen_life",
                 "messages"):
        g[name] = rng.poisson(3.0, shape) * (rng.random(shape) < 0.5) * g["touched"]
    g["seen_ad_idle"] = rng.binomial(g["seen_ad"], 0.4)
    g["seen_prize_idle"] = rng.binomial(g["seen_prize"], 0.4)
    g["seen_ad"][:, :7] = 300                                   # long exponents too
    g["solicited"] = (rng.random(shape) < 0.3) & (g["messages"] > 0)
    m = w.state.n_relations
    assert m == related.sum()
    for name in _DENSE:
        getattr(rel, name)[:m] = g[name][rel.seller[:m], rel.node[:m]]
    want = _add_annoyance_by_numpy({name: w.get(name) for name in _DENSE}, cfg.annoyance, cfg.trust)
    _add_annoyance(w)
    for name, expected in zip(("annoyance", "trust", "memory"), want):
        np.testing.assert_allclose(w.get(name), expected, rtol=1e-12, atol=0)


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


def _trust_world(kit, n, **trust):
    cfg = kit.config(circle_size=n - 1, trust=trust)
    return cfg, kit.world(cfg, kit.empty(n))


def test_gain_from_content_exact_with_group_multiplier(kit):
    """T <- 1 - (1 - T)(1 - g_v)^X_value (1 - m g_v)^X_group; life posts do not count."""
    _cfg, w = _trust_world(kit, 6, gain_value=0.02, group_gain_multiplier=1.5)
    _fill(w, "trust", 0, 0.3)
    w.set("seen_value", 0, 1, 2)
    w.set("group_seen", 0, 1, 3)
    w.set("seen_value", 0, 2, 5)
    w.set("group_seen", 0, 3, 5)
    w.set("seen_life", 0, 4, 9)
    w.set("touched", 0, range(1, 5), True)
    tr.gain_from_content(w.params.trust, w.rel)
    t = w.get("trust")[0]
    assert t[1] == pytest.approx(1 - 0.7 * 0.98 ** 2 * 0.97 ** 3, rel=1e-12)
    assert t[2] == pytest.approx(1 - 0.7 * 0.98 ** 5, rel=1e-12)
    assert t[3] == pytest.approx(1 - 0.7 * 0.97 ** 5, rel=1e-12)
    assert t[3] > t[2], "group value posts raise trust faster"
    assert t[4] == 0.3 and t[5] == 0.3


def test_gain_from_content_group_gain_capped_at_one(kit):
    """m g_v is capped at 1: one group post then takes trust to exactly 1."""
    _cfg, w = _trust_world(kit, 4, gain_value=0.5, group_gain_multiplier=3.0)
    _fill(w, "trust", 0, 0.2)
    w.set("group_seen", 0, 1, 1)
    w.set("touched", 0, 1, True)
    tr.gain_from_content(w.params.trust, w.rel)
    assert w.get("trust")[0, 1] == 1.0


def test_gain_from_content_disabled(kit):
    _cfg, w = _trust_world(kit, 4, enabled=False)
    _fill(w, "trust", 0, 0.2)
    w.set("seen_value", 0, 1, 4)
    w.set("group_seen", 0, 1, 4)
    w.set("touched", 0, 1, True)
    tr.gain_from_content(w.params.trust, w.rel)
    assert np.all(w.get("trust")[0, 1:] == 0.2)


def _outcome(par, t, satisfied) -> np.ndarray:
    """rules.trust.purchase_outcome element by element."""
    return np.array([tr.purchase_outcome(par, float(x), bool(ok)) for x, ok in zip(t, satisfied)])


def test_purchase_outcome_exact_and_asymmetric(kit):
    """Satisfied: T + g (1 - T); dissatisfied: T (1 - l); a bad purchase costs more than a good one gives."""
    p = tr.prepare(kit.config(trust={"gain_good_purchase": 0.15, "loss_bad_purchase": 0.4}))
    t = np.array([0.0, 0.2, 0.5, 0.9, 1.0])
    good = _outcome(p, t, np.ones(5, bool))
    bad = _outcome(p, t, np.zeros(5, bool))
    np.testing.assert_allclose(good, t + 0.15 * (1 - t), rtol=1e-15)
    np.testing.assert_allclose(bad, t * 0.6, rtol=1e-15)
    mixed = _outcome(p, t, np.array([True, False, True, False, True]))
    np.testing.assert_allclose(mixed, np.where([True, False, True, False, True], good, bad))
    mid = np.array([0.5])
    assert (mid - _outcome(p, mid, [False])) > (_outcome(p, mid, [True]) - mid)
    d = kit.config().trust
    assert d.loss_bad_purchase > d.gain_good_purchase, "defaults: trust is lost faster than gained"


def test_purchase_outcome_disabled_returns_trust(kit):
    p = tr.prepare(kit.config(trust={"enabled": False}))
    t = np.array([0.1, 0.7])
    np.testing.assert_array_equal(_outcome(p, t, [True, False]), t)


def test_platform_warning_lowers_viewers_trust_only(kit):
    """Opening a folded block: T <- T (1 - l_warn) for the viewers, others unchanged."""
    _cfg, w = _trust_world(kit, 6, loss_warning=0.15)
    _fill(w, "trust", 0, 0.8)
    w.set("opened", 0, [2, 4], True)
    tr.platform_warning(w.params.trust, w.rel)
    np.testing.assert_allclose(w.get("trust")[0, 1:], [0.8, 0.68, 0.8, 0.68, 0.8], rtol=1e-15)
    w.clear_day()                                              # nobody opened the block
    tr.platform_warning(w.params.trust, w.rel)
    np.testing.assert_allclose(w.get("trust")[0, 1:], [0.8, 0.68, 0.8, 0.68, 0.8], rtol=1e-15)
    _fill(w, "trust", 0, 0.8)
    w.set("opened", 0, 1, True)
    tr.platform_warning(tr.prepare(kit.config(trust={"enabled": False})), w.rel)
    assert w.get("trust")[0, 1] == 0.8
