"""Markets of many sellers: populations, invariance to inactive sellers, same seed same bytes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from viralsim.config.schema import RunConfig
from viralsim.model import ViralModel

#: a seller who never touches anyone: no posts, messages, strangers, groups, KOL seeds or resellers
SILENT = {"strategy": "community", "posts_per_day": 0.0, "messages_per_day": 0.0, "strangers_per_day": 0.0,
          "groups": {"enabled": False}, "kol_seeds": 0, "reseller_prob": 0.0}


def _config(sellers: dict, seed: int = 5, days: int = 40, n: int = 1500, **extra) -> RunConfig:
    return RunConfig.model_validate({"name": "market", "seed": seed, "days": days,
                                     "network": {"kind": "friend_circles", "n": n}, "sellers": sellers, **extra})


BASE = {"spam": {"strategy": "spam"}, "community": {"strategy": "community"}, "fission": {"strategy": "fission"},
        "kol": {"strategy": "kol"}}


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_a_seller_who_never_touches_anyone_changes_nobody_elses_results(seed):
    """Adding a silent seller leaves every other seller's daily rows and the market byte-identical.

    Each seller and rule draws from its own stream, the sellers are placed and given their circles
    in order, and a seller's node stays a consumer of the others: so a seller who posts, messages
    and adds nobody changes no draw of anyone else. (A shared stream, or a seller node taken out
    of the consumers, would shift every later draw.)"""
    # (60 days: over 40, one seed's market made 49 purchases once pushed messages were calibrated
    # to make contacts delete their pushers, docs/model.md §5.1)
    a = ViralModel(_config(BASE, seed, days=60)).run().result()
    b = ViralModel(_config({**BASE, "silent": SILENT}, seed, days=60)).run().result()
    others = b.daily[b.daily.seller != "silent"].reset_index(drop=True)
    pd.testing.assert_frame_equal(a.daily, others)
    pd.testing.assert_frame_equal(a.market, b.market)
    pd.testing.assert_frame_equal(a.cascades, b.cascades[b.cascades.seller != "silent"].reset_index(drop=True))
    silent = b.summary.set_index("seller").loc["silent"]
    assert silent.purchases == 0 and silent.wom_positive == 0
    assert a.summary.purchases.sum() > 50        # the others did sell: the market was not idle


def test_the_silent_seller_is_not_idle_herself():
    """The invariance above is not vacuous: the silent seller's contacts are annoyed by the
    others' ads (load spillover) and some of them block her."""
    b = ViralModel(_config({**BASE, "silent": SILENT}, 5, days=90)).run().result()
    row = b.summary.set_index("seller").loc["silent"]
    assert row.contacts >= 80 and row.mean_annoyance_end > 0


def test_same_seed_same_bytes_for_a_market_of_many_sellers():
    cfg = _config({"brand": {"strategy": "community"}}, seed=11, days=30, n=3000,
                  populations={"micro": {"count": 300, "mix": {"spam": 1, "community": 2, "fission": 1},
                                         "vary": {"posts_per_day": [1, 40]}, "placement": "circle"}})
    a, b = ViralModel(cfg).run().result(), ViralModel(cfg).run().result()
    for table in ("daily", "market", "summary", "cascades", "cascade_sizes", "groups"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table))
    c = ViralModel(cfg.model_copy(update={"seed": 12})).run().result()
    assert not a.summary.equals(c.summary)


def test_batch_runs_give_the_numbers_of_day_by_day_steps():
    """A batch run (compiled calls of up to BATCH_DAYS days, no Python between days) records
    exactly what one step a day records, however the days are split into calls.

    A batch that restarted the day counter, reused one day's arrays for the next, or summed a
    running total in another order would differ here in some table."""
    from viralsim.model.mesa_model import BATCH_DAYS

    days = 2 * BATCH_DAYS + 7
    cfg = _config(BASE, seed=9, days=days, n=2500,
                  populations={"micro": {"count": 40, "mix": {"spam": 1, "community": 1, "fission": 1}}})
    stepped = ViralModel(cfg, collect=True)
    for _ in range(days):
        stepped.step()
    batch = ViralModel(cfg, collect=False).run()
    pieces = ViralModel(cfg, collect=False).run(5).run(BATCH_DAYS + 1).run()
    assert stepped.steps == batch.steps == pieces.steps == days
    a = stepped.result()
    for other in (batch.result(), pieces.result()):
        for table in ("daily", "market", "summary", "cascades", "cascade_sizes", "groups"):
            pd.testing.assert_frame_equal(getattr(a, table), getattr(other, table))


# -- populations --------------------------------------------------------------------------------

def _population_model(**pop) -> ViralModel:
    base = {"count": 400, "mix": {"spam": 1.0, "community": 3.0}}
    return ViralModel(_config({"brand": {"strategy": "community"}}, seed=3, days=5, n=4000,
                              populations={"micro": {**base, **pop}}))


def test_population_members_follow_the_mix_and_the_varied_ranges():
    model = _population_model(vary={"posts_per_day": [2, 9], "kol_seeds": [0, 3]})
    members = model.setups[1:]
    assert [x.name for x in members] == [f"micro#{k}" for k in range(400)]
    share_spam = np.mean([x.preset == "spam" for x in members])
    # Binomial(400, 1/4): sd 0.022; 5 sd
    assert abs(share_spam - 0.25) < 5 * np.sqrt(0.25 * 0.75 / 400)
    posts = np.array([x.strategy.posts_per_day for x in members])
    assert posts.min() >= 2 and posts.max() <= 9 and posts.std() > 1.5      # uniform on [2, 9]: sd 2.02
    kols = np.array([x.strategy.kol_seeds for x in members])
    assert set(kols) == {0, 1, 2, 3}                                        # whole numbers, rounded
    # the preset's other fields stay: spam members add strangers, community members run groups
    assert all(x.strategy.strangers_per_day == 20 for x in members if x.preset == "spam")
    assert all(x.strategy.groups.enabled for x in members if x.preset == "community")
    assert len(set(model.state.seller_nodes.tolist())) == 401


def test_population_size_from_a_share_of_people():
    model = ViralModel(_config({}, n=2000, days=2, populations={"p": {"share": 0.05}}))
    assert model.state.n_sellers == 100 and not model.sellers


def test_hub_population_takes_the_best_connected_people():
    model = _population_model(placement="hub", count=50)
    degree = model.topology.degree
    members = model.state.seller_nodes[1:]
    assert degree[members].min() >= np.sort(degree)[-51]


def test_circle_population_sellers_cluster_in_friend_circles():
    """``circle``: the members are friends of each other far more often than random people are."""
    def friend_pairs(model):
        nodes = set(model.state.seller_nodes[1:].tolist())
        topo = model.topology
        return sum(int(v) in nodes for u in nodes for v in topo.indices[topo.indptr[u]:topo.indptr[u + 1]])

    clustered = friend_pairs(_population_model(placement="circle", count=100))
    scattered = friend_pairs(_population_model(placement="random", count=100))
    assert clustered > 5 * max(scattered, 10)


def test_outputs_of_a_population_market():
    r = _population_model().run().result()
    assert set(r.daily.seller) == {"brand"}                      # day by day: the named sellers only
    assert len(r.summary) == 401                                 # every seller in the run summary
    assert set(r.summary.strategy) == {"spam", "community"}
    g = r.groups
    assert set(zip(g.by, g.group)) == {("population", "micro"), ("strategy", "spam"), ("strategy", "community")}
    last = g[g.day == 5].set_index(["by", "group"])
    assert last.loc[("population", "micro"), "sellers"] == 400
    # the strategy groups hold every seller, the named one included; counts add up
    assert last.loc[("strategy", "spam"), "sellers"] + last.loc[("strategy", "community"), "sellers"] == 401
    assert (last.loc[("strategy", "spam"), "contacts"] + last.loc[("strategy", "community"), "contacts"]
            == r.summary.contacts.sum())
    purchases_by_day = g[g.by == "strategy"].groupby("day").purchases.sum().to_numpy()
    assert purchases_by_day.sum() == r.summary.purchases.sum()


def test_population_validation_messages():
    with pytest.raises(ValueError, match="exactly one of count"):
        _config({}, populations={"p": {"count": 3, "share": 0.1}})
    with pytest.raises(ValueError, match="unknown strategy preset 'nope'"):
        _config({}, populations={"p": {"count": 3, "mix": {"nope": 1}}})
    with pytest.raises(ValueError, match="outside the field's bounds"):
        _config({}, populations={"p": {"count": 3, "vary": {"posts_per_day": [1, 5000]}}})
    with pytest.raises(ValueError, match="cannot vary"):
        _config({}, populations={"p": {"count": 3, "vary": {"contact": [0, 1]}}})
    with pytest.raises(ValueError, match="at least 2000 people"):
        _config({}, n=1500, populations={"p": {"count": 2000}})
    with pytest.raises(ValueError, match="no seller"):
        _config({}, populations={"p": {"count": 0}})
