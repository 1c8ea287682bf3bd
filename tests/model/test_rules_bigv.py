"""The big-V seller (rules.bigv): her audience on day 0, her brand after k commercial posts, and the
brand's weight on the purchase stimulus toward her."""

from __future__ import annotations

import numpy as np
import pytest

from viralsim._jit import seller_streams
from viralsim.model import pipeline
from viralsim.model.outputs import CHANNELS, STOCK, STOCK_COLUMNS
from viralsim.model.relations import NO_TIE, STRANGER, STRONG
from viralsim.model.rules import bigv
from viralsim.model.rules import purchase as pu

CH = {c: j for j, c in enumerate(CHANNELS)}


def _big_v(kit, topo, *, audience=3, decay=0.1, fan_trust=0.9, **sections):
    w = kit.world(kit.config(**sections), topo)
    w.set_strategy(0, big_v={"enabled": True, "audience": audience, "brand_decay": decay, "fan_trust": fan_trust})
    return w


def _gather(w, s=0):
    st = w.state
    rs = seller_streams(st.key, 0, bigv.STREAM, st.n_sellers)[s]
    rel, fans = bigv.gather_audience(s, st.graph, st.people, st.sellers, st.rel, w.params.max_contacts, rs)
    w.keep(rel)
    return sorted(fans.tolist())


def test_brand_after_k_commercial_posts_is_one_minus_d_to_the_k(kit):
    """B = (1 - d)^k after k ad and prize posts (folded or not, either slot); value and life posts
    cost nothing; a seller who is no big-V keeps B = 1 whatever she posts."""
    w = kit.world(kit.config(n_sellers=2), kit.path(6), sellers=(0, 5))
    w.set_strategy(0, big_v={"enabled": True, "brand_decay": 0.1})
    sellers, plans = w.sellers, w.plans
    k = 0
    for posts, folded in (({(0, 0): 2, (1, 0): 5}, False), ({(3, 1): 1, (2, 1): 4}, False),
                          ({(0, 1): 3, (3, 0): 1}, True), ({(1, 1): 7}, False)):
        w.set_plan(0, posts, folded=folded)
        w.set_plan(1, posts, folded=folded)
        bigv.devalue(sellers, plans)
        k += sum(x for (c, _), x in posts.items() if c in (0, 3))
        assert sellers.brand[0] == pytest.approx(0.9 ** k, rel=1e-12)
        assert sellers.brand[1] == 1.0
    assert k == 7


def test_the_day_devalues_the_brand_and_reports_it(kit):
    """run_day applies the rule after the plan and writes B to the ``brand`` stock."""
    w = _big_v(kit, kit.path(4), audience=0, decay=0.2)
    st = w.state
    w.set_plan(0, {(0, 0): 2, (3, 1): 1})
    w.views()
    stocks = np.zeros((st.n_sellers, len(STOCK_COLUMNS)))
    rel, _ = pipeline.run_day(st.key, 1, False, False, w.params, st.graph, st.people, st.sellers, w.plans, st.rel,
                              st.degree_order, w.flows, w.breakdowns, stocks, st.group_buys)
    w.keep(rel)
    assert st.sellers.brand[0] == pytest.approx(0.8 ** 3, rel=1e-12)
    assert stocks[0, STOCK.brand] == st.sellers.brand[0]


def test_audience_is_her_nearest_consumers_with_the_fan_trust(kit):
    """Path 0-1-2-3-4-5-6, big-V at 0, audience 3: her friend 1 (already a strong contact, trust
    raised to the fan trust) and the next two by distance, 2 and 3, who follow her (stranger tie),
    aware, with trust and baseline 0.9; 4 to 6 are left alone."""
    w = _big_v(kit, kit.path(7), audience=3, circle_size=0)
    assert w.get("tie")[0, 1] == STRONG
    fans = _gather(w)
    assert fans == [1, 2, 3]
    tie, trust, base, aware = w.get("tie")[0], w.get("trust")[0], w.get("baseline")[0], w.get("aware")[0]
    assert tie[1] == STRONG and tie[2] == STRANGER and tie[3] == STRANGER
    assert (tie[4:] == NO_TIE).all() and not aware[4:].any()
    np.testing.assert_array_equal(trust[1:4], 0.9)
    np.testing.assert_array_equal(base[1:4], 0.9)
    assert aware[1:4].all()


def test_audience_keeps_a_higher_trust_and_respects_the_contact_limit(kit):
    """A fan who trusts her more than the fan trust keeps her trust; with room for one more contact
    only the first new fan follows, the other is no fan."""
    w = _big_v(kit, kit.path(5), audience=3, fan_trust=0.5, circle_size=0, platform={"max_contacts": 2})
    w.set("trust", 0, [1], 0.95)
    fans = _gather(w)
    assert fans == [1, 2]
    assert w.get("trust")[0, 1] == 0.95 and w.get("trust")[0, 2] == 0.5
    assert w.get("tie")[0, 3] == NO_TIE


def test_audience_boundary_layer_is_a_uniform_subset(kit):
    """Star centred on the big-V with 8 leaves, audience 3: three distinct leaves, each leaf chosen
    with probability 3/8 over the draws of many keys (4 binomial SD)."""
    counts = np.zeros(9)
    n_runs = 400
    for seed in range(n_runs):
        w = _big_v(kit, kit.star(9, center=0), audience=3, circle_size=0)
        w.state.key = np.random.default_rng([seed, 7]).bit_generator.random_raw(4).astype(np.uint64)
        # (the star's leaves are her friends: take their ties away so that each fan is a new follower)
        w.set("tie", 0, list(range(1, 9)), NO_TIE)
        fans = _gather(w)
        assert len(set(fans)) == 3 and 0 not in fans
        counts[fans] += 1
    p = 3 / 8
    sd = np.sqrt(p * (1 - p) / n_runs)
    assert np.all(np.abs(counts[1:] / n_runs - p) < 4 * sd), counts


def test_brand_multiplies_every_stimulus_but_face(kit):
    """components(..., brand=B): every channel but face is B times its value at B = 1."""
    w = kit.world(kit.config(), kit.star(4, center=1))
    r = w.row(0, 1)
    rel = w.rel
    for name, value in (("seen_ad", 3), ("seen_prize", 1), ("seen_value", 2), ("messages", 1), ("replied", True),
                        ("in_group", True), ("referral", 0.05), ("bought_friends", 2), ("seen_reseller", 2),
                        ("seen_forward", 1)):
        getattr(rel, name)[r] = value

    def comp(brand):
        out = np.zeros(len(CHANNELS))
        pu.components(w.params.purchase, rel.seen_ad[r], rel.seen_prize[r], rel.seen_value[r], rel.messages[r],
                      rel.replied[r], rel.in_group[r], 0.5, rel.referral[r], rel.bought_friends[r], 3.0,
                      rel.seen_reseller[r], rel.seen_forward[r], rel.memory[r], 0.8, 1.2, 1.0, 0.04, brand, out)
        return out

    full, low = comp(1.0), comp(0.25)
    expected = full * 0.25
    expected[CH["face"]] = full[CH["face"]]
    np.testing.assert_allclose(low, expected, rtol=1e-14)
    assert (full[:CH["face"]] > 0).all() and full[CH["face"]] == pytest.approx(0.8 * 0.04)
