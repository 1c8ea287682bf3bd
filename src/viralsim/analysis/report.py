"""HTML report of an experiment: figures, a paper-ready KPI table and sensitivity indices.

:func:`write_report` reads a results folder written by ``viralsim sweep``;
:func:`build_report` does the same work from DataFrames (the long table and the per-run
summary), so a report can be made of data assembled in Python. The report folder is
self-contained and opens offline: ``index.html`` references its figures (PNG or SVG) and
tables by relative paths, has its style sheet inline and no script, so it can be zipped,
mailed or published as it is. The same input gives the same bytes (page, tables, figures).

Contents: the experiment's metadata; end-of-run KPIs with 95 % confidence intervals (figure
and table, also as ``kpi_table.csv``, ``.md`` and ``.tex``); time series of daily metrics with
95 % CI bands; for grid designs, heat maps whose cells carry their interval and n (and
``heatmap-<kpi>.csv``) and, for one factor or zip designs not shown by level, response curves;
for sobol and morris designs, SALib's sensitivity indices (figure and ``sensitivity.csv``);
and the failed runs. Intervals are :mod:`viralsim.results.stats`' (bounded by the column
dictionary :mod:`viralsim.results.columns`).

Design points are not averaged into one curve: a grid of 1 and 100 posts a day has no "mean
seller". :func:`choose_split` picks how the KPI and time-series figures show the levels
(panels for the factor with the fewest levels, one colour per level of the others, legends
naming ``factor = level``); one design point looks as it always did (one line or bar per
scenario); sampled designs and grids too large for panels and colours fall back to pooled
figures, say so on the page, and point to what shows the factors instead (sensitivity indices,
heat maps, response curves). See :class:`Split`.

How the page is built: a Jinja2 template (``templates/report.html.j2``, autoescaped, strict
about undefined variables), tables by pandas' Styler (HTML, and the booktabs LaTeX of
``kpi_table.tex``), figures by :mod:`viralsim.analysis.plots` (matplotlib; why not altair or
seaborn is said there).
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from viralsim import folders
from viralsim.analysis import plots
from viralsim.analysis.sensitivity import sensitivity_table
from viralsim.results.provenance import describe_code
from viralsim.results.stats import ci_stats, dictionary_bounds, run_stats, summary_stats
from viralsim.results.sweep_folder import PLAN, ResultsError, lock_results, read_results

__all__ = ["write_report", "build_report", "paper_table", "ReportError", "DEFAULT_KPIS", "DEFAULT_METRICS"]

#: end-of-run KPIs shown by default (those present in the summary)
DEFAULT_KPIS = ("purchases", "profit", "customers", "followers_end", "muted_blocked_share", "mean_trust_end")
#: daily metrics plotted over time by default (those present in the table)
DEFAULT_METRICS = ("purchases", "customers", "mean_trust", "mean_annoyance", "followers", "blocked")
#: per-point tables up to this many design points; pooled per scenario beyond
MAX_POINT_ROWS = 40
#: the signature kind of a report folder (:mod:`viralsim.folders`)
KIND = "report"


class ReportError(Exception):
    """A report that cannot be made as asked (one line for the user)."""


def write_report(results_dir: str | Path, out: str | Path | None = None, *, fmt: str = "png",
                 kpis: Sequence[str] | None = None, metrics: Sequence[str] | None = None) -> Path:
    """Write the report of an experiment results folder.

    Parameters
    ----------
    results_dir : path
        A complete results folder (``viralsim sweep``, or ``viralsim merge`` of its shards).
    out : path, optional
        Report folder; default ``<results_dir>/report``.
    fmt : {'png', 'svg'}
        Figure format.
    kpis, metrics : sequence of str, optional
        End-of-run KPIs and daily metrics to show (defaults: DEFAULT_KPIS, DEFAULT_METRICS).

    Returns
    -------
    Path
        The report's ``index.html``.
    """
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise ResultsError(f"{results_dir} is not a viralsim experiment results folder (no {PLAN})")
    target = Path(out) if out is not None else results_dir / "report"
    # Writing into the results folder (the default) excludes every other writer of it; a report
    # elsewhere only needs the folder not to be discarded or rewritten while it is read.
    inside = _is_inside(target, results_dir)
    with lock_results(results_dir, "report", shared=not inside):
        return _write_report(results_dir, target, fmt=fmt, kpis=kpis, metrics=metrics)


def _is_inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _write_report(results_dir: Path, out: Path, *, fmt: str, kpis, metrics) -> Path:
    folders.check_folder(out, KIND)     # a refused --out is said before the tables are read
    res = read_results(results_dir)
    manifest = res.manifest()
    experiment = res.experiment()
    plan = res.plan
    meta = {
        "experiment": plan.name,
        "runs": plan.n_runs,
        "scenarios": ", ".join(plan.scenarios),
        "replicates": plan.replicates,
        "design": _design_text(plan.design, plan.factor_names()),
        "root seed": plan.root_seed,
        "common random numbers": "yes" if plan.common_random_numbers else "no",
        "horizon (days)": experiment.get("days") or (experiment.get("base") or {}).get("days"),
        "viralsim": manifest.get("viralsim"),
        # ``code`` since folders record the commit once; ``git_commit`` in older folders
        "code": describe_code(manifest["code"]) if manifest.get("code") else manifest.get("git_commit"),
        "started (UTC)": manifest.get("started_utc"),
        "finished (UTC)": manifest.get("finished_utc"),
        "results folder": str(res.path),
    }
    return build_report(
        res.table, res.summary, out,
        runs=res.runs, factors=plan.factor_names(), design=res.design, design_kind=plan.design.get("kind", "single"),
        design_options=plan.design.get("options") or {}, title=f"Experiment {plan.name}",
        description=experiment.get("description") or "", meta=meta, fmt=fmt, kpis=kpis, metrics=metrics,
        root_seed=plan.root_seed,
    )


def build_report(
    table: pd.DataFrame,
    summary: pd.DataFrame,
    out: str | Path,
    *,
    runs: pd.DataFrame | None = None,
    factors: Sequence[str] = (),
    design: pd.DataFrame | None = None,
    design_kind: str = "single",
    design_options: dict | None = None,
    title: str = "viralsim experiment",
    description: str = "",
    meta: dict | None = None,
    fmt: str = "png",
    kpis: Sequence[str] | None = None,
    metrics: Sequence[str] | None = None,
    root_seed: int = 0,
) -> Path:
    """Write a report folder from DataFrames.

    Parameters
    ----------
    table : DataFrame
        Long time series: ``scenario, point, seller, day`` and metric columns (factor columns
        optional), as ``table.parquet``.
    summary : DataFrame
        Per-run summary: ``scenario, point, seller`` and KPI columns, as ``summary.parquet``.
    out : path
        Report folder, written atomically and signed as a report folder: an existing ``out``
        is replaced only if it is empty or an earlier report folder, once the new one is
        complete; anything else is refused (FileExistsError) before any work.
    runs : DataFrame, optional
        Run statuses (``run_id, status, error``) to list failures.
    factors : sequence of str
        Factor columns.
    design : DataFrame, optional
        Design table (``point`` and ``u:<factor>``); needed for Morris indices.
    design_kind : str
        ``single``, ``grid``, ``zip``, ``random``, ``lhs``, ``sobol`` or ``morris``.
    design_options : dict
        ``second_order`` (sobol), ``grid_levels`` (morris).
    title, description : str
    meta : dict
        Key/value pairs listed at the top.
    fmt : {'png', 'svg'}
    kpis, metrics : sequence of str, optional
    root_seed : int
        Seeds SALib's bootstrap.

    Returns
    -------
    Path
        ``out/index.html``.
    """
    if fmt not in ("png", "svg"):
        raise ReportError(f"figure format must be png or svg, not {fmt!r}")
    out = Path(out)
    folders.check_folder(out, KIND)
    folders.write_folder(out, KIND, lambda folder: _write_files(
        table, summary, folder, runs=runs, factors=factors, design=design, design_kind=design_kind,
        design_options=design_options, title=title, description=description, meta=meta, fmt=fmt, kpis=kpis,
        metrics=metrics, root_seed=root_seed))
    return out / "index.html"


def _write_files(table, summary, out: Path, *, runs, factors, design, design_kind, design_options, title,
                 description, meta, fmt, kpis, metrics, root_seed) -> None:
    factors = [f for f in factors if f in summary.columns]
    design_options = design_options or {}
    kpis = _pick(kpis, DEFAULT_KPIS, summary, "KPI", "summary")
    metrics = _pick(metrics, DEFAULT_METRICS, table, "metric", "table") if len(table) else []
    scenarios = _order(summary["scenario"]) if len(summary) else []
    split = choose_split(summary, factors, design_kind) if len(summary) else Split()
    sections: list[dict] = []
    files: list[str] = []

    def fig(name: str) -> str:
        files.append(f"{name}.{fmt}")
        return files[-1]

    # End-of-run KPIs.
    if len(summary) and kpis:
        pooled = summary_stats(summary, pooled=True, metrics=kpis)
        if split.splits:
            levels = level_stats(summary, "summary", split, kpis)
            plots.plot_kpis_by_level(levels, kpis, out / fig("kpis"), x_name=split.x_factor,
                                     x_levels=_order_like(levels["x"], split.x_order), series=split.series_order,
                                     ordered=split.ordered, scenarios=scenarios)
            shown = levels
        else:
            plots.plot_kpis(pooled, kpis, out / fig("kpis"), scenarios=scenarios)
            shown = pooled
        kpi_figure = files[-1]
        by_point = design_kind in ("grid", "zip") and summary["point"].nunique() <= MAX_POINT_ROWS and factors
        per = summary_stats(summary, factors=factors, metrics=kpis) if by_point else pooled
        paper = paper_table(per, kpis, factors=factors if by_point else ())
        if len(paper):
            rank = {name: i for i, name in enumerate(scenarios)}
            paper = paper.sort_values("scenario", key=lambda col: col.map(rank), kind="stable").reset_index(drop=True)
        _write_paper_table(paper, per, kpis, factors if by_point else (), out)
        files += ["kpi_table.csv", "kpi_table.md", "kpi_table.tex"]
        sections.append(_section(
            "kpis", "End-of-run KPIs",
            [f"Mean over runs with its 95 % confidence interval ({_n_text(shown)}), "
             + (split.kpi_text() if split.splits else "per scenario and seller"
                + (", design points pooled" if design_kind != "single" else "") + ".")
             + _interval_text(), *([split.note] if split.note else []), *_money_note(kpis)],
            figures=[(kpi_figure, "End-of-run KPIs per scenario and seller"
                      + (f" by {', '.join(split.named)}" if split.splits else ""))],
            tables=[("Table: mean [95 % CI]" + (" per design point" if by_point else ""), _styled_html(paper, "kpi"))],
            links=[("kpi_table.csv", "CSV"), ("kpi_table.md", "Markdown"), ("kpi_table.tex", "LaTeX (booktabs)")]))
    # Time series.
    if len(table) and metrics and table["day"].nunique() > 1:
        if split.splits:
            levels = level_stats(table, "table", split, metrics)
            figures = []
            for metric in metrics:
                plots.plot_timeseries_by_level(levels, metric, out / fig(f"timeseries-{_slug(metric)}"),
                                               series=split.series_order, facets=split.facet_order,
                                               ordered=split.ordered, scenarios=scenarios)
                figures.append((files[-1], f"{metric} over time by {', '.join(split.named)}"))
            text = [f"Daily metrics: mean over runs with a 95 % confidence band, {split.timeseries_text()}",
                    *([split.note] if split.note else [])]
        else:
            ts = run_stats(table, pooled=True, metrics=metrics)
            plots.plot_timeseries(ts, metrics, out / fig("timeseries"), scenarios=scenarios)
            figures = [(files[-1], "Time series with 95% confidence bands")]
            text = ["Daily metrics: mean over runs with a 95 % confidence band, one line per scenario"
                    + (", design points pooled." if design_kind != "single" else ".")]
            if split.note:
                text.append(split.note)
        sections.append(_section("timeseries", "Over time", text, figures=figures))
    # Design-specific figures.
    if len(summary) and factors and design_kind in ("grid", "zip"):
        varying = [f for f in factors if summary[f].nunique() > 1]
        if design_kind == "grid" and len(varying) >= 2:
            x, y = varying[0], varying[1]
            for kpi in kpis[:3]:
                cells = heatmap_cells(summary, x, y, kpi)
                name = f"heatmap-{_slug(kpi)}"
                cells.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
                plots.plot_heatmap(cells, x, y, kpi, out / fig(name))
                files.append(f"{name}.csv")
                annotated = len(_order(cells[x])) * len(_order(cells[y])) <= plots.HEATMAP_ANNOTATE_MAX
                sections.append(_section(
                    f"heatmap-{_slug(kpi)}", f"Heat map: {kpi}",
                    [f"Mean {kpi} over {x} × {y}" + (" (other factors pooled)" if len(varying) > 2 else "") + ". "
                     + ("Each cell prints the mean, its 95 % confidence interval [low, high] and n, the runs it "
                        "averages." if annotated else
                        "The grid is too large to print each cell's interval; the panel beside each map shows "
                        "the width of its 95 % confidence interval, and the CSV lists mean, interval and n of "
                        "every cell.")],
                    figures=[(files[-2], f"Heat map of {kpi} with 95% intervals and n")],
                    links=[(f"{name}.csv", "CSV (mean, interval and n per cell)")]))
        # response curves where the KPI figure does not already show each level of the factor
        shown = {split.x_factor, *split.series} if split.splits else set()
        for factor in varying[:2] if (design_kind == "zip" or len(varying) == 1) else []:
            if factor in shown:
                continue
            per = summary_stats(summary, factors=[factor], metrics=kpis)
            per = per.groupby(["scenario", factor, "seller", "metric"], sort=True, as_index=False).first()
            plots.plot_response(per, factor, kpis, out / fig(f"response-{_slug(factor)}"), scenarios=scenarios)
            sections.append(_section(f"response-{_slug(factor)}", f"Response to {factor}",
                                     ["Mean with 95 % CI at each level, per scenario."],
                                     figures=[(files[-1], f"Response to {factor}")]))
    if len(summary) and factors and design_kind in ("sobol", "morris"):
        if design_kind == "morris" and (design is None or not all(f"u:{f}" in design for f in factors)):
            sections.append(_section("sensitivity", "Sensitivity", ["Morris indices need the design's unit "
                                                                    "coordinates (design.csv); not available."]))
        else:
            n_points = len(design) if design is not None else int(summary["point"].max()) + 1
            design_frame = design if design is not None else _points_frame(n_points)
            indices, notes = sensitivity_table(summary, design_frame, factors, design_kind, kpis,
                                               second_order=bool(design_options.get("second_order")),
                                               grid_levels=int(design_options.get("grid_levels") or 4),
                                               root_seed=root_seed)
            indices.to_csv(out / "sensitivity.csv", index=False, lineterminator="\n")
            files.append("sensitivity.csv")
            text = ("Sobol' indices (SALib): S1 is the share of the KPI's variance due to the factor alone, "
                    "ST includes its interactions; bars show 95 % bootstrap intervals."
                    if design_kind == "sobol" else
                    "Morris screening (SALib): mu* is the mean absolute elementary effect of moving a factor "
                    "across its range (unit scale), sigma its spread (non-linearity, interactions).")
            figures, tables = [], []
            if len(indices):
                draw = plots.plot_sobol if design_kind == "sobol" else plots.plot_morris
                draw(indices, out / fig("sensitivity"))
                figures.append((files[-1], "Sensitivity indices"))
                tables.append(("", _styled_html(indices, "sensitivity", precision=4)))
            sections.append(_section("sensitivity", f"Sensitivity ({design_kind})", [text], figures=figures,
                                     tables=tables, notes=notes, links=[("sensitivity.csv", "CSV")]))
    # Failures.
    if runs is not None and len(runs) and (runs["status"] != "ok").any():
        failed = runs[runs["status"] != "ok"][["run_id", "error"]]
        sections.append(_section("failures", f"Failed runs ({len(failed)})",
                                 ["Tracebacks are in failures.jsonl of the results folder."],
                                 tables=[("", _styled_html(failed.head(50), "failed"))]))
    page = render_page(title, description, meta or {}, sections)
    (out / "index.html").write_text(page, encoding="utf-8", newline="\n")


# ---------------------------------------------------------------------------------------------
# Splitting a design's points by factor level
# ---------------------------------------------------------------------------------------------

#: designs whose points each take their own factor values: there are no levels to split by
SAMPLED_DESIGNS = ("random", "lhs", "sobol", "morris")
#: at most this many columns of panels (levels of the facet factor) ...
MAX_FACETS = 6
#: ... and this many lines or points per panel (levels, or combinations of levels, of the series factors)
MAX_SERIES = 10


@dataclass(frozen=True)
class Split:
    """How the time-series and KPI figures show a design's points: by factor level.

    Pooling every design point into one curve per scenario mixes, say, 1 and 100 posts a day
    into a mean that no run had. So the figures split: ``series`` factors' level combinations
    are lines (time series) or points (KPIs) named ``factor = level`` in a legend, and the
    ``facet`` factor's levels are columns of panels (time series) or the KPI figure's x axis.
    ``pooled`` lists varying factors that the figures still pool (a third factor of a grid that
    did not fit), ``note`` says why in the report. No ``series``: the figures are as for one
    design point (one line per scenario), pooled over any ``pooled`` factors.
    """

    facet: str | None = None
    series: tuple[str, ...] = ()
    pooled: tuple[str, ...] = ()
    note: str = ""
    #: level values in display order: facet levels, series combinations (tuples)
    facet_values: tuple = ()
    series_values: tuple = ()

    @property
    def splits(self) -> bool:
        return bool(self.series)

    @property
    def named(self) -> list[str]:
        """The factors the figures split by, facet first."""
        return [*([self.facet] if self.facet else []), *self.series]

    @property
    def x_factor(self) -> str | None:
        """The factor on the KPI figure's x axis: the facet factor, else the first series factor."""
        return self.facet or (self.series[0] if self.series else None)

    @property
    def ordered(self) -> bool:
        """Series of one numeric factor take a sequential colour map."""
        return len(self.series) == 1 and all(_is_number(v[0]) for v in self.series_values)

    @property
    def facet_order(self) -> list[str]:
        return [level_label(self.facet, v) for v in self.facet_values] if self.facet else [""]

    @property
    def series_order(self) -> list[str]:
        return [series_label(self.series, v) for v in self.series_values]

    @property
    def x_order(self) -> list[str]:
        values = self.facet_values if self.facet else _order(v[0] for v in self.series_values)
        return [_value(v) for v in values]

    def kpi_text(self) -> str:
        x = f"x axis: the levels of {self.x_factor}"
        if self.facet or len(self.series) > 1:
            return f"per scenario and seller; {x}, one colour per {self.series_text()}."
        return f"per scenario and seller; {x}, one colour per level."

    def timeseries_text(self) -> str:
        facet = f"a column of panels per level of {self.facet}, " if self.facet else ""
        return f"a row of panels per scenario and seller, {facet}one line per {self.series_text()}."

    def series_text(self) -> str:
        if len(self.series) == 1:
            return f"level of {self.series[0]}"
        return "combination of " + ", ".join(self.series)


def choose_split(summary: pd.DataFrame, factors: Sequence[str], design_kind: str) -> Split:
    """Choose how the figures split a design's points (see :class:`Split`).

    * One design point, or no factor that varies: no split (the report of a single-point
      experiment looks as it always did).
    * Sampled designs (random, lhs, sobol, morris): every point has its own values, so there
      are no levels; the figures pool the points and say so (sobol and morris add the
      sensitivity indices, grids the heat maps).
    * zip designs (factors moving together): one series per design point, up to
      :data:`MAX_SERIES` points.
    * grid designs: one factor's levels are lines/points, up to :data:`MAX_SERIES`; with two or
      more factors, the factor with the fewest levels (at most :data:`MAX_FACETS`) becomes the
      facet and the others, in the spec's order, are series while their combinations fit
      within :data:`MAX_SERIES`; what does not fit is pooled and named. A grid too large for
      that (e.g. 20 x 20 levels) is pooled, and its heat maps show every cell with its
      uncertainty.
    """
    varying = [f for f in factors if f in summary.columns and summary[f].nunique(dropna=False) > 1]
    if not varying:
        return Split()
    points = summary["point"].nunique() if "point" in summary.columns else 0
    levels = {f: _levels(summary[f]) for f in varying}
    if design_kind in SAMPLED_DESIGNS:
        where = ("the sensitivity indices below say which factors matter" if design_kind in ("sobol", "morris")
                 else "summary.parquet holds each run's factor values")
        return Split(pooled=tuple(varying), note=(
            f"Design points pooled: a {design_kind} design samples {points} points, each with its own factor "
            f"values, so there are no levels to split by; {where}."))
    if design_kind == "zip" or len(varying) == 1:
        combos = _order(tuple(row) for row in summary[varying].itertuples(index=False, name=None))
        if len(combos) > MAX_SERIES:
            return Split(pooled=tuple(varying), note=(
                f"Design points pooled: {len(combos)} levels are too many for one figure; the response curves "
                "below show each level."))
        rank = {v: i for i, v in enumerate(levels[varying[0]])}
        combos.sort(key=lambda c: rank[c[0]])
        return Split(series=tuple(varying), series_values=tuple(combos))
    facet = min(varying, key=lambda f: len(levels[f]))          # the first of the fewest levels
    if len(levels[facet]) > MAX_FACETS:
        return Split(pooled=tuple(varying), note=(
            f"Design points pooled: every factor has more than {MAX_FACETS} levels, too many for panels; the "
            "heat maps below show each cell of the grid with its interval and n."))
    series: list[str] = []
    for f in varying:
        if f != facet and math.prod(len(levels[g]) for g in [*series, f]) <= MAX_SERIES:
            series.append(f)
    if not series:
        return Split(pooled=tuple(varying), note=(
            f"Design points pooled: the factors have too many levels for {MAX_SERIES} lines a panel; the heat "
            "maps below show each cell of the grid with its interval and n."))
    pooled = tuple(f for f in varying if f != facet and f not in series)
    present = set(summary[series].itertuples(index=False, name=None))
    combos = tuple(c for c in itertools.product(*(levels[f] for f in series)) if c in present)
    note = (f"Pooled over {', '.join(pooled)}: {len(pooled) + 1 + len(series)} factors are more than "
            "panels and colours can show at once; each line mixes their levels." if pooled else "")
    return Split(facet=facet, series=tuple(series), pooled=pooled, note=note,
                 facet_values=tuple(levels[facet]), series_values=combos)


def level_stats(df: pd.DataFrame, table: str, split: Split, metrics: Sequence[str]) -> pd.DataFrame:
    """Stats across runs per scenario x seller (x day) x the split's factor levels.

    The intervals are :func:`~viralsim.results.stats.ci_stats`' with the column dictionary's
    bounds (``table`` is ``summary`` or ``table``), as in the results folder's own stats; the
    split's pooled factors are pooled. Adds the label columns the figures draw by: ``facet``,
    ``series`` (``factor = level``) and ``x`` (the KPI figure's tick label).
    """
    keys = ["scenario", *split.named, "seller", *(["day"] if "day" in df.columns else [])]
    out = ci_stats(df, keys, metrics, bounds=dictionary_bounds(df, table, metrics))
    out["facet"] = [level_label(split.facet, v) for v in out[split.facet]] if split.facet else ""
    out["series"] = [series_label(split.series, v) for v in out[list(split.series)].itertuples(index=False, name=None)]
    out["x"] = [_value(v) for v in out[split.x_factor]]
    return out


def level_label(factor: str, value) -> str:
    """``factor = level``, as the figures' legends and panel titles name a level."""
    return f"{factor} = {_value(value)}"


def series_label(factors: Sequence[str], values: Sequence) -> str:
    return ", ".join(level_label(f, v) for f, v in zip(factors, values))


def heatmap_cells(summary: pd.DataFrame, x: str, y: str, kpi: str) -> pd.DataFrame:
    """Per scenario x seller x grid cell: n, mean and 95 % interval of ``kpi`` over the runs
    (other factors pooled), with the column dictionary's bounds."""
    cells = ci_stats(summary, ["scenario", "seller", y, x], [kpi], bounds=dictionary_bounds(summary, "summary", [kpi]))
    rank = {name: i for i, name in enumerate(_order(summary["scenario"]))}
    return cells.sort_values("scenario", key=lambda col: col.map(rank), kind="stable").reset_index(drop=True)


def _levels(values) -> list:
    """A factor's levels: numbers in increasing order, anything else in order of appearance."""
    levels = _order(values)
    return sorted(levels) if all(_is_number(v) for v in levels) else levels


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _value(v) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    if isinstance(v, np.integer):
        return str(int(v))
    return str(v)


def _order_like(values, order: Sequence[str]) -> list[str]:
    present = set(values)
    return [v for v in order if v in present]


def _interval_text() -> str:
    return (" Intervals keep within what a KPI can be (counts at least 0, shares between 0 and 1), so they are "
            "asymmetric near a bound.")


# ---------------------------------------------------------------------------------------------
# Paper table
# ---------------------------------------------------------------------------------------------


#: KPIs counted in money: the report says their currency once, under the KPI table
MONEY_KPIS = ("revenue", "cost", "profit")


def _money_note(kpis: Sequence[str]) -> list[str]:
    """The KPI section's sentence on money, when it shows any: the table cells hold bare numbers
    (mean [CI]), so the currency and what profit subtracts are said in words."""
    shown = [k for k in kpis if k in MONEY_KPIS]
    if not shown:
        return []
    return [f"Money ({', '.join(shown)}) is in yuan; profit is revenue minus unit costs, action costs "
            "(the seller's time, docs/model.md §3.3.20), commissions and KOL fees."]


def paper_table(sstats: pd.DataFrame, kpis: Sequence[str], factors: Sequence[str] = ()) -> pd.DataFrame:
    """KPIs as ``mean [ci_low, ci_high]`` text, one row per scenario (x factor levels) x seller.

    ``sstats`` is long, from :func:`~viralsim.results.stats.summary_stats`.
    """
    keys = ["scenario", *factors, "seller"]
    rows = []
    for key, g in sstats.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(keys, key))
        by = g.set_index("metric")
        row["n"] = int(by["n"].max()) if len(by) else 0
        for kpi in kpis:
            if kpi in by.index:
                r = by.loc[kpi]
                row[kpi] = _cell(r["mean"], r["ci_low"], r["ci_high"])
        rows.append(row)
    return pd.DataFrame(rows)


def _write_paper_table(paper: pd.DataFrame, sstats: pd.DataFrame, kpis: Sequence[str], factors: Sequence[str],
                       out: Path) -> None:
    keys = ["scenario", *factors, "seller"]
    wide = sstats[sstats["metric"].isin(kpis)].pivot_table(index=keys, columns="metric",
                                                           values=["mean", "ci_low", "ci_high"], sort=False)
    wide.columns = [f"{m}_{stat}" for stat, m in wide.columns]
    order = [f"{k}_{s}" for k in kpis for s in ("mean", "ci_low", "ci_high") if f"{k}_{s}" in wide.columns]
    wide = wide[order].reset_index()
    wide.to_csv(out / "kpi_table.csv", index=False, lineterminator="\n")
    (out / "kpi_table.md").write_text(_markdown(paper), encoding="utf-8", newline="\n")
    (out / "kpi_table.tex").write_text(_latex(paper), encoding="utf-8", newline="\n")


def _cell(mean: float, lo: float, hi: float) -> str:
    if not _finite(mean):
        return "n/a"
    if not (_finite(lo) and _finite(hi)):
        return _num(mean)
    return f"{_num(mean)} [{_num(lo)}, {_num(hi)}]"


def _num(x: float) -> str:
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if x == 0:
        return "0"
    return f"{x:.3g}"


def _finite(x) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _markdown(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join("" if v is None else str(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def _latex(df: pd.DataFrame) -> str:
    """The paper table as a booktabs ``tabular`` (pandas Styler), with a comment saying what it is."""
    body = _styled(df, "kpi", escape="latex").to_latex(hrules=True, column_format="l" * len(df.columns))
    return r"% Generated by viralsim report: mean [95% CI] over runs. Needs \usepackage{booktabs}." + "\n" + body


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

#: the page template (Jinja2, in ``viralsim/analysis/templates``)
TEMPLATE = "report.html.j2"


def _environment() -> jinja2.Environment:
    """The report's Jinja2 environment: templates shipped in the package (so an installed
    viralsim finds them), autoescaping on (titles, descriptions and factor names are the
    user's text), and StrictUndefined, so a variable the code forgets to pass fails loudly
    instead of printing nothing."""
    return jinja2.Environment(loader=jinja2.PackageLoader("viralsim.analysis", "templates"),
                              autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True)


def render_page(title: str, description: str, meta: dict, sections: Sequence[dict]) -> str:
    """The report's ``index.html``: :data:`TEMPLATE` filled with the metadata and the sections
    (:func:`_section`). Nothing in it reaches outside the report folder: figures and tables
    are referenced by relative paths, the style sheet is inline, and there is no script."""
    meta_rows = [(str(k), str(v)) for k, v in meta.items() if v not in (None, "")]
    return _environment().get_template(TEMPLATE).render(title=title, description=description, meta=meta_rows,
                                                        sections=list(sections))


def _section(anchor: str, heading: str, text: Sequence[str], *, figures: Sequence[tuple[str, str]] = (),
             tables: Sequence[tuple[str, str]] = (), notes: Sequence[str] = (),
             links: Sequence[tuple[str, str]] = ()) -> dict:
    """One section of the page, as the template reads it. ``text`` and ``notes`` are plain text
    (escaped by the template); ``figures`` and ``links`` are (file, description) pairs;
    ``tables`` are (caption, HTML from :func:`_styled_html`), which the template inserts
    as it is (Styler escaped the cells)."""
    return {"id": anchor, "heading": heading, "text": list(text), "notes": list(notes),
            "figures": [{"src": src, "alt": alt} for src, alt in figures],
            "tables": [{"caption": caption, "html": markup} for caption, markup in tables],
            "links": [{"href": href, "text": label} for href, label in links]}


def _styled(df: pd.DataFrame, uuid: str, *, escape: str, precision: int = 3) -> Styler:
    """A pandas Styler of a report table: no index, empty cells for missing values, the cells
    and headers escaped for the output (``html`` or ``latex``), and a fixed table id (``uuid``;
    Styler's default is random, which would change the page's bytes on every call)."""
    return (Styler(df, uuid=uuid, cell_ids=False)
            .format(na_rep="", precision=precision, escape=escape)
            .format_index(escape=escape, axis=1)
            .hide(axis="index"))


def _styled_html(df: pd.DataFrame, uuid: str, precision: int = 3) -> str:
    return _styled(df, uuid, escape="html", precision=precision).to_html(table_attributes='class="data"')


def _pick(wanted: Sequence[str] | None, default: Sequence[str], df: pd.DataFrame, what: str, where: str) -> list[str]:
    if wanted:
        for w in wanted:
            if w not in df.columns:
                close = difflib.get_close_matches(w, [str(c) for c in df.columns], n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ReportError(f"{what} {w!r} is not a column of the {where}{hint}")
        return list(wanted)
    return [c for c in default if c in df.columns]


def _order(values) -> list:
    seen: list = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def _n_text(sstats: pd.DataFrame) -> str:
    ns = sorted({int(n) for n in sstats["n"]}) if len(sstats) else []
    if not ns:
        return "no runs"
    return f"n = {ns[0]} runs each" if len(ns) == 1 else f"n = {ns[0]}-{ns[-1]} runs each"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_") or "x"


def _design_text(design: dict, factors: Sequence[str]) -> str:
    kind = design.get("kind", "single")
    if kind == "single":
        return "none (scenarios only)"
    return f"{kind}, {design.get('points')} points over {', '.join(factors)}"


def _points_frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"point": range(n)})
