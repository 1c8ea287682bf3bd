"""Results folder of an experiment: part files written by workers, merged tables, resume and merge.

Layout of ``results/<experiment>/<id>/`` (``<id>`` is ``seed<root>-<fingerprint[:8]>`` by
default, so the same spec always maps to the same folder and re-running resumes)::

    experiment.yaml        the resolved experiment (base config inlined; re-runnable)
    design.csv             one row per design point: point, factor values, u:<factor> coordinates
    plan.json              fingerprint, run count, chunk size, factors: what the parts must match;
                           and the code that started the folder (viralsim version, git commit,
                           uncommitted changes): resuming or merging with other code is refused
    parts/chunk-NNNNNN/    one committed chunk of runs, written by the worker that ran it:
        runs.parquet           status of each run (ok/failed, days run, error, traceback)
        table.parquet          its time-series rows (absent if every run of the chunk failed)
        summary.parquet        its per-seller summary rows (likewise)
    logs/*.json            one record per sweep invocation (host, pid, executor, shard, times)
    table.parquet          long "table" output: one row per run x recorded day x seller, with
                           run, run_id, scenario, point, replicate, seed, factor columns,
                           day, seller, daily metrics and market_* columns
    summary.parquet/.csv   one row per run x seller: end-of-run KPIs
    runs.csv               one row per run: status, days run, error
    failures.jsonl         one JSON object per failed run, with its traceback
    stats.parquet/.csv     BehaviorSpace-style stats: n, mean, std, 95 % CI per scenario x
                           design point x seller x day x metric
    summary_stats.csv      the same for the end-of-run KPIs
    manifest.json          versions, git commit, root seed, design, hosts, start and end times

Atomicity: a chunk is written into a hidden temporary directory and renamed into
``parts/chunk-NNNNNN`` only when complete, so **a run is done iff its committed chunk exists**.
Temporary directories left by a killed process are ignored (and removed by a later sweep on the
same host once their process is gone) and their runs are redone. Merged tables are written to
a temporary file and moved into place with ``os.replace``. Chunks are a fixed partition of the
run list and the merged tables are sorted by run, so every file but ``manifest.json`` and the
logs is byte-identical whatever the executor, worker count, shard split or interruptions (given
the same code).

Code identity: the fingerprint (hence the folder name) covers the experiment and the viralsim
version but not the git commit, so that the same spec keeps its folder across commits. Instead
``plan.json`` records :func:`code_identity` when the folder is created, and a sweep that would
resume it, or a merge that would join it with a folder of other code, stops with a one-line
error naming both versions (``allow_code_change`` / ``--allow-code-change`` overrides; each
invocation's log records the code it ran). Folders written before this record existed are not
checked.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:
    import pandas as pd

    from viralsim.experiment.runner import RunRows, RunSettings
    from viralsim.experiment.spec import Experiment

__all__ = [
    "ResultsError",
    "IncompleteError",
    "Plan",
    "code_identity",
    "describe_code",
    "code_differs",
    "plan_for",
    "plan_in",
    "default_chunk_size",
    "check_results_dir",
    "open_results",
    "read_plan",
    "committed_chunks",
    "write_part",
    "finalize",
    "merge",
    "read_results",
    "Results",
]

PLAN = "plan.json"
EXPERIMENT = "experiment.yaml"
DESIGN = "design.csv"
MANIFEST = "manifest.json"
PARTS = "parts"
LOGS = "logs"
TABLE = "table.parquet"
SUMMARY = "summary.parquet"
SUMMARY_CSV = "summary.csv"
RUNS = "runs.csv"
FAILURES = "failures.jsonl"
STATS = "stats.parquet"
STATS_CSV = "stats.csv"
SUMMARY_STATS = "summary_stats.csv"

_CHUNK = re.compile(r"^chunk-(\d{6,})$")
_TMP_PREFIX = ".tmp-"


class ResultsError(Exception):
    """A results folder that cannot be used as asked; the message is one line for the user."""


class IncompleteError(ResultsError):
    """Some runs of the experiment have no committed part yet."""

    def __init__(self, message: str, missing_runs: int = 0):
        super().__init__(message)
        self.missing_runs = missing_runs


# ---------------------------------------------------------------------------------------------
# Plan
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What every part of a results folder must agree on."""

    name: str
    fingerprint: str
    n_runs: int
    chunk_size: int
    factors: list = field(default_factory=list)  # [[path, kind], ...]
    design: dict = field(default_factory=dict)  # kind, points, options
    scenarios: list = field(default_factory=list)
    replicates: int = 1
    root_seed: int = 0
    common_random_numbers: bool = False
    every: Any = 1
    #: the code that created the folder (see :func:`code_identity`); empty in older folders
    code: dict = field(default_factory=dict)
    format: int = 1

    @property
    def n_chunks(self) -> int:
        return -(-self.n_runs // self.chunk_size)

    def chunk_runs(self, chunk: int) -> range:
        return range(chunk * self.chunk_size, min((chunk + 1) * self.chunk_size, self.n_runs))

    def factor_names(self) -> list[str]:
        return [f[0] for f in self.factors]


# ---------------------------------------------------------------------------------------------
# Code identity
# ---------------------------------------------------------------------------------------------


def code_identity() -> dict:
    """The code that produces this process's results.

    Returns
    -------
    dict
        ``{"viralsim": version}``, plus ``git_commit`` (the checkout's HEAD) and ``dirty``
        (uncommitted or untracked changes under the package's own folder) when the package is
        imported from a git checkout, as with an editable install. An installed copy, even one
        inside a checkout's ``.venv``, has no commit. Computed once per process.
    """
    return dict(_code_identity())


@functools.lru_cache(maxsize=1)
def _code_identity() -> tuple:
    from viralsim import __version__

    identity: list[tuple[str, Any]] = [("viralsim", __version__)]
    state = checkout_state(Path(__file__).resolve().parents[1])
    if state is not None:
        identity += [("git_commit", state[0]), ("dirty", state[1])]
    return tuple(identity)


def checkout_state(package: Path) -> tuple[str, bool] | None:
    """``(HEAD commit, dirty)`` of the git checkout holding the package folder ``package``, where
    dirty means uncommitted or untracked changes under ``package``; None if ``package`` is not
    tracked in a git checkout (or git is missing)."""
    # The package's own files must be tracked: a copy in an ignored .venv is not the checkout's code.
    if _git(package, "ls-files", "--", "__init__.py") != "__init__.py":
        return None
    commit = _git(package, "rev-parse", "HEAD")
    status = _git(package, "status", "--porcelain", "--", ".")
    if not commit or status is None:
        return None
    return commit, bool(status)


def _git(folder: Path, *args: str) -> str | None:
    """Stripped output of ``git <args>`` run in ``folder``; None if git fails or is missing.
    ``--no-optional-locks``: ``git status`` must not take the index lock a concurrent git
    command in the checkout may hold."""
    try:
        out = subprocess.run(["git", "--no-optional-locks", "-C", str(folder), *args], capture_output=True,
                             text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def describe_code(code: dict) -> str:
    """``viralsim 0.1.0 at commit 36e76306cefc with uncommitted changes`` and the like."""
    if not code:
        return "unrecorded code"
    text = f"viralsim {code.get('viralsim') or '(unknown version)'}"
    commit = code.get("git_commit")
    if not commit:
        return text + " (not from a git checkout)"
    return text + f" at commit {commit[:12]}" + (" with uncommitted changes" if code.get("dirty") else "")


def code_differs(recorded: dict, current: dict) -> bool:
    """Whether results of ``recorded`` code and of ``current`` code may not be mixed.

    A folder without a record (written before it existed) is not checked. The same commit
    with uncommitted changes on both sides counts as the same code: git cannot tell more
    cheaply.
    """
    return bool(recorded) and bool(current) and recorded != current


def default_chunk_size(n_runs: int) -> int:
    """Runs per part file: 1 for small sweeps, up to 20 for large ones (about 200+ parts).

    A function of the run count only, so that every invocation, shard and executor cuts the
    run list the same way.
    """
    return max(1, min(20, n_runs // 200))


def plan_for(experiment: Experiment, chunk_size: int | None = None) -> Plan:
    """The plan of a sweep of ``experiment``."""
    design = experiment.design
    return Plan(
        name=experiment.name,
        fingerprint=experiment.fingerprint,
        n_runs=len(experiment.runs),
        chunk_size=chunk_size or default_chunk_size(len(experiment.runs)),
        factors=[[n, k] for n, k in experiment.settings.factors],
        design={"kind": design.kind, "points": len(design), "options": design.options},
        scenarios=list(experiment.scenarios),
        replicates=experiment.spec.replicates,
        root_seed=experiment.spec.seed,
        common_random_numbers=experiment.spec.common_random_numbers,
        every=experiment.spec.outputs.every,
        code=code_identity(),
    )


def plan_in(out_dir: str | Path, experiment: Experiment, chunk_size: int | None = None) -> Plan:
    """The plan a sweep of ``experiment`` into ``out_dir`` uses: a folder being resumed keeps the
    chunk size it was started with unless ``chunk_size`` is given."""
    plan = plan_for(experiment, chunk_size)
    if chunk_size is None and (Path(out_dir) / PLAN).is_file():
        try:
            existing = read_plan(out_dir)
        except ResultsError:
            return plan
        if existing.fingerprint == plan.fingerprint:
            return replace(plan, chunk_size=existing.chunk_size)
    return plan


def read_plan(out_dir: str | Path) -> Plan:
    """The plan of a results folder; ResultsError if it is not one."""
    path = Path(out_dir) / PLAN
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"{out_dir} is not a viralsim experiment results folder (no {PLAN})") from None
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path}: cannot read the plan ({exc})") from None
    return Plan(**data)


# ---------------------------------------------------------------------------------------------
# Opening a folder
# ---------------------------------------------------------------------------------------------


def check_results_dir(out_dir: str | Path, plan: Plan, *, restart: bool = False,
                      allow_code_change: bool = False) -> str:
    """Whether a sweep with ``plan`` may use ``out_dir``, without writing anything.

    Returns
    -------
    str
        ``new`` (absent or empty), ``resume`` (same experiment) or ``restart`` (results of this
        or another experiment that ``restart`` allows to discard).

    Raises
    ------
    ResultsError
        If ``out_dir`` is a file, a non-empty folder that is not an experiment results folder,
        or holds another experiment (or a different chunk size) and ``restart`` is false, or
        results of other code (:func:`code_differs`) and neither ``restart`` nor
        ``allow_code_change`` is set.
    """
    out = Path(out_dir)
    if not out.exists() and not out.is_symlink():
        parent = out.absolute().parent
        while not parent.exists():
            parent = parent.parent
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ResultsError(f"cannot create {out}: {parent} is not a writable directory")
        return "new"
    if not out.is_dir():
        raise ResultsError(f"{out} exists and is not a directory")
    if not (out / PLAN).is_file():
        if any(out.iterdir()):
            raise ResultsError(f"{out} exists and is not a viralsim experiment results folder (no {PLAN}); "
                               "refusing to write into it, choose another --out")
        return "new"
    existing = read_plan(out)
    if restart:
        return "restart"
    if existing.fingerprint != plan.fingerprint:
        raise ResultsError(
            f"{out} holds results of a different experiment or spec version (fingerprint "
            f"{existing.fingerprint[:8]}, this one is {plan.fingerprint[:8]}); choose another --out, "
            "or pass --restart to discard them")
    if existing.chunk_size != plan.chunk_size:
        raise ResultsError(f"{out} was started with --chunk-size {existing.chunk_size}; resume with the same "
                           "chunk size, or pass --restart to start over")
    if not allow_code_change and code_differs(existing.code, plan.code):
        raise ResultsError(
            f"{out} holds results of {describe_code(existing.code)}, this is {describe_code(plan.code)}; "
            "resuming would mix results of two code versions: pass --restart to discard them, choose another "
            "--out, or pass --allow-code-change to resume anyway")
    return "resume"


def open_results(out_dir: str | Path, experiment: Experiment, plan: Plan, *, restart: bool = False,
                 allow_code_change: bool = False) -> Plan:
    """Create (or reopen, to resume) the results folder of a sweep; returns the folder's plan.

    A new folder is assembled in a temporary sibling and renamed into place, so it appears
    with its ``plan.json``, ``experiment.yaml`` and ``design.csv`` or not at all. Several
    shards may open the same folder at once: the first rename wins and the others resume it.
    """
    out = Path(out_dir)
    state = check_results_dir(out, plan, restart=restart, allow_code_change=allow_code_change)
    if state == "resume":
        return read_plan(out)
    if state == "restart":
        _remove(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}{_TMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        (tmp / PARTS).mkdir()
        (tmp / LOGS).mkdir()
        _write_text(tmp / EXPERIMENT, experiment.to_yaml())
        _write_csv(experiment.design.table(), tmp / DESIGN)
        _write_text(tmp / PLAN, json.dumps(asdict(plan), indent=2, sort_keys=True) + "\n")
        try:
            if out.exists():
                out.rmdir()  # empty, checked above
            os.rename(tmp, out)
        except OSError:
            if not (out / PLAN).is_file():
                raise
            # Another shard created it first; use theirs if it is the same experiment.
            shutil.rmtree(tmp, ignore_errors=True)
            if check_results_dir(out, plan, allow_code_change=allow_code_change) != "resume":
                raise ResultsError(f"{out} was created concurrently for a different experiment") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return plan


def _remove(out: Path) -> None:
    trash = out.parent / f".{out.name}.trash-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    os.rename(out, trash)
    shutil.rmtree(trash, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Parts
# ---------------------------------------------------------------------------------------------


def chunk_dir(out_dir: str | Path, chunk: int) -> Path:
    return Path(out_dir) / PARTS / f"chunk-{chunk:06d}"


def committed_chunks(out_dir: str | Path) -> set[int]:
    """Chunks whose part directory is committed (renamed into place, hence complete)."""
    parts = Path(out_dir) / PARTS
    if not parts.is_dir():
        return set()
    done = set()
    with os.scandir(parts) as entries:
        for entry in entries:
            m = _CHUNK.match(entry.name)
            if m and entry.is_dir():
                done.add(int(m.group(1)))
    return done


def remove_stale_temporaries(out_dir: str | Path) -> int:
    """Remove temporary files and part directories of dead processes on this host.

    Temporaries are named ``.tmp-<name>~<pid>~<host>~<random>``; those of processes that are
    still alive, or of other hosts (shards elsewhere on a shared filesystem), are left alone.
    Returns how many were removed.
    """
    host = socket.gethostname()
    removed = 0
    for folder in (Path(out_dir), Path(out_dir) / PARTS, Path(out_dir) / LOGS):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if not entry.name.startswith(_TMP_PREFIX):
                continue
            bits = entry.name.split("~")
            if len(bits) != 4 or bits[2] != host or not bits[1].isdigit() or _alive(int(bits[1])):
                continue
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_part(out_dir: str | Path, chunk: int, rows: Sequence[RunRows], settings: RunSettings) -> Path:
    """Commit one chunk's rows as ``parts/chunk-NNNNNN`` (atomic; a second commit is a no-op)."""
    import pandas as pd

    final = chunk_dir(out_dir, chunk)
    if final.exists():
        return final
    parts = final.parent
    parts.mkdir(parents=True, exist_ok=True)
    tmp = parts / f"{_TMP_PREFIX}{final.name}~{os.getpid()}~{socket.gethostname()}~{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        _write_parquet(_runs_frame([r.status for r in rows], settings), tmp / "runs.parquet")
        tables = [r.table for r in rows if r.table is not None]
        if tables:
            _write_parquet(pd.concat(tables, ignore_index=True), tmp / "table.parquet")
        summaries = [r.summary for r in rows if r.summary is not None]
        if summaries:
            _write_parquet(pd.concat(summaries, ignore_index=True), tmp / "summary.parquet")
        for f in tmp.iterdir():
            _fsync(f)
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def chunk_statuses(out_dir: str | Path, chunks: Iterable[int]) -> pd.DataFrame:
    """The ``runs`` rows of the given committed chunks, in chunk order."""
    import pandas as pd

    paths = [chunk_dir(out_dir, c) / "runs.parquet" for c in sorted(chunks)]
    return read_parts(paths) if paths else pd.DataFrame()


def read_parts(paths: Sequence[Path]) -> pd.DataFrame:
    """Part files as one frame, in ascending run order (parts hold disjoint ascending runs, and
    callers list them in chunk order, which is that order).

    Parts with one schema are read in one multi-threaded call, about twice as fast as a read
    per file for the hundreds of parts of a large sweep. Parts whose columns differ (results
    of different code merged with ``allow_code_change``) are read one by one and concatenated,
    so that no column is lost.
    """
    import pandas as pd
    import pyarrow.parquet as pq

    schemas = [pq.read_schema(p) for p in paths]       # footers only
    if all(s.equals(schemas[0]) for s in schemas[1:]):
        df = pd.read_parquet([str(p) for p in paths])
    else:
        df = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    runs = df["run"].to_numpy() if "run" in df.columns else None
    if runs is not None and (runs[1:] < runs[:-1]).any():
        # A stable sort by run restores chunk order (each part's own rows stay as written).
        df = df.sort_values("run", kind="stable").reset_index(drop=True)
    return df


def _runs_frame(statuses: list[dict], settings: RunSettings) -> pd.DataFrame:
    import pandas as pd

    from viralsim.experiment.runner import _DTYPES, META_COLUMNS

    cols: dict[str, Any] = {}
    kinds = {"run": "int64", "run_id": "str", "scenario": "str", "point": "int64", "replicate": "int64",
             "seed": "int64"}
    for name in META_COLUMNS:
        cols[name] = pd.Series([s[name] for s in statuses], dtype=kinds[name])
    for name, kind in settings.factors:
        cols[name] = pd.Series([s[name] for s in statuses], dtype=_DTYPES[kind])
    cols["status"] = pd.Series([s["status"] for s in statuses], dtype="str")
    cols["days_run"] = pd.Series([s["days_run"] for s in statuses], dtype="int64")
    cols["stopped"] = pd.Series([s["stopped"] for s in statuses], dtype="bool")
    cols["error"] = pd.Series([s["error"] for s in statuses], dtype="str")
    cols["traceback"] = pd.Series([s["traceback"] for s in statuses], dtype="str")
    return pd.DataFrame(cols)


# ---------------------------------------------------------------------------------------------
# Finalize and merge
# ---------------------------------------------------------------------------------------------


def missing_chunks(out_dir: str | Path, plan: Plan | None = None) -> list[int]:
    plan = plan or read_plan(out_dir)
    done = committed_chunks(out_dir)
    return [c for c in range(plan.n_chunks) if c not in done]


def finalize(out_dir: str | Path) -> pd.DataFrame:
    """Merge the committed parts into the final tables, stats and manifest.

    Returns
    -------
    DataFrame
        The status of every run (the rows of ``runs.csv``, with tracebacks).

    Raises
    ------
    IncompleteError
        If some chunk has no committed part; nothing is written then.
    """
    import pandas as pd

    from viralsim.analysis.stats import run_stats, summary_stats

    out = Path(out_dir)
    plan = read_plan(out)
    missing = missing_chunks(out, plan)
    if missing:
        n = sum(len(plan.chunk_runs(c)) for c in missing)
        raise IncompleteError(f"{out}: {n} of {plan.n_runs} runs have no results yet (chunks "
                              f"{_ranges(missing)}); run the missing shards or re-run the sweep", n)
    chunks = range(plan.n_chunks)
    runs = chunk_statuses(out, chunks)
    runs = runs.sort_values("run", kind="stable").drop_duplicates("run").reset_index(drop=True)
    if runs["run"].tolist() != list(range(plan.n_runs)):
        raise ResultsError(f"{out}: the parts do not cover runs 0..{plan.n_runs - 1} exactly; "
                           "the folder was modified by hand")
    table = _concat_parts(out, chunks, "table.parquet")
    summary = _concat_parts(out, chunks, "summary.parquet")
    factors = plan.factor_names()
    _atomic(out / TABLE, lambda p: _write_parquet(table, p))
    _atomic(out / SUMMARY, lambda p: _write_parquet(summary, p))
    _atomic(out / SUMMARY_CSV, lambda p: _write_csv(summary, p))
    _atomic(out / RUNS, lambda p: _write_csv(runs.drop(columns=["traceback"]), p))
    failed = runs[runs["status"] != "ok"]
    lines = []
    for rec in failed.to_dict("records"):
        lines.append(json.dumps({k: _plain(v) for k, v in rec.items()}, ensure_ascii=False))
    _atomic(out / FAILURES, lambda p: _write_text(p, "".join(line + "\n" for line in lines)))
    stats = run_stats(table, factors=factors) if len(table) else pd.DataFrame()
    _atomic(out / STATS, lambda p: _write_parquet(stats, p))
    _atomic(out / STATS_CSV, lambda p: _write_csv(stats, p))
    sstats = summary_stats(summary, factors=factors) if len(summary) else pd.DataFrame()
    _atomic(out / SUMMARY_STATS, lambda p: _write_csv(sstats, p))
    write_manifest(out, plan, status="complete", failed=len(failed))
    return runs


def _concat_parts(out: Path, chunks: Iterable[int], name: str) -> pd.DataFrame:
    import pandas as pd

    paths = [chunk_dir(out, c) / name for c in chunks]
    paths = [p for p in paths if p.is_file()]
    if not paths:
        return pd.DataFrame({"run": pd.Series([], dtype="int64")})
    return read_parts(paths)


def merge(dirs: Sequence[str | Path], out: str | Path | None = None, *, allow_code_change: bool = False) -> Path:
    """Join the results folders of shards into one and finalize it.

    Parameters
    ----------
    dirs : sequence of path
        Results folders of the same experiment (same fingerprint and chunk size), e.g. one per
        shard. Folders that shards shared are fine too.
    out : path, optional
        Destination; default the first of ``dirs``. A new destination receives the plan, the
        resolved experiment, the design and every committed part; the result is identical to a
        sweep run in one piece.
    allow_code_change : bool
        Merge folders whose results come from different code (viralsim version or git commit).

    Raises
    ------
    ResultsError
        If a folder is not a results folder, folders disagree (experiment, chunk size, or the
        code that produced them unless ``allow_code_change``), or the union of their parts
        misses runs (nothing is written then).
    """
    dirs = [Path(d) for d in dirs]
    if not dirs:
        raise ResultsError("merge needs at least one results folder")
    plans = [read_plan(d) for d in dirs]
    first = plans[0]
    for d, p in zip(dirs[1:], plans[1:]):
        if p.fingerprint != first.fingerprint:
            raise ResultsError(f"{d} holds a different experiment than {dirs[0]} "
                               f"(fingerprint {p.fingerprint[:8]} vs {first.fingerprint[:8]})")
        if p.chunk_size != first.chunk_size:
            raise ResultsError(f"{d} was run with chunk size {p.chunk_size}, {dirs[0]} with {first.chunk_size}")
        if not allow_code_change and code_differs(first.code, p.code):
            raise ResultsError(f"{d} holds results of {describe_code(p.code)}, {dirs[0]} of "
                               f"{describe_code(first.code)}; merging would mix results of two code versions "
                               "(pass --allow-code-change to merge anyway)")
    target = Path(out) if out is not None else dirs[0]
    have: dict[int, Path] = {}
    for d in dirs:
        for c in committed_chunks(d):
            have.setdefault(c, d)
    missing = [c for c in range(first.n_chunks) if c not in have]
    if missing:
        n = sum(len(first.chunk_runs(c)) for c in missing)
        raise IncompleteError(f"the folders miss {n} of {first.n_runs} runs (chunks {_ranges(missing)}); "
                              "run the missing shards first", n)
    same = [d for d in dirs if _same_dir(d, target)]
    if not same:
        if target.exists() and (target / PLAN).is_file():
            existing = read_plan(target)
            if existing.fingerprint != first.fingerprint:
                raise ResultsError(f"{target} holds results of a different experiment")
            if not allow_code_change and code_differs(existing.code, first.code):
                raise ResultsError(f"{target} holds results of {describe_code(existing.code)}, {dirs[0]} of "
                                   f"{describe_code(first.code)}; merging would mix results of two code "
                                   "versions (pass --allow-code-change to merge anyway)")
        elif target.exists() and any(target.iterdir()):
            raise ResultsError(f"{target} exists and is not a viralsim experiment results folder")
        else:
            _copy_skeleton(dirs[0], target)
    target_chunks = committed_chunks(target)
    for c, src in sorted(have.items()):
        if c in target_chunks:
            continue
        _copy_chunk(chunk_dir(src, c), chunk_dir(target, c))
    for d in dirs:
        if not _same_dir(d, target) and (d / LOGS).is_dir():
            (target / LOGS).mkdir(exist_ok=True)
            for log in sorted((d / LOGS).glob("*.json")):
                if not (target / LOGS / log.name).exists():
                    _atomic(target / LOGS / log.name, lambda p, log=log: shutil.copyfile(log, p))
    finalize(target)
    return target


def _copy_skeleton(src: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}{_TMP_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        (tmp / PARTS).mkdir()
        (tmp / LOGS).mkdir()
        for name in (EXPERIMENT, DESIGN, PLAN):
            shutil.copyfile(src / name, tmp / name)
        if target.exists():
            target.rmdir()
        os.rename(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _copy_chunk(src: Path, dst: Path) -> None:
    tmp = dst.parent / f"{_TMP_PREFIX}{dst.name}~{os.getpid()}~{socket.gethostname()}~{uuid.uuid4().hex[:8]}"
    try:
        shutil.copytree(src, tmp)
        try:
            os.rename(tmp, dst)
        except OSError:
            if not dst.is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _ranges(values: Sequence[int], limit: int = 8) -> str:
    """'0-3, 7, 9-10' for a sorted list, shortened after ``limit`` ranges."""
    spans: list[list[int]] = []
    for v in values:
        if spans and v == spans[-1][1] + 1:
            spans[-1][1] = v
        else:
            spans.append([v, v])
    text = [f"{a}" if a == b else f"{a}-{b}" for a, b in spans[:limit]]
    return ", ".join(text) + (", ..." if len(spans) > limit else "")


# ---------------------------------------------------------------------------------------------
# Manifest and invocation logs
# ---------------------------------------------------------------------------------------------


def log_invocation(out_dir: str | Path, record: dict) -> Path:
    """Write (or rewrite) this invocation's record under ``logs/``."""
    logs = Path(out_dir) / LOGS
    logs.mkdir(exist_ok=True)
    name = f"{record['started_utc'].replace(':', '')}-{record['host']}-{record['pid']}.json"
    path = logs / name
    _atomic(path, lambda p: _write_text(p, json.dumps(record, indent=2, sort_keys=True) + "\n"))
    return path


def write_manifest(out_dir: str | Path, plan: Plan, *, status: str, failed: int | None = None) -> Path:
    """The folder's manifest: versions, git commit, the code that started the folder, root seed,
    design, hosts, start and end."""
    from viralsim import store as run_store

    out = Path(out_dir)
    invocations = []
    for log in sorted((out / LOGS).glob("*.json")) if (out / LOGS).is_dir() else []:
        try:
            invocations.append(json.loads(log.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    starts = [i["started_utc"] for i in invocations if i.get("started_utc")]
    ends = [i["finished_utc"] for i in invocations if i.get("finished_utc")]
    versions = {d: run_store._version(d) for d in ("numpy", "pandas", "pyarrow", "scipy", "SALib", "mesa",
                                                      "networkx", "pydantic", "dask", "distributed")}
    manifest = {
        "experiment": plan.name,
        "status": status,
        "fingerprint": plan.fingerprint,
        "root_seed": plan.root_seed,
        "common_random_numbers": plan.common_random_numbers,
        "design": plan.design,
        "factors": plan.factor_names(),
        "scenarios": plan.scenarios,
        "replicates": plan.replicates,
        "runs": plan.n_runs,
        "failed": failed,
        "chunk_size": plan.chunk_size,
        "viralsim": run_store._viralsim_version(),
        "python": platform.python_version(),
        **versions,
        "git_commit": run_store._git_commit(),
        "code": plan.code,
        "host": invocations[0]["host"] if invocations else socket.gethostname(),
        "hosts": sorted({i.get("host", "") for i in invocations}),
        "started_utc": min(starts) if starts else None,
        "finished_utc": max(ends) if ends and status == "complete" else None,
        "invocations": invocations,
        "files": sorted(p.name for p in out.iterdir() if not p.name.startswith(".")),
    }
    path = out / MANIFEST
    _atomic(path, lambda p: _write_text(p, json.dumps(manifest, indent=2, default=str) + "\n"))
    return path


def utc_now() -> str:
    """Now in UTC, ISO 8601 to the millisecond: invocation logs are named by their start, and a
    sweep resumed within the second its killed predecessor started must still sort after it."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


@dataclass
class Results:
    """The tables of a finished experiment results folder (read lazily)."""

    path: Path
    plan: Plan

    def _read(self, name: str) -> pd.DataFrame:
        import pandas as pd

        file = self.path / name
        if not file.is_file():
            raise ResultsError(f"{self.path} has no {name}: the sweep is not complete "
                               "(re-run it, or `viralsim merge` its shards)")
        if name.endswith(".parquet"):
            return pd.read_parquet(file)
        return pd.read_csv(file, keep_default_na=False, na_values=[""],
                           dtype={"seller": str, "scenario": str, "run_id": str})

    @property
    def table(self) -> pd.DataFrame:
        return self._read(TABLE)

    @property
    def summary(self) -> pd.DataFrame:
        return self._read(SUMMARY)

    @property
    def runs(self) -> pd.DataFrame:
        return self._read(RUNS)

    @property
    def stats(self) -> pd.DataFrame:
        return self._read(STATS)

    @property
    def summary_stats(self) -> pd.DataFrame:
        return self._read(SUMMARY_STATS)

    @property
    def design(self) -> pd.DataFrame:
        import pandas as pd

        return pd.read_csv(self.path / DESIGN)

    @property
    def factors(self) -> list[str]:
        return self.plan.factor_names()

    def manifest(self) -> dict:
        return json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))

    def experiment(self) -> dict:
        import yaml

        return yaml.safe_load((self.path / EXPERIMENT).read_text(encoding="utf-8"))


def read_results(out_dir: str | Path) -> Results:
    """Open an experiment results folder for analysis (ResultsError if it is not one)."""
    out = Path(out_dir)
    return Results(out, read_plan(out))


# ---------------------------------------------------------------------------------------------
# Writing helpers
# ---------------------------------------------------------------------------------------------


def _atomic(path: Path, write) -> None:
    """Write ``path`` through a temporary sibling and ``os.replace``: complete or absent."""
    tmp = path.parent / f"{_TMP_PREFIX}{path.name}~{os.getpid()}~{socket.gethostname()}~{uuid.uuid4().hex[:8]}"
    try:
        write(tmp)
        _fsync(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    df.to_parquet(path, index=False, engine="pyarrow", compression="zstd")


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return value
