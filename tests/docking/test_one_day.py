"""One-day docking from a common state (see one_day.py), and its power against broken rules.

For each market the fast engine runs to day t; both engines then take day t + 1 from that state
with the sellers' plans held fixed, many times over. About 60 aggregates per state are compared
(Welch t and Kolmogorov-Smirnov, Holm at a family-wise error rate of 1 %); aggregates that no
random draw touches must agree to 1e-9. The states are chosen so that each rule is active:
spam and the two-seller market early (annoyance, mute and block, spillover, messages), community
and low quality in their growth phase (groups, enquiries, warnings), community at the end of
the run (following after purchases, recommendations and group invitations), fission at day 30
(resellers, referral rewards), kol on day 0 (seeding, followers told by the seeds) and day 3
(referral pull), moderation (the folded block and the platform warning).
"""

from __future__ import annotations

from functools import cache

import one_day as od
import pytest
from mutants import MUTANTS

pytestmark = pytest.mark.docking

SEED = 3
MARKET = od.Market(n=400, days=60)
STATES = (("spam", 10), ("spam+community", 10), ("community", 20), ("community", 59), ("low_quality", 30),
          ("fission", 30), ("kol", 0), ("kol", 3), ("moderation", 10))
QUICK_STATES = (("spam+community", 10), ("fission", 30))
REPLICATES, QUICK_REPLICATES = 400, 150


@cache
def replicates(name: str, day: int, engine: str, n: int) -> tuple[dict, ...]:
    """Aggregates after the common day, rules as they are (cached for the session)."""
    base = od.common_state(name, day, SEED, MARKET)
    with od.fixed_plans(base, SEED):
        if engine == "fast":
            return tuple(od.replicate_fast(base, n, seed0=1))
        return tuple(od.replicate_reference(base, n, seed0=2))


def check(name: str, day: int, n: int, mutant=None) -> tuple[bool, list[str]]:
    """One-day docking of one state; with ``mutant`` its engine takes the day under the broken rule."""
    fast = replicates(name, day, "fast", n)
    ref = replicates(name, day, "reference", n)
    if mutant is not None:
        base = od.common_state(name, day, SEED, MARKET)
        with od.fixed_plans(base, SEED), mutant.patch():
            if mutant.engine == "fast":
                fast = od.replicate_fast(base, n, seed0=1)
            else:
                ref = od.replicate_reference(base, n, seed0=2)
    return od.compare_one_day(list(fast), list(ref))


@pytest.mark.parametrize("name,day", QUICK_STATES, ids=[f"{n}@{d}" for n, d in QUICK_STATES])
def test_one_day_docking_quick(name, day):
    ok, lines = check(name, day, QUICK_REPLICATES)
    assert ok, "\n".join(lines[:20])


@pytest.mark.slow
@pytest.mark.parametrize("name,day", STATES, ids=[f"{n}@{d}" for n, d in STATES])
def test_one_day_docking(name, day):
    ok, lines = check(name, day, REPLICATES)
    print("\n".join(lines[:8]))
    assert ok, "\n".join(lines[:20])


QUICK_MUTANTS = ("fast: no load spillover", "reference: mute/block hazards x1.5")


@pytest.mark.parametrize("mutant", QUICK_MUTANTS)
def test_one_day_docking_detects_a_broken_rule_quick(mutant):
    """Default-run power check on the two-seller state, one broken rule in each engine."""
    ok, lines = check("spam+community", 10, QUICK_REPLICATES, MUTANTS[mutant])
    assert not ok, "\n".join(lines[:10])


@pytest.mark.slow
@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_one_day_docking_detects_every_broken_rule(mutant):
    m = MUTANTS[mutant]
    ok, lines = check(m.config, m.day, REPLICATES, m)
    print(mutant, "\n".join(lines[:3]))
    assert not ok, "\n".join(lines[:10])
