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


# Peak RSS measured in fresh processes (see the module docstring): the estimate must not be below
# any of them, nor absurdly above (at most 2.5 times).
MEASURED = [
    ({"kind": "friend_circles", "n": 10_000}, 365, 288),
    ({"kind": "friend_circles", "n": 50_000}, 365, 303),
    ({"kind": "friend_circles", "n": 200_000}, 365, 376),
    ({"kind": "friend_circles", "n": 1_000_000}, 365, 663),
    ({"kind": "watts_strogatz", "n": 50_000, "k": 10}, 365, 302),
    ({"kind": "watts_strogatz", "n": 200_000, "k": 10}, 365, 354),
    ({"kind": "complete", "n": 20_000}, 30, 603),
    ({"kind": "complete", "n": 50_000}, 30, 2130),
]


@pytest.mark.parametrize("network, days, measured_mb", MEASURED)
def test_memory_estimate_is_conservative_against_measurements(network, days, measured_mb):
    estimate = resources.estimate_run(config(network, days)).memory
    assert measured_mb * MB < estimate < 2.5 * measured_mb * MB, estimate / MB


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
