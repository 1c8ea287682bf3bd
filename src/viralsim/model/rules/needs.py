"""Category needs arrive, lapse and are sated (seed 001 L88: sell on trust *and* need); ads create wants."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from viralsim._jit import geometric_skip, kernel, market_stream, seller_streams, uniform
from viralsim.model.rules._util import half_life_factor
from viralsim.model.rules.annoyance import wear_out
from viralsim.model.rules.face import novelty

STREAM_ARRIVE = 2
STREAM_IMPULSE = 3


class Params(NamedTuple):
    always_need: bool
    p_lapse: float
    p_arise: float
    impulse_per_ad: float
    worn: bool
    wearout: float
    p_runout: float         # daily probability a supply is used up (0: nobody is ever sated)
    novelty: float          # ν (rules.face)
    novelty_factor: float   # 2^(-1/h_N)


def prepare(config) -> Params:
    p, a = config.purchase, config.annoyance
    return Params(bool(p.always_need), min(1.0, 1.0 / p.need_duration), float(p.need_rate),
                  float(p.impulse_per_ad), bool(a.enabled), float(a.wearout_exposures), runout_prob(p),
                  float(p.novelty_boost), half_life_factor(p.novelty_half_life))


def runout_prob(purchase) -> float:
    """Daily probability 1 / consumption_days that a purchase is used up; 0 without satiation
    (``consumption_days`` 0, or ``always_need``, where every consumer always wants the product)."""
    if purchase.always_need or purchase.consumption_days <= 0.0:
        return 0.0
    return min(1.0, 1.0 / purchase.consumption_days)


def initial_needs(is_consumer: np.ndarray, purchase, u: np.ndarray) -> np.ndarray:
    """The needs of day 0, at the stationary share r / (r + 1/d) of the arrive/lapse chain:
    person i has one if ``u[i]`` (a uniform on [0, 1) per person, drawn by the caller from the
    run's stream) is below it; every consumer has one under ``always_need``."""
    if purchase.always_need:
        return is_consumer.copy()
    share = purchase.need_rate / (purchase.need_rate + 1.0 / purchase.need_duration)
    return is_consumer & (u < share)


@kernel
def arrive_needs(key, today, par, people):
    """Needs arise with daily probability ``need_rate``, lapse after ~``need_duration`` days, and
    none arises while a purchase lasts.

    For a consumer without a need and not sated: P(need tomorrow) = need_rate. An unmet need
    lapses with daily probability 1 / need_duration (geometric duration with that mean). A
    purchase clears the need and sates the buyer (rules.purchase): she uses the product up with
    daily probability 1 / consumption_days (geometric, mean ``consumption_days``), and only then
    can a need arise again. Demand for the category saturates (seed 000 L467's facial masks are
    used up, then bought again): ads bring a purchase forward (rules.needs.impulse_needs) but
    cannot buy more than the consumption allows. With ``always_need`` every consumer always has
    a need (Bass docking). Draws by geometric skipping (Batagelj & Brandes 2005): O(events), not
    O(n): arrivals, lapses, then run-outs (a supply used up today makes a need possible from
    tomorrow).
    """
    need, sated, is_consumer = people.need, people.sated, people.is_consumer
    n = need.shape[0]
    if par.always_need:
        need[:] = is_consumer
        return
    rs = market_stream(key, today, STREAM_ARRIVE)
    needy = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        needy[m] = i                    # branch-free compaction
        m += need[i]
    if par.p_arise > 0.0:
        log_q = np.log1p(-par.p_arise)
        i = _skip(par.p_arise, log_q, rs) - 1
        while i < n:
            if not need[i] and not sated[i] and is_consumer[i]:
                need[i] = True          # not in ``needy``: arrivals never lapse the same day
            i += _skip(par.p_arise, log_q, rs)
    if par.p_lapse > 0.0:
        log_q = np.log1p(-par.p_lapse)
        j = _skip(par.p_lapse, log_q, rs) - 1
        while j < m:
            need[needy[j]] = False
            j += _skip(par.p_lapse, log_q, rs)
    if par.p_runout > 0.0:
        m = 0
        for i in range(n):
            needy[m] = i                # (reused: the sated ones)
            m += sated[i]
        log_q = np.log1p(-par.p_runout)
        j = _skip(par.p_runout, log_q, rs) - 1
        while j < m:
            sated[needy[j]] = False
            j += _skip(par.p_runout, log_q, rs)


@kernel
def _skip(p, log_q, rs):
    """A geometric draw given log(1 - p) (saturated past the end of any array for a tiny p)."""
    if p >= 1.0:
        return 1
    return geometric_skip(log_q, rs)


@kernel
def impulse_needs(key, today, par, people, rel):
    """Ads seen today can create a want for the advertised product, for today only.

    P(impulse toward seller s) = 1 - exp(-k x effective ads of s seen today), for consumers
    without a category need who are not sated (a supply still in use leaves no want for an ad to
    tap). Advertising taps latent needs (seed 004 L133: "创造需求的关键,
    是挖掘客户潜在的需求"); the want is for that seller's product and acts the same day
    (an impulse purchase), so one seller's ads never create demand for a rival. Worn-out ads
    create fewer wants (rules.annoyance wear-out). k = ``impulse_per_ad``. A new seller's ads
    tap more: the dose is W(X) (X_own N(D) + X_res) / X, the seller's own ads and prize posts
    weighted by the novelty N(D_any) (rules.face), D_any the days sellers have pushed the
    consumer; friends' reseller ads count once.

    Draws: per seller, a unit-rate Poisson process walked by exponential gaps over envelope
    intervals of length k V >= k W laid end to end (V = E_w X / (E_w + E) since ln(1 + y) <= y);
    a relation whose envelope holds no point has no impulse and costs no draw. O(impulses).
    Returns the number of impulses.
    """
    if par.impulse_per_ad <= 0.0 or par.always_need:
        return 0
    n_s = rel.seller_seg.shape[1]
    streams = seller_streams(key, today, STREAM_IMPULSE, n_s)
    gap = np.empty(n_s)
    for s in range(n_s):
        gap[s] = -np.log(1.0 - uniform(streams[s]))
    per_ad, wearout = par.impulse_per_ad, par.wearout
    total = 0
    for r in range(rel.meta[0]):
        if not rel.touched[r] or people.need[rel.node[r]] or people.sated[rel.node[r]]:
            continue
        own = rel.seen_ad[r] + rel.seen_prize[r]
        x = own + rel.seen_reseller[r]
        if x == 0:
            continue
        s = rel.seller[r]
        nov = novelty(par.novelty, par.novelty_factor, people.pushed[rel.node[r]])
        # the dose W(X) of all ads read, the seller's own share weighted by novelty: W(X) (X_own N + X_res) / X
        weight = (own * nov + rel.seen_reseller[r]) / x
        if par.worn:
            envelope = per_ad * weight * (wearout * (x / (wearout + rel.memory[r])))
        else:
            envelope = per_ad * weight * x
        if gap[s] >= envelope:
            gap[s] -= envelope
            continue
        dose = wear_out(x, rel.memory[r], wearout) if par.worn else float(x)
        if gap[s] < per_ad * weight * dose:
            rel.impulse[r] = True
            total += 1
        gap[s] = -np.log(1.0 - uniform(streams[s]))
    return total
