"""Get a process ready to simulate: the engine's compiled kernels loaded, freed memory kept for reuse.

:func:`warm_up` compiles (or loads from the on-disk cache) every kernel of the engine by running
a tiny market; :func:`keep_freed_memory` tunes the C library's allocator for the many short-lived
arrays of a simulated day. Sweep executors call both before a worker's first chunk
(:func:`viralsim.experiment.executors.warm_worker`); benchmarks call :func:`warm_up` before
timing anything.
"""

from __future__ import annotations

import ctypes
import ctypes.util

from viralsim._jit import mark_compiled
from viralsim.config.schema import RunConfig
from viralsim.model import ViralModel, relations

__all__ = ["warm_up", "keep_freed_memory"]


def warm_up() -> None:
    """Compile (or load from the on-disk cache) every kernel by running a tiny market for 3 days.

    Call it before timing anything, and before starting worker processes, so that the one-off
    compilation is neither measured nor repeated per worker. Every strategy family takes part
    (posts, folding, messages, groups, referral, resellers, KOL seeds), so every kernel runs.
    """
    config = RunConfig.model_validate({
        "name": "warm_up", "seed": 1, "days": 3,
        "network": {"kind": "friend_circles", "n": 300},
        "platform": {"moderation": "harassment_prompt"},
        "sellers": {name: {"strategy": name} for name in ("spam", "community", "fission", "kol")},
    })
    ViralModel(config).run()
    # (the growth of the relation table between batches of days, which so small a market never
    # needs: its kernels would otherwise load inside the first timed run, some 40 ms)
    relations.make_room([relations.empty(300, 4, 16, 0.1)], 64)
    mark_compiled()


def keep_freed_memory() -> bool:
    """Let the C library keep freed memory for reuse instead of handing it back to the OS at once.

    A simulated day allocates and frees many temporaries of 0.1–10 MB. Dask's nanny starts its
    workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (give memory back eagerly), which also freezes
    glibc's adaptive mmap threshold at 128 KiB: every such temporary then comes from fresh pages
    that fault in one by one. A 10,000-person, 180-day run took about 18,000 page faults instead
    of 2,000 and about 30 % more CPU. Raising the mmap threshold to 32 MiB and the trim threshold
    to 64 MiB (``mallopt``) restores reuse; a worker then holds at most some 64 MiB of freed memory.

    Returns whether both settings took effect; False where the C library has no ``mallopt``
    (macOS, Windows) or refuses them, which leaves its defaults in place.
    """
    global _FREED_MEMORY_KEPT
    if _FREED_MEMORY_KEPT is None:      # once per process: every chunk calls this
        try:
            mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
        except (OSError, AttributeError):
            _FREED_MEMORY_KEPT = False
        else:
            m_trim_threshold, m_mmap_threshold = -1, -3          # glibc's <malloc.h>
            _FREED_MEMORY_KEPT = bool(mallopt(m_mmap_threshold, 32 << 20)) and bool(mallopt(m_trim_threshold, 64 << 20))
    return _FREED_MEMORY_KEPT


_FREED_MEMORY_KEPT: bool | None = None
