"""Worker preparation: under Dask's eager memory trimming, freed memory is still reused; the
libraries' objects are left out of garbage collection."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

# Allocations of 1 MiB freed at once, in a non-main thread (where Dask runs tasks), counted in
# page faults before and after the worker preparation.
_PROBE = textwrap.dedent("""
    import resource, threading
    import numpy as np

    def faults_in_a_thread():
        out = {}
        def work():
            before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
            for _ in range(200):
                a = np.ones(1 << 17)
                del a
            out["faults"] = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before
        t = threading.Thread(target=work)
        t.start()
        t.join()
        return out["faults"]

    import gc
    untuned = faults_in_a_thread()
    tracked = len(gc.get_objects())
    # as in a worker: importing warm_worker (to call it) loads the engine and the writers
    from viralsim.experiment.executors import warm_worker
    from viralsim.experiment.warmup import keep_freed_memory
    warm_worker()
    tuned = faults_in_a_thread()
    print(untuned, tuned, keep_freed_memory(), tracked, len(gc.get_objects()), gc.get_freeze_count())
""")


def test_workers_reuse_freed_memory_under_dasks_eager_trim():
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}      # what Dask's nanny gives workers
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    untuned, tuned, applied, tracked_before, tracked_after, frozen = done.stdout.split()
    assert applied == "True"
    # The engine's imports (pandas, Numba, Mesa, ...) add well over 50,000 objects, all frozen:
    # the collector tracks fewer objects after warm-up than the bare probe did before it.
    assert int(frozen) > int(tracked_before) + 50_000, (tracked_before, frozen)
    assert int(tracked_after) < int(tracked_before), (tracked_before, tracked_after)
    # Each fresh 1 MiB mapping faults in 256 pages (200 of them: ~51,000 faults); memory kept for
    # reuse faults in once (~256 plus the thread's own start-up).
    assert int(untuned) > 25_000, untuned
    assert int(tuned) < int(untuned) // 10, (untuned, tuned)


def test_a_dead_worker_is_described_by_its_signal():
    from concurrent.futures.process import BrokenProcessPool

    from viralsim.experiment.executors import describe_death, worker_died

    assert describe_death(-11) == "worker died: SIGSEGV (signal 11)"
    assert describe_death(-9) == "worker died: SIGKILL (signal 9)"
    assert describe_death(1) == "worker died: exit status 1"
    KilledWorker = type("KilledWorker", (Exception,), {})          # Dask's, matched by name
    assert worker_died(BrokenProcessPool("gone")) and worker_died(KilledWorker("task"))
    assert not worker_died(RuntimeError("a bug")) and not worker_died(MemoryError())
