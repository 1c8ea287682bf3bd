"""One-day docking from a common state (see one_day.py), and its power against broken rules.

For each market the fast engine runs to day t; both engines then take day t + 1 from that state
with the sellers' plans held fixed, many times over. About 60 aggregates per state are compared
(Welch t and Kolmogorov-Smirnov, Holm within a state); aggregates that no random draw touches
must agree to 1e-9. The family-wise error rate is 1 % for each suite as a whole, not for each
state: a state is tested at 1 % / the number of states (Bonferroni over the states), so that a
correct engine fails the slow suite's 18 states one run in a hundred, not one in six, and each
power check below detects its broken rule at that same level. The states are chosen so that each rule is active:
spam and the two-seller market early (annoyance, mute and block, spillover, messages), community
and low quality in their growth phase (groups, enquiries, warnings), community at the end of
the run (following after purchases, recommendations and group invitations), fission at day 30
(resellers, referral rewards), kol on day 0 (seeding, followers told by the seeds) and day 3
(referral pull), moderation (the folded block and the platform warning), and a spam seller 20
days after she stopped (unmuting, whose expected count is also checked against the rule's
formula), a mediocre, oversold, dear product in its growth phase (satisfaction from value
for money, ties broken by bad purchases), a stock-loading reseller tree at day 20 (the
reseller who sold, stock drawn down and loaded, loaded resellers), and a big-V on day 0 (her
audience gathered) and day 20 (sales weighted by a devalued brand, the brand's next step), and
a community seller whose readers forward her posts at day 10 (forwards of every generation,
forwards read, and the forwards left waiting in feeds), and the spam and community sellers among
consumers tiring of ads at day 20 (mutes and blocks at tolerances lowered by fatigue).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import one_day as od
import pytest
from mutants import MUTANTS

from viralsim.model.relations import NO_TIE, STRONG

pytestmark = pytest.mark.docking

SEED = 3
MARKET = od.Market(n=400, days=60)
STATES = (("spam", 10), ("spam+community", 10), ("community", 20), ("community", 59), ("low_quality", 30),
          ("fission", 30), ("kol", 0), ("kol", 3), ("moderation", 10), ("spam_quiet", 40), ("boom", 3), ("boom", 10),
          ("value", 50), ("group_buy", 25), ("resell", 20), ("big_v", 0), ("big_v", 20),
          ("forward", 10), ("fatigue", 20))
QUICK_STATES = (("spam+community", 10), ("fission", 30))
#: replicates per engine and state: at 400, a state with less than a purchase a day (value for
#: money, day 50) showed its broken satisfaction rule at p 5e-4, short of the suite's level
REPLICATES, QUICK_REPLICATES = 1200, 150
#: each state's family-wise error rate: the suite's 1 % shared among its states
STATE_ALPHA, QUICK_ALPHA = od.ALPHA / len(STATES), od.ALPHA / len(QUICK_STATES)


@cache
def replicates(name: str, day: int, engine: str, n: int) -> tuple[dict, ...]:
    """Aggregates after the common day, rules as they are (cached for the session)."""
    base = od.common_state(name, day, SEED, MARKET)
    with od.fixed_plans(base, SEED):
        if engine == "fast":
            return tuple(od.replicate_fast(base, n, seed0=1))
        return tuple(od.replicate_reference(base, n, seed0=2))


def check(name: str, day: int, n: int, alpha: float, mutant=None) -> tuple[bool, list[str]]:
    """One-day docking of one state at family-wise error rate ``alpha``; with ``mutant`` its
    engine takes the day under the broken rule."""
    fast = replicates(name, day, "fast", n)
    ref = replicates(name, day, "reference", n)
    if mutant is not None:
        base = od.common_state(name, day, SEED, MARKET)
        with od.fixed_plans(base, SEED), mutant.patch():
            if mutant.engine == "fast":
                fast = od.replicate_fast(base, n, seed0=1)
            else:
                ref = od.replicate_reference(base, n, seed0=2)
    return od.compare_one_day(list(fast), list(ref), alpha)


@pytest.mark.parametrize("name,day", QUICK_STATES, ids=[f"{n}@{d}" for n, d in QUICK_STATES])
def test_one_day_docking_quick(name, day):
    ok, lines = check(name, day, QUICK_REPLICATES, QUICK_ALPHA)
    assert ok, "\n".join(lines[:20])


@pytest.mark.slow
@pytest.mark.parametrize("name,day", STATES, ids=[f"{n}@{d}" for n, d in STATES])
def test_one_day_docking(name, day):
    ok, lines = check(name, day, REPLICATES, STATE_ALPHA)
    print("\n".join(lines[:8]))
    assert ok, "\n".join(lines[:20])


QUICK_MUTANTS = ("fast: no load spillover", "reference: mute/block hazards x1.5")


@pytest.mark.parametrize("mutant", QUICK_MUTANTS)
def test_one_day_docking_detects_a_broken_rule_quick(mutant):
    """Default-run power check on the two-seller state, one broken rule in each engine."""
    ok, lines = check("spam+community", 10, QUICK_REPLICATES, QUICK_ALPHA, MUTANTS[mutant])
    assert not ok, "\n".join(lines[:10])


def mutant_day(m) -> int:
    """The common state's day for mutant ``m``: its day, or the first day from it on whose state
    its rule acts (``Mutant.ready``)."""
    day = m.day
    while m.ready is not None and not m.ready(od.common_state(m.config, day, SEED, MARKET)):
        day += 1
        assert day < MARKET.days, f"{m.name}: no state from day {m.day} on where the rule acts"
    return day


@pytest.mark.slow
@pytest.mark.parametrize("mutant", list(MUTANTS))
def test_one_day_docking_detects_every_broken_rule(mutant):
    m = MUTANTS[mutant]
    day = mutant_day(m)
    ok, lines = check(m.config, day, REPLICATES, STATE_ALPHA, m)
    print(mutant, f"day {day}", "\n".join(lines[:3]))
    assert not ok, "\n".join(lines[:10])


def expected_muted_change(base, s: int = 0) -> tuple[float, float]:
    """Mean and variance of the change of seller ``s``'s muted count over one quiet day, from the
    rule of docs/model.md §3.3.18 applied to the common state: nothing adds to annoyance (the
    seller is alone and quiet), so the rule sees A 2^(-1/h_A). A contact who has not muted mutes
    with min(P(mute), 1 - P(block)), a muted one unmutes with min(P(unmute), 1 - P(block));
    a block keeps the mute flag."""
    st, c = base.state, base.config.ties
    rel, m = st.rel, st.n_relations
    mine = (rel.seller[:m] == s) & (rel.tie[:m] > NO_TIE) & ~rel.blocked[:m]
    a = rel.annoyance[:m][mine] * 2.0 ** (-1.0 / base.config.annoyance.half_life)
    x = a / st.tolerance[rel.node[:m][mine]]
    muted = rel.muted[:m][mine]
    h = c.steepness

    def hill(theta):
        return x ** h / (x ** h + theta ** h)

    p_block = c.block_max * hill(c.block_threshold) * np.where(rel.tie[:m][mine] == STRONG, c.strong_block_factor, 1)
    h_mute = hill(c.mute_threshold)
    p_mute = np.where(~muted & (a > 1e-9), np.minimum(c.mute_max * h_mute, 1 - p_block), 0.0)
    u_max = 1.0 - 2.0 ** (-1.0 / c.unmute_half_life)
    p_unmute = np.where(muted, np.minimum(u_max * (1 - h_mute), 1 - p_block), 0.0)
    mean = p_mute.sum() - p_unmute.sum()
    var = (p_mute * (1 - p_mute)).sum() + (p_unmute * (1 - p_unmute)).sum()
    return float(mean), float(var)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ("fast", "reference"))
def test_unmuting_in_one_day_matches_the_rule(engine):
    """Twenty days after a spam seller stopped, her muted contacts' annoyance has faded: in each
    engine the mean change of her muted count over the next day lies within 4 SE of the rule's
    expectation (about 1.4 unmutes a day at n = 400). The expectation is more than 10 SE away
    from 0, so an engine without unmuting fails; annoyance must only decay (the premise)."""
    base = od.common_state("spam_quiet", 40, SEED, MARKET)
    reps = replicates("spam_quiet", 40, engine, REPLICATES)
    st = base.state
    before_muted = float(st.dense("muted")[0][st.is_consumer].sum())
    before_annoyance = float(st.dense("annoyance")[0][st.is_consumer].sum())
    f = 2.0 ** (-1.0 / base.config.annoyance.half_life)
    for r in reps:
        assert r["spam.annoyance"] == pytest.approx(before_annoyance * f, rel=1e-9)
    mean, var = expected_muted_change(base)
    se = np.sqrt(var / len(reps))
    change = np.array([r["spam.muted"] for r in reps]) - before_muted
    assert -mean > 10 * se, (mean, se)
    assert abs(change.mean() - mean) <= 4 * se, (engine, change.mean(), mean, se)
