"""Property-based fuzzing of ``viralsim whatif``: refused cleanly, or compared to the end.

A what-if takes its alternatives from the command line (``--set KEY=A,B,...``) and its size
from options. Each case varies one or two settings drawn from every field of the run config
(``test_fuzz_config``'s leaves), each with one to three levels drawn from the field's wrong,
extreme, boundary and valid values, and may give ``--replicates``, ``--days``, ``--effect`` and
``--seller`` wrong or odd values. The command must either refuse the case (exit 2, one line
naming a setting or an option the case gave, no traceback) or run the serial what-if of two
replicates over a few days to its verdicts (exit 0, or 3 when an alternative's run failed, which
the table then says). The default suite draws 40 cases; ``pytest -m slow tests/fuzz`` draws 600.

Most of those cases are refused, since one bad level refuses the whole what-if. A second fuzz
draws only levels that each field accepts on its own (boundaries, extremes inside the bounds,
any choice, any preset) and valid options: such a what-if must run to its verdicts with exit 0
(no alternative's run may fail: every config that validates runs), every recorded number finite
but the documented undefined ratios, or be refused in one line naming a setting it gave (a rule
across fields). The default suite draws 20 such cases, the slow suite 300.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from types import SimpleNamespace

import outcomes
import pandas as pd
import pytest
import schema_cases as sc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_config import BASE, LEAVES

from viralsim.config.presets import preset_names

#: the settings a --set may name (a network kind's fields need the kind)
SET_LEAVES = [leaf for leaf in LEAVES if not leaf.context]
OPTIONS = {
    "--replicates": st.one_of(st.integers(1, 3), st.sampled_from(["0", "-1", "1.5", "x", "", "99999999999999999999"])),
    "--days": st.one_of(st.integers(1, 8), st.sampled_from(["0", "-2", "nan", "1e9", "3.0"])),
    "--effect": st.one_of(st.floats(0.5, 50), st.sampled_from(["0", "-5", "inf", "nan", "x", "1e308"])),
    "--seller": st.sampled_from(["spam", "community", "nobody", ""]),
}

#: the settings a valid-path case varies: every scalar a what-if may vary (not the run's name or
#: seed), with the strategies' preset names as their choices
VALID_LEAVES = [leaf for leaf in SET_LEAVES if leaf.dotted != "seed"
                and (leaf.kind in ("float", "int", "bool", "choice") or leaf.dotted.endswith(".strategy"))]

FAST = settings(max_examples=40, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))
LONG = settings(FAST, max_examples=600)


@st.composite
def whatif_cases(draw):
    """(--set arguments, option arguments, the names a refusal may give)."""
    sets, names = [], []
    for leaf in draw(st.lists(st.sampled_from(SET_LEAVES), min_size=1, max_size=2, unique_by=lambda x: x.dotted)):
        levels = draw(st.lists(sc.values(leaf), min_size=2 if not sets else 1, max_size=3, unique_by=sc.yaml_value))
        sets += ["--set", f"{leaf.dotted}=" + ",".join(sc.yaml_value(v) for v in levels)]
        names += [leaf.dotted, "--set"]
    options = []
    for flag, values in OPTIONS.items():
        if draw(st.integers(0, 3)) == 0:
            options += [flag, str(draw(values))]
            names.append(flag)
    return sets, options, names


def _valid_levels(leaf) -> st.SearchStrategy:
    return st.sampled_from(preset_names()) if leaf.dotted.endswith(".strategy") else sc.valid_values(leaf)


@st.composite
def valid_whatif_cases(draw):
    """(--set arguments, option arguments, the names a refusal may give): levels each field
    accepts, options in range."""
    sets, names = [], []
    for leaf in draw(st.lists(st.sampled_from(VALID_LEAVES), min_size=1, max_size=2, unique_by=lambda x: x.dotted)):
        levels = draw(st.lists(_valid_levels(leaf), min_size=2 if not sets else 1, max_size=3,
                               unique_by=sc.yaml_value))
        sets += ["--set", f"{leaf.dotted}=" + ",".join(sc.yaml_value(v) for v in levels)]
        names += [leaf.dotted]
    options = ["--replicates", str(draw(st.integers(1, 2))), "--days", str(draw(st.integers(1, 5)))]
    if draw(st.booleans()):
        options += ["--effect", repr(draw(st.floats(0.01, 1000)))]
    if draw(st.booleans()):
        options += ["--seller", draw(st.sampled_from(sorted(BASE["sellers"])))]
    return sets, options, names


def _valid_case(case) -> None:
    sets, options, names = case
    with _whatif(options + sets, names, "whatif, valid levels") as (code, err, out, what):
        if code == 2:
            return
        assert code == 0, f"{what}: exit {code}; stderr: {err[-2000:]}"
        outcomes.check_rows(SimpleNamespace(table=pd.read_parquet(out / "table.parquet"),
                                            summary=pd.read_parquet(out / "summary.parquet")), what)
        per_run = pd.read_csv(out / "whatif" / "whatif.csv").select_dtypes("number")
        assert _undefined_only(per_run), f"{what}: whatif.csv holds NaN"
        assert not per_run.isin([float("inf"), float("-inf")]).any().any(), f"{what}: whatif.csv holds infinity"
        outcomes.COUNTS["whatif, valid levels: exit 0"] += 1


def _undefined_only(per_run: pd.DataFrame) -> bool:
    """NaN in the per-run KPIs only in the end trust of a seller with no contact left."""
    nan_cols = {c for c in per_run.columns if per_run[c].isna().any()}
    return nan_cols <= {"mean_trust_end"}


@contextlib.contextmanager
def _whatif(args: list[str], names: list[str], label: str):
    """``viralsim whatif`` of BASE with ``args`` in a temporary folder: yields (exit status,
    stderr, results folder, the case in words) while the folder exists, after checking that the
    command raised nothing and that a refusal (exit 2, counted under ``label``) is clean."""
    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "base.yaml", Path(tmp) / "out"
        path.write_text(sc.to_yaml(BASE), encoding="utf-8")
        what = " ".join(args)[:2000]
        code, _, err = outcomes.cli("whatif", str(path), "--executor", "serial", "--no-report", "--quiet",
                                    "--out", str(out), *args)
        assert "Traceback" not in err, f"{what}: {err[-3000:]}"
        if code == 2:
            outcomes.check_refusal(code, err, names, what)
            outcomes.COUNTS[f"{label}: refused"] += 1
        yield code, err, out, what


def _case(case) -> None:
    sets, options, names = case
    defaults = ([] if "--replicates" in options else ["--replicates", "2"]) + \
        ([] if "--days" in options else ["--days", "5"])
    with _whatif(defaults + options + sets, names, "whatif") as (code, err, _, what):
        if code == 2:
            return
        assert code in (0, 3), f"{what}: exit {code}; stderr: {err[-2000:]}"
        outcomes.COUNTS[f"whatif: exit {code}"] += 1


@FAST
@given(whatif_cases())
def test_whatif_fuzz(case):
    _case(case)


@pytest.mark.slow
@LONG
@given(whatif_cases())
def test_whatif_fuzz_long(case):
    _case(case)


@settings(FAST, max_examples=20)
@given(valid_whatif_cases())
def test_whatif_fuzz_valid_levels(case):
    _valid_case(case)


@pytest.mark.slow
@settings(FAST, max_examples=300)
@given(valid_whatif_cases())
def test_whatif_fuzz_valid_levels_long(case):
    _valid_case(case)
