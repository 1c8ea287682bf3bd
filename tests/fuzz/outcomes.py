"""What a fuzzed case may end in: a clean refusal, or a run whose every output is finite.

A refusal is exit status 2 with exactly one line on stderr, ``viralsim: error: ...``, naming one
of the fields the case set, and no traceback. A run's tables hold no infinity anywhere and NaN
only where a quantity is undefined because its denominator is zero (each such column is listed
here with the condition under which NaN is allowed).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from viralsim.cli import main

#: outcome counts of every fuzzed case in this process; written out on request (see record())
COUNTS: Counter = Counter()


def cli(*args: str) -> tuple[int, str, str]:
    """``viralsim ARGS`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def check_refusal(code: int, err: str, fields: list[str], what: str) -> None:
    """A clean refusal naming one of ``fields`` (dotted paths; a parent section also counts)."""
    assert code == 2, f"{what}: exit {code}, expected 2 or 0; stderr: {err[-2000:]}"
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, f"{what}: refusal is not one line: {err[-2000:]}"
    assert lines[0].startswith("viralsim: error: "), f"{what}: {lines[0]}"
    assert "Traceback" not in err
    names = set(fields) | {f.rsplit(".", 1)[0] for f in fields if "." in f}
    # a mapping key that holds dots is quoted in messages: design.factors['a.b'].levels
    message = re.sub(r"\['([^']*)'\]", r".\1", lines[0])
    assert any(name in message for name in names), f"{what}: the message names none of {sorted(fields)}: {lines[0]}"


#: daily columns that are NaN on days a seller has no contact (means over no one)
_DAILY_MEANS = ("mean_trust", "mean_annoyance")

#: summary KPI -> predicate on the summary row under which NaN is allowed (zero denominators)
_SUMMARY_UNDEFINED = {
    "buyers_per_follower": lambda r: r["followers_max"] == 0,
    "muted_blocked_share": lambda r: r["contacts"] == 0,
    "mean_trust_end": lambda r: r["contacts"] == 0,
    "mean_annoyance_end": lambda r: r["contacts"] == 0,
    "time_to_half_sales": lambda r: r["purchases"] == 0,
    "late_vs_peak": lambda r: r["peak_sales"] == 0,
    "cascade_median": lambda r: r["cascades"] == 0,
    "cascade_p99": lambda r: r["cascades"] == 0,
    # exposures and recommendations by tie type are not in the summary: any count may be zero
    "conv_per_exposure_strong": lambda r: True,
    "conv_per_exposure_weak": lambda r: True,
    "conv_per_exposure_stranger": lambda r: True,
    "wom_conv_strong": lambda r: True,
    "wom_conv_weak": lambda r: True,
}


def check_finite(result, what: str) -> None:
    """Every table of a run is finite but for the documented undefined ratios."""
    for name in ("daily", "market", "summary", "cascades", "cascade_sizes"):
        df = getattr(result, name)
        num = df.select_dtypes("number")
        values = num.to_numpy(dtype=float)
        assert not np.isinf(values).any(), f"{what}: {name} holds infinity in {_bad(num, np.isinf)}"
        nan_cols = [c for c in num.columns if num[c].isna().any()]
        if name == "daily":
            for c in nan_cols:
                assert c in _DAILY_MEANS, f"{what}: daily.{c} holds NaN"
                assert (df.loc[df[c].isna(), "contacts"] == 0).all(), f"{what}: daily.{c} is NaN with contacts"
        elif name == "summary":
            for c in nan_cols:
                assert c in _SUMMARY_UNDEFINED, f"{what}: summary.{c} holds NaN"
                for _, row in df[df[c].isna()].iterrows():
                    assert _SUMMARY_UNDEFINED[c](row), f"{what}: summary.{c} is NaN for {row['seller']}"
        else:
            assert not nan_cols, f"{what}: {name} holds NaN in {nan_cols}"


def check_rows(rows, what: str) -> None:
    """A sweep run's recorded rows (the long table and its summary): no infinity, and NaN only in
    the columns that may be undefined (the run's own tables were checked by check_finite)."""
    allowed = set(_DAILY_MEANS) | set(_SUMMARY_UNDEFINED)
    for name in ("table", "summary"):
        df = getattr(rows, name)
        num = df.select_dtypes("number")
        assert not np.isinf(num.to_numpy(dtype=float)).any(), f"{what}: {name} holds infinity in {_bad(num, np.isinf)}"
        nan_cols = {c for c in num.columns if num[c].isna().any()}
        assert nan_cols <= allowed, f"{what}: {name} holds NaN in {sorted(nan_cols - allowed)}"


def _bad(df: pd.DataFrame, test) -> list[str]:
    return [c for c in df.columns if test(df[c].to_numpy(dtype=float)).any()]


def record() -> None:
    """Add this process's outcome counts to the JSON file named by ``$VIRALSIM_FUZZ_REPORT``."""
    target = os.environ.get("VIRALSIM_FUZZ_REPORT")
    if not target or not COUNTS:
        return
    path = Path(f"{target}.{os.getpid()}.json")
    path.write_text(json.dumps(dict(COUNTS), indent=1, sort_keys=True))
