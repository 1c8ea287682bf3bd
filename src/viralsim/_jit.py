"""Compiled loops for the rules' hot paths (Numba).

Each rule keeps its vectorised signature ``rule(state, day, plan, params, rng)`` and its
docstring equation; where a rule's NumPy form costs more in per-call overhead than in work
(a day of a 10,000-person market is a few hundred microseconds of arithmetic but used to take
thousands of small NumPy calls), its body is one loop over consumers compiled here. Kernels draw
from per-call streams seeded by the run's own ``numpy.random.Generator`` (see "random draws"
below), so every draw still flows from the run's seed and the same seed gives the same bytes.

``cache=True`` keeps the machine code on disk (see :func:`_use_versioned_cache`): only the first
run on a machine pays the compile time.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

import numba
import numpy as np


def _kernel_sources() -> list[Path]:
    """The modules that define kernels (their text keys the on-disk cache, see below): this one
    and every model module that compiles a function."""
    pkg = Path(__file__).resolve().parent
    model = [p for p in sorted((pkg / "model").rglob("*.py")) if "@kernel" in p.read_text(encoding="utf-8")]
    return [pkg / "_jit.py", *model]


def _use_versioned_cache() -> None:
    """Keep compiled kernels in a folder named after a hash of the kernel sources.

    Numba invalidates a cached kernel only when its own file changes, not when a kernel it calls
    in another file does (the day's pipeline calls every rule, and every rule calls the draws
    below), so an upgrade could silently run stale machine code. Keying the folder by the text of
    every kernel module rules that out, and keeps the package folder free of cache files. The
    folder sits in ``NUMBA_CACHE_DIR`` when the user sets one, else in the per-user cache.

    The build flags that change the machine code (:func:`build_flags`) key the folder too: Numba's
    own cache key leaves them out, so a run with ``NUMBA_BOUNDSCHECK=1`` would otherwise load the
    ordinary kernels, without the checks it asked for (or, on an empty cache, leave its slower
    checked kernels to every later run).
    """
    user = os.environ.get("NUMBA_CACHE_DIR")
    root = Path(user) if user else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "viralsim"
    numba.config.CACHE_DIR = str(cache_folder(_kernel_sources(), root, build_flags()))


def build_flags() -> str:
    """Numba's settings, read from the environment at start-up, that change the compiled code:
    optimisation level, bounds checking, debug information."""
    return (f"opt={int(numba.config.OPT)} boundscheck={int(bool(numba.config.BOUNDSCHECK))} "
            f"debuginfo={int(bool(numba.config.DEBUGINFO_DEFAULT))}")


def cache_folder(sources: list[Path], root: Path, flags: str = "") -> Path:
    """``root/kernels-<hash of the build flags and the sources' names and text>``."""
    digest = hashlib.sha256(flags.encode())
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return root / f"kernels-{digest.hexdigest()[:16]}"


_use_versioned_cache()
_FIRST_RUN = bool(numba.config.CACHE_DIR) and not Path(numba.config.CACHE_DIR).exists()


def first_run() -> bool:
    """Whether the kernels have to be compiled on this machine: there is no cache folder, or
    there was none when this module was imported (it compiles its log-factorial table as it
    loads, which creates the folder before a command could ask), and this process has not
    compiled them since (:func:`mark_compiled`)."""
    return _FIRST_RUN or (bool(numba.config.CACHE_DIR) and not Path(numba.config.CACHE_DIR).exists())


def mark_compiled() -> None:
    """Record that this process has compiled (or loaded) every kernel: a long-lived process (a
    test session, a notebook) that warmed up announces no compilation any more."""
    global _FIRST_RUN
    _FIRST_RUN = False


#: decorator for every kernel: compiled once, cached on disk, no Python objects inside. Strict
#: IEEE arithmetic (no fastmath), so results are the same bits everywhere. NumPy's error model
#: drops the zero test Python semantics put before every division (kernels guard the divisions
#: that can meet a zero themselves); a large binomial draw, a chain of divisions, costs about
#: half as much with it and the log-factorial table below.
kernel = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy")
#: the same, compiled into each caller (Numba's IR inlining) instead of called: for a helper with
#: array arguments that a loop over relations calls, where the call costs more than the helper's
#: work (rules.feed._read_posts: about 30 ns a call, 28 of the feed's 84 ms a day at 1,000
#: sellers); LLVM inlines the small scalar helpers (a draw) by itself. Same arithmetic, same bits.
kernel_inline = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy", inline="always")


# -- random draws inside kernels -----------------------------------------------------------------
# Passing a numpy Generator into a kernel costs ~20 µs per call (Numba rebuilds its type and
# re-casts its pointers), more than a whole rule's work at 10,000 people. A kernel therefore takes
# a *stream*: four 64-bit words drawn from the run's Generator by :func:`stream` (~2 µs), which
# seed xoshiro256** (Blackman & Vigna 2021) for that call. Every draw still flows from the run's
# seed, so the same seed gives the same bytes. Distributions are sampled exactly by inversion.

_U53 = 2.0 ** -53
#: 1 / k for k = 1..1024: the inversion loops multiply instead of dividing (a division per step
#: sits on the loop's dependency chain and costs about a third of a draw)
_RECIP = 1.0 / np.arange(1, 1025, dtype=np.float64)


@kernel
def _log_factorials(n):
    """log(k!) for k < n, by the same libm lgamma the kernels call (so table and call agree bit for bit)."""
    out = np.empty(n)
    for k in range(n):
        out[k] = math.lgamma(k + 1.0)
    return out


#: log(k!) for k < 4096: the mode probability of a large binomial or Poisson draw needs three
#: (one) of them, and an lgamma call costs about a third of the whole draw
_LOG_FACTORIAL = _log_factorials(4096)


@kernel
def log_factorial(k):
    """log(k!) for an integer k >= 0: a table entry below 4096, lgamma(k + 1) above."""
    return _LOG_FACTORIAL[k] if k < 4096 else math.lgamma(k + 1.0)


def stream(rng: np.random.Generator) -> np.ndarray:
    """Seed words for one kernel call, taken from the run's generator (advances it by 4 outputs)."""
    return rng.bit_generator.random_raw(4)


@kernel
def _splitmix64(x):
    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@kernel
def seeded(words):
    """xoshiro256** state from the seed words (splitmix64-scrambled, so never all zero in practice)."""
    s = np.empty(4, dtype=np.uint64)
    for k in range(4):
        s[k] = _splitmix64(words[k] + np.uint64(k))
    return s


@kernel
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@kernel
def next_u64(s):
    """Next 64-bit output of xoshiro256** with state ``s`` (advanced in place)."""
    result = _rotl(s[1] * np.uint64(5), 7) * np.uint64(9)
    t = s[1] << np.uint64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


@kernel
def uniform(s):
    """U[0, 1) with 53 random bits."""
    return float(next_u64(s) >> np.uint64(11)) * _U53


@kernel
def below(n, s):
    """Uniform integer in [0, n) (n >= 1); the bias of floor(U n) is below n / 2^53."""
    return min(int(uniform(s) * n), n - 1)


#: where a geometric draw saturates: past the end of any array a kernel walks (indices stay
#: below 2**31), and far enough below 2**63 that an index plus a skip cannot overflow int64
SKIP_MAX = 2 ** 62


@kernel
def geometric(p, s):
    """Trials up to and including the first success, P(k) = (1 - p)^(k - 1) p, k >= 1,
    saturated at :data:`SKIP_MAX` (see :func:`geometric_skip`)."""
    if p >= 1.0:
        return 1
    return geometric_skip(np.log1p(-p), s)


@kernel
def geometric_skip(log_q, s):
    """:func:`geometric` given log_q = log(1 - p) < 0, for callers that hoist the logarithm.

    1 + floor(log(u) / log_q), by inversion. For a tiny p the quotient exceeds 2**63 (p = 1e-20)
    or is infinite (p = 5e-324, whose log_q is -5e-324), and converting such a float to an integer
    is undefined (it gave a negative skip, hence a write before the array); it is therefore
    compared with :data:`SKIP_MAX` first (NaN included) and saturates there. Any p whose mean skip
    is below 2**62 gets the very same integers as the plain formula.
    """
    return skip_from(1.0 - uniform(s), log_q)     # (1 - U in (0, 1], so the log is finite)


@kernel
def skip_from(u, log_q):
    """:func:`geometric_skip` given its uniform u in (0, 1]: 1 + floor(log(u) / log_q), saturated."""
    if not log_q < 0.0:         # (p = 0; also a log_q of +0.0, whose quotient is -inf)
        return SKIP_MAX
    x = np.floor(np.log(u) / log_q)
    if not x < SKIP_MAX - 1:
        return SKIP_MAX
    return 1 + int(x)


@kernel
def binomial_small(n, p, log_q, s):
    """Binomial(n, p) by inversion from 0, for n p <= 20 and p <= 0.9, given log(1 - p).

    The caller gives log(1 - p); otherwise the same as :func:`binomial`.
    """
    pk = np.exp(n * log_q)
    ratio = p / (1.0 - p)
    u = uniform(s)
    x = 0
    while u > pk and x < n:
        u -= pk
        pk *= ratio * (n - x) * (_RECIP[x] if x < 1024 else 1.0 / (x + 1))
        x += 1
    return x


@kernel
def binomial(n, p, s):
    """One Binomial(n, p) draw by inversion: from 0 when n p is small, else from the mode.

    Most draws of a day are small (n p of a few: messages answered, friends told): sequential
    inversion from 0 (Devroye 1986, X.4) costs one exp and a few multiplications. For n p > 20
    the search starts at the mode, whose probability comes from log-factorials, and walks outward, so
    it costs O(sqrt(n p q)). Exact either way (up to floating-point rounding).
    """
    if n <= 0 or not p > 0.0:           # (a NaN p too: int() of NaN below is undefined)
        return 0
    if p >= 1.0:
        return n
    return binomial_log(n, p, np.log1p(-p) if n * p <= 20.0 and p <= 0.9 else 0.0, s)


@kernel
def binomial_log(n, p, log_q, s):
    """:func:`binomial` given ``log_q = log1p(-p)`` (read only on the small branch), for callers
    drawing many times with one p: the same draws, without a logarithm per draw."""
    if n <= 0 or not p > 0.0:
        return 0
    if p >= 1.0:
        return n
    if n * p <= 20.0 and p <= 0.9:      # then P(X = 0) >= exp(-46): no underflow
        return binomial_small(n, p, log_q, s)
    q = 1.0 - p
    u = uniform(s)
    m = min(n, int((n + 1) * p))
    pm = np.exp(log_factorial(n) - log_factorial(m) - log_factorial(n - m)
                + m * np.log(p) + (n - m) * np.log(q))
    return _from_mode(u, m, pm, n, p / q)


@kernel
def poisson(lam, s):
    """One Poisson(lam) draw by inversion: from 0 when lam <= 20, else from the mode.

    A NaN mean gives 0 and a mean beyond 2**62 saturates at :data:`SKIP_MAX` (converting such a
    float to an integer is undefined; no valid run comes near it)."""
    if not lam > 0.0:
        return 0
    if lam >= SKIP_MAX:
        return SKIP_MAX
    u = uniform(s)
    if lam <= 20.0:
        pk = np.exp(-lam)
        x = 0
        while u > pk > 0.0:
            u -= pk
            pk *= lam * (_RECIP[x] if x < 1024 else 1.0 / (x + 1))
            x += 1
        return x
    m = int(lam)
    pm = np.exp(m * np.log(lam) - lam - log_factorial(m))
    return _from_mode(u, m, pm, -1, lam)


@kernel
def _from_mode(u, m, pm, n, a):
    """Inversion walking outward from the mode m with P(m) = pm (binomial or Poisson).

    Binomial(n, p): a = p / q;       P(k+1) / P(k) = a (n - k) / (k + 1).
    Poisson(lam): n < 0, a = lam;   P(k+1) / P(k) = lam / (k + 1).
    Outcomes are visited in the order m, m-1, m+1, m-2, m+2, ...; any fixed order is exact.
    """
    if u <= pm:
        return m
    u -= pm
    lo, plo = m, pm
    hi, phi = m, pm
    while True:
        moved = False
        if lo > 0:
            # P(k-1) = P(k) k / (a (n - k + 1)) for the binomial, P(k) k / lam for Poisson
            plo = plo * lo / (a * (n - lo + 1)) if n >= 0 else plo * lo / a
            lo -= 1
            moved = True
            if u <= plo:
                return lo
            u -= plo
        if (n < 0 or hi < n) and phi > 0.0:
            phi = phi * a * (n - hi) / (hi + 1) if n >= 0 else phi * a / (hi + 1)
            hi += 1
            moved = True
            if u <= phi:
                return hi
            u -= phi
        if not moved or (plo == 0.0 and phi == 0.0):
            return m      # rounding left a sliver of mass unassigned: give it to the mode


# -- array helpers shared by kernels -------------------------------------------------------------

@kernel
def int_powers(x, k, m):
    """x[j] <- x[j] ** k[j] for j < m and integer exponents k[j] >= 0 (``k`` is consumed).

    By repeated squaring, one vectorised pass over the entries per bit of the largest exponent:
    IEEE products, hence the same bits on every machine (a libm pow() may differ in the last bit
    between libraries), and several times cheaper than a pow() per entry. Exact for k = 0 and 1;
    otherwise the rounding of the squarings leaves a relative error below k ulps (about 1e-14
    for the tens of unwanted contacts of a day), where pow() is within one ulp."""
    top = 0
    for j in range(m):
        top = max(top, k[j])
    r = np.ones(m)
    while top > 0:
        for j in range(m):
            r[j] *= x[j] if k[j] & 1 else 1.0      # a product by 1.0 is exact: as if skipped
            x[j] *= x[j]
            k[j] >>= 1
        top >>= 1
    x[:m] = r


@kernel
def true_indices(row, out):
    """Write the indices of the True entries of a bool (or 0/1 uint8) ``row`` to ``out[:k]`` and
    return k (``out`` needs ``len(row)`` entries).

    A branch-free pass (one store per entry: ``out[k] = i; k += row[i]``) costs about one cycle
    per entry whatever the density, where a branch per entry mispredicts on every surprise; when
    fewer than a quarter of the 8-byte words hold a True entry, the empty words are skipped.
    Kernels use it to collect the few consumers a rule acts on before doing the heavy work."""
    n = row.shape[0]
    m = n // 8
    words = row[:m * 8].view(np.uint64)
    busy = 0
    for w in range(m):
        busy += words[w] != 0
    if busy * 4 >= m:
        return _append_true(row, out, 0, 0, n)
    k = 0
    if busy > 0:
        for w in range(m):
            if words[w] != 0:
                k = _append_true(row, out, k, w * 8, w * 8 + 8)
    return _append_true(row, out, k, m * 8, n)


@kernel
def _append_true(row, out, k, start, stop):
    """Append the indices i in [start, stop) with row[i] True to ``out`` from ``out[k]``."""
    for i in range(start, stop):
        out[k] = i
        k += row[i]
    return k


@kernel
def csr_from_sorted_keys(key, n):
    """Symmetric CSR ``(indptr, indices, strong)`` of ``n`` nodes from unique edge keys
    ``((a n + b) << 1) | weak``, a < b, in ascending order.

    Row v lists its neighbours in ascending order: first the u < v (edges (u, v), met in
    ascending u), then the w > v (edges (v, w), ascending w). Two linear passes over the keys
    (count, then write each edge at both ends) and no sort; ``a`` only grows along the sorted
    keys, so it is tracked without a division."""
    m = key.shape[0]
    degree = np.zeros(n, dtype=np.int64)
    lower = np.zeros(n, dtype=np.int64)          # neighbours below v
    a = 0
    for e in range(m):
        a, b = _key_ends(key[e], a, n)
        degree[a] += 1
        degree[b] += 1
        lower[b] += 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    for v in range(n):
        indptr[v + 1] = indptr[v] + degree[v]
    indices = np.empty(2 * m, dtype=np.int32)
    strong = np.empty(2 * m, dtype=np.bool_)
    low_at = indptr[:n].copy()                   # next slot for a neighbour below v
    high_at = indptr[:n] + lower                 # next slot for a neighbour above v
    a = 0
    for e in range(m):
        a, b = _key_ends(key[e], a, n)
        is_strong = (key[e] & 1) == 0
        indices[high_at[a]] = b
        strong[high_at[a]] = is_strong
        high_at[a] += 1
        indices[low_at[b]] = a
        strong[low_at[b]] = is_strong
        low_at[b] += 1
    return indptr, indices, strong


@kernel
def _key_ends(key, a, n):
    """Endpoints (a, b) of the edge key ``((a n + b) << 1) | weak``, given a lower bound ``a`` on
    its first endpoint (the previous key's, along ascending keys): no division."""
    pair = key >> 1
    while pair >= (a + 1) * n:
        a += 1
    return a, pair - a * n


# -- per-seller, per-rule random streams ---------------------------------------------------------
# A rule's draws for seller s on day t come from a stream of their own, seeded from the run's key
# (four words drawn once from the run's generator) and (t, rule, s) by splitmix64 chains. So a
# seller's draws never depend on how many other sellers there are or what they did, and a seller
# who never touches anyone changes nobody else's numbers (the stream of s = -1 is the market's).

@kernel
def rule_stream(key, day, rule, s, out):
    """Seed ``out`` (a xoshiro256** state, 4 words) for rule ``rule`` of seller ``s`` on ``day``."""
    words = np.empty(4, dtype=np.uint64)
    for k in range(4):
        x = _splitmix64(key[k] + np.uint64(day))
        x = _splitmix64(x + np.uint64(rule))
        words[k] = _splitmix64(x + np.uint64(s + 1))
    out[:] = seeded(words)
    return out


@kernel
def seller_streams(key, day, rule, n_sellers):
    """The (n_sellers, 4) stream states of one rule's day, one row per seller."""
    states = np.empty((n_sellers, 4), dtype=np.uint64)
    for s in range(n_sellers):
        rule_stream(key, day, rule, s, states[s])
    return states


@kernel
def market_stream(key, day, rule):
    """The stream of a market-wide rule (needs, purchases) on ``day``."""
    return rule_stream(key, day, rule, -1, np.empty(4, dtype=np.uint64))


@kernel
def counter_base(key, day, rule):
    """The base word of a rule's per-person counter draws (:func:`counter_uniform`) on ``day``."""
    return market_stream(key, day, rule)[0]


@kernel
def counter_uniform(base, i, j):
    """U(0, 1], the ``j``-th draw of person ``i`` (j < 2^32) from a rule's ``base`` word.

    A counter-based generator: SplitMix64 (Steele, Lea & Flood 2014) read at position
    i 2^32 + j of the sequence that ``base`` seeds (its output there is the mix of
    base + (position + 1) x golden gamma, a bijection of distinct inputs). So a person's draws need
    no state but a count, and are the same whatever else draws and in whatever order people
    are visited: for a rule that would otherwise keep a stream per person, or draw for a person
    from the streams of whichever sellers happen to reach her first.
    """
    k = (np.uint64(i) << np.uint64(32)) + np.uint64(j)
    z = _splitmix64(base + k * np.uint64(0x9E3779B97F4A7C15))
    return float((z >> np.uint64(11)) + np.uint64(1)) * _U53


@kernel
def stochastic_round_k(x, s):
    """floor(x) + [u < frac(x)]: an integer with mean x (no draw for a whole number)."""
    base = np.floor(x)
    frac = x - base
    return int(base) + (1 if frac > 0.0 and uniform(s) < frac else 0)


@kernel
def powi(x, k):
    """x ** k for an integer k >= 0 by repeated squaring (IEEE products: the same bits everywhere)."""
    r = 1.0
    while k > 0:
        if k & 1:
            r *= x
        x *= x
        k >>= 1
    return r
