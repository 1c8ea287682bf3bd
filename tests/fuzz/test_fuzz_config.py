"""Property-based fuzzing of run configs: every case is refused cleanly or runs to finite outputs.

Each case takes a small two-seller market (spam and community, 300 people, 12 days) and sets one
to three fields, drawn from every scalar field of the run-config schema (``schema_cases``), to a
wrong type, a non-finite, extreme, boundary or valid value. ``viralsim validate`` must then either
refuse the config (exit 2, one line naming a field the case set) or accept it, and an accepted
config must simulate to completion with every output finite (``outcomes.check_finite``). The
same cases also go in as ``--set`` overrides on the command line.

The default suite draws a few hundred cases; ``pytest -m slow tests/fuzz`` draws 3,000 per test.
Hypothesis runs derandomized, so every run of the suite draws the same cases. With
``VIRALSIM_FUZZ_REPORT=PREFIX`` set, each process writes its outcome counts to
``PREFIX.<pid>.json`` (the figures in docs/reliability.md).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import outcomes
import pytest
import schema_cases as sc
from hypothesis import HealthCheck, given, settings

from viralsim.config.load import load_config
from viralsim.config.schema import RunConfig
from viralsim.model import simulate

BASE = {
    "name": "fuzz",
    "seed": 1,
    "days": 12,
    "network": {"kind": "friend_circles", "n": 300},
    "sellers": {"spam": {"strategy": "spam"}, "community": {"strategy": "community"}},
}

LEAVES = sc.leaves(RunConfig, instances={("sellers",): list(BASE["sellers"])})

FAST = settings(max_examples=200, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))
LONG = settings(FAST, max_examples=3000)


def test_the_schema_is_read_whole():
    """The strategies see every section, network kind and seller field: a schema reader that
    stopped at the first level or skipped unions would fuzz a fraction of the config."""
    paths = {leaf.dotted for leaf in LEAVES}
    for expected in ("days", "seed", "network.n", "network.k", "network.m", "network.sizes", "network.p_in",
                     "network.path", "purchase.need_rate", "ties.tolerance_spread", "platform.moderation",
                     "sellers.spam.posts_per_day", "sellers.spam.content.ad", "sellers.community.groups.size",
                     "sellers.spam.product.price", "sellers.community.strategy", "trust.enabled"):
        assert expected in paths, expected
    assert len(LEAVES) > 150
    ks = [leaf for leaf in LEAVES if leaf.dotted == "network.k"]
    assert ks and ks[0].context == {"network": {"kind": "watts_strogatz"}}


def config_case(data: dict, fields: list[str], what: str) -> str:
    """``data`` as a config file: refused cleanly naming one of ``fields`` ("refused"), or
    validated and simulated to finite outputs ("ran")."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.yaml"
        path.write_text(sc.to_yaml(data), encoding="utf-8")
        code, _, err = outcomes.cli("validate", str(path))
        if code != 0:
            outcomes.check_refusal(code, err, fields, what)
            return "refused"
        config = load_config(path)
    outcomes.check_finite(simulate(config), what)
    return "ran"


def _config_case(assignments) -> None:
    fields = [leaf.dotted for leaf, _ in assignments]
    what = " ".join(f"{leaf.dotted}={value!r:.60}" for leaf, value in assignments)
    outcomes.COUNTS["config: " + config_case(sc.apply(BASE, assignments), fields, what)] += 1


def _override_case(assignments) -> None:
    fields = [leaf.dotted for leaf, _ in assignments]
    what = " ".join(f"--set {leaf.dotted}={value!r:.60}" for leaf, value in assignments)
    base = sc.with_context(BASE, [leaf for leaf, _ in assignments])
    sets = [f"{leaf.dotted}={sc.yaml_value(value)}" for leaf, value in assignments]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "base.yaml"
        path.write_text(sc.to_yaml(base), encoding="utf-8")
        args = [arg for item in sets for arg in ("--set", item)]
        code, _, err = outcomes.cli("validate", str(path), *args)
        if code != 0:
            outcomes.check_refusal(code, err, fields, what)
            outcomes.COUNTS["--set: refused"] += 1
            return
        config = load_config(path, overrides=sets)
    outcomes.check_finite(simulate(config), what)
    outcomes.COUNTS["--set: ran"] += 1


@FAST
@given(sc.assignments(LEAVES))
def test_config_fuzz(assignments):
    _config_case(assignments)


@FAST
@given(sc.assignments(LEAVES))
def test_override_fuzz(assignments):
    _override_case(assignments)


@pytest.mark.slow
@LONG
@given(sc.assignments(LEAVES))
def test_config_fuzz_long(assignments):
    _config_case(assignments)


@pytest.mark.slow
@LONG
@given(sc.assignments(LEAVES))
def test_override_fuzz_long(assignments):
    _override_case(assignments)
