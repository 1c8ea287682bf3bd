"""rules.plan.plan_day and sellers.flag_prob (folding), sellers.init_state / place_sellers, State.check_invariants
over short runs of every preset, and the whole day (pipeline.run_day) as ViralModel runs it."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from viralsim.config.presets import preset_names
from viralsim.config.schema import PlatformParams, Product, RunConfig, Strategy
from viralsim.metrics import COUNT_COLUMNS
from viralsim.model import ViralModel, pipeline, relations
from viralsim.model.outputs import FLOW_KEYS, STOCK_COLUMNS
from viralsim.model.relations import DAY_COLUMNS, NO_TIE, STATE_COLUMNS, STRONG, WEAK
from viralsim.model.rules.plan import empty_plans, plan_day
from viralsim.model.sellers import flag_prob, init_state, place_sellers, seller_table, sellers_of
from viralsim.model.stocks import stock_table

#: content types and slots of ``Plans.posts`` (state.Plans)
AD, VALUE, LIFE, PRIZE = range(4)
BUSY, IDLE = 0, 1


# ------------------------------------------------------------------------------------ plan_day


def _sellers(strategies, feed: dict | None = None, platform: dict | None = None):
    """The seller table of the given strategies (dicts) and the config it was built from."""
    cfg = RunConfig.model_validate({"feed": feed or {}, "platform": platform or {},
                                    "sellers": {f"s{i}": {} for i in range(len(strategies))}})
    table = seller_table(cfg, [Strategy.model_validate(s) for s in strategies], [Product()] * len(strategies),
                         np.arange(len(strategies)))
    return table, cfg


def _plans(strategy: dict, k: int, seed: int = 0, feed: dict | None = None, platform: dict | None = None):
    """One seller's plans of days 0..k-1 (each day has its own stream, seeded by the run key)."""
    sellers, _ = _sellers([strategy], feed, platform)
    key = np.random.default_rng(seed).bit_generator.random_raw(4).astype(np.uint64)
    out = []
    for day in range(k):
        plans = empty_plans(1)
        plan_day(key, day, sellers, plans, True)
        out.append(plans)
    return out


def test_plan_day_posts_are_stochastically_rounded(kit):
    """N = floor(x) + Bernoulli(frac(x)): only floor/ceil occur, mean x (statistical); the same
    for strangers, messages and the enquiries the seller can answer."""
    k = 20_000
    plans = _plans({"posts_per_day": 2.3, "strangers_per_day": 0.75, "messages_per_day": 4.0,
                    "service_capacity": 1.5}, k)
    n = np.array([p.posts.sum() for p in plans])
    assert set(np.unique(n)) == {2, 3}
    kit.within(n.mean(), 2.3, np.sqrt(0.3 * 0.7 / k))
    s = np.array([p.strangers[0] for p in plans])
    assert set(np.unique(s)) == {0, 1}
    kit.within(s.mean(), 0.75, np.sqrt(0.75 * 0.25 / k))
    assert all(p.messages[0] == 4 for p in plans)
    c = np.array([p.capacity[0] for p in plans])
    assert set(np.unique(c)) == {1, 2}
    kit.within(c.mean(), 1.5, np.sqrt(0.25 / k))


def test_plan_day_content_mix_is_multinomial(kit):
    """Types ~ Multinomial(N, mix): shares of ad/value/life/prize match the mix (statistical)."""
    mix = {"ad": 0.4, "value": 0.3, "life": 0.2, "prize": 0.1}
    plans = _plans({"posts_per_day": 10.0, "content": mix}, 4000, seed=1)
    by_type = np.sum([p.posts[0].sum(axis=1) for p in plans], axis=0)
    total = by_type.sum()
    assert total == 40_000
    for c, share in zip((AD, VALUE, LIFE, PRIZE), mix.values()):
        kit.within(by_type[c] / total, share, kit.binom_sd(share, total))


@pytest.mark.parametrize("slot", ["busy", "idle"])
def test_plan_day_single_slot_routing(slot):
    plans = _plans({"posts_per_day": 7.0, "posting_slot": slot}, 50)
    other = IDLE if slot == "busy" else BUSY
    assert all(p.posts[0, :, other].sum() == 0 and p.posts.sum() == 7 for p in plans)


def test_plan_day_mixed_slot_lands_idle_with_idle_hours_share(kit):
    """mixed: each post is idle with probability feed.idle_hours_share (statistical)."""
    plans = _plans({"posts_per_day": 10.0, "posting_slot": "mixed"}, 3000, seed=2, feed={"idle_hours_share": 0.7})
    idle = sum(p.posts[0, :, IDLE].sum() for p in plans)
    kit.within(idle / 30_000, 0.7, kit.binom_sd(0.7, 30_000))


def test_plan_day_groups_only_when_enabled():
    off = _plans({"groups": {"enabled": False, "posts_per_day": 3, "invites_per_day": 4}}, 5)
    assert all(p.group_posts[0] == 0 and p.invites[0] == 0 for p in off)
    on = _plans({"groups": {"enabled": True, "posts_per_day": 3, "invites_per_day": 4}}, 5)
    assert all(p.group_posts[0] == 3 and p.invites[0] == 4 for p in on)
    sellers, _ = _sellers([{"groups": {"enabled": True, "posts_per_day": 3, "invites_per_day": 4}}])
    assert sellers.reseller_posts[0] == 0.0


def test_plan_day_keeps_given_plans_and_draws_only_the_capacity():
    """draw = False (verification fixes the sellers' actions): the plans stay as given, and the
    day's service capacity is still the stochastic rounding of service_capacity."""
    sellers, _ = _sellers([{"posts_per_day": 9.0, "messages_per_day": 5.0, "service_capacity": 2.5}])
    key = np.arange(4, dtype=np.uint64)
    caps = set()
    for day in range(200):
        plans = empty_plans(1)
        plans.posts[0, VALUE, IDLE] = 2
        plans.strangers[0] = 7
        plan_day(key, day, sellers, plans, False)
        assert plans.posts[0].sum() == 2 and plans.posts[0, VALUE, IDLE] == 2
        assert plans.strangers[0] == 7 and plans.messages[0] == 0
        caps.add(int(plans.capacity[0]))
    assert caps == {2, 3}


def test_plan_day_draws_each_seller_from_her_own_stream():
    """A seller's plans do not depend on the sellers after her: seller 0 plans the same days
    alone and with a rival (per-seller streams)."""
    spam = {"posts_per_day": 6.5, "strangers_per_day": 2.5, "messages_per_day": 1.5}
    alone, _ = _sellers([spam])
    pair, _ = _sellers([spam, {"posts_per_day": 3.3, "messages_per_day": 0.5}])
    key = np.arange(10, 14, dtype=np.uint64)
    differ = 0
    for day in range(50):
        a, b = empty_plans(1), empty_plans(2)
        plan_day(key, day, alone, a, True)
        plan_day(key, day, pair, b, True)
        np.testing.assert_array_equal(a.posts[0], b.posts[0])
        assert (a.strangers[0], a.messages[0], a.capacity[0]) == (b.strangers[0], b.messages[0], b.capacity[0])
        differ += not np.array_equal(b.posts[0], b.posts[1])
    assert differ > 0


def test_fold_probability_combines_the_three_triggers():
    """p = 0 without the prompt; 1 above the frequency threshold (strict); else
    1 - (1 - flag_text)(1 - flag_image): text and image checked independently (seed 002 L347)."""
    prompt = PlatformParams(moderation="harassment_prompt", fold_threshold=100.0, flag_text=0.5, flag_image=0.2)
    none = PlatformParams(moderation="none", fold_threshold=100.0, flag_text=0.5, flag_image=0.2)
    assert flag_prob(Strategy(posts_per_day=120), prompt) == 1.0
    assert flag_prob(Strategy(posts_per_day=100), prompt) == pytest.approx(0.6)
    assert flag_prob(Strategy(posts_per_day=3), prompt) == pytest.approx(0.6)
    assert flag_prob(Strategy(posts_per_day=3), prompt.model_copy(update={"flag_text": 0.0, "flag_image": 0.0})) == 0
    assert flag_prob(Strategy(posts_per_day=1000), none) == 0.0
    sellers, cfg = _sellers([{"posts_per_day": 120}, {"posts_per_day": 3}],
                            platform={"moderation": "harassment_prompt", "fold_view_prob": 0.3})
    np.testing.assert_allclose(sellers.flag_prob, [1.0, 0.75])      # default text and image rates 0.5
    assert pipeline.prepare(cfg).feed.fold_prob == 0.3
    sellers, _ = _sellers([{"posts_per_day": 120}])
    assert sellers.flag_prob[0] == 0.0


def test_plan_day_folds_marketing_posts_binomially(kit):
    """folded[c, k] ~ Binomial(posts[c, k], p) for ads and prize posts; value and life posts are
    never folded (statistical); p = 1 folds every marketing post."""
    k = 4000
    mix = {"posts_per_day": 10, "content": {"ad": 0.4, "value": 0.3, "life": 0.1, "prize": 0.2}}
    prompt = {"moderation": "harassment_prompt", "flag_text": 0.5, "flag_image": 0.2}
    plans = _plans(mix, k, platform=prompt)
    posts = np.array([p.posts[0] for p in plans])
    folded = np.array([p.folded[0] for p in plans])
    assert (folded <= posts).all() and not folded[:, [VALUE, LIFE]].any()
    marketing = posts[:, [AD, PRIZE]].sum()
    kit.within(folded.sum() / marketing, 0.6, np.sqrt(0.6 * 0.4 / marketing))
    every = _plans(mix, 50, platform={**prompt, "fold_threshold": 5})
    for p in every:
        np.testing.assert_array_equal(p.folded[0, [AD, PRIZE]], p.posts[0, [AD, PRIZE]])


def test_moderation_leaves_the_sellers_other_draws_alone():
    """Folding draws come after a seller's other draws of the day, and none are made without the
    prompt: the posts, strangers and messages are the same with and without moderation."""
    mix = {"posts_per_day": 7.5, "strangers_per_day": 2.5, "messages_per_day": 1.5}
    off = _plans(mix, 30)
    on = _plans(mix, 30, platform={"moderation": "harassment_prompt"})
    for a, b in zip(off, on):
        np.testing.assert_array_equal(a.posts, b.posts)
        assert (a.strangers[0], a.messages[0]) == (b.strangers[0], b.messages[0])
        assert not a.folded.any()
    assert sum(int(b.folded.sum()) for b in on) > 0


# ------------------------------------------------------------------------- init_state, placement


def test_init_state_ties_priors_and_circle_top_up(kit):
    """Graph friends tied strong/weak by edge type, topped up with weak acquaintances to
    circle_size; trust = baseline = tie prior; every person is a consumer with full activity;
    no seller is tied to herself."""
    topo = kit.edges(12, [(0, 1), (0, 2), (0, 3), (5, 6)], strong=[True, True, False, True])
    cfg = kit.config(n_sellers=2, circle_size=6, trust={"prior_strong": 0.6, "prior_weak": 0.35, "prior_stranger": 0.2})
    rng = np.random.default_rng(0)
    st = init_state(cfg, topo, sellers_of(cfg, topo.n, rng), rng=rng, key_rng=np.random.default_rng(1),
                    nodes=np.array([0, 5]))
    tie = st.dense("tie")
    assert tie[0, 1] == STRONG and tie[0, 2] == STRONG and tie[0, 3] == WEAK and tie[1, 6] == STRONG
    assert np.count_nonzero(tie[0]) == 6 and np.count_nonzero(tie[1]) == 6
    assert np.count_nonzero(tie == WEAK) == 1 + 3 + 5, "acquaintances are weak ties"
    assert tie[0, 0] == NO_TIE and tie[1, 5] == NO_TIE
    assert st.n_relations == 12, "only the circles are stored"
    prior = np.array([0.2, 0.2, 0.35, 0.6])
    np.testing.assert_array_equal(st.dense("baseline"), prior[tie])
    np.testing.assert_array_equal(st.dense("trust"), st.dense("baseline"))
    np.testing.assert_array_equal(st.dense("aware"), tie > NO_TIE)
    assert st.is_consumer.all() and np.all(st.activity == 1.0)
    np.testing.assert_array_equal(st.seller_nodes, [0, 5])
    st.check_invariants()


def test_place_sellers_hub_and_median(kit):
    """hub = highest degree; median = a free node whose degree is closest to the median degree
    of the network (1.5 here: degree 1 or 2); sellers are distinct."""
    topo = kit.edges(8, [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (1, 3), (5, 6)])
    deg = topo.degree
    cfg = kit.config(sellers={"s0": {"placement": "hub"}, "s1": {"placement": "hub"}, "s2": {"placement": "median"},
                              "s3": {"placement": "median"}})
    for seed in range(20):
        nodes = place_sellers(topo, list(cfg.sellers.values()), rng=np.random.default_rng(seed))
        assert nodes[0] == 0 and nodes[1] == 1
        assert deg[nodes[2]] in (1, 2) and deg[nodes[3]] in (1, 2)
        assert len(np.unique(nodes)) == 4


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
        for s, node in enumerate(st.seller_nodes):
            assert relations.find(st.rel, s, int(node)) == -1, "a seller related to herself"


def test_presets_are_the_eight_documented_ones():
    assert preset_names() == ["big_v", "broadcast", "community", "fission", "group_buy", "kol", "service_first",
                              "spam", "stock_loading"]


def _duplicate(w):
    """Point the (0, 4) relation at node 3, which already has one."""
    w.rel.node[relations.find(w.rel, 0, 4)] = 3


@pytest.mark.parametrize("corrupt, message", [
    (lambda w: w.set("trust", 0, 3, 1.5), "trust"),
    (lambda w: w.set("trust", 0, 3, -0.1), "trust"),
    (lambda w: w.set("annoyance", 0, 3, -1.0), "annoyance"),
    (lambda w: w.people.activity.__setitem__(3, 1.2), "activity"),
    (lambda w: (w.people.is_consumer.__setitem__(3, False), w.people.need.__setitem__(3, True)), "need"),
    (lambda w: w.people.is_consumer.__setitem__(3, False), "non-consumer"),
    (lambda w: w.set("purchases", 0, 0, 1), "herself"),
    (lambda w: (w.set("tie", 0, 3, NO_TIE), w.set("blocked", 0, 3, True)), "blocked"),
    (lambda w: w.set("bought_friends", 0, 3, -1), None),
    (lambda w: w.set("bought_friends", 0, 3, 1), "engaged"),
    (lambda w: w.set("in_group", 0, 3, True), "group member"),
    (_duplicate, "two relations"),
])
def test_check_invariants_catches_corrupted_states(kit, corrupt, message):
    cfg = kit.config(circle_size=9)
    w = kit.world(cfg, kit.path(10))
    w.state.check_invariants()
    corrupt(w)
    with pytest.raises(AssertionError, match=message):
        w.state.check_invariants()


# ------------------------------------------------------------------------------------ the day


def test_clear_day_zeroes_the_day_counters_of_copies_and_pickles(kit):
    """relations.clear_day zeroes every day counter and nothing else, of the table it is given:
    a copy or a pickle of the table holds its own arrays (a twin sharing them would clear the
    original's counts, or keep yesterday's)."""
    w = kit.world(kit.config(circle_size=9), kit.path(10))
    w.set("seen_ad", 0, 3, 4)
    w.set("touched", 0, 7, True)
    w.set("seen_reseller", 0, 5, 70_000)
    w.set("trust", 0, 2, 0.9)
    lasting = {name: w.get(name) for name, *_ in STATE_COLUMNS}
    for twin in (copy.deepcopy(w.rel), pickle.loads(pickle.dumps(w.rel))):
        rows = (relations.find(twin, 0, 3), relations.find(twin, 0, 7), relations.find(twin, 0, 5))
        assert twin.seen_ad[rows[0]] == 4 and twin.touched[rows[1]] and twin.seen_reseller[rows[2]] == 70_000
        assert not any(np.shares_memory(getattr(twin, f), getattr(w.rel, f)) for f in twin._fields)
        relations.clear_day(twin)
        assert not any(getattr(twin, name).any() for name, _ in DAY_COLUMNS)
        assert w.get("seen_ad")[0, 3] == 4          # the original is untouched
    relations.clear_day(w.rel)
    assert not any(w.get(name).any() for name, _ in DAY_COLUMNS)
    for name, before in lasting.items():
        np.testing.assert_array_equal(w.get(name), before)


def test_fixed_plans_are_the_days_actions():
    """ViralModel.fixed_plans (pipeline.run_day with draw_plans False): every day the sellers act
    exactly as given: posts and the exposures they can make, messages and strangers added."""
    cfg = _market("spam", seed=2)
    model = ViralModel(cfg, collect=False)
    plans = empty_plans(1)
    plans.posts[0, VALUE, BUSY] = 3
    plans.posts[0, AD, IDLE] = 2
    plans.messages[0] = 4
    model.fixed_plans = plans
    model.run(5)
    daily = model.result().daily
    assert (daily["posts"] == 5).all() and (daily["messages_sent"] <= 4).all()
    assert (daily["exposures_life"] == 0).all() and (daily["exposures_prize"] == 0).all()
    assert daily["exposures_value"].sum() > 0 and daily["exposures_ad"].sum() > 0
    assert (daily["contacts"] == daily["contacts"].iloc[0]).all(), "a stranger was added"


def test_recorded_rows_hold_the_days_flows_and_stocks(monkeypatch):
    """The daily table is the day's flows plus the stocks read off the state, day by day, and a
    Seller's ``today`` is its last row; switching the DataCollector off changes nothing else."""
    cfg = _market("spam", seed=3)
    with_dc, without = ViralModel(cfg), ViralModel(cfg, collect=False)
    flows_seen, stocks_seen = [], []
    original = pipeline.run_days

    def spy(*args):
        out = original(*args)
        assert args[2] == 1                       # a step is one day
        flows_seen.append(args[12][0].copy())     # run_days' flows and stocks, filled by the day
        stocks_seen.append(args[14][0].copy())
        return out

    monkeypatch.setattr(pipeline, "run_days", spy)
    for _ in range(5):
        with_dc.step()
    monkeypatch.undo()
    without.run(5)
    assert len(flows_seen) == 5
    a, b = with_dc.result(), without.result()
    assert a.daily.equals(b.daily) and a.market.equals(b.market) and a.summary.equals(b.summary)
    assert len(with_dc.datacollector.get_model_vars_dataframe()) == 5
    assert without.datacollector.get_model_vars_dataframe().empty
    last = a.daily[a.daily["day"] == 5].iloc[0]
    for k in ("purchases", "posts", "revenue", "exposures_ad", "reach"):
        assert last[k] == flows_seen[-1][FLOW_KEYS.index(k), 0]
    st = with_dc.state
    stocks = np.empty((1, len(STOCK_COLUMNS)))
    stock_table(st.rel, 1, cfg.purchase.interest_threshold, st.sellers.brand, stocks)
    np.testing.assert_array_equal(stocks, stocks_seen[-1])
    today = with_dc.sellers[0].today
    assert today["day"] == 5 and today["seller"] == with_dc.sellers[0].name
    for k, v in zip(STOCK_COLUMNS, stocks[0]):
        assert (today[k] == v) or (np.isnan(v) and np.isnan(today[k]))
        assert last[k] == v or np.isnan(v)
    assert all(a.daily[c].dtype == np.int64 for c in COUNT_COLUMNS)
