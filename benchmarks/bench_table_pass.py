"""How long one pass over the whole relation table takes: the memory floor of a day.

Usage:
    python benchmarks/bench_table_pass.py --rows 4623100 47703958

The relation table (``viralsim.model.relations``) holds one row per seller–consumer pair, in
columns (the lasting state and the day's counters). This script builds columns of the same
number and types, at the given numbers of rows, and times two compiled passes over all of them,
column after column:

* **read and write**: every element read, changed and written back (``c[i] += 1``), the kind
  of pass a rule that updates a stock makes, vectorised by the compiler;
* **read**: every element read and summed, as an integer of its size (a float sum is not
  vectorised without fast math: it would time the additions' latency, not the memory).

Each is the best of 5 (the first pass, which also faults the pages in, is not counted). A day
that costs k such passes moves as much memory as rewriting its whole table k times: the
measured day divided by the read-and-write pass says how far the rules are from the floor that
memory bandwidth alone sets (docs/benchmarks.md). The table of a run is not built: nothing here
depends on the model's numbers, only on the columns' count and types.
"""

from __future__ import annotations

import argparse
import time

import _machine  # benchmarks/_machine.py: the shared machine line
import numpy as np
from numba import njit

from viralsim.model.relations import DAY_COLUMNS, STATE_COLUMNS


@njit(cache=False)
def _read_write(column):
    for i in range(column.shape[0]):
        column[i] += 1


@njit(cache=False)
def _read(column):
    total = column.dtype.type(0)
    for i in range(column.shape[0]):
        total += column[i]
    return total


def _columns(rows: int) -> list[np.ndarray]:
    types = [dt for _, dt, _ in STATE_COLUMNS] + [dt for _, dt in DAY_COLUMNS]
    # (bool columns as uint8 of the same size: += on a bool array is not an update of it)
    return [np.zeros(rows, np.uint8 if dt is np.bool_ else dt) for dt in types]


def _best(f, columns, repeats: int = 5) -> float:
    for c in columns:
        f(c)                                      # (compiles, faults the pages in)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        for c in columns:
            f(c)
        best = min(best, time.perf_counter() - t)
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[4_623_100],
                        help="table rows (default: the 1,000-seller year's end, 4,623,100)")
    args = parser.parse_args(argv)
    print(f"machine: {_machine.machine('numba')}")
    print(f"command: python benchmarks/bench_table_pass.py --rows {' '.join(map(str, args.rows))}")
    print()
    print("| rows | columns | bytes a row | table (MB) | read and write, one pass (ms) | GB/s moved | "
          "read, one pass (ms) | GB/s read |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rows in args.rows:
        columns = _columns(rows)
        size = sum(c.nbytes for c in columns)
        rw = _best(_read_write, columns)
        rd = _best(_read, [c.view(f"i{c.itemsize}") for c in columns])
        print(f"| {rows:,} | {len(columns)} | {size // rows} | {size / 1e6:,.0f} | {rw * 1e3:.1f} | "
              f"{2 * size / rw / 1e9:.1f} | {rd * 1e3:.1f} | {size / rd / 1e9:.1f} |")
        del columns
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
