"""Statistics across replicates: n, mean, standard deviation and 95 % confidence intervals.

BehaviorSpace's "stats" output, in long form: one row per group (e.g. scenario x design
point x seller x day) and metric. The confidence interval of the mean is Student's t:
``mean +/- t(0.975, n-1) * std / sqrt(n)`` (NaN for n < 2). Every function takes and returns
plain pandas DataFrames, so the same code serves a results folder and a DataFrame built in
Python; groups are sorted, so equal input gives byte-identical output. An experiment's results
folder stores them (``stats.parquet``, ``summary_stats.csv``; :mod:`viralsim.results.sweep_folder`)
and its HTML report shows them (:mod:`viralsim.analysis.report`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from scipy.special import stdtrit  # Student's t quantile (what scipy.stats.t.ppf calls), lighter to import

__all__ = ["ci_stats", "run_stats", "summary_stats", "metric_columns", "ID_COLUMNS"]

#: columns that identify runs and rows rather than measure anything
ID_COLUMNS = ("run", "run_id", "scenario", "point", "replicate", "seed", "day", "seller", "strategy",
              "status", "error", "traceback", "stopped")

STAT_COLUMNS = ("n", "mean", "std", "ci_low", "ci_high")


def metric_columns(df: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """Numeric columns of ``df`` that are measurements (not ids, not factors in ``exclude``)."""
    skip = set(ID_COLUMNS) | set(exclude)
    return [c for c in df.columns if c not in skip and not str(c).startswith("u:")
            and is_numeric_dtype(df[c]) and not is_bool_dtype(df[c])]


def ci_stats(df: pd.DataFrame, by: Sequence[str], metrics: Sequence[str] | None = None,
             conf: float = 0.95) -> pd.DataFrame:
    """Per-group n, mean, std and confidence interval of each metric, in long form.

    Parameters
    ----------
    df : DataFrame
        One row per observation (e.g. per run x day x seller).
    by : sequence of str
        Grouping columns.
    metrics : sequence of str, optional
        Columns to summarise; default :func:`metric_columns` of ``df`` without ``by``.
    conf : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    DataFrame
        Columns ``*by, metric, n, mean, std, ci_low, ci_high``; ``n`` counts non-missing values.
        Sorted by ``by`` then metric (in the order given).
    """
    by = list(by)
    metrics = list(metrics) if metrics is not None else metric_columns(df, exclude=by)
    if not metrics or len(df) == 0:
        return pd.DataFrame(columns=[*by, "metric", *STAT_COLUMNS])
    values = df[by + metrics].copy()
    for m in metrics:
        values[m] = values[m].astype("float64")
    grouped = values.groupby(by, sort=True, dropna=False)[metrics]
    n = grouped.count()
    mean = grouped.mean()
    std = grouped.std(ddof=1)
    long = pd.DataFrame({
        "n": n.stack(future_stack=True).astype("int64"),
        "mean": mean.stack(future_stack=True),
        "std": std.stack(future_stack=True),
    })
    long.index = long.index.set_names([*by, "metric"])
    long = long.reset_index()
    counts = long["n"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(counts > 1, stdtrit(np.maximum(counts - 1, 1), 0.5 + conf / 2), np.nan)
        half = t * long["std"].to_numpy() / np.sqrt(counts)
    long["ci_low"] = long["mean"] - half
    long["ci_high"] = long["mean"] + half
    long["metric"] = long["metric"].astype("str")
    return long


def run_stats(table: pd.DataFrame, factors: Sequence[str] = (), *, pooled: bool = False,
              metrics: Sequence[str] | None = None, conf: float = 0.95) -> pd.DataFrame:
    """Stats of the long time-series table across replicates.

    Groups are scenario x design point (with its factor values) x seller x day; with
    ``pooled=True`` design points are pooled (scenario x seller x day), which is what a
    sampled design (LHS, Sobol, ...) with one replicate per point calls for.
    """
    factors = [f for f in factors if f in table.columns]
    keys = ["scenario"] + ([] if pooled else ["point", *factors]) + ["seller", "day"]
    keys = [k for k in keys if k in table.columns]
    metrics = metrics if metrics is not None else metric_columns(table, exclude=[*keys, *factors])
    return ci_stats(table, keys, metrics, conf=conf)


def summary_stats(summary: pd.DataFrame, factors: Sequence[str] = (), *, pooled: bool = False,
                  metrics: Sequence[str] | None = None, conf: float = 0.95) -> pd.DataFrame:
    """Stats of the per-run summary (end-of-run KPIs) across replicates.

    Groups are scenario x design point (with its factor values) x seller, or scenario x seller
    with ``pooled=True``.
    """
    factors = [f for f in factors if f in summary.columns]
    keys = ["scenario"] + ([] if pooled else ["point", *factors]) + ["seller"]
    keys = [k for k in keys if k in summary.columns]
    metrics = metrics if metrics is not None else metric_columns(summary, exclude=[*keys, *factors, "days_run"])
    return ci_stats(summary, keys, metrics, conf=conf)
