"""Compare the flagship KPIs of two versions of viralsim over many seeds (same model, other draws?).

Usage:
    python tools/compare_engine_versions.py --old <git revision> [--seeds 40] [--config configs/spam_vs_community.yaml]

A new engine may draw its random numbers in another order, so seeded numbers change; the model
must not. This runs the config with seeds 0 .. S-1 (or from ``--first-seed``) on the working tree's code and on the old
revision's code (checked out in a temporary git worktree, run with its own ``src`` on the path,
each version in its own process), then compares every seller's run KPIs between the two samples:
Welch's t test and the Kolmogorov-Smirnov test per KPI, Holm's correction over all of them at a
family-wise error rate of 1 %. Prints a Markdown table (means, difference in standard errors,
p-values) for docs/verification.md, and exits 1 when a KPI differs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KPIS = ("purchases", "revenue", "customers", "repeat_customers", "followers_end", "muted", "blocked",
        "mean_trust_end", "mean_annoyance_end", "purchases_wom", "wom_positive", "wom_negative", "cascades",
        "time_to_half_sales")

_CHILD = """
import json, sys
from viralsim.config.schema import RunConfig
import yaml
data = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
try:
    from viralsim.model import simulate
except ImportError:
    from viralsim.model.mesa_model import simulate
out = []
for seed in range(int(sys.argv[4]), int(sys.argv[4]) + int(sys.argv[2])):
    cfg = RunConfig.model_validate({**data, "seed": seed})
    summary = simulate(cfg).summary
    kpis = json.loads(sys.argv[3])
    out.append({row["seller"]: {k: float(row[k]) for k in kpis} for row in summary.to_dict("records")})
print(json.dumps(out))
"""


def sample(src: Path, config: Path, seeds: int, first: int = 0) -> list[dict]:
    """The KPIs of seeds ``first`` .. ``first + seeds - 1``, computed by the code in ``src`` (one process)."""
    env = {"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    done = subprocess.run([sys.executable, "-c", _CHILD, str(config), str(seeds), json.dumps(KPIS), str(first)],
                          capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def holm(p, alpha: float):
    import numpy as np

    p = np.asarray(p)
    order = np.argsort(p)
    reject = np.zeros(len(p), dtype=bool)
    for rank, i in enumerate(order):
        if p[i] > alpha / (len(p) - rank):
            break
        reject[i] = True
    return reject


def main() -> int:
    import numpy as np
    from scipy import stats

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", required=True, help="git revision of the version to compare with")
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--first-seed", type=int, default=0,
                    help="the first seed (a second sample: --first-seed 40 --seeds 40)")
    ap.add_argument("--config", type=Path, default=ROOT / "configs" / "spam_vs_community.yaml")
    ap.add_argument("--alpha", type=float, default=0.01)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(old), args.old],
                       check=True)
        try:
            t0 = time.time()
            a = sample(old / "src", args.config, args.seeds, args.first_seed)
            b = sample(ROOT / "src", args.config, args.seeds, args.first_seed)
            elapsed = time.time() - t0
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=True)
    rows, pvals = [], []
    for seller in a[0]:
        for k in KPIS:
            x = np.array([run[seller][k] for run in a])
            y = np.array([run[seller][k] for run in b])
            x, y = x[np.isfinite(x)], y[np.isfinite(y)]
            se = np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
            if se == 0:
                p_t = p_ks = 1.0 if x.mean() == y.mean() else 0.0
            else:
                p_t = stats.ttest_ind(x, y, equal_var=False).pvalue
                p_ks = stats.ks_2samp(x, y).pvalue
            rows.append((seller, k, x.mean(), y.mean(), (y.mean() - x.mean()) / se if se > 0 else 0.0, p_t, p_ks))
            pvals += [p_t, p_ks]
    reject = holm(pvals, args.alpha)
    shown = args.config.relative_to(ROOT) if args.config.is_relative_to(ROOT) else args.config
    print(f"date: {time.strftime('%Y-%m-%d')}; command: python tools/compare_engine_versions.py --old {args.old} "
          f"--seeds {args.seeds} --first-seed {args.first_seed} --config {shown} ({elapsed:.0f} s)\n")
    print(f"| seller | KPI | old mean | new mean | difference (SE) | p (Welch) | p (KS) | differs at {args.alpha:g} "
          "(Holm) |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for j, (seller, k, ma, mb, d, p_t, p_ks) in enumerate(rows):
        flag = "**yes**" if reject[2 * j] or reject[2 * j + 1] else "no"
        print(f"| {seller} | {k} | {ma:.4g} | {mb:.4g} | {d:+.2f} | {p_t:.3f} | {p_ks:.3f} | {flag} |")
    return 1 if reject.any() else 0


if __name__ == "__main__":
    sys.exit(main())
