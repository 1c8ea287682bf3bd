"""Up-front estimates of the peak memory and the disk a run or a sweep needs, from its config.

``viralsim run`` and ``viralsim sweep`` call :func:`check` before building anything: an
estimate above what the machine has (available memory; free disk at the results folder's
nearest existing parent) is refused with one line giving the estimate, what is available and
the setting to change; ``--force`` skips the check. The estimator reads the config only (no
network is built, no file is read but an edge list's size), so it answers in microseconds per
run config.

Calibration (peak resident set size of fresh processes, ``resource.getrusage``; one process
per run, kernels loaded from the on-disk cache; Python 3.11, NumPy 2.4, Numba 0.68; 2 cores):

============================  =========  ======  ============
network                        consumers   days   peak memory
============================  =========  ======  ============
(imports and kernels only)           --      --        283 MB
friend_circles (degree ~20)      10,000     365        288 MB
friend_circles                   50,000     365        303 MB
friend_circles                  200,000     365        376 MB
friend_circles                  200,000      30        376 MB
friend_circles, one seller      200,000     365        376 MB
watts_strogatz, k = 10           50,000     365        302 MB
watts_strogatz, k = 10          200,000     365        354 MB
friend_circles (benchmarks)   1,000,000     365        663 MB
complete, 2 sellers               5,000      30        288 MB
complete, 2 sellers              20,000      30        454 MB
complete, 2 sellers              20,000     120        454 MB
complete, community alone        20,000      30        603 MB
complete, 2 sellers              50,000      30      2,130 MB
complete, 2 sellers             200,000     365      > 14 GB (stopped)
============================  =========  ======  ============

So a run costs a fixed ~285 MB plus about 245 bytes per consumer and 11 bytes per consumer and
unit of mean degree (465 B per consumer at degree 20, 355 B at degree 10; 377 B at 1M); days
and sellers barely matter (the daily tables are a few hundred bytes a day). The model below
charges 300 MB plus ``300 + 16 x degree`` bytes per consumer, then adds :data:`MARGIN` (25 %):
it over-estimates every measured peak above by 33-68 % (1M consumers: 1.09 GB estimated,
0.66 GB measured).

A complete graph stores no edges, yet its days grow with the number of pairs: 0.4-0.8 bytes
per ordered pair of consumers (n x n) in the measurements above, and more than 14 GB at
200,000 people, where the measurement was stopped. It is charged 1 byte per ordered pair on
top of a sparse graph of degree :data:`COMPLETE_DEGREE` (50,000 people: 3.4 GB estimated,
2.1 GB measured).

A sweep's driving process holds every run's task (about 1.4 KB per run: 200,000 runs took
275 MB) and, when the sweep completes, merges the parts into the final tables and statistics,
which peaks at about 1.7 KB per row of the long table (rows = runs x recorded days x sellers;
measured: 10 and 80 runs of 365 days x 2 sellers peaked at 360 and 445 MB). Disk: about 175
bytes per table row (parts, final tables, statistics and CSV copies: 8.9 MB for 51,100 rows),
charged at 300; a single run's folder took 424 KB for 365 days x 2 sellers at 50,000
consumers (plot 177 KB, daily CSV 162 B and Parquet 79 B per row), charged at 1 MB plus 400 B
per daily row plus 40 B per consumer and seller for the cascade edges.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from viralsim.config.schema import RunConfig

__all__ = ["Estimate", "estimate_run", "estimate_sweep", "run_memory", "mean_degree", "consumers",
           "available_memory", "free_disk", "check", "format_size", "MARGIN"]

MB = 1 << 20

#: safety margin multiplied onto every memory and disk estimate
MARGIN = 1.25
#: a process with the engine imported and its kernels loaded (measured 283 MB)
BASE_PROCESS = 300 * MB
#: bytes per consumer, and per consumer and unit of mean degree (measured ~245 and ~11)
PER_CONSUMER = 300
PER_CONSUMER_DEGREE = 16
#: a complete graph is stored implicitly, yet a day's work grows with the n x n ordered pairs
COMPLETE_DEGREE = 100
COMPLETE_PER_PAIR = 1.0
#: an edge list: bytes of memory per byte of file (at least 6 bytes a line, 2 people an edge)
PER_EDGELIST_BYTE = 120
#: the bundled ego-Facebook network
FACEBOOK = (4039, 88234)
#: the driving process of a sweep: per run held, and per long-table row while merging
PER_RUN_TASK = 1536
PER_TABLE_ROW_MERGE = 1800
#: disk: per long-table row of a sweep; per daily row, per day (market) and fixed for a run folder
DISK_PER_TABLE_ROW = 300
DISK_PER_DAILY_ROW = 400
DISK_PER_DAY = 100
DISK_RUN_FIXED = 1 * MB
DISK_PER_CASCADE_EDGE = 40


@dataclass(frozen=True)
class Estimate:
    """Peak memory and disk (bytes, margin included) and the settings that drive them."""

    memory: int
    disk: int
    memory_field: str
    disk_field: str


def consumers(config: RunConfig) -> int:
    """Number of consumers of the config's network (an edge list: an upper bound from its size)."""
    net = config.network
    if net.kind == "sbm":
        return int(sum(net.sizes))
    if net.kind == "edgelist":
        if net.path == "facebook":
            return FACEBOOK[0]
        return 2 * (_file_size(net.path) // 6)
    return int(net.n)


def mean_degree(config: RunConfig) -> float:
    """Expected mean degree of the config's network, from its parameters."""
    net = config.network
    kind = net.kind
    if kind == "friend_circles":
        return 14.0 + float(net.weak_ties_per_person)       # ~14 strong ties in circles, plus weak ties
    if kind == "watts_strogatz":
        return float(net.k)
    if kind in ("holme_kim", "barabasi_albert"):
        return 2.0 * net.m
    if kind == "sbm":
        n = sum(net.sizes)
        return sum(s * (net.p_in * (s - 1) + net.p_out * (n - s)) for s in net.sizes) / max(n, 1)
    if kind == "complete":
        return float(min(net.n - 1, COMPLETE_DEGREE))
    if kind == "edgelist":
        if net.path == "facebook":
            return 2 * FACEBOOK[1] / FACEBOOK[0]
        return 2.0
    return 20.0


def run_memory(config: RunConfig) -> int:
    """Peak memory of one run's process (bytes, margin included)."""
    net = config.network
    if net.kind == "edgelist" and net.path != "facebook":
        data = PER_EDGELIST_BYTE * _file_size(net.path)
    else:
        data = consumers(config) * (PER_CONSUMER + PER_CONSUMER_DEGREE * mean_degree(config))
        if net.kind == "complete":
            data += COMPLETE_PER_PAIR * net.n * net.n
    return int(MARGIN * (BASE_PROCESS + data))


def estimate_run(config: RunConfig) -> Estimate:
    """Peak memory and disk of ``viralsim run`` for ``config``."""
    sellers = len(config.sellers)
    daily_rows = config.days * sellers
    disk = (DISK_RUN_FIXED + DISK_PER_DAILY_ROW * daily_rows + DISK_PER_DAY * config.days
            + DISK_PER_CASCADE_EDGE * consumers(config) * sellers * bool(config.trace_cascades))
    return Estimate(memory=run_memory(config), disk=int(MARGIN * disk), memory_field=_size_field(config),
                    disk_field=f"days ({config.days:,})")


def estimate_sweep(points: Iterable[tuple[RunConfig, int]], *, runs: int, workers: int, every: int | None,
                   local_workers: bool = True) -> Estimate:
    """Peak memory and disk of a sweep.

    Parameters
    ----------
    points : iterable of (RunConfig, count)
        Each distinct run config (one per scenario and design point) with how many runs use it
        (its replicates).
    runs : int
        Runs in the experiment.
    workers : int
        Runs at once on this machine (1 for the serial executor, which runs in the driving process).
    every : int or None
        ``outputs.every`` (None: the last day only).
    local_workers : bool
        Whether the workers run on this machine (False for a remote Dask scheduler: only the
        driving process counts then).
    """
    peak_run = 0
    rows = 0
    size_field = "network.n"
    days = 0
    for config, count in points:
        memory = run_memory(config)
        if memory > peak_run:
            peak_run, size_field = memory, _size_field(config)
        recorded = 1 if every is None else config.days // every + (config.days % every != 0)
        rows += count * recorded * len(config.sellers)
        days = max(days, config.days)
    driver = MARGIN * (BASE_PROCESS + PER_RUN_TASK * runs)
    merging = driver + MARGIN * PER_TABLE_ROW_MERGE * rows
    running = driver + (max(1, workers) * peak_run if local_workers else 0)
    memory = int(max(merging, running))
    recording = f"replicates ({runs:,} runs), days ({days:,})" + (
        f" or raise outputs.every ({every})" if every is not None else "")
    field = recording if merging > running else size_field + (f" or --workers ({workers})" if workers > 1 else "")
    disk = int(MARGIN * (DISK_RUN_FIXED + DISK_PER_TABLE_ROW * rows))
    return Estimate(memory=memory, disk=disk, memory_field=field, disk_field=recording)


def available_memory() -> int | None:
    """Memory this process may still use: psutil's ``available`` if installed, else
    ``SC_AVPHYS_PAGES`` (free pages, an under-estimate on Linux), capped by an address-space
    limit; None where neither is known."""
    value = None
    try:
        import psutil  # optional (not a dependency): used where installed

        value = int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 - psutil is optional
        try:
            value = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            value = None
    try:
        import resource  # Unix only

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit != resource.RLIM_INFINITY:
            value = limit if value is None else min(value, limit)
    except (ImportError, OSError, ValueError):
        pass
    return value


def free_disk(path: str | Path) -> int | None:
    """Free bytes on the filesystem that would hold ``path`` (its nearest existing parent)."""
    try:
        return int(shutil.disk_usage(_existing(path)).free)
    except OSError:
        return None


def check(estimate: Estimate, out: str | Path, *, memory: int | None = None, disk: int | None = None) -> str | None:
    """A one-line refusal if ``estimate`` exceeds the memory or disk available, else None.

    ``memory`` and ``disk`` default to :func:`available_memory` and :func:`free_disk` of ``out``;
    an unknown amount never refuses.
    """
    memory = available_memory() if memory is None else memory
    disk = free_disk(out) if disk is None else disk
    if memory is not None and estimate.memory > memory:
        return (f"this needs an estimated {format_size(estimate.memory)} of memory at its peak, and "
                f"{format_size(memory)} is available: lower {estimate.memory_field}, or pass --force to run anyway")
    if disk is not None and estimate.disk > disk:
        return (f"this needs an estimated {format_size(estimate.disk)} of disk, and {format_size(disk)} is free at "
                f"{_existing(out)}: lower {estimate.disk_field}, choose another --out, or pass --force to run anyway")
    return None


def _size_field(config: RunConfig) -> str:
    """The setting that sizes the network, with its value."""
    net = config.network
    if net.kind == "sbm":
        return f"network.sizes (total {sum(net.sizes):,})"
    if net.kind == "edgelist":
        return f"network.path ({net.path})"
    return f"network.n ({net.n:,})"


def _file_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0        # a missing file fails the run itself with its own message


def _existing(path: str | Path) -> Path:
    here = Path(path).absolute()
    return next((p for p in (here, *here.parents) if p.exists()), here)


def format_size(n: float) -> str:
    """Bytes as a short text: 1.2 GB, 340 MB."""
    for unit, scale in (("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20)):
        if n >= scale:
            value = n / scale
            return f"{value:.{1 if value < 100 else 0}f} {unit}"
    return f"{math.ceil(n / 1024)} KB"
