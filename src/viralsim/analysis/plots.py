"""Figures of experiment results (matplotlib, no display needed).

Each function takes DataFrames in the shapes :mod:`viralsim.results.stats` and
:mod:`viralsim.analysis.sensitivity` produce, draws one figure and saves it to ``path``
(PNG or SVG by the file's suffix); it returns the path. Scenarios keep one colour across
figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["plot_timeseries", "plot_kpis", "plot_heatmap", "plot_response", "plot_sobol", "plot_morris",
           "scenario_colors"]

_DPI = 110


def scenario_colors(scenarios: Sequence[str]) -> dict:
    """A fixed colour per scenario (matplotlib's tab10 cycle in the given order)."""
    cmap = colormaps["tab10"]
    return {s: cmap(i % 10) for i, s in enumerate(scenarios)}


def _figure(rows: int, cols: int, width: float = 4.2, height: float = 2.9) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(width * cols, height * rows + 0.6), dpi=_DPI, layout="constrained")
    axes = np.atleast_2d(fig.subplots(rows, cols, squeeze=False))
    return fig, axes


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    fig.savefig(path, metadata={"Software": None} if path.suffix == ".png" else None)
    return path


def _order(values) -> list:
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def plot_timeseries(stats: pd.DataFrame, metrics: Sequence[str], path: str | Path, *,
                    scenarios: Sequence[str] | None = None, title: str | None = None) -> Path:
    """Mean with a 95 % CI band over days, one line per scenario; rows = metrics, columns = sellers.

    ``stats`` is long (``scenario, seller, day, metric, mean, ci_low, ci_high``), e.g.
    ``run_stats(table, pooled=True)``.
    """
    stats = stats[stats["metric"].isin(metrics)]
    scenarios = list(scenarios) if scenarios is not None else _order(stats["scenario"])
    sellers = _order(stats["seller"])
    metrics = [m for m in metrics if m in set(stats["metric"])]
    colors = scenario_colors(scenarios)
    fig, axes = _figure(max(1, len(metrics)), max(1, len(sellers)))
    for i, metric in enumerate(metrics):
        for j, seller in enumerate(sellers):
            ax = axes[i, j]
            sub = stats[(stats["metric"] == metric) & (stats["seller"] == seller)]
            for scenario in scenarios:
                g = sub[sub["scenario"] == scenario].sort_values("day")
                if not len(g):
                    continue
                ax.plot(g["day"], g["mean"], color=colors[scenario], lw=1.4, label=str(scenario))
                ax.fill_between(g["day"], g["ci_low"], g["ci_high"], color=colors[scenario], alpha=0.2, lw=0)
            ax.set_title(f"{seller}: {metric}", fontsize=9)
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.3)
            if i == len(metrics) - 1:
                ax.set_xlabel("day", fontsize=8)
    if len(scenarios) > 1:
        _legend(fig, axes, scenarios)
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def plot_kpis(sstats: pd.DataFrame, kpis: Sequence[str], path: str | Path, *,
              scenarios: Sequence[str] | None = None) -> Path:
    """End-of-run KPIs: bars (mean) with 95 % CI error bars, grouped by seller, one bar per scenario.

    ``sstats`` is long (``scenario, seller, metric, mean, ci_low, ci_high``), e.g.
    ``summary_stats(summary, pooled=True)``.
    """
    kpis = [k for k in kpis if k in set(sstats["metric"])]
    scenarios = list(scenarios) if scenarios is not None else _order(sstats["scenario"])
    sellers = _order(sstats["seller"])
    colors = scenario_colors(scenarios)
    cols = min(3, max(1, len(kpis)))
    rows = max(1, math.ceil(len(kpis) / cols))
    fig, axes = _figure(rows, cols, width=3.8, height=2.8)
    width = 0.8 / max(1, len(scenarios))
    for k, kpi in enumerate(kpis):
        ax = axes[k // cols, k % cols]
        sub = sstats[sstats["metric"] == kpi]
        for s_i, scenario in enumerate(scenarios):
            g = sub[sub["scenario"] == scenario].set_index("seller").reindex(sellers)
            x = np.arange(len(sellers)) + (s_i - (len(scenarios) - 1) / 2) * width
            mean = g["mean"].to_numpy(float)
            err = np.vstack([mean - g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float) - mean])
            err = np.where(np.isfinite(err), err, 0.0)
            ax.bar(x, mean, width=width * 0.95, color=colors[scenario], label=str(scenario))
            ax.errorbar(x, mean, yerr=err, fmt="none", ecolor="black", elinewidth=0.9, capsize=2)
        ax.set_xticks(np.arange(len(sellers)), sellers, fontsize=8)
        ax.set_title(kpi, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    for k in range(len(kpis), rows * cols):
        axes[k // cols, k % cols].set_visible(False)
    if len(scenarios) > 1:
        _legend(fig, axes, scenarios)
    return _save(fig, path)


def plot_heatmap(summary: pd.DataFrame, x: str, y: str, kpi: str, path: str | Path) -> Path:
    """Mean of ``kpi`` over a two-factor grid (other factors and replicates averaged), one panel
    per scenario x seller."""
    panels = list(summary.groupby(["scenario", "seller"], sort=False).groups)
    cols = min(3, max(1, len(panels)))
    rows = max(1, math.ceil(len(panels) / cols))
    fig, axes = _figure(rows, cols, width=4.0, height=3.3)
    xs, ys = _levels(summary[x]), _levels(summary[y])
    for k, (scenario, seller) in enumerate(panels):
        ax = axes[k // cols, k % cols]
        sub = summary[(summary["scenario"] == scenario) & (summary["seller"] == seller)]
        grid = sub.pivot_table(index=y, columns=x, values=kpi, aggfunc="mean").reindex(index=ys, columns=xs)
        im = ax.imshow(grid.to_numpy(float), origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(xs)), [_label(v) for v in xs], fontsize=7, rotation=30)
        ax.set_yticks(range(len(ys)), [_label(v) for v in ys], fontsize=7)
        ax.set_xlabel(x, fontsize=8)
        ax.set_ylabel(y, fontsize=8)
        ax.set_title(f"{scenario} / {seller}: mean {kpi}", fontsize=9)
        values = grid.to_numpy(float)
        if values.size <= 64:
            for (r, c), v in np.ndenumerate(values):
                if np.isfinite(v):
                    level = im.norm(v)
                    ax.text(c, r, _compact(v), ha="center", va="center", fontsize=7,
                            color="black" if np.ma.filled(level, 0.0) > 0.6 else "white")
        fig.colorbar(im, ax=ax, shrink=0.85)
    for k in range(len(panels), rows * cols):
        axes[k // cols, k % cols].set_visible(False)
    return _save(fig, path)


def plot_response(sstats: pd.DataFrame, factor: str, kpis: Sequence[str], path: str | Path, *,
                  scenarios: Sequence[str] | None = None) -> Path:
    """KPIs against one factor's levels: mean with 95 % CI per scenario, one panel per KPI x seller.

    ``sstats`` is ``summary_stats(summary, factors=[factor])`` (per design point).
    """
    kpis = [k for k in kpis if k in set(sstats["metric"])]
    scenarios = list(scenarios) if scenarios is not None else _order(sstats["scenario"])
    sellers = _order(sstats["seller"])
    colors = scenario_colors(scenarios)
    numeric = np.issubdtype(sstats[factor].dtype, np.number)
    levels = _levels(sstats[factor])
    fig, axes = _figure(max(1, len(kpis)), max(1, len(sellers)), width=3.8, height=2.6)
    for i, kpi in enumerate(kpis):
        for j, seller in enumerate(sellers):
            ax = axes[i, j]
            sub = sstats[(sstats["metric"] == kpi) & (sstats["seller"] == seller)]
            for scenario in scenarios:
                g = sub[sub["scenario"] == scenario]
                if not len(g):
                    continue
                g = g.groupby(factor, sort=False).first().reindex(levels)
                xs = np.asarray(levels, dtype=float) if numeric else np.arange(len(levels))
                ax.plot(xs, g["mean"], "o-", color=colors[scenario], ms=3, lw=1.2, label=str(scenario))
                ax.fill_between(xs, g["ci_low"].to_numpy(float), g["ci_high"].to_numpy(float),
                                color=colors[scenario], alpha=0.2, lw=0)
            if not numeric:
                ax.set_xticks(range(len(levels)), [_label(v) for v in levels], fontsize=7)
            elif len(levels) > 2 and min(levels) > 0 and max(levels) / min(levels) >= 20:
                ax.set_xscale("log")
            ax.set_title(f"{seller}: {kpi}", fontsize=9)
            ax.tick_params(labelsize=8)
            ax.grid(alpha=0.3)
            if i == len(kpis) - 1:
                ax.set_xlabel(factor, fontsize=8)
    if len(scenarios) > 1:
        _legend(fig, axes, scenarios)
    return _save(fig, path)


def plot_sobol(indices: pd.DataFrame, path: str | Path) -> Path:
    """First-order (S1) and total (ST) Sobol' indices with confidence intervals; one panel per
    scenario x seller x KPI."""
    return _plot_indices(indices, path, [("S1", "S1_conf", "S1 (first order)"), ("ST", "ST_conf", "ST (total)")])


def plot_morris(indices: pd.DataFrame, path: str | Path) -> Path:
    """Morris mu* (with confidence interval) and sigma per factor; one panel per scenario x seller x KPI."""
    return _plot_indices(indices, path, [("mu_star", "mu_star_conf", "mu* (mean |effect|)"), ("sigma", None, "sigma")])


def _plot_indices(indices: pd.DataFrame, path: str | Path, series: list) -> Path:
    panels = list(indices.groupby(["scenario", "seller", "kpi"], sort=False).groups)
    cols = min(3, max(1, len(panels)))
    rows = max(1, math.ceil(len(panels) / cols))
    fig, axes = _figure(rows, cols, width=4.2, height=2.8)
    colors = ["#4C72B0", "#DD8452"]
    for k, (scenario, seller, kpi) in enumerate(panels):
        ax = axes[k // cols, k % cols]
        sub = indices[(indices["scenario"] == scenario) & (indices["seller"] == seller) & (indices["kpi"] == kpi)]
        factors = list(sub["factor"])
        y = np.arange(len(factors))
        h = 0.8 / len(series)
        for s, (col, conf, label) in enumerate(series):
            vals = sub[col].to_numpy(float)
            err = sub[conf].to_numpy(float) if conf else None
            if err is not None:
                err = np.where(np.isfinite(err), err, 0.0)
            ax.barh(y + (s - (len(series) - 1) / 2) * h, vals, height=h * 0.95, xerr=err, color=colors[s % 2],
                    label=label, error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.set_yticks(y, factors, fontsize=7)
        ax.invert_yaxis()
        ax.set_title(f"{kpi} ({seller}, {scenario})", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    for k in range(len(panels), rows * cols):
        axes[k // cols, k % cols].set_visible(False)
    if panels:
        fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside upper center", ncols=len(series),
                   fontsize=8, frameon=False)
    return _save(fig, path)


def _legend(fig: Figure, axes: np.ndarray, order: Sequence[str] = ()) -> None:
    """One legend above the panels with every label that appears in any panel, in ``order``."""
    seen: dict = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(label, handle)
    rank = {str(name): i for i, name in enumerate(order)}
    seen = dict(sorted(seen.items(), key=lambda item: rank.get(item[0], len(rank))))
    if seen:
        fig.legend(list(seen.values()), list(seen), loc="outside upper center", ncols=min(len(seen), 6),
                   fontsize=8, frameon=False)


def _levels(values) -> list:
    """A factor's levels: numbers in increasing order, anything else in order of appearance
    (the order the spec lists them)."""
    levels = _order(values)
    if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
           for v in levels):
        return sorted(levels)
    return levels


def _compact(v: float) -> str:
    """A short cell label: 14k, 3.9k, 0.123."""
    if abs(v) >= 1e6:
        return f"{v / 1e6:.3g}M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.0f}k"
    if abs(v) >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.3g}"


def _label(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{v:.4g}"
    return str(v)
