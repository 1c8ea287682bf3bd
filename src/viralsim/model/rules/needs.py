"""Category needs arrive and lapse (seed 001 L88: sell on trust *and* need)."""

from __future__ import annotations

import numpy as np

from viralsim._jit import geometric_skip, kernel, seeded, stream, uniform
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
        needy[m] = i                    # branch-free compaction
        m += need[i]
    if p_arise > 0.0:
        log_q = np.log1p(-p_arise)      # _jit.geometric, with its logarithm of 1 - p hoisted
        i = _skip(p_arise, log_q, rs) - 1
        while i < n:
            if not need[i] and is_consumer[i]:
                need[i] = True          # not in ``needy``: arrivals never lapse the same day
            i += _skip(p_arise, log_q, rs)
    if p_lapse > 0.0:
        log_q = np.log1p(-p_lapse)
        j = _skip(p_lapse, log_q, rs) - 1
        while j < m:
            need[needy[j]] = False
            j += _skip(p_lapse, log_q, rs)
    for v in seller_nodes:
        need[v] = False                 # sellers never shop (keeps the invariant even if perturbed)


@kernel
def _skip(p, log_q, rs):
    """geometric(p, rs) given log_q = log1p(-p): the same draw, without a logarithm per call
    (saturated at ``SKIP_MAX``, past the end of the array, for a tiny p)."""
    if p >= 1.0:
        return 1
    return geometric_skip(log_q, rs)


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
    """Per seller, the impulses of consumers without a need who saw the seller's ads today.

    P = 1 - exp(-k W) is the chance that a unit-rate Poisson process puts a point in an interval
    of length k W. Each consumer gets an envelope interval of length k V >= k W, V = E_w X / (E_w + E)
    (ln(1 + y) <= y; V = X without wear-out), laid end to end, and the process is walked by
    exponential gaps: a consumer whose envelope holds no point has no impulse, with no draw, log
    or exp; where one falls, she has an impulse if it falls in the first k W, and the process
    restarts at the envelope's end (disjoint intervals are independent). The draws cost
    O(impulses), not O(consumers).
    """
    rs = seeded(words)
    n_s, n = touched.shape
    idx = np.empty(n, dtype=np.int64)
    mask = np.empty(n, dtype=np.bool_)
    total = 0
    gap = -np.log(1.0 - uniform(rs))            # to the next point of the process
    for s in range(n_s):
        # Touched consumers without a need, by a vectorised row pass and a branch-free compaction.
        for i in range(n):
            mask[i] = touched[s, i] & (need[i] ^ True)
        m = 0
        for i in range(n):
            idx[m] = i
            m += mask[i]
        for j in range(m):
            i = idx[j]
            x = seen_ad[s, i] + seen_prize[s, i] + seen_reseller[s, i]
            if worn:
                # W = E_w ln(1 + y) <= E_w y, y = X / (E_w + E) (wear_out), also in floating point
                y = x / (wearout + memory[s, i])
                envelope = per_ad * (wearout * y)
            else:
                envelope = per_ad * x            # W = X
            if gap >= envelope:                  # (0 without ads: P = 0)
                gap -= envelope
                continue
            dose = wear_out(x, memory[s, i], wearout) if worn else float(x)
            if gap < per_ad * dose:
                impulse[s, i] = True
                total += 1
            gap = -np.log(1.0 - uniform(rs))
    return total
