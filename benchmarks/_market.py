"""The markets the profilers run (profile_day.py, perf_kernels.py): their options and their model."""

from __future__ import annotations

import argparse


def add_arguments(ap: argparse.ArgumentParser, days: int) -> None:
    """The options that choose the market and the days profiled (``days``: their default)."""
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--sellers", type=int, default=1_000)
    ap.add_argument("--day", type=int, default=150, help="days run before the profiled ones")
    ap.add_argument("--days", type=int, default=days, help="days profiled")
    ap.add_argument("--flagship", action="store_true", help="the spam+community market of bench_engine.py")
    ap.add_argument("--cascade", action="store_true", help="the independent cascade of bench_peers.py")
    ap.add_argument("--seed", type=int, default=1)


def model(args: argparse.Namespace):
    """A batch ``ViralModel`` of the chosen market for ``args.day + args.days`` days: the 1,000-seller
    market of bench_sellers.py, or the flagship's spam+community market of bench_engine.py, or
    bench_peers.py's independent cascade. viralsim is imported here, so that a caller can set the
    kernel cache first."""
    import bench_engine
    import bench_peers
    import bench_sellers

    from viralsim.config.schema import RunConfig
    from viralsim.model import ViralModel

    days = args.day + args.days
    if args.cascade:
        topology, *_ = bench_peers.build_graph(args.n, seed=1)
        return ViralModel(bench_peers.engine_config("fast", days, args.seed), topology=topology, collect=False)
    raw = ({"name": "bench", "seed": args.seed, "days": days, "network": {"kind": "friend_circles", "n": args.n},
            "sellers": bench_engine.WORKLOADS["spam+community"]} if args.flagship
           else bench_sellers.config(args.n, args.sellers, days, args.seed))
    return ViralModel(RunConfig.model_validate(raw), collect=False)
