"""The column dictionary: every column of every table written has an entry, in columns.csv and
in each Parquet file's schema metadata; an undocumented column stops the write."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from results_helpers import write_spec

from viralsim.config.load import load_config
from viralsim.experiment.spec import load_experiment
from viralsim.experiment.sweep import run_sweep
from viralsim.metrics import DAILY_COLUMNS, MARKET_COLUMNS
from viralsim.model import simulate
from viralsim.model.outputs import FLOW_KEYS, STOCK_COLUMNS
from viralsim.results import columns, run_folder, sweep_folder
from viralsim.results.run_rows import META_COLUMNS


def test_the_engine_s_names_all_have_entries_of_the_right_kind():
    daily = columns.table_columns("daily", ["day", "seller", *DAILY_COLUMNS])
    kinds = {c.name: c.kind for c in daily}
    assert all(kinds[c] == "daily flow" for c in DAILY_COLUMNS if c in FLOW_KEYS)
    assert all(kinds[c] == "level" for c in DAILY_COLUMNS if c in STOCK_COLUMNS)
    assert set(DAILY_COLUMNS) <= set(FLOW_KEYS) | set(STOCK_COLUMNS)
    market = columns.table_columns("market", ["day", *MARKET_COLUMNS])
    assert [c.name for c in market] == ["day", *MARKET_COLUMNS]
    ids = columns.table_columns("table", META_COLUMNS)
    assert {c.kind for c in ids} == {"identifier"}
    for c in daily + market + ids:
        assert c.kind in columns.KINDS and c.unit and c.description, c


def test_an_undocumented_column_is_refused_with_its_name():
    with pytest.raises(columns.UndocumentedColumn, match="'purchases_total' of the daily table"):
        columns.table_columns("daily", ["day", "purchases_total"])
    with pytest.raises(ValueError, match="unknown table 'dayly'"):
        columns.table_columns("dayly", ["day"])
    # a factor column is known only as a factor of the experiment
    with pytest.raises(columns.UndocumentedColumn):
        columns.table_columns("table", ["sellers.spam.posts_per_day"])
    [factor] = columns.table_columns("table", ["sellers.spam.posts_per_day"], factors=["sellers.spam.posts_per_day"])
    assert (factor.kind, factor.unit) == ("factor", "posts/day")


def assert_described(folder, skip=()) -> pd.DataFrame:
    """Every data file of ``folder`` has exactly its columns, in order, in columns.csv, and each
    Parquet file carries the same entries in its schema metadata."""
    described = pd.read_csv(folder / columns.COLUMNS_FILE, keep_default_na=False)
    assert list(described.columns) == ["file", "column", "unit", "kind", "description"]
    assert set(described["kind"]) <= set(columns.KINDS)
    assert (described["unit"] != "").all() and (described["description"] != "").all()
    data = sorted(p.name for p in folder.iterdir() if p.suffix in (".csv", ".parquet", ".jsonl")
                  and p.name != columns.COLUMNS_FILE and p.name not in skip)
    assert sorted(described["file"].unique()) == data
    for name in data:
        path = folder / name
        rows = described[described["file"] == name]
        if name.endswith(".parquet"):
            written = pq.read_schema(path).names
            entries = [{k: r[k] for k in ("column", "unit", "kind", "description")} for r in rows.to_dict("records")]
            stored = columns.read_parquet_columns(path)
            assert [{"column": e.pop("name"), **e} for e in stored] == entries, name
        elif name.endswith(".jsonl"):
            lines = path.read_text(encoding="utf-8").splitlines()
            written = list(json.loads(lines[0])) if lines else list(rows["column"])
        else:
            written = list(pd.read_csv(path, nrows=0).columns)
        assert list(rows["column"]) == written, name
    return described


@pytest.fixture(scope="module")
def run_result(tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "run.yaml"
    path.write_text("name: tiny\nseed: 3\ndays: 15\nnetwork: {kind: friend_circles, n: 300}\n"
                    "sellers:\n  spam: {strategy: spam}\n  fan: {strategy: fission}\n", encoding="utf-8")
    return simulate(load_config(path))


def test_a_run_folder_describes_every_column(tmp_path, run_result):
    out = run_folder.write_run(run_result, tmp_path / "out", plot=False)
    described = assert_described(out)
    assert set(described["file"]) == {"daily.parquet", "daily.csv", "market.csv", "summary.csv",
                                      "cascades.parquet", "cascade_sizes.csv", "groups.parquet"}
    summary = described[described["file"] == "summary.csv"].set_index("column")
    assert summary.loc["purchases", "kind"] == "running total"
    assert summary.loc["customers", "kind"] == "level"
    assert described.query("file == 'daily.csv' and column == 'purchases'")["kind"].item() == "daily flow"


def test_an_undocumented_column_leaves_no_run_folder(tmp_path, run_result):
    summary = run_result.summary.assign(share_of_voice=0.5)
    with pytest.raises(columns.UndocumentedColumn, match="'share_of_voice' of the summary table"):
        run_folder.write_run(dataclasses.replace(run_result, summary=summary), tmp_path / "out", plot=False)
    assert not (tmp_path / "out").exists()


def test_a_sweep_folder_describes_every_column_parts_included(tmp_path):
    spec = {"name": "described", "base": "base.yaml", "seed": 5, "replicates": 2,
            "design": {"kind": "lhs", "samples": 2,
                       "factors": {"sellers.spam.posts_per_day": {"range": [5, 50]}}}}
    exp = load_experiment(write_spec(tmp_path, spec))
    out = tmp_path / "out"
    assert run_sweep(exp, out, executor="serial").complete
    described = assert_described(out)
    assert {"design.csv", "table.parquet", "summary.parquet", "summary.csv", "runs.csv", "failures.jsonl",
            "stats.parquet", "stats.csv", "summary_stats.csv"} == set(described["file"])
    design = described[described["file"] == "design.csv"].set_index("column")
    assert design.loc["sellers.spam.posts_per_day", "kind"] == "factor"
    assert design.loc["u:sellers.spam.posts_per_day", "kind"] == "factor"
    for chunk in sorted(sweep_folder.committed_chunks(out)):
        for part in sorted(sweep_folder.chunk_dir(out, chunk).glob("*.parquet")):
            stored = columns.read_parquet_columns(part)
            assert [e["name"] for e in stored] == pq.read_schema(part).names, part
