"""rules.feed: organic load, delivery of posts under limited attention, folding, activity."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim.model import relations
from viralsim.model.outputs import BREAKDOWN
from viralsim.model.relations import NO_TIE
from viralsim.model.rules import feed
from viralsim.model.rules.settle import count_friends
from viralsim.network import Topology

#: content types and slots of ``Plans.posts`` (state.Plans)
AD, VALUE, LIFE, PRIZE = range(4)
BUSY, IDLE = 0, 1


def put(w, name: str, s: int, nodes, value) -> None:
    """Relation column ``name`` of seller ``s`` and ``nodes`` := ``value``, relations made first
    (one reservation for all of them, so the table may grow once before any write)."""
    nodes = np.atleast_1d(np.asarray(nodes, dtype=np.int64))
    rel = w.keep(relations.reserve(w.rel, len(nodes)))
    rows = np.array([relations.add_row(rel.index, rel.meta, rel.seller, rel.node, s, v)
                     for v in nodes.tolist()], dtype=np.int64)
    getattr(rel, name)[rows] = value


def deliver(w) -> None:
    """rules.feed.deliver_posts as the day calls it (after the views are rebuilt)."""
    w.views()
    feed.deliver_posts(w.key, w.today, w.params.feed, w.people, w.sellers, w.plans, w.rel, w.totals,
                       w.breakdowns)


def exposures_by_tie(w, s: int = 0) -> np.ndarray:
    return w.breakdowns[s, BREAKDOWN.exposures_by_tie:BREAKDOWN.exposures_by_tie + 4]


def test_organic_load_formula(kit):
    """O_k(i) = degree(i) x friend_posts_per_day x share_k, share = (1 - idle_share, idle_share)."""
    p = kit.config(feed={"friend_posts_per_day": 2.0, "idle_share": 0.6}).feed
    deg = np.array([0.0, 3.0, 5.0])
    got = np.array(feed.organic_load(deg, p))
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got, [[0.0, 2.4, 4.0], [0.0, 3.6, 6.0]], rtol=1e-15)


def test_init_state_uses_the_organic_load(kit):
    cfg = kit.config(feed={"friend_posts_per_day": 1.5, "idle_share": 0.25})
    w = kit.world(cfg, kit.star(5))
    o0, o1 = feed.organic_load(w.people.degree, cfg.feed)
    np.testing.assert_allclose(w.people.organic0, o0)
    np.testing.assert_allclose(w.people.organic1, o1)


POSTS = {(AD, BUSY): 2, (AD, IDLE): 1, (VALUE, IDLE): 2, (LIFE, IDLE): 1, (PRIZE, IDLE): 1}


def test_ample_attention_shows_exactly_the_posted_counts(kit):
    """rho = min(1, A_k / (O_k + C_k)) = 1: every visible contact sees every post, by slot."""
    cfg = kit.config(feed={"attention_per_day": 60.0, "friend_posts_per_day": 1.0})
    w = kit.world(cfg, kit.star(6))          # seller at the centre, 5 strong contacts
    w.set_plan(0, POSTS)
    deliver(w)
    c = np.arange(1, 6)
    assert np.all(w.get("seen_ad")[0, c] == 3) and np.all(w.get("seen_ad_idle")[0, c] == 1)
    assert np.all(w.get("seen_prize")[0, c] == 1) and np.all(w.get("seen_prize_idle")[0, c] == 1)
    assert np.all(w.get("seen_value")[0, c] == 2) and np.all(w.get("seen_life")[0, c] == 1)
    assert np.all(w.get("seen_reseller") == 0)
    assert w.get("touched")[0, c].all() and w.get("saw_posts")[0, c].all()
    assert not w.get("touched")[0, 0] and w.get("seen_ad")[0, 0] == 0, "the seller read her own posts"
    assert relations.find(w.rel, 0, 0) == -1, "the feed made a relation of the seller with herself"
    np.testing.assert_array_equal(w.totals[0], [15, 10, 5, 5, 0, 0])
    np.testing.assert_array_equal(exposures_by_tie(w), [0, 0, 0, 5 * 7])
    # feed of a contact: organic 1 (degree 1) + 7 posts; commercial = ads + prize = 4
    np.testing.assert_allclose(w.people.commercial_load[c], 4.0)
    np.testing.assert_allclose(w.people.commercial_share[c], 4.0 / 8.0, rtol=1e-12)
    assert w.people.commercial_load[0] == 0.0 and w.people.commercial_share[0] == 0.0
    assert w.get("aware")[0, c].all()


def test_life_posts_touch_but_are_not_about_the_product(kit):
    """Only personal-life posts seen: touched, but saw_posts stays False (no enquiry prompt)."""
    cfg = kit.config()
    w = kit.world(cfg, kit.star(4))
    w.set_plan(0, {(LIFE, BUSY): 2})
    deliver(w)
    assert np.all(w.get("seen_life")[0, 1:] == 2)
    assert w.get("touched")[0, 1:].all() and not w.get("saw_posts")[0, 1:].any()
    assert np.all(w.people.commercial_share == 0)


def test_limited_attention_expected_exposures(kit):
    """E[X] = posts x rho_k with rho_k = A_k x activity / (O_k + C_k) (statistical, 2000 readers)."""
    n = 2001          # complete graph: degree 2000, friends' posts 0.01 each => organic 20 a day
    cfg = kit.config(feed={"attention_per_day": 20.0, "idle_share": 0.5, "friend_posts_per_day": 0.01})
    w = kit.world(cfg, Topology.complete_graph(n), seed=4)
    half = np.arange(1, n) % 2 == 0
    w.people.activity[1:][half] = 0.5
    w.set_plan(0, {(AD, BUSY): 10, (VALUE, IDLE): 30})
    deliver(w)
    # busy: A = 10 x activity, feed = 10 organic + 10 ads; idle: A = 10 x activity, feed = 10 + 30
    cons = np.arange(1, n)
    seen_ad, seen_value = w.get("seen_ad")[0], w.get("seen_value")[0]
    for mask, act in ((~half, 1.0), (half, 0.5)):
        rho_b, rho_i = 10 * act / 20, 10 * act / 40
        kit.within(seen_ad[cons[mask]].mean(), 10 * rho_b, np.sqrt(10 * rho_b * (1 - rho_b) / mask.sum()))
        kit.within(seen_value[cons[mask]].mean(), 30 * rho_i, np.sqrt(30 * rho_i * (1 - rho_i) / mask.sum()))
    np.testing.assert_allclose(w.people.commercial_share[cons], 10 / 60, rtol=1e-12)


def test_two_sellers_dilute_each_other(kit):
    """Posts of all visible sellers share one feed: each seller's exposure is posts x A / (O + C1 + C2)."""
    n = 3002
    # Each seller's circle is every other person (the other seller included, a consumer of hers).
    cfg = kit.config(n_sellers=2, circle_size=n - 1,
                     feed={"attention_per_day": 20.0, "idle_share": 0.5, "friend_posts_per_day": 1.0})
    w = kit.world(cfg, kit.empty(n), sellers=(0, 1), seed=6)
    w.set_plan(0, {(AD, BUSY): 10})
    w.set_plan(1, {(AD, BUSY): 30})
    deliver(w)
    rho = 10 / 40
    m = n - 2
    seen = w.get("seen_ad")
    kit.within(seen[0, 2:].mean(), 10 * rho, np.sqrt(10 * rho * (1 - rho) / m))
    kit.within(seen[1, 2:].mean(), 30 * rho, np.sqrt(30 * rho * (1 - rho) / m))
    # Seller 1's feed holds seller 0's 10 ads alone (A = 10): she reads them all; nobody reads
    # her own posts.
    assert seen[0, 1] == 10 and seen[0, 0] == seen[1, 1] == 0


def test_muted_and_blocked_contacts_see_nothing(kit):
    """visible = tied & not muted & not blocked; non-contacts see nothing either."""
    cfg = kit.config()
    w = kit.world(cfg, kit.star(7))
    w.set("muted", 0, 1, True)
    w.set("blocked", 0, 2, True)
    w.set("tie", 0, 3, NO_TIE)
    w.set_plan(0, POSTS)
    deliver(w)
    for i in (1, 2, 3):
        assert all(w.get(k)[0, i] == 0 for k in ("seen_ad", "seen_value", "seen_life", "seen_prize"))
        assert not w.get("touched")[0, i]
        assert w.people.commercial_load[i] == 0 and w.people.commercial_share[i] == 0
    assert np.all(w.get("seen_ad")[0, 4:] == 3)
    np.testing.assert_array_equal(np.flatnonzero(w.get("touched")[0]), [4, 5, 6])


@pytest.mark.parametrize("view_prob", [0.0, 1.0])
def test_folded_marketing_posts_reach_only_openers(kit, view_prob):
    """Folded: ads and prize posts count (in feed and exposures) only for openers; value and life
    posts are unaffected; openers are marked for the platform warning."""
    cfg = kit.config(platform={"fold_view_prob": view_prob})
    w = kit.world(cfg, kit.star(6))
    w.set_plan(0, POSTS, folded=True)
    deliver(w)
    c = np.arange(1, 6)
    opened = view_prob == 1.0
    assert np.all(w.get("seen_ad")[0, c] == (3 if opened else 0))
    assert np.all(w.get("seen_prize")[0, c] == (1 if opened else 0))
    assert np.all(w.get("seen_value")[0, c] == 2) and np.all(w.get("seen_life")[0, c] == 1)
    np.testing.assert_array_equal(np.flatnonzero(w.get("opened")[0]), c if opened else [])
    np.testing.assert_allclose(w.people.commercial_load[c], 4.0 if opened else 0.0)
    np.testing.assert_allclose(w.people.commercial_share[c], 4 / 8 if opened else 0.0, rtol=1e-12)
    assert w.get("saw_posts")[0, c].all(), "value posts are about the product, folded or not"


def test_partly_folded_posts_hide_only_the_folded_ones(kit):
    """The platform folded one busy ad and the idle prize post: viewers who do not open the block
    read the other ads, and only those count in their commercial load."""
    cfg = kit.config(platform={"fold_view_prob": 0.0})
    w = kit.world(cfg, kit.star(6))
    w.set_plan(0, POSTS, folded={(AD, BUSY): 1, (PRIZE, IDLE): 1})
    deliver(w)
    c = np.arange(1, 6)
    assert np.all(w.get("seen_ad")[0, c] == 2) and np.all(w.get("seen_prize")[0, c] == 0)
    assert np.all(w.get("seen_value")[0, c] == 2)
    np.testing.assert_allclose(w.people.commercial_load[c], 2.0)
    assert not w.get("opened")[0].any()


def test_unopened_folded_posts_take_no_attention(kit):
    """Unopened folded marketing posts do not occupy the feed: with attention equal to organic +
    value posts, every value post is read (rho = 1) despite 40 folded ads."""
    cfg = kit.config(feed={"attention_per_day": 10.0, "idle_share": 0.5, "friend_posts_per_day": 2.0},
                     platform={"fold_view_prob": 0.0})
    w = kit.world(cfg, kit.star(6))           # leaves: degree 1 => organic 1 per slot
    w.set_plan(0, {(AD, BUSY): 20, (PRIZE, IDLE): 20, (VALUE, BUSY): 4, (VALUE, IDLE): 4},   # A_k = 5 = 1 + 4
               folded=True)
    deliver(w)
    assert np.all(w.get("seen_value")[0, 1:] == 8)
    assert np.all(w.get("seen_ad")[0, 1:] == 0) and np.all(w.get("seen_prize")[0, 1:] == 0)


def test_unfolded_plan_reports_no_openers(kit):
    cfg = kit.config(platform={"fold_view_prob": 1.0})
    w = kit.world(cfg, kit.star(4))
    w.set_plan(0, POSTS)
    assert not w.plans.folded[0].any()
    deliver(w)
    assert not w.get("opened").any()
    assert np.all(w.get("seen_ad")[0, 1:] == 3)


def test_folded_block_opening_rate(kit):
    """P(open the folded block) = fold_view_prob per viewer and day (statistical)."""
    n = 20_001
    cfg = kit.config(circle_size=n - 1, platform={"fold_view_prob": 0.1})
    w = kit.world(cfg, kit.empty(n), seed=3)
    w.set_plan(0, {(AD, BUSY): 1}, folded=True)
    deliver(w)
    kit.within(w.get("opened")[0].sum() / (n - 1), 0.1, kit.binom_sd(0.1, n - 1))


def test_reseller_ads_are_poisson_with_the_reseller_rate(kit):
    """Reseller ads seen ~ Poisson(reseller friends x ads per reseller x slot share x rho); rho = 1 here."""
    n = 20_001
    cfg = kit.config(feed={"attention_per_day": 60.0})
    w = kit.world(cfg, kit.empty(n), seed=2)          # no ties to the seller at all
    w.set_strategy(0, reseller_posts_per_day=1.5)
    put(w, "reseller_friends", 0, np.arange(1, n), 2)
    deliver(w)
    x = w.get("seen_reseller")[0, 1:]
    kit.within(x.mean(), 3.0, np.sqrt(3.0 / (n - 1)))
    kit.within(x.var(), 3.0, np.sqrt((3.0 + 2 * 3.0 ** 2) / (n - 1)))   # Var(s^2) = (lam + 2 lam^2) / n
    assert w.totals[0, 4] == x.sum()
    np.testing.assert_array_equal(w.get("touched")[0, 1:], x > 0)
    np.testing.assert_array_equal(w.get("aware")[0, 1:], x > 0)
    np.testing.assert_allclose(w.people.commercial_load[1:], 3.0)


def test_reseller_ads_split_over_slots_by_idle_hours_share(kit):
    """lambda_k = reseller friends x ads x slot_k, slot = (1 - idle_hours_share, idle_hours_share),
    each read at its slot's rho: 20 ads, slots (6, 14), A_k = 7 => E[X] = 6 x 1 + 14 x 0.5 = 13."""
    n = 20_001
    cfg = kit.config(feed={"attention_per_day": 14.0, "idle_share": 0.5, "idle_hours_share": 0.7})
    w = kit.world(cfg, kit.empty(n), seed=12)
    w.set_strategy(0, reseller_posts_per_day=10.0)
    put(w, "reseller_friends", 0, np.arange(1, n), 2)
    deliver(w)
    kit.within(w.get("seen_reseller")[0, 1:].mean(), 13.0, np.sqrt(13.0 / (n - 1)))


def test_a_seller_never_receives_her_own_resellers_ads(kit):
    """A seller relates to nobody as herself: next to one of her resellers, her feed holds none of
    his ads, while another seller, a consumer of hers, receives them like any friend of his."""
    cfg = kit.config(n_sellers=2)
    w = kit.world(cfg, kit.path(5), sellers=(0, 2))     # seller 0 - 1 - seller 1 - 3 - 4
    w.set("reseller", 0, 1, True)
    w.set_strategy(0, reseller_posts_per_day=3.0)
    # his friends count one more reseller friend of seller 0, as rules.settle.settle does
    w.keep(count_friends(w.state.graph, w.people, w.rel, 0, 0, np.array([1]), False))
    deliver(w)
    assert relations.find(w.rel, 0, 0) == -1, "seller 0 was related to herself"
    assert w.get("reseller_friends")[0, 2] == 1
    assert w.people.commercial_load[2] == 3.0, "seller 1 (node 2) is the reseller's friend"
    assert w.people.commercial_load[0] == 0.0, "seller 0 received her own reseller's ads"
    assert w.people.commercial_share[0] == 0.0, "seller 0 has a commercial share"


# ----------------------------------------------------------------------------- update_activity


def test_update_activity_relaxes_toward_the_target(kit):
    """a(t+1) = a* + (a(t) - a*) 2^(-1/h), a* = 1 - kappa x share; after t days with a constant
    share a(t) = a* + (a0 - a*) 2^(-t/h); every person is a consumer (seller nodes included)."""
    cfg = kit.config(feed={"activity_sensitivity": 0.6, "activity_half_life": 7.0})
    w = kit.world(cfg, kit.path(6))
    a0 = np.array([0.0, 1.0, 0.2, 0.9, 1.0, 0.5])
    share = np.array([0.0, 0.0, 0.5, 1.0, 0.25, 0.8])
    w.people.activity[:] = a0
    w.people.commercial_share[:] = share
    feed.update_activity(w.params.feed, w.people)
    target = 1 - 0.6 * share
    f = 2 ** (-1 / 7)
    np.testing.assert_allclose(w.people.activity, target + (a0 - target) * f, rtol=1e-12)
    for _ in range(19):
        feed.update_activity(w.params.feed, w.people)
    np.testing.assert_allclose(w.people.activity, target + (a0 - target) * 2 ** (-20 / 7), rtol=1e-12)


def test_update_activity_keeps_non_consumers_at_zero(kit):
    """A person who is not a consumer (none in a built market; hand-made states) stays at 0."""
    cfg = kit.config()
    w = kit.world(cfg, kit.path(4))
    w.people.is_consumer[3] = False
    w.people.activity[3] = 0.7
    feed.update_activity(w.params.feed, w.people)
    assert w.people.activity[3] == 0.0 and np.all(w.people.activity[:3] == 1.0)


def test_update_activity_stays_in_unit_interval(kit):
    cfg = kit.config(feed={"activity_sensitivity": 1.0, "activity_half_life": 0.01})
    w = kit.world(cfg, kit.path(4))
    w.people.commercial_share[:] = 1.0
    feed.update_activity(w.params.feed, w.people)
    assert np.all((w.people.activity >= 0) & (w.people.activity <= 1))
    np.testing.assert_allclose(w.people.activity, 0.0, atol=1e-12)


def _feeds(sellers, rho, draws, seed, sampler):
    """``draws`` feeds (of as many consumers) holding the posts of ``sellers`` (each a 2 x 4 table
    of posts by slot and type), read seller after seller by ``sampler(kinds, load, skips, i,
    base, read)`` (rules.feed._read_posts): what each reads of each seller, shape (draws, sellers, 2, 4)."""
    kinds = np.zeros((len(sellers), 2, 5), np.int64)
    kinds[:, :, :4] = sellers
    kinds[:, :, 4] = kinds[:, :, :4].sum(axis=2)
    base = np.random.default_rng(seed).integers(2 ** 63, dtype=np.uint64)
    lq = [np.log1p(-p) if p < 1.0 else -np.inf for p in rho]
    load = np.empty((draws, 4))
    load[:] = (rho[0], rho[1], lq[0], lq[1])
    skips = np.empty((draws, 3))
    skips[:] = (-1.0, -1.0, 0.0)        # (no skip drawn yet, no draw made)
    read = np.empty((2, 4), np.int64)
    out = np.zeros((draws, len(sellers), 2, 4), np.int64)
    for d in range(draws):
        for j in range(len(sellers)):
            if sampler(kinds[j], load, skips, d, base, read):
                out[d, j] = read
    return out


def _misfit(kinds, rho, out) -> float:
    """The smallest p-value of chi-square tests that each cell is Binomial(kinds[k, c], rho_k)
    and that the cells of a slot are independent (pairs, counts 0 / 1 / 2+)."""
    from scipy import stats

    pvals = []
    draws = out.shape[0]
    for k in range(2):
        for c in range(4):
            n_c = int(kinds[k][c])
            if (out[:, k, c] < 0).any() or (out[:, k, c] > n_c).any():
                return 0.0              # (outside the binomial's support: impossible)
            if n_c == 0:
                continue
            pmf = stats.binom.pmf(np.arange(n_c + 1), n_c, rho[k]) * draws
            obs = np.bincount(out[:, k, c], minlength=n_c + 1).astype(float)
            # the tails merged into the outermost bins expecting at least 5
            keep = np.flatnonzero(pmf >= 5)
            lo, hi = keep[0], keep[-1]
            if hi > lo:
                o = np.r_[obs[:lo + 1].sum(), obs[lo + 1:hi], obs[hi:].sum()]
                e = np.r_[pmf[:lo + 1].sum(), pmf[lo + 1:hi], pmf[hi:].sum()]
                pvals.append(stats.chisquare(o, e * draws / pmf.sum()).pvalue)
            elif (out[:, k, c] != lo).any():
                return 0.0              # (a count the binomial all but never gives)
        for a in range(4):
            for b in range(a + 1, 4):
                if kinds[k][a] and kinds[k][b]:
                    table = np.zeros((3, 3))
                    np.add.at(table, (np.minimum(out[:, k, a], 2), np.minimum(out[:, k, b], 2)), 1)
                    table = table[table.sum(1) > 0][:, table.sum(0) > 0]
                    if min(table.shape) > 1:
                        pvals.append(stats.chi2_contingency(table).pvalue)
    return min(pvals, default=1.0)     # (a seller with nothing in the feed: nothing to test)


#: (the sellers in a feed, each her posts by slot and type; read probability by slot): a spam
#: follower (a hundred of her ads in the feed, some read) before a small seller, a mostly-unread feed of two sellers,
#: a slot read in full, a feed read most of the way (and a seller with nothing in it), a slot
#: that reads nothing (activity 0)
FEED_CASES = [
    ([[[100, 0, 5, 10], [2, 0, 0, 1]], [[3, 2, 0, 1], [0, 4, 1, 0]]], (0.05, 0.04)),
    ([[[3, 2, 0, 1], [0, 4, 1, 0]], [[1, 1, 0, 0], [1, 0, 0, 1]]], (0.02, 0.05)),
    ([[[0, 3, 2, 0], [5, 0, 0, 5]], [[1, 0, 0, 0], [0, 0, 2, 0]]], (1.0, 0.3)),
    ([[[6, 4, 3, 2], [0, 0, 0, 0]], [[0, 0, 0, 0], [0, 0, 0, 0]], [[2, 0, 1, 0], [0, 1, 0, 0]]], (0.8, 0.5)),
    ([[[4, 0, 1, 0], [3, 1, 0, 0]], [[2, 2, 0, 0], [0, 0, 0, 3]]], (0.0, 0.2)),
]


def _feed_misfit(sellers, rho, out) -> float:
    """The smallest p-value of :func:`_misfit` on every seller, and of chi-square tests that
    what a feed reads of one seller is independent of what it reads of the next (per slot,
    counts 0 / 1 / 2+)."""
    from scipy import stats

    pvals = [_misfit(kinds, rho, out[:, j]) for j, kinds in enumerate(sellers)]
    for j in range(len(sellers) - 1):
        for k in range(2):
            a, b = out[:, j, k].sum(axis=1), out[:, j + 1, k].sum(axis=1)
            table = np.zeros((3, 3))
            np.add.at(table, (np.minimum(a, 2), np.minimum(b, 2)), 1)
            table = table[table.sum(1) > 0][:, table.sum(0) > 0]
            if min(table.shape) > 1:
                pvals.append(stats.chi2_contingency(table).pvalue)
    return min(pvals)


@pytest.mark.parametrize(("sellers", "rho"), FEED_CASES)
def test_read_posts_are_independent_binomials(sellers, rho):
    """rules.feed._read_posts draws each cell of each seller Binomial(N_kc, rho_k), independently
    of the other cells and of the other sellers in the feed (40,000 days a case, every
    chi-square p-value above 1e-4; the smallest measured, 0.0019, is the least of about fifty tests)."""
    out = _feeds(sellers, rho, 40_000, 11, feed._read_posts)
    assert _feed_misfit(sellers, rho, out) > 1e-4


def test_read_posts_check_detects_posts_scrolled_past_not_counted_off():
    """Mutant: a seller whose posts the feed scrolls past without reading any leaves the skip to
    the next read post where it was, so the next seller's posts are read only past it (the
    next seller of a mostly-unread feed then reads too little). The check above rejects it on
    that feed (p below floating-point precision; four of the five cases reject it)."""
    from source_mutants import _mutated

    mutant = _mutated(feed._read_posts, "skips[i, k] = gap - n_k", "skips[i, k] = gap")
    sellers, rho = FEED_CASES[1]
    assert _feed_misfit(sellers, rho, _feeds(sellers, rho, 40_000, 11, mutant)) < 1e-6


def test_read_posts_check_detects_a_read_post_given_the_next_type():
    """Mutant: the read post's type is found one post off (the first post of the second type
    counted as the first type's). The check above rejects it on the feed read most of the way (a
    cell reads more posts than it holds; every case rejects it)."""
    from source_mutants import _mutated

    mutant = _mutated(feed._read_posts, "c, end = 0, kinds[k, 0]", "c, end = 0, kinds[k, 0] + 1")
    sellers, rho = FEED_CASES[3]
    assert _feed_misfit(sellers, rho, _feeds(sellers, rho, 40_000, 11, mutant)) < 1e-6
