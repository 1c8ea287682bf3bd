"""``outputs.every: k``: a recorded row stands for the days since the previous one, so its flows
sum those days and add up to the run's totals; levels are the recorded day's values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from results_helpers import write_spec

from viralsim.experiment.spec import load_experiment
from viralsim.experiment.sweep import run_sweep
from viralsim.results.columns import DAILY_FLOWS

DAYS = 23  # divisible by none of 7 and 10: the last row of a run stands for fewer days
KEYS = ["run", "seller"]


def sweep(folder, every) -> tuple[pd.DataFrame, pd.DataFrame]:
    spec = {"name": "every", "base": "base.yaml", "seed": 9, "replicates": 2, "outputs": {"every": every}}
    exp = load_experiment(write_spec(folder, spec, days=DAYS))
    run_sweep(exp, folder / "out", executor="serial")
    return pd.read_parquet(folder / "out" / "table.parquet"), pd.read_parquet(folder / "out" / "summary.parquet")


@pytest.fixture(scope="module")
def daily(tmp_path_factory):
    """The long table recorded every day: the reference."""
    table, _ = sweep(tmp_path_factory.mktemp("every1"), 1)
    assert sorted(set(table["day"])) == list(range(1, DAYS + 1))
    return table


@pytest.mark.parametrize("every", [1, 7, 10, "end"])
def test_flow_columns_add_up_to_the_summary_totals(tmp_path, every):
    table, summary = sweep(tmp_path, every)
    totals = table.groupby(KEYS)[["purchases", "purchases_wom", "wom_positive", "wom_negative", "revenue",
                                  "cost"]].sum()
    kpis = summary.set_index(KEYS).loc[totals.index]
    for c in ("purchases", "purchases_wom", "wom_positive", "wom_negative"):
        assert totals[c].tolist() == kpis[c].tolist(), c
    assert np.allclose(totals["revenue"], kpis["revenue"], rtol=1e-12, atol=1e-9)
    assert np.allclose(totals["revenue"] - totals["cost"], kpis["profit"], rtol=1e-12, atol=1e-6)
    # the market's purchases (repeated on each seller's row) add up to all sellers' purchases
    market = table.groupby(["run", "day"])["market_purchases"].first().groupby("run").sum()
    assert market.tolist() == summary.groupby("run")["purchases"].sum().tolist()


@pytest.mark.parametrize("every", [7, 10, "end"])
def test_a_row_sums_its_days_flows_and_keeps_its_day_s_levels(tmp_path, daily, every):
    table, _ = sweep(tmp_path, every)
    recorded = [DAYS] if every == "end" else sorted({*range(every, DAYS + 1, every), DAYS})
    assert sorted(set(table["day"])) == recorded
    # each day of the daily table belongs to the first recorded day on or after it
    window = np.array(recorded)[np.searchsorted(recorded, daily["day"].to_numpy())]
    flows = [*DAILY_FLOWS, "market_purchases"]
    expected = daily.assign(day=window).groupby(["run", "day", "seller"], sort=False)[flows].sum().reset_index()
    got = table.set_index(["run", "day", "seller"])
    exp = expected.set_index(["run", "day", "seller"]).loc[got.index]
    for c in flows:
        assert np.allclose(got[c].to_numpy(dtype=float), exp[c].to_numpy(dtype=float), rtol=1e-12), c
    levels = daily.set_index(["run", "day", "seller"]).loc[got.index]
    for c in ("customers", "followers", "mean_trust", "market_platform_activity", "market_with_need"):
        np.testing.assert_array_equal(got[c].to_numpy(), levels[c].to_numpy(), err_msg=c)  # NaN equals NaN
    # integer flows stay integers
    assert got["purchases"].dtype == daily["purchases"].dtype
