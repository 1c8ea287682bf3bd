"""Up-front memory and disk estimates: conservative against the measured peaks, refusals in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from viralsim import resources
from viralsim.config.schema import RunConfig

SRC = Path(__file__).resolve().parents[1] / "src"

MB = 1 << 20
GB = 1 << 30

SELLERS = {"spam": {"strategy": "spam"}, "community": {"strategy": "community"}}


def config(network: dict, days: int = 365, **extra) -> RunConfig:
    return RunConfig.model_validate({"days": days, "network": network, "sellers": SELLERS, **extra})


MIX = {"spam": 0.30, "broadcast": 0.20, "community": 0.25, "service_first": 0.10, "fission": 0.10, "kol": 0.05}


def market(n: int, count: int, mix: dict | None = None, days: int = 365) -> RunConfig:
    """A population of sellers drawn from a preset mix (benchmarks/bench_memory.py)."""
    return RunConfig.model_validate({"days": days, "network": {"kind": "friend_circles", "n": n}, "sellers": {},
                                     "populations": {"market": {"count": count, "mix": mix or MIX}}})


def pair(network: dict, days: int) -> RunConfig:
    return config(network, days)


# Peak RSS and relations at the end, measured in fresh processes by benchmarks/bench_memory.py
# (see the module docstring): the estimate must not be below any of them, nor absurdly above:
# the memory at most 3 times (the million-person market of 10,000 sellers is at 2.84: its
# purchases run at 0.44 of the ceiling the estimate assumes), the relations at most 3.5 times.
MEASURED = [
    ("fc-10k", lambda: pair({"kind": "friend_circles", "n": 10_000}, 365), 17_690, 327),
    ("fc-200k", lambda: pair({"kind": "friend_circles", "n": 200_000}, 365), 43_444, 411),
    ("fc-1m", lambda: pair({"kind": "friend_circles", "n": 1_000_000}, 365), 50_254, 700),
    ("ws-200k", lambda: pair({"kind": "watts_strogatz", "n": 200_000, "k": 10}, 365), 11_726, 384),
    ("complete-5k", lambda: pair({"kind": "complete", "n": 5_000}, 30), 9_998, 332),
    ("complete-20k", lambda: pair({"kind": "complete", "n": 20_000}, 30), 39_998, 458),
    ("complete-50k", lambda: pair({"kind": "complete", "n": 50_000}, 30), 99_998, 884),
    ("spam-20k-50", lambda: market(20_000, 50, {"spam": 1.0}), 521_865, 421),
    ("community-20k-50", lambda: market(20_000, 50, {"community": 1.0}), 353_835, 390),
    ("pop-20k-500", lambda: market(20_000, 500), 1_463_100, 617),
    ("pop-100k-100", lambda: market(100_000, 100), 1_016_332, 538),
    ("pop-100k-1000", lambda: market(100_000, 1_000), 4_623_100, 1_165),
    ("pop-100k-10000", lambda: market(100_000, 10_000), 21_260_100, 4_950),
    ("pop-1m-10000", lambda: market(1_000_000, 10_000), 47_703_958, 8_148),
]


@pytest.mark.parametrize("case, make, relations, peak_mb", MEASURED, ids=[m[0] for m in MEASURED])
def test_memory_estimate_is_conservative_against_measurements(case, make, relations, peak_mb):
    run = make()
    estimate = resources.estimate_run(run).memory
    assert peak_mb * MB < estimate < 3 * peak_mb * MB, estimate / MB
    assert relations <= resources.relations(run) < 3.5 * relations, resources.relations(run)


def test_relations_follow_the_sellers_strangers_and_the_purchases():
    """Each source of relations moves the estimate the way it moves the table."""
    base = market(100_000, 1_000)
    # more spam sellers (20 strangers a day each) make more relations; so does a higher need rate
    assert resources.relations(market(100_000, 1_000, {"spam": 1.0})) > resources.relations(base)
    busier = base.model_copy(update={"purchase": base.purchase.model_copy(update={"need_rate": 0.05})})
    assert resources.relations(busier) > resources.relations(base)
    # a seller's own contacts are held to WeChat's allowance: 20 strangers a day fill it within
    # the year, and 10,000 a day add no more
    def lone(per_day: float) -> RunConfig:
        return config({"kind": "friend_circles", "n": 1_000_000}, 365,
                      sellers={"s": {"strategy": "spam", "strangers_per_day": per_day}})
    assert resources.relations(lone(0)) < resources.relations(lone(20)) == resources.relations(lone(10_000))
    # never more than one relation per seller and consumer
    tiny = market(300, 100, {"spam": 1.0})
    assert resources.relations(tiny) == 300 * 100
    # a switch to spam on day 2 is charged as spam from the start
    switch = [{"day": 2, "switch": {"to": "spam"}}]
    quiet = config({"kind": "friend_circles", "n": 100_000}, 365, sellers={"c": {"strategy": "community"}})
    loud = config({"kind": "friend_circles", "n": 100_000}, 365, sellers={"c": {"strategy": "community"}},
                  events=switch)
    assert resources.relations(loud) >= resources.relations(quiet) + 4_000
    busy = config({"kind": "friend_circles", "n": 100_000}, 365, sellers={"c": {"strategy": "community"}},
                  events=[{"day": 200, "set": {"sellers": {"c": {"strangers_per_day": 50}}}}])
    assert resources.relations(busy) == resources.relations(loud)
    # an event raising the need rate raises the purchase ceiling
    needy = config({"kind": "friend_circles", "n": 100_000}, 365,
                   events=[{"day": 90, "set": {"purchase": {"need_rate": 0.1}}}])
    assert resources.purchase_ceiling(needy) > resources.purchase_ceiling(quiet) == 1 / (1 / 0.02 + 30)


def test_a_market_of_thousands_of_sellers_is_refused_where_a_pair_fits():
    """The relations, not the consumers, size a market of many sellers (the estimate once ignored
    them: 1.1 GB for a market that peaks at 10.3 GB)."""
    pair_1m = resources.estimate_run(pair({"kind": "friend_circles", "n": 1_000_000}, 365))
    market_1m = resources.estimate_run(market(1_000_000, 10_000))
    assert pair_1m.memory < 2 * GB < 10 * GB < market_1m.memory
    assert resources.check(pair_1m, ".", memory=8 * GB, disk=1 << 40) is None
    assert resources.check(market_1m, ".", memory=8 * GB, disk=1 << 40) is not None


def test_mean_degree_by_network_kind():
    assert resources.mean_degree(config({"kind": "friend_circles", "n": 100})) == 20
    assert resources.mean_degree(config({"kind": "watts_strogatz", "n": 100, "k": 6})) == 6
    assert resources.mean_degree(config({"kind": "barabasi_albert", "n": 100, "m": 3})) == 6
    sbm = config({"kind": "sbm", "sizes": [100, 100], "p_in": 0.1, "p_out": 0.01})
    assert resources.mean_degree(sbm) == pytest.approx(0.1 * 99 + 0.01 * 100)
    assert resources.consumers(sbm) == 200
    assert resources.consumers(config({"kind": "edgelist", "path": "facebook"})) == 4039


def test_fifty_million_consumers_are_refused_naming_network_n():
    big = config({"kind": "friend_circles", "n": 50_000_000}, days=30)
    estimate = resources.estimate_run(big)
    assert estimate.memory > 30 * GB
    message = resources.check(estimate, ".", memory=16 * GB, disk=1 << 40)
    assert message is not None and "\n" not in message
    assert "network.n (50,000,000)" in message and "16.0 GB is available" in message and "--force" in message
    assert resources.check(estimate, ".", memory=64 * GB, disk=1 << 40) is None


def test_disk_is_checked_at_the_nearest_existing_folder(tmp_path):
    estimate = resources.Estimate(memory=1, disk=10 * GB, memory_field="network.n", disk_field="days (365)")
    out = tmp_path / "not" / "yet" / "there"
    assert resources.free_disk(out) == resources.free_disk(tmp_path) > 0
    message = resources.check(estimate, out, memory=1 << 40, disk=1 * GB)
    assert message is not None and f"1.0 GB is free at {tmp_path}" in message and "days (365)" in message


def test_sweep_estimate_grows_with_workers_and_with_the_table():
    small = config({"kind": "friend_circles", "n": 200_000})
    one = resources.estimate_sweep([(small, 10)], runs=10, workers=1, every=1)
    four = resources.estimate_sweep([(small, 10)], runs=10, workers=4, every=1)
    run = resources.run_memory(small)
    assert four.memory - one.memory == 3 * run
    assert "network.n (200,000) or --workers (4)" in four.memory_field
    # 100,000 runs of 365 days x 2 sellers: merging the long table dominates, and the fix is
    # fewer runs or days, or a sparser time series.
    many = resources.estimate_sweep([(config({"kind": "friend_circles", "n": 300}), 100_000)], runs=100_000,
                                    workers=2, every=1)
    assert many.memory > 100 * GB and many.memory_field.startswith("replicates (100,000 runs)")
    assert "outputs.every" in many.memory_field
    sparse = resources.estimate_sweep([(config({"kind": "friend_circles", "n": 300}), 100_000)], runs=100_000,
                                      workers=2, every=None)
    assert sparse.memory < many.memory / 50 and sparse.disk < many.disk / 100


def test_a_remote_cluster_does_not_count_against_this_machine():
    huge = config({"kind": "friend_circles", "n": 5_000_000})
    here = resources.estimate_sweep([(huge, 1)], runs=1, workers=8, every=1)
    remote = resources.estimate_sweep([(huge, 1)], runs=1, workers=8, every=1, local_workers=False)
    assert remote.memory < 1 * GB < 8 * resources.run_memory(huge) < here.memory


def test_available_memory_respects_an_address_space_limit():
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); "
            "from viralsim.resources import available_memory; print(available_memory())")
    env = dict(os.environ, PYTHONPATH=str(SRC))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert 0 < int(done.stdout) <= 3 << 30


def test_a_market_too_big_names_its_population_and_days():
    message = resources.check(resources.estimate_run(market(1_000_000, 10_000)), ".", memory=8 * GB, disk=1 << 40)
    assert "lower populations.market.count (10,000) or days (365)" in message and "\n" not in message


def test_a_sweep_of_a_many_seller_market_counts_its_summary_rows():
    """The sweep's summary has a row per seller and run, population members too: 200 runs of a
    10,000-seller market merge two million of them, where the long table has none (no named
    seller)."""
    big = market(20_000, 10_000, days=30)
    small = market(20_000, 10, days=30)
    many = resources.estimate_sweep([(big, 200)], runs=200, workers=1, every=None, local_workers=False)
    few = resources.estimate_sweep([(small, 200)], runs=200, workers=1, every=None, local_workers=False)
    rows = 200 * 10_000
    assert many.memory - few.memory >= resources.MARGIN * resources.PER_TABLE_ROW_MERGE * (rows - 2_000) - 1
    assert many.disk > rows * resources.DISK_PER_TABLE_ROW
