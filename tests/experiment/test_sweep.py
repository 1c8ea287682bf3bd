"""Sweeps: identical bytes on every executor and shard split, resume after kill -9, failures."""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from experiment_helpers import DETERMINISTIC_FILES, GRID_SPEC, assert_same_results, sweep_in_background, write_spec

from viralsim.cli import main
from viralsim.experiment import runner
from viralsim.experiment.spec import load_experiment
from viralsim.experiment.sweep import run_sweep
from viralsim.results import sweep_folder

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """The grid experiment and its reference results, swept serially in one piece."""
    folder = tmp_path_factory.mktemp("grid")
    exp = load_experiment(write_spec(folder, GRID_SPEC))
    outcome = run_sweep(exp, folder / "serial", executor="serial")
    assert outcome.complete and outcome.failed == 0 and outcome.ran == 8
    return exp, folder / "serial"


def test_results_folder_contents(grid):
    exp, ref = grid
    for name in (*DETERMINISTIC_FILES, "manifest.json"):
        assert (ref / name).is_file(), name
    table = pd.read_parquet(ref / "table.parquet")
    assert table["run"].is_monotonic_increasing
    assert list(table.columns[:8]) == ["run", "run_id", "scenario", "point", "replicate", "seed",
                                       "sellers.spam.posts_per_day", "day"]
    assert len(table) == 20 * (2 * 4 + 1 * 4)  # days x (2 sellers x 4 runs + 1 seller x 4 runs)
    assert {"purchases", "mean_trust", "market_platform_activity"} <= set(table.columns)
    summary = pd.read_parquet(ref / "summary.parquet")
    assert len(summary) == 12 and {"profit", "days_run", "strategy"} <= set(summary.columns)
    stats = pd.read_parquet(ref / "stats.parquet")
    assert list(stats.columns[-6:]) == ["metric", "n", "mean", "std", "ci_low", "ci_high"]
    assert set(stats["n"]) == {2}
    manifest = json.loads((ref / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["root_seed"] == 11 and manifest["runs"] == 8
    assert manifest["design"]["kind"] == "grid" and manifest["python"] and manifest["host"]
    assert manifest["started_utc"] and manifest["finished_utc"]
    runs = pd.read_csv(ref / "runs.csv")
    assert list(runs["status"]) == ["ok"] * 8 and list(runs["seed"]) == [r.seed for r in exp.runs]


def test_the_table_holds_what_a_single_run_gives(grid):
    from viralsim.model import simulate

    exp, ref = grid
    task = exp.runs[5]
    daily = simulate(task.config).daily
    rows = pd.read_parquet(ref / "table.parquet").query("run == 5")
    assert rows["purchases"].tolist() == daily["purchases"].tolist()
    assert rows["mean_trust"].tolist() == daily["mean_trust"].tolist()


def test_process_pool_gives_identical_bytes(grid, tmp_path):
    exp, ref = grid
    run_sweep(exp, tmp_path / "processes", executor="processes", workers=2)
    assert_same_results(ref, tmp_path / "processes")


def test_dask_local_cluster_gives_identical_bytes(grid, tmp_path):
    pytest.importorskip("distributed")
    exp, ref = grid
    run_sweep(exp, tmp_path / "dask", executor="dask", workers=2, dask_processes=False)
    assert_same_results(ref, tmp_path / "dask")


def test_any_futures_executor_and_chunking_give_identical_bytes(grid, tmp_path):
    exp, ref = grid
    with ThreadPoolExecutor(max_workers=3) as pool:
        first = run_sweep(exp, tmp_path / "threads", executor=pool, chunk_size=3, shard=(0, 2))
    assert first.selected == 5  # chunks 0 and 2 of [0-2], [3-5], [6-7]
    resumed = run_sweep(exp, tmp_path / "threads", executor="serial")  # keeps the folder's chunk size
    assert (resumed.ran, resumed.complete) == (3, True)
    assert_same_results(ref, tmp_path / "threads", files=[f for f in DETERMINISTIC_FILES if f != "plan.json"])


def test_two_shards_merged_give_identical_bytes(grid, tmp_path, capsys):
    exp, ref = grid
    first = run_sweep(exp, tmp_path / "s0", executor="serial", shard=(0, 2))
    assert not first.complete and first.selected == 4
    assert not (tmp_path / "s0" / "table.parquet").exists()
    # merging before the other shard ran: an error, nothing written
    assert main(["merge", str(tmp_path / "s0"), "--out", str(tmp_path / "early")]) == 2
    assert "miss 4 of 8 runs" in capsys.readouterr().err
    assert not (tmp_path / "early").exists()
    run_sweep(exp, tmp_path / "s1", executor="serial", shard=(1, 2))
    assert main(["merge", str(tmp_path / "s0"), str(tmp_path / "s1"), "--out", str(tmp_path / "merged")]) == 0
    assert_same_results(ref, tmp_path / "merged")


def test_shards_sharing_a_folder_complete_it(grid, tmp_path):
    exp, ref = grid
    outcomes = [run_sweep(exp, tmp_path / "shared", executor="serial", shard=(i, 3)) for i in (2, 0, 1)]
    assert [o.complete for o in outcomes] == [False, False, True]
    assert_same_results(ref, tmp_path / "shared")


def test_rerunning_a_finished_sweep_runs_nothing(grid, tmp_path):
    exp, ref = grid
    run_sweep(exp, tmp_path / "again", executor="serial")
    again = run_sweep(exp, tmp_path / "again", executor="serial")
    assert (again.ran, again.skipped, again.complete) == (0, 8, True)
    assert_same_results(ref, tmp_path / "again")


def test_a_folder_of_another_experiment_is_refused(grid, tmp_path, capsys):
    exp, ref = grid
    spec = copy.deepcopy(GRID_SPEC)
    spec["seed"] = 99
    path = write_spec(tmp_path, spec)
    assert main(["sweep", str(path), "--out", str(ref), "--executor", "serial", "--dry-run"]) == 2
    assert "holds results of a different experiment" in capsys.readouterr().err
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main(["sweep", str(path), "--out", str(other), "--executor", "serial"]) == 2
    assert "not a viralsim experiment results folder" in capsys.readouterr().err
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]


def test_restart_discards_old_results(grid, tmp_path):
    exp, ref = grid
    spec = copy.deepcopy(GRID_SPEC)
    spec["replicates"] = 1
    small = load_experiment(write_spec(tmp_path, spec))
    run_sweep(small, tmp_path / "out", executor="serial")
    with pytest.raises(sweep_folder.ResultsError):
        run_sweep(exp, tmp_path / "out", executor="serial")
    run_sweep(exp, tmp_path / "out", executor="serial", restart=True)
    assert_same_results(ref, tmp_path / "out")


# --- resume after kill -9 -----------------------------------------------------------------------


def test_resume_after_kill_gives_identical_bytes(tmp_path):
    spec = copy.deepcopy(GRID_SPEC)
    spec["replicates"] = 8  # 32 runs of ~0.1 s
    path = write_spec(tmp_path, spec)
    out = tmp_path / "killed"
    proc = sweep_in_background(path, out)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the sweep finished before it could be killed"
    done = len(sweep_folder.committed_chunks(out))
    assert 3 <= done < 32 and not (out / "table.parquet").exists()
    # Debris a kill -9 in mid-write leaves: temporary parts (of a dead process on this host, of a
    # process on another host of a shared filesystem) and a half-written final table.
    here = out / "parts" / f".tmp-chunk-000030~999999999~{socket.gethostname()}~0000"
    elsewhere = out / "parts" / ".tmp-chunk-000031~999999999~elsewhere~0000"
    for debris in (here, elsewhere):
        debris.mkdir()
        (debris / "table.parquet").write_bytes(b"PAR1 half")
    (out / "stats.csv").write_text("scenario,po")

    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial", "--quiet"]) == 0
    exp = load_experiment(path)
    run_sweep(exp, tmp_path / "whole", executor="serial")
    assert_same_results(tmp_path / "whole", out)
    assert not here.exists() and elsewhere.exists()  # another host's temporaries are left alone
    logs = sorted((out / "logs").glob("*.json"))
    assert len(logs) == 2
    assert json.loads(logs[-1].read_text())["runs_run"] == 32 - done  # chunk size 1


# --- failures -----------------------------------------------------------------------------------


def ring_edgelist(path: Path, n: int = 200) -> None:
    lines = [f"{i} {(i + k) % n}" for i in range(n) for k in (1, 2, 3)]
    path.write_text("\n".join(lines) + "\n")


def test_failed_runs_are_recorded_and_the_sweep_goes_on(tmp_path, capsys, monkeypatch):
    # Every config is checked when the spec loads, so a run that raises is a model failure: one
    # stands in for it here, for the runs of the second design point.
    ring_edgelist(tmp_path / "ring.txt")
    ring_edgelist(tmp_path / "ring2.txt")
    real = runner._simulate

    def failing(config, stop):
        if config.network.path.endswith("ring2.txt"):
            raise FloatingPointError("the model diverged")
        return real(config, stop)

    monkeypatch.setattr(runner, "_simulate", failing)
    spec = {
        "name": "failing",
        "base": {"days": 10, "network": {"kind": "edgelist", "path": str(tmp_path / "ring.txt")},
                 "sellers": {"me": {"strategy": "community"}}},
        "replicates": 2,
        "design": {"factors": {"network.path": {"levels": [str(tmp_path / "ring.txt"), str(tmp_path / "ring2.txt")]}}},
    }
    path = write_spec(tmp_path, spec)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial"]) == 3  # some runs failed
    captured = capsys.readouterr()
    assert "failed: base-p1-r0: FloatingPointError:" in captured.err
    assert "2 failed (see failures.jsonl)" in captured.out
    runs = pd.read_csv(out / "runs.csv")
    assert runs["status"].tolist() == ["ok", "ok", "failed", "failed"]
    assert runs["error"].fillna("").str.contains("the model diverged").tolist() == [False, False, True, True]
    failures = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert [f["run_id"] for f in failures] == ["base-p1-r0", "base-p1-r1"]
    assert all("Traceback (most recent call last)" in f["traceback"] and "FloatingPointError" in f["traceback"]
               for f in failures)
    assert set(pd.read_parquet(out / "summary.parquet")["run"]) == {0, 1}
    assert set(pd.read_parquet(out / "table.parquet")["run"]) == {0, 1}
    # Re-running skips recorded failures; --retry-failed runs them again (and they fail again).
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial", "--quiet"]) == 3
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial", "--retry-failed"]) == 3
    assert "2 runs in" in capsys.readouterr().out


@pytest.mark.parametrize("failed", [1, 2, 500])
def test_failed_runs_exit_3_whatever_their_number(tmp_path, monkeypatch, failed):
    """Never 2 (bad input), never a count that wraps around or reads as a signal."""
    from viralsim import cli
    from viralsim.experiment import sweep

    def fake(*args, **kwargs):
        return sweep.SweepOutcome(out_dir=tmp_path, runs=500, selected=500, skipped=0, ran=500, failed=failed,
                                  complete=True)

    monkeypatch.setattr(sweep, "run_sweep", fake)
    path = write_spec(tmp_path, GRID_SPEC)
    assert cli.main(["sweep", str(path), "--out", str(tmp_path / "x"), "--quiet"]) == cli.EXIT_FAILED_RUNS == 3


def test_exit_statuses_are_distinct_and_documented(capsys):
    from viralsim import cli

    codes = {cli.EXIT_OK, cli.EXIT_USAGE, cli.EXIT_FAILED_RUNS, cli.EXIT_IO, cli.EXIT_INTERRUPTED}
    assert codes == {0, 2, 3, 74, 130}
    assert cli.main(["sweep", "--help"]) == 0
    text = capsys.readouterr().out
    for code in (0, 2, 3, 74, 130):
        assert f"\n  {code} " in text, code
    for code in (2, 3, 74, 130):
        assert f"* {code} (" in cli.__doc__, code


# --- outputs and stop conditions ----------------------------------------------------------------


def test_every_k_days_end_only_and_metric_selection(tmp_path):
    spec = {"name": "outputs", "base": "base.yaml", "replicates": 1,
            "outputs": {"every": 7, "metrics": ["purchases", "customers"], "market": [],
                        "summary": ["profit", "purchases"]}}
    exp = load_experiment(write_spec(tmp_path, spec))
    run_sweep(exp, tmp_path / "every", executor="serial")
    table = pd.read_parquet(tmp_path / "every" / "table.parquet")
    assert sorted(set(table["day"])) == [7, 14, 20]
    assert list(table.columns[6:]) == ["day", "seller", "purchases", "customers"]
    summary = pd.read_parquet(tmp_path / "every" / "summary.parquet")
    assert list(summary.columns[6:]) == ["seller", "strategy", "days_run", "profit", "purchases"]

    spec["outputs"] = {"every": "end"}
    exp = load_experiment(write_spec(tmp_path, spec, "end.yaml"))
    run_sweep(exp, tmp_path / "end", executor="serial")
    assert set(pd.read_parquet(tmp_path / "end" / "table.parquet")["day"]) == {20}


def test_stop_condition_ends_runs_early(tmp_path):
    spec = {"name": "stopping", "base": "base.yaml", "replicates": 2, "days": 60,
            "stop": {"metric": "customers", "op": ">=", "value": 3, "seller": "community"}}
    exp = load_experiment(write_spec(tmp_path, spec))
    run_sweep(exp, tmp_path / "out", executor="serial")
    runs = pd.read_csv(tmp_path / "out" / "runs.csv")
    assert runs["stopped"].all() and (runs["days_run"] < 60).all()
    table = pd.read_parquet(tmp_path / "out" / "table.parquet")
    for run, rows in table.groupby("run"):
        last = rows[rows["day"] == rows["day"].max()]
        assert rows["day"].max() == runs.loc[run, "days_run"]
        assert last.loc[last["seller"] == "community", "customers"].item() >= 3
        earlier = rows[(rows["day"] < rows["day"].max()) & (rows["seller"] == "community")]
        assert (earlier["customers"] < 3).all()


def test_read_parts_keeps_order_and_every_column(tmp_path):
    """Parts with one schema come back in path order; parts whose columns differ keep all columns."""
    from viralsim.results.sweep_folder import read_parts

    frames = [pd.DataFrame({"run": [r, r], "day": [1, 2], "x": [r + 0.5, r + 1.5]}) for r in (0, 1, 2)]
    paths = []
    for k, df in enumerate(frames):
        paths.append(tmp_path / f"part{k}.parquet")
        df.to_parquet(paths[-1])
    same = read_parts(paths)
    assert same.equals(pd.concat(frames, ignore_index=True))
    assert read_parts(paths[::-1]).equals(same)                               # runs ascend
    extra = pd.DataFrame({"run": [3], "day": [1], "x": [3.5], "y": [7.0]})     # a newer metric
    paths.append(tmp_path / "part3.parquet")
    extra.to_parquet(paths[-1])
    mixed = read_parts(paths)
    assert list(mixed.columns) == ["run", "day", "x", "y"]
    assert mixed["y"].isna().sum() == 6 and mixed["y"].iloc[-1] == 7.0
    assert read_parts(paths[::-1]).equals(mixed)                               # runs ascend here too


# --- a worker that dies -------------------------------------------------------------------------


def test_a_run_that_kills_its_worker_is_a_failed_run_and_the_rest_is_identical(grid, tmp_path, monkeypatch):
    from viralsim.experiment.runner import TEST_KILL_ENV

    exp, ref = grid
    out = tmp_path / "killed"
    monkeypatch.setenv(TEST_KILL_ENV, "5")      # the worker running run 5 SIGKILLs itself
    outcome = run_sweep(exp, out, executor="processes", workers=2, chunk_size=3)
    assert outcome.complete and outcome.ran == 8 and outcome.failed == 1
    assert outcome.failures == [(exp.runs[5].run_id, "worker died: SIGKILL (signal 9)")]
    runs = pd.read_csv(out / "runs.csv")
    assert runs["status"].tolist() == ["ok"] * 5 + ["failed"] + ["ok"] * 2
    assert runs.loc[5, "error"] == "worker died: SIGKILL (signal 9)"
    failures = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert [f["run_id"] for f in failures] == [exp.runs[5].run_id]
    assert "SIGKILL" in failures[0]["traceback"]
    # Every other run gives what a sweep without the dead worker gives.
    got_lines, want_lines = ((d / "runs.csv").read_text().splitlines() for d in (out, ref))
    assert got_lines[:6] + got_lines[7:] == want_lines[:6] + want_lines[7:]    # header, runs 0-4, 6-7
    for name in ("table.parquet", "summary.parquet"):
        got, want = pd.read_parquet(out / name), pd.read_parquet(ref / name)
        assert set(got["run"]) == set(range(8)) - {5}
        pd.testing.assert_frame_equal(got, want[want["run"] != 5].reset_index(drop=True))
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    # Resuming finds nothing to do: the dead run is recorded, not pending.
    monkeypatch.delenv(TEST_KILL_ENV)
    again = run_sweep(exp, out, executor="serial")
    assert (again.ran, again.failed, again.complete) == (0, 1, True)


@pytest.mark.slow
def test_a_run_that_kills_its_dask_worker_is_a_failed_run(grid, tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    from viralsim.experiment.runner import TEST_KILL_ENV

    exp, ref = grid
    out = tmp_path / "dask"
    monkeypatch.setenv(TEST_KILL_ENV, "2")      # Dask gives up on the chunk with KilledWorker
    outcome = run_sweep(exp, out, executor="dask", workers=2, chunk_size=4)
    assert outcome.complete and outcome.failed == 1
    assert outcome.failures == [(exp.runs[2].run_id, "worker died: SIGKILL (signal 9)")]
    for name in ("table.parquet", "summary.parquet"):
        got, want = pd.read_parquet(out / name), pd.read_parquet(ref / name)
        pd.testing.assert_frame_equal(got, want[want["run"] != 2].reset_index(drop=True))


# --- designs too large to run -------------------------------------------------------------------

_FACTORS10 = [f"sellers.spam.{name}" for name in ("posts_per_day", "strangers_per_day", "service_capacity")] + [
    f"sellers.community.{name}" for name in ("posts_per_day", "strangers_per_day", "service_capacity")] + [
    "days", "network.n", "sellers.spam.product.price", "sellers.community.product.price"]


def _limited_address_space():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


@pytest.mark.parametrize("spec, fragment", [
    ({"design": {"kind": "grid", "factors": {f: {"levels": list(range(1, 11))} for f in _FACTORS10}}},
     "the grid design has 10,000,000,000 points"),
    ({"replicates": 10**9}, "replicates"),
    ({"design": {"kind": "sobol", "samples": 2**22,
                 "factors": {f: {"range": [1, 2]} for f in _FACTORS10}}}, "the sobol design has 50,331,648 points"),
    ({"design": {"factors": {"sellers.spam.posts_per_day": {"range": [0, 10**12], "dist": "integer"}}}},
     "the grid design has 1,000,000,000,001 points"),
    ({"replicates": 1000, "scenarios": {"a": {}, "b": {}, "c": {}},
      "design": {"factors": {"sellers.spam.posts_per_day": {"range": [1, 2000], "dist": "integer"}}}},
     "the experiment has 6,000,000 runs (3 scenarios x 2,000 design points x 1,000 replicates)"),
])
def test_a_huge_design_is_refused_before_anything_is_built(tmp_path, spec, fragment):
    """Run in a process limited to 2 GB of address space: building the design would not fit."""
    path = write_spec(tmp_path, {"name": "huge", "base": "base.yaml", **spec})
    env = dict(os.environ, PYTHONPATH=str(SRC))
    done = subprocess.run([sys.executable, "-m", "viralsim", "sweep", str(path), "--dry-run"], env=env,
                          capture_output=True, text=True, timeout=300, preexec_fn=_limited_address_space)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("viralsim: error: ") and fragment in lines[0], done.stderr
    assert "5,000,000" in lines[0] or "5000000" in lines[0]
    assert done.stdout == "" and not (tmp_path / "results").exists()


def test_a_dry_run_at_the_run_limit_plans_in_bounded_memory(tmp_path):
    """5,000,000 replicates, the most allowed: the plan holds one config per design point and
    makes each run's task when it is asked for, so --dry-run answers within 2 GB of address space
    (a task per run took about 1.4 KB each: some 7 GB here)."""
    path = write_spec(tmp_path, {"name": "limit", "base": "base.yaml", "replicates": 5_000_000})
    env = dict(os.environ, PYTHONPATH=str(SRC))
    done = subprocess.run([sys.executable, "-m", "viralsim", "sweep", str(path), "--dry-run", "--force",
                           "--out", str(tmp_path / "out")], env=env, capture_output=True, text=True, timeout=300,
                          preexec_fn=_limited_address_space)
    assert done.returncode == 0, done.stderr
    assert "5000000 runs = 1 scenario x 1 point (no design) x 5000000 replicates" in done.stdout
    assert "5000000 to run, 0 done" in done.stdout
    assert not (tmp_path / "out").exists()


def test_a_plan_of_many_design_points_keeps_their_values_not_their_configs(tmp_path):
    """A validated run config costs about 15 KB; the plan keeps each design point's factor values
    and rebuilds its config when a run of it is made, so 4,000 points hold well under 1 KB each
    (a sampled design of millions of points would otherwise exhaust the memory of --dry-run)."""
    import tracemalloc

    path = write_spec(tmp_path, {"name": "points", "base": "base.yaml", "design": {
        "kind": "lhs", "samples": 4000, "factors": {"sellers.spam.posts_per_day": {"range": [1, 100]}}}})
    load_experiment(path)       # first loads fill caches (presets, schemas) that are not the plan's
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        experiment = load_experiment(path)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(experiment.runs) == 4000
    assert held < 4000 * 1024, f"{held / 4000:.0f} bytes per design point"
    config = experiment.runs[1234].config
    assert config.sellers["spam"].posts_per_day == experiment.design.points[1234]["sellers.spam.posts_per_day"]


def test_the_run_list_makes_the_same_tasks_in_order(grid):
    """Runs made on demand: canonical order, seeds from run_seed, indexing and slicing agree."""
    from viralsim.experiment.seeds import run_seed

    exp, _ = grid
    runs = exp.runs
    reps = exp.spec.replicates
    assert len(runs) == len(exp.scenarios) * len(exp.design) * reps
    listed = list(runs)
    assert [r.run for r in listed] == list(range(len(runs)))
    assert [r.run_id for r in runs[::reps]] == [r.run_id for r in listed[::reps]]
    assert runs[-1] == listed[-1] and runs[len(runs) - 1] == listed[-1]
    for r in listed:
        assert r.seed == r.config.seed == run_seed(exp.spec.seed, r.scenario, r.point, r.replicate,
                                                   common=exp.spec.common_random_numbers)
        assert r.replicate == r.run % reps
    with pytest.raises(IndexError):
        runs[len(runs)]


# --- resource estimate ----------------------------------------------------------------------------


def test_a_sweep_too_large_for_the_machine_is_refused_unless_forced(tmp_path, monkeypatch, capsys):
    from viralsim import resources

    monkeypatch.setattr(resources, "available_memory", lambda: 12 << 30)
    spec = {"name": "big", "replicates": 2, "days": 30,
            "base": {"network": {"kind": "friend_circles", "n": 50_000_000},
                     "sellers": {"me": {"strategy": "community"}}}}
    path = write_spec(tmp_path, spec)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "network.n (50,000,000)" in err and "12.0 GB is available" in err
    assert "--force" in err and not out.exists()
    # Several workers each hold a run (10 million people: some 8 GB): one fits, two do not.
    spec["base"]["network"]["n"] = 10_000_000
    path = write_spec(tmp_path, spec)
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--dry-run"]) == 0
    assert "estimated peak memory" in capsys.readouterr().out
    assert main(["sweep", str(path), "--out", str(out), "--workers", "4", "--dry-run"]) == 2
    assert "--workers (2)" in capsys.readouterr().err           # two runs: at most two at once
    assert main(["sweep", str(path), "--out", str(out), "--workers", "4", "--dry-run", "--force"]) == 0
    assert not out.exists()


#: a market of many sellers: a named seller and a population of 150 (mixed presets, varied posting)
MANY_SELLERS_SPEC = {
    "name": "many_sellers",
    "base": "base.yaml",
    "seed": 23,
    "replicates": 2,
    "design": {"kind": "grid", "factors": {"populations.micro.share": {"levels": [0.2, 0.5]}}},
}
MANY_SELLERS_BASE = """\
name: many
seed: 1
days: 15
network: {kind: friend_circles, n: 300}
sellers:
  brand: {strategy: community}
populations:
  micro: {share: 0.2, mix: {spam: 1, community: 2, fission: 1}, vary: {posts_per_day: [1, 30]}, placement: circle}
"""


def test_a_market_of_many_sellers_gives_identical_bytes_on_every_executor(tmp_path):
    """Same seed, same bytes for a market of 60 to 150 sellers: serially, on processes, on Dask."""
    path = write_spec(tmp_path, MANY_SELLERS_SPEC)
    (tmp_path / "base.yaml").write_text(MANY_SELLERS_BASE, encoding="utf-8")
    exp = load_experiment(path)
    serial = run_sweep(exp, tmp_path / "serial", executor="serial")
    assert serial.complete and serial.failed == 0 and serial.ran == 4
    summary = pd.read_parquet(tmp_path / "serial" / "summary.parquet")
    assert sorted(summary.groupby("run").size().unique()) == [61, 151]     # every seller, named or not
    run_sweep(exp, tmp_path / "processes", executor="processes", workers=2)
    assert_same_results(tmp_path / "serial", tmp_path / "processes")
    pytest.importorskip("distributed")
    run_sweep(exp, tmp_path / "dask", executor="dask", workers=2, dask_processes=False)
    assert_same_results(tmp_path / "serial", tmp_path / "dask")
