"""Profit counts what a strategy costs: action costs are the seller's time at the documented
rates (docs/model.md §3.3.20), so posting more or running groups shows in profit, not only in
sales."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from viralsim.config.load import load_config
from viralsim.config.schema import ACTION_MINUTES, SELLER_WAGE_PER_HOUR, RunConfig, Strategy
from viralsim.model import simulate

ROOT = Path(__file__).resolve().parents[2]
MY_SHOP = ROOT / "examples" / "my_shop.yaml"


def _run(days: int = 30, **seller):
    """One seller on a small network; her product costs nothing, so all her cost is actions."""
    spec = {"strategy": "community", "product": {"unit_cost": 0.0}, **seller}
    cfg = RunConfig.model_validate({"name": "costs", "seed": 3, "days": days,
                                    "network": {"kind": "friend_circles", "n": 600}, "sellers": {"me": spec}})
    return simulate(cfg)


def test_default_action_costs_are_the_seller_s_time_at_the_documented_wage():
    st = Strategy()
    per_minute = SELLER_WAGE_PER_HOUR / 60.0
    assert st.cost_per_post == ACTION_MINUTES["post"] * per_minute == 1.0
    assert st.cost_per_message == ACTION_MINUTES["message"] * per_minute == 0.5
    assert st.cost_per_stranger == ACTION_MINUTES["stranger"] * per_minute == 0.5
    assert st.cost_per_reply == ACTION_MINUTES["reply"] * per_minute == 1.0
    assert st.cost_group_per_day == ACTION_MINUTES["group_day"] * per_minute == 5.0


def test_the_daily_cost_is_the_actions_at_their_rates():
    """cost = posts x 1.0 + messages x 0.5 + replies x 1.0 + groups x 5.0 each day (no strangers,
    no unit cost, no resellers or KOL here), read off the daily output."""
    res = _run(strangers_per_day=0.0, groups={"enabled": True, "invites_per_day": 3, "size": 10})
    d = res.daily
    groups = np.ceil(d["group_members"] / 10)
    expected = d["posts"] * 1.0 + d["messages_sent"] * 0.5 + d["replies"] * 1.0 + groups * 5.0
    np.testing.assert_allclose(d["cost"], expected, rtol=1e-12)
    assert d["posts"].sum() > 0 and d["messages_sent"].sum() > 0 and groups.max() >= 2   # not vacuous


def test_a_strategy_that_posts_more_costs_more_at_the_posting_rate():
    quiet, busy = (_run(posts_per_day=p, messages_per_day=0.0, groups={"enabled": False}, service_capacity=0.0)
                   for p in (2.0, 12.0))
    for res in (quiet, busy):
        d = res.daily
        np.testing.assert_allclose(d["cost"], d["posts"] * 1.0, rtol=1e-12)
    assert busy.daily["cost"].sum() > 4 * quiet.daily["cost"].sum()
    assert busy.daily["posts"].sum() == pytest.approx(12.0 * 30, rel=0.1)


def test_profit_is_revenue_minus_cost_in_the_summary():
    res = _run(days=40)
    row = res.summary.set_index("seller").loc["me"]
    d = res.daily
    assert row["profit"] == pytest.approx(row["revenue"] - row["cost"], abs=1e-9)
    assert row["cost"] == pytest.approx(d["cost"].sum(), rel=1e-12)
    assert row["cost"] > 0 and row["revenue"] > 0


def test_my_shop_profit_responds_to_posting_and_groups():
    """The example the strategist notebook uses: with a unit cost of half the price and free
    actions, profit was exactly half of revenue whatever the seller did. Now her posting and her
    groups cost time, so the profit share of revenue depends on them.

    Ten posts a day keep less of each yuan earned than three: the posts cost about 20 % more of
    the seller's time (2,620 against 2,180 yuan in 60 days) for about the same sales. Revenue
    varies from seed to seed (some 20 sales), so the shares are compared paired by seed over 48
    seeds (one seed in four goes the other way: a single seed's comparison was a coin with a
    bias): the mean difference is 0.16 of revenue (per-seed SD 0.23, t = 5.0), and 0.14 (SD 0.29,
    t = 3.5) under a feed sampler with other draws (on whose draws seed 7 alone failed); the bar
    is t = 2.
    """
    seeds = range(7, 55)

    def shares(*overrides):
        out = []
        for seed in seeds:
            cfg = load_config(MY_SHOP, overrides=["days=60", f"seed={seed}", *overrides])
            row = simulate(cfg).summary.set_index("seller").loc["me"]
            assert row["profit"] == pytest.approx(row["revenue"] - row["cost"], abs=1e-9)
            out.append(row["profit"] / row["revenue"])
        return np.array(out)

    ten, three = shares(), shares("sellers.me.posts_per_day=3")
    diff = three - ten
    assert diff.mean() > 2 * diff.std(ddof=1) / np.sqrt(len(diff)), (diff.mean(), diff.std(ddof=1))
    assert (ten < 0.5).all() and (three < 0.5).all()    # every action costs: below the margin's half
    cfg = load_config(MY_SHOP, overrides=["days=60", f"seed={seeds[0]}",
                                          "sellers.me.groups={enabled: true, invites_per_day: 3}"])
    grouped = simulate(cfg).summary.set_index("seller").loc["me"]
    assert grouped["profit"] / grouped["revenue"] != pytest.approx(ten[0], abs=1e-3)   # (the same seed)
