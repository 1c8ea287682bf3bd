"""rules.feed: organic load, delivery of posts under limited attention, folding, activity."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim.model.plan import AD, BUSY, IDLE, LIFE, PRIZE, VALUE
from viralsim.model.rules import feed
from viralsim.model.rules._util import add_to_neighbors
from viralsim.model.state import NO_TIE
from viralsim.network import Topology


def test_organic_load_formula(kit):
    """O_k(i) = degree(i) x friend_posts_per_day x share_k, share = (1 - idle_share, idle_share)."""
    p = kit.config(feed={"friend_posts_per_day": 2.0, "idle_share": 0.6}).feed
    deg = np.array([0.0, 3.0, 5.0])
    got = feed.organic_load(deg, p)
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got, [[0.0, 2.4, 4.0], [0.0, 3.6, 6.0]], rtol=1e-15)


def test_init_state_uses_the_organic_load(kit):
    cfg = kit.config(feed={"friend_posts_per_day": 1.5, "idle_share": 0.25})
    st = kit.state(cfg, kit.star(5))
    np.testing.assert_allclose(st.organic, feed.organic_load(st.degree, cfg.feed))


POSTS = {(AD, BUSY): 2, (AD, IDLE): 1, (VALUE, IDLE): 2, (LIFE, IDLE): 1, (PRIZE, IDLE): 1}


def test_ample_attention_shows_exactly_the_posted_counts(kit):
    """rho = min(1, A_k / (O_k + C_k)) = 1: every visible contact sees every post, by slot."""
    cfg = kit.config(feed={"attention_per_day": 60.0, "friend_posts_per_day": 1.0})
    st = kit.state(cfg, kit.star(6))          # seller at the centre, 5 strong contacts
    d = kit.day(st)
    res = feed.deliver_posts(st, d, [kit.plan(0, POSTS)], cfg.feed, rng=np.random.default_rng(0))
    c = np.arange(1, 6)
    assert np.all(d.seen_ad[0, c] == 3) and np.all(d.seen_ad_idle[0, c] == 1)
    assert np.all(d.seen_prize[0, c] == 1) and np.all(d.seen_prize_idle[0, c] == 1)
    assert np.all(d.seen_value[0, c] == 2) and np.all(d.seen_life[0, c] == 1)
    assert np.all(d.seen_reseller == 0)
    assert d.touched[0, c].all() and d.saw_posts[0, c].all()
    assert not d.touched[0, 0] and d.seen_ad[0, 0] == 0, "the seller does not read her own feed"
    np.testing.assert_array_equal(res.totals[0], [15, 10, 5, 5, 0])
    np.testing.assert_array_equal(res.by_tie[0], [0, 0, 0, 5 * 7])
    # feed of a contact: organic 1 (degree 1) + 7 posts; commercial = ads + prize = 4
    np.testing.assert_allclose(d.commercial_load[c], 4.0)
    np.testing.assert_allclose(st.commercial_share[c], 4.0 / 8.0, rtol=1e-12)
    assert st.aware[0, c].all()


def test_life_posts_touch_but_are_not_about_the_product(kit):
    """Only personal-life posts seen: touched, but saw_posts stays False (no enquiry prompt)."""
    cfg = kit.config()
    st = kit.state(cfg, kit.star(4))
    d = kit.day(st)
    feed.deliver_posts(st, d, [kit.plan(0, {(LIFE, BUSY): 2})], cfg.feed, rng=np.random.default_rng(0))
    assert np.all(d.seen_life[0, 1:] == 2)
    assert d.touched[0, 1:].all() and not d.saw_posts[0, 1:].any()
    assert np.all(st.commercial_share == 0)


def test_limited_attention_expected_exposures(kit):
    """E[X] = posts x rho_k with rho_k = A_k x activity / (O_k + C_k) (statistical, 2000 readers)."""
    n = 2001          # complete graph: degree 2000, friends' posts 0.01 each => organic 20 a day
    cfg = kit.config(feed={"attention_per_day": 20.0, "idle_share": 0.5, "friend_posts_per_day": 0.01})
    st = kit.state(cfg, Topology.complete_graph(n))
    half = np.arange(1, n) % 2 == 0
    st.activity[1:][half] = 0.5
    d = kit.day(st)
    posts = {(AD, BUSY): 10, (VALUE, IDLE): 30}
    feed.deliver_posts(st, d, [kit.plan(0, posts)], cfg.feed, rng=np.random.default_rng(4))
    # busy: A = 10 x activity, feed = 10 organic + 10 ads; idle: A = 10 x activity, feed = 10 + 30
    cons = np.arange(1, n)
    for mask, act in ((~half, 1.0), (half, 0.5)):
        rho_b, rho_i = 10 * act / 20, 10 * act / 40
        kit.within(d.seen_ad[0, cons[mask]].mean(), 10 * rho_b, np.sqrt(10 * rho_b * (1 - rho_b) / mask.sum()))
        kit.within(d.seen_value[0, cons[mask]].mean(), 30 * rho_i, np.sqrt(30 * rho_i * (1 - rho_i) / mask.sum()))
    np.testing.assert_allclose(st.commercial_share[cons], 10 / 60, rtol=1e-12)


def test_two_sellers_dilute_each_other(kit):
    """Posts of all visible sellers share one feed: each seller's exposure is posts x A / (O + C1 + C2)."""
    n = 3002
    cfg = kit.config(n_sellers=2, circle_size=n - 2,
                     feed={"attention_per_day": 20.0, "idle_share": 0.5, "friend_posts_per_day": 1.0})
    st = kit.state(cfg, kit.empty(n), sellers=(0, 1))
    d = kit.day(st)
    plans = [kit.plan(0, {(AD, BUSY): 10}), kit.plan(1, {(AD, BUSY): 30})]
    feed.deliver_posts(st, d, plans, cfg.feed, rng=np.random.default_rng(6))
    rho = 10 / 40
    m = n - 2
    kit.within(d.seen_ad[0, 2:].mean(), 10 * rho, np.sqrt(10 * rho * (1 - rho) / m))
    kit.within(d.seen_ad[1, 2:].mean(), 30 * rho, np.sqrt(30 * rho * (1 - rho) / m))


def test_muted_and_blocked_contacts_see_nothing(kit):
    """visible = tied & not muted & not blocked; non-contacts see nothing either."""
    cfg = kit.config()
    st = kit.state(cfg, kit.star(7))
    st.muted[0, 1] = True
    st.blocked[0, 2] = True
    st.tie[0, 3] = NO_TIE
    d = kit.day(st)
    feed.deliver_posts(st, d, [kit.plan(0, POSTS)], cfg.feed, rng=np.random.default_rng(0))
    for i in (1, 2, 3):
        assert d.seen_ad[0, i] == d.seen_value[0, i] == d.seen_life[0, i] == d.seen_prize[0, i] == 0
        assert not d.touched[0, i] and d.commercial_load[i] == 0 and st.commercial_share[i] == 0
    assert np.all(d.seen_ad[0, 4:] == 3)
    np.testing.assert_array_equal(feed.visible_contacts(st, 0), [4, 5, 6])


@pytest.mark.parametrize("view_prob", [0.0, 1.0])
def test_folded_marketing_posts_reach_only_openers(kit, view_prob):
    """Folded: ads and prize posts count (in feed and exposures) only for openers; value and life
    posts are unaffected; openers are returned for the platform warning."""
    cfg = kit.config()
    st = kit.state(cfg, kit.star(6))
    d = kit.day(st)
    res = feed.deliver_posts(st, d, [kit.plan(0, POSTS, folded=True, fold_view_prob=view_prob)], cfg.feed,
                             rng=np.random.default_rng(0))
    c = np.arange(1, 6)
    opened = view_prob == 1.0
    assert np.all(d.seen_ad[0, c] == (3 if opened else 0))
    assert np.all(d.seen_prize[0, c] == (1 if opened else 0))
    assert np.all(d.seen_value[0, c] == 2) and np.all(d.seen_life[0, c] == 1)
    np.testing.assert_array_equal(np.sort(res.fold_opened[0]), c if opened else [])
    np.testing.assert_allclose(d.commercial_load[c], 4.0 if opened else 0.0)
    np.testing.assert_allclose(st.commercial_share[c], 4 / 8 if opened else 0.0, rtol=1e-12)
    assert d.saw_posts[0, c].all(), "value posts are about the product, folded or not"


def test_unopened_folded_posts_take_no_attention(kit):
    """Unopened folded marketing posts do not occupy the feed: with attention equal to organic +
    value posts, every value post is read (rho = 1) despite 40 folded ads."""
    cfg = kit.config(feed={"attention_per_day": 10.0, "idle_share": 0.5, "friend_posts_per_day": 2.0})
    st = kit.state(cfg, kit.star(6))           # leaves: degree 1 => organic 1 per slot
    d = kit.day(st)
    posts = {(AD, BUSY): 20, (PRIZE, IDLE): 20, (VALUE, BUSY): 4, (VALUE, IDLE): 4}   # A_k = 5 = 1 + 4
    feed.deliver_posts(st, d, [kit.plan(0, posts, folded=True, fold_view_prob=0.0)], cfg.feed,
                       rng=np.random.default_rng(0))
    assert np.all(d.seen_value[0, 1:] == 8)
    assert np.all(d.seen_ad[0, 1:] == 0) and np.all(d.seen_prize[0, 1:] == 0)


def test_unfolded_plan_reports_no_openers(kit):
    cfg = kit.config()
    st = kit.state(cfg, kit.star(4))
    res = feed.deliver_posts(st, kit.day(st), [kit.plan(0, POSTS, fold_view_prob=1.0)], cfg.feed,
                             rng=np.random.default_rng(0))
    assert len(res.fold_opened[0]) == 0


def test_folded_block_opening_rate(kit):
    """P(open the folded block) = fold_view_prob per viewer and day (statistical)."""
    n = 20_001
    cfg = kit.config(circle_size=n - 1)
    st = kit.state(cfg, kit.empty(n))
    res = feed.deliver_posts(st, kit.day(st), [kit.plan(0, {(AD, BUSY): 1}, folded=True, fold_view_prob=0.1)],
                             cfg.feed, rng=np.random.default_rng(3))
    kit.within(len(res.fold_opened[0]) / (n - 1), 0.1, kit.binom_sd(0.1, n - 1))


def test_reseller_ads_are_poisson_with_the_reseller_rate(kit):
    """Reseller ads seen ~ Poisson(reseller friends x ads per reseller x slot share x rho); rho = 1 here."""
    n = 20_001
    cfg = kit.config(feed={"attention_per_day": 60.0})
    st = kit.state(cfg, kit.empty(n))          # no ties to the seller at all
    st.reseller_friends[0, 1:] = 2
    d = kit.day(st)
    res = feed.deliver_posts(st, d, [kit.plan(0, reseller_posts=1.5)], cfg.feed, rng=np.random.default_rng(2))
    x = d.seen_reseller[0, 1:]
    kit.within(x.mean(), 3.0, np.sqrt(3.0 / (n - 1)))
    kit.within(x.var(), 3.0, np.sqrt((3.0 + 2 * 3.0 ** 2) / (n - 1)))   # Var(s^2) = (lam + 2 lam^2) / n
    assert res.totals[0, 4] == x.sum()
    np.testing.assert_array_equal(d.touched[0, 1:], x > 0)
    np.testing.assert_allclose(d.commercial_load[1:], 3.0)


def test_reseller_ads_split_over_slots_by_idle_hours_share(kit):
    """lambda_k = reseller friends x ads x slot_k, slot = (1 - idle_hours_share, idle_hours_share),
    each read at its slot's rho: 20 ads, slots (6, 14), A_k = 7 => E[X] = 6 x 1 + 14 x 0.5 = 13."""
    n = 20_001
    cfg = kit.config(feed={"attention_per_day": 14.0, "idle_share": 0.5, "idle_hours_share": 0.7})
    st = kit.state(cfg, kit.empty(n))
    st.reseller_friends[0, 1:] = 2
    d = kit.day(st)
    feed.deliver_posts(st, d, [kit.plan(0, reseller_posts=10.0)], cfg.feed, rng=np.random.default_rng(12))
    kit.within(d.seen_reseller[0, 1:].mean(), 13.0, np.sqrt(13.0 / (n - 1)))


def test_seller_nodes_never_receive_commercial_posts(kit):
    """A seller node is not a consumer: even next to one of her resellers, her feed holds no
    commercial posts (mesa_model.ViralModel._record relies on this: "Seller nodes hold activity 0
    and never receive commercial posts, so plain sums suffice")."""
    cfg = kit.config()
    topo = kit.path(5)                         # seller 0 - 1 - 2 - 3 - 4
    st = kit.state(cfg, topo)
    st.reseller[0, 1] = True
    add_to_neighbors(topo, st.reseller_friends[0], np.array([1]))   # as settle.settle_purchases does
    d = kit.day(st)
    feed.deliver_posts(st, d, [kit.plan(0, reseller_posts=3.0)], cfg.feed, rng=np.random.default_rng(1))
    assert d.commercial_load[2] == 3.0, "consumer 2 is the reseller's friend"
    assert d.commercial_load[0] == 0.0, "the seller node received reseller ads in its feed"
    assert st.commercial_share[0] == 0.0, "the seller node has a commercial share"


# ----------------------------------------------------------------------------- update_activity


def test_update_activity_relaxes_toward_the_target(kit):
    """a(t+1) = a* + (a(t) - a*) 2^(-1/h), a* = 1 - kappa x share; after t days with a constant
    share a(t) = a* + (a0 - a*) 2^(-t/h); seller nodes stay at 0."""
    cfg = kit.config(feed={"activity_sensitivity": 0.6, "activity_half_life": 7.0})
    st = kit.state(cfg, kit.path(6))
    a0 = np.array([0.0, 1.0, 0.2, 0.9, 1.0, 0.5])
    share = np.array([0.0, 0.0, 0.5, 1.0, 0.25, 0.8])
    st.activity[:] = a0
    st.commercial_share[:] = share
    feed.update_activity(st, cfg.feed)
    target = 1 - 0.6 * share
    f = 2 ** (-1 / 7)
    np.testing.assert_allclose(st.activity[1:], (target + (a0 - target) * f)[1:], rtol=1e-12)
    assert st.activity[0] == 0.0
    for _ in range(19):
        feed.update_activity(st, cfg.feed)
    np.testing.assert_allclose(st.activity[1:], (target + (a0 - target) * 2 ** (-20 / 7))[1:], rtol=1e-12)


def test_update_activity_stays_in_unit_interval(kit):
    cfg = kit.config(feed={"activity_sensitivity": 1.0, "activity_half_life": 0.01})
    st = kit.state(cfg, kit.path(4))
    st.commercial_share[:] = 1.0
    feed.update_activity(st, cfg.feed)
    assert np.all((st.activity >= 0) & (st.activity <= 1))
    np.testing.assert_allclose(st.activity[1:], 0.0, atol=1e-12)
