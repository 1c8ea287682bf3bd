"""What-if comparisons for strategists: alternatives side by side, with uncertainty in words.

``viralsim whatif CONFIG --set sellers.me.posts_per_day=10,3`` runs every alternative on the same
replicate markets and compares each with the first one (the baseline).

How alternatives are formed
---------------------------
Each ``--set KEY=V1,V2,...`` is a factor with levels ``V1, V2, ...`` (each level is YAML, so
``{enabled: true, invites_per_day: 3}`` is one level: commas inside brackets, braces or quotes do
not split). Several factors form a full grid (every combination), in the order given, the last
factor varying fastest. A ``--set`` with a single value applies to every alternative. The
**baseline** is the first alternative: the first level of every factor.

Common random numbers
---------------------
Replicate ``r`` of every alternative runs with seed ``config.seed + r``: the same friend network,
the same seller placement and the same random stream. Differences between alternatives within a
replicate are then caused by the change, not by luck of the draw, so comparisons use the *paired*
differences ``d_r = KPI(alternative, r) - KPI(baseline, r)``.

Statistics
----------
For each KPI and alternative: the mean over replicates with a 95 % t-interval. For each
alternative against the baseline: the mean paired difference with a 95 % t-interval (Student t,
``R - 1`` degrees of freedom), also shown relative to the baseline mean (the interval divided by
the baseline mean, which treats the baseline mean as known). A difference whose interval covers
0 is reported as *not distinguishable from noise*. With one replicate no interval exists and the
report says so.
"""

from __future__ import annotations

import difflib
import itertools
import math
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from viralsim import folders
from viralsim.config.load import ConfigError, load_config
from viralsim.config.yamlio import YamlProblem, load_yaml
from viralsim.model import simulate

if TYPE_CHECKING:
    from viralsim.config.schema import RunConfig

__all__ = [
    "KPIS",
    "WhatIfFactor",
    "Alternative",
    "WhatIf",
    "WhatIfResult",
    "parse_factor",
    "split_levels",
    "plan",
    "run",
    "whatif",
    "describe_change",
    "MAX_ALTERNATIVES",
]

#: the signature kind of a what-if output folder (:mod:`viralsim.folders`)
KIND = "whatif"

#: KPIs compared, as (summary column, label in tables, kind) — kind sets formatting
KPIS: tuple[tuple[str, str, str], ...] = (
    ("purchases", "sales", "count"),
    ("revenue", "revenue", "money"),
    ("profit", "profit after costs", "money"),
    ("customers", "buyers", "count"),
    ("followers_end", "followers", "count"),
    ("muted", "muted", "count"),
    ("blocked", "blocked", "count"),
    ("mean_trust_end", "end trust", "share"),
)

#: most alternatives one what-if may form (a grid grows fast)
MAX_ALTERNATIVES = 64

_NOT_A_FACTOR = {"seed": "the replicates set the seeds (seed + 0, 1, 2, ...); change the config's seed instead",
                 "name": "the name only labels the output"}


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
    """One combination of levels, with its validated config (seed of replicate 0)."""

    index: int
    label: str
    settings: tuple[tuple[str, Any], ...]  # (key, value) of the factors that vary
    overrides: tuple[str, ...]  # KEY=VALUE of every factor
    config: RunConfig = field(repr=False)


@dataclass(frozen=True)
class WhatIf:
    """A validated what-if: the alternatives, the seller whose KPIs are compared, the replicates."""

    source: str
    name: str
    seller: str
    factors: tuple[WhatIfFactor, ...]
    alternatives: tuple[Alternative, ...]
    replicates: int
    base_seed: int

    @property
    def baseline(self) -> Alternative:
        return self.alternatives[0]

    def seeds(self) -> list[int]:
        return [self.base_seed + r for r in range(self.replicates)]


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
        marker = yaml.safe_dump(value, default_flow_style=True)
        if marker in seen:
            raise ConfigError(f"--set {item!r}: the level {lv!r} is given twice")
        seen.add(marker)
    return WhatIfFactor(key, tuple(raw), tuple(values))


def plan(
    config: str | Path,
    sets: Sequence[str],
    *,
    replicates: int = 10,
    days: int | None = None,
    seller: str | None = None,
) -> WhatIf:
    """Validate a what-if completely, before anything runs.

    Parameters
    ----------
    config : path of the YAML config
    sets : the ``--set`` arguments (``KEY=V1,V2,...``)
    replicates : replicate markets per alternative (>= 1)
    days : replaces the config's horizon
    seller : seller whose KPIs are compared; default the seller named by the first
        ``--set sellers.NAME...``, else the config's first seller

    Raises
    ------
    ConfigError
        One-line message: a malformed ``--set``, an unknown path or seller (with a did-you-mean),
        a level the schema refuses (e.g. not a number), an unknown preset, nothing to compare,
        too many alternatives, or ``replicates < 1``.
    """
    source = str(config)
    if not isinstance(replicates, int) or replicates < 1:
        raise ConfigError(f"--replicates must be a whole number >= 1, got {replicates!r}")
    if days is not None and (not isinstance(days, int) or days < 1):
        raise ConfigError(f"--days must be a whole number >= 1, got {days!r}")
    base = load_config(config, overrides=[f"days={days}"] if days is not None else [])
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

    extra = [f"days={days}"] if days is not None else []
    alternatives = []
    for i, combo in enumerate(itertools.product(*[range(len(f.raw)) for f in factors])):
        overrides = tuple(f"{f.key}={f.raw[j]}" for f, j in zip(factors, combo))
        cfg = load_config(config, overrides=[*extra, *overrides])
        settings = tuple((f.key, f.values[j]) for f, j in zip(factors, combo) if f.varies)
        label = ", ".join(_label(k, v, seller) for k, v in settings)
        alternatives.append(Alternative(i, label, settings, overrides, cfg))
    return WhatIf(source, base.name, seller, factors, tuple(alternatives), replicates, base.seed)


def _label(key: str, value: Any, seller: str) -> str:
    """Short column label of one setting: ``posts_per_day=3``, ``groups on``."""
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
        return yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
    return str(value)


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


def _run_one(config: RunConfig, seller: str) -> dict[str, float]:
    """KPIs of one seller in one run (top level so that worker processes can import it)."""
    cfg = config.model_copy(update={"trace_cascades": False})
    summary = simulate(cfg).summary
    row = summary.loc[summary["seller"] == seller].iloc[0]
    return {col: float(row[col]) for col, _, _ in KPIS}


@dataclass(frozen=True)
class WhatIfResult:
    """Per-replicate KPIs of every alternative, and the comparisons drawn from them.

    Attributes
    ----------
    spec : the :class:`WhatIf` that ran
    runs : DataFrame, one row per (alternative, replicate): ``alternative, label, replicate,
        seed`` and one column per KPI (see :data:`KPIS`)
    """

    spec: WhatIf
    runs: pd.DataFrame

    def means(self) -> pd.DataFrame:
        """Mean and 95 % CI per (alternative, KPI): columns ``alternative, label, kpi, mean, lo, hi``."""
        rows = []
        for alt in self.spec.alternatives:
            sub = self.runs[self.runs["alternative"] == alt.index]
            for col, name, _ in KPIS:
                m, lo, hi = t_interval(sub[col].to_numpy(float))
                rows.append({"alternative": alt.index, "label": alt.label, "kpi": name, "column": col,
                             "mean": m, "lo": lo, "hi": hi})
        return pd.DataFrame(rows)

    def differences(self) -> pd.DataFrame:
        """Paired differences against the baseline, per (alternative, KPI).

        Columns ``alternative, label, kpi, base, alt, diff, lo, hi, rel, rel_lo, rel_hi,
        distinguishable`` (relative values are NaN when the baseline mean is 0;
        ``distinguishable`` is None with a single replicate).
        """
        base = self.runs[self.runs["alternative"] == 0].sort_values("replicate")
        rows = []
        for alt in self.spec.alternatives[1:]:
            sub = self.runs[self.runs["alternative"] == alt.index].sort_values("replicate")
            for col, name, _ in KPIS:
                b = base[col].to_numpy(float)
                a = sub[col].to_numpy(float)
                d, lo, hi = t_interval(a - b)
                bm = float(np.mean(b))
                rel_d, rel_lo, rel_hi = ((d / bm, lo / bm, hi / bm) if bm != 0
                                         else (float("nan"), float("nan"), float("nan")))
                if len(b) < 2:
                    dist = None
                else:
                    dist = bool(lo > 0 or hi < 0)
                rows.append({"alternative": alt.index, "label": alt.label, "kpi": name, "column": col,
                             "base": bm, "alt": float(np.mean(a)), "diff": d, "lo": lo, "hi": hi,
                             "rel": rel_d, "rel_lo": rel_lo, "rel_hi": rel_hi, "distinguishable": dist})
        return pd.DataFrame(rows)

    def verdicts(self) -> list[str]:
        """One plain-language sentence per alternative, against the baseline."""
        diffs = self.differences()
        out = []
        for alt in self.spec.alternatives[1:]:
            sub = diffs[diffs["alternative"] == alt.index].set_index("column")
            out.append(verdict(describe_change(alt, self.spec.baseline, self.spec.seller), sub))
        return out

    def table(self) -> str:
        """The side-by-side KPI table as fixed-width text (mean and 95 % CI per alternative)."""
        means = self.means()
        headers = ["KPI"] + [_alt_header(a) for a in self.spec.alternatives]
        body = []
        for col, name, kind in KPIS:
            cells = [name]
            for alt in self.spec.alternatives:
                r = means[(means["alternative"] == alt.index) & (means["column"] == col)].iloc[0]
                cells.append(_cell(r["mean"], r["lo"], r["hi"], kind))
            body.append(cells)
        widths = [max(len(row[i]) for row in [headers, *body]) for i in range(len(headers))]
        lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths)))]
        lines.append("  ".join("-" * w for w in widths))
        for row in body:
            lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        return "\n".join(lines)


def t_interval(x) -> tuple[float, float, float]:
    """Mean and 95 % Student-t interval of ``x`` (NaN bounds for fewer than 2 values)."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    m = float(np.mean(x)) if n else float("nan")
    if n < 2:
        return m, float("nan"), float("nan")
    sd = float(np.std(x, ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return m, m - half, m + half


def _mp_context():
    """Worker start method: fork where available (works from scripts without a ``__main__``
    guard and from notebooks), spawn elsewhere."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run(
    spec: WhatIf,
    *,
    jobs: int | None = None,
    progress: bool = True,
    on_result: Callable[[int, int], None] | None = None,
) -> WhatIfResult:
    """Run every alternative on every replicate market (common random numbers).

    Parameters
    ----------
    spec : from :func:`plan`
    jobs : worker processes; default all cores (capped by the number of runs); 1 runs in this
        process. Results do not depend on ``jobs``.
    progress : show a progress bar on stderr
    on_result : optional callback ``(done, total)`` after each run
    """
    seeds = spec.seeds()
    tasks = [(alt, r, seed) for alt in spec.alternatives for r, seed in enumerate(seeds)]
    total = len(tasks)
    jobs = min(total, jobs if jobs else (os.cpu_count() or 1))
    results: dict[int, dict[str, float]] = {}
    bar = None

    def start_bar():
        nonlocal bar
        if progress:
            from tqdm import tqdm  # lazy: only for a progress bar; quiet runs and notebooks do without it

            bar = tqdm(total=total, desc=f"what-if {spec.name}", unit="run", leave=False)

    def tick(done: int):
        if bar is not None:
            bar.update(1)
        if on_result is not None:
            on_result(done, total)

    try:
        if jobs <= 1:
            start_bar()
            for i, (alt, _r, seed) in enumerate(tasks):
                results[i] = _run_one(alt.config.model_copy(update={"seed": seed}), spec.seller)
                tick(i + 1)
        else:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=_mp_context()) as pool:
                # Every worker is started by the first submit, before the progress bar's thread exists.
                futures = {pool.submit(_run_one, alt.config.model_copy(update={"seed": seed}), spec.seller): i
                           for i, (alt, _r, seed) in enumerate(tasks)}
                start_bar()
                for done, fut in enumerate(as_completed(futures), start=1):
                    results[futures[fut]] = fut.result()
                    tick(done)
    finally:
        if bar is not None:
            bar.close()
    rows = []
    for i, (alt, r, seed) in enumerate(tasks):
        rows.append({"alternative": alt.index, "label": alt.label, "replicate": r, "seed": seed, **results[i]})
    return WhatIfResult(spec, pd.DataFrame(rows))


def whatif(
    config: str | Path,
    sets: Sequence[str],
    *,
    replicates: int = 10,
    days: int | None = None,
    seller: str | None = None,
    jobs: int | None = None,
    progress: bool = False,
) -> WhatIfResult:
    """Plan and run a what-if from Python (see :func:`plan` and :func:`run`)."""
    spec = plan(config, sets, replicates=replicates, days=days, seller=seller)
    return run(spec, jobs=jobs, progress=progress)


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
        return f"price {_num(new)} instead of {_num(old)}"
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


def _pct(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    v = 100.0 * x
    if abs(v) < 0.5:
        return "±0 %"
    return f"{v:+.0f} %".replace("-", "\u2212")


def _signed(x: float, kind: str) -> str:
    if not math.isfinite(x):
        return "n/a"
    text = f"{x:+.2f}" if kind == "share" else f"{x:+,.0f}"
    return text.replace("-", "\u2212")


def _dist(row) -> bool | None:
    """The row's ``distinguishable`` flag as True, False or None (one replicate)."""
    v = row["distinguishable"]
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return bool(v)


def _change(row, name: str, kind: str) -> str:
    """'+18 % sales (95 % CI +9 % … +27 %)' or the noise message."""
    relative = math.isfinite(row["rel"])
    if relative:
        est, lo, hi = _pct(row["rel"]), _pct(row["rel_lo"]), _pct(row["rel_hi"])
    else:
        est, lo, hi = _signed(row["diff"], kind), _signed(row["lo"], kind), _signed(row["hi"], kind)
    dist = _dist(row)
    if dist is None:
        return f"{est} {name} (one replicate: no confidence interval, cannot tell from noise)"
    if row["lo"] == row["hi"] == row["diff"] == 0:
        return f"{name}: identical in every replicate"
    if not dist:
        return f"{name}: no difference distinguishable from noise (95 % CI {lo} \u2026 {hi})"
    return f"{est} {name} (95 % CI {lo} \u2026 {hi})"


def _times(row, name: str) -> str:
    """'4× fewer blocks (12 vs 48)' for counts where a ratio reads better than a percentage."""
    a, b = row["alt"], row["base"]
    fmt = (lambda x: f"{x:,.0f}") if max(abs(a), abs(b)) >= 10 else (lambda x: f"{x:.1f}")
    both = f"{fmt(a)} vs {fmt(b)}"
    if _dist(row) is False:
        if a == b == 0:
            return f"no {name} either way"
        return f"{name}: no difference distinguishable from noise ({both})"
    if a == b:
        return f"{name}: the same ({both})"
    if a == 0:
        return f"no {name} (vs {fmt(b)})"
    if b == 0:
        return f"{fmt(a)} {name} (vs none)"
    ratio = b / a if b > a else a / b
    word = "fewer" if b > a else "more"
    if ratio < 1.5:
        return f"{abs(100 * row['rel']):.0f} % {word} {name} ({both})"
    return f"{ratio:.1f}\u00d7 {word} {name} ({both})"


def verdict(change: str, diffs) -> str:
    """The sentence for one alternative: sales with CI, profit with CI, blocks as a ratio, trust."""
    parts = [
        _change(diffs.loc["purchases"], "sales", "count"),
        _change(diffs.loc["profit"], "profit", "money"),
        _times(diffs.loc["blocked"], "blocks"),
    ]
    trust = diffs.loc["mean_trust_end"]
    tr = f"end trust {trust['alt']:.2f} vs {trust['base']:.2f}"
    if _dist(trust) is False:
        tr += " (not distinguishable from noise)"
    parts.append(tr)
    return f"{change}: " + "; ".join(parts) + "."


def _cell(m: float, lo: float, hi: float, kind: str) -> str:
    """``mean (lo–hi)`` with one number format for all three, chosen by the largest magnitude."""
    finite = [abs(x) for x in (m, lo, hi) if math.isfinite(x)]
    scale = max(finite, default=0.0)

    def f(x):
        if not math.isfinite(x):
            return "n/a"
        if kind == "share":
            return f"{x:.2f}"
        if kind == "money" and scale >= 1e6:
            return f"{x / 1e6:.2f}M"
        if kind == "money" and scale >= 1e4:
            return f"{x / 1e3:.1f}k"
        return f"{x:,.0f}" if scale >= 10 else f"{x:.1f}"

    if not math.isfinite(lo):
        return f(m)
    return f"{f(m)} ({f(lo)}\u2013{f(hi)})"


def _alt_header(alt: Alternative) -> str:
    return ("baseline: " if alt.index == 0 else "") + (alt.label or f"#{alt.index}")


# ---------------------------------------------------------------------------------------------
# Output files
# ---------------------------------------------------------------------------------------------


def markdown(result: WhatIfResult, command: str | None = None) -> str:
    """The report as Markdown: setup, side-by-side table, verdicts, differences, method."""
    spec = result.spec
    means = result.means()
    diffs = result.differences()
    cfg = spec.baseline.config
    lines = [f"# What-if: {spec.name}", ""]
    if command:
        lines += ["```", command, "```", ""]
    lines += [
        f"Config `{spec.source}`, seller **{spec.seller}**, {cfg.days} days, "
        f"{spec.replicates} replicate market{'s' if spec.replicates != 1 else ''} per alternative "
        f"(seeds {spec.base_seed}\u2013{spec.base_seed + spec.replicates - 1}, the same for every alternative).",
        "",
        "## Verdicts (each alternative against the baseline)",
        "",
    ]
    lines += [f"* {v}" for v in result.verdicts()]
    lines += ["", "## KPIs: mean (95 % CI)", ""]
    headers = ["KPI"] + [_alt_header(a).replace("|", "\\|") for a in spec.alternatives]
    lines.append("| " + " | ".join(headers) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * len(spec.alternatives)) + "|")
    for col, name, kind in KPIS:
        cells = [name]
        for alt in spec.alternatives:
            r = means[(means["alternative"] == alt.index) & (means["column"] == col)].iloc[0]
            cells.append(_cell(r["mean"], r["lo"], r["hi"], kind))
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Paired differences against the baseline (95 % CI)", ""]
    lines.append("| alternative | KPI | difference | relative | distinguishable from noise |")
    lines.append("|---|---|---:|---:|---|")
    for _, r in diffs.iterrows():
        kind = next(k for c, _, k in KPIS if c == r["column"])
        diff = f"{_signed(r['diff'], kind)} ({_signed(r['lo'], kind)} \u2026 {_signed(r['hi'], kind)})"
        rel = (f"{_pct(r['rel'])} ({_pct(r['rel_lo'])} \u2026 {_pct(r['rel_hi'])})"
               if math.isfinite(r["rel"]) else "n/a")
        dist = {True: "yes", False: "no", None: "n/a (1 replicate)"}[_dist(r)]
        lines.append(f"| {r['label']} | {r['kpi']} | {diff} | {rel} | {dist} |")
    lines += [
        "",
        "## Method",
        "",
        "Every alternative runs on the same replicate markets (common random numbers: replicate *r* "
        "uses seed + *r*, hence the same friend network, seller placement and random stream), so the "
        "comparison uses paired differences per replicate. Intervals are 95 % Student-t intervals; a "
        "relative change is the difference divided by the baseline mean. A difference whose interval "
        "covers 0 is *not distinguishable from noise*: more replicates (`--replicates`) narrow the "
        "intervals. Profit is revenue minus all costs (unit costs, action costs, commissions). "
        "Muted and blocked are counted at the end of the run; end trust is the mean trust of the "
        "seller's contacts on the last day.",
        "",
    ]
    return "\n".join(lines)


def plot(result: WhatIfResult, path: str | Path) -> Path:
    """Bar chart per KPI: mean of every alternative with its 95 % CI; the baseline is grey.

    Bars are labelled ``base, 1, 2, ...``; the legend under the panels spells out each alternative.
    """
    # lazy: matplotlib takes ~0.5 s to import, and only the written report draws
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    spec = result.spec
    means = result.means()
    n_alt = len(spec.alternatives)
    fig = Figure(figsize=(14, 7.2))
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 4).ravel()
    colours = ["#9a9a9a"] + [f"C{i % 10}" for i in range(n_alt - 1)]
    ticks = ["base"] + [str(i) for i in range(1, n_alt)]
    for ax, (col, name, kind) in zip(axes, KPIS):
        sub = means[means["column"] == col].sort_values("alternative")
        m = sub["mean"].to_numpy(float)
        lo = sub["lo"].to_numpy(float)
        hi = sub["hi"].to_numpy(float)
        err = np.vstack([m - lo, hi - m]) if np.isfinite(lo).all() else None
        x = np.arange(n_alt)
        ax.bar(x, m, color=colours, yerr=err, capsize=4, edgecolor="black", linewidth=0.5)
        ax.set_title(name, fontsize=10)
        ax.set_xticks(x, ticks, fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="y", alpha=0.3)
        if kind == "share":
            ax.set_ylim(0, 1)
    handles = [Patch(facecolor=c, edgecolor="black", linewidth=0.5, label=f"{t}: {a.label or '(same settings)'}")
               for c, t, a in zip(colours, ticks, spec.alternatives)]
    ncol = 1 if n_alt <= 2 else 2
    fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=9, frameon=False)
    rows = -(-n_alt // ncol)
    bottom = 0.08 + 0.035 * rows
    errs = "95 % CI" if spec.replicates > 1 else "one replicate, no CI"
    fig.suptitle(
        f"What-if {spec.name}: seller '{spec.seller}', mean over {spec.replicates} replicate "
        f"market{'s' if spec.replicates != 1 else ''} ({errs}; the same seeds for every alternative)",
        fontsize=11,
    )
    fig.subplots_adjust(left=0.05, right=0.99, top=0.9, bottom=bottom, wspace=0.35, hspace=0.4)
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


def write(result: WhatIfResult, out: str | Path, command: str | None = None) -> dict[str, Path]:
    """Write ``whatif.md``, ``whatif.png`` and ``whatif.csv`` (per-replicate KPIs) into ``out``.

    The folder is written atomically and signed as a what-if folder (:mod:`viralsim.folders`):
    an existing ``out`` is replaced only if it is empty or an earlier what-if folder, and only
    once the new one is complete; anything else is refused (FileExistsError) and left alone.
    """
    out = Path(out)
    names = {"md": "whatif.md", "png": "whatif.png", "csv": "whatif.csv"}

    def fill(folder: Path) -> None:
        (folder / names["md"]).write_text(markdown(result, command), encoding="utf-8", newline="\n")
        plot(result, folder / names["png"])
        result.runs.to_csv(folder / names["csv"], index=False, lineterminator="\n")

    folders.write_folder(out, KIND, fill)
    return {key: out / name for key, name in names.items()}


def check_out(out: str | Path) -> None:
    """Refuse an output folder that :func:`write` may not replace (checked before running):
    a file, a folder that is neither empty nor an earlier what-if folder (FileExistsError), or
    an unwritable parent (PermissionError)."""
    folders.check_folder(out, KIND)
