"""The reference engine as a drop-in engine: same inputs, same outputs, reproducible (docs/verification.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mesa.discrete_space import Network

from viralsim.config.schema import RunConfig
from viralsim.model import ViralModel, simulate
from viralsim.model.reference import ConsumerAgent, ReferenceModel, SellerAgent

pytestmark = pytest.mark.docking


def config(engine: str, seed: int = 4, **extra) -> RunConfig:
    return RunConfig.model_validate({
        "seed": seed, "days": 25, "engine": engine, "network": {"kind": "friend_circles", "n": 250},
        "sellers": {"spam": {"strategy": "spam"}, "fission": {"strategy": "fission"}, "kol": {"strategy": "kol"}},
        **extra,
    })


@pytest.fixture(scope="module")
def both():
    return simulate(config("fast")), simulate(config("reference"))


def test_same_output_tables_and_columns(both):
    fast, ref = both
    for table in ("daily", "market", "summary", "cascades", "cascade_sizes", "groups"):
        a, b = getattr(fast, table), getattr(ref, table)
        assert list(a.columns) == list(b.columns), table
    assert len(fast.daily) == len(ref.daily) == 25 * 3
    assert list(fast.summary.seller) == list(ref.summary.seller)
    assert ref.config.engine == "reference"
    for col in ("purchases", "customers", "followers", "contacts"):
        assert pd.api.types.is_numeric_dtype(ref.daily[col])


def test_same_graph_and_seller_nodes():
    cfg = config("reference")
    fast, ref = ViralModel(cfg), ReferenceModel(cfg)
    assert [s.node for s in fast.sellers] == [s.node for s in ref.seller_agents]
    assert np.array_equal(fast.topology.indices, ref.topology.indices)
    # One Mesa agent per person on a Network (every person is a consumer, the sellers of the
    # others' products too); sellers sit on their own nodes.
    assert isinstance(ref.grid, Network)
    assert len(ref.agents_by_type[ConsumerAgent]) == cfg.network.n
    assert len(ref.agents_by_type[SellerAgent]) == 3
    for c in list(ref.consumer_list)[:20]:
        assert c.cell is ref.grid[c.node] and c in c.cell.agents
    # Circles: graph friends topped up to circle_size, priors as baselines.
    for s in ref.seller_agents:
        tied = [c for c in ref.consumer_list if c.relations[s.index].tie > 0]
        assert len(tied) == max(80, len(tied))
        assert s.node not in {c.node for c in tied}
        assert int(np.count_nonzero(fast.state.column("tie", s.index) > 0)) == len(tied)


def test_reference_runs_are_reproducible():
    a = simulate(config("reference", seed=9))
    b = simulate(config("reference", seed=9))
    c = simulate(config("reference", seed=10))
    pd.testing.assert_frame_equal(a.daily, b.daily)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert not a.daily.equals(c.daily)


def test_datacollector_and_consumer_view():
    model = ReferenceModel(config("reference")).run(5)
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 5 and "platform_activity" in frame
    view = model.consumers_frame("spam")
    assert len(view) == 250 and {"trust", "annoyance", "muted", "blocked"} <= set(view.columns)
    assert view.trust.between(0, 1).all()


@pytest.mark.parametrize("network", [{"kind": "watts_strogatz", "n": 120, "k": 6},
                                     {"kind": "complete", "n": 60},
                                     {"kind": "sbm", "sizes": [40, 40], "p_in": 0.2, "p_out": 0.02}])
def test_other_networks(network):
    r = simulate(RunConfig.model_validate({"seed": 1, "days": 8, "engine": "reference", "network": network,
                                           "sellers": {"c": {"strategy": "community"}}}))
    assert len(r.daily) == 8 and r.summary.contacts[0] > 0


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_both_engines_keep_a_seller_within_the_contact_limit(engine):
    """WeChat's limit on contacts (§3.1, §3.3.5): a circle larger than ``platform.max_contacts``
    is cut to a random subset of that size, and strangers are added only up to it. On the
    complete graph of 120 people with a limit of 50, a spam seller starts with exactly 50
    contacts and, adding 20 strangers a day, never has more than 50."""
    cfg = RunConfig.model_validate({
        "seed": 3, "days": 6, "engine": engine, "network": {"kind": "complete", "n": 120},
        "platform": {"max_contacts": 50}, "sellers": {"spam": {"strategy": "spam"}}})
    result = simulate(cfg)
    contacts = result.daily.contacts.to_numpy()
    assert contacts.max() <= 50, contacts
    model = ViralModel(cfg) if engine == "fast" else ReferenceModel(cfg)
    if engine == "fast":
        start = int(np.count_nonzero(model.state.column("tie", 0) > 0))
    else:
        start = sum(c.relations[0].tie > 0 for c in model.consumer_list)
    assert start == 50
