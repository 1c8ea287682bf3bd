"""One writer per results folder: a running sweep holds the folder's lock; a second sweep, a
restart, a merge or a report into it is refused with one line naming the holder; the lock of a
killed sweep is taken over."""

from __future__ import annotations

import copy
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from experiment_helpers import GRID_SPEC, assert_same_results, sweep_in_background, write_spec

from viralsim import folders
from viralsim.cli import main
from viralsim.experiment.spec import load_experiment
from viralsim.experiment.sweep import run_sweep
from viralsim.results import sweep_folder

SRC = Path(__file__).resolve().parents[2] / "src"
ENV = dict(os.environ, PYTHONPATH=str(SRC))

HOLD = """
import sys, time
from viralsim.folders import lock_folder
with lock_folder(sys.argv[1], "holder-for-test", shared=sys.argv[2] == "shared"):
    print("locked", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def holder(tmp_path):
    """Start a process that holds a folder's lock (exclusive or shared) until the test ends."""
    procs = []

    def start(folder: Path, mode: str = "exclusive") -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder), mode], env=ENV, stdout=subprocess.PIPE,
                                text=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "locked"
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def test_a_held_folder_refuses_merge_report_finalize_and_sweeps(tmp_path, holder, capsys):
    spec = copy.deepcopy(GRID_SPEC)
    spec["replicates"] = 1
    path = write_spec(tmp_path, spec)
    out = tmp_path / "out"
    run_sweep(load_experiment(path), out, executor="serial")
    proc = holder(out)
    for argv in (["merge", str(out)], ["report", str(out)],
                 ["sweep", str(path), "--out", str(out), "--executor", "serial", "--quiet"],
                 ["sweep", str(path), "--out", str(out), "--executor", "serial", "--quiet", "--restart"]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err
        assert "in use by another viralsim process" in err
        assert f"holder-for-test (pid {proc.pid} on host {socket.gethostname()}, since " in err
    with pytest.raises(sweep_folder.BusyError):
        sweep_folder.finalize(out)
    assert not (out / "report").exists()
    # a report elsewhere only reads the folder, so it waits for no exclusive holder but this one
    proc.kill()
    proc.wait()
    assert main(["report", str(out), "--out", str(tmp_path / "rep")]) == 0


def test_shards_share_the_lock_but_exclude_everyone_else(tmp_path, holder):
    out = tmp_path / "shared"
    holder(out, "shared")
    with sweep_folder.lock_results(out, "another shard", shared=True):
        pass
    with pytest.raises(sweep_folder.BusyError, match="and possibly other shards"):
        with sweep_folder.lock_results(out, "merge"):
            pass


def test_the_lock_is_beside_the_folder_and_never_inside_it(tmp_path):
    out = tmp_path / "new"
    with sweep_folder.lock_results(out, "test"):
        assert not out.exists()  # taking the lock creates nothing but the lock file
        assert folders.lock_path(out) == tmp_path / ".new.viralsim-lock"
        assert b"\"command\": \"test\"" in folders.lock_path(out).read_bytes()
    assert folders.lock_path(out).read_bytes() == b""  # no stale description is left behind
    with sweep_folder.lock_results(out, "again"):  # and the lock can be taken again
        with sweep_folder.lock_results(out, "nested"):  # re-entrant within a process
            pass


def test_restart_of_a_running_sweep_is_refused_and_succeeds_after_a_kill(tmp_path, capsys):
    spec = copy.deepcopy(GRID_SPEC)
    spec["replicates"] = 8  # 32 runs of ~0.1 s
    path = write_spec(tmp_path, spec)
    out = tmp_path / "running"
    proc = sweep_in_background(path, out)
    try:
        assert proc.poll() is None, "the sweep finished before the test could interfere"
        done = sweep_folder.committed_chunks(out)
        for extra in (["--restart"], []):
            code = main(["sweep", str(path), "--out", str(out), "--executor", "serial", "--quiet", *extra])
            err = capsys.readouterr().err
            assert code == 2, err
            assert err.count("\n") == 1 and "Traceback" not in err
            assert f"sweep (pid {proc.pid} on host {socket.gethostname()}, since " in err
        # the refused restart discarded nothing: the running sweep's results are all there
        assert sweep_folder.committed_chunks(out) >= done and (out / "plan.json").is_file()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the sweep finished before it could be killed"
    assert not (out / "table.parquet").exists()
    # the killed sweep's description is still in the lock file: it must not block
    assert f'"pid": {proc.pid}'.encode() in folders.lock_path(out).read_bytes()

    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial", "--quiet", "--restart"]) == 0
    run_sweep(load_experiment(path), tmp_path / "whole", executor="serial")
    assert_same_results(tmp_path / "whole", out)
    assert len(list((out / "logs").glob("*.json"))) == 1  # the restart discarded the killed sweep's log
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".running.")] == [".running.viralsim-lock"]
