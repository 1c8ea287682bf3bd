"""plan.plan_day / is_folded, engine.init_state / place_sellers, needs.impulse_needs, and
State.check_invariants over short runs of every preset."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim.config.presets import preset_names
from viralsim.config.schema import FeedParams, PlatformParams, Product, RunConfig, Strategy
from viralsim.model import ViralModel, engine
from viralsim.model.plan import AD, BUSY, IDLE, LIFE, PRIZE, VALUE, is_folded, plan_day
from viralsim.model.rules import needs
from viralsim.model.state import NO_TIE, STRONG, WEAK

# ------------------------------------------------------------------------------------ plan_day


def _plans(strategy: dict, k: int, seed: int = 0, feed: dict | None = None, platform: dict | None = None):
    st = Strategy.model_validate(strategy)
    fd = FeedParams.model_validate(feed or {})
    pf = PlatformParams.model_validate(platform or {})
    rng = np.random.default_rng(seed)
    return [plan_day(0, st, Product(), fd, pf, rng=rng) for _ in range(k)]


def test_plan_day_posts_are_stochastically_rounded(kit):
    """N = floor(x) + Bernoulli(frac(x)): only floor/ceil occur, mean x (statistical)."""
    k = 20_000
    plans = _plans({"posts_per_day": 2.3, "strangers_per_day": 0.75, "messages_per_day": 4.0}, k)
    n = np.array([p.posts.sum() for p in plans])
    assert set(np.unique(n)) == {2, 3}
    kit.within(n.mean(), 2.3, np.sqrt(0.3 * 0.7 / k))
    s = np.array([p.strangers for p in plans])
    kit.within(s.mean(), 0.75, np.sqrt(0.75 * 0.25 / k))
    assert all(p.messages == 4 for p in plans)


def test_plan_day_content_mix_is_multinomial(kit):
    """Types ~ Multinomial(N, mix): shares of ad/value/life/prize match the mix (statistical)."""
    mix = {"ad": 0.4, "value": 0.3, "life": 0.2, "prize": 0.1}
    plans = _plans({"posts_per_day": 10.0, "content": mix}, 4000, seed=1)
    by_type = np.sum([p.posts.sum(axis=1) for p in plans], axis=0)
    total = by_type.sum()
    assert total == 40_000
    for c, share in zip((AD, VALUE, LIFE, PRIZE), mix.values()):
        kit.within(by_type[c] / total, share, kit.binom_sd(share, total))


@pytest.mark.parametrize("slot", ["busy", "idle"])
def test_plan_day_single_slot_routing(slot):
    plans = _plans({"posts_per_day": 7.0, "posting_slot": slot}, 50)
    other = IDLE if slot == "busy" else BUSY
    assert all(p.posts[:, other].sum() == 0 and p.posts.sum() == 7 for p in plans)


def test_plan_day_mixed_slot_lands_idle_with_idle_hours_share(kit):
    """mixed: each post is idle with probability feed.idle_hours_share (statistical)."""
    plans = _plans({"posts_per_day": 10.0, "posting_slot": "mixed"}, 3000, seed=2, feed={"idle_hours_share": 0.7})
    idle = sum(p.posts[:, IDLE].sum() for p in plans)
    kit.within(idle / 30_000, 0.7, kit.binom_sd(0.7, 30_000))


def test_plan_day_groups_only_when_enabled():
    off = _plans({"groups": {"enabled": False, "posts_per_day": 3, "invites_per_day": 4}}, 5)
    assert all(p.group_posts == 0 and p.invites == 0 for p in off)
    on = _plans({"groups": {"enabled": True, "posts_per_day": 3, "invites_per_day": 4}}, 5)
    assert all(p.group_posts == 3 and p.invites == 4 for p in on)
    assert all(p.reseller_posts == 0.0 for p in on)


def test_is_folded_only_under_the_prompt_and_above_the_threshold():
    """folded = moderation == harassment_prompt and posts_per_day > fold_threshold (strict)."""
    prompt = PlatformParams(moderation="harassment_prompt", fold_threshold=100.0)
    none = PlatformParams(moderation="none", fold_threshold=100.0)
    assert is_folded(Strategy(posts_per_day=120), prompt)
    assert not is_folded(Strategy(posts_per_day=100), prompt)
    assert not is_folded(Strategy(posts_per_day=3), prompt)
    assert not is_folded(Strategy(posts_per_day=1000), none)
    plans = _plans({"posts_per_day": 120}, 3, platform={"moderation": "harassment_prompt", "fold_view_prob": 0.3})
    assert all(p.folded and p.fold_view_prob == 0.3 for p in plans)
    assert not any(p.folded for p in _plans({"posts_per_day": 120}, 3))


# --------------------------------------------------------------------------------- impulse_needs


def test_impulse_probability_is_one_minus_exp_of_effective_ads(kit):
    """P(impulse) = 1 - exp(-k W(X_ad + X_prize + X_res)); k = 0.1, 10 ads, E = 0, E_w = 10 => 1/2."""
    n = 20_001
    cfg = kit.config(purchase={"impulse_per_ad": 0.1}, annoyance={"wearout_exposures": 10.0})
    st = kit.state(cfg, kit.empty(n))
    d = kit.day(st)
    d.seen_ad[0, 1:], d.seen_prize[0, 1:], d.seen_reseller[0, 1:] = 6, 3, 1
    d.touched[0, 1:] = True
    hits = needs.impulse_needs(st, d, cfg.purchase, cfg.annoyance, rng=np.random.default_rng(0))
    assert hits == d.impulse[0].sum()
    kit.within(hits / (n - 1), 0.5, kit.binom_sd(0.5, n - 1))
    assert not st.need.any(), "an impulse is not a category need"


def test_impulse_only_for_touched_consumers_without_need(kit):
    cfg = kit.config(n_sellers=2, purchase={"impulse_per_ad": 1.0}, annoyance={"enabled": False})
    st = kit.state(cfg, kit.empty(10), sellers=(0, 1))
    d = kit.day(st)
    d.seen_ad[0, 2:] = 50                      # P = 1 - e^-50: certain
    d.touched[0, 2:8] = True                   # 8, 9 saw ads but are not marked touched
    st.need[[2, 3]] = True
    needs.impulse_needs(st, d, cfg.purchase, cfg.annoyance, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(np.flatnonzero(d.impulse[0]), [4, 5, 6, 7])
    assert not d.impulse[1].any(), "ads of seller 0 created a want for seller 1"


@pytest.mark.parametrize("purchase", [{"impulse_per_ad": 0.0}, {"impulse_per_ad": 1.0, "always_need": True}])
def test_impulse_switched_off(kit, purchase):
    cfg = kit.config(purchase=purchase)
    st = kit.state(cfg, kit.empty(10))
    d = kit.day(st)
    d.seen_ad[0, 1:], d.touched[0, 1:] = 50, True
    assert needs.impulse_needs(st, d, cfg.purchase, cfg.annoyance, rng=np.random.default_rng(0)) == 0
    assert not d.impulse.any()


def test_impulse_dose_wears_out_with_memory(kit):
    """Same ads, memory E = 90 (E_w = 10): W = 10 ln(1 + 10/100) instead of 10 ln 2 (statistical)."""
    n = 20_001
    cfg = kit.config(purchase={"impulse_per_ad": 0.1}, annoyance={"wearout_exposures": 10.0})
    st = kit.state(cfg, kit.empty(n))
    st.memory[0] = 90.0
    d = kit.day(st)
    d.seen_ad[0, 1:], d.touched[0, 1:] = 10, True
    hits = needs.impulse_needs(st, d, cfg.purchase, cfg.annoyance, rng=np.random.default_rng(1))
    p = 1 - np.exp(-0.1 * 10 * np.log(1.1))
    kit.within(hits / (n - 1), p, kit.binom_sd(p, n - 1))


# ------------------------------------------------------------------------- init_state, placement


def test_init_state_ties_priors_and_circle_top_up(kit):
    """Graph friends tied strong/weak by edge type, topped up with weak acquaintances to
    circle_size; trust = baseline = tie prior; seller nodes tie-less, need-less, inactive."""
    topo = kit.edges(12, [(0, 1), (0, 2), (0, 3), (5, 6)], strong=[True, True, False, True])
    cfg = kit.config(n_sellers=2, circle_size=6, trust={"prior_strong": 0.6, "prior_weak": 0.35, "prior_stranger": 0.2})
    st = engine.init_state(cfg, topo, np.array([0, 5]), rng=np.random.default_rng(0))
    assert st.tie[0, 1] == STRONG and st.tie[0, 2] == STRONG and st.tie[0, 3] == WEAK
    assert np.count_nonzero(st.tie[0]) == 6 and np.count_nonzero(st.tie[1]) == 6
    assert st.tie[0, 5] == NO_TIE and st.tie[1, 0] == NO_TIE and st.tie[0, 0] == NO_TIE
    prior = np.array([0.2, 0.2, 0.35, 0.6])
    np.testing.assert_array_equal(st.baseline, prior[st.tie])
    np.testing.assert_array_equal(st.trust, st.baseline)
    np.testing.assert_array_equal(st.aware, st.tie > NO_TIE)
    assert not st.need[[0, 5]].any() and not st.tolerant[[0, 5]].any()
    assert st.activity[0] == st.activity[5] == 0.0 and np.all(st.activity[st.is_consumer] == 1.0)
    st.check_invariants()


def test_place_sellers_hub_and_median(kit):
    """hub = highest degree; median = a node of median degree; sellers are distinct."""
    topo = kit.edges(8, [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (1, 3), (5, 6)])
    deg = topo.degree
    cfg = kit.config(sellers={"s0": {"placement": "hub"}, "s1": {"placement": "hub"}, "s2": {"placement": "median"}})
    nodes = engine.place_sellers(topo, list(cfg.sellers.values()), rng=np.random.default_rng(0))
    assert nodes[0] == 0 and nodes[1] == 1
    free = np.setdiff1d(np.arange(8), nodes[:2])
    assert deg[nodes[2]] == np.median(deg[free])
    assert len(np.unique(nodes)) == 3


# ---------------------------------------------------------------------------- check_invariants


def _market(preset: str, seed: int = 1, **sections) -> RunConfig:
    return RunConfig.model_validate({"seed": seed, "days": 30, "network": {"kind": "friend_circles", "n": 400},
                                     "sellers": {"s": {"strategy": preset}}, **sections})


@pytest.mark.parametrize("preset", preset_names())
def test_invariants_hold_for_30_days_of_each_preset(preset):
    model = ViralModel(_market(preset))
    for _ in range(30):
        model.step()
        model.state.check_invariants()
    assert model.day == 30


def test_invariants_hold_for_competing_sellers_under_the_harassment_prompt():
    cfg = RunConfig.model_validate({
        "seed": 4, "days": 30, "network": {"kind": "friend_circles", "n": 400},
        "platform": {"moderation": "harassment_prompt", "fold_view_prob": 0.2},
        "sellers": {"a": {"strategy": "spam"}, "b": {"strategy": "fission"}, "c": {"strategy": "community"}},
    })
    model = ViralModel(cfg)
    for _ in range(30):
        model.step()
        model.state.check_invariants()
        st = model.state
        assert not st.commercial_share[st.seller_nodes].any(), "a seller node has a commercial feed"


def test_presets_are_the_six_documented_ones():
    assert preset_names() == ["broadcast", "community", "fission", "kol", "service_first", "spam"]


@pytest.mark.parametrize("corrupt, message", [
    (lambda st: st.trust.__setitem__((0, 3), 1.5), "trust"),
    (lambda st: st.trust.__setitem__((0, 3), -0.1), "trust"),
    (lambda st: st.annoyance.__setitem__((0, 3), -1.0), "annoyance"),
    (lambda st: st.activity.__setitem__(3, 1.2), "activity"),
    (lambda st: st.need.__setitem__(int(st.seller_nodes[0]), True), "need"),
    (lambda st: st.purchases.__setitem__((0, int(st.seller_nodes[0])), 1), "bought"),
    (lambda st: (st.tie.__setitem__((0, 3), NO_TIE), st.blocked.__setitem__((0, 3), True)), "blocked"),
    (lambda st: st.bought_friends.__setitem__((0, 3), -1), None),
])
def test_check_invariants_catches_corrupted_states(kit, corrupt, message):
    cfg = kit.config(circle_size=9)
    st = kit.state(cfg, kit.path(10))
    st.check_invariants()
    corrupt(st)
    with pytest.raises(AssertionError, match=message):
        st.check_invariants()


def test_day_counters_share_one_buffer_through_copies_and_pickles():
    """reset() is one memset of the buffer: a copy whose counters were separate arrays would keep
    yesterday's counts (the bug this guards against)."""
    import copy
    import pickle

    from viralsim.model.state import Day

    day = Day.empty(2, 50)
    day.seen_ad[1, 3], day.touched[0, 7], day.commercial_load[5] = 4, True, 2.5
    for twin in (copy.deepcopy(day), pickle.loads(pickle.dumps(day))):
        assert twin.seen_ad[1, 3] == 4 and twin.touched[0, 7] and twin.commercial_load[5] == 2.5
        assert not np.shares_memory(twin._buffer, day._buffer)
        twin.reset()
        assert all(not getattr(twin, name).any() for name in ("seen_ad", "touched", "commercial_load", "seen_reseller"))
        assert day.seen_ad[1, 3] == 4       # the original is untouched
    day.reset()
    assert not day._buffer.any()


def test_recorded_rows_hold_the_days_flows_and_stocks():
    """The daily table is the engine's flows plus the stocks read off the state, day by day, and a
    Seller's ``today`` is its last row; switching the DataCollector off changes nothing else."""
    from viralsim.metrics import COUNT_COLUMNS, seller_stocks

    cfg = _market("spam", seed=3)
    with_dc, without = ViralModel(cfg), ViralModel(cfg, collect=False)
    with_dc.compiled = False        # the spy sits on the Python schedule; `without` runs compiled days
    flows_seen = []
    original = engine.step

    def spy(*args, **kwargs):
        flows = original(*args, **kwargs)
        flows_seen.append(flows)
        return flows

    engine.step = spy
    try:
        for _ in range(5):
            with_dc.step()
    finally:
        engine.step = original
    without.run(5)
    a, b = with_dc.result(), without.result()
    assert a.daily.equals(b.daily) and a.market.equals(b.market) and a.summary.equals(b.summary)
    assert len(with_dc.datacollector.get_model_vars_dataframe()) == 5
    assert without.datacollector.get_model_vars_dataframe().empty
    last = a.daily[a.daily["day"] == 5].iloc[0]
    for k in ("purchases", "posts", "revenue", "exposures_ad", "reach"):
        assert last[k] == flows_seen[-1][k][0]
    stocks = seller_stocks(with_dc.state, cfg.purchase.interest_threshold)[0]
    today = with_dc.sellers[0].today
    assert today["day"] == 5 and today["seller"] == with_dc.sellers[0].name
    for k, v in stocks.items():
        assert (today[k] == v) or (np.isnan(v) and np.isnan(today[k]))
        assert last[k] == v or np.isnan(v)
    assert all(a.daily[c].dtype == np.int64 for c in COUNT_COLUMNS)
