"""Stylized facts from the sources, as tests over several seeds (docs/model.md, Verification).

Each test compares means over fixed seeds. The margins come from the size of the effect the
mechanism produces (typically several standard errors of the seed-to-seed spread), so a model
that lost the mechanism fails; no threshold was set from a single run.
Runs use a 3,000-person friend-circle market over 180 days (about 0.5 s each).
"""

from __future__ import annotations

import contextlib
from functools import cache
from unittest import mock

import numpy as np
import pytest
from scipy import stats

from viralsim.config.load import load_config
from viralsim.config.schema import RunConfig
from viralsim.model import ViralModel, mesa_model, sellers, simulate
from viralsim.model.rules import settle, ties

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


def uncached(sellers: dict, seed: int, **sections):
    """:func:`run` without its cache: under a source mutant, every run must run the mutated day."""
    return simulate(market(sellers, seed, **sections))


def solo(strategy: str, seed: int, **sections):
    """A market with a single seller of the given preset."""
    return run({strategy: {"strategy": strategy}}, seed, **sections)


def mean(values) -> float:
    return float(np.mean(list(values)))


def run_from_day_0(cfg: RunConfig):
    """Run ``cfg`` (a one-seller market); return the state at the end and, per relation row,
    whether its consumer was one of the seller's contacts on day 0."""
    model = ViralModel(cfg, collect=False)
    st = model.state
    initial = st.rel.node[:st.n_relations][st.rel.tie[:st.n_relations] > 0].copy()
    model.run()
    st = model.state
    return st, np.isin(st.rel.node[:st.n_relations], initial)


def se(values) -> float:
    v = np.asarray(list(values), dtype=float)
    return float(v.std(ddof=1) / np.sqrt(len(v)))


# 1 -------------------------------------------------------------------------------------------
#: mutants of fact 1: purchases that trust does not gate (seed 001 L34 says it does: "如果用户不接受
#: 你的品牌,不信任你,你的销售只会让用户反感"), and hard ads that annoy nobody
TRUST_NOT_GATING = {"purchase": {"trust_gating": False}}
ANNOYANCE_OFF = {"annoyance": {"enabled": False}}


#: the seeds of fact 1's early lead (its first 14 days alone: cheap runs). The lead is small
#: against its spread: 2.7-2.8 purchases a pair, per-pair SD 3.7 (64 seeds from 0 and from 100;
#: 2.1-2.3, SD 3.5-3.9, under a feed sampler with other draws), so 8 seeds (SE about 1.3) put the
#: mean above 2 SE about half the time (seeds 0-7 passed, at 2.9 against 2 x 0.7; with the other
#: draws they failed, at 0.9 against 2 x 1.2); with 64 (SE about 0.47) the bar, 2 SE, lies 2.6-3.9
#: SE below the effect.
EARLY_SEEDS = tuple(range(64))


def spam_against_community(**sections) -> dict:
    """The quantities of fact 1 over the 8 seeds (the early lead over :data:`EARLY_SEEDS`): solo
    spam against solo community sellers."""
    spam = [solo("spam", s, **sections) for s in SEEDS]
    comm = [solo("community", s, **sections) for s in SEEDS]
    early = np.subtract([solo("spam", s, days=14, **sections).summary.purchases[0] for s in EARLY_SEEDS],
                        [solo("community", s, days=14, **sections).summary.purchases[0] for s in EARLY_SEEDS])
    total_spam = np.array([r.summary.purchases[0] for r in spam])
    total_comm = np.array([r.summary.purchases[0] for r in comm])
    return {"early_lead": early.mean(), "early_se": se(early), "total_spam": total_spam, "total_comm": total_comm,
            "sales_ratio": total_spam.mean() / total_comm.mean(),
            "lost_spam": mean(r.summary.muted_blocked_share[0] for r in spam),
            "lost_comm": mean(r.summary.muted_blocked_share[0] for r in comm),
            "trust_spam": mean(r.summary.mean_trust_end[0] for r in spam),
            "trust_comm": mean(r.summary.mean_trust_end[0] for r in comm)}


def test_spam_wins_early_loses_late_and_burns_its_circle():
    """Spam harvests the circle's current needs, then is muted/blocked; community compounds.

    Seed 000 L137, L239-241, L467; seed 002 L175, L357-367. The spam seller's sales over 180 days
    are below 0.6 of the community seller's (measured 0.29 on the test's seeds, 129 against 442;
    0.31 on seeds 100-107); with the mutants below 0.92 on both seed sets (trust not gating
    purchases: both sell to nearly every need) and 6.3 and 5.8 (hard ads annoying nobody). The
    bar lies half-way between the model and the nearer mutant.
    """
    f = spam_against_community()
    # Paired by seed (same graph): the early lead must exceed two standard errors.
    assert f["early_lead"] > 2 * f["early_se"], f
    assert f["total_spam"].max() < f["total_comm"].min(), f
    assert f["sales_ratio"] < 0.6, f
    assert f["lost_spam"] >= 3 * f["lost_comm"], f
    assert f["trust_spam"] < f["trust_comm"] - 0.3, f


def test_spam_early_late_test_detects_purchases_trust_does_not_gate():
    """Mutant: purchases that trust does not gate ("selling before trust" would work). The spam
    seller then sells about as much as the community seller (0.92 of her sales): she no longer
    loses late."""
    f = spam_against_community(**TRUST_NOT_GATING)
    assert not f["sales_ratio"] < 0.6, f


def test_spam_early_late_test_detects_ads_that_annoy_nobody():
    """Mutant: hard ads annoy nobody. The spam seller keeps her circle (muted or blocked share
    0.007 against 0.56) and outsells the community seller six times over."""
    f = spam_against_community(**ANNOYANCE_OFF)
    assert not f["sales_ratio"] < 0.6, f


# 2 -------------------------------------------------------------------------------------------
MODERATION = {"platform": {"moderation": "harassment_prompt"}}
HEAD_TO_HEAD = {"spam": {"strategy": "spam"}, "community": {"strategy": "community"}}
#: 64 seeds. At the calibrated feed (docs/model.md §5.1) the community seller's head-to-head
#: sales gain is about +10 %: +25 units a run (seed-to-seed SD 69) on seeds 100-131, +40 (SD 82)
#: on seeds 16-47, +54 (SD 87) on seeds 132-163, on about 400 sales; about +40 (SD 80) over the
#: 96 seeds. With 64 seeds the SE of the mean gain is about 10, so the bar of two SE (about 20)
#: lies about 2 SE below the expected gain (a false alarm about once in 40 runs of the suite on
#: new seeds), and a model without the gain (mean 0) clears it once in 40; 32 seeds (SE 14) left
#: the bar 0.9 SE below the expected gain.
H2H_SEEDS = tuple(range(64))
#: 32 seeds for the lone community seller with and without the prompt (see the test below)
MODERATION_ALONE_SEEDS = tuple(range(32))


def test_harassment_prompt_cuts_spam_but_spares_community():
    """The prompt kills 刷屏 conversion (seed 002 L345-355): every marketing post of an account
    above the frequency threshold is folded. A community seller alone loses little although her
    own ads are folded too (text and image triggers): she sells through value content, groups and
    service, which the platform does not fold. The source allows her to be "barely affected or
    gain" (seed 002 L351, L355): at the calibrated feed she is barely affected (-18 of 480 sales,
    SE 15, on seeds 100-131; 8-seed blocks 0.88-1.03 of her sales without the prompt), since her
    few ads hardly annoy anyone: her muted-or-blocked share is 0.4 % without the prompt, 0.1 %
    with it. The per-seed ratio has an SD of about 0.18, so over 32 seeds the SE of the mean
    ratio is about 0.03 and the bar of 0.9 lies 2 SE below the expected 0.96 (over 8 seeds, SE
    0.06, it lay one SE below)."""
    spam_off = mean(solo("spam", s).summary.purchases[0] for s in SEEDS)
    spam_on = mean(solo("spam", s, **MODERATION).summary.purchases[0] for s in SEEDS)
    comm_on = [solo("community", s, **MODERATION) for s in MODERATION_ALONE_SEEDS]
    comm_off = mean(solo("community", s).summary.purchases[0] for s in MODERATION_ALONE_SEEDS)
    assert spam_on <= 0.5 * spam_off
    assert mean(r.summary.purchases[0] for r in comm_on) >= 0.9 * comm_off
    assert min(r.daily.posts_folded.sum() for r in comm_on) > 0, "any seller's marketing posts can be folded"


def _head_to_head(runner) -> tuple[np.ndarray, np.ndarray]:
    """Paired (by seed) changes that the prompt brings to the community seller facing a spammer:
    value posts of hers read, and her purchases."""
    reads, sales = [], []
    for seed in H2H_SEEDS:
        off, on = runner(HEAD_TO_HEAD, seed), runner(HEAD_TO_HEAD, seed, **MODERATION)
        comm = [r.daily[r.daily.seller == "community"] for r in (off, on)]
        reads.append(comm[1].exposures_value.sum() - comm[0].exposures_value.sum())
        sales.append(comm[1].purchases.sum() - comm[0].purchases.sum())
    return np.array(reads, float), np.array(sales, float)


def _moderation_frees_attention(reads, sales) -> bool:
    return bool(reads.mean() > 2 * se(reads) and sales.mean() > 2 * se(sales))


def test_moderation_helps_the_community_seller_head_to_head():
    """Folding the spammer frees her followers' attention for the other sellers (seed 002 L351:
    "真正的微商开始看到光明"; L355): the community seller's value posts are read more, and she
    sells more, with the prompt than without, in the same market (paired by seed; each change
    must exceed two standard errors of its seed-to-seed spread)."""
    reads, sales = _head_to_head(run)
    assert _moderation_frees_attention(reads, sales), (reads.mean(), se(reads), sales.mean(), se(sales))


@pytest.mark.slow
def test_moderation_head_to_head_fails_when_folded_posts_still_fill_the_feed():
    """Mutant: the platform hides folded posts from reading but they still take their place in the
    feed (the load counts them). The test above must fail for it."""
    from source_mutants import mutant_day

    from viralsim.model.rules import feed

    fill = ("                if not shown:\n"
            "                    ads0 -= folded[s, 0]\n"
            "                    ads1 -= folded[s, 1]\n")
    with mutant_day(feed, "deliver_posts", fill, ""):
        reads, sales = _head_to_head(uncached)
    assert not _moderation_frees_attention(reads, sales), (reads.mean(), se(reads), sales.mean(), se(sales))


# 3 -------------------------------------------------------------------------------------------
# Overselling at equal quality costs word of mouth, customers and followers (docs/model.md §6.3,
# row 3): seed 002 L373 (only quality and service make word of mouth), seed 000 L327 (disgust:
# no repurchase, negative word of mouth to kin), L367 (kept promises earn stickiness).

#: two community sellers' products of equal quality: ads that tell the truth, and ads that
#: oversell it by 0.3 (the promise 1.15, more than any product delivers)
HONEST = {"c": {"strategy": "community", "product": {"quality": 0.85}}}
OVERSOLD = {"c": {"strategy": "community", "product": {"quality": 0.85, "hype": 0.3}}}


def overselling_facts(runner) -> list[str]:
    """The broken criteria of "overselling costs word of mouth, customers and followers" (empty:
    all hold); ``runner(sellers, seed)`` runs a market.

    Nothing here is set by the hype directly: it lowers the chance that a purchase satisfies,
    and the test measures what follows over 180 days of the market, summed over the 8 seeds:
    recommendations that sold (fewer satisfied buyers recommend, the friends they reach are
    warned instead), customers (the referral pull and the follows that bring new buyers back
    are missing) and followers at the end (fewer satisfied buyers follow, disappointed contacts
    break ties). Expected ratios oversold / honest, measured on seeds 100-107 (not the test's):
    purchases_wom 0.45, customers 0.60, followers 0.54. Each bar lies half-way between that and
    1, the ratio of a model in which the promise does not matter (the mutant below); the
    seed-to-seed SDs of the honest seller (word-of-mouth purchases 36, customers 58, followers 41
    on means of 166, 336 and 302) give an 8-seed SE of the ratio of about 0.08, 0.06 and 0.05,
    so every bar is at least 3.3 SE from both the expected ratio and 1 (purchases_wom: the bar
    0.27 from either side, 3.6 SE; customers 0.20, 3.3 SE; followers 0.23, 4.7 SE).
    """
    honest = [runner(HONEST, s).summary.iloc[0] for s in SEEDS]
    oversold = [runner(OVERSOLD, s).summary.iloc[0] for s in SEEDS]
    failed = []
    for kpi, bar in (("purchases_wom", 0.72), ("customers", 0.80), ("followers_end", 0.77)):
        ratio = sum(r[kpi] for r in oversold) / sum(r[kpi] for r in honest)
        if not ratio < bar:
            failed.append(f"{kpi}: oversold / honest = {ratio:.3f}, not below {bar}")
    return failed


def test_overselling_costs_word_of_mouth_customers_and_followers():
    """At equal quality, ads that promise more than the product delivers lose the market."""
    assert overselling_facts(run) == []


@pytest.mark.slow
def test_overselling_test_detects_satisfaction_that_ignores_the_promise():
    """The test has teeth: judged on quality alone (the rule before value for money: the
    promise does not enter the expectation), the oversold seller does as well as the honest
    one and every criterion fails."""
    def quality_alone(product, purchase):
        return settle.expectation(product.model_copy(update={"hype": 0.0}), purchase)

    with mock.patch.object(sellers, "expectation", quality_alone):
        failed = overselling_facts(uncached)
    assert len(failed) == 3, failed


# 4 -------------------------------------------------------------------------------------------
# Mass-adding strangers inflates followers, not buyers (seed 000 L137: with 海量添加好友 and
# 暴力刷屏 many buyers hesitate and withdraw; L245: followers inflated by adding friends widely are
# no measure of success; docs/model.md §6.3, row 4).

#: the mutant: a seller's added strangers are treated as weak-tie acquaintances, starting from and
#: relaxing to the weak tie's trust prior (0.35) instead of the stranger's (0.2)
STRANGERS_AS_ACQUAINTANCES = ("                rel.tie[r] = STRANGER\n                rel.aware[r] = True\n"
                              "                added += 1\n",
                              "                rel.tie[r] = STRANGER\n"
                              "                rel.trust[r] = max(rel.trust[r], 0.35)\n"
                              "                rel.baseline[r] = 0.35\n                rel.aware[r] = True\n"
                              "                added += 1\n")


@cache
def _stranger_buyers(seed: int, mutant: bool = False) -> np.ndarray:
    """(day-0 contacts, of them customers at day 180, strangers the spam seller added in days
    1-30, of them customers at day 180) of a solo spam seller (``mutant`` keeps the mutated runs
    apart in the cache)."""
    model = ViralModel(market({"spam": {"strategy": "spam"}}, seed), collect=False)
    m0 = model.state.n_relations
    initial = model.state.rel.tie[:m0] > 0
    model.run(30)
    m30 = model.state.n_relations
    added = model.state.rel.tie[:m30] == 1           # STRANGER: added (a very few followed her)
    added[:m0] &= ~initial
    model.run()
    bought = model.state.rel.purchases[:m30] > 0
    return np.array([initial.sum(), bought[:m0][initial].sum(), added.sum(), bought[added].sum()])


def stranger_conversion(mutant: bool = False) -> float:
    """Share of a spam seller's early-added strangers who ever buy from her, over that of her
    day-0 contacts (pooled over the seeds)."""
    c = sum(_stranger_buyers(s, mutant) for s in SEEDS)
    return float((c[3] / c[2]) / (c[1] / c[0]))


def test_mass_adding_strangers_inflates_followers_not_buyers():
    """The strangers a spam seller mass-adds (20 a day) buy from her far less than her own circle.

    Nothing sets the ratio: the strangers added in her first 30 days (about 600 a run) read the
    same flood of ads as her circle from the day they are added; whether they buy depends on
    their needs, on the trust gate at a stranger's low trust (prior 0.2, §3.3.5) that her hard
    ads never raise, on the annoyance that makes them hesitate, mute and block, and on the word
    of mouth and repeat purchases that follow. Measured at the calibrated defaults on seeds 0-7
    (pooled): 5.2 % of them against 13.6 % of her day-0 contacts bought, a ratio of 0.38
    (per-seed SD 0.11, so an 8-seed SE of about 0.04); with the mutant (added strangers treated
    as weak-tie acquaintances, trust prior 0.35) 0.87 (per-seed SD 0.17, SE 0.06). The bar, 0.63,
    lies half-way: 6 SE above the expected ratio and 4 mutant SE below the mutant's. (A
    community seller adding 10 a day converts her added strangers better through her value
    content: 0.75 of her circle's rate, 0.83 with the mutant; too close to tell the rules apart.)
    """
    ratio = stranger_conversion()
    assert ratio < 0.63, ratio


@pytest.mark.slow
def test_stranger_test_detects_strangers_treated_as_acquaintances():
    """The test has teeth: when added strangers start from a weak tie's trust, they buy nearly as
    often as the seller's circle and the criterion fails."""
    from source_mutants import mutant_day

    from viralsim.model.rules import contacts

    with mutant_day(contacts, "add_strangers", *STRANGERS_AS_ACQUAINTANCES):
        ratio = stranger_conversion(mutant=True)
    assert not ratio < 0.63, ratio


# 5 -------------------------------------------------------------------------------------------
#: the mutant of fact 5: word of mouth one to one (a satisfied buyer tells at most one friend, as in
#: a private chat) instead of to each friend with the recommendation probability
ONE_FRIEND_TOLD = ("        k = _told(graph, u, prob, rs, friends, strong)\n",
                   "        k = min(1, _told(graph, u, prob, rs, friends, strong))\n")


def cascade_tail(runner=run) -> tuple[int, int, float]:
    """Fact 5's quantities over the 8 seeds: cascades, those of 10 or more buyers, and how many of
    those a memoryless process of the same mean would give."""
    sizes = np.concatenate([runner({"community": {"strategy": "community"}}, s).cascade_sizes["size"].to_numpy()
                            for s in SEEDS])
    # Heavier-tailed than memoryless: a geometric distribution of the same mean (sizes >= 1, each
    # further buyer equally likely) makes cascades of 10 or more buyers a rare accident; word of
    # mouth on a friendship graph, whose hubs pass it to many, makes several times as many.
    expected = len(sizes) * (1.0 - 1.0 / sizes.mean()) ** 9      # n P(X >= 10), X ~ Geometric(1 / mean)
    return len(sizes), int((sizes >= 10).sum()), float(expected)


def heavy_tailed(large: int, expected: float) -> bool:
    return stats.poisson.sf(large - 1, expected) < 1e-3 and large >= 5 * expected


def test_cascade_sizes_are_heavy_tailed():
    """Viral outcomes are unpredictable, with rare large cascades (seed 000 L221, L235; seed 004 L501).

    Measured at the calibrated defaults of docs/model.md §5.1: 14 cascades of 10 or more buyers
    of 1,556 against 0.84 expected of a memoryless process (19 of 1,475 against 1.06 on seeds
    100-107; the largest 21 buyers). With word of mouth one to one (the mutant below) cascades
    are chains: mean size 1.08 instead of 1.77, none of 10 or more, the largest 3.
    """
    n, large, expected = cascade_tail()
    assert n > 500
    assert heavy_tailed(large, expected), (large, expected)


@pytest.mark.slow
def test_cascade_test_detects_word_of_mouth_one_to_one():
    """Mutant: a satisfied buyer tells at most one friend (rules.wom.recommend). The test above
    must fail for it."""
    from source_mutants import mutant_day

    from viralsim.model import pipeline
    from viralsim.model.rules import wom

    with mutant_day(wom, "recommend", *ONE_FRIEND_TOLD, via=((pipeline, "word_of_mouth"),)):
        n, large, expected = cascade_tail(uncached)
    assert n > 500 and not heavy_tailed(large, expected), (n, large, expected)


# 6 -------------------------------------------------------------------------------------------
def quiet_decay_error() -> float:
    """Largest gap, over 120 quiet days and every relation, between trust and the closed form
    T(t) = B + (T0 - B) 2^(-t/h), from random starting trust (no posts, messages or needs)."""
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
    assert np.ptp(base) > 0.1                   # ties of several kinds: baselines differ
    gap = 0.0
    for t in range(1, 121):
        model.step()
        expected = base + (start - base) * 2.0 ** (-t / 17.0)
        gap = max(gap, float(np.max(np.abs(model.state.rel.trust[:m] - expected))))
    return gap


def campaign_decay_error() -> float:
    """The gap between trust and the closed form 90 days after a real 30-day campaign stopped."""
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
    return float(np.max(np.abs(model.state.rel.trust[:m] - expected)))


def test_trust_decays_to_baseline_in_closed_form():
    """With no interaction, T(t) = B + (T0 - B) 2^(-t/h) (teachers' trust-decay demo)."""
    assert quiet_decay_error() <= 1e-9


def test_trust_decay_after_real_interaction_follows_closed_form():
    """Trust raised by a real campaign relaxes exactly once the seller goes quiet."""
    assert campaign_decay_error() <= 1e-9


#: the mutant of fact 6: trust fades toward nothing instead of toward the tie's baseline (a stranger's
#: prior, a friend's higher one): T(t+1) = T(t) 2^(-1/h)
TRUST_FADES_TO_ZERO = ("            trust[r] = (trust[r] - baseline[r]) * f + baseline[r]\n",
                       "            trust[r] = trust[r] * f\n")


@pytest.mark.slow
def test_trust_decay_tests_detect_trust_that_fades_to_nothing():
    """Mutant: trust fades toward 0, not toward the tie's baseline (rules.relax). Both closed-form
    tests above must fail for it: trust ends far below the closed form (measured: by up to 0.60
    over the quiet 120 days, 0.39 ninety days after the campaign; 1e-15 without the mutant)."""
    from source_mutants import mutant_day

    from viralsim.model.rules import relax

    with mutant_day(relax, "relax", *TRUST_FADES_TO_ZERO, day_name="relax_stocks"):
        quiet, campaign = quiet_decay_error(), campaign_decay_error()
    assert quiet > 0.05 and campaign > 0.05, (quiet, campaign)


# 7 -------------------------------------------------------------------------------------------
COMMONS_SEEDS = tuple(range(32))
#: the mutant of fact 7: a seller's posts compete for a reader's attention only with her friends'
#: posts, not with the other sellers' (each seller read as if she were the only one)
#: (the feed reads each relation with the probabilities of her friends' posts and this seller's
#: alone, put in her load row, with a fresh skip to the next read post: the carried one was
#: drawn for another probability)
ATTENTION_NOT_SHARED = (
    "        rho0, rho1 = load[i, 0], load[i, 1]\n",
    "        own0 = 0.0\n"
    "        own1 = 0.0\n"
    "        if w & _VISIBLE:\n"
    "            for c in range(4):\n"
    "                own0 += plans.posts[s][c, 0]\n"
    "                own1 += plans.posts[s][c, 1]\n"
    "        rho0 = _read_prob(par.attention0 * people.activity[i], people.organic0[i] + own0)\n"
    "        rho1 = _read_prob(par.attention1 * people.activity[i], people.organic1[i] + own1)\n"
    "        load[i, 0] = rho0\n"
    "        load[i, 1] = rho1\n"
    "        load[i, 2] = np.log1p(-rho0) if rho0 < 1.0 else -np.inf\n"
    "        load[i, 3] = np.log1p(-rho1) if rho1 < 1.0 else -np.inf\n"
    "        skips[i, 0] = -1.0\n"
    "        skips[i, 1] = -1.0\n")


def commons(runner=run) -> dict:
    """Fact 7's quantities: a community seller alone and with three spam sellers (32 seeds)."""
    alone = [runner({"c": {"strategy": "community"}}, s) for s in COMMONS_SEEDS]
    crowd = [runner({"c": {"strategy": "community"}, "s1": {"strategy": "spam"}, "s2": {"strategy": "spam"},
                     "s3": {"strategy": "spam"}}, s) for s in COMMONS_SEEDS]

    def sales(r):
        return r.summary.set_index("seller").loc["c", "purchases"]

    def read_per_follower(r):
        d = r.daily[r.daily.seller == "c"]
        return d.exposures_value.sum() / d.followers.sum()

    reads = np.array([read_per_follower(c) / read_per_follower(a) for a, c in zip(alone, crowd)])
    return {"activity_alone": mean(r.market.platform_activity.mean() for r in alone),
            "activity_crowd": mean(r.market.platform_activity.mean() for r in crowd),
            "sales_diff": np.array([sales(a) - sales(c) for a, c in zip(alone, crowd)]), "reads": reads}


def test_spam_sellers_pollute_the_commons():
    """More spammers: lower platform activity and fewer sales for the community seller.

    Seed 000 L461 (users use WeChat less), seed 002 L175 and L349, seed 003 L321.
    The sales effect is between one and two seed-to-seed SDs of the paired difference (measured
    at the calibrated defaults over seeds 100-163: mean 179, SD 101 of ~475 sales; it was 138, SD
    136, before the calibration), so 8 seeds give an expected t of ~5. With 32 seeds the expected
    t is ~10: the 3-SE bar fails a correct model with negligible probability, while a model
    without the effect (mean 0) clears it with probability ~0.3 %.

    The commons is the readers' attention: among three spammers each follower of the community
    seller reads about 0.57 as many of her value posts a day as when she is alone (0.566, SE
    0.004, on the test's seeds; 0.569, SE 0.005, on seeds 100-131). A part of that fall is the
    platform activity the spam takes away (docs/model.md §3.3.19): with the mutant below, where
    sellers do not share the reader's attention, it is 0.70 (SE 0.004), and the sales effect, 96
    (SE 18) instead of 164 (SE 14), still clears the sales bar. The bar on reads, 0.63, lies
    half-way, more than 15 SE from each.
    """
    f = commons()
    assert f["activity_crowd"] < f["activity_alone"] - 0.05, f
    diff = f["sales_diff"]
    assert diff.mean() > 3 * se(diff), (diff.mean(), se(diff))
    assert f["reads"].mean() < 0.63, (f["reads"].mean(), se(f["reads"]))


@pytest.mark.slow
def test_commons_test_detects_attention_that_sellers_do_not_share():
    """Mutant: each seller's posts compete for attention only with the reader's friends' posts
    (rules.feed with each seller read as if alone). The reads criterion above must fail."""
    from source_mutants import mutant_day

    from viralsim.model.rules import feed

    with mutant_day(feed, "deliver_posts", *ATTENTION_NOT_SHARED):
        f = commons(uncached)
    assert not f["reads"].mean() < 0.63, (f["reads"].mean(), se(f["reads"]))


# 8 -------------------------------------------------------------------------------------------
# Recommendations over strong ties convert better (Goldenberg, Libai & Muller 2001; seed 003 L19:
# you trust your friend, not a stranger) even when every recommendation pulls alike
# (docs/model.md §6.3, row 8).

#: the persuasion parameters set equal (beta_s = beta_w = 0.06), so that any gap in conversion is
#: made by the trust the recommendation carries, not by the pull it adds
EQUAL_PERSUASION = {"wom": {"strong_persuasion": 0.06, "weak_persuasion": 0.06}}
#: the mutant: a recommendation passes on trust whatever the tie (weak ties weigh as much as
#: strong ones in trust transfer and warnings)
TRANSFER_IGNORES_TIE = {"wom": {"strong_persuasion": 0.06, "weak_persuasion": 0.06, "weak_tie_weight": 1.0}}
TIE_SEEDS = tuple(range(16))


def strong_minus_weak_conversion(**sections) -> np.ndarray:
    """Per seed, referral purchases per recommendation over strong ties minus over weak ties
    (a lone community seller, 180 days)."""
    runs = [solo("community", s, **sections).summary.iloc[0] for s in TIE_SEEDS]
    return np.array([r.wom_conv_strong - r.wom_conv_weak for r in runs])


def test_strong_ties_convert_better_than_weak_ties():
    """With the persuasion parameters equal, a strong friend's recommendation still converts more.

    Nothing sets the gap: a recommendation pulls alike over either tie, and it raises the
    friend's trust toward the recommender's own, in full over a strong tie and half over a weak
    one (trust transfer, §3.3.17); whether the friend then buys depends on the trust gate, her
    need and whatever else she reads. Measured at the calibrated defaults on seeds 0-15: 0.070
    purchases per strong-tie recommendation against 0.058 per weak-tie one (ratio 1.23), a
    per-seed difference of 0.0124 (SD 0.0079); the mutant (trust transfer ignoring the tie)
    -0.0039 (SD 0.0073). With 16 seeds the SE of the mean difference is 0.0020 (0.0018 for the
    mutant); the bar, 0.0043, lies half-way between the two, 4 SE from the expected difference
    and 4.5 SE from the mutant's. (With trust priors that ignore the tie as well, 0.35 for every
    tie, the difference is -0.0014: the gap comes through the trust that is passed on, not from
    the circles.)
    """
    diff = strong_minus_weak_conversion(**EQUAL_PERSUASION)
    assert diff.mean() > 0.0043, (diff.mean(), se(diff))


@pytest.mark.slow
def test_tie_conversion_test_detects_trust_transfer_that_ignores_the_tie():
    """The test has teeth: when a weak tie passes on trust as a strong one does, the strong
    ties' advantage goes and the criterion fails."""
    diff = strong_minus_weak_conversion(**TRANSFER_IGNORES_TIE)
    assert not diff.mean() > 0.0043, (diff.mean(), se(diff))


# 9 -------------------------------------------------------------------------------------------
#: the mutant of fact 9: an answer to a need annoys as much as an unsolicited pitch (the annoyance
#: rule ignores whether the consumer asked; seed 001 L23 says a reply to a need is no harassment)
ANSWERS_ANNOY_LIKE_PITCHES = ("(par.f_sol if rel.solicited[r] else 1.0)", "(1.0)")


def messages_seller(contact: str, per_day: float) -> dict:
    """A community seller who only messages her circle, ``per_day`` a day in ``contact`` mode
    (push or need): no posts, no groups, no answers to enquiries."""
    return {"c": {"strategy": "community", "contact": contact, "posts_per_day": 0, "messages_per_day": per_day,
                  "groups": {"enabled": False}, "service_capacity": 0}}


def need_against_push(runner=run) -> tuple[float, float]:
    """Over the 8 seeds, the mean over days of the contacts' mean annoyance of a need-mode and of
    a push-mode seller who only message, 3 a day each (the same count: asserted)."""
    push = [runner(messages_seller("push", 3), s) for s in SEEDS]
    need = [runner(messages_seller("need", 3), s) for s in SEEDS]
    for p, n in zip(push, need):
        assert p.daily.messages_sent.sum() == n.daily.messages_sent.sum()
    return mean(r.daily.mean_annoyance.mean() for r in need), mean(r.daily.mean_annoyance.mean() for r in push)


def test_answers_to_needs_annoy_less_than_pitches_at_equal_count():
    """At the same number of messages (3 a day), the contacts of a seller who answers needs are
    less annoyed than those of one who pushes to her list (seed 001 L23: an answer to a need is no
    harassment). This checks the rule (the solicited factor), not an emergent fact: the need
    seller's contacts are 0.20 times as annoyed as the push seller's on average (8 seeds); under
    the mutant below, where an answer annoys like a pitch, 0.98 times. The buyers are the next
    test's."""
    need_annoyance, push_annoyance = need_against_push()
    assert need_annoyance < 0.5 * push_annoyance


@pytest.mark.slow
def test_need_contact_test_detects_answers_that_annoy_like_pitches():
    """Mutant: a message that answers a need annoys as much as an unsolicited one (rules.annoyance
    ignores ``solicited``). The annoyance half of the test above must fail for it."""
    from source_mutants import mutant_day

    from viralsim.model.rules import annoyance

    with mutant_day(annoyance, "add_annoyance", *ANSWERS_ANNOY_LIKE_PITCHES):
        need_annoyance, push_annoyance = need_against_push(uncached)
    assert not need_annoyance < 0.5 * push_annoyance, (need_annoyance, push_annoyance)


#: messages a day of the push doses of fact 9's list test: a tenth of her 80 contacts a day (about
#: 3), a quarter (20), and each of them every day (80)
PUSH_DOSES = (3, 20, 80)


def blocked_by_messages(contact: str, per_day: float, runner=run, **sections) -> np.ndarray:
    """Per seed (the 8 seeds), the blocked share of her contacts at day 180 for a seller who only
    messages (``per_day`` a day in ``contact`` mode: push or need), nothing else."""
    rows = [runner(messages_seller(contact, per_day), s, **sections).summary.iloc[0] for s in SEEDS]
    return np.array([r.blocked / r.contacts for r in rows])


def push_churn(runner=run, **sections) -> tuple[list[np.ndarray], np.ndarray]:
    """Blocked shares per seed of the push seller at each of :data:`PUSH_DOSES` and of the need
    seller at 20 messages a day."""
    return ([blocked_by_messages("push", d, runner, **sections) for d in PUSH_DOSES],
            blocked_by_messages("need", 20, runner, **sections))


def churn_rises_with_push(push: list[np.ndarray]) -> bool:
    """Each step up in push volume raises the blocked share by more than 3 SE of the paired
    difference (and by more than nothing)."""
    steps = [b - a for a, b in zip(push, push[1:])]
    return all(d.mean() > 0.0 and d.mean() > 3 * se(d) for d in steps)


def test_push_burns_its_list_and_answering_needs_does_not():
    """Pushing marketing messages makes contacts delete the seller, more the more she pushes;
    answering needs at the same volume does not (seed 001 L24: deleting the account is the first
    reaction to marketing messages; seed 001 L23: an answer to a need is no harassment).

    A seller who only messages her 80 contacts, 8 seeds. The blocked share at day 180 is
    emergent: each message adds annoyance, which fades (half-life 3 days), and a contact blocks
    when hers crosses her own threshold; the calibration (docs/model.md §5.1) pins one point,
    a push to every contact every day losing half of them, and nothing fixes how the share falls
    off at lower volumes. Measured: 0.018, 0.171 and 0.515 at 3, 20 and 80 pushes a day (the
    steps +0.153, SE 0.015, and +0.344, SE 0.010); the need seller at 20 a day 0.021 (SE 0.004),
    0.12 of the push seller's. Mutants: messages that annoy nobody (``annoyance.weight_message``
    0; at the old judgement value 2 a push to everyone every day blocked 2 %), where no volume
    makes contacts delete her (steps -0.002 and +0.001, below); an answer that annoys like a
    pitch (``slow`` suite), where the need seller's share rises to 0.228, 1.34 times the push
    seller's. The bar on the need seller, a quarter of the push seller's, lies about 5 SE above
    the model and far below the second mutant.
    """
    push, need = push_churn()
    assert churn_rises_with_push(push), [(p.mean(), se(p)) for p in push]
    assert need.mean() < 0.25 * push[1].mean(), (need.mean(), push[1].mean())


def test_push_churn_test_detects_messages_that_annoy_nobody():
    """Mutant: unsolicited messages that annoy nobody. Then no volume of push makes anyone delete
    the seller, and the dose steps of the test above fail."""
    push, _ = push_churn(annoyance={"weight_message": 0.0})
    assert not churn_rises_with_push(push), [(p.mean(), se(p)) for p in push]


@pytest.mark.slow
def test_push_churn_test_detects_answers_that_annoy_like_pitches():
    """Mutant: a message that answers a need annoys as much as an unsolicited one. The need
    seller then loses her contacts like the push seller, and the need half fails."""
    from source_mutants import mutant_day

    from viralsim.model.rules import annoyance

    with mutant_day(annoyance, "add_annoyance", *ANSWERS_ANNOY_LIKE_PITCHES):
        push, need = push_churn(uncached)
    assert not need.mean() < 0.25 * push[1].mean(), (need.mean(), push[1].mean())


#: messages a day that reach every one of her 80 contacts every day in push mode, and every
#: contact with a need in need mode
SATURATING_DOSE = 80


def customers_need_minus_push(runner=run, **sections) -> np.ndarray:
    """Per seed (the 8 seeds), the customers at day 180 of a seller who messages in need mode
    minus those of one who pushes, both at :data:`SATURATING_DOSE` a day, nothing else."""
    def customers(contact):
        return np.array([runner(messages_seller(contact, SATURATING_DOSE), s, **sections).summary.customers[0]
                         for s in SEEDS], dtype=float)
    return customers("need") - customers("push")


#: the bar on :func:`customers_need_minus_push`'s mean: about half-way between the model (40) and
#: the mutant of messages that annoy nobody (-2.9), each more than 3.5 SE (5.0 and 5.1) from it
NEED_OUTSELLS_PUSH = 20


def test_need_triggered_contact_outsells_push_that_reaches_every_contact():
    """Answering needs sells more than pushing to the list (seed 001 L23, L30), because push wears
    out the list (seed 001 L24), not because it misses the people with a need.

    At 80 messages a day, a push seller messages every one of her 80 contacts every day, so every
    contact with a need hears from her as she does from a need-mode seller, with the same pull
    on the purchase (a message is a message, rules.purchase); neither answers enquiries. What
    separates them emerges: the pushed contacts' annoyance, which erodes their trust and makes
    half of them block her (fact 9's list test). Measured (8 seeds, paired by seed): 59.0
    customers against 19.0, a difference of 40.0 (SE 5.0; 41.9, SE 4.7, on seeds 100-107). Mutant
    (below): messages that annoy nobody (``annoyance.weight_message`` 0), 68.5 against 71.4, a
    difference of -2.9 (SE 5.1; 4.4, SE 5.7, on seeds 100-107).
    (Under the ``slow`` mutant of an answer that annoys like a pitch the difference is 19.0, SE
    2.3: the need seller still sends far fewer messages; the annoyance test above catches it.)
    This dose is the calibration's: a push to every contact every day loses half of them
    (docs/model.md §5.1 pins ``annoyance.weight_message`` on it). The calibration fixes that half,
    not the sales: losing half her list would leave the push seller about half the mutant's 71.4
    customers, and she has 19.0, since annoyance also erodes the trust of those who stay.
    """
    diff = customers_need_minus_push()
    assert diff.mean() > NEED_OUTSELLS_PUSH, (diff.mean(), se(diff))


def test_the_outselling_test_detects_messages_that_annoy_nobody():
    """Mutant: unsolicited messages that annoy nobody. A push to every contact then sells like
    answering the needs among them, and the test above fails."""
    diff = customers_need_minus_push(annoyance={"weight_message": 0.0})
    assert not diff.mean() > NEED_OUTSELLS_PUSH, (diff.mean(), se(diff))


# 9b ------------------------------------------------------------------------------------------
def _units_per_consumer(consumption_days: float, seed: int, impulse_per_ad: float = 1.0) -> float:
    """A spam seller under maximal ad pressure, 180 days: annoyance off (nothing holds her back:
    no mute, no block, no hesitation) and every ad read creating a want (``impulse_per_ad`` 1);
    her purchases per consumer."""
    r = run({"spam": {"strategy": "spam"}}, seed, annoyance={"enabled": False},
            purchase={"consumption_days": consumption_days, "impulse_per_ad": impulse_per_ad})
    return float(r.summary.purchases[0]) / N


def test_ads_bring_purchases_forward_but_cannot_multiply_them():
    """Demand for a category saturates (seed 004 L133: ads tap *latent* needs; seed 000 L467's
    facial masks are used up before they are bought again): under maximal ad pressure a consumer
    buys at most once per supply, so over 180 days no more than 180 / (consumption_days + 1)
    units on average, while the ads still bring purchases forward: more units than the needs
    alone bring (no impulses). Mutant: the rule without satiation (consumption_days 0, the model
    before it), where each day's ads create new wants: it sells several times the bound."""
    bound = 180 / (30.0 + 1.0)
    units = [_units_per_consumer(30.0, s) for s in SEEDS[:2]]
    needs_only = [_units_per_consumer(30.0, s, impulse_per_ad=0.0) for s in SEEDS[:2]]
    assert max(units) <= bound, units
    # (measured at the calibrated attention of docs/model.md §5.1, the weaker case: 0.63 of the
    # bound against 0.11 from the needs alone; the seed-to-seed spread of either is below 0.03
    # units, so any overlap means the ads no longer bring purchases forward)
    assert min(units) > 2 * max(needs_only), (units, needs_only)
    unbounded = [_units_per_consumer(0.0, s) for s in SEEDS[:2]]
    assert min(unbounded) > 2 * bound, unbounded


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
# Muting and blocking depend on the dose; mutes are lifted once the ads stop.

DOSES = (3, 20, 120)
ONLY_POSTS = {"messages_per_day": 0, "strangers_per_day": 0, "groups": {"enabled": False}, "kol_seeds": 0}


def ads_seller(ads_per_day: float) -> dict:
    """A seller who posts ``ads_per_day`` hard ads a day over the clock to her circle, nothing else."""
    return {"x": {"strategy": "broadcast", "posts_per_day": ads_per_day, "posting_slot": "mixed",
                  "content": {"ad": 1.0, "value": 0.0, "life": 0.0, "prize": 0.0}, **ONLY_POSTS}}


def lost_by_dose(runner) -> dict[int, np.ndarray]:
    """Muted or blocked share of the seller's contacts at day 180, per dose and seed."""
    return {d: np.array([runner(ads_seller(d), s).summary.muted_blocked_share[0] for s in SEEDS]) for d in DOSES}


def dose_failures(lost: dict[int, np.ndarray]) -> list[str]:
    """What is wrong with the lost shares by dose ([] if nothing).

    Calibrated model (docs/model.md §5.1, seeds 0-39): 0.13, 0.49 and 0.58 of the contacts are
    lost at 3, 20 and 120 ads a day, with seed-to-seed SDs of about 0.04, 0.05 and 0.05. Paired by
    seed (same graph, same tolerances), each step up in dose must raise the lost share by more
    than 3 SE of the paired difference (expected t about 18 and 5 over 8 seeds). And the light
    poster must lose far fewer contacts than the flooder: under two fifths as many (expected ratio
    0.22; it was 0.04 before the calibration of attention: at the calibrated feed a light
    poster's ads are a larger share of what her contacts read). A rule in which a fixed share
    never mutes and all others do whatever the dose (the rule before heterogeneous tolerance)
    loses 0.33, 0.54 and 0.54: a ratio of 0.6 and a second step near 0. The bar on the ratio, 0.4,
    lies half-way between the two: the 8-seed SE of the ratio is about 0.03 (the light poster's
    SE 0.014 over 0.58), so it is 6 SE from either.
    """
    out = []
    for lo, hi in zip(DOSES, DOSES[1:]):
        diff = lost[hi] - lost[lo]
        if not diff.mean() > 3 * se(diff):
            out.append(f"lost share at {hi} ads a day not above {lo}: {lost[lo].mean():.3f} -> {lost[hi].mean():.3f}")
    if not lost[3].mean() < 0.4 * lost[120].mean():
        out.append(f"3 ads a day lose {lost[3].mean():.3f}, not far fewer than 120 ({lost[120].mean():.3f})")
    return out


@contextlib.contextmanager
def fixed_tolerant_share(share: float = 0.463):
    """Mutant: the old rule. A share of consumers never mutes or blocks (tolerance 10^300), every
    other consumer has the same thresholds (tolerance 1) and the old hazards (thresholds 300 and
    600, steepness 1.5), and mutes are never lifted."""
    original = mesa_model.init_state

    def init_state(config, *args, **kwargs):
        st = original(config, *args, **kwargs)
        tolerant = np.random.default_rng([config.seed, 463]).random(st.n) < share
        st.people.tolerance[:] = np.where(tolerant, 1e300, 1.0)
        return st

    old = lambda c: ties.Params(c.ties.block_max, 600.0 ** 1.5, c.ties.strong_block_factor,  # noqa: E731
                                c.ties.mute_max, 300.0 ** 1.5, 1.5, 0.0, 0.0, 1.0)
    with mock.patch.object(mesa_model, "init_state", init_state), mock.patch.object(ties, "prepare", old):
        yield


def test_lost_share_grows_with_the_dose_of_ads():
    """A seller posting 3 ads a day loses far fewer contacts than one posting 20 or 120: consumers
    differ in tolerance, so the heavier the dose, the more of them reach their thresholds
    (seed 000 L137, L239-241; China Youth Daily 2015 for the flooder's level)."""
    assert dose_failures(lost_by_dose(run)) == []


def test_lost_share_test_detects_a_fixed_tolerant_share():
    """The mutant rule (a fixed tolerant share, everyone else mutes whatever the dose) fails the
    dose test above."""
    with fixed_tolerant_share():
        lost = lost_by_dose(uncached)
    failures = dose_failures(lost)
    assert failures, {d: round(v.mean(), 3) for d, v in lost.items()}


#: ad fatigue for the test below (off by default): tolerance halves after 50 pushes read
TIRING = {"ties": {"fatigue_ads": 50.0}, "days": 120}
TIRING_SEEDS = tuple(range(64))
#: half way between the gap under the rule (+0.036, SE 0.005) and under the mutant below (-0.012,
#: SE 0.003), 64 seeds each; with fatigue off the gap is -0.018 (16 seeds): the flooder takes the
#: light advertiser's contacts' attention, so they read fewer of her ads
TIRING_BAR = 0.012


def tiring_gaps(runner) -> np.ndarray:
    """Per seed, the muted or blocked share of a light advertiser's contacts (3 hard ads a day,
    nothing else) at day 120 with a 刷屏 seller (the spam preset, who adds strangers every day)
    in the market, less the share without her; ad fatigue on."""
    light = ads_seller(3)
    both = {**light, "s": {"strategy": "spam"}}
    gaps = []
    for seed in TIRING_SEEDS:
        shares = [runner(sellers, seed, **TIRING).summary.set_index("seller").loc["x", "muted_blocked_share"]
                  for sellers in (both, light)]
        gaps.append(shares[0] - shares[1])
    return np.array(gaps)


def test_a_flooder_tires_the_audience_of_every_seller():
    """With ad fatigue (§3.3.18a) a consumer who has read a flooder's ads turns away sooner from
    every seller, so a light advertiser loses more of her contacts when a flooder works the same
    market, although the flooder takes their attention (without fatigue she loses fewer): seed 004
    L83, consumers tired of marketing reject it."""
    gaps = tiring_gaps(run)
    assert gaps.mean() > TIRING_BAR, (gaps.mean(), se(gaps))


@pytest.mark.slow
def test_the_tiring_test_detects_fatigue_kept_per_seller():
    """Mutant: the fatigue that lowers tolerance toward a seller is the consumer's memory of that
    seller's own ads (``memory``, rules.annoyance) instead of her fatigue from every seller's: the
    flooder then tires nobody of the light advertiser, and the test above must fail."""
    from source_mutants import mutant_day

    with mutant_day(ties, "mute_and_block", "x *= 1.0 + people.fatigue[i] / par.fatigue_half",
                    "x *= 1.0 + rel.memory[r] / par.fatigue_half"):
        gaps = tiring_gaps(uncached)
    assert not gaps.mean() > TIRING_BAR, (gaps.mean(), se(gaps))


QUIET_DAY = 31


def muted_before_and_after_quiet(runner) -> tuple[np.ndarray, np.ndarray]:
    """Muted (not blocked) contacts of a 刷屏 friend on her last posting day (30) and 150 days
    after she stopped (day 180), per seed."""
    sellers = {"x": {"strategy": "spam", **ONLY_POSTS}}
    quiet = {"events": [{"day": QUIET_DAY, "set": {"sellers": {"x": {"posts_per_day": 0}}}}]}
    runs = [runner(sellers, s, **quiet) for s in SEEDS]
    return (np.array([r.daily.muted.iloc[QUIET_DAY - 2] for r in runs], dtype=float),
            np.array([r.daily.muted.iloc[-1] for r in runs], dtype=float))


def unmute_failures(before: np.ndarray, after: np.ndarray) -> list[str]:
    """What is wrong with the muted counts before and long after the ads stopped ([] if nothing).

    A muted contact sees no posts, so her annoyance halves every 3 days; once it is well below her
    threshold she unmutes at 1 - 2^(-1/60) a day (a muted contact without annoyance does not
    block). Of those muted on day 30, between 2^(-150/60) = 0.18 (annoyance already gone) and
    2^(-140/60) = 0.2 (muted in the last days, annoyance gone after about 10 days) are still muted
    on day 180. With mutes that are never lifted the ratio is 1. The pooled ratio must lie within
    [0.1, 0.35]: with about 34 muted contacts per seed and 8 seeds its binomial SE is 0.023, so the
    bounds are more than 3 SE from the expectation (measured on seeds 100-107: 0.178).
    """
    assert before.sum() >= 100, before
    ratio = after.sum() / before.sum()
    return [] if 0.1 <= ratio <= 0.35 else [f"{ratio:.3f} of the muted contacts still muted 150 days later"]


def test_muted_contacts_unmute_once_the_ads_stop():
    """Muting is a switch the consumer turns back (seed 003 L311; seed 004 L21) once her annoyance
    has faded: a flooder who stops gets most of her muted contacts back within months."""
    assert unmute_failures(*muted_before_and_after_quiet(run)) == []


def test_unmuting_test_detects_permanent_mutes():
    """Mutant: mutes are never lifted (the rule before unmuting); the test above fails."""
    old = ties.prepare
    with mock.patch.object(ties, "prepare", lambda c: old(c)._replace(unmute_max=0.0)):
        before, after = muted_before_and_after_quiet(uncached)
    assert unmute_failures(before, after), (before, after)


# 13 ------------------------------------------------------------------------------------------
# Community sellers' followers grow through their buyers (docs/model.md §6.3, row 13).

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

    st, was_contact = run_from_day_0(market({strategy: {"strategy": strategy}}, seed, **json.loads(key)))
    bought = st.rel.purchases[:st.n_relations]
    return np.array([(bought[was_contact] > 0).sum(), (bought[was_contact] > 1).sum(),
                     (bought[~was_contact] > 0).sum(), (bought[~was_contact] > 1).sum()])


def followers_facts(**sections) -> list[str]:
    """The broken criteria of "community sellers' followers grow through their buyers" (empty: all hold).

    Seed 000 L161-183 (buyers and referred users follow; follower growth is a KPI), seed 001 L34
    (service turns non-followers into fans), seed 002 L277, L369. Expected values were measured
    on seeds 100-131, not on the test's seeds (docs/model.md §6.3):

    1. The community seller's followers at day 180 are at least twice her initial circle (80):
       expected 322 (seed-to-seed SD 45, so the mean of 8 seeds has SE 16, 10 SE above the bar);
       under the old rule followers can only fall below the circle.
    2. The growth comes through her buyers: satisfied buyers are at least 15 % of the new
       followers (expected 27 %, 8-seed SE about 1 %), and buyers with the friends they told at
       least half (expected 83 %).
    3. Customers who were not initial contacts come back: for the sellers without groups
       (service_first, kol; 8 seeds each, pooled), the share of such customers who bought again
       is at least 0.17 of that of initial contacts, half-way between the old rule (0.110; 8-seed
       blocks 0.092-0.148, SD 0.025) and following (0.231; blocks 0.220-0.241, SD 0.010), 6 block
       SD below following and 2.4 above the old rule. (Measured at the calibrated defaults of
       docs/model.md §5.1, with tie dynamics, §3.3.24: initial contacts who talk with the seller
       become strong ties and repeat more, seed 000 L209, which lowers the ratio under both
       rules. Before tie dynamics the values were 0.148 and 0.315 and the bar 0.23; with tie
       dynamics and attention 60, 0.100 and 0.261 and the bar 0.18.)
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
    if not ratio >= 0.17:
        failed.append(f"repeat share of other customers / of contacts {ratio:.3f} < 0.17")
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


# 14 ------------------------------------------------------------------------------------------
# Community sellers turn contacts into strong ties; spam sellers cool their friendships
# (docs/model.md §6.3, row 14).

#: the old rule, a mutant of the model: ties never change
TIES_NEVER_CHANGE = {"ties": {"bond_per_interaction": 0.0, "bond_per_content": 0.0, "erode_per_sale": 0.0,
                              "erode_per_push": 0.0}}
#: a partial mutant: interaction strengthens ties, but selling never erodes them
SELLING_NEVER_ERODES = {"ties": {"erode_per_sale": 0.0, "erode_per_push": 0.0}}


@cache
def _tie_moves(strategy: str, seed: int, key: str) -> np.ndarray:
    """Of the seller's initial stranger and weak contacts who have not blocked her at day 180: how
    many, and how many are strong ties then; of her initial strong ties who have not blocked her:
    how many, and how many are weaker then (solo run)."""
    import json

    cfg = market({strategy: {"strategy": strategy}}, seed, **json.loads(key))
    model = ViralModel(cfg, collect=False)
    m0 = model.state.n_relations
    tie0 = model.state.rel.tie[:m0].copy()
    model.run()
    rel = model.state.rel
    tie1, alive = rel.tie[:m0], ~rel.blocked[:m0]
    low = (tie0 == 1) | (tie0 == 2)
    high = tie0 == 3
    return np.array([(low & alive).sum(), (low & alive & (tie1 == 3)).sum(), (high & alive).sum(),
                     (high & alive & (tie1 < 3)).sum()])


def tie_facts(**sections) -> list[str]:
    """The broken criteria of "community sellers make strong ties, spam sellers cool them" (empty: all hold).

    Operators turn weak ties into strong ones by content, service and groups (吸维筛引, seed 002
    L337; FCCT, L367; seed 003 L19); selling to friends makes the tie stiff, even estranged (seed
    000 L455; fact 6: commercial intensity erodes ties). Both shares are pooled over the 8 seeds of
    solo runs; expected values measured on seeds 100-115, not the test's seeds:

    1. Of the community seller's initial stranger and weak contacts still following her, at
       least 30 % are strong ties at day 180, and at least 20 points more than for the spam
       seller: expected 60 % (per-seed SD 7.6 points, so the 8-seed SE is 2.7 points: the bar is
       11 SE below) against 0.5 % for spam; with ties that never change both are 0.
    2. Of the spam seller's initial strong ties still following her, at least 28 % have cooled
       (are weak or stranger contacts) at day 180, and at least 30 points more than the community
       seller's: expected 56 % (SD 16 points, SE 5.7) against 9 % (SD 7, SE 2.5); with selling
       that never erodes, or ties that never change, both are 0. The bar of 28 % lies half-way
       between 56 % and the mutants' 0, 4.9 SE from each; the difference of 47 points has an SE
       of about 6 points, so its bar is 2.8 SE below it and 5 SE above the mutants' 0. (At
       attention 60 a spam follower read five times as many of her pushes and 95 % of the strong
       ties cooled; the bar was then one half.)
    """
    import json

    key = json.dumps(sections, sort_keys=True)
    comm = sum(_tie_moves("community", s, key) for s in SEEDS)
    spam = sum(_tie_moves("spam", s, key) for s in SEEDS)
    up_c, up_s = comm[1] / comm[0], spam[1] / spam[0]
    down_c, down_s = comm[3] / comm[2], spam[3] / spam[2]
    failed = []
    if not (up_c >= 0.30 and up_c - up_s >= 0.20):
        failed.append(f"strong ties made: community {up_c:.3f}, spam {up_s:.3f}")
    if not (down_s >= 0.28 and down_s - down_c >= 0.30):
        failed.append(f"strong ties cooled: spam {down_s:.3f}, community {down_c:.3f}")
    return failed


def test_community_sellers_make_strong_ties_and_spam_sellers_cool_them():
    """Interaction and service strengthen ties (seed 002 L337); selling erodes them (seed 000 L455)."""
    assert tie_facts() == []


def test_the_tie_test_detects_static_ties_and_ties_that_selling_never_erodes():
    """The test has teeth: with ties that never change both criteria fail; with selling that never
    erodes a tie, the criterion on cooling does."""
    assert len(tie_facts(**TIES_NEVER_CHANGE)) == 2
    assert [f.split(":")[0] for f in tie_facts(**SELLING_NEVER_ERODES)] == ["strong ties cooled"]


# 15 ------------------------------------------------------------------------------------------
# Group-buys grow through the participants' friends (docs/model.md §3.3.14a): seed 002 L261 (each
# participant becomes a new seed who recruits her friends through her Moments to complete the group).

#: groups of two, open for two days, a friend's invitation a sure stimulus: a group-buy that fills
#: often enough at the default trust gates to be seen over 180 days (the preset's groups, open one
#: day at a quarter of this stimulus, mostly fail: docs/model.md §3.3.14a)
GROUP_BUY = {"enabled": True, "size": 2, "window_days": 2, "invite_conversion": 1.0}
#: the mutant: invitations reach only the friends who are already the seller's contacts (the
#: rule written as if the group link went out through the seller's contact list; tie 0 is NO_TIE)
ONLY_CONTACTS_INVITED = ("                trust, annoyance, want = rel.prior[0], 0.0, people.need[v]\n",
                         "                if r < 0 or rel.tie[r] == 0:\n                    continue\n"
                         "                trust, annoyance, want = rel.prior[0], 0.0, people.need[v]\n")


@cache
def _outside_circle(group_buy: bool, seed: int, mutant: bool = False) -> np.ndarray:
    """(customers who were not the seller's contacts on day 0, all customers) at day 180 of a
    solo group_buy-preset seller, her group-buys on (``GROUP_BUY``) or off (``mutant`` keeps the
    mutated runs apart in the cache)."""
    cfg = market({"g": {"strategy": "group_buy", "group_buy": GROUP_BUY if group_buy else {"enabled": False}}}, seed)
    st, was_contact = run_from_day_0(cfg)
    bought = st.rel.purchases[:st.n_relations] > 0
    return np.array([(bought & ~was_contact).sum(), bought.sum()])


def group_buy_reach(mutant: bool = False) -> tuple[float, float]:
    """Mean over the seeds of the share of customers from outside the seller's initial circle,
    with group-buys and selling solo (the same seller, the same seeds)."""
    share = {}
    for on in (True, False):
        counts = [_outside_circle(on, s, mutant) for s in SEEDS]
        share[on] = mean(c[0] / max(c[1], 1) for c in counts)
    return share[True], share[False]


def test_group_buys_grow_through_the_participants_friends():
    """Seed 002 L261: the participants recruit their friends, so a group-buy seller's customers
    come from outside her circle far more than a solo seller's, who reaches beyond it only by
    recommendations and conformity.

    Nothing sets the share: it follows from who opens groups (mostly her contacts, who see her
    posts) and who joins them (the openers' friends, most of whom never met her). Measured at
    the calibrated defaults on seeds 100-107 (not the test's): 0.767 with group-buys against
    0.496 solo, a difference of 0.27; on the test's seeds 0.797 against 0.548, 0.25 (before the
    calibration of the feed: 0.825 against 0.513 with 8-seed SEs of 0.012 and 0.026, so a
    difference SE of about 0.03). Over both, the difference is about 0.26 with an 8-seed SE of
    0.03 to 0.04. The bar, 0.05, is 5 SE below it, and 10 SE above the mutant below (invitations
    only to the seller's contacts: 0.10 against 0.51 on seeds 100-107 before the calibration, a
    difference of -0.41).
    """
    with_gb, solo_ = group_buy_reach()
    assert with_gb - solo_ >= 0.05, (with_gb, solo_)


@pytest.mark.slow
def test_group_buy_reach_test_detects_invitations_only_to_contacts():
    """The test has teeth: if members' invitations reach only the seller's contacts, group-buy
    customers come from inside her circle and the criterion fails."""
    from source_mutants import mutant_day

    from viralsim.model.rules import groupbuy

    with mutant_day(groupbuy, "invite_friends", *ONLY_CONTACTS_INVITED, via="run_group_buys"):
        with_gb, solo_ = group_buy_reach(mutant=True)
    assert not with_gb - solo_ >= 0.05, (with_gb, solo_)


# 16 ------------------------------------------------------------------------------------------
# Repeat purchase is higher through strong ties (seed 000 L209: trust-based buying converts well,
# bears bad experiences and repurchases often; 70 % of contacts are 熟人 with strong ties;
# docs/model.md §6.3, row 16).

#: eight community sellers in one market, each with her own circle: eight times the contacts of a
#: lone seller per run (a lone seller has about 15 strong and 65 weak initial contacts, too few
#: to tell repeat rates apart in 8 seeds: 2.7 SE over 16)
EIGHT_COMMUNITY = {f"c{k}": {"strategy": "community"} for k in range(8)}
#: the mutant: trust priors that ignore the tie (every relation starts from, and relaxes to, 0.35)
PRIORS_IGNORE_TIE = {"trust": {"prior_strong": 0.35, "prior_weak": 0.35, "prior_stranger": 0.35}}
REPEAT_SEEDS = tuple(range(12))


@cache
def _repeat_by_tie(seed: int, key: str) -> np.ndarray:
    """(initial strong-tie contacts, of them repeat customers at day 180, initial weak-tie
    contacts, of them repeat customers), over the eight sellers' relations."""
    import json

    model = ViralModel(market(EIGHT_COMMUNITY, seed, **json.loads(key)), collect=False)
    m0 = model.state.n_relations
    tie0 = model.state.rel.tie[:m0].copy()
    model.run()
    again = model.state.rel.purchases[:m0] > 1
    return np.array([(tie0 == 3).sum(), (again & (tie0 == 3)).sum(), (tie0 == 2).sum(), (again & (tie0 == 2)).sum()])


def strong_minus_weak_repeat(**sections) -> np.ndarray:
    """Per seed, the share of initial strong-tie contacts who bought at least twice by day 180
    minus that of initial weak-tie contacts."""
    import json

    counts = np.array([_repeat_by_tie(s, json.dumps(sections, sort_keys=True)) for s in REPEAT_SEEDS], float)
    return counts[:, 1] / counts[:, 0] - counts[:, 3] / counts[:, 2]


def test_strong_ties_buy_again_more_often():
    """Seed 000 L209: a seller's strong-tie contacts become repeat customers more often than her
    weak-tie contacts.

    Nothing sets the repeat rate of a tie: a strong tie starts from and relaxes to a higher trust
    (the prior, 0.6 against 0.35), so at every need she passes the trust gate more often, is more
    often satisfied into trust that brings her back, and breaks the tie less after a bad purchase.
    (Turning the trust rules off does not remove the gap, 0.10: strong-tie contacts also have more
    friends, 23.6 against 20.2, who recommend and buy; with trust on, the priors are what matter.)
    Measured at the calibrated defaults, eight community sellers a market: on seeds 0-7, 0.363
    of the strong-tie contacts against 0.291 of the weak-tie ones bought again, a per-seed
    difference of 0.072 (SD 0.041); with priors that ignore the tie, -0.004 (SD 0.041). On the
    test's 12 seeds: 0.075 (SE 0.016) against -0.002 (SE 0.012). The bar, 0.034, lies half-way
    between the two, 2.6 SE below the expected difference and 2.9 mutant SE above the mutant's.
    (A lone community seller, 16 seeds: 0.47 against 0.37 per contact, 0.53 against 0.47 of her
    customers, with SEs of 0.03 to 0.04: too few contacts to tell the rules apart.)
    """
    diff = strong_minus_weak_repeat()
    assert diff.mean() > 0.034, (diff.mean(), se(diff))


@pytest.mark.slow
def test_repeat_test_detects_trust_priors_that_ignore_the_tie():
    """The test has teeth: when every relation starts from the same trust whatever the tie, the
    strong ties' advantage in repeat purchase goes and the criterion fails."""
    diff = strong_minus_weak_repeat(**PRIORS_IGNORE_TIE)
    assert not diff.mean() > 0.034, (diff.mean(), se(diff))


# 17 ------------------------------------------------------------------------------------------
# Groups decay without value content (seed 002 L371: groups start 热火朝天 and age to death unless
# the owner keeps delivering value; weekly 干货 keeps members active; docs/model.md §6.3, row 17).

#: from day 30 on the community seller posts a quarter of her group value content (0.5 posts a
#: day instead of 2), still inviting and still running the groups
GROUPS_STARVED = {"events": [{"day": 30, "set": {"sellers": {"c": {"groups": {"posts_per_day": 0.5}}}}}]}
#: the community preset's groups, spelled out: a seller's (or an event's) ``groups`` replaces the
#: preset's whole, so the event above merges into these only if the seller names them
COMMUNITY_GROUPS = {"enabled": True, "invites_per_day": 3, "posts_per_day": 2, "size": 100, "half_life": 10}
#: the mutant: a group stays fully active on whatever value content it gets (activity never
#: decays: at 0.5 posts a day to sustain it, a* = 1 at the starved rate too)
GROUPS_NEVER_DECAY = {**COMMUNITY_GROUPS, "sustain_posts_per_day": 0.5}
GROUP_SEEDS = tuple(range(32))


@cache
def _group_members(starved: bool, seed: int, mutant: bool = False) -> np.ndarray:
    """(members, their purchases in days 60-179, their mean trust at day 180) of the consumers who
    were members of the community seller's groups on day 30, her group content kept up or starved
    from day 30."""
    sellers = {"c": {"strategy": "community", "groups": GROUPS_NEVER_DECAY if mutant else COMMUNITY_GROUPS}}
    model = ViralModel(market(sellers, seed, **(GROUPS_STARVED if starved else {})), collect=False)
    model.run(30)
    m = model.state.n_relations
    members = model.state.rel.in_group[:m].copy()
    model.run(30)
    assert model.state.sellers.groups_on[0], "the starved seller still runs her groups"
    before = model.state.rel.purchases[:m][members].sum()
    model.run()
    rel = model.state.rel
    return np.array([members.sum(), rel.purchases[:m][members].sum() - before, rel.trust[:m][members].mean()])


def group_decay_facts(mutant: bool = False) -> list[str]:
    """The broken criteria of "groups decay without value content" (empty: all hold).

    Group activity is a rule (§3.3.10), so the test does not measure it: it measures what the
    members of the groups on day 30 do once their groups are starved of value content, against
    the same seller keeping her content up (paired by seed: the same graph and the same members).
    With a quarter of the posts they read far fewer than a quarter of them (the activity falls
    toward a quarter too), so less trust is gained and fewer of their needs become purchases from
    her. Measured at the calibrated defaults on seeds 0-31:

    1. Their purchases in days 60-179, starved / kept up (pooled over the seeds): 0.74, and 0.77
       on the draws of the engine before the feed's skip sampler (bootstrap SE 0.017-0.018); with
       groups that never decay 0.90 and 0.94 (SE 0.017 and 0.021). The bar,
       0.83, lies near the SE-weighted midpoint: 3.4-5.2 SE above the expected ratio and 4.1-5.4 SE
       below the mutant's (the slow test checks the mutant on the test's seeds). On 8 seeds (SE
       0.035-0.043) the mutant's ratio ranged 0.86-1.00 from one block of seeds to the next, so
       the old bar of 0.9 missed it about one run in two on these draws.
    2. Their mean trust at day 180, kept up minus starved: 0.142 and 0.146 (per-seed SD 0.014-
       0.016, SE 0.003); with groups that never decay 0.087 (SD 0.012, SE 0.002). The bar, 0.115,
       lies half-way: more than 10 SE from either.

    About 72 members on day 30.
    """
    kept = np.array([_group_members(False, s, mutant) for s in GROUP_SEEDS])
    starved = np.array([_group_members(True, s, mutant) for s in GROUP_SEEDS])
    assert kept[:, 0].min() > 0 and starved[:, 0].min() > 0, "every run has group members on day 30"
    failed = []
    ratio = starved[:, 1].sum() / kept[:, 1].sum()
    if not ratio < 0.83:
        failed.append(f"members' purchases in days 60-179, starved / kept up: {ratio:.3f}, not below 0.83")
    trust = (kept[:, 2] - starved[:, 2]).mean()
    if not trust > 0.115:
        failed.append(f"members' trust at day 180, kept up - starved: {trust:.3f}, not above 0.115")
    return failed


def test_groups_starved_of_value_content_lose_their_members():
    """Seed 002 L371: members of groups their owner stops feeding buy less and trust her less."""
    assert group_decay_facts() == []


@pytest.mark.slow
def test_group_decay_test_detects_groups_that_never_decay():
    """The test has teeth: if a group stays fully active on whatever content it gets, starving it
    costs only the posts themselves and both criteria fail."""
    assert len(group_decay_facts(mutant=True)) == 2


# 18 ------------------------------------------------------------------------------------------
# Stock-loading (压货) enriches the seller at her resellers' expense (docs/model.md §3.3.16a, §6.3 row 18):
# seed 002 L171 (微商 who make sub-sellers stock inventory; the fear of being left with it),
# contrasted at L235 (one-click distribution: commission, no stock).

#: the stock_loading preset with eager recruits, so that its reseller tree matters over 180 days
STOCK_SELLER = {"strategy": "stock_loading", "reseller_prob": 0.3}
#: the mutant: stock handed over without payment (the wholesale purchase is never booked)
STOCK_UNPAID = ("return k * price * (1.0 - c), ", "return 0.0, ")


@cache
def _stock_outcome(units: int, seed: int, mutant: bool = False) -> np.ndarray:
    """(seller's revenue, end-customer purchases) of a solo stock_loading seller over 180 days,
    her resellers loading ``units`` units (0: one-click distribution)."""
    r = simulate(market({"r": {**STOCK_SELLER, "stock_units": units}}, seed))
    s = r.summary.iloc[0]
    return np.array([s.revenue, s.purchases], dtype=float)


def stock_loading_effect(mutant: bool = False) -> tuple[float, float]:
    """Mean over the seeds of (revenue with 10 units loaded − one-click, purchases with 10 units −
    one-click), the same seller on the same seeds."""
    d = np.array([_stock_outcome(10, s, mutant) - _stock_outcome(0, s, mutant) for s in SEEDS])
    return float(d[:, 0].mean()), float(d[:, 1].mean())


def test_stock_loading_raises_revenue_while_end_customers_buy_less():
    """Seed 002 L171: stock-loading pays the seller upfront for units that pile up with her
    resellers, while the fear of being loaded keeps buyers from reselling and loaded resellers
    quit, so fewer end customers buy.

    Nothing sets either sign: a reseller pays the wholesale price, 30 % below the retail price
    one-click sales earn, so the seller's revenue rises only if her resellers load more units than
    they (and the resellers deterred by the fear) would have sold; whether they do follows from how
    fast their friends buy against the 10 units and the 30-day patience. Measured at the
    calibrated defaults (one seller, 3,000 people, 180 days), paired by seed, on seeds 100-107
    (not the test's): revenue +5,488 yuan (8-seed SE 1,049), purchases −36.9 (SE 6.4); on the
    test's seeds +5,250 (SE 1,198) and −36.9 (SE 5.8). The bars, +1,000 yuan and −12 purchases,
    are 3.5 to 4.3 SE inside the effect on both seed sets; the mutant below (stock handed over unpaid) gives a revenue
    difference of −4,200 on the test's seeds, 4 SE below the bar (and purchases −36.9: the
    mutant changes the money, not the sales).
    """
    revenue, purchases = stock_loading_effect()
    assert revenue >= 1_000.0 and purchases <= -12.0, (revenue, purchases)


@pytest.mark.slow
def test_stock_loading_test_detects_stock_handed_over_unpaid():
    """The test has teeth: if the seller books nothing when a reseller loads her stock (as if it
    were consigned, but her sales from it pay the seller nothing either), the revenue criterion
    fails."""
    from source_mutants import mutant_day

    with mutant_day(settle, "load_stock", *STOCK_UNPAID, via="settle", day_name="settle_purchases"):
        _stock_outcome.cache_clear()
        revenue, purchases = stock_loading_effect(mutant=True)
        _stock_outcome.cache_clear()
    assert not (revenue >= 1_000.0 and purchases <= -12.0), (revenue, purchases)


# 19 ------------------------------------------------------------------------------------------
# The big-V's sales burst, then decay as her brand devalues (docs/model.md §3.3.6a, §6.3 row 19): seed 000 L467
# (大咖 sell very well at first, 风生水起, but after a while their personal brand devalues as the
# selling spreads).

#: the mutant, a rule that keeps the brand: every commercial post costs nothing (a config that
#: encodes the wrong rule, d = 0; the rest of the big_v preset as it is)
BRAND_KEPT = {"enabled": True, "audience": 300, "fan_trust": 0.6, "brand_decay": 0.0}


def big_v_sales(big_v: dict | None = None) -> list[tuple[float, float]]:
    """Per seed, a solo big_v-preset seller's weekly sales over days 1-28 and over days 120-180."""
    out = []
    for seed in SEEDS:
        spec = {"strategy": "big_v"} if big_v is None else {"strategy": "big_v", "big_v": big_v}
        p = run({"v": spec}, seed).daily["purchases"].to_numpy(float)
        out.append((p[:28].sum() / 4.0, p[119:180].sum() * 7.0 / 61.0))
    return out


def big_v_decay(big_v: dict | None = None) -> float:
    """Mean over the seeds of late / early weekly sales (paired by seed)."""
    return mean(late / early for early, late in big_v_sales(big_v))


def test_big_v_sales_burst_then_decay_with_her_brand():
    """Seed 000 L467: the big-V's audience buys at first; months later her weekly sales are a
    fraction of what they were.

    Nothing sets the ratio: her sales follow from her fans' needs, trust and annoyance, her
    buyers' recommendations and the following they bring, with her brand weighting what sells
    her product. Measured on seeds 100-107 (not the test's): 8.5 sales a week in days 1-28, 2.8
    in days 120-180, a late / early ratio of 0.34 (per-seed SD 0.10, 8-seed SE 0.037). The bar,
    0.6, is 7 SE above it and, below, far from the mutant's 2.7 (SE 0.21): with a brand that never
    devalues her sales grow (10.2 a week, then 26.5), as her buyers recommend her and her fans'
    trust, held at the fan trust, stays.
    """
    ratio = big_v_decay()
    assert ratio < 0.6, ratio


def test_the_big_v_test_detects_a_brand_that_never_devalues():
    """The test has teeth: with the brand kept (d = 0) the big-V's late sales exceed her early ones."""
    ratio = big_v_decay(BRAND_KEPT)
    assert not ratio < 0.6, ratio


# 19b ------------------------------------------------------------------------------------------
# The big-V's sales stay in her circle (docs/model.md §6.3 row 19): seed 000 L467 ("而且他的电商圈子还是
# 他那个圈子", her commerce circle is still that circle of hers).

#: 16 seeds: the per-seed share has an SD of about 0.046 (see the test below)
CIRCLE_SEEDS = tuple(range(16))
#: the mutant, a plausible slip in the purchase rule: the brand weights the big-V's own posts,
#: replies and groups, but her buyers' recommendations of her keep their full pull
BRAND_SPARES_RECOMMENDATIONS = ("    out[6] = own * pull * (pf_ref / pf)\n", "    out[6] = pf * pull * (pf_ref / pf)\n")


@cache
def _big_v_outside(seed: int, big_v: str | None = None, mutant: bool = False) -> float:
    """Share of a solo big_v-preset seller's customers at day 180 who were not her contacts after
    day 1 (her audience, gathered on day 0, and her own circle). ``big_v``: her ``big_v`` section
    as JSON (None: the preset's); ``mutant`` keeps the mutated runs apart in the cache."""
    import json

    spec = {"strategy": "big_v"} if big_v is None else {"strategy": "big_v", "big_v": json.loads(big_v)}
    model = ViralModel(market({"v": spec}, seed), collect=False)
    model.step()
    st = model.state
    circle = st.rel.node[:st.n_relations][st.rel.tie[:st.n_relations] > 0].copy()
    model.run()
    st = model.state
    m = st.n_relations
    customers = st.rel.purchases[:m] > 0
    return float((customers & ~np.isin(st.rel.node[:m], circle)).sum() / max(customers.sum(), 1))


def big_v_outside(big_v: dict | None = None, mutant: bool = False) -> float:
    """Mean over ``CIRCLE_SEEDS`` of the share of the big-V's customers from outside her circle."""
    import json

    key = None if big_v is None else json.dumps(big_v, sort_keys=True)
    return mean(_big_v_outside(s, key, mutant) for s in CIRCLE_SEEDS)


def test_big_v_sales_stay_in_her_circle():
    """Seed 000 L467: months on, the big-V's buyers are still her own circle.

    Nothing keeps them there but the rules: her buyers recommend her to their friends, who may
    buy, follow her and see her posts, as a community seller's buyers do (a community seller's
    customers at day 180 are 83 % from outside her circle of 80). What holds the big-V back is
    that her brand, which falls with every commercial post, weights what her buyers say of her
    too (docs/model.md §3.3.6a), so each recommendation pulls less as she sells. Measured on
    seeds 100-115 (not the test's): 22.0 % of her customers come from outside her day-1 contacts
    (about 360: the audience of 300 and her circle; per-seed SD 0.046, 16-seed SE 0.012); 21.6 %
    on the test's seeds. The mutant below (her buyers' recommendations keep their full pull)
    gives 31.8 % (SD 0.043, SE 0.011) on seeds 100-115 and 30.6 % on the test's; a brand that
    never devalues, 49 %. The bar, 0.27, lies half-way between the model and the mutant, about 4
    SE from each.
    """
    share = big_v_outside()
    assert share < 0.27, share


def test_the_big_v_circle_test_detects_a_brand_that_never_devalues():
    """The test has teeth against the rule of fact 19's mutant (d = 0): her recommendations keep
    their pull and her sales spread beyond her circle."""
    share = big_v_outside(BRAND_KEPT)
    assert not share < 0.27, share


@pytest.mark.slow
def test_the_big_v_circle_test_detects_recommendations_the_brand_spares():
    """The test has teeth against a subtler slip: the brand weights the big-V's own posts but not
    her buyers' recommendations. Her sales then reach beyond her circle, and the test fails."""
    from source_mutants import mutant_day

    from viralsim.model.rules import purchase

    with mutant_day(purchase, "components", *BRAND_SPARES_RECOMMENDATIONS, via=("_probability", "make_purchases")):
        share = big_v_outside(mutant=True)
    assert not share < 0.27, share


# 20 ------------------------------------------------------------------------------------------
# Spam sells to each new contact at once, then hardly again; a community seller's sales to the
# same contacts grow (docs/model.md §6.3 row 20): seed 000 L137 (mass-adding and spam make buyers
# hesitate and withdraw), L239-241, L467; seed 002 L357-367 (trust first, then the deal).

#: 12 seeds: the per-seed ratio has an SD of 0.03-0.06 (spam) and 0.08-0.10 (mutant)
ACQUAINTANCE_SEEDS = tuple(range(12))
#: days on which the strangers of the cohort are added, and the weeks each is followed
COHORT_DAYS, COURSE_WEEKS = 80, 10
#: the mutant: hard ads and prize posts annoy nobody (a config that encodes the wrong rule)
ADS_ANNOY_NOBODY = {"annoyance": {"weight_ad": 0.0, "weight_prize": 0.0}}


@cache
def _acquaintance_course(strategy: str, seed: int, sections: str = "{}") -> float:
    """Later / first-week purchases of the strangers a solo seller (``strategy`` preset, 20
    strangers a day) adds on days 1-80: their purchases in weeks 1-9 of the acquaintance, per
    week, over those in her first week (the day she was added and the six after)."""
    import json

    from viralsim.model.relations import STRANGER

    days = COHORT_DAYS + 7 * COURSE_WEEKS
    cfg = RunConfig.model_validate({"days": days, "seed": seed, "network": {"kind": "friend_circles", "n": N},
                                    "sellers": {"x": {"strategy": strategy, "strangers_per_day": 20}},
                                    **json.loads(sections)})
    model = ViralModel(cfg, collect=False)
    cohort, at_week = {}, {}       # day added -> her new stranger rows; -> their purchases a week later
    first = later = 0.0
    for day in range(1, days + 1):
        start = model.state.n_relations
        model.step()
        rel = model.state.rel
        if day <= COHORT_DAYS:     # (new rows: consumers met today; those added as strangers)
            rows = np.arange(start, model.state.n_relations)
            cohort[day] = rows[rel.tie[rows] == STRANGER]
        if day - 7 in cohort:
            at_week[day - 7] = rel.purchases[cohort[day - 7]].astype(float)
        if day - 7 * COURSE_WEEKS in cohort:
            added = day - 7 * COURSE_WEEKS
            week = at_week.pop(added)
            first += week.sum()
            later += (rel.purchases[cohort.pop(added)] - week).sum()
    return (later / (COURSE_WEEKS - 1)) / first


def acquaintance_course(strategy: str, **sections) -> float:
    import json

    key = json.dumps(sections, sort_keys=True)
    return mean(_acquaintance_course(strategy, s, key) for s in ACQUAINTANCE_SEEDS)


def test_spam_sells_to_a_new_contact_at_once_then_hardly_again():
    """Seed 000 L137, L239-241: a spam seller's new contacts buy while their need is fresh and her
    ads new, then hesitate and withdraw; her sales last only while she keeps adding people.

    Nothing sets the course: the first week's purchases come from the needs the strangers already
    had (about a fifth of people have an unmet need on any day, §3.3.2) and the impulses her ads
    create; the weeks after, from new needs met by a trust her hard ads erode and an annoyance
    that gates the purchase, mutes and blocks. Measured (3,000 people, strangers added on days
    1-80, each followed ten weeks) on seeds 100-111 (not the test's): 14.4 in 1,000 of her new
    strangers buy in their first week, 1.6 in 1,000 a week after; the per-seed ratio later /
    first is 0.117 (SD 0.033, 12-seed SE 0.009); 0.124 (SE 0.017) on the test's seeds. With hard
    ads that annoy nobody (the mutant below) it is 0.406 (SE 0.022) and 0.410 (SE 0.030). The bar,
    0.27, lies half-way: 9 and 5 SE above the model, 6 and 5 SE below the mutant.

    A community seller adding the same 20 strangers a day sells to them more as they know her
    (0.0085 in the first week, 0.024 a week after; ratio 3.4 on seeds 100-111, SE 0.6; 2.7 on
    the test's, SE 0.3): value content, replies and her groups raise their trust. The bar, a
    ratio above 1, lies 3 SE below.
    """
    spam = acquaintance_course("spam")
    assert spam < 0.27, spam
    community = acquaintance_course("community")
    assert community > 1.0, community


def test_the_acquaintance_test_detects_ads_that_annoy_nobody():
    """The test has teeth: if hard ads and prize posts annoyed nobody, a spam seller's new
    contacts would go on buying (the later rate about 0.4 of the first week's)."""
    spam = acquaintance_course("spam", **ADS_ANNOY_NOBODY)
    assert not spam < 0.27, spam


# 21 ------------------------------------------------------------------------------------------
# Forwards spread a trusted seller's posts, not a spammer's (docs/model.md §3.3.25, §6.3 row 21):
# seed 000 L163 (sellers ask fans to share their posts to Moments); seed 003 L61 (forwards, not fan
# counts, measure reach), L95 (forwards of every generation).

#: forwarding on with one probability for every kind of post read (and no idle-slot effect), so
#: that any difference between the sellers comes from who reads them, not from what they post
EQUAL_FORWARDING = {"prize_prob": 0.05, "value_prob": 0.05, "ad_prob": 0.05, "forwarded_prob": 0.05,
                    "idle_factor": 1.0}
#: the mutant: forwarding that ignores the reader's trust and annoyance (G_T G_A = 1)
GATE_IGNORED = ("gated(gates, 1.0, rel.trust[r], rel.annoyance[r])", "1.0")


def forwards_per_post_read(strategy: str, seed: int, runner=run) -> float:
    """A solo seller's forwards over the run per post of hers read (her ads, prize and value posts,
    her groups' posts, and friends' forwards of her posts)."""
    d = runner({strategy: {"strategy": strategy}}, seed, forward=EQUAL_FORWARDING).daily
    read = d[["exposures_ad", "exposures_value", "exposures_prize", "forwards_read"]].to_numpy().sum()
    return float(d["forwards"].sum() / read)


def forwarding_advantage(runner=run) -> float:
    """Mean over the seeds of community / spam forwards per post read (paired by seed)."""
    return mean(forwards_per_post_read("community", s, runner) / forwards_per_post_read("spam", s, runner)
                for s in SEEDS)


def test_a_trusted_seller_is_forwarded_and_a_spammer_is_not():
    """Seed 000 L163, seed 003 L61, L95: with the same chance per post read, a community seller's
    readers forward her posts several times as often as a spam seller's readers forward his.

    Nothing sets the ratio: forwarding is gated by each reader's trust and annoyance (the
    purchase rule's gates), which follow from what each seller did to her readers. With every
    probability 0.05, the expected forwards per post read are 0.05 E[G_T G_A] over the posts
    read. Measured on seeds 100-107 (not the test's): 0.0108 for the community seller (SE
    0.0002) and 0.0020 for the spam seller (SE 0.00003), a paired ratio of 5.28 (per-seed SD 0.33,
    SE 0.12); on the test's seeds 5.16 (SE 0.12). The bar, 3, is 18 SE below. The community
    seller's group posts read count as posts read but are never forwarded, which works against
    the fact. With the gates ignored (mutant, slow suite) both forward at p per forwardable post
    read and the ratio falls to 0.55 (SE 0.01): the groups' posts then dilute the community's.
    """
    ratio = forwarding_advantage()
    assert ratio >= 3.0, ratio


@pytest.mark.slow
def test_the_forwarding_test_detects_forwarding_that_ignores_trust_and_annoyance():
    """The test has teeth: forwarding that ignores the reader's trust and annoyance forwards a
    spammer's posts as readily as a trusted seller's, and the criterion fails."""
    from source_mutants import mutant_day

    from viralsim.model.rules import forward

    with mutant_day(forward, "forward_posts", *GATE_IGNORED):
        ratio = forwarding_advantage(runner=uncached)
    assert not ratio >= 3.0, ratio
