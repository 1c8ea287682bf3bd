"""Category needs arrive and lapse (seed 001 L88: sell on trust *and* need)."""

from __future__ import annotations

import numpy as np

from viralsim.config.schema import AnnoyanceParams, PurchaseParams
from viralsim._rng import bernoulli_positions
from viralsim.model.rules.annoyance import effective_ads
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
    # Sparse Bernoulli draws: cost grows with the number of events, not with the population.
    needy = np.flatnonzero(state.need)
    lapse = needy[bernoulli_positions(len(needy), 1.0 / params.need_duration, rng)]
    arise = bernoulli_positions(state.n, params.need_rate, rng)
    arise = arise[~state.need[arise] & state.is_consumer[arise]]
    state.need[lapse] = False
    state.need[arise] = True
    state.need[state.seller_nodes] = False   # sellers never shop (keeps the invariant even if perturbed)


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
    total = 0
    for s in range(state.n_sellers):
        idx = day.touched_idx(s)
        idx = idx[~state.need[idx]]
        ads = day.seen_ad[s, idx] + day.seen_prize[s, idx] + day.seen_reseller[s, idx]
        dose = effective_ads(ads, state.memory[s, idx], annoyance)
        hit = idx[rng.random(len(idx)) < -np.expm1(-params.impulse_per_ad * dose)]
        day.impulse[s, hit] = True
        total += len(hit)
    return total
