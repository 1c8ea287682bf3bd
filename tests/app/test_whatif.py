"""What-if comparisons: levels and grids, validation before running, the experiment behind a
what-if (the same numbers as the equivalent sweep, resume), paired statistics, plain-language
verdicts that name the seller and the currency, the power hint, the forest plot, output files
and the command line."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from viralsim import whatif as wi
from viralsim.cli import WHATIF_REPLICATES, main
from viralsim.config.load import ConfigError
from viralsim.experiment.seeds import run_seed
from viralsim.results import sweep_folder

CONFIG = """\
name: shop
seed: 11
days: 25
network: {kind: friend_circles, n: 150}
sellers:
  me: {strategy: broadcast, posts_per_day: 10, circle_size: 30}
  rival: {strategy: community, circle_size: 30}
"""

COLS = [c for c, _, _ in wi.KPIS]


@pytest.fixture
def cfg(tmp_path):
    path = tmp_path / "shop.yaml"
    path.write_text(CONFIG)
    return path


# --- levels and factors ----------------------------------------------------------------------


@pytest.mark.parametrize("text, levels", [
    ("3,10", ["3", "10"]),
    (" 3 , 10 ,30", ["3", "10", "30"]),
    ("[1, 2],[3]", ["[1, 2]", "[3]"]),
    ("{enabled: false},{enabled: true, invites_per_day: 3}",
     ["{enabled: false}", "{enabled: true, invites_per_day: 3}"]),
    ("'a,b',c", ["'a,b'", "c"]),
    ("spam", ["spam"]),
])
def test_split_levels_respects_brackets_and_quotes(text, levels):
    assert wi.split_levels(text) == levels


def test_parse_factor():
    f = wi.parse_factor("sellers.me.posts_per_day=10,3")
    assert f.key == "sellers.me.posts_per_day" and f.raw == ("10", "3") and f.values == (10, 3) and f.varies
    assert not wi.parse_factor("days=30").varies


@pytest.mark.parametrize("item, message", [
    ("sellers.me.posts_per_day", "expected KEY=VALUE"),
    ("sellers..posts=3,4", "not a dotted path"),
    ("sellers.me.posts_per_day=3,,10", "empty level"),
    ("sellers.me.posts_per_day=3,3", "given twice"),
    ("purchase.need_rate=1e-5,0.00001", "given twice"),     # levels read as --set reads a value
    ("seed=1,2", "cannot be varied"),
    ("sellers.me.content={ad: 1,0.5", "not valid YAML"),
])
def test_parse_factor_errors(item, message):
    with pytest.raises(ConfigError, match=message):
        wi.parse_factor(item)


# --- plans and their experiment ----------------------------------------------------------------


def test_plan_forms_a_grid_with_the_first_levels_as_baseline(cfg):
    spec = wi.plan(cfg, ["sellers.me.posts_per_day=10,3",
                         "sellers.me.groups={enabled: false},{enabled: true, invites_per_day: 3}",
                         "days=20"], replicates=3)
    assert [a.label for a in spec.alternatives] == [
        "posts_per_day=10, groups off", "posts_per_day=10, groups on",
        "posts_per_day=3, groups off", "posts_per_day=3, groups on",
    ]
    assert spec.baseline.index == 0 and spec.seller == "me"
    assert all(a.config.days == 20 for a in spec.alternatives)  # a single value applies to all
    assert spec.alternatives[3].config.sellers["me"].groups.invites_per_day == 3
    assert spec.seeds() == [run_seed(11, "base", 0, r, common=True) for r in range(3)]


def test_the_alternatives_are_the_design_points_of_a_crn_experiment(cfg):
    spec = wi.plan(cfg, ["sellers.me.posts_per_day=10,3", "sellers.rival.strategy=community,spam", "days=20"],
                   replicates=2)
    exp = spec.experiment
    assert exp.spec.common_random_numbers and exp.design.kind == "grid" and exp.spec.seed == 11
    assert len(exp.design) == len(spec.alternatives) == 4 and len(exp.runs) == 8
    for task in exp.runs:
        alt = spec.alternatives[task.point]
        # the same config as `viralsim run shop.yaml --set ...` of the alternative, but the seed
        assert task.config.model_copy(update={"seed": 0}) == alt.config.model_copy(update={"seed": 0})
        assert task.seed == spec.seeds()[task.replicate]      # replicate r: one seed for all alternatives
    assert exp.default_out("results").parts[:2] == ("results", "whatif-shop")


def test_plan_picks_the_seller(cfg):
    assert wi.plan(cfg, ["platform.moderation=none,harassment_prompt"]).seller == "me"  # the first seller
    assert wi.plan(cfg, ["days=20", "sellers.rival.posts_per_day=3,5"]).seller == "rival"
    assert wi.plan(cfg, ["sellers.me.posts_per_day=3,5"], seller="rival").seller == "rival"


@pytest.mark.parametrize("sets, kwargs, message", [
    (["sellers.me.post_per_day=3,10"], {}, "unknown field 'sellers.me.post_per_day'; did you mean 'posts_per_day'"),
    (["sellers.mee.posts_per_day=3,10"], {}, "has no seller 'mee'; did you mean 'me'"),
    (["sellers.me.posts_per_day=3,lots"], {}, "posts_per_day = 'lots' is not allowed: must be a number"),
    (["sellers.me.strategy=spam,comunity"], {}, "did you mean 'community'"),
    (["sellers.me.posts_per_day=3,10"], {"replicates": 0}, "--replicates must be a whole number >= 1"),
    (["sellers.me.posts_per_day=3"], {}, "nothing to compare"),
    (["sellers.me.posts_per_day=3,10", "sellers.me.posts_per_day=4,5"], {}, "more than once"),
    (["sellers.me.posts_per_day=1,2,3,4,5,6,7,8", "days=1,2,3,4,5,6,7,8,9"], {}, "at most 64"),
    (["sellers.me.posts_per_day=3,10"], {"seller": "rivl"}, "did you mean 'rival'"),
])
def test_plan_rejects_bad_input_before_running(cfg, sets, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        wi.plan(cfg, sets, **kwargs)


# --- power -------------------------------------------------------------------------------------


def test_default_replicates_come_from_the_power_calculation():
    """15 detects 0.8 standard deviations of the paired differences with 80 % power (two-sided
    paired t-test at 5 %); 10 detects 1.0. 34 for 0.5 is what G*Power and statsmodels give."""
    assert wi.replicates_needed(0.8, 1.0) == wi.DEFAULT_REPLICATES == WHATIF_REPLICATES == 15
    assert wi.replicates_needed(1.0, 1.0) == 10
    assert wi.replicates_needed(5.0, 10.0) == 34
    assert wi.replicates_needed(1.0, 1000.0) is None       # beyond MAX_HINT
    with pytest.raises(ValueError, match="positive"):
        wi.replicates_needed(0.0, 1.0)


# --- running through the experiment stack ------------------------------------------------------


def test_whatif_gives_the_same_numbers_as_the_equivalent_sweep(cfg, tmp_path, capsys):
    """A what-if is a sweep: the same seeds give the same KPIs run by run, its results folder is
    one `viralsim sweep` accepts (and resumes, with nothing left to run)."""
    spec_file = tmp_path / "same.yaml"
    spec_file.write_text(yaml.safe_dump({
        "name": "by-hand", "base": "shop.yaml", "seed": 11, "common_random_numbers": True, "replicates": 2,
        "days": 12, "design": {"kind": "grid", "factors": {"sellers.me.posts_per_day": {"levels": [10, 2]}}},
    }))
    by_hand = tmp_path / "sweep"
    assert main(["sweep", str(spec_file), "--out", str(by_hand), "--executor", "serial", "--quiet"]) == 0
    out = tmp_path / "wi"
    assert main(["whatif", str(cfg), "--set", "sellers.me.posts_per_day=10,2", "--replicates", "2", "--days", "12",
                 "--out", str(out), "--executor", "serial", "--quiet", "--no-report"]) == 0
    capsys.readouterr()

    keys = ["point", "replicate", "seller"]
    mine = sweep_folder.read_results(out).summary.sort_values(keys).reset_index(drop=True)
    theirs = sweep_folder.read_results(by_hand).summary.sort_values(keys).reset_index(drop=True)
    kpis = [c for c in theirs.columns if c not in ("run", "run_id", "scenario")]
    pd.testing.assert_frame_equal(mine[kpis], theirs[kpis])
    assert mine["seed"].nunique() == 2                      # replicate r: one seed for both alternatives

    csv = pd.read_csv(out / "whatif" / "whatif.csv")
    me = theirs[theirs["seller"] == "me"]
    assert csv["purchases"].tolist() == me["purchases"].astype(float).tolist()
    assert csv["alternative"].tolist() == me["point"].tolist()

    sweep_folder.check_folder(out)                          # the stack's validation
    assert main(["sweep", str(out / "experiment.yaml"), "--out", str(out), "--executor", "serial"]) == 0
    assert capsys.readouterr().out.startswith("0 runs in ")


def test_a_rerun_resumes_and_runs_nothing(cfg, tmp_path):
    spec = wi.plan(cfg, ["sellers.me.posts_per_day=10,2"], replicates=2, days=10)
    first = wi.run(spec, tmp_path / "wi", executor="serial", progress=False)
    assert first.outcome.ran == 4
    again = wi.run(spec, tmp_path / "wi", executor="serial", progress=False)
    assert again.outcome.ran == 0 and again.outcome.skipped == 4
    pd.testing.assert_frame_equal(first.runs, again.runs)


def test_common_random_numbers_make_identical_alternatives_identical(cfg):
    """7 and 7.0 are different levels of the same setting: every replicate must agree exactly."""
    spec = wi.plan(cfg, ["feed.activity_half_life=7,7.0"], replicates=3)
    res = wi.run(spec, executor="serial", progress=False)   # in a temporary folder
    assert res.out_dir is None
    a, b = (res.runs[res.runs["alternative"] == i].sort_values("replicate") for i in (0, 1))
    assert np.array_equal(a[COLS].to_numpy(), b[COLS].to_numpy())
    assert list(a["seed"]) == list(b["seed"]) == spec.seeds()
    assert len(set(a["purchases"])) > 1 or len(set(a["muted"])) > 1  # replicates do differ
    assert "sales: identical in every replicate" in res.verdicts()[0]
    _assert_plot_agrees_with_verdicts(res)


# --- statistics and words ------------------------------------------------------------------------


def fake_result(cfg, base: dict, *alts: dict, replicates: int = 4, sets=("sellers.me.posts_per_day=10,3",)):
    """A result with chosen per-replicate KPI values (lists) for the baseline and alternatives."""
    spec = wi.plan(cfg, list(sets), replicates=replicates)
    defaults = {c: [0.5 if c == "mean_trust_end" else 10.0] * replicates for c in COLS}
    rows = []
    for index, values in enumerate([base, *alts]):
        values = {**defaults, **values}
        for r in range(replicates):
            rows.append({"alternative": index, "label": spec.alternatives[index].label, "replicate": r,
                         "seed": 11 + r, **{c: float(values[c][r]) for c in COLS}})
    return wi.WhatIfResult(spec, pd.DataFrame(rows))


BASE = {"purchases": [100, 120, 80, 100], "profit": [5000, 6000, 4000, 5000], "blocked": [40, 48, 44, 52],
        "mean_trust_end": [0.4, 0.42, 0.41, 0.41], "followers_end": [100, 101, 99, 100]}
ALT = {"purchases": [118, 140, 96, 118], "profit": [4900, 6200, 4100, 4800], "blocked": [20, 26, 22, 28],
       "mean_trust_end": [0.6, 0.63, 0.61, 0.60], "followers_end": [100, 101, 99, 100]}


def test_paired_differences_and_verdicts(cfg):
    res = fake_result(cfg, BASE, ALT)
    diffs = res.differences().set_index("column")
    sales = diffs.loc["purchases"]
    assert sales["diff"] == pytest.approx(18.0) and sales["rel"] == pytest.approx(0.18)
    assert sales["seller"] == "me" and sales["n"] == 4
    assert bool(sales["distinguishable"]) and not bool(diffs.loc["profit", "distinguishable"])
    (text,) = res.verdicts()
    assert text.startswith("me (posts_per_day=3): posting 3/day instead of 10/day: "
                           "+18.0 % sales (95 % CI +15.4 % \u2026 +20.6 %")
    assert "; 118.0 vs 100.0)" in text                       # to the precision the interval allows
    assert "profit: no difference distinguishable from noise (95 % CI " in text
    assert "(95 % CI \u2212290 \u2026 +290 yuan; 5,000 vs 5,000 yuan)" in text
    assert "1.9\u00d7 fewer blocks (\u221222.0, 95 % CI \u221224.6 \u2026 \u221219.4; 24.0 vs 46.0)" in text
    assert "+0.200 end trust (95 % CI +0.187 \u2026 +0.213; 0.610 vs 0.410)" in text
    assert "followers: identical in every replicate (100)" in text
    _assert_plot_agrees_with_verdicts(res)


def test_ratios_have_two_significant_figures_and_tiny_baselines_give_differences(cfg):
    res = fake_result(cfg, {"blocked": [1, 0, 2, 1], "purchases": [10, 11, 9, 10]},
                      {"blocked": [330, 340, 331, 335], "purchases": [2790, 2780, 2800, 2790]})
    parts = res.verdict_parts()[1]
    assert parts["blocked"].startswith("+333 blocks (95 % CI +32")            # 334 vs 1: a difference
    assert "\u00d7" not in parts["blocked"] and "; 334 vs 1)" in parts["blocked"]
    assert parts["purchases"].startswith("280\u00d7 more sales (")              # 279: two significant figures
    assert "278.6" not in " ".join(parts.values())


def test_the_power_hint_says_how_many_replicates_would_tell(cfg):
    res = fake_result(cfg, {"purchases": [100, 120, 80, 100]}, {"purchases": [110, 100, 95, 104]})
    part = res.verdict_parts()[1]["purchases"]
    row = res.differences().set_index("column").loc["purchases"]
    assert not row["distinguishable"]
    needed = wi.replicates_needed(0.10 * 100, row["sd"])
    assert row["needed"] == needed > 4
    assert part.startswith("sales: no difference distinguishable from noise (")
    assert (f"telling a \u00b110 % change in sales apart takes about {needed} replicates (80 % power; "
            "this run had 4)") in part
    wide = wi.WhatIfResult(res.spec, res.runs, effect=0.5)
    assert "change in sales of \u00b150 % or more" in wide.verdict_parts()[1]["purchases"]


def test_a_tight_interval_rules_a_change_out_instead(cfg):
    res = fake_result(cfg, {"purchases": [100, 120, 80, 100]}, {"purchases": [101, 119, 81, 99]})
    assert "the interval rules out a change in sales of \u00b110 % or more" in res.verdict_parts()[1]["purchases"]


def test_one_replicate_says_it_cannot_tell(cfg):
    res = fake_result(cfg, {"purchases": [100]}, {"purchases": [150]}, replicates=1)
    (text,) = res.verdicts()
    assert "sales 150 vs 100 (one replicate: no confidence interval, cannot tell from noise)" in text
    assert "n/a (1 replicate)" in wi.markdown(res)


def _ci_lines(fig) -> dict[tuple[int, str], tuple[float, float]]:
    out = {}
    for ax in fig.axes:
        for line in ax.lines:
            gid = line.get_gid() or ""
            if gid.startswith("ci:"):
                _, alt, col = gid.split(":")
                lo, hi = line.get_xdata()
                out[(int(alt), col)] = (float(lo), float(hi))
    return out


def _direction(part: str) -> int:
    """+1 / -1 for a verdict phrase that reports a rise / a fall, 0 for no distinguishable change."""
    if "no difference distinguishable from noise" in part or "identical in every replicate" in part:
        return 0
    if "\u00d7 more" in part or part.startswith("+"):
        return 1
    if "\u00d7 fewer" in part or part.startswith("\u2212"):
        return -1
    raise AssertionError(f"no direction in {part!r}")


def _assert_plot_agrees_with_verdicts(res) -> None:
    lines = _ci_lines(wi.forest_figure(res))
    parts = res.verdict_parts()
    assert set(lines) == {(a.index, c) for a in res.spec.alternatives[1:] for c in wi.HEADLINE}
    for (alt, col), (lo, hi) in lines.items():
        plotted = 1 if lo > 0 else -1 if hi < 0 else 0
        assert _direction(parts[alt][col]) == plotted, (parts[alt][col], lo, hi)


def test_forest_plot_agrees_with_the_verdicts_and_names_the_alternatives(cfg):
    down = {"purchases": [90, 108, 70, 91], "profit": [5200, 6300, 4100, 5200], "blocked": [41, 47, 45, 50],
            "mean_trust_end": [0.3, 0.33, 0.3, 0.31], "followers_end": [90, 95, 80, 99]}
    res = fake_result(cfg, BASE, ALT, down, sets=("sellers.me.posts_per_day=10,3,30",))
    _assert_plot_agrees_with_verdicts(res)
    fig = wi.forest_figure(res)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["posts_per_day=3", "posts_per_day=30"]
    assert [ax.get_title() for ax in fig.axes] == ["sales", "profit (yuan)", "blocks", "end trust", "followers"]


def test_table_and_files_name_the_seller_and_the_currency(cfg, tmp_path):
    res = fake_result(cfg, BASE, ALT, sets=("sellers.rival.strategy=community,spam",))
    assert res.spec.seller == "rival" and wi.currency() == "yuan"
    table = res.table()
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["rival:", "KPI", "baseline:", "strategy=community"]
    assert all(line.startswith("rival: ") for line in lines[2:])
    assert "rival: profit (yuan)" in table and "rival: revenue (yuan)" in table and "rival: end trust" in table
    (text,) = res.verdicts()
    assert text.startswith("rival (strategy=spam): the spam strategy instead of community: ")
    command = "viralsim whatif shop.yaml --set sellers.rival.strategy=community,spam"
    files = wi.write(res, tmp_path / "out", command=command)
    md = files["md"].read_text()
    assert md.startswith("# What-if: shop") and "## Verdicts for rival" in md and "money in yuan" in md
    assert "| rival: sales | 100 (" in md and "| rival | strategy=spam | profit | " in md
    assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(pd.read_csv(files["csv"])) == 8
    assert len(pd.read_csv(files["differences"])) == len(wi.KPIS)


def test_every_kpi_has_an_interval(cfg):
    res = fake_result(cfg, BASE, ALT)
    means, diffs = res.means(), res.differences()
    assert means[["lo", "hi"]].notna().all().all() and diffs[["lo", "hi"]].notna().all().all()
    trust = means[(means["column"] == "mean_trust_end")]
    assert (trust["lo"] >= 0).all() and (trust["hi"] <= 1).all()      # the stack's bounded intervals


# --- command line ----------------------------------------------------------------------------


def test_cli_whatif_end_to_end(cfg, tmp_path, capsys):
    out = tmp_path / "wi"
    code = main(["whatif", str(cfg), "--set", "sellers.me.posts_per_day=10,2", "--replicates", "2", "--days", "12",
                 "--out", str(out), "--jobs", "1", "--quiet"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "baseline: posts_per_day=10" in captured.out and "me: sales" in captured.out
    assert "- me (posts_per_day=2): posting 2/day instead of 10/day:" in captured.out
    assert {p.name for p in (out / "whatif").iterdir()} == {"whatif.md", "whatif.png", "whatif.csv",
                                                            "differences.csv", ".viralsim-folder.json"}
    assert (out / "report" / "index.html").is_file() and (out / "summary_stats.csv").is_file()
    assert "--replicates 2 --days 12" in (out / "whatif" / "whatif.md").read_text()
    assert f"results: {out}" in captured.out


def test_cli_whatif_refuses_another_experiment_unless_restarted(cfg, tmp_path, capsys):
    out = tmp_path / "wi"
    base = ["whatif", str(cfg), "--replicates", "2", "--days", "5", "--out", str(out), "--executor", "serial",
            "--quiet", "--no-report"]
    assert main([*base, "--set", "sellers.me.posts_per_day=10,2"]) == 0
    capsys.readouterr()
    assert main([*base, "--set", "sellers.me.posts_per_day=10,3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("viralsim: error: ") and "--restart" in err and err.count("\n") == 1
    assert main([*base, "--set", "sellers.me.posts_per_day=10,3", "--restart"]) == 0
    assert "posts_per_day=3" in (out / "whatif" / "whatif.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["--set", "sellers.me.post_per_day=3,10"], "did you mean 'posts_per_day'"),
    (["--set", "sellers.me.strategy=spam,spamm"], "sellers.me.strategy = 'spamm' is not allowed"),
    (["--set", "sellers.me.posts_per_day=3,ten"], "must be a number"),
    (["--set", "sellers.me.posts_per_day=3,10", "--replicates", "0"],
     "argument --replicates: must be a whole number >= 1"),
    (["--set", "sellers.me.posts_per_day=3,10", "--replicates", "x"], "argument --replicates"),
    (["--set", "sellers.me.posts_per_day=3,10", "--effect", "0"], "argument --effect: must be a percentage"),
    (["--set", "sellers.me.posts_per_day=3,10", "--workers", "2", "--jobs", "3"], "--workers 2 and --jobs 3"),
    (["--set", "sellers.me.posts_per_day=3,10", "--scheduler", "tcp://x:1"], "--scheduler needs --executor dask"),
    ([], "nothing to compare"),
])
def test_cli_whatif_errors_are_one_line(cfg, tmp_path, capsys, args, message):
    out = tmp_path / "never"
    code = main(["whatif", str(cfg), "--out", str(out), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("viralsim: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_cli_whatif_refuses_a_file_as_output(cfg, tmp_path, capsys):
    out = tmp_path / "file"
    out.write_text("x")
    assert main(["whatif", str(cfg), "--set", "sellers.me.posts_per_day=3,10", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("viralsim: error: ") and str(out) in err and err.count("\n") == 1
    assert out.read_text() == "x"


@pytest.mark.parametrize("level", ["9" * 4400, "[" + "9" * 4400 + "]"])
def test_cli_whatif_refuses_an_integer_too_long_to_read_in_one_line(cfg, tmp_path, capsys, level):
    """A level of 4,400 digits (beyond Python's int conversion limit) is read as a stand-in that
    validation refuses, naming the field; comparing the levels for duplicates once raised a YAML
    error with a traceback instead."""
    out = tmp_path / "out"
    assert main(["whatif", str(cfg), "--set", f"sellers.me.posts_per_day={level},3", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("viralsim: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert "sellers.me.posts_per_day = " in err and "(4400 digits)" in err
    assert not out.exists()


def test_number_formats():
    assert wi._sig(278.6) == "280" and wi._sig(1.94) == "1.9" and wi._sig(0.01234) == "0.012"
    assert wi._pct(0.18) == "+18 %" and wi._pct(-0.004) == "\u22120.40 %" and wi._pct(12.3) == "+1,200 %"
    assert wi._fmt(-0.0001, 2, signed=True) == "+0.00" and wi._fmt(math.nan, 1) == "n/a"
    assert wi._fmt(5603.4, -2, signed=True) == "+5,600" and wi._decimals(1197, "money") == -2
    assert wi._decimals(0.013, "share") == 3 and wi._decimals(0.6, "count") == 1
