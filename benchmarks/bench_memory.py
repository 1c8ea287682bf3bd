"""Peak memory of runs against `viralsim.resources`' up-front estimate: the calibration behind it.

Usage:
    python benchmarks/bench_memory.py                 # every case but the two largest (about 5 minutes)
    python benchmarks/bench_memory.py --long          # every case (about 50 minutes: 10 and 32 for the largest)
    python benchmarks/bench_memory.py --cases fc-1m pop-100k-1000

Each case runs in a fresh subprocess after the kernels are loaded (``warm_up``), as ``viralsim
run`` does, and reports its peak resident memory (ru_maxrss), the relations it ended with and
its purchases, beside the estimate `resources.estimate_run` gives for its config (margin
included) and the estimate's own count of relations (`resources.relations`). The estimate must
never be below a measured peak. Prints a Markdown table for docs/benchmarks.md.

The two named sellers are the flagship's pair (one spam seller, one community seller); the
populations draw their members from the market mix of ``bench_sellers.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import _machine  # benchmarks/_machine.py: the shared machine line
from bench_sellers import MIX

PAIR = {"spam": {"strategy": "spam"}, "community": {"strategy": "community"}}


def _pair(network: dict, days: int) -> dict:
    return {"days": days, "network": network, "sellers": PAIR, "trace_cascades": False}


def _market(n: int, count: int, days: int, mix: dict | None = None) -> dict:
    return {"days": days, "network": {"kind": "friend_circles", "n": n}, "sellers": {}, "trace_cascades": False,
            "populations": {"market": {"count": count, "mix": mix or MIX, "placement": "random"}}}


#: name -> config (every config also gets ``seed: 1``)
CASES = {
    "fc-10k": _pair({"kind": "friend_circles", "n": 10_000}, 365),
    "fc-200k": _pair({"kind": "friend_circles", "n": 200_000}, 365),
    "fc-1m": _pair({"kind": "friend_circles", "n": 1_000_000}, 365),
    "ws-200k": _pair({"kind": "watts_strogatz", "n": 200_000, "k": 10}, 365),
    "complete-5k": _pair({"kind": "complete", "n": 5_000}, 30),
    "complete-20k": _pair({"kind": "complete", "n": 20_000}, 30),
    "complete-50k": _pair({"kind": "complete", "n": 50_000}, 30),
    "spam-20k-50": _market(20_000, 50, 365, {"spam": 1.0}),
    "community-20k-50": _market(20_000, 50, 365, {"community": 1.0}),
    "pop-20k-500": _market(20_000, 500, 365),
    "pop-100k-100": _market(100_000, 100, 365),
    "pop-100k-1000": _market(100_000, 1_000, 365),
    "pop-100k-10000": _market(100_000, 10_000, 365),
    "pop-1m-10000": _market(1_000_000, 10_000, 365),
}
#: the cases that take more than a few minutes (run with ``--long``)
LONG = ("pop-100k-10000", "pop-1m-10000")


def child(name: str) -> None:
    import resource

    from viralsim.config.schema import RunConfig
    from viralsim.experiment.warmup import warm_up
    from viralsim.model import ViralModel

    warm_up()
    config = RunConfig.model_validate({"name": name, "seed": 1, **CASES[name]})
    t0 = time.perf_counter()
    model = ViralModel(config, collect=False)
    model.run()
    result = model.result()
    print(json.dumps({"relations": model.state.n_relations, "purchases": int(result.summary.purchases.sum()),
                      "seconds": time.perf_counter() - t0,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", choices=sorted(CASES))
    ap.add_argument("--long", action="store_true", help="also the two largest markets")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return 0
    from viralsim import resources
    from viralsim.config.schema import RunConfig

    cases = args.cases or [name for name in CASES if args.long or name not in LONG]

    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    print(f"machine: {_machine.machine()}")
    print(f"date: {time.strftime('%Y-%m-%d')}; command: python benchmarks/bench_memory.py "
          f"--cases {' '.join(cases)}\n")
    print("| case | run (s) | relations | estimated relations | purchases | peak memory | estimate | estimate / peak |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in cases:
        out = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True, text=True, env=env,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        config = RunConfig.model_validate({"name": name, "seed": 1, **CASES[name]})
        estimate = resources.estimate_run(config).memory / (1 << 20)
        print(f"| {name} | {r['seconds']:.1f} | {r['relations']:,} | {resources.relations(config):,.0f} | "
              f"{r['purchases']:,} | {r['peak_mb']:,.0f} MB | {estimate:,.0f} MB | {estimate / r['peak_mb']:.2f} |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
