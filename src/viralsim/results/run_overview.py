"""Human-readable views of one run: an overview figure and a fixed-width summary table.

Both read only the tables and the config of a :class:`~viralsim.metrics.RunResult`, so they
work the same on a result fresh from the engine and on one rebuilt from a results folder.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from viralsim.metrics import RunResult

__all__ = ["plot_run", "summary_table", "lost_share"]

#: rolling window (days) that smooths daily purchases, whose day-to-day noise hides the trend
ROLLING_DAYS = 7


def lost_share(daily: pd.DataFrame) -> pd.Series:
    """Share of contacts ever reached who muted or blocked the seller.

    Parameters
    ----------
    daily : DataFrame
        Rows of the daily table (``muted``, ``blocked``, ``followers`` columns).

    Returns
    -------
    Series
        ``(muted + blocked) / contacts`` row by row, where ``contacts`` counts every consumer
        ever tied to the seller; NaN where the seller has no contacts yet. Tables without a
        ``contacts`` column use ``followers + blocked``: blocked consumers are no longer
        followers, so they are added back to count every contact the seller ever had.
    """
    contacts = daily["contacts"] if "contacts" in daily else daily["followers"] + daily["blocked"]
    return (daily["muted"] + daily["blocked"]) / contacts.where(contacts > 0)


def plot_run(result: RunResult, path: str | Path) -> Path:
    """Draw the overview figure of a run as a PNG.

    Six panels over days, one line per seller: daily purchases (7-day rolling mean over the
    faint raw series), cumulative purchases, mean trust, share of contacts lost to muting or
    blocking (see :func:`lost_share`), mean annoyance; and the market's platform activity with
    the commercial share of feeds.

    Parameters
    ----------
    result : RunResult
        The run to draw.
    path : str or Path
        PNG file to write.

    Returns
    -------
    Path
        ``path``.

    Notes
    -----
    The figure is a bare :class:`matplotlib.figure.Figure` on an Agg canvas rather than a
    pyplot figure, so nothing is registered in pyplot's global figure list: repeated calls
    (a sweep drawing thousands of runs) neither leak memory nor depend on the backend chosen
    by the environment.
    """
    # lazy: matplotlib takes ~0.5 s to import; `run --no-plot` and summary_table do without it
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    path = Path(path)
    daily = result.daily
    sellers = _sellers(result)
    # Fixed margins instead of constrained layout: the layout engine doubles the drawing time.
    fig = Figure(figsize=(15, 8.5))
    fig.subplots_adjust(left=0.05, right=0.985, bottom=0.07, top=0.86, wspace=0.22, hspace=0.28)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 3, sharex=True)
    colors = [f"C{i % 10}" for i in range(len(sellers))]

    panels = [
        (axes[0, 0], "Daily purchases", "purchases per day", None),
        (axes[0, 1], "Cumulative purchases", "purchases", None),
        (axes[0, 2], "Mean trust in the seller", "trust (0-1)", (0, 1)),
        (axes[1, 0], "Contacts lost: muted or blocked", "share of contacts ever reached", (0, 1)),
        (axes[1, 1], "Mean annoyance with the seller", "annoyance", None),
    ]
    for seller, color in zip(sellers, colors):
        rows = daily[daily["seller"] == seller].sort_values("day")
        day = rows["day"].to_numpy()
        purchases = rows["purchases"].astype(float)
        axes[0, 0].plot(day, purchases.to_numpy(), color=color, alpha=0.25, linewidth=0.8)
        smooth = purchases.rolling(ROLLING_DAYS, min_periods=1).mean()
        axes[0, 0].plot(day, smooth.to_numpy(), color=color, linewidth=1.8, label=str(seller))
        axes[0, 1].plot(day, purchases.cumsum().to_numpy(), color=color, label=str(seller))
        axes[0, 2].plot(day, rows["mean_trust"].to_numpy(), color=color)
        axes[1, 0].plot(day, lost_share(rows).to_numpy(), color=color)
        axes[1, 1].plot(day, rows["mean_annoyance"].to_numpy(), color=color)
    for ax, title, ylabel, ylim in panels:
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        if ylim is not None:
            ax.set_ylim(ylim[0] - 0.02, ylim[1] + 0.02)  # lines at 0 or 1 stay visible
    axes[0, 0].set_title(f"Daily purchases ({ROLLING_DAYS}-day mean over daily counts)")

    market = result.market.sort_values("day")
    ax = axes[1, 2]
    ax.plot(market["day"].to_numpy(), market["platform_activity"].to_numpy(), color="0.2", label="platform activity")
    if "commercial_share" in market:
        ax.plot(
            market["day"].to_numpy(),
            market["commercial_share"].to_numpy(),
            color="0.55",
            linestyle="--",
            label="commercial share of feeds",
        )
    ax.set_title("Market: consumers' platform activity")
    ax.set_ylabel("mean over consumers (0-1)")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="best", fontsize="small", frameon=False)

    for ax in axes[1]:
        ax.set_xlabel("day")
    for ax in axes.flat:
        ax.grid(True, alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))

    handles, labels = axes[0, 1].get_legend_handles_labels()
    if handles:
        fig.legend(
            handles, labels, loc="upper right", bbox_to_anchor=(0.985, 0.995), title="seller", ncols=min(len(labels), 6)
        )
    config = result.config
    fig.suptitle(
        f"{config.name}: {len(sellers)} seller(s), {config.days} days, seed {config.seed}",
        x=0.05,
        y=0.975,
        ha="left",
        fontsize="x-large",
    )
    fig.savefig(path, format="png", dpi=100)
    return path


def summary_table(result: RunResult) -> str:
    """A short fixed-width table of the run, one row per seller.

    Parameters
    ----------
    result : RunResult
        The run to summarise.

    Returns
    -------
    str
        Columns: seller, strategy, sales (purchases), revenue and profit (yuan), customers, followers at
        the end, share of contacts muted or blocked at the end, mean trust at the end and the
        peak day of the 7-day mean of daily purchases. Values come from ``result.summary``
        (see :func:`viralsim.metrics.summarize`); a value the summary lacks is computed from the
        daily table with the same definition.
    """
    header = ("seller", "strategy", "sales", "revenue", "profit", "customers", "followers", "lost", "trust", "peak day")
    rows = [header]
    for seller in _sellers(result):
        v = _seller_values(result, seller)
        rows.append(
            (
                str(seller),
                str(v["strategy"]),
                _compact(v["sales"]),
                _compact(v["revenue"]),
                _compact(v["profit"]),
                _compact(v["customers"]),
                _compact(v["followers"]),
                _percent(v["lost"]),
                _fixed(v["trust"]),
                _compact(v["peak_day"]),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for r in rows:
        cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1])] + [c.rjust(w) for c, w in zip(r[2:], widths[2:])]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    # One note line (starting "lost =") under the table: readers and tests take every other line
    # below the header as a seller's row.
    note = ("lost = muted or blocked, as a share of contacts ever reached; trust = mean trust at the end; "
            "revenue and profit in yuan, profit after unit, action and commission costs")
    return "\n".join(lines + [note])


# ---------------------------------------------------------------------------------------------

#: summary column names accepted for each table value, most specific first
_SUMMARY_NAMES = {
    "strategy": ("strategy",),
    "sales": ("sales", "purchases", "total_purchases"),
    "revenue": ("revenue", "total_revenue"),
    "profit": ("profit",),
    "customers": ("customers", "customers_end", "final_customers"),
    "followers": ("followers_end", "final_followers", "followers"),
    "lost": ("lost_share", "muted_blocked_share", "muted_or_blocked_share", "final_lost_share"),
    "trust": ("mean_trust_end", "final_mean_trust", "trust_end", "mean_trust"),
    "peak_day": ("peak_day",),
}


def _sellers(result: RunResult) -> list:
    """Sellers in config order, then any others the tables mention."""
    names = list(result.config.sellers)
    seen = set(names)
    for name in result.daily["seller"].unique().tolist() if len(result.daily) else []:
        if name not in seen:
            names.append(name)
            seen.add(name)
    return names


def _seller_values(result: RunResult, seller: Any) -> dict[str, Any]:
    summary = result.summary
    row = None
    if len(summary):
        if "seller" in summary.columns:
            match = summary[summary["seller"] == seller]
        else:
            match = summary[summary.index == seller]
        if len(match):
            row = match.iloc[0]
    values = {}
    for key, names in _SUMMARY_NAMES.items():
        found = next((n for n in names if row is not None and n in row.index), None)
        values[key] = row[found] if found is not None else None
    missing = [k for k, v in values.items() if v is None]
    if missing:
        fallback = _from_daily(result, seller)
        for key in missing:
            values[key] = fallback[key]
    return values


def _from_daily(result: RunResult, seller: Any) -> dict[str, Any]:
    rows = result.daily[result.daily["seller"] == seller].sort_values("day")
    spec = result.config.sellers.get(seller)
    out: dict[str, Any] = {"strategy": spec.strategy if spec is not None else ""}
    if len(rows) == 0:
        return out | {k: math.nan for k in _SUMMARY_NAMES if k != "strategy"}
    last = rows.iloc[-1]
    purchases = rows["purchases"]
    out["sales"] = purchases.sum()
    out["revenue"] = rows["revenue"].sum()
    out["profit"] = rows["revenue"].sum() - rows["cost"].sum()
    out["customers"] = last["customers"]
    out["followers"] = last["followers"]
    out["lost"] = lost_share(rows).iloc[-1]
    out["trust"] = last["mean_trust"]
    # Peak of the smoothed series, as in the plot: a single lucky day is not the peak.
    smooth = purchases.astype(float).rolling(ROLLING_DAYS, min_periods=1).mean().to_numpy()
    out["peak_day"] = rows["day"].iloc[int(smooth.argmax())] if purchases.max() > 0 else math.nan
    return out


def _missing(x: Any) -> bool:
    try:
        return x is None or bool(math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def _compact(x: Any) -> str:
    """Numbers in at most ~5 characters: 987, 12.3k, 4.56M; '-' when missing."""
    if _missing(x):
        return "-"
    x = float(x)
    sign = "-" if x < 0 else ""
    a = abs(x)
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= scale * 0.9995:
            digits = 3 - len(str(int(a / scale)))
            return f"{sign}{a / scale:.{max(digits, 0)}f}{suffix}"
    if a == int(a):
        return f"{sign}{int(a)}"
    return f"{sign}{a:.3g}"


def _percent(x: Any) -> str:
    return "-" if _missing(x) else f"{100 * float(x):.1f}%"


def _fixed(x: Any) -> str:
    return "-" if _missing(x) else f"{float(x):.2f}"
