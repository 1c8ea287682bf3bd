"""The fast engine against the reference engine and NDlib on one shared workload.

Usage:
    python benchmarks/bench_peers.py                  # N = 5,000, 30 days
    python benchmarks/bench_peers.py --n 2000 5000 10000 100000 --days 30 --repeats 3

The shared workload is an independent cascade (Kempe et al. 2003) on one friend-circle graph:
one root, each newly active person gets one chance to activate each friend with probability
p, for a fixed number of days (iterations). It is run by

* the **fast engine** (``engine: fast``) and the **reference engine** (``engine: reference``)
  under the independent-cascade mapping of docs/verification.md (trust and annoyance off,
  one-time adoption, satisfied buyers recommend with probability p, a recommendation makes the
  friend buy the next day; a seller node linked to the root and to a few inert dummies starts
  it). The engines still execute their whole daily pipeline (needs, feed, purchase, settlement,
  word of mouth, mute and block, activity) with most rules idle;
* **NDlib** ``IndependentCascadesModel`` (edge threshold p on every edge) and ``SIRModel``
  with beta = p and gamma = 1 (an infected node transmits once, then is removed: the same
  cascade), on the same graph (the hub and dummies included) and root.

With ``--market`` both engines are also timed on the full model (a spam and a community seller,
every rule active), which NDlib cannot express; there the ratio is fast engine vs reference.

NDlib (``pip install ndlib six``, or the ``bench`` extra) is optional: without it the script
says so and times the two engines only. Each case runs in its own process, one thread. The
time counted is the simulation of the days ("run"); building the model (graph conversion,
agents, NDlib's per-edge configuration) is reported separately ("setup"). Agent-steps/s is
people × days / run seconds. Ratios are the fast engine's speed over the others'. The mean final
size of each implementation is printed as a check that the workloads really are the same.
The fast engine runs as in batch use (``collect=False``, as ``simulate()`` does: no Mesa
DataCollector, whose values ``result()`` holds anyway); the reference engine keeps its own.
Prints a Markdown table for docs/verification.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import _machine  # benchmarks/_machine.py: the shared machine line

P_EDGE = 0.1


def build_graph(n: int, seed: int):
    """The shared graph: friend circles plus a seller hub linked to the root and to dummies."""
    import numpy as np

    from viralsim.network import Topology, generators

    base = generators.friend_circles(n, rng=np.random.default_rng(seed))
    root = int(np.argmax(base.degree))
    m = int(base.degree.max()) + 3
    hub = n
    u, v, strong = base.edge_list()
    u = np.concatenate([u, [hub], np.full(m, hub)])
    v = np.concatenate([v, [root], n + 1 + np.arange(m)])
    strong = np.concatenate([strong, np.ones(m + 1, dtype=bool)])
    return Topology.from_edges(n + 1 + m, u, v, strong), root, hub, m


def engine_config(engine: str, days: int, seed: int):
    from viralsim.config.schema import RunConfig

    return RunConfig.model_validate({
        "name": "bench-peers", "seed": seed, "days": days, "engine": engine, "trace_cascades": False,
        "trust": {"enabled": False}, "annoyance": {"enabled": False},
        "feed": {"attention_per_day": 1e6, "friend_posts_per_day": 0.0, "activity_sensitivity": 0.0},
        "purchase": {"always_need": True, "repurchase": False, "conformity": 0.0, "impulse_per_ad": 0.0,
                     "ad_conversion": 1.0},
        "wom": {"recommend_prob": P_EDGE, "strong_persuasion": 1.0, "weak_persuasion": 1.0,
                "warn_prob": 0.0, "block_warn_prob": 0.0},
        "sellers": {"s": {"strategy": "broadcast", "placement": "hub", "circle_size": 0, "posts_per_day": 1,
                          "content": {"ad": 1.0, "value": 0.0, "life": 0.0, "prize": 0.0}, "posting_slot": "idle",
                          "messages_per_day": 0, "service_capacity": 0,
                          "product": {"quality": 1.0, "price": 50.0, "unit_cost": 0.0}}},
    })


def market_config(engine: str, n: int, days: int, seed: int):
    """The flagship market of benchmarks/bench_engine.py: a spam and a community seller."""
    from viralsim.config.schema import RunConfig

    return RunConfig.model_validate({
        "name": "bench-market", "seed": seed, "days": days, "engine": engine,
        "network": {"kind": "friend_circles", "n": n},
        "sellers": {"spam": {"strategy": "spam"}, "community": {"strategy": "community"}},
    })


def child(case: str, n: int, days: int, seed: int) -> dict:
    """Time one case in this process; returns setup and run seconds and the final size.

    The fast engine's compiled kernels are loaded (compiled on the very first run on a machine)
    before the clock starts: a one-off cost per process, reported separately as ``load_s``.
    """
    import numpy as np

    load_s = 0.0
    if case.startswith("fast"):
        from viralsim.experiment.warmup import warm_up

        t = time.perf_counter()
        warm_up()
        load_s = time.perf_counter() - t

    if case.endswith("_market"):
        from viralsim.model.mesa_model import ViralModel
        from viralsim.model.reference import ReferenceModel
        from viralsim.network import generators

        engine = case.removesuffix("_market")
        topo = generators.friend_circles(n, rng=np.random.default_rng(1))
        t0 = time.perf_counter()
        model = (ViralModel(market_config(engine, n, days, seed), topology=topo, collect=False) if engine == "fast"
                 else ReferenceModel(market_config(engine, n, days, seed), topology=topo))
        t1 = time.perf_counter()
        model.run()
        t2 = time.perf_counter()
        size = int(model.result().summary.purchases.sum())     # all purchases of the two sellers
        return {"setup_s": t1 - t0, "run_s": t2 - t1, "size": size, "people": topo.n, "load_s": load_s}
    topo, root, hub, m = build_graph(n, seed=1)
    people = topo.n
    if case in ("fast", "reference"):
        from viralsim.model.mesa_model import ViralModel
        from viralsim.model.reference import ReferenceModel

        t0 = time.perf_counter()
        model = (ViralModel(engine_config(case, days, seed), topology=topo, collect=False) if case == "fast"
                 else ReferenceModel(engine_config(case, days, seed), topology=topo))
        t1 = time.perf_counter()
        model.run()
        t2 = time.perf_counter()
        size = int(model.result().summary.customers[0]) - m    # buyers in the graph, root included
        return {"setup_s": t1 - t0, "run_s": t2 - t1, "size": size, "people": people, "load_s": load_s}
    import ndlib.models.ModelConfig as mc
    from ndlib.models.epidemics import IndependentCascadesModel, SIRModel

    graph = topo.to_networkx()
    graph.remove_node(hub)                  # the root is the one initially active node
    np.random.seed(seed)
    t0 = time.perf_counter()
    config = mc.Configuration()
    if case == "ndlib_ic":
        model = IndependentCascadesModel(graph, seed=seed)
        for e in graph.edges():
            config.add_edge_configuration("threshold", e, P_EDGE)
    else:
        model = SIRModel(graph, seed=seed)
        config.add_model_parameter("beta", P_EDGE)
        config.add_model_parameter("gamma", 1.0)
    config.add_model_initial_configuration("Infected", [root])
    model.set_initial_status(config)
    t1 = time.perf_counter()
    # Iteration 0 only reports the initial state; iteration k activates generation k. The engines
    # activate generation k on day k, so `days` iterations cover the same generations 0..days-1.
    model.iteration_bunch(days, node_status=False, progress_bar=False)
    t2 = time.perf_counter()
    size = sum(1 for s in model.status.values() if s != 0)
    return {"setup_s": t1 - t0, "run_s": t2 - t1, "size": size, "people": people}


def machine() -> str:
    return _machine.machine("mesa")


def have_ndlib() -> str | None:
    try:
        import ndlib
    except ImportError:
        return None
    from importlib.metadata import version

    del ndlib
    return version("ndlib")


LABELS = {"fast": "viralsim fast engine", "reference": "viralsim reference engine (Mesa, per agent)",
          "ndlib_ic": "NDlib IndependentCascadesModel", "ndlib_sir": "NDlib SIRModel (gamma = 1)",
          "fast_market": "viralsim fast engine, full market",
          "reference_market": "viralsim reference engine, full market"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[5000], help="people in the friend-circle graph")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3, help="runs per case (median time; seeds 1..repeats)")
    ap.add_argument("--reference-max", type=int, default=20_000,
                    help="skip the (slow) reference engine above this many people")
    ap.add_argument("--market", action="store_true",
                    help="also time both engines on the full spam + community market (no NDlib equivalent)")
    ap.add_argument("--child", nargs=4, metavar=("CASE", "N", "DAYS", "SEED"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        case, n, d, s = args.child
        print(json.dumps(child(case, int(n), int(d), int(s))))
        return 0
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    ndlib_version = have_ndlib()
    cases = ["fast", "reference"] + (["ndlib_ic", "ndlib_sir"] if ndlib_version else [])
    print(f"date: {time.strftime('%Y-%m-%d')}")
    print(f"machine: {machine()}" + (f"; NDlib {ndlib_version}" if ndlib_version else ""))
    print(f"command: python benchmarks/bench_peers.py --n {' '.join(map(str, args.n))} --days {args.days} "
          f"--repeats {args.repeats}"
          + (f" --reference-max {args.reference_max}" if args.reference_max != 20_000 else "")
          + (" --market" if args.market else ""))
    if not ndlib_version:
        print("NDlib is not installed (pip install ndlib six, or the 'bench' extra): timing the engines only.")
    print(f"workload: independent cascade, p = {P_EDGE}, one root (the best-connected person), "
          f"{args.days} days; median of {args.repeats} runs" + ("; 'full market' rows: the spam + community "
          "market with every rule active (final size = purchases), compared with the fast engine on it"
                                                              if args.market else "") + "\n")
    print("| implementation | people | days | setup (s) | run (s) | agent-steps/s | fast engine is × faster (run) "
          "| × faster (setup + run) | mean final size |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.n:
        res = {}
        todo = cases + (["fast_market", "reference_market"] if args.market else [])
        for case in todo:
            if case.startswith("reference") and n > args.reference_max:
                continue
            runs = []
            for r in range(args.repeats):
                out = subprocess.run([sys.executable, __file__, "--child", case, str(n), str(args.days), str(r + 1)],
                                     capture_output=True, text=True, env=env, check=True)
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            res[case] = {
                "setup_s": statistics.median(x["setup_s"] for x in runs),
                "run_s": statistics.median(x["run_s"] for x in runs),
                "size": statistics.mean(x["size"] for x in runs),
                "people": runs[0]["people"],
            }
        for case in todo:
            if case not in res:
                continue
            r = res[case]
            fast = res["fast_market"] if case.endswith("_market") else res["fast"]
            speed = r["people"] * args.days / r["run_s"]
            ratio_run = r["run_s"] / fast["run_s"]
            ratio_all = (r["setup_s"] + r["run_s"]) / (fast["setup_s"] + fast["run_s"])
            print(f"| {LABELS[case]} | {r['people']:,} | {args.days} | {r['setup_s']:.3f} | {r['run_s']:.3f} | "
                  f"{speed:,.0f} | {ratio_run:.1f} | {ratio_all:.1f} | {r['size']:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
