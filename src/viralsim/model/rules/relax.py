"""Slow and fast stocks drift when nothing happens: trust relaxes, annoyance fades."""

from __future__ import annotations

from typing import NamedTuple

from viralsim._jit import kernel
from viralsim.model.rules._util import half_life_factor


class Params(NamedTuple):
    trust_on: bool
    f_trust: float
    f_annoyance: float
    f_memory: float
    f_referral: float


def prepare(config) -> Params:
    t, a, w = config.trust, config.annoyance, config.wom
    return Params(bool(t.enabled), half_life_factor(t.half_life), half_life_factor(a.half_life),
                  half_life_factor(a.exposure_memory_half_life), half_life_factor(w.referral_half_life))


@kernel
def relax(par, rel):
    """Trust relaxes toward its baseline; annoyance, ad memory and referral pull decay.

    T(t+1) = B + (T(t) - B) 2^(-1/h), hence with no events T(t) = B + (T(0) - B) 2^(-t/h)
    exactly (the teachers' trust-decay curve). B is the prior of the tie (strong friend > weak
    friend > stranger; seed 000 L113, L209); Jøsang & Ismail (2002) call this the forgetting
    factor of a beta reputation. A(t+1) = A(t) 2^(-1/h_A): annoyance fades fast while brand
    memory stays (Kronrod & Huber 2019); E(t+1) = E(t) 2^(-1/h_E) (recent ad exposures driving
    wear-out); R(t+1) = R(t) 2^(-1/h_R) (a recommendation's pull fades over a couple of weeks).
    A pair without a relation sits at the fixed point (T = B, stocks 0), so only relations move.
    """
    f, fa, fe, fr = par.f_trust, par.f_annoyance, par.f_memory, par.f_referral
    trust, baseline = rel.trust, rel.baseline
    annoyance, memory, referral = rel.annoyance, rel.memory, rel.referral
    for r in range(rel.meta[0]):
        if par.trust_on:
            trust[r] = (trust[r] - baseline[r]) * f + baseline[r]
        annoyance[r] *= fa
        memory[r] *= fe
        referral[r] *= fr
