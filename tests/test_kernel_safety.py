"""Extreme but valid parameters: no kernel writes outside an array, every run ends with finite outputs.

Tiny positive rates and probabilities (1e-20, 1e-300, 5e-324, the smallest double), 0 and 1 pass
the schema. A geometric skip for such a p is far beyond 2**63 (or infinite), and converting that
float to an integer is undefined: it gave negative indices, hence writes before an array (a
segmentation fault, or silent corruption). The helpers saturate instead; the tests below check the
helpers one by one, and then run short simulations of extreme configurations in a child process,
once as compiled normally and once with Numba's bounds checking compiled in, where an index out
of range raises IndexError instead of touching memory; the schema-derived config fuzz
(tests/fuzz) runs with bounds checking too.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from numba import njit

from viralsim._jit import SKIP_MAX, binomial, geometric, poisson, seeded, stream, uniform
from viralsim._rng import bernoulli_positions
from viralsim.config.schema import PurchaseParams, RunConfig
from viralsim.model import reference
from viralsim.model.rules import needs
from viralsim.model.rules._util import saturating_pow
from viralsim.model.rules.annoyance import wear_out
from viralsim.model.rules.needs import _skip
from viralsim.model.rules.plan import empty_plans, plan_day
from viralsim.model.rules.purchase import PF_MAX, price_factor
from viralsim.model.sellers import place_sellers, seller_table
from viralsim.model.state import People
from viralsim.network import generators

TINY = (1e-20, 1e-300, 5e-324)


@njit
def _geometric(words, p, k):
    s = seeded(words)
    out = np.empty(k, np.int64)
    for i in range(k):
        out[i] = geometric(p, s)
    return out


@njit
def _hoisted_skip(words, p, k):
    s = seeded(words)
    log_q = np.log1p(-p)
    out = np.empty(k, np.int64)
    for i in range(k):
        out[i] = _skip(p, log_q, s)
    return out


@njit
def _uniforms(words, k):
    s = seeded(words)
    out = np.empty(k)
    for i in range(k):
        out[i] = uniform(s)
    return out


def words(seed: int) -> np.ndarray:
    return stream(np.random.default_rng(seed))


# -- the clamped helpers -------------------------------------------------------------------------

@pytest.mark.parametrize("draw", [_geometric, _hoisted_skip])
@pytest.mark.parametrize("p", TINY)
def test_geometric_skip_saturates_for_a_tiny_p(draw, p):
    """Huge but safe: at least 1, at most SKIP_MAX, and SKIP_MAX plus an index fits in int64."""
    x = draw(words(1), p, 2000)
    assert x.min() >= 1 and x.max() <= SKIP_MAX
    assert SKIP_MAX + 2**31 < 2**63
    if p < 1e-100:
        assert (x == SKIP_MAX).all()        # P(skip < 2**62) is below 1e-280
    else:
        # p = 1e-20: P(skip <= 2**62) = 1 - (1 - p)^(2**62), about 0.045
        assert 0.9 < (x == SKIP_MAX).mean() < 1.0


@pytest.mark.parametrize("p", [0.9, 0.3, 1e-3, 1e-9])
def test_geometric_skip_is_the_plain_inversion_below_the_cap(p):
    """Same draws as 1 + floor(log(u) / log(1 - p)) from the same uniforms: the cap does not
    change a single value for ordinary parameters (so seeds keep their bytes)."""
    k = 2000
    u = _uniforms(words(2), k)
    want = [1 + math.floor(math.log(1.0 - v) / math.log1p(-p)) for v in u]
    np.testing.assert_array_equal(_geometric(words(2), p, k), want)
    np.testing.assert_array_equal(_hoisted_skip(words(2), p, k), want)


@pytest.mark.parametrize("p_arise", (0.0, *TINY))
@pytest.mark.parametrize("p_lapse", (0.0, *TINY, 1.0))
def test_needs_kernel_with_tiny_rates(p_arise, p_lapse):
    n = 500
    need = np.zeros(n, dtype=np.bool_)
    need[::3] = True
    z = np.zeros(n)
    sated = np.zeros(n, dtype=np.bool_)
    sated[1::3] = True
    people = People(np.ones(n, dtype=np.bool_), z, z, z, need, sated, np.ones(n), z, z, z, np.zeros(n, np.int64), z)
    before, sated_before = need.copy(), sated.copy()
    # (the run-out rate takes the lapse rate's values: tiny, 0 and 1)
    needs.arrive_needs(words(3), 0, needs.Params(False, p_lapse, p_arise, 0.0, True, 10.0, p_lapse, 0.0, 0.5),
                       people)
    arrived = need & ~before
    assert arrived.sum() == 0               # 500 chances at p <= 1e-20
    lapsed = before & ~need
    assert lapsed.sum() == (before.sum() if p_lapse == 1.0 else 0)
    assert (sated_before & ~sated).sum() == (sated_before.sum() if p_lapse == 1.0 else 0)
    assert not (sated & ~sated_before).any()


def _old_bernoulli_positions(total, p, rng):
    """bernoulli_positions as it was: the oracle for parameters that never overflowed."""
    if total <= 0 or p <= 0.0:
        return np.empty(0, dtype=np.int64)
    if p >= 1.0:
        return np.arange(total, dtype=np.int64)
    out = []
    last = -1
    while True:
        expected = (total - 1 - last) * p
        draws = rng.geometric(p, size=int(expected + 6.0 * math.sqrt(expected) + 16))
        pos = last + np.cumsum(draws)
        out.append(pos[pos < total])
        if pos[-1] >= total:
            break
        last = int(pos[-1])
    return np.concatenate(out)


@pytest.mark.parametrize("total, p", [(1, 0.5), (100, 0.3), (4950, 0.03), (10**6, 1e-4), (10**7, 2e-6), (10**12, 1e-9)])
def test_bernoulli_positions_unchanged_for_ordinary_p(total, p):
    a, b = np.random.default_rng(11), np.random.default_rng(11)
    np.testing.assert_array_equal(bernoulli_positions(total, p, a), _old_bernoulli_positions(total, p, b))
    assert a.bit_generator.state == b.bit_generator.state


@pytest.mark.parametrize("p", TINY)
def test_bernoulli_positions_tiny_p_is_quick_and_in_range(p):
    total = (2**31 - 1) ** 2                # the largest pair range a generator can ask for
    rng = np.random.default_rng(12)
    start = time.perf_counter()
    for _ in range(20):
        pos = bernoulli_positions(total, p, rng)
        assert ((pos >= 0) & (pos < total)).all() and (np.diff(pos) > 0).all()
    assert time.perf_counter() - start < 2.0


def test_bernoulli_positions_sparse_over_a_huge_range():
    """Skips of ~1e12 over 1e15 pairs: every position in range, strictly increasing, the count
    near its mean of 1000."""
    pos = bernoulli_positions(10**15, 1e-12, np.random.default_rng(13))
    assert ((pos >= 0) & (pos < 10**15)).all() and (np.diff(pos) > 0).all()
    assert 850 < pos.size < 1150


def test_stochastic_block_with_tiny_probabilities_is_empty_and_quick():
    start = time.perf_counter()
    for p_in, p_out in [(1e-20, 1e-20), (5e-324, 5e-324), (1e-300, 0.0)]:
        topo = generators.stochastic_block([20_000] * 4, p_in, p_out, rng=np.random.default_rng(14))
        assert topo.n == 80_000 and topo.n_edges == 0
    assert time.perf_counter() - start < 10.0


@njit
def _draws(words, n, p, lam):
    s = seeded(words)
    return binomial(n, p, s), poisson(lam, s)


def test_binomial_and_poisson_never_cast_nan_or_huge_floats():
    assert _draws(words(4), 10, np.nan, np.nan) == (0, 0)
    assert _draws(words(4), 100, 0.5, 1e300)[1] == SKIP_MAX
    assert _draws(words(4), 100, 0.5, np.inf)[1] == SKIP_MAX


@njit
def _plain_wear_out(seen, memory, wearout):
    return wearout * np.log1p(seen / (wearout + memory))


def test_wear_out_tends_to_zero_for_a_vanishing_scale():
    for w in (wear_out(3, 0.0, 5e-324), reference.wear_out(3, 0.0, SimpleNamespace(enabled=True,
                                                                                  wearout_exposures=5e-324))):
        assert 0.0 <= w < 1e-300
    for seen, memory, ew in [(3, 5.0, 10.0), (1, 0.0, 1e-300), (7, 1e-3, 3.0), (10**6, 0.0, 1e6)]:
        assert wear_out(seen, memory, ew) == _plain_wear_out(seen, memory, ew)   # same bits as before
    # below the schema's floor (0.01): the kernels stay finite even for a value no config can give
    assert wear_out(0, 0.0, 5e-324) == 0.0 and np.isfinite(wear_out(3, 0.0, 5e-324))


def test_saturating_pow():
    assert saturating_pow(1e300, 1.5) == math.inf
    assert saturating_pow(5e-324, 2.0) == 0.0
    assert saturating_pow(600.0, 1.5) == 600.0 ** 1.5


def test_price_factor_saturates():
    p = PurchaseParams(reference_price=100.0, price_elasticity=2.0)
    assert price_factor(50.0, p) == 4.0 and price_factor(100.0, p) == 1.0
    assert price_factor(1e-200, p) == PF_MAX                  # (1e202)^2 overflows
    assert price_factor(5e-324 * 0.1, p) == PF_MAX            # a price that underflows to 0
    assert price_factor(1e300, p) == 1.0 / PF_MAX             # (1e-298)^2 underflows to 0
    assert reference.price_factor(1e-200, p) == PF_MAX
    assert reference.price_factor(0.0, p) == PF_MAX
    assert reference.price_factor(1e300, p) == 1.0 / PF_MAX


def test_reference_gates_at_zero_over_zero():
    p = PurchaseParams(trust_half=0.0)
    assert reference.trust_gate(0.0, p) == 0.0
    assert reference.trust_gate(0.5, p) == 1.0
    assert reference.hill(0.0, 5e-324, 2.0) == 0.0
    assert reference.hill(10.0, 1e300, 2.0) == 0.0
    assert reference.hill(300.0, 300.0, 1.5) == 0.5


def test_content_mix_summing_to_one_within_the_schema_tolerance():
    """Shares summing to 1 + 5e-7 validate; NumPy's multinomial refused them."""
    cfg = RunConfig.model_validate({"sellers": {"a": {"strategy": "spam", "posts_per_day": 50.0,
                                                      "content": {"ad": 0.5000005, "value": 0.5,
                                                                  "life": 0.0, "prize": 0.0}}}})
    spec = cfg.sellers["a"]
    sellers = seller_table(cfg, [spec.resolved], [spec.product], np.array([0]))
    for day in range(20):
        plans = empty_plans(1)
        plan_day(words(15), day, sellers, plans, True)
        assert plans.posts.sum() == 50 and plans.posts[0, 2:].sum() == 0


def test_a_network_without_a_node_for_every_seller_is_refused():
    cfg = RunConfig.model_validate({"sellers": {"a": {}, "b": {}, "c": {}}})
    topo = generators.complete(2)
    with pytest.raises(ValueError, match="2 node.*3 seller.*at least 3"):
        place_sellers(topo, list(cfg.sellers.values()), rng=np.random.default_rng(0))
    assert len(place_sellers(generators.complete(3), list(cfg.sellers.values()),
                             rng=np.random.default_rng(0))) == 3


# -- whole runs in a child process ---------------------------------------------------------------

_ALL = ("spam", "community", "fission", "kol")


def _sellers(**over) -> dict:
    return {name: {"strategy": name, **over} for name in _ALL}


def _groups(**over) -> dict:
    return _sellers(groups={"enabled": True, "invites_per_day": 5.0, **over})


_PROBS = {
    "purchase": ("need_rate", "impulse_per_ad", "ad_conversion", "prize_conversion", "value_conversion",
                 "message_conversion", "reply_conversion", "group_conversion", "enquiry_prob", "trust_half",
                 "face_strong", "face_weak"),
    "wom": ("recommend_prob", "warn_prob", "block_warn_prob", "strong_persuasion", "weak_persuasion"),
    "ties": ("mute_max", "block_max", "strong_block_factor", "bond_per_interaction", "bond_per_content",
             "strong_bond_factor", "erode_per_sale", "erode_per_push"),
    "trust": ("prior_strong", "prior_weak", "prior_stranger", "loss_per_unwanted", "loss_warning"),
    "platform": ("fold_view_prob",),
    "follow": ("after_purchase", "after_referral", "in_group"),
    "forward": ("prize_prob", "value_prob", "ad_prob", "forwarded_prob"),
}


def _all_probs(v: float) -> dict:
    return {section: dict.fromkeys(keys, v) for section, keys in _PROBS.items()}


#: (label, config overrides): tiny, zero and unit values through every path with a draw
CASES = [
    *[(f"need_rate {p}", {"purchase": {"need_rate": p}}) for p in TINY],
    *[(f"need_duration {d}", {"purchase": {"need_duration": d}}) for d in (1e300, 5e-324)],
    *[(f"novelty boost {v}, half-life {h}", {"purchase": {"novelty_boost": v, "novelty_half_life": h}})
      for v, h in ((100.0, 0.01), (100.0, 1e6), (5e-324, 0.01))],
    *[(f"face obligation half point {d}", {"purchase": {"face_strong": 1.0, "face_weak": 1.0, "face_half_days": d}})
      for d in (0.01, 1e6)],
    ("need_rate 5e-324, reference engine", {"purchase": {"need_rate": 5e-324}, "engine": "reference"}),
    ("need_rate 1e-20, complete graph", {"purchase": {"need_rate": 1e-20}, "network": {"kind": "complete", "n": 150}}),
    *[(f"sbm p_in {p} p_out {p}", {"network": {"kind": "sbm", "sizes": [100, 100], "p_in": p, "p_out": p}})
      for p in TINY],
    ("sbm p_in 1, p_out 5e-324", {"network": {"kind": "sbm", "sizes": [100, 100], "p_in": 1.0, "p_out": 5e-324}}),
    ("watts_strogatz p 5e-324", {"network": {"kind": "watts_strogatz", "n": 200, "k": 4, "p": 5e-324,
                                             "strong_share": 5e-324}}),
    ("holme_kim p 1e-300", {"network": {"kind": "holme_kim", "n": 200, "m": 2, "p": 1e-300}}),
    ("weak ties 5e-324", {"network": {"kind": "friend_circles", "n": 200, "weak_ties_per_person": 5e-324}}),
    *[(f"all probabilities {v}", _all_probs(v)) for v in (0.0, 5e-324, 1e-300, 1.0)],
    ("all probabilities 5e-324, always need", {**_all_probs(5e-324), "purchase": {
        **_all_probs(5e-324)["purchase"], "always_need": True}}),
    ("all probabilities 1, complete graph", {**_all_probs(1.0), "network": {"kind": "complete", "n": 150}}),
    ("all probabilities 5e-324, reference engine", {**_all_probs(5e-324), "engine": "reference"}),
    ("trust gate 0 / 0", {"purchase": {"trust_half": 0.0}, "trust": {"prior_strong": 0.0, "prior_weak": 0.0,
                                                                     "prior_stranger": 0.0}}),
    ("trust gate 0 / 0, reference engine", {"purchase": {"trust_half": 0.0}, "engine": "reference",
                                            "trust": {"prior_strong": 0.0, "prior_weak": 0.0, "prior_stranger": 0.0}}),
    *[(f"hill thresholds {t}", {"ties": {"mute_threshold": t, "block_threshold": t, "steepness": 20.0}})
      for t in (5e-324, 1e300)],
    ("hill thresholds 1e300, reference engine", {"ties": {"mute_threshold": 1e300, "block_threshold": 1e300},
                                                 "engine": "reference"}),
    ("wear-out and half effect 5e-324", {"annoyance": {"wearout_exposures": 5e-324, "half_effect": 5e-324}}),
    ("wear-out 5e-324, ads convert nothing", {"annoyance": {"wearout_exposures": 5e-324},
                                              "purchase": {"ad_conversion": 0.0, "prize_conversion": 0.0}}),
    ("wear-out 5e-324, reference engine", {"annoyance": {"wearout_exposures": 5e-324}, "engine": "reference"}),
    ("attention 5e-324, no organic posts", {"feed": {"attention_per_day": 5e-324, "friend_posts_per_day": 0.0}}),
    ("half-lives 5e-324", {"trust": {"half_life": 5e-324}, "annoyance": {"half_life": 5e-324,
                           "exposure_memory_half_life": 5e-324}, "wom": {"referral_half_life": 5e-324},
                           "feed": {"activity_half_life": 5e-324}}),
    *[(f"price {pr}, elasticity 2, referral reward 0.9",
       {"sellers": _sellers(product={"price": pr}, referral_reward=0.9), "purchase": {"price_elasticity": 2.0}})
      for pr in (5e-324, 1e-200, 1e300)],
    ("price 5e-324, reference engine", {"sellers": _sellers(product={"price": 5e-324}, referral_reward=0.9),
                                        "engine": "reference"}),
    *[(f"price {pr}, hype 1, price weight 2, certain ruptures",
       {"sellers": _sellers(product={"price": pr, "hype": 1.0, "quality": 0.0}),
        "purchase": {"value_price_weight": 2.0}, "ties": {"rupture_max": 1.0}}) for pr in (5e-324, 1e300)],
    ("hype 1, certain ruptures, reference engine", {"sellers": _sellers(product={"hype": 1.0}),
                                                    "ties": {"rupture_max": 1.0}, "engine": "reference"}),
    ("service capacity 5e-324, resellers certain", {"sellers": _sellers(service_capacity=5e-324, reseller_prob=1.0,
                                                                         reseller_posts_per_day=1000.0)}),
    *[(f"resellers: stock {k}, patience {d}, levels {lv}, upline share {r}",
       {"sellers": _sellers(reseller_prob=1.0, reseller_posts_per_day=1000.0, reseller_levels=lv,
                            reseller_upline_share=r, stock_units=k, stock_patience_days=d, stock_fear_units=f,
                            reseller_commission=c), "purchase": {"need_rate": 1.0}})
      for k, d, lv, r, f, c in ((10_000, 1, 0, 1.0, 1e6, 1.0), (1, 3650, 127, 1.0, 5e-324, 0.0),
                                (5, 1, 1, 5e-324, 1.0, 0.5))],
    ("resellers with stock, complete graph", {"sellers": _sellers(reseller_prob=1.0, stock_units=3,
                                                                  stock_patience_days=1, reseller_upline_share=1.0),
                                              **_all_probs(1.0), "network": {"kind": "complete", "n": 150}}),
    ("resellers with stock, reference engine", {"sellers": _sellers(reseller_prob=1.0, stock_units=10_000,
                                                                    stock_patience_days=1, reseller_upline_share=1.0,
                                                                    stock_fear_units=1e6), "engine": "reference"}),
    ("groups with tiny rates", {"sellers": _groups(posts_per_day=5e-324, sustain_posts_per_day=5e-324,
                                                   half_life=5e-324)}),
    *[(f"group-buys size {k}, window {d}, discount {x}, invitation {a}",
       {"sellers": _sellers(group_buy={"enabled": True, "size": k, "window_days": d, "discount": x,
                                       "invite_conversion": a}), "purchase": {"price_elasticity": 2.0}})
      for k, d, x, a in ((2, 1, 0.9, 1.0), (100, 365, 0.0, 5e-324), (2, 365, 0.9, 1.0))],
    ("group-buys, every invitation accepted, complete graph",
     {"sellers": _sellers(group_buy={"enabled": True, "size": 3, "window_days": 2, "invite_conversion": 1.0}),
      **_all_probs(1.0), "network": {"kind": "complete", "n": 150}}),
    ("group-buys, price 5e-324, reference engine",
     {"sellers": _sellers(product={"price": 5e-324}, group_buy={"enabled": True, "discount": 0.9}),
      "engine": "reference"}),
    *[(f"big-V audience {a}, brand decay {d}, fan trust {t}",
       {"sellers": _sellers(posts_per_day=150.0, big_v={"enabled": True, "audience": a, "brand_decay": d,
                                                         "fan_trust": t})})
      for a, d, t in ((100_000, 1.0, 1.0), (1, 5e-324, 0.0), (0, 0.5, 5e-324))],
    ("big-V audience 100,000, brand decay 1, complete graph",
     {"sellers": _sellers(big_v={"enabled": True, "audience": 100_000, "brand_decay": 1.0}),
      **_all_probs(1.0), "network": {"kind": "complete", "n": 150}}),
    ("big-V, brand decay 1, reference engine",
     {"sellers": _sellers(big_v={"enabled": True, "audience": 50, "brand_decay": 1.0}), "engine": "reference"}),
    *[(f"forwarding {p}, idle factor {m}, 1000 posts a day",
       {"forward": {"prize_prob": p, "value_prob": p, "ad_prob": p, "forwarded_prob": p, "idle_factor": m},
        "sellers": _sellers(posts_per_day=1000.0, posting_slot="idle")})
      for p, m in ((1.0, 100.0), (5e-324, 100.0), (1.0, 1.0))],
    ("forwarding certain, complete graph", {"forward": {"prize_prob": 1.0, "value_prob": 1.0, "ad_prob": 1.0,
                                                        "forwarded_prob": 1.0},
                                            "network": {"kind": "complete", "n": 150}}),
    ("forwarding certain, attention 5e-324", {"forward": {"prize_prob": 1.0, "forwarded_prob": 1.0},
                                              "feed": {"attention_per_day": 5e-324}}),
    ("forwarding certain, reference engine", {"forward": {"prize_prob": 1.0, "value_prob": 1.0, "ad_prob": 1.0,
                                                          "forwarded_prob": 1.0, "idle_factor": 100.0},
                                              "engine": "reference"}),
    ("folded posts opened with p 5e-324", {"sellers": _sellers(posts_per_day=1000.0),
                                           "platform": {"moderation": "harassment_prompt", "fold_threshold": 0.0,
                                                        "fold_view_prob": 5e-324}}),
    ("content mix summing to 1 + 5e-7", {"sellers": _sellers(content={"ad": 0.5000005, "value": 0.2,
                                                                      "life": 0.3, "prize": 0.0})}),
]

#: columns that are NaN by definition when their denominator is 0 (no contacts, no sales, no
#: exposures of a kind, no cascades); every other number must be finite, and none infinite
_NAN_MEANS_UNDEFINED = {
    "mean_trust", "mean_annoyance", "mean_trust_end", "mean_annoyance_end", "buyers_per_follower",
    "muted_blocked_share", "time_to_half_sales", "late_vs_peak", "conv_per_exposure_strong",
    "conv_per_exposure_weak", "conv_per_exposure_stranger", "wom_conv_strong", "wom_conv_weak",
    "cascade_median", "cascade_p99",
}

_CHILD = r"""
import copy, json, sys, traceback
import numpy as np
from viralsim.config.schema import RunConfig
from viralsim.model.mesa_model import simulate

NAN_OK = set(json.loads(sys.argv[1]))


def merge(base, extra):
    out = copy.deepcopy(base)
    for k, v in extra.items():
        nested = isinstance(v, dict) and isinstance(out.get(k), dict) and k != "network"
        out[k] = merge(out[k], v) if nested else v      # a network is replaced, kind and all
    return out


def problems(name, frame):
    out = []
    for column in frame.select_dtypes(include=[np.number]).columns:
        v = frame[column].to_numpy(dtype=float)
        if np.isinf(v).any():
            out.append(f"{name}.{column} infinite")
        if np.isnan(v).any() and column not in NAN_OK:
            out.append(f"{name}.{column} NaN")
    if name == "daily":
        for column in ("mean_trust", "mean_annoyance"):
            if (frame[column].isna() & (frame["contacts"] > 0)).any():
                out.append(f"daily.{column} NaN with contacts")
    return out


from pydantic import ValidationError
from viralsim.config.schema import MIN_SBM_PROB

NETWORK_KINDS = {"friend_circles", "watts_strogatz", "holme_kim", "barabasi_albert", "sbm", "complete", "edgelist"}


def within_schema(data):
    # The case with every value outside its field's range moved to the nearest bound: the
    # schema's own extremes (a half-life of 0.01 day, an SBM link probability of 1e-15) are what
    # a user can reach, so those are what the kernels must survive.
    moved = []
    for _ in range(20):
        try:
            return RunConfig.model_validate(data), moved
        except ValidationError as exc:
            errors = exc.errors()
        for error in errors:
            loc = [part for part in error["loc"] if part not in NETWORK_KINDS]
            ctx = error.get("ctx") or {}
            bound = next((ctx[k] for k in ("le", "ge") if k in ctx), None)
            if bound is None and loc[-1] in ("p_in", "p_out"):
                bound = MIN_SBM_PROB
            if bound is None:
                raise ValueError(f"{'.'.join(map(str, loc))}: {error['msg']}")
            node = data
            for part in loc[:-1]:
                node = node[part]
            node[loc[-1]] = float(bound)
            moved.append(f"{'.'.join(map(str, loc))}={float(bound):g}")
    raise ValueError("no valid config within the bounds")


base = {"name": "extreme", "seed": 3, "days": 20, "network": {"kind": "friend_circles", "n": 200},
        "sellers": {k: {"strategy": k} for k in ("spam", "community", "fission", "kol")}}
failed = 0
for label, over in json.load(sys.stdin):
    try:
        config, moved = within_schema(merge(base, over))
        if moved:
            label += f" (at the schema's bounds: {', '.join(moved)})"
        result = simulate(config)
        found = [p for name in ("daily", "market", "summary", "cascade_sizes")
                 for p in problems(name, getattr(result, name))]
        if len(result.daily) != 20 * len(result.summary):
            found.append("missing days")
    except Exception as exc:
        traceback.print_exc()
        found = [f"{type(exc).__name__}: {exc}"]
    failed += bool(found)
    print(("FAIL " if found else "ok ") + label + (": " + "; ".join(found) if found else ""), flush=True)
sys.exit(1 if failed else 0)
"""


def _child_env(env: dict) -> dict:
    """``env`` with this checkout's ``src`` first on the child's import path."""
    src = Path(__file__).resolve().parents[1] / "src"
    return {**env, "PYTHONPATH": os.pathsep.join([str(src), env.get("PYTHONPATH", "")])}


def _run_cases(env: dict, timeout: float) -> None:
    env = _child_env(env)
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(sorted(_NAN_MEANS_UNDEFINED))],
                         input=json.dumps(CASES), capture_output=True, text=True, env=env, timeout=timeout)
    report = out.stdout + out.stderr[-4000:]
    assert out.returncode == 0, f"exit {out.returncode}\n{report}"
    assert sum(line.startswith("ok ") for line in out.stdout.splitlines()) == len(CASES), report


def test_extreme_configs_run_to_finite_outputs():
    """All cases in one child process (a crash fails the test rather than the test run), with the
    kernels as compiled for ordinary runs (the suite has already compiled or loaded them)."""
    _run_cases(dict(os.environ), timeout=300)


@pytest.fixture(scope="module")
def boundscheck_env():
    """Environment of a child process whose kernels are compiled with bounds checking. They are
    cached as the ordinary kernels are, in a folder of their own (``_jit.build_flags`` keys the
    cache folder), so they compile once per version of the kernels and machine, not per test run
    (some 8 minutes on a 2-core host)."""
    return {**os.environ, "NUMBA_BOUNDSCHECK": "1"}


_CANARY = r"""
import numpy as np
from viralsim._jit import stream
from viralsim.model.rules._util import shuffle_prefix
try:
    shuffle_prefix(np.arange(3), 50, 50, stream(np.random.default_rng(0)))   # pool[:50] of 3 items
except IndexError:
    print("checked")
"""


def test_the_bounds_checked_children_load_checked_kernels(boundscheck_env):
    """A cached kernel (the partial shuffle) asked to index past its array raises IndexError in
    the children below: they run bounds-checked machine code, not the ordinary kernels' cache."""
    out = subprocess.run([sys.executable, "-c", _CANARY], env=_child_env(boundscheck_env), capture_output=True,
                         text=True, timeout=900)
    assert out.stdout.strip() == "checked", out.stdout + out.stderr[-3000:]


def test_extreme_configs_with_bounds_checking(boundscheck_env):
    """The same cases with every kernel compiled with bounds checking: an index out of range
    raises IndexError there and fails the case, where the ordinary build would write outside the
    array."""
    _run_cases(boundscheck_env, timeout=900)


def test_config_fuzz_with_bounds_checking(boundscheck_env):
    """The schema-derived config fuzz (tests/fuzz/test_fuzz_config.py and, for seller
    populations and timed events, test_fuzz_market.py, their default-size tests) with bounds
    checking compiled in: every drawn config that validates runs its kernels under bounds
    checks."""
    folder = Path(__file__).resolve().parent / "fuzz"
    fuzz = [str(folder / "test_fuzz_config.py"), str(folder / "test_fuzz_market.py")]
    out = subprocess.run(
        [sys.executable, "-m", "pytest", *fuzz, "-q", "-p", "no:cacheprovider", "-m", "not slow", "-x"],
        cwd=folder.parents[1], env=boundscheck_env, capture_output=True, text=True, timeout=1200,
    )
    report = out.stdout[-4000:] + out.stderr[-2000:]
    assert out.returncode == 0, f"exit {out.returncode}\n{report}"
    assert " passed" in out.stdout and " failed" not in out.stdout, report
