"""rules.purchase (trust gate, stimulus components, make_purchases) and rules.settle (settle)."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim._jit import seller_streams
from viralsim.model import pipeline, relations
from viralsim.model.outputs import BREAKDOWN, CHANNEL, CHANNELS, FLOW, STOCK_COLUMNS
from viralsim.model.rules import purchase as pu
from viralsim.model.rules import resell, settle, wom
from viralsim.model.rules._util import trust_gate
from viralsim.network import Topology

CH = {name: i for i, name in enumerate(CHANNELS)}
REFERRAL, RESELLER = CHANNEL.referral, CHANNEL.reseller
OFF = {"trust": {"enabled": False}, "annoyance": {"enabled": False}}


# ------------------------------------------------------------------------------------- helpers


def _index(w) -> np.ndarray:
    """(sellers, n) row of every relation, -1 where the pair has none."""
    rel, m = w.rel, w.state.n_relations
    idx = np.full((w.state.n_sellers, w.state.n), -1, dtype=np.int64)
    idx[rel.seller[:m], rel.node[:m]] = np.arange(m)
    return idx


def _rows(w, s, nodes) -> np.ndarray:
    """Rows of seller ``s``'s relations with ``nodes`` (made where missing), in the order given."""
    nodes = np.atleast_1d(np.asarray(nodes, dtype=np.int64))
    rows = _index(w)[s, nodes]
    missing = np.flatnonzero(rows < 0)
    if len(missing):
        rel = w.keep(relations.reserve(w.rel, len(missing)))
        for j in missing.tolist():
            rows[j] = relations.add_row(rel.index, rel.meta, rel.seller, rel.node, s, int(nodes[j]))
    return rows


def _put(w, name, s, nodes, value) -> None:
    """Relation column ``name`` of seller ``s`` and ``nodes`` := ``value`` (scalar or per node)."""
    rows = _rows(w, s, nodes)
    getattr(w.rel, name)[rows] = value


def _mask(w, s, mask) -> np.ndarray:
    """Nodes where the boolean ``mask`` (length n) holds, except seller ``s``'s own node."""
    mask = np.asarray(mask, dtype=bool) & (np.arange(w.state.n) != w.sellers.node[s])
    return np.flatnonzero(mask)


def _market(kit, n, n_sellers=1, sections=OFF, seed=0, **extra):
    """Sellers on nodes 0..n_sellers-1 of n isolated nodes, each with every other node as a
    (weak) contact; every consumer has a need."""
    cfg = kit.config(n_sellers=n_sellers, circle_size=n - 1, **{**sections, **extra})
    return cfg, kit.world(cfg, kit.empty(n), sellers=tuple(range(n_sellers)), seed=seed, need=True)


def _buy(w, par=None):
    """make_purchases as the day calls it; per seller (buyers, channels), buyers in node order."""
    w.views()
    n = w.state.n
    rows, chans = np.empty(n, np.int64), np.empty(n, np.int64)
    k = pu.make_purchases(w.key, w.today, w.params.purchase if par is None else par, w.people, w.sellers,
                          w.rel, rows, chans)
    rows, chans = rows[:k], chans[:k]
    seller, node = w.rel.seller[rows], w.rel.node[rows]
    return [(node[seller == s], chans[seller == s]) for s in range(w.state.n_sellers)]


# ---------------------------------------------------------------------------------- trust gate


@pytest.mark.parametrize("half,h", [(0.5, 2.0), (0.3, 4.0), (0.8, 1.0)])
def test_trust_gate_is_half_at_trust_half_and_monotone(kit, half, h):
    """G_T = T^h / (T^h + T_half^h): 0 at T = 0, 1/2 at T_half, increasing, < 1."""
    p = pu.prepare(kit.config(purchase={"trust_half": half, "trust_steepness": h}))
    gate = lambda t: trust_gate(float(t), p.steepness, p.half_h)  # noqa: E731
    assert gate(half) == pytest.approx(0.5, rel=1e-15)
    assert gate(0.0) == 0.0
    t = np.linspace(0.0, 1.0, 101)
    g = np.array([gate(x) for x in t])
    assert np.all(np.diff(g) > 0) and np.all(g < 1.0) and np.all(g >= 0.0)
    np.testing.assert_allclose(g, t ** h / (t ** h + half ** h), rtol=1e-12)


def test_trust_gate_nearly_closed_for_strangers(kit):
    """Defaults (T_half 0.5, h 2): a stranger at T = 0.05 passes ~1 %, the prior stranger 0.2 ~14 %."""
    p = pu.prepare(kit.config())
    assert trust_gate(0.05, p.steepness, p.half_h) < 0.011
    assert trust_gate(0.2, p.steepness, p.half_h) == pytest.approx(0.04 / 0.29, rel=1e-12)


def test_price_factor(kit):
    """pf = (P_ref / P)^eps: 1 at the reference price."""
    p = kit.config(purchase={"reference_price": 100.0, "price_elasticity": 2.0}).purchase
    assert pu.price_factor(100.0, p) == 1.0
    assert pu.price_factor(200.0, p) == pytest.approx(0.25)
    assert pu.price_factor(50.0, p) == pytest.approx(4.0)


# ------------------------------------------------------------------------------------ stimulus


def _components(w, s, i, pf=1.0, pf_ref=1.0, nov=1.0, face=0.0, brand=1.0):
    """rules.purchase.components of the (s, i) relation, with the arguments make_purchases passes
    (``nov`` the novelty N(D), ``face`` the face stimulus F, rules.face)."""
    r = _rows(w, s, [i])[0]
    rel = w.rel
    out = np.zeros(len(CHANNELS))          # (the last channel, group_buy, is no stimulus: it stays 0)
    total = pu.components(w.params.purchase, rel.seen_ad[r], rel.seen_prize[r], rel.seen_value[r] + rel.group_seen[r],
                          rel.messages[r], rel.replied[r], rel.in_group[r], w.sellers.group_activity[s],
                          rel.referral[r], rel.bought_friends[r], w.people.degree[i], rel.seen_reseller[r],
                          rel.seen_forward[r], rel.memory[r], pf, pf_ref, nov, face, brand, out)
    assert total == pytest.approx(out.sum(), rel=1e-15)
    return out


def test_stimulus_rows_follow_the_channel_formulas(kit):
    """Rows (CHANNELS order): a_ad W(X_ad), a_prize W(X_prize), a_value (X_value + X_group),
    a_msg M, a_reply [replied], a_group a [member], R, q bought_friends / max(degree, 1), a_ad W(X_resold) split
    between resellers' ads and forwards by what was read of each;
    each times pf, the referral pull at pf_ref."""
    cfg = kit.config(purchase={"ad_conversion": 0.02, "prize_conversion": 0.04, "value_conversion": 0.005,
                               "message_conversion": 0.05, "reply_conversion": 0.25, "group_conversion": 0.02,
                               "conformity": 0.3},
                     annoyance={"wearout_exposures": 10.0})
    w = kit.world(cfg, kit.star(6, center=1))       # node 1 has degree 5, others 1; seller at 0
    idx = [1, 2, 3]
    for name, values in (("memory", [0.0, 5.0, 20.0]), ("seen_ad", [3, 0, 10]), ("seen_prize", [1, 2, 0]),
                         ("seen_value", [2, 0, 1]), ("group_seen", [1, 1, 0]), ("messages", [0, 2, 1]),
                         ("replied", [True, False, True]), ("in_group", [False, True, True]),
                         ("referral", [0.06, 0.0, 0.01]), ("bought_friends", [2, 1, 0]),
                         ("seen_reseller", [0, 4, 1]), ("seen_forward", [0, 1, 0])):
        _put(w, name, 0, idx, values)
    w.sellers.group_activity[0] = 0.4
    comp = np.array([_components(w, 0, i) for i in idx]).T
    assert comp.shape == (len(CHANNELS), 3)
    e = np.array([0.0, 5.0, 20.0])
    W = lambda x: 10.0 * np.log((10.0 + e + x) / (10.0 + e))  # noqa: E731
    np.testing.assert_allclose(comp[CH["ad"]], 0.02 * W(np.array([3, 0, 10])), rtol=1e-12)
    np.testing.assert_allclose(comp[CH["prize"]], 0.04 * W(np.array([1, 2, 0])), rtol=1e-12)
    np.testing.assert_allclose(comp[CH["value"]], 0.005 * np.array([3, 1, 1]), rtol=1e-12)
    np.testing.assert_allclose(comp[CH["message"]], [0.0, 0.1, 0.05], rtol=1e-12)
    np.testing.assert_allclose(comp[CH["reply"]], [0.25, 0.0, 0.25], rtol=1e-12)
    np.testing.assert_allclose(comp[CH["group"]], [0.0, 0.008, 0.008], rtol=1e-12)
    np.testing.assert_allclose(comp[CH["referral"]], [0.06, 0.0, 0.01], rtol=1e-12)
    np.testing.assert_allclose(comp[CH["conformity"]], [0.3 * 2 / 5, 0.3 * 1 / 1, 0.0], rtol=1e-12)
    # friends' posts (reseller ads and forwards) wear out as one count, attributed by what was read of each
    np.testing.assert_allclose(comp[CH["reseller"]], 0.02 * W(np.array([0, 4, 1])) * [1.0, 0.75, 1.0], rtol=1e-12)
    np.testing.assert_allclose(comp[CH["forward"]], 0.02 * W(np.array([0, 4, 1])) * [0.0, 0.25, 0.0], rtol=1e-12)
    # price factors: every row times pf, except the referral pull, at pf_ref
    priced = np.array([_components(w, 0, i, pf=0.5, pf_ref=2.0) for i in idx]).T
    scale = np.full((len(CHANNELS), 1), 0.5)
    scale[CH["referral"]] = 2.0
    np.testing.assert_allclose(priced, comp * scale, rtol=1e-12)
    # novelty multiplies the seller's own ads and prize posts (not resellers' ads); face is its own row
    novel = np.array([_components(w, 0, i, nov=1.5, face=0.03) for i in idx]).T
    expected = comp.copy()
    expected[CH["ad"]] *= 1.5
    expected[CH["prize"]] *= 1.5
    expected[CH["face"]] = 0.03
    np.testing.assert_allclose(novel, expected, rtol=1e-12)


def test_stimulus_conformity_for_isolated_consumers_uses_degree_one(kit):
    cfg = kit.config(purchase={"conformity": 0.5})
    w = kit.world(cfg, kit.empty(3))
    _put(w, "bought_friends", 0, [2], 1)     # (cannot happen on this graph, but the formula is defined)
    assert w.people.degree[2] == 0
    assert _components(w, 0, 2)[CH["conformity"]] == 0.5


# ------------------------------------------------------------------------------ make_purchases


def test_no_stimulus_nobody_buys(kit):
    """Needs but no stimulus (nothing seen, or only life posts): no purchase, needs kept."""
    _, w = _market(kit, 200, sections={})
    _put(w, "seen_life", 0, range(1, 100), 3)
    _put(w, "touched", 0, range(1, 100), True)
    out = _buy(w)
    assert len(out) == 1 and len(out[0][0]) == 0
    assert w.state.need.all()


def test_sure_stimulus_everybody_with_a_need_buys_blocked_never(kit):
    """p = min(1, stimulus) = 1: every needy, unblocked consumer buys; blocked p = 0; no need, no buy."""
    _, w = _market(kit, 300, purchase={"message_conversion": 1.0})
    _put(w, "messages", 0, range(1, 300), 1)
    _put(w, "touched", 0, range(1, 300), True)
    _put(w, "blocked", 0, range(1, 50), True)
    w.state.need[250:] = False
    out = _buy(w)
    np.testing.assert_array_equal(out[0][0], np.arange(50, 250))
    assert np.all(out[0][1] == CH["message"])
    assert not w.state.need[50:250].any(), "a purchase clears the need"
    assert w.state.sated[50:250].all() and not w.state.sated[:50].any() and not w.state.sated[250:].any(), \
        "the buyers, and only they, are sated"
    assert w.state.need[1:50].all(), "blocked consumers keep their need"
    assert w.state.need[0], "the seller's own node (no relation with her) kept hers"


def test_no_satiation_without_a_consumption_period(kit):
    """consumption_days 0 (and always_need) switch satiation off: buyers are never sated."""
    for purchase in ({"consumption_days": 0.0}, {"always_need": True}):
        _, w = _market(kit, 50, purchase={"message_conversion": 1.0, **purchase})
        _put(w, "messages", 0, range(1, 50), 1)
        _put(w, "touched", 0, range(1, 50), True)
        out = _buy(w)
        assert len(out[0][0]) == 49 and not w.state.sated.any()


def test_always_need_is_not_cleared(kit):
    _, w = _market(kit, 50, purchase={"message_conversion": 1.0, "always_need": True})
    _put(w, "messages", 0, range(1, 50), 1)
    _put(w, "touched", 0, range(1, 50), True)
    out = _buy(w)
    assert len(out[0][0]) == 49 and w.state.need[1:].all()


def test_zero_trust_closes_the_gate(kit):
    """With trust gating, T = 0 gives p = 0 whatever the stimulus."""
    _, w = _market(kit, 50, sections={"annoyance": {"enabled": False}}, purchase={"message_conversion": 1.0})
    _put(w, "trust", 0, range(1, 50), 0.0)
    _put(w, "messages", 0, range(1, 50), 1)
    _put(w, "touched", 0, range(1, 50), True)
    assert len(_buy(w)[0][0]) == 0


def test_a_gate_of_zero_over_zero_is_shut_and_leaves_other_sellers_open(kit):
    """T_half = 0 and T = 0 toward seller 0: T^h / (T^h + T_half^h) is 0 / 0, a closed gate (it
    was NaN, which made every seller's purchase impossible); seller 1, trusted, sells to all."""
    _, w = _market(kit, 60, n_sellers=2, sections={"annoyance": {"enabled": False}},
                     purchase={"message_conversion": 1.0, "trust_half": 0.0})
    for s, t in ((0, 0.0), (1, 0.5)):
        others = _mask(w, s, np.ones(60, bool))
        _put(w, "trust", s, others, t)
        _put(w, "messages", s, range(2, 60), 1)
        _put(w, "touched", s, range(2, 60), True)
    out = _buy(w)
    assert len(out[0][0]) == 0
    np.testing.assert_array_equal(out[1][0], np.arange(2, 60))


def test_a_vanishing_wearout_scale_gives_ads_no_pull(kit):
    """E_w = 5e-324: X / E_w overflows, and E_w ln(1 + inf) was inf; with a zero ad conversion
    that made a NaN stimulus, which bought with certainty. W tends to 0 instead: nobody buys."""
    cfg, w = _market(kit, 80, sections={"trust": {"enabled": False}},
                     purchase={"ad_conversion": 0.0, "prize_conversion": 0.0})
    # below the schema's floor (0.01), which no config can give: the rule stays safe regardless
    cfg = cfg.model_copy(update={"annoyance": cfg.annoyance.model_copy(update={"wearout_exposures": 5e-324})})
    par = pu.prepare(cfg)
    assert par.wearout == 5e-324
    _put(w, "seen_ad", 0, range(1, 80), 5)
    _put(w, "seen_prize", 0, range(1, 80), 2)
    _put(w, "touched", 0, range(1, 80), True)
    assert len(_buy(w, par)[0][0]) == 0


def test_conformity_only_purchase_rate_is_q_times_share(kit):
    """Trust and annoyance off, only conformity: P(buy) = q x (friends who bought) / degree (Bass q F)."""
    n = 20_001
    cfg = kit.config(purchase={"conformity": 0.3}, **OFF)
    w = kit.world(cfg, Topology.complete_graph(n), seed=5, need=True)
    _put(w, "bought_friends", 0, range(1, n), 10_000)     # half of the 20 000 friends bought
    _put(w, "engaged", 0, range(1, n), True)              # (as settle marks friends of buyers)
    out = _buy(w)
    p = 0.3 * 0.5
    kit.within(len(out[0][0]) / (n - 1), p, kit.binom_sd(p, n - 1))
    assert np.all(out[0][1] == CH["conformity"])


@pytest.mark.parametrize("gate", ["trust", "annoyance"])
def test_gates_halve_the_purchase_probability(kit, gate):
    """G_T = 1/2 at T = T_half; G_A = 1 / (1 + A / A_half) = 1/2 at A = A_half (statistical)."""
    n = 20_001
    sections = {"trust": {"enabled": gate == "trust"},
                "annoyance": {"enabled": gate == "annoyance", "half_effect": 40.0}}
    _, w = _market(kit, n, sections=sections, seed=2, purchase={"message_conversion": 0.6, "trust_half": 0.5})
    _put(w, "trust", 0, range(1, n), 0.5)
    _put(w, "annoyance", 0, range(1, n), 40.0)
    _put(w, "messages", 0, range(1, n), 1)
    _put(w, "touched", 0, range(1, n), True)
    out = _buy(w)
    kit.within(len(out[0][0]) / (n - 1), 0.3, kit.binom_sd(0.3, n - 1))


def test_price_and_referral_discount_scale_the_stimulus(kit):
    """pf = (P_ref/P)^eps on the stimulus, pf_ref at the discounted price on the referral pull."""
    n = 20_001
    _, w = _market(kit, n, seed=4,
                     purchase={"message_conversion": 0.5, "reference_price": 100.0, "price_elasticity": 1.0})
    w.set_strategy(0, product={"price": 200.0}, referral_reward=0.5)
    half = np.arange(n) % 2 == 1
    odd, even = _mask(w, 0, half), _mask(w, 0, ~half)
    _put(w, "messages", 0, odd, 1)               # p = 0.5 x 100/200 = 0.25
    _put(w, "touched", 0, odd, True)
    _put(w, "referral", 0, even, 0.2)            # p = 0.2 x 100/(200 x 0.5) = 0.2
    _put(w, "engaged", 0, even, True)            # (as wom.recommend marks receivers)
    b, ch = _buy(w)[0]
    kit.within(np.isin(b, odd).sum() / len(odd), 0.25, kit.binom_sd(0.25, len(odd)))
    kit.within(np.isin(b, even).sum() / len(even), 0.2, kit.binom_sd(0.2, len(even)))
    assert np.all(ch[~half[b]] == REFERRAL)
    assert np.all(ch[half[b]] == CH["message"])


def test_channel_attribution_is_proportional_to_stimulus(kit):
    """Message 0.2 + reply 0.6 => p = 0.8 and a quarter of purchases attributed to the message."""
    n = 20_001
    _, w = _market(kit, n, seed=9, purchase={"message_conversion": 0.2, "reply_conversion": 0.6})
    for name, value in (("messages", 1), ("replied", True), ("touched", True)):
        _put(w, name, 0, range(1, n), value)
    b, ch = _buy(w)[0]
    m = len(b)
    kit.within(m / (n - 1), 0.8, kit.binom_sd(0.8, n - 1))
    assert set(np.unique(ch)) <= {CH["message"], CH["reply"]}
    kit.within(np.mean(ch == CH["message"]), 0.25, kit.binom_sd(0.25, m))


def test_competing_sellers_share_one_need(kit):
    """p0 = 0.3, p1 = 0.1: P(buy) = 1 - 0.7 x 0.9, seller 0 chosen with probability 0.3/0.4,
    and nobody buys from both sellers on the same day."""
    n = 30_002
    _, w = _market(kit, n, n_sellers=2, seed=3, purchase={"message_conversion": 0.1})
    for s, msgs in ((0, 3), (1, 1)):
        _put(w, "messages", s, range(2, n), msgs)
        _put(w, "touched", s, range(2, n), True)
    out = _buy(w)
    b0, b1 = out[0][0], out[1][0]
    assert len(np.intersect1d(b0, b1)) == 0, "a consumer bought from two sellers in one day"
    m = n - 2
    total = len(b0) + len(b1)
    kit.within(total / m, 1 - 0.7 * 0.9, kit.binom_sd(0.37, m))
    kit.within(len(b0) / total, 0.75, kit.binom_sd(0.75, total))
    assert not w.state.need[np.concatenate([b0, b1])].any()


def test_blocked_seller_loses_the_need_to_the_rival(kit):
    """Both sellers offer p = 1, seller 0 is blocked: everybody buys from seller 1."""
    _, w = _market(kit, 102, n_sellers=2, purchase={"message_conversion": 1.0})
    for s in (0, 1):
        _put(w, "messages", s, range(2, 102), 1)
        _put(w, "touched", s, range(2, 102), True)
    _put(w, "blocked", 0, range(2, 102), True)
    out = _buy(w)
    assert len(out[0][0]) == 0 and len(out[1][0]) == 100


def test_impulse_buys_only_from_the_advertising_seller(kit):
    """Without a category need, an impulse toward seller 0 allows purchases from seller 0 only."""
    _, w = _market(kit, 102, n_sellers=2, purchase={"message_conversion": 1.0})
    w.state.need[:] = False
    for s in (0, 1):
        _put(w, "messages", s, range(2, 102), 1)
        _put(w, "touched", s, range(2, 102), True)
    _put(w, "impulse", 0, range(2, 52), True)
    out = _buy(w)
    np.testing.assert_array_equal(out[0][0], np.arange(2, 52))
    assert len(out[1][0]) == 0


def test_a_seller_node_buys_from_the_other_sellers(kit):
    """Sellers are consumers of the other sellers: seller 1's node buys from seller 0 (and the
    purchase clears her need), never from herself."""
    _, w = _market(kit, 10, n_sellers=2, purchase={"message_conversion": 1.0})
    _put(w, "messages", 0, [1], 1)
    _put(w, "touched", 0, [1], True)
    out = _buy(w)
    np.testing.assert_array_equal(out[0][0], [1])
    assert len(out[1][0]) == 0 and not w.state.need[1] and w.state.need[0]


def test_one_time_adoption_excludes_former_customers_and_kol_seeds(kit):
    """repurchase: false gives p = 0 to former customers and to the seller's KOL seeds (root = self);
    a consumer rooted in someone else's tree without a purchase still buys. repurchase: true: all buy."""
    for repurchase in (False, True):
        _, w = _market(kit, 60, purchase={"message_conversion": 1.0, "repurchase": repurchase})
        _put(w, "messages", 0, range(1, 60), 1)
        _put(w, "touched", 0, range(1, 60), True)
        _put(w, "purchases", 0, range(10, 20), 1)
        _put(w, "root", 0, range(20, 30), np.arange(20, 30))
        _put(w, "root", 0, range(30, 40), 5)
        out = _buy(w)
        expect = np.arange(1, 60) if repurchase else np.r_[1:10, 30:60]
        np.testing.assert_array_equal(out[0][0], expect)


def _wear(x, e, cfg):
    """W(X) of rules.annoyance.wear_out (X itself with annoyance off), written out in NumPy."""
    if not cfg.annoyance.enabled:
        return x.astype(float)
    ew = cfg.annoyance.wearout_exposures
    return ew * np.log1p(x / (ew + e))


def _expected_purchases(w, cfg, dense):
    """The purchase probabilities of make_purchases' docstring, written out in NumPy from the
    dense relation columns ``dense`` (a dict of (sellers, n) matrices)."""
    pc = cfg.purchase
    n_s, n = dense["trust"].shape
    sellers = w.sellers
    probs = np.zeros((n_s, n))
    comps = []
    i = np.arange(n)
    for s in range(n_s):
        d = {k: v[s] for k, v in dense.items()}
        pf, pf_ref = pu.price_factor(sellers.price[s], pc), pu.price_factor(
            sellers.price[s] * (1 - sellers.reward[s]), pc)
        comp = np.zeros((len(CHANNELS), n))
        comp[CH["ad"]] = pc.ad_conversion * _wear(d["seen_ad"], d["memory"], cfg)
        comp[CH["prize"]] = pc.prize_conversion * _wear(d["seen_prize"], d["memory"], cfg)
        comp[CH["value"]] = pc.value_conversion * (d["seen_value"] + d["group_seen"])
        comp[CH["message"]] = pc.message_conversion * d["messages"]
        comp[CH["reply"]] = pc.reply_conversion * d["replied"]
        comp[CH["group"]] = pc.group_conversion * sellers.group_activity[s] * d["in_group"]
        comp[CH["referral"]] = d["referral"] * pf_ref / pf
        comp[CH["conformity"]] = pc.conformity * d["bought_friends"] / np.maximum(w.people.degree, 1.0)
        friends = pc.ad_conversion * _wear(d["seen_reseller"], d["memory"], cfg)
        fwd = np.divide(d["seen_forward"], d["seen_reseller"], out=np.zeros(n), where=d["seen_reseller"] > 0)
        comp[CH["reseller"]] = friends * (1.0 - fwd)
        comp[CH["forward"]] = friends * fwd
        comp *= pf
        t = d["trust"]
        h = pc.trust_steepness
        p = np.minimum(1.0, comp.sum(axis=0)) * t ** h / (t ** h + pc.trust_half ** h)
        p /= 1.0 + d["annoyance"] / cfg.annoyance.half_effect
        p[d["blocked"] | ~(w.state.need | d["impulse"]) | ~(d["engaged"] | d["touched"])] = 0.0
        p[(d["purchases"] > 0) | (d["root"] == i)] = 0.0
        p[i == sellers.node[s]] = 0.0                     # (no relation with her own node)
        probs[s] = p
        comps.append(comp)
    p_any = 1.0 - np.prod(1.0 - probs, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        from_s = np.nan_to_num(p_any * probs / probs.sum(axis=0))            # P(buys from s)
    return probs, comps, from_s


def test_heterogeneous_market_matches_the_formula(kit):
    """Random needs, impulses, exposures, memories, trust, annoyance, blocks and former customers,
    two sellers with different prices (each seller's node a consumer of the other), friends' posts partly
    resellers' ads and partly forwards: purchases per
    seller and per (seller, channel) match the docstring's p_s (written out in NumPy) within 5 sd."""
    n, rs = 100_001, np.random.default_rng(11)
    cfg, w = _market(kit, n, n_sellers=2, sections={}, seed=8, purchase={
        "ad_conversion": 0.08, "prize_conversion": 0.1, "value_conversion": 0.06, "message_conversion": 0.2,
        "reply_conversion": 0.4, "group_conversion": 0.3, "conformity": 0.15, "repurchase": False,
        "reference_price": 100.0, "price_elasticity": 1.2, "trust_half": 0.3}, annoyance={"half_effect": 30.0},
        sellers={"s0": {"product": {"price": 150.0}, "referral_reward": 0.3}, "s1": {"product": {"price": 80.0}}})
    w.sellers.group_activity[:] = [0.5, 0.3]
    assert w.sellers.pf_ref[0] > 1.5 * w.sellers.pf[0] and w.sellers.pf[1] > 1.0
    shape = (2, n)
    c = np.arange(n)[None, :] != np.array([[0], [1]])          # pairs with a relation
    w.state.need[:] = rs.random(n) < 0.7
    dense = {"impulse": (rs.random(shape) < 0.1) & c}
    for name, hi in (("seen_ad", 6), ("seen_prize", 3), ("seen_value", 3), ("group_seen", 2), ("messages", 2),
                     ("seen_reseller", 3)):
        dense[name] = rs.integers(0, hi, shape) * (rs.random(shape) < 0.5) * c
    # of the friends' posts read, some are forwards (rules.forward): seen_forward <= seen_reseller
    dense["seen_forward"] = rs.binomial(dense["seen_reseller"], 0.5)
    dense["replied"] = (rs.random(shape) < 0.1) & c
    dense["touched"] = sum(dense[k] for k in ("seen_ad", "seen_prize", "seen_value", "group_seen", "messages",
                                              "seen_reseller")) > 0
    dense["touched"] |= dense["replied"]
    dense["in_group"] = (rs.random(shape) < 0.2) & c
    dense["referral"] = rs.uniform(0, 0.4, shape) * (rs.random(shape) < 0.3) * c
    dense["bought_friends"] = rs.integers(0, 3, shape) * c
    dense["engaged"] = dense["in_group"] | (dense["referral"] > 0) | (dense["bought_friends"] > 0)
    dense["memory"] = rs.uniform(0, 20, shape)
    dense["trust"] = rs.uniform(0.2, 1, shape)
    dense["annoyance"] = rs.uniform(0, 30, shape)
    dense["blocked"] = (rs.random(shape) < 0.05) & c
    dense["purchases"] = ((rs.random(shape) < 0.05) & c).astype(np.int32)
    dense["root"] = np.full(shape, -1)
    seeds = rs.choice(np.flatnonzero(c[0]), 1000, replace=False)
    dense["root"][0, seeds] = seeds
    idx = _index(w)
    assert np.all((idx >= 0) == c)
    for name, values in dense.items():
        getattr(w.rel, name)[idx[c]] = values[c]
    for name in dense:
        np.testing.assert_array_equal(w.get(name)[c], dense[name][c])
    probs, comps, from_s = _expected_purchases(w, cfg, dense)
    need_before = w.state.need.copy()
    out = _buy(w)
    for s in range(2):
        b, ch = out[s]
        assert np.all(probs[s, b] > 0), "a purchase from a seller with p_s = 0"
        assert np.all(comps[s][ch, b] > 0), "a purchase attributed to a channel without stimulus"
        assert np.all(np.diff(b) > 0)
        q = from_s[s]
        kit.within(len(b), q.sum(), np.sqrt((q * (1 - q)).sum()))
        total = comps[s].sum(axis=0)
        for k in range(len(CHANNELS)):
            share = np.divide(comps[s][k], total, out=np.zeros_like(total), where=total > 0)
            qk = q * share
            kit.within(np.count_nonzero(ch == k), qk.sum(), np.sqrt((qk * (1 - qk)).sum()) + 1e-9)
    assert len(np.intersect1d(out[0][0], out[1][0])) == 0
    bought = np.concatenate([out[0][0], out[1][0]])
    assert not w.state.need[bought].any()
    unchanged = np.ones(n, bool)
    unchanged[bought] = False
    np.testing.assert_array_equal(w.state.need[unchanged], need_before[unchanged])


# ---------------------------------------------------------------------------------------- settle


def _settle_world(kit, n=8, topo=None, seed=0, **sections):
    cfg = kit.config(**sections)
    return cfg, kit.world(cfg, topo if topo is not None else kit.path(n), seed=seed)


def _settle(w, buyers, channels, s=0):
    """settle as the day calls it, for seller ``s``'s ``buyers`` (their relations made if missing).
    Returns (satisfied, the day's cascade links)."""
    rows = _rows(w, s, buyers)
    channels = np.asarray(channels, dtype=np.int64)
    satisfied = np.zeros(len(rows), dtype=bool)
    rs = seller_streams(w.key, w.today, settle.STREAM, w.state.n_sellers)[s]
    rs_rupture = seller_streams(w.key, w.today, settle.STREAM_RUPTURE, w.state.n_sellers)[s]
    rs_resell = seller_streams(w.key, w.today, resell.STREAM, w.state.n_sellers)[s]
    links = np.empty((4, len(rows)), dtype=np.int64)
    rel, links, k = settle.settle(s, rows, channels, satisfied, w.params.trust, w.params.settle, w.today,
                                  w.state.graph, w.people, w.sellers, w.rel, rs, rs_rupture, rs_resell, w.flows,
                                  w.breakdowns, links, 0)
    w.keep(rel)
    return satisfied, links[:, :k]


def test_revenue_with_referral_discount_and_reseller_commission(kit):
    """Revenue = sum of price (x (1 - reward) for referral buys); cost = unit cost each + commission
    x price for reseller buys."""
    _, w = _settle_world(kit)
    w.set_strategy(0, product={"price": 100.0, "unit_cost": 40.0}, referral_reward=0.2, reseller_commission=0.3)
    buyers, channels = [2, 3, 4, 5, 6], [REFERRAL, CH["ad"], RESELLER, CH["message"], RESELLER]
    _settle(w, buyers, channels)
    assert w.flows[FLOW.revenue, 0] == pytest.approx(80 + 100 + 100 + 100 + 100)
    assert w.flows[FLOW.cost, 0] == pytest.approx(5 * 40 + 2 * 100 * 0.3)
    assert w.flows[FLOW.purchases, 0] == 5 and w.flows[FLOW.purchases_wom, 0] == 1
    np.testing.assert_array_equal(w.breakdowns[0, BREAKDOWN.channels:BREAKDOWN.channels + len(CHANNELS)],
                                  np.bincount(channels, minlength=len(CHANNELS)))
    np.testing.assert_array_equal(w.get("purchases")[0, buyers], 1)
    assert w.get("aware")[0, buyers].all()
    np.testing.assert_array_equal(w.get("root")[0, buyers], buyers)      # every purchase a first one


def test_settle_trust_outcome_by_quality(kit):
    """quality 1: all satisfied, T + g (1 - T); quality 0: all dissatisfied, T (1 - l)."""
    for quality, expect in ((1.0, 0.4 + 0.15 * 0.6), (0.0, 0.4 * 0.6)):
        _, w = _settle_world(kit, trust={"gain_good_purchase": 0.15, "loss_bad_purchase": 0.4})
        w.set_strategy(0, product={"quality": quality})
        _put(w, "trust", 0, [1, 2, 3, 4], 0.4)
        satisfied, _ = _settle(w, [2, 3], [0, 0])
        assert satisfied.all() == (quality == 1.0) and satisfied.any() == (quality == 1.0)
        np.testing.assert_allclose(w.get("trust")[0, [2, 3]], expect, rtol=1e-15)
        assert w.get("trust")[0, 4] == 0.4


def test_satisfaction_rate_is_quality(kit):
    n = 20_001
    _, w = _settle_world(kit, topo=kit.empty(n), seed=1)
    w.set_strategy(0, product={"quality": 0.7})
    satisfied, _ = _settle(w, np.arange(1, n), np.zeros(n - 1))
    kit.within(satisfied.mean(), 0.7, kit.binom_sd(0.7, n - 1))


def test_first_referral_purchase_joins_the_parents_cascade(kit):
    """Child bought via a referral from parent p with root r: root(child) = r, log (s, p, child, day);
    a first non-referral purchase starts its own tree; a repeat purchase changes nothing."""
    _, w = _settle_world(kit, n=10)
    w.state.day = 17
    p, r = 3, 6
    _put(w, "purchases", 0, [p], 1)
    _put(w, "root", 0, [p], r)
    _put(w, "referrer", 0, [4, 5], p)
    _, links = _settle(w, [4, 5, 7], [REFERRAL, CH["ad"], CH["ad"]])
    root = w.get("root")[0]
    assert root[4] == r, "referral child inherits the parent's root"
    assert root[5] == 5, "non-referral first purchase roots its own tree (referrer ignored)"
    assert root[7] == 7
    np.testing.assert_array_equal(links, [[0], [p], [4], [17]])
    np.testing.assert_array_equal(w.get("purchases")[0, [4, 5, 7]], [1, 1, 1])
    # repeat purchase via referral: no new link, root kept
    _put(w, "referrer", 0, [7], p)
    _, links = _settle(w, [7], [REFERRAL])
    assert links.shape == (4, 0) and w.get("root")[0, 7] == 7
    assert w.get("purchases")[0, 7] == 2


def test_referral_from_a_rootless_parent_roots_at_the_parent(kit):
    """Parent 3 has no root (no relation with the seller at all, or one without a purchase): the
    child is rooted at the parent."""
    for parent_related in (False, True):
        _, w = _settle_world(kit, n=10)
        if parent_related:
            _put(w, "aware", 0, [3], True)
        _put(w, "referrer", 0, [4], 3)
        _, links = _settle(w, [4], [REFERRAL])
        assert w.get("root")[0, 4] == 3
        np.testing.assert_array_equal(links[:3, 0], [0, 3, 4])


def test_bought_friends_counts_first_time_buyers_only(kit):
    """Friends of first-time buyers gain one 'friend who bought'; repeat buyers add nothing; the
    seller's own node never counts (she has no relation with herself)."""
    _, w = _settle_world(kit, topo=kit.star(6, center=2))        # 2 is everybody's friend
    _settle(w, [3, 4], [0, 0])
    expect = np.zeros(6, int)
    expect[2] = 2
    np.testing.assert_array_equal(w.get("bought_friends")[0], expect)
    _settle(w, [3], [0])                                          # repeat: nothing new
    np.testing.assert_array_equal(w.get("bought_friends")[0], expect)
    _settle(w, [2], [0])                                          # the hub buys: all neighbours + 1
    np.testing.assert_array_equal(w.get("bought_friends")[0], [0, 1, 2, 1, 1, 1])
    assert relations.find(w.rel, 0, 0) == -1
    w.state.check_invariants()


def test_no_conformity_no_count_of_friends_who_bought(kit):
    """With conformity 0 the count pulls nobody, so it is not kept: a first-time buyer's friends
    neither count her nor get a relation for it (on a path, buyers 4 and 6 would give 3, 5 and 7
    a count and a relation, as with conformity on). An event that turns conformity on later
    keeps it counted from day 0 (a pull must not lose the buyers before it)."""
    for conformity, friends in ((0.0, set()), (0.1, {3, 5, 7})):
        _, w = _settle_world(kit, n=8, purchase={"conformity": conformity})
        assert w.params.settle.count_bought is (conformity > 0)

        def related(w=w):
            return {i for i in range(8) if relations.find(w.rel, 0, i) >= 0}

        before = related()
        _settle(w, [4, 6], [0, 0])
        assert related() == before | {4, 6} | friends
        assert set(np.flatnonzero(w.get("bought_friends")[0])) == friends
        assert set(np.flatnonzero(w.get("engaged")[0])) == friends
        w.state.check_invariants()
    for events, counted in (([{"day": 60, "set": {"purchase.conformity": 0.3}}], True),
                            ([{"day": 60, "set": {"wom.recommend_prob": 0.3}}], False)):
        cfg = kit.config(purchase={"conformity": 0.0}, events=events)
        assert settle.prepare(cfg).count_bought is counted


def test_bought_friends_on_a_complete_graph(kit):
    """Complete graph: everybody but the buyer (and the seller) gains one (and is engaged);
    resellers likewise."""
    cfg = kit.config()
    w = kit.world(cfg, Topology.complete_graph(7))
    _settle(w, [3], [0])
    np.testing.assert_array_equal(w.get("bought_friends")[0], [0, 1, 1, 0, 1, 1, 1])
    np.testing.assert_array_equal(w.get("engaged")[0], w.get("bought_friends")[0] > 0)
    _settle(w, [5], [0])
    np.testing.assert_array_equal(w.get("bought_friends")[0], [0, 2, 2, 1, 2, 1, 2])
    assert w.get("engaged")[0, 1:].all()
    w.set_strategy(0, product={"quality": 1.0}, reseller_prob=1.0)
    _settle(w, [2, 6], [0, 0])
    np.testing.assert_array_equal(w.get("reseller_friends")[0], [0, 2, 1, 2, 2, 2, 1])
    assert relations.find(w.rel, 0, 0) == -1
    w.state.check_invariants()


def test_reseller_recruitment(kit):
    """reseller_prob = 1 and quality = 1: every buyer becomes a reseller and her friends count her;
    quality = 0: nobody (only satisfied buyers resell)."""
    _, w = _settle_world(kit, n=8)
    w.set_strategy(0, product={"quality": 1.0}, reseller_prob=1.0)
    _settle(w, [3, 6], [0, 0])
    np.testing.assert_array_equal(np.flatnonzero(w.get("reseller")[0]), [3, 6])
    np.testing.assert_array_equal(w.get("reseller_friends")[0], [0, 0, 1, 0, 1, 1, 0, 1])
    _settle(w, [3], [0])          # already a reseller: not counted twice
    np.testing.assert_array_equal(w.get("reseller_friends")[0], [0, 0, 1, 0, 1, 1, 0, 1])
    _, w = _settle_world(kit, n=8)
    w.set_strategy(0, product={"quality": 0.0}, reseller_prob=1.0)
    _settle(w, [3, 6], [0, 0])
    assert not w.get("reseller").any() and not w.get("reseller_friends").any()


def test_reseller_recruitment_rate(kit):
    n = 20_001
    _, w = _settle_world(kit, topo=kit.empty(n), seed=3)
    w.set_strategy(0, product={"quality": 1.0}, reseller_prob=0.1)
    _settle(w, np.arange(1, n), np.zeros(n - 1))
    kit.within(w.get("reseller")[0].sum() / (n - 1), 0.1, kit.binom_sd(0.1, n - 1))


def test_cascade_roots_kept_but_log_skipped_without_tracing(kit):
    """trace_cascades = False: roots are still linked, no (parent, child) rows are logged (the day
    drops settle's links; with tracing on, the same day logs the link)."""
    for trace in (False, True):
        cfg = kit.config(trace_cascades=trace, purchase={"always_need": True}, **OFF)
        w = kit.world(cfg, kit.path(10), need=True)
        assert w.state.trace_cascades == trace
        _put(w, "root", 0, [3], 6)
        _put(w, "referrer", 0, [4], 3)
        _put(w, "referral", 0, [4], 100.0)        # a sure referral purchase after the day's decay
        _put(w, "engaged", 0, [4], True)
        w.views()
        st = w.state
        rel, links = pipeline.run_day(st.key, st.day, False, st.trace_cascades, w.params, st.graph, st.people,
                                      st.sellers, w.plans, st.rel, st.degree_order, w.flows, w.breakdowns,
                                      np.zeros((st.n_sellers, len(STOCK_COLUMNS))), st.group_buys)
        w.keep(rel)
        assert w.get("root")[0, 4] == 6 and w.get("purchases")[0, 4] == 1
        assert w.flows[FLOW.purchases, 0] == 1 and w.flows[FLOW.purchases_wom, 0] == 1
        np.testing.assert_array_equal(links, [[0], [3], [4], [0]] if trace else np.empty((4, 0)))


def test_friends_of_first_buyers_become_engaged(kit):
    """Friends with bought_friends > 0 are marked engaged, so conformity can reach them on days
    without any contact (State invariant: bought_friends > 0 implies engaged)."""
    _, w = _settle_world(kit, n=8)
    _settle(w, [4], [0])
    np.testing.assert_array_equal(np.flatnonzero(w.get("engaged")[0]), [3, 5])
    w.state.check_invariants()


def test_a_recommendation_alone_can_sell(kit):
    """No post or message today: a recommendation's pull R (beta_s = 1) makes a needy friend buy,
    attributed to the referral channel, with the referral discount in the price factor."""
    topo = kit.edges(5, [(1, 2), (1, 3)])
    cfg = kit.config(wom={"strong_persuasion": 1.0}, **OFF)
    w = kit.world(cfg, topo, need=True)
    w.state.need[3] = False
    rs = seller_streams(w.key, w.today, wom.STREAM, 1)[0]
    rel, strong, weak, _told = wom.recommend(0, 0, np.array([1]), 1.0, w.params.wom, w.state.graph, w.people, w.rel,
                                             rs)
    w.keep(rel)
    assert (strong, weak) == (2, 0)
    b, ch = _buy(w)[0]
    np.testing.assert_array_equal(b, [2])
    np.testing.assert_array_equal(ch, [REFERRAL])


def test_no_buyers_settle_to_nothing(kit):
    _, w = _settle_world(kit)
    before = w.get("trust").copy()
    size = w.state.n_relations
    satisfied, links = _settle(w, [], [])
    assert len(satisfied) == 0 and satisfied.dtype == bool and links.shape == (4, 0)
    assert not w.flows.any() and not w.breakdowns.any()
    np.testing.assert_array_equal(w.get("trust"), before)
    assert not w.get("purchases").any() and not w.get("bought_friends").any()
    assert w.state.n_relations == size


def test_a_parent_buying_first_today_roots_children_as_before_her_purchase(kit):
    """Roots are read before today's are written: a child referred by a parent who also makes her
    first purchase today (rootless until now) is rooted at the parent, whatever the buyers' order."""
    for order in ([3, 4], [4, 3]):
        _, w = _settle_world(kit, n=10)
        _put(w, "root", 0, [6], 6)
        _put(w, "referrer", 0, [3, 4], [6, 3])
        _, links = _settle(w, order, [REFERRAL, REFERRAL])
        root = w.get("root")[0]
        assert root[3] == 6 and root[4] == 3
        assert sorted(map(tuple, links.T.tolist())) == [(0, 3, 4, 0), (0, 6, 3, 0)]


# ------------------------------------------------------- satisfaction from value for money, rupture


@pytest.mark.parametrize(("product", "expect"), [
    ({"quality": 0.7}, 0.7),                                        # honest, fair price: quality
    ({"quality": 0.7, "hype": 0.2}, 0.5),                           # oversold by 0.2
    ({"quality": 0.7, "price": 200.0}, 0.7 - 0.2 * np.log(2.0)),    # twice the reference price
    ({"quality": 0.7, "price": 50.0}, 0.7 + 0.2 * np.log(2.0)),     # a bargain
    ({"quality": 0.7, "hype": 0.3, "price": 1000.0}, 0.0),          # clipped at 0
])
def test_satisfaction_is_value_for_money(kit, product, expect):
    """P(satisfied) = clip(q - h - k_p ln(p / p_ref), 0, 1) (k_p = 0.2, p_ref = 100), to 5
    binomial standard errors over 20,000 purchases."""
    n = 20_001
    _, w = _settle_world(kit, topo=kit.empty(n), seed=1, purchase={"value_price_weight": 0.2})
    w.set_strategy(0, product=product)
    satisfied, _ = _settle(w, np.arange(1, n), np.zeros(n - 1))
    kit.within(satisfied.mean(), expect, max(kit.binom_sd(expect, n - 1), 1e-9))


def test_an_honest_fair_seller_draws_what_quality_alone_drew(kit):
    """hype 0 at the reference price: satisfied iff u < q, the same draws as the rule before
    value for money, whatever the price weight."""
    n = 2_001
    outcomes = []
    for k_p in (0.0, 0.2, 1.5):
        _, w = _settle_world(kit, topo=kit.empty(n), seed=2, purchase={"value_price_weight": k_p})
        w.set_strategy(0, product={"quality": 0.6})
        outcomes.append(_settle(w, np.arange(1, n), np.zeros(n - 1))[0])
    np.testing.assert_array_equal(outcomes[0], outcomes[1])
    np.testing.assert_array_equal(outcomes[0], outcomes[2])


@pytest.mark.parametrize(("quality", "hype", "trust", "tie", "expect"), [
    (0.0, 0.0, 0.2, 2, 0.5 * 0.8),       # gap = u: E min(1, gap) = 1/2; buffer 1 - 0.2
    (0.0, 0.0, 0.6, 3, 0.5 * 0.4),       # a trusted strong tie breaks half as often
    (0.0, 0.5, 0.2, 1, 0.875 * 0.8),     # gap = 0.5 + u: E min(1, gap) = 0.875
    (0.5, 0.0, 0.0, 2, 0.125),           # dissatisfied iff u > 0.5, then gap = u - 0.5: P = 1/2 x 1/4
])
def test_rupture_probability(kit, quality, hype, trust, tie, expect):
    """A dissatisfied contact blocks the seller with probability r_max x min(1, gap) x (1 - T)
    (r_max = 1): per purchase, over 20,000 contacts, to 5 binomial standard errors; the flow and
    the breakdown by tie count exactly the blocked ones, who leave the groups."""
    n = 20_001
    _, w = _settle_world(kit, topo=kit.empty(n), seed=4, ties={"rupture_max": 1.0})
    w.set_strategy(0, product={"quality": quality, "hype": hype})
    buyers = np.arange(1, n)
    _put(w, "tie", 0, buyers, tie)
    _put(w, "trust", 0, buyers, trust)
    _put(w, "in_group", 0, buyers, True)
    satisfied, _ = _settle(w, buyers, np.zeros(n - 1))
    blocked = w.get("blocked")[0, buyers]
    assert not (blocked & satisfied).any()
    kit.within(blocked.mean(), expect, kit.binom_sd(expect, n - 1))
    assert w.flows[FLOW.ties_broken, 0] == blocked.sum()
    by_tie = w.breakdowns[0, BREAKDOWN.ties_broken_by_tie:BREAKDOWN.ties_broken_by_tie + 4]
    assert by_tie[tie] == blocked.sum() and by_tie.sum() == blocked.sum()
    assert not w.get("in_group")[0, buyers][blocked].any()
    assert w.get("in_group")[0, buyers][~blocked].all()


def test_no_rupture_without_a_tie_or_with_r_max_zero(kit):
    """Buyers without a tie keep no tie to break; r_max = 0 turns ruptures off; both leave the
    trust outcome as it was."""
    n = 2_001
    for tie, r_max in ((0, 1.0), (2, 0.0)):
        _, w = _settle_world(kit, topo=kit.empty(n), seed=5, ties={"rupture_max": r_max})
        w.set_strategy(0, product={"quality": 0.0, "hype": 0.5})
        buyers = np.arange(1, n)
        _put(w, "tie", 0, buyers, tie)
        _put(w, "trust", 0, buyers, 0.2)
        satisfied, _ = _settle(w, buyers, np.zeros(n - 1))
        assert not satisfied.any() and not w.get("blocked").any()
        assert w.flows[FLOW.ties_broken, 0] == 0
        np.testing.assert_allclose(w.get("trust")[0, buyers], 0.2 * (1 - w.config.trust.loss_bad_purchase))
