"""Seeds of an experiment's runs, derived from one root seed.

Every run's seed is a pure function of ``(root seed, scenario name, design point, replicate)``:
NumPy's :class:`~numpy.random.SeedSequence` is built from the root seed with a *spawn key*
that names the run, so each run gets its own statistically independent stream, and the seed
does not depend on how many runs there are, in which order they execute, on which worker or
in which shard. Re-running, resuming, changing the executor, the worker count or the shard
split therefore gives the same seeds, hence (a run being a pure function of its config and
seed) the same results.

The derived seed is an ordinary integer; it becomes the run's ``RunConfig.seed``, from which
:mod:`viralsim._rng` spawns the network, placement and dynamics streams as for any single run.
No random generator is created here: design samplers receive integer seeds.
"""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.random import SeedSequence

__all__ = ["run_seed", "design_seed", "analysis_seed", "scenario_key"]

# Domain tags keep the purposes apart: a run seed never equals a design or analysis seed.
_RUNS = 0x52554E53  # "RUNS"
_DESIGN = 0x44455347  # "DESG"
_ANALYSIS = 0x414E4C59  # "ANLY"


def scenario_key(name: str) -> int:
    """A stable 64-bit integer for a scenario name (SHA-256; independent of Python's hash salt)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def run_seed(root: int, scenario: str, point: int, replicate: int, *, common: bool = False) -> int:
    """Seed of one run.

    Parameters
    ----------
    root : int
        The experiment's root seed.
    scenario : str
        Scenario name (its text, not its position, so reordering scenarios keeps seeds).
    point : int
        Index of the design point (0 when the experiment has no design).
    replicate : int
        Replicate number, from 0.
    common : bool, default False
        Common random numbers: the seed depends on the replicate only, so replicate ``r`` of
        every scenario and design point sees the same network and the same random draws
        wherever the configs agree (variance reduction for paired comparisons).

    Returns
    -------
    int
        A seed in ``[0, 2**63 - 1]``.
    """
    key = (_RUNS, replicate) if common else (_RUNS, scenario_key(scenario), point, replicate)
    return _draw(root, key, 63)


def design_seed(root: int) -> int:
    """32-bit seed for the design sampler (LHS, random, Sobol, Morris) of an experiment."""
    return _draw(root, (_DESIGN,), 32)


def analysis_seed(root: int, *labels: str) -> int:
    """32-bit seed for a bootstrap in the analysis (e.g. SALib confidence intervals)."""
    return _draw(root, (_ANALYSIS, *(scenario_key(x) for x in labels)), 32)


def _draw(root: int, key: tuple[int, ...], bits: int) -> int:
    state = SeedSequence(int(root), spawn_key=tuple(int(k) for k in key)).generate_state(1, np.uint64)
    return int(state[0]) >> (64 - bits)
