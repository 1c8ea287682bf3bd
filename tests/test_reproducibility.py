"""Same config + seed -> the same bytes at every layer; a different seed -> different results."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from viralsim.config.schema import RunConfig
from viralsim.model import ViralModel, simulate
from viralsim.network.build import build_network

ROOT = Path(__file__).resolve().parents[1]

NETWORKS = [
    {"kind": "friend_circles", "n": 600},
    {"kind": "watts_strogatz", "n": 600, "k": 8, "p": 0.1},
    {"kind": "holme_kim", "n": 400, "m": 3, "p": 0.3},
    {"kind": "barabasi_albert", "n": 400, "m": 3},
    {"kind": "sbm", "sizes": [150, 150, 150], "p_in": 0.05, "p_out": 0.005},
    {"kind": "edgelist", "path": "facebook"},
]


def config(seed: int, network: dict | None = None, **extra) -> RunConfig:
    return RunConfig.model_validate({
        "seed": seed, "days": 40, "network": network or {"kind": "friend_circles", "n": 800},
        "sellers": {"spam": {"strategy": "spam"}, "community": {"strategy": "community"},
                    "fission": {"strategy": "fission"}, "kol": {"strategy": "kol"}},
        **extra,
    })


def digest(result) -> str:
    h = hashlib.sha256()
    for frame in (result.daily, result.market, result.summary, result.cascades, result.cascade_sizes):
        h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
        h.update(frame.to_csv(index=False).encode())
    return h.hexdigest()


@pytest.mark.parametrize("network", NETWORKS, ids=lambda n: n["kind"])
def test_every_network_generator_is_seeded(network):
    spec = config(0, network).network
    a = build_network(spec, rng=np.random.default_rng(5))
    b = build_network(spec, rng=np.random.default_rng(5))
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.strong, b.strong)
    if network["kind"] != "edgelist":   # a real graph's edges do not depend on the seed
        c = build_network(spec, rng=np.random.default_rng(6))
        assert not (np.array_equal(a.indptr, c.indptr) and np.array_equal(a.indices, c.indices))


def test_same_seed_same_outputs_different_seed_different():
    assert digest(simulate(config(11))) == digest(simulate(config(11)))
    assert digest(simulate(config(11))) != digest(simulate(config(12)))


def test_stepping_in_pieces_equals_one_run():
    """A run is a pure function of config and seed, however it is driven."""
    whole = ViralModel(config(3)).run().result()
    pieces = ViralModel(config(3))
    for days in (1, 9, 30):
        pieces.run(days)
    assert digest(whole) == digest(pieces.result())


def test_same_seed_same_files_across_processes(tmp_path):
    """Separate processes (different hash seeds) write byte-identical result files."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text("name: r\nseed: 4\ndays: 30\nnetwork: {kind: friend_circles, n: 500}\n"
                   "sellers:\n  a: {strategy: spam}\n  b: {strategy: community}\n", encoding="utf-8")
    outs = []
    for hash_seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed,
                   PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
        out = tmp_path / f"out{hash_seed}"
        subprocess.run([sys.executable, "-m", "viralsim", "run", str(cfg), "--out", str(out), "--quiet"],
                       check=True, env=env, cwd=tmp_path, capture_output=True)
        outs.append(out)
    # manifest.json holds times, the signature a random id
    files = sorted(p.name for p in outs[0].iterdir() if p.name not in ("manifest.json", ".viralsim-folder.json"))
    assert "daily.csv" in files and "summary.csv" in files
    for name in files:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
