"""Experiment specification: a YAML file that describes a sweep, validated before anything runs.

An experiment names a base run config (a file, or an inline mapping), optional named scenarios
(overrides of the base, compared side by side), an optional design over factors addressed by
dotted paths into the run config, a number of replicates, a horizon and an optional stop
condition, and what to record. :func:`load_experiment` validates all of it up front (the
spec's own fields, every factor path against the run-config schema, every factor value in
every scenario, every resulting run config) and returns an :class:`Experiment` holding the
complete, ordered list of runs with their derived seeds. Every problem is an
:class:`ExperimentError` whose message is one line naming the file, the dotted path, the bad
value and what is allowed, with a "did you mean" suggestion for misspelt names.

See ``docs/experiments.md`` for the format with a worked example.
"""

from __future__ import annotations

import copy
import difflib
import functools
import hashlib
import json
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from viralsim import __version__
from viralsim.config.load import (
    RESOLVED_KEY,
    ConfigError,
    apply_override,
    check_resolved_record,
    load_config,
    parse_override,
    read_config_file,
    resolve_strategies,
)
from viralsim.config.messages import (
    FROM_CLI,
    describe_error,
    describe_validation,
    did_you_mean,
    kind_annotation,
    literal_choices,
    model_members,
    show_value,
    unwrap,
)
from viralsim.config.schema import MAX_DAYS, MAX_SEED, Frozen, RunConfig
from viralsim.experiment.design import (
    SAMPLED,
    Design,
    DesignSpec,
    build_design,
    design_size,
)
from viralsim.experiment.runner import RunTask
from viralsim.experiment.seeds import run_seed
from viralsim.metrics import DAILY_COLUMNS, MARKET_COLUMNS, summarize
from viralsim.model.outputs import BREAKDOWNS
from viralsim.results.run_rows import RunSettings
from viralsim.results.sweep_folder import MAX_RUNS

__all__ = [
    "ExperimentError",
    "ExperimentSpec",
    "StopSpec",
    "OutputSpec",
    "Experiment",
    "load_experiment",
    "experiment_from_dict",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_NAME_RULE = "letters, digits, '_', '.' and '-', starting with a letter or digit"

#: run-config paths that an experiment sets itself
_RESERVED = {"seed": "each run's seed is derived from the experiment's root seed (top-level 'seed')"}


class ExperimentError(ConfigError):
    """An experiment spec the user must fix; the message is one line."""


# ---------------------------------------------------------------------------------------------
# The spec
# ---------------------------------------------------------------------------------------------


class StopSpec(Frozen):
    """End a run early when a seller's daily metric crosses a value (BehaviorSpace's exit condition)."""

    metric: str
    op: Literal[">=", ">", "<=", "<", "=="] = ">="
    value: float
    #: a seller name, or 'any' / 'all' sellers
    seller: str = "any"
    #: check only from this day on
    after_day: Annotated[int, Field(ge=0)] = 0

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        return _known(value, DAILY_COLUMNS, "a daily seller metric")


class OutputSpec(Frozen):
    """What each run records: the time series every ``every`` days (or only the ``end``), and
    which daily metrics, market metrics and summary KPIs to keep (all by default)."""

    every: int | Literal["end"] = 1
    metrics: list[str] | None = None
    market: list[str] | None = None
    summary: list[str] | None = None

    @field_validator("every", mode="before")
    @classmethod
    def _every(cls, value: Any) -> Any:
        if value == "end":
            return value
        # at most the longest horizon a run may have: a larger step records the last day only,
        # and an unbounded one overflows the recorded-day arithmetic
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
            raise ValueError(f"must be a whole number of days from 1 to {MAX_DAYS:,}, or 'end' to record the "
                             "last day only")
        return value

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [_known(v, DAILY_COLUMNS, "a daily seller metric") for v in value]

    @field_validator("market")
    @classmethod
    def _market(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [_known(v, MARKET_COLUMNS, "a market metric") for v in value]

    @field_validator("summary")
    @classmethod
    def _summary(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [_known(v, _summary_columns(), "a summary KPI") for v in value]


class ExperimentSpec(Frozen):
    """The experiment file."""

    name: str | None = None
    description: str = ""
    #: a run-config file (relative to the experiment file) or an inline mapping of config settings
    base: Any
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 0
    common_random_numbers: bool = False
    replicates: Annotated[int, Field(ge=1, le=MAX_RUNS)] = 1
    days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None
    stop: StopSpec | None = None
    scenarios: dict[str, dict[str, Any] | None] | None = None
    design: DesignSpec | None = None
    outputs: OutputSpec = OutputSpec()

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not _NAME.match(value):
            raise ValueError(f"must be a name of {_NAME_RULE}")
        return value

    @field_validator("base")
    @classmethod
    def _base(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, dict):
            return value
        raise ValueError("must be a run-config file (e.g. ../configs/spam_vs_community.yaml) "
                         "or a mapping of config settings")

    @field_validator("scenarios")
    @classmethod
    def _scenarios(cls, value: dict | None) -> dict | None:
        if value is None:
            return None
        if not value:
            raise ValueError("no scenarios: name at least one (name: {dotted.path: value, ...}), "
                             "or leave 'scenarios' out to run the base config")
        for name in value:
            if not _NAME.match(str(name)):
                raise ValueError(f"scenario name {name!r} must be made of {_NAME_RULE}")
        return value


# ---------------------------------------------------------------------------------------------
# The validated experiment
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: its spec, resolved configs, design and every run with its seed.

    Attributes
    ----------
    spec : ExperimentSpec
    name : str
        The experiment's name (the spec's ``name``, else the file's stem).
    source : str
        Where the spec came from (for messages).
    base : RunConfig
        The base config with the experiment's horizon applied.
    scenarios : dict of str to RunConfig
        Each scenario's config before factors (a single ``base`` scenario without scenarios).
    design : Design
    runs : RunList
        All runs (:class:`RunTask`) in canonical order: scenario, then design point, then
        replicate; each made on demand.
    settings : RunSettings
    fingerprint : str
        SHA-256 of everything that determines the results (resolved experiment but its
        description, design points, viralsim version; the run seeds follow from these); identifies the experiment's
        results folder. The git commit is left out on purpose, so that the folder name stays
        the same across commits; the folder records the code identity instead and refuses to
        resume with other code (:func:`viralsim.results.provenance.code_identity`).
    """

    spec: ExperimentSpec
    name: str
    source: str
    base: RunConfig
    scenarios: dict
    design: Design
    runs: tuple
    settings: RunSettings
    fingerprint: str

    def __len__(self) -> int:
        return len(self.runs)

    def resolved(self) -> dict:
        """The experiment as data, with the base config inlined in full (a self-contained record)."""
        data = self.spec.model_dump(mode="json")
        data["name"] = self.name
        data["base"] = _config_record(self.base)
        return data

    def to_yaml(self) -> str:
        """Text of :meth:`resolved`; ``viralsim sweep`` accepts it and reproduces the experiment."""
        header = ("# Resolved viralsim experiment: the spec with its base config inlined in full.\n"
                  "# `viralsim sweep experiment.yaml` re-runs it (same runs, same seeds).\n")
        return header + yaml.safe_dump(self.resolved(), sort_keys=False, allow_unicode=True, width=100)

    def default_out(self, root: str | Path = "results") -> Path:
        """``<root>/<name>/seed<root seed>-<fingerprint[:8]>``: the same spec always maps here."""
        return Path(root) / self.name / f"seed{self.spec.seed}-{self.fingerprint[:8]}"

    def describe(self) -> str:
        """One line: runs = scenarios x points x replicates."""
        s, p, r = len(self.scenarios), len(self.design), self.spec.replicates
        kind = "no design" if self.design.kind == "single" else f"{self.design.kind} design"
        return (f"{len(self.runs)} runs = {s} scenario{'s' * (s != 1)} x {p} point{'s' * (p != 1)} ({kind}) "
                f"x {r} replicate{'s' * (r != 1)}")


def load_experiment(
    path: str | Path,
    *,
    overrides: typing.Sequence[str] = (),
    seed: int | None = None,
    replicates: int | None = None,
    days: int | None = None,
) -> Experiment:
    """Read and validate an experiment file.

    Parameters
    ----------
    path : str or Path
        The experiment YAML file.
    overrides : sequence of str
        ``dotted.path=value`` assignments applied to the experiment document before validation
        (e.g. ``replicates=3``, ``design.samples=16``, ``scenarios.spam.sellers.spam.posts_per_day=5``);
        values are YAML.
    seed, replicates, days : int, optional
        Replace the spec's root seed, replicate count or horizon.

    Returns
    -------
    Experiment

    Raises
    ------
    ExperimentError
        For any problem, with a one-line message; nothing has been run or written.
    """
    source = str(path)
    try:
        data = read_config_file(Path(path), source)
    except ConfigError as exc:
        raise ExperimentError(str(exc).replace("config file", "experiment file")) from None
    cli_keys = []
    for item in overrides:
        try:
            key, value = parse_override(item)
            _override(data, key, value, item)
        except ConfigError as exc:
            raise ExperimentError(str(exc)) from None
        cli_keys.append(key)
    for key, value in (("seed", seed), ("replicates", replicates), ("days", days)):
        if value is not None:
            data[key] = value
            cli_keys.append(key)
    return experiment_from_dict(data, source=source, base_dir=Path(path).parent,
                                default_name=Path(path).stem, cli_keys=cli_keys)


def _override(data: dict, key: str, value: typing.Any, item: str) -> None:
    """Apply one ``--set`` to the experiment's data. A scenario's keys are dotted config paths
    themselves, so in ``scenarios.<name>.<path>`` the rest of the path is one key of the scenario:
    the override sets that one setting (``scenarios.spam_alone.sellers.spam.posts_per_day=10``
    keeps the seller's strategy), where a nested mapping would replace the whole section it names
    (every seller of the scenario)."""
    parts = key.split(".")
    scenarios = data.get("scenarios")
    if len(parts) > 2 and parts[0] == "scenarios" and isinstance(scenarios, dict):
        if scenarios.get(parts[1]) is None:
            scenarios[parts[1]] = {}
        scenario = scenarios[parts[1]]
        if isinstance(scenario, dict):
            path = ".".join(parts[2:])
            scenario.pop(path, None)            # (set last, after any section it lies in)
            scenario[path] = value
            return
    apply_override(data, key, value, item)


def experiment_from_dict(
    data: dict,
    *,
    source: str = "<experiment>",
    base_dir: str | Path = ".",
    default_name: str = "experiment",
    cli_keys: typing.Sequence[str] = (),
) -> Experiment:
    """Validate an experiment given as data (the parsed YAML); see :func:`load_experiment`.

    A relative ``base`` path is resolved against ``base_dir``.
    """
    try:
        spec = ExperimentSpec.model_validate(data)
    except ValidationError as exc:
        raise ExperimentError(_describe_spec(exc, source, cli_keys)) from None
    # Count the runs before building anything that grows with them (design table, run list).
    n_scenarios = len(spec.scenarios) if spec.scenarios is not None else 1
    n_points = design_size(spec.design)
    n_runs = n_scenarios * n_points * spec.replicates
    if n_runs > MAX_RUNS:
        raise ExperimentError(f"{source}: the experiment has {n_runs:,} runs ({n_scenarios:,} scenarios x "
                              f"{n_points:,} design points x {spec.replicates:,} replicates), "
                              f"more than the {MAX_RUNS:,} allowed: lower replicates, the design's samples or "
                              "levels, or the scenarios, or split the experiment")
    name = spec.name or (default_name if _NAME.match(default_name) else "experiment")
    base = _load_base(spec, source, Path(base_dir))
    if spec.days is not None:
        base = base.model_copy(update={"days": spec.days})
    scenarios = _scenario_configs(spec, base, source)
    _check_stop(spec, scenarios, source)
    design = build_design(spec.design, spec.seed)
    _check_factor_paths(spec, scenarios, source)
    _check_factor_ranges(spec, scenarios, source)
    runs = _runs(spec, scenarios, design, source)
    settings = _settings(spec, design)
    experiment = Experiment(spec=spec, name=name, source=source, base=base, scenarios=scenarios, design=design,
                            runs=runs, settings=settings, fingerprint="")
    fingerprint = _fingerprint(experiment)
    return Experiment(spec=spec, name=name, source=source, base=base, scenarios=scenarios, design=design,
                      runs=runs, settings=settings, fingerprint=fingerprint)


# ---------------------------------------------------------------------------------------------
# Base config and scenarios
# ---------------------------------------------------------------------------------------------


def _load_base(spec: ExperimentSpec, source: str, base_dir: Path) -> RunConfig:
    if isinstance(spec.base, str):
        path = Path(spec.base)
        if not path.is_absolute():
            path = base_dir / path
        if not path.exists():
            raise ExperimentError(f"{source}: base = {spec.base!r}: no such config file "
                                  f"(relative paths are read from the experiment file's folder, {base_dir})")
        try:
            return load_config(path)
        except ConfigError as exc:
            raise ExperimentError(f"{source}: base: {exc}") from None
    data = copy.deepcopy(spec.base)
    record = data.pop(RESOLVED_KEY, None)
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ExperimentError(describe_validation(exc, source, RunConfig, ("base",), ())) from None
    try:
        resolved = resolve_strategies(config, source, ())
        if record is not None:
            check_resolved_record(record, resolved, source)
    except ConfigError as exc:
        raise ExperimentError(str(exc).replace(f"{source}: ", f"{source}: base.", 1)) from None
    return config


def _scenario_configs(spec: ExperimentSpec, base: RunConfig, source: str) -> dict[str, RunConfig]:
    if spec.scenarios is None:
        return {"base": base}
    base_data = base.model_dump(mode="json")
    out = {}
    for name, sets in spec.scenarios.items():
        data = copy.deepcopy(base_data)
        for path, value in (sets or {}).items():
            where = f"scenarios.{name}"
            _check_path(str(path), data, source, where, allow_new_key=True)
            _set_path(data, str(path).split("."), value)
        out[name] = _validate_config(data, source, f"scenario '{name}'")
    return out


def _validate_config(data: dict, source: str, context: str) -> RunConfig:
    try:
        config = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ExperimentError(f"{describe_validation(exc, source, RunConfig, (), ())} (in {context})") from None
    try:
        resolve_strategies(config, source, ())
    except ConfigError as exc:
        raise ExperimentError(f"{exc} (in {context})") from None
    return config


def _check_stop(spec: ExperimentSpec, scenarios: dict[str, RunConfig], source: str) -> None:
    if spec.stop is None or spec.stop.seller in ("any", "all"):
        return
    for name, config in scenarios.items():
        if spec.stop.seller not in config.sellers:
            sellers = list(config.sellers)
            hint = did_you_mean(spec.stop.seller, sellers)
            raise ExperimentError(
                f"{source}: stop.seller = {spec.stop.seller!r} is not allowed: scenario '{name}' has sellers "
                f"{', '.join(repr(s) for s in sellers)} (or use 'any' / 'all'){hint}")


# ---------------------------------------------------------------------------------------------
# Dotted paths into the run config
# ---------------------------------------------------------------------------------------------


def _check_path(path: str, data: dict, source: str, where: str, *, allow_new_key: bool = False) -> None:
    """Raise ExperimentError unless ``path`` addresses a setting of the run config ``data``.

    Model fields are checked against the schema (with a did-you-mean suggestion); mapping keys
    such as seller names against the keys present in ``data``; a new key of a typed mapping (a
    new seller) is accepted only as the last segment when ``allow_new_key``, and a new key of a
    free-form mapping always (the run config's validation judges it).
    """
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise ExperimentError(f"{source}: {where}: {path!r} is not a dotted path such as sellers.spam.posts_per_day")
    if parts[0] in _RESERVED and len(parts) == 1:
        raise ExperimentError(f"{source}: {where}: '{path}' cannot be set here: {_RESERVED[parts[0]]}")
    ann: Any = RunConfig
    node: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        here = ".".join(parts[:depth])
        ann = unwrap(ann)
        tag = None
        members = model_members(ann)
        if members:
            kind = node.get("kind") if isinstance(node, dict) else None
            ann = next((m for m in members if kind in literal_choices(kind_annotation(m))), members[0])
            tag = kind
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            fields = list(ann.model_fields)
            if part not in fields:
                close = difflib.get_close_matches(part, fields, n=1)
                scope = f" for kind {tag!r}" if tag else ""
                hint = f"did you mean '{close[0]}'?" if close else f"valid fields{scope}: {', '.join(fields)}"
                raise ExperimentError(f"{source}: {where}: unknown field '{path}'; {hint}")
            ann = ann.model_fields[part].annotation
            node = node.get(part) if isinstance(node, dict) else None
        elif typing.get_origin(ann) in (dict, typing.Mapping) or (ann is Any and isinstance(node, dict)):
            # (free-form mappings, such as a timed event's settings, are followed by their keys)
            keys = [str(k) for k in node] if isinstance(node, dict) else []
            if part not in keys:
                if (last and allow_new_key) or ann is Any or typing.get_args(ann)[1] is Any:
                    return          # (a new entry of a free-form mapping: the run config's validation judges it)
                close = did_you_mean(part, keys)
                has = f"{here} has {', '.join(repr(k) for k in keys)}" if keys else f"{here} is empty"
                raise ExperimentError(f"{source}: {where}: unknown key '{part}' in '{path}' ({has}){close}")
            ann = typing.get_args(ann)[1] if ann is not Any else Any
            node = node[part]
        elif typing.get_origin(ann) in (list, tuple, typing.Sequence) or (ann is Any and isinstance(node, list)):
            size = len(node) if isinstance(node, list) else 0
            if not part.lstrip("-").isdigit() or not -size <= int(part) < size:
                raise ExperimentError(f"{source}: {where}: '{path}': {here} is a list of {size} items; "
                                      f"{part!r} is not an index into it")
            ann = typing.get_args(ann)[0] if ann is not Any else Any
            node = node[int(part)]
        else:
            raise ExperimentError(f"{source}: {where}: '{path}': {here} is a single value "
                                  f"({show_value(node)}), it has no field '{part}'")


def _set_path(data: dict, parts: list[str], value: Any) -> None:
    """Assign at a checked path; ``null`` at a mapping key (a seller) removes the entry."""
    node: Any = data
    for part in parts[:-1]:
        if isinstance(node, list):
            node = node[int(part)]
        else:
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = copy.deepcopy(value)
    elif value is None and len(parts) == 2 and parts[0] == "sellers":
        node.pop(last, None)
    else:
        node[last] = copy.deepcopy(value)


def _check_factor_paths(spec: ExperimentSpec, scenarios: dict[str, RunConfig], source: str) -> None:
    if spec.design is None:
        return
    for name in spec.design.factors:
        for scenario, config in scenarios.items():
            where = f"design.factors['{name}']" + (f" (scenario '{scenario}')" if len(scenarios) > 1 else "")
            _check_path(name, config.model_dump(mode="json"), source, where)


def _check_factor_ranges(spec: ExperimentSpec, scenarios: dict[str, RunConfig], source: str) -> None:
    """A range whose ends the config rejects is reported as such, before any point is sampled."""
    if spec.design is None or spec.design.kind not in SAMPLED:
        return
    for name, f in spec.design.factors.items():
        if f.range is None or f.distribution == "choice":
            continue
        ends = (int(f.range[0]), int(f.range[1])) if f.distribution == "integer" else f.range
        for scenario, config in scenarios.items():
            for end in ends:
                data = config.model_dump(mode="json")
                _set_path(data, name.split("."), end)
                try:
                    RunConfig.model_validate(data)
                except ValidationError as exc:
                    first = exc.errors(include_url=False)[0]
                    detail, _ = describe_error(first, RunConfig, ())
                    where = f" (in scenario '{scenario}')" if spec.scenarios is not None else ""
                    if first["type"] == "int_type" and f.distribution != "integer":
                        # The ends may be in range; the samples between them are not whole numbers.
                        raise ExperimentError(f"{source}: design.factors['{name}']: dist {f.distribution!r} "
                                              f"samples real numbers, but {detail}; use dist: integer for a "
                                              f"setting that takes whole numbers{where}") from None
                    raise ExperimentError(f"{source}: design.factors['{name}']: range [{f.range[0]:g}, "
                                          f"{f.range[1]:g}] reaches outside what the config allows: "
                                          f"{detail}{where}") from None


# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------


def _runs(spec: ExperimentSpec, scenarios: dict[str, RunConfig], design: Design, source: str) -> RunList:
    cells = []
    for scenario, config in scenarios.items():
        data = config.model_dump(mode="json")
        for point, values in enumerate(design.points):
            if values:
                shown = ", ".join(f"{k}={show_value(v)}" for k, v in values.items())
                context = (f"design point {point}: {shown}" +
                           (f", scenario '{scenario}'" if spec.scenarios is not None else ""))
                try:
                    _validate_config(_point_data(data, values), source, context)
                except ExperimentError as exc:
                    hint = ("; use dist: integer for a setting that takes whole numbers"
                            if "must be a whole number" in str(exc) and spec.design is not None
                            and spec.design.kind in SAMPLED else "")
                    raise ExperimentError(f"{exc}{hint}") from None
            factors = tuple((k, values[k]) for k in design.factors)
            cells.append((scenario, point, factors, values))
    return RunList(scenarios, tuple(cells), spec.replicates, spec.seed, common=spec.common_random_numbers,
                   n_points=len(design))


def _point_data(scenario_data: dict, values: dict) -> dict:
    """A scenario's config data with a design point's factor values set."""
    data = copy.deepcopy(scenario_data)
    for path, value in values.items():
        _set_path(data, path.split("."), value)
    return data


class RunList(typing.Sequence):
    """The runs of an experiment in canonical order (scenario, design point, replicate), each
    :class:`RunTask` made when it is asked for.

    Every design point's config was validated when the experiment loaded; the list keeps only
    the points' factor values (and each scenario's config), and rebuilds a point's config when
    one of its runs is asked for, so a spec of millions of runs is planned (``sweep --dry-run``)
    in memory that grows with the design table, not with the configs. A run's seed is derived
    when the run is made (:func:`~viralsim.experiment.seeds.run_seed`).
    """

    def __init__(self, scenarios: dict[str, RunConfig], cells: tuple, replicates: int, root_seed: int, *,
                 common: bool, n_points: int):
        self._scenarios = scenarios
        self._cells = cells              # (scenario, point, factors, values) per scenario x point
        self._reps = replicates
        self._root = root_seed
        self._common = common
        self._wp = len(str(max(n_points - 1, 0)))
        self._wr = len(str(max(replicates - 1, 0)))
        # the replicates of a point are consecutive runs: keep the last points' configs
        self._config = functools.lru_cache(maxsize=64)(self._point_config)

    def __len__(self) -> int:
        return len(self._cells) * self._reps

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"run {index} of {n}")
        cell = index // self._reps
        scenario, point, factors, _ = self._cells[cell]
        rep = index % self._reps
        seed = run_seed(self._root, scenario, point, rep, common=self._common)
        return RunTask(run=index, run_id=f"{scenario}-p{point:0{self._wp}d}-r{rep:0{self._wr}d}",
                       scenario=scenario, point=point, replicate=rep, seed=seed, factors=factors,
                       config=self._config(cell).model_copy(update={"seed": seed}))

    def point_configs(self) -> typing.Iterator[RunConfig]:
        """Each scenario and design point's config (seed not set), one at a time, in run order."""
        for cell in range(len(self._cells)):
            yield self._point_config(cell)

    def _point_config(self, cell: int) -> RunConfig:
        scenario, _, _, values = self._cells[cell]
        config = self._scenarios[scenario]
        if not values:
            return config
        return RunConfig.model_validate(_point_data(config.model_dump(mode="json"), values))


def _settings(spec: ExperimentSpec, design: Design) -> RunSettings:
    out = spec.outputs
    stop = spec.stop.model_dump() if spec.stop is not None else None
    return RunSettings(
        factors=tuple((name, design.kinds[name]) for name in design.factors),
        every=None if out.every == "end" else out.every,
        metrics=tuple(out.metrics) if out.metrics is not None else None,
        market=tuple(out.market) if out.market is not None else None,
        summary=tuple(out.summary) if out.summary is not None else None,
        stop=stop,
    )


def _fingerprint(experiment: Experiment) -> str:
    record = experiment.resolved()
    record.pop("description", None)  # text only: editing it must not orphan the results
    payload = {
        "viralsim": __version__,
        "experiment": record,
        "design": [[_jsonable(v) for v in p.values()] for p in experiment.design.points],
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value)
    return value


def _config_record(config: RunConfig) -> dict:
    data = config.model_dump(mode="json")
    data[RESOLVED_KEY] = {n: s.resolved.model_dump(mode="json") for n, s in config.sellers.items()}
    return data


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------


def _describe_spec(exc: ValidationError, source: str, cli_keys: typing.Sequence[str]) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(first["loc"])
    if first["type"] == "value_error" and "error" in (first.get("ctx") or {}):
        reason = str(first["ctx"]["error"])
        path = _spec_path(loc)
        value = first.get("input")
        if loc and loc[-1] in ("every", "name", "base"):
            message = f"{path} = {show_value(value)} is not allowed: {reason}"
        elif not path or reason.startswith(path):
            message = reason
        else:
            message = f"{path}: {reason}"
        dotted = ".".join(str(p) for p in loc)
    else:
        message, dotted = describe_error(first, ExperimentSpec, ())
        if len(loc) > 2 and loc[:2] == ("design", "factors"):
            message = message.replace(f"design.factors.{loc[2]}", _spec_path(loc[:3]), 1)
    if any(dotted == k or dotted.startswith(k + ".") or k.startswith(dotted + ".") for k in cli_keys):
        message += FROM_CLI
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return f"{source}: {message}"


def _spec_path(loc: tuple) -> str:
    if len(loc) >= 3 and loc[:2] == ("design", "factors"):
        rest = "".join(f".{p}" for p in loc[3:])
        return f"design.factors['{loc[2]}']{rest}"
    return ".".join(str(p) for p in loc)


def _known(value: str, allowed: typing.Sequence[str], what: str) -> str:
    if value in allowed:
        return value
    close = difflib.get_close_matches(str(value), list(allowed), n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
    raise ValueError(f"{value!r} is not {what}; {hint}")


_SUMMARY_CACHE: list[tuple[str, ...]] = []


def _summary_columns() -> tuple[str, ...]:
    """The KPI columns of a run summary, read off :func:`viralsim.metrics.summarize` itself."""
    if not _SUMMARY_CACHE:
        daily = pd.DataFrame([{"day": 1, "seller": "s", **dict.fromkeys(DAILY_COLUMNS, 0)}])
        sizes = pd.DataFrame({"seller": pd.Series([], dtype=object), "root": pd.Series([], dtype="int64"),
                              "size": pd.Series([], dtype="int64")})
        zeros = {k: np.zeros(width) for k, width in BREAKDOWNS}
        try:
            columns = summarize(daily, sizes, {"s": zeros}, {"s": "community"}).columns
            _SUMMARY_CACHE.append(tuple(c for c in columns if c not in ("seller", "strategy")))
        except Exception:  # noqa: BLE001 - fall back to the KPIs documented in docs/model.md
            _SUMMARY_CACHE.append(_FALLBACK_KPIS)
    return _SUMMARY_CACHE[0]


_FALLBACK_KPIS = ("purchases", "revenue", "cost", "profit", "customers", "repeat_customers", "followers_end",
                  "followers_max", "new_followers", "new_followers_purchase", "new_followers_referral",
                  "new_followers_group", "ties_broken", "ties_broken_stranger", "ties_broken_weak",
                  "ties_broken_strong", "groups_opened", "groups_filled", "groups_failed",
                  "purchases_group_buy", "commission", "loaded_resellers", "forwards", "forwards_read",
                  "purchases_forward", "contacts",
                  "buyers_per_follower", "muted",
                  "blocked", "muted_blocked_share",
                  "mean_trust_end", "mean_annoyance_end", "time_to_half_sales", "peak_day", "peak_sales",
                  "late_vs_peak", "purchases_wom", "wom_positive", "wom_negative", "cascades", "cascade_median",
                  "cascade_p99", "cascade_max")
