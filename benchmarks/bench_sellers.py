"""Cost of a market against its number of sellers: time, peak memory and relations.

Usage:
    python benchmarks/bench_sellers.py                          # 100k people, 2 ... 10,000 sellers, 365 days
    python benchmarks/bench_sellers.py --n 1000000 --sellers 10000
    python benchmarks/bench_sellers.py --n 20000 --sellers 2 20 100 --days 60

The sellers are one population drawn from ``MIX``, placed at random (``viralsim`` config
``populations``). The mix is an assumption for benchmarking, not a calibration: a third of the
sellers spam (many hard ads, strangers added every day, seed 000 L137, L245), a fifth broadcast
private messages, the rest sell through content, service, groups, referral and KOL seeding
(seed 002 L175: many people in every circle sell something, most of them by spamming).

Each size runs in a fresh subprocess, after the kernels are loaded (``warm_up``), so its peak
resident memory (ru_maxrss) is its own and compilation is not timed. Single process, single
thread. Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import _machine  # benchmarks/_machine.py: the shared machine line

MIX = {"spam": 0.30, "broadcast": 0.20, "community": 0.25, "service_first": 0.10, "fission": 0.10, "kol": 0.05}


def config(n: int, sellers: int, days: int, seed: int) -> dict:
    return {"name": "bench_sellers", "seed": seed, "days": days, "trace_cascades": False,
            "network": {"kind": "friend_circles", "n": n}, "sellers": {},
            "populations": {"market": {"count": sellers, "mix": MIX, "placement": "random"}}}


def child(n: int, sellers: int, days: int, seed: int) -> None:
    import resource

    from viralsim.config.schema import RunConfig
    from viralsim.experiment.warmup import warm_up
    from viralsim.model import ViralModel

    warm_up()     # load (or, on a machine's first run, compile) the kernels before the clock starts
    cfg = RunConfig.model_validate(config(n, sellers, days, seed))
    t0 = time.perf_counter()
    model = ViralModel(cfg, collect=False)
    t1 = time.perf_counter()
    model.run()
    t2 = time.perf_counter()
    result = model.result()
    t3 = time.perf_counter()
    print(json.dumps({
        "n": n, "sellers": sellers, "days": days, "build_s": t1 - t0, "run_s": t2 - t1, "result_s": t3 - t2,
        "relations": model.state.n_relations, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "purchases": int(result.summary.purchases.sum()),
    }))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--sellers", type=int, nargs="+", default=[2, 10, 100, 1_000, 10_000])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", nargs=4, type=int, metavar=("N", "SELLERS", "DAYS", "SEED"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return 0
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    print(f"machine: {_machine.machine()}")
    print(f"date: {time.strftime('%Y-%m-%d')}; command: python benchmarks/bench_sellers.py --n {args.n} "
          f"--sellers {' '.join(map(str, args.sellers))} --days {args.days}\n")
    print("| people | sellers | days | build (s) | run (s) | relations at the end | µs per relation-day "
          "| peak memory | purchases |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for sellers in args.sellers:
        out = subprocess.run([sys.executable, __file__, "--child", str(args.n), str(sellers), str(args.days),
                              str(args.seed)], capture_output=True, text=True, env=env, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        per = r["run_s"] / (r["relations"] * r["days"]) * 1e6
        print(f"| {r['n']:,} | {r['sellers']:,} | {r['days']} | {r['build_s']:.1f} | {r['run_s']:.1f} | "
              f"{r['relations']:,} | {per:.3f} | {r['peak_mb']:,.0f} MB | {r['purchases']:,} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
