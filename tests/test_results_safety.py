"""Output folders: only what viralsim signed is replaced; leftovers of killed processes are
cleaned; a full disk ends in one line and exit status 74 with nothing half-written."""

from __future__ import annotations

import errno
import json
import shutil
import sys
from pathlib import Path

import pytest

from viralsim import folders
from viralsim.cli import EXIT_IO, main
from viralsim.results import columns, run_folder

CONFIG = "name: tiny\nseed: 3\ndays: 4\nnetwork: {kind: friend_circles, n: 120}\nsellers:\n  a: {strategy: spam}\n"
sys.path.insert(0, str(Path(__file__).parent / "experiment"))
from experiment_helpers import GRID_SPEC, write_spec  # noqa: E402


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def cfg(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(CONFIG)
    return path


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.err.startswith("viralsim: error: ") and captured.err.count("\n") == 1, captured.err
    assert "Traceback" not in captured.err
    return captured.err


# --- what may be replaced ----------------------------------------------------------------------


def test_run_out_never_deletes_a_folder_that_merely_holds_a_manifest(cfg, tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "manifest.json").write_text('{"my": "packing list"}')
    (mine / "photos.txt").write_text("irreplaceable")
    before = tree(mine)
    assert main(["run", str(cfg), "--out", str(mine), "--quiet", "--no-plot"]) == 2
    assert "delete it yourself or choose another --out" in one_error_line(capsys)
    assert tree(mine) == before


def test_run_out_refuses_a_sweep_folder_and_sweep_refuses_a_run_folder(cfg, tmp_path, capsys):
    from viralsim.experiment.spec import load_experiment
    from viralsim.experiment.sweep import run_sweep

    spec = dict(GRID_SPEC, replicates=1, scenarios={"both": {}})
    path = write_spec(tmp_path / "exp", spec)
    sweep_dir = tmp_path / "sweep"
    run_sweep(load_experiment(path), sweep_dir, executor="serial")
    before = tree(sweep_dir)
    assert main(["run", str(cfg), "--out", str(sweep_dir), "--quiet", "--no-plot"]) == 2
    assert "experiment results folder written by `viralsim sweep`" in one_error_line(capsys)
    assert tree(sweep_dir) == before

    run_dir = tmp_path / "run"
    assert main(["run", str(cfg), "--out", str(run_dir), "--quiet", "--no-plot"]) == 0
    capsys.readouterr()
    before = tree(run_dir)
    for extra in ([], ["--restart"]):  # not even --restart discards another kind of folder
        assert main(["sweep", str(path), "--out", str(run_dir), "--executor", "serial", "--quiet", *extra]) == 2
        assert "written by `viralsim run`" in one_error_line(capsys)
        assert tree(run_dir) == before
    for argv in (["report", str(sweep_dir), "--out", str(run_dir)],
                 ["demo", "trust-decay", "--out", str(run_dir), "--no-gif"],
                 ["whatif", str(cfg), "--set", "sellers.a.posts_per_day=1,2", "--out", str(run_dir)]):
        assert main(argv) == 2, argv
        assert "written by `viralsim run`" in one_error_line(capsys)
        assert tree(run_dir) == before


def test_a_signed_run_folder_is_replaced_and_an_empty_one_filled(cfg, tmp_path, capsys):
    out = tmp_path / "empty"
    out.mkdir()
    assert main(["run", str(cfg), "--out", str(out), "--quiet", "--no-plot"]) == 0
    first = json.loads((out / folders.SIGNATURE).read_text())
    assert first["viralsim_folder"] == "run" and first["format"] == 1 and len(first["id"]) == 32
    assert main(["run", str(cfg), "--out", str(out), "--quiet", "--no-plot", "--seed", "4"]) == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 4
    assert json.loads((out / folders.SIGNATURE).read_text())["id"] != first["id"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "tiny.yaml"]

def test_a_linked_folder_is_written_through_the_link_which_stays(tmp_path):
    """--out naming a symbolic link to an empty or signed folder writes that folder; the link
    stays a link (before, a link to an empty folder failed after all the work, and a link to a
    signed folder was set aside and replaced by a plain folder)."""
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    for name in ("first.txt", "second.txt"):
        folders.write_folder(link, "run", lambda f, name=name: (f / name).write_text(name))
        assert link.is_symlink() and link.resolve() == real.resolve()
        assert sorted(p.name for p in real.iterdir()) == [folders.SIGNATURE, name]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


def test_a_folder_replaced_just_before_the_swap_is_put_back_not_deleted(tmp_path, monkeypatch):
    """The folder is checked, then set aside and deleted; if another process put its own folder
    there in between, the one set aside is not ours: it goes back and the command is refused."""
    target = tmp_path / "out"
    folders.write_folder(target, "run", lambda f: (f / "mine.txt").write_text("1"))
    state = folders.folder_state(target, "run")

    def fill(folder):
        shutil.rmtree(target)                       # someone else's folder appears in its place
        target.mkdir()
        folders.write_signature(target, "run")
        (target / "theirs.txt").write_text("keep me")

    monkeypatch.setattr(folders, "folder_state", lambda *a, **k: state)   # the check sees no change
    with pytest.raises(folders.FolderError, match="changed while it was being written"):
        folders.write_folder(target, "run", fill)
    assert (target / "theirs.txt").read_text() == "keep me"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")], list(tmp_path.iterdir())



@pytest.mark.parametrize("content", ["", "{}", "[]", "not json", '{"viralsim_folder": "run"}',
                                     '{"viralsim_folder": "run", "format": 1, "id": "../../etc"}',
                                     '{"viralsim_folder": "nope", "format": 1, "id": "' + "a" * 32 + '"}'])
def test_a_signature_is_checked_by_content_not_by_name(tmp_path, content):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / folders.SIGNATURE).write_text(content)
    (folder / "data.csv").write_text("precious")
    with pytest.raises(folders.FolderError, match="not a valid viralsim signature"):
        run_folder.check_out_dir(folder)


def test_an_older_results_folder_is_refused_not_deleted(tmp_path, capsys, cfg):
    out = tmp_path / "old"
    assert main(["run", str(cfg), "--out", str(out), "--quiet", "--no-plot"]) == 0
    capsys.readouterr()
    (out / folders.SIGNATURE).unlink()  # as written before folders were signed
    before = tree(out)
    assert main(["run", str(cfg), "--out", str(out), "--quiet", "--no-plot"]) == 2
    err = one_error_line(capsys)
    assert "older viralsim" in err and "delete it yourself or choose another --out" in err
    assert tree(out) == before


# --- leftovers of killed processes ---------------------------------------------------------------


def _leftover(parent: Path, name: str, what: str, pid: int, host: str | None = None, signed=True) -> Path:
    path = parent / f".{name}.{what}~{pid}~{host or folders.host()}~abcdef12"
    path.mkdir()
    (path / "daily.csv").write_text("half")
    if signed:
        folders.write_signature(path, "run")
    return path


def test_temporaries_of_dead_processes_are_cleaned_only_if_viralsim_wrote_them(cfg, tmp_path, capsys):
    dead = 999_999_999
    gone = [_leftover(tmp_path, "out", "tmp", dead), _leftover(tmp_path, "out", "old", dead)]
    kept = [_leftover(tmp_path, "out", "tmp", dead + 1, signed=False),  # not signed: not ours
            _leftover(tmp_path, "out", "tmp", dead + 2, host="elsewhere"),  # another host's
            _leftover(tmp_path, "out", "tmp", __import__("os").getpid()),  # a live process's
            _leftover(tmp_path, "other", "tmp", dead)]  # another folder's
    (tmp_path / "out").mkdir()
    assert main(["run", str(cfg), "--out", str(tmp_path / "out"), "--quiet", "--no-plot"]) == 0
    assert not any(p.exists() for p in gone)
    assert all((p / "daily.csv").read_text() == "half" for p in kept)


def test_a_folder_swapped_out_by_a_killed_process_is_put_back(tmp_path, cfg):
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out), "--quiet", "--no-plot"]) == 0
    before = tree(out)
    # killed between renaming the old folder aside and renaming the new one into place
    aside = tmp_path / f".out.old~999999999~{folders.host()}~abcdef12"
    out.rename(aside)
    assert folders.clean_siblings(out) == 1
    assert tree(out) == before and not aside.exists()


# --- full disk, read-only folder ----------------------------------------------------------------


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_during_run_ends_in_one_line_exit_74_and_keeps_the_old_folder(cfg, tmp_path, capsys,
                                                                                   monkeypatch):
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out), "--quiet", "--no-plot"]) == 0
    capsys.readouterr()
    before = tree(out)
    monkeypatch.setattr(columns, "write_parquet", _no_space)  # every Parquet file is written through it
    assert main(["run", str(cfg), "--out", str(out), "--quiet", "--no-plot", "--seed", "9"]) == EXIT_IO == 74
    err = one_error_line(capsys)
    assert f"{out}: No space left on device" in err
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "tiny.yaml"]  # no temporary left


def test_a_full_disk_during_a_sweep_ends_in_exit_74_and_the_sweep_resumes(tmp_path, capsys, monkeypatch):
    from viralsim.results import sweep_folder

    spec = dict(GRID_SPEC, replicates=1)
    path = write_spec(tmp_path / "exp", spec)
    out = tmp_path / "sweep"
    real = columns.write_parquet
    calls = []

    def fills_up(df, p, cols):
        calls.append(p)
        if len(calls) > 3:  # the disk fills while the second chunk is written
            _no_space()
        real(df, p, cols)

    monkeypatch.setattr(columns, "write_parquet", fills_up)
    argv = ["sweep", str(path), "--out", str(out), "--executor", "serial", "--quiet"]
    assert main(argv) == EXIT_IO
    err = one_error_line(capsys)
    assert "No space left on device" in err and str(out) in err
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]  # nothing half-written
    assert sweep_folder.committed_chunks(out) == {0}
    monkeypatch.undo()
    assert main(argv) == 0
    from experiment_helpers import assert_same_results

    from viralsim.experiment.spec import load_experiment
    from viralsim.experiment.sweep import run_sweep

    run_sweep(load_experiment(path), tmp_path / "whole", executor="serial")
    assert_same_results(tmp_path / "whole", out)


def test_a_read_only_report_folder_ends_in_exit_74_with_nothing_written(tmp_path, capsys, monkeypatch):
    from viralsim.analysis import plots
    from viralsim.experiment.spec import load_experiment
    from viralsim.experiment.sweep import run_sweep

    path = write_spec(tmp_path / "exp", dict(GRID_SPEC, replicates=1))
    out = tmp_path / "sweep"
    run_sweep(load_experiment(path), out, executor="serial")
    before = tree(out)

    def read_only(*args, **kwargs):
        raise PermissionError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(plots, "_save", read_only)      # (every figure of the report is saved through it)
    assert main(["report", str(out)]) == EXIT_IO
    assert "Read-only file system" in one_error_line(capsys)
    assert tree(out) == before


def test_whatif_writes_its_folder_atomically(cfg, tmp_path, capsys, monkeypatch):
    """A full disk while the what-if's own files are written: its results folder (the runs, which
    a re-run resumes) is complete and valid, and no half-written whatif/ folder is left."""
    from viralsim import whatif
    from viralsim.results import sweep_folder

    out = tmp_path / "wi"
    monkeypatch.setattr(whatif, "plot", _no_space)
    argv = ["whatif", str(cfg), "--set", "sellers.a.posts_per_day=1,2", "--replicates", "2", "--out", str(out),
            "--executor", "serial", "--quiet", "--no-report"]
    assert main(argv) == EXIT_IO
    assert "No space left on device" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == [".wi.viralsim-lock", "tiny.yaml", "wi"]
    sweep_folder.check_folder(out)
    assert not (out / "whatif").exists() and not [p for p in out.iterdir() if p.name.startswith(".whatif")]
