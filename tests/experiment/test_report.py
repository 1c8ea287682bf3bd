"""Statistics, sensitivity indices and the HTML report (from a results folder and from DataFrames)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from experiment_helpers import GRID_SPEC, write_spec
from scipy import stats as sps

from viralsim.analysis.report import build_report, write_report
from viralsim.analysis.sensitivity import morris_indices, sobol_indices
from viralsim.cli import main
from viralsim.experiment.spec import load_experiment
from viralsim.experiment.sweep import run_sweep
from viralsim.results.stats import ci_stats, summary_stats


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
    return html, re.findall(r"<img src='([^']+)'", html)


def test_report_of_a_two_factor_grid(grid_results, capsys):
    assert main(["report", str(grid_results), "--kpi", "profit", "--kpi", "customers",
                 "--metric", "customers"]) == 0
    index = grid_results / "report" / "index.html"
    assert capsys.readouterr().out.strip() == f"report: {index}"
    html, images = images_of(index)
    assert {"kpis.png", "timeseries.png", "heatmap-profit.png", "heatmap-customers.png"} <= set(images)
    for name in images:
        data = (index.parent / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    for table in ("kpi_table.csv", "kpi_table.md", "kpi_table.tex"):
        assert (index.parent / table).stat().st_size > 100 and table in html
    paper = pd.read_csv(index.parent / "kpi_table.csv")
    assert {"profit_mean", "profit_ci_low", "profit_ci_high"} <= set(paper.columns)
    assert len(paper) == 2 * 4 + 1 * 4  # scenario x point x seller
    assert "<h1>Experiment grid_exp</h1>" in html and "root seed" in html


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
