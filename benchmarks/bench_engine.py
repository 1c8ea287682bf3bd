"""Speed and memory of the array engine: consumer-days per second and peak memory.

Usage:
    python benchmarks/bench_engine.py                 # 10k, 100k, 1M consumers
    python benchmarks/bench_engine.py --sizes 10000 100000 --days 180

Each (workload, size) runs in a fresh subprocess so its peak resident memory (ru_maxrss) is its
own. Throughput counts simulated days only (graph building is reported separately), single
process, single thread (OMP/MKL threads pinned to 1). Prints a Markdown table for
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import _machine  # benchmarks/_machine.py: the shared machine line

WORKLOADS = {
    # The flagship market: one spam seller (120 posts/day, 20 strangers/day) and one community seller.
    "spam+community": {"spam": {"strategy": "spam"}, "community": {"strategy": "community"}},
    # One community seller: groups, service, word of mouth.
    "community": {"community": {"strategy": "community"}},
}


def child(workload: str, n: int, days: int, seed: int) -> None:
    import resource

    from viralsim.config.schema import RunConfig
    from viralsim.model import ViralModel
    try:
        from viralsim.experiment.warmup import warm_up
    except ImportError:     # an engine before Engine v2 (a side-by-side run of an older checkout)
        from viralsim._jit import warm_up

    warm_up()     # load (or, on a machine's first run, compile) the kernels before the clock starts
    cfg = RunConfig.model_validate({"name": "bench", "seed": seed, "days": days,
                                    "network": {"kind": "friend_circles", "n": n},
                                    "sellers": WORKLOADS[workload]})
    t0 = time.perf_counter()
    model = ViralModel(cfg, collect=False)     # as batch runs (sweeps, simulate) use it
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    result = model.result()
    t3 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({
        "workload": workload, "n": n, "days": days, "build_s": t1 - t0, "run_s": t2 - t1,
        "result_s": t3 - t2, "consumer_days_per_s": n * days / (t2 - t1), "peak_mb": peak_mb,
        "purchases": int(result.summary.purchases.sum()),
    }))


def machine() -> str:
    return _machine.machine()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    ap.add_argument("--child", nargs=4, metavar=("WORKLOAD", "N", "DAYS", "SEED"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        w, n, d, s = args.child
        child(w, int(n), int(d), int(s))
        return 0
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d')}; command: python benchmarks/bench_engine.py "
          f"--sizes {' '.join(map(str, args.sizes))} --days {args.days}\n")
    print("| workload | consumers | days | build (s) | run (s) | consumer-days/s | peak memory |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for w in args.workloads:
        for n in args.sizes:
            out = subprocess.run([sys.executable, __file__, "--child", w, str(n), str(args.days), str(args.seed)],
                                 capture_output=True, text=True, env=env, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"| {w} | {n:,} | {r['days']} | {r['build_s']:.2f} | {r['run_s']:.2f} | "
                  f"{r['consumer_days_per_s'] / 1e6:.1f} M | {r['peak_mb']:,.0f} MB |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
