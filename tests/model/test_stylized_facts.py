"""Stylized facts from the sources, as tests over several seeds (docs/model.md, Verification).

Each test compares means over fixed seeds. The margins come from the size of the effect the
mechanism produces (typically several standard errors of the seed-to-seed spread), so a model
that lost the mechanism fails; no threshold was set from a single run.
Runs use a 3,000-person friend-circle market over 180 days (about 0.5 s each).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from viralsim.config.load import load_config
from viralsim.config.schema import RunConfig
from viralsim.model import ViralModel, simulate

N = 3000
SEEDS = tuple(range(8))


def market(sellers: dict, seed: int, **sections) -> RunConfig:
    return RunConfig.model_validate(
        {"days": 180, "seed": seed, "network": {"kind": "friend_circles", "n": N}, "sellers": sellers, **sections}
    )


@cache
def _run(key: str):
    import json

    spec = json.loads(key)
    return simulate(market(spec.pop("sellers"), spec.pop("seed"), **spec))


def run(sellers: dict, seed: int, **sections):
    import json

    return _run(json.dumps({"sellers": sellers, "seed": seed, **sections}, sort_keys=True))


def solo(strategy: str, seed: int, **sections):
    """A market with a single seller of the given preset."""
    return run({strategy: {"strategy": strategy}}, seed, **sections)


def mean(values) -> float:
    return float(np.mean(list(values)))


def se(values) -> float:
    v = np.asarray(list(values), dtype=float)
    return float(v.std(ddof=1) / np.sqrt(len(v)))


# 1 -------------------------------------------------------------------------------------------
def test_spam_wins_early_loses_late_and_burns_its_circle():
    """Spam harvests the circle's current needs, then is muted/blocked; community compounds.

    Seed 000 L137, L239-241, L467; seed 002 L175, L357-367.
    """
    spam = [solo("spam", s) for s in SEEDS]
    comm = [solo("community", s) for s in SEEDS]
    early_spam = [r.daily.purchases[:14].sum() for r in spam]
    early_comm = [r.daily.purchases[:14].sum() for r in comm]
    diff = np.subtract(early_spam, early_comm)
    # Paired by seed (same graph): the early lead must exceed two standard errors.
    assert diff.mean() > 2 * se(diff), (early_spam, early_comm)
    total_spam = [r.summary.purchases[0] for r in spam]
    total_comm = [r.summary.purchases[0] for r in comm]
    assert max(total_spam) < min(total_comm)
    lost_spam = mean(r.summary.muted_blocked_share[0] for r in spam)
    lost_comm = mean(r.summary.muted_blocked_share[0] for r in comm)
    assert lost_spam >= 3 * lost_comm
    assert mean(r.summary.mean_trust_end[0] for r in spam) < mean(r.summary.mean_trust_end[0] for r in comm) - 0.3


# 2 -------------------------------------------------------------------------------------------
def test_harassment_prompt_cuts_spam_but_spares_community():
    """Folding high-frequency marketing posts kills 刷屏 conversion (seed 002 L345-355)."""
    fold = {"platform": {"moderation": "harassment_prompt"}}
    spam_off = mean(solo("spam", s).summary.purchases[0] for s in SEEDS)
    spam_on = mean(solo("spam", s, **fold).summary.purchases[0] for s in SEEDS)
    comm_off = mean(solo("community", s).summary.purchases[0] for s in SEEDS)
    comm_on = mean(solo("community", s, **fold).summary.purchases[0] for s in SEEDS)
    assert spam_on <= 0.5 * spam_off
    assert abs(comm_on - comm_off) <= 0.10 * comm_off


def test_harassment_prompt_folds_only_frequent_marketing_accounts():
    """A seller just below the frequency threshold is not folded; just above, it is."""
    fold = {"platform": {"moderation": "harassment_prompt", "fold_threshold": 10}}
    below = run({"s": {"strategy": "broadcast", "posts_per_day": 9}}, 0, **fold)
    above = run({"s": {"strategy": "broadcast", "posts_per_day": 11}}, 0, **fold)
    assert below.daily.exposures_ad.sum() > 20 * above.daily.exposures_ad.sum()


# 3 -------------------------------------------------------------------------------------------
def test_low_quality_kills_word_of_mouth_and_breeds_warnings():
    """Only quality products make WOM (seed 002 L373); failures spread disgust (seed 000 L327)."""
    good = [run({"c": {"strategy": "community", "product": {"quality": 0.85}}}, s) for s in SEEDS]
    bad = [run({"c": {"strategy": "community", "product": {"quality": 0.1}}}, s) for s in SEEDS]
    wom_good = mean(r.summary.purchases_wom[0] for r in good)
    wom_bad = mean(r.summary.purchases_wom[0] for r in bad)
    assert wom_bad <= 0.10 * wom_good
    neg_per_sale_good = mean(r.summary.wom_negative[0] / r.summary.purchases[0] for r in good)
    neg_per_sale_bad = mean(r.summary.wom_negative[0] / r.summary.purchases[0] for r in bad)
    assert neg_per_sale_bad > 3 * neg_per_sale_good


# 4 -------------------------------------------------------------------------------------------
def test_mass_adding_strangers_inflates_followers_not_buyers():
    """海量添加好友 inflates followers while conversion per follower falls (seed 000 L137, L245)."""
    base = [run({"c": {"strategy": "community"}}, s) for s in SEEDS]
    mass = [run({"c": {"strategy": "community", "strangers_per_day": 10}}, s) for s in SEEDS]
    assert mean(r.summary.followers_max[0] for r in mass) >= 2 * mean(r.summary.followers_max[0] for r in base)
    for b, m in zip(base, mass):
        assert m.summary.buyers_per_follower[0] < b.summary.buyers_per_follower[0]


# 5 -------------------------------------------------------------------------------------------
def test_cascade_sizes_are_heavy_tailed():
    """Viral outcomes are unpredictable, with rare large cascades (seed 000 L221, L235; seed 004 L501)."""
    sizes = np.concatenate([solo("community", s).cascade_sizes["size"].to_numpy() for s in SEEDS])
    assert len(sizes) > 500
    assert np.percentile(sizes, 99) >= 10 * np.median(sizes)


# 6 -------------------------------------------------------------------------------------------
def test_trust_decays_to_baseline_in_closed_form():
    """With no interaction, T(t) = B + (T0 - B) 2^(-t/h) (teachers' trust-decay demo)."""
    cfg = market({"quiet": {"strategy": "community", "posts_per_day": 0, "messages_per_day": 0,
                            "groups": {"enabled": False}}}, 3,
                 purchase={"need_rate": 0.0}, trust={"half_life": 17.0})
    model = ViralModel(cfg)
    rng = np.random.default_rng(0)
    m = model.state.n_relations
    assert m > 0
    model.state.rel.trust[:m] = rng.random(m)
    start = model.state.rel.trust[:m].copy()
    base = model.state.rel.baseline[:m]
    for t in range(1, 121):
        model.step()
        expected = base + (start - base) * 2.0 ** (-t / 17.0)
        assert np.max(np.abs(model.state.rel.trust[:m] - expected)) <= 1e-9


def test_trust_decay_after_real_interaction_follows_closed_form():
    """Trust raised by a real campaign relaxes exactly once the seller goes quiet."""
    cfg = market({"c": {"strategy": "service_first"}}, 4, wom={"recommend_prob": 0.0, "warn_prob": 0.0,
                                                              "block_warn_prob": 0.0})
    model = ViralModel(cfg)
    model.run(30)
    seller = model.sellers[0]
    seller.strategy = seller.strategy.model_copy(update={"posts_per_day": 0.0, "messages_per_day": 0.0})
    no_needs = model.config.purchase.model_copy(update={"need_rate": 0.0})
    model.config = model.config.model_copy(update={"purchase": no_needs})
    model.state.need[:] = False
    m = model.state.n_relations
    start, base, h = model.state.rel.trust[:m].copy(), model.state.rel.baseline[:m], cfg.trust.half_life
    assert np.max(np.abs(start - base)) > 0.2   # the campaign moved trust
    for _ in range(90):
        model.step()
    assert model.state.n_relations == m         # nobody new met the quiet seller
    expected = base + (start - base) * 2.0 ** (-90 / h)
    assert np.max(np.abs(model.state.rel.trust[:m] - expected)) <= 1e-9


# 7 -------------------------------------------------------------------------------------------
COMMONS_SEEDS = tuple(range(32))


def test_spam_sellers_pollute_the_commons():
    """More spammers: lower platform activity and fewer sales for the community seller.

    Seed 000 L461 (users use WeChat less), seed 002 L175 and L349, seed 003 L321.
    The sales effect is about one seed-to-seed SD of the paired difference (measured over 64
    seeds: mean 138, SD 136 of ~590 sales), so 8 seeds gave an expected t of only ~2.9. With 32
    seeds the expected t is ~5.7: the 3-SE bar fails a correct model with probability < 1 %,
    while a model without the effect (mean 0) clears it with probability ~0.3 %.
    """
    alone = [run({"c": {"strategy": "community"}}, s) for s in COMMONS_SEEDS]
    crowd = [run({"c": {"strategy": "community"}, "s1": {"strategy": "spam"}, "s2": {"strategy": "spam"},
                  "s3": {"strategy": "spam"}}, s) for s in COMMONS_SEEDS]
    act_alone = mean(r.market.platform_activity.mean() for r in alone)
    act_crowd = mean(r.market.platform_activity.mean() for r in crowd)
    assert act_crowd < act_alone - 0.05
    sales = lambda r: r.summary.set_index("seller").loc["c", "purchases"]  # noqa: E731
    diff = np.array([sales(a) - sales(c) for a, c in zip(alone, crowd)])
    assert diff.mean() > 3 * se(diff)


# 8 -------------------------------------------------------------------------------------------
def test_strong_ties_convert_better_than_weak_ties():
    """Recommendations over strong ties convert more (Goldenberg et al. 2001: beta_s > beta_w)."""
    runs = [solo("community", s) for s in SEEDS]
    strong = np.array([r.summary.wom_conv_strong[0] for r in runs])
    weak = np.array([r.summary.wom_conv_weak[0] for r in runs])
    assert np.all(strong > weak)
    assert strong.mean() > 2 * weak.mean()


# 9 -------------------------------------------------------------------------------------------
def test_need_triggered_contact_beats_push_at_equal_message_count():
    """Answering a need sells more and annoys less than pushing to the list (seed 001 L23, L30)."""
    only_messages = {"posts_per_day": 0, "messages_per_day": 3, "groups": {"enabled": False},
                     "service_capacity": 0}
    push = [run({"c": {"strategy": "community", "contact": "push", **only_messages}}, s) for s in SEEDS]
    need = [run({"c": {"strategy": "community", "contact": "need", **only_messages}}, s) for s in SEEDS]
    for p, n in zip(push, need):
        assert p.daily.messages_sent.sum() == n.daily.messages_sent.sum()
    assert mean(r.summary.customers[0] for r in need) > 2 * mean(r.summary.customers[0] for r in push)
    assert mean(r.daily.mean_annoyance.mean() for r in need) < 0.5 * mean(r.daily.mean_annoyance.mean() for r in push)


# 10 ------------------------------------------------------------------------------------------
def bass_recursion(p: float, q: float, days: int) -> np.ndarray:
    """Discrete-time Bass mean field F(t+1) = F(t) + (1 - F(t)) (p + q F(t)), F(0) = 0."""
    f = [0.0]
    for _ in range(days):
        f.append(f[-1] + (1.0 - f[-1]) * (p + q * f[-1]))
    return np.array(f[1:])


def test_complete_graph_without_trust_and_annoyance_is_the_bass_model():
    """Docking with Bass (1969) in daily steps at N = 10,000 (p = 0.03, q = 0.38)."""
    curves = []
    for seed in range(4):
        cfg = load_config("configs/bass_docking.yaml", seed=seed)
        r = simulate(cfg)
        curves.append(r.daily.customers.to_numpy() / (cfg.network.n - 1))
    p = cfg.purchase.ad_conversion * cfg.sellers["seller"].posts_per_day
    expected = bass_recursion(p, cfg.purchase.conformity, cfg.days)
    assert np.max(np.abs(np.mean(curves, axis=0) - expected)) <= 0.02
    # The continuous closed form is the wrong yardstick for daily steps: it is off by > 0.05.
    t = np.arange(1, cfg.days + 1)
    pq = p + cfg.purchase.conformity
    closed = (1 - np.exp(-pq * t)) / (1 + cfg.purchase.conformity / p * np.exp(-pq * t))
    assert np.max(np.abs(closed - expected)) > 0.05


def test_bass_docking_breaks_when_conformity_is_ignored():
    """The docking test has teeth: without the q F term the curve is far from Bass."""
    cfg = load_config("configs/bass_docking.yaml", seed=0, overrides=["purchase.conformity=0"])
    r = simulate(cfg)
    got = r.daily.customers.to_numpy() / (cfg.network.n - 1)
    assert np.max(np.abs(got - bass_recursion(0.03, 0.38, cfg.days))) > 0.2


# 11 ------------------------------------------------------------------------------------------
#: the old rule, a mutant of the model: no one who meets a seller outside her circle ever adds her
NO_ONE_FOLLOWS = {"follow": {"after_purchase": 0.0, "after_referral": 0.0, "in_group": 0.0}}
#: a partial mutant: buyers never follow (referred friends and group members still may)
BUYERS_NEVER_FOLLOW = {"follow": {"after_purchase": 0.0}}
#: sellers without groups, whose customers outside the circle had no way back but a new need
#: and a friend's pull (docs/model.md §3.3.23)
NO_GROUPS = ("service_first", "kol")


@cache
def _by_origin(strategy: str, seed: int, key: str) -> np.ndarray:
    """(customers, repeat customers) among the seller's initial contacts and among everyone else,
    at the end of a solo run."""
    import json

    cfg = market({strategy: {"strategy": strategy}}, seed, **json.loads(key))
    model = ViralModel(cfg, collect=False)
    st = model.state
    initial = st.rel.node[:st.n_relations][st.rel.tie[:st.n_relations] > 0].copy()
    model.run()
    st = model.state
    m = st.n_relations
    was_contact = np.isin(st.rel.node[:m], initial)
    bought = st.rel.purchases[:m]
    return np.array([(bought[was_contact] > 0).sum(), (bought[was_contact] > 1).sum(),
                     (bought[~was_contact] > 0).sum(), (bought[~was_contact] > 1).sum()])


def followers_facts(**sections) -> list[str]:
    """The broken criteria of "community sellers' followers grow through their buyers" (empty: all hold).

    Seed 000 L161-183 (buyers and referred users follow; follower growth is a KPI), seed 001 L34
    (service turns non-followers into fans), seed 002 L277, L369. Expected values were measured
    on seeds 100-131, not on the test's seeds (docs/model.md §6.3):

    1. The community seller's followers at day 180 are at least twice her initial circle (80):
       expected 487 (seed-to-seed SD 66, so the mean of 8 seeds has SE 23, 10 SE above the bar);
       under the old rule followers can only fall below the circle.
    2. The growth comes through her buyers: satisfied buyers are at least 15 % of the new
       followers (expected 30 %, 8-seed SE about 1 %), and buyers with the friends they told at
       least half (expected 87 %).
    3. Customers who were not initial contacts come back: for the sellers without groups
       (service_first, kol; 8 seeds each, pooled), the share of such customers who bought again
       is at least 0.23 of that of initial contacts, half-way between the old rule (0.148; 8-seed
       blocks 0.135-0.168) and following (0.315; blocks 0.302-0.337), about 5 SD from either.
    """
    import json

    failed = []
    comm = [run({"community": {"strategy": "community"}}, s, **sections).summary.iloc[0] for s in SEEDS]
    followers = mean(r.followers_end for r in comm)
    if not followers >= 2 * 80:
        failed.append(f"followers at the end {followers:.0f} < twice the circle")
    new = sum(r.new_followers for r in comm)
    buyers = sum(r.new_followers_purchase for r in comm)
    told = sum(r.new_followers_referral for r in comm)
    if not (new > 0 and buyers >= 0.15 * new and buyers + told >= 0.5 * new):
        failed.append(f"new followers {new}: {buyers} buyers, {told} told by a friend")
    split = sum(_by_origin(strategy, s, json.dumps(sections, sort_keys=True)) for strategy in NO_GROUPS
                for s in SEEDS)
    ratio = (split[3] / split[2]) / (split[1] / split[0])
    if not ratio >= 0.23:
        failed.append(f"repeat share of other customers / of contacts {ratio:.3f} < 0.23")
    return failed


def test_community_sellers_followers_grow_through_their_buyers():
    """Buyers and the friends they tell follow the seller; followed customers come back."""
    assert followers_facts() == []


def test_the_old_rule_fails_the_following_test():
    """The test has teeth: with no one following (the old rule) every criterion fails; with
    buyers never following, the criterion on buyers does."""
    assert len(followers_facts(**NO_ONE_FOLLOWS)) == 3
    failed = followers_facts(**BUYERS_NEVER_FOLLOW)
    assert any(f.startswith("new followers") for f in failed), failed
