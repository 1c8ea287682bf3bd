"""Slow and fast stocks drift when nothing happens: trust relaxes, annoyance fades."""

from __future__ import annotations

from viralsim._jit import kernel
from viralsim.config.schema import AnnoyanceParams, TrustParams, WomParams
from viralsim.model.rules._util import half_life_factor
from viralsim.model.state import State


def relax_trust(state: State, params: TrustParams) -> None:
    """Trust relaxes toward its baseline with half-life h (days).

    T(t+1) = B + (T(t) - B) * 2^(-1/h), hence with no events
    T(t) = B + (T(0) - B) * 2^(-t/h) exactly (the teachers' trust-decay curve).
    B is the prior of the tie (strong friend > weak friend > stranger; seed 000 L113, L209).
    Jøsang & Ismail (2002) call this the forgetting factor of a beta reputation.

    Modifies: ``state.trust``.
    """
    if not params.enabled:
        return
    _relax_trust_kernel(state.trust, state.baseline, half_life_factor(params.half_life))


@kernel
def _relax_trust_kernel(trust, baseline, f):
    """T <- B + (T - B) f in one pass over the (S, n) matrix."""
    n_s, n = trust.shape
    for s in range(n_s):
        for i in range(n):
            trust[s, i] = (trust[s, i] - baseline[s, i]) * f + baseline[s, i]


def decay_stocks(state: State, annoyance: AnnoyanceParams, wom: WomParams) -> None:
    """Annoyance, ad-exposure memory and referral pull decay geometrically.

    A(t+1) = A(t) 2^(-1/h_A): annoyance fades fast while brand memory stays (Kronrod & Huber
    2019); E(t+1) = E(t) 2^(-1/h_E) (recent ad exposures driving wear-out); R(t+1) =
    R(t) 2^(-1/h_R) (a recommendation's pull fades over a couple of weeks).

    Modifies: ``state.annoyance``, ``state.memory``, ``state.referral``.
    """
    _decay_stocks_kernel(state.annoyance, state.memory, state.referral,
                         half_life_factor(annoyance.half_life),
                         half_life_factor(annoyance.exposure_memory_half_life),
                         half_life_factor(wom.referral_half_life))


@kernel
def _decay_stocks_kernel(annoyance, memory, referral, f_a, f_e, f_r):
    """A, E, R scaled by their daily factors in one pass over the (S, n) matrices."""
    n_s, n = annoyance.shape
    for s in range(n_s):
        for i in range(n):
            annoyance[s, i] *= f_a
            memory[s, i] *= f_e
            referral[s, i] *= f_r
