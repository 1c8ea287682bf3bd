"""Shared machinery of the docking suite: markets, KPIs, runs over many seeds, and the comparison.

Docking (Axtell et al. 1996) asks whether two implementations of one model are statistically
indistinguishable. Here the vectorised engine (``engine: fast``) and the per-agent Mesa engine
(``engine: reference``) run the same configuration on disjoint seed sets, so the two samples of
each KPI are independent draws (graph and dynamics both vary), and are compared by:

* a Mann-Whitney U test (location) and a two-sample Kolmogorov-Smirnov test (shape) per KPI,
  with Holm's step-down correction over every p-value of the comparison (family-wise error
  rate ``ALPHA``);
* a bound on the standardized difference of means, |d| = |mean_ref - mean_fast| / pooled sd,
  per KPI. The bound is the Bonferroni critical value of d under "no difference", so that a
  false alarm anywhere in the family has probability below ``ALPHA`` too:
  ``d_max = z(1 - ALPHA / (2 m)) * sqrt(1 / n_ref + 1 / n_fast)`` for m KPIs. It is reported
  with every comparison and is the smallest difference the design can rule out.

Both rest on normal approximations (of the U statistic and of the difference of means), which
fail for a KPI whose runs are nearly all tied at one value (a rare event: a contact lost in a
market where losses are rare is 0 in nine runs out of ten). For such a *tie-heavy* KPI (the most
common value in at least ``TIE_HEAVY`` of the pooled runs) both are replaced by permutation
tests with the same error budget: the Mann-Whitney p-value by the permutation p-value of the
rank sum, and the bound on |d| by the permutation p-value of the difference of means, which must
stay above ALPHA / m.

docs/verification.md describes the configurations, sample sizes, tolerances and runtimes.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import warnings
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from scipy import stats

from viralsim.config.schema import RunConfig
from viralsim.model import simulate

#: family-wise error rate of every docking comparison
ALPHA = 0.01
#: a KPI is tie-heavy when its most common value holds at least this share of the pooled runs
TIE_HEAVY = 0.8
#: resamples of the permutation tests of tie-heavy KPIs: a resolution of 5e-6, below the smallest
#: Holm threshold of a full docking (ALPHA / (2 x about 350 KPIs) = 1.4e-5)
PERMUTATIONS = 200_000
#: seed blocks: configuration k runs seeds 1000 k + i on the reference engine and
#: 100_000 + 1000 k + i on the fast engine, so no two samples share a graph
FAST_SEED_OFFSET = 100_000
CONFIG_SEED_BLOCK = 1_000

#: the docked markets: one or two sellers on a small friend-circle graph
CONFIGS: dict[str, dict] = {
    "spam": {"sellers": {"spam": {"strategy": "spam"}}},
    "community": {"sellers": {"community": {"strategy": "community"}}},
    "fission": {"sellers": {"fission": {"strategy": "fission"}}},
    "kol": {"sellers": {"kol": {"strategy": "kol"}}},
    # Moderation: spam folded by frequency, the community seller's few ads by text and image.
    "moderation": {"sellers": {"spam": {"strategy": "spam"}, "community": {"strategy": "community"}},
                   "platform": {"moderation": "harassment_prompt"}},
    "low_quality": {"sellers": {"community": {"strategy": "community", "product": {"quality": 0.2}}}},
    # Two sellers: competing for one need, load spillover, shared attention (the commons).
    "spam+community": {"sellers": {"spam": {"strategy": "spam"}, "community": {"strategy": "community"}}},
    # A spam seller who stops on day 21 (no posts, messages or strangers): her muted contacts'
    # annoyance fades and they unmute (listed last, so the other markets keep their seeds).
    "spam_quiet": {"sellers": {"spam": {"strategy": "spam"}},
                   "events": [{"day": 21, "set": {"sellers": {"spam": {"posts_per_day": 0, "messages_per_day": 0,
                                                                        "strangers_per_day": 0}}}}]},
    # Novelty and face purchases on (both off by default), face strong enough to count: new
    # sellers' ads pull harder for consumers seldom pushed, friends buy out of face.
    "boom": {"sellers": {"spam": {"strategy": "spam"}, "community": {"strategy": "community"}},
             "purchase": {"novelty_boost": 1.0, "face_strong": 0.2, "face_weak": 0.1}},
    # Value for money: a mediocre product, oversold and dear (P(satisfied) = 0.6 - 0.15 - 0.2 ln 1.5
    # = 0.37), so that disappointed contacts break ties (listed last: the others keep their seeds).
    "value": {"sellers": {"community": {"strategy": "community",
                                        "product": {"quality": 0.6, "hype": 0.15, "price": 150.0}}}},
    # Group-buys: groups of three open for two days, so that members' friends' friends join and
    # groups both fill and fail (listed last: the others keep their seeds).
    "group_buy": {"sellers": {"group_buy": {"strategy": "group_buy",
                                            "group_buy": {"enabled": True, "size": 3, "window_days": 2,
                                                          "invite_conversion": 0.5}}},
                  "purchase": {"need_rate": 0.05}},
    # Multi-level resellers with stock-loading: eager recruits (0.6) who load 3 units and give up
    # after 10 days without a sale, so that trees grow past the first level and resellers are
    # loaded within the run (listed last: the others keep their seeds).
    "resell": {"sellers": {"stock_loading": {"strategy": "stock_loading", "reseller_prob": 0.6, "stock_units": 3,
                                             "stock_patience_days": 10}},
               "purchase": {"need_rate": 0.05}},
    # A big-V: an audience of 100 (a third of the quick market) whose pull devalues fast, 3 % per
    # commercial post, so that her brand falls to about a fifth within the 40 days (listed last).
    "big_v": {"sellers": {"big_v": {"strategy": "big_v",
                                    "big_v": {"enabled": True, "audience": 100, "brand_decay": 0.03}}}},
    # Forwarding (off by default) by a community seller's readers: a prize post read is forwarded
    # with 0.3 at open gates, a value post 0.15, an ad 0.03, a friend's forward 0.15, so that
    # cascades reach a second generation and beyond; one seller keeps the reference engine at a
    # third of a second a run (listed last).
    "forward": {"sellers": {"community": {"strategy": "community"}},
                "forward": {"prize_prob": 0.3, "value_prob": 0.15, "ad_prob": 0.03, "forwarded_prob": 0.15}},
    # Ad fatigue (off by default), strong and quick: tolerance halves after 30 pushes read, and the
    # stock's half-life is 30 days, so that the spam seller's tolerant contacts turn away within
    # the 60 days and the community seller meets tired consumers (listed last).
    "fatigue": {"sellers": {"spam": {"strategy": "spam"}, "community": {"strategy": "community"}},
                "ties": {"fatigue_ads": 30.0, "fatigue_half_life": 30.0}},
}

#: end-of-run KPIs per seller (columns of RunResult.summary)
SUMMARY_KPIS = ("purchases", "customers", "repeat_customers", "purchases_wom", "wom_positive", "wom_negative",
                "followers_end", "muted_blocked_share", "mean_trust_end", "mean_annoyance_end", "revenue", "cost",
                "cascades", "cascade_max", "new_followers_purchase", "new_followers_referral", "new_followers_group",
                "ties_strengthened", "ties_weakened", "strong_ties", "weak_ties", "ties_broken", "groups_opened",
                "groups_filled", "groups_failed", "purchases_group_buy", "commission", "loaded_resellers", "forwards",
                "forwards_read", "purchases_forward")
#: run totals of daily flows per seller
FLOW_KPIS = ("exposures_ad", "exposures_value", "reach", "enquiries", "replies", "exposures_reseller",
             "posts_folded")
#: end-of-run stocks per seller from the daily table
STOCK_KPIS = ("group_members", "resellers", "interested", "aware", "reseller_stock", "reseller_depth")
#: points of daily curves per seller: (column, day, cumulative?)
CURVE_POINTS = (("purchases", 10, True), ("purchases", 30, True), ("mean_trust", 10, False),
                ("mean_trust", 30, False), ("muted", 20, False), ("blocked", 30, False),
                ("mean_annoyance", 20, False))
#: days at which a big-V's brand is compared (only the big-V sellers of the config have the KPI)
BRAND_DAYS = (5, 10, 20, 30)
#: market KPIs: (column, day or None for the mean over the run)
MARKET_KPIS = (("platform_activity", None), ("commercial_share", None), ("with_need", None))


@dataclass(frozen=True)
class Market:
    """Size of the docked market."""

    n: int = 400
    days: int = 60


def make_config(name: str, seed: int, engine: str, market: Market = Market()) -> RunConfig:
    spec = json.loads(json.dumps(CONFIGS[name]))
    return RunConfig.model_validate({
        "name": f"dock-{name}", "seed": seed, "days": market.days, "engine": engine,
        "network": {"kind": "friend_circles", "n": market.n}, **spec,
    })


def kpis(result) -> dict[str, float]:
    """The compared numbers of one run, keyed ``seller.kpi`` (and ``market.kpi``)."""
    out: dict[str, float] = {}
    days = result.daily["day"].max()
    for _, row in result.summary.iterrows():
        name = row["seller"]
        for k in SUMMARY_KPIS:
            out[f"{name}.{k}"] = float(row[k])
        g = result.daily[result.daily["seller"] == name].sort_values("day")
        for k in FLOW_KPIS:
            out[f"{name}.{k}"] = float(g[k].sum())
        last = g.iloc[-1]
        for k in STOCK_KPIS:
            out[f"{name}.{k}"] = float(last[k])
        for col, day, cumulative in CURVE_POINTS:
            if day <= days:
                values = g[col].to_numpy(float)
                out[f"{name}.{col}{'_cum' if cumulative else ''}@{day}"] = float(
                    values[:day].sum() if cumulative else values[day - 1])
    for name, spec in result.config.sellers.items():
        if not spec.resolved.big_v.enabled:
            continue            # (the other sellers' brand stays at 1)
        # a big-V's brand: its path, days 5, 10, 20 and 30
        g = result.daily[result.daily["seller"] == name].sort_values("day")
        for day in BRAND_DAYS:
            if day <= days:
                out[f"{name}.brand@{day}"] = float(g["brand"].to_numpy(float)[day - 1])
    for col, day in MARKET_KPIS:
        out[f"market.{col}"] = float(result.market[col].mean() if day is None else result.market[col].iloc[day - 1])
    return out


def _one(args) -> dict[str, float]:
    name, seed, engine, market = args
    return kpis(simulate(make_config(name, seed, engine, market)))


def workers() -> int:
    """Processes for running seeds (VIRALSIM_DOCKING_WORKERS, default: the CPU count, at most 8)."""
    return max(1, int(os.environ.get("VIRALSIM_DOCKING_WORKERS", min(8, os.cpu_count() or 1))))


def run_many(jobs: list[tuple]) -> list[dict[str, float]]:
    """KPIs of each (config name, seed, engine, market) job, in parallel processes when allowed."""
    if workers() == 1 or len(jobs) < 4:
        return [_one(j) for j in jobs]
    # fork: the workers inherit the parent's modules, including a rule patched by a power test.
    with ProcessPoolExecutor(max_workers=workers(), mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_one, jobs, chunksize=2))


def run_sample(name: str, engine: str, n_runs: int, market: Market = Market()) -> tuple[dict, ...]:
    """KPIs of ``n_runs`` seeds of one engine (not cached: used under a patched, broken rule)."""
    return tuple(run_many([(name, seed, engine, market) for seed in seeds(name, engine, n_runs)]))


@cache
def sample(name: str, engine: str, n_runs: int, market: Market = Market()) -> tuple[dict, ...]:
    """KPIs of ``n_runs`` seeds of one engine with the rules as they are (cached for the session)."""
    return run_sample(name, engine, n_runs, market)


def seeds(name: str, engine: str, n_runs: int) -> list[int]:
    """Seeds of one engine's sample of configuration ``name`` (disjoint across engines and configs)."""
    base = (FAST_SEED_OFFSET if engine == "fast" else 0) + CONFIG_SEED_BLOCK * list(CONFIGS).index(name)
    return [base + i for i in range(n_runs)]


def as_arrays(runs) -> dict[str, np.ndarray]:
    keys = sorted(set().union(*(r.keys() for r in runs)))
    return {k: np.array([r.get(k, np.nan) for r in runs], dtype=float) for k in keys}


@dataclass
class KpiTest:
    """Comparison of one KPI between the engines."""

    config: str
    kpi: str
    mean_ref: float
    mean_fast: float
    sd_pooled: float
    d: float                       # standardized difference of means (ref - fast) / pooled sd
    p_mw: float                    # Mann-Whitney U, two-sided
    p_ks: float                    # Kolmogorov-Smirnov, two-sided
    reject_mw: bool = False
    reject_ks: bool = False
    d_max: float = np.inf
    constant: bool = False
    p_mean: float = np.nan         # tie-heavy KPIs: permutation p of the difference of means
    p_bound: float = 0.0           # ... which must stay above this (ALPHA / m)

    @property
    def tie_heavy(self) -> bool:
        return not np.isnan(self.p_mean)

    @property
    def beyond_bound(self) -> bool:
        return self.p_mean <= self.p_bound if self.tie_heavy else abs(self.d) > self.d_max

    @property
    def failed(self) -> bool:
        return self.reject_mw or self.reject_ks or self.beyond_bound


@dataclass
class Docking:
    """All KPI comparisons of one docking run, with Holm's correction and the effect bound applied."""

    tests: list[KpiTest]
    n_ref: int
    n_fast: int
    alpha: float
    d_max: float
    notes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[KpiTest]:
        return [t for t in self.tests if t.failed]

    @property
    def passed(self) -> bool:
        return not self.failures

    def report(self, limit: int = 15) -> str:
        live = [t for t in self.tests if not t.constant]
        p = np.array([t.p_mw for t in live])
        head = (f"docking: {len(self.tests)} KPIs, n_ref={self.n_ref}, n_fast={self.n_fast}, "
                f"FWER {self.alpha}, |d| bound {self.d_max:.3f}; {len(self.failures)} failed; "
                f"max |d| {max((abs(t.d) for t in live), default=0):.2f}, "
                f"min p {min((min(t.p_mw, t.p_ks) for t in live), default=1):.1e}, "
                f"share of Mann-Whitney p < 0.05: {np.mean(p < 0.05) if len(p) else 0:.3f}")
        lines = [head]
        worst = sorted(self.tests, key=lambda t: (not t.failed, min(t.p_mw, t.p_ks)))[:limit]
        for t in worst:
            perm = f" (tie-heavy: permutation p_mw, p_mean {t.p_mean:.1e})" if t.tie_heavy else ""
            lines.append(f"  {'FAIL' if t.failed else 'ok  '} {t.config:15s} {t.kpi:38s} ref {t.mean_ref:10.4g} "
                         f"fast {t.mean_fast:10.4g} d {t.d:+.2f} p_mw {t.p_mw:.1e} p_ks {t.p_ks:.1e}{perm}")
        return "\n".join(lines + self.notes)


def holm(pvalues: np.ndarray, alpha: float) -> np.ndarray:
    """Holm's step-down procedure: which hypotheses are rejected at family-wise error rate alpha."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    reject = np.zeros(len(p), dtype=bool)
    m = len(p)
    for rank, i in enumerate(order):
        if p[i] <= alpha / (m - rank):
            reject[i] = True
        else:
            break
    return reject


def is_tie_heavy(a: np.ndarray, b: np.ndarray) -> bool:
    """The most common value holds at least TIE_HEAVY of the pooled runs."""
    _, counts = np.unique(np.concatenate([a, b]), return_counts=True)
    return counts.max() >= TIE_HEAVY * (len(a) + len(b))


def _mean_gap(x, y, axis=-1):
    """|mean(x) - mean(y)|: a two-sided statistic, so a one-tailed ("greater") permutation p."""
    return np.abs(np.mean(x, axis=axis) - np.mean(y, axis=axis))


def permutation_pvalues(a: np.ndarray, b: np.ndarray, key: str,
                        resamples: int = PERMUTATIONS) -> tuple[float, float]:
    """Two-sided permutation p-values (scipy.stats.permutation_test, (hits + 1) / (resamples + 1),
    exact when the splits are fewer than ``resamples``) of the rank sum (Mann-Whitney, midranks)
    and of the difference of means of samples ``a`` and ``b``, from a generator seeded by ``key``
    (the same KPI gets the same p-values every time)."""
    ranks = stats.rankdata(np.concatenate([a, b]))
    out = []
    for j, (x, y) in enumerate(((ranks[:len(a)], ranks[len(a):]), (a, b))):
        res = stats.permutation_test((x, y), _mean_gap, permutation_type="independent", vectorized=True,
                                     n_resamples=resamples, alternative="greater", batch=10_000,
                                     rng=np.random.default_rng([zlib.crc32(key.encode()), j]))
        out.append(float(res.pvalue))
    return out[0], out[1]


def effect_bound(n_ref: int, n_fast: int, m: int, alpha: float = ALPHA) -> float:
    """Bonferroni critical |d| for m KPIs: z(1 - alpha/(2m)) sqrt(1/n_ref + 1/n_fast)."""
    return float(stats.norm.ppf(1.0 - alpha / (2 * max(m, 1))) * np.sqrt(1.0 / n_ref + 1.0 / n_fast))


def compare(samples: dict[str, tuple[list[dict], list[dict]]], alpha: float = ALPHA) -> Docking:
    """Compare reference and fast samples of every configuration in ``samples`` as one family."""
    tests: list[KpiTest] = []
    n_ref = n_fast = 0
    notes = []
    for config, (ref_runs, fast_runs) in samples.items():
        ref, fast = as_arrays(ref_runs), as_arrays(fast_runs)
        n_ref, n_fast = len(ref_runs), len(fast_runs)
        for kpi in sorted(set(ref) | set(fast)):
            a, b = ref.get(kpi), fast.get(kpi)
            if a is None or b is None:
                notes.append(f"  {config}.{kpi}: recorded by one engine only")
                tests.append(KpiTest(config, kpi, np.nan, np.nan, np.nan, np.inf, 0.0, 0.0))
                continue
            a, b = a[np.isfinite(a)], b[np.isfinite(b)]
            if len(a) < 3 or len(b) < 3:
                continue   # e.g. cascade statistics undefined in most runs
            sd = np.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2))
            if sd == 0:
                same = a[0] == b[0]
                tests.append(KpiTest(config, kpi, a.mean(), b.mean(), 0.0, 0.0 if same else np.inf,
                                     1.0 if same else 0.0, 1.0 if same else 0.0, constant=True))
                continue
            d = (a.mean() - b.mean()) / sd
            with warnings.catch_warnings():
                # ks_2samp falls back from the exact to the asymptotic p-value with a warning.
                warnings.simplefilter("ignore", RuntimeWarning)
                p_mw = stats.mannwhitneyu(a, b, alternative="two-sided").pvalue
                p_ks = stats.ks_2samp(a, b).pvalue
            p_mean = np.nan
            if is_tie_heavy(a, b):
                p_mw, p_mean = permutation_pvalues(a, b, f"{config}.{kpi}")
            tests.append(KpiTest(config, kpi, a.mean(), b.mean(), sd, d, p_mw, p_ks, p_mean=p_mean))
    live = [t for t in tests if not t.constant]
    d_max = effect_bound(n_ref, n_fast, len(live), alpha)
    if live:
        rejected = holm(np.array([p for t in live for p in (t.p_mw, t.p_ks)]), alpha)
        for i, t in enumerate(live):
            t.reject_mw, t.reject_ks = bool(rejected[2 * i]), bool(rejected[2 * i + 1])
            t.d_max = d_max
            t.p_bound = alpha / len(live)
    for t in tests:
        if t.constant and not np.isfinite(t.d):
            t.reject_mw = t.reject_ks = True
    return Docking(tests, n_ref, n_fast, alpha, d_max, notes)


def dock(names, n_ref: int, n_fast: int, market: Market = Market(), alpha: float = ALPHA) -> Docking:
    """Run (cached) and compare the named configurations as one family."""
    return compare({name: (list(sample(name, "reference", n_ref, market)), list(sample(name, "fast", n_fast, market)))
                    for name in names}, alpha)
