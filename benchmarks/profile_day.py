"""Where a day goes: the compiled day (viralsim.model.pipeline.run_day) with a clock between its steps.

Usage:
    python benchmarks/profile_day.py                           # 100k people, 1,000 sellers, days 150-154
    python benchmarks/profile_day.py --day 30 --days 10
    python benchmarks/profile_day.py --flagship --n 10000      # the spam+community market
    python benchmarks/profile_day.py --cascade --n 100000 --day 5 --days 25   # bench_peers.py's cascade
    python benchmarks/profile_day.py --cascade --n 2000 --day 5 --days 25 --us --cycles  # a small day, in µs

Runs the market of ``bench_sellers.py`` (or, with ``--flagship``, the spam+community market of
``bench_engine.py``; with ``--cascade``, the independent cascade of
``bench_peers.py``) to ``--day`` as usual, then ``--days`` more days with a copy of
``pipeline.run_day`` that reads the process's CPU clock (``time.process_time`` through Numba's
object mode, about a microsecond a reading) before each step and adds the time since the
previous reading to that step (CPU time: on a shared host, wall time counts the other jobs'
turns too). With ``--cycles`` it reads the CPU's cycle counter instead (a few nanoseconds a
reading, so steps of a few microseconds are not swamped by the clock; wall time, converted at
the rate the counter ran over the profiled days). The copy is made from the pipeline's source
when the script starts and compiled without the on-disk cache (a minute or two); the rules it
calls are the package's own kernels. The copy's draws are the day's own, so the days it runs are
the model's days. Prints milliseconds (``--us``: microseconds) per day for each step, largest
first, and the whole day.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
import types

import _market  # benchmarks/_market.py: the markets profiled
import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils
from numba.extending import intrinsic

#: the first line of each step of run_day (in order) and the name it is reported under
STEPS = (
    ("    relations.clear_day(rel)", "clear the day's counters"), ("    plan_day(key", "plan"),
    ("    arrive_needs(", "needs"), ("    relax_stocks(", "relax"), ("    rel = add_strangers(", "strangers"),
    ("    kol_streams = seller_streams", "kol seeding"), ("    rel = relations.with_views(rel)", "views"),
    ("    deliver_posts(", "feed"), ("    platform_warning(", "fold warning"), ("    send_messages(", "messages"),
    ("    group_read, joined_ptr", "groups"), ("    room = contact_room", "contact room"),
    ("    follow_streams = seller_streams", "group follow"), ("    count_pushes(", "pushed days"),
    ("    impulse_needs(", "impulses"), ("    gain_from_content(", "content trust"),
    ("    answer_enquiries(", "enquiries"), ("    buyer_rows = np.empty(n", "purchases"),
    ("    add_annoyance(", "annoyance"), ("    # 15 settlement", "settlement and word of mouth"),
    ("    # 16 mute and block", "mute/block and warnings"), ("    move_ties(", "ties"),
    ("    update_activity(", "activity"), ("    record(sellers", "record"),
)


@numba.njit
def _now():
    with numba.objmode(t="float64"):
        t = time.process_time()
    return t


@intrinsic
def _read_cycle_counter(typingctx):
    """The CPU's cycle counter (LLVM's ``llvm.readcyclecounter``: RDTSC on x86)."""
    def codegen(context, builder, signature, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(64), []),
                                            "llvm.readcyclecounter")
        return builder.call(fn, [])
    return numba.types.int64(), codegen


@numba.njit
def _cycles():
    return float(_read_cycle_counter())


def _sub(src: str, old: str, new: str) -> str:
    """``src`` with ``old`` replaced; fails when the pipeline's source no longer has ``old``."""
    if old not in src:
        raise SystemExit(f"profile_day: the pipeline's source changed; update this script ({old!r})")
    return src.replace(old, new, 1)


def timed_pipeline(now=_now):
    """A module like viralsim.model.pipeline whose run_day adds each step's time to ``acc``
    (in the units of ``now()``)."""
    from viralsim.model import pipeline

    src = inspect.getsource(pipeline)
    src = _sub(src, "from viralsim._jit import kernel,", "from viralsim._jit import")
    src = _sub(src, "from __future__ import annotations\n", "from __future__ import annotations\n\n"
               "import numba\n\nkernel = numba.njit(error_model='numpy')\n")
    src = _sub(src, "degree_order, flows, breakdowns,\n            stocks, group_buys):",
               "degree_order, flows, breakdowns,\n            stocks, group_buys, acc):")
    src = _sub(src, "flows[d], breakdowns[d], stocks[d], group_buys)",
               "flows[d], breakdowns[d], stocks[d], group_buys, acc)")
    src = _sub(src, "flows, breakdowns, stocks, market, group_buys):",
               "flows, breakdowns, stocks, market, group_buys, acc):")
    start = src.index("def run_day(")
    end = src.index("    return rel, links[:, :n_links]", start)
    body = src[start:end] + f"    _t1 = _now()\n    acc[{len(STEPS) - 1}] += _t1 - _t0\n"
    for j, (line, _name) in enumerate(STEPS):
        at = body.index(line)
        clock = ("    _t0 = _now()\n" if j == 0 else
                 f"    _t1 = _now()\n    acc[{j - 1}] += _t1 - _t0\n    _t0 = _t1\n")
        body = body[:at] + clock + body[at:]
    src = src[:start] + body + src[end:]
    module = types.ModuleType("timed_pipeline")
    module._now = now
    exec(compile(src, "<timed pipeline>", "exec"), module.__dict__)
    return module


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _market.add_arguments(ap, days=5)
    ap.add_argument("--us", action="store_true", help="print the steps in microseconds (small markets)")
    ap.add_argument("--cycles", action="store_true",
                    help="time the steps by the CPU's cycle counter (a few ns a reading, wall time) instead of the "
                         "process's CPU clock (about a microsecond a reading): for days of a few hundred us")
    args = ap.parse_args()

    from viralsim.experiment.warmup import warm_up
    from viralsim.model.outputs import BREAKDOWN_WIDTH, FLOW_KEYS, STOCK_COLUMNS

    warm_up()
    model = _market.model(args)
    t = time.perf_counter()
    timed = timed_pipeline(_cycles if args.cycles else _now)
    model.run(args.day)
    st, k = model.state, args.days
    print(f"days 0..{args.day - 1}: {time.perf_counter() - t:.1f} s, {st.n_relations:,} relations")
    n_s = st.n_sellers
    acc = np.zeros(len(STEPS))
    flows = np.zeros((k, len(FLOW_KEYS), n_s))
    breakdowns = np.zeros((k, n_s, BREAKDOWN_WIDTH))
    stocks = np.empty((k, n_s, len(STOCK_COLUMNS)))
    market = np.empty((k, 3))
    args_ = (st.key, st.day, 1, True, False, model.params, st.graph, st.people, st.sellers, model._plans)
    st.rel, _ = timed.run_days(*args_, st.rel, st.degree_order, flows[:1], breakdowns[:1], stocks[:1],
                               market[:1], st.group_buys, np.zeros(len(STEPS)))  # (compiles the timed day, runs one)
    st.day += 1
    print(f"day {st.day - 1} with the timed copy (compiling it): {time.perf_counter() - t:.1f} s")
    args_ = (st.key, st.day, k, True, False, model.params, st.graph, st.people, st.sellers, model._plans)
    t, c, cy = time.perf_counter(), time.process_time(), _cycles()
    st.rel, _ = timed.run_days(*args_, st.rel, st.degree_order, flows, breakdowns, stocks, market, st.group_buys,
                               acc)
    total, cpu, cycles = time.perf_counter() - t, time.process_time() - c, _cycles() - cy
    if args.cycles:
        acc *= total / cycles           # (cycles to seconds at the rate the counter ran over these days)
    print(f"days {st.day}..{st.day + k - 1}: {1e3 * cpu / k:.3f} ms of CPU a day ({1e3 * total / k:.3f} ms of wall "
          f"time), {st.rel.meta[0]:,} relations at the end; {'wall' if args.cycles else 'CPU'} time per step:")
    scale, unit = (1e6, "us") if args.us else (1e3, "ms")
    for j in np.argsort(-acc):
        print(f"  {STEPS[j][1]:<30} {scale * acc[j] / k:8.1f} {unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
