"""Run outputs: daily time series per seller, market series, per-run summary, cascades.

The engine records one row of counters per day and seller (see ``DAILY_COLUMNS``); everything
else here is a pure function of those rows, so the same summary can be recomputed from a stored
time series without re-running the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from viralsim.config.schema import RunConfig
from viralsim.model.outputs import MARKET_COLUMNS, STOCK_COLUMNS

#: per (day, seller) columns; flows are "today", stocks are end-of-day values
DAILY_COLUMNS = (
    "posts",             # posts published today
    "exposures_ad",      # seen posts by content type (flow)
    "exposures_value",
    "exposures_life",
    "exposures_prize",
    "exposures_reseller",  # resellers' ads seen (flow)
    "messages_sent",     # direct messages sent (flow)
    "reach",             # distinct consumers who saw anything from the seller today
    "aware",             # consumers who know the seller (stock)
    "interested",        # aware, not blocked, trust >= interest threshold (stock)
    "customers",         # consumers with >= 1 purchase (stock)
    "repeat_customers",  # consumers with >= 2 purchases (stock)
    "purchases",         # purchases today (flow)
    "purchases_wom",     # purchases attributed to a friend's recommendation (flow)
    "revenue",           # flow, yuan
    "cost",              # flow, yuan (unit costs + action costs + commissions + KOL gifts);
                         #   referral discounts are taken off revenue instead
    "mean_trust",        # mean trust over the seller's contacts, blocked ones included (stock)
    "mean_annoyance",    # mean annoyance over the same contacts (stock)
    "followers",         # contacts not blocked (stock)
    "contacts",          # consumers ever tied to the seller, blocked ones included (stock)
    "muted",             # contacts who hide the seller's Moments (stock)
    "blocked",           # consumers who blocked/unfriended the seller (stock)
    "wom_positive",      # recommendations sent (flow)
    "wom_negative",      # warnings sent (flow)
    "enquiries",         # enquiries received (flow)
    "replies",           # enquiries answered (flow)
    "group_members",     # stock
    "resellers",         # stock
)

@dataclass(frozen=True, eq=False)
class RunResult:
    """Everything one run produced.

    Attributes
    ----------
    config : the resolved RunConfig (seed included)
    daily : DataFrame, one row per (day, seller), columns ``day, seller`` + DAILY_COLUMNS
    market : DataFrame, one row per day, columns ``day`` + MARKET_COLUMNS
    summary : DataFrame, one row per seller (see :func:`summarize`)
    cascades : DataFrame with columns ``seller, parent, child, day`` (empty unless traced):
        each row is a purchase caused by a friend's recommendation (who converted whom)
    cascade_sizes : DataFrame with columns ``seller, root, size``: buyers per referral tree
    """

    config: RunConfig
    daily: pd.DataFrame
    market: pd.DataFrame
    summary: pd.DataFrame
    cascades: pd.DataFrame
    cascade_sizes: pd.DataFrame


#: daily columns holding counts of consumers (integers; every other column is a float)
COUNT_COLUMNS = tuple(c for c in STOCK_COLUMNS if not c.startswith("mean_"))


def cascade_sizes(state, seller_names) -> pd.DataFrame:
    """Buyers per referral tree: one row per (seller, root) with at least one buyer."""
    rel, m = state.rel, state.n_relations
    bought = (rel.purchases[:m] > 0) & (rel.root[:m] >= 0)
    seller, root = rel.seller[:m][bought].astype(np.int64), rel.root[:m][bought].astype(np.int64)
    frames = []
    for s, name in enumerate(seller_names):
        ids, size = np.unique(root[seller == s], return_counts=True)
        frames.append(pd.DataFrame({"seller": name, "root": ids.astype(np.int64), "size": size.astype(np.int64)}))
    return pd.concat(frames, ignore_index=True)


def _first_day_reaching(cum: np.ndarray, level: float) -> float:
    hit = np.flatnonzero(cum >= level)
    return float(hit[0] + 1) if len(hit) and level > 0 else float("nan")


def summarize(daily: pd.DataFrame, sizes: pd.DataFrame, totals: dict, strategies: dict,
              late_window: int = 30) -> pd.DataFrame:
    """Per-seller run KPIs from the daily series, the cascade sizes and breakdown totals.

    ``totals[seller]`` holds summed breakdown arrays from the engine (exposures and
    conversions by tie, WOM messages by tie, purchases by channel).
    """
    rows = []
    sellers = daily["seller"].to_numpy()
    days = daily["day"].to_numpy()
    needed = ("purchases", "revenue", "cost", "customers", "repeat_customers", "followers", "contacts",
              "muted", "blocked", "mean_trust", "mean_annoyance", "purchases_wom", "wom_positive", "wom_negative")
    # Plain arrays per seller (sorted by day): pandas per-column calls would cost more than the sums.
    columns = {c: daily[c].to_numpy() for c in needed}
    size_sellers, size_values = sizes["seller"].to_numpy(), sizes["size"].to_numpy()
    for name in pd.unique(sellers):
        mine = np.flatnonzero(sellers == name)
        mine = mine[np.argsort(days[mine], kind="stable")]
        g = {c: v[mine] for c, v in columns.items()}
        g_day = days[mine]
        sales = g["purchases"].astype(float)
        cum = np.cumsum(sales)
        total = cum[-1] if len(cum) else 0.0
        smooth = pd.Series(sales).rolling(7, min_periods=1).mean().to_numpy()
        peak_i = int(np.argmax(smooth)) if len(smooth) else 0
        late = sales[-late_window:].mean() if len(sales) else 0.0
        last = {c: v[-1] for c, v in g.items()}
        t = totals[name]
        exp_tie, conv_tie = t["exposures_by_tie"], t["seller_conversions_by_tie"]
        wom_sent, wom_conv = t["wom_sent_by_tie"], t["wom_conversions_by_tie"]
        ratio = lambda a, b: float(a / b) if b > 0 else float("nan")
        sz = size_values[size_sellers == name]
        revenue, cost = g["revenue"].sum(), g["cost"].sum()
        rows.append({
            "seller": name,
            "strategy": strategies[name],
            "purchases": int(total),
            "revenue": float(revenue),
            "cost": float(cost),
            "profit": float(revenue - cost),
            "customers": int(last["customers"]),
            "repeat_customers": int(last["repeat_customers"]),
            "followers_end": int(last["followers"]),
            "followers_max": int(g["followers"].max()),
            "contacts": int(last["contacts"]),
            "buyers_per_follower": ratio(last["customers"], g["followers"].max()),
            "muted": int(last["muted"]),
            "blocked": int(last["blocked"]),
            "muted_blocked_share": ratio(last["muted"] + last["blocked"], last["contacts"]),
            "mean_trust_end": float(last["mean_trust"]),
            "mean_annoyance_end": float(last["mean_annoyance"]),
            "time_to_half_sales": _first_day_reaching(cum, total / 2.0),
            "peak_day": int(g_day[peak_i]) if len(g_day) else 0,
            "peak_sales": float(smooth[peak_i]) if len(smooth) else 0.0,
            "late_vs_peak": ratio(late, smooth[peak_i]) if len(smooth) else float("nan"),
            "purchases_wom": int(g["purchases_wom"].sum()),
            "wom_positive": int(g["wom_positive"].sum()),
            "wom_negative": int(g["wom_negative"].sum()),
            "conv_per_exposure_strong": ratio(conv_tie[3], exp_tie[3]),
            "conv_per_exposure_weak": ratio(conv_tie[2], exp_tie[2]),
            "conv_per_exposure_stranger": ratio(conv_tie[1], exp_tie[1]),
            "wom_conv_strong": ratio(wom_conv[1], wom_sent[1]),
            "wom_conv_weak": ratio(wom_conv[0], wom_sent[0]),
            "cascades": len(sz),
            "cascade_median": float(np.median(sz)) if len(sz) else float("nan"),
            "cascade_p99": float(np.percentile(sz, 99)) if len(sz) else float("nan"),
            "cascade_max": int(sz.max()) if len(sz) else 0,
        })
    return pd.DataFrame(rows)
