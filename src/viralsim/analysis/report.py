"""HTML report of an experiment: figures, a paper-ready KPI table and sensitivity indices.

:func:`write_report` reads a results folder written by ``viralsim sweep``;
:func:`build_report` does the same work from DataFrames (the long table and the per-run
summary), so a report can be made of data assembled in Python. The report folder is
self-contained: ``index.html`` references its figures (PNG or SVG) and tables by relative
paths, so it can be zipped, mailed or published as it is.

Contents: the experiment's metadata; end-of-run KPIs per scenario and seller with 95 %
confidence intervals (figure and table, also as ``kpi_table.csv``, ``.md`` and ``.tex``);
time series of daily metrics with 95 % CI bands per scenario; for grid designs, response
curves (one factor) or heat maps (two or more factors); for sobol and morris designs, SALib's
sensitivity indices (figure and ``sensitivity.csv``); and the failed runs.
"""

from __future__ import annotations

import difflib
import html
import math
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from viralsim import folders
from viralsim.analysis import plots
from viralsim.analysis.sensitivity import sensitivity_table
from viralsim.results.provenance import describe_code
from viralsim.results.stats import run_stats, summary_stats
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
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


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
    sections: list[str] = []
    files: list[str] = []

    def fig(name: str) -> Path:
        files.append(f"{name}.{fmt}")
        return out / f"{name}.{fmt}"

    # End-of-run KPIs.
    if len(summary) and kpis:
        pooled = summary_stats(summary, pooled=True, metrics=kpis)
        plots.plot_kpis(pooled, kpis, fig("kpis"), scenarios=scenarios)
        by_point = design_kind in ("grid", "zip") and summary["point"].nunique() <= MAX_POINT_ROWS and factors
        per = summary_stats(summary, factors=factors, metrics=kpis) if by_point else pooled
        paper = paper_table(per, kpis, factors=factors if by_point else ())
        if len(paper):
            rank = {name: i for i, name in enumerate(scenarios)}
            paper = paper.sort_values("scenario", key=lambda col: col.map(rank), kind="stable").reset_index(drop=True)
        _write_paper_table(paper, per, kpis, factors if by_point else (), out)
        files += ["kpi_table.csv", "kpi_table.md", "kpi_table.tex"]
        n_text = _n_text(pooled)
        sections.append(
            "<h2>End-of-run KPIs</h2>"
            f"<p>Mean over runs with its 95&nbsp;% confidence interval (Student's t; {n_text}), per scenario and "
            "seller" + (", design points pooled" if design_kind not in ("single",) else "") + ".</p>"
            f"{_img(files[-4], 'End-of-run KPIs per scenario and seller')}"
            "<h3>Table</h3><p>Mean [95&nbsp;% CI]" + (" per design point" if by_point else "") +
            ". Also as <a href='kpi_table.csv'>CSV</a>, <a href='kpi_table.md'>Markdown</a> and "
            "<a href='kpi_table.tex'>LaTeX</a>.</p>" + _html_table(paper))
    # Time series.
    if len(table) and metrics and table["day"].nunique() > 1:
        ts = run_stats(table, pooled=True, metrics=metrics)
        plots.plot_timeseries(ts, metrics, fig("timeseries"), scenarios=scenarios)
        sections.append(
            "<h2>Over time</h2><p>Daily metrics: mean over runs with a 95&nbsp;% confidence band, one line per "
            f"scenario{', design points pooled' if design_kind != 'single' else ''}.</p>"
            + _img(files[-1], "Time series with 95% confidence bands"))
    # Design-specific figures.
    if len(summary) and factors and design_kind in ("grid", "zip"):
        levels = {f: summary[f].nunique() for f in factors}
        varying = [f for f in factors if levels[f] > 1]
        if design_kind == "grid" and len(varying) >= 2:
            x, y = varying[0], varying[1]
            for kpi in kpis[:3]:
                plots.plot_heatmap(summary, x, y, kpi, fig(f"heatmap-{_slug(kpi)}"))
                sections.append(f"<h2>Heat map: {html.escape(kpi)}</h2><p>Mean {html.escape(kpi)} over "
                                f"<code>{html.escape(x)}</code> &times; <code>{html.escape(y)}</code>"
                                + (" (other factors averaged)" if len(varying) > 2 else "") + ".</p>"
                                + _img(files[-1], f"Heat map of {kpi}"))
        for factor in varying[:2] if (design_kind == "zip" or len(varying) == 1) else []:
            per = summary_stats(summary, factors=[factor], metrics=kpis)
            per = per.groupby(["scenario", factor, "seller", "metric"], sort=True, as_index=False).first()
            plots.plot_response(per, factor, kpis, fig(f"response-{_slug(factor)}"), scenarios=scenarios)
            sections.append(f"<h2>Response to <code>{html.escape(factor)}</code></h2><p>Mean with 95&nbsp;% CI "
                            "at each level, per scenario.</p>" + _img(files[-1], f"Response to {factor}"))
    if len(summary) and factors and design_kind in ("sobol", "morris"):
        if design_kind == "morris" and (design is None or not all(f"u:{f}" in design for f in factors)):
            sections.append("<h2>Sensitivity</h2><p>Morris indices need the design's unit coordinates "
                            "(design.csv); not available.</p>")
        else:
            n_points = len(design) if design is not None else int(summary["point"].max()) + 1
            design_frame = design if design is not None else _points_frame(n_points)
            indices, notes = sensitivity_table(summary, design_frame, factors, design_kind, kpis,
                                               second_order=bool(design_options.get("second_order")),
                                               grid_levels=int(design_options.get("grid_levels") or 4),
                                               root_seed=root_seed)
            indices.to_csv(out / "sensitivity.csv", index=False, lineterminator="\n")
            files.append("sensitivity.csv")
            text = ("<p>Sobol' indices (SALib): S1 is the share of the KPI's variance due to the factor alone, "
                    "ST includes its interactions; bars show 95&nbsp;% bootstrap intervals.</p>"
                    if design_kind == "sobol" else
                    "<p>Morris screening (SALib): mu* is the mean absolute elementary effect of moving a factor "
                    "across its range (unit scale), sigma its spread (non-linearity, interactions).</p>")
            body = f"<h2>Sensitivity ({design_kind})</h2>{text}"
            if len(indices):
                draw = plots.plot_sobol if design_kind == "sobol" else plots.plot_morris
                draw(indices, fig("sensitivity"))
                body += _img(files[-1], "Sensitivity indices") + _html_table(indices.round(4))
            body += "".join(f"<p class='note'>{html.escape(n)}</p>" for n in notes)
            body += "<p>As <a href='sensitivity.csv'>CSV</a>.</p>"
            sections.append(body)
    # Failures.
    if runs is not None and len(runs) and (runs["status"] != "ok").any():
        failed = runs[runs["status"] != "ok"][["run_id", "error"]]
        sections.append(f"<h2>Failed runs ({len(failed)})</h2><p>Tracebacks are in <code>failures.jsonl</code> "
                        "of the results folder.</p>" + _html_table(failed.head(50)))
    page = _page(title, description, meta or {}, sections)
    (out / "index.html").write_text(page, encoding="utf-8", newline="\n")


# ---------------------------------------------------------------------------------------------
# Paper table
# ---------------------------------------------------------------------------------------------


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
    special = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
               "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}"}

    def esc(text) -> str:
        return re.sub(r"[\\&%$#_{}~^]", lambda m: special[m.group(0)], str(text))

    cols = list(df.columns)
    lines = [r"% Generated by viralsim report: mean [95% CI] over runs. Needs \usepackage{booktabs}.",
             r"\begin{tabular}{" + "l" * len(cols) + "}", r"\toprule",
             " & ".join(esc(c) for c in cols) + r" \\", r"\midrule"]
    for row in df.itertuples(index=False):
        lines.append(" & ".join(esc("" if v is None else v) for v in row) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd}h3{font-size:1.05em}
table{border-collapse:collapse;font-size:.85em;margin:.6em 0}th,td{border:1px solid #ccc;padding:.25em .5em;
text-align:left}th{background:#f3f3f3}img{max-width:100%;border:1px solid #eee}code{background:#f5f5f5;
padding:0 .2em}.note{color:#8a5a00;font-size:.9em}.meta td:first-child{font-weight:600}
"""


def _page(title: str, description: str, meta: dict, sections: list[str]) -> str:
    rows = "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
                   for k, v in meta.items() if v not in (None, ""))
    desc = f"<p>{html.escape(description)}</p>" if description else ""
    body = "\n".join(sections) if sections else "<p>No results to show.</p>"
    return (f"<!doctype html>\n<html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body>\n<h1>{html.escape(title)}</h1>{desc}\n"
            f"<table class='meta'>{rows}</table>\n{body}\n"
            "<p style='color:#888;font-size:.8em'>Generated by viralsim report.</p></body></html>\n")


def _img(name: str, alt: str) -> str:
    return f"<p><img src='{html.escape(name)}' alt='{html.escape(alt)}'></p>"


def _html_table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, border=0, na_rep="", escape=True)


# ---------------------------------------------------------------------------------------------


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
    return f"n = {ns[0]} runs per bar" if len(ns) == 1 else f"n = {ns[0]}-{ns[-1]} runs per bar"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_") or "x"


def _design_text(design: dict, factors: Sequence[str]) -> str:
    kind = design.get("kind", "single")
    if kind == "single":
        return "none (scenarios only)"
    return f"{kind}, {design.get('points')} points over {', '.join(factors)}"


def _points_frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"point": range(n)})
