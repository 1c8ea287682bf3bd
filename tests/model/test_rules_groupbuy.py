"""Group-buys (rules.groupbuy): a buyer opens a group, her friends (and theirs) join, a full group
sells at the group price, an unfilled one fails at its deadline."""

from __future__ import annotations

import numpy as np

from viralsim.model import pipeline
from viralsim.model.outputs import BREAKDOWN, CHANNEL, FLOW, STOCK_COLUMNS
from viralsim.model.rules.groupbuy import run_group_buys
from viralsim.model.rules.purchase import price_factor

#: no trust or annoyance gate, so that a wanting friend joins with min(1, pf_g a_inv)
OPEN = {"trust": {"enabled": False}, "annoyance": {"enabled": False}}


def _world(kit, topo, *, size, window=1, invite=1.0, discount=0.2, **sections):
    cfg = kit.config(purchase={"always_need": True, "impulse_per_ad": 0.0}, **{**OPEN, **sections})
    w = kit.world(cfg, topo, need=True)
    w.set_strategy(0, product={"price": 100.0},
                   group_buy={"enabled": True, "size": size, "window_days": window, "discount": discount,
                              "invite_conversion": invite})
    return w


def _decide(w, nodes):
    """Today's purchase decisions toward seller 0 by ``nodes`` (as rules.purchase leaves them)."""
    n = w.state.n
    rows = np.empty(n, np.int64)
    channels = np.empty(n, np.int64)
    for j, v in enumerate(nodes):
        rows[j] = w.row(0, v)
        channels[j] = CHANNEL.ad
    return rows, channels, len(nodes)


def _group_day(w, nodes=()):
    st = w.state
    rows, channels, k = _decide(w, nodes)
    rel, k = run_group_buys(st.key, st.day, w.params.purchase, st.graph, st.people, st.sellers, st.rel,
                            st.group_buys, rows, channels, k, st.need.copy(), st.sated.copy(), w.flows)
    w.keep(rel)
    return [int(st.rel.node[r]) for r in rows[:k]], channels[:k].tolist()


def test_a_group_of_k_fills_and_sells_at_the_discount(kit):
    """Opener 1 with friends 2 and 3, size 3, every invitation accepted: one group opened and
    filled, three group-buy purchases at 100 x (1 - 0.2), nobody left in a group."""
    w = _world(kit, kit.edges(5, [(1, 2), (1, 3)]), size=3)
    st = w.state
    w.set("referral", 0, [1], 100.0)        # a sure purchase decision by consumer 1 after the day's decay
    w.set("engaged", 0, [1], True)
    w.views()
    rel, _ = pipeline.run_day(st.key, st.day, False, False, w.params, st.graph, st.people, st.sellers, w.plans,
                              st.rel, st.degree_order, w.flows, w.breakdowns,
                              np.zeros((st.n_sellers, len(STOCK_COLUMNS))), st.group_buys)
    w.keep(rel)
    assert w.flows[FLOW.groups_opened, 0] == 1 and w.flows[FLOW.groups_filled, 0] == 1
    assert w.flows[FLOW.groups_failed, 0] == 0
    assert w.flows[FLOW.purchases, 0] == 3
    assert w.breakdowns[0, BREAKDOWN.channels + CHANNEL.group_buy] == 3
    assert w.flows[FLOW.revenue, 0] == 3 * 100.0 * (1 - 0.2)
    np.testing.assert_array_equal(w.get("purchases")[0, 1:4], [1, 1, 1])
    assert st.group_buys.count[0] == 0 and (st.group_buys.member_of == -1).all()


def test_one_short_of_k_by_the_deadline_sells_nothing(kit):
    """Size 4 but only two friends: the group stays open through its window of two days, then
    fails; nobody buys, nobody is left in a group, the opener keeps her need."""
    w = _world(kit, kit.edges(5, [(1, 2), (1, 3)]), size=4, window=2)
    st = w.state
    buyers, _ = _group_day(w, [1])
    assert buyers == []
    assert st.group_buys.count[0] == 1 and st.group_buys.size[0] == 3
    assert w.flows[FLOW.groups_opened, 0] == 1 and w.flows[FLOW.groups_failed, 0] == 0
    st.day += 1
    buyers, _ = _group_day(w)                 # the last day: still three
    assert buyers == []
    assert w.flows[FLOW.groups_failed, 0] == 1 and w.flows[FLOW.groups_filled, 0] == 0
    assert st.group_buys.count[0] == 0 and (st.group_buys.member_of == -1).all()
    assert st.need[1]


def test_a_filled_group_sells_to_its_members_only(kit):
    """The day's purchases are the members, channel group_buy; the opener's own decision is not a
    purchase of its own."""
    w = _world(kit, kit.edges(5, [(1, 2), (1, 3)]), size=3)
    buyers, channels = _group_day(w, [1])
    assert sorted(buyers) == [1, 2, 3]
    assert channels == [CHANNEL.group_buy] * 3


def test_invitations_go_only_to_friends_and_their_friends(kit):
    """Opener 1, friend 2, whose friend 5 joins through 2's invitation the same day; consumers 4
    and 6, who want the product but are no member's friends, get no invitation: no relation is
    made with them. The group (size 10) takes everyone it reached."""
    w = _world(kit, kit.edges(7, [(1, 2), (2, 5), (4, 6)]), size=10, window=3)
    st = w.state
    _group_day(w, [1])
    members = np.flatnonzero(st.group_buys.member_of >= 0).tolist()
    assert members == [1, 2, 5]
    made = st.rel.node[:st.n_relations][st.rel.seller[:st.n_relations] == 0].tolist()
    assert 4 not in made and 6 not in made
    assert w.get("aware")[0, 5]


def test_a_consumer_in_an_open_group_buys_nothing_else(kit):
    """A member's purchase decision (toward any seller) is dropped while her group is open."""
    w = _world(kit, kit.edges(5, [(1, 2)]), size=3, window=3)
    st = w.state
    _group_day(w, [1])
    assert st.group_buys.member_of[2] == 0
    st.day += 1
    buyers, _ = _group_day(w, [2])
    assert buyers == [] and st.group_buys.count[0] == 1
    assert w.flows[FLOW.groups_opened, 0] == 1


def test_join_probability_is_the_purchase_chain_at_the_group_price(kit):
    """2,000 friends of the opener, each with a need and trust 0.5 toward the seller (gate
    G_T = 0.5^2 / (0.5^2 + 0.5^2) = 1/2): the share who join is G_T min(1, pf_g a_inv) with pf_g
    the price factor at the group price, within 5 binomial standard errors; friends without a
    need never join."""
    n = 2_002
    topo = kit.star(n, center=1)
    cfg = kit.config(purchase={"impulse_per_ad": 0.0, "price_elasticity": 1.5}, annoyance={"enabled": False})
    w = kit.world(cfg, topo, need=True)
    w.set_strategy(0, product={"price": 100.0},
                   group_buy={"enabled": True, "size": 100, "window_days": 1, "discount": 0.2,
                              "invite_conversion": 0.05})
    st = w.state
    friends = np.arange(2, n)
    st.need[friends[:1000]] = False
    w.set("trust", 0, friends, 0.5)
    _group_day(w, [1])
    assert w.flows[FLOW.groups_failed, 0] == 1        # (short of 100: it failed, joins are read off the table)
    aware = w.get("aware")[0]
    assert not aware[friends[:1000]].any()
    pf_g = price_factor(80.0, cfg.purchase)
    p = 0.5 * min(1.0, pf_g * 0.05)
    k = int(w.get("engaged")[0, friends[1000:]].sum())
    kit.within(k / 1000, p, kit.binom_sd(p, 1000))
