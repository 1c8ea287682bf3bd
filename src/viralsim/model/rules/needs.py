"""Category needs arrive and lapse (seed 001 L88: sell on trust *and* need)."""

from __future__ import annotations

import numpy as np

from viralsim._jit import geometric, kernel, seeded, stream, uniform
from viralsim.config.schema import AnnoyanceParams, PurchaseParams
from viralsim.model.rules.annoyance import wear_out
from viralsim.model.state import Day, State


def arrive_needs(state: State, params: PurchaseParams, *, rng: np.random.Generator) -> None:
    """Needs arise with daily probability ``need_rate`` and lapse after ~``need_duration`` days.

    For a consumer without a need: P(need tomorrow) = need_rate. An unmet need lapses with daily
    probability 1 / need_duration (geometric duration with that mean). A purchase clears the
    need (rules.purchase). With ``always_need`` every consumer always has a need (Bass docking).

    Modifies: ``state.need``.
    """
    if params.always_need:
        state.need[:] = state.is_consumer
        return
    _arrive_needs_kernel(state.need, state.is_consumer, state.seller_nodes,
                         min(1.0, 1.0 / params.need_duration), params.need_rate, stream(rng))


@kernel
def _arrive_needs_kernel(need, is_consumer, seller_nodes, p_lapse, p_arise, words):
    """Lapses among today's needy and arrivals among the rest, by geometric skipping."""
    rs = seeded(words)
    # Skipping to the next event (Batagelj & Brandes 2005) makes the draws cost O(events), not O(n).
    n = need.shape[0]
    needy = np.empty(n, dtype=np.int64)
    m = 0
    for i in range(n):
        if need[i]:
            needy[m] = i
            m += 1
    if p_arise > 0.0:
        i = geometric(p_arise, rs) - 1
        while i < n:
            if not need[i] and is_consumer[i]:
                need[i] = True          # not in ``needy``: arrivals never lapse the same day
            i += geometric(p_arise, rs)
    if p_lapse > 0.0:
        j = geometric(p_lapse, rs) - 1
        while j < m:
            need[needy[j]] = False
            j += geometric(p_lapse, rs)
    for v in seller_nodes:
        need[v] = False                 # sellers never shop (keeps the invariant even if perturbed)


def initial_needs(is_consumer: np.ndarray, params: PurchaseParams, *, rng: np.random.Generator) -> np.ndarray:
    """Needs drawn at the stationary share r / (r + 1/d) of the arrive/lapse chain."""
    if params.always_need:
        return is_consumer.copy()
    share = params.need_rate / (params.need_rate + 1.0 / params.need_duration)
    return is_consumer & (rng.random(len(is_consumer)) < share)


def impulse_needs(state: State, day: Day, params: PurchaseParams, annoyance: AnnoyanceParams,
                  *, rng: np.random.Generator) -> int:
    """Ads seen today can create a want for the advertised product, for today only.

    P(impulse toward seller s) = 1 - exp(-k x effective ads of s seen today), for consumers
    without a category need. Advertising taps latent needs (seed 004 L133: "创造需求的关键,
    是挖掘客户潜在的需求"); the want is for that seller's product and acts the same day
    (an impulse purchase), so one seller's ads never create demand for a rival. Worn-out ads
    create fewer wants (rules.annoyance wear-out). k = ``impulse_per_ad``.

    Returns the number of impulses. Modifies: ``day.impulse``.
    """
    if params.impulse_per_ad <= 0 or params.always_need:
        return 0
    return int(_impulse_needs_kernel(
        day.touched, state.need, day.seen_ad, day.seen_prize, day.seen_reseller, state.memory,
        day.impulse, params.impulse_per_ad, annoyance.enabled, annoyance.wearout_exposures, stream(rng)))


@kernel
def _impulse_needs_kernel(touched, need, seen_ad, seen_prize, seen_reseller, memory, impulse,
                          per_ad, worn, wearout, words):
    """Per seller, one draw per consumer without a need who saw the seller's ads today."""
    rs = seeded(words)
    n_s, n = touched.shape
    total = 0
    for s in range(n_s):
        for i in range(n):
            if not touched[s, i] or need[i]:
                continue
            x = seen_ad[s, i] + seen_prize[s, i] + seen_reseller[s, i]
            if x == 0:
                continue                # P = 0: no draw needed
            dose = wear_out(x, memory[s, i], wearout) if worn else float(x)
            if uniform(rs) < -np.expm1(-per_ad * dose):
                impulse[s, i] = True
                total += 1
    return total
