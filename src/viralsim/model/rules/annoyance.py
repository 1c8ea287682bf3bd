"""Annoyance: a fast stock fed by commercial exposures; ads wear out (two-factor theory)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from viralsim._jit import kernel, kernel_inline, powi
from viralsim.model.relations import NO_TIE


class Params(NamedTuple):
    on: bool
    w_ad: float
    w_prize: float
    w_value: float
    w_life: float
    w_msg: float
    f_sol: float
    f_low: float
    f_idle: float
    wearout: float
    spill: float
    erode: bool
    loss: float
    half_effect: float


def prepare(config) -> Params:
    a, t = config.annoyance, config.trust
    return Params(bool(a.enabled), a.weight_ad, a.weight_prize, a.weight_value, a.weight_life, a.weight_message,
                  a.solicited_factor, a.low_trust_factor, a.idle_ad_factor, a.wearout_exposures, a.load_spillover,
                  bool(a.enabled and t.enabled and t.loss_per_unwanted > 0), t.loss_per_unwanted, a.half_effect)


@kernel
def wear_out(seen, memory, wearout):
    """Persuasive ads among X = ``seen`` new ones after E = ``memory`` recent ones (wear-out).

    The k-th recent ad persuades 1 / (1 + k / E_w) as much as a fresh one; integrating over the
    X ads seen today on top of E recent ones gives E_w ln(1 + X / (E_w + E)), about X for
    X + E << E_w and growing only logarithmically beyond. Wear-in/wear-out (Berlyne 1970;
    Pechmann & Stewart 1988); specific ads wear out after 3-10 exposures (Batra & Ray 1986),
    hence E_w = ``wearout_exposures`` (default 10, the upper end: spammers vary their images).
    X / (E_w + E) is held at 1e300, so a vanishing E_w gives a finite value, never inf x 0.
    """
    return wearout * np.log1p(min(seen / (wearout + memory), 1e300))


@kernel
def tedium_factor(memory, wearout):
    """Irritation multiplier of an ad after E recent ones: 1 + E / (E + E_w), from 1 up to 2."""
    return 1.0 + memory / (memory + wearout)


@kernel_inline
def unwanted(rel, r):
    """Relation r's unwanted contacts today: the ads, prize posts and resellers' ads (friends'
    forwards among them) read, and the seller's messages unless they answered a need (seed
    001 L23: accosting is harassment, an answer is not). Trust erodes per unwanted contact
    (:func:`add_annoyance`) and ad fatigue counts them (rules.ties.tire)."""
    ads = rel.seen_ad[r] + rel.seen_prize[r] + rel.seen_reseller[r]
    return ads if rel.solicited[r] else ads + rel.messages[r]


@kernel
def add_annoyance(par, people, rel):
    """Today's exposures raise annoyance; annoyance erodes trust; exposure memory grows.

    For seller s and consumer i, with today's seen counts X and recent-ad memory E:
        dA = [ (w_ad X_ad + w_prize X_prize + w_ad X_resold) (1 + (f_idle - 1) share_idle)
               x (1 + E / (E + E_w))
               + w_value (X_value + X_group) + w_life X_life
               + w_msg M (f_sol if the message answered a need else 1) ]
             x (1 + f_low (1 - T))
             + spill x w_ad x (ads seen today from other sellers, if i follows s)
    (share_idle: the share of the seller's own ads seen in the idle slot; resellers' ads count
    as busy-slot ads.) Hard ads and promotions annoy (seed 000 L239-241), more at low trust
    (seed 001 L34), more in idle time (seed 003 L133), more after many recent ads (tedium);
    unsolicited messages are harassment, answers to a need are not (seed 001 L23); all
    commercial load irritates (seed 003 L321). Then E += X_ad + X_prize + X_resold, and each
    unwanted contact K (ads, prize posts, reseller ads, unsolicited messages) erodes trust:
    T <- T (1 - lambda A / (A + A_half))^K ("selling before trust" backfires, seed 001 L34).
    Runs after the purchase decision: today's irritation weighs on tomorrow.
    """
    m = rel.meta[0]
    n = people.need.shape[0]
    spills = par.on and par.spill > 0.0
    ads_seen = np.zeros(n if spills else 0)      # ads a consumer saw today, all sellers
    if spills:
        for r in range(m):
            if rel.touched[r]:
                ads_seen[rel.node[r]] += rel.seen_ad[r] + rel.seen_prize[r] + rel.seen_reseller[r]
    w_spill = par.spill * par.w_ad
    for r in range(m):
        touched = rel.touched[r]
        if not touched and not (spills and rel.tie[r] > NO_TIE and not rel.blocked[r]):
            continue                    # (nothing reached this relation today)
        ads = rel.seen_ad[r] + rel.seen_prize[r] + rel.seen_reseller[r] if touched else 0
        a = rel.annoyance[r]
        if par.on and touched:
            hard = par.w_ad * (rel.seen_ad[r] + rel.seen_reseller[r]) + par.w_prize * rel.seen_prize[r]
            hard_idle = par.w_ad * rel.seen_ad_idle[r] + par.w_prize * rel.seen_prize_idle[r]
            hard = (hard + (par.f_idle - 1.0) * hard_idle) * tedium_factor(rel.memory[r], par.wearout)
            soft = par.w_value * (rel.seen_value[r] + rel.group_seen[r]) + par.w_life * rel.seen_life[r]
            msgs = par.w_msg * rel.messages[r] * (par.f_sol if rel.solicited[r] else 1.0)
            a += (hard + soft + msgs) * (1.0 + par.f_low * (1.0 - rel.trust[r]))
        if spills and rel.tie[r] > NO_TIE and not rel.blocked[r]:
            # other sellers' ads seen today irritate toward every seller she follows
            others = ads_seen[rel.node[r]] - ads
            if others > 0:
                a += w_spill * others
        rel.annoyance[r] = a
        if not touched:
            continue
        rel.memory[r] += ads
        if par.erode:
            times = unwanted(rel, r)
            if times > 0:
                rel.trust[r] *= powi(1.0 - par.loss * a / (a + par.half_effect), times)
