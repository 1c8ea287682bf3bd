"""Where the runs of a sweep execute.

* ``serial``: in this process, one chunk after another (the reference; no pickling).
* ``processes`` (default): a :class:`concurrent.futures.ProcessPoolExecutor` with the ``spawn``
  start method and, by default, one worker per available core. Nothing to set up.
* ``dask``: Dask distributed. ``scheduler="tcp://host:8786"`` connects to a running cluster
  (``dask scheduler`` + ``dask worker``, or dask-jobqueue's ``SLURMCluster``/``PBSCluster``);
  without an address a ``LocalCluster`` with ``workers`` single-threaded workers is started.
  Tasks go through ``Client.get_executor()``, Dask's ``concurrent.futures`` interface.
* From Python, any object with the ``concurrent.futures.Executor`` interface (``submit``
  returning futures that work with ``concurrent.futures.wait``): MPI's ``MPIPoolExecutor``,
  submitit's executors for Slurm, a thread pool, ...

Workers write their results into the results folder themselves, so every worker must see it
(a shared filesystem on a cluster).

A worker process that dies (a segfault, SIGKILL, the out-of-memory killer) is a failed run,
not a dead sweep. A process pool breaks as a whole when one of its workers dies, so every
chunk that was in flight becomes a suspect; Dask reports ``KilledWorker`` for the chunk whose
task kept killing workers. The sweep retries each suspect chunk in fresh processes on the
machine that drives it (:func:`run_chunk_isolated`): one run after another, and a process
that dies takes only the run it was running with it. That run is recorded as failed with the
cause (``worker died: SIGSEGV (signal 11)``), the other runs of the chunk are recorded as
usual, and the sweep goes on with a fresh pool (``processes``; with an executor passed in,
the sweep stops once the suspect chunks are retried, and re-running resumes it). A retried run
gets the same task, with its seed and config already set, so it gives the same bytes as in the
pool.

``serial`` runs every run in the driving process itself: it has no such isolation, and a run
that crashes the interpreter ends the sweep (finished chunks are kept; re-running resumes and
meets the same run again). Use ``processes`` for code that may crash.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Iterator
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor

from viralsim.experiment.runner import ChunkReport, ChunkTask, commit_chunk, dead_run, run_one
from viralsim.experiment.warmup import keep_freed_memory, warm_up
from viralsim.results import sweep_folder

__all__ = ["EXECUTORS", "default_workers", "open_executor", "warm_worker", "run_chunk_isolated", "describe_death",
           "worker_died"]

EXECUTORS = ("processes", "serial", "dask")


def default_workers() -> int:
    """Cores this process may run on (the CPU affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def warm_worker() -> None:
    """Prepare a worker once, before the first chunk arrives: keep freed memory for reuse
    (:func:`~viralsim.experiment.warmup.keep_freed_memory`) and load the compiled kernels (from the
    on-disk cache that :func:`open_executor` filled in the parent; a remote Dask worker compiles
    them once); then exempt everything loaded so far from garbage collection. The engine and the
    writers are loaded already: this module imports them, and the worker imports this module to
    call this function."""
    keep_freed_memory()
    warm_up()
    # The 185,000-odd objects of the imported libraries live as long as the worker, yet every
    # full collection walked them all again: about 2 % of a 10,000 x 180-day run's CPU.
    gc.freeze()


@contextlib.contextmanager
def open_executor(
    kind: str = "processes",
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_processes: bool = True,
) -> Iterator[tuple[Executor | None, int]]:
    """Start an executor of ``kind`` and shut it down afterwards.

    Parameters
    ----------
    kind : {'processes', 'serial', 'dask'}
    workers : int, optional
        Worker processes (processes, local Dask cluster); default: every available core.
    scheduler : str, optional
        Address of a running Dask scheduler (``dask`` only).
    dask_processes : bool, default True
        Local Dask cluster with worker processes (True) or threads in this process (False,
        quicker to start; used by the tests).

    Yields
    ------
    (executor, slots)
        ``executor`` is None for ``serial``; ``slots`` is how many chunks run at once.
    """
    # Compile here once, so that local workers only load the cached kernels. Always: Numba keys
    # its cache by the source file's path and time stamp, so a cache folder that exists (say,
    # from another checkout of the same code) may still leave every kernel to compile, and
    # workers would then each compile them all at once.
    warm_up()
    if kind == "serial":
        yield None, 1
        return
    if kind == "processes":
        n = workers or default_workers()
        pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=warm_worker)
        try:
            yield pool, n
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    if kind == "dask":
        try:
            # optional (the dask extra), and ~0.4 s to import: only when this executor is asked for
            from distributed import Client, LocalCluster
        except ImportError:
            raise RuntimeError("the dask executor needs Dask distributed: pip install 'viralsim[dask]'") from None
        cluster = None
        if scheduler:
            client = Client(scheduler)
        else:
            n = workers or default_workers()
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=dask_processes,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(cluster)
        try:
            client.run(warm_worker)
            slots = max(1, sum(client.nthreads().values()))
            yield client.get_executor(pure=False), slots
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    raise ValueError(f"unknown executor {kind!r}; choose one of {', '.join(EXECUTORS)}")


# --- a worker that dies ----------------------------------------------------------------------


def worker_died(exc: BaseException) -> bool:
    """Whether ``exc``, raised by a chunk's future, means the worker process running it died:
    a broken process pool (``BrokenProcessPool``, any ``BrokenExecutor``) or Dask's
    ``KilledWorker`` (matched by name, so that Dask need not be installed)."""
    return isinstance(exc, BrokenExecutor) or any(c.__name__ == "KilledWorker" for c in type(exc).__mro__)


def describe_death(exitcode: int | None) -> str:
    """``worker died: SIGSEGV (signal 11)`` for a process ended by a signal (a negative exit
    code from :mod:`multiprocessing`), ``worker died: exit status 3`` for one that exited."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown signal"
        return f"worker died: {name} (signal {-exitcode})"
    return f"worker died: exit status {exitcode}"


def run_chunk_isolated(task: ChunkTask) -> ChunkReport:
    """Run a chunk whose worker died, in fresh processes, and commit its part file here.

    The runs go one after another through a fresh spawned process that sends each run's rows
    back as soon as the run ends. If the process dies during a run, that run is recorded as
    failed (:func:`~viralsim.experiment.runner.dead_run`, with :func:`describe_death`) and
    the remaining runs continue in another fresh process; if it dies with no run in flight,
    RuntimeError (the finished runs are kept). Each run is simulated by the same
    :func:`~viralsim.experiment.runner.run_one` as in a pool, so its rows are the same.
    """
    started = time.perf_counter()
    if sweep_folder.chunk_dir(task.out_dir, task.chunk).is_dir():
        # Committed by its worker before the pool broke: nothing to redo.
        statuses = sweep_folder.chunk_statuses(task.out_dir, [task.chunk])
        failures = [(str(i), str(e)) for i, e, s in zip(statuses["run_id"], statuses["error"].fillna(""),
                                                         statuses["status"]) if s != "ok"]
        return ChunkReport(chunk=task.chunk, runs=len(statuses), failed=len(failures), failures=failures,
                           seconds=time.perf_counter() - started, host=socket.gethostname(), pid=os.getpid())
    ctx = multiprocessing.get_context("spawn")
    rows: list = []
    run_seconds = cpu_seconds = 0.0
    while len(rows) < len(task.runs):
        todo = task.runs[len(rows):]
        receiver, sender = ctx.Pipe(duplex=False)
        # daemon: a sweep that is interrupted takes its helper with it
        proc = ctx.Process(target=_isolated_worker, args=(sender, todo, task.settings), daemon=True,
                           name=f"viralsim-chunk-{task.chunk}")
        proc.start()
        sender.close()      # so that recv() sees end-of-file when the child dies
        running = None
        try:
            while True:
                try:
                    message = receiver.recv()
                except (EOFError, OSError):
                    # the child is gone: at a message boundary (EOFError) or in the middle of
                    # one ("got end of file during message", an OSError without errno)
                    break
                if message[0] == "start":
                    running = message[1]
                else:
                    _, run_rows, seconds, cpu = message
                    rows.append(run_rows)
                    run_seconds += seconds
                    cpu_seconds += cpu
                    running = None
        finally:
            receiver.close()
            proc.join()
        if running is not None:
            rows.append(dead_run(todo[running], describe_death(proc.exitcode)))
        elif len(rows) < len(task.runs):
            raise RuntimeError(f"a fresh worker process for chunk {task.chunk} ended with no run in flight "
                               f"({describe_death(proc.exitcode)}): the worker processes cannot start, e.g. a "
                               "script that starts a sweep without an `if __name__ == '__main__':` guard; "
                               "finished runs are kept, re-run to resume")
    return commit_chunk(task, rows, started=started, run_seconds=run_seconds, cpu_seconds=cpu_seconds)


def _isolated_worker(conn, runs, settings) -> None:
    """Body of :func:`run_chunk_isolated`'s process: announce each run, then send its rows."""
    # Ctrl-C reaches the whole process group: the run in flight must end normally (the driving
    # process stops the sweep after this chunk), not die of it and be recorded as a failed run.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm_worker()
    for i, run in enumerate(runs):
        conn.send(("start", i))
        t0, c0 = time.perf_counter(), time.process_time()
        rows = run_one(run, settings)
        conn.send(("done", rows, time.perf_counter() - t0, time.process_time() - c0))
    conn.close()

