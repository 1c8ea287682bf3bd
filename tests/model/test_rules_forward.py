"""Forwarding (rules.forward; docs/model.md §3.3.25): who forwards which posts read, with what
probability, where the forwards go, how the next day's feed reads them, and the next generation."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim.config.schema import RunConfig
from viralsim.model import ViralModel, relations
from viralsim.model.outputs import FLOW
from viralsim.model.relations import WEAK
from viralsim.model.rules import feed, forward
from viralsim.model.rules._util import trust_gate

AD, VALUE, LIFE, PRIZE = range(4)
BUSY, IDLE = 0, 1
#: no gate: trust gating and annoyance off, so P(forward) is the type's probability itself
OPEN = {"purchase": {"trust_gating": False}, "annoyance": {"enabled": False}}


def _world(kit, topo, seed=0, **sections):
    cfg = kit.config(**{**OPEN, **sections})
    return kit.world(cfg, topo, seed=seed)


def put(w, name, s, nodes, value):
    """Relation column ``name`` of seller ``s`` and ``nodes`` := ``value`` (one reservation)."""
    nodes = np.atleast_1d(np.asarray(nodes, dtype=np.int64))
    rel = w.keep(relations.reserve(w.rel, len(nodes)))
    rows = np.array([relations.add_row(rel.index, rel.meta, rel.seller, rel.node, s, v)
                     for v in nodes.tolist()], dtype=np.int64)
    getattr(rel, name)[rows] = value


def forward_day(w):
    """rules.forward.forward_posts as the day calls it (the views as the feed left them)."""
    w.views()
    w.keep(forward.forward_posts(w.key, w.today, w.params.forward, w.params.purchase, w.state.graph, w.people,
                                 w.sellers, w.rel, w.flows))


def deliver(w):
    w.views()
    feed.deliver_posts(w.key, w.today, w.params.feed, w.people, w.sellers, w.plans, w.rel, w.totals, w.breakdowns)


def test_readers_forward_to_every_friend(kit):
    """p_prize = 1, open gates: reader 1 (3 prize posts read) forwards all 3 to her friends 2 and 3,
    reader 4 (1 post) to 5; consumer 6, who read nothing, forwards nothing. The seller's node is no
    recipient; a friend without a relation gets one at the stranger prior."""
    topo = kit.edges(8, [(1, 2), (1, 3), (1, 0), (4, 5), (6, 7)])
    w = _world(kit, topo, forward={"prize_prob": 1.0})
    put(w, "tie", 0, [1, 4, 6], WEAK)
    put(w, "seen_prize", 0, [1, 4], [3, 1])
    forward_day(w)
    fwd = w.get("forwarded")[0]
    np.testing.assert_array_equal(fwd, [0, 0, 3, 3, 0, 1, 0, 0])
    assert w.flows[FLOW.forwards, 0] == 4
    np.testing.assert_allclose(w.get("trust")[0, [2, 3, 5]], w.config.trust.prior_stranger)
    assert not w.get("aware")[0, [2, 3, 5]].any()      # (aware once she reads one, tomorrow)


def test_muted_and_blocked_readers_never_forward(kit):
    """Readers who muted or blocked the seller forward nothing, at p = 1; the others all do."""
    topo = kit.edges(7, [(1, 4), (2, 5), (3, 6)])
    w = _world(kit, topo, forward={"prize_prob": 1.0, "value_prob": 1.0, "ad_prob": 1.0, "forwarded_prob": 1.0})
    put(w, "tie", 0, [1, 2, 3], WEAK)
    put(w, "muted", 0, [1], True)
    put(w, "blocked", 0, [2], True)
    for name in ("seen_prize", "seen_value", "seen_ad", "seen_forward"):
        put(w, name, 0, [1, 2, 3], 2)
    forward_day(w)
    np.testing.assert_array_equal(w.get("forwarded")[0, 4:], [0, 0, 8])
    assert w.flows[FLOW.forwards, 0] == 8


def test_life_posts_are_not_forwarded(kit):
    """Personal (life) posts read are no seller's content: nothing to forward."""
    w = _world(kit, kit.edges(3, [(1, 2)]), forward={"prize_prob": 1.0, "value_prob": 1.0, "ad_prob": 1.0})
    put(w, "tie", 0, [1], WEAK)
    put(w, "seen_life", 0, [1], 5)
    forward_day(w)
    assert w.flows[FLOW.forwards, 0] == 0 and not w.get("forwarded").any()


N = 20_001


def _rate(kit, column, idle_column=None, t=None, a=None, seed=1, **sections):
    """Share of N - 1 readers of one post of a kind who forward it."""
    w = _world(kit, kit.empty(N), seed=seed, **sections)
    nodes = np.arange(1, N)
    put(w, "tie", 0, nodes, WEAK)
    put(w, column, 0, nodes, 1)
    if idle_column:
        put(w, idle_column, 0, nodes, 1)
    if t is not None:
        put(w, "trust", 0, nodes, t)
    if a is not None:
        put(w, "annoyance", 0, nodes, a)
    forward_day(w)
    return w.flows[FLOW.forwards, 0] / (N - 1), w


P = {"prize_prob": 0.3, "value_prob": 0.15, "ad_prob": 0.05, "forwarded_prob": 0.2, "idle_factor": 2.0}


@pytest.mark.parametrize("column,idle,expected", [
    ("seen_prize", None, 0.3), ("seen_prize", "seen_prize_idle", 0.6), ("seen_value", None, 0.15),
    ("seen_ad", None, 0.05), ("seen_ad", "seen_ad_idle", 0.025), ("seen_forward", None, 0.2)])
def test_forward_probability_by_kind_and_slot(kit, column, idle, expected):
    """P(forward) = p_c at open gates; a prize post read in the idle slot m p_prize, an ad there
    p_ad / m (m = 2). 20,000 readers, within 5 binomial standard errors (SE <= 0.0035), so
    prize (0.3) > value (0.15) > ad (0.05) is resolved many times over."""
    share, _ = _rate(kit, column, idle, forward=P)
    kit.within(share, expected, kit.binom_sd(expected, N - 1))


def test_idle_prize_probability_is_capped_at_one(kit):
    """min(1, p_prize m): 0.6 x 2 gives 1, every idle prize post read is forwarded."""
    share, _ = _rate(kit, "seen_prize", "seen_prize_idle", forward={"prize_prob": 0.6, "idle_factor": 2.0})
    assert share == 1.0


@pytest.mark.parametrize("trust,annoyance", [(0.5, 0.0), (0.2, 0.0), (0.8, 3.0), (0.5, 10.0)])
def test_forwarding_is_gated_by_trust_and_annoyance(kit, trust, annoyance):
    """P(forward) = p G_T(T) / (1 + A / A_half), the purchase rule's gates (trust gating and
    annoyance on, the defaults). 20,000 readers, within 5 SE."""
    cfg_sections = {"purchase": {"trust_gating": True}, "annoyance": {"enabled": True}}
    w0 = kit.world(kit.config(forward={"prize_prob": 0.5}, **cfg_sections), kit.empty(3))
    g = w0.params.purchase
    expected = 0.5 * trust_gate(trust, g.steepness, g.half_h) / (1.0 + annoyance / g.a_half)
    share, _ = _rate(kit, "seen_prize", t=trust, a=annoyance, forward={"prize_prob": 0.5},
                     **cfg_sections)
    kit.within(share, expected, kit.binom_sd(expected, N - 1))


def test_the_feed_reads_forwards_with_the_read_probability(kit):
    """Forwards waiting in a feed are read ~ Binomial(F, share_0 rho_0 + share_1 rho_1): F = 10 and no
    other post, attention 4 a day split (2, 2), slots by clock hours (0.4, 0.6): the feed holds
    (4, 6), rho = (0.5, 1/3), so a forward is read with 0.4 x 0.5 + 0.6 / 3 = 0.4, E[X] = 4. Read
    forwards count as friends' ads of the seller, make her aware and touched; the waiting
    forwards are used up; a consumer who blocked the seller reads none."""
    n = 20_001
    cfg = kit.config(feed={"attention_per_day": 4.0, "idle_share": 0.5, "idle_hours_share": 0.6,
                           "friend_posts_per_day": 0.0})
    w = kit.world(cfg, kit.empty(n), seed=4)
    nodes = np.arange(1, n)
    put(w, "forwarded", 0, nodes, 10)
    put(w, "blocked", 0, [1], True)
    deliver(w)
    x = w.get("seen_forward")[0, 2:]
    kit.within(x.mean(), 4.0, np.sqrt(10 * 0.4 * 0.6 / (n - 2)))
    np.testing.assert_array_equal(w.get("seen_reseller")[0, 2:], x)
    np.testing.assert_array_equal(w.get("aware")[0, 2:], x > 0)
    np.testing.assert_array_equal(w.get("touched")[0, 2:], x > 0)
    assert w.get("seen_forward")[0, 1] == 0 and not w.get("aware")[0, 1]
    assert not w.get("forwarded").any()
    assert w.totals[0, 5] == x.sum() and w.totals[0, 4] == 0
    np.testing.assert_allclose(w.people.commercial_load[2:], 10.0)


def test_a_second_generation_forwards_what_a_friend_forwarded(kit):
    """Path seller 0 - 1 - 2 - 3 - 4, only 1 a contact. Day 1: 1 reads 2 prize posts and forwards
    both (p = 1) to 2 (and 0, the seller, who gets none). Day 2: 2 reads both forwards (the feed
    has room) and forwards them again (p_fwd = 1) to 1 and 3: the cascade's second generation,
    from a consumer who never saw the seller's Moments. Day 3: 1 forwards them back to 2 (the
    seller gets none) and 3 to 2 and 4: 2 holds four, 4 two."""
    w = _world(kit, kit.path(5), forward={"prize_prob": 1.0, "forwarded_prob": 1.0},
               feed={"attention_per_day": 1000.0})
    put(w, "tie", 0, [1], WEAK)
    put(w, "seen_prize", 0, [1], 2)
    forward_day(w)
    np.testing.assert_array_equal(w.get("forwarded")[0], [0, 0, 2, 0, 0])
    for day, expected in ((1, [0, 2, 0, 2, 0]), (2, [0, 0, 4, 0, 2])):
        w.state.day = day
        w.clear_day()
        deliver(w)                              # (no post of the seller today: only the forwards)
        forward_day(w)
        np.testing.assert_array_equal(w.get("forwarded")[0], expected)
    assert w.flows[FLOW.forwards, 0] == 8
    assert w.get("aware")[0, [2, 3]].all()


def test_complete_graph_delivers_to_every_other_consumer(kit):
    """On the implicit complete graph a forward reaches every consumer but the forwarder and the seller."""
    cfg = kit.config(**OPEN, forward={"prize_prob": 1.0}, network={"kind": "complete", "n": 6})
    from viralsim.network.build import build_network
    w = kit.world(cfg, build_network(cfg.network, rng=np.random.default_rng(0)))
    assert w.state.graph.complete
    put(w, "tie", 0, [2], WEAK)
    put(w, "seen_prize", 0, [2], 1)
    forward_day(w)
    np.testing.assert_array_equal(w.get("forwarded")[0], [0, 1, 0, 1, 1, 1])


def test_nothing_happens_when_forwarding_is_off(kit):
    """All probabilities 0 (the default): no forward, no relation made, no table change."""
    w = _world(kit, kit.edges(4, [(1, 2), (2, 3)]))
    assert not w.params.forward.on
    put(w, "tie", 0, [1], WEAK)
    put(w, "seen_prize", 0, [1], 5)
    size = int(w.rel.meta[0])
    forward_day(w)
    assert int(w.rel.meta[0]) == size and not w.get("forwarded").any() and w.flows[FLOW.forwards, 0] == 0


def test_forwarding_is_deterministic(kit):
    """Same state, key and day: the same forwards, post for post."""
    out = []
    for _ in range(2):
        share, w = _rate(kit, "seen_prize", forward=P, seed=5)
        out.append(w.get("forwarded").copy())
        out.append(w.flows[FLOW.forwards].copy())
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[1], out[3])


def _market(days=30, seed=0, **forward_params):
    return RunConfig.model_validate({"days": days, "seed": seed, "network": {"kind": "friend_circles", "n": 300},
                                     "sellers": {"c": {"strategy": "community"}}, "forward": forward_params})


def test_a_market_without_forwarding_ignores_the_idle_factor():
    """With every probability 0 the rule does nothing, whatever its other settings: the same run."""
    a = ViralModel(_market(idle_factor=1.0)).run().result().daily
    b = ViralModel(_market(idle_factor=7.0)).run().result().daily
    assert a.equals(b)
    assert (a["forwards"] == 0).all() and (a["forwards_read"] == 0).all()


def test_forwarding_in_a_market_reaches_non_contacts_and_is_reproducible():
    """A community seller's readers forward (p_prize 0.5, p_value 0.2, p_fwd 0.2): forwards are
    made and read every few days, some consumers who never were her contacts learn of her only
    through them (aware without a tie), and the same seed gives the same run."""
    cfg = _market(days=30, seed=2, prize_prob=0.5, value_prob=0.2, forwarded_prob=0.2)
    m = ViralModel(cfg).run()
    d = m.result().daily
    assert d["forwards"].sum() > 0 and d["forwards_read"].sum() > 0
    st = m.state
    aware, tie = st.dense("aware")[0], st.dense("tie")[0]
    assert (aware & (tie == 0)).sum() > 0
    again = ViralModel(cfg).run().result().daily
    assert d.equals(again)


def test_an_event_switches_forwarding_on():
    """A timed event ``set: {forward: ...}`` turns forwarding on from its day: no forward before."""
    cfg = RunConfig.model_validate({
        "days": 30, "seed": 1, "network": {"kind": "friend_circles", "n": 300},
        "sellers": {"c": {"strategy": "community"}},
        "events": [{"day": 15, "set": {"forward": {"prize_prob": 0.5, "value_prob": 0.3}}}]})
    d = ViralModel(cfg).run().result().daily
    assert (d.loc[d["day"] < 15, "forwards"] == 0).all()
    assert d.loc[d["day"] >= 15, "forwards"].sum() > 0


def test_purchases_made_by_forwards_have_their_own_channel_and_pay_no_commission():
    """A purchase a friend's forward made is the ``forward`` channel's (the friends'-posts stimulus
    split by what was read of each kind, rules.purchase), not a reseller's: a seller who pays
    resellers a commission but has none pays nothing for it."""
    cfg = RunConfig.model_validate({
        "days": 60, "seed": 3, "network": {"kind": "friend_circles", "n": 600},
        "sellers": {"c": {"strategy": "community", "reseller_commission": 0.2}},
        "forward": {"prize_prob": 0.5, "value_prob": 0.3, "ad_prob": 0.3, "forwarded_prob": 0.3}})
    s = ViralModel(cfg).run().result().summary
    assert s["purchases_forward"].iloc[0] > 0
    assert s["commission"].iloc[0] == 0.0
