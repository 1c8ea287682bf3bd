"""The "Typical outcomes of the presets" table of docs/model.md §4.

Each preset alone in a 3,000-person friend-circle market, 180 days, all defaults, mean over
seeds 0-4. Prints the Markdown table; paste it into docs/model.md after a model change.

Usage: python tools/presets_table.py [--seeds 5]
"""

from __future__ import annotations

import argparse

import numpy as np

from viralsim.config.schema import RunConfig
from viralsim.model import simulate

PRESETS = ("spam", "broadcast", "fission", "group_buy", "stock_loading", "kol", "big_v", "service_first",
           "community")
COLUMNS = ("preset", "sales14", "sales", "profit", "customers", "followers", "WOM sales", "lost (day 51)",
           "lost (end)", "trust", "p99")


def outcomes(preset: str, seed: int) -> list[float]:
    config = RunConfig.model_validate({"days": 180, "seed": seed, "network": {"kind": "friend_circles", "n": 3000},
                                       "sellers": {preset: {"strategy": preset}}})
    r = simulate(config)
    d, s = r.daily, r.summary.iloc[0]
    day51 = d[d.day == 51].iloc[0]
    lost51 = (day51.muted + day51.blocked) / day51.contacts if day51.contacts > 0 else 0.0
    sizes = r.cascade_sizes["size"].to_numpy()
    return [d.purchases[d.day <= 14].sum(), s.purchases, s.revenue - s.cost, s.customers, s.followers_end,
            s.purchases_wom, lost51, s.muted_blocked_share, s.mean_trust_end,
            float(np.percentile(sizes, 99)) if len(sizes) else 0.0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    print("| " + " | ".join(COLUMNS) + " |")
    print("|---|" + "---:|" * (len(COLUMNS) - 1))
    for preset in PRESETS:
        m = np.mean([outcomes(preset, seed) for seed in range(args.seeds)], axis=0)
        cells = [f"{m[0]:.1f}", f"{m[1]:,.0f}", f"{m[2]:,.0f}".replace("-", "−"), f"{m[3]:,.0f}", f"{m[4]:,.0f}",
                 f"{m[5]:,.0f}", f"{m[6]:.2f}", f"{m[7]:.2f}", f"{m[8]:.2f}", f"{m[9]:.1f}"]
        print(f"| {preset} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
