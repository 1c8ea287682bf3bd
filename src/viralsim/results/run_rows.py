"""The rows one run of an experiment contributes to its results folder, and what shapes them.

A run's rows go into three tables of :mod:`viralsim.results.sweep_folder`: the long time series
(``table``), the per-seller summary and the run's status. Every row starts with the columns that
identify its run (:data:`META_COLUMNS`), then the design's factor columns, whose dtypes
(:data:`COLUMN_DTYPES`) are fixed by the factor's kind so that every part file of a folder has
the same schema.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["RunSettings", "RunRows", "META_COLUMNS", "MARKET_PREFIX", "COLUMN_DTYPES"]

#: columns that identify a run, first in every table (factor columns follow them)
META_COLUMNS = ("run", "run_id", "scenario", "point", "replicate", "seed")

#: prefix of the market-wide columns in the long table
MARKET_PREFIX = "market_"

#: pandas dtype of a factor column of each kind (``bool``, ``int``, ``float``, ``str``)
COLUMN_DTYPES = {"bool": "bool", "int": "int64", "float": "float64", "str": "str"}


@dataclass(frozen=True)
class RunSettings:
    """What every run of an experiment records (shared by all tasks of a sweep).

    Attributes
    ----------
    factors : tuple of (dotted path, column kind)
        Factor columns in design order; the kind (``bool``, ``int``, ``float``, ``str``) fixes
        the column's dtype so every part file has the same schema.
    every : int or None
        Record the time series every ``every`` days (and on the last day); None: last day only.
    metrics, market, summary : tuple of str or None
        Daily seller columns, market columns and summary KPIs to keep; None keeps all.
    stop : dict or None
        Stop condition ``{metric, op, value, seller, after_day}``; None runs to the horizon.
    """

    factors: tuple[tuple[str, str], ...] = ()
    every: int | None = 1
    metrics: tuple[str, ...] | None = None
    market: tuple[str, ...] | None = None
    summary: tuple[str, ...] | None = None
    stop: dict | None = None


@dataclass
class RunRows:
    """What one run produced: table rows, summary rows (None if it failed) and its status row."""

    table: pd.DataFrame | None
    summary: pd.DataFrame | None
    status: dict
