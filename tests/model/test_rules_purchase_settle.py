"""rules.purchase (trust gate, stimulus, make_purchases) and rules.settle (settle_purchases)."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim.model.rules import purchase as pu
from viralsim.model.rules import settle
from viralsim.model.rules.purchase import Purchases
from viralsim.model.state import CHANNELS, REFERRAL, RESELLER
from viralsim.network import Topology

CH = {name: i for i, name in enumerate(CHANNELS)}
OFF = {"trust": {"enabled": False}, "annoyance": {"enabled": False}}


# ---------------------------------------------------------------------------------- trust gate


@pytest.mark.parametrize("half,h", [(0.5, 2.0), (0.3, 4.0), (0.8, 1.0)])
def test_trust_gate_is_half_at_trust_half_and_monotone(kit, half, h):
    """G_T = T^h / (T^h + T_half^h): 0 at T = 0, 1/2 at T_half, increasing, < 1."""
    p = kit.config(purchase={"trust_half": half, "trust_steepness": h}).purchase
    assert pu.trust_gate(np.array([half]), p)[0] == pytest.approx(0.5, rel=1e-15)
    assert pu.trust_gate(np.array([0.0]), p)[0] == 0.0
    t = np.linspace(0.0, 1.0, 101)
    g = pu.trust_gate(t, p)
    assert np.all(np.diff(g) > 0) and np.all(g < 1.0) and np.all(g >= 0.0)
    np.testing.assert_allclose(g, t ** h / (t ** h + half ** h), rtol=1e-12)


def test_trust_gate_nearly_closed_for_strangers(kit):
    """Defaults (T_half 0.5, h 2): a stranger at T = 0.05 passes ~1 %, the prior stranger 0.2 ~14 %."""
    p = kit.config().purchase
    assert pu.trust_gate(np.array([0.05]), p)[0] < 0.011
    assert pu.trust_gate(np.array([0.2]), p)[0] == pytest.approx(0.04 / 0.29, rel=1e-12)


def test_price_factor(kit):
    """pf = (P_ref / P)^eps: 1 at the reference price."""
    p = kit.config(purchase={"reference_price": 100.0, "price_elasticity": 2.0}).purchase
    assert pu.price_factor(100.0, p) == 1.0
    assert pu.price_factor(200.0, p) == pytest.approx(0.25)
    assert pu.price_factor(50.0, p) == pytest.approx(4.0)


# ------------------------------------------------------------------------------------ stimulus


def test_stimulus_rows_follow_the_channel_formulas(kit):
    """Rows (CHANNELS order): a_ad W(X_ad), a_prize W(X_prize), a_value (X_value + X_group),
    a_msg M, a_reply [replied], a_group a [member], R, q bought_friends / max(degree, 1), a_ad W(X_resold)."""
    cfg = kit.config(purchase={"ad_conversion": 0.02, "prize_conversion": 0.04, "value_conversion": 0.005,
                               "message_conversion": 0.05, "reply_conversion": 0.25, "group_conversion": 0.02,
                               "conformity": 0.3},
                     annoyance={"wearout_exposures": 10.0})
    st = kit.state(cfg, kit.star(6, center=1))       # node 1 has degree 5, others 1; seller at 0
    d = kit.day(st)
    idx = np.array([1, 2, 3])
    st.memory[0, idx] = [0.0, 5.0, 20.0]
    d.seen_ad[0, idx] = [3, 0, 10]
    d.seen_prize[0, idx] = [1, 2, 0]
    d.seen_value[0, idx], d.group_seen[0, idx] = [2, 0, 1], [1, 1, 0]
    d.messages[0, idx] = [0, 2, 1]
    d.replied[0, idx] = [True, False, True]
    st.group_activity[0] = 0.4
    st.in_group[0, idx] = [False, True, True]
    st.referral[0, idx] = [0.06, 0.0, 0.01]
    st.bought_friends[0, idx] = [2, 1, 0]
    d.seen_reseller[0, idx] = [0, 4, 1]
    comp = pu.stimulus(st, d, kit.plan(0), idx, cfg.purchase, cfg.annoyance)
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
    np.testing.assert_allclose(comp[CH["reseller"]], 0.02 * W(np.array([0, 4, 1])), rtol=1e-12)


def test_stimulus_conformity_for_isolated_consumers_uses_degree_one(kit):
    cfg = kit.config(purchase={"conformity": 0.5})
    st = kit.state(cfg, kit.empty(3))
    st.bought_friends[0, 2] = 1          # (cannot happen on this graph, but the formula is defined)
    comp = pu.stimulus(st, kit.day(st), kit.plan(0), np.array([2]), cfg.purchase, cfg.annoyance)
    assert comp[CH["conformity"], 0] == 0.5


# ------------------------------------------------------------------------------ make_purchases


def _market(kit, n, n_sellers=1, sections=OFF, **extra):
    cfg = kit.config(n_sellers=n_sellers, circle_size=n - n_sellers, **{**sections, **extra})
    st = kit.state(cfg, kit.empty(n), sellers=tuple(range(n_sellers)), need=True)
    return cfg, st, kit.day(st)


def _buy(st, d, plans, cfg, seed=0):
    return pu.make_purchases(st, d, plans, cfg.purchase, cfg.trust, cfg.annoyance, rng=np.random.default_rng(seed))


def test_no_stimulus_nobody_buys(kit):
    """Needs but no stimulus (nothing seen, or only life posts): no purchase, needs kept."""
    cfg, st, d = _market(kit, 200, sections={})
    d.seen_life[0, 1:100] = 3
    d.touched[0, 1:100] = True
    out = _buy(st, d, [kit.plan(0)], cfg)
    assert len(out) == 1 and len(out[0].buyers) == 0
    assert st.need[st.is_consumer].all()


def test_sure_stimulus_everybody_with_a_need_buys_blocked_never(kit):
    """p = min(1, stimulus) = 1: every needy, unblocked consumer buys; blocked p = 0; no need, no buy."""
    cfg, st, d = _market(kit, 300, purchase={"message_conversion": 1.0})
    d.messages[0, 1:] = 1
    d.touched[0, 1:] = True
    st.blocked[0, 1:50] = True
    st.need[250:] = False
    out = _buy(st, d, [kit.plan(0)], cfg)
    np.testing.assert_array_equal(np.sort(out[0].buyers), np.arange(50, 250))
    assert np.all(out[0].channels == CH["message"])
    assert not st.need[50:250].any(), "a purchase clears the need"
    assert st.need[1:50].all(), "blocked consumers keep their need"


def test_always_need_is_not_cleared(kit):
    cfg, st, d = _market(kit, 50, purchase={"message_conversion": 1.0, "always_need": True})
    d.messages[0, 1:], d.touched[0, 1:] = 1, True
    out = _buy(st, d, [kit.plan(0)], cfg)
    assert len(out[0].buyers) == 49 and st.need[1:].all()


def test_zero_trust_closes_the_gate(kit):
    """With trust gating, T = 0 gives p = 0 whatever the stimulus."""
    cfg, st, d = _market(kit, 50, sections={"annoyance": {"enabled": False}}, purchase={"message_conversion": 1.0})
    st.trust[0] = 0.0
    d.messages[0, 1:], d.touched[0, 1:] = 1, True
    assert len(_buy(st, d, [kit.plan(0)], cfg)[0].buyers) == 0


def test_a_gate_of_zero_over_zero_is_shut_and_leaves_other_sellers_open(kit):
    """T_half = 0 and T = 0 toward seller 0: T^h / (T^h + T_half^h) is 0 / 0, a closed gate (it
    was NaN, which made every seller's purchase impossible); seller 1, trusted, sells to all."""
    cfg, st, d = _market(kit, 60, n_sellers=2, sections={"annoyance": {"enabled": False}},
                         purchase={"message_conversion": 1.0, "trust_half": 0.0})
    st.trust[0], st.trust[1] = 0.0, 0.5
    d.messages[:, 2:], d.touched[:, 2:] = 1, True
    out = _buy(st, d, [kit.plan(0), kit.plan(1)], cfg)
    assert len(out[0].buyers) == 0
    np.testing.assert_array_equal(np.sort(out[1].buyers), np.arange(2, 60))


def test_a_vanishing_wearout_scale_gives_ads_no_pull(kit):
    """E_w = 5e-324: X / E_w overflows, and E_w ln(1 + inf) was inf; with a zero ad conversion
    that made a NaN stimulus, which bought with certainty. W tends to 0 instead: nobody buys."""
    cfg, st, d = _market(kit, 80, sections={"trust": {"enabled": False}},
                         purchase={"ad_conversion": 0.0, "prize_conversion": 0.0})
    # below the schema's floor (0.01), which no config can give: the rule stays safe regardless
    cfg = cfg.model_copy(update={"annoyance": cfg.annoyance.model_copy(update={"wearout_exposures": 5e-324})})
    d.seen_ad[0, 1:], d.seen_prize[0, 1:], d.touched[0, 1:] = 5, 2, True
    assert len(_buy(st, d, [kit.plan(0)], cfg)[0].buyers) == 0


def test_conformity_only_purchase_rate_is_q_times_share(kit):
    """Trust and annoyance off, only conformity: P(buy) = q x (friends who bought) / degree (Bass q F)."""
    n = 20_001
    cfg = kit.config(purchase={"conformity": 0.3}, **OFF)
    st = kit.state(cfg, Topology.complete_graph(n), need=True)
    st.bought_friends[0, 1:] = 10_000           # half of the 20 000 friends bought
    st.engaged[0, 1:] = True                    # (as settle_purchases marks friends of buyers)
    out = _buy(st, kit.day(st), [kit.plan(0)], cfg, seed=5)
    p = 0.3 * 0.5
    kit.within(len(out[0].buyers) / (n - 1), p, kit.binom_sd(p, n - 1))
    assert np.all(out[0].channels == CH["conformity"])


@pytest.mark.parametrize("gate", ["trust", "annoyance"])
def test_gates_halve_the_purchase_probability(kit, gate):
    """G_T = 1/2 at T = T_half; G_A = 1 / (1 + A / A_half) = 1/2 at A = A_half (statistical)."""
    n = 20_001
    sections = {"trust": {"enabled": gate == "trust"},
                "annoyance": {"enabled": gate == "annoyance", "half_effect": 40.0}}
    cfg, st, d = _market(kit, n, sections=sections, purchase={"message_conversion": 0.6, "trust_half": 0.5})
    st.trust[0] = 0.5
    st.annoyance[0] = 40.0
    d.messages[0, 1:], d.touched[0, 1:] = 1, True
    out = _buy(st, d, [kit.plan(0)], cfg, seed=2)
    kit.within(len(out[0].buyers) / (n - 1), 0.3, kit.binom_sd(0.3, n - 1))


def test_price_and_referral_discount_scale_the_stimulus(kit):
    """pf = (P_ref/P)^eps on the stimulus, pf_ref at the discounted price on the referral pull."""
    n = 20_001
    cfg, st, d = _market(kit, n,
                         purchase={"message_conversion": 0.5, "reference_price": 100.0, "price_elasticity": 1.0})
    half = np.arange(n) % 2 == 1
    d.messages[0, half], d.touched[0, half] = 1, True            # p = 0.5 x 100/200 = 0.25
    st.referral[0, ~half & st.is_consumer] = 0.2                 # p = 0.2 x 100/(200 x 0.5) = 0.2
    st.engaged[0, ~half & st.is_consumer] = True                 # (as wom.recommend marks receivers)
    plan = kit.plan(0, strategy_fields={"referral_reward": 0.5}, product={"price": 200.0})
    out = _buy(st, d, [plan], cfg, seed=4)
    b = out[0].buyers
    kit.within(np.isin(b, np.flatnonzero(half)).sum() / half.sum(), 0.25, kit.binom_sd(0.25, half.sum()))
    m = (~half & st.is_consumer).sum()
    kit.within((~half[b]).sum() / m, 0.2, kit.binom_sd(0.2, m))
    assert np.all(out[0].channels[~half[b]] == REFERRAL)


def test_channel_attribution_is_proportional_to_stimulus(kit):
    """Message 0.2 + reply 0.6 => p = 0.8 and a quarter of purchases attributed to the message."""
    n = 20_001
    cfg, st, d = _market(kit, n, purchase={"message_conversion": 0.2, "reply_conversion": 0.6})
    d.messages[0, 1:], d.replied[0, 1:], d.touched[0, 1:] = 1, True, True
    out = _buy(st, d, [kit.plan(0)], cfg, seed=9)
    m = len(out[0].buyers)
    kit.within(m / (n - 1), 0.8, kit.binom_sd(0.8, n - 1))
    ch = out[0].channels
    assert set(np.unique(ch)) <= {CH["message"], CH["reply"]}
    kit.within(np.mean(ch == CH["message"]), 0.25, kit.binom_sd(0.25, m))


def test_competing_sellers_share_one_need(kit):
    """p0 = 0.3, p1 = 0.1: P(buy) = 1 - 0.7 x 0.9, seller 0 chosen with probability 0.3/0.4,
    and nobody buys from both sellers on the same day."""
    n = 30_002
    cfg, st, d = _market(kit, n, n_sellers=2, purchase={"message_conversion": 0.1})
    d.messages[0, 2:], d.messages[1, 2:] = 3, 1
    d.touched[:, 2:] = True
    out = _buy(st, d, [kit.plan(0), kit.plan(1)], cfg, seed=3)
    b0, b1 = out[0].buyers, out[1].buyers
    assert len(np.intersect1d(b0, b1)) == 0, "a consumer bought from two sellers in one day"
    m = n - 2
    total = len(b0) + len(b1)
    kit.within(total / m, 1 - 0.7 * 0.9, kit.binom_sd(0.37, m))
    kit.within(len(b0) / total, 0.75, kit.binom_sd(0.75, total))
    assert not st.need[np.concatenate([b0, b1])].any()


def test_blocked_seller_loses_the_need_to_the_rival(kit):
    """Both sellers offer p = 1, seller 0 is blocked: everybody buys from seller 1."""
    cfg, st, d = _market(kit, 102, n_sellers=2, purchase={"message_conversion": 1.0})
    d.messages[:, 2:], d.touched[:, 2:] = 1, True
    st.blocked[0, 2:] = True
    out = _buy(st, d, [kit.plan(0), kit.plan(1)], cfg)
    assert len(out[0].buyers) == 0 and len(out[1].buyers) == 100


def test_impulse_buys_only_from_the_advertising_seller(kit):
    """Without a category need, an impulse toward seller 0 allows purchases from seller 0 only."""
    cfg, st, d = _market(kit, 102, n_sellers=2, purchase={"message_conversion": 1.0})
    st.need[:] = False
    d.messages[:, 2:], d.touched[:, 2:] = 1, True
    d.impulse[0, 2:52] = True
    out = _buy(st, d, [kit.plan(0), kit.plan(1)], cfg)
    np.testing.assert_array_equal(np.sort(out[0].buyers), np.arange(2, 52))
    assert len(out[1].buyers) == 0


def test_one_time_adoption_excludes_former_customers_and_kol_seeds(kit):
    """repurchase: false gives p = 0 to former customers and to the seller's KOL seeds (root = self);
    a consumer rooted in someone else's tree without a purchase still buys. repurchase: true: all buy."""
    for repurchase in (False, True):
        cfg, st, d = _market(kit, 60, purchase={"message_conversion": 1.0, "repurchase": repurchase})
        d.messages[0, 1:], d.touched[0, 1:] = 1, True
        st.purchases[0, 10:20] = 1
        st.root[0, 20:30] = np.arange(20, 30)
        st.root[0, 30:40] = 5
        out = _buy(st, d, [kit.plan(0)], cfg)
        expect = np.arange(1, 60) if repurchase else np.r_[1:10, 30:60]
        np.testing.assert_array_equal(np.sort(out[0].buyers), expect)


def _expected_purchases(st, d, plans, cfg):
    """The purchase probabilities of the docstring, from the NumPy building blocks."""
    pc, an = cfg.purchase, cfg.annoyance
    idx = np.flatnonzero(st.is_consumer)
    probs, comps = [], []
    for plan in plans:
        s = plan.index
        comp = pu.stimulus(st, d, plan, idx, pc, an)
        pf = pu.price_factor(plan.product.price, pc)
        comp *= pf
        comp[REFERRAL] *= pu.price_factor(plan.product.price * (1 - plan.strategy.referral_reward), pc) / pf
        p = np.minimum(1.0, comp.sum(axis=0)) * pu.trust_gate(st.trust[s, idx], pc)
        p /= 1.0 + st.annoyance[s, idx] / an.half_effect
        p[st.blocked[s, idx] | ~(st.need[idx] | d.impulse[s, idx])] = 0.0
        p[(st.purchases[s, idx] > 0) | (st.root[s, idx] == idx)] = 0.0
        probs.append(p)
        comps.append(comp)
    probs = np.array(probs)
    p_any = 1.0 - np.prod(1.0 - probs, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        from_s = np.nan_to_num(p_any * probs / probs.sum(axis=0))            # P(buys from s)
    return idx, probs, comps, from_s


def test_heterogeneous_market_matches_the_formula(kit):
    """Random needs, impulses, exposures, memories, trust, annoyance, blocks and former customers,
    two sellers with different prices: purchases per seller and per (seller, channel) match the
    docstring's p_s (built from stimulus, trust_gate, price_factor and the gates) within 5 sd."""
    n, rs = 100_002, np.random.default_rng(11)
    cfg, st, d = _market(kit, n, n_sellers=2, sections={}, purchase={
        "ad_conversion": 0.08, "prize_conversion": 0.1, "value_conversion": 0.06, "message_conversion": 0.2,
        "reply_conversion": 0.4, "group_conversion": 0.3, "conformity": 0.15, "repurchase": False,
        "reference_price": 100.0, "price_elasticity": 1.2, "trust_half": 0.3}, annoyance={"half_effect": 30.0})
    c = st.is_consumer
    shape = (2, n)
    st.need[:] = (rs.random(n) < 0.7) & c
    d.impulse[:] = (rs.random(shape) < 0.1) & c
    for name, hi in (("seen_ad", 6), ("seen_prize", 3), ("seen_value", 3), ("group_seen", 2), ("messages", 2),
                     ("seen_reseller", 3)):
        getattr(d, name)[:] = rs.integers(0, hi, shape) * (rs.random(shape) < 0.5) * c
    d.replied[:] = (rs.random(shape) < 0.1) & c
    seen = d.seen_ad + d.seen_prize + d.seen_value + d.group_seen + d.messages + d.seen_reseller
    d.touched[:] = (seen > 0) | d.replied
    st.in_group[:] = (rs.random(shape) < 0.2) & c
    st.group_activity[:] = [0.5, 0.3]
    st.referral[:] = rs.uniform(0, 0.4, shape) * (rs.random(shape) < 0.3) * c
    st.bought_friends[:] = rs.integers(0, 3, shape) * c
    st.engaged[:] = st.in_group | (st.referral > 0) | (st.bought_friends > 0)
    st.memory[:] = rs.uniform(0, 20, shape)
    st.trust[:] = rs.uniform(0.2, 1, shape)
    st.annoyance[:] = rs.uniform(0, 30, shape)
    st.blocked[:] = (rs.random(shape) < 0.05) & c
    st.purchases[:] = ((rs.random(shape) < 0.05) & c).astype(np.int32)
    seeds = rs.choice(np.flatnonzero(c), 1000, replace=False)
    st.root[0, seeds] = seeds
    plans = [kit.plan(0, strategy_fields={"referral_reward": 0.3}, product={"price": 150.0}),
             kit.plan(1, product={"price": 80.0})]
    idx, probs, comps, from_s = _expected_purchases(st, d, plans, cfg)
    need_before = st.need.copy()
    out = _buy(st, d, plans, cfg, seed=8)
    for s in range(2):
        b, ch = out[s].buyers, out[s].channels
        pos = np.searchsorted(idx, b)
        assert np.all(probs[s, pos] > 0), "a purchase from a seller with p_s = 0"
        assert np.all(comps[s][ch, pos] > 0), "a purchase attributed to a channel without stimulus"
        assert np.all(np.diff(b) > 0)
        q = from_s[s]
        kit.within(len(b), q.sum(), np.sqrt((q * (1 - q)).sum()))
        total = comps[s].sum(axis=0)
        for k in range(len(CHANNELS)):
            share = np.divide(comps[s][k], total, out=np.zeros_like(total), where=total > 0)
            qk = q * share
            kit.within(np.count_nonzero(ch == k), qk.sum(), np.sqrt((qk * (1 - qk)).sum()) + 1e-9)
    assert len(np.intersect1d(out[0].buyers, out[1].buyers)) == 0
    bought = np.concatenate([out[0].buyers, out[1].buyers])
    assert not st.need[bought].any()
    unchanged = np.ones(n, bool)
    unchanged[bought] = False
    np.testing.assert_array_equal(st.need[unchanged], need_before[unchanged])


# ----------------------------------------------------------------------------- settle_purchases


def _settle_world(kit, n=8, topo=None, **sections):
    cfg = kit.config(**sections)
    st = kit.state(cfg, topo if topo is not None else kit.path(n))
    return cfg, st


def _settle(st, plan, buyers, channels, cfg, seed=0):
    b = Purchases(np.asarray(buyers, dtype=np.int64), np.asarray(channels, dtype=np.int64))
    return settle.settle_purchases(st, plan, b, cfg.purchase, cfg.trust, rng=np.random.default_rng(seed))


def test_revenue_with_referral_discount_and_reseller_commission(kit):
    """Revenue = sum of price (x (1 - reward) for referral buys); cost = unit cost each + commission
    x price for reseller buys."""
    cfg, st = _settle_world(kit)
    plan = kit.plan(0, strategy_fields={"referral_reward": 0.2, "reseller_commission": 0.3},
                    product={"price": 100.0, "unit_cost": 40.0})
    done = _settle(st, plan, [2, 3, 4, 5, 6], [REFERRAL, CH["ad"], RESELLER, CH["message"], RESELLER], cfg)
    assert done.revenue == pytest.approx(80 + 100 + 100 + 100 + 100)
    assert done.cost == pytest.approx(5 * 40 + 2 * 100 * 0.3)
    np.testing.assert_array_equal(st.purchases[0, [2, 3, 4, 5, 6]], 1)
    assert st.aware[0, [2, 3, 4, 5, 6]].all()
    assert done.first.all()


def test_settle_trust_outcome_by_quality(kit):
    """quality 1: all satisfied, T + g (1 - T); quality 0: all dissatisfied, T (1 - l)."""
    for quality, expect in ((1.0, 0.4 + 0.15 * 0.6), (0.0, 0.4 * 0.6)):
        cfg, st = _settle_world(kit, trust={"gain_good_purchase": 0.15, "loss_bad_purchase": 0.4})
        st.trust[0] = 0.4
        done = _settle(st, kit.plan(0, product={"quality": quality}), [2, 3], [0, 0], cfg)
        assert done.satisfied.all() == (quality == 1.0) and done.satisfied.any() == (quality == 1.0)
        np.testing.assert_allclose(st.trust[0, [2, 3]], expect, rtol=1e-15)
        assert st.trust[0, 4] == 0.4


def test_satisfaction_rate_is_quality(kit):
    n = 20_001
    cfg, st = _settle_world(kit, topo=kit.empty(n))
    done = _settle(st, kit.plan(0, product={"quality": 0.7}), np.arange(1, n), np.zeros(n - 1), cfg, seed=1)
    kit.within(done.satisfied.mean(), 0.7, kit.binom_sd(0.7, n - 1))


def test_first_referral_purchase_joins_the_parents_cascade(kit):
    """Child bought via a referral from parent p with root r: root(child) = r, log (s, p, child, day);
    a first non-referral purchase starts its own tree; a repeat purchase changes nothing."""
    cfg, st = _settle_world(kit, n=10)
    st.day = 17
    p, r = 3, 6
    st.purchases[0, p], st.root[0, p] = 1, r
    st.referrer[0, [4, 5]] = p
    done = _settle(st, kit.plan(0), [4, 5, 7], [REFERRAL, CH["ad"], CH["ad"]], cfg)
    assert st.root[0, 4] == r, "referral child inherits the parent's root"
    assert st.root[0, 5] == 5, "non-referral first purchase roots its own tree (referrer ignored)"
    assert st.root[0, 7] == 7
    log = np.concatenate(st.cascade_log, axis=1)
    np.testing.assert_array_equal(log, [[0], [p], [4], [17]])
    np.testing.assert_array_equal(done.first, [True, True, True])
    # repeat purchase via referral: no new link, root kept
    st.referrer[0, 7] = p
    done = _settle(st, kit.plan(0), [7], [REFERRAL], cfg)
    assert not done.first[0] and st.root[0, 7] == 7 and len(st.cascade_log) == 1
    assert st.purchases[0, 7] == 2


def test_referral_from_a_rootless_parent_roots_at_the_parent(kit):
    cfg, st = _settle_world(kit, n=10)
    st.referrer[0, 4] = 3                    # parent 3 has no root (e.g. never bought)
    _settle(st, kit.plan(0), [4], [REFERRAL], cfg)
    assert st.root[0, 4] == 3
    np.testing.assert_array_equal(np.concatenate(st.cascade_log, axis=1)[:3, 0], [0, 3, 4])


def test_bought_friends_counts_first_time_buyers_only(kit):
    """Friends of first-time buyers gain one 'friend who bought'; repeat buyers add nothing."""
    cfg, st = _settle_world(kit, topo=kit.star(6, center=2))        # 2 is everybody's friend
    cfg2 = cfg
    _settle(st, kit.plan(0), [3, 4], [0, 0], cfg2)
    expect = np.zeros(6, int)
    expect[2] = 2
    expect[[0, 1, 5]] = 0
    np.testing.assert_array_equal(st.bought_friends[0], expect)
    _settle(st, kit.plan(0), [3], [0], cfg2)                          # repeat: nothing new
    np.testing.assert_array_equal(st.bought_friends[0], expect)
    _settle(st, kit.plan(0), [2], [0], cfg2)                          # the hub buys: all neighbours + 1
    np.testing.assert_array_equal(st.bought_friends[0], [1, 1, 2, 1, 1, 1])


def test_bought_friends_on_a_complete_graph(kit):
    """Complete graph: everybody but the buyer gains one (and is engaged); resellers likewise."""
    cfg = kit.config()
    st = kit.state(cfg, Topology.complete_graph(7))
    _settle(st, kit.plan(0), [3], [0], cfg)
    np.testing.assert_array_equal(st.bought_friends[0], [1, 1, 1, 0, 1, 1, 1])
    np.testing.assert_array_equal(st.engaged[0], st.bought_friends[0] > 0)
    _settle(st, kit.plan(0), [5], [0], cfg)
    np.testing.assert_array_equal(st.bought_friends[0], [2, 2, 2, 1, 2, 1, 2])
    assert st.engaged[0].all()
    plan = kit.plan(0, strategy_fields={"reseller_prob": 1.0}, product={"quality": 1.0})
    _settle(st, plan, [2, 6], [0, 0], cfg)
    np.testing.assert_array_equal(st.reseller_friends[0], [2, 2, 1, 2, 2, 2, 1])


def test_reseller_recruitment(kit):
    """reseller_prob = 1 and quality = 1: every buyer becomes a reseller and her friends count her;
    quality = 0: nobody (only satisfied buyers resell)."""
    cfg, st = _settle_world(kit, n=8)
    plan = kit.plan(0, strategy_fields={"reseller_prob": 1.0}, product={"quality": 1.0})
    _settle(st, plan, [3, 6], [0, 0], cfg)
    np.testing.assert_array_equal(np.flatnonzero(st.reseller[0]), [3, 6])
    np.testing.assert_array_equal(st.reseller_friends[0], [0, 0, 1, 0, 1, 1, 0, 1])
    _settle(st, plan, [3], [0], cfg)          # already a reseller: not counted twice
    np.testing.assert_array_equal(st.reseller_friends[0], [0, 0, 1, 0, 1, 1, 0, 1])
    cfg, st = _settle_world(kit, n=8)
    bad = kit.plan(0, strategy_fields={"reseller_prob": 1.0}, product={"quality": 0.0})
    _settle(st, bad, [3, 6], [0, 0], cfg)
    assert not st.reseller.any() and not st.reseller_friends.any()


def test_reseller_recruitment_rate(kit):
    n = 20_001
    cfg, st = _settle_world(kit, topo=kit.empty(n))
    plan = kit.plan(0, strategy_fields={"reseller_prob": 0.1}, product={"quality": 1.0})
    _settle(st, plan, np.arange(1, n), np.zeros(n - 1), cfg, seed=3)
    kit.within(st.reseller[0].mean() * n / (n - 1), 0.1, kit.binom_sd(0.1, n - 1))


def test_cascade_roots_kept_but_log_skipped_without_tracing(kit):
    """trace_cascades = False: roots are still linked, no (parent, child) rows are logged."""
    cfg, st = _settle_world(kit, n=10, trace_cascades=False)
    st.root[0, 3] = 6
    st.referrer[0, 4] = 3
    _settle(st, kit.plan(0), [4], [REFERRAL], cfg)
    assert st.root[0, 4] == 6 and st.cascade_log == []


def test_friends_of_first_buyers_become_engaged(kit):
    """Friends with bought_friends > 0 are marked engaged, so conformity can reach them on days
    without any contact (State invariant: bought_friends > 0 implies engaged)."""
    cfg, st = _settle_world(kit, n=8)
    _settle(st, kit.plan(0), [4], [0], cfg)
    np.testing.assert_array_equal(np.flatnonzero(st.engaged[0]), [3, 5])
    st.check_invariants()


def test_a_recommendation_alone_can_sell(kit):
    """No post or message today: a recommendation's pull R (beta_s = 1) makes a needy friend buy,
    attributed to the referral channel, with the referral discount in the price factor."""
    topo = kit.edges(5, [(1, 2), (1, 3)])
    cfg = kit.config(wom={"strong_persuasion": 1.0}, **OFF)
    st = kit.state(cfg, topo, need=True)
    st.need[3] = False
    from viralsim.model.rules import wom
    wom.recommend(st, 0, np.array([1]), 1.0, cfg.wom, cfg.trust, rng=np.random.default_rng(0))
    out = _buy(st, kit.day(st), [kit.plan(0)], cfg)
    np.testing.assert_array_equal(out[0].buyers, [2])
    np.testing.assert_array_equal(out[0].channels, [REFERRAL])


def test_no_buyers_settle_to_nothing(kit):
    cfg, st = _settle_world(kit)
    before = st.trust.copy()
    done = _settle(st, kit.plan(0), [], [], cfg)
    assert len(done.buyers) == len(done.satisfied) == len(done.first) == 0
    assert done.satisfied.dtype == bool and done.first.dtype == bool
    assert done.revenue == 0.0 and done.cost == 0.0 and st.cascade_log == []
    np.testing.assert_array_equal(st.trust, before)
    assert not st.purchases.any() and not st.bought_friends.any()


def test_a_parent_buying_first_today_roots_children_as_before_her_purchase(kit):
    """Roots are read before today's are written: a child referred by a parent who also makes her
    first purchase today (rootless until now) is rooted at the parent, whatever the buyers' order."""
    for order in ([3, 4], [4, 3]):
        cfg, st = _settle_world(kit, n=10)
        st.root[0, 6] = 6
        st.referrer[0, 3], st.referrer[0, 4] = 6, 3
        _settle(st, kit.plan(0), order, [REFERRAL, REFERRAL], cfg)
        assert st.root[0, 3] == 6 and st.root[0, 4] == 3
        log = np.concatenate(st.cascade_log, axis=1)
        assert sorted(map(tuple, log.T.tolist())) == [(0, 3, 4, 0), (0, 6, 3, 0)]
