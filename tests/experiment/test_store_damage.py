"""Damaged or hostile experiment results folders: merge, report and resume refuse them.

A real finished sweep folder is damaged in one way per case; ``viralsim merge DIR``,
``viralsim report DIR`` and re-running the sweep (resume) must each end with exit status 2 and
one line naming the damaged file, without a traceback, and without changing any file outside
the folder.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from experiment_helpers import GRID_SPEC, write_spec

from viralsim.cli import main
from viralsim.experiment.spec import load_experiment
from viralsim.experiment.sweep import run_sweep
from viralsim.results import sweep_folder


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished sweep of 4 runs (chunk size 1) and its spec."""
    folder = tmp_path_factory.mktemp("damage")
    spec = copy.deepcopy(GRID_SPEC)
    spec["replicates"] = 1
    path = write_spec(folder, spec)
    outcome = run_sweep(load_experiment(path), folder / "done", executor="serial")
    assert outcome.complete and outcome.runs == 4
    return path, folder / "done"


def _plan(edit):
    def damage(out: Path) -> None:
        plan = json.loads((out / "plan.json").read_text())
        edit(plan)
        (out / "plan.json").write_text(json.dumps(plan))
    return damage


def _write(name: str, data: bytes | str):
    def damage(out: Path) -> None:
        target = out / name
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data)
    return damage


def _remove(name: str):
    return lambda out: (out / name).unlink()


def _part_without_run_column(out: Path) -> None:
    path = out / "parts" / "chunk-000002" / "table.parquet"
    pd.read_parquet(path).drop(columns=["run"]).to_parquet(path)


def _extra_chunk(out: Path) -> None:
    shutil.copytree(out / "parts" / "chunk-000000", out / "parts" / "chunk-000099")


def _runs_of_another_chunk(out: Path) -> None:
    shutil.copyfile(out / "parts" / "chunk-000001" / "runs.parquet", out / "parts" / "chunk-000000" / "runs.parquet")


def _manifest(edit):
    def damage(out: Path) -> None:
        manifest = json.loads((out / "manifest.json").read_text())
        (out / "manifest.json").write_text(json.dumps(edit(manifest)))
    return damage


def _set(key, value):
    def edit(d):
        d[key] = value
        return d
    return edit


#: case -> (damage, fragment the one-line message must contain: the damaged file)
DAMAGES = {
    "plan is not json": (_write("plan.json", "{not json"), "plan.json"),
    "plan is a list": (_write("plan.json", "[1, 2, 3]"), "plan.json"),
    "plan with 10**12 runs": (_plan(lambda p: p.update(n_runs=10**12)), "plan.json"),
    "plan with a negative chunk size": (_plan(lambda p: p.update(chunk_size=-3)), "plan.json"),
    "plan with a run count as text": (_plan(lambda p: p.update(n_runs="4")), "plan.json"),
    "plan without a fingerprint": (_plan(lambda p: p.pop("fingerprint")), "plan.json"),
    "plan whose run count does not match the design": (_plan(lambda p: p.update(n_runs=5)), "plan.json"),
    "plan with a design of the wrong shape": (_plan(lambda p: p.update(design=[2])), "plan.json"),
    "missing design": (_remove("design.csv"), "design.csv"),
    "design with the wrong rows": (_write("design.csv", "point,x\n0,1\n"), "design.csv"),
    "manifest is a list": (_write("manifest.json", "[]"), "manifest.json"),
    "manifest with a run count as text": (_manifest(_set("runs", "many")), "manifest.json"),
    "garbage part": (_write("parts/chunk-000001/runs.parquet", b"PAR1 garbage"), "runs.parquet"),
    "part without its run column": (_part_without_run_column, "table.parquet"),
    "part missing its run statuses": (_remove("parts/chunk-000003/runs.parquet"), "runs.parquet"),
    "part holding another chunk's runs": (_runs_of_another_chunk, "chunk-000000/runs.parquet"),
    "chunk beyond the plan": (_extra_chunk, "chunk-000099"),
    "experiment is a list": (_write("experiment.yaml", "- 1\n- 2\n"), "experiment.yaml"),
    "garbage signature": (_write(".viralsim-folder.json", "{\"viralsim_folder\": \"sweep\"}"),
                          ".viralsim-folder.json"),
}


def _outside(root: Path, folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and folder not in p.parents}


@pytest.mark.parametrize("case", list(DAMAGES), ids=list(DAMAGES))
def test_damaged_folder_is_refused_by_merge_report_and_resume(finished, tmp_path, capsys, case):
    spec, done = finished
    damage, fragment = DAMAGES[case]
    shutil.copy(spec.parent / "base.yaml", tmp_path / "base.yaml")
    spec_copy = tmp_path / spec.name
    shutil.copy(spec, spec_copy)
    out = tmp_path / "results"
    shutil.copytree(done, out)
    with sweep_folder.lock_results(out, "test"):  # the lock file a sweep leaves beside its folder
        pass
    damage(out)
    before = _outside(tmp_path, out)
    inside = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    commands = {
        "merge": ["merge", str(out)],
        "report": ["report", str(out)],
        "resume": ["sweep", str(spec_copy), "--out", str(out), "--executor", "serial", "--quiet"],
    }
    for name, argv in commands.items():
        code = main(argv)
        captured = capsys.readouterr()
        assert code == 2, f"{name}: exit {code}; {captured.err}"
        assert captured.err.startswith("viralsim: error: ") and captured.err.count("\n") == 1, (name, captured.err)
        assert "Traceback" not in captured.err
        assert fragment in captured.err, (name, captured.err)
        assert captured.out == ""
        assert _outside(tmp_path, out) == before, name
        assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == inside, name  # nothing written


def test_the_undamaged_copy_is_accepted(finished, tmp_path, capsys):
    """The control: the same copy without damage merges, reports and resumes."""
    spec, done = finished
    out = tmp_path / "results"
    shutil.copytree(done, out)
    assert main(["merge", str(out)]) == 0
    assert main(["report", str(out)]) == 0
    assert main(["sweep", str(spec), "--out", str(out), "--executor", "serial", "--quiet"]) == 0
    assert (out / "report" / "index.html").is_file()


def test_a_damaged_final_table_is_refused_by_report_and_rebuilt_by_merge(finished, tmp_path, capsys):
    spec, done = finished
    out = tmp_path / "results"
    shutil.copytree(done, out)
    good = (out / "table.parquet").read_bytes()
    (out / "table.parquet").write_bytes(b"PAR1 half")
    assert main(["report", str(out)]) == 2
    err = capsys.readouterr().err
    assert "table.parquet" in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (out / "report").exists()
    assert main(["merge", str(out)]) == 0  # derived tables are rebuilt from the parts
    assert (out / "table.parquet").read_bytes() == good


def test_plan_bounds_refuse_before_allocating(finished, tmp_path):
    spec, done = finished
    out = tmp_path / "results"
    shutil.copytree(done, out)
    plan = json.loads((out / "plan.json").read_text())
    # consistent with itself, but far beyond any experiment a spec may describe
    plan.update(replicates=10**12, n_runs=2 * 2 * 10**12)
    (out / "plan.json").write_text(json.dumps(plan))
    with pytest.raises(sweep_folder.ResultsError, match="plan.json"):
        sweep_folder.read_plan(out)
    with pytest.raises(sweep_folder.ResultsError, match="plan.json"):
        sweep_folder.missing_chunks(out)
