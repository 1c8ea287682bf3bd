"""The design of an experiment: its factors (the ``design`` section of the spec) and its table,
which factor values each design point runs.

``grid`` crosses the factors' levels (the last factor varies fastest, as in BehaviorSpace);
``zip`` pairs them element-wise; ``random`` (Monte Carlo) and ``lhs`` (Latin hypercube,
``scipy.stats.qmc``) draw ``samples`` points; ``sobol`` (Saltelli's scheme) and ``morris``
(elementary-effect trajectories) are SALib's samplers, ``SALib.sample.sobol`` and
``SALib.sample.morris``. Every sampler draws on the unit hypercube with an integer seed
derived from the experiment's root seed, and each factor maps its unit coordinate to a value
through its distribution's inverse CDF (uniform, loguniform, normal, integer, choice), so the
same spec always gives the same table. Points are numbered from 0 in table order; the unit
coordinates are kept (``u:<factor>`` columns) for the Morris analysis.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from viralsim.config.schema import Frozen
from viralsim.experiment.seeds import design_seed
from viralsim.results.run_rows import COLUMN_DTYPES
from viralsim.results.sweep_folder import MAX_RUNS

__all__ = ["DesignFactor", "DesignSpec", "Design", "build_design", "from_unit", "grid_levels", "level_count",
           "design_size", "column_kind", "DESIGN_KINDS", "DISTRIBUTIONS", "SAMPLED"]

DESIGN_KINDS = ("grid", "zip", "random", "lhs", "sobol", "morris")
DISTRIBUTIONS = ("uniform", "loguniform", "normal", "integer", "choice")
#: design kinds that sample their points (the others list combinations of levels)
SAMPLED = ("random", "lhs", "sobol", "morris")


# ---------------------------------------------------------------------------------------------
# The design section of an experiment spec
# ---------------------------------------------------------------------------------------------


class DesignFactor(Frozen):
    """One factor: discrete ``levels``, or a ``range`` with a distribution.

    ``levels`` alone is a ``choice``; ``range`` alone is ``uniform``; ``mean`` and ``sd`` alone
    are ``normal`` (``range`` then truncates it). Grid and zip designs need discrete values:
    ``levels``, an ``integer`` range, or a range with ``steps``.
    """

    levels: Annotated[list[Any], Field(min_length=1)] | None = None
    # a YAML list [lo, hi]; strict mode alone would take only a tuple
    range: Annotated[tuple[float, float], Field(strict=False)] | None = None
    steps: Annotated[int, Field(ge=2, le=100_000)] | None = None
    dist: Literal["uniform", "loguniform", "normal", "integer", "choice"] | None = None
    mean: float | None = None
    sd: Annotated[float, Field(gt=0)] | None = None

    @property
    def distribution(self) -> str:
        if self.dist is not None:
            return self.dist
        if self.levels is not None:
            return "choice"
        if self.mean is not None or self.sd is not None:
            return "normal"
        return "uniform"

    @model_validator(mode="after")
    def _consistent(self) -> DesignFactor:
        dist = self.distribution
        if self.levels is not None and self.range is not None:
            raise ValueError("give either levels or range, not both")
        if self.levels is None and self.range is None and dist != "normal":
            raise ValueError("a factor needs levels: [...] or range: [low, high] (or mean and sd for dist normal)")
        if dist == "choice" and self.levels is None:
            raise ValueError("dist 'choice' draws from levels: [...]; give levels instead of range")
        if dist != "choice" and self.levels is not None:
            raise ValueError(f"levels are drawn with dist 'choice'; dist {dist!r} needs range: [low, high]")
        if dist == "normal":
            if self.mean is None or self.sd is None:
                raise ValueError("dist 'normal' needs both mean and sd")
        elif self.mean is not None or self.sd is not None:
            raise ValueError(f"mean and sd are for dist 'normal', not {dist!r}")
        if self.range is not None:
            lo, hi = self.range
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise ValueError("range bounds must be finite numbers")
            if dist == "integer":
                if lo != int(lo) or hi != int(hi):
                    raise ValueError(f"dist 'integer' needs whole-number bounds, got [{lo:g}, {hi:g}]")
                if lo > hi:
                    raise ValueError(f"range [{lo:g}, {hi:g}]: low must not exceed high")
            elif not lo < hi:
                raise ValueError(f"range [{lo:g}, {hi:g}]: low must be below high")
            if dist == "loguniform" and lo <= 0:
                raise ValueError(f"dist 'loguniform' needs a range above 0, got [{lo:g}, {hi:g}]")
            if dist == "normal" and not lo <= self.mean <= hi:
                raise ValueError(f"the mean {self.mean:g} must lie inside the truncation range [{lo:g}, {hi:g}]")
        if self.steps is not None and (self.range is None or dist not in ("uniform", "loguniform")):
            raise ValueError("steps spaces a uniform or loguniform range into grid levels; "
                             "remove it or give range: [low, high]")
        return self


class DesignSpec(Frozen):
    """How design points are chosen. ``samples`` is the number of points for random and lhs,
    the base sample N for sobol (a power of 2; N(d+2) runs, N(2d+2) with second_order), and the
    number of trajectories for morris (r(d+1) runs)."""

    kind: Literal["grid", "zip", "random", "lhs", "sobol", "morris"] = "grid"
    factors: dict[str, DesignFactor]
    samples: Annotated[int, Field(ge=1, le=MAX_RUNS)] | None = None
    second_order: bool = False
    grid_levels: Annotated[int, Field(ge=2, le=1000)] = 4

    @model_validator(mode="after")
    def _consistent(self) -> DesignSpec:
        kind = self.kind
        if not self.factors:
            raise ValueError("design.factors is empty: name at least one factor (a dotted path such as "
                             "sellers.spam.posts_per_day), or leave 'design' out to run the scenarios only")
        for name, f in self.factors.items():
            if kind in ("grid", "zip"):
                if f.distribution == "normal" or (f.range is not None and f.distribution != "integer"
                                                   and f.steps is None):
                    raise ValueError(f"factor '{name}': a {kind} design needs discrete values: levels: [...], "
                                     "range with steps: n, or dist: integer; ranges and distributions are "
                                     "sampled by random, lhs, sobol and morris designs")
            else:
                if f.steps is not None:
                    raise ValueError(f"factor '{name}': steps is for grid and zip designs; "
                                     f"a {kind} design samples the range")
                if kind == "morris" and f.distribution == "normal" and f.range is None:
                    raise ValueError(f"factor '{name}': a morris design visits the ends of each factor's "
                                     "range, so dist 'normal' needs range: [low, high] to truncate it")
        if kind in SAMPLED:
            if self.samples is None:
                what = {"sobol": "the base sample N (a power of 2, e.g. 64)",
                        "morris": "the number of trajectories (e.g. 10)"}.get(kind, "the number of points")
                raise ValueError(f"a {kind} design needs samples: {what}")
            if kind == "sobol" and self.samples & (self.samples - 1):
                raise ValueError(f"samples = {self.samples} is not allowed: a sobol design needs a power of 2 "
                                 f"(e.g. {1 << (self.samples.bit_length() - 1)} or {1 << self.samples.bit_length()}) "
                                 "for Sobol' sequences to converge")
            if kind == "sobol" and self.second_order and len(self.factors) < 2:
                raise ValueError("second_order needs at least 2 factors")
        elif self.samples is not None:
            raise ValueError(f"samples is for random, lhs, sobol and morris designs; a {kind} design "
                             "runs each combination of levels")
        if kind == "zip":
            lengths = {name: level_count(f) for name, f in self.factors.items()}
            if len(set(lengths.values())) > 1:
                shown = ", ".join(f"{k}: {v}" for k, v in lengths.items())
                raise ValueError(f"a zip design pairs levels element-wise, so every factor needs the same "
                                 f"number of levels ({shown})")
        size = design_size(self)        # arithmetic only: nothing is listed or sampled here
        if size > MAX_RUNS:
            what = {"sobol": f" (samples x {'2d+2' if self.second_order else 'd+2'})",
                    "morris": " (samples x (d+1))"}.get(kind, "")
            raise ValueError(f"the {kind} design has {size:,} points{what}, more than the {MAX_RUNS:,} runs an "
                             "experiment may have: use fewer factors, levels or samples, or split the "
                             "experiment into several")
        return self


# ---------------------------------------------------------------------------------------------
# The design table
# ---------------------------------------------------------------------------------------------




@dataclass(frozen=True)
class Design:
    """The design points of an experiment.

    Attributes
    ----------
    kind : str
        ``single`` (no design: one point without factors), ``grid``, ``zip``, ``random``,
        ``lhs``, ``sobol`` or ``morris``.
    factors : tuple of str
        Dotted paths of the factors, in spec order.
    points : tuple of dict
        One mapping factor -> value per point.
    unit : ndarray or None
        ``(points, factors)`` coordinates in [0, 1] for sampled designs, else None.
    options : dict
        ``samples``, ``second_order`` (sobol), ``grid_levels`` (morris).
    kinds : dict
        Column kind of each factor (``bool``, ``int``, ``float``, ``str``).
    """

    kind: str
    factors: tuple[str, ...] = ()
    points: tuple[dict, ...] = ({},)
    unit: np.ndarray | None = None
    options: dict = field(default_factory=dict)
    kinds: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.points)

    def problem(self) -> dict:
        """SALib problem on the unit hypercube (the scale the samples were drawn on)."""
        return {"num_vars": len(self.factors), "names": list(self.factors), "bounds": [[0.0, 1.0]] * len(self.factors)}

    def table(self) -> pd.DataFrame:
        """One row per point: ``point``, the factor values, and ``u:<factor>`` for sampled designs."""
        cols: dict[str, Any] = {"point": pd.Series(range(len(self.points)), dtype="int64")}
        for name in self.factors:
            cols[name] = pd.Series([p[name] for p in self.points], dtype=COLUMN_DTYPES[self.kinds[name]])
        if self.unit is not None:
            for j, name in enumerate(self.factors):
                cols[f"u:{name}"] = pd.Series(self.unit[:, j], dtype="float64")
        return pd.DataFrame(cols)


def design_size(spec: DesignSpec | None) -> int:
    """Number of points a design spec produces (1 without a design), without sampling or
    listing anything: arithmetic on the spec alone, so that a design of 10^10 points is
    measured (and refused) in microseconds."""
    if spec is None:
        return 1
    d = len(spec.factors)
    if spec.kind == "grid":
        return math.prod(level_count(f) for f in spec.factors.values())
    if spec.kind == "zip":
        return level_count(next(iter(spec.factors.values())))
    if spec.kind == "sobol":
        return spec.samples * ((2 * d + 2) if spec.second_order else (d + 2))
    if spec.kind == "morris":
        return spec.samples * (d + 1)
    return spec.samples


def level_count(f: DesignFactor) -> int:
    """``len(grid_levels(f))`` without building the list (an integer range may span 10^12)."""
    if f.levels is not None:
        return len(f.levels)
    if f.distribution == "integer":
        lo, hi = f.range
        return max(0, int(hi) - int(lo) + 1)
    if f.steps is None:
        raise ValueError("a range needs steps (or dist: integer) to give grid levels")
    return f.steps


def build_design(spec: DesignSpec | None, root_seed: int) -> Design:
    """The design table of a validated design spec (None: a single point without factors).

    Parameters
    ----------
    spec : DesignSpec or None
        The ``design`` section of an experiment.
    root_seed : int
        The experiment's root seed; samplers get :func:`~viralsim.experiment.seeds.design_seed`.

    Returns
    -------
    Design
    """
    if spec is None:
        return Design(kind="single")
    names = tuple(spec.factors)
    factors = [spec.factors[n] for n in names]
    seed = design_seed(root_seed)
    unit = None
    options: dict = {"samples": spec.samples}
    if spec.kind == "grid":
        rows = list(itertools.product(*(grid_levels(f) for f in factors)))
    elif spec.kind == "zip":
        rows = list(zip(*(grid_levels(f) for f in factors)))
    else:
        unit = _unit_sample(spec, len(names), seed)
        options.update(second_order=spec.second_order, grid_levels=spec.grid_levels)
        columns = [from_unit(f, unit[:, j]) for j, f in enumerate(factors)]
        rows = list(zip(*columns))
    kinds = {n: column_kind([r[j] for r in rows]) for j, n in enumerate(names)}
    points = tuple({n: _as_kind(r[j], kinds[n]) for j, n in enumerate(names)} for r in rows)
    return Design(kind=spec.kind, factors=names, points=points, unit=unit, options=options, kinds=kinds)


def _unit_sample(spec: DesignSpec, d: int, seed: int) -> np.ndarray:
    """Points in [0, 1]^d from the design's sampler, seeded."""
    if spec.kind == "random":
        from scipy import stats  # lazy: ~1 s to import; grid and zip designs do not sample

        return np.asarray(stats.uniform.rvs(size=(spec.samples, d), random_state=seed), dtype=float)
    if spec.kind == "lhs":
        from scipy.stats import qmc  # lazy: ~1 s to import; grid and zip designs do not sample

        return qmc.LatinHypercube(d, rng=seed).random(spec.samples)
    problem = {"num_vars": d, "names": [f"x{j}" for j in range(d)], "bounds": [[0.0, 1.0]] * d}
    if spec.kind == "sobol":
        from SALib.sample import sobol  # lazy: ~1 s to import; only sobol designs need it

        return np.asarray(sobol.sample(problem, spec.samples, calc_second_order=spec.second_order, seed=seed))
    if spec.kind == "morris":
        from SALib.sample import morris  # lazy: ~1 s to import; only morris designs need it

        return np.asarray(morris.sample(problem, spec.samples, num_levels=spec.grid_levels, seed=seed))
    raise ValueError(f"not a sampled design: {spec.kind!r}")


def grid_levels(f: DesignFactor) -> list:
    """The discrete levels of a factor in a grid or zip design.

    ``levels`` as written; an ``integer`` range gives every whole number in it; a ``uniform``
    (``loguniform``) range with ``steps`` gives evenly (geometrically) spaced values, rounded
    to 12 significant digits so that e.g. 0.1 stays 0.1.
    """
    if f.levels is not None:
        return list(f.levels)
    dist = f.distribution
    lo, hi = f.range
    if dist == "integer":
        return list(range(int(lo), int(hi) + 1))
    if f.steps is None:
        raise ValueError("a range needs steps (or dist: integer) to give grid levels")
    if dist == "loguniform":
        values = np.geomspace(lo, hi, f.steps)
    else:
        values = np.linspace(lo, hi, f.steps)
    return [float(f"{v:.12g}") for v in values]


def from_unit(f: DesignFactor, u: np.ndarray) -> list:
    """Map unit coordinates to factor values through the factor's inverse CDF."""
    u = np.asarray(u, dtype=float)
    dist = f.distribution
    if dist == "choice":
        k = len(f.levels)
        idx = np.minimum(np.floor(u * k).astype(int), k - 1)
        return [f.levels[i] for i in idx]
    if dist == "integer":
        lo, hi = int(f.range[0]), int(f.range[1])
        vals = np.minimum(lo + np.floor(u * (hi - lo + 1)).astype(np.int64), hi)
        return [int(v) for v in vals]
    if dist == "normal":
        from scipy import stats  # lazy: ~1 s to import; only normal factors need it

        if f.range is not None:
            a, b = ((f.range[0] - f.mean) / f.sd, (f.range[1] - f.mean) / f.sd)
            vals = stats.truncnorm.ppf(u, a, b, loc=f.mean, scale=f.sd)
            vals = np.clip(vals, f.range[0], f.range[1])
        else:
            vals = stats.norm.ppf(u, loc=f.mean, scale=f.sd)
        return [float(v) for v in vals]
    lo, hi = f.range
    if dist == "loguniform":
        vals = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
    else:
        vals = lo + u * (hi - lo)
    return [float(v) for v in np.clip(vals, lo, hi)]


def column_kind(values: list) -> str:
    """Column kind holding all ``values``: bool, int, float, or str when they are mixed or text."""
    if values and all(isinstance(v, (bool, np.bool_)) for v in values):
        return "bool"
    if values and all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in values):
        return "int"
    if values and all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
                      for v in values):
        return "float"
    return "str"


def _as_kind(value: Any, kind: str) -> Any:
    """The value as the config receives it: numbers stay numbers, the column kind only widens int to float."""
    if isinstance(value, np.generic):
        value = value.item()
    if kind == "float" and isinstance(value, int):
        return float(value)
    return value
