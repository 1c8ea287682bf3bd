"""A sweep's manifest names its code once: ``code`` (version, commit, uncommitted changes), never
a ``git_commit`` of the working directory beside it."""

from __future__ import annotations

import json

from results_helpers import write_spec

from viralsim.experiment.spec import load_experiment
from viralsim.experiment.sweep import run_sweep
from viralsim.results import provenance


def test_the_commit_is_recorded_once(tmp_path, monkeypatch):
    exp = load_experiment(write_spec(tmp_path, {"name": "once", "base": "base.yaml", "replicates": 1}, days=5))
    monkeypatch.chdir(tmp_path)  # outside any checkout: the working directory's commit would be null
    run_sweep(exp, tmp_path / "out", executor="serial")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert "git_commit" not in manifest
    assert manifest["code"] == provenance.code_identity()
    for record in manifest["invocations"]:
        assert "git_commit" not in record and record["code"] == provenance.code_identity()
