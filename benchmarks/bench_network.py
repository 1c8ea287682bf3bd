"""Time the vectorised network generators at 100k and 1M people.

Each case runs in a fresh process so that the reported peak RSS belongs to that
case alone. Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/bench_network.py [--sizes 100000 1000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def _run(case: tuple[str, int, int]) -> tuple[str, int, float, int, float, float, float]:
    name, n, seed = case
    import numpy as np

    from viralsim.network import friend_circles, watts_strogatz

    make = {"friend_circles": friend_circles, "watts_strogatz": watts_strogatz}[name]
    start = time.perf_counter()
    topo = make(n, rng=np.random.default_rng(seed))
    seconds = time.perf_counter() - start
    return (
        name,
        n,
        seconds,
        topo.n_edges,
        float(topo.degree.mean()),
        topo.strong_share,
        _peak_rss_mb(),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    src = Path(__file__).resolve().parents[1] / "src"
    if src.is_dir() and str(src) not in sys.path:
        sys.path.insert(0, str(src))

    ctx = mp.get_context("spawn")
    print(f"{'generator':<16}{'n':>10}{'seconds':>10}{'edges':>12}{'mean deg':>10}"
          f"{'strong':>8}{'peak RSS MB':>13}")
    for name in ("friend_circles", "watts_strogatz"):
        for n in args.sizes:
            with ctx.Pool(1) as pool:
                row = pool.apply(_run, ((name, n, args.seed),))
            name_, n_, sec, edges, deg, share, rss = row
            print(
                f"{name_:<16}{n_:>10}{sec:>10.2f}{edges:>12}{deg:>10.2f}"
                f"{share:>8.3f}{rss:>13.0f}"
            )


if __name__ == "__main__":
    main()
