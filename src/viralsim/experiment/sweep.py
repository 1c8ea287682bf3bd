"""Run an experiment: the runs of a shard, in chunks, on an executor, into a results folder.

:func:`run_sweep` is what ``viralsim sweep`` calls. It opens (or resumes) the results folder,
picks the chunks of its shard that have no committed part yet, hands them to the executor,
shows progress, and merges the parts into the final tables when every run of the experiment
is done. Seeds, chunks and shards are fixed by the experiment alone, so any executor, worker
count, shard split or sequence of interruptions gives the same bytes.

A worker process that dies is a failed run, not a dead sweep: its chunk is retried in fresh
processes and the run that killed it is recorded as failed with the signal (see
:mod:`viralsim.experiment.executors`).
"""

from __future__ import annotations

import functools
import inspect
import itertools
import os
import socket
import sys
import time
from collections.abc import Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

from viralsim.experiment.executors import open_executor, run_chunk_isolated, worker_died
from viralsim.experiment.runner import ChunkReport, ChunkTask, run_chunk
from viralsim.experiment.spec import Experiment
from viralsim.results import provenance, sweep_folder

__all__ = ["run_sweep", "SweepOutcome", "parse_shard", "plan_for", "plan_in"]


@dataclass
class SweepOutcome:
    """What a sweep invocation did.

    Attributes
    ----------
    out_dir : Path
    runs : int
        Runs in the experiment.
    selected : int
        Runs of this invocation's shard (all runs without a shard).
    skipped : int
        Selected runs already done before (resume).
    ran : int
        Runs executed now.
    failed : int
        Failed runs among the selected ones (earlier invocations included).
    complete : bool
        Every run of the experiment is done and the final tables are written.
    failures : list of (run_id, error)
        Failures of the runs executed now.
    seconds : float
    run_seconds : float
        Wall-clock time spent inside runs, summed over workers.
    cpu_seconds : float
        CPU time of the workers on the chunks run now (simulation, tables, part files).
    finalize_seconds : float
        Time spent merging the parts into the final tables.
    """

    out_dir: Path
    runs: int
    selected: int
    skipped: int
    ran: int
    failed: int
    complete: bool
    failures: list = field(default_factory=list)
    seconds: float = 0.0
    run_seconds: float = 0.0
    cpu_seconds: float = 0.0
    finalize_seconds: float = 0.0


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` -> ``(i, n)`` with ``0 <= i < n``; ValueError with a one-line reason otherwise."""
    i_text, sep, n_text = str(text).partition("/")
    try:
        if not sep:
            raise ValueError
        i, n = int(i_text), int(n_text)
    except ValueError:
        raise ValueError(f"expected I/N such as 0/4, got {text!r}") from None
    if n < 1 or not 0 <= i < n:
        raise ValueError(f"{text!r}: shards are numbered 0..N-1 (e.g. with #SBATCH --array=0-{max(n - 1, 0)})")
    return i, n


def plan_for(experiment: Experiment, chunk_size: int | None = None) -> sweep_folder.Plan:
    """The plan of a sweep of ``experiment``: what every part of its results folder must agree on
    (:class:`~viralsim.results.sweep_folder.Plan`), with the code that runs it."""
    design = experiment.design
    return sweep_folder.Plan(
        name=experiment.name,
        fingerprint=experiment.fingerprint,
        n_runs=len(experiment.runs),
        chunk_size=chunk_size or sweep_folder.default_chunk_size(len(experiment.runs)),
        factors=[[n, k] for n, k in experiment.settings.factors],
        design={"kind": design.kind, "points": len(design), "options": design.options},
        scenarios=list(experiment.scenarios),
        replicates=experiment.spec.replicates,
        root_seed=experiment.spec.seed,
        common_random_numbers=experiment.spec.common_random_numbers,
        every=experiment.spec.outputs.every,
        code=provenance.code_identity(),
    )


def plan_in(out_dir: str | Path, experiment: Experiment, chunk_size: int | None = None) -> sweep_folder.Plan:
    """The plan a sweep of ``experiment`` into ``out_dir`` uses: a folder being resumed keeps the
    chunk size it was started with unless ``chunk_size`` is given."""
    plan = plan_for(experiment, chunk_size)
    if chunk_size is None and (Path(out_dir) / sweep_folder.PLAN).is_file():
        try:
            existing = sweep_folder.read_plan(out_dir)
        except sweep_folder.ResultsError:
            return plan
        if existing.fingerprint == plan.fingerprint:
            return replace(plan, chunk_size=existing.chunk_size)
    return plan


#: seconds a shard waits for the lock that another process holds exclusively (a shard that
#: started at the same moment and briefly merges, say) before it gives up
_SHARD_WAIT = 5.0


def _holding_the_lock(run_sweep):
    """Decorate :func:`run_sweep` so that it holds the results folder's lock for its whole life:
    opening (or discarding, with ``restart``) the folder, running the chunks and merging. The
    shards of a sweep (``shard``, without ``restart``) share it."""
    signature = inspect.signature(run_sweep)

    @functools.wraps(run_sweep)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        a = bound.arguments
        out = a["out"] if a["out"] is not None else a["experiment"].default_out(a["results_root"])
        a["out"] = Path(out)
        shard = a.get("shard")
        shared = shard is not None and not a.get("restart")
        command = "sweep --restart" if a.get("restart") else "sweep"
        if shard is not None:
            command += f" --shard {shard[0]}/{shard[1]}"
        with sweep_folder.lock_results(out, command, shared=shared, wait=_SHARD_WAIT if shared else 0.0):
            return run_sweep(*bound.args, **bound.kwargs)

    return wrapper


@_holding_the_lock
def run_sweep(
    experiment: Experiment,
    out: str | Path | None = None,
    *,
    executor: str | Executor = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    shard: tuple[int, int] | None = None,
    chunk_size: int | None = None,
    retry_failed: bool = False,
    restart: bool = False,
    allow_code_change: bool = False,
    progress: bool = False,
    results_root: str | Path = "results",
    dask_processes: bool = True,
) -> SweepOutcome:
    """Run (or resume) an experiment into its results folder.

    Parameters
    ----------
    experiment : Experiment
        From :func:`~viralsim.experiment.spec.load_experiment`.
    out : path, optional
        Results folder; default ``<results_root>/<name>/seed<root>-<fingerprint[:8]>``.
    executor : {'processes', 'serial', 'dask'} or concurrent.futures.Executor
        Where runs execute (see :mod:`viralsim.experiment.executors`). An Executor instance is
        used as is and not shut down.
    workers : int, optional
        Worker processes for ``processes`` and a local Dask cluster; default all cores. With an
        Executor instance, how many chunks it runs at once (queued: twice that); by default
        read off the executor (pool size, Dask cluster threads) or, if it does not tell, all
        chunks are submitted at once.
    scheduler : str, optional
        Dask scheduler address; without it ``dask`` starts a local cluster.
    shard : (i, n), optional
        Run only chunks ``c`` with ``c % n == i``.
    chunk_size : int, optional
        Runs per part file; default :func:`~viralsim.results.sweep_folder.default_chunk_size`.
        A folder keeps the chunk size it was started with.
    retry_failed : bool
        Run again the chunks of this shard that hold failed runs.
    restart : bool
        Discard the folder's existing results first.
    allow_code_change : bool
        Resume a folder started by other code (another viralsim version or git commit, or
        uncommitted changes; see :func:`~viralsim.results.provenance.code_identity`), mixing
        results of both. Without it that is a ResultsError.
    progress : bool
        Show a progress bar (runs done, failures, ETA) on stderr.

    Returns
    -------
    SweepOutcome

    Raises
    ------
    viralsim.results.sweep_folder.ResultsError
        If ``out`` cannot be used (see :func:`~viralsim.results.sweep_folder.check_results_dir`);
        nothing is written into or beside ``out`` then, except its (empty) lock file.
    """
    started = time.perf_counter()
    out = Path(out) if out is not None else experiment.default_out(results_root)
    plan = plan_in(out, experiment, chunk_size)
    plan = sweep_folder.open_results(out, plan, experiment_yaml=experiment.to_yaml(), design=experiment.design.table(),
                                     restart=restart, allow_code_change=allow_code_change)
    sweep_folder.remove_stale_temporaries(out)

    mine = [c for c in range(plan.n_chunks) if shard is None or c % shard[1] == shard[0]]
    selected = sum(len(plan.chunk_runs(c)) for c in mine)
    done = sweep_folder.committed_chunks(out)
    if retry_failed:
        done -= _drop_failed_chunks(out, [c for c in mine if c in done])
    todo = [c for c in mine if c not in done]
    skipped = selected - sum(len(plan.chunk_runs(c)) for c in todo)

    record = {
        "host": socket.gethostname(), "pid": os.getpid(), "started_utc": sweep_folder.utc_now(), "finished_utc": None,
        "code": provenance.code_identity(),
        "executor": executor if isinstance(executor, str) else type(executor).__name__,
        "workers": workers, "scheduler": scheduler, "shard": list(shard) if shard else None,
        "chunks_run": 0, "runs_run": 0, "failed": 0, "seconds": None, "run_seconds": 0.0, "cpu_seconds": 0.0,
    }
    sweep_folder.log_invocation(out, record)
    sweep_folder.write_manifest(out, plan, status="running")

    failures: list = []
    ran = 0
    run_seconds = 0.0
    cpu_seconds = 0.0
    bar = _progress(progress, total=selected - skipped, name=experiment.name)
    try:
        tasks = (ChunkTask(str(out.absolute()), c, tuple(experiment.runs[r] for r in plan.chunk_runs(c)),
                           experiment.settings) for c in todo)
        for report in _execute(tasks, executor, workers=workers, scheduler=scheduler,
                               dask_processes=dask_processes):
            ran += report.runs
            run_seconds += report.run_seconds
            cpu_seconds += report.cpu_seconds
            failures.extend(report.failures)
            record["chunks_run"] += 1
            if bar is not None:
                bar.update(report.runs)
                bar.set_postfix(failed=len(failures), refresh=False)
    finally:
        if bar is not None:
            bar.close()
        record.update(finished_utc=sweep_folder.utc_now(), runs_run=ran, failed=len(failures),
                      seconds=round(time.perf_counter() - started, 3), run_seconds=round(run_seconds, 3),
                      cpu_seconds=round(cpu_seconds, 3))
        sweep_folder.log_invocation(out, record)

    complete = not sweep_folder.missing_chunks(out, plan)
    finalize_started = time.perf_counter()
    if complete:
        statuses = sweep_folder.finalize(out)
        statuses = statuses[(statuses["run"] // plan.chunk_size).isin(mine)]
    else:
        statuses = sweep_folder.chunk_statuses(out, [c for c in mine if c in sweep_folder.committed_chunks(out)])
        sweep_folder.write_manifest(out, plan, status="partial")
    failed = int((statuses["status"] != "ok").sum()) if len(statuses) else 0
    finalize_seconds = time.perf_counter() - finalize_started
    return SweepOutcome(out_dir=out, runs=plan.n_runs, selected=selected, skipped=skipped, ran=ran, failed=failed,
                        complete=complete, failures=failures, seconds=time.perf_counter() - started,
                        run_seconds=run_seconds, cpu_seconds=cpu_seconds, finalize_seconds=finalize_seconds)


def _execute(tasks: Iterator[ChunkTask], executor: str | Executor, *, workers: int | None,
             scheduler: str | None, dask_processes: bool) -> Iterator[ChunkReport]:
    tasks = iter(tasks)
    if isinstance(executor, Executor):
        slots = workers or _slots(executor)
        broken = yield from _drive(tasks, executor, slots)
        if broken and _peek(tasks) is not None:
            raise RuntimeError("a worker process died and the executor cannot take more work; the chunks it was "
                               "running are recorded (the run that died as failed); re-run to resume")
        return
    while True:
        with open_executor(executor, workers=workers, scheduler=scheduler,
                           dask_processes=dask_processes) as (ex, slots):
            if ex is None:
                # serial: runs in this process, so a run that crashes the interpreter ends the
                # sweep; finished chunks are kept (see viralsim.experiment.executors)
                for task in tasks:
                    yield run_chunk(task)
                return
            broken = yield from _drive(tasks, ex, slots)
        if not broken:
            return
        head = _peek(tasks)
        if head is None:
            return
        tasks = itertools.chain([head], tasks)      # the rest, on a fresh pool


def _peek(tasks: Iterator[ChunkTask]) -> ChunkTask | None:
    return next(tasks, None)


def _slots(executor: Executor) -> int | None:
    """How many chunks a caller's executor runs at once, when it tells (None: unknown)."""
    client = getattr(executor, "_client", None)  # Dask's ClientExecutor
    if client is not None and hasattr(client, "nthreads"):
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:  # noqa: BLE001 - only a hint for how many tasks to queue
            return None
    return getattr(executor, "_max_workers", None)


def _drive(tasks: Iterator[ChunkTask], executor: Executor, slots: int | None) -> Generator[ChunkReport, None, bool]:
    """Keep about two chunks per worker in flight (all when the worker count is unknown);
    yield reports as chunks complete.

    A chunk whose worker died (:func:`~viralsim.experiment.executors.worker_died`) is run
    again in fresh processes (:func:`~viralsim.experiment.executors.run_chunk_isolated`),
    which records the run that kills its process as failed. A broken pool takes every chunk
    in flight with it: no more chunks are submitted, the ones in flight are collected and
    retried the same way, and the generator returns True (the executor is unusable; the
    caller continues with a fresh one). Otherwise it returns False when every task is done.
    """
    limit = max(2, 2 * int(slots)) if slots else float("inf")
    pending: dict = {}
    suspects: list[ChunkTask] = []
    broken = False
    exhausted = False
    try:
        while True:
            while not broken and not exhausted and len(pending) < limit:
                task = next(tasks, None)
                if task is None:
                    exhausted = True
                else:
                    try:
                        pending[executor.submit(run_chunk, task)] = task
                    except BrokenExecutor:
                        broken = True
                        suspects.append(task)
            if not pending:
                break
            finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in finished:
                task = pending.pop(future)
                try:
                    report = future.result()
                except Exception as exc:  # re-raised unless its worker died
                    if not worker_died(exc):
                        raise
                    if isinstance(exc, BrokenExecutor):
                        broken = True
                    suspects.append(task)
                else:
                    yield report
            if suspects and not broken:
                # The executor still works (Dask replaces a dead worker): retry at once.
                yield from _isolate(suspects, slots)
                suspects = []
    finally:
        for future in pending:
            future.cancel()
    yield from _isolate(suspects, slots)
    return broken


def _isolate(suspects: list[ChunkTask], slots: int | None) -> Iterator[ChunkReport]:
    """Run the chunks of dead workers in fresh processes, as many at once as the executor ran."""
    if not suspects:
        return
    suspects = sorted(suspects, key=lambda t: t.chunk)
    with ThreadPoolExecutor(max_workers=max(1, min(len(suspects), int(slots or 1)))) as threads:
        futures = [threads.submit(run_chunk_isolated, task) for task in suspects]
        for future in as_completed(futures):
            yield future.result()


def _drop_failed_chunks(out: Path, chunks: list[int]) -> set[int]:
    """Remove committed chunks holding failed runs, so they run again; returns them."""
    statuses = sweep_folder.chunk_statuses(out, chunks)
    if not len(statuses):
        return set()
    plan = sweep_folder.read_plan(out)
    bad = {int(r) // plan.chunk_size for r in statuses.loc[statuses["status"] != "ok", "run"]}
    for c in bad:
        sweep_folder.discard_chunk(out, c)
    return bad


def _progress(enabled: bool, *, total: int, name: str):
    if not enabled or total <= 0:
        return None
    # tqdm only for a progress bar on a terminal's sweep; --quiet and library callers do without it
    from tqdm import tqdm

    tty = sys.stderr.isatty()
    # In a batch job's log file, a line every 30 s rather than a redraw twice a second.
    return tqdm(total=total, desc=name, unit="run", file=sys.stderr, dynamic_ncols=True, smoothing=0.1,
                mininterval=0.5 if tty else 30.0)
