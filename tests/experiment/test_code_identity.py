"""A results folder records the code that started it; resuming or merging with other code is refused."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess

import pytest
from experiment_helpers import GRID_SPEC, write_spec

from viralsim import __version__
from viralsim.cli import main
from viralsim.experiment.spec import load_experiment
from viralsim.experiment.sweep import run_sweep
from viralsim.results import provenance, sweep_folder

#: two code versions as code_identity() reports them
OLD = {"viralsim": "0.1.0", "git_commit": "a" * 40, "dirty": False}
NEW = {"viralsim": "0.2.0", "git_commit": "b" * 40, "dirty": True}


@pytest.fixture
def spec(tmp_path):
    """The grid experiment with one replicate: 4 runs of ~0.1 s, one chunk each."""
    spec = copy.deepcopy(GRID_SPEC)
    spec["replicates"] = 1
    return write_spec(tmp_path, spec)


def as_code(monkeypatch, identity):
    monkeypatch.setattr(provenance, "code_identity", lambda: dict(identity))


def sweep(spec, out, *args):
    return main(["sweep", str(spec), "--out", str(out), "--executor", "serial", "--quiet", *args])


def test_the_plan_and_the_logs_record_the_code(spec, tmp_path, monkeypatch):
    as_code(monkeypatch, OLD)
    assert sweep(spec, tmp_path / "out") == 0
    assert json.loads((tmp_path / "out" / "plan.json").read_text())["code"] == OLD
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["code"] == OLD
    (log,) = (tmp_path / "out" / "logs").glob("*.json")
    assert json.loads(log.read_text())["code"] == OLD


def test_resume_with_other_code_is_refused(spec, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    as_code(monkeypatch, OLD)
    assert sweep(spec, out, "--shard", "0/2") == 0  # runs 0 and 2 of 4
    before = sweep_folder.committed_chunks(out)
    logs = sorted((out / "logs").iterdir())
    capsys.readouterr()

    as_code(monkeypatch, NEW)
    for extra in ((), ("--dry-run",)):
        assert sweep(spec, out, *extra) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and err.startswith("viralsim: error: ")
        assert "viralsim 0.1.0 at commit aaaaaaaaaaaa" in err
        assert "viralsim 0.2.0 at commit bbbbbbbbbbbb with uncommitted changes" in err
        assert "--restart" in err and "--allow-code-change" in err
    assert sweep_folder.committed_chunks(out) == before and sorted((out / "logs").iterdir()) == logs  # nothing ran
    with pytest.raises(sweep_folder.ResultsError, match="two code versions"):
        run_sweep(load_experiment(spec), out, executor="serial")


def test_same_code_resumes(spec, tmp_path, monkeypatch):
    out = tmp_path / "out"
    as_code(monkeypatch, NEW)
    assert sweep(spec, out, "--shard", "0/2") == 0
    outcome = run_sweep(load_experiment(spec), out, executor="serial")
    assert (outcome.skipped, outcome.ran, outcome.complete) == (2, 2, True)
    assert json.loads((out / "plan.json").read_text())["code"] == NEW


def test_resume_with_the_real_code_identity(spec, tmp_path):
    """The real code identity (whatever checkout or install the tests run from) is stable."""
    out = tmp_path / "out"
    assert sweep(spec, out, "--shard", "1/2") == 0
    assert sweep(spec, out) == 0
    assert json.loads((out / "plan.json").read_text())["code"] == provenance.code_identity()
    assert provenance.code_identity()["viralsim"] == __version__


def test_allow_code_change_resumes_and_keeps_both_records(spec, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    as_code(monkeypatch, OLD)
    assert sweep(spec, out, "--shard", "0/2") == 0
    as_code(monkeypatch, NEW)
    assert sweep(spec, out, "--allow-code-change") == 0
    assert "warning:" in capsys.readouterr().err
    assert json.loads((out / "plan.json").read_text())["code"] == OLD  # the folder's origin
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["code"] == OLD
    assert manifest["invocations"][-1]["code"] == NEW  # each invocation's log names the code it ran


def test_restart_discards_results_of_other_code(spec, tmp_path, monkeypatch):
    out = tmp_path / "out"
    as_code(monkeypatch, OLD)
    assert sweep(spec, out, "--shard", "0/2") == 0
    as_code(monkeypatch, NEW)
    assert sweep(spec, out, "--restart") == 0
    assert json.loads((out / "plan.json").read_text())["code"] == NEW


def test_folders_without_a_code_record_still_resume(spec, tmp_path, monkeypatch):
    out = tmp_path / "out"
    as_code(monkeypatch, OLD)
    assert sweep(spec, out, "--shard", "0/2") == 0
    plan = json.loads((out / "plan.json").read_text())
    del plan["code"]  # as written before the record existed
    (out / "plan.json").write_text(json.dumps(plan, indent=2, sort_keys=True) + "\n")
    as_code(monkeypatch, NEW)
    assert sweep(spec, out) == 0


def test_merge_of_shards_of_other_code_is_refused(spec, tmp_path, monkeypatch, capsys):
    as_code(monkeypatch, OLD)
    assert sweep(spec, tmp_path / "s0", "--shard", "0/2") == 0
    as_code(monkeypatch, NEW)
    assert sweep(spec, tmp_path / "s1", "--shard", "1/2") == 0
    capsys.readouterr()
    args = ["merge", str(tmp_path / "s0"), str(tmp_path / "s1"), "--out", str(tmp_path / "merged")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "viralsim 0.1.0 at commit aaaaaaaaaaaa" in err and "viralsim 0.2.0 at commit bbbbbbbbbbbb" in err
    assert not (tmp_path / "merged").exists()
    assert main([*args, "--allow-code-change"]) == 0


# --- what code_identity() reads off git -------------------------------------------------------


def test_code_identity_with_and_without_a_checkout(monkeypatch):
    compute = provenance._code_identity.__wrapped__  # bypass the per-process cache
    monkeypatch.setattr(provenance, "checkout_state", lambda package: None)
    assert dict(compute()) == {"viralsim": __version__}
    assert provenance.describe_code(dict(compute())) == f"viralsim {__version__} (not from a git checkout)"
    monkeypatch.setattr(provenance, "checkout_state", lambda package: ("c" * 40, False))
    assert dict(compute()) == {"viralsim": __version__, "git_commit": "c" * 40, "dirty": False}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_checkout_state(tmp_path):
    def git(*args):
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(repo),
                               *args], check=True, capture_output=True, text=True).stdout.strip()

    repo = tmp_path / "repo"
    package = repo / "src" / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("x = 1\n")
    (repo / "README").write_text("readme\n")
    (repo / ".gitignore").write_text(".venv/\n")
    assert provenance.checkout_state(package) is None  # not a git repository
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "one")
    head = git("rev-parse", "HEAD")
    assert provenance.checkout_state(package) == (head, False)
    (repo / "README").write_text("edited\n")
    assert provenance.checkout_state(package) == (head, False)  # changes outside the package do not count
    (package / "__init__.py").write_text("x = 2\n")
    assert provenance.checkout_state(package) == (head, True)
    git("commit", "-q", "-am", "two")
    assert provenance.checkout_state(package) == (git("rev-parse", "HEAD"), False)
    (package / "new.py").write_text("")
    assert provenance.checkout_state(package)[1] is True  # untracked modules count
    copy_in_venv = repo / ".venv" / "site-packages" / "pkg"
    shutil.copytree(package, copy_in_venv)
    assert provenance.checkout_state(copy_in_venv) is None  # an installed copy is not the checkout's code
