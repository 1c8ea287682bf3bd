"""Property-based fuzzing of experiment specs: refused cleanly, or every planned run is sound.

Two kinds of case, both derived from the schemas:

* a spec field (replicates, seed, days, design kind and sizes, outputs, stop condition, factor
  settings) set to a wrong type, non-finite, extreme, boundary or valid value
  (``schema_cases.leaves(ExperimentSpec)``);
* a design factor on a run-config field (any scalar field of the run-config schema) whose levels,
  or whose sampling range, are drawn from that field's wrong, extreme and valid values: a level
  that makes an invalid config must be refused when the spec is loaded, not when its run comes.

``viralsim sweep SPEC --dry-run`` must then exit 2 with one line naming a field the case set, or
exit 0; an accepted spec's first and last runs must simulate to finite outputs. The default suite
draws a few hundred cases; ``pytest -m slow tests/fuzz`` draws 3,000 per test.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import outcomes
import pytest
import schema_cases as sc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_config import BASE, LEAVES

from viralsim.experiment.design import DESIGN_KINDS
from viralsim.experiment.runner import run_one
from viralsim.experiment.spec import ExperimentSpec, load_experiment
from viralsim.model import simulate

FACTOR = "sellers.spam.posts_per_day"
SPEC = {
    "name": "fuzz",
    "base": BASE,
    "seed": 3,
    "replicates": 2,
    "days": 10,
    "design": {"kind": "grid", "factors": {FACTOR: {"levels": [5, 20]}}},
    "outputs": {"every": 1},
    # a stop condition that never holds, so that its fields are fuzzed from a valid setting
    "stop": {"metric": "purchases", "op": ">=", "value": 1e9, "seller": "any", "after_day": 0},
}
SPEC_LEAVES = sc.leaves(ExperimentSpec, instances={("design", "factors"): [FACTOR]})
#: run-config fields a factor can vary (the seed is the experiment's own)
FACTOR_LEAVES = [leaf for leaf in LEAVES if leaf.dotted != "seed" and not leaf.context]

FAST = settings(max_examples=150, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))
LONG = settings(FAST, max_examples=3000)


def test_the_spec_schema_is_read_whole():
    paths = {leaf.dotted for leaf in SPEC_LEAVES}
    for expected in ("replicates", "seed", "days", "design.kind", "design.samples", "design.grid_levels",
                     f"design.factors.{FACTOR}.levels", f"design.factors.{FACTOR}.range",
                     "outputs.every", "stop.value"):
        assert expected in paths, expected


@st.composite
def factor_cases(draw):
    """A design over one run-config field with drawn levels or a drawn sampling range."""
    leaf = draw(st.sampled_from(FACTOR_LEAVES))
    kind = draw(st.sampled_from(DESIGN_KINDS))
    if kind in ("grid", "zip"):
        factor = {"levels": draw(st.lists(sc.values(leaf), min_size=1, max_size=3))}
        design = {"kind": kind, "factors": {leaf.dotted: factor}}
    else:
        lo, hi = draw(sc.values(leaf)), draw(sc.values(leaf))
        design = {"kind": kind, "factors": {leaf.dotted: {"range": [lo, hi]}}, "samples": 2}
    return leaf, design


def _check(data: dict, fields: list[str], what: str, label: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.yaml"
        path.write_text(sc.to_yaml(data), encoding="utf-8")
        code, _, err = outcomes.cli("sweep", str(path), "--dry-run", "--out", str(Path(tmp) / "out"))
        if code != 0:
            outcomes.check_refusal(code, err, fields, what)
            outcomes.COUNTS[f"{label}: refused"] += 1
            return
        assert not (Path(tmp) / "out").exists(), f"{what}: --dry-run wrote the results folder"
        experiment = load_experiment(path)
    runs = experiment.runs
    for task in {runs[0].run: runs[0], runs[-1].run: runs[-1]}.values():
        outcomes.check_finite(simulate(task.config), f"{what} (run {task.run})")
        rows = run_one(task, experiment.settings)
        assert rows.status["status"] == "ok", f"{what} (run {task.run}): {rows.status['error']}"
        outcomes.check_rows(rows, f"{what} (run {task.run} as recorded)")
    outcomes.COUNTS[f"{label}: ran"] += 1


def _spec_case(assignments) -> None:
    data = sc.apply(SPEC, assignments)
    # a changed base or horizon may invalidate the spec's own factor, which the message then names
    fields = [leaf.dotted for leaf, _ in assignments] + [f"design.factors.{FACTOR}"]
    _check(data, fields, " ".join(f"{leaf.dotted}={value!r:.60}" for leaf, value in assignments), "spec")


def _factor_case(case) -> None:
    leaf, design = case
    data = {**SPEC, "design": design}
    # the message may name the factor by its design path or by the run-config field
    fields = [leaf.dotted, f"design.factors.{leaf.dotted}"]
    _check(data, fields, f"design={design!r:.200}", "factor")


@FAST
@given(sc.assignments(SPEC_LEAVES, max_fields=2))
def test_spec_fuzz(assignments):
    _spec_case(assignments)


@FAST
@given(factor_cases())
def test_factor_fuzz(case):
    _factor_case(case)


@pytest.mark.slow
@LONG
@given(sc.assignments(SPEC_LEAVES, max_fields=2))
def test_spec_fuzz_long(assignments):
    _spec_case(assignments)


@pytest.mark.slow
@LONG
@given(factor_cases())
def test_factor_fuzz_long(case):
    _factor_case(case)
