"""An experiment's results folder: part files written by workers, merged tables, resume and merge.

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
                           day, seller, daily metrics and market_* columns; with
                           ``outputs.every: k`` a row's flows sum the k days ending on its day
                           (the last row of a run: the days since the previous row), so they
                           add up to the run's totals; levels are the recorded day's
    summary.parquet/.csv   one row per run x seller: end-of-run KPIs
    runs.csv               one row per run: status, days run, error
    failures.jsonl         one JSON object per failed run, with its traceback
    stats.parquet/.csv     BehaviorSpace-style stats: n, mean, std, 95 % CI per scenario x
                           design point x seller x day x metric
    summary_stats.csv      the same for the end-of-run KPIs
    columns.csv            the column dictionary: file, column, unit, kind, description of every
                           column of the files above (:mod:`viralsim.results.columns`); every
                           Parquet file, parts included, carries its own in its schema metadata
    manifest.json          versions, the code that started the folder (``code``: viralsim
                           version, git commit, uncommitted changes), root seed, design, hosts,
                           start and end times
    .viralsim-folder.json  the signature that marks an experiment results folder

Ownership: a sweep, merge or restart writes into, empties or discards only an empty folder or a
folder carrying viralsim's signature of an experiment results folder (:mod:`viralsim.folders`);
a folder of the user's files, a run results folder, or a results folder written by an older
viralsim before folders were signed is refused with one line and never touched.

One writer: a sweep, merge, finalize and a report written into the folder hold the folder's
lock (``.<name>.viralsim-lock`` beside it, see :mod:`viralsim.folders`) for their whole life;
a second one is refused with a line naming the holder (host, pid, command, since when). The
shards of one sweep (``--shard``) share the lock, so a job array can fill one folder at once.

Validation: the plan, the design, the manifest, the resolved experiment and every committed
part are checked (shapes, types, bounds, part row counts against the plan) before a folder
is resumed, merged or reported on; a damaged or modified folder is refused with one line
naming the file (ResultsError), before anything is allocated or written.

Atomicity: a chunk is written into a hidden temporary directory and renamed into
``parts/chunk-NNNNNN`` only when complete, so **a run is done iff its committed chunk exists**.
Temporary directories left by a killed process are ignored (and removed by a later sweep on the
same host once their process is gone, if their name has exactly the form viralsim gives them)
and their runs are redone. Merged tables are written to
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

import contextlib
import json
import os
import platform
import re
import shutil
import socket
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from viralsim import folders
from viralsim.config.schema import MAX_DAYS, MAX_SEED
from viralsim.results import columns
from viralsim.results.provenance import code_differs, describe_code, package_version, viralsim_version
from viralsim.results.run_rows import COLUMN_DTYPES, META_COLUMNS, RunRows, RunSettings
from viralsim.results.stats import run_stats, summary_stats

__all__ = [
    "ResultsError",
    "IncompleteError",
    "BusyError",
    "lock_results",
    "check_folder",
    "Plan",
    "default_chunk_size",
    "check_results_dir",
    "open_results",
    "read_plan",
    "committed_chunks",
    "discard_chunk",
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

#: the signature kind of an experiment results folder (:mod:`viralsim.folders`)
KIND = "sweep"

_CHUNK = re.compile(r"^chunk-(\d{6,})$")
_TMP_PREFIX = ".tmp-"
#: a temporary file or directory inside a results folder: .tmp-<name>~<pid>~<host>~<8 hex>
_TMP = re.compile(r"^\.tmp-(?P<name>[A-Za-z0-9_.:+-]+)~(?P<pid>\d+)~(?P<host>[^~/]+)~[0-9a-f]{4,8}$")
#: most runs one experiment may describe, hence one results folder may hold (a typo such as an
#: extra zero should not plan 10^9 runs)
MAX_RUNS = 5_000_000
#: files larger than this are not read as plan, manifest, experiment or log
_MAX_META_BYTES = 64 << 20


class ResultsError(Exception):
    """A results folder that cannot be used as asked; the message is one line for the user."""


class BusyError(ResultsError):
    """Another process holds the results folder's lock; the message names it."""


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


def default_chunk_size(n_runs: int) -> int:
    """Runs per part file: 1 for small sweeps, up to 20 for large ones (about 200+ parts).

    A function of the run count only, so that every invocation, shard and executor cuts the
    run list the same way.
    """
    return max(1, min(20, n_runs // 200))


class _DesignRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    kind: Annotated[str, Field(min_length=1, max_length=40)]
    points: Annotated[int, Field(ge=1, le=MAX_RUNS)]
    options: dict = Field(default_factory=dict)


_FACTOR_KINDS = ("bool", "int", "float", "str")


class _PlanRecord(BaseModel):
    """What ``plan.json`` may hold: the shape, types and bounds of :class:`Plan`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[str, Field(min_length=1, max_length=1000)]
    fingerprint: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    n_runs: Annotated[int, Field(ge=1, le=MAX_RUNS)]
    chunk_size: Annotated[int, Field(ge=1, le=MAX_RUNS)]
    factors: list[Annotated[list[Annotated[str, Field(min_length=1, max_length=1000)]],
                            Field(min_length=2, max_length=2)]] = Field(default_factory=list, max_length=1000)
    design: _DesignRecord
    scenarios: Annotated[list[Annotated[str, Field(min_length=1, max_length=1000)]],
                         Field(min_length=1, max_length=10_000)]
    replicates: Annotated[int, Field(ge=1, le=MAX_RUNS)] = 1
    root_seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 0
    common_random_numbers: bool = False
    every: Annotated[int, Field(ge=1, le=MAX_DAYS)] | Literal["end"] = 1
    code: dict = Field(default_factory=dict)
    format: Literal[1] = 1

    @model_validator(mode="after")
    def _consistent(self) -> _PlanRecord:
        expected = len(self.scenarios) * self.design.points * self.replicates
        if self.n_runs != expected:
            raise ValueError(f"n_runs = {self.n_runs}, but {len(self.scenarios)} scenarios x {self.design.points} "
                             f"design points x {self.replicates} replicates = {expected}")
        if len(set(self.scenarios)) != len(self.scenarios):
            raise ValueError("scenarios repeat")
        for name, kind in self.factors:
            if kind not in _FACTOR_KINDS:
                raise ValueError(f"factor {name!r} has kind {kind!r}, not one of {', '.join(_FACTOR_KINDS)}")
        return self


def read_plan(out_dir: str | Path) -> Plan:
    """The plan of a results folder; ResultsError (one line naming ``plan.json``) if it is not
    one, or if ``plan.json`` has the wrong shape, types or bounds (:class:`_PlanRecord`)."""
    path = Path(out_dir) / PLAN
    if not path.exists():
        raise ResultsError(f"{out_dir} is not a viralsim experiment results folder (no {PLAN})")
    data = _read_json(path, "the plan")
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: not a valid plan (a JSON {type(data).__name__}, not an object); "
                           "the folder was damaged or modified by hand")
    try:
        record = _PlanRecord.model_validate(data)
    except ValidationError as exc:
        raise ResultsError(f"{path}: not a valid plan ({_validation_text(exc)}); the folder was damaged or "
                           "modified by hand") from None
    return Plan(**record.model_dump())


def _read_json(path: Path, what: str) -> Any:
    """A bounded JSON file; ResultsError naming it if it cannot be read or parsed."""
    try:
        if not path.is_file():
            raise ResultsError(f"{path}: {what} is not a regular file")
        if path.stat().st_size > _MAX_META_BYTES:
            raise ResultsError(f"{path}: {what} is larger than {_MAX_META_BYTES >> 20} MB; refusing to read it")
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path}: cannot read {what} ({folders.short_error(exc)})") from None


def _validation_text(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    loc = ".".join(str(x) for x in err.get("loc", ())) or "value"
    value = err.get("input")
    shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    if len(shown) > 60:
        shown = shown[:57] + "..."
    msg = err.get("msg", "invalid")
    if err.get("type") == "missing":
        return f"{loc} is missing"
    if err.get("type") == "value_error" or loc == "value":
        return msg.removeprefix("Value error, ")
    return f"{loc} = {shown}: {msg}"


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
        If ``out_dir`` is a file or a non-empty folder that is not a signed experiment results
        folder (someone's files, a run results folder, a folder of an older viralsim: never
        discarded, not even with ``restart``), or holds another experiment (or a different chunk
        size) and ``restart`` is false, or results of other code (:func:`code_differs`) and
        neither ``restart`` nor ``allow_code_change`` is set, or is damaged (:func:`check_folder`)
        and ``restart`` is false.
    """
    out = Path(out_dir)
    state = _signed_state(out)
    if state == "absent":
        parent = out.absolute().parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise ResultsError(f"cannot create {out}: {parent} is not a writable directory")
        return "new"
    if state == "empty":
        return "new"
    if restart:
        return "restart"
    existing = read_plan(out)
    if existing.fingerprint != plan.fingerprint:
        raise ResultsError(
            f"{out} holds results of a different experiment or spec version (fingerprint "
            f"{existing.fingerprint[:8]}, this one is {plan.fingerprint[:8]}); choose another --out, "
            "or pass --restart to discard them")
    if existing.chunk_size != plan.chunk_size:
        raise ResultsError(f"{out} was started with --chunk-size {existing.chunk_size}; resume with the same "
                           "chunk size, or pass --restart to start over")
    mine, theirs = _comparable(plan), _comparable(existing)
    for key in mine:
        if mine[key] != theirs.get(key):
            raise ResultsError(f"{out / PLAN}: {key} = {_clip(theirs.get(key))} does not match the experiment it "
                               f"names ({_clip(mine[key])}); the folder was modified by hand: pass --restart to "
                               "discard it, or choose another --out")
    if not allow_code_change and code_differs(existing.code, plan.code):
        raise ResultsError(
            f"{out} holds results of {describe_code(existing.code)}, this is {describe_code(plan.code)}; "
            "resuming would mix results of two code versions: pass --restart to discard them, choose another "
            "--out, or pass --allow-code-change to resume anyway")
    check_folder(out, existing)
    return "resume"


def _signed_state(out: Path, *, option: str = "--out") -> str:
    """``absent``, ``empty`` or ``ours`` (a signed experiment results folder); ResultsError for
    anything else."""
    try:
        state, _ = folders.folder_state(out, KIND, option=option)
    except folders.FolderError as exc:
        raise ResultsError(str(exc)) from None
    return state


def _comparable(plan: Plan) -> dict:
    """The plan as JSON would give it back, without what may differ between invocations."""
    data = json.loads(json.dumps(asdict(plan), sort_keys=True, default=str))
    for key in ("code", "chunk_size"):
        data.pop(key, None)
    return data


def _clip(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def open_results(out_dir: str | Path, plan: Plan, *, experiment_yaml: str, design: pd.DataFrame,
                 restart: bool = False, allow_code_change: bool = False) -> Plan:
    """Create (or reopen, to resume) the results folder of a sweep; returns the folder's plan.

    ``experiment_yaml`` (the resolved experiment) and ``design`` (its design table) are written
    into a new folder as ``experiment.yaml`` and ``design.csv``.

    A new folder is assembled in a temporary sibling, signed, and renamed into place, so it
    appears with its signature, ``plan.json``, ``experiment.yaml`` and ``design.csv`` or not
    at all. Several shards may open the same folder at once: the first rename wins and the
    others resume it. With ``restart`` a signed folder is renamed aside and deleted first.
    Temporary siblings left by killed processes are cleaned first (:func:`viralsim.folders.clean_siblings`).
    Callers hold the folder's lock (:func:`lock_results`).
    """
    out = Path(out_dir)
    folders.clean_siblings(out)
    state = check_results_dir(out, plan, restart=restart, allow_code_change=allow_code_change)
    if state == "resume":
        return read_plan(out)
    if state == "restart":
        _remove(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = folders.sibling(out.absolute(), "tmp")
    try:
        tmp.mkdir()
        folders.write_signature(tmp, KIND)
        (tmp / PARTS).mkdir()
        (tmp / LOGS).mkdir()
        _write_text(tmp / EXPERIMENT, experiment_yaml)
        _write_csv(design, tmp / DESIGN)
        _write_text(tmp / PLAN, json.dumps(asdict(plan), indent=2, sort_keys=True) + "\n")
        try:
            if out.exists() and _signed_state(out) == "empty":
                out.rmdir()
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
    """Discard a signed results folder (or a chunk of one): renamed aside at once, then deleted;
    a kill in between leaves a temporary that the next start cleans."""
    out = out.absolute()
    if out.parent.name == PARTS:
        trash = out.parent / f"{_TMP_PREFIX}{out.name}~{os.getpid()}~{socket.gethostname()}~{uuid.uuid4().hex[:8]}"
    else:
        trash = folders.sibling(out, "trash")
    os.rename(out, trash)
    shutil.rmtree(trash, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# One writer at a time
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def lock_results(out_dir: str | Path, command: str, *, shared: bool = False, wait: float = 0.0) -> Iterator[None]:
    """Hold the lock of a results folder for the ``with`` block (see :mod:`viralsim.folders`).

    ``shared`` for the shards of one sweep, exclusive otherwise. BusyError (one line naming the
    holder: command, pid, host, since when) if another process holds it. Re-entrant within a
    process. The lock file lives beside the folder, so the folder need not exist yet.
    """
    try:
        with folders.lock_folder(out_dir, command, shared=shared, wait=wait):
            yield
    except folders.FolderInUseError as exc:
        raise BusyError(str(exc)) from None


# ---------------------------------------------------------------------------------------------
# Parts
# ---------------------------------------------------------------------------------------------


def chunk_dir(out_dir: str | Path, chunk: int) -> Path:
    return Path(out_dir) / PARTS / f"chunk-{chunk:06d}"


def discard_chunk(out_dir: str | Path, chunk: int) -> None:
    """Remove a committed chunk, so that its runs are done again."""
    _remove(chunk_dir(out_dir, chunk))


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

    Temporaries are named exactly ``.tmp-<name>~<pid>~<host>~<random>``; those of processes that
    are still alive, of other hosts (shards elsewhere on a shared filesystem), or named in any
    other way are left alone. Only inside a signed results folder. Returns how many were removed.
    """
    out = Path(out_dir)
    try:
        if _signed_state(out) != "ours":
            return 0
    except ResultsError:
        return 0
    host = socket.gethostname()
    removed = 0
    for folder in (out, out / PARTS, out / LOGS):
        if folder.is_symlink() or not folder.is_dir():
            continue
        for entry in folder.iterdir():
            m = _TMP.match(entry.name)
            if not m or m["host"] != host or folders.pid_alive(int(m["pid"])):
                continue
            if entry.is_symlink() or not entry.is_dir():
                entry.unlink(missing_ok=True)
            else:
                shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------

#: files of a committed part, and the columns (with their kinds) each must have
_PART_COLUMNS = {
    "runs.parquet": {"run": "int", "run_id": "str", "status": "str", "days_run": "int", "error": "str",
                     "traceback": "str"},
    "table.parquet": {"run": "int", "scenario": "str", "point": "int", "seller": "str", "day": "int"},
    "summary.parquet": {"run": "int", "scenario": "str", "point": "int", "seller": "str"},
}
_STATUSES = ("ok", "failed")


def check_folder(out_dir: str | Path, plan: Plan | None = None) -> Plan:
    """Check an experiment results folder before it is resumed, merged or reported on.

    The plan (:func:`read_plan`), ``experiment.yaml`` (a mapping), ``design.csv`` (one row per
    design point of the plan), ``manifest.json`` if present (an object with the documented field
    types) and every committed part (a chunk of the plan; each file readable Parquet with the
    expected columns and types; ``runs.parquet`` holding exactly the chunk's runs, the other files
    only them). Reads the part files' ``run`` columns, not their data.

    Returns
    -------
    Plan
        The folder's plan.

    Raises
    ------
    ResultsError
        One line naming the first file found wrong.
    """
    out = Path(out_dir)
    plan = plan or read_plan(out)
    _check_experiment(out)
    _check_design(out, plan)
    read_manifest(out)
    for c in sorted(committed_chunks(out)):
        _check_part(out, plan, c)
    return plan


def _damaged(path: Path, problem: str) -> ResultsError:
    return ResultsError(f"{path}: {problem}; the results folder was damaged or modified by hand")


def _check_experiment(out: Path) -> None:
    path = out / EXPERIMENT
    if not path.is_file():
        raise _damaged(path, "missing (or not a file)")
    if path.stat().st_size > _MAX_META_BYTES:
        raise _damaged(path, f"larger than {_MAX_META_BYTES >> 20} MB")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise _damaged(path, f"cannot read the experiment ({folders.short_error(exc)})") from None
    if not isinstance(data, dict):
        raise _damaged(path, f"not a mapping but a {type(data).__name__}")


def _check_design(out: Path, plan: Plan) -> None:
    path = out / DESIGN
    if not path.is_file():
        raise _damaged(path, "missing (or not a file)")
    # A design row is at most a few hundred bytes; refuse a file far beyond the plan's points.
    if path.stat().st_size > 4096 * (plan.design["points"] + 1) + _MAX_META_BYTES // 64:
        raise _damaged(path, f"far too large for {plan.design['points']} design points")
    try:
        design = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise _damaged(path, f"cannot read the design ({folders.short_error(exc)})") from None
    if "point" not in design.columns:
        raise _damaged(path, "no point column")
    points = plan.design["points"]
    if len(design) != points or design["point"].tolist() != list(range(points)):
        raise _damaged(path, f"{len(design)} rows, but the plan has design points 0..{points - 1}")


def read_manifest(out_dir: str | Path) -> dict:
    """``manifest.json`` of a results folder, checked ({} if there is none yet); ResultsError
    naming it if it is not an object with the documented field types."""
    path = Path(out_dir) / MANIFEST
    if not path.exists():
        return {}
    data = _read_json(path, "the manifest")
    if not isinstance(data, dict):
        raise _damaged(path, f"not a JSON object but a {type(data).__name__}")
    for key in ("experiment", "status", "fingerprint", "viralsim", "git_commit", "started_utc", "finished_utc",
                "host", "python"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise _damaged(path, f"{key} = {_clip(data[key])} is not text")
    for key in ("runs", "failed", "chunk_size", "root_seed"):
        value = data.get(key)
        if value is not None and (type(value) is not int or value < 0):
            raise _damaged(path, f"{key} = {_clip(value)} is not a whole number >= 0")
    for key in ("invocations", "hosts", "files", "factors", "scenarios"):
        if data.get(key) is not None and not isinstance(data[key], list):
            raise _damaged(path, f"{key} is not a list")
    return data


def _check_part(out: Path, plan: Plan, chunk: int) -> None:
    folder = chunk_dir(out, chunk)
    if chunk >= plan.n_chunks:
        raise _damaged(folder, f"chunk {chunk} is beyond the plan's {plan.n_chunks} chunks")
    runs = list(plan.chunk_runs(chunk))
    if not (folder / "runs.parquet").is_file():
        raise _damaged(folder / "runs.parquet", "missing (or not a file)")
    for name, expected in _PART_COLUMNS.items():
        path = folder / name
        if name != "runs.parquet" and not path.exists():
            continue
        try:
            file = pq.ParquetFile(path)
            schema = file.schema_arrow
            if name == "runs.parquet" and file.metadata.num_rows != len(runs):
                raise _damaged(path, f"{file.metadata.num_rows} rows, but chunk {chunk} has {len(runs)} runs")
            for column, kind in expected.items():
                if column not in schema.names:
                    raise _damaged(path, f"no {column} column")
                if not _arrow_kind(schema.field(column).type, kind):
                    raise _damaged(path, f"column {column} holds {schema.field(column).type}, not {kind}")
            read = ["run", "status"] if name == "runs.parquet" else ["run"]
            values = file.read(columns=read)
        except ResultsError:
            raise
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a damaged file
            raise _damaged(path, f"cannot read it ({folders.short_error(exc)})") from None
        got = values.column("run").to_pylist()
        if name == "runs.parquet":
            if sorted(got) != runs:
                raise _damaged(path, f"holds runs {_clip(got)}, but chunk {chunk} is runs {runs[0]}..{runs[-1]}")
            bad = sorted(set(values.column("status").to_pylist()) - set(_STATUSES))
            if bad:
                raise _damaged(path, f"status {_clip(bad[0])} is not one of {', '.join(_STATUSES)}")
        elif got and (min(got) < runs[0] or max(got) > runs[-1]):
            raise _damaged(path, f"holds rows of runs outside chunk {chunk} (runs {runs[0]}..{runs[-1]})")


def _arrow_kind(arrow_type, kind: str) -> bool:
    if kind == "int":
        return pa.types.is_integer(arrow_type)
    if kind == "str":
        return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
    return True


def write_part(out_dir: str | Path, chunk: int, rows: Sequence[RunRows], settings: RunSettings) -> Path:
    """Commit one chunk's rows as ``parts/chunk-NNNNNN`` (atomic; a second commit is a no-op)."""
    final = chunk_dir(out_dir, chunk)
    if final.exists():
        return final
    parts = final.parent
    parts.mkdir(parents=True, exist_ok=True)
    tmp = parts / f"{_TMP_PREFIX}{final.name}~{os.getpid()}~{socket.gethostname()}~{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        factors = [path for path, _ in settings.factors]
        every = "end" if settings.every is None else settings.every
        _write_table(_runs_frame([r.status for r in rows], settings), tmp / "runs.parquet", "runs", factors)
        tables = [r.table for r in rows if r.table is not None]
        if tables:
            _write_table(pd.concat(tables, ignore_index=True), tmp / "table.parquet", "table", factors, every)
        summaries = [r.summary for r in rows if r.summary is not None]
        if summaries:
            _write_table(pd.concat(summaries, ignore_index=True), tmp / "summary.parquet", "summary", factors)
        for f in tmp.iterdir():
            _fsync(f)
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.is_dir():
                raise
    except OSError as exc:
        raise folders.named(exc, final) from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def chunk_statuses(out_dir: str | Path, chunks: Iterable[int]) -> pd.DataFrame:
    """The ``runs`` rows of the given committed chunks, in chunk order."""
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
    cols: dict[str, Any] = {}
    kinds = {"run": "int64", "run_id": "str", "scenario": "str", "point": "int64", "replicate": "int64",
             "seed": "int64"}
    for name in META_COLUMNS:
        cols[name] = pd.Series([s[name] for s in statuses], dtype=kinds[name])
    for name, kind in settings.factors:
        cols[name] = pd.Series([s[name] for s in statuses], dtype=COLUMN_DTYPES[kind])
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
    ResultsError
        If the folder is not a signed results folder or is damaged (:func:`check_folder`).
    """
    out = Path(out_dir)
    with lock_results(out, "finalize"):
        return _finalize(out)


def _finalize(out: Path) -> pd.DataFrame:
    if _signed_state(out) != "ours":
        raise ResultsError(f"{out} is not a viralsim experiment results folder (no {PLAN})")
    plan = check_folder(out)
    missing = missing_chunks(out, plan)
    if missing:
        n = sum(len(plan.chunk_runs(c)) for c in missing)
        raise IncompleteError(f"{out}: {n} of {plan.n_runs} runs have no results yet (chunks "
                              f"{_ranges(missing)}); run the missing shards or re-run the sweep", n)
    chunks = range(plan.n_chunks)
    try:
        runs = chunk_statuses(out, chunks)
        runs = runs.sort_values("run", kind="stable").drop_duplicates("run").reset_index(drop=True)
        if runs["run"].tolist() != list(range(plan.n_runs)):
            raise ResultsError(f"{out}: the parts do not cover runs 0..{plan.n_runs - 1} exactly; "
                               "the folder was modified by hand")
        table = _concat_parts(out, chunks, "table.parquet")
        summary = _concat_parts(out, chunks, "summary.parquet")
    except (pa.ArrowException, ValueError, KeyError) as exc:
        raise _damaged(out / PARTS, f"cannot read the parts ({folders.short_error(exc)})") from None
    factors = plan.factor_names()
    stats = run_stats(table, factors=factors) if len(table) else pd.DataFrame()
    sstats = summary_stats(summary, factors=factors) if len(summary) else pd.DataFrame()
    runs_csv = runs.drop(columns=["traceback"])
    # The column dictionary of every table, looked up before anything is written: an undocumented
    # column stops the merge with the parts intact, and a fixed version of viralsim can finish it.
    def entries(name: str, df: pd.DataFrame) -> list:
        return columns.table_columns(name, df.columns, factors=factors, every=plan.every)
    design = pd.read_csv(out / DESIGN, nrows=0)   # its header: the columns to describe
    files = {
        DESIGN: entries("design", design),
        TABLE: entries("table", table),
        SUMMARY: entries("summary", summary),
        SUMMARY_CSV: entries("summary", summary),
        RUNS: entries("runs", runs_csv),
        FAILURES: entries("runs", runs),
        STATS: entries("stats", stats),
        STATS_CSV: entries("stats", stats),
        SUMMARY_STATS: entries("summary_stats", sstats),
    }
    _atomic(out / TABLE, lambda p: columns.write_parquet(table, p, files[TABLE]))
    _atomic(out / SUMMARY, lambda p: columns.write_parquet(summary, p, files[SUMMARY]))
    _atomic(out / SUMMARY_CSV, lambda p: _write_csv(summary, p))
    _atomic(out / RUNS, lambda p: _write_csv(runs_csv, p))
    failed = runs[runs["status"] != "ok"]
    lines = []
    for rec in failed.to_dict("records"):
        lines.append(json.dumps({k: _plain(v) for k, v in rec.items()}, ensure_ascii=False))
    _atomic(out / FAILURES, lambda p: _write_text(p, "".join(line + "\n" for line in lines)))
    _atomic(out / STATS, lambda p: columns.write_parquet(stats, p, files[STATS]))
    _atomic(out / STATS_CSV, lambda p: _write_csv(stats, p))
    _atomic(out / SUMMARY_STATS, lambda p: _write_csv(sstats, p))
    _atomic(out / columns.COLUMNS_FILE, lambda p: _write_csv(columns.columns_frame(files), p))
    write_manifest(out, plan, status="complete", failed=len(failed))
    return runs


def _concat_parts(out: Path, chunks: Iterable[int], name: str) -> pd.DataFrame:
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
    target = Path(out) if out is not None else dirs[0]
    with contextlib.ExitStack() as stack:
        # The destination exclusively (it is written), the other folders shared (only read).
        stack.enter_context(lock_results(target, "merge"))
        for d in dirs:
            if not _same_dir(d, target):
                stack.enter_context(lock_results(d, "merge (reading)", shared=True))
        return _merge(dirs, target, allow_code_change)


def _merge(dirs: list[Path], target: Path, allow_code_change: bool) -> Path:
    plans = [_check_readable(d) for d in dirs]
    first = plans[0]
    for d, p in zip(dirs[1:], plans[1:]):
        if p.fingerprint != first.fingerprint:
            raise ResultsError(f"{d} holds a different experiment than {dirs[0]} "
                               f"(fingerprint {p.fingerprint[:8]} vs {first.fingerprint[:8]})")
        if p.chunk_size != first.chunk_size:
            raise ResultsError(f"{d} was run with chunk size {p.chunk_size}, {dirs[0]} with {first.chunk_size}")
        if _comparable(p) != _comparable(first):
            raise ResultsError(f"{d / PLAN} and {dirs[0] / PLAN} name the same experiment but differ; a folder was "
                               "modified by hand")
        if not allow_code_change and code_differs(first.code, p.code):
            raise ResultsError(f"{d} holds results of {describe_code(p.code)}, {dirs[0]} of "
                               f"{describe_code(first.code)}; merging would mix results of two code versions "
                               "(pass --allow-code-change to merge anyway)")
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
    if same:
        if _signed_state(target, option="DIR") != "ours":
            raise ResultsError(f"{target} is not a viralsim experiment results folder (no {folders.SIGNATURE})")
    else:
        folders.clean_siblings(target)
        state = _signed_state(target)
        if state == "ours":
            existing = _check_readable(target)
            if existing.fingerprint != first.fingerprint or _comparable(existing) != _comparable(first):
                raise ResultsError(f"{target} holds results of a different experiment")
            if not allow_code_change and code_differs(existing.code, first.code):
                raise ResultsError(f"{target} holds results of {describe_code(existing.code)}, {dirs[0]} of "
                                   f"{describe_code(first.code)}; merging would mix results of two code "
                                   "versions (pass --allow-code-change to merge anyway)")
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
                if log.is_file() and not (target / LOGS / log.name).exists():
                    _atomic(target / LOGS / log.name, lambda p, log=log: shutil.copyfile(log, p))
    finalize(target)
    return target


def _check_readable(out: Path) -> Plan:
    """A results folder to read from: signed, or unsigned from an older viralsim (read only);
    never another kind of folder or a damaged signature; then :func:`check_folder`."""
    try:
        folders.folder_state(out, KIND, option="DIR")
    except folders.FolderError as exc:
        legacy = not os.path.lexists(out / folders.SIGNATURE) and (out / PLAN).is_file()
        if not legacy:
            raise ResultsError(str(exc)) from None
    if not out.is_dir():
        raise ResultsError(f"{out} is not a viralsim experiment results folder")
    return check_folder(out)


def _copy_skeleton(src: Path, target: Path) -> None:
    target = target.absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = folders.sibling(target, "tmp")
    try:
        tmp.mkdir()
        folders.write_signature(tmp, KIND)
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
    """The folder's manifest: versions, the code that started the folder, root seed, design,
    hosts, start and end.

    The commit is recorded once, in ``code`` (:func:`code_identity` of the package's checkout,
    from the plan): the working directory's checkout, which the manifest once recorded beside
    it, need not be the code that ran, and was null whenever the sweep ran from elsewhere."""
    out = Path(out_dir)
    invocations = []
    for log in sorted((out / LOGS).glob("*.json")) if (out / LOGS).is_dir() else []:
        try:
            if log.is_file() and log.stat().st_size <= _MAX_META_BYTES:
                record = json.loads(log.read_text(encoding="utf-8"))
            else:
                continue
        except (OSError, ValueError):
            continue
        if isinstance(record, dict):  # a damaged log must not stop the sweep: it is only a record
            invocations.append(record)
    starts = [i["started_utc"] for i in invocations if isinstance(i.get("started_utc"), str)]
    ends = [i["finished_utc"] for i in invocations if isinstance(i.get("finished_utc"), str)]
    versions = {d: package_version(d) for d in ("numpy", "pandas", "pyarrow", "scipy", "SALib", "mesa",
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
        "viralsim": viralsim_version(),
        "python": platform.python_version(),
        **versions,
        "code": plan.code,
        "host": str(invocations[0].get("host", "")) if invocations else socket.gethostname(),
        "hosts": sorted({str(i.get("host", "")) for i in invocations}),
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
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


@dataclass
class Results:
    """The tables of a finished experiment results folder (read lazily)."""

    path: Path
    plan: Plan

    def _read(self, name: str) -> pd.DataFrame:
        file = self.path / name
        if not file.is_file():
            raise ResultsError(f"{self.path} has no {name}: the sweep is not complete "
                               "(re-run it, or `viralsim merge` its shards)")
        try:
            if name.endswith(".parquet"):
                df = pd.read_parquet(file)
            else:
                df = pd.read_csv(file, keep_default_na=False, na_values=[""],
                                 dtype={"seller": str, "scenario": str, "run_id": str})
        except (pa.ArrowException, ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise _damaged(file, f"cannot read it ({folders.short_error(exc)}); `viralsim merge` rebuilds it") from None
        missing = [c for c in _TABLE_COLUMNS.get(name, ()) if c not in df.columns]
        if missing and len(df.columns) > 0:
            raise _damaged(file, f"no {missing[0]} column; `viralsim merge` rebuilds it")
        if "run" in df.columns and len(df) and (df["run"].dtype.kind not in "iu" or df["run"].min() < 0
                                                or df["run"].max() >= self.plan.n_runs):
            raise _damaged(file, f"run numbers outside the plan's 0..{self.plan.n_runs - 1}; "
                                 "`viralsim merge` rebuilds it")
        return df

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
        _check_design(self.path, self.plan)
        return pd.read_csv(self.path / DESIGN)

    @property
    def factors(self) -> list[str]:
        return self.plan.factor_names()

    def manifest(self) -> dict:
        return read_manifest(self.path)

    def experiment(self) -> dict:
        _check_experiment(self.path)
        return yaml.safe_load((self.path / EXPERIMENT).read_text(encoding="utf-8"))


#: columns a reader relies on in the merged tables
_TABLE_COLUMNS = {
    TABLE: ("run", "scenario", "point", "seller", "day"),
    SUMMARY: ("run", "scenario", "point", "seller"),
    RUNS: ("run", "run_id", "status", "error"),
}


def read_results(out_dir: str | Path) -> Results:
    """Open an experiment results folder for analysis; ResultsError (one line naming the file)
    if it is not one or is damaged (:func:`check_folder`). Folders of an older viralsim, written
    before folders were signed, can be read."""
    out = Path(out_dir)
    return Results(out, _check_readable(out))


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
    except OSError as exc:
        raise folders.named(exc, path) from None
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


def _write_table(df: pd.DataFrame, path: Path, table: str, factors: Sequence[str], every: Any = 1) -> None:
    """A part file, with its columns' entries of the column dictionary in its schema metadata."""
    columns.write_parquet(df, path, columns.table_columns(table, df.columns, factors=factors, every=every))


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return value
