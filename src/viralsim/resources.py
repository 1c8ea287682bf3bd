"""Up-front estimates of the peak memory and the disk a run or a sweep needs, from its config.

``viralsim run`` and ``viralsim sweep`` call :func:`check` before building anything: an
estimate above what the machine has (available memory; free disk at the results folder's
nearest existing parent) is refused with one line giving the estimate, what is available and
the setting to change; ``--force`` skips the check. The estimator reads the config only (no
network is built, no file is read but an edge list's size), so it answers in microseconds per
run config.

Calibration (peak resident set size of fresh processes, ``resource.getrusage``; one process
per run, kernels loaded from the on-disk cache; Python 3.11, NumPy 2.4, Numba 0.68; 2 cores;
``benchmarks/bench_memory.py`` re-runs the cases, docs/benchmarks.md has its table). The pair
is the flagship's two named sellers; a market is a population drawn from the benchmarks' mix
(a third spam sellers, who add 20 strangers a day):

==============================  =========  =======  ====  ===========  ===========
network, sellers                consumers  sellers  days    relations  peak memory
==============================  =========  =======  ====  ===========  ===========
(imports and kernels only)             --       --    --           --       283 MB
friend_circles, pair               10,000        2   365       17,690       327 MB
friend_circles, pair              200,000        2   365       43,444       411 MB
friend_circles, pair            1,000,000        2   365       50,254       700 MB
watts_strogatz k = 10, pair       200,000        2   365       11,726       384 MB
complete, pair                      5,000        2    30        9,998       332 MB
complete, pair                     20,000        2    30       39,998       458 MB
complete, pair                     50,000        2    30       99,998   856-884 MB
friend_circles, 50 spam            20,000       50   365      521,865       421 MB
friend_circles, 50 community       20,000       50   365      353,835       390 MB
friend_circles, market             20,000      500   365    1,463,100       617 MB
friend_circles, market            100,000      100   365    1,016,332       538 MB
friend_circles, market            100,000    1,000   365    4,623,100     1,165 MB
friend_circles, market            100,000   10,000   365   21,260,100    *4,950 MB
friend_circles, market          1,000,000   10,000   365   47,703,958     8,148 MB
==============================  =========  =======  ====  ===========  ===========

(* measured before the views' pools and the hash index were made smaller, 5ba16d8, which took
the million-person market from 10,341 MB to 8,148 and the 1,000-seller one from 1,189-1,200 to
1,154-1,165.)

So a run costs a fixed ~285 MB, about 245 bytes per consumer and 11 bytes per consumer and
unit of mean degree (the network and the consumers' columns), and about 200 bytes per
relation (seller-consumer pair with state: the relation table's row, its index and views, and
the room it grows into: 155-181 bytes at the peaks of the largest markets, 217 before
5ba16d8). Days
matter through the relations they make. The model below charges 300 MB, ``300 + 16 x
degree`` bytes per consumer and :data:`PER_RELATION` bytes per relation of
:func:`relations`' estimate from above, then adds :data:`MARGIN` (25 %). Relations come
from a seller's own contacts (her circle and the strangers she adds, held to WeChat's
allowance) and from word of mouth, about 15 new relations a purchase at mean degree 20; the
purchases are held to the rate at which needs arise and to a seller's measured best day. The
estimate is above every measured peak, by 19-184 %: most for the markets of 100 and 1,000
sellers among 100,000 people (2.2 times) and of 10,000 among a million (2.8 times), whose
relations it puts at 2-3 times the count.

A complete graph stores no edges, yet a buyer tells anyone, so a day's buffers grow with the
buyers times the people: 0.23-0.43 bytes per ordered pair of consumers (n x n) at the peaks
above. It is charged 0.4 bytes a pair on top of a sparse graph of degree
:data:`COMPLETE_DEGREE`, and up to one relation per seller and consumer.

A sweep's driving process holds every run's task (about 1.4 KB per run: 200,000 runs took
275 MB) and, when the sweep completes, merges the parts into the final tables and statistics,
which peaks at about 1.7 KB per row of the long table (rows = runs x recorded days x named
sellers; measured: 10 and 80 runs of 365 days x 2 sellers peaked at 360 and 445 MB). The
summary table's rows (runs x sellers, population members included) are charged alike (not
measured). Disk: about 175 bytes per table row (parts, final tables, statistics and CSV copies:
8.9 MB for 51,100 rows), charged at 300; a single run's folder took 424 KB for 365 days x 2
sellers at 50,000 consumers (plot 177 KB, daily CSV 162 B and Parquet 79 B per row), charged
at 1 MB plus 400 B per daily row (named sellers, populations and their presets), 400 B per
seller (the summary) and 40 B per cascade edge (at most a purchase's; 1.1 MB was written for
300 sellers among 20,000 people over 365 days, 7.3 MB estimated).
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

__all__ = ["Estimate", "estimate_run", "estimate_sweep", "run_memory", "sellers", "purchases", "relations",
           "purchase_ceiling",
           "mean_degree", "consumers",
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
COMPLETE_PER_PAIR = 0.4
#: bytes a relation costs at the peak: its row of the relation table (about 115 bytes of
#: columns), its hash-index slots, its places in the by-consumer and by-seller views, and the
#: room the table grows into (measured 155-181 bytes a relation at the peaks of 4.6 and 47.7
#: million relations, 190-217 before 5ba16d8 shrank the views and the index; kept as an upper bound)
PER_RELATION = 200
#: new relations a purchase makes, per unit of mean degree (measured 0.42-0.80)
WOM_PER_PURCHASE_DEGREE = 0.8
#: a seller's sales a day, at most: the most any measured seller sold (4.7 a day, the flagship's
#: pair alone among 10,000 to 1,000,000 people), with a margin
SALES_PER_SELLER_DAY = 5.0
#: a seller's own contacts as a multiple of ``platform.max_contacts``: those who blocked her no
#: longer count against it (spam sellers measured 1.03-1.08 times the allowance)
CONTACTS_OVER_CAP = 1.25
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
DISK_PER_SELLER = 400


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
        data = _consumer_bytes(config)
        if net.kind == "complete":
            data += COMPLETE_PER_PAIR * net.n * net.n
    data += PER_RELATION * relations(config)
    return int(MARGIN * (BASE_PROCESS + data))


def _consumer_bytes(config: RunConfig) -> float:
    """Memory of the consumers and their network's edges (a generated or bundled network)."""
    return consumers(config) * (PER_CONSUMER + PER_CONSUMER_DEGREE * mean_degree(config))


def sellers(config: RunConfig) -> int:
    """Sellers of the run: the named ones and every population's members."""
    n = consumers(config)
    return len(config.sellers) + sum(population.size(n) for population in config.populations.values())


def purchases(config: RunConfig) -> float:
    """Purchases a run may make, from above: :func:`purchase_ceiling` a consumer and day, and
    :data:`SALES_PER_SELLER_DAY` a seller and day."""
    return min(consumers(config) * purchase_ceiling(config), sellers(config) * SALES_PER_SELLER_DAY) * config.days


def relations(config: RunConfig) -> float:
    """Relations (seller-consumer pairs with state) a run may end with: an estimate from above.

    Three sources make them (see the module docstring for the measurements):

    * each seller's own contacts: her circle (``circle_size``, at least the mean degree; the
      whole allowance for a hub) and the strangers she adds over the run, held to WeChat's
      ``platform.max_contacts`` (:data:`CONTACTS_OVER_CAP` more for the contacts who blocked her
      and no longer count), and to the population; a seller whose strategy an event may change
      is charged the most strangers a day of her strategy and of every change;
    * word of mouth: each purchase (:func:`purchases`) makes up to
      :data:`WOM_PER_PURCHASE_DEGREE` x the mean degree new relations (the buyer's friends told,
      reseller ads, a KOL's friends; on a complete graph anyone);
    * and no more than one relation per seller and consumer.
    """
    from viralsim.config.schema import Strategy  # here: `viralsim --help` imports this module, not pydantic

    n = consumers(config)
    degree = n - 1.0 if config.network.kind == "complete" else mean_degree(config)     # a buyer tells anyone
    cap = min(n, CONTACTS_OVER_CAP * config.platform.max_contacts)
    switches = [e.switch for e in config.events if e.switch is not None]
    made = 0.0
    for name, spec in config.sellers.items():
        circle = cap if spec.placement == "hub" else max(spec.circle_size, degree)
        per_day = max([_strangers_per_day(spec.resolved, switches)] + _set_strangers(config, name))
        made += min(cap, circle + per_day * config.days)
    for population in config.populations.values():
        members = population.size(n)
        circle = cap if population.placement == "hub" else max(population.circle_size, degree)
        varied = population.vary.get("strangers_per_day", (0.0, 0.0))[1]
        weights = sum(population.mix.values())
        for preset, weight in population.mix.items():
            per_day = max(varied, _strangers_per_day(Strategy.from_preset(preset), switches))
            made += members * weight / weights * min(cap, circle + per_day * config.days)
    return float(min(n * sellers(config), made + WOM_PER_PURCHASE_DEGREE * degree * purchases(config)))


def purchase_ceiling(config: RunConfig) -> float:
    """Purchases a consumer makes a day when every need is met the day it arises:
    ``1 / (1/a + C)`` for need rate ``a`` and consumption period ``C`` (1 without satiation),
    the highest over the config and its events' ``purchase`` settings.

    Advertising's impulse wants can bring purchases forward (up to one each ``C`` days), but
    no measured market came near this ceiling: the highest, 10,000 sellers among 100,000
    people, bought at 0.75 of it.
    """
    purchase = config.purchase.model_dump()
    settings = [purchase] + [{**purchase, **e.set["purchase"]} for e in config.events
                             if e.set is not None and isinstance(e.set.get("purchase"), dict)]
    ceiling = 0.0
    for p in settings:
        rate, period = float(p["need_rate"]), float(p["consumption_days"])
        if period <= 0.0:
            return 1.0
        ceiling = max(ceiling, 1.0 / (1.0 / rate + period) if rate > 0.0 else 0.0)
    return ceiling


def _set_strangers(config: RunConfig, name: str) -> list[float]:
    """Strangers a day that events' ``set`` give the named seller ``name``."""
    out = []
    for event in config.events:
        seller = (event.set or {}).get("sellers", {}).get(name)
        if isinstance(seller, dict) and seller.get("strangers_per_day") is not None:
            out.append(float(seller["strangers_per_day"]))
    return out


def _strangers_per_day(strategy, switches: list) -> float:
    """Strangers a seller adds a day: the most of her strategy and what any switch would make of it."""
    return max([strategy.strangers_per_day] + [switch.apply(strategy).strangers_per_day for switch in switches])


def estimate_run(config: RunConfig) -> Estimate:
    """Peak memory and disk of ``viralsim run`` for ``config``."""
    # daily rows: one a day for each named seller, population and strategy preset of a population
    groups = len({name for population in config.populations.values() for name in population.mix})
    daily_rows = config.days * (len(config.sellers) + len(config.populations) + groups)
    edges = min(consumers(config) * sellers(config), purchases(config))     # one per referred buyer at most
    disk = (DISK_RUN_FIXED + DISK_PER_DAILY_ROW * daily_rows + DISK_PER_DAY * config.days
            + DISK_PER_SELLER * sellers(config) + DISK_PER_CASCADE_EDGE * edges * bool(config.trace_cascades))
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
        # the long table's rows (named sellers, each recorded day), and the summary's: a row
        # per seller, population members too (charged as a long table's row)
        rows += count * (recorded * len(config.sellers) + sellers(config))
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
    """The setting that sizes the run, with its value: the biggest population's size where the
    relations weigh more than the consumers, else the network's size."""
    net = config.network
    if config.populations and PER_RELATION * relations(config) > _consumer_bytes(config):
        n = consumers(config)
        name, population = max(config.populations.items(), key=lambda item: item[1].size(n))
        given = "count" if population.count is not None else "share"
        return f"populations.{name}.{given} ({getattr(population, given):,}) or days ({config.days:,})"
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
