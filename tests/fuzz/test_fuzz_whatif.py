"""Property-based fuzzing of ``viralsim whatif``: refused cleanly, or compared to the end.

A what-if takes its alternatives from the command line (``--set KEY=A,B,...``) and its size
from options. Each case varies one or two settings drawn from every field of the run config
(``test_fuzz_config``'s leaves), each with one to three levels drawn from the field's wrong,
extreme, boundary and valid values, and may give ``--replicates``, ``--days``, ``--effect`` and
``--seller`` wrong or odd values. The command must either refuse the case (exit 2, one line
naming a setting or an option the case gave, no traceback) or run the serial what-if of two
replicates over a few days to its verdicts (exit 0, or 3 when an alternative's run failed, which
the table then says). The default suite draws 40 cases; ``pytest -m slow tests/fuzz`` draws 600.
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

#: the settings a --set may name (a network kind's fields need the kind)
SET_LEAVES = [leaf for leaf in LEAVES if not leaf.context]
OPTIONS = {
    "--replicates": st.one_of(st.integers(1, 3), st.sampled_from(["0", "-1", "1.5", "x", "", "99999999999999999999"])),
    "--days": st.one_of(st.integers(1, 8), st.sampled_from(["0", "-2", "nan", "1e9", "3.0"])),
    "--effect": st.one_of(st.floats(0.5, 50), st.sampled_from(["0", "-5", "inf", "nan", "x", "1e308"])),
    "--seller": st.sampled_from(["spam", "community", "nobody", ""]),
}

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


def _case(case) -> None:
    sets, options, names = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "base.yaml"
        path.write_text(sc.to_yaml(BASE), encoding="utf-8")
        args = ["whatif", str(path), "--executor", "serial", "--no-report", "--quiet", "--out", str(Path(tmp) / "out")]
        args += [] if "--replicates" in options else ["--replicates", "2"]
        args += [] if "--days" in options else ["--days", "5"]
        args += options + sets
        what = " ".join(options + sets)[:2000]
        code, _, err = outcomes.cli(*args)
        assert "Traceback" not in err, f"{what}: {err[-3000:]}"
        if code == 2:
            outcomes.check_refusal(code, err, names, what)
            outcomes.COUNTS["whatif: refused"] += 1
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
