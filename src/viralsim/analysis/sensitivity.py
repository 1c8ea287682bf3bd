"""Global sensitivity indices of end-of-run KPIs, computed by SALib.

Sobol' indices (``SALib.analyze.sobol``: first-order S1, total ST, optionally second-order S2,
with bootstrap confidence intervals) need a ``sobol`` design; Morris elementary effects
(``SALib.analyze.morris``: mu, mu*, sigma) need a ``morris`` design. The model output of a
design point is the mean of the KPI over its replicates. Factors are analysed on the unit
scale the design was sampled on (each factor's range mapped to [0, 1]), so Morris effects of
different factors are comparable. No estimator is implemented here; SALib does the work.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from viralsim.experiment.seeds import analysis_seed

__all__ = ["point_outputs", "sobol_indices", "morris_indices", "sensitivity_table"]

SOBOL_COLUMNS = ("factor", "S1", "S1_conf", "ST", "ST_conf")
MORRIS_COLUMNS = ("factor", "mu", "mu_star", "sigma", "mu_star_conf")


def point_outputs(summary: pd.DataFrame, kpi: str, n_points: int) -> np.ndarray:
    """The KPI per design point (mean over replicates), in point order; NaN where missing.

    ``summary`` holds the rows of one scenario and one seller, with a ``point`` column.
    """
    means = summary.groupby("point", sort=True)[kpi].mean()
    return means.reindex(range(n_points)).to_numpy(dtype=float)


def _problem(factors: Sequence[str]) -> dict:
    return {"num_vars": len(factors), "names": list(factors), "bounds": [[0.0, 1.0]] * len(factors)}


def sobol_indices(y: np.ndarray, factors: Sequence[str], *, second_order: bool = False, seed: int | None = None,
                  num_resamples: int = 100, conf_level: float = 0.95) -> pd.DataFrame:
    """Sobol' indices of one output over a Saltelli sample (``SALib.analyze.sobol.analyze``).

    Parameters
    ----------
    y : ndarray
        Model output per design point, in the order of the ``sobol`` design.
    factors : sequence of str
        Factor names, in design order.
    second_order : bool
        Whether the design was sampled with second-order indices.
    seed : int, optional
        Seed of the bootstrap confidence intervals.

    Returns
    -------
    DataFrame
        ``factor, S1, S1_conf, ST, ST_conf``.
    """
    from SALib.analyze import sobol  # lazy: SALib takes ~1 s to import; only sobol designs need it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            res = sobol.analyze(_problem(factors), np.asarray(y, dtype=float), calc_second_order=second_order,
                                num_resamples=num_resamples, conf_level=conf_level, seed=seed)
    return pd.DataFrame({"factor": list(factors), "S1": res["S1"], "S1_conf": res["S1_conf"],
                         "ST": res["ST"], "ST_conf": res["ST_conf"]})


def morris_indices(unit: np.ndarray, y: np.ndarray, factors: Sequence[str], *, grid_levels: int = 4,
                   seed: int | None = None, num_resamples: int = 100, conf_level: float = 0.95) -> pd.DataFrame:
    """Morris elementary-effect statistics (``SALib.analyze.morris.analyze``).

    Parameters
    ----------
    unit : ndarray
        The design's unit-scale sample, ``(points, factors)`` (the ``u:<factor>`` columns).
    y : ndarray
        Model output per design point.
    factors : sequence of str
    grid_levels : int
        The design's number of grid levels.

    Returns
    -------
    DataFrame
        ``factor, mu, mu_star, sigma, mu_star_conf``.
    """
    from SALib.analyze import morris  # lazy: SALib takes ~1 s to import; only morris designs need it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            res = morris.analyze(_problem(factors), np.asarray(unit, dtype=float), np.asarray(y, dtype=float),
                                 num_resamples=num_resamples, conf_level=conf_level, num_levels=grid_levels,
                                 seed=seed)
    return pd.DataFrame({"factor": list(factors), "mu": np.asarray(res["mu"], dtype=float),
                         "mu_star": np.asarray(res["mu_star"], dtype=float),
                         "sigma": np.asarray(res["sigma"], dtype=float),
                         "mu_star_conf": np.asarray(res["mu_star_conf"], dtype=float)})


def sensitivity_table(summary: pd.DataFrame, design: pd.DataFrame, factors: Sequence[str], kind: str,
                      kpis: Sequence[str], *, second_order: bool = False, grid_levels: int = 4,
                      root_seed: int = 0) -> tuple[pd.DataFrame, list[str]]:
    """Indices for every scenario x seller x KPI of a sobol or morris experiment.

    Parameters
    ----------
    summary : DataFrame
        Per-run summary (``scenario``, ``seller``, ``point`` and KPI columns).
    design : DataFrame
        The design table (``point`` and ``u:<factor>`` columns), as in ``design.csv``.
    factors : sequence of str
    kind : {'sobol', 'morris'}
    kpis : sequence of str
    second_order, grid_levels : as the design was sampled.
    root_seed : int
        Seeds the bootstrap per scenario, seller and KPI.

    Returns
    -------
    (DataFrame, list of str)
        Long table ``scenario, seller, kpi`` + the index columns, and notes on what was skipped
        (missing points from failed runs, constant outputs).
    """
    n_points = len(design)
    unit = design[[f"u:{f}" for f in factors]].to_numpy(dtype=float) if kind == "morris" else None
    frames, notes = [], []
    for (scenario, seller), rows in summary.groupby(["scenario", "seller"], sort=True):
        for kpi in kpis:
            if kpi not in rows.columns:
                continue
            y = point_outputs(rows, kpi, n_points)
            label = f"{kpi} of {seller} in {scenario}"
            if np.isnan(y).any():
                notes.append(f"{label}: skipped, {int(np.isnan(y).sum())} of {n_points} design points have no "
                             "value (failed runs or undefined KPI)")
                continue
            if np.ptp(y) == 0:
                notes.append(f"{label}: skipped, constant over the design")
                continue
            seed = analysis_seed(root_seed, str(scenario), str(seller), kpi)
            if kind == "sobol":
                idx = sobol_indices(y, factors, second_order=second_order, seed=seed)
            else:
                idx = morris_indices(unit, y, factors, grid_levels=grid_levels, seed=seed)
            idx.insert(0, "kpi", kpi)
            idx.insert(0, "seller", seller)
            idx.insert(0, "scenario", scenario)
            frames.append(idx)
    if not frames:
        cols = SOBOL_COLUMNS if kind == "sobol" else MORRIS_COLUMNS
        return pd.DataFrame(columns=["scenario", "seller", "kpi", *cols]), notes
    return pd.concat(frames, ignore_index=True), notes
