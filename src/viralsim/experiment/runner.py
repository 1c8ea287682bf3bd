"""Run one simulation of an experiment, or one chunk of them, and turn results into table rows.

:func:`run_one` is a pure function of its task: it simulates the task's fully resolved config
(seed included) and returns the run's rows for the long time-series table, the per-run summary
and the run's status. It never raises for a failing model: the exception is recorded with its
traceback as a failed run, and the sweep goes on. :func:`run_chunk` runs a chunk of tasks on a
worker and has the worker write the chunk's Parquet part files itself, so only a small report
(counts and error lines) travels back to the process that drives the sweep; agent-level data
never leaves the worker.

A worker process that dies in a run (a segfault, SIGKILL, the out-of-memory killer) cannot
report anything; :mod:`viralsim.experiment.sweep` then retries its chunk in fresh processes
(:func:`viralsim.experiment.executors.run_chunk_isolated`) and records the run that was in
flight as failed with :func:`dead_run`.

Test hook: when the environment variable ``VIRALSIM_TEST_KILL_RUN`` holds a comma-separated
list of run indices, :func:`run_one` kills its own process with SIGKILL before simulating any
of those runs. It exists only so that tests can make a worker die deterministically; never
set it otherwise.
"""

from __future__ import annotations

import operator
import os
import signal
import socket
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from viralsim.experiment.warmup import keep_freed_memory
from viralsim.model import ViralModel, simulate
from viralsim.results import sweep_folder
from viralsim.results.columns import DAILY_FLOWS, MARKET_FLOWS
from viralsim.results.run_rows import COLUMN_DTYPES, MARKET_PREFIX, RunRows, RunSettings

if TYPE_CHECKING:
    from viralsim.config.schema import RunConfig
    from viralsim.metrics import RunResult

__all__ = ["RunTask", "ChunkTask", "ChunkReport", "run_one", "run_chunk", "commit_chunk", "dead_run", "TEST_KILL_ENV"]

#: test hook: run indices (comma-separated) whose worker kills itself with SIGKILL (tests only)
TEST_KILL_ENV = "VIRALSIM_TEST_KILL_RUN"

_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}


@dataclass(frozen=True)
class RunTask:
    """One run: its place in the experiment and its fully resolved config (seed included)."""

    run: int
    run_id: str
    scenario: str
    point: int
    replicate: int
    seed: int
    factors: tuple[tuple[str, Any], ...]
    config: RunConfig

    def meta(self) -> dict:
        """Identifying columns of the run's rows: META_COLUMNS then the factor values."""
        row = {"run": self.run, "run_id": self.run_id, "scenario": self.scenario, "point": self.point,
               "replicate": self.replicate, "seed": self.seed}
        row.update(self.factors)
        return row


@dataclass(frozen=True)
class ChunkTask:
    """A chunk of runs for one worker, who writes the chunk's part files under ``out_dir``."""

    out_dir: str
    chunk: int
    runs: tuple[RunTask, ...]
    settings: RunSettings


@dataclass
class ChunkReport:
    """What travels back from a worker: counts, error lines and timing; no data."""

    chunk: int
    runs: int
    failed: int
    failures: list[tuple[str, str]] = field(default_factory=list)  # (run_id, error line)
    seconds: float = 0.0
    run_seconds: float = 0.0
    cpu_seconds: float = 0.0
    host: str = ""
    pid: int = 0


def run_one(task: RunTask, settings: RunSettings) -> RunRows:
    """Simulate one run and return its rows; a failing model becomes a failed run, not an exception.

    Parameters
    ----------
    task : RunTask
        The run; ``task.config`` is complete (seed and horizon included).
    settings : RunSettings
        What to record.

    Returns
    -------
    RunRows
        ``table``: one row per recorded day and seller with META_COLUMNS, factor columns,
        ``day``, ``seller``, the kept daily metrics and ``market_*`` columns; ``summary``: one row
        per seller with ``days_run`` and the kept KPIs; ``status``: META_COLUMNS, factors,
        ``status`` (``ok`` or ``failed``), ``days_run``, ``stopped`` (the stop condition ended the
        run early), ``error`` (one line) and ``traceback``.
    """
    _test_kill_hook(task.run)
    status = task.meta()
    try:
        result, days_run, stopped = _simulate(task.config, settings.stop)
        table = _table(result, task, settings, days_run)
        summary = _summary(result, task, settings, days_run)
        status.update(status="ok", days_run=days_run, stopped=stopped, error="", traceback="")
    except Exception as exc:  # noqa: BLE001 - recorded as a failed run; the sweep goes on
        table = summary = None
        error = " ".join(f"{type(exc).__name__}: {exc}".split())
        status.update(status="failed", days_run=0, stopped=False, error=error, traceback=traceback.format_exc())
    return RunRows(table, summary, status)


def dead_run(task: RunTask, reason: str) -> RunRows:
    """The rows of a run whose process died under it: a failed run with ``reason`` as its error
    (e.g. ``worker died: SIGSEGV (signal 11)``); a dead process leaves no traceback."""
    status = task.meta()
    status.update(status="failed", days_run=0, stopped=False, error=reason,
                  traceback=f"{reason}: the process running this run ended without a Python traceback "
                            "(a crash in compiled code, a kill signal, or the out-of-memory killer)")
    return RunRows(None, None, status)


def _test_kill_hook(run: int) -> None:
    """Kill this process if the test hook names ``run`` (see the module docstring)."""
    wanted = os.environ.get(TEST_KILL_ENV)
    if wanted and str(run) in {w.strip() for w in wanted.split(",")}:
        os.kill(os.getpid(), signal.SIGKILL)


def run_chunk(task: ChunkTask) -> ChunkReport:
    """Run a chunk of tasks and write its part files (on the worker); return a small report."""
    keep_freed_memory()     # also on workers of a caller's executor, which never ran warm_worker
    started = time.perf_counter()
    cpu = time.process_time()
    rows = []
    run_seconds = 0.0
    for run in task.runs:
        t0 = time.perf_counter()
        rows.append(run_one(run, task.settings))
        run_seconds += time.perf_counter() - t0
    return commit_chunk(task, rows, started=started, run_seconds=run_seconds,
                        cpu_seconds=time.process_time() - cpu)


def commit_chunk(task: ChunkTask, rows: list[RunRows], *, started: float, run_seconds: float,
                 cpu_seconds: float) -> ChunkReport:
    """Write the chunk's part files from its runs' rows and report on it (``started``: the
    chunk's :func:`time.perf_counter` at its start)."""
    sweep_folder.write_part(task.out_dir, task.chunk, rows, task.settings)
    failures = [(r.status["run_id"], r.status["error"]) for r in rows if r.status["status"] != "ok"]
    return ChunkReport(chunk=task.chunk, runs=len(rows), failed=len(failures), failures=failures,
                       seconds=time.perf_counter() - started, run_seconds=run_seconds, cpu_seconds=cpu_seconds,
                       host=socket.gethostname(), pid=os.getpid())


# ---------------------------------------------------------------------------------------------


def _simulate(config: RunConfig, stop: dict | None) -> tuple[RunResult, int, bool]:
    """Run to the horizon, or until the stop condition holds; (result, days run, stopped early)."""
    if stop is None:
        return simulate(config), config.days, False
    model = ViralModel(config, collect=False)
    test = _OPS[stop["op"]]
    metric, value, who, after = stop["metric"], stop["value"], stop.get("seller", "any"), stop.get("after_day", 0)
    for _ in range(config.days):
        model.step()
        if model.day < after:
            continue
        values = [s.today[metric] for s in model.sellers if who in ("any", "all") or s.name == who]
        hits = [bool(test(v, value)) for v in values]
        if hits and (all(hits) if who == "all" else any(hits)):
            return model.result(), model.day, model.day < config.days
    return model.result(), model.day, False


def _id_columns(task: RunTask, settings: RunSettings, n: int) -> dict:
    """META_COLUMNS and factor columns repeated ``n`` times, with fixed dtypes."""
    values = dict(task.factors)
    cols: dict[str, Any] = {
        "run": np.full(n, task.run, dtype=np.int64),
        "run_id": pd.array([task.run_id] * n, dtype="str"),
        "scenario": pd.array([task.scenario] * n, dtype="str"),
        "point": np.full(n, task.point, dtype=np.int64),
        "replicate": np.full(n, task.replicate, dtype=np.int64),
        "seed": np.full(n, task.seed, dtype=np.int64),
    }
    for name, kind in settings.factors:
        cols[name] = pd.array([values[name]] * n, dtype=COLUMN_DTYPES[kind])
    return cols


def _recorded_days(days, every: int | None, last: int):
    """Boolean mask of the days kept: every ``every``-th day and the last day."""
    if every is None:
        return days == last
    return (days % every == 0) | (days == last)


def _windows(days: np.ndarray, recorded: np.ndarray) -> np.ndarray:
    """For each day, the position in ``recorded`` (sorted recorded days) of the row that stands
    for it: the first recorded day on or after it."""
    return np.searchsorted(recorded, days, side="left")


def _window_sums(frame: pd.DataFrame, flows: list[str], keys: np.ndarray, rows: np.ndarray) -> dict:
    """Each flow column of ``frame`` summed over the rows sharing a key, given for the rows
    ``rows`` (one per key). pandas' grouped sum keeps integer columns integer and adds floats
    with compensated summation; a group of one row is that row's value, bit for bit."""
    sums = frame[flows].groupby(keys, sort=True).sum()
    at = sums.index.get_indexer(keys[rows])
    return {c: sums[c].to_numpy()[at] for c in flows}


def _table(result: RunResult, task: RunTask, settings: RunSettings, days_run: int) -> pd.DataFrame:
    """The run's rows of the long table: one per recorded day and seller.

    A recorded row stands for the days since the previous recorded day (``outputs.every``), so
    its flows (:data:`~viralsim.results.columns.DAILY_FLOWS`, market
    :data:`~viralsim.results.columns.MARKET_FLOWS`) are summed over those days, and a flow
    column adds up to the run's total whatever ``every`` is; levels are the recorded day's.
    """
    daily = result.daily
    keep = list(settings.metrics) if settings.metrics is not None else [c for c in daily.columns
                                                                         if c not in ("day", "seller")]
    all_days = daily["day"].to_numpy()
    mask = _recorded_days(daily["day"], settings.every, days_run).to_numpy()
    days = all_days[mask]
    recorded = np.unique(days)
    whole_days = len(recorded) == len(np.unique(all_days))     # every day recorded: nothing to sum
    cols = _id_columns(task, settings, len(days))
    cols["day"] = days
    cols["seller"] = pd.array(daily["seller"].to_numpy()[mask], dtype="str")
    flows = [c for c in keep if c in DAILY_FLOWS]
    if flows and not whole_days:
        sellers = pd.factorize(daily["seller"])[0].astype(np.int64)
        keys = _windows(all_days, recorded) * (sellers.max() + 1) + sellers
        summed = _window_sums(daily, flows, keys, np.flatnonzero(mask))
    else:
        summed = {}
    for c in keep:
        cols[c] = summed[c] if c in summed else daily[c].to_numpy()[mask]
    market = result.market
    mcols = [c for c in market.columns if c != "day"] if settings.market is None else list(settings.market)
    if mcols:
        market_days = market["day"].to_numpy()
        at = pd.Index(market_days).get_indexer(days)
        mflows = [c for c in mcols if c in MARKET_FLOWS]
        msummed = {}
        if mflows and not whole_days:
            msummed = _window_sums(market, mflows, _windows(market_days, recorded), at)
        for c in mcols:
            cols[MARKET_PREFIX + c] = msummed[c] if c in msummed else market[c].to_numpy()[at]
    return pd.DataFrame(cols)


def _summary(result: RunResult, task: RunTask, settings: RunSettings, days_run: int) -> pd.DataFrame:
    summary = result.summary
    kpis = list(settings.summary) if settings.summary is not None else [c for c in summary.columns
                                                                         if c not in ("seller", "strategy")]
    n = len(summary)
    cols = _id_columns(task, settings, n)
    cols["seller"] = pd.array(summary["seller"].to_numpy(), dtype="str")
    cols["strategy"] = pd.array(summary["strategy"].to_numpy(), dtype="str")
    cols["days_run"] = np.full(n, days_run, dtype=np.int64)
    for c in kpis:
        cols[c] = summary[c].to_numpy()
    return pd.DataFrame(cols)
