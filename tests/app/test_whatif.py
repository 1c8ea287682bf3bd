"""What-if comparisons: levels and grids, validation before running, common random numbers,
paired statistics, plain-language verdicts, output files and the command line."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from viralsim import whatif as wi
from viralsim.cli import main
from viralsim.config.load import ConfigError

CONFIG = """\
name: shop
seed: 11
days: 25
network: {kind: friend_circles, n: 150}
sellers:
  me: {strategy: broadcast, posts_per_day: 10, circle_size: 30}
  rival: {strategy: community, circle_size: 30}
"""


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


# --- plans -----------------------------------------------------------------------------------


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
    assert spec.seeds() == [11, 12, 13]


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


# --- running and statistics ------------------------------------------------------------------


def test_common_random_numbers_make_identical_alternatives_identical(cfg):
    """7 and 7.0 are different levels of the same setting: every replicate must agree exactly."""
    spec = wi.plan(cfg, ["feed.activity_half_life=7,7.0"], replicates=3)
    res = wi.run(spec, jobs=1, progress=False)
    a, b = (res.runs[res.runs["alternative"] == i].sort_values("replicate") for i in (0, 1))
    cols = [c for c, _, _ in wi.KPIS]
    assert np.array_equal(a[cols].to_numpy(), b[cols].to_numpy())
    assert list(a["seed"]) == list(b["seed"]) == [11, 12, 13]
    assert len(set(a["purchases"])) > 1 or len(set(a["muted"])) > 1  # replicates do differ
    assert "sales: identical in every replicate" in res.verdicts()[0]


def test_results_do_not_depend_on_the_worker_count(cfg):
    spec = wi.plan(cfg, ["sellers.me.posts_per_day=10,2"], replicates=2, days=15)
    serial = wi.run(spec, jobs=1, progress=False).runs
    parallel = wi.run(spec, jobs=2, progress=False).runs
    pd.testing.assert_frame_equal(serial, parallel)


def test_t_interval_matches_scipy():
    x = np.array([3.0, 5.0, 4.0, 8.0, 6.0])
    m, lo, hi = wi.t_interval(x)
    ref = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert m == pytest.approx(5.2) and (lo, hi) == pytest.approx(ref)
    m1, lo1, hi1 = wi.t_interval([2.0])
    assert m1 == 2.0 and math.isnan(lo1) and math.isnan(hi1)


def fake_result(cfg, base: dict, alt: dict, replicates: int = 4) -> wi.WhatIfResult:
    """A result with chosen per-replicate KPI values (lists) for the baseline and one alternative."""
    spec = wi.plan(cfg, ["sellers.me.posts_per_day=10,3"], replicates=replicates)
    defaults = {c: [10.0] * replicates for c, _, _ in wi.KPIS}
    rows = []
    for index, values in ((0, {**defaults, **base}), (1, {**defaults, **alt})):
        for r in range(replicates):
            rows.append({"alternative": index, "label": spec.alternatives[index].label, "replicate": r,
                         "seed": 11 + r, **{c: values[c][r] for c, _, _ in wi.KPIS}})
    return wi.WhatIfResult(spec, pd.DataFrame(rows))


def test_paired_differences_and_verdicts(cfg):
    res = fake_result(cfg,
                      base={"purchases": [100, 120, 80, 100], "profit": [50, 60, 40, 50], "blocked": [40, 48, 44, 52],
                            "mean_trust_end": [0.4, 0.42, 0.41, 0.41]},
                      alt={"purchases": [118, 140, 96, 118], "profit": [49, 62, 41, 48], "blocked": [10, 12, 11, 13],
                           "mean_trust_end": [0.6, 0.62, 0.61, 0.61]})
    diffs = res.differences().set_index("column")
    sales = diffs.loc["purchases"]
    assert sales["diff"] == pytest.approx(18.0) and sales["rel"] == pytest.approx(0.18)
    assert bool(sales["distinguishable"]) and not bool(diffs.loc["profit", "distinguishable"])
    (text,) = res.verdicts()
    assert text.startswith("posting 3/day instead of 10/day: +18 % sales (95 % CI +")
    assert "profit: no difference distinguishable from noise" in text
    assert "4.0\u00d7 fewer blocks (12 vs 46)" in text
    assert "end trust 0.61 vs 0.41" in text


def test_one_replicate_says_it_cannot_tell(cfg):
    res = fake_result(cfg, base={"purchases": [100]}, alt={"purchases": [150]}, replicates=1)
    (text,) = res.verdicts()
    assert "+50 % sales (one replicate: no confidence interval" in text
    assert "n/a (1 replicate)" in wi.markdown(res)


def test_table_and_files(cfg, tmp_path):
    res = fake_result(cfg, base={"purchases": [100, 120, 80, 100]}, alt={"purchases": [118, 140, 96, 118]})
    table = res.table()
    assert table.splitlines()[0].split()[:3] == ["KPI", "baseline:", "posts_per_day=10"]
    assert "sales" in table and "end trust" in table
    files = wi.write(res, tmp_path / "out", command="viralsim whatif shop.yaml --set sellers.me.posts_per_day=10,3")
    md = files["md"].read_text()
    assert md.startswith("# What-if: shop") and "## Verdicts" in md and "| sales | 100 (" in md
    assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(pd.read_csv(files["csv"])) == 8


# --- command line ----------------------------------------------------------------------------


def test_cli_whatif_end_to_end(cfg, tmp_path, capsys):
    out = tmp_path / "wi"
    code = main(["whatif", str(cfg), "--set", "sellers.me.posts_per_day=10,2", "--replicates", "2", "--days", "12",
                 "--out", str(out), "--jobs", "1", "--quiet"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "baseline: posts_per_day=10" in captured.out
    assert "- posting 2/day instead of 10/day:" in captured.out
    assert {p.name for p in out.iterdir()} == {"whatif.md", "whatif.png", "whatif.csv", ".viralsim-folder.json"}
    assert "--replicates 2 --days 12" in (out / "whatif.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["--set", "sellers.me.post_per_day=3,10"], "did you mean 'posts_per_day'"),
    (["--set", "sellers.me.strategy=spam,spamm"], "sellers.me.strategy = 'spamm' is not allowed"),
    (["--set", "sellers.me.posts_per_day=3,ten"], "must be a number"),
    (["--set", "sellers.me.posts_per_day=3,10", "--replicates", "0"],
     "argument --replicates: must be a whole number >= 1"),
    (["--set", "sellers.me.posts_per_day=3,10", "--replicates", "x"], "argument --replicates"),
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
    assert "is not a directory" in capsys.readouterr().err
