"""Figures of experiment results (matplotlib, no display needed).

Each function takes DataFrames in the shapes :mod:`viralsim.results.stats` and
:mod:`viralsim.analysis.sensitivity` produce, draws one figure and saves it to ``path``
(PNG or SVG by the file's suffix); it returns the path. Scenarios keep one colour across
figures, and so do a factor's levels (:func:`level_colors`). The ``*_figure`` functions return
the :class:`~matplotlib.figure.Figure` unsaved, for tests and for your own layout.

Why matplotlib, and neither altair nor seaborn:

* Every interval drawn is one the stack computed (:func:`viralsim.results.stats.ci_stats`,
  bounded by the column dictionary). Seaborn's strength is estimating intervals itself
  (bootstrap or normal); fed precomputed bounds it is matplotlib with a second API, and its
  ``FacetGrid`` draws through pyplot's global figure registry, which the CLI avoids.
* The report must open offline from the results folder, byte for byte the same for the same
  input. Altair charts are drawn by the vega JavaScript libraries in the browser: offline
  viewing needs them inlined into every page (``vl-convert-python``, a bundled JavaScript
  runtime of its own), the page embeds the data (100+ design points x 180 days x metrics), and
  a paper still needs a static image, which again needs vl-convert. Altair is only in the
  ``viz`` extra (the teaching app), not a runtime dependency.
* matplotlib is a runtime dependency already, writes PNG without timestamps
  (``metadata={"Software": None}``) and SVG for papers, and builds figures without pyplot
  (:class:`~matplotlib.figure.Figure`), so no figure outlives its call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import colormaps, rc_context
from matplotlib.figure import Figure

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["plot_timeseries", "plot_kpis", "plot_heatmap", "plot_response", "plot_sobol", "plot_morris",
           "plot_timeseries_by_level", "plot_kpis_by_level", "timeseries_by_level_figure", "kpis_by_level_figure",
           "heatmap_figure", "heatmap_label", "scenario_colors", "level_colors", "HEATMAP_ANNOTATE_MAX"]

_DPI = 110
#: heat maps with up to this many cells per panel print mean, interval and n in each cell;
#: larger ones get a companion panel of the interval's width instead (the text would not fit)
HEATMAP_ANNOTATE_MAX = 30


def scenario_colors(scenarios: Sequence[str]) -> dict:
    """A fixed colour per scenario (matplotlib's tab10 cycle in the given order)."""
    cmap = colormaps["tab10"]
    return {s: cmap(i % 10) for i, s in enumerate(scenarios)}


def _figure(rows: int, cols: int, width: float = 4.2, height: float = 2.9) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(width * cols, height * rows + 0.6), dpi=_DPI, layout="constrained")
    axes = np.atleast_2d(fig.subplots(rows, cols, squeeze=False))
    return fig, axes


def level_colors(levels: Sequence[str], ordered: bool = False) -> dict:
    """A fixed colour per factor level (or combination of levels), in the order given.

    Ordered levels (numbers) take a sequential map (viridis without its pale yellow end), so a
    colour reads as a value and neighbours look alike; categories take the tab10 cycle, as
    scenarios do."""
    levels = list(levels)
    if ordered and len(levels) > 1:
        cmap = colormaps["viridis"]
        return {lev: cmap(0.88 * i / (len(levels) - 1)) for i, lev in enumerate(levels)}
    cmap = colormaps["tab10"]
    return {lev: cmap(i % 10) for i, lev in enumerate(levels)}


def _save(fig: Figure, path: str | Path) -> Path:
    """Save without what changes between calls: PNG's software tag, SVG's date and random ids
    (a fixed hash salt), so that the same data give the same bytes."""
    path = Path(path)
    if path.suffix == ".svg":
        with rc_context({"svg.hashsalt": "viralsim"}):
            fig.savefig(path, metadata={"Date": None})
    else:
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


def plot_timeseries_by_level(stats: pd.DataFrame, metric: str, path: str | Path, **kw) -> Path:
    """One daily metric by factor level; see :func:`timeseries_by_level_figure`."""
    return _save(timeseries_by_level_figure(stats, metric, **kw), path)


def timeseries_by_level_figure(stats: pd.DataFrame, metric: str, *, series: Sequence[str],
                               facets: Sequence[str] = ("",), ordered: bool = False,
                               scenarios: Sequence[str] | None = None) -> Figure:
    """Mean of one daily metric with its 95 % CI band over days, split by factor level.

    ``stats`` is long (``scenario, seller, day, metric, mean, ci_low, ci_high``) with two label
    columns the caller fills: ``facet`` (e.g. ``trust.half_life = 60``, or ``""``) and
    ``series`` (e.g. ``sellers.seller.posts_per_day = 30``). A row of panels per scenario x
    seller, a column per facet label (in ``facets`` order), one line per series label (in
    ``series`` order, coloured by :func:`level_colors`; ``ordered`` for numeric levels), and one
    legend above naming every series.
    """
    stats = stats[stats["metric"] == metric]
    scenarios = list(scenarios) if scenarios is not None else _order(stats["scenario"])
    rank = {s: i for i, s in enumerate(scenarios)}
    panels = sorted(_order(zip(stats["scenario"], stats["seller"])), key=lambda p: rank.get(p[0], len(rank)))
    facets = list(facets) or [""]
    colors = level_colors(series, ordered)
    fig, axes = _figure(max(1, len(panels)), len(facets), width=3.6, height=2.5)
    for i, (scenario, seller) in enumerate(panels):
        rows = stats[(stats["scenario"] == scenario) & (stats["seller"] == seller)]
        for j, facet in enumerate(facets):
            ax = axes[i, j]
            sub = rows[rows["facet"] == facet]
            for label in series:
                g = sub[sub["series"] == label].sort_values("day")
                if not len(g):
                    continue
                ax.plot(g["day"], g["mean"], color=colors[label], lw=1.3, label=label)
                ax.fill_between(g["day"], g["ci_low"], g["ci_high"], color=colors[label], alpha=0.18, lw=0)
            ax.set_title(f"{scenario} / {seller}" + (f"\n{facet}" if facet else ""), fontsize=8.5)
            ax.tick_params(labelsize=7.5)
            ax.grid(alpha=0.3)
            if i == len(panels) - 1:
                ax.set_xlabel("day", fontsize=8)
            if j == 0:
                ax.set_ylabel(metric, fontsize=8)
        for j in range(1, len(facets)):          # one y scale per row: levels compare across panels
            axes[i, j].sharey(axes[i, 0])
    _legend(fig, axes, series)
    return fig


def plot_kpis_by_level(sstats: pd.DataFrame, kpis: Sequence[str], path: str | Path, **kw) -> Path:
    """End-of-run KPIs by factor level; see :func:`kpis_by_level_figure`."""
    return _save(kpis_by_level_figure(sstats, kpis, **kw), path)


def kpis_by_level_figure(sstats: pd.DataFrame, kpis: Sequence[str], *, x_name: str, x_levels: Sequence[str],
                         series: Sequence[str], ordered: bool = False,
                         scenarios: Sequence[str] | None = None) -> Figure:
    """End-of-run KPIs, mean with 95 % CI error bars, split by factor level.

    ``sstats`` is long (``scenario, seller, metric, mean, ci_low, ci_high``) with label columns
    ``x`` (a level of the factor ``x_name`` on the horizontal axis, e.g. ``30``) and ``series``
    (e.g. ``trust.half_life = 60``), coloured as in :func:`timeseries_by_level_figure`. A row of
    panels per KPI, a column per scenario x seller. The series present at an x level are set
    side by side; when the series is the x level itself, nothing is shifted.
    """
    kpis = [k for k in kpis if k in set(sstats["metric"])]
    scenarios = list(scenarios) if scenarios is not None else _order(sstats["scenario"])
    rank = {s: i for i, s in enumerate(scenarios)}
    panels = sorted(_order(zip(sstats["scenario"], sstats["seller"])), key=lambda p: rank.get(p[0], len(rank)))
    x_levels = list(x_levels)
    colors = level_colors(series, ordered)
    fig, axes = _figure(max(1, len(kpis)), max(1, len(panels)), width=max(3.2, 0.5 * len(x_levels) + 1.6),
                        height=2.5)
    for i, kpi in enumerate(kpis):
        for j, (scenario, seller) in enumerate(panels):
            ax = axes[i, j]
            sub = sstats[(sstats["metric"] == kpi) & (sstats["scenario"] == scenario) & (sstats["seller"] == seller)]
            for xi, level in enumerate(x_levels):
                at = sub[sub["x"] == level]
                present = [s for s in series if s in set(at["series"])]
                step = 0.8 / max(1, len(present))
                for k, label in enumerate(present):
                    r = at[at["series"] == label].iloc[0]
                    pos = xi + (k - (len(present) - 1) / 2) * step
                    mean, lo, hi = float(r["mean"]), float(r["ci_low"]), float(r["ci_high"])
                    err = [[mean - lo], [hi - mean]] if np.isfinite(lo) and np.isfinite(hi) else None
                    ax.errorbar([pos], [mean], yerr=err, fmt="o", ms=3.5, color=colors[label], elinewidth=1.0,
                                capsize=2, label=label)
            ax.set_xticks(range(len(x_levels)), x_levels, fontsize=7, rotation=30 if len(x_levels) > 5 else 0)
            ax.set_xlim(-0.6, len(x_levels) - 0.4)
            ax.set_title(f"{kpi} ({scenario} / {seller})", fontsize=8.5)
            ax.tick_params(labelsize=7.5)
            ax.grid(axis="y", alpha=0.3)
            if i == len(kpis) - 1:
                ax.set_xlabel(x_name, fontsize=8)
    _legend(fig, axes, series)
    return fig


def plot_heatmap(cells: pd.DataFrame, x: str, y: str, kpi: str, path: str | Path) -> Path:
    """Mean of ``kpi`` over a two-factor grid with its uncertainty; see :func:`heatmap_figure`."""
    return _save(heatmap_figure(cells, x, y, kpi), path)


def heatmap_figure(cells: pd.DataFrame, x: str, y: str, kpi: str) -> Figure:
    """Heat map of a KPI's mean over two factors, one panel per scenario x seller.

    ``cells`` is long, one row per scenario x seller x ``y`` level x ``x`` level with ``n,
    mean, ci_low, ci_high`` (e.g. :func:`~viralsim.results.stats.ci_stats` of the summary by
    those keys). A colour alone hides how sure each cell is, so up to
    :data:`HEATMAP_ANNOTATE_MAX` cells per panel each print :func:`heatmap_label` (mean, 95 %
    interval, n); larger grids get a companion panel of the interval's width next to each map.
    """
    panels = _order(zip(cells["scenario"], cells["seller"]))
    xs, ys = _levels(cells[x]), _levels(cells[y])
    annotate = len(xs) * len(ys) <= HEATMAP_ANNOTATE_MAX
    per_panel = 1 if annotate else 2
    cols = min(3 if annotate else 2, max(1, len(panels))) * per_panel
    rows = max(1, math.ceil(len(panels) * per_panel / cols))
    # annotated cells need room for three lines of text: panels grow with the grid
    width, height = (max(4.0, 1.4 + 1.05 * len(xs)), max(3.3, 1.2 + 0.6 * len(ys))) if annotate else (4.0, 3.3)
    fig, axes = _figure(rows, cols, width=width, height=height)
    flat = list(axes.flat)
    for k, (scenario, seller) in enumerate(panels):
        sub = cells[(cells["scenario"] == scenario) & (cells["seller"] == seller)]
        grid = {stat: sub.pivot_table(index=y, columns=x, values=stat, aggfunc="first", dropna=False)
                .reindex(index=ys, columns=xs).to_numpy(float) for stat in ("mean", "ci_low", "ci_high", "n")}
        ax = flat[k * per_panel]
        im = _heat(fig, ax, grid["mean"], xs, ys, x, y, "viridis")
        ax.set_title(f"{scenario} / {seller}: mean {kpi}", fontsize=9)
        if annotate:
            for (r, c), v in np.ndenumerate(grid["mean"]):
                if np.isfinite(v):
                    level = np.ma.filled(im.norm(v), 0.0)
                    text = heatmap_label(v, grid["ci_low"][r, c], grid["ci_high"][r, c], grid["n"][r, c])
                    ax.text(c, r, text, ha="center", va="center", fontsize=6.5, linespacing=1.1,
                            color="black" if level > 0.6 else "white")
        else:
            width = flat[k * per_panel + 1]
            _heat(fig, width, grid["ci_high"] - grid["ci_low"], xs, ys, x, y, "magma_r")
            n = grid["n"][np.isfinite(grid["n"])]
            n_text = "" if not n.size else (f", n = {int(n.min())}" if n.min() == n.max()
                                              else f", n = {int(n.min())}-{int(n.max())}")
            width.set_title(f"{scenario} / {seller}: 95 % CI width{n_text}", fontsize=9)
    for k in range(len(panels) * per_panel, rows * cols):
        flat[k].set_visible(False)
    return fig


def _heat(fig: Figure, ax, values: np.ndarray, xs: list, ys: list, x: str, y: str, cmap: str):
    im = ax.imshow(values, origin="lower", aspect="auto", cmap=cmap)
    ax.set_xticks(range(len(xs)), [_label(v) for v in xs], fontsize=7, rotation=30)
    ax.set_yticks(range(len(ys)), [_label(v) for v in ys], fontsize=7)
    ax.set_xlabel(x, fontsize=8)
    ax.set_ylabel(y, fontsize=8)
    fig.colorbar(im, ax=ax, shrink=0.85)
    return im


def heatmap_label(mean: float, low: float, high: float, n: float) -> str:
    """A heat-map cell's text: the mean, its 95 % interval and n, on three lines.

    The interval is printed as its bounds, not as mean +/- a half-width: the stack's intervals
    are asymmetric near a bound (counts near 0, shares near 0 or 1; see
    :mod:`viralsim.results.stats`). Without an interval (n < 2) the cell says so."""
    n_text = f"n={int(n)}" if np.isfinite(n) else "n=0"
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{_compact(mean)}\nno CI\n{n_text}"
    return "{}\n[{}, {}]\n{}".format(*_to_precision((mean, low, high), (high - low) / 2), n_text)


def _to_precision(values: Sequence[float], half: float) -> list[str]:
    """Numbers to the precision their interval allows: down to the half-width's first
    significant digit (20k [20k, 20k] says nothing, 19.7k [19.5k, 19.9k] does); thousands as k
    when that loses nothing."""
    if not (np.isfinite(half) and half > 0):
        return [_compact(v) for v in values]
    e = math.floor(math.log10(half))
    if max(abs(v) for v in values) >= 1e4 and e >= 2:
        return [f"{v / 1e3:.{max(0, 3 - e)}f}k" for v in values]
    return [f"{round(v, -e):.{min(6, max(0, -e))}f}" for v in values]


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
        # as many columns as fit the figure's width: long labels (factor = level) wrap to rows
        longest = max(len(label) for label in seen)
        fits = int(fig.get_figwidth() / (0.065 * longest + 0.6))
        fig.legend(list(seen.values()), list(seen), loc="outside upper center",
                   ncols=max(1, min(len(seen), 6, fits)), fontsize=8, frameon=False)


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
