"""One-day docking from a common state: both engines take the same next day many times.

The fast engine runs a market up to day t. Its state is then copied, once into fresh fast-engine
models and once into a reference model (``ReferenceModel.load_state``), and each engine takes
day t + 1 from it ``R`` times with independent random numbers. Every aggregate of the state after
that day (sums of trust, annoyance, memory, referral pull per seller; counts of muted, blocked,
aware, members, resellers, needs, ...; the day's flows) must have the same distribution in both
engines. Because the histories cannot diverge, the day-to-day noise is small and a biased rule
stands out after a few hundred replicates, far more sharply than in whole-run docking.
"""

from __future__ import annotations

import contextlib
import copy
import json
import warnings
from functools import cache
from unittest import mock

import numpy as np
from docking_helpers import ALPHA, CONFIGS, Market, holm
from scipy import stats

from viralsim.config.schema import RunConfig
from viralsim.model import reference
from viralsim.model.mesa_model import ViralModel
from viralsim.model.outputs import BREAKDOWN, CHANNEL
from viralsim.model.reference import ReferenceModel
from viralsim.model.rules.plan import empty_plans

FLOW_COLUMNS = ("posts", "exposures_ad", "exposures_value", "exposures_life", "exposures_prize",
                "exposures_reseller", "messages_sent", "reach", "purchases", "purchases_wom", "revenue", "cost",
                "wom_positive", "wom_negative", "enquiries", "replies", "aware", "interested", "customers",
                "followers", "muted", "blocked", "group_members", "resellers", "new_followers",
                "ties_strengthened", "ties_weakened", "strong_ties", "weak_ties", "ties_broken", "groups_opened",
                "groups_filled", "groups_failed", "forwards", "forwards_read", "loaded_resellers", "commission")
#: the moments of following, the columns of the ``new_followers_by_channel`` breakdown (rules.follow)
FOLLOW_MOMENTS = ("purchase", "referral", "group")
_FOLLOWS = BREAKDOWN.new_followers_by_channel
_FACE = BREAKDOWN.channels + CHANNEL.face


def config(name: str, seed: int, market: Market) -> RunConfig:
    spec = json.loads(json.dumps(CONFIGS[name]))
    return RunConfig.model_validate({"name": f"one-day-{name}", "seed": seed, "days": market.days,
                                     "network": {"kind": "friend_circles", "n": market.n}, **spec})


@cache
def common_state(name: str, day: int, seed: int, market: Market):
    """The fast engine's model after ``day`` days (the common starting point)."""
    model = ViralModel(config(name, seed, market))
    model.run(day)
    return model


def fast_aggregates(model: ViralModel) -> dict[str, float]:
    st = model.state
    consumer = st.is_consumer
    columns = {name: st.dense(name) for name in ("trust", "annoyance", "memory", "referral", "purchases",
                                                 "bought_friends", "reseller_friends", "aware", "muted",
                                                 "blocked", "in_group", "reseller", "root", "tie", "pushed", "level",
                                                 "stock", "forwarded")}
    out = {}
    for s, seller in enumerate(model.sellers):
        for name in ("trust", "annoyance", "memory", "referral", "purchases", "bought_friends", "reseller_friends",
                     "aware", "muted", "blocked", "in_group", "reseller", "tie", "pushed", "level", "stock",
                     "forwarded"):
            out[f"{seller.name}.{name}"] = float(columns[name][s, consumer].astype(float).sum())
        out[f"{seller.name}.rooted"] = float(np.count_nonzero(columns["root"][s, consumer] >= 0))
        out[f"{seller.name}.contacts"] = float(np.count_nonzero(columns["tie"][s, consumer] > 0))
        out[f"{seller.name}.group_activity"] = float(st.group_activity[s])
        out[f"{seller.name}.brand"] = float(st.sellers.brand[s])
        row = seller.today
        for k in FLOW_COLUMNS:
            out[f"{seller.name}.day.{k}"] = float(row[k])
        # (the model took this one day only: its breakdown totals are the day's)
        for j, k in enumerate(FOLLOW_MOMENTS):
            out[f"{seller.name}.day.new_followers_{k}"] = float(model._totals[s, _FOLLOWS + j])
        out[f"{seller.name}.day.purchases_face"] = float(model._totals[s, _FACE])
    out["need"] = float(np.count_nonzero(st.need))
    out["activity"] = float(st.activity[st.is_consumer].sum())
    out["commercial_share"] = float(st.commercial_share[st.is_consumer].sum())
    out["fatigue"] = float(st.fatigue[st.is_consumer].sum())
    return out


def reference_aggregates(model: ReferenceModel) -> dict[str, float]:
    out = {}
    consumers = model.consumer_list
    for seller in model.seller_agents:
        rels = [c.relations[seller.index] for c in consumers]
        for name in ("trust", "annoyance", "memory", "referral", "purchases", "bought_friends", "reseller_friends",
                     "aware", "muted", "blocked", "in_group", "reseller", "tie", "pushed", "level", "stock",
                     "forwarded"):
            out[f"{seller.name}.{name}"] = float(sum(float(getattr(r, name)) for r in rels))
        out[f"{seller.name}.rooted"] = float(sum(r.root >= 0 for r in rels))
        out[f"{seller.name}.contacts"] = float(sum(r.tie > 0 for r in rels))
        out[f"{seller.name}.group_activity"] = float(seller.group_activity)
        out[f"{seller.name}.brand"] = float(seller.brand)
        row = model._rows[-len(model.seller_agents) + seller.index]
        for k in FLOW_COLUMNS:
            out[f"{seller.name}.day.{k}"] = float(row[k])
        follows = model._totals[seller.name]["new_followers_by_channel"]     # (zeroed before the day)
        for j, k in enumerate(FOLLOW_MOMENTS):
            out[f"{seller.name}.day.new_followers_{k}"] = float(follows[j])
        out[f"{seller.name}.day.purchases_face"] = float(model._totals[seller.name]["channels"][CHANNEL.face])
    out["need"] = float(sum(c.need for c in consumers))
    out["activity"] = float(sum(c.activity for c in consumers))
    out["commercial_share"] = float(sum(c.commercial_share for c in consumers))
    out["fatigue"] = float(sum(c.fatigue for c in consumers))
    return out


@contextlib.contextmanager
def fixed_plans(base: ViralModel, seed: int):
    """Both engines use one pre-drawn plan per seller (the reference's ``plan_day`` patched, the
    fast engine given the same counts through ``ViralModel.fixed_plans``).

    The plan (posts, messages, invitations, ...) is common to all of a seller's contacts, so it
    dominates the day-to-day variance of the aggregates; fixing it leaves only the per-consumer
    randomness of the rules, which averages out over the population.
    """
    rng = np.random.default_rng([seed, 99])
    c = base.config
    plans = {s.index: reference.plan_day(s.index, s.strategy, s.product, c.feed, c.platform, rng=rng)
             for s in base.sellers}

    def planned(index, *args, **kwargs):
        return plans[index]

    with mock.patch.object(reference, "plan_day", planned), \
            mock.patch.object(ViralModel, "fixed_plans", as_fast_plans(plans), create=True):
        yield plans


def as_fast_plans(plans: dict):
    """The reference engine's DayPlans as the fast engine's ``Plans`` arrays (the day's service
    capacity is left to each engine's own draw, as the reference engine draws it then)."""
    n_s = len(plans)
    out = empty_plans(n_s)
    for i, p in plans.items():
        out.posts[i] = p.posts
        out.folded[i] = p.folded
        out.strangers[i], out.messages[i] = p.strangers, p.messages
        out.group_posts[i], out.invites[i] = p.group_posts, p.invites
    return out


def replicate_fast(base: ViralModel, replicates: int, seed0: int) -> list[dict]:
    out = []
    for r in range(replicates):
        model = ViralModel(base.config, topology=base.topology)
        # (the friendship graph is shared, not copied: the runs never change it, and a copy's
        # arrays would be writeable where the engine's are read-only, a new type for the compiled
        # day, which then compiles again, some 5 minutes, for this test alone)
        graph = base.state.graph
        model.state = copy.deepcopy(base.state, {id(graph): graph})
        model.state.key = np.random.default_rng([seed0, r]).bit_generator.random_raw(4).astype(np.uint64)
        model.step()
        out.append(fast_aggregates(model))
    return out


def replicate_reference(base: ViralModel, replicates: int, seed0: int) -> list[dict]:
    model = ReferenceModel(base.config, topology=base.topology)
    out = []
    for r in range(replicates):
        model.load_state(base.state)
        for totals in model._totals.values():      # run totals: keep the day's only
            for values in totals.values():
                values[:] = 0
        model.rng = np.random.default_rng([seed0, r])
        model.step()
        out.append(reference_aggregates(model))
    return out


def compare_one_day(fast: list[dict], ref: list[dict], alpha: float = ALPHA) -> tuple[bool, list[str]]:
    """Welch t and Kolmogorov-Smirnov per aggregate, Holm over all; deterministic aggregates must match.

    Returns (passed, report lines sorted worst first).
    """
    keys = sorted(fast[0])
    rows, pvals, deterministic_fail = [], [], []
    for k in keys:
        # Sums taken in a different order differ in the last bits; round so that equal values tie.
        a = np.round(np.array([x[k] for x in ref]), 6)
        b = np.round(np.array([x[k] for x in fast]), 6)
        if a.std() == 0 and b.std() == 0:
            if not np.isclose(a[0], b[0], rtol=1e-9, atol=1e-9):
                deterministic_fail.append(f"FAIL {k}: deterministic, ref {a[0]!r} != fast {b[0]!r}")
            continue
        with warnings.catch_warnings():
            # scipy warns about precision when one sample is almost constant; the p-value stands.
            warnings.simplefilter("ignore", RuntimeWarning)
            p_t = stats.ttest_ind(a, b, equal_var=False).pvalue
        p_ks = stats.ks_2samp(a, b, method="asymp").pvalue
        sd = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
        rows.append((k, a.mean(), b.mean(), (a.mean() - b.mean()) / sd if sd > 0 else np.inf, p_t, p_ks))
        pvals += [p_t if np.isfinite(p_t) else 0.0, p_ks]
    reject = holm(np.array(pvals), alpha) if pvals else np.array([], dtype=bool)
    lines = list(deterministic_fail)
    order = sorted(range(len(rows)), key=lambda i: min(rows[i][4], rows[i][5]))
    for i in order:
        k, ma, mb, d, p_t, p_ks = rows[i]
        flag = reject[2 * i] or reject[2 * i + 1]
        lines.append(f"{'FAIL' if flag else 'ok  '} {k:32s} ref {ma:12.6g} fast {mb:12.6g} d {d:+.3f} "
                     f"p_t {p_t:.1e} p_ks {p_ks:.1e}")
    return (not deterministic_fail and not reject.any()), lines


MARKET = Market(n=400, days=60)


def one_day_docking(name: str, day: int, replicates: int, seed: int = 3, market: Market = MARKET,
                    fix_plans: bool = True):
    """Both engines take day ``day + 1`` of config ``name`` from the fast engine's state ``replicates`` times."""
    base = common_state(name, day, seed, market)
    with fixed_plans(base, seed) if fix_plans else contextlib.nullcontext():
        fast = replicate_fast(base, replicates, seed0=1)
        ref = replicate_reference(base, replicates, seed0=2)
    return compare_one_day(fast, ref)
