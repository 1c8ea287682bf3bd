"""Helpers for the experiment tests: a tiny market and spec files in tmp_path.

Runs are small (300 people, 20 days, ~0.1 s each) so that whole sweeps, with several
executors, fit in seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

BASE = """\
name: tiny
seed: 1
days: 20
network: {kind: friend_circles, n: 300}
sellers:
  spam: {strategy: spam}
  community: {strategy: community}
"""

#: the files of a results folder that must be byte-identical however the sweep was run
DETERMINISTIC_FILES = (
    "table.parquet",
    "summary.parquet",
    "summary.csv",
    "runs.csv",
    "failures.jsonl",
    "stats.parquet",
    "stats.csv",
    "summary_stats.csv",
    "design.csv",
    "experiment.yaml",
    "plan.json",
    "columns.csv",
)

#: 2 scenarios x 2 grid points x 2 replicates = 8 runs
GRID_SPEC = {
    "name": "grid_exp",
    "base": "base.yaml",
    "seed": 11,
    "replicates": 2,
    "scenarios": {"both": {}, "spam_alone": {"sellers.community": None}},
    "design": {"kind": "grid", "factors": {"sellers.spam.posts_per_day": {"levels": [10, 120]}}},
}


def write_spec(folder: Path, spec: dict | str, name: str = "exp.yaml") -> Path:
    """Write ``base.yaml`` and the spec (a dict, dumped as YAML, or YAML text) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.yaml").write_text(BASE, encoding="utf-8")
    path = folder / name
    text = spec if isinstance(spec, str) else yaml.safe_dump(spec, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def assert_same_results(a: Path, b: Path, files=DETERMINISTIC_FILES) -> None:
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs between {a} and {b}"


def sweep_in_background(path: Path, out: Path, *, chunks: int = 3, timeout: float = 120) -> subprocess.Popen:
    """``viralsim sweep PATH --out OUT`` (serial) in its own process group, returned once it has
    committed ``chunks`` chunks (or ended, or ``timeout`` seconds passed); killed if waiting fails.

    The sweep is returned stopped (SIGSTOP): it still holds its folder's lock but can neither
    commit more nor finish while the test works on it, however slowly the test's own process
    runs on a loaded machine. The caller kills it (SIGKILL ends a stopped process)."""
    from viralsim.results import sweep_folder

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "viralsim", "sweep", str(path), "--out", str(out),
                             "--executor", "serial", "--quiet"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while len(sweep_folder.committed_chunks(out)) < chunks and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGSTOP)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return proc
