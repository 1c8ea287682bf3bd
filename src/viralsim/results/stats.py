"""Statistics across replicates: n, mean, standard deviation and 95 % confidence intervals.

BehaviorSpace's "stats" output, in long form: one row per group (e.g. scenario x design
point x seller x day) and metric. Every function takes and returns plain pandas DataFrames, so
the same code serves a results folder and a DataFrame built in Python; groups are sorted, so
equal input gives byte-identical output. An experiment's results folder stores them
(``stats.parquet``, ``summary_stats.csv``; :mod:`viralsim.results.sweep_folder`) and its HTML
report shows them (:mod:`viralsim.analysis.report`).

Confidence intervals respect what a metric can be. Student's t interval,
``mean +/- t * std / sqrt(n)`` with ``t = t(0.975, n - 1)``, gives counts negative lower bounds
whenever replicates vary a lot, which they do in word-of-mouth markets; cutting it at 0 would
hide that the interval is wrong, not fix it. So the interval is chosen by the metric's bounds
(:func:`viralsim.results.columns.bounds`, or ``bounds=`` for your own columns):

* no bounds (profit): Student's t interval;
* a lower bound of 0 (counts, money, days): the score interval of a quasi-Poisson mean, the
  means mu with ``(mean - mu)^2 <= t^2 * phi * mu / n``, where ``phi = std^2 / mean`` is the
  dispersion the replicates show (variance proportional to the mean, as for counts);
* bounds 0 and 1 (shares, trust): the Wilson score interval with the same dispersion,
  ``(mean - p)^2 <= t^2 * phi * p (1 - p) / n`` with ``phi = std^2 / (mean (1 - mean))``.

The score intervals solve a quadratic, so they stay within the bounds (strictly inside them
unless the mean sits on one) and are asymmetric near a bound, where the sampling distribution
of the mean is skewed; far from the bounds they approach the t interval, since there
``t^2 * phi * mu / n`` is ``t^2 * std^2 / n``. Other bounds (a, b) are mapped onto these by an
affine change of scale. With fewer than 2 values the interval is NaN; when all replicates
agree it is that value. On simulated Poisson and negative-binomial counts and Beta shares with
3 to 30 replicates they covered the mean 93-96 % of the time, the t interval 88-95 %
(``tests/results/test_stats.py`` checks the nominal rate). Both fall short when a mean near 0
often leaves every replicate at 0 (Poisson mean 0.5, 3 replicates: 74 %): such a group's
interval is [0, 0].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from scipy.special import stdtrit  # Student's t quantile (what scipy.stats.t.ppf calls), lighter to import

from viralsim.results import columns

__all__ = ["ci_stats", "run_stats", "summary_stats", "metric_columns", "interval", "dictionary_bounds", "ID_COLUMNS"]

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
             conf: float = 0.95, bounds: Mapping[str, tuple[float | None, float | None]] | None = None) -> pd.DataFrame:
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
    bounds : mapping of metric to (low, high), optional
        What values each metric can take (None: unbounded on that side); the interval stays
        within them (see the module docstring). Metrics not given are unbounded: Student's t.

    Returns
    -------
    DataFrame
        Columns ``*by, metric, n, mean, std, ci_low, ci_high``; ``n`` counts non-missing values.
        Sorted by ``by`` then metric (in the order given).

    Raises
    ------
    ValueError
        If ``conf`` is not in (0, 1), or a metric has a value outside its bounds.
    """
    if not 0 < conf < 1:
        raise ValueError(f"conf = {conf!r}: the confidence level must be between 0 and 1 (e.g. 0.95)")
    by = list(by)
    bounds = dict(bounds or {})
    metrics = list(metrics) if metrics is not None else metric_columns(df, exclude=by)
    if not metrics or len(df) == 0:
        return pd.DataFrame(columns=[*by, "metric", *STAT_COLUMNS])
    values = df[by + metrics].copy()
    for m in metrics:
        values[m] = values[m].astype("float64")
        _check_bounds(values[m], m, bounds.get(m, (None, None)))
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
    low = np.full(len(long), np.nan)
    high = np.full(len(long), np.nan)
    metric = long["metric"].to_numpy()
    for m in metrics:
        rows = metric == m
        low[rows], high[rows] = interval(long["mean"].to_numpy()[rows], long["std"].to_numpy()[rows],
                                         long["n"].to_numpy()[rows], conf, bounds.get(m, (None, None)))
    long["ci_low"] = low
    long["ci_high"] = high
    long["metric"] = long["metric"].astype("str")
    return long


def _check_bounds(values: pd.Series, metric: str, bounds: tuple[float | None, float | None]) -> None:
    """A value outside the bounds means the bounds are wrong for this column: say so rather than
    compute an interval that assumes them."""
    lo, hi = bounds
    outside = pd.Series(False, index=values.index)
    if lo is not None:
        outside |= values < lo
    if hi is not None:
        outside |= values > hi
    if outside.any():
        shown = f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"
        bad = float(values[outside].iloc[0])
        raise ValueError(f"metric {metric!r} has the value {bad:g}, outside its bounds {shown} (its entry in "
                         "viralsim.results.columns, or the bounds= given); pass other bounds for this column")


def interval(mean: np.ndarray, std: np.ndarray, n: np.ndarray, conf: float = 0.95,
             bounds: tuple[float | None, float | None] = (None, None)) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of the mean of ``n`` values with sample ``mean`` and ``std`` (ddof 1),
    within ``bounds`` (see the module docstring for the method); NaN where ``n < 2``.

    Parameters
    ----------
    mean, std, n : array-like
        Per group: the mean, the standard deviation and the number of values.
    conf : float
        Confidence level.
    bounds : (low, high)
        What the values can be; None: unbounded on that side.

    Returns
    -------
    (low, high) : arrays of float
    """
    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(n > 1, stdtrit(np.maximum(n - 1, 1), 0.5 + conf / 2), np.nan)
        h2 = t * t * std * std / n          # the squared half-width of Student's t interval
        lo, hi = bounds
        if lo is None and hi is None:
            half = np.sqrt(h2)
            return mean - half, mean + half
        if hi is None:                      # [lo, inf): counts above lo
            low, high = _quasi_poisson(mean - lo, h2)
            return low + lo, high + lo
        if lo is None:                      # (-inf, hi]: mirrored
            low, high = _quasi_poisson(hi - mean, h2)
            return hi - high, hi - low
        width = hi - lo                     # [lo, hi]: shares of the width
        low, high = _wilson((mean - lo) / width, h2 / (width * width))
        return lo + low * width, lo + high * width


def _quasi_poisson(m: np.ndarray, h2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Roots of ``(m - mu)^2 = h2 * mu / m`` (phi = std^2 / m, so ``t^2 phi mu / n = h2 mu / m``).
    The product of the roots is m^2, so the lower one is taken as m^2 / upper: no cancellation.
    A mean of 0 (every value 0) gives [0, 0]."""
    b = m + h2 / (2 * np.where(m > 0, m, 1.0))
    upper = b + np.sqrt(np.maximum(b * b - m * m, 0.0))
    lower = m * m / np.where(upper > 0, upper, 1.0)
    inside = m > 0
    nan = np.isnan(h2) | np.isnan(m)
    return (np.where(nan, np.nan, np.where(inside, lower, 0.0)),
            np.where(nan, np.nan, np.where(inside, upper, 0.0)))


def _wilson(p: np.ndarray, h2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Wilson's interval with ``c = t^2 phi / n = h2 / (p (1 - p))`` in place of ``z^2 / n``;
    a mean on a bound (every value on it) gives that bound."""
    inside = (p > 0) & (p < 1)
    var = np.where(inside, p * (1 - p), 1.0)
    c = h2 / var
    centre = (p + c / 2) / (1 + c)
    half = np.sqrt(c * var + c * c / 4) / (1 + c)
    nan = np.isnan(h2) | np.isnan(p)
    # Inside [0, 1] exactly (the lower root is p^2 / ((1 + c) * upper) >= 0); clip only rounding.
    return (np.where(nan, np.nan, np.where(inside, np.clip(centre - half, 0.0, 1.0), p)),
            np.where(nan, np.nan, np.where(inside, np.clip(centre + half, 0.0, 1.0), p)))


def run_stats(table: pd.DataFrame, factors: Sequence[str] = (), *, pooled: bool = False,
              metrics: Sequence[str] | None = None, conf: float = 0.95) -> pd.DataFrame:
    """Stats of the long time-series table across replicates.

    Groups are scenario x design point (with its factor values) x seller x day; with
    ``pooled=True`` design points are pooled (scenario x seller x day), which is what a
    sampled design (LHS, Sobol, ...) with one replicate per point calls for. Intervals keep
    within the bounds the column dictionary gives each metric (:func:`dictionary_bounds`).
    """
    factors = [f for f in factors if f in table.columns]
    keys = ["scenario"] + ([] if pooled else ["point", *factors]) + ["seller", "day"]
    keys = [k for k in keys if k in table.columns]
    metrics = metrics if metrics is not None else metric_columns(table, exclude=[*keys, *factors])
    return ci_stats(table, keys, metrics, conf=conf, bounds=dictionary_bounds(table, "table", metrics))


def summary_stats(summary: pd.DataFrame, factors: Sequence[str] = (), *, pooled: bool = False,
                  metrics: Sequence[str] | None = None, conf: float = 0.95) -> pd.DataFrame:
    """Stats of the per-run summary (end-of-run KPIs) across replicates.

    Groups are scenario x design point (with its factor values) x seller, or scenario x seller
    with ``pooled=True``. Intervals keep within the column dictionary's bounds, as in
    :func:`run_stats`.
    """
    factors = [f for f in factors if f in summary.columns]
    keys = ["scenario"] + ([] if pooled else ["point", *factors]) + ["seller"]
    keys = [k for k in keys if k in summary.columns]
    metrics = metrics if metrics is not None else metric_columns(summary, exclude=[*keys, *factors, "days_run"])
    return ci_stats(summary, keys, metrics, conf=conf, bounds=dictionary_bounds(summary, "summary", metrics))


def dictionary_bounds(df: pd.DataFrame, table: str, metrics: Sequence[str]) -> dict:
    """The column dictionary's bounds of the metrics whose values keep within them. A column
    outside them is not the dictionary's column but one of the caller's that shares its name
    (the report works on any DataFrames): it gets no bounds, hence Student's t.

    Public so that callers grouping by keys of their own (the report's factor levels) pass
    :func:`ci_stats` the same bounds as :func:`run_stats` and :func:`summary_stats` do."""
    out = {}
    for m in metrics:
        lo, hi = columns.bounds(table, m)
        values = df[m].astype("float64")
        if (lo is None or not (values < lo).any()) and (hi is None or not (values > hi).any()):
            out[m] = (lo, hi)
    return out
