"""viralsim._jit: the kernels' random draws must follow their distributions exactly.

Each case draws 100,000 values and runs a chi-square goodness-of-fit test against the exact pmf
(cells with expectation > 5, the tails pooled), at alpha = 1e-4 per case: a wrong inversion step
(a ratio off by one, the walk stopping early, a skipped outcome) moves the mean or a cell by far
more than this sample size tolerates.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from numba import njit
from scipy import stats

from viralsim._jit import below, binomial, counter_uniform, geometric, poisson, seeded, skip_from, stream, uniform

K = 100_000


@njit
def _binomial(words, n, p, k):
    s = seeded(words)
    out = np.empty(k, np.int64)
    for i in range(k):
        out[i] = binomial(n, p, s)
    return out


@njit
def _poisson(words, lam, k):
    s = seeded(words)
    out = np.empty(k, np.int64)
    for i in range(k):
        out[i] = poisson(lam, s)
    return out


@njit
def _geometric(words, p, k):
    s = seeded(words)
    out = np.empty(k, np.int64)
    for i in range(k):
        out[i] = geometric(p, s)
    return out


@njit
def _below(words, n, k):
    s = seeded(words)
    out = np.empty(k, np.int64)
    for i in range(k):
        out[i] = below(n, s)
    return out


@njit
def _uniform(words, k):
    s = seeded(words)
    out = np.empty(k)
    for i in range(k):
        out[i] = uniform(s)
    return out


def words(seed: int) -> np.ndarray:
    return stream(np.random.default_rng(seed))


def chi_square_p(x: np.ndarray, pmf: np.ndarray) -> float:
    obs = np.bincount(x, minlength=len(pmf))[: len(pmf)].astype(float)
    assert np.bincount(x).size <= len(pmf), "a draw outside the support"
    exp = pmf * len(x)
    keep = exp > 5
    chi2 = ((obs[keep] - exp[keep]) ** 2 / exp[keep]).sum()
    rest_obs, rest_exp = obs[~keep].sum(), exp[~keep].sum()
    dof = keep.sum() - 1
    if rest_exp > 5:
        chi2 += (rest_obs - rest_exp) ** 2 / rest_exp
        dof += 1
    return float(stats.chi2.sf(chi2, dof))


@pytest.mark.parametrize("n, p", [
    (10, 0.1), (60, 0.15), (1, 0.5),         # inversion from 0: the common case
    (5, 0.8), (3, 0.95),                     # p > 0.9 goes through the mode
    (200, 0.3), (1000, 0.02), (5000, 0.5),   # n p > 20: inversion from the mode
])
def test_binomial_matches_the_pmf(n, p):
    x = _binomial(words(1), n, p, K)
    assert x.min() >= 0 and x.max() <= n
    assert chi_square_p(x, stats.binom.pmf(np.arange(n + 1), n, p)) > 1e-4, (n, p, x.mean())


@pytest.mark.parametrize("lam", [0.05, 1.0, 7.5, 20.0, 20.5, 300.0])
def test_poisson_matches_the_pmf(lam):
    x = _poisson(words(2), lam, K)
    support = np.arange(int(lam + 12 * np.sqrt(lam) + 30))
    assert chi_square_p(x, stats.poisson.pmf(support, lam)) > 1e-4, (lam, x.mean())


@pytest.mark.parametrize("p", [0.9, 0.3, 0.01])
def test_geometric_matches_the_pmf(p):
    x = _geometric(words(3), p, K)
    assert x.min() >= 1
    support = np.arange(int(40 / p))
    assert chi_square_p(x, stats.geom.pmf(support, p)) > 1e-4, (p, x.mean())


def test_below_and_uniform():
    x = _below(words(4), 7, K)
    assert chi_square_p(x, np.full(7, 1 / 7)) > 1e-4
    u = _uniform(words(5), K)
    assert 0.0 <= u.min() and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-4


def test_edge_cases():
    w = words(6)
    assert (_binomial(w, 0, 0.5, 10) == 0).all() and (_binomial(w, 7, 0.0, 10) == 0).all()
    assert (_binomial(w, 7, 1.0, 10) == 7).all() and (_binomial(w, 7, 1.5, 10) == 7).all()
    assert (_poisson(w, 0.0, 10) == 0).all() and (_geometric(w, 1.0, 10) == 1).all()


def test_streams_are_reproducible_and_distinct():
    """Same seed words, same draws; the next words of the same generator give other draws."""
    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    a1, b1 = _uniform(stream(rng_a), 100), _uniform(stream(rng_b), 100)
    np.testing.assert_array_equal(a1, b1)
    a2 = _uniform(stream(rng_a), 100)
    assert not np.array_equal(a1, a2)
    assert abs(np.corrcoef(a1, a2)[0, 1]) < 0.4


def test_cache_folder_is_keyed_by_the_kernel_sources(tmp_path):
    """Editing any kernel module moves the cache to a new folder, so that a kernel never runs
    stale machine code of a draw or helper it calls in another file."""
    from viralsim import _jit

    names = {p.name for p in _jit._kernel_sources()}
    assert {"_jit.py", "pipeline.py", "relations.py", "feed.py", "purchase.py"} <= names
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("x = 1\n")
    b.write_text("y = 2\n")
    first = _jit.cache_folder([a, b], tmp_path)
    assert first == _jit.cache_folder([a, b], tmp_path)
    b.write_text("y = 3\n")
    assert _jit.cache_folder([a, b], tmp_path) != first
    assert first.parent == tmp_path and first.name.startswith("kernels-")


def test_cache_folder_is_keyed_by_the_build_flags(tmp_path):
    """A bounds-checked or otherwise differently built process never loads the ordinary
    kernels, nor leaves its own to ordinary runs (Numba's cache key does not record these flags)."""
    import subprocess
    import sys

    from viralsim import _jit

    assert _jit.build_flags() == "opt=3 boundscheck=0 debuginfo=0"
    src = Path(__file__).resolve().parents[1] / "src"
    code = "from viralsim import _jit; import numba; print(_jit.build_flags()); print(numba.config.CACHE_DIR)"
    seen = {}
    for flags in ({}, {"NUMBA_BOUNDSCHECK": "1"}, {"NUMBA_OPT": "0"}, {"NUMBA_DEBUGINFO": "1"}):
        env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
        env.update(flags, PYTHONPATH=str(src), NUMBA_CACHE_DIR=str(tmp_path))
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                             check=True).stdout.split("\n")
        seen[out[0]] = out[1]
    assert sorted(seen) == ["opt=0 boundscheck=0 debuginfo=0", "opt=3 boundscheck=0 debuginfo=0",
                            "opt=3 boundscheck=0 debuginfo=1", "opt=3 boundscheck=1 debuginfo=0"]
    assert len(set(seen.values())) == 4 and all(v.startswith(str(tmp_path / "kernels-")) for v in seen.values())


def test_first_run_and_user_cache_dir(monkeypatch, tmp_path):
    import numba

    from viralsim import _jit

    monkeypatch.setattr(_jit, "_FIRST_RUN", False)      # (this process found its kernels compiled)
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path / "none-yet"))
    assert _jit.first_run()
    (tmp_path / "none-yet").mkdir()
    assert not _jit.first_run()
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    _jit._use_versioned_cache()
    # a user's folder holds the versioned folder too (a stale kernel never runs)
    assert numba.config.CACHE_DIR.startswith(str(tmp_path / "mine" / "kernels-"))
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    _jit._use_versioned_cache()
    assert numba.config.CACHE_DIR.startswith(str(tmp_path / "viralsim" / "kernels-"))


def test_first_run_is_known_after_the_imports_that_compile(tmp_path):
    """The CLI announces the first compilation after loading the experiment, by which time this
    module's own import has compiled (and so created the cache folder): first_run must still
    say that this process found no compiled kernels, and a later process that it found them."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(XDG_CACHE_HOME=str(tmp_path), PYTHONPATH=str(src))
    code = ("import viralsim.experiment.sweep, viralsim.model\n"
            "from viralsim._jit import first_run\n"
            "print(first_run())")
    seen = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600,
                           check=True).stdout.strip() for _ in range(2)]
    assert seen == ["True", "False"]


def test_a_process_that_warmed_up_announces_no_compilation(monkeypatch, tmp_path):
    """A test session or notebook that compiled the kernels itself (warm_up) must not print the
    first-run notice on every later command, even though the cache was missing when it started."""
    from viralsim import _jit
    from viralsim.experiment.warmup import warm_up

    monkeypatch.setattr(_jit, "_FIRST_RUN", True)
    assert _jit.first_run()
    warm_up()
    assert not _jit.first_run()


@njit
def _counter(base, people, per_person):
    out = np.empty((people, per_person))
    for i in range(people):
        for j in range(per_person):
            out[i, j] = counter_uniform(base, i, j)
    return out


def test_counter_draws_are_uniform_and_independent_across_people_and_counts():
    """counter_uniform: U(0, 1] (KS over 100,000 draws of 1,000 people x 100 counts); no
    correlation between a person's successive draws, nor between neighbouring people's draws of
    the same count (each below 4 standard errors of a correlation); pairs of successive draws
    fill a 10 x 10 grid evenly (chi-square); another base gives other draws."""
    base = np.uint64(0x1234_5678_9ABC_DEF0)
    u = _counter(base, 1_000, 100)
    assert 0.0 < u.min() and u.max() <= 1.0
    assert stats.kstest(u.ravel(), "uniform").pvalue > 1e-4
    se = 1 / np.sqrt(u.size)
    assert abs(np.corrcoef(u[:, :-1].ravel(), u[:, 1:].ravel())[0, 1]) < 4 * se
    assert abs(np.corrcoef(u[:-1].ravel(), u[1:].ravel())[0, 1]) < 4 * se
    cells = np.minimum((u[:, :-1] * 10).astype(int), 9) * 10 + np.minimum((u[:, 1:] * 10).astype(int), 9)
    assert chi_square_p(cells.ravel(), np.full(100, 0.01)) > 1e-4
    assert not np.array_equal(u[:10], _counter(base + np.uint64(1), 10, 100))
    np.testing.assert_array_equal(u[:10], _counter(base, 10, 100))


@pytest.mark.parametrize("p", [0.9, 0.3, 0.01])
def test_skips_from_counter_draws_match_the_geometric_pmf(p):
    """skip_from(counter_uniform(...), log(1 - p)) is Geometric(p), as the feed draws it."""
    u = _counter(np.uint64(99), 1_000, 100).ravel()
    x = np.array([skip_from(v, np.log1p(-p)) for v in u])
    assert x.min() >= 1
    assert chi_square_p(x, stats.geom.pmf(np.arange(int(40 / p)), p)) > 1e-4, (p, x.mean())
