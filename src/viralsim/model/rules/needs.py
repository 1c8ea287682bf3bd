"""Category needs arrive and lapse (seed 001 L88: sell on trust *and* need)."""

from __future__ import annotations

import numpy as np

from viralsim.config.schema import PurchaseParams
from viralsim.model.state import State


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
    u = rng.random(state.n)
    arise = ~state.need & (u < params.need_rate)
    lapse = state.need & (u < 1.0 / params.need_duration)
    state.need ^= arise | lapse
    state.need &= state.is_consumer


def initial_needs(is_consumer: np.ndarray, params: PurchaseParams, *, rng: np.random.Generator) -> np.ndarray:
    """Needs drawn at the stationary share r / (r + 1/d) of the arrive/lapse chain."""
    if params.always_need:
        return is_consumer.copy()
    share = params.need_rate / (params.need_rate + 1.0 / params.need_duration)
    return is_consumer & (rng.random(len(is_consumer)) < share)
