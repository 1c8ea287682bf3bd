"""Where the compiled day's time goes, by function and by machine instruction, from Linux perf samples.

Usage (Linux with ``perf``; the instruction view needs ``pip install capstone``):

    perf record -k CLOCK_MONOTONIC -e cpu-clock -F 20000 -o perf.data -- \\
        python benchmarks/perf_kernels.py run --day 150 --days 20 --out kernels.json
    python benchmarks/perf_kernels.py report perf.data kernels.json
    python benchmarks/perf_kernels.py report perf.data kernels.json --kernel deliver_posts

Numba's compiled code carries no symbols that ``perf`` can read, so ``perf report`` shows its
samples as bare addresses. ``run`` maps them. It compiles the day afresh in a temporary kernel
cache (a library loaded from the cache keeps no list of its functions; this takes a few
minutes) and runs the market of ``bench_sellers.py`` to ``--day`` (``--flagship``: the
spam+community market of ``bench_engine.py``; ``--cascade``: the independent cascade of
``bench_peers.py``). It writes every compiled function's address, size and machine code to
``--out``, then runs ``--days`` more days and writes the clock interval they took.
``report`` counts the samples of that interval by function (the rules' kernels, the Numba
runtime's reference counting ``NRT_incref``/``NRT_decref``, libc, libm) and, with ``--kernel``,
prints the instructions of the function whose name contains it that drew the most samples, with
the calls it makes. Read the instruction view with the skid in mind: a sample lands on the
instruction after a slow one, so a cache miss shows on the instruction that uses the loaded
value. ``profile_day.py`` gives the time per step of the day; this script says why a step
costs what it does. Sampling at 20 kHz slows the day down by about two thirds, and a share
under perf is not a saving: check a change on the whole day without perf (docs/benchmarks.md,
"The day by compiled function").
"""

from __future__ import annotations

import argparse
import base64
import bisect
import collections
import json
import os
import subprocess
import sys
import tempfile
import time

import _market  # benchmarks/_market.py: the markets profiled


def short_name(name: str) -> str:
    """``viralsim.model.rules.feed.deliver_posts`` from Numba's mangled ``_ZN8viralsim5model...``."""
    if not name.startswith("_ZN"):
        return name
    parts, k = [], 3
    while k < len(name) and name[k].isdigit():
        j = k
        while name[j].isdigit():
            j += 1
        length = int(name[k:j])
        parts.append(name[j:j + length])
        k = j + length
    return ".".join(parts) or name


def run(args) -> int:
    with tempfile.TemporaryDirectory(prefix="perf_kernels_") as cache:
        os.environ["NUMBA_CACHE_DIR"] = cache       # (before viralsim is imported)
        return _run(args)


def _run(args) -> int:
    import ctypes

    from viralsim.experiment.warmup import warm_up
    from viralsim.model import pipeline

    warm_up()     # (every kernel the run may call: none is compiled within the profiled days)
    model = _market.model(args)
    model.run(args.day)                 # (compiles the day: its functions are known from here)
    run_days = pipeline.run_days
    library = run_days.overloads[run_days.signatures[0]].library
    found = []
    for fn in library._final_module.functions:
        if fn.is_declaration:
            continue
        address = library.get_pointer_to_function(fn.name)
        if address:
            found.append((address, fn.name))
    found.sort()
    mapped = []                          # (the code is read only within the mapping that holds it)
    with open("/proc/self/maps", encoding="ascii") as fh:
        for line in fh:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            mapped.append((lo, hi))
    functions = []
    for j, (address, name) in enumerate(found):
        end = next((hi for lo, hi in mapped if lo <= address < hi), address)
        size = min(found[j + 1][0] - address if j + 1 < len(found) else 1 << 16, end - address)
        code = ctypes.string_at(address, size)
        functions.append({"address": address, "size": size, "name": name,
                          "code": base64.b64encode(code).decode("ascii")})
    t0 = time.clock_gettime(time.CLOCK_MONOTONIC)
    model.run(args.days)
    t1 = time.clock_gettime(time.CLOCK_MONOTONIC)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump({"start": t0, "end": t1, "days": args.days, "functions": functions}, fh)
    last = args.day + args.days - 1
    print(f"{len(functions)} functions; days {args.day}..{last}: {1e3 * (t1 - t0) / args.days:.1f} ms a day "
          f"(under perf); map written to {args.out}")
    return 0


def report(args) -> int:
    with open(args.map, encoding="utf-8") as fh:
        meta = json.load(fh)
    functions = meta["functions"]
    starts = [f["address"] for f in functions]
    lines = subprocess.run(["perf", "script", "-i", args.data, "-F", "time,ip,dso"], capture_output=True,
                           text=True, check=True).stdout.splitlines()
    by_function, by_ip, total = collections.Counter(), collections.Counter(), 0
    for line in lines:
        fields = line.split()
        if len(fields) < 2 or not meta["start"] <= float(fields[0].rstrip(":")) <= meta["end"]:
            continue
        total += 1
        ip = int(fields[1], 16)
        j = bisect.bisect_right(starts, ip) - 1
        if j >= 0 and ip < starts[j] + functions[j]["size"]:
            by_function[short_name(functions[j]["name"])] += 1
            by_ip[ip] += 1
        else:
            by_function[" ".join(fields[2:]).strip("()") or "(unknown)"] += 1
    if total == 0:
        print("no samples in the profiled days: was `run` recorded with perf record -k CLOCK_MONOTONIC?")
        return 1
    print(f"{total:,} samples over the {meta['days']} profiled days")
    if not args.kernel:
        for name, count in by_function.most_common(args.top):
            print(f"  {100 * count / total:5.1f} %  {name}")
        return 0
    import capstone

    fn = max((f for f in functions if args.kernel in f["name"]),
             key=lambda f: sum(c for ip, c in by_ip.items() if f["address"] <= ip < f["address"] + f["size"]))
    names = {f["address"]: short_name(f["name"]) for f in functions}
    disasm = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    code = list(disasm.disasm(base64.b64decode(fn["code"]), fn["address"]))
    own = sum(by_ip.get(i.address, 0) for i in code)
    print(f"{short_name(fn['name'])}: {own:,} samples ({100 * own / total:.1f} % of all), {len(code):,} instructions;"
          f" instructions with at least {100 * args.share:g} % of its samples, after {args.context} before each:")
    last = -1                           # (the last instruction printed)
    for k, ins in enumerate(code):
        if by_ip.get(ins.address, 0) < args.share * own:
            continue
        if 0 <= last < k - args.context - 1:
            print("  ...")
        for i in code[max(last + 1, k - args.context):k + 1]:
            print(f"  {100 * by_ip.get(i.address, 0) / own:5.1f} %  +{i.address - fn['address']:05x}  "
                  f"{i.mnemonic} {i.op_str}")
        last = k
    calls, loaded = collections.Counter(), {}
    for ins in code:                    # (Numba calls through a register loaded with movabs)
        if ins.mnemonic == "movabs":
            reg, _, value = ins.op_str.partition(", ")
            if value.startswith("0x"):
                loaded[reg] = int(value, 16)
        elif ins.mnemonic == "call":
            target = loaded.get(ins.op_str, int(ins.op_str, 16) if ins.op_str.startswith("0x") else None)
            calls[names.get(target, hex(target) if target else ins.op_str)] += 1
    print("call sites (the most frequent):", ", ".join(f"{name} {n}" for name, n in calls.most_common(8)))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="verb", required=True)
    r = sub.add_parser("run", help="run the market under perf record and write the map of the compiled code")
    _market.add_arguments(r, days=20)
    r.add_argument("--out", default="kernels.json")
    p = sub.add_parser("report", help="samples by function, or one function's hottest instructions")
    p.add_argument("data", help="perf.data of the run")
    p.add_argument("map", help="the map `run` wrote")
    p.add_argument("--kernel", help="show the instructions of the function whose name contains this")
    p.add_argument("--share", type=float, default=0.01, help="instructions with at least this share of its samples")
    p.add_argument("--context", type=int, default=3, help="instructions shown before each hot one")
    p.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    return run(args) if args.verb == "run" else report(args)


if __name__ == "__main__":
    sys.exit(main())
