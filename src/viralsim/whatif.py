"""What-if comparisons for strategists: an experiment of alternatives, judged in plain words.

``viralsim whatif CONFIG --set sellers.me.posts_per_day=10,3`` runs every alternative on the
same replicate markets and compares each with the first one (the baseline), for one seller.

How alternatives are formed
---------------------------
Each ``--set KEY=V1,V2,...`` is a factor with levels ``V1, V2, ...`` (each level is YAML, so
``{enabled: true, invites_per_day: 3}`` is one level: commas inside brackets, braces or quotes do
not split). Several factors form a full grid (every combination), in the order given, the last
factor varying fastest. A ``--set`` with a single value applies to every alternative. The
**baseline** is the first alternative: the first level of every factor.

The experiment behind it
------------------------
A what-if is an ordinary experiment of :mod:`viralsim.experiment`, so that it shares the
stack's seeds, executors, results folder, resume and validation instead of keeping its own:

* the base is the config with ``--days`` and every single-valued ``--set`` applied;
* the factors with two or more levels form a ``grid`` design, one design point per
  alternative in the order above (point 0 is the baseline);
* ``common_random_numbers`` is on: replicate ``r`` of every alternative runs with the same
  seed, derived from the config's seed by :func:`viralsim.experiment.seeds.run_seed`
  (SeedSequence), hence the same friend network, seller placement and random stream.
  Differences within a replicate are then caused by the change, not by the luck of the draw,
  and comparisons use the *paired* differences ``d_r = KPI(alternative, r) - KPI(baseline, r)``.

:func:`run` hands it to :func:`viralsim.experiment.sweep.run_sweep` (any executor: processes,
serial, Dask) and reads the seller's KPIs back from the results folder; :func:`write` adds a
``whatif/`` folder (verdicts, forest plot, per-replicate KPIs) inside it. The same experiment
run by ``viralsim sweep <folder>/experiment.yaml`` gives the same numbers.

Statistics
----------
* Per alternative and KPI: the mean over replicates with the stack's 95 % interval
  (:func:`viralsim.results.stats.ci_stats` with the column dictionary's bounds, so counts and
  trust keep within what they can be).
* Per alternative against the baseline: the mean paired difference with a 95 % Student-t
  interval (``R - 1`` degrees of freedom; :func:`viralsim.results.stats.interval` without
  bounds), also relative to the baseline mean (the interval divided by that mean, which treats
  it as known). A difference whose interval covers 0 is *not distinguishable from noise*.
* Numbers are shown to the precision their interval allows (the first significant digit of the
  half-width); ratios ("1.9x fewer blocks") to 2 significant figures, and only when both means
  are at least :data:`TINY` events: "334 vs 1" is a difference of 333 blocks, not "279x".
* Power: for a difference not distinguishable from noise, the number of replicates a paired
  t-test (two-sided, 5 %) needs to detect a change of ``effect`` (default 10 %) of the baseline
  mean with 80 % power, given the spread of the paired differences seen here
  (:func:`replicates_needed`: the noncentral t distribution, ``scipy.stats.nct``).
* The default of :data:`DEFAULT_REPLICATES` replicates is the smallest number with which a
  paired t-test detects a change of 0.8 standard deviations of the paired differences
  (Cohen's "large" effect) with 80 % power; 10 detects it only 62 % of the time.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from viralsim import folders
from viralsim.config.load import ConfigError, load_config
from viralsim.config.messages import yaml_line
from viralsim.config.yamlio import YamlProblem, load_yaml
from viralsim.experiment.spec import Experiment, experiment_from_dict
from viralsim.experiment.sweep import run_sweep
from viralsim.results import columns, sweep_folder
from viralsim.results.stats import ci_stats, interval

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from viralsim.config.schema import RunConfig
    from viralsim.experiment.sweep import SweepOutcome

__all__ = [
    "KPIS",
    "HEADLINE",
    "DEFAULT_REPLICATES",
    "DEFAULT_EFFECT",
    "TINY",
    "WhatIfFactor",
    "Alternative",
    "WhatIf",
    "WhatIfResult",
    "parse_factor",
    "split_levels",
    "plan",
    "run",
    "whatif",
    "write",
    "check_out",
    "markdown",
    "plot",
    "forest_figure",
    "describe_change",
    "replicates_needed",
    "currency",
    "MAX_ALTERNATIVES",
]

#: the signature kind of the ``whatif/`` folder inside the results folder (:mod:`viralsim.folders`)
KIND = "whatif"
#: the what-if's own folder inside the experiment results folder
SUBFOLDER = "whatif"

#: KPIs compared, as (summary column, name in sentences and tables, kind); kind sets formatting
KPIS: tuple[tuple[str, str, str], ...] = (
    ("purchases", "sales", "count"),
    ("revenue", "revenue", "money"),
    ("profit", "profit", "money"),
    ("customers", "buyers", "count"),
    ("followers_end", "followers", "count"),
    ("muted", "muted", "count"),
    ("blocked", "blocks", "count"),
    ("mean_trust_end", "end trust", "share"),
)
#: the KPIs of the verdict sentences and of the forest plot, in their order
HEADLINE = ("purchases", "profit", "blocked", "mean_trust_end", "followers_end")

#: most alternatives one what-if may form (a grid grows fast)
MAX_ALTERNATIVES = 64
#: replicates per alternative by default: the smallest number with which a two-sided paired
#: t-test at 5 % detects a change of 0.8 standard deviations of the paired differences with
#: 80 % power (:func:`replicates_needed` ``(0.8, 1.0)``; a test keeps the two equal)
DEFAULT_REPLICATES = 15
#: the relative change the power hint is about (10 % of the baseline mean)
DEFAULT_EFFECT = 0.10
#: power and level of the power hint
POWER = 0.8
ALPHA = 0.05
#: a count whose mean is below this many events is compared by differences, not ratios
TINY = 5.0
#: the power hint says "more than this" rather than a number
MAX_HINT = 100_000
#: a ratio is shown ("1.9x fewer") from this factor on; below it, a percentage
RATIO_FROM = 1.5

_NOT_A_FACTOR = {"seed": "replicate r of every alternative gets a seed derived from the config's seed; change "
                         "the config's seed instead",
                 "name": "the name only labels the output"}
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


# ---------------------------------------------------------------------------------------------
# Factors and alternatives
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIfFactor:
    """One ``--set KEY=V1,V2,...``: a dotted path and its levels (raw YAML text and parsed value)."""

    key: str
    raw: tuple[str, ...]
    values: tuple[Any, ...]

    @property
    def varies(self) -> bool:
        return len(self.raw) > 1


@dataclass(frozen=True)
class Alternative:
    """One combination of levels (one design point of the experiment), with its validated config."""

    index: int
    label: str
    settings: tuple[tuple[str, Any], ...]  # (key, value) of the factors that vary
    overrides: tuple[str, ...]  # KEY=VALUE of every factor
    config: RunConfig = field(repr=False)


@dataclass(frozen=True)
class WhatIf:
    """A validated what-if: the alternatives, the seller whose KPIs are compared, the replicates,
    and the experiment that runs them."""

    source: str
    name: str
    seller: str
    factors: tuple[WhatIfFactor, ...]
    alternatives: tuple[Alternative, ...]
    replicates: int
    base_seed: int
    experiment: Experiment = field(repr=False)

    @property
    def baseline(self) -> Alternative:
        return self.alternatives[0]

    def seeds(self) -> list[int]:
        """The seed of replicate 0, 1, ...: the same for every alternative (common random numbers)."""
        return [self.experiment.runs[r].seed for r in range(self.replicates)]

    def default_out(self, root: str | Path = "results") -> Path:
        """``<root>/whatif-<name>/seed<seed>-<fingerprint[:8]>``: the experiment's results folder,
        so that the same what-if always maps to the same folder and re-running resumes it."""
        return self.experiment.default_out(root)

    def seller_title(self) -> str:
        """The seller and, when every alternative gives her the same one, her strategy preset:
        ``rival (community)``."""
        strategy = getattr(self.baseline.config.sellers.get(self.seller), "strategy", None)
        varied = any(f.varies and f.key == f"sellers.{self.seller}.strategy" for f in self.factors)
        return f"{self.seller} ({strategy})" if isinstance(strategy, str) and not varied else self.seller


def split_levels(text: str) -> list[str]:
    """Split ``V1,V2,...`` at the commas that are not inside brackets, braces or quotes."""
    levels, depth, quote, start = [], 0, None, 0
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            levels.append(text[start:i])
            start = i + 1
    levels.append(text[start:])
    return [lv.strip() for lv in levels]


def parse_factor(item: str) -> WhatIfFactor:
    """``KEY=V1,V2,...`` as a :class:`WhatIfFactor`; :class:`ConfigError` for malformed input."""
    key, sep, rest = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {item!r}: expected KEY=VALUE[,VALUE...], e.g. sellers.me.posts_per_day=3,10")
    if any(not part for part in key.split(".")):
        raise ConfigError(f"--set {item!r}: {key!r} is not a dotted path such as sellers.me.posts_per_day")
    if key in _NOT_A_FACTOR:
        raise ConfigError(f"--set {item!r}: {key} cannot be varied in a what-if: {_NOT_A_FACTOR[key]}")
    raw = split_levels(rest)
    if any(not lv for lv in raw):
        raise ConfigError(f"--set {item!r}: empty level; levels are separated by single commas, e.g. {key}=3,10")
    values = []
    for lv in raw:
        try:
            # the reader of --set values (number forms such as 1e-5, size and depth limits)
            values.append(load_yaml(lv))
        except YamlProblem as exc:
            raise ConfigError(f"--set {item!r}: the level {lv!r} is not valid YAML ({exc})") from None
    seen = set()
    for lv, value in zip(raw, values):
        marker = yaml_line(value)
        if marker in seen:
            raise ConfigError(f"--set {item!r}: the level {lv!r} is given twice")
        seen.add(marker)
    return WhatIfFactor(key, tuple(raw), tuple(values))


def plan(
    config: str | Path,
    sets: Sequence[str],
    *,
    replicates: int = DEFAULT_REPLICATES,
    days: int | None = None,
    seller: str | None = None,
) -> WhatIf:
    """Validate a what-if completely, and build its experiment, before anything runs.

    Parameters
    ----------
    config : path of the YAML config
    sets : the ``--set`` arguments (``KEY=V1,V2,...``)
    replicates : replicate markets per alternative (>= 1)
    days : replaces the config's horizon
    seller : seller whose KPIs are compared; default the seller named by the first
        ``--set sellers.NAME...`` with two or more levels, else by the first single-valued one,
        else the config's first seller

    Raises
    ------
    ConfigError
        One-line message: a malformed ``--set``, an unknown path or seller (with a did-you-mean),
        a level the schema refuses (e.g. not a number), an unknown preset, nothing to compare,
        too many alternatives, or ``replicates < 1``.
    """
    source = str(config)
    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 1:
        raise ConfigError(f"--replicates must be a whole number >= 1, got {replicates!r}")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
        raise ConfigError(f"--days must be a whole number >= 1, got {days!r}")
    extra = [f"days={days}"] if days is not None else []
    base = load_config(config, overrides=extra)
    factors = tuple(parse_factor(item) for item in sets)
    keys = [f.key for f in factors]
    for key in keys:
        if keys.count(key) > 1:
            raise ConfigError(f"--set {key} is given more than once; put all its levels in one --set {key}=A,B")
    names = list(base.sellers)
    for f in factors:
        parts = f.key.split(".")
        if parts[0] == "sellers" and len(parts) > 1 and parts[1] not in names:
            close = difflib.get_close_matches(parts[1], names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; sellers: {', '.join(names)}"
            raise ConfigError(f"--set {f.key}: {source} has no seller {parts[1]!r}{hint}")
    if not any(f.varies for f in factors):
        raise ConfigError(
            "nothing to compare: give at least one --set with two or more comma-separated levels, "
            "e.g. --set sellers.NAME.posts_per_day=10,3"
        )
    n_alt = math.prod(len(f.raw) for f in factors)
    if n_alt > MAX_ALTERNATIVES:
        raise ConfigError(f"the --set levels form {n_alt} alternatives; at most {MAX_ALTERNATIVES} are allowed")

    if seller is None:
        ordered = [f for f in factors if f.varies] + [f for f in factors if not f.varies]
        named = [f.key.split(".")[1] for f in ordered if f.key.startswith("sellers.")]
        seller = named[0] if named else names[0]
    elif seller not in names:
        close = difflib.get_close_matches(seller, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"--seller {seller!r}: {source} has no such seller (sellers: {', '.join(names)}){hint}")

    # Every alternative is loaded as `viralsim run CONFIG --set ...` would load it, so that a bad
    # level is reported as the --set it came from (the experiment would name its design factor).
    alternatives = []
    for i, combo in enumerate(itertools.product(*[range(len(f.raw)) for f in factors])):
        overrides = tuple(f"{f.key}={f.raw[j]}" for f, j in zip(factors, combo))
        cfg = load_config(config, overrides=[*extra, *overrides])
        settings = tuple((f.key, f.values[j]) for f, j in zip(factors, combo) if f.varies)
        label = ", ".join(_label(k, v, seller) for k, v in settings)
        alternatives.append(Alternative(i, label, settings, overrides, cfg))
    fixed = [f"{f.key}={f.raw[0]}" for f in factors if not f.varies]
    experiment = _experiment(source, load_config(config, overrides=[*extra, *fixed]),
                             [f for f in factors if f.varies], replicates, seller)
    return WhatIf(source, base.name, seller, factors, tuple(alternatives), replicates, base.seed, experiment)


def _experiment(source: str, base: RunConfig, varying: list[WhatIfFactor], replicates: int,
                seller: str) -> Experiment:
    """The experiment of a what-if: the base config inlined, a grid design over the factors that
    vary (the last fastest, as the alternatives are numbered), common random numbers on.

    The seller compared goes into the description only, which the fingerprint leaves out: the
    same alternatives compared for another seller reuse the same results folder."""
    data = {
        "name": "whatif-" + (_NAME_CHARS.sub("_", base.name).strip("._-") or "run"),
        "description": f"viralsim whatif of {Path(source).name}, seller {seller}: "
                       + "; ".join(f"{f.key} = {', '.join(f.raw)}" for f in varying),
        "base": base.model_dump(mode="json"),
        "seed": base.seed,
        "common_random_numbers": True,
        "replicates": replicates,
        "design": {"kind": "grid", "factors": {f.key: {"levels": list(f.values)} for f in varying}},
    }
    return experiment_from_dict(data, source=source, base_dir=Path(source).parent)


def _label(key: str, value: Any, seller: str) -> str:
    """Short label of one setting: ``posts_per_day=3``, ``groups on``."""
    short = _short(key, seller)
    if key.endswith("groups") and isinstance(value, dict) or key.endswith("groups.enabled"):
        on = bool(value.get("enabled")) if isinstance(value, dict) else bool(value)
        return f"{short.removesuffix('.enabled')} {'on' if on else 'off'}"
    return f"{short}={_show(value)}"


def _short(key: str, seller: str) -> str:
    prefix = f"sellers.{seller}."
    return key[len(prefix):] if key.startswith(prefix) else key


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return yaml_line(value)
    return str(value)


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIfResult:
    """Per-replicate KPIs of every alternative, and the comparisons drawn from them.

    Attributes
    ----------
    spec : the :class:`WhatIf` that ran
    runs : DataFrame, one row per (alternative, replicate) that ran: ``alternative, label,
        replicate, seed`` and one column per KPI (see :data:`KPIS`)
    out_dir : the experiment's results folder (None when :func:`run` used a temporary one)
    outcome : what the sweep did (runs skipped because done before, run now, failed)
    effect : the relative change the power hint is about
    """

    spec: WhatIf
    runs: pd.DataFrame
    out_dir: Path | None = None
    outcome: SweepOutcome | None = field(default=None, repr=False)
    effect: float = DEFAULT_EFFECT

    @property
    def currency(self) -> str:
        return currency()

    def means(self) -> pd.DataFrame:
        """Mean and 95 % CI per (alternative, KPI), with the stack's bounded intervals.

        Columns ``alternative, label, kpi, column, n, mean, lo, hi``.
        """
        cols = [c for c, _, _ in KPIS]
        stats = ci_stats(self.runs, ["alternative"], cols, bounds={c: columns.bounds("summary", c) for c in cols})
        names = {c: name for c, name, _ in KPIS}
        labels = {a.index: a.label for a in self.spec.alternatives}
        rows = []
        for alt in self.spec.alternatives:
            for col in cols:
                hit = stats[(stats["alternative"] == alt.index) & (stats["metric"] == col)]
                n, m, lo, hi = ((int(hit["n"].iloc[0]), *(float(hit[k].iloc[0]) for k in ("mean", "ci_low", "ci_high")))
                                if len(hit) else (0, math.nan, math.nan, math.nan))
                rows.append({"alternative": alt.index, "label": labels[alt.index], "kpi": names[col], "column": col,
                             "n": n, "mean": m, "lo": lo, "hi": hi})
        return pd.DataFrame(rows)

    def differences(self) -> pd.DataFrame:
        """Paired differences against the baseline, per (alternative, KPI).

        Columns ``seller, alternative, label, kpi, column, kind, n, base, alt, diff, sd, lo, hi,
        rel, rel_lo, rel_hi, distinguishable, needed``: ``n`` replicates paired (those that ran for
        both), ``sd`` the standard deviation of the paired differences, relative values NaN when
        the baseline mean is 0, ``distinguishable`` None with fewer than 2 pairs, ``needed`` the
        replicates a paired t-test needs to detect a change of ``effect`` of the baseline mean
        with 80 % power (filled only where the difference is not distinguishable; NaN where no
        relative change makes sense, -1 for more than :data:`MAX_HINT`).
        """
        base = self.runs[self.runs["alternative"] == 0].set_index("replicate")
        rows = []
        for alt in self.spec.alternatives[1:]:
            sub = self.runs[self.runs["alternative"] == alt.index].set_index("replicate")
            reps = base.index.intersection(sub.index).sort_values()
            for col, name, kind in KPIS:
                b = base.loc[reps, col].to_numpy(float)
                a = sub.loc[reps, col].to_numpy(float)
                rows.append({"seller": self.spec.seller, "alternative": alt.index, "label": alt.label, "kpi": name,
                             "column": col, "kind": kind, **_paired(a, b, kind, self.effect)})
        return pd.DataFrame(rows)

    def verdict_parts(self) -> dict[int, dict[str, str]]:
        """Per alternative (index): the phrase of each headline KPI (:data:`HEADLINE`), by column."""
        diffs = self.differences()
        out = {}
        for alt in self.spec.alternatives[1:]:
            sub = diffs[diffs["alternative"] == alt.index].set_index("column")
            out[alt.index] = {col: _phrase_kpi(sub.loc[col], self.currency, self.effect) for col in HEADLINE}
        return out

    def verdicts(self) -> list[str]:
        """One plain-language sentence per alternative against the baseline, naming the seller."""
        parts = self.verdict_parts()
        out = []
        for alt in self.spec.alternatives[1:]:
            change = describe_change(alt, self.spec.baseline, self.spec.seller)
            body = "; ".join(parts[alt.index][col] for col in HEADLINE)
            out.append(f"{self.spec.seller} ({alt.label}): {change}: {body}.")
        return out

    def table(self) -> str:
        """The side-by-side KPI table as fixed-width text (mean and 95 % CI per alternative);
        every line names the seller, money lines the currency."""
        headers, body = self._table_cells()
        widths = [max(len(row[i]) for row in [headers, *body]) for i in range(len(headers))]
        lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths)))]
        lines.append("  ".join("-" * w for w in widths))
        for row in body:
            lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        return "\n".join(lines)

    def _table_cells(self) -> tuple[list[str], list[list[str]]]:
        means = self.means()
        headers = [f"{self.spec.seller}: KPI"] + [_alt_header(a) for a in self.spec.alternatives]
        body = []
        for col, name, kind in KPIS:
            cells = [f"{self.spec.seller}: {_kpi_title(name, kind, self.currency)}"]
            for alt in self.spec.alternatives:
                r = means[(means["alternative"] == alt.index) & (means["column"] == col)].iloc[0]
                cells.append(_cell(r["mean"], r["lo"], r["hi"], kind))
            body.append(cells)
        return headers, body


def _paired(a: np.ndarray, b: np.ndarray, kind: str, effect: float) -> dict:
    """The paired comparison of one KPI: alternative values ``a``, baseline values ``b``."""
    d = a - b
    n = len(d)
    nan = math.nan
    mean = float(np.mean(d)) if n else nan
    sd = float(np.std(d, ddof=1)) if n > 1 else nan
    if n > 1 and sd <= 1e-12 * max(1.0, abs(mean)):
        sd = 0.0  # the same shift in every replicate, up to rounding: an interval of width 0
    if n > 1:
        lo_a, hi_a = interval(np.array([mean]), np.array([sd]), np.array([n]))
        lo, hi = float(lo_a[0]), float(hi_a[0])
    else:
        lo = hi = nan
    bm = float(np.mean(b)) if n else nan
    am = float(np.mean(a)) if n else nan
    rel, rel_lo, rel_hi = (mean / bm, lo / bm, hi / bm) if n and bm != 0 else (nan, nan, nan)
    dist = None if n < 2 else bool(lo > 0 or hi < 0)
    needed = nan
    if dist is False and sd > 0 and _relative_makes_sense(bm, kind):
        found = replicates_needed(effect * abs(bm), sd)
        needed = float(found) if found is not None else -1.0
    return {"n": n, "base": bm, "alt": am, "diff": mean, "sd": sd, "lo": lo, "hi": hi, "rel": rel,
            "rel_lo": rel_lo, "rel_hi": rel_hi, "distinguishable": dist, "needed": needed}


def _relative_makes_sense(base_mean: float, kind: str) -> bool:
    """A change relative to the baseline needs a baseline of some size: at least :data:`TINY`
    events for counts, above 0 for money (a loss has no "10 % more"), any trust above 0."""
    if not math.isfinite(base_mean):
        return False
    if kind == "count":
        return base_mean >= TINY
    return base_mean > 0


def replicates_needed(effect: float, sd: float, *, power: float = POWER, alpha: float = ALPHA,
                      limit: int = MAX_HINT) -> int | None:
    """Replicates a two-sided paired t-test at level ``alpha`` needs to detect a true mean
    difference ``effect`` with probability ``power``, when the paired differences have standard
    deviation ``sd``; None if more than ``limit``.

    The power of ``n`` pairs is ``P(|T| > t(1 - alpha/2, n - 1))`` with ``T`` noncentral t with
    ``n - 1`` degrees of freedom and noncentrality ``effect / sd * sqrt(n)`` (``scipy.stats.nct``;
    statsmodels' ``TTestPower`` computes the same, but is no dependency of viralsim). The search
    starts just below the normal approximation ``((z(1 - alpha/2) + z(power)) sd / effect)^2``,
    which the t-test's answer never undercuts, and steps up.
    """
    if not (effect > 0 and sd > 0 and math.isfinite(effect) and math.isfinite(sd)):
        raise ValueError(f"effect and sd must be positive and finite, got effect={effect!r}, sd={sd!r}")
    from scipy import stats  # lazy: ~0.5 s to import, and only a difference lost in noise needs it

    d = effect / sd
    z = float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    approx = (z / d) ** 2
    if approx > limit:
        return None
    n = max(2, math.floor(approx) - 2)
    while n <= limit:
        crit = float(stats.t.ppf(1 - alpha / 2, n - 1))
        nc = d * math.sqrt(n)
        if float(stats.nct.sf(crit, n - 1, nc) + stats.nct.cdf(-crit, n - 1, nc)) >= power:
            return n
        n += 1
    return None


def run(
    spec: WhatIf,
    out: str | Path | None = None,
    *,
    executor: str | Executor = "processes",
    workers: int | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    restart: bool = False,
    allow_code_change: bool = False,
    progress: bool = True,
    effect: float = DEFAULT_EFFECT,
) -> WhatIfResult:
    """Run the what-if's experiment into its results folder and read the seller's KPIs back.

    Parameters
    ----------
    spec : from :func:`plan`
    out : the results folder; a folder of the same what-if is resumed (only the runs not done
        yet run). None: a temporary folder, removed once the KPIs are read (for notebooks).
    executor, workers, scheduler, restart, allow_code_change : as for
        :func:`viralsim.experiment.sweep.run_sweep`; results do not depend on the executor or
        the worker count
    jobs : the same as ``workers`` (its earlier name)
    progress : show a progress bar on stderr
    effect : relative change the power hint is about (0.10: 10 % of the baseline mean)

    Raises
    ------
    viralsim.results.sweep_folder.ResultsError
        If ``out`` cannot be used (someone else's files, another experiment without
        ``restart``, results of other code, a damaged folder); nothing is run then.
    """
    workers = workers if workers is not None else jobs
    if out is None:
        with tempfile.TemporaryDirectory(prefix="viralsim-whatif-") as tmp:
            result = run(spec, Path(tmp) / "results", executor=executor, workers=workers, scheduler=scheduler,
                         progress=progress, effect=effect)
        return WhatIfResult(spec, result.runs, None, result.outcome, effect)
    out = Path(out)
    outcome = run_sweep(spec.experiment, out, executor=executor, workers=workers, scheduler=scheduler,
                        restart=restart, allow_code_change=allow_code_change, progress=progress)
    return WhatIfResult(spec, _seller_runs(spec, out), out, outcome, effect)


def _seller_runs(spec: WhatIf, out: Path) -> pd.DataFrame:
    """The seller's KPIs per (alternative, replicate), from the folder's summary table (failed runs
    have no rows there); from the committed parts if the merged tables are missing (the sweep did
    not complete), so that what did run can still be compared."""
    try:
        summary = sweep_folder.read_results(out).summary
    except sweep_folder.ResultsError:
        chunks = sorted(sweep_folder.committed_chunks(out))
        paths = [sweep_folder.chunk_dir(out, c) / "summary.parquet" for c in chunks]
        paths = [p for p in paths if p.is_file()]
        summary = sweep_folder.read_parts(paths) if paths else pd.DataFrame(
            columns=["point", "replicate", "seed", "seller", *(c for c, _, _ in KPIS)])
    rows = summary[summary["seller"] == spec.seller]
    labels = {a.index: a.label for a in spec.alternatives}
    df = pd.DataFrame({
        "alternative": rows["point"].astype("int64").to_numpy(),
        "replicate": rows["replicate"].astype("int64").to_numpy(),
        "seed": rows["seed"].astype("int64").to_numpy(),
        **{c: rows[c].astype("float64").to_numpy() for c, _, _ in KPIS},
    })
    df.insert(1, "label", df["alternative"].map(labels))
    return df.sort_values(["alternative", "replicate"], kind="stable").reset_index(drop=True)


def whatif(
    config: str | Path,
    sets: Sequence[str],
    *,
    replicates: int = DEFAULT_REPLICATES,
    days: int | None = None,
    seller: str | None = None,
    out: str | Path | None = None,
    executor: str = "processes",
    workers: int | None = None,
    progress: bool = False,
) -> WhatIfResult:
    """Plan and run a what-if from Python (see :func:`plan` and :func:`run`)."""
    spec = plan(config, sets, replicates=replicates, days=days, seller=seller)
    return run(spec, out, executor=executor, workers=workers, progress=progress)


def currency() -> str:
    """The currency of money KPIs: the unit of ``profit`` in the results' column dictionary
    (:mod:`viralsim.results.columns`), which the parameter registry's prices share."""
    return columns.table_columns("summary", ["profit"])[0].unit


# ---------------------------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------------------------


def _num(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return _show(v)
    return f"{v:g}"


def _phrase(key: str, new: Any, old: Any) -> str:
    last = key.split(".")[-1]
    if last == "posts_per_day":
        return f"posting {_num(new)}/day instead of {_num(old)}/day"
    if last == "strategy" and key.startswith("sellers."):
        return f"the {_show(new)} strategy instead of {_show(old)}"
    if last == "messages_per_day":
        return f"{_num(new)} direct messages/day instead of {_num(old)}"
    if last == "strangers_per_day":
        return f"adding {_num(new)} strangers/day instead of {_num(old)}"
    if key == "platform.moderation":
        return f"platform moderation {_show(new)} instead of {_show(old)}"
    if last == "quality":
        return f"product quality {_num(new)} instead of {_num(old)}"
    if last == "price":
        return f"price {_num(new)} {currency()} instead of {_num(old)}"
    if last == "groups" or key.endswith("groups.enabled"):
        on = lambda v: bool(v.get("enabled")) if isinstance(v, dict) else bool(v)  # noqa: E731
        if on(new) and not on(old):
            return "running groups instead of none"
        if on(old) and not on(new):
            return "no groups instead of running them"
    return f"{key} = {_show(new)} instead of {_show(old)}"


def describe_change(alt: Alternative, baseline: Alternative, seller: str) -> str:
    """What ``alt`` changes relative to the baseline, in words ("posting 3/day instead of 10/day")."""
    base = dict(baseline.settings)
    parts = [_phrase(k, v, base[k]) for k, v in alt.settings if _show(v) != _show(base[k])]
    return " and ".join(parts) if parts else "the same settings"


_MINUS = "\u2212"
_TIMES = "\u00d7"
_ELLIPSIS = "\u2026"


def _decimals(half: float, kind: str, scale: float = math.nan) -> int:
    """Decimals that show a number to the precision its interval allows: the half-width's
    first significant digit, or its first two when they read 10 to 39 (so that 0.013 keeps
    0.001 and 1,197 keeps hundreds). Negative: round to tens, hundreds, ... (at most 4
    decimals). Without an interval (or with one of width 0): 2 for trust, else none for whole
    numbers and from 10 on, one below."""
    if math.isfinite(half) and half > 0:
        exponent = math.floor(math.log10(half))
        if half / 10**exponent < 4:
            exponent -= 1
        return int(min(4, -exponent))
    if kind == "share":
        return 2
    if not math.isfinite(scale) or abs(scale) >= 10 or float(scale).is_integer():
        return 0
    return 1


def _fmt(x: float, decimals: int, *, signed: bool = False) -> str:
    """``x`` rounded to ``decimals`` (negative: to tens, hundreds, ...), with thousands separators
    and a true minus sign."""
    if not math.isfinite(x):
        return "n/a"
    x = round(x, decimals)
    if x == 0:
        x = 0.0
    text = f"{x:{'+' if signed else ''},.{max(0, decimals)}f}"
    return text.replace("-", _MINUS)


def _sig(x: float, digits: int = 2) -> str:
    """``x`` to ``digits`` significant figures, with thousands separators: 278.6 -> 280."""
    if not math.isfinite(x) or x == 0:
        return "0" if x == 0 else "n/a"
    rounded = float(f"{x:.{digits}g}")
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(rounded))))
    return f"{rounded:,.{decimals}f}"


def _pct(x: float, decimals: int | None = None) -> str:
    """A relative change as a signed percentage, by default to 2 significant figures."""
    if not math.isfinite(x):
        return "n/a"
    v = 100.0 * x
    if decimals is None:
        if abs(v) < 0.05:
            return "\u00b10 %"
        return ("+" if v > 0 else _MINUS) + _sig(abs(v)) + " %"
    return _fmt(v, decimals, signed=True) + " %"


def _unit(kind: str, cur: str) -> str:
    return f" {cur}" if kind == "money" else ""


def _kpi_title(name: str, kind: str, cur: str) -> str:
    return f"{name} ({cur})" if kind == "money" else name


def _dist(row) -> bool | None:
    """The row's ``distinguishable`` flag as True, False or None (fewer than 2 replicates)."""
    v = row["distinguishable"]
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return bool(v)


def _phrase_kpi(row, cur: str, effect: float) -> str:
    """One KPI of a verdict: '+18 % sales (95 % CI +9 % … +27 %; 118 vs 100)', '1.9× fewer blocks
    (…)', '+333 blocks (…; 334 vs 1)', or 'profit: no difference distinguishable from noise (…);
    telling a ±10 % change apart would take about 46 replicates'."""
    name, kind = row["kpi"], row["kind"]
    unit = _unit(kind, cur)
    half = (row["hi"] - row["lo"]) / 2
    dec = _decimals(half, kind, max(abs(row["base"]), abs(row["alt"])))
    both = f"{_fmt(row['alt'], dec)} vs {_fmt(row['base'], dec)}{unit}"
    dist = _dist(row)
    if dist is None:
        return f"{name} {both} (one replicate: no confidence interval, cannot tell from noise)"
    if row["sd"] == 0 and row["diff"] == 0:
        return f"{name}: identical in every replicate ({_fmt(row['base'], dec)}{unit})"
    ci = f"95 % CI {_fmt(row['lo'], dec, signed=True)} {_ELLIPSIS} {_fmt(row['hi'], dec, signed=True)}{unit}"
    if not dist:
        return f"{name}: no difference distinguishable from noise ({ci}; {both}){_hint(row, effect)}"
    relative = _relative_makes_sense(row["base"], kind) and (kind != "count" or row["alt"] >= TINY)
    if kind == "count" and relative:
        a, b = row["alt"], row["base"]
        ratio = max(a, b) / min(a, b)
        if ratio >= RATIO_FROM:
            word = "more" if a > b else "fewer"
            return f"{_sig(ratio)}{_TIMES} {word} {name} ({_fmt(row['diff'], dec, signed=True)}, {ci}; {both})"
        rdec = _decimals((row["rel_hi"] - row["rel_lo"]) / 2 * 100, "share")
        return (f"{_pct(row['rel'], rdec)} {name} (95 % CI {_pct(row['rel_lo'], rdec)} {_ELLIPSIS} "
                f"{_pct(row['rel_hi'], rdec)}; {both})")
    rel = f", {_pct(row['rel'])}" if relative and kind == "money" else ""
    return f"{_fmt(row['diff'], dec, signed=True)}{unit} {name} ({ci}; {both}{rel})"


def _hint(row, effect: float) -> str:
    """How many replicates would tell a change of ``effect`` apart (the power calculation)."""
    needed = row["needed"]
    if not math.isfinite(needed):
        if row["kind"] == "count" and math.isfinite(row["base"]) and row["base"] < TINY:
            return f"; with fewer than {TINY:g} {row['kpi']} on average, a relative change cannot be judged"
        return ""
    size = f"\u00b1{_sig(100 * effect)} % change in {row['kpi']}"
    if needed < 0:
        return f"; telling a {size} apart would take more than {MAX_HINT:,} replicates"
    have = int(row["n"])
    bound = effect * abs(row["base"])
    if -bound < row["lo"] and row["hi"] < bound:
        return f"; the interval rules out a change in {row['kpi']} of \u00b1{_sig(100 * effect)} % or more"
    return (f"; telling a {size} apart takes about {int(needed):,} replicates ({POWER * 100:.0f} % power; "
            f"this run had {have})")


def _cell(m: float, lo: float, hi: float, kind: str) -> str:
    """``mean (lo … hi)`` with one number format for all three, set by the interval's half-width."""
    if not math.isfinite(m):
        return "n/a"
    half = (hi - lo) / 2 if math.isfinite(lo) and math.isfinite(hi) else math.nan
    dec = _decimals(half, kind, m)
    if not math.isfinite(lo):
        return _fmt(m, dec)
    return f"{_fmt(m, dec)} ({_fmt(lo, dec)} {_ELLIPSIS} {_fmt(hi, dec)})"


def _alt_header(alt: Alternative) -> str:
    return ("baseline: " if alt.index == 0 else "") + (alt.label or f"#{alt.index}")


# ---------------------------------------------------------------------------------------------
# Output files
# ---------------------------------------------------------------------------------------------


def markdown(result: WhatIfResult, command: str | None = None) -> str:
    """The report as Markdown: setup, verdicts, side-by-side table, differences, method."""
    spec = result.spec
    diffs = result.differences()
    cur = result.currency
    cfg = spec.baseline.config
    lines = [f"# What-if: {spec.name}", ""]
    if command:
        lines += ["```", command, "```", ""]
    folder = f" Results folder: `{result.out_dir}`." if result.out_dir is not None else ""
    lines += [
        f"Config `{spec.source}`, seller **{spec.seller_title()}**, {cfg.days} days, "
        f"{spec.replicates} replicate market{'s' if spec.replicates != 1 else ''} per alternative "
        f"(replicate *r* of every alternative runs with the same seed, derived from the config's seed "
        f"{spec.base_seed}; money in {cur}).{folder}",
        "",
        f"## Verdicts for {spec.seller} (each alternative against the baseline: {spec.baseline.label})",
        "",
    ]
    lines += [f"* {v}" for v in result.verdicts()]
    lines += ["", "![Paired differences against the baseline, 95 % CIs](whatif.png)", ""]
    lines += [f"## {spec.seller}'s KPIs: mean (95 % CI)", ""]
    headers, body = result._table_cells()
    lines.append("| " + " | ".join(h.replace("|", "\\|") for h in headers) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * len(spec.alternatives)) + "|")
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in body]
    lines += ["", f"## {spec.seller}: paired differences against the baseline (95 % CI)", ""]
    lines.append(f"| seller | alternative | KPI | difference | relative | distinguishable from noise | "
                 f"replicates for a \u00b1{_sig(100 * result.effect)} % change |")
    lines.append("|---|---|---|---:|---:|---|---:|")
    for _, r in diffs.iterrows():
        unit = _unit(r["kind"], cur)
        dec = _decimals((r["hi"] - r["lo"]) / 2, r["kind"], r["base"])
        diff = (f"{_fmt(r['diff'], dec, signed=True)} ({_fmt(r['lo'], dec, signed=True)} {_ELLIPSIS} "
                f"{_fmt(r['hi'], dec, signed=True)}){unit}")
        rel = (f"{_pct(r['rel'])} ({_pct(r['rel_lo'])} {_ELLIPSIS} {_pct(r['rel_hi'])})"
               if _relative_makes_sense(r["base"], r["kind"]) and math.isfinite(r["rel_lo"]) else "n/a")
        dist = {True: "yes", False: "no", None: "n/a (1 replicate)"}[_dist(r)]
        needed = r["needed"]
        need = ("" if not math.isfinite(needed) else f"> {MAX_HINT:,}" if needed < 0 else f"{int(needed):,}")
        label = r["label"].replace("|", "\\|")
        lines.append(f"| {spec.seller} | {label} | {r['kpi']} | {diff} | {rel} | {dist} | {need} |")
    lines += [
        "",
        "## Method",
        "",
        "The what-if is an experiment of viralsim's experiment stack: the alternatives are the points of a grid "
        "design, and replicate *r* of every alternative runs with the same SeedSequence-derived seed (common random "
        "numbers), hence the same friend network, seller placement and random stream. The comparison therefore uses "
        "the paired differences per replicate, alternative minus baseline. Their intervals are 95 % Student-t "
        "intervals; a relative change is the difference divided by the baseline mean. A difference whose interval "
        "covers 0 is *not distinguishable from noise*; beside it stands the number of replicates a paired t-test "
        f"(two-sided, 5 %) would need to detect a \u00b1{_sig(100 * result.effect)} % change with "
        f"{POWER * 100:.0f} % power, given the spread of the paired differences seen here. Ratios are rounded to two "
        f"significant figures and given only when both means reach {TINY:g} events; below, the difference is "
        "given. The means per alternative carry the experiment stack's intervals, which stay within what a KPI can "
        f"be (counts >= 0, trust in [0, 1]). Profit is revenue minus all costs (unit costs, action costs, "
        f"commissions), in {cur}. Muted and blocked are counted at the end of the run; end trust is the mean trust "
        "of the seller's contacts on the last day.",
        "",
    ]
    return "\n".join(lines)


def forest_figure(result: WhatIfResult):
    """The forest plot as a matplotlib Figure: one panel per headline KPI (:data:`HEADLINE`), one
    row per alternative (named by its settings), the mean paired difference against the baseline
    with its 95 % CI; a line at 0. An interval that excludes 0 is drawn in colour, one that
    covers it in grey, as the verdicts say. Each interval is a Line2D with gid
    ``ci:<alternative>:<column>`` so that its ends can be read back."""
    # lazy: matplotlib takes ~0.5 s to import, and only the written report draws
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    spec = result.spec
    diffs = result.differences()
    alts = spec.alternatives[1:]
    cur = result.currency
    height = 1.5 + 0.45 * len(alts)
    fig = Figure(figsize=(3.2 * len(HEADLINE) + 2.5, height))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(HEADLINE), sharey=True)
    ys = np.arange(len(alts))[::-1]
    names = {c: (n, k) for c, n, k in KPIS}
    for ax, col in zip(axes, HEADLINE):
        name, kind = names[col]
        sub = diffs[diffs["column"] == col].set_index("alternative")
        ax.axvline(0.0, color="black", linewidth=0.8)
        for y, alt in zip(ys, alts):
            r = sub.loc[alt.index]
            dist = _dist(r)
            colour = "C3" if dist else "#8a8a8a"
            if math.isfinite(r["lo"]):
                ax.plot([r["lo"], r["hi"]], [y, y], color=colour, linewidth=2.2, solid_capstyle="butt",
                        gid=f"ci:{alt.index}:{col}")
            ax.plot([r["diff"]], [y], marker="o", color=colour, markersize=6, gid=f"mean:{alt.index}:{col}")
        ax.set_title(f"{name} ({cur})" if kind == "money" else name, fontsize=10)
        ax.tick_params(axis="x", labelsize=8)
        ax.set_xlabel("alternative \u2212 baseline", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        ax.margins(x=0.15)
    axes[0].set_yticks(ys, [a.label or f"#{a.index}" for a in alts], fontsize=9)
    axes[0].set_ylim(-0.7, len(alts) - 0.3)
    ci = "95 % CI" if spec.replicates > 1 else "one replicate, no CI"
    fig.suptitle(
        f"What-if {spec.name}: seller {spec.seller_title()}, alternative \u2212 baseline ({spec.baseline.label}), "
        f"paired over {spec.replicates} replicate market{'s' if spec.replicates != 1 else ''} ({ci}; "
        "grey: not distinguishable from noise)",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / height))
    return fig


def plot(result: WhatIfResult, path: str | Path) -> Path:
    """Save the forest plot (:func:`forest_figure`) as a PNG."""
    path = Path(path)
    forest_figure(result).savefig(path, dpi=110)
    return path


def write(result: WhatIfResult, out: str | Path | None = None, command: str | None = None) -> dict[str, Path]:
    """Write ``whatif.md``, ``whatif.png`` (the forest plot), ``whatif.csv`` (per-replicate KPIs
    of the seller) and ``differences.csv`` into ``out``, by default the ``whatif/`` folder inside
    the results folder.

    The folder is written atomically and signed as a what-if folder (:mod:`viralsim.folders`):
    an existing ``out`` is replaced only if it is empty or an earlier what-if folder, and only
    once the new one is complete; anything else is refused and left alone. Inside the results
    folder it is written holding the folder's lock, as the experiment report is.
    """
    if out is None:
        if result.out_dir is None:
            raise ValueError("the what-if ran in a temporary folder: give out=")
        out = result.out_dir / SUBFOLDER
    out = Path(out)
    names = {"md": "whatif.md", "png": "whatif.png", "csv": "whatif.csv", "differences": "differences.csv"}

    def fill(folder: Path) -> None:
        (folder / names["md"]).write_text(markdown(result, command), encoding="utf-8", newline="\n")
        plot(result, folder / names["png"])
        result.runs.to_csv(folder / names["csv"], index=False, lineterminator="\n")
        result.differences().to_csv(folder / names["differences"], index=False, lineterminator="\n")

    if result.out_dir is not None and _inside(out, result.out_dir):
        with sweep_folder.lock_results(result.out_dir, "whatif"):
            folders.write_folder(out, KIND, fill)
    else:
        folders.write_folder(out, KIND, fill)
    return {key: out / name for key, name in names.items()}


def _inside(path: Path, folder: Path) -> bool:
    return path.absolute().is_relative_to(folder.absolute())


def check_out(out: str | Path, spec: WhatIf, *, restart: bool = False, allow_code_change: bool = False) -> str:
    """Whether the what-if may run into the results folder ``out`` (checked before running):
    ``new``, ``resume`` or ``restart`` as :func:`viralsim.results.sweep_folder.check_results_dir`
    says (ResultsError with one line otherwise), and its ``whatif/`` folder is empty, absent or an
    earlier what-if's (FolderError otherwise). Nothing is written."""
    from viralsim.experiment.sweep import plan_in  # the sweep's own plan of the folder

    out = Path(out)
    state = sweep_folder.check_results_dir(out, plan_in(out, spec.experiment), restart=restart,
                                           allow_code_change=allow_code_change)
    if state == "resume":
        folders.folder_state(out / SUBFOLDER, KIND)
    return state
