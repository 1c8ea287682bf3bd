"""Sweep throughput: runs per second on 1 and 2 workers, serial vs processes vs Dask.

Usage:
    python benchmarks/bench_sweep.py                       # N = 10k people x 180 days, 16 runs each
    python benchmarks/bench_sweep.py --runs 40 --workers 1 2 --executors serial processes dask
    python benchmarks/bench_sweep.py --n 2000 --days 60 --runs 8      # a quick check

Every configuration sweeps the same experiment (the flagship market: a spam and a community
seller, friend circles of N people, ``--runs`` replicates with distinct seeds) into a fresh
results folder, through :func:`viralsim.experiment.sweep.run_sweep`, and is timed wall-clock
from the call to the merged tables: worker start-up, pickling, part files and the final merge
included. A plain loop of ``simulate(config)`` over the same configs, with no sweep machinery,
gives the sweep's overhead per run, and the same plain loops split over independent processes
show what the machine itself delivers in parallel at that moment. Parallel efficiency is the
2-worker throughput over twice the 1-worker throughput of the same executor. Prints a Markdown
table for docs/experiments.md with the date, machine and command; other processes on the machine
slow every figure, so the load averages at the start and the end are printed too.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import _machine  # benchmarks/_machine.py: the shared machine line


def experiment(n: int, days: int, runs: int, seed: int):
    from viralsim.experiment.spec import experiment_from_dict

    spec = {
        "name": "bench_sweep",
        "seed": seed,
        "replicates": runs,
        "base": {"days": days, "network": {"kind": "friend_circles", "n": n},
                 "sellers": {"spam": {"strategy": "spam"}, "community": {"strategy": "community"}}},
        "outputs": {"every": 1},
    }
    return experiment_from_dict(spec)


def plain_loop(exp) -> tuple[float, float]:
    from viralsim.model import simulate

    t0, c0 = time.perf_counter(), time.process_time()
    for run in exp.runs:
        simulate(run.config)
    return time.perf_counter() - t0, time.process_time() - c0


def plain_processes(args, workers: int) -> float:
    """Wall time of ``workers`` independent processes, each simulating its share of the runs with
    a plain loop: what this machine can do in parallel right now, without any sweep machinery."""
    import subprocess

    share = -(-args.runs // workers)
    procs = [subprocess.Popen([sys.executable, __file__, "--n", str(args.n), "--days", str(args.days),
                               "--runs", str(args.runs), "--seed", str(args.seed),
                               "--child", str(k * share), str(min(args.runs, (k + 1) * share))],
                              stdout=subprocess.PIPE, text=True)
             for k in range(workers)]
    walls = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError("a plain-loop child failed")
        walls.append(float(out.split()[-1]))
    return max(walls)


def child(args) -> None:
    """Simulate runs START..STOP after the imports; print the loop's wall time. The children
    start their loops within a second of each other (imports take about that long)."""
    from viralsim.model import simulate

    exp = experiment(args.n, args.days, args.runs, args.seed)
    simulate(exp.runs[0].config.model_copy(update={"days": 5}))
    t0 = time.perf_counter()
    for run in exp.runs[args.child[0]:args.child[1]]:
        simulate(run.config)
    print(time.perf_counter() - t0)


def sweep(exp, executor: str, workers: int, root: Path):
    from viralsim.experiment.sweep import run_sweep

    out = root / f"{executor}-{workers}"
    t0 = time.perf_counter()
    outcome = run_sweep(exp, out, executor=executor, workers=workers)
    wall = time.perf_counter() - t0
    assert outcome.complete and outcome.failed == 0, outcome
    shutil.rmtree(out, ignore_errors=True)
    return wall, outcome


def machine() -> str:
    return _machine.machine()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000, help="people in the market (default 10000)")
    ap.add_argument("--days", type=int, default=180, help="days per run (default 180)")
    ap.add_argument("--runs", type=int, default=16, help="runs per configuration (default 16)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--executors", nargs="+", default=["serial", "processes", "dask"],
                    choices=["serial", "processes", "dask"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", type=int, nargs=2, metavar=("START", "STOP"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return 0

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    exp = experiment(args.n, args.days, args.runs, args.seed)
    # Warm-up (imports, caches) so the first timed configuration is not penalised.
    from viralsim.model import simulate

    simulate(exp.runs[0].config.model_copy(update={"days": 5}))
    rows = []
    plain_wall, plain_cpu = plain_loop(exp)
    rows.append(("plain loop, no sweep", 1, plain_wall, plain_cpu, None))
    if max(args.workers) > 1:
        k = max(args.workers)
        wall = plain_processes(args, k)
        rows.append((f"plain loops in {k} processes (loop time only)", k, wall, float("nan"), None))
        print(f"  plain x{k}: {wall:.1f} s", file=sys.stderr, flush=True)
    root = Path(tempfile.mkdtemp(prefix="bench_sweep-"))
    try:
        for executor in args.executors:
            for workers in ([1] if executor == "serial" else args.workers):
                wall, outcome = sweep(exp, executor, workers, root)
                rows.append((executor, workers, wall, outcome.cpu_seconds, outcome))
                print(f"  {executor} x{workers}: {wall:.1f} s", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    runs = args.runs
    one_worker = {name: runs / wall for name, workers, wall, _, _ in rows if workers == 1}
    print(f"Sweep benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}; "
          f"load average {load:.2f} at the start, {load_end:.2f} at the end.")
    print(f"Command: `python {' '.join(shlex.quote(a) for a in sys.argv)}`; "
          f"{runs} runs of N = {args.n:,} x {args.days} days (spam + community sellers) per row.")
    print()
    print("| executor | workers | wall s | runs/s | CPU s per run | efficiency 1 -> 2 | 1,000 runs |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    plain_rate = one_worker["plain loop, no sweep"]
    for name, workers, wall, cpu, _ in rows:
        rate = runs / wall
        base = one_worker.get(name, plain_rate if name.startswith("plain") else None)
        eff = f"{rate / (workers * base):.0%}" if workers > 1 and base else ""
        cpu_text = f"{cpu / runs:.2f}" if cpu == cpu else ""
        print(f"| {name} | {workers} | {wall:.1f} | {rate:.2f} | {cpu_text} | {eff} | "
              f"{1000 / rate / 60:.1f} min |")
    serial = next((r for r in rows if r[0] == "serial"), None)
    if serial is not None:
        outcome = serial[4]
        per_run = (outcome.cpu_seconds - plain_cpu) / runs
        print()
        print(f"Sweep machinery: {per_run * 1000:+.0f} ms CPU per run over a plain simulate() loop "
              f"({per_run * runs / plain_cpu:+.1%}); merging the parts into the final tables and stats took "
              f"{outcome.finalize_seconds:.1f} s once per sweep.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
