"""Statistics, sensitivity indices and the HTML report (from a results folder and from DataFrames)."""

from __future__ import annotations

import itertools
import re

import jinja2
import numpy as np
import pandas as pd
import pytest
from experiment_helpers import GRID_SPEC, write_spec
from scipy import stats as sps

from viralsim.analysis import plots
from viralsim.analysis.report import (
    TEMPLATE,
    build_report,
    choose_split,
    heatmap_cells,
    level_stats,
    render_page,
    write_report,
)
from viralsim.analysis.sensitivity import morris_indices, sobol_indices
from viralsim.cli import main
from viralsim.experiment.spec import load_experiment
from viralsim.experiment.sweep import run_sweep
from viralsim.results.stats import ci_stats, summary_stats
from viralsim.results.sweep_folder import read_results


def test_ci_stats_match_the_t_interval():
    df = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 3 + ["c"], "x": [1.0, 2, 3, 6, 5, 5, 8, 4]})
    out = ci_stats(df, ["g"], ["x"]).set_index("g")
    a = np.array([1.0, 2, 3, 6])
    half = sps.t.ppf(0.975, 3) * a.std(ddof=1) / 2
    assert out.loc["a", "n"] == 4 and out.loc["a", "mean"] == pytest.approx(3.0)
    assert out.loc["a", "ci_low"] == pytest.approx(3 - half) and out.loc["a", "ci_high"] == pytest.approx(3 + half)
    assert np.isnan(out.loc["c", "std"]) and np.isnan(out.loc["c", "ci_low"])  # one observation
    assert list(out.columns) == ["metric", "n", "mean", "std", "ci_low", "ci_high"]


def test_summary_stats_pool_or_split_design_points():
    summary = pd.DataFrame({"scenario": ["s"] * 4, "point": [0, 0, 1, 1], "f": [1, 1, 2, 2],
                            "seller": ["x"] * 4, "replicate": [0, 1, 0, 1], "profit": [1.0, 3, 5, 7]})
    split = summary_stats(summary, factors=["f"])
    assert split["mean"].tolist() == [2.0, 6.0] and split["f"].tolist() == [1, 2]
    pooled = summary_stats(summary, factors=["f"], pooled=True)
    assert pooled["mean"].tolist() == [4.0] and pooled["n"].tolist() == [4]


def ishigami(x):
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_and_morris_indices_rank_factors():
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    u = sobol_sample.sample(problem, 512, calc_second_order=False, seed=1)
    y = ishigami(-np.pi + 2 * np.pi * u)
    s = sobol_indices(y, ["a", "b", "c"], seed=1).set_index("factor")
    assert s.loc["a", "S1"] == pytest.approx(0.31, abs=0.08)
    assert s.loc["b", "S1"] == pytest.approx(0.44, abs=0.08)
    assert s.loc["c", "S1"] == pytest.approx(0.0, abs=0.08)
    assert s.loc["c", "ST"] > 0.1  # c acts through its interaction with a
    u = morris_sample.sample(problem, 40, num_levels=4, seed=1)
    m = morris_indices(u, ishigami(-np.pi + 2 * np.pi * u), ["a", "b", "c"], seed=1).set_index("factor")
    assert m["mu_star"].idxmin() == "c" or m.loc["c", "mu_star"] < m.loc["b", "mu_star"]


@pytest.fixture(scope="module")
def grid_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    spec = {**GRID_SPEC, "design": {"kind": "grid", "factors": {
        "sellers.spam.posts_per_day": {"levels": [10, 120]}, "platform.moderation": {"levels": ["none",
                                                                                              "harassment_prompt"]}}}}
    out = folder / "results"
    run_sweep(load_experiment(write_spec(folder, spec)), out, executor="serial")
    return out


def images_of(index):
    html = index.read_text(encoding="utf-8")
    return html, re.findall(r"<img src=\"([^\"]+)\"", html)


def test_report_of_a_two_factor_grid(grid_results, capsys):
    assert main(["report", str(grid_results), "--kpi", "profit", "--kpi", "customers",
                 "--metric", "customers"]) == 0
    index = grid_results / "report" / "index.html"
    assert capsys.readouterr().out.strip() == f"report: {index}"
    html, images = images_of(index)
    # split by factor level: one time-series figure per metric, not one pooled figure
    assert {"kpis.png", "timeseries-customers.png", "heatmap-profit.png", "heatmap-customers.png"} <= set(images)
    assert "timeseries.png" not in images
    assert "one line per level of" in html and "a column of panels per level of" in html
    for name in images:
        data = (index.parent / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    for table in ("kpi_table.csv", "kpi_table.md", "kpi_table.tex"):
        assert (index.parent / table).stat().st_size > 100 and table in html
    paper = pd.read_csv(index.parent / "kpi_table.csv")
    assert {"profit_mean", "profit_ci_low", "profit_ci_high"} <= set(paper.columns)
    assert len(paper) == 2 * 4 + 1 * 4  # scenario x point x seller
    assert "<h1>Experiment grid_exp</h1>" in html and "root seed" in html
    assert "Money (profit) is in yuan" in html          # the table cells are bare numbers
    cells = pd.read_csv(index.parent / "heatmap-profit.csv")
    assert {"n", "mean", "ci_low", "ci_high"} <= set(cells.columns) and (cells["n"] == 2).all()


def test_report_errors(grid_results, tmp_path, capsys):
    assert main(["report", str(grid_results), "--kpi", "proft", "--out", str(tmp_path / "r")]) == 2
    assert "did you mean 'profit'?" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 2
    assert "not a viralsim experiment results folder" in capsys.readouterr().err


@pytest.mark.parametrize("kind, samples", [("sobol", 4), ("morris", 4)])
def test_report_of_a_sensitivity_design(tmp_path, kind, samples):
    spec = {"name": kind, "base": "base.yaml", "seed": 3, "outputs": {"every": "end"},
            "scenarios": {"spam_alone": {"sellers.community": None}},
            "design": {"kind": kind, "samples": samples, "factors": {
                "sellers.spam.posts_per_day": {"range": [5, 150]}, "ties.mute_threshold": {"range": [50, 600]}}}}
    out = tmp_path / "results"
    run_sweep(load_experiment(write_spec(tmp_path, spec)), out, executor="serial")
    index = write_report(out, kpis=["purchases", "followers_end"], fmt="svg")
    html, images = images_of(index)
    assert "sensitivity.svg" in images and "timeseries.svg" not in images  # end-only outputs
    assert (index.parent / "sensitivity.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    indices = pd.read_csv(index.parent / "sensitivity.csv")
    assert set(indices["factor"]) == {"sellers.spam.posts_per_day", "ties.mute_threshold"}
    assert {"S1", "ST"} <= set(indices.columns) if kind == "sobol" else {"mu_star", "sigma"} <= set(indices.columns)


def test_report_from_dataframes(tmp_path):
    rng = np.random.default_rng(0)
    rows = []
    for scenario in ("a", "b"):
        for rep in range(5):
            for day in range(1, 11):
                rows.append({"run": rep, "scenario": scenario, "point": 0, "seller": "me", "day": day,
                             "customers": day * (2 if scenario == "b" else 1) + rng.normal()})
    table = pd.DataFrame(rows)
    summary = table[table["day"] == 10].rename(columns={"customers": "purchases"})
    index = build_report(table, summary, tmp_path / "r", title="From Python")
    html, images = images_of(index)
    assert images == ["kpis.png", "timeseries.png"]
    assert all((index.parent / i).stat().st_size > 5000 for i in images)
    assert "From Python" in html


# --- figures by factor level, heat-map uncertainty, the template, offline, same bytes ---------------

POSTS, MODERATION = "sellers.spam.posts_per_day", "platform.moderation"


def test_a_two_factor_grid_gets_one_series_per_design_point(grid_results):
    res = read_results(grid_results)
    split = choose_split(res.summary, res.factors, "grid")
    assert split.facet == POSTS and split.series == (MODERATION,) and split.pooled == ()
    assert split.facet_order == [f"{POSTS} = 10", f"{POSTS} = 120"]
    assert split.series_order == [f"{MODERATION} = none", f"{MODERATION} = harassment_prompt"]
    levels = level_stats(res.summary, "summary", split, ["profit"])
    points = res.summary.groupby(["scenario", "seller"])["point"].nunique()
    for (scenario, seller), g in levels.groupby(["scenario", "seller"]):
        # one mean with its interval per design point, each named by its levels
        assert len(g) == points[(scenario, seller)] == 4
        assert len(set(zip(g["facet"], g["series"]))) == 4 and (g["n"] == 2).all()
        assert (g["ci_low"] <= g["mean"]).all() and (g["mean"] <= g["ci_high"]).all()
    ts = level_stats(res.table, "table", split, ["customers"])
    fig = plots.timeseries_by_level_figure(ts, "customers", series=split.series_order, facets=split.facet_order)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == split.series_order
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert all(any(level in t for level in split.facet_order) for t in titles)
    lines = [line for ax in fig.axes for line in ax.get_lines()]
    panels = len(res.summary.groupby(["scenario", "seller"]))
    assert len(lines) == 4 * panels      # 4 design points in each scenario x seller


def test_a_single_point_experiment_is_not_split(tmp_path):
    table, summary = _two_scenarios()
    assert not choose_split(summary, [], "single").splits
    index = build_report(table, summary, tmp_path / "r")
    html, images = images_of(index)
    assert images == ["kpis.png", "timeseries.png"]
    assert "one line per scenario" in html and "level of" not in html and "pooled" not in html


def test_split_fallbacks_for_large_designs():
    three = _grid_summary({"a": [1, 2], "b": [1, 2, 3], "c": [1, 2, 3, 4]})
    split = choose_split(three, ["a", "b", "c"], "grid")
    # the fewest levels make the panels; b's 3 levels are lines; b x c (12) would not fit in 10 colours
    assert (split.facet, split.series, split.pooled) == ("a", ("b",), ("c",)) and "Pooled over c" in split.note
    huge = _grid_summary({"a": list(range(12)), "b": list(range(12))})
    split = choose_split(huge, ["a", "b"], "grid")
    assert not split.splits and "heat maps" in split.note
    sobol = _grid_summary({"a": list(np.linspace(0, 1, 150))})
    split = choose_split(sobol, ["a"], "sobol")
    assert not split.splits and "sensitivity indices" in split.note


def test_heat_map_cells_carry_their_interval_and_n():
    summary = _grid_summary({"a": [1, 2], "b": [10, 20, 30]}, replicates=4)
    cells = heatmap_cells(summary, "a", "b", "profit")
    assert len(cells) == 6 and (cells["n"] == 4).all() and cells[["ci_low", "ci_high"]].notna().all().all()
    fig = plots.heatmap_figure(cells, "a", "b", "profit")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert len(texts) == 6 and all("[" in t and t.endswith("n=4") for t in texts)
    assert plots.heatmap_label(19_635.0, 19_554.0, 19_715.0, 5) == "19640\n[19550, 19720]\nn=5"
    assert plots.heatmap_label(0.4321, 0.41, 0.45, 3) == "0.43\n[0.41, 0.45]\nn=3"
    assert plots.heatmap_label(3.0, float("nan"), float("nan"), 1) == "3\nno CI\nn=1"
    # a grid too large to print in its cells gets a companion map of the interval's width
    big = heatmap_cells(_grid_summary({"a": list(range(8)), "b": list(range(8))}), "a", "b", "profit")
    fig = plots.heatmap_figure(big, "a", "b", "profit")
    assert any("95 % CI width, n = 2" in ax.get_title() for ax in fig.axes)
    assert not any(ax.texts for ax in fig.axes)


def test_the_page_comes_from_the_template(tmp_path):
    page = render_page("<Title>", "a & b", {"runs": 3, "empty": ""}, [])
    assert '<meta name="generator" content="viralsim report">' in page      # a line of the template
    assert "<h1>&lt;Title&gt;</h1>" in page and "<p>a &amp; b</p>" in page      # autoescaped
    assert "<td>runs</td><td>3</td>" in page and "empty" not in page and "No results to show." in page
    env = jinja2.Environment(loader=jinja2.PackageLoader("viralsim.analysis", "templates"),
                             undefined=jinja2.StrictUndefined)
    with pytest.raises(jinja2.UndefinedError):               # every variable must be given
        env.get_template(TEMPLATE).render(title="t")


def test_the_report_opens_offline_and_is_the_same_bytes_for_the_same_input(tmp_path):
    table, summary = _grid_table({"a": [1, 2], "b": ["x", "y"]})
    kwargs = {"factors": ["a", "b"], "design_kind": "grid", "title": "Offline"}
    first = build_report(table, summary, tmp_path / "one", **kwargs)
    second = build_report(table, summary, tmp_path / "two", **kwargs)
    html = first.read_text(encoding="utf-8")
    assert "<script" not in html and not re.search(r"(src|href)=\"(https?:)?//", html)
    for ref in re.findall(r"(?:src|href)=\"([^\"#]+)\"", html):
        assert (first.parent / ref).is_file(), ref            # every reference is a file of the folder
    names = sorted(p.name for p in first.parent.iterdir() if not p.name.startswith("."))
    assert names == sorted(p.name for p in second.parent.iterdir() if not p.name.startswith("."))
    for name in names:
        assert (first.parent / name).read_bytes() == (second.parent / name).read_bytes(), name
    svg = [build_report(table, summary, tmp_path / f"svg{i}", fmt="svg", **kwargs).parent for i in (1, 2)]
    assert (svg[0] / "kpis.svg").read_bytes() == (svg[1] / "kpis.svg").read_bytes()


def _two_scenarios():
    rng = np.random.default_rng(0)
    rows = [{"run": rep, "scenario": scenario, "point": 0, "seller": "me", "day": day,
             "customers": day * (2 if scenario == "b" else 1) + rng.normal()}
            for scenario in ("a", "b") for rep in range(5) for day in range(1, 11)]
    table = pd.DataFrame(rows)
    return table, table[table["day"] == 10].rename(columns={"customers": "purchases"})


def _grid_table(levels: dict, replicates: int = 2, days: int = 5):
    rng = np.random.default_rng(1)
    rows = []
    for point, values in enumerate(itertools.product(*levels.values())):
        for rep in range(replicates):
            for day in range(1, days + 1):
                rows.append({"scenario": "s", "point": point, "replicate": rep, "seller": "me", "day": day,
                             **dict(zip(levels, values)), "customers": float(day * (point + 1) + rng.poisson(3))})
    table = pd.DataFrame(rows)
    summary = table[table["day"] == days].drop(columns="day").rename(columns={"customers": "purchases"})
    summary["profit"] = summary["purchases"] * 10 - 50 + rng.normal(0, 5, len(summary))
    return table, summary.reset_index(drop=True)


def _grid_summary(levels: dict, replicates: int = 2):
    return _grid_table(levels, replicates, days=1)[1]
