"""Multi-level resellers and stock-loading (rules.resell, through rules.settle): the reseller who
sold, the upline chain and its commission, the level cap, stock drawn down, loaded resellers."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim._jit import seller_streams
from viralsim.model.outputs import CHANNEL, FLOW
from viralsim.model.rules import resell, settle

#: a product that always satisfies (quality 1, honest, at the reference price)
SURE = {"price": 100.0, "unit_cost": 40.0, "quality": 1.0}


def _world(kit, topo, **strategy):
    w = kit.world(kit.config(), topo)
    w.set_strategy(0, product=SURE, **{"reseller_prob": 1.0, "reseller_posts_per_day": 1.0,
                                       "reseller_commission": 0.2, **strategy})
    return w


def _settle(w, buyers, channels, s=0):
    """settle as the day calls it (pipeline.run_day, step 15)."""
    rows = np.array([w.row(s, v) for v in buyers], dtype=np.int64)
    satisfied = np.zeros(len(rows), dtype=bool)
    streams = [seller_streams(w.key, w.today, k, w.state.n_sellers)[s]
               for k in (settle.STREAM, settle.STREAM_RUPTURE, resell.STREAM)]
    rel, _, _ = settle.settle(s, rows, np.asarray(channels, dtype=np.int64), satisfied, w.params.trust,
                              w.params.settle, w.today, w.state.graph, w.people, w.sellers, w.rel, *streams, w.flows,
                              w.breakdowns, np.empty((4, len(rows)), dtype=np.int64), 0)
    w.keep(rel)
    return satisfied


def _reseller(w, node, upline, level, s=0):
    w.set("reseller", s, [node], True)
    w.set("upline", s, [node], upline)
    w.set("level", s, [node], level)


def test_the_upline_chain_is_paid_per_level_and_the_recruit_joins_below(kit):
    """Path 0(seller)-1-2-3-4: 2 is a level-1 reseller, 3 her recruit (level 2). Buyer 4's only
    reseller friend is 3, so 3 sold: commission p c (1 + r) = 100 x 0.2 x 1.5 = 30 (20 to 3, 10 to
    2); 4 becomes a reseller with upline 3 at level 3."""
    w = _world(kit, kit.path(5), reseller_upline_share=0.5)
    _reseller(w, 2, -1, 1)
    _reseller(w, 3, 2, 2)
    _settle(w, [4], [CHANNEL.reseller])
    assert w.flows[FLOW.commission, 0] == pytest.approx(30.0)
    assert w.flows[FLOW.cost, 0] == pytest.approx(40.0 + 30.0)
    assert w.flows[FLOW.revenue, 0] == pytest.approx(100.0)
    assert w.get("reseller")[0, 4] and w.get("upline")[0, 4] == 3 and w.get("level")[0, 4] == 3


def test_commission_stops_at_the_seller_and_share_zero_pays_one_level(kit):
    """r = 0: the reseller who sold gets p c alone (the one-level commission of 全员分销)."""
    w = _world(kit, kit.path(5), reseller_upline_share=0.0)
    _reseller(w, 2, -1, 1)
    _reseller(w, 3, 2, 2)
    _settle(w, [4], [CHANNEL.reseller])
    assert w.flows[FLOW.commission, 0] == pytest.approx(20.0)


def test_a_buyer_beyond_the_last_level_is_not_recruited(kit):
    """reseller_levels 2: 4 would be level 3, so she stays a buyer; a buyer of the seller's own ad
    is level 1 with the seller as upline."""
    w = _world(kit, kit.path(6), reseller_levels=2)
    _reseller(w, 2, -1, 1)
    _reseller(w, 3, 2, 2)
    _settle(w, [4, 5], [CHANNEL.reseller, CHANNEL.ad])
    assert not w.get("reseller")[0, 4]
    assert w.get("reseller")[0, 5] and w.get("upline")[0, 5] == -1 and w.get("level")[0, 5] == 1


def test_the_sale_goes_to_a_reseller_friend(kit):
    """Buyer 1 on a star has friends 2..5, of whom only 4 resells: 4 sold, every time."""
    w = _world(kit, kit.star(6, center=1))
    _reseller(w, 4, -1, 1)
    for _ in range(5):
        w.set("reseller", 0, [1], False)
        _settle(w, [1], [CHANNEL.reseller])
        assert w.get("upline")[0, 1] == 4 and w.get("level")[0, 1] == 2


def test_attribution_is_uniform_among_reseller_friends(kit):
    """Buyer 1 with reseller friends 2 and 3: over 400 draws each sells to her half the time
    (binomial SE 0.025; 5 SE)."""
    w = _world(kit, kit.star(5, center=1))
    _reseller(w, 2, -1, 1)
    _reseller(w, 3, -1, 1)
    w.views()
    rows = []
    rs = seller_streams(w.key, w.today, resell.STREAM, 1)[0]
    for _ in range(400):
        rows.append(int(resell.attribute(w.state.graph, w.people, w.rel, 0, 0, 1, rs)))
    share = np.mean(np.array([w.rel.node[r] for r in rows]) == 2)
    kit.within(share, 0.5, kit.binom_sd(0.5, 400))


def test_stock_is_loaded_at_wholesale_and_drawn_down_by_sales(kit):
    """stock_units 5: buyer 2 (own ad) becomes a reseller and loads 5 units at 100 x (1 - 0.2):
    revenue 100 + 400, cost 40 + 5 x 40. Her friend 3 then buys from her: her stock falls to 4,
    the seller books no revenue or cost for it (she was paid for the stock)."""
    w = _world(kit, kit.path(5), stock_units=5, stock_fear_units=1e6)    # (recruitment all but sure)
    _settle(w, [2], [CHANNEL.ad])
    assert w.get("stock")[0, 2] == 5 and w.get("stock_day")[0, 2] == w.today
    assert w.flows[FLOW.revenue, 0] == pytest.approx(500.0)
    assert w.flows[FLOW.cost, 0] == pytest.approx(240.0)
    w.set("reseller", 0, [3], True)           # (3 already resells: the sale alone)
    w.flows[:] = 0
    _settle(w, [3], [CHANNEL.reseller])
    assert w.get("stock")[0, 2] == 4
    assert w.flows[FLOW.revenue, 0] == 0.0 and w.flows[FLOW.cost, 0] == 0.0
    assert w.flows[FLOW.purchases, 0] == 1


def test_a_sold_out_reseller_loads_again_at_her_next_sale(kit):
    """stock_units 1: reseller 2 holds 0 units; 3's purchase makes her load 1 unit (80 yuan) and
    sell it, leaving 0."""
    w = _world(kit, kit.path(5), stock_units=1)
    _reseller(w, 2, -1, 1)
    w.set("reseller", 0, [3], True)
    _settle(w, [3], [CHANNEL.reseller])
    assert w.get("stock")[0, 2] == 0
    assert w.flows[FLOW.revenue, 0] == pytest.approx(80.0)


def test_fear_of_stock_loading_lowers_recruitment(kit):
    """P(recruit) = reseller_prob x phi / (phi + K): 0.3 at K = 0, 0.3 x 10 / 30 at K = 20."""
    assert resell.recruit_prob(kit.strategy(reseller_prob=0.3)) == 0.3
    assert resell.recruit_prob(kit.strategy(reseller_prob=0.3, stock_units=20)) == pytest.approx(0.1)


def _unload(w, today):
    rel = resell.unload(w.key, today, w.params.trust, w.params.wom, w.state.graph, w.people, w.sellers, w.rel,
                        w.flows)
    w.keep(rel)


def test_a_reseller_whose_stock_does_not_move_quits_loaded(kit):
    """Reseller 2 (friends 1 and 3) loaded 3 units on day 0; patience 30 days. On day 29 she still
    resells; on day 30 she quits: no longer a reseller, her trust falls as after a disappointing
    purchase, her friends lose a reseller friend, her units stay with her."""
    w = _world(kit, kit.path(5), stock_units=3, stock_patience_days=30)
    _reseller(w, 2, -1, 1)
    w.set("stock", 0, [2], 3)
    w.set("stock_day", 0, [2], 0)
    w.set("reseller_friends", 0, [1, 3], 1)
    w.set("trust", 0, [2], 0.8)
    _unload(w, 29)
    assert w.get("reseller")[0, 2] and w.flows[FLOW.loaded_resellers, 0] == 0
    _unload(w, 30)
    assert not w.get("reseller")[0, 2] and w.flows[FLOW.loaded_resellers, 0] == 1
    assert w.get("trust")[0, 2] < 0.8
    assert w.get("reseller_friends")[0, 1] == 0 and w.get("reseller_friends")[0, 3] == 0
    assert w.get("stock")[0, 2] == 3


def test_a_reseller_who_sold_recently_is_not_loaded(kit):
    """Her last sale on day 20 restarts the patience: on day 30 she still resells."""
    w = _world(kit, kit.path(5), stock_units=3, stock_patience_days=30)
    _reseller(w, 2, -1, 1)
    w.set("stock", 0, [2], 2)
    w.set("stock_day", 0, [2], 20)
    _unload(w, 30)
    assert w.get("reseller")[0, 2]
