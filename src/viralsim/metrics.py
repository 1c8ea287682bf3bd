"""Run outputs: daily time series per seller, market series, per-run summary, cascades.

The engine records one row of counters per day and seller (see ``DAILY_COLUMNS``); everything
else here is a pure function of those rows, so the same summary can be recomputed from a stored
time series without re-running the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from viralsim.config.schema import RunConfig
from viralsim.model.outputs import CHANNELS, STOCK_COLUMNS
from viralsim.model.outputs import MARKET_COLUMNS as MARKET_COLUMNS  # (re-exported: a run table's columns)

#: per (day, seller) columns; flows are "today", stocks are end-of-day values
DAILY_COLUMNS = (
    "posts",             # posts published today
    "posts_folded",      # marketing posts the platform folded today (flow)
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
    "new_followers",     # consumers without a tie who added the seller today (flow; rules.follow)
    "ties_strengthened", # contacts whose tie moved up a step today (flow; rules.bonds)
    "ties_weakened",     # contacts whose tie moved down a step today (flow; rules.bonds)
    "strong_ties",       # followers with a strong tie (stock)
    "weak_ties",         # followers with a weak tie (stock)
    "ties_broken",       # contacts who blocked the seller after a bad purchase today (flow; rules.settle)
    "groups_opened",     # group-buys opened today (flow; rules.groupbuy)
    "groups_filled",     # group-buys that reached their size today and sold (flow)
    "groups_failed",     # group-buys that closed unfilled today (flow)
    "wom_positive",      # recommendations sent (flow)
    "wom_negative",      # warnings sent (flow)
    "enquiries",         # enquiries received (flow)
    "replies",           # enquiries answered (flow)
    "group_members",     # stock
    "resellers",         # stock
    "reseller_stock",    # units held by the seller's resellers, loaded ones included (stock; rules.resell)
    "reseller_depth",    # deepest level among the seller's resellers (stock; rules.resell)
    "commission",        # commission paid to resellers today, part of the cost (flow, yuan; rules.resell)
    "loaded_resellers",  # resellers who quit today with stock that would not sell (flow; rules.resell)
    "forwards",          # the seller's posts consumers forwarded to their Moments today (flow; rules.forward)
    "forwards_read",     # friends' forwards of the seller's posts read today (flow; rules.forward)
    "brand",             # the seller's personal brand in [0, 1] (stock; rules.bigv: 1 but for big-V sellers)
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
    groups : DataFrame, one row per (day, grouping, group), columns ``day, by, group, sellers`` +
        DAILY_COLUMNS: the sellers of each population (``by`` = "population") and of each strategy
        preset (``by`` = "strategy") together: counts and flows summed, mean trust and annoyance
        over all their contacts, brand the mean of the sellers' weighted by their contacts (see
        :func:`group_block`)
    """

    config: RunConfig
    daily: pd.DataFrame
    market: pd.DataFrame
    summary: pd.DataFrame
    cascades: pd.DataFrame
    cascade_sizes: pd.DataFrame
    groups: pd.DataFrame = field(default_factory=lambda: group_frame([], [], [], np.zeros(0)))


#: daily columns holding counts of consumers (integers; every other column is a float)
COUNT_COLUMNS = tuple(c for c in STOCK_COLUMNS if not c.startswith("mean_") and c != "brand")


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


_MEANS = [DAILY_COLUMNS.index(c) for c in ("mean_trust", "mean_annoyance", "brand")]
_CONTACTS = DAILY_COLUMNS.index("contacts")


def group_block(block: np.ndarray, ids: np.ndarray, n_groups: int) -> np.ndarray:
    """A (sellers, DAILY_COLUMNS) block, or a (days, sellers, DAILY_COLUMNS) stack of them,
    summed by group day by day: ``ids[s]`` is seller s's group (-1: none). Mean trust and
    annoyance become means over all the group's contacts (each seller's mean weighted by her
    contacts), and so does the brand; NaN for a group without contacts. A stack gives the very same numbers as its
    days one by one (each group's sum visits its sellers in the same order)."""
    stack = block if block.ndim == 3 else block[None]
    n_days = stack.shape[0]
    out = np.zeros((n_days * n_groups, stack.shape[2]))
    keep = ids >= 0
    g = (np.arange(n_days)[:, None] * n_groups + ids[keep][None, :]).ravel()
    b = stack[:, keep].reshape(-1, stack.shape[2])
    bins = n_days * n_groups
    contacts = b[:, _CONTACTS]
    for j in range(stack.shape[2]):
        if j in _MEANS:
            sums = np.bincount(g, np.nan_to_num(b[:, j]) * contacts, bins)
            weight = np.bincount(g, contacts, bins)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[:, j] = np.where(weight > 0, sums / np.where(weight > 0, weight, 1.0), np.nan)
        else:
            out[:, j] = np.bincount(g, b[:, j], bins)
    out = out.reshape(n_days, n_groups, stack.shape[2])
    return out if block.ndim == 3 else out[0]


def grouped(block: np.ndarray, groups) -> np.ndarray:
    """A day's block (or a stack of days, see :func:`group_block`) by the groupings of
    ``groups`` (a ``model.sellers.SellerGroups``): a seller counts in her population (if any)
    and in her strategy preset."""
    ids = np.concatenate([groups.by_population, groups.by_preset])
    return group_block(np.concatenate([block, block], axis=-2), ids, len(groups.labels))


def group_frame(days: list, blocks: list, labels: list, sizes: np.ndarray) -> pd.DataFrame:
    """The ``groups`` table of a RunResult from per-day group blocks; ``labels[g]`` is (by, group)."""
    n_groups = len(labels)
    data = {"day": np.repeat(np.array(days, dtype=np.int64), n_groups),
            "by": np.tile(np.array([b for b, _ in labels], dtype=object), len(days)),
            "group": np.tile(np.array([x for _, x in labels], dtype=object), len(days)),
            "sellers": np.tile(np.asarray(sizes, dtype=np.int64), len(days))}
    stacked = np.concatenate(blocks) if blocks else np.zeros((0, len(DAILY_COLUMNS)))
    for j, c in enumerate(DAILY_COLUMNS):
        data[c] = stacked[:, j].astype(np.int64 if c in COUNT_COLUMNS else np.float64)
    return pd.DataFrame(data)


#: the daily columns a run summary sums over the days, and those it reads on the last day
SUM_COLUMNS = ("revenue", "cost", "purchases_wom", "wom_positive", "wom_negative", "new_followers",
               "ties_strengthened", "ties_weakened", "ties_broken", "groups_opened", "groups_filled", "groups_failed",
               "commission", "loaded_resellers", "forwards", "forwards_read")
LAST_COLUMNS = ("customers", "repeat_customers", "followers", "contacts", "muted", "blocked", "mean_trust",
                "mean_annoyance", "strong_ties", "weak_ties")


@dataclass(frozen=True, eq=False)
class SellerSeries:
    """What a run summary needs of the sellers' days: daily purchases (days, sellers), the sums
    of ``SUM_COLUMNS``, the last day's ``LAST_COLUMNS`` and the most followers, per seller."""

    days: np.ndarray
    purchases: np.ndarray
    sums: dict
    last: dict
    followers_max: np.ndarray

    @classmethod
    def from_daily(cls, daily: pd.DataFrame, names: list) -> SellerSeries:
        """The series of the sellers ``names`` from a daily frame (rows ``day, seller, ...``)."""
        sellers = daily["seller"].to_numpy()
        day = daily["day"].to_numpy()
        days = np.unique(day)
        col = {name: j for j, name in enumerate(names)}
        at = np.searchsorted(days, day)
        who = np.array([col[x] for x in sellers], dtype=np.int64)
        purchases = np.zeros((len(days), len(names)))
        purchases[at, who] = daily["purchases"].to_numpy(dtype=float)
        sums = {c: np.bincount(who, daily[c].to_numpy(dtype=float), len(names)) for c in SUM_COLUMNS}
        last_day = np.full(len(names), -1)
        np.maximum.at(last_day, who, day)
        is_last = day == last_day[who]
        last = {}
        for c in LAST_COLUMNS:
            v = np.full(len(names), np.nan)
            v[who[is_last]] = daily[c].to_numpy(dtype=float)[is_last]
            last[c] = v
        followers_max = np.full(len(names), -np.inf)
        np.maximum.at(followers_max, who, daily["followers"].to_numpy(dtype=float))
        return cls(days, purchases, sums, last, followers_max)


def summarize(daily: pd.DataFrame, sizes: pd.DataFrame, totals: dict, strategies: dict,
              late_window: int = 30) -> pd.DataFrame:
    """Per-seller run KPIs from the daily series, the cascade sizes and breakdown totals.

    ``totals[seller]`` holds summed breakdown arrays from the engine (exposures and
    conversions by tie, WOM messages by tie, purchases by channel).
    """
    names = list(pd.unique(daily["seller"].to_numpy()))
    return summarize_series(names, [strategies[x] for x in names], SellerSeries.from_daily(daily, names),
                            [totals[x] for x in names], sizes, late_window)


def summarize_series(names: list, strategies: list, series: SellerSeries, totals: list, sizes: pd.DataFrame,
                     late_window: int = 30) -> pd.DataFrame:
    """:func:`summarize` from a :class:`SellerSeries` (one row per seller, in ``names`` order):
    the engines keep these few arrays per seller instead of every daily column."""
    rows = []
    size_sellers, size_values = sizes["seller"].to_numpy(), sizes["size"].to_numpy()
    def ratio(a, b):
        return float(a / b) if b > 0 else float("nan")
    by_name = {}
    for j, x in enumerate(size_sellers):
        by_name.setdefault(x, []).append(j)
    for k, name in enumerate(names):
        sales = series.purchases[:, k]
        cum = np.cumsum(sales)
        total = cum[-1] if len(cum) else 0.0
        smooth = pd.Series(sales).rolling(7, min_periods=1).mean().to_numpy()
        peak_i = int(np.argmax(smooth)) if len(smooth) else 0
        late = sales[-late_window:].mean() if len(sales) else 0.0
        last = {c: v[k] for c, v in series.last.items()}
        t = totals[k]
        exp_tie, conv_tie = t["exposures_by_tie"], t["seller_conversions_by_tie"]
        wom_sent, wom_conv = t["wom_sent_by_tie"], t["wom_conversions_by_tie"]
        follows = t["new_followers_by_channel"]
        broken = t["ties_broken_by_tie"]
        sz = size_values[by_name.get(name, [])]
        revenue, cost = series.sums["revenue"][k], series.sums["cost"][k]
        rows.append({
            "seller": name,
            "strategy": strategies[k],
            "purchases": int(total),
            "revenue": float(revenue),
            "cost": float(cost),
            "profit": float(revenue - cost),
            "customers": int(last["customers"]),
            "repeat_customers": int(last["repeat_customers"]),
            "followers_end": int(last["followers"]),
            "followers_max": int(series.followers_max[k]),
            "new_followers": int(series.sums["new_followers"][k]),
            "new_followers_purchase": int(follows[0]),
            "new_followers_referral": int(follows[1]),
            "new_followers_group": int(follows[2]),
            "ties_broken": int(series.sums["ties_broken"][k]),
            "ties_broken_stranger": int(broken[1]),
            "ties_broken_weak": int(broken[2]),
            "ties_broken_strong": int(broken[3]),
            "groups_opened": int(series.sums["groups_opened"][k]),
            "groups_filled": int(series.sums["groups_filled"][k]),
            "groups_failed": int(series.sums["groups_failed"][k]),
            "purchases_group_buy": int(t["channels"][CHANNELS.index("group_buy")]),
            "commission": float(series.sums["commission"][k]),
            "loaded_resellers": int(series.sums["loaded_resellers"][k]),
            "forwards": int(series.sums["forwards"][k]),
            "forwards_read": int(series.sums["forwards_read"][k]),
            "purchases_forward": int(t["channels"][CHANNELS.index("forward")]),
            "contacts": int(last["contacts"]),
            "strong_ties": int(last["strong_ties"]),
            "weak_ties": int(last["weak_ties"]),
            "ties_strengthened": int(series.sums["ties_strengthened"][k]),
            "ties_weakened": int(series.sums["ties_weakened"][k]),
            "buyers_per_follower": ratio(last["customers"], series.followers_max[k]),
            "muted": int(last["muted"]),
            "blocked": int(last["blocked"]),
            "muted_blocked_share": ratio(last["muted"] + last["blocked"], last["contacts"]),
            "mean_trust_end": float(last["mean_trust"]),
            "mean_annoyance_end": float(last["mean_annoyance"]),
            "time_to_half_sales": _first_day_reaching(cum, total / 2.0),
            "peak_day": int(series.days[peak_i]) if len(series.days) else 0,
            "peak_sales": float(smooth[peak_i]) if len(smooth) else 0.0,
            "late_vs_peak": ratio(late, smooth[peak_i]) if len(smooth) else float("nan"),
            "purchases_wom": int(series.sums["purchases_wom"][k]),
            "wom_positive": int(series.sums["wom_positive"][k]),
            "wom_negative": int(series.sums["wom_negative"][k]),
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
